//! The neuron inspector's read-outs: a recorder of one E neuron's state variables (the
//! [`Probe`], fed by the session after every step while a neuron is selected, and absent — no
//! cost but one branch per step — while none is), and the static picture of that neuron's
//! inputs ([`neuron_view`]): its receptive field and its incoming E→E weights grouped by source
//! assembly (docs/model.md §10.1 for the assemblies).

use super::ProjectionId;
use super::network::Network;
use super::pattern::Pattern;

/// The state of the recorded neuron at one step (units as in [`super::neuron::Neurons`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProbeSample {
    /// Step after which the values were read (`Network::t` at that moment).
    pub step: u64,
    /// Membrane potential V [mV].
    pub v: f32,
    /// Threshold offset θ above θ_rest [mV].
    pub theta: f32,
    /// AMPA, NMDA and GABA conductances [g_L].
    pub g_ampa: f32,
    pub g_nmda: f32,
    pub g_gaba: f32,
    /// Fast and slow adaptation conductances [g_L].
    pub g_a1: f32,
    pub g_a2: f32,
    /// Spikes of the neuron since the previous sample (this step included).
    pub spikes: u16,
}

/// Records one E neuron every `every` steps, from the moment it is created.
#[derive(Clone, Debug)]
pub struct Probe {
    neuron: u32,
    every: u64,
    spikes: u16,
    samples: Vec<ProbeSample>,
}

impl Probe {
    /// A recorder of E neuron `neuron` sampled every `every` steps (at least 1).
    pub fn new(neuron: u32, every: u64) -> Self {
        Probe { neuron, every: every.max(1), spikes: 0, samples: Vec::new() }
    }

    pub fn neuron(&self) -> u32 {
        self.neuron
    }

    /// Called after every step: counts the neuron's spike and, on the sampling grid, reads its
    /// variables. A neuron index beyond the population records nothing.
    pub fn observe(&mut self, net: &Network) {
        let e = net.e();
        let i = self.neuron as usize;
        if i >= e.v.len() {
            return;
        }
        // `spikes` is ascending.
        if e.spikes.binary_search(&self.neuron).is_ok() {
            self.spikes = self.spikes.saturating_add(1);
        }
        let step = net.t();
        if step.is_multiple_of(self.every) {
            self.samples.push(ProbeSample {
                step,
                v: e.v[i],
                theta: e.theta[i],
                g_ampa: e.g_ampa[i],
                g_nmda: e.g_nmda[i],
                g_gaba: e.g_gaba[i],
                g_a1: e.g_a1[i],
                g_a2: e.g_a2[i],
                spikes: std::mem::take(&mut self.spikes),
            });
        }
    }

    /// Takes the samples recorded since the last call, oldest first.
    pub fn take(&mut self) -> Vec<ProbeSample> {
        std::mem::take(&mut self.samples)
    }
}

/// Inputs onto one source group (an assembly, or "rest": neurons in no assembly).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupInput {
    pub group: String,
    /// Synapses from the group onto the neuron.
    pub synapses: u32,
    /// Mean w and w̃ over them (0 without synapses; w̃ 0 if the projection keeps none) [g_L].
    pub w_mean: f64,
    pub wt_mean: f64,
}

/// What the inspector shows of one E neuron's inputs, at model time `t_s`.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronView {
    pub neuron: u32,
    pub t_s: f64,
    /// Names of the assemblies the neuron belongs to.
    pub memberships: Vec<String>,
    /// Its Input→E weight w from every input pixel, `input_side²` values (NaN where the pixel
    /// does not project onto it); pixel i at x = i % side, y = i / side (y up) [g_L].
    pub receptive_field: Vec<f32>,
    pub input_side: usize,
    /// Its incoming E→E synapses grouped by presynaptic assembly, in assembly order, then
    /// "rest". A presynaptic neuron in two assemblies counts for both (as in the weight view).
    pub incoming: Vec<GroupInput>,
}

/// The [`NeuronView`] of E neuron `neuron` of `net` with the given assemblies; None if there
/// is no such neuron.
pub fn neuron_view(net: &Network, assemblies: &[Pattern], neuron: u32) -> Option<NeuronView> {
    let n_e = net.e().len();
    let i = neuron as usize;
    if i >= n_e {
        return None;
    }
    let side = net.params().network.input_side;
    let mut receptive_field = vec![f32::NAN; side * side];
    let inp = net.projection(ProjectionId::InputE);
    for_incoming(inp, i, |pre, w, _| {
        if let Some(px) = receptive_field.get_mut(pre) {
            *px = w;
        }
    });
    // Membership bits of every E neuron: bit a for assembly a (at most 64 assemblies counted).
    let mut member = vec![0u64; n_e];
    for (a, p) in assemblies.iter().enumerate().take(64) {
        for &k in &p.indices {
            if let Some(m) = member.get_mut(k as usize) {
                *m |= 1 << a;
            }
        }
    }
    let k = assemblies.len().min(64);
    let mut sums = vec![(0u32, 0f64, 0f64); k + 1];
    let ee = net.projection(ProjectionId::Ee);
    for_incoming(ee, i, |pre, w, wt| {
        let bits = member.get(pre).copied().unwrap_or(0);
        let mut add = |g: usize| {
            let s = &mut sums[g];
            s.0 += 1;
            s.1 += w as f64;
            s.2 += wt.unwrap_or(0.0) as f64;
        };
        if bits == 0 {
            add(k);
        }
        for a in (0..k).filter(|a| bits & (1 << a) != 0) {
            add(a);
        }
    });
    let names = assemblies.iter().take(k).map(|p| p.name.clone()).chain(std::iter::once("rest".to_string()));
    let incoming = names
        .zip(sums)
        .map(|(group, (n, w, wt))| {
            let d = f64::from(n.max(1));
            GroupInput { group, synapses: n, w_mean: w / d, wt_mean: wt / d }
        })
        .collect();
    let memberships = (0..k).filter(|&a| member[i] & (1 << a) != 0).map(|a| assemblies[a].name.clone()).collect();
    Some(NeuronView { neuron, t_s: net.time_s(), memberships, receptive_field, input_side: side, incoming })
}

