//! The pattern gallery, driven through egui_kittest: thumbnails, durations, the cue fraction,
//! number keys, the drawing canvas and loading `.pat` files. Every test reads the commands the
//! panel queued in `AppState::outbox`; no simulation thread runs.

mod common;

use egui::{Event, Key, Modifiers, PointerButton, Pos2, Rect, Role, pos2};
use egui_kittest::{Harness, kittest::Queryable};
use engram::app::{AppState, gallery};
use engram::bridge::{Command, Level};
use engram::io::preset;
use engram::sim::{Pattern, shapes};

/// The gallery alone, in a column as narrow as the left panel and tall enough to show all of it.
fn harness() -> Harness<'static, AppState> {
    Harness::builder().with_size(egui::vec2(290.0, 1400.0)).build_ui_state(
        |ui, state: &mut AppState| {
            gallery::show(ui, state);
            gallery::handle_keys(ui, state);
        },
        AppState::new(&preset::default_params()),
    )
}

/// The gallery plus a text field, to check that typing does not present patterns.
fn harness_with_text_field() -> Harness<'static, AppState> {
    let mut text = String::new();
    Harness::builder().with_size(egui::vec2(290.0, 1400.0)).build_ui_state(
        move |ui, state: &mut AppState| {
            ui.add(egui::TextEdit::singleline(&mut text)).accessible_name("notes");
            gallery::show(ui, state);
            gallery::handle_keys(ui, state);
        },
        AppState::new(&preset::default_params()),
    )
}

/// The one queued command, as a Present, emptying the outbox.
#[track_caller]
fn take_present(h: &mut Harness<'_, AppState>) -> (Pattern, f64, f64) {
    let out = std::mem::take(&mut h.state_mut().outbox);
    assert_eq!(out.len(), 1, "expected exactly one command, got {out:?}");
    match out.into_iter().next() {
        Some(Command::Present { pattern, duration_s, fraction }) => (pattern, duration_s, fraction),
        other => panic!("expected Present, got {other:?}"),
    }
}

fn shape(name: &str) -> Pattern {
    shapes::shapes().into_iter().chain(shapes::cues()).find(|p| p.name == name).unwrap()
}

#[test]
fn clicking_a_shape_presents_it_for_the_shape_duration() {
    let mut h = harness();
    h.run();
    assert!(h.state().outbox.is_empty(), "nothing is presented before a click");
    h.get_by_label("circle").click();
    h.run();
    let (p, duration, fraction) = take_present(&mut h);
    assert_eq!(p.name, "circle");
    assert_eq!(p.len(), 960, "the original circle");
    assert_eq!(p, shape("circle"));
    assert_eq!((duration, fraction), (1.0, 1.0));
}

#[test]
fn clicking_a_cue_or_other_presents_it_for_the_cue_duration() {
    let mut h = harness();
    h.run();
    h.get_by_label("square3").click();
    h.run();
    let (p, duration, fraction) = take_present(&mut h);
    assert_eq!(p, shape("square3"));
    assert_eq!((duration, fraction), (0.2, 1.0));

    h.get_by_label("other1").click();
    h.run();
    let (p, duration, _) = take_present(&mut h);
    assert_eq!(p, shape("other1"));
    assert_eq!(duration, 0.2);
}

#[test]
fn every_built_in_pattern_has_a_thumbnail_in_display_order() {
    let h = harness();
    let expected: Vec<Pattern> = shapes::shapes().into_iter().chain(shapes::cues()).collect();
    let shown: Vec<&Pattern> = h.state().gallery.entries().map(|e| &e.pattern).collect();
    assert_eq!(shown, expected.iter().collect::<Vec<_>>());
    let titles: Vec<&str> = h.state().gallery.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(titles, ["Shapes", "Shape cues", "Other"]);
    for p in &expected {
        let node = h.get_by_label(&p.name);
        assert!(node.rect().width() >= 48.0 && node.rect().right() <= 290.0, "{}: {:?}", p.name, node.rect());
    }
}

#[test]
fn the_durations_and_the_fraction_are_used() {
    let mut h = harness();
    h.run();
    h.get_by_label("shape s").set_value_accesskit(2.5);
    h.get_by_label("cue s").set_value_accesskit(0.05);
    h.get_by_role_and_label(Role::Slider, "cue fraction").set_value_accesskit(0.4);
    h.run();
    assert!(h.state().outbox.is_empty(), "changing a setting presents nothing");
    h.get_by_label("triangle").click();
    h.run();
    let (p, duration, fraction) = take_present(&mut h);
    assert_eq!(p.name, "triangle");
    assert_eq!((duration, fraction), (2.5, 0.4));
    h.get_by_label("cross2").click();
    h.run();
    let (p, duration, fraction) = take_present(&mut h);
    assert_eq!(p.name, "cross2");
    assert_eq!((duration, fraction), (0.05, 0.4));
}

