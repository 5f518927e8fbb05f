//! The golden run: a fixed preset, seed and length whose spike hash and spike counts are
//! pinned. Any change of numerics changes them; updating the numbers below is then a decision,
//! recorded with its reason in the commit that makes it (as Auryn keeps its checksum test).
//!
//! The preset is `tests/fixtures/golden.toml` (the default rules on 512 E, shapes from 0.2 s).
//! The numbers were first produced by the build of commit 9b0251e with
//! `engram run --preset tests/fixtures/golden.toml --seconds 2` and are the same for any
//! thread count.

use std::path::Path;

use engram::io::preset;
use engram::sim::Network;
use engram::sim::monitor::SpikeHash;
use engram::sim::params::PhaseName;

const HASH: u64 = 0x5d8a_cff5_3fea_1f09;
const COUNTS: (u64, u64, u64) = (7757, 3851, 53754);

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
