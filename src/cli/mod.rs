//! Headless command-line front end: `engram run` and `engram bench`, and around them `sweep`
//! (many runs from one spec) and `report` (their summaries as one table). Thin: argument
//! parsing, progress, and writing results; all modelling is in [`crate::sim`], all formats in
//! [`crate::io`].

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::error::{Error, Result};
use crate::io::{atomic, pat, preset, ras, snapshot, weights};
use crate::sim::analysis::RecallCriteria;
use crate::sim::connectivity::{Plasticity, Projection};
use crate::sim::monitor;
use crate::sim::network::Network;
use crate::sim::params::{DT_MS, Params, PhaseName};
use crate::sim::pattern::Pattern;
use crate::sim::session::{Session, SessionOptions};
use crate::sim::{ProjectionId, ablation};

mod bench;
mod figures;
mod outputs;
mod report;
mod sweep;

#[derive(Parser, Debug)]
#[command(name = "engram", version, about = "Watch memories form in a spiking neural network (Zenke et al. 2015)")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand: open the live window.
    #[command(flatten)]
    pub gui: GuiArgs,
}

/// Options of the window (used when no subcommand is given).
#[derive(Args, Debug)]
pub struct GuiArgs {
    /// Built-in preset name or path to a preset TOML file.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Seed (overrides the preset's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Save a PNG screenshot of the window (after --quit-after seconds, default 5) and quit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Close the window after this many seconds of wall time.
    #[arg(long, allow_negative_numbers = true)]
    pub quit_after: Option<f64>,
    /// Compute threads (1–64; default: one per core but one, left for drawing).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Switch mechanisms off: comma-separated list of hetero, transmitter, consolidation,
    /// inhibitory, stdp, stp, plasticity.
    #[arg(long, value_name = "LIST")]
    pub ablate: Option<String>,
    /// Open the window on a saved network state (e.g. one cached by `engram train`) with the
    /// assemblies it carries; its parameters and seed come from the file. A file that cannot
    /// be read is reported in the window, which then starts a fresh network.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "seed"])]
    pub load: Option<PathBuf>,
    /// Open this lesson (TOML, see assets/lessons/) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub lesson: Option<PathBuf>,
    /// Keep the whole state in memory every this many model seconds for the History timeline
    /// (0: no history).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::bridge::DEFAULT_HISTORY_EVERY_S, allow_negative_numbers = true)]
    pub history_every: f64,
    /// Memory the History timeline may take for its compressed states [MiB]; old entries thin
    /// out to stay within it.
    #[arg(long, value_name = "MIB", default_value_t = crate::bridge::DEFAULT_HISTORY_CAP_BYTES >> 20)]
    pub history_mb: usize,
}

