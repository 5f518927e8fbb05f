//! The egui presentation: reads frames and snapshots, sends commands, never touches the
//! network. One panel per file; each owns its slice of [`AppState`].
//!
//! Panels never talk to the simulation directly: they push [`Command`]s into
//! `AppState::outbox`, which the app forwards to the simulation thread after the frame. This
//! keeps every widget testable without a thread (egui_kittest tests read the outbox).

pub mod colormap;
pub mod controls;
pub mod dialog;
pub mod explain;
pub mod export;
pub mod fork;
pub mod gallery;
pub mod history;
pub mod input_view;
pub mod inspector;
pub mod lesson;
pub mod raster;
pub mod rates;
pub mod recall_view;
pub mod state;
pub mod status_bar;
pub mod training;
pub mod view;
pub mod weights;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use state::AppState;

use crate::bridge::train::{TrainOutcome, Trainer};
use crate::bridge::{BridgeOptions, Command, Level, SimHandle};
use crate::io::cache::Source;
use crate::io::snapshot::Extras;
use crate::sim::{Network, Params};

/// How long a frame may spend draining the stream (the UI never waits for the simulation).
const DRAIN_BUDGET: Duration = Duration::from_millis(10);

/// Options from the command line.
#[derive(Clone, Debug, Default)]
pub struct GuiOptions {
    /// Save a PNG of the window after `quit_after_s` (or after the first frames) and quit.
    pub screenshot: Option<std::path::PathBuf>,
    /// Close the window after this many seconds.
    pub quit_after_s: Option<f64>,
    /// Compute threads of the simulation.
    pub threads: usize,
    /// Compute threads of training (the simulation pauses meanwhile); 0: one per core.
    pub train_threads: usize,
    /// Where trained networks are cached; None: [`crate::io::cache::cache_dir`].
    pub cache_dir: Option<std::path::PathBuf>,
    /// An error to show at start (e.g. a `--load` file that could not be read).
    pub notice: Option<String>,
    /// Model time between history entries [s] (0: no history) and the memory they may take
    /// [bytes]; None: the defaults of [`BridgeOptions`].
    pub history: Option<(f64, usize)>,
}

/// What the window starts from.
#[expect(clippy::large_enum_variant, reason = "made once per window; boxing the parameters would only add noise")]
pub enum Start {
    /// A fresh network built from these parameters.
    Fresh(Params),
    /// A network loaded from a snapshot (`engram --load FILE`), with its extras.
    Loaded { net: Box<Network>, extras: Extras, path: std::path::PathBuf },
}

/// The application: the simulation handle plus the UI state.
pub struct EngramApp {
    pub state: AppState,
    sim: Option<SimHandle>,
    opts: GuiOptions,
    /// How simulation threads are started (also on restart).
    bridge: BridgeOptions,
    started: Instant,
    screenshot_requested: bool,
    screenshot_done: Arc<std::sync::atomic::AtomicBool>,
    /// UI frames drawn since start (reported on exit).
    frames_drawn: u64,
    /// The training thread, while it runs, and whether the simulation ran before it started.
    trainer: Option<(Trainer, bool)>,
    /// Wall time from start to the first frame showing four assemblies with weights [s]
    /// (reported once on stderr, for measurements).
    four_assemblies_s: Option<f64>,
}

impl EngramApp {
    /// Starts the simulation thread on `params`.
    pub fn new(params: Params, opts: GuiOptions) -> Self {
        Self::start(Start::Fresh(params), opts)
    }

    /// Starts the simulation thread on a fresh or a loaded network.
    pub fn start(start: Start, opts: GuiOptions) -> Self {
        let mut bridge = BridgeOptions { threads: opts.threads, nice: 10, ..BridgeOptions::default() };
        if let Some((every_s, cap)) = opts.history {
            (bridge.history_every_s, bridge.history_cap_bytes) = (every_s, cap);
        }
        Self::start_with_bridge(start, opts, bridge)
    }

