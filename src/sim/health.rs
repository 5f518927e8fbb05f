//! Finite-value checks of the model state, for guards that stop a run which has gone numerically
//! wrong (a too-large step, a bad imported weight, a bug) before it fills the display with
//! nonsense. Each check is one pass over the arrays: cheap enough at a 100 ms bin boundary
//! (neurons) or with each weight snapshot (weights), too dear for every step.

use super::network::Network;
use super::neuron::Neurons;

/// Where a non-finite value was found, as "the I population (g_gaba)", if anywhere: every
/// state variable of the E and I neurons (V, conductances, adaptation, θ), then the E traces.
pub fn non_finite_neurons(net: &Network) -> Option<String> {
    for (pop, n) in [("E", &net.e), ("I", &net.i)] {
        if let Some(var) = first_bad_variable(n) {
            return Some(format!("the {pop} population ({var})"));
        }
    }
    let traces: [(&str, &[f32]); 3] = [("trace x", &net.x_e.x), ("trace y", &net.post.y), ("trace z", &net.post.z)];
    if let Some((name, _)) = traces.iter().find(|(_, v)| !all_finite(v)) {
        return Some(format!("the E population ({name})"));
    }
    if !net.post.h.iter().all(|x| x.is_finite()) {
        return Some("the E population (homeostatic trace h)".into());
    }
    None
}

/// Where a non-finite weight was found, as "the E->E projection (w~)", if anywhere: w and w̃ of
/// E->E and Input->E, w of I->E (the plastic projections; the static ones never change).
pub fn non_finite_weights(net: &Network) -> Option<String> {
    let arrays: [(&str, &str, &[f32]); 5] = [
        ("E->E", "w", &net.ee.w),
        ("E->E", "w~", &net.ee.w_tilde),
        ("Input->E", "w", &net.inp.w),
        ("Input->E", "w~", &net.inp.w_tilde),
        ("I->E", "w", &net.ie.w),
    ];
    arrays.iter().find(|(_, _, v)| !all_finite(v)).map(|(proj, var, _)| format!("the {proj} projection ({var})"))
}

fn first_bad_variable(n: &Neurons) -> Option<&'static str> {
    n.variables().into_iter().find(|(_, v)| !all_finite(v)).map(|(name, _)| name)
}

/// Branch-free over the slice so it vectorises (a NaN or infinity has all exponent bits set).
fn all_finite(v: &[f32]) -> bool {
    v.iter().fold(0u32, |acc, x| acc | u32::from(!x.is_finite())) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::preset;

    fn small() -> Network {
        let mut p = preset::default_params();
        p.network.n_e = 64;
        p.network.n_i = 16;
        p.network.p_conn = 0.3;
        Network::new(p).unwrap()
    }

    #[test]
    fn names_the_population_variable_and_projection() {
        let net = small();
        assert_eq!(non_finite_neurons(&net), None);
        assert_eq!(non_finite_weights(&net), None);

        let mut bad = net.clone();
        bad.i.g_gaba[3] = f32::NAN;
        assert_eq!(non_finite_neurons(&bad).as_deref(), Some("the I population (g_gaba)"));
        let mut bad = net.clone();
        bad.e.theta[0] = f32::INFINITY;
        assert_eq!(non_finite_neurons(&bad).as_deref(), Some("the E population (theta)"));
        let mut bad = net.clone();
        bad.post.z[5] = f32::NEG_INFINITY;
        assert_eq!(non_finite_neurons(&bad).as_deref(), Some("the E population (trace z)"));

        let mut bad = net.clone();
        let last = bad.inp.w_tilde.len() - 1;
        bad.inp.w_tilde[last] = f32::NAN;
        assert_eq!(non_finite_weights(&bad).as_deref(), Some("the Input->E projection (w~)"));
        let mut bad = net;
        bad.ie.w[0] = f32::INFINITY;
        assert_eq!(non_finite_weights(&bad).as_deref(), Some("the I->E projection (w)"));
        assert_eq!(non_finite_neurons(&bad), None);
    }
}
