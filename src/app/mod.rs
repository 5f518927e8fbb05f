//! The egui presentation: reads frames and snapshots, sends commands, never touches the
//! network. One panel per file; each owns its slice of [`AppState`].
//!
//! Panels never talk to the simulation directly: they push [`Command`]s into
//! `AppState::outbox`, which the app forwards to the simulation thread after the frame. This
//! keeps every widget testable without a thread (egui_kittest tests read the outbox).

pub mod colormap;
pub mod controls;
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
    started: Instant,
    screenshot_requested: bool,
    screenshot_done: Arc<std::sync::atomic::AtomicBool>,
    /// UI frames drawn since start (reported on exit).
    frames_drawn: u64,
}

impl EngramApp {
    /// Starts the simulation thread on `params`.
    pub fn new(params: Params, opts: GuiOptions) -> Self {
        let mut state = AppState::new(&params);
        let sim = match SimHandle::spawn(
            params,
            BridgeOptions { threads: opts.threads, nice: 10, ..BridgeOptions::default() },
        ) {
            Ok(h) => Some(h),
            Err(e) => {
                state.set_error(format!("cannot start the simulation: {e}"));
                None
            }
        };
        EngramApp {
            state,
            sim,
            opts,
            started: Instant::now(),
            screenshot_requested: false,
            screenshot_done: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            frames_drawn: 0,
        }
    }

    /// Drains frames (within the time budget) and the latest snapshot into the state.
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
        if !sim.is_alive() && self.state.sim_error.is_none() {
            self.state.set_error("the simulation thread has stopped".into());
        }
    }

    /// Forwards the commands the panels queued this frame.
    fn flush_outbox(&mut self) {
        let cmds: Vec<Command> = std::mem::take(&mut self.state.outbox);
        if let Some(sim) = &self.sim {
            for c in cmds {
                if let Err(e) = sim.send(c) {
                    self.state.set_error(e.to_string());
                }
            }
        }
    }

    /// Lays out every panel.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.state.ui(ui);
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
                        let [w, h] = image.size;
                        let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
                        match image::RgbaImage::from_raw(w as u32, h as u32, bytes).map(|img| img.save(&path)) {
                            Some(Ok(())) => eprintln!("engram: screenshot saved to {}", path.display()),
                            Some(Err(e)) => eprintln!("engram: cannot save screenshot {}: {e}", path.display()),
                            None => eprintln!("engram: screenshot has an unexpected size"),
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
        self.frames_drawn += 1;
    }
}

impl Drop for EngramApp {
    fn drop(&mut self) {
        // One line for smoke tests and measurements: UI frame rate and simulation speed.
        let wall = self.started.elapsed().as_secs_f64();
        if let Some(s) = &self.state.status {
            eprintln!(
                "engram: {} frames in {wall:.1} s ({:.1} fps); model time {:.2} s ({:.2}x real time overall), dropped frames {}",
                self.frames_drawn,
                self.frames_drawn as f64 / wall.max(1e-9),
                s.t_s,
                s.t_s / wall.max(1e-9),
                s.dropped_frames
            );
        }
        if let Some(sim) = self.sim.take() {
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