    /// [`EngramApp::new`] with explicit bridge options (tests use small, quiet ones).
    pub fn with_bridge(params: Params, opts: GuiOptions, bridge: BridgeOptions) -> Self {
        Self::start_with_bridge(Start::Fresh(params), opts, bridge)
    }

    /// [`EngramApp::start`] with explicit bridge options.
    pub fn start_with_bridge(start: Start, opts: GuiOptions, bridge: BridgeOptions) -> Self {
        let params = match &start {
            Start::Fresh(p) => p.clone(),
            Start::Loaded { net, .. } => net.params().clone(),
        };
        let mut app = EngramApp {
            state: AppState::new(&params),
            sim: None,
            opts,
            bridge,
            started: Instant::now(),
            screenshot_requested: false,
            screenshot_done: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            frames_drawn: 0,
            trainer: None,
            four_assemblies_s: None,
        };
        if let Some(n) = app.opts.notice.clone() {
            app.state.set_ui_message(Level::Error, n);
        }
        match start {
            Start::Fresh(p) => app.start_sim(p),
            Start::Loaded { net, extras, path } => {
                let t = net.time_s();
                match SimHandle::spawn_loaded(*net, extras, app.bridge.clone()) {
                    Ok(h) => {
                        app.sim = Some(h);
                        app.state.set_ui_message(Level::Info, format!("opened {} (t = {t:.1} s)", path.display()));
                    }
                    Err(e) => {
                        app.state.set_error(format!("cannot start the simulation: {e}"));
                        app.state.sim_stopped = true;
                    }
                }
            }
        }
        app
    }

    /// Starts a simulation thread on a fresh network; a failure to start is shown, not fatal.
    fn start_sim(&mut self, params: Params) {
        match SimHandle::spawn(params, self.bridge.clone()) {
            Ok(h) => self.sim = Some(h),
            Err(e) => {
                self.state.set_error(format!("cannot start the simulation: {e}"));
                self.state.sim_stopped = true;
            }
        }
    }

