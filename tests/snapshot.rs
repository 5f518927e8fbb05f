//! Network snapshots: a run saved and resumed equals the same run straight through (spikes,
//! weights, every state variable), for any thread count and across stimulus on/off; bad files
//! are clear errors that change nothing; an interrupted save keeps the previous file.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use engram::Error;
use engram::bridge::{BridgeOptions, Command, Frame, Level, SimHandle};
use engram::io::snapshot;
use engram::sim::monitor::SpikeHash;
use engram::sim::params::PhaseName;
use engram::sim::{Network, Params};

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
    let mut on = net.input.stimulus.is_some();
    net.run(steps, |net| {
        hash.observe(net);
        if net.input.stimulus.is_some() != on {
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
        assert_eq!(resumed.t, straight.t);
        for (a, b) in [
            (&resumed.ee.w, &straight.ee.w),
            (&resumed.ee.w_tilde, &straight.ee.w_tilde),
            (&resumed.inp.w, &straight.inp.w),
            (&resumed.inp.w_tilde, &straight.inp.w_tilde),
            (&resumed.ie.w, &straight.ie.w),
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

/// Files of the older formats still load. Version 3 stored the postsynaptic traces as values
/// followed by the LTD factors (they now count as scaled from the saved step, and the factors
/// are skipped); version 2 also the presynaptic traces; version 1 also lacked STP's
/// last-spike steps (units count as having spiked at the saved step, which is what their
/// relaxed x and u then mean).
#[test]
fn older_format_versions_load() {
    let dir = common::scratch_dir("snapshot_versions");
    // Past the first folding of the post traces (every 6000 steps), so their scale step is
    // not the saved step.
    let net = trained(6500);
    assert!(net.post.base > 0 && net.post.base < net.t);
    let path = dir.join("v4.engram");
    snapshot::save(&path, &net).unwrap();
    let v4 = std::fs::read(&path).unwrap();
    let (ne, nin) = (net.e.len(), net.input.len());
    // TRAC ends with the presynaptic scale steps (count + 3 u64) and the post scale step.
    let ltd: Vec<u8> = [(ne as u64).to_le_bytes().to_vec(), vec![0; 4 * ne]].concat();
    let v3 = vec![(b"TRAC", 8, 8, vec![]), (b"TRAC", 32, 0, ltd)];
    let v2 = [v3.clone(), vec![(b"TRAC", 32, 32, vec![])]].concat();
    let v1 = [v2.clone(), vec![(b"STPS", 8 + 8 * ne + 8 + 8 * nin, 8 + 8 * ne + 8 + 8 * nin, vec![])]].concat();
    for (version, edits) in [(3u32, v3), (2, v2), (1, v1)] {
        let p = dir.join(format!("v{version}.engram"));
        std::fs::write(&p, older_format(&v4, &edits, version)).unwrap();
        let old = snapshot::load(&p).unwrap();
        assert_eq!(old.t, net.t);
        assert_eq!((&old.x_e.x, &old.post.y, &old.post.h), (&net.x_e.x, &net.post.y, &net.post.h));
        assert_eq!(old.post.base, net.t);
        let x_bases = [&old.x_e, &old.x_i, &old.x_in].map(|x| x.base);
        if version == 3 {
            assert_eq!(x_bases, [&net.x_e, &net.x_i, &net.x_in].map(|x| x.base));
        } else {
            assert_eq!(x_bases, [net.t; 3]);
        }
        let stp_t = old.stp_e.t.iter().chain(&old.stp_in.t);
        if version == 1 {
            assert!(stp_t.clone().all(|&t| t == net.t));
        } else {
            assert!(stp_t.eq(net.stp_e.t.iter().chain(&net.stp_in.t)));
        }
    }
    // The current format keeps every scale step.
    let now = snapshot::load(&path).unwrap();
    assert_eq!((now.post.base, now.x_e.base), (net.post.base, net.x_e.base));
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
    version[8] = 5;
    let m = load_error(&dir, "version.engram", &version);
    assert!(m.contains("format version 5") && m.contains("reads versions 1 to 4"), "{m}");

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

#[test]
fn inconsistent_payload_is_refused_before_allocating() {
    let dir = common::scratch_dir("snapshot_inconsistent");
    let (_, good) = saved(&dir);
    // Offset of the count of e.v: header, PARM (tag, length, TOML), CLCK (tag, length, body),
    // NEUR tag and length.
    let toml_len = u64::from_le_bytes(good[36..44].try_into().unwrap()) as usize;
    let clck = 32 + 12 + toml_len;
    assert_eq!(&good[clck..clck + 4], b"CLCK");
    let clck_len = u64::from_le_bytes(good[clck + 4..clck + 12].try_into().unwrap()) as usize;
    let ev = clck + 12 + clck_len + 12;
    assert_eq!(&good[ev - 12..ev - 8], b"NEUR");
    assert_eq!(u64::from_le_bytes(good[ev..ev + 8].try_into().unwrap()), 512);

    let mut huge = good.clone();
    huge[ev..ev + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    fix_checksum(&mut huge);
    let m = load_error(&dir, "huge.engram", &huge);
    assert!(m.contains("e.v") && m.contains("expected 512"), "{m}");

    // A wrong structure hash (connectivity that does not follow from the seed).
    let mut structure = good.clone();
    let hash_at = clck + 12 + clck_len - 8;
    structure[hash_at] ^= 1;
    fix_checksum(&mut structure);
    let m = load_error(&dir, "structure.engram", &structure);
    assert!(m.contains("connectivity differs"), "{m}");
}

/// Byte offset of the body of `tag` (after its tag and length) in a snapshot file.
fn section_body(bytes: &[u8], tag: &[u8; 4]) -> usize {
    let mut at = 32;
    while &bytes[at..at + 4] != tag {
        at += 12 + u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
    }
    at + 12
}

#[test]
fn non_finite_values_are_refused_naming_section_array_and_index() {
    let dir = common::scratch_dir("snapshot_non_finite");
    let (_, good) = saved(&dir);
    let f32_at = |bytes: &mut Vec<u8>, at: usize, v: f32| bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());

    // e.v[3]: NEUR starts with the count of e.v, then its values.
    let mut bad = good.clone();
    let ev = section_body(&bad, b"NEUR") + 8;
    f32_at(&mut bad, ev + 3 * 4, f32::NAN);
    fix_checksum(&mut bad);
    let m = load_error(&dir, "nan_v.engram", &bad);
    assert!(m.contains("section NEUR: e.v[3] is NaN, expected a finite value"), "{m}");

    // ee.w[7] (SYNW starts with the E→E weights) and input_e.w_tilde (the last array).
    let mut bad = good.clone();
    let w = section_body(&bad, b"SYNW") + 8;
    f32_at(&mut bad, w + 7 * 4, f32::INFINITY);
    fix_checksum(&mut bad);
    let m = load_error(&dir, "inf_w.engram", &bad);
    assert!(m.contains("section SYNW: ee.w[7] is inf"), "{m}");
    let mut bad = good.clone();
    let end = section_body(&bad, b"STPS") - 12;
    f32_at(&mut bad, end - 4, f32::NEG_INFINITY);
    fix_checksum(&mut bad);
    let m = load_error(&dir, "inf_wt.engram", &bad);
    assert!(m.contains("section SYNW: input_e.w_tilde[") && m.contains("is -inf"), "{m}");

    // A trace, from an in-memory state (the encoder does not check, the decoder does).
    let mut net = Network::new(params()).unwrap();
    net.run(10, |_| {});
    let mut state = net.state();
    state.h[5] = f64::NAN;
    let err = snapshot::from_bytes(&snapshot::to_bytes(&state).unwrap(), "mem.engram").unwrap_err().to_string();
    assert_eq!(err, "mem.engram: section TRAC: h[5] is NaN, expected a finite value");
    // The untouched file still loads.
    assert!(snapshot::from_bytes(&good, "good.engram").is_ok());
}

#[test]
fn interrupted_save_keeps_the_previous_snapshot() {
    let dir = common::scratch_dir("snapshot_interrupted");
    let (path, good) = saved(&dir);
    let mut net = snapshot::load(&path).unwrap();
    net.run(100, |_| {});
    let err = snapshot::save_with(&path, &net, |w, bytes| {
        w.write_all(&bytes[..bytes.len() / 2])?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("disk full"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), good, "previous snapshot damaged");
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["good.engram"], "temporary file left behind");
    assert_eq!(snapshot::load(&path).unwrap().t, 100);
}

fn wait_for(h: &SimHandle, secs: f64, mut pred: impl FnMut(&Frame) -> bool) -> Option<Frame> {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < deadline {
        if let Ok(f) = h.frames().recv_timeout(Duration::from_millis(50))
            && pred(&f)
        {
            return Some(f);
        }
    }
    None
}

#[test]
fn bridge_saves_loads_and_keeps_its_network_on_a_bad_file() {
    let dir = common::scratch_dir("snapshot_bridge");
    let opts = BridgeOptions { start_running: false, frame_interval_s: 0.0, threads: 2, ..Default::default() };
    let h = SimHandle::spawn(params(), opts).unwrap();
    h.send(Command::Step { ms: 5 }).unwrap();
    wait_for(&h, 20.0, |f| (f.status.t_s - 0.005).abs() < 1e-9).expect("at 5 ms");
    let good = dir.join("bridge.engram");
    h.send(Command::SaveSnapshot(good.clone())).unwrap();
    let f = wait_for(&h, 20.0, |f| f.status.message.is_some()).expect("saved");
    assert_eq!(f.status.message.unwrap().level, Level::Info);
    h.send(Command::Step { ms: 3 }).unwrap();
    wait_for(&h, 20.0, |f| (f.status.t_s - 0.008).abs() < 1e-9).expect("at 8 ms");

    // A bad file: an error message, and the network stays where it was.
    let bad = dir.join("bad.engram");
    std::fs::write(&bad, b"ENGRAMST garbage").unwrap();
    h.send(Command::LoadSnapshot(bad)).unwrap();
    let f =
        wait_for(&h, 20.0, |f| f.status.message.as_ref().is_some_and(|m| m.level == Level::Error)).expect("an error");
    let m = f.status.message.unwrap().text;
    assert!(m.starts_with("load failed:") && m.contains("bad.engram") && m.contains("truncated"), "{m}");
    assert!((f.status.t_s - 0.008).abs() < 1e-9, "network changed: t = {}", f.status.t_s);

    // The good file: back to 5 ms, with the saved schedule; stepping continues from there.
    h.send(Command::LoadSnapshot(good)).unwrap();
    let f = wait_for(&h, 20.0, |f| f.status.message.as_ref().is_some_and(|m| m.text.starts_with("state loaded")))
        .expect("loaded");
    assert!((f.status.t_s - 0.005).abs() < 1e-9, "t = {}", f.status.t_s);
    assert_eq!(f.status.phase, engram::bridge::PhaseChoice::Phase(PhaseName::Init));
    h.send(Command::Step { ms: 1 }).unwrap();
    wait_for(&h, 20.0, |f| (f.status.t_s - 0.006).abs() < 1e-9).expect("continues");
    h.shutdown().unwrap();
}
