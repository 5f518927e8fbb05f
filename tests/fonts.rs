//! Every character the window can show has a glyph in its fonts: egui's bundled fonts lack
//! some the labels use (→, ⌊ ⌋, the combining marks of w̃ and ν̄), and egui draws a box for a
//! missing glyph. The text scanned is every line of code (not comment) under src/ and every
//! preset and lesson file, which covers the labels, messages and descriptions the window shows.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

#[test]
fn every_character_the_window_uses_has_a_glyph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("src"), "rs", &mut paths);
    files(&root.join("presets"), "toml", &mut paths);
    files(&root.join("assets/lessons"), "toml", &mut paths);
    let mut chars = BTreeSet::new();
    for path in &paths {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let code = line.trim_start();
            if code.starts_with("//") || code.starts_with('#') {
                continue;
            }
            chars.extend(code.chars().filter(|c| !c.is_ascii()));
        }
    }
    assert!(chars.contains(&'→'), "the scan found the arrows of the projection names");

    let ctx = egui::Context::default();
    engram::app::view::add_fallback_font(&ctx);
    ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
    let missing: String = ctx.fonts_mut(|f| {
        chars
            .iter()
            .copied()
            .filter(|&c| {
                !f.has_glyph(&egui::FontId::proportional(14.0), c) || !f.has_glyph(&egui::FontId::monospace(14.0), c)
            })
            .collect()
    });
    assert!(missing.is_empty(), "no glyph for {missing:?} (U+{:04X}…)", missing.chars().next().map_or(0, |c| c as u32));

    // And the check can fail: egui's own fonts alone lack the arrow.
    let bare = egui::Context::default();
    bare.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
    assert!(!bare.fonts_mut(|f| f.has_glyph(&egui::FontId::proportional(14.0), '→')));
}
