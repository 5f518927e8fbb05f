//! How one [`Network::run`] spreads the step over the compute pool: partitions, the phases of a
//! step and what each may read and write. This file holds the only raw-pointer `unsafe` of the
//! model (besides the vector kernels' intrinsics): the partitions write the network through
//! [`Disjoint`] pointers, each at indices no other thread touches in the same phase.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::Network;
use super::emulation;
use super::kernels::{self, Ltd, PostSpike};
use crate::sim::connectivity::{Plasticity, Population, ProjectionId, Projections};
use crate::sim::neuron::{self, NeuronSlices, Neurons};
use crate::sim::plasticity;
use crate::sim::pool::{Disjoint, Pool, SpinBarrier, split_even};
use crate::sim::traces::PostTraces;

/// One compute thread's share of the network: contiguous ranges of E and I indices.
/// The partition owns its neurons' state, their post traces, and every synapse onto them (the
/// incoming slice of each projection), as Auryn's MPI ranks do.
#[derive(Clone, Debug)]
pub(super) struct Part {
    e: Range<usize>,
    i: Range<usize>,
    /// Spikes of this partition's E and I neurons in the current step (global indices).
    spikes_e: Vec<u32>,
    spikes_i: Vec<u32>,
}

/// The partition plan for a thread count: parts, row splits per projection, and the pool.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    parts: Vec<Part>,
    /// Row splits (see [`crate::sim::connectivity::Projection::row_splits`]) of each
    /// projection, indexed by [`ProjectionId::index`].
    splits: [Vec<u32>; 5],
    /// This step's E spikes with the postsynaptic factors they apply (filled at emission).
    pub(super) post: Vec<PostSpike>,
    pool: Arc<Pool>,
}

impl Plan {
    /// Splits `ne` E and `ni` I neurons evenly among `threads` partitions.
    pub fn new(threads: usize, ne: usize, ni: usize, proj: &Projections) -> crate::Result<Self> {
        let pool = Pool::new(threads).map_err(crate::Error::Invalid)?;
        let (pe, pi) = (split_even(ne, threads), split_even(ni, threads));
        let parts: Vec<Part> = (0..threads)
            .map(|k| Part { e: pe[k].clone(), i: pi[k].clone(), spikes_e: Vec::new(), spikes_i: Vec::new() })
            .collect();
        let starts = |r: &[Range<usize>]| r.iter().map(|r| r.start).collect::<Vec<_>>();
        let (starts_e, starts_i) = (starts(&pe), starts(&pi));
        let splits = ProjectionId::ALL
            .map(|id| proj[id].row_splits(if id.post() == Population::E { &starts_e } else { &starts_i }));
        Ok(Plan { parts, splits, post: Vec::new(), pool: Arc::new(pool) })
    }

    pub fn threads(&self) -> usize {
        self.parts.len()
    }
}

/// Runs `steps` steps of `net` on its pool (see [`Network::run`] for the duty cycle and the
/// phases).
pub(super) fn run(net: &mut Network, steps: u64, observe: impl FnMut(&Network) + Send) {
    if steps == 0 {
        return;
    }
    let pool = net.plan.pool.clone();
    let observe = Mutex::new(observe);
    let np = NetPtr(net);
    // SAFETY: `net` is exclusively borrowed for the whole run, and nothing the pointers cover is
    // resized while they live (spike lists and delay slots, which are, are touched only by
    // thread 0 in the serial phases).
    let w = unsafe { Writable::new(&mut *np.0) };
    pool.run(|k, barrier: &SpinBarrier| {
        let np = &np;
        // Phase A (all threads): partition k's neurons evolve.
        // SAFETY: partition k writes only its own neurons and spike lists (`w`); nobody writes
        // what it reads through the shared reference.
        unsafe { (*np.0).part_evolve(&w, k, (*np.0).t) };
        barrier.wait();
        if k == 0 {
            // Phase B (thread 0 alone, the others wait at the barrier): emission.
            // SAFETY: the only live access between these two barriers.
            unsafe { (*np.0).emit(&w) };
        }
        barrier.wait();
        for n in 0..steps {
            // SAFETY: shared reads of what no thread writes until the next serial phase: the
            // structure, delay lines, traces' non-partition data, `plan.post`, parameters.
            let net = unsafe { &*np.0 };
            // Phase C: arrivals onto partition k.
            // SAFETY: partition k writes only its targets' conductances and its synapses.
            unsafe { net.part_arrivals(&w, k) };
            barrier.wait();
            // Phase D: share k of the postsynaptic updates, consolidation when due (after a
            // barrier: it reads w that other shares write), partition k's post traces and the
            // next step's evolve and prefetch.
            // SAFETY: the column shares of different k are disjoint.
            unsafe { net.part_post(&w, k) };
            if net.d.consolidate && net.t.is_multiple_of(net.d.cons_every) {
                barrier.wait();
                // SAFETY: partition k's columns, touched by no other thread in this phase.
                unsafe { net.part_consolidate(&w, k) };
            }
            // SAFETY: partition k's own post traces.
            unsafe { net.part_traces(&w, k) };
            if n + 1 < steps {
                // SAFETY: partition k's own neurons; prefetches never fault.
                unsafe { net.part_evolve(&w, k, net.t + 1) };
                net.part_prefetch(&w, k, net.t + 1);
            }
            barrier.wait();
            if k == 0 {
                // Phase E (thread 0 alone): finish the step, observe, emit the next.
                // SAFETY: the only live access between these two barriers.
                let net = unsafe { &mut *np.0 };
                net.finish_step();
                let mut f = observe.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                (*f)(net);
                if n + 1 < steps {
                    // SAFETY: serial phase, as above.
                    unsafe { net.emit(&w) };
                }
            }
            barrier.wait();
        }
    });
}

