//! What a cue did, shown the way `engram run` scores it (the one rule of
//! [`crate::sim::analysis::RecallCriteria`], applied by the simulation thread): a short-lived
//! banner over the rates plot and a cue log (cue, time, outcome, delay activity), exportable as
//! CSV.

use std::collections::VecDeque;
use std::fmt::Write as _;

use egui::{Align2, Color32, Rect, Stroke, vec2};

use crate::bridge::{CueReport, Frame};
use crate::sim::analysis::Outcome;

use super::AppState;

/// How long the banner stays [s of wall time].
pub const BANNER_S: f64 = 8.0;
/// Lines the cue log keeps (the oldest go first).
pub const MAX_LOG: usize = 1000;
/// Lines the log panel shows (newest first); the CSV has them all.
const SHOWN: usize = 8;

#[derive(Default)]
pub struct RecallState {
    /// Scored cues, oldest first.
    pub log: VecDeque<CueReport>,
    /// The newest scored cue and the UI time [s] its banner was first drawn.
    pub banner: Option<(CueReport, Option<f64>)>,
    /// Cues scored and cues that recalled an assembly since the start (the lesson counts them).
    pub cues: u64,
    pub recalls: u64,
}

impl RecallState {
    pub fn ingest(&mut self, frame: &Frame) {
        for r in &frame.cue_reports {
            self.cues += 1;
            if r.response.recalled.is_some() {
                self.recalls += 1;
            }
            if self.log.len() == MAX_LOG {
                self.log.pop_front();
            }
            self.log.push_back(r.clone());
            self.banner = Some((r.clone(), None));
        }
    }
}

/// The highest window rate among the assemblies other than `k` [Hz], with its name.
fn best_other(r: &CueReport, k: usize) -> Option<(String, f64)> {
    r.response
        .window_hz
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != k)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(j, &hz)| (r.name(j), hz))
}

/// The strongest assembly in the recall window, with its rate [Hz].
fn strongest(r: &CueReport) -> Option<(usize, f64)> {
    r.response.window_hz.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1))
}

fn delay_text(r: &CueReport) -> String {
    match r.response.delay_s {
        Some(d) if r.response.delay_censored => format!("≥ {d:.2} s"),
        Some(d) => format!("{d:.2} s"),
        None => "–".into(),
    }
}

/// One line on what a cue did: the outcome, the rates that decided it, the delay activity.
pub fn describe(r: &CueReport) -> String {
    let x = &r.response;
    let vs = |k: usize| match best_other(r, k) {
        Some((name, hz)) => format!("{:.1} Hz against {hz:.1} Hz for {name}, the next", x.window_hz[k]),
        None => format!("{:.1} Hz", x.window_hz[k]),
    };
    match x.outcome() {
        Outcome::Recalled(k) => {
            let wrong = match x.parent {
                Some(p) if p != k => format!(" (the cue came from {})", r.name(p)),
                _ => String::new(),
            };
            format!(
                "{}: recalled {}{wrong} — {} in the recall window; delay activity {}",
                x.name,
                r.name(k),
                vs(k),
                delay_text(r)
            )
        }
        Outcome::AlreadyActive(k) => format!(
            "{}: {} was already active before the cue ({:.1} Hz before, {:.1} Hz after) — not recalled by it",
            x.name,
            r.name(k),
            x.baseline_hz.get(k).copied().unwrap_or(0.0),
            x.window_hz[k]
        ),
        Outcome::Nothing => match strongest(r) {
            Some((k, hz)) => format!(
                "{}: nothing recalled — strongest {} at {hz:.1} Hz (needs > 10 Hz and twice every other)",
                x.name,
                r.name(k)
            ),
            None => format!("{}: nothing recalled", x.name),
        },
        Outcome::Incomplete => format!("{}: not scored — the next stimulus began within the recall window", x.name),
    }
}

/// Short outcome for the log: the assembly recalled, "none", "already active: X", "incomplete".
pub fn outcome_text(r: &CueReport) -> String {
    match r.response.outcome() {
        Outcome::Recalled(k) => r.name(k),
        Outcome::AlreadyActive(k) => format!("already active: {}", r.name(k)),
        Outcome::Nothing => "none".into(),
        Outcome::Incomplete => "incomplete".into(),
    }
}

