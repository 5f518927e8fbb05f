//! `engram report`: the `summary.json` of many runs — run directories of `engram run`, or every
//! run of a sweep directory — as one table: Markdown on stdout, and with `--out P` also `P.md`
//! and `P.csv`. A column no run has a value for is left out; a missing value is an empty cell.

use std::path::{Component, Path, PathBuf};

use clap::Args;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::io::{atomic, read_text};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run directories (with summary.json) or sweep directories (with sweep.json: all its runs).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Also write the table as PREFIX.md and PREFIX.csv.
    #[arg(long, value_name = "PREFIX")]
    pub out: Option<PathBuf>,
}

/// Largest summary or sweep file read (a summary with per-neuron responses of the full network
/// is well below 1 MB).
const MAX_JSON_BYTES: u64 = 64 << 20;

/// One row: a run directory's name, its variant if it belongs to a sweep, its summary.
struct Run {
    name: String,
    variant: Option<String>,
    summary: Value,
}

/// The table: headers and rows of cells, all as text.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = read_text(path, MAX_JSON_BYTES)?;
    serde_json::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m).to_string();
        Error::parse(path.display(), e.line(), msg)
    })
}

/// The runs of the given directories, in order; a sweep directory gives its runs in the order
/// of its grid. Runs of a sweep without a summary (not run yet, or failed) are left out with a
/// note on stderr.
fn gather(dirs: &[PathBuf]) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    let mut missing = Vec::new();
    for d in dirs {
        let sweep_file = d.join("sweep.json");
        if sweep_file.is_file() {
            let sweep = read_json(&sweep_file)?;
            let list = sweep["runs"]
                .as_array()
                .ok_or_else(|| Error::parse(sweep_file.display(), 0, "expected a list `runs`"))?;
            for r in list {
                let name = r["dir"].as_str().filter(|n| is_plain_name(n)).ok_or_else(|| {
                    Error::parse(sweep_file.display(), 0, "each run needs `dir`, a directory name inside the sweep")
                })?;
                let summary_file = d.join(name).join("summary.json");
                if summary_file.is_file() {
                    let variant = r["variant"].as_str().map(str::to_string);
                    runs.push(Run { name: name.to_string(), variant, summary: read_json(&summary_file)? });
                } else {
                    missing.push(d.join(name).display().to_string());
                }
            }
        } else if d.join("summary.json").is_file() {
            let full = std::fs::canonicalize(d).map_err(|e| Error::io(d, e))?;
            let name = full.file_name().map_or_else(|| d.display().to_string(), |n| n.to_string_lossy().into_owned());
            runs.push(Run { name, variant: None, summary: read_json(&d.join("summary.json"))? });
        } else {
            return Err(Error::Invalid(format!(
                "{}: neither a run directory (summary.json) nor a sweep directory (sweep.json)",
                d.display()
            )));
        }
    }
    if !missing.is_empty() {
        eprintln!("note: {} runs without summary.json (not run yet, or failed): {}", missing.len(), missing.join(", "));
    }
    if runs.is_empty() {
        return Err(Error::Invalid("no run with a summary.json in the given directories".into()));
    }
    Ok(runs)
}

/// A single directory name, not a path leading elsewhere.
fn is_plain_name(n: &str) -> bool {
    let mut c = Path::new(n).components();
    matches!((c.next(), c.next()), (Some(Component::Normal(_)), None))
}

/// A finite number.
fn num(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

/// A count: a non-negative integer (also written as a float).
fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| num(v).filter(|x| *x >= 0.0 && x.fract() == 0.0).map(|x| x as u64))
}

/// Seconds as written: rounded to the millisecond, no trailing zeros (`0.2`, `5400`).
fn seconds(x: f64) -> String {
    let r = (x * 1000.0).round() / 1000.0;
    format!("{}", r + 0.0)
}

/// A rate [Hz], 1 decimal.
fn rate(v: &Value) -> String {
    num(v).map_or(String::new(), |x| format!("{x:.1}"))
}