#[derive(Subcommand, Debug)]
#[expect(clippy::large_enum_variant, reason = "parsed once per process; boxing would only complicate clap")]
pub enum Command {
    /// Run the network headless and write rates, a summary and weight matrices.
    Run(RunArgs),
    /// Time the full-size network and print one JSON line.
    Bench(BenchArgs),
    /// Run phase 1 of a preset and seed and cache the trained network (with its assemblies)
    /// for the window's Trained network and `--load`; a valid cached one is reused.
    Train(TrainArgs),
    /// Draw PNG figures from the output directory of `run`.
    Figures(figures::FiguresArgs),
    /// List the built-in presets.
    Presets,
    /// Expand a spec (presets × variants × seeds) into runs; run them here or emit them for
    /// Slurm or GNU parallel.
    Sweep(sweep::SweepArgs),
    /// Gather the summaries of run or sweep directories into one table (Markdown, CSV).
    Report(report::ReportArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Built-in preset name or path to a preset TOML file.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Model seconds to run (per phase); default: the phase length from the preset.
    #[arg(long, allow_negative_numbers = true)]
    pub seconds: Option<f64>,
    /// Protocol phases to run: init, learn, recall, a comma-separated list of them (e.g.
    /// `init,recall`), or all; in the given order, state carried over.
    /// Default: init; with --load, the phase the snapshot was in continues (not restarted).
    #[arg(long)]
    pub phase: Option<String>,
    /// Seed (overrides the preset's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Compute threads (1–64; default: one per core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory (created if missing).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Also write the E spike raster as `e.ras` (`time neuron` per line).
    #[arg(long)]
    pub spikes: bool,
    /// Switch mechanisms off: comma-separated list of hetero, transmitter, consolidation,
    /// inhibitory, stdp, stp, plasticity (the paper's controls).
    #[arg(long, value_name = "LIST")]
    pub ablate: Option<String>,
    /// Set a preset field, e.g. `--set plasticity.beta=0.04` or, on a loaded snapshot,
    /// `--set protocol.recall.patterns=shapes` (complete shapes as cues); repeatable. Applied
    /// after building or loading, before `--ablate`; the network's structure cannot change.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Recall criterion: an assembly must exceed this rate in the recall window [Hz].
    #[arg(long, default_value_t = 10.0)]
    pub recall_min_hz: f64,
    /// Recall criterion: with other assemblies active, the recalled one must exceed each of them
    /// by this factor.
    #[arg(long, default_value_t = 2.0)]
    pub recall_ratio: f64,
    /// Recall criterion: the recalled assembly must exceed its own rate in the second before
    /// the cue by this factor (0: no baseline check).
    #[arg(long, default_value_t = 2.0)]
    pub recall_baseline_ratio: f64,
    /// Interval of the assembly weight structure in weight_structure.csv [model s].
    #[arg(long, default_value_t = 60.0)]
    pub weight_every: f64,
    /// Resume from a network-state snapshot (its parameters and seed) instead of building a
    /// fresh network.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "seed"])]
    pub load: Option<PathBuf>,
    /// Save the network state to a snapshot file at the end of the run.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Replace the E→E weights w by a MatrixMarket file (row = pre, column = post, 1-based) with
    /// exactly this network's synapses, e.g. `weights_ee.mtx` of an earlier run with the same
    /// preset and seed; applied after building or loading the network.
    #[arg(long, value_name = "FILE")]
    pub import_ee: Option<PathBuf>,
    /// Replace the Input→E weights w likewise (e.g. `weights_input_e.mtx`).
    #[arg(long, value_name = "FILE")]
    pub import_input_e: Option<PathBuf>,
    /// Assemblies to score recall with (a `.pat` file of E neurons, e.g. `assemblies.pat` of
    /// an earlier run), instead of those derived in this run or carried by the snapshot.
    #[arg(long, value_name = "FILE.pat")]
    pub assemblies: Option<PathBuf>,
    /// Window of model time `A,B` [s] over which summary.json reads out the shapes'
    /// selectivity (presentations with onset in [A, B)); default: the last 400 s of the init
    /// phase when the run includes it or continues it (from a snapshot) to its end.
    #[arg(long, value_name = "A,B")]
    pub selectivity_window: Option<String>,
    /// Length of the windows of the selectivity time course in summary.json [model s].
    #[arg(long, default_value_t = 200.0)]
    pub time_course: f64,
}

impl Default for RunArgs {
    fn default() -> Self {
        RunArgs {
            preset: "default".into(),
            seconds: None,
            phase: None,
            seed: None,
            threads: None,
            out: "out".into(),
            spikes: false,
            ablate: None,
            set: Vec::new(),
            recall_min_hz: 10.0,
            recall_ratio: 2.0,
            recall_baseline_ratio: 2.0,
            weight_every: 60.0,
            load: None,
            save: None,
            import_ee: None,
            import_input_e: None,
            assemblies: None,
            selectivity_window: None,
            time_course: 200.0,
        }
    }
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Built-in preset name or path to a preset TOML file.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Model seconds to time.
    #[arg(long, default_value_t = 30.0, allow_negative_numbers = true)]
    pub seconds: f64,
    /// Compute threads (1–64; default: one per core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Scale the E and I populations by this factor at the same connection probabilities
    /// (recurrent synapses grow with its square), keeping the 64×64 input and its stimuli.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Also run a fork (an unchanged copy of the network) beside it, stepped in the same 5 ms
    /// chunks on the same threads as the window runs one; the real-time factor is then that of
    /// the pair.
    #[arg(long)]
    pub fork: bool,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Built-in preset name or path to a preset TOML file.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Seed (overrides the preset's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Compute threads (1–64; default: one per core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs a parsed command line. Errors are returned for the caller to print once.
pub fn main_with(cli: Cli) -> Result<()> {
    match cli.command {
        None => {
            let g = cli.gui;
            if let Some(s) = g.quit_after {
                check_seconds(s)?;
            }
            if !(g.history_every.is_finite() && (0.0..=1e6).contains(&g.history_every)) {
                return Err(Error::Invalid(format!(
                    "--history-every {}: expected model seconds from 0 (no history) to 1e6",
                    g.history_every
                )));
            }
            if g.history_mb > 1 << 20 {
                return Err(Error::Invalid(format!("--history-mb {}: expected at most 1048576 MiB", g.history_mb)));
            }
            let (start, notice) = gui_start(&g)?;
            crate::app::run_gui(
                start,
                crate::app::GuiOptions {
                    screenshot: g.screenshot,
                    quit_after_s: g.quit_after,
                    threads: match g.threads {
                        Some(_) => threads(g.threads)?,
                        // Drawing needs a core of its own (with software rendering, more).
                        None => (threads(None)? - 1).max(1),
                    },
                    train_threads: threads(None)?,
                    cache_dir: None,
                    notice,
                    history: Some((g.history_every, g.history_mb << 20)),
                },
                g.lesson,
            )
        }
        Some(Command::Run(a)) => run(&a).map(|_| ()),
        Some(Command::Bench(a)) => bench::bench(&a),
        Some(Command::Train(a)) => train(&a),
        Some(Command::Figures(a)) => figures::figures(&a),
        Some(Command::Sweep(a)) => sweep::sweep(&a),
        Some(Command::Report(a)) => report::report(&a),
        Some(Command::Presets) => {
            for (name, text) in preset::BUILTIN {
                let p = preset::parse_preset(text, name)?;
                println!("{name:10} {}", p.description);
            }
            Ok(())
        }
    }
}

/// What the window starts from: the snapshot of `--load` (with `--ablate` applied), or a fresh
/// network from `--preset` and `--seed`. A snapshot that cannot be read is not fatal: the
/// window opens on a fresh network and shows why (the notice).
fn gui_start(g: &GuiArgs) -> Result<(crate::app::Start, Option<String>)> {
    let ablate = |p: &mut Params| match &g.ablate {
        Some(list) => ablation::ablate_list(&mut p.mechanisms, list),
        None => Ok(()),
    };
    if let Some(path) = &g.load {
        match snapshot::load_with_extras(path) {
            Ok((mut net, extras)) => {
                if g.ablate.is_some() {
                    let mut p = net.params().clone();
                    ablate(&mut p)?;
                    net.set_params(p)?;
                }
                return Ok((crate::app::Start::Loaded { net: Box::new(net), extras, path: path.clone() }, None));
            }
            Err(e) => {
                let mut params = load(&g.preset, g.seed)?;
                ablate(&mut params)?;
                let notice = format!("cannot open {}: {e} — started a fresh network instead", path.display());
                eprintln!("engram: {notice}");
                return Ok((crate::app::Start::Fresh(params), Some(notice)));
            }
        }
    }
    let mut params = load(&g.preset, g.seed)?;
    ablate(&mut params)?;
    Ok((crate::app::Start::Fresh(params), None))
}

/// The thread count: the flag's value if given (1–64), else one per core.
fn threads(flag: Option<usize>) -> Result<usize> {
    match flag {
        Some(t) if !(1..=64).contains(&t) => Err(Error::Invalid(format!("--threads {t}: expected 1 to 64"))),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get().min(64))),
    }
}

fn check_seconds(s: f64) -> Result<()> {
    if !s.is_finite() || s < 0.0 {
        return Err(Error::Invalid(format!("{s} seconds: must be a finite number ≥ 0")));
    }
    Ok(())
}

/// Progress on stderr (indicatif; drawn only when stderr is a terminal): model seconds done,
/// speed and the ETA of the whole plan.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix:6} [{bar:30}] {msg} ETA {eta}")
                .expect("the template is valid")
                .progress_chars("#>-"),
        );
        Progress { bar }
    }

    /// `done_s`, `total_s`: model seconds [s]; `started`: when the plan started.
    fn show(&mut self, label: &str, done_s: f64, total_s: f64, started: Instant) {
        // Milliseconds of model time as the bar's unit, so the ETA follows model time.
        self.bar.set_length((total_s * 1e3) as u64);
        self.bar.set_position((done_s * 1e3) as u64);
        self.bar.set_prefix(label.to_string());
        let rtf = done_s / started.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_message(format!("{done_s:8.1}/{total_s:.1} s model, {rtf:5.2}× real time"));
    }

    fn finish(&self) {
        self.bar.finish();
    }
}

