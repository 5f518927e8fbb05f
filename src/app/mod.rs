//! The egui presentation: reads frames and snapshots, sends commands, never touches the
//! network. One panel per file; each owns its slice of [`AppState`].
//!
//! Panels never talk to the simulation directly: they push [`Command`]s into
//! `AppState::outbox`, which the app forwards to the simulation thread after the frame. This
//! keeps every widget testable without a thread (egui_kittest tests read the outbox).

pub mod colormap;
pub mod controls;
pub mod export;
pub mod gallery;
pub mod input_view;
pub mod raster;
pub mod rates;
pub mod state;
pub mod status_bar;
pub mod weights;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use state::AppState;

use crate::bridge::{BridgeOptions, Command, SimHandle};
use crate::sim::Params;

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
}

impl EngramApp {
    /// Starts the simulation thread on `params`.
    pub fn new(params: Params, opts: GuiOptions) -> Self {
        let bridge = BridgeOptions { threads: opts.threads, nice: 10, ..BridgeOptions::default() };
        Self::with_bridge(params, opts, bridge)
    }

    /// [`EngramApp::new`] with explicit bridge options (tests use small, quiet ones).
    pub fn with_bridge(params: Params, opts: GuiOptions, bridge: BridgeOptions) -> Self {
        let mut app = EngramApp {
            state: AppState::new(&params),
            sim: None,
            opts,
            bridge,
            started: Instant::now(),
            screenshot_requested: false,
            screenshot_done: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            frames_drawn: 0,
        };
        app.start_sim(params);
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
            self.state.snapshot = Some(snap);
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
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        EngramApp::logic(self);
        self.handle_exit_hooks(ctx);
        // Keep frames coming while the simulation streams.
        ctx.request_repaint_after(Duration::from_millis(16));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        EngramApp::ui(self, ui);
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

/// Opens the window (1280×800) and runs until it is closed.
pub fn run_gui(params: Params, opts: GuiOptions) -> crate::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 800.0]).with_title("Engram"),
        renderer: match std::env::var("ENGRAM_RENDERER").as_deref() {
            Ok("wgpu") => eframe::Renderer::Wgpu,
            _ => eframe::Renderer::Glow,
        },
        ..Default::default()
    };
    eframe::run_native("Engram", native, Box::new(move |_cc| Ok(Box::new(EngramApp::new(params, opts)))))
        .map_err(|e| crate::Error::Invalid(format!("cannot open the window: {e}")))
}
