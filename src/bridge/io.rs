//! The thread "engram-io": reads and writes the files the window asks for, so that the
//! simulation thread never waits on a disk. The simulation thread hands it a job with the data
//! it needs (a copy of the state, a projection, the assemblies); the result comes back to the
//! simulation thread's inbox as an [`IoDone`].

use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use super::messages::Level;
use super::worker::Inbox;
use crate::io::{mtx, pat, snapshot, weights};
use crate::sim::connectivity::Projection;
use crate::sim::network::NetworkState;
use crate::sim::{Network, Pattern, ProjectionId};

/// A file job for the I/O thread.
pub(super) enum IoJob {
    /// Write a snapshot of this state.
    SaveState { path: PathBuf, state: Box<NetworkState>, extras: snapshot::Extras },
    /// Read a snapshot and build its network on `threads` compute threads.
    LoadState { path: PathBuf, threads: usize },
    /// Write w (and w̃) of a projection copied at model time `t_s`.
    WriteWeights { path: PathBuf, which: ProjectionId, proj: Box<Projection>, t_s: f64 },
    /// Read w of a projection from a matrix; `proj` is a copy for its structure.
    ReadWeights { path: PathBuf, which: ProjectionId, proj: Box<Projection>, w_max: f32 },
    /// Write patterns (the assemblies) as a `.pat` file.
    WritePat { path: PathBuf, patterns: Arc<Vec<Pattern>> },
}

/// What a job gave, for the simulation thread.
pub(super) enum IoDone {
    /// Done or failed: a message for the status bar.
    Message(Level, String),
    /// A snapshot read and its network built.
    Loaded { path: PathBuf, net: Box<Network>, extras: snapshot::Extras },
    /// Weights read from a matrix, one per synapse.
    Weights { path: PathBuf, which: ProjectionId, w: Vec<f32> },
}

/// The I/O thread's loop: one job at a time until the job channel closes.
#[expect(clippy::needless_pass_by_value, reason = "the thread owns its ends of the channels")]
pub(super) fn serve(jobs: Receiver<IoJob>, done: Sender<Inbox>) {
    for job in &jobs {
        let result = run(job);
        if done.send(Inbox::Io(result)).is_err() {
            return;
        }
    }
}

fn run(job: IoJob) -> IoDone {
    let err = |what: &str, e: crate::Error| IoDone::Message(Level::Error, format!("{what}: {e}"));
    match job {
        IoJob::SaveState { path, state, extras } => match snapshot::save_state(&path, &state, &extras) {
            Ok(()) => IoDone::Message(Level::Info, format!("state saved to {}", path.display())),
            Err(e) => err("save failed", e),
        },
        IoJob::LoadState { path, threads } => match snapshot::load_with_extras(&path).and_then(|(mut net, extras)| {
            net.set_threads(threads)?;
            Ok((net, extras))
        }) {
            Ok((net, extras)) => IoDone::Loaded { path, net: Box::new(net), extras },
            Err(e) => err("load failed", e),
        },
        IoJob::WriteWeights { path, which, proj, t_s } => match weights::save_projection(&path, &proj, which, t_s) {
            Ok(()) => IoDone::Message(
                Level::Info,
                format!(
                    "{} weights written to {} (w~ to {})",
                    which.label(),
                    path.display(),
                    mtx::companion_path(&path).display()
                ),
            ),
            Err(e) => err("export failed", e),
        },
        IoJob::ReadWeights { path, which, proj, w_max } => match weights::read_weights(&proj, which, w_max, &path) {
            Ok(w) => IoDone::Weights { path, which, w },
            Err(e) => err("import refused", e),
        },
        IoJob::WritePat { path, patterns } => match pat::write_pat(&path, &patterns) {
            Ok(()) => {
                IoDone::Message(Level::Info, format!("{} assemblies written to {}", patterns.len(), path.display()))
            }
            Err(e) => err("export failed", e),
        },
    }
}
