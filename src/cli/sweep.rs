//! `engram sweep`: expands a grid of presets × variants × seeds, described by a TOML spec, into
//! one `engram run` per point — a directory holding its `preset.toml` and `command.txt` — and
//! runs the commands here, a few at a time, or writes them for a Slurm job array or GNU parallel.
//!
//! The spec (every field is checked; an error names the spec file, the line and the field):
//!
//! ```toml
//! out = "runs/sweep1"              # relative to the spec's directory, or absolute
//! presets = ["default", "my.toml"] # built-in names or preset files (relative to the spec)
//! seeds = [1, 2, 3]
//! threads = 1                      # --threads of every run (default 1)
//! args = ["--phase", "all"]        # more arguments of every `engram run`; `{dir}` in an
//!                                  # argument is replaced by the run's directory, e.g.
//!                                  # ["--save", "{dir}/trained.engram"]
//! [[variant]]                      # optional; without any, one variant "base"
//! name = "hom32"
//! set = { "plasticity.beta" = 0.04, "mechanisms.heterosynaptic" = false }
//! ```

use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use clap::{Args, Parser, ValueEnum};
use serde::Deserialize;
use serde_json::json;
use toml::Spanned;

use super::Cli;
use crate::error::{Error, Result};
use crate::io::{atomic, preset, read_text};
use crate::sim::params::Params;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The sweep specification (TOML: out, presets, seeds, threads, args, [[variant]]).
    pub spec: PathBuf,
    /// Runs at a time here (default 1); with --emit, parallel's -j or the Slurm array's limit.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run nothing here: write a Slurm job-array script (`OUT/sweep.slurm`), or only the
    /// command file for GNU parallel, and print how to submit it.
    #[arg(long, value_enum)]
    pub emit: Option<Emit>,
    /// Expand the grid and write its files, print the commands, run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The engram binary the commands name (default: this executable). A cluster must have
    /// the binary at this path.
    #[arg(long, value_name = "PATH")]
    pub engram: Option<PathBuf>,
}

/// Where the commands are run instead of here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// A Slurm job array, one task per run.
    Slurm,
    /// A command file for GNU parallel.
    Parallel,
}

/// Largest spec file read.
const MAX_SPEC_BYTES: u64 = 1 << 20;

/// The spec as written, with the positions of its values for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    out: Spanned<String>,
    presets: Spanned<Vec<Spanned<String>>>,
    seeds: Spanned<Vec<Spanned<u64>>>,
    threads: Option<Spanned<usize>>,
    args: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    variant: Vec<RawVariant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    #[serde(default)]
    set: std::collections::BTreeMap<String, Spanned<toml::Value>>,
}

/// One override of a variant: a dotted preset field and its new value.
#[derive(Clone, Debug)]
struct Override {
    field: String,
    value: toml::Value,
    line: usize,
}

#[derive(Debug)]
struct Variant {
    name: String,
    line: usize,
    overrides: Vec<Override>,
}

/// A preset of the spec: as written, its label in directory names, the line naming it.
#[derive(Debug)]
struct PresetRef {
    arg: String,
    label: String,
    line: usize,
    params: Params,
    /// `arg` resolved: the built-in name, or the absolute path of the file.
    source: String,
}

/// A checked spec.
#[derive(Debug)]
struct Spec {
    file: String,
    out: PathBuf,
    presets: Vec<PresetRef>,
    seeds: Vec<u64>,
    threads: usize,
    args: Vec<String>,
    variants: Vec<Variant>,
}

/// One point of the grid.
#[derive(Debug)]
struct Point {
    dir_name: String,
    dir: PathBuf,
    preset: String,
    preset_source: String,
    variant: String,
    seed: u64,
    overrides: Vec<(String, toml::Value)>,
    /// The content of `preset.toml`.
    preset_toml: String,
    /// The command, program first.
    argv: Vec<String>,
}

