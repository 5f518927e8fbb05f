//! The files of `engram run` besides the raw data: `recall.csv`, `weight_structure.csv` and their
//! parts of `summary.json`. The numbers come from [`crate::sim::analysis`]; this file only lays them
//! out.

use std::path::Path;

use serde_json::{Value, json};

use crate::error::Result;
use crate::io::atomic;
use crate::sim::analysis::{self, CueResponse, RecallCriteria, Selectivity, WeightStructure};
use crate::sim::monitor::RateBin;
use crate::sim::params::PhaseName;
use crate::sim::pattern::Pattern;
use crate::sim::session::StimulusRecord;

/// Name of an optional assembly index, `none` for `None`.
fn name_or_none(names: &[String], k: Option<usize>) -> &str {
    k.and_then(|k| names.get(k)).map_or("none", |s| s.as_str())
}

/// `recall.csv`: one row per cue (docs/model.md §14.3). Columns: onset and offset [s], cue, parent
/// assembly (or `none`), whether the recall window was observed in full, the rate of each
/// assembly during the cue, in the recall window and in the pre-cue baseline [Hz], the recalled assembly (or `none`),
/// the delay-activity duration [s] (empty if not defined) and whether it was censored.
pub fn write_recall_csv(path: &Path, names: &[String], responses: &[CueResponse]) -> Result<()> {
    atomic::atomic_write(path, |w| {
        write!(w, "t_s,offset_s,cue,parent,complete")?;
        for n in names {
            write!(w, ",{n}_cue_hz")?;
        }
        for n in names {
            write!(w, ",{n}_window_hz")?;
        }
        for n in names {
            write!(w, ",{n}_baseline_hz")?;
        }
        writeln!(w, ",recalled,delay_s,delay_censored")?;
        for r in responses {
            write!(
                w,
                "{:.4},{:.4},{},{},{}",
                r.onset_s,
                r.offset_s,
                r.name,
                name_or_none(names, r.parent),
                r.complete as u8
            )?;
            for x in r.cue_hz.iter().chain(&r.window_hz).chain(&r.baseline_hz) {
                write!(w, ",{x:.4}")?;
            }
            let delay = r.delay_s.map_or(String::new(), |d| format!("{d:.3}"));
            writeln!(w, ",{},{delay},{}", name_or_none(names, r.recalled), r.delay_censored as u8)?;
        }
        Ok(())
    })
}

/// The recall part of `summary.json`: the criteria, and per shape the number of scored cues,
/// correct recalls, wrong-assembly recalls, cues that found their own assembly already active,
/// the recall rate (over all scored cues, and over those that found their assembly quiet) and
/// the mean delay; for the cues of no shape the false recalls.
pub fn recall_summary(criteria: &RecallCriteria, names: &[String], responses: &[CueResponse]) -> Value {
    let (per, other) = analysis::tally(responses, names.len());
    let per_shape: serde_json::Map<String, Value> = names
        .iter()
        .zip(&per)
        .map(|(n, t)| {
            (
                n.clone(),
                json!({
                    "cues": t.cues, "recalled": t.recalled, "wrong_assembly": t.wrong,
                    "already_active": t.already_active, "recall_rate": t.rate(),
                    "recall_rate_when_quiet": t.rate_when_quiet(), "mean_delay_s": t.mean_delay_s,
                }),
            )
        })
        .collect();
    let scored: usize = per.iter().map(|t| t.cues).sum::<usize>() + other.cues;
    let correct: usize = per.iter().map(|t| t.recalled).sum();
    let shape_cues: usize = per.iter().map(|t| t.cues).sum();
    json!({
        "criteria": {
            "window_s": [criteria.window_start_s, criteria.window_end_s],
            "min_rate_hz": criteria.min_rate_hz,
            "ratio": criteria.ratio,
            "bin_s": criteria.bin_s,
            "delay_fraction": criteria.delay_fraction,
            "horizon_s": criteria.horizon_s,
            "baseline_s": criteria.baseline_s,
            "baseline_ratio": criteria.baseline_ratio,
            "rule": "recalled = the assembly with the highest window rate r_w if r_w > min_rate_hz and \
                     (every other assembly <= min_rate_hz or r_w > ratio * every other) and \
                     r_w > baseline_ratio * its own rate in the baseline_s before the cue",
        },
        "cues": responses.len(),
        "scored": scored,
        "incomplete": responses.len() - scored,
        "recall_rate": (shape_cues > 0).then(|| correct as f64 / shape_cues as f64),
        "per_shape": per_shape,
        "other": {
            "cues": other.cues, "false_recalls": other.recalled,
            "false_recall_rate": other.rate(), "mean_delay_s": other.mean_delay_s,
        },
    })
}

/// Appends the rows of one [`WeightStructure`] to a `weight_structure.csv` buffer (long
/// format: `t_s,projection,from,to,mean_w,n_synapses`). Projection `ee` is E→E w, `ee_tilde`
/// the same blocks' consolidated weight w̃ (in `mean_w`), `input_e` Input→E w.
pub fn weight_structure_rows(out: &mut String, ws: &WeightStructure) {
    use std::fmt::Write as _;
    let g = ws.groups.len();
    for a in 0..g {
        for b in 0..g {
            let m = ws.ee_at(a, b);
            // Writing to a String cannot fail.
            let _ =
                writeln!(out, "{:.1},ee,{},{},{:.6},{}", ws.t_s, ws.groups[a], ws.groups[b], m.mean_w, m.n_synapses);
        }
    }
    for a in 0..g {
        for b in 0..g {
            let (wt, n) = (ws.ee_wt_at(a, b), ws.ee_at(a, b).n_synapses);
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{:.1},ee_tilde,{},{},{wt:.6},{n}", ws.t_s, ws.groups[a], ws.groups[b]);
        }
    }
    for (p, from) in ws.input_from.iter().enumerate() {
        for b in 0..ws.n_assemblies() {
            let m = ws.input_at(p, b);
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{:.1},input_e,{from},{},{:.6},{}", ws.t_s, ws.groups[b], m.mean_w, m.n_synapses);
        }
    }
}