/// `recalled/wrong/none (rate %)` of one shape's recall tally; none = cues − recalled − wrong.
/// With a count of cues that found their assembly already active (summaries since it was added),
/// `recalled/wrong/active/none (rate %, quiet rate %)`: none = cues − recalled − wrong − active,
/// and the second rate leaves the already-active cues out.
fn recall_cell(t: &Value) -> String {
    let (Some(cues), Some(recalled)) = (count(&t["cues"]), count(&t["recalled"])) else { return String::new() };
    let wrong = count(&t["wrong_assembly"]).unwrap_or(0);
    let active = count(&t["already_active"]);
    let none = cues.saturating_sub(recalled + wrong + active.unwrap_or(0));
    let counts = match active {
        Some(a) => format!("{recalled}/{wrong}/{a}/{none}"),
        None => format!("{recalled}/{wrong}/{none}"),
    };
    let pct = |d: u64| 100.0 * recalled as f64 / d as f64;
    match (cues, active.map(|a| cues.saturating_sub(a))) {
        (0, _) => counts,
        (_, Some(quiet)) if quiet > 0 => format!("{counts} ({:.0}%, {:.0}%)", pct(cues), pct(quiet)),
        _ => format!("{counts} ({:.0}%)", pct(cues)),
    }
}

/// The order of names in the columns: the built-in shapes, then assemblies as first met, then
/// any other name alphabetically (JSON objects do not keep their order).
struct NameOrder(Vec<String>);

impl NameOrder {
    fn new(runs: &[Run]) -> Self {
        let mut names: Vec<String> = crate::sim::shapes::shapes().into_iter().map(|p| p.name).collect();
        for r in runs {
            for a in r.summary["assemblies"].as_array().into_iter().flatten() {
                if let Some(n) = a["name"].as_str()
                    && !names.iter().any(|m| m == n)
                {
                    names.push(n.to_string());
                }
            }
        }
        NameOrder(names)
    }

    fn rank(&self, n: &str) -> (usize, String) {
        (self.0.iter().position(|m| m == n).unwrap_or(self.0.len()), n.to_string())
    }

    /// Every name found by `names` in any run, in this order.
    fn collect<'a, I: Iterator<Item = String>>(&self, runs: &'a [Run], names: impl Fn(&'a Value) -> I) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for r in runs {
            for n in names(&r.summary) {
                if !all.contains(&n) {
                    all.push(n);
                }
            }
        }
        all.sort_by_key(|n| self.rank(n));
        all
    }

    /// The pair of a `{"a", "b", "shared"}` entry, ordered.
    fn pair(&self, e: &Value) -> Option<(String, String)> {
        let (a, b) = (e["a"].as_str()?, e["b"].as_str()?);
        Some(if self.rank(a) <= self.rank(b) { (a.into(), b.into()) } else { (b.into(), a.into()) })
    }

    /// Every pair of a list of `{"a", "b", "shared"}` entries in any run, in this order.
    fn pairs(&self, runs: &[Run], list: impl Fn(&Value) -> &Value) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = Vec::new();
        for r in runs {
            for e in list(&r.summary).as_array().into_iter().flatten() {
                if let Some(p) = self.pair(e)
                    && !all.contains(&p)
                {
                    all.push(p);
                }
            }
        }
        all.sort_by_key(|(a, b)| (self.rank(a), self.rank(b)));
        all
    }

    /// The `shared` count of pair `p` in a list of `{"a", "b", "shared"}` entries.
    fn shared(&self, list: &Value, p: &(String, String)) -> String {
        list.as_array()
            .into_iter()
            .flatten()
            .find(|e| self.pair(e).as_ref() == Some(p))
            .and_then(|e| count(&e["shared"]))
            .map_or(String::new(), |n| n.to_string())
    }
}

/// The keys of a JSON object.
fn keys(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.as_object().into_iter().flat_map(|m| m.keys().cloned())
}

/// The `[a, b]` windows of `rates_in_windows` in any run, by start and end.
fn windows(runs: &[Run]) -> Vec<(f64, f64)> {
    let mut all: Vec<(f64, f64)> = Vec::new();
    for r in runs {
        for w in r.summary["rates_in_windows"].as_array().into_iter().flatten() {
            if let Some(k) = window(w)
                && !all.contains(&k)
            {
                all.push(k);
            }
        }
    }
    all.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    all
}