    /// Starts the training thread for the parameters and seed in force (asked for by the
    /// toolbar, a key or the lesson); the simulation pauses meanwhile, so training has every
    /// core.
    fn start_training(&mut self) {
        if self.trainer.is_some() {
            return;
        }
        let params = (*self.state.controls.current).clone();
        let dir = match self.opts.cache_dir.clone().map_or_else(crate::io::cache::cache_dir, Ok) {
            Ok(d) => d,
            Err(e) => {
                self.state.set_ui_message(Level::Error, format!("no trained network: {e}"));
                return;
            }
        };
        let threads = match self.opts.train_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(64)),
            t => t,
        };
        let what = format!("preset {}, seed {}", params.name, params.seed);
        let total_s = params.protocol.init.duration_s;
        match Trainer::spawn(params, threads, dir) {
            Ok(t) => {
                let was_running = self.state.controls.running;
                if was_running {
                    self.state.controls.running = false;
                    self.state.send(Command::Pause);
                }
                self.trainer = Some((t, was_running));
                self.state.training.progress =
                    Some(training::TrainingProgress { what, done_s: 0.0, total_s, started: Instant::now() });
            }
            Err(e) => self.state.set_ui_message(Level::Error, format!("no trained network: {e}")),
        }
    }

    /// Follows the training thread: progress, cancel, and at the end loading its network.
    fn follow_training(&mut self) {
        if std::mem::take(&mut self.state.training.requested) {
            self.start_training();
        }
        let Some((trainer, was_running)) = &mut self.trainer else {
            self.state.training.cancel_requested = false;
            return;
        };
        if std::mem::take(&mut self.state.training.cancel_requested) {
            trainer.cancel();
        }
        let (done_s, total_s) = trainer.progress();
        if let Some(p) = &mut self.state.training.progress {
            (p.done_s, p.total_s) = (done_s, total_s);
        }
        let outcome = match trainer.poll() {
            Some(o) => o,
            None if trainer.is_alive() => return,
            None => TrainOutcome::Failed(crate::Error::Invalid("the training thread stopped unexpectedly".into())),
        };
        let resume = *was_running;
        let what = self.state.training.progress.take().map(|p| p.what).unwrap_or_default();
        let wall = self.started.elapsed();
        self.trainer = None;
        match outcome {
            TrainOutcome::Ready(path, source) => {
                let how = match source {
                    Source::Cached => "loaded from the cache".to_string(),
                    Source::Trained => "trained and cached".into(),
                    Source::Rebuilt(why) => format!("cache entry rebuilt ({why}), trained and cached"),
                };
                eprintln!(
                    "engram: trained network ({what}) {how}: {} [{:.1} s after start]",
                    path.display(),
                    wall.as_secs_f64()
                );
                self.state.set_ui_message(Level::Info, format!("trained network ({what}) {how}: {}", path.display()));
                self.state.send(Command::LoadSnapshot(path));
                self.state.controls.running = true;
                self.state.send(Command::Run);
            }
            TrainOutcome::Cancelled => {
                self.state.set_ui_message(Level::Info, "training cancelled; nothing was cached");
                if resume {
                    self.state.controls.running = true;
                    self.state.send(Command::Run);
                }
            }
            TrainOutcome::Failed(e) => {
                self.state.set_ui_message(Level::Error, format!("no trained network: {e}"));
                if resume {
                    self.state.controls.running = true;
                    self.state.send(Command::Run);
                }
            }
        }
    }

    /// True while the training thread runs.
    pub fn is_training(&self) -> bool {
        self.trainer.is_some()
    }

    /// Replaces a stopped simulation thread by a new one on a fresh network built from the
    /// parameters last in force (preset, live edits and seed). The failed thread's network is
    /// not reused: its state may be what made it fail.
    pub fn restart(&mut self) {
        if let Some(old) = self.sim.take() {
            // Joins a thread that has already ended; its panic was reported already.
            let _ = old.shutdown();
        }
        let params = (*self.state.controls.current).clone();
        if let Some(s) = &self.state.status {
            self.bridge.runaway_hz = s.runaway_hz;
        }
        let (name, seed) = (params.name.clone(), params.seed);
        self.state.sim_error = None;
        self.state.sim_stopped = false;
        self.state.status = None;
        self.state.snapshot = None;
        self.state.outbox.clear();
        self.start_sim(params);
        if self.sim.is_some() {
            self.state.set_ui_message(
                crate::bridge::Level::Info,
                format!("simulation restarted on a fresh network (preset {name}, seed {seed})"),
            );
        }
    }

    /// Drains frames (within the time budget) and the latest snapshot into the state, and
    /// notices a simulation thread that has stopped.
    pub fn logic(&mut self) {
        let Some(sim) = &self.sim else { return };
        let t0 = Instant::now();
        while t0.elapsed() < DRAIN_BUDGET {
            match sim.frames().try_recv() {
                Ok(frame) => self.state.ingest(frame),
                Err(_) => break,
            }
        }
        if let Some(snap) = sim.latest_snapshot() {
            self.state.fork.take_view(&snap);
            self.state.snapshot = Some(snap);
        }
        if self.four_assemblies_s.is_none()
            && let (Some(snap), Some(status)) = (&self.state.snapshot, &self.state.status)
            && status.assemblies.iter().filter(|a| !a.is_empty()).count() >= 4
            && snap.groups.len() > 4
        {
            let t = self.started.elapsed().as_secs_f64();
            self.four_assemblies_s = Some(t);
            eprintln!("engram: first frame with four assemblies and their weight view {t:.2} s after start");
        }
        if !sim.is_alive() && !self.state.sim_stopped {
            self.state.sim_stopped = true;
            let why = sim.failure().unwrap_or_else(|| "the simulation thread has stopped unexpectedly".into());
            self.state.set_error(format!("{why}. The window still works; Restart simulation starts a fresh network."));
        }
    }

    /// Forwards the commands the panels queued this frame.
    fn flush_outbox(&mut self) {
        let cmds: Vec<Command> = std::mem::take(&mut self.state.outbox);
        if let Some(sim) = &self.sim {
            for c in cmds {
                if let Err(e) = sim.send(c)
                    && !self.state.sim_stopped
                {
                    self.state.set_error(e.to_string());
                }
            }
        }
    }

    /// Lays out every panel.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.state.ui(ui);
    }

    /// One whole frame without the window's exit hooks: drain the simulation, draw, send the
    /// queued commands, restart if asked. Tests drive the app through this.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        self.logic();
        self.ui(ui);
        self.follow_training();
        self.flush_outbox();
        if std::mem::take(&mut self.state.restart_requested) {
            self.restart();
        }
    }

    /// The simulation handle, if a thread was started.
    pub fn sim(&self) -> Option<&SimHandle> {
        self.sim.as_ref()
    }

    fn handle_exit_hooks(&mut self, ctx: &egui::Context) {
        let elapsed = self.started.elapsed().as_secs_f64();
        match self.opts.screenshot.clone() {
            // Screenshot once the given time has passed (default 5 s: panels have data), then quit.
            Some(path) => {
                if !self.screenshot_requested && elapsed >= self.opts.quit_after_s.unwrap_or(5.0) {
                    self.screenshot_requested = true;
                    let (done, ctx2) = (self.screenshot_done.clone(), ctx.clone());
                    ctx.request_screenshot(move |image: Arc<egui::ColorImage>| {
                        match export::save_png(&path, &image) {
                            Ok(()) => eprintln!("engram: screenshot saved to {}", path.display()),
                            Err(e) => eprintln!("engram: cannot save screenshot: {e}"),
                        }
                        done.store(true, std::sync::atomic::Ordering::SeqCst);
                        ctx2.request_repaint();
                    });
                }
                if self.screenshot_done.load(std::sync::atomic::Ordering::SeqCst) {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            None => {
                if elapsed >= self.opts.quit_after_s.unwrap_or(f64::INFINITY) {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }
}

impl eframe::App for EngramApp {
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, view::STORAGE_KEY, &self.state.settings());
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        EngramApp::logic(self);
        self.handle_exit_hooks(ctx);
        // Keep frames coming while the simulation streams.
        ctx.request_repaint_after(Duration::from_millis(16));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        EngramApp::ui(self, ui);
        self.follow_training();
        self.flush_outbox();
        if std::mem::take(&mut self.state.restart_requested) {
            self.restart();
        }
        self.frames_drawn += 1;
    }
}

impl Drop for EngramApp {
    fn drop(&mut self) {
        // One line for smoke tests and measurements: UI frame rate and simulation speed.
        let wall = self.started.elapsed().as_secs_f64();
        if let Some(s) = &self.state.status {
            eprintln!(
                "engram: {} frames in {wall:.1} s ({:.1} fps); model time {:.2} s ({:.2}x real time overall), merged frames {}, thinned spikes {}",
                self.frames_drawn,
                self.frames_drawn as f64 / wall.max(1e-9),
                s.t_s,
                s.t_s / wall.max(1e-9),
                s.coalesced_frames,
                s.thinned_spikes
            );
        }
        if let Some(sim) = self.sim.take() {
            // The window is closing: a panic of the simulation thread was shown already.
            let _ = sim.shutdown();
        }
    }
}

/// Opens the window (1280×800 the first time; then as it was left) and runs until it is
/// closed. The window's size and position and [`view::ViewSettings`] persist between runs.
pub fn run_gui(start: Start, opts: GuiOptions, lesson: Option<std::path::PathBuf>) -> crate::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 800.0]).with_title("Engram"),
        renderer: match std::env::var("ENGRAM_RENDERER").as_deref() {
            Ok("wgpu") => eframe::Renderer::Wgpu,
            _ => eframe::Renderer::Glow,
        },
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "Engram",
        native,
        Box::new(move |cc| {
            let mut app = EngramApp::start(start, opts);
            if let Some(s) = cc.storage.and_then(|st| eframe::get_value::<view::ViewSettings>(st, view::STORAGE_KEY)) {
                app.state.apply_settings(&s);
            }
            if let Some(path) = lesson {
                lesson::open_lesson(&mut app.state, &path);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| crate::Error::Invalid(format!("cannot open the window: {e}")))
}