/// `engram train`: the cached trained network of a preset and seed, trained if missing or
/// stale; prints the path of the cache entry.
pub fn train(a: &TrainArgs) -> Result<()> {
    let threads = threads(a.threads)?;
    let params = load(&a.preset, a.seed)?;
    let dir = crate::io::cache::cache_dir()?;
    let mut progress = Progress::new();
    let started = Instant::now();
    let got = crate::io::cache::train_cached(&dir, &params, threads, |done_s, total_s| {
        progress.show("init", done_s, total_s, started);
        true
    })?;
    progress.finish();
    // The callback never stops training, so there is always a result.
    let Some((path, source)) = got else { return Err(Error::Invalid("training stopped".into())) };
    match source {
        crate::io::cache::Source::Cached => eprintln!("engram: cached trained network is valid"),
        crate::io::cache::Source::Trained => {
            eprintln!("engram: trained phase 1 in {:.1} s of wall time", started.elapsed().as_secs_f64());
        }
        crate::io::cache::Source::Rebuilt(why) => eprintln!(
            "engram: cache entry rebuilt ({why}); trained phase 1 in {:.1} s of wall time",
            started.elapsed().as_secs_f64()
        ),
    }
    println!("{}", path.display());
    Ok(())
}

/// What `run` measured, also returned to tests.
pub struct RunReport {
    pub summary: serde_json::Value,
    pub hash: u64,
}