impl Point {
    fn command_line(&self) -> String {
        self.argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    1 + text[..offset.min(text.len())].matches('\n').count()
}

/// Parses and checks a spec: its fields, presets and variants (each override applied to each
/// preset and validated). Paths are taken relative to `dir`, the spec's directory.
fn parse_spec(text: &str, file: &str, dir: &Path) -> Result<Spec> {
    let raw: RawSpec = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        Error::parse(file, line, e.message().lines().next().unwrap_or("invalid TOML"))
    })?;
    let at = |span: std::ops::Range<usize>| line_of(text, span.start);
    let err = |span: std::ops::Range<usize>, msg: String| Error::parse(file, at(span), msg);

    if raw.out.get_ref().trim().is_empty() {
        return Err(err(raw.out.span(), "`out` must name a directory".into()));
    }
    let threads = match &raw.threads {
        Some(t) if !(1..=64).contains(t.get_ref()) => {
            return Err(err(t.span(), format!("`threads` = {}: expected 1 to 64", t.get_ref())));
        }
        Some(t) => *t.get_ref(),
        None => 1,
    };
    if raw.seeds.get_ref().is_empty() {
        return Err(err(raw.seeds.span(), "`seeds` is empty: give at least one seed".into()));
    }
    let mut seeds = Vec::new();
    for s in raw.seeds.get_ref() {
        if seeds.contains(s.get_ref()) {
            return Err(err(s.span(), format!("`seeds`: seed {} is given twice", s.get_ref())));
        }
        seeds.push(*s.get_ref());
    }
    let args = raw.args.as_ref().map_or_else(Vec::new, |a| a.get_ref().clone());
    if let Some(a) = &raw.args {
        check_run_args(&a.get_ref()[..]).map_err(|m| err(a.span(), format!("`args`: {m}")))?;
    }

    let mut variants: Vec<Variant> = Vec::new();
    for v in &raw.variant {
        let name = v.name.get_ref().clone();
        let line = at(v.name.span());
        if name.trim().is_empty() {
            return Err(Error::parse(file, line, "variant `name` is empty"));
        }
        if variants.iter().any(|w| w.name == name) {
            return Err(Error::parse(file, line, format!("variant `{name}` is given twice")));
        }
        let mut overrides = Vec::new();
        for (key, value) in &v.set {
            flatten(key, value.get_ref(), at(value.span()), &mut overrides);
        }
        overrides.sort_by_key(|o| o.line);
        for (k, o) in overrides.iter().enumerate() {
            if overrides[..k].iter().any(|p| p.field == o.field) {
                return Err(Error::parse(file, o.line, format!("variant `{name}`: `{}` is set twice", o.field)));
            }
        }
        variants.push(Variant { name, line, overrides });
    }
    if variants.is_empty() {
        variants.push(Variant { name: "base".into(), line: 0, overrides: Vec::new() });
    }

    if raw.presets.get_ref().is_empty() {
        return Err(err(raw.presets.span(), "`presets` is empty: give at least one preset".into()));
    }
    let mut presets = Vec::new();
    for p in raw.presets.get_ref() {
        let line = at(p.span());
        let (params, source, label) = load_spec_preset(p.get_ref(), dir).map_err(|e| match e {
            Error::Parse { .. } | Error::Io { .. } => Error::parse(file, line, format!("preset: {e}")),
            other => Error::parse(file, line, other.to_string()),
        })?;
        presets.push(PresetRef { arg: p.get_ref().clone(), label, line, params, source });
    }
    let out = dir.join(raw.out.get_ref());
    Ok(Spec { file: file.to_string(), out, presets, seeds, threads, args, variants })
}

/// Checks the extra arguments of `engram run` as its parser would see them, with the
/// arguments the sweep adds, so a typo fails here and not in every run.
fn check_run_args(args: &[String]) -> std::result::Result<(), String> {
    let argv = ["engram", "run", "--preset", "p.toml", "--out", "out", "--threads", "1"]
        .into_iter()
        .map(String::from)
        .chain(args.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            Err("--help and --version do not run anything".into())
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            Err(first.trim_start_matches("error: ").to_string())
        }
    }
}

