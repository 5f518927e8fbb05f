//! Finite-value checks of the model state, for guards that stop a run which has gone numerically
//! wrong (a too-large step, a bad imported weight, a bug) before it fills the display with
//! nonsense. Each check is one pass over the arrays: cheap enough at a 100 ms bin boundary
//! (neurons) or with each weight snapshot (weights), too dear for every step.

use super::Network;
use crate::sim::connectivity::ProjectionId;
use crate::sim::neuron::Neurons;

impl Network {
    /// Where a non-finite value was found, as "the I population (g_gaba)", if anywhere: every
    /// state variable of the E and I neurons (V, conductances, adaptation, θ), then the E
    /// traces.
    pub fn non_finite_neurons(&self) -> Option<String> {
        for (pop, n) in [("E", &self.e), ("I", &self.i)] {
            if let Some(var) = first_bad_variable(n) {
                return Some(format!("the {pop} population ({var})"));
            }
        }
        let x_e = &self.x[crate::sim::Population::E.index()].x;
        let traces: [(&str, &[f32]); 3] = [("trace x", x_e), ("trace y", &self.post.y), ("trace z", &self.post.z)];
        if let Some((name, _)) = traces.iter().find(|(_, v)| !all_finite(v)) {
            return Some(format!("the E population ({name})"));
        }
        if !self.post.h.iter().all(|x| x.is_finite()) {
            return Some("the E population (homeostatic trace h)".into());
        }
        None
    }

    /// Where a non-finite weight was found, as "the E->E projection (w~)", if anywhere: w and
    /// w̃ of the plastic projections (the static ones never change).
    pub fn non_finite_weights(&self) -> Option<String> {
        self.proj.iter().filter(|(id, _)| id.plasticity() != crate::sim::connectivity::Plasticity::Static).find_map(
            |(id, p): (ProjectionId, _)| {
                let bad = [("w", &p.w), ("w~", &p.w_tilde)].into_iter().find(|(_, v)| !all_finite(v));
                bad.map(|(var, _)| format!("the {} projection ({var})", id.label()))
            },
        )
    }
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
        assert_eq!(net.non_finite_neurons(), None);
        assert_eq!(net.non_finite_weights(), None);

        let mut bad = net.clone();
        bad.i.g_gaba[3] = f32::NAN;
        assert_eq!(bad.non_finite_neurons().as_deref(), Some("the I population (g_gaba)"));
        let mut bad = net.clone();
        bad.e.theta[0] = f32::INFINITY;
        assert_eq!(bad.non_finite_neurons().as_deref(), Some("the E population (theta)"));
        let mut bad = net.clone();
        bad.post.z[5] = f32::NEG_INFINITY;
        assert_eq!(bad.non_finite_neurons().as_deref(), Some("the E population (trace z)"));

        let mut bad = net.clone();
        let wt = &mut bad.proj[ProjectionId::InputE].w_tilde;
        let last = wt.len() - 1;
        wt[last] = f32::NAN;
        assert_eq!(bad.non_finite_weights().as_deref(), Some("the Input->E projection (w~)"));
        let mut bad = net;
        bad.proj[ProjectionId::Ie].w[0] = f32::INFINITY;
        assert_eq!(bad.non_finite_weights().as_deref(), Some("the I->E projection (w)"));
        assert_eq!(bad.non_finite_neurons(), None);
    }
}