#[test]
fn settings_are_kept_within_their_ranges() {
    let mut h = harness();
    h.run();
    h.get_by_label("shape s").set_value_accesskit(50.0);
    h.get_by_label("cue s").set_value_accesskit(0.0);
    h.get_by_role_and_label(Role::Slider, "cue fraction").set_value_accesskit(0.0);
    h.run();
    let g = &h.state().gallery;
    assert_eq!((g.shape_duration_s, g.cue_duration_s, g.fraction), (10.0, 0.01, 0.05));
}

#[test]
fn number_keys_present_the_first_nine_patterns() {
    let mut h = harness();
    h.run();
    h.key_press(Key::Num2);
    h.run();
    let (p, duration, _) = take_present(&mut h);
    assert_eq!(p, shape("square"));
    assert_eq!(duration, 1.0);
    // Display order continues with the cues: key 9 is the ninth thumbnail.
    h.key_press(Key::Num9);
    h.run();
    let (p, duration, _) = take_present(&mut h);
    assert_eq!(p.name, "square1");
    assert_eq!(duration, 0.2);
    // With a modifier the key means something else.
    h.key_press_modifiers(Modifiers::CTRL, Key::Num1);
    h.run();
    assert!(h.state().outbox.is_empty(), "{:?}", h.state().outbox);
}

