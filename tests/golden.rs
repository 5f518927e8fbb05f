//! The golden run: a fixed preset, seed and length whose spike hash and spike counts are
//! pinned. Any change of numerics changes them; updating the numbers below is then a decision,
//! recorded with its reason in the commit that makes it (as Auryn keeps its checksum test).
//!
//! The preset is `tests/fixtures/golden.toml` (the default rules on 512 E, shapes from 0.2 s).
//! The numbers are those of `engram run --preset tests/fixtures/golden.toml --seconds 2`, the
//! same for any thread count. History: 5d8acff53fea1f09 (7757, 3851, 53754) from commit
//! 9b0251e, with Engram's procedural shapes; 2905e57610a4b386 since the built-in shapes are the
//! original publication's, pixel for pixel (with `input.shapes = "smooth"` the preset still
//! gives the first numbers).

use std::path::Path;

use engram::io::preset;
use engram::sim::Network;
use engram::sim::monitor::SpikeHash;
use engram::sim::params::PhaseName;

const HASH: u64 = 0x2905_e576_10a4_b386;
const COUNTS: (u64, u64, u64) = (7695, 3884, 53428);

#[test]
fn golden_run_has_the_pinned_spike_hash_and_counts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden.toml");
    let params = preset::load_preset(path.to_str().unwrap()).unwrap();
    for threads in [1, 2] {
        let mut net = Network::new(params.clone()).unwrap();
        net.set_threads(threads).unwrap();
        net.start_phase(PhaseName::Init);
        let mut hash = SpikeHash::default();
        net.run(20_000, |n| hash.observe(n));
        let c = net.counts();
        assert_eq!((c.e, c.i, c.input), COUNTS, "spike counts on {threads} threads");
        assert_eq!(hash.0, HASH, "spike hash on {threads} threads: {:016x}", hash.0);
    }
}
