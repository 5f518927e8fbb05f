//! The mechanism ledger: for a selection of excitatory plastic synapses, every change of w
//! split by the term of the rule that made it (docs/model.md §5.2–§5.4), and the change of w̃
//! by consolidation — the answer to "why did this weight change".
//!
//! The ledger does not touch the step's kernels: in the serial emission phase of each step it
//! applies the same rule functions ([`plasticity::exc_pre`], [`plasticity::exc_post`],
//! [`Consolidation::step`](plasticity::Consolidation::step)) to the selected synapses only,
//! with the same factors the kernels read (the LTD amplitudes of [`Ltd`], the spikes'
//! [`PostSpike`] factors, the presynaptic traces), in the same order — arrivals, then
//! postsynaptic updates, then consolidation when due — and books each term. Its copy of every
//! selected w and w̃ therefore equals the network's bit for bit after every step (tested), and
//! the booked terms sum to the change of w exactly. The cost is one branch per step when
//! nothing is selected, and work proportional to the selected synapses' events when something is.

use super::Network;
use super::kernels::Ltd;
use crate::error::{Error, Result};
use crate::sim::connectivity::{Plasticity, Population, ProjectionId};
use crate::sim::plasticity;

/// One term of the excitatory rule, as the ledger books it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// Triplet LTP A·z_i·x_j at a postsynaptic spike.
    Ltp,
    /// LTD at a presynaptic arrival: B·y_i, times (ν̄_i/κ)² under P11.
    Ltd,
    /// Heterosynaptic −β·y_i³·(w − w̃) at a postsynaptic spike.
    Hetero,
    /// Transmitter-induced +δ at a presynaptic arrival.
    Transmitter,
    /// What the bounds removed: clipping at 0 and w_max, and the f32 rounding of each update
    /// (a few 10⁻⁸ per update).
    Bounds,
    /// Changes from outside the rule: weights imported or edited by the user.
    External,
}

impl Term {
    pub const ALL: [Term; 6] = [Term::Ltp, Term::Ltd, Term::Hetero, Term::Transmitter, Term::Bounds, Term::External];

    pub const fn index(self) -> usize {
        self as usize
    }

    /// Name for plots and summaries.
    pub const fn label(self) -> &'static str {
        match self {
            Term::Ltp => "LTP",
            Term::Ltd => "LTD",
            Term::Hetero => "heterosynaptic",
            Term::Transmitter => "transmitter",
            Term::Bounds => "bounds",
            Term::External => "edits",
        }
    }
}

/// Per-term sums, indexed by [`Term::index`] [g_L].
pub type Terms = [f64; 6];

/// The ledger's totals over the selection at one moment, cumulative since the selection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LedgerSample {
    /// Step at whose start the totals hold (after `step` steps of the run).
    pub step: u64,
    /// Σ over the selected synapses of each term's cumulative change of w [g_L].
    pub terms: Terms,
    /// Σ of the cumulative change of w̃ by consolidation [g_L].
    pub consolidation: f64,
    /// Σ of (w now − w at selection), read from the network [g_L]: equals Σ `terms`.
    pub dw: f64,
}

/// One selected synapse.
#[derive(Clone, Copy, Debug)]
struct Selected {
    proj: ProjectionId,
    /// Synapse index (row order) and its position in the transposed index (where w̃ lives).
    syn: u32,
    col: u32,
    pre: u32,
    post: u32,
}

/// The ledger of a selection (see the module documentation).
#[derive(Clone, Debug)]
pub struct Ledger {
    sel: Vec<Selected>,
    /// Per projection (by [`ProjectionId::index`]; empty for others): for each pre- and
    /// postsynaptic unit, the positions in `sel` of its selected synapses.
    by_pre: [Vec<Vec<u32>>; 5],
    by_post: [Vec<Vec<u32>>; 5],
    /// The ledger's copies of w and w̃ of each selected synapse.
    w: Vec<f32>,
    w_tilde: Vec<f32>,
    /// Cumulative terms and consolidation of each selected synapse.
    acc: Vec<Terms>,
    cons: Vec<f64>,
    totals: Terms,
    total_cons: f64,
    /// Σ w at selection.
    w0: f64,
    start: u64,
    every: u64,
    samples: Vec<LedgerSample>,
}

