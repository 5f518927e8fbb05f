//! Network snapshots: a run saved and resumed equals the same run straight through (spikes,
//! weights, every state variable), for any thread count and across stimulus on/off; bad files
//! are clear errors that change nothing; an interrupted save keeps the previous file.

mod common;

use common::{PATIENCE_S, wait_for};

use std::path::{Path, PathBuf};

use engram::Error;
use engram::bridge::{BridgeOptions, Command, Level, SimHandle};
use engram::io::snapshot;
use engram::sim::monitor::SpikeHash;
use engram::sim::network::Array;
use engram::sim::params::PhaseName;
use engram::sim::{Network, Params, ProjectionId};

/// Small network whose schedule switches the stimulus on and off within the first seconds.
fn params() -> Params {
    let mut p = common::small_params(11);
    let ph = &mut p.protocol.init;
    ph.first_onset_s = 0.3;
    ph.t_on_s = 0.4;
    ph.t_off_s = 0.3;
    p
}

const STEPS_PER_S: u64 = 10_000;

/// Runs `steps`, hashing spikes and counting stimulus on/off transitions.
fn run(net: &mut Network, steps: u64, hash: &mut SpikeHash) -> u32 {
    let mut changes = 0;
    let mut on = net.input().stimulus.is_some();
    net.run(steps, |net| {
        hash.observe(net);
        if net.input().stimulus.is_some() != on {
            on = !on;
            changes += 1;
        }
    });
    changes
}

#[test]
fn resumed_run_equals_straight_run_for_any_thread_count() {
    let dir = common::scratch_dir("snapshot_resume");
    // Straight: 2.5 s on one thread (consolidation at 1.2 s and 2.4 s).
    let mut straight = Network::new(params()).unwrap();
    straight.start_phase(PhaseName::Init);
    let mut h_straight = SpikeHash::default();
    run(&mut straight, 25 * STEPS_PER_S / 10, &mut h_straight);

    for (threads_before, threads_after) in [(1, 2), (2, 1)] {
        let mut net = Network::new(params()).unwrap();
        net.set_threads(threads_before).unwrap();
        net.start_phase(PhaseName::Init);
        let mut hash = SpikeHash::default();
        let before = run(&mut net, STEPS_PER_S, &mut hash);
        assert!(before > 0, "the stimulus never switched before the save");
        let path = dir.join(format!("state_{threads_before}.engram"));
        snapshot::save(&path, &net).unwrap();
        drop(net);

        let mut resumed = snapshot::load(&path).unwrap();
        resumed.set_threads(threads_after).unwrap();
        let after = run(&mut resumed, 15 * STEPS_PER_S / 10, &mut hash);
        assert!(after > 0, "the stimulus never switched after the load");

        assert_eq!(hash.0, h_straight.0, "spikes differ ({threads_before} → {threads_after} threads)");
        assert_eq!(resumed.t(), straight.t());
        for (a, b) in [
            (&resumed.projection(ProjectionId::Ee).w, &straight.projection(ProjectionId::Ee).w),
            (&resumed.projection(ProjectionId::Ee).w_tilde, &straight.projection(ProjectionId::Ee).w_tilde),
            (&resumed.projection(ProjectionId::InputE).w, &straight.projection(ProjectionId::InputE).w),
            (&resumed.projection(ProjectionId::InputE).w_tilde, &straight.projection(ProjectionId::InputE).w_tilde),
            (&resumed.projection(ProjectionId::Ie).w, &straight.projection(ProjectionId::Ie).w),
        ] {
            assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "weights differ");
        }
        // Everything else too (traces, STP, delay lines, input streams and schedule).
        assert_eq!(resumed.state(), straight.state());
    }
}

/// A network after `steps` steps of the init phase.
fn trained(steps: u64) -> Network {
    let mut net = Network::new(params()).unwrap();
    net.start_phase(PhaseName::Init);
    net.run(steps, |_| {});
    net
}