/// The network, shared by the pool's threads for one [`run`].
struct NetPtr(*mut Network);
// SAFETY: see [`run`]: phases separated by barriers make every access exclusive or read-only.
unsafe impl Sync for NetPtr {}
// SAFETY: as above.
unsafe impl Send for NetPtr {}

/// Pointers to everything the partitions write during a run (see [`Disjoint`]).
struct Writable {
    /// E and I neurons, by [`Population::index`].
    neurons: [NeuronPtrs; 2],
    /// w and w̃ of every projection, by [`ProjectionId::index`] (w̃ empty where not kept).
    w: [Disjoint<f32>; 5],
    w_tilde: [Disjoint<f32>; 5],
    y: Disjoint<f32>,
    z: Disjoint<f32>,
    h: Disjoint<f64>,
    h32: Disjoint<f32>,
    parts: Disjoint<Part>,
}

impl Writable {
    /// # Safety
    /// The pointers must not outlive `net`'s borrow, and `net`'s vectors must not be resized
    /// while they are used.
    unsafe fn new(net: &mut Network) -> Self {
        let w = ProjectionId::ALL.map(|id| Disjoint::new(&mut net.proj[id].w));
        let w_tilde = ProjectionId::ALL.map(|id| Disjoint::new(&mut net.proj[id].w_tilde));
        Writable {
            neurons: [NeuronPtrs::new(&mut net.e), NeuronPtrs::new(&mut net.i)],
            w,
            w_tilde,
            y: Disjoint::new(&mut net.post.y),
            z: Disjoint::new(&mut net.post.z),
            h: Disjoint::new(&mut net.post.h),
            h32: Disjoint::new(&mut net.h32),
            parts: Disjoint::new(&mut net.plan.parts),
        }
    }

    fn neurons(&self, pop: Population) -> &NeuronPtrs {
        &self.neurons[pop.index()]
    }
}

/// [`Disjoint`] pointers to the state vectors of one population.
struct NeuronPtrs {
    v: Disjoint<f32>,
    g_ampa: Disjoint<f32>,
    g_nmda: Disjoint<f32>,
    g_gaba: Disjoint<f32>,
    g_a1: Disjoint<f32>,
    g_a2: Disjoint<f32>,
    theta: Disjoint<f32>,
}

impl NeuronPtrs {
    fn new(n: &mut Neurons) -> Self {
        NeuronPtrs {
            v: Disjoint::new(&mut n.v),
            g_ampa: Disjoint::new(&mut n.g_ampa),
            g_nmda: Disjoint::new(&mut n.g_nmda),
            g_gaba: Disjoint::new(&mut n.g_gaba),
            g_a1: Disjoint::new(&mut n.g_a1),
            g_a2: Disjoint::new(&mut n.g_a2),
            theta: Disjoint::new(&mut n.theta),
        }
    }