impl Ledger {
    /// Number of selected synapses.
    pub fn len(&self) -> usize {
        self.sel.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sel.is_empty()
    }

    /// Step at which booking started.
    pub fn start_step(&self) -> u64 {
        self.start
    }

    /// Selected synapse k: its projection and synapse index.
    pub fn synapse(&self, k: usize) -> (ProjectionId, usize) {
        (self.sel[k].proj, self.sel[k].syn as usize)
    }

    /// The ledger's own copy of w of selected synapse k (equal to the network's).
    pub fn w(&self, k: usize) -> f32 {
        self.w[k]
    }

    /// The ledger's own copy of w̃ of selected synapse k (equal to the network's).
    pub fn w_tilde(&self, k: usize) -> f32 {
        self.w_tilde[k]
    }

    /// Cumulative terms of selected synapse k since the selection [g_L].
    pub fn terms(&self, k: usize) -> Terms {
        self.acc[k]
    }

    /// Cumulative change of w̃ of selected synapse k by consolidation [g_L].
    pub fn consolidation(&self, k: usize) -> f64 {
        self.cons[k]
    }

    /// Σ over the selection of each term [g_L].
    pub fn totals(&self) -> Terms {
        self.totals
    }

    /// Takes the samples recorded since the last call, oldest first.
    pub fn take_samples(&mut self) -> Vec<LedgerSample> {
        std::mem::take(&mut self.samples)
    }

    fn book(&mut self, k: usize, term: Term, v: f64) {
        self.acc[k][term.index()] += v;
        self.totals[term.index()] += v;
    }
}

impl Network {
    /// Starts booking the changes of w of `synapses` (excitatory plastic projections, synapse
    /// indices in row order) by mechanism, with a sample of the totals every `every` steps
    /// (see [`Ledger`]); replaces any earlier selection. A synapse listed twice counts once.
    pub fn explain(&mut self, synapses: &[(ProjectionId, usize)], every: u64) -> Result<()> {
        let mut list: Vec<(ProjectionId, usize)> = synapses.to_vec();
        list.sort_by_key(|&(id, s)| (id.index(), s));
        list.dedup();
        let mut sel = Vec::with_capacity(list.len());
        for (proj, syn) in list {
            let p = &self.proj[proj];
            if proj.plasticity() != Plasticity::Excitatory {
                return Err(Error::Invalid(format!(
                    "{}: only excitatory plastic synapses can be explained",
                    proj.label()
                )));
            }
            if syn >= p.len() {
                return Err(Error::Invalid(format!("{} has no synapse {syn} ({} synapses)", proj.label(), p.len())));
            }
            let pre = p.row_ptr.partition_point(|&r| r as usize <= syn) - 1;
            let post = p.post[syn] as usize;
            let cols = p.col_ptr[post] as usize..p.col_ptr[post + 1] as usize;
            let col = cols.clone().find(|&c| p.col_syn[c] as usize == syn).expect("every synapse is in its column");
            sel.push(Selected { proj, syn: syn as u32, col: col as u32, pre: pre as u32, post: post as u32 });
        }
        let index = |f: fn(&Selected) -> u32, pop: fn(ProjectionId) -> Population| {
            ProjectionId::ALL.map(|id| {
                let mut v: Vec<Vec<u32>> = Vec::new();
                if sel.iter().any(|s| s.proj == id) {
                    v = vec![Vec::new(); self.size(pop(id))];
                    for (k, s) in sel.iter().enumerate().filter(|(_, s)| s.proj == id) {
                        v[f(s) as usize].push(k as u32);
                    }
                }
                v
            })
        };
        let (by_pre, by_post) = (index(|s| s.pre, ProjectionId::pre), index(|s| s.post, ProjectionId::post));
        let w: Vec<f32> = sel.iter().map(|s| self.proj[s.proj].w[s.syn as usize]).collect();
        let w_tilde = sel.iter().map(|s| self.proj[s.proj].w_tilde[s.col as usize]).collect();
        let n = sel.len();
        self.ledger = Some(Box::new(Ledger {
            w0: w.iter().map(|&v| f64::from(v)).sum(),
            sel,
            by_pre,
            by_post,
            w,
            w_tilde,
            acc: vec![[0.0; 6]; n],
            cons: vec![0.0; n],
            totals: [0.0; 6],
            total_cons: 0.0,
            start: self.t,
            every: every.max(1),
            samples: Vec::new(),
        }));
        Ok(())
    }

