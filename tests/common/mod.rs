//! Shared helpers for the integration tests (included with `mod common;`).

#![allow(dead_code, reason = "each test file uses a different subset")]

use engram::io::preset;
use engram::sim::Params;

/// A reduced network for fast tests: 512 E, 128 I on the full 64×64 input (so the built-in
/// shapes apply), with p raised so recurrent in-degrees stay near the default's (≈ 205 E→E).
pub fn small_params(seed: u64) -> Params {
    let mut p = preset::default_params();
    p.seed = seed;
    p.network.n_e = 512;
    p.network.n_i = 128;
    p.network.p_conn = 0.4;
    p
}

/// A scratch directory under the target dir, emptied first.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    // Usually there is nothing to remove; create_dir_all below reports real problems.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Upper bound on the wall time a test waits for an event that is guaranteed to come (a frame
/// after a pause, a message after a command) [s]: generous, so that a machine busy with other
/// work cannot fail the test; it only bounds how long a broken build takes to fail.
pub const PATIENCE_S: f64 = 300.0;

/// Reads frames until `pred` holds for one and returns it, or None after `secs` of wall time.
pub fn wait_for(
    h: &engram::bridge::SimHandle,
    secs: f64,
    mut pred: impl FnMut(&engram::bridge::Frame) -> bool,
) -> Option<engram::bridge::Frame> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
    while std::time::Instant::now() < deadline {
        if let Ok(f) = h.frames().recv_timeout(std::time::Duration::from_millis(50))
            && pred(&f)
        {
            return Some(f);
        }
    }
    None
}

pub mod trained;