#[test]
fn number_keys_do_nothing_while_a_text_field_has_focus() {
    let mut h = harness_with_text_field();
    h.run();
    h.get_by_label("notes").focus();
    h.run();
    assert!(h.get_by_label("notes").is_focused());
    h.key_press(Key::Num2);
    h.run();
    assert!(h.state().outbox.is_empty(), "{:?}", h.state().outbox);

    // The same with a duration field being edited.
    h.get_by_label("cue s").focus();
    h.run();
    assert!(h.get_by_label("cue s").is_focused());
    h.key_press(Key::Num3);
    h.run();
    assert!(h.state().outbox.is_empty(), "{:?}", h.state().outbox);

    // Once focus is gone, the keys work again.
    h.event(Event::Key {
        key: Key::Escape,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
    h.key_press(Key::Num3);
    h.run();
    assert_eq!(take_present(&mut h).0.name, "cross");
}

/// Screen position of the centre of canvas pixel (x, y), y up.
fn pixel_pos(canvas: Rect, x: usize, y: usize) -> Pos2 {
    let cell = canvas.width() / 64.0;
    pos2(canvas.left() + (x as f32 + 0.5) * cell, canvas.bottom() - (y as f32 + 0.5) * cell)
}

fn pointer(h: &Harness<'_, AppState>, pos: Pos2, button: PointerButton, pressed: bool) {
    h.event(Event::PointerButton { pos, button, pressed, modifiers: Modifiers::NONE });
}

#[test]
fn painting_and_presenting_the_drawing() {
    let mut h = harness();
    h.run();
    // Nothing painted: the button does nothing.
    h.get_by_label("Present drawing").click();
    h.run();
    assert!(h.state().outbox.is_empty());

    h.get_by_role_and_label(Role::Slider, "brush radius").set_value_accesskit(1.0);
    h.run();
    let canvas = h.get_by_label("drawing canvas").rect();
    assert!((canvas.width() - 192.0).abs() < 0.5, "{canvas:?}");
    // Drag with the primary button along row y = 60 (near the top), x = 10 → 20.
    let (a, b) = (pixel_pos(canvas, 10, 60), pixel_pos(canvas, 20, 60));
    h.hover_at(a);
    h.step();
    pointer(&h, a, PointerButton::Primary, true);
    h.step();
    for x in [13, 16, 20] {
        h.hover_at(pixel_pos(canvas, x, 60));
        h.step();
    }
    pointer(&h, b, PointerButton::Primary, false);
    h.step();
    h.run();
    let row: Vec<u32> = (10..=20).map(|x| 60 * 64 + x).collect();
    assert_eq!(h.state().gallery.canvas.indices(), row);

    // A secondary click erases the pixel under it.
    let c = pixel_pos(canvas, 15, 60);
    h.hover_at(c);
    h.step();
    pointer(&h, c, PointerButton::Secondary, true);
    pointer(&h, c, PointerButton::Secondary, false);
    h.run();
    let expected: Vec<u32> = row.iter().copied().filter(|&i| i != 60 * 64 + 15).collect();
    assert_eq!(h.state().gallery.canvas.indices(), expected);
    h.get_by_label("10 px");

    h.get_by_role_and_label(Role::Slider, "cue fraction").set_value_accesskit(0.5);
    h.run();
    h.get_by_label("Present drawing").click();
    h.run();
    let (p, duration, fraction) = take_present(&mut h);
    assert_eq!(p.name, "drawing");
    assert_eq!(p.indices, expected);
    assert_eq!((duration, fraction), (0.2, 0.5));
    // Presenting keeps the drawing; Clear empties it.
    assert_eq!(h.state().gallery.canvas.count(), 10);
    h.get_by_label("Clear").click();
    h.run();
    assert!(h.state().gallery.canvas.is_empty());
}

#[test]
fn brush_stamps_discs_and_strokes_leave_no_gaps() {
    let mut c = gallery::Canvas::new(64);
    for (radius, pixels) in [(1, 1), (2, 9), (3, 21), (4, 37)] {
        c.clear();
        c.stamp(pos2(30.7, 30.2), radius, true);
        assert_eq!(c.count(), pixels, "radius {radius}");
        assert!(c.is_on(30, 30));
    }
    // Clipped at the grid edge, never out of it.
    c.clear();
    c.stamp(pos2(0.2, 63.9), 2, true);
    assert_eq!(c.indices(), [62 * 64, 62 * 64 + 1, 63 * 64, 63 * 64 + 1]);
    c.stamp(pos2(-5.0, 80.0), 4, true);
    assert_eq!(c.count(), 4);
    // A long diagonal stroke in one step: every column between the ends is painted.
    c.clear();
    c.stroke(pos2(2.5, 2.5), pos2(60.5, 40.5), 1, true);
    for x in 2..=60 {
        assert!((0..64).any(|y| c.is_on(x, y)), "column {x} empty");
    }
    let indices = c.indices();
    assert!(indices.windows(2).all(|w| w[0] < w[1]));
    // Erasing the same stroke empties the canvas again.
    c.stroke(pos2(2.5, 2.5), pos2(60.5, 40.5), 1, false);
    assert!(c.is_empty());
}

#[test]
fn loading_a_malformed_file_shows_the_file_and_line() {
    let dir = common::scratch_dir("gallery-bad-pat");
    let path = dir.join("bad.pat");
    std::fs::write(&path, "# name: blob\n1\n2\nthree\n").unwrap();
    let mut state = AppState::new(&preset::default_params());
    gallery::load_patterns(&mut state, &path);
    let msg = state.ui_message.clone().expect("an error message");
    assert_eq!(msg.level, Level::Error);
    assert!(msg.text.starts_with(&format!("{}:4: ", path.display())), "{}", msg.text);
    assert_eq!(state.gallery.groups.len(), 3, "nothing added");

    // An index beyond the 64×64 input layer is refused too.
    std::fs::write(&path, "4096\n").unwrap();
    gallery::load_patterns(&mut state, &path);
    let msg = state.ui_message.clone().unwrap();
    assert!(msg.text.starts_with(&format!("{}:1: ", path.display())) && msg.text.contains("4096"), "{}", msg.text);
    // A file without patterns is an error, not an empty group.
    std::fs::write(&path, "# nothing here\n\n").unwrap();
    gallery::load_patterns(&mut state, &path);
    assert_eq!(state.ui_message.clone().unwrap().level, Level::Error);
    assert_eq!(state.gallery.groups.len(), 3);
}

#[test]
fn loading_a_valid_file_adds_its_patterns() {
    let dir = common::scratch_dir("gallery-good-pat");
    let path = dir.join("extra.pat");
    std::fs::write(&path, "# name: blob\n1\n2\n3\n\n# name: corner\n4095\n\n").unwrap();
    let mut h = harness();
    h.run();
    gallery::load_patterns(h.state_mut(), &path);
    let msg = h.state().ui_message.clone().unwrap();
    assert_eq!(msg.level, Level::Info, "{}", msg.text);
    h.run();
    h.get_by_label("extra.pat");
    h.get_by_label("blob").click();
    h.run();
    let (p, duration, fraction) = take_present(&mut h);
    assert_eq!(p, Pattern::from_indices("blob", vec![1, 2, 3]));
    assert_eq!((duration, fraction), (0.2, 1.0));

    // Loading the file again replaces its group instead of adding a second one.
    std::fs::write(&path, "# name: circle\n5\n6\n").unwrap();
    gallery::load_patterns(h.state_mut(), &path);
    h.run();
    assert_eq!(h.state().gallery.groups.len(), 4);
    assert!(h.query_by_label("blob").is_none());
    // A loaded pattern named like a shape is shown for the shape duration.
    let loaded = h.state().gallery.groups[3].entries[0].pattern.clone();
    assert_eq!(loaded.indices, [5, 6]);
    assert_eq!(h.state().gallery.groups[3].entries[0].kind, gallery::Kind::Shape);
}

#[test]
fn a_huge_file_is_shown_in_part_with_a_warning() {
    let dir = common::scratch_dir("gallery-huge-pat");
    let path = dir.join("rf.pat");
    let text: String = (0..100).fold(String::new(), |mut s, k| {
        use std::fmt::Write as _;
        write!(s, "{k}\n\n").unwrap();
        s
    });
    std::fs::write(&path, text).unwrap();
    let mut state = AppState::new(&preset::default_params());
    gallery::load_patterns(&mut state, &path);
    let msg = state.ui_message.clone().unwrap();
    assert_eq!(msg.level, Level::Warning, "{}", msg.text);
    assert!(msg.text.contains("64 of 100"), "{}", msg.text);
    let group = state.gallery.groups.last().unwrap();
    assert_eq!((group.title.as_str(), group.entries.len()), ("rf.pat", gallery::MAX_LOADED_PER_FILE));
    assert_eq!(group.entries[63].pattern.indices, [63]);
}