/// Adds the overrides of `key = value` to `out`: a table (`set = { plasticity.beta = 0.04 }`)
/// gives one dotted field per leaf.
fn flatten(key: &str, value: &toml::Value, line: usize, out: &mut Vec<Override>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten(&format!("{key}.{k}"), v, line, out);
            }
        }
        v => out.push(Override { field: key.to_string(), value: v.clone(), line }),
    }
}

/// A preset of the spec: a built-in name, or a file relative to the spec's directory. Returns
/// the parameters, the resolved source and the label for directory names.
fn load_spec_preset(arg: &str, dir: &Path) -> Result<(Params, String, String)> {
    if preset::builtin_names().contains(&arg) {
        return Ok((preset::load_preset(arg)?, arg.to_string(), sanitise(arg)));
    }
    let path = std::path::absolute(dir.join(arg)).map_err(|e| Error::io(dir.join(arg), e))?;
    let toml_ext = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if !(toml_ext || arg.contains(std::path::MAIN_SEPARATOR) || path.is_file()) {
        // Neither a built-in name nor a file: load_preset's message lists the built-in names.
        preset::load_preset(arg)?;
    }
    let text = read_text(&path, preset::MAX_PRESET_BYTES)?;
    let params = preset::parse_preset(&text, &path.display().to_string())?;
    let stem = path.file_stem().map_or_else(|| arg.into(), |s| s.to_string_lossy().into_owned());
    Ok((params, path.display().to_string(), sanitise(&stem)))
}

/// `name` reduced to the characters safe in a directory name (letters, digits, `_ . -`).
fn sanitise(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with('.') { format!("_{s}") } else { s }
}