#[test]
fn save_load_save_gives_the_same_bytes() {
    let dir = common::scratch_dir("snapshot_bytes");
    let net = trained(500);
    let (a, b) = (dir.join("a.engram"), dir.join("b.engram"));
    snapshot::save(&a, &net).unwrap();
    snapshot::save(&b, &snapshot::load(&a).unwrap()).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

/// A saved snapshot of a short run, and its bytes.
fn saved(dir: &Path) -> (PathBuf, Vec<u8>) {
    let net = trained(100);
    let path = dir.join("good.engram");
    snapshot::save(&path, &net).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// Loads `bytes` written to `name`; returns the error message, which must be a parse error
/// naming the file.
fn load_error(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let err = snapshot::load(&path).map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::Parse { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    msg
}

/// `bytes` as format `version`, with each edit `(tag, from_end, remove, insert)` applied in
/// turn — in section `tag`'s body, the `remove` bytes starting `from_end` bytes before its end
/// replaced by `insert` — and the section length, payload length and checksum fixed up.
fn older_format(bytes: &[u8], edits: &[(&[u8; 4], usize, usize, Vec<u8>)], version: u32) -> Vec<u8> {
    let h = snapshot::HEADER_LEN;
    let mut b = bytes.to_vec();
    for (tag, from_end, remove, insert) in edits {
        let at = (h..b.len() - 4).find(|&k| &b[k..k + 4] == *tag).unwrap();
        let body_len = u64::from_le_bytes(b[at + 4..at + 12].try_into().unwrap()) as usize;
        let start = at + 12 + body_len - from_end;
        b.splice(start..start + remove, insert.iter().copied());
        let new_len = (body_len - remove + insert.len()) as u64;
        b[at + 4..at + 12].copy_from_slice(&new_len.to_le_bytes());
    }
    b[8..12].copy_from_slice(&version.to_le_bytes());
    let payload = &b[h..];
    let (len, sum) = (payload.len() as u64, engram::sim::monitor::fnv1a(engram::sim::monitor::FNV_OFFSET, payload));
    b[16..24].copy_from_slice(&len.to_le_bytes());
    b[24..32].copy_from_slice(&sum.to_le_bytes());
    b
}

/// `state` with every f32 value of magnitude below 1e-30 set to 0.
fn negligible_as_zero(mut state: engram::sim::network::NetworkState) -> engram::sim::network::NetworkState {
    for (_, a) in &mut state.arrays {
        if let Array::F32(v) = a {
            v.iter_mut().filter(|x| x.abs() < 1e-30).for_each(|x| *x = 0.0);
        }
    }
    state
}

/// The tiny network of the format fixtures after 6500 steps of the init phase, run by this
/// build.
fn tiny_after_6500() -> Network {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let params = engram::io::preset::load_preset(fixtures.join("tiny.toml").to_str().unwrap()).unwrap();
    let mut net = Network::new(params).unwrap();
    net.start_phase(PhaseName::Init);
    net.run(6500, |_| {});
    net
}

/// Files of the older formats still load, into the state this build reaches by running the
/// same network: `tests/fixtures/v4.engram` was saved by the build of commit 9b0251e (format
/// 4, see `tests/fixtures/tiny.toml`), and versions 1 to 3 are made from it by the edits
/// their layouts differ by. Version 3 stored the postsynaptic traces as values followed by the
/// LTD factors (they now count as scaled from the saved step, and the factors are skipped);
/// version 2 also the presynaptic traces; version 1 also lacked STP's last-spike steps (units
/// count as having spiked at the saved step, which is what their relaxed x and u then mean).
#[test]
fn older_format_versions_load() {
    let dir = common::scratch_dir("snapshot_versions");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v4.engram");
    // The fixture's build did not yet set values below 1e-30 to 0 (docs/model.md §15.17): compare
    // with them set to 0 on both sides.
    let straight = negligible_as_zero(tiny_after_6500().state());
    let t = straight.t;
    let arr = |s: &engram::sim::network::NetworkState, name: &str| s.array(name).unwrap().clone();
    // Past the first folding of the post traces (every 6000 steps): their scale step is not
    // the saved step.
    assert!(matches!(arr(&straight, "post.base"), Array::U64(ref b) if b[0] > 0 && b[0] < t));
    assert!(straight.counts.e > 0, "the tiny network should fire");
    let v4 = std::fs::read(&fixture).unwrap();
    assert_eq!(negligible_as_zero(snapshot::load(&fixture).unwrap().state()), straight, "format 4 file");
    let (ne, nin) = (48usize, 64usize);
    // TRAC ends with the presynaptic scale steps (count + 3 u64) and the post scale step.
    let ltd: Vec<u8> = [(ne as u64).to_le_bytes().to_vec(), vec![0; 4 * ne]].concat();
    let v3 = vec![(b"TRAC", 8, 8, vec![]), (b"TRAC", 32, 0, ltd)];
    let v2 = [v3.clone(), vec![(b"TRAC", 32, 32, vec![])]].concat();
    let v1 = [v2.clone(), vec![(b"STPS", 8 + 8 * ne + 8 + 8 * nin, 8 + 8 * ne + 8 + 8 * nin, vec![])]].concat();
    for (version, edits) in [(3u32, v3), (2, v2), (1, v1)] {
        let p = dir.join(format!("v{version}.engram"));
        std::fs::write(&p, older_format(&v4, &edits, version)).unwrap();
        let old = negligible_as_zero(snapshot::load(&p).unwrap().state());
        assert_eq!(old.t, t);
        for name in ["x.e", "post.y", "post.h", "e.v", "ee.w", "input_e.w_tilde", "stp.e.x"] {
            assert_eq!(arr(&old, name), arr(&straight, name), "version {version}: {name}");
        }
        assert_eq!(arr(&old, "post.base"), Array::U64(vec![t]));
        for pop in ["e", "i", "input"] {
            let base = arr(&old, &format!("x.{pop}.base"));
            let want = if version == 3 { arr(&straight, &format!("x.{pop}.base")) } else { Array::U64(vec![t]) };
            assert_eq!(base, want, "version {version}: x.{pop}.base");
        }
        for name in ["stp.e.t", "stp.input.t"] {
            let want =
                if version == 1 { Array::U64(vec![t; arr(&straight, name).len()]) } else { arr(&straight, name) };
            assert_eq!(arr(&old, name), want, "version {version}: {name}");
        }
    }
    // The current format keeps everything.
    let path = dir.join("v5.engram");
    snapshot::save_state(&path, &straight, &snapshot::Extras::default()).unwrap();
    assert_eq!(snapshot::load(&path).unwrap().state(), straight);
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = common::scratch_dir("snapshot_bad");
    let (_, good) = saved(&dir);

    let m = load_error(&dir, "truncated.engram", &good[..good.len() - 1000]);
    assert!(m.contains("truncated: expected") && m.contains("bytes of payload"), "{m}");
    let m = load_error(&dir, "header.engram", &good[..20]);
    assert!(m.contains("truncated") && m.contains("header"), "{m}");

    let mut flipped = good.clone();
    let k = flipped.len() / 2;
    flipped[k] ^= 0x10;
    let m = load_error(&dir, "flipped.engram", &flipped);
    assert!(m.contains("corrupted: payload checksum"), "{m}");

    let mut version = good.clone();
    version[8] = 6;
    let m = load_error(&dir, "version.engram", &version);
    assert!(m.contains("format version 6") && m.contains("reads versions 1 to 5"), "{m}");

    let mut magic = good.clone();
    magic[0] = b'X';
    let m = load_error(&dir, "magic.engram", &magic);
    assert!(m.contains("not an Engram snapshot"), "{m}");
    let m = load_error(&dir, "preset.engram", b"name = \"default\"\n");
    assert!(m.contains("not an Engram snapshot"), "{m}");

    let mut longer = good.clone();
    longer.extend_from_slice(b"xyz");
    let m = load_error(&dir, "longer.engram", &longer);
    assert!(m.contains("3 unexpected bytes"), "{m}");
}

/// Rewrites the payload checksum so that a deliberately inconsistent payload gets past it.
fn fix_checksum(bytes: &mut [u8]) {
    let h = engram::sim::monitor::fnv1a(engram::sim::monitor::FNV_OFFSET, &bytes[32..]);
    bytes[24..32].copy_from_slice(&h.to_le_bytes());
}

/// Byte offset of the body of `tag` (after its tag and length) in a snapshot file.
fn section_body(bytes: &[u8], tag: [u8; 4]) -> usize {
    let mut at = 32;
    while bytes[at..at + 4] != tag {
        at += 12 + u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
    }
    at + 12
}

/// Byte offset of the value count of the array `name` in section `ARRS` (its values follow).
fn array_count_at(bytes: &[u8], name: &str) -> usize {
    let u64_at = |k: usize| u64::from_le_bytes(bytes[k..k + 8].try_into().unwrap()) as usize;
    let mut at = section_body(bytes, *b"ARRS") + 8;
    loop {
        let len = u64_at(at);
        let found = &bytes[at + 8..at + 8 + len];
        let (ty, count_at) = (bytes[at + 8 + len], at + 8 + len + 1);
        if found == name.as_bytes() {
            return count_at;
        }
        let size = if ty == 0 || ty == 2 { 4 } else { 8 };
        at = count_at + 8 + size * u64_at(count_at);
    }
}

#[test]
fn inconsistent_payload_is_refused_before_allocating() {
    let dir = common::scratch_dir("snapshot_inconsistent");
    let (_, good) = saved(&dir);
    let ev = array_count_at(&good, "e.v");
    assert_eq!(u64::from_le_bytes(good[ev..ev + 8].try_into().unwrap()), 512);

    let mut huge = good.clone();
    huge[ev..ev + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    fix_checksum(&mut huge);
    let m = load_error(&dir, "huge.engram", &huge);
    assert!(m.contains("e.v") && m.contains("truncated"), "{m}");

    // An array that fits the file but not the network.
    let (mut state, _) = snapshot::from_bytes(&good, "good.engram").unwrap();
    if let Some(Array::F32(v)) = state.array_mut("e.v") {
        v.truncate(500);
    }
    let err = Network::from_state(state).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("e.v: 500 values, the network has 512"), "{err}");

    // A wrong structure hash (connectivity that does not follow from the seed): the last 8
    // bytes of CLCK.
    let mut structure = good.clone();
    let hash_at = section_body(&good, *b"ARRS") - 12 - 8;
    structure[hash_at] ^= 1;
    fix_checksum(&mut structure);
    let m = load_error(&dir, "structure.engram", &structure);
    assert!(m.contains("connectivity differs"), "{m}");
}

#[test]
fn non_finite_values_are_refused_naming_array_and_index() {
    let dir = common::scratch_dir("snapshot_non_finite");
    let (_, good) = saved(&dir);
    let f32_at = |bytes: &mut Vec<u8>, at: usize, v: f32| bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    for (name, k, v, want) in [
        ("e.v", 3, f32::NAN, "e.v[3] is NaN, expected a finite value"),
        ("ee.w", 7, f32::INFINITY, "ee.w[7] is inf, expected a finite value"),
        ("input_e.w_tilde", 0, f32::NEG_INFINITY, "input_e.w_tilde[0] is -inf, expected a finite value"),
    ] {
        let mut bad = good.clone();
        let at = array_count_at(&bad, name) + 8 + 4 * k;
        f32_at(&mut bad, at, v);
        fix_checksum(&mut bad);
        let m = load_error(&dir, &format!("bad_{name}.engram"), &bad);
        assert!(m.ends_with(want), "{m}");
    }
    // A trace, from an in-memory state.
    let mut net = Network::new(params()).unwrap();
    net.run(10, |_| {});
    let mut state = net.state();
    if let Some(Array::F64(h)) = state.array_mut("post.h") {
        h[5] = f64::NAN;
    }
    let err = Network::from_state(state).map(|_| ()).unwrap_err().to_string();
    assert_eq!(err, "post.h[5] is NaN, expected a finite value");
    // The untouched file still loads.
    assert!(snapshot::from_bytes(&good, "good.engram").is_ok());
}

#[test]
fn interrupted_save_keeps_the_previous_snapshot() {
    let dir = common::scratch_dir("snapshot_interrupted");
    let (path, good) = saved(&dir);
    let mut net = snapshot::load(&path).unwrap();
    net.run(100, |_| {});
    let err = snapshot::save_with(&path, &net.state(), &snapshot::Extras::default(), |w, bytes| {
        w.write_all(&bytes[..bytes.len() / 2])?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("disk full"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), good, "previous snapshot damaged");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["good.engram"], "temporary file left behind");
    assert_eq!(snapshot::load(&path).unwrap().t(), 100);
}

#[test]
fn bridge_saves_loads_and_keeps_its_network_on_a_bad_file() {
    let dir = common::scratch_dir("snapshot_bridge");
    let opts = BridgeOptions { start_running: false, frame_interval_s: 0.0, threads: 2, ..Default::default() };
    let h = SimHandle::spawn(params(), opts).unwrap();
    h.send(Command::Step { ms: 5 }).unwrap();
    wait_for(&h, PATIENCE_S, |f| (f.status.t_s - 0.005).abs() < 1e-9).expect("at 5 ms");
    let good = dir.join("bridge.engram");
    h.send(Command::SaveSnapshot(good.clone())).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.is_some()).expect("saved");
    assert_eq!(f.status.message.unwrap().level, Level::Info);
    h.send(Command::Step { ms: 3 }).unwrap();
    wait_for(&h, PATIENCE_S, |f| (f.status.t_s - 0.008).abs() < 1e-9).expect("at 8 ms");

    // A bad file: an error message, and the network stays where it was.
    let bad = dir.join("bad.engram");
    std::fs::write(&bad, b"ENGRAMST garbage").unwrap();
    h.send(Command::LoadSnapshot(bad)).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.level == Level::Error))
        .expect("an error");
    let m = f.status.message.unwrap().text;
    assert!(m.starts_with("load failed:") && m.contains("bad.engram") && m.contains("truncated"), "{m}");
    assert!((f.status.t_s - 0.008).abs() < 1e-9, "network changed: t = {}", f.status.t_s);

    // The good file: back to 5 ms, with the saved schedule; stepping continues from there.
    h.send(Command::LoadSnapshot(good)).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.text.starts_with("state loaded")))
        .expect("loaded");
    assert!((f.status.t_s - 0.005).abs() < 1e-9, "t = {}", f.status.t_s);
    assert_eq!(f.status.phase, engram::bridge::PhaseChoice::Phase(PhaseName::Init));
    h.send(Command::Step { ms: 1 }).unwrap();
    wait_for(&h, PATIENCE_S, |f| (f.status.t_s - 0.006).abs() < 1e-9).expect("continues");
    h.shutdown().unwrap();
}