/// The banner over the rates plot (`plot` is the plot's frame), for [`BANNER_S`] after it first
/// shows.
pub fn paint_banner(ui: &egui::Ui, plot: Rect, state: &mut RecallState) {
    let now = ui.input(|i| i.time);
    let Some((report, shown)) = &mut state.banner else { return };
    let t0 = *shown.get_or_insert(now);
    if now - t0 > BANNER_S {
        state.banner = None;
        return;
    }
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
    let (fill, text_colour) = match report.response.outcome() {
        Outcome::Recalled(k) => (super::rates::assembly_colour(k), Color32::BLACK),
        Outcome::AlreadyActive(_) => (ui.visuals().warn_fg_color, Color32::BLACK),
        Outcome::Nothing | Outcome::Incomplete => (ui.visuals().widgets.inactive.bg_fill, ui.visuals().text_color()),
    };
    let width = (plot.width() - 40.0).max(120.0);
    let text = describe(report);
    // An area (not bare paint) so the banner is a label screen readers and tests can find.
    egui::Area::new(egui::Id::unique("recall_banner"))
        .order(egui::Order::Foreground)
        .pivot(Align2::CENTER_TOP)
        .fixed_pos(plot.center_top() + vec2(0.0, 8.0))
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::new()
                .fill(fill)
                .stroke(Stroke::new(1.0, Color32::BLACK))
                .corner_radius(6.0)
                .inner_margin(egui::Margin::symmetric(8, 5))
                .show(ui, |ui| {
                    ui.set_max_width(width);
                    ui.add(egui::Label::new(egui::RichText::new(text).color(text_colour).strong()).wrap());
                });
        });
}

/// The cue log: the newest cues first, and its export.
pub fn show_log(ui: &mut egui::Ui, state: &mut AppState) {
    ui.horizontal(|ui| {
        ui.strong("Cue log").on_hover_text(
            "Every scored cue: when it was shown, which assembly it recalled (rule of docs/model.md §14.3: the \
             assembly's mean rate in [offset + 0.1 s, offset + 1 s) above 10 Hz, twice every other and twice its \
             own rate before the cue) and how long its delay activity lasted [s]",
        );
        let export = ui
            .add_enabled(!state.recall.log.is_empty(), egui::Button::new("Export CSV…"))
            .on_hover_text("Write every line of the cue log to a CSV file");
        if export.clicked() {
            let choice = super::dialog::FileChoice::Export(super::export::ExportChoice::CueLogCsv);
            super::dialog::ask(state, &choice);
        }
    });
    let log = &state.recall.log;
    if log.is_empty() {
        ui.small("No cue scored yet: present a cue once assemblies have formed.");
        return;
    }
    egui::Grid::new("cue_log").num_columns(4).striped(true).show(ui, |ui| {
        ui.small("t [s]");
        ui.small("cue");
        ui.small("recalled");
        ui.small("delay");
        ui.end_row();
        for r in log.iter().rev().take(SHOWN) {
            ui.small(format!("{:.1}", r.response.onset_s));
            ui.small(&r.response.name);
            ui.small(outcome_text(r)).on_hover_text(describe(r));
            ui.small(delay_text(r));
            ui.end_row();
        }
    });
    if log.len() > SHOWN {
        ui.small(format!("{} more in the CSV export", log.len() - SHOWN));
    }
}

/// The cue log as CSV: `onset_s,offset_s,cue,parent,outcome,recalled,recalled_hz,best_other,
/// best_other_hz,baseline_hz,delay_s,delay_censored` (rates in the recall window [Hz]; the
/// baseline is the recalled, or already active, assembly's rate in the second before the cue).
pub fn log_csv<'a>(log: impl IntoIterator<Item = &'a CueReport>) -> String {
    let mut s = String::from(
        "onset_s,offset_s,cue,parent,outcome,recalled,recalled_hz,best_other,best_other_hz,baseline_hz,delay_s,\
         delay_censored\n",
    );
    for r in log {
        let x = &r.response;
        let (outcome, k) = match x.outcome() {
            Outcome::Recalled(k) => ("recalled", Some(k)),
            Outcome::AlreadyActive(k) => ("already_active", Some(k)),
            Outcome::Nothing => ("none", None),
            Outcome::Incomplete => ("incomplete", None),
        };
        let k_or_best = k.or_else(|| strongest(r).map(|(k, _)| k));
        let hz = |k: Option<usize>, v: &[f64]| k.and_then(|k| v.get(k)).map_or(String::new(), |h| format!("{h:.3}"));
        let other = k_or_best.and_then(|k| best_other(r, k));
        // Writing to a String cannot fail.
        let _ = writeln!(
            s,
            "{:.4},{:.4},{},{},{outcome},{},{},{},{},{},{},{}",
            x.onset_s,
            x.offset_s,
            csv_field(&x.name),
            x.parent.map_or("none".into(), |p| csv_field(&r.name(p))),
            k.map_or("none".into(), |k| csv_field(&r.name(k))),
            hz(k_or_best, &x.window_hz),
            other.as_ref().map_or(String::new(), |(n, _)| csv_field(n)),
            other.map_or(String::new(), |(_, h)| format!("{h:.3}")),
            hz(k_or_best, &x.baseline_hz),
            x.delay_s.map_or(String::new(), |d| format!("{d:.3}")),
            u8::from(x.delay_censored),
        );
    }
    s
}

/// A name as one CSV field (names come from files: quote commas, quotes and line breaks).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