fn window(w: &Value) -> Option<(f64, f64)> {
    Some((num(&w["window_s"][0])?, num(&w["window_s"][1])?))
}

/// Builds the table of `runs`.
fn table(runs: &[Run]) -> Table {
    let mut t = Table { headers: Vec::new(), rows: vec![Vec::new(); runs.len()] };
    let mut add = |header: String, cell: &dyn Fn(&Run) -> String| {
        let cells: Vec<String> = runs.iter().map(cell).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            t.headers.push(header);
            for (row, c) in t.rows.iter_mut().zip(cells) {
                row.push(c);
            }
        }
    };
    let text = |v: &Value| v.as_str().map_or(String::new(), str::to_string);
    add("run".into(), &|r| r.name.clone());
    add("variant".into(), &|r| r.variant.clone().unwrap_or_default());
    add("preset".into(), &|r| text(&r.summary["preset"]));
    add("seed".into(), &|r| count(&r.summary["seed"]).map_or(String::new(), |s| s.to_string()));
    add("phases".into(), &|r| {
        let list = r.summary["phases"].as_array().into_iter().flatten();
        list.filter_map(Value::as_str).collect::<Vec<_>>().join("+")
    });
    add("sim s".into(), &|r| num(&r.summary["sim_seconds"]).map_or(String::new(), seconds));

    let order = NameOrder::new(runs);
    let assembly_names = |s: &Value| {
        let list = s["assemblies"].as_array().into_iter().flatten();
        list.filter_map(|a| a["name"].as_str().map(str::to_string)).collect::<Vec<_>>().into_iter()
    };
    for n in order.collect(runs, assembly_names) {
        add(format!("size {n}"), &|r| {
            let mut list = r.summary["assemblies"].as_array().into_iter().flatten();
            let a = list.find(|a| a["name"].as_str() == Some(n.as_str()));
            a.and_then(|a| count(&a["size"])).map_or(String::new(), |x| x.to_string())
        });
    }
    for p in order.pairs(runs, |s| &s["assembly_overlaps"]) {
        add(format!("{}∩{}", p.0, p.1), &|r| order.shared(&r.summary["assembly_overlaps"], &p));
    }

    for n in order.collect(runs, |s| keys(&s["selectivity"]["cells"])) {
        add(format!("cells {n}"), &|r| {
            count(&r.summary["selectivity"]["cells"][&n]).map_or(String::new(), |x| x.to_string())
        });
    }
    for p in order.pairs(runs, |s| &s["selectivity"]["overlaps"]) {
        add(format!("cells {}∩{}", p.0, p.1), &|r| order.shared(&r.summary["selectivity"]["overlaps"], &p));
    }
    add("median SI".into(), &|r| {
        num(&r.summary["selectivity"]["median_selectivity_index"]).map_or(String::new(), |x| format!("{x:.2}"))
    });

    for w in windows(runs) {
        let find = |r: &Run, key: &str| {
            let mut list = r.summary["rates_in_windows"].as_array().into_iter().flatten();
            list.find(|e| window(e) == Some(w)).map_or(String::new(), |e| rate(&e[key]))
        };
        let span = format!("{}–{} s", seconds(w.0), seconds(w.1));
        add(format!("E {span}"), &|r| find(r, "e_hz"));
        add(format!("I {span}"), &|r| find(r, "i_hz"));
    }

    for n in order.collect(runs, |s| keys(&s["recall"]["per_shape"])) {
        add(format!("recall {n}"), &|r| recall_cell(&r.summary["recall"]["per_shape"][&n]));
    }
    add("false recalls".into(), &|r| {
        let o = &r.summary["recall"]["other"];
        match (count(&o["false_recalls"]), count(&o["cues"])) {
            (Some(f), Some(c)) => format!("{f}/{c}"),
            _ => String::new(),
        }
    });
    t
}