/// A snapshot whose phase had run its whole length (a trained network saved at the end of
/// phase 1) is continued free running, so that cues meet no scheduled shapes; one saved within
/// its phase continues the phase (above).
#[test]
fn a_network_loaded_after_its_phase_ended_runs_free() {
    let dir = common::scratch_dir("snapshot_ended");
    let mut p = params();
    p.protocol.init.duration_s = 0.02;
    let mut net = Network::new(p).unwrap();
    net.start_phase(PhaseName::Init);
    net.run(200, |_| {});
    let path = dir.join("ended.engram");
    snapshot::save(&path, &net).unwrap();
    let opts = BridgeOptions { start_running: false, frame_interval_s: 0.0, ..Default::default() };
    let h = SimHandle::spawn(params(), opts).unwrap();
    h.send(Command::LoadSnapshot(path)).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.text.starts_with("state loaded")))
        .expect("loaded");
    assert_eq!(f.status.phase, engram::bridge::PhaseChoice::Free);
    assert!(f.status.message.unwrap().text.contains("phase init had ended"));
    h.send(Command::Step { ms: 500 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s >= 0.52 - 1e-9).expect("stepped");
    assert!(f.status.stimulus.is_none(), "no scheduled shape after the phase");
    h.shutdown().unwrap();
}