/// Calls `f(pre, w, w̃)` for every synapse of `proj` onto postsynaptic neuron `post`: through
/// the transposed index if the projection has one, else by a search of every row.
fn for_incoming(proj: &super::connectivity::Projection, post: usize, mut f: impl FnMut(usize, f32, Option<f32>)) {
    let has_wt = proj.w_tilde.len() == proj.w.len() && !proj.w.is_empty();
    if proj.col_ptr.len() == proj.n_post + 1 {
        let cols = proj.col_ptr[post] as usize..proj.col_ptr[post + 1] as usize;
        for k in cols {
            let syn = proj.col_syn[k] as usize;
            f(proj.col_pre[k] as usize, proj.w[syn], has_wt.then(|| proj.w_tilde[k]));
        }
    } else {
        for pre in 0..proj.n_pre {
            if let Some(syn) = proj.synapse_index(pre, post) {
                f(pre, proj.w[syn], None);
            }
        }
    }
}

/// A set of E→E synapses whose weight changes the mechanism ledger explains
/// ([`Network::explain`]).
#[derive(Clone, Debug, PartialEq)]
pub enum WeightSelection {
    /// The synapse from E neuron `pre` onto E neuron `post`.
    Synapse { pre: u32, post: u32 },
    /// Every E→E synapse onto E neuron `post`.
    Inputs { post: u32 },
    /// Every E→E synapse from a member of group `pre` onto a member of group `post`; a group is
    /// an assembly index, or the number of assemblies for "rest" (neurons in none).
    Block { pre: usize, post: usize },
}

/// The E→E synapse indices of a selection in `net` with the given assemblies, and its name
/// ("circle → circle", "inputs of E 17", "E 3 → E 17"). Refused when it names a neuron, a
/// group or a synapse that does not exist, or selects no synapse.
pub fn resolve_selection(
    net: &Network,
    assemblies: &[Pattern],
    sel: &WeightSelection,
) -> crate::Result<(Vec<usize>, String)> {
    let ee = net.projection(ProjectionId::Ee);
    let n_e = net.e().len();
    let bad = |what: String| crate::Error::Invalid(what);
    let check = |n: u32| if (n as usize) < n_e { Ok(n as usize) } else { Err(bad(format!("no E neuron {n}"))) };
    let (syn, name) = match *sel {
        WeightSelection::Synapse { pre, post } => {
            let (j, i) = (check(pre)?, check(post)?);
            let s = ee.synapse_index(j, i).ok_or_else(|| bad(format!("no E→E synapse from E {pre} to E {post}")))?;
            (vec![s], format!("E {pre} → E {post}"))
        }
        WeightSelection::Inputs { post } => {
            let i = check(post)?;
            let cols = ee.col_ptr[i] as usize..ee.col_ptr[i + 1] as usize;
            (ee.col_syn[cols].iter().map(|&s| s as usize).collect(), format!("inputs of E {post}"))
        }
        WeightSelection::Block { pre, post } => {
            let k = assemblies.len();
            let group = |g: usize| -> crate::Result<(Vec<bool>, String)> {
                if g > k {
                    return Err(bad(format!("no group {g} ({k} assemblies and rest)")));
                }
                // Group k is "rest": the complement of every assembly.
                let members = if g < k { std::slice::from_ref(&assemblies[g]) } else { assemblies };
                let mut member = vec![g == k; n_e];
                for &m in members.iter().flat_map(|p| &p.indices).filter(|&&m| (m as usize) < n_e) {
                    member[m as usize] = g < k;
                }
                Ok((member, if g < k { assemblies[g].name.clone() } else { "rest".into() }))
            };
            let ((from, a), (to, b)) = (group(pre)?, group(post)?);
            let syn =
                (0..n_e).filter(|&j| from[j]).flat_map(|j| ee.row(j).filter(|&s| to[ee.post[s] as usize])).collect();
            (syn, format!("{a} → {b}"))
        }
    };
    if syn.is_empty() {
        return Err(bad(format!("{name}: no synapses")));
    }
    Ok((syn, name))
}
