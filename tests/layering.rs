//! Keeps the layering honest: the model (src/sim) knows nothing of UI, threads, channels or
//! the wall clock (docs/architecture.md §1).

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[test]
fn sim_has_no_ui_threads_or_clock() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim");
    let forbidden = [
        "egui",
        "eframe",
        "crossbeam",
        "rfd",
        "std::thread",
        "Instant",
        "SystemTime",
        "thread_rng",
        "crate::bridge",
        "crate::app",
        "crate::cli",
    ];
    let files = rust_files(&dir);
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        // The compute pool is the one file allowed threads ("no threads of its own beyond a
        // compute pool"); it still may not use UI, channels or the clock.
        let is_pool = path.file_name().is_some_and(|n| n == "pool.rs");
        for word in forbidden {
            if is_pool && word == "std::thread" {
                continue;
            }
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
    }
    assert!(files.len() >= 20, "only {} files under src/sim", files.len());
}