pub const WEIGHT_STRUCTURE_HEADER: &str = "t_s,projection,from,to,mean_w,n_synapses\n";

/// One weight structure as JSON matrices (rows = from).
pub fn weight_structure_json(ws: &WeightStructure) -> Value {
    let g = ws.groups.len();
    let n = ws.n_assemblies();
    let (within, between) = ws.within_between();
    json!({
        "t_s": ws.t_s,
        "groups": ws.groups,
        "ee_mean_w": (0..g).map(|a| (0..g).map(|b| ws.ee_at(a, b).mean_w).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "ee_mean_wt": (0..g).map(|a| (0..g).map(|b| ws.ee_wt_at(a, b)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "ee_n_synapses": (0..g).map(|a| (0..g).map(|b| ws.ee_at(a, b).n_synapses).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "ee_within_assembly_mean_w": within,
        "ee_between_assembly_mean_w": between,
        "input_from": ws.input_from,
        "input_e_mean_w": (0..ws.input_from.len())
            .map(|p| (0..n).map(|b| ws.input_at(p, b).mean_w).collect::<Vec<_>>())
            .collect::<Vec<_>>(),
    })
}

/// `assemblies` of `summary.json`: name, size, mean member rate, and the pairwise overlaps.
pub fn assemblies_json(assemblies: &[Pattern]) -> (Value, Value) {
    let list = assemblies
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "size": p.len(),
                "mean_member_rate_hz": p.values.iter().map(|&v| v as f64).sum::<f64>() / p.len().max(1) as f64,
            })
        })
        .collect();
    let overlaps = analysis::overlaps(assemblies)
        .into_iter()
        .map(|(a, b, n)| json!({ "a": assemblies[a].name, "b": assemblies[b].name, "shared": n }))
        .collect();
    (Value::Array(list), Value::Array(overlaps))
}

/// `stimuli.csv`: every presentation of the run, in order: onset and offset [s], the pattern's
/// name, the phase it was shown in (`free` without one), the number of pixels driven, and the
/// fraction of its parent shape's pixels (empty for a stimulus of no shape).
pub fn write_stimuli_csv(path: &Path, stimuli: &[StimulusRecord]) -> Result<()> {
    atomic::atomic_write(path, |w| {
        writeln!(w, "onset_s,offset_s,pattern,phase,pixels,parent_fraction")?;
        for s in stimuli {
            let phase = s.phase.map_or("free", PhaseName::as_str);
            let fraction = s.parent_fraction.map_or(String::new(), |f| format!("{f:.4}"));
            writeln!(w, "{:.4},{:.4},{},{phase},{},{fraction}", s.onset_s, s.offset_s, s.name, s.pixels)?;
        }
        Ok(())
    })
}

/// Mean E and I rates over each window `[a, b)` of model time that the bins cover completely
/// (windows beyond the run are left out), as `{"window_s": [a, b], "e_hz": …, "i_hz": …}`.
pub fn rates_in_windows(bins: &[RateBin], windows: &[(f64, f64)]) -> Value {
    let covered = |a: f64, b: f64| {
        bins.first().is_some_and(|f| f.t_s - 0.1 <= a + 1e-9) && bins.last().is_some_and(|l| l.t_s >= b - 1e-9)
    };
    let out: Vec<Value> = windows
        .iter()
        .filter(|&&(a, b)| covered(a, b))
        .map(|&(a, b)| {
            let sel: Vec<&RateBin> = bins.iter().filter(|x| x.t_s > a + 1e-9 && x.t_s <= b + 1e-9).collect();
            let n = sel.len().max(1) as f64;
            json!({
                "window_s": [a, b],
                "e_hz": sel.iter().map(|x| x.e_hz).sum::<f64>() / n,
                "i_hz": sel.iter().map(|x| x.i_hz).sum::<f64>() / n,
            })
        })
        .collect();
    Value::Array(out)
}

/// One selectivity read-out as JSON, with the shapes' names.
pub fn selectivity_json(s: &Selectivity) -> Value {
    let names = crate::sim::shapes::SHAPE_NAMES;
    let by_shape = |v: &dyn Fn(usize) -> Value| -> serde_json::Map<String, Value> {
        names.iter().enumerate().take(s.cells.len()).map(|(k, n)| ((*n).to_string(), v(k))).collect()
    };
    json!({
        "window_s": [s.from_s, s.to_s],
        "threshold_hz": s.threshold_hz,
        "presentations": by_shape(&|k| json!(s.presentations[k])),
        "cells": by_shape(&|k| json!(s.cells[k].len())),
        "exclusive": by_shape(&|k| json!(s.exclusive[k])),
        "overlaps": s.overlaps.iter().map(|&(a, b, n)| json!({ "a": names[a], "b": names[b], "shared": n })).collect::<Vec<_>>(),
        "median_selectivity_index": s.median_si,
        "response_hz": s.response_hz,
    })
}
