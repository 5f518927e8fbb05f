//! A small "trained" network for window tests: the reduced network of `small_params` with a
//! short phase 1 (every shape shown from 1 s on), so that assemblies exist at its end.

use engram::sim::Params;

/// `small_params(seed)` with a 30 s phase 1 whose first shape comes at 1 s and pauses of 0.5 s
/// on average: about 19 presentations of randomly chosen shapes, so each of the four is shown
/// (and has an assembly at the end) with near certainty, and for the seeds used here in fact.
pub fn trainable_params(seed: u64) -> Params {
    let mut p = super::small_params(seed);
    p.name = "small-trainable".into();
    p.protocol.init.duration_s = 30.0;
    p.protocol.init.first_onset_s = 1.0;
    p.protocol.init.t_off_s = 0.5;
    p
}
