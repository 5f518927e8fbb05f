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
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