fn load(preset_arg: &str, seed: Option<u64>) -> Result<Params> {
    let mut params = preset::load_preset(preset_arg)?;
    if let Some(s) = seed {
        params.seed = s;
    }
    Ok(params)
}

/// Windows of model time [s] whose mean E and I rates summary.json reports: the start, the
/// first minute, and late stretches of a 1800 s phase.
const RATE_WINDOWS_S: [(f64, f64); 4] = [(0.0, 10.0), (10.0, 60.0), (300.0, 600.0), (1500.0, 1800.0)];

/// One phase of a `run`: the phase to start (None: continue the snapshot's schedule), its
/// label, and its length [s].
struct PhaseRun {
    start: Option<PhaseName>,
    label: &'static str,
    seconds: f64,
}

/// The phases `run` goes through, from `--phase`, `--seconds` and (with `--load`) where the
/// snapshot's schedule stands.
fn phase_plan(a: &RunArgs, net: &Network) -> Result<Vec<PhaseRun>> {
    let params = net.params();
    if a.phase.is_none() && a.load.is_some() {
        let seconds = match (a.seconds, net.phase()) {
            (Some(s), _) => s,
            (None, Some((name, t0))) => {
                let elapsed = (net.t() - t0) as f64 * DT_MS * 1e-3;
                (params.protocol.phase(name).duration_s - elapsed).max(0.0)
            }
            (None, None) => {
                return Err(Error::Invalid("the snapshot runs no protocol phase: give --seconds or --phase".into()));
            }
        };
        let label = net.phase().map_or("free", |(name, _)| name.as_str());
        return Ok(vec![PhaseRun { start: None, label, seconds }]);
    }
    let p = a.phase.as_deref().unwrap_or("init");
    let phases = match p {
        "all" => PhaseName::ALL.to_vec(),
        p => p
            .split(',')
            .map(|name| {
                PhaseName::parse(name.trim()).ok_or_else(|| {
                    Error::Invalid(format!(
                        "--phase {p}: expected init, learn, recall, a comma-separated list of them, or all"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(phases
        .into_iter()
        .map(|ph| PhaseRun {
            start: Some(ph),
            label: ph.as_str(),
            seconds: a.seconds.unwrap_or(params.protocol.phase(ph).duration_s),
        })
        .collect())
}

/// The network `run` starts from: built from the preset, or loaded from a snapshot (with the
/// assemblies it carries); then weight imports and ablations.
fn open_network(a: &RunArgs) -> Result<(Network, Option<Vec<Pattern>>)> {
    let (mut net, mut assemblies) = match &a.load {
        Some(path) => {
            let (net, extras) = snapshot::load_with_extras(path)?;
            (net, extras.assemblies)
        }
        None => (Network::new(load(&a.preset, a.seed)?)?, None),
    };
    if let Some(path) = &a.assemblies {
        assemblies = Some(pat::read_pat(path, net.e().len())?);
    }
    for (which, file) in [(ProjectionId::Ee, &a.import_ee), (ProjectionId::InputE, &a.import_input_e)] {
        if let Some(path) = file {
            weights::import_weights(&mut net, which, path)?;
        }
    }
    if !a.set.is_empty() {
        let set = a.set.iter().map(|t| preset::parse_assignment(t)).collect::<Result<Vec<_>>>()?;
        let list: Vec<(&str, toml::Value)> = set.iter().map(|(f, v)| (f.as_str(), v.clone())).collect();
        let p = preset::with_overrides(net.params(), &list)
            .map_err(|(k, msg)| Error::Invalid(format!("--set {}: {msg}", a.set[k])))?;
        net.set_params(p)?;
    }
    if let Some(list) = &a.ablate {
        let mut p = net.params().clone();
        ablation::ablate_list(&mut p.mechanisms, list)?;
        net.set_params(p)?;
    }
    Ok((net, assemblies))
}

/// The selectivity window of `--selectivity-window A,B`, or by default the last 400 s of the
/// init phase if the plan runs it or continues it to its end (or None).
fn selectivity_window(a: &RunArgs, plan: &[PhaseRun], net: &Network) -> Result<Option<(f64, f64)>> {
    if let Some(text) = &a.selectivity_window {
        let bad =
            || Error::Invalid(format!("--selectivity-window {text}: expected A,B with 0 ≤ A < B (model seconds)"));
        let (x, y) = text.split_once(',').ok_or_else(bad)?;
        let (x, y): (f64, f64) = (x.trim().parse().map_err(|_| bad())?, y.trim().parse().map_err(|_| bad())?);
        if !(x.is_finite() && y.is_finite() && 0.0 <= x && x < y) {
            return Err(bad());
        }
        return Ok(Some((x, y)));
    }
    let mut t = net.time_s();
    for p in plan {
        // The last 400 s of an init phase that the run starts, or continues (from a snapshot
        // taken within it) to its end.
        let end = match (p.start, net.phase()) {
            (Some(PhaseName::Init), _) => Some(t + p.seconds),
            (None, Some((PhaseName::Init, t0))) => {
                let end = t0 as f64 * DT_MS * 1e-3 + net.params().protocol.init.duration_s;
                (end <= t + p.seconds + 1e-9).then_some(end)
            }
            _ => None,
        };
        if let Some(end) = end {
            return Ok(Some(((end - 400.0).max(t), end)));
        }
        t += p.seconds;
    }
    Ok(None)
}

/// `engram run`.
pub fn run(a: &RunArgs) -> Result<RunReport> {
    let threads = threads(a.threads)?;
    if let Some(s) = a.seconds {
        check_seconds(s)?;
    }
    for (name, v) in [
        ("--recall-min-hz", a.recall_min_hz),
        ("--recall-ratio", a.recall_ratio),
        ("--recall-baseline-ratio", a.recall_baseline_ratio),
        ("--weight-every", a.weight_every),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err(Error::Invalid(format!("{name} {v}: must be a finite number ≥ 0")));
        }
    }
    if !(a.time_course.is_finite() && a.time_course > 0.0) {
        return Err(Error::Invalid(format!("--time-course {}: must be a finite number > 0", a.time_course)));
    }
    let (mut net, assemblies) = open_network(a)?;
    let plan = phase_plan(a, &net)?;
    let window = selectivity_window(a, &plan, &net)?;
    fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    net.set_threads(threads)?;
    let criteria = RecallCriteria {
        min_rate_hz: a.recall_min_hz,
        ratio: a.recall_ratio,
        baseline_ratio: a.recall_baseline_ratio,
        ..Default::default()
    };
    let opts = SessionOptions {
        criteria,
        weight_every_s: a.weight_every,
        selectivity_window: window,
        time_course_s: Some(a.time_course),
        ..Default::default()
    };
    let mut session = Session::new(net, opts);
    if let Some(asm) = assemblies {
        session.restore_assemblies(asm);
    }
    let start_s = session.net().time_s();
    let total_s: f64 = plan.iter().map(|p| p.seconds).sum();

    let mut raster = if a.spikes {
        let path = a.out.join("e.ras");
        let f = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        Some((ras::RasWriter::new(std::io::BufWriter::new(f)), path))
    } else {
        None
    };
    let mut progress = Progress::new();
    let started = Instant::now();
    let mut done_s = 0.0;
    let mut raster_err = None;
    for phase in &plan {
        if let Some(name) = phase.start {
            session.start_phase(Some(name));
        }
        if session.net().phase().is_some_and(|(name, _)| name == PhaseName::Recall) && session.recorder().is_none() {
            eprintln!(
                "note: no assemblies known at the start of the recall phase (run --phase all): recall.csv is not written"
            );
        }
        let mut left = (phase.seconds * 1e3 / DT_MS).round() as u64;
        while left > 0 {
            let n = left.min(10_000);
            session.run(n, |net| {
                if let Some((w, _)) = raster.as_mut() {
                    let t = net.time_s();
                    for &k in &net.e().spikes {
                        if let Err(e) = w.push(t, k) {
                            raster_err.get_or_insert(e);
                        }
                    }
                }
            });
            left -= n;
            done_s += n as f64 * DT_MS * 1e-3;
            progress.show(phase.label, done_s, total_s, started);
        }
        session.end_phase();
    }
    session.finish_recall();
    progress.finish();
    let wall = started.elapsed().as_secs_f64();
    if let Some((w, path)) = raster {
        if let Some(e) = raster_err {
            return Err(Error::io(&path, e));
        }
        let mut inner = w.finish().map_err(|e| Error::io(&path, e))?;
        inner.flush().map_err(|e| Error::io(&path, e))?;
    }
    let labels: Vec<&str> = plan.iter().map(|p| p.label).collect();
    write_run_outputs(a, &session, &labels, (start_s, wall, threads))
}

/// Writes every output file of `run` and returns its summary.
fn write_run_outputs(
    a: &RunArgs,
    session: &Session,
    phases: &[&str],
    (start_s, wall, threads): (f64, f64, usize),
) -> Result<RunReport> {
    let net = session.net();
    let params = net.params();
    let bins = session.bins();
    crate::io::rates::save_rates_csv(&a.out.join("rates.csv"), bins)?;
    outputs::write_stimuli_csv(&a.out.join("stimuli.csv"), session.stimuli())?;
    let mut ws_csv = String::from(outputs::WEIGHT_STRUCTURE_HEADER);
    for ws in session.weight_samples() {
        outputs::weight_structure_rows(&mut ws_csv, ws);
    }
    atomic::atomic_write(&a.out.join("weight_structure.csv"), |w| w.write_all(ws_csv.as_bytes()))?;
    let recall = match session.recorder() {
        Some(r) => {
            outputs::write_recall_csv(&a.out.join("recall.csv"), r.assembly_names(), &r.responses)?;
            outputs::recall_summary(r.criteria(), r.assembly_names(), &r.responses)
        }
        None => serde_json::Value::Null,
    };
    let assemblies = session.assemblies();
    let (assemblies_json, overlaps_json) = outputs::assemblies_json(&assemblies);
    if !assemblies.is_empty() {
        pat::write_pat(&a.out.join("assemblies.pat"), &assemblies)?;
    }
    save_weights(&a.out, net)?;
    if let Some(path) = &a.save {
        let extras = snapshot::Extras { assemblies: session.frozen_assemblies().map(|a| a.to_vec()) };
        snapshot::save_state(path, &net.state(), &extras)?;
    }
    let sim_s = net.time_s();
    let (e_all, i_all) = monitor::mean_rates_since(bins, 0.0);
    let (e_last, i_last) = monitor::mean_rates_since(bins, (sim_s - 10.0).max(0.0));
    let c = net.counts();
    let mean_weight: serde_json::Map<String, serde_json::Value> = net
        .projections()
        .iter()
        .filter(|(id, _)| id.plasticity() != Plasticity::Static)
        .flat_map(|(id, p)| {
            let mut kv = vec![(id.stem().to_string(), json!(Projection::mean(&p.w)))];
            if id.consolidates() {
                kv.push((format!("{}_tilde", id.stem()), json!(Projection::mean(&p.w_tilde))));
            }
            kv
        })
        .collect();
    let summary = json!({
        "preset": params.name,
        "seed": params.seed,
        "phases": phases,
        "sim_seconds": sim_s - start_s,
        "start_seconds": start_s,
        "loaded_from": a.load.as_ref().map(|p| p.display().to_string()),
        "wall_seconds": wall,
        "realtime_factor": (sim_s - start_s) / wall.max(1e-9),
        "threads": threads,
        "rate_e_hz": { "all": e_all, "last_10s": e_last },
        "rate_i_hz": { "all": i_all, "last_10s": i_last },
        "synapses": synapse_counts(net),
        "spikes": { "e": c.e, "i": c.i, "input": c.input },
        "mean_weight": mean_weight,
        "spike_hash": format!("{:016x}", session.spike_hash()),
        "ablations": a.ablate.as_deref().map(|l| l.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>()),
        "mechanisms": serde_json::to_value(&params.mechanisms).map_err(|e| Error::Invalid(e.to_string()))?,
        "assemblies": assemblies_json,
        "assembly_overlaps": overlaps_json,
        "assembly_presentations": session.tracker().presentations(),
        "weight_structure_end_of_init": session.end_of_init().map(outputs::weight_structure_json),
        "recall": recall,
        "rates_in_windows": outputs::rates_in_windows(bins, &RATE_WINDOWS_S),
        "selectivity": session.selectivity().map(|s| outputs::selectivity_json(&s)),
        "selectivity_time_course": session.time_course().iter().map(outputs::selectivity_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::Invalid(e.to_string()))?;
    atomic::atomic_write(&a.out.join("summary.json"), |w| w.write_all(text.as_bytes()))?;
    Ok(RunReport { summary, hash: session.spike_hash() })
}

fn synapse_counts(net: &Network) -> serde_json::Value {
    net.projections().iter().map(|(id, p)| (id.stem().to_string(), json!(p.len()))).collect()
}

/// Writes w and w̃ of the two plastic excitatory projections (companion file for w̃).
fn save_weights(dir: &Path, net: &Network) -> Result<()> {
    for which in ProjectionId::EXCITATORY {
        weights::save_weights(&dir.join(which.weights_file()), net, which)?;
    }
    Ok(())
}