/// `s` as one word for a POSIX shell: unchanged if it is made of safe characters, else in
/// single quotes.
fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) { s.to_string() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// The parameters of one preset under one variant: each override applied to the preset as a
/// TOML document, its type checked as it is applied, and the result validated.
fn apply_variant(spec_file: &str, p: &PresetRef, v: &Variant) -> Result<Params> {
    if v.overrides.is_empty() {
        return Ok(p.params.clone());
    }
    let at = |o: &Override, msg: String| Error::parse(spec_file, o.line, format!("variant `{}`: {msg}", v.name));
    if let Some(o) = v.overrides.iter().find(|o| o.field == "seed") {
        return Err(at(o, "`seed` cannot be set: the seeds come from `seeds`".into()));
    }
    let list: Vec<(&str, toml::Value)> = v.overrides.iter().map(|o| (o.field.as_str(), o.value.clone())).collect();
    let params = preset::with_overrides(&p.params, &list).map_err(|(k, msg)| at(&v.overrides[k], msg))?;
    params.validate().map_err(|e| match e {
        Error::Param { field, msg } => {
            let line = v.overrides.iter().find(|o| o.field == field).map_or(v.line, |o| o.line);
            Error::parse(
                spec_file,
                line,
                format!("variant `{}` on preset `{}`: invalid parameter `{field}`: {msg}", v.name, p.arg),
            )
        }
        other => other,
    })?;
    Ok(params)
}

/// A path as a string for a command line (commands are text: a non-UTF-8 path cannot be in one).
fn path_str(p: &Path) -> Result<String> {
    p.to_str().map(str::to_string).ok_or_else(|| Error::Invalid(format!("{}: not a UTF-8 path", p.display())))
}

/// The parameters of every preset under every variant, in the order of the grid (presets
/// outside, variants inside), each checked; and the directory names, which must differ.
fn grid(spec: &Spec) -> Result<Vec<(&PresetRef, &Variant, Params)>> {
    let mut cells: Vec<(&PresetRef, &Variant, Params)> = Vec::new();
    for p in &spec.presets {
        for v in &spec.variants {
            let stem = dir_stem(p, v);
            if let Some((q, w, _)) = cells.iter().find(|(q, w, _)| dir_stem(q, w) == stem) {
                return Err(Error::parse(
                    &spec.file,
                    p.line,
                    format!(
                        "preset `{}` variant `{}` and preset `{}` variant `{}` both give the directories `{stem}-s…`",
                        q.arg, w.name, p.arg, v.name
                    ),
                ));
            }
            cells.push((p, v, apply_variant(&spec.file, p, v)?));
        }
    }
    Ok(cells)
}

/// `<preset>-<variant>`: a run directory's name without its seed.
fn dir_stem(p: &PresetRef, v: &Variant) -> String {
    format!("{}-{}", p.label, sanitise(&v.name))
}

/// Stands for the run's directory in the spec's `args`.
const RUN_DIR: &str = "{dir}";

/// The points of the grid: presets × variants × seeds, in that nesting (the order of
/// commands.txt). `out` is the absolute sweep directory, `engram` the binary the commands name.
fn expand(spec: &Spec, grid: &[(&PresetRef, &Variant, Params)], out: &Path, engram: &str) -> Result<Vec<Point>> {
    let mut points = Vec::new();
    for (p, v, base) in grid {
        for &seed in &spec.seeds {
            let dir_name = format!("{}-s{seed}", dir_stem(p, v));
            let mut params = base.clone();
            params.seed = seed;
            let dir = out.join(&dir_name);
            let preset_path = path_str(&dir.join("preset.toml"))?;
            let mut argv = vec![engram.to_string(), "run".into(), "--preset".into(), preset_path];
            argv.extend(["--out".into(), path_str(&dir)?, "--threads".into(), spec.threads.to_string()]);
            let dir_arg = path_str(&dir)?;
            argv.extend(spec.args.iter().map(|a| a.replace(RUN_DIR, &dir_arg)));
            let overrides: Vec<(String, toml::Value)> =
                v.overrides.iter().map(|o| (o.field.clone(), o.value.clone())).collect();
            let mut preset_toml = format!(
                "# engram sweep: preset `{}`, variant `{}`, seed {seed}\n",
                p.arg.replace('\n', " "),
                v.name.replace('\n', " ")
            );
            for (f, val) in &overrides {
                // Writing to a String cannot fail.
                let _ = writeln!(preset_toml, "# override: {f} = {val}");
            }
            preset_toml.push_str(&preset::to_toml(&params)?);
            points.push(Point {
                dir_name,
                dir,
                preset: p.label.clone(),
                preset_source: p.source.clone(),
                variant: v.name.clone(),
                seed,
                overrides,
                preset_toml,
                argv,
            });
        }
    }
    Ok(points)
}

/// Writes every run directory (`preset.toml`, `command.txt`), `commands.txt` and `sweep.json`.
/// A finished run (with `summary.json`) whose preset would change is refused: its results
/// would no longer match its preset.
fn write_files(spec_path: &Path, spec: &Spec, out: &Path, engram: &str, points: &[Point]) -> Result<()> {
    for p in points {
        let preset_path = p.dir.join("preset.toml");
        if p.dir.join("summary.json").exists() {
            // The command may name another binary (--engram), not other arguments.
            let old_preset = fs::read_to_string(&preset_path).unwrap_or_default();
            let old_command = fs::read_to_string(p.dir.join("command.txt")).unwrap_or_default();
            let args: Vec<String> = p.argv[1..].iter().map(|a| shell_quote(a)).collect();
            if old_preset != p.preset_toml || !old_command.trim_end().ends_with(&format!(" {}", args.join(" "))) {
                return Err(Error::Invalid(format!(
                    "{}: this run has finished with another preset or other arguments (did the spec change?): \
                     remove the directory or choose another `out`",
                    p.dir.display()
                )));
            }
            continue;
        }
        fs::create_dir_all(&p.dir).map_err(|e| Error::io(&p.dir, e))?;
        atomic::atomic_write(&preset_path, |w| w.write_all(p.preset_toml.as_bytes()))?;
        let line = p.command_line();
        atomic::atomic_write(&p.dir.join("command.txt"), |w| writeln!(w, "{line}"))?;
    }
    atomic::atomic_write(&out.join("commands.txt"), |w| {
        for p in points {
            writeln!(w, "{}", p.command_line())?;
        }
        Ok(())
    })?;
    let runs: Vec<serde_json::Value> = points
        .iter()
        .map(|p| {
            let overrides: serde_json::Map<String, serde_json::Value> = p
                .overrides
                .iter()
                .map(|(f, v)| (f.clone(), serde_json::to_value(v).unwrap_or(serde_json::Value::Null)))
                .collect();
            json!({
                "dir": p.dir_name,
                "preset": p.preset,
                "preset_source": p.preset_source,
                "variant": p.variant,
                "seed": p.seed,
                "overrides": overrides,
                "command": p.command_line(),
            })
        })
        .collect();
    let doc = json!({
        "spec": spec_path.display().to_string(),
        "engram": engram,
        "threads": spec.threads,
        "args": spec.args,
        "presets": spec.presets.iter().map(|p| &p.arg).collect::<Vec<_>>(),
        "variants": spec.variants.iter().map(|v| &v.name).collect::<Vec<_>>(),
        "seeds": spec.seeds,
        "runs": runs,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Invalid(e.to_string()))?;
    atomic::atomic_write(&out.join("sweep.json"), |w| writeln!(w, "{text}"))
}

/// `OUT/sweep.slurm`: a job array whose task k runs line k + 1 of `commands.txt`, its output
/// in `run.log` of its run directory, skipping a finished run.
fn slurm_script(out: &Path, points: &[Point], threads: usize, jobs: Option<usize>) -> Result<String> {
    let out_s = path_str(out)?;
    let n = points.len();
    let last = n.saturating_sub(1);
    let limit = jobs.map_or(String::new(), |j| format!("%{j}"));
    let name = out.file_name().map_or_else(|| "sweep".into(), |n| sanitise(&n.to_string_lossy()));
    let script = shell_quote(&format!("{out_s}/sweep.slurm"));
    let commands = shell_quote(&format!("{out_s}/commands.txt"));
    let mut dirs = String::new();
    for p in points {
        // Writing to a String cannot fail.
        let _ = writeln!(dirs, "  {}", shell_quote(&path_str(&p.dir)?));
    }
    Ok(format!(
        r#"#!/bin/bash
# Written by `engram sweep`: task k runs line k+1 of commands.txt ({n} runs),
# its output in run.log of its run directory. Submit with: sbatch {script}
#SBATCH --job-name=engram-{name}
#SBATCH --array=0-{last}{limit}
#SBATCH --cpus-per-task={threads}
#SBATCH --output={out_s}/slurm-%A_%a.out
set -euo pipefail
commands={commands}
dirs=(
{dirs})
dir=${{dirs[$SLURM_ARRAY_TASK_ID]}}
line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$commands")
if [ -e "$dir/summary.json" ]; then
  echo "$dir: finished already (summary.json exists)"
  exit 0
fi
echo "$line"
bash -c "$line" > "$dir/run.log" 2>&1
"#
    ))
}

/// How one run ended.
struct Outcome {
    ok: bool,
    status: String,
    wall_s: f64,
}

/// The last non-empty line of a log (its final 4 kB), e.g. the run's one-line error.
fn last_line(path: &Path) -> Option<String> {
    let mut f = fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(4096))).ok()?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    text.lines().rev().map(str::trim).find(|l| !l.is_empty()).map(str::to_string)
}