    /// # Safety
    /// No other thread accesses neurons `r` meanwhile.
    unsafe fn range(&self, r: Range<usize>) -> NeuronSlices<'_> {
        // SAFETY: neurons `r` are exclusive by the caller's contract.
        unsafe {
            NeuronSlices {
                v: self.v.range_mut(r.clone()),
                g_ampa: self.g_ampa.range_mut(r.clone()),
                g_nmda: self.g_nmda.range_mut(r.clone()),
                g_gaba: self.g_gaba.range_mut(r.clone()),
                g_a1: self.g_a1.range_mut(r.clone()),
                g_a2: self.g_a2.range_mut(r.clone()),
                theta: self.theta.range_mut(r),
            }
        }
    }

    /// The conductance a projection's spikes add to: AMPA for excitatory, GABA for inhibitory.
    fn target(&self, id: ProjectionId) -> Disjoint<f32> {
        if id.excitatory() { self.g_ampa } else { self.g_gaba }
    }
}

impl Network {
    /// Phase A, partition k: its E and I neurons evolve (step `step`); spikes go to its lists.
    /// Every [`neuron::FLUSH_EVERY`] steps, first set its neurons' decayed-to-nothing values
    /// to 0 (see [`neuron::flush_tiny`]).
    ///
    /// # Safety
    /// Inside [`run`], with partition k's neurons and record exclusive to the caller.
    unsafe fn part_evolve(&self, w: &Writable, k: usize, step: u64) {
        // SAFETY: partition k's record is its own.
        let part = unsafe { w.parts.at(k) };
        let d = &self.d;
        part.spikes_e.clear();
        part.spikes_i.clear();
        if step.is_multiple_of(neuron::FLUSH_EVERY) {
            for (pop, r) in [(Population::E, part.e.clone()), (Population::I, part.i.clone())] {
                // SAFETY: partition k's neuron ranges are its own.
                neuron::flush_tiny(unsafe { w.neurons(pop).range(r) });
            }
        }
        // SAFETY: partition k's neuron ranges are its own.
        let (e, i) =
            unsafe { (w.neurons(Population::E).range(part.e.clone()), w.neurons(Population::I).range(part.i.clone())) };
        neuron::evolve(e, part.e.start as u32, &d.ne, &mut part.spikes_e);
        neuron::evolve(i, part.i.start as u32, &d.ni, &mut part.spikes_i);
    }

    /// Phase B, one thread (the rest of step 1 and step 2 of the duty cycle): gathers the
    /// partitions' spikes, draws the input, and sends every spike into its delay line with its
    /// STP efficacy; computes the postsynaptic factors of the E spikes and the modulation G;
    /// books the step in the mechanism ledger, if one is open.
    ///
    /// # Safety
    /// Inside [`run`], with no other thread accessing the network.
    unsafe fn emit(&mut self, w: &Writable) {
        let t = self.t;
        self.e.spikes.clear();
        self.i.spikes.clear();
        for k in 0..self.plan.threads() {
            // SAFETY: single-threaded phase.
            let part = unsafe { w.parts.at(k) };
            self.e.spikes.extend_from_slice(&part.spikes_e);
            self.i.spikes.extend_from_slice(&part.spikes_i);
        }
        self.input.generate();
        self.input.advance_schedule(t);
        let stp_on = self.d.stp;
        for pop in Population::ALL {
            let (spikes, stp) = match pop {
                Population::E => (&self.e.spikes, Some(&mut self.stp_e)),
                Population::I => (&self.i.spikes, None),
                Population::Input => (&self.input.spikes, Some(&mut self.stp_in)),
            };
            let line = &mut self.delays[pop.index()];
            let slot = line.slot(t);
            line.ids[slot].clear();
            line.ids[slot].extend_from_slice(spikes);
            let eff = &mut line.eff[slot];
            eff.clear();
            match stp {
                Some(stp) if stp_on => eff.extend(spikes.iter().map(|&j| stp.fire(j as usize, t))),
                _ => eff.resize(spikes.len(), 1.0),
            }
            line.mixed[slot].clear();
            if pop == Population::E && stp_on && self.d.stp_mixup > 1 {
                let (ee, ei) = emulation::mix_efficacies(&line.ids[slot], &line.eff[slot], self.d.stp_mixup);
                (line.eff[slot], line.mixed[slot]) = (ee, ei);
            }
        }
        let d = &self.d;
        self.plan.post.clear();
        let c = self.post.scale(t, &d.post);
        self.plan.post.extend(self.e.spikes.iter().map(|&i| {
            let (y, z) = (self.post.y[i as usize] * c.y, self.post.z[i as usize] * c.z);
            let (az, het) = plasticity::post_factors(d.a_ltp, d.beta, y, z);
            PostSpike { i, az, het }
        }));
        self.counts.e += self.e.spikes.len() as u64;
        self.counts.i += self.i.spikes.len() as u64;
        self.counts.input += self.input.spikes.len() as u64;
        self.g_mod = plasticity::inh_modulation(d.eta_i, self.h_global, d.target_hz, self.e.len()) as f32;
        self.ledger_step();
    }

