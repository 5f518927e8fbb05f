//! Keeps the layering honest: the model (src/sim) knows nothing of UI, threads, channels or
//! the wall clock.

#[test]
fn sim_has_no_ui_threads_or_clock() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim");
    let forbidden = ["egui", "eframe", "crossbeam", "rfd", "std::thread", "Instant", "SystemTime", "thread_rng"];
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // The compute pool is the one file allowed threads (ARCHITECTURE §1: "no threads of
        // its own beyond a compute pool"); it still may not use UI, channels or the clock.
        let is_pool = path.file_name().is_some_and(|n| n == "pool.rs");
        for word in forbidden {
            if is_pool && word == "std::thread" {
                continue;
            }
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 8);
}