/// Runs one point as a child process, its output in `run.log`.
fn run_point(p: &Point) -> Outcome {
    let started = Instant::now();
    let log_path = p.dir.join("run.log");
    let status = fs::File::create(&log_path).and_then(|log| {
        let err = log.try_clone()?;
        Process::new(&p.argv[0]).args(&p.argv[1..]).stdin(Stdio::null()).stdout(log).stderr(err).status()
    });
    let wall_s = started.elapsed().as_secs_f64();
    match status {
        Ok(s) if s.success() => Outcome { ok: true, status: "exit 0".into(), wall_s },
        Ok(s) => {
            let status = s.code().map_or_else(|| s.to_string(), |c| format!("exit {c}"));
            let status = match last_line(&log_path) {
                Some(l) => format!("{status}: {l}"),
                None => status,
            };
            Outcome { ok: false, status, wall_s }
        }
        Err(e) => Outcome { ok: false, status: format!("could not start {}: {e}", p.argv[0]), wall_s },
    }
}

/// Runs the unfinished points here, `jobs` at a time; one line per start and end.
fn execute(points: &[Point], jobs: usize) -> Result<()> {
    let mut todo = Vec::new();
    for p in points {
        if p.dir.join("summary.json").exists() {
            println!("skip   {} (summary.json exists)", p.dir_name);
        } else {
            todo.push(p);
        }
    }
    let n = todo.len();
    let next = AtomicUsize::new(0);
    let failed: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(n) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = todo.get(k) else { break };
                    println!("[{}/{n}] start {}", k + 1, p.dir_name);
                    let o = run_point(p);
                    let verdict = if o.ok { "done  " } else { "FAILED" };
                    println!("[{}/{n}] {verdict} {} ({}, {:.1} s)", k + 1, p.dir_name, o.status, o.wall_s);
                    if !o.ok {
                        failed.lock().unwrap_or_else(PoisonError::into_inner).push((k, p.dir_name.clone()));
                    }
                }
            });
        }
    });
    let mut failed = failed.into_inner().unwrap_or_else(PoisonError::into_inner);
    failed.sort();
    println!(
        "sweep: {} run, {} failed, {} skipped (finished before) in {:.1} s",
        n,
        failed.len(),
        points.len() - n,
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        let names: Vec<String> = failed.into_iter().map(|(_, name)| name).collect();
        Err(Error::Invalid(format!("{} of {n} runs failed (see run.log in each): {}", names.len(), names.join(", "))))
    }
}