    /// Phase C, partition k (step 3's arrivals): every arriving spike's effect on the synapses
    /// onto its neurons — conductance jumps and presynaptic updates — projection by projection
    /// in [`ProjectionId::ALL`] order, so every conductance sums its inputs in the same order
    /// for any partitioning.
    ///
    /// # Safety
    /// Inside [`run`], with partition k's targets and synapses exclusive to the caller.
    unsafe fn part_arrivals(&self, w: &Writable, k: usize) {
        let (t, d) = (self.t, &self.d);
        // SAFETY: partition k's own record (read-only here).
        let part: &Part = unsafe { w.parts.at(k) };
        let pp = self.plan.threads() + 1;
        let (re, e0) = (part.e.clone(), part.e.start);
        // SAFETY: partition k's post traces, written by no thread in this phase.
        let (y, h, h32) = unsafe { (w.y.range(re.clone()), w.h.range(re.clone()), w.h32.range(re)) };
        let c = self.post.scale(t, &d.post);
        let ltd = Ltd::new(y, (h, h32), c, d);
        for id in ProjectionId::ALL {
            let (proj, splits) = (&self.proj[id], &self.plan.splits[id.index()]);
            let line = &self.delays[id.pre().index()];
            let (ids, mut eff) = line.arrivals(t);
            if id == ProjectionId::Ei
                && let Some(mixed) = line.mixed_arrivals(t)
            {
                eff = mixed;
            }
            let g = w.neurons(id.post()).target(id);
            // SAFETY: each call gets partition k's share of the projection's rows, whose targets
            // all lie in partition k (row splits), exclusive to this thread in this phase.
            unsafe {
                match id.plasticity() {
                    Plasticity::Excitatory => {
                        kernels::exc_arrivals(proj, w.w[id.index()], splits, pp, k, (ids, eff), g, &ltd, e0, d);
                    }
                    Plasticity::Static => {
                        kernels::static_arrivals(proj, splits, pp, k, ids, id.stp().then_some(eff), g);
                    }
                    Plasticity::Inhibitory => {
                        kernels::inh_arrivals(
                            proj,
                            w.w[id.index()],
                            splits,
                            pp,
                            k,
                            ids,
                            g,
                            (y, c.y, e0),
                            self.g_mod,
                            d,
                        );
                    }
                }
            }
        }
    }

    /// Prefetches partition k's slices of the rows (weights and targets) that arrive at step
    /// t, a phase before [`Network::part_arrivals`] walks them (delay ≥ 1, so t's arrivals are
    /// in the delay lines already).
    fn part_prefetch(&self, w: &Writable, k: usize, t: u64) {
        let pp = self.plan.threads() + 1;
        for id in ProjectionId::ALL {
            let (ids, _) = self.delays[id.pre().index()].arrivals(t);
            kernels::prefetch_rows(&self.proj[id], w.w[id.index()], &self.plan.splits[id.index()], pp, k, ids);
        }
    }