/// The table as Markdown, columns padded to a common width.
pub fn markdown(t: &Table) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    let headers: Vec<String> = t.headers.iter().map(|h| esc(h)).collect();
    let rows: Vec<Vec<String>> = t.rows.iter().map(|r| r.iter().map(|c| esc(c)).collect()).collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|k| rows.iter().map(|r| r[k].chars().count()).chain([headers[k].chars().count(), 3]).max().unwrap_or(3))
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> =
            cells.iter().zip(&widths).map(|(c, &w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&headers);
    out.push_str(&line(&widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>()));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// The table as CSV (RFC 4180 quoting).
pub fn csv(t: &Table) -> String {
    let field = |s: &String| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.clone() }
    };
    let mut out = String::new();
    for r in std::iter::once(&t.headers).chain(&t.rows) {
        out.push_str(&r.iter().map(field).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// `engram report`.
pub fn report(a: &ReportArgs) -> Result<()> {
    let runs = gather(&a.dirs)?;
    let t = table(&runs);
    let md = markdown(&t);
    print!("{md}");
    if let Some(prefix) = &a.out {
        let with = |ext: &str| {
            let mut p = prefix.as_os_str().to_owned();
            p.push(ext);
            PathBuf::from(p)
        };
        if let Some(parent) = prefix.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let (md_path, csv_path) = (with(".md"), with(".csv"));
        atomic::atomic_write(&md_path, |w| w.write_all(md.as_bytes()))?;
        let text = csv(&t);
        atomic::atomic_write(&csv_path, |w| w.write_all(text.as_bytes()))?;
        eprintln!("wrote {} and {}", md_path.display(), csv_path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(name: &str, summary: Value) -> Run {
        Run { name: name.into(), variant: None, summary }
    }

    #[test]
    fn recall_cell_counts_the_cues_without_recall() {
        assert_eq!(recall_cell(&json!({"cues": 8, "recalled": 6, "wrong_assembly": 1})), "6/1/1 (75%)");
        assert_eq!(recall_cell(&json!({"cues": 3, "recalled": 2, "wrong_assembly": 0})), "2/0/1 (67%)");
        assert_eq!(recall_cell(&json!({"cues": 0, "recalled": 0, "wrong_assembly": 0})), "0/0/0");
        assert_eq!(recall_cell(&Value::Null), "");
        // 20 recalled, 1 wrong, 5 already active, 1 none of 27: 74 % of all, 20/22 = 91 % of the quiet.
        let t = json!({"cues": 27, "recalled": 20, "wrong_assembly": 1, "already_active": 5});
        assert_eq!(recall_cell(&t), "20/1/5/1 (74%, 91%)");
        assert_eq!(recall_cell(&json!({"cues": 2, "recalled": 0, "already_active": 2})), "0/0/2/0 (0%)");
    }

    #[test]
    fn seconds_drop_trailing_zeros() {
        assert_eq!(seconds(0.2), "0.2");
        assert_eq!(seconds(5400.0), "5400");
        assert_eq!(seconds(0.30000000000000004), "0.3");
        assert_eq!(seconds(-0.0), "0");
    }

    #[test]
    fn empty_columns_are_left_out_and_names_follow_the_shapes() {
        let runs = [
            run("a", json!({"preset": "p", "seed": 1, "selectivity": {"cells": {"triangle": 3, "circle": 4}}})),
            run("b", json!({"preset": "p", "seed": 2, "selectivity": {"cells": {"zig": 1, "square": 2}}})),
        ];
        let t = table(&runs);
        assert_eq!(t.headers, ["run", "preset", "seed", "cells circle", "cells square", "cells triangle", "cells zig"]);
        assert_eq!(t.rows[1], ["b", "p", "2", "", "2", "", "1"]);
    }

    #[test]
    fn markdown_escapes_bars_and_csv_quotes_commas() {
        let t = Table { headers: vec!["a".into(), "b".into()], rows: vec![vec!["x|y".into(), "1,2".into()]] };
        assert_eq!(markdown(&t), "| a    | b   |\n| ---- | --- |\n| x\\|y | 1,2 |\n");
        assert_eq!(csv(&t), "a,b\nx|y,\"1,2\"\n");
    }
}