    /// Stops booking (drops the ledger).
    pub fn stop_explaining(&mut self) {
        self.ledger = None;
    }

    /// The ledger of the current selection, if any.
    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_deref()
    }

    /// Takes the ledger's samples recorded since the last call (empty without a selection).
    pub fn take_ledger_samples(&mut self) -> Vec<LedgerSample> {
        self.ledger.as_mut().map(|l| l.take_samples()).unwrap_or_default()
    }

    /// Books what an edit from outside the rule did to the selected synapses of `id` (w set
    /// by [`Network::set_weights`]: the [`Term::External`] term; w̃ set by
    /// [`Network::set_w_tilde`]: followed, not booked).
    pub(super) fn ledger_resync(&mut self, id: ProjectionId) {
        let Some(l) = self.ledger.as_mut() else { return };
        let p = &self.proj[id];
        for k in 0..l.sel.len() {
            let s = l.sel[k];
            if s.proj == id {
                let w = p.w[s.syn as usize];
                l.book(k, Term::External, f64::from(w) - f64::from(l.w[k]));
                l.w[k] = w;
                l.w_tilde[k] = p.w_tilde[s.col as usize];
            }
        }
    }

    /// The ledger's share of step t, run at the end of emission (the state is that of the
    /// end of step t − 1, this step's spikes and factors known): books what the step's
    /// arrivals, postsynaptic updates and consolidation do to the selected synapses.
    pub(super) fn ledger_step(&mut self) {
        let Some(mut l) = self.ledger.take() else { return };
        let (t, d) = (self.t, &self.d);
        if (t - l.start).is_multiple_of(l.every) {
            let now: f64 = l.sel.iter().map(|s| f64::from(self.proj[s.proj].w[s.syn as usize])).sum();
            l.samples.push(LedgerSample { step: t, terms: l.totals, consolidation: l.total_cons, dw: now - l.w0 });
        }
        if d.exc_plastic {
            let c = self.post.scale(t, &d.post);
            let ltd = Ltd::new(&self.post.y, (&self.post.h, &self.h32), c, d);
            for id in ProjectionId::ALL {
                if l.by_pre[id.index()].is_empty() {
                    continue;
                }
                for &j in self.delays[id.pre().index()].arrivals(t).0 {
                    for n in 0..l.by_pre[id.index()][j as usize].len() {
                        let k = l.by_pre[id.index()][j as usize][n] as usize;
                        let (w0, a) = (l.w[k], ltd.at(l.sel[k].post as usize));
                        let w1 = plasticity::exc_pre(w0, a, d.delta);
                        l.book(k, Term::Ltd, -f64::from(a));
                        l.book(k, Term::Transmitter, f64::from(d.delta));
                        l.book(k, Term::Bounds, f64::from(w1) - (f64::from(w0) - f64::from(a) + f64::from(d.delta)));
                        l.w[k] = w1;
                    }
                }
                let (trace, (table, _)) = (&self.x[id.pre().index()], d.pre_trace(id.pre()));
                let scale = trace.scale(t, table);
                for s in &self.plan.post {
                    for n in 0..l.by_post[id.index()][s.i as usize].len() {
                        let k = l.by_post[id.index()][s.i as usize][n] as usize;
                        let (w1, wt) = (l.w[k], l.w_tilde[k]);
                        let ltp = s.az * (trace.x[l.sel[k].pre as usize] * scale);
                        let het = s.het * (w1 - wt);
                        let w2 = plasticity::exc_post(w1, wt, ltp, s.het, d.w_max);
                        l.book(k, Term::Ltp, f64::from(ltp));
                        l.book(k, Term::Hetero, -f64::from(het));
                        l.book(k, Term::Bounds, f64::from(w2) - (f64::from(w1) + f64::from(ltp) - f64::from(het)));
                        l.w[k] = w2;
                    }
                }
            }
        }
        if d.consolidate && t.is_multiple_of(d.cons_every) {
            for k in 0..l.sel.len() {
                let wt = d.cons.step(l.w[k], l.w_tilde[k]);
                let dc = f64::from(wt) - f64::from(l.w_tilde[k]);
                l.cons[k] += dc;
                l.total_cons += dc;
                l.w_tilde[k] = wt;
            }
        }
        self.ledger = Some(l);
    }
}