    /// Phase D, share k (step 3's postsynaptic updates): the postsynaptic updates of this
    /// step's E spikes on the plastic projections. The spikes' incoming synapses are cut into
    /// equal shares per thread whoever owns the neurons (each synapse has one update, so the cut
    /// does not change results): a step with more spikes in one partition then costs no thread
    /// more than the others.
    ///
    /// # Safety
    /// Inside [`run`] after every partition's arrivals (a barrier between).
    unsafe fn part_post(&self, w: &Writable, k: usize) {
        let (d, post, p, t) = (&self.d, &self.plan.post, self.plan.threads(), self.t);
        for id in ProjectionId::ALL {
            let (proj, trace) = (&self.proj[id], &self.x[id.pre().index()]);
            let (table, _) = d.pre_trace(id.pre());
            let x = (&trace.x[..], trace.scale(t, table));
            match id.plasticity() {
                Plasticity::Excitatory if d.exc_plastic => {
                    let (pw, pwt) = (w.w[id.index()], w.w_tilde[id.index()]);
                    kernels::for_column_share(&proj.col_ptr, post, k, p, |s, cols| {
                        // SAFETY: the column shares of different k are disjoint; the
                        // presynaptic traces are read-only in this phase.
                        unsafe { kernels::exc_post(proj, pw, pwt, s, cols, x, d.w_max) }
                    });
                }
                Plasticity::Inhibitory if d.inh_plastic => {
                    let (g, pw) = (self.g_mod, w.w[id.index()]);
                    kernels::for_column_share(&proj.col_ptr, post, k, p, |_, cols| {
                        let pre = &proj.col_pre[cols.clone()];
                        // SAFETY: as above.
                        unsafe {
                            kernels::for_each_gathered(pw, &proj.col_syn[cols], |n, wi| {
                                *wi = plasticity::inh_post(*wi, g, x.0[pre[n] as usize] * x.1, d.w_max_i);
                            });
                        }
                    });
                }
                _ => {}
            }
        }
    }

    /// Step 4's consolidation (when due), partition k: w̃ of the synapses onto its neurons,
    /// from their w after this step's plastic updates.
    ///
    /// # Safety
    /// Inside [`run`] after every share's postsynaptic updates (a barrier between).
    unsafe fn part_consolidate(&self, w: &Writable, k: usize) {
        let d = &self.d;
        // SAFETY: partition k's own record.
        let re = unsafe { w.parts.at(k) }.e.clone();
        for id in ProjectionId::ALL.into_iter().filter(|id| id.consolidates()) {
            let (proj, pw) = (&self.proj[id], w.w[id.index()]);
            let cols = proj.col_ptr[re.start] as usize..proj.col_ptr[re.end] as usize;
            // SAFETY: partition k's columns, read and written by no other thread in this phase.
            let wt = unsafe { w.w_tilde[id.index()].range_mut(cols.clone()) };
            for (c, wt) in cols.zip(wt) {
                // SAFETY: the synapses of partition k's columns, as above.
                *wt = d.cons.step(*unsafe { pw.at(proj.col_syn[c] as usize) }, *wt);
            }
        }
    }

    /// Step 4, partition k: its E neurons' spikes of this step enter their post traces (see
    /// [`PostTraces`]; the presynaptic traces take their arrivals in [`Network::finish_step`],
    /// STP relaxes at the next spike).
    ///
    /// # Safety
    /// Inside [`run`], with partition k's post traces exclusive to the caller.
    unsafe fn part_traces(&self, w: &Writable, k: usize) {
        // SAFETY: partition k's own record and ranges.
        unsafe {
            let part: &Part = w.parts.at(k);
            let re = part.e.clone();
            let yzh = (w.y.range_mut(re.clone()), w.z.range_mut(re.clone()), w.h.range_mut(re.clone()));
            PostTraces::spikes(yzh, re.clone(), &part.spikes_e, self.post.base, self.t, &self.d.post);
            if let Some(e) = self.d.hom32 {
                let e0 = re.start;
                let spikes = part.spikes_e.iter().map(move |&i| i as usize - e0);
                emulation::hom32_step(w.h32.range_mut(re), spikes, e.decay);
            }
        }
    }

    /// Phase E, one thread: the rest of step 4 (global rate estimate H, presynaptic traces)
    /// and step 5.
    fn finish_step(&mut self) {
        let d = &self.d;
        let t = self.t;
        // n_t of docs/model.md §6: E spikes delivered in this step.
        let delivered_e = self.delays[Population::E.index()].arrivals(t).0.len();
        self.h_global = self.h_global * d.decay_h + delivered_e as f64 * d.h_increment;
        // Presynaptic traces: this step's arrivals, now that every read of step t is done.
        for pop in Population::ALL {
            let (table, span) = d.pre_trace(pop);
            let x = &mut self.x[pop.index()];
            x.arrive(self.delays[pop.index()].arrivals(t).0, t, table);
            if t + 1 - x.base >= span {
                x.rebase(t + 1, table);
            }
        }
        self.post.rebased(t, &d.post);
        self.t += 1;
    }
}
