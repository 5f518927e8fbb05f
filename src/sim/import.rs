//! Replacing the weights of a plastic projection wholesale, e.g. from a matrix written by an
//! earlier run (ours or Auryn's). The structure stays frozen: only values change, synapse by
//! synapse, so an imported matrix must have exactly the projection's sparsity pattern.

use super::connectivity::Projection;
use super::network::Network;
use crate::{Error, Result};

/// The plastic excitatory projections, whose weights can be exported and imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plastic {
    /// E->E.
    Ee,
    /// Input->E.
    InputE,
}

impl Plastic {
    pub const ALL: [Plastic; 2] = [Plastic::Ee, Plastic::InputE];

    /// Name in messages and menus.
    pub fn label(self) -> &'static str {
        match self {
            Plastic::Ee => "E->E",
            Plastic::InputE => "Input->E",
        }
    }

    /// File name `engram run` writes the weights to.
    pub fn file_name(self) -> &'static str {
        match self {
            Plastic::Ee => "weights_ee.mtx",
            Plastic::InputE => "weights_input_e.mtx",
        }
    }
}

/// Index of the synapse `pre → post` in `p` (rows are sorted by target), if it exists.
pub fn synapse_index(p: &Projection, pre: usize, post: usize) -> Option<usize> {
    if pre >= p.n_pre || post > u16::MAX as usize {
        return None;
    }
    let r = p.row(pre);
    p.post[r.clone()].binary_search(&(post as u16)).ok().map(|k| r.start + k)
}

impl Network {
    pub fn plastic(&self, which: Plastic) -> &Projection {
        match which {
            Plastic::Ee => &self.ee,
            Plastic::InputE => &self.inp,
        }
    }

    /// Upper bound of the plastic weights (the excitatory rule clips at it) [g_L].
    pub fn w_max(&self) -> f32 {
        self.params().plasticity.w_max as f32
    }

    /// Replaces the weights w of a plastic projection, one value per synapse in synapse (row)
    /// order [g_L]. Refused, changing nothing, unless there is one value per synapse and each is
    /// finite and in [0, [`Network::w_max`]]; the error names the first bad synapse. w̃ and all
    /// other state are kept: the rule pulls w toward w̃ from here on.
    pub fn set_plastic_weights(&mut self, which: Plastic, w: Vec<f32>) -> Result<()> {
        let w_max = self.w_max();
        let p = self.plastic(which);
        if w.len() != p.len() {
            return Err(Error::Invalid(format!(
                "{} weights: {} values for {} synapses",
                which.label(),
                w.len(),
                p.len()
            )));
        }
        if let Some((s, v)) = w.iter().enumerate().find(|&(_, &v)| !(v.is_finite() && (0.0..=w_max).contains(&v))) {
            return Err(Error::Invalid(format!(
                "{} weight of synapse {s} is {v}: expected a finite value in [0, {w_max}]",
                which.label()
            )));
        }
        match which {
            Plastic::Ee => self.ee.w = w,
            Plastic::InputE => self.inp.w = w,
        }
        Ok(())
    }
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
    fn synapse_index_finds_every_synapse_and_nothing_else() {
        let net = small();
        let p = &net.ee;
        for (s, (j, i, _)) in p.triplets(&p.w).enumerate() {
            assert_eq!(synapse_index(p, j as usize, i as usize), Some(s));
        }
        let present = p.triplets(&p.w).count();
        let found = (0..p.n_pre).flat_map(|j| (0..p.n_post).map(move |i| (j, i)));
        assert_eq!(found.filter(|&(j, i)| synapse_index(p, j, i).is_some()).count(), present);
        assert_eq!(synapse_index(p, p.n_pre, 0), None);
        assert_eq!(synapse_index(p, 0, 1 << 20), None);
    }

    #[test]
    fn bad_weights_are_refused_and_change_nothing() {
        let mut net = small();
        let before = net.ee.w.clone();
        let n = before.len();
        let w_max = net.w_max();
        for (w, msg) in [
            (vec![0.5; n - 1], "values for"),
            (vec![f32::NAN; n], "synapse 0 is NaN"),
            (vec![-0.1; n], "synapse 0 is -0.1"),
            (vec![w_max * 2.0; n], "expected a finite value in [0,"),
        ] {
            let err = net.set_plastic_weights(Plastic::Ee, w).unwrap_err().to_string();
            assert!(err.starts_with("E->E") && err.contains(msg), "{err}");
            assert_eq!(net.ee.w, before);
        }
        net.set_plastic_weights(Plastic::InputE, vec![w_max; net.inp.len()]).unwrap();
        assert!(net.inp.w.iter().all(|&v| v == w_max));
        assert_eq!(net.ee.w, before);
    }
}