/// `engram sweep`.
pub fn sweep(a: &SweepArgs) -> Result<()> {
    if a.jobs == Some(0) {
        return Err(Error::Invalid("--jobs 0: expected at least 1".into()));
    }
    let text = read_text(&a.spec, MAX_SPEC_BYTES)?;
    let spec_path = std::path::absolute(&a.spec).map_err(|e| Error::io(&a.spec, e))?;
    let dir = spec_path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let spec = parse_spec(&text, &a.spec.display().to_string(), &dir)?;
    let engram = match &a.engram {
        Some(p) => std::path::absolute(p).map_err(|e| Error::io(p, e))?,
        None => std::env::current_exe().map_err(|e| Error::io("the engram executable", e))?,
    };
    let engram_s = path_str(&engram)?;
    let run_here = a.emit.is_none() && !a.dry_run;
    if run_here && !engram.is_file() {
        return Err(Error::Invalid(format!("--engram {}: no such file", engram.display())));
    }
    // Every variant is applied and validated before anything is written.
    let grid = grid(&spec)?;
    fs::create_dir_all(&spec.out).map_err(|e| Error::io(&spec.out, e))?;
    let out = fs::canonicalize(&spec.out).map_err(|e| Error::io(&spec.out, e))?;
    let points = expand(&spec, &grid, &out, &engram_s)?;
    write_files(&spec_path, &spec, &out, &engram_s, &points)?;
    let commands = out.join("commands.txt");
    if a.dry_run {
        for p in &points {
            println!("{}", p.command_line());
        }
    }
    match a.emit {
        Some(Emit::Slurm) => {
            let script = slurm_script(&out, &points, spec.threads, a.jobs)?;
            let path = out.join("sweep.slurm");
            atomic::atomic_write(&path, |w| w.write_all(script.as_bytes()))?;
            println!("wrote {} ({} runs); submit with:", path.display(), points.len());
            println!("sbatch {}", shell_quote(&path_str(&path)?));
        }
        Some(Emit::Parallel) => {
            println!("wrote {} ({} runs); run them with:", commands.display(), points.len());
            println!("parallel -j {} < {}", a.jobs.unwrap_or(1), shell_quote(&path_str(&commands)?));
        }
        None if run_here => execute(&points, a.jobs.unwrap_or(1))?,
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Spec> {
        parse_spec(text, "s.toml", Path::new("/nonexistent"))
    }

    #[test]
    fn sanitise_keeps_safe_characters_only() {
        assert_eq!(sanitise("no_hetero"), "no_hetero");
        assert_eq!(sanitise("β 0.04/x"), "__0.04_x");
        assert_eq!(sanitise(".."), "_..");
        assert_eq!(sanitise(""), "_");
    }

    #[test]
    fn shell_quote_quotes_what_a_shell_would_split() {
        assert_eq!(shell_quote("/a/b-c.toml"), "/a/b-c.toml");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn dotted_and_nested_overrides_are_the_same() {
        let a = "out='o'\npresets=['small']\nseeds=[1]\n[[variant]]\nname='v'\nset={'plasticity.beta'=0.04}\n";
        let b = "out='o'\npresets=['small']\nseeds=[1]\n[[variant]]\nname='v'\nset={plasticity.beta=0.04}\n";
        for text in [a, b] {
            let s = spec(text).unwrap();
            let o = &s.variants[0].overrides;
            assert_eq!(o.len(), 1);
            assert_eq!((o[0].field.as_str(), o[0].line), ("plasticity.beta", 6));
            assert_eq!(apply_variant("s.toml", &s.presets[0], &s.variants[0]).unwrap().plasticity.beta, 0.04);
        }
    }

    #[test]
    fn overrides_must_name_fields_not_sections_or_the_seed() {
        let p = preset::default_params();
        let err = |f: &str| preset::with_overrides(&p, &[(f, toml::Value::Float(1.0))]).unwrap_err().1;
        assert!(err("plasticity.betta").contains("not a preset field"));
        assert!(err("plasticity").contains("is a section"));
        assert!(err("name.x").contains("`name` is a value"));
        let set = preset::with_overrides(&p, &[("protocol.init.duration_s", toml::Value::Float(1.0))]).unwrap();
        assert_eq!(set.protocol.init.duration_s, 1.0);
        let s = spec("out='o'\npresets=['small']\nseeds=[1]\n[[variant]]\nname='v'\nset={seed=3}\n").unwrap();
        let e = apply_variant("s.toml", &s.presets[0], &s.variants[0]).unwrap_err().to_string();
        assert!(e.starts_with("s.toml:6:") && e.contains("`seeds`"), "{e}");
    }

    #[test]
    fn spec_errors_name_line_and_field() {
        let e = spec("out='o'\npresets=['small']\nseeds=[1, 1]\n").unwrap_err().to_string();
        assert_eq!(e, "s.toml:3: `seeds`: seed 1 is given twice");
        let e = spec("out='o'\npresets=['small']\nseeds=[1]\nthreads=0\n").unwrap_err().to_string();
        assert_eq!(e, "s.toml:4: `threads` = 0: expected 1 to 64");
        let e = spec("out='o'\npresets=['nonesuch']\nseeds=[1]\n").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:2: unknown preset `nonesuch`"), "{e}");
        let e = spec("out='o'\npresets=['small']\nseeds=[1]\nargs=['--secs', '1']\n").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:4: `args`: unexpected argument '--secs'"), "{e}");
        let e = spec("out='o'\npresets=['small']\nseeds=[1]\nargs=['--out', 'x']\n").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:4: `args`:") && e.contains("--out"), "{e}");
    }
}
