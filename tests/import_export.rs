//! Weight import (MatrixMarket → a running network) and export, through the library, the CLI and
//! the simulation thread: a round trip gives identical weights; every bad file is an error naming
//! the file and line and leaves the network unchanged.

mod common;

use common::{PATIENCE_S, wait_for};

use std::path::{Path, PathBuf};

use engram::bridge::{BridgeOptions, Command, Level, ProjectionId, SimHandle};
use engram::io::{mtx, pat, preset, weights};
use engram::sim::Network;
use engram::sim::params::PhaseName;

/// A small network whose weights have moved away from their initial values.
fn trained(seed: u64) -> Network {
    let mut p = common::small_params(seed);
    p.protocol.init.first_onset_s = 0.05;
    // Fast plasticity, so that 0.3 s of shapes spread the weights.
    p.plasticity.eta *= 20.0;
    let mut net = Network::new(p).unwrap();
    net.start_phase(PhaseName::Init);
    net.run(3000, |_| {});
    net
}

fn bits(w: &[f32]) -> Vec<u32> {
    w.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn exported_weights_import_into_a_fresh_network_bit_for_bit() {
    let dir = common::scratch_dir("import_round_trip");
    let a = trained(21);
    let fresh = Network::new(a.params().clone()).unwrap();
    assert_ne!(
        bits(&a.projection(ProjectionId::Ee).w),
        bits(&fresh.projection(ProjectionId::Ee).w),
        "the weights never changed: a weak test"
    );
    assert_ne!(
        bits(&a.projection(ProjectionId::InputE).w),
        bits(&fresh.projection(ProjectionId::InputE).w),
        "the weights never changed: a weak test"
    );
    let mut b = fresh.clone();
    for which in ProjectionId::EXCITATORY {
        let path = dir.join(which.weights_file());
        weights::save_weights(&path, &a, which).unwrap();
        assert!(mtx::companion_path(&path).exists(), "w̃ companion of {}", path.display());
        weights::import_weights(&mut b, which, &path).unwrap();
    }
    assert_eq!(bits(&b.projection(ProjectionId::Ee).w), bits(&a.projection(ProjectionId::Ee).w));
    assert_eq!(bits(&b.projection(ProjectionId::InputE).w), bits(&a.projection(ProjectionId::InputE).w));
    // Only w changes: w̃ and the rest of the state are the fresh network's.
    assert_eq!(bits(&b.projection(ProjectionId::Ee).w_tilde), bits(&fresh.projection(ProjectionId::Ee).w_tilde));
    assert_eq!(b.projection(ProjectionId::Ie).w, fresh.projection(ProjectionId::Ie).w);
    assert_eq!(b.t(), fresh.t());
}

/// Writes `text` to `name` in `dir`, imports it as E→E into `net`, and checks the error names the
/// file and `line` and contains `msg`, and that the network did not change.
#[track_caller]
fn refused(net: &mut Network, dir: &Path, name: &str, text: &str, line: usize, msg: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let before = net.state();
    let err = weights::import_weights(net, ProjectionId::Ee, &path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:{line}: ", path.display())), "{err}");
    assert!(err.contains(msg), "{err}");
    assert_eq!(net.state(), before, "the network changed on a refused import");
}

/// Line number (1-based) of the first entry line of a file we wrote, and the lines.
fn entry_lines(text: &str) -> (usize, Vec<String>) {
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let size = lines.iter().position(|l| !l.starts_with('%')).unwrap();
    (size + 2, lines)
}

fn join(lines: &[String]) -> String {
    lines.join("\n") + "\n"
}

#[test]
fn bad_matrices_name_file_and_line_and_change_nothing() {
    let dir = common::scratch_dir("import_bad");
    let mut net = trained(22);
    let good = dir.join("good.mtx");
    weights::save_weights(&good, &net, ProjectionId::Ee).unwrap();
    let text = std::fs::read_to_string(&good).unwrap();
    let (first, lines) = entry_lines(&text);
    let size_line = first - 1;
    let n = net.projection(ProjectionId::Ee).len();
    let w_max = net.w_max();

    // Wrong size: a matrix of another network size, at its size line.
    let mut other = common::small_params(22);
    other.network.n_e = 256;
    let other = Network::new(other).unwrap();
    let other_path = dir.join("other.mtx");
    weights::save_weights(&other_path, &other, ProjectionId::Ee).unwrap();
    let other_text = std::fs::read_to_string(&other_path).unwrap();
    refused(&mut net, &dir, "size.mtx", &other_text, size_line, "expected a 512×512 matrix, found 256×256");

    // Another seed: same size, other synapses. The entry count differs (size line) or, if
    // not, the first entry that is not a synapse here.
    let seeded = Network::new(common::small_params(23)).unwrap();
    let seeded_path = dir.join("seeded.mtx");
    weights::save_weights(&seeded_path, &seeded, ProjectionId::Ee).unwrap();
    let path = dir.join("seed.mtx");
    std::fs::copy(&seeded_path, &path).unwrap();
    let err = weights::import_weights(&mut net, ProjectionId::Ee, &path).unwrap_err().to_string();
    assert!(
        err.contains("seed.mtx:") && (err.contains("synapses of this") || err.contains("is not a synapse")),
        "{err}"
    );

    // An entry that is not a synapse: move the first entry to a column without one.
    let mut moved = lines.clone();
    let (pre, post) =
        (0usize, (0..512).find(|&i| net.projection(ProjectionId::Ee).synapse_index(0, i).is_none()).unwrap());
    let value = moved[first - 1].split_whitespace().nth(2).unwrap().to_string();
    moved[first - 1] = format!("{} {} {value}", pre + 1, post + 1);
    refused(&mut net, &dir, "entry.mtx", &join(&moved), first, &format!("entry (1, {}) is not a synapse", post + 1));

    // A repeated entry in place of another one.
    let mut repeated = lines.clone();
    repeated[first] = repeated[first - 1].clone();
    refused(&mut net, &dir, "repeat.mtx", &join(&repeated), first + 1, "duplicate entry");

    // Bad values, on the 10th entry.
    let k = first + 9;
    let with_value = |v: &str| {
        let mut l = lines.clone();
        let t: Vec<&str> = l[k - 1].split_whitespace().collect();
        l[k - 1] = format!("{} {} {v}", t[0], t[1]);
        join(&l)
    };
    refused(&mut net, &dir, "nan.mtx", &with_value("nan"), k, "finite, non-negative weight, found `nan`");
    refused(&mut net, &dir, "inf.mtx", &with_value("inf"), k, "finite, non-negative weight");
    refused(&mut net, &dir, "neg.mtx", &with_value("-0.25"), k, "non-negative weight, found `-0.25`");
    let above = format!("{}", w_max * 1.5);
    refused(&mut net, &dir, "above.mtx", &with_value(&above), k, &format!("exceeds w_max = {w_max}"));
    // w_max itself is fine.
    let at_max = dir.join("at_max.mtx");
    std::fs::write(&at_max, with_value(&format!("{w_max}"))).unwrap();
    weights::import_weights(&mut net, ProjectionId::Ee, &at_max).unwrap();

    // Truncated: missing entries (reported at the size line), or a line cut in half.
    let cut = &lines[..lines.len() - 3];
    refused(&mut net, &dir, "short.mtx", &join(cut), size_line, &format!("expected {n} entries, found only {}", n - 3));
    let mut half = lines[..first + 4].to_vec();
    half[first + 3] = half[first + 3].split_whitespace().next().unwrap().to_string();
    refused(&mut net, &dir, "half.mtx", &join(&half), first + 4, "expected `i j value`");
    // A wrong entry count in the header.
    let mut count = lines.clone();
    count[size_line - 1] = format!("512 512 {}", n - 1);
    refused(&mut net, &dir, "count.mtx", &join(&count), size_line, &format!("expected {n} entries"));

    // The Input→E matrix is not an E→E matrix.
    let inp = dir.join("inp.mtx");
    weights::save_weights(&inp, &net, ProjectionId::InputE).unwrap();
    let err = weights::import_weights(&mut net, ProjectionId::Ee, &inp).unwrap_err().to_string();
    assert!(err.contains("expected a 512×512 matrix, found 4096×512"), "{err}");
}

fn engram(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_engram")).args(args).output().expect("binary runs")
}

#[test]
fn cli_run_imports_weights_of_an_earlier_run() {
    let dir = common::scratch_dir("import_cli");
    let mut p = common::small_params(24);
    p.name = "small-import".into();
    p.protocol.init.first_onset_s = 0.05;
    let preset = dir.join("small.toml");
    std::fs::write(&preset, preset::to_toml(&p).unwrap()).unwrap();
    let (preset, d) = (preset.to_str().unwrap(), |s: &str| dir.join(s).to_str().unwrap().to_string());
    let o = engram(&["run", "--preset", preset, "--seconds", "0.3", "--out", &d("a")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ee, inp) = (d("a/weights_ee.mtx"), d("a/weights_input_e.mtx"));
    let o = engram(&[
        "run",
        "--preset",
        preset,
        "--seconds",
        "0",
        "--out",
        &d("b"),
        "--import-ee",
        &ee,
        "--import-input-e",
        &inp,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["weights_ee.mtx", "weights_input_e.mtx"] {
        let (rows, cols) = if name == "weights_ee.mtx" { (512, 512) } else { (4096, 512) };
        let a = mtx::read_mtx(&dir.join("a").join(name), rows, cols).unwrap();
        let b = mtx::read_mtx(&dir.join("b").join(name), rows, cols).unwrap();
        assert_eq!(a, b, "{name} differs after import");
    }

    // A bad file: one line naming it, exit status 1, nothing written.
    let bad = d("bad.mtx");
    std::fs::write(&bad, "%%MatrixMarket matrix coordinate real general\n512 512 1\n1 1 nan\n").unwrap();
    let o = engram(&["run", "--preset", preset, "--seconds", "0", "--out", &d("c"), "--import-ee", &bad]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{bad}:2:")) && err.lines().count() == 1, "{err}");
    assert!(!dir.join("c").join("summary.json").exists());
}

/// Waits for a status message starting with `prefix`.
fn message(h: &SimHandle, prefix: &str) -> (Level, String) {
    let f = wait_for(h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.text.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no message starting with `{prefix}`"));
    let m = f.status.message.unwrap();
    (m.level, m.text)
}

#[test]
fn simulation_thread_exports_and_imports_on_command() {
    let dir = common::scratch_dir("import_bridge");
    let opts = BridgeOptions { start_running: false, frame_interval_s: 0.0, ..Default::default() };
    let h = SimHandle::spawn(common::small_params(25), opts).unwrap();
    let ee = dir.join("ee.mtx");
    h.send(Command::ExportWeights { which: ProjectionId::Ee, path: ee.clone() }).unwrap();
    let (level, text) = message(&h, "E->E weights written");
    assert_eq!(level, Level::Info, "{text}");
    let written = mtx::read_mtx(&ee, 512, 512).unwrap();
    assert!(mtx::read_mtx(&mtx::companion_path(&ee), 512, 512).is_ok());

    // No assemblies in a fresh network: a clear error, no file.
    let asm = dir.join("asm.pat");
    h.send(Command::ExportAssemblies(asm.clone())).unwrap();
    let (level, text) = message(&h, "export failed");
    assert_eq!(level, Level::Error);
    assert!(text.contains("no assemblies yet"), "{text}");
    assert!(!asm.exists());

    // A bad import is refused and reported; the weights stay (exported again: the same).
    let bad = dir.join("bad.mtx");
    let mut text = std::fs::read_to_string(&ee).unwrap();
    text = text.replacen("\n1 ", "\n0 ", 1);
    std::fs::write(&bad, text).unwrap();
    h.send(Command::ImportWeights { which: ProjectionId::Ee, path: bad.clone() }).unwrap();
    let (level, text) = message(&h, "import refused");
    assert_eq!(level, Level::Error);
    assert!(text.contains(&format!("{}:", bad.display())) && text.contains("row index"), "{text}");
    let again = dir.join("again.mtx");
    h.send(Command::ExportWeights { which: ProjectionId::Ee, path: again.clone() }).unwrap();
    message(&h, "E->E weights written");
    assert_eq!(mtx::read_mtx(&again, 512, 512).unwrap(), written);

    // A good import: every weight halved.
    let halved = dir.join("halved.mtx");
    let entries: Vec<_> = written.entries.iter().map(|&(i, j, w)| (i, j, w / 2.0)).collect();
    mtx::save_mtx(&halved, 512, 512, entries.iter().copied(), "halved").unwrap();
    h.send(Command::ImportWeights { which: ProjectionId::Ee, path: halved.clone() }).unwrap();
    let (level, _) = message(&h, "E->E weights imported");
    assert_eq!(level, Level::Info);
    h.send(Command::ExportWeights { which: ProjectionId::Ee, path: again.clone() }).unwrap();
    message(&h, "E->E weights written");
    assert_eq!(mtx::read_mtx(&again, 512, 512).unwrap().entries, entries);
    h.shutdown().unwrap();
}

#[test]
fn simulation_thread_exports_live_assemblies() {
    let dir = common::scratch_dir("import_assemblies");
    let opts = BridgeOptions {
        start_running: false,
        frame_interval_s: 0.0,
        snapshot_interval_s: 0.05,
        phase: engram::bridge::PhaseChoice::Free,
        ..Default::default()
    };
    let h = SimHandle::spawn(common::small_params(26), opts).unwrap();
    // The tracker derives assemblies from the first 0.5 s of each shape's presentations. Queued
    // commands are applied together, so each presentation waits for the previous one.
    for (k, shape) in engram::sim::shapes::shapes().into_iter().enumerate() {
        h.send(Command::Present { pattern: shape, duration_s: 0.55, fraction: 1.0 }).unwrap();
        h.send(Command::Step { ms: 600 }).unwrap();
        let end = 0.6 * (k + 1) as f64;
        assert!(wait_for(&h, PATIENCE_S, |f| f.status.t_s > end - 1e-9).is_some(), "did not reach {end} s");
    }
    // Assemblies are refreshed on a grid of model time (every second): past the next point.
    h.send(Command::Step { ms: 1000 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.assemblies.is_empty()).expect("assemblies after four presentations");
    let path: PathBuf = dir.join("assemblies.pat");
    h.send(Command::ExportAssemblies(path.clone())).unwrap();
    let (level, text) = message(&h, "4 assemblies written");
    assert_eq!(level, Level::Info, "{text}");
    let back = pat::read_pat(&path, 512).unwrap();
    // An empty assembly is written as its name alone and not read back (format limit).
    let expected: Vec<_> = f.status.assemblies.iter().filter(|a| !a.indices.is_empty()).cloned().collect();
    assert_eq!(back.iter().map(|p| &p.name).collect::<Vec<_>>(), expected.iter().map(|p| &p.name).collect::<Vec<_>>());
    assert_eq!(
        back.iter().map(|p| &p.indices).collect::<Vec<_>>(),
        expected.iter().map(|p| &p.indices).collect::<Vec<_>>()
    );
    h.shutdown().unwrap();
}
