//! The complete evolving state of a [`Network`] as plain data — what snapshots save and what
//! a network is restored from — and the structure hash that ties it to its connectivity.
//!
//! Every evolving array is listed once, in `state_list!`: export ([`Network::state`]),
//! restore with its checks ([`Network::from_state`]) and the snapshot file format (which
//! stores the named arrays) all go through that list. Adding a state variable means adding its
//! line there.

use super::Network;
use crate::error::{Error, Result};
use crate::sim::connectivity::Population;
use crate::sim::input::InputState;
use crate::sim::monitor::{FNV_OFFSET, fnv1a};
use crate::sim::params::{Params, PhaseName};

/// Spike counts since construction, per population.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpikeCounts {
    pub e: u64,
    pub i: u64,
    pub input: u64,
}

/// One named array of the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    F32(Vec<f32>),
    F64(Vec<f64>),
    U32(Vec<u32>),
    U64(Vec<u64>),
}

impl Array {
    pub fn len(&self) -> usize {
        match self {
            Array::F32(v) => v.len(),
            Array::F64(v) => v.len(),
            Array::U32(v) => v.len(),
            Array::U64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Name of the element type: `f32`, `f64`, `u32`, `u64`.
    pub fn kind(&self) -> &'static str {
        match self {
            Array::F32(_) => "f32",
            Array::F64(_) => "f64",
            Array::U32(_) => "u32",
            Array::U64(_) => "u64",
        }
    }
}

/// The complete evolving state of a [`Network`]: what [`Network::state`] exports and
/// [`Network::from_state`] restores bit for bit. The connectivity is not included: it is
/// rebuilt from the parameters' seed and checked against `structure_hash`. Nor is the thread
/// count, which does not change results.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkState {
    /// Parameters in force (they may differ from the ones the network was built with in the
    /// live-editable fields).
    pub params: Params,
    /// Current step.
    pub t: u64,
    /// Phase being run and the step it started at.
    pub phase: Option<(PhaseName, u64)>,
    pub counts: SpikeCounts,
    /// [`Network::structure_hash`] of the network the state was taken from.
    pub structure_hash: u64,
    /// Every evolving array, named (exported in the order of the state list, see the module
    /// doc; restored by name).
    pub arrays: Vec<(String, Array)>,
    pub input: InputState,
}

impl NetworkState {
    /// The array named `name`, if present.
    pub fn array(&self, name: &str) -> Option<&Array> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The array named `name`, mutably, if present.
    pub fn array_mut(&mut self, name: &str) -> Option<&mut Array> {
        self.arrays.iter_mut().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// What a restored array must satisfy besides its type (values of f32/f64 arrays must also
/// be finite).
#[derive(Clone, Copy, Debug)]
enum Check {
    /// As long as the network's own array (fixed by the parameters).
    Fixed,
    /// Exactly this long.
    Len(usize),
    /// Exactly this long, or empty.
    LenOrEmpty(usize),
    /// Neuron indices: at most `n` of them, each below `n`.
    Ids(usize),
    /// Steps at or before the state's step `t`.
    NotAfter(u64),
    /// A trace's scale step: at or before `t` and at most `span` steps before it (a running
    /// network folds its scales every `span` steps).
    Base { t: u64, span: u64 },
}

/// The one list of the network's evolving arrays, in order, each with its name and its
/// [`Check`]. `$v` is a visitor ([`Export`] or [`Import`]); `$m` is `mut` for mutable access,
/// with `$vars` and `$iter` the matching accessors (`variables`/`iter` or `variables_mut`/
/// `iter_mut`). Expands to statements that use `?`.
macro_rules! state_list {
    ($net:expr, $v:expr, $vars:ident, $iter:ident, $($m:tt)?) => {{
        let (net, v) = ($net, $v);
        let t = net.t;
        v.scalar_f64("h_global", &$($m)? net.h_global)?;
        for (pop, n) in [(Population::E, &$($m)? net.e), (Population::I, &$($m)? net.i)] {
            let len = n.v.len();
            for (var, x) in n.$vars() {
                v.f32s(&format!("{}.{var}", pop.stem()), x, Check::Fixed)?;
            }
            v.u32s(&format!("{}.spikes", pop.stem()), &$($m)? n.spikes, Check::Ids(len))?;
        }
        for (id, p) in net.proj.$iter() {
            v.f32s(&format!("{}.w", id.stem()), &$($m)? p.w, Check::Fixed)?;
            if id.consolidates() {
                // Stored in transposed (column) order, as the projection keeps it.
                v.f32s(&format!("{}.w_tilde", id.stem()), &$($m)? p.w_tilde, Check::Fixed)?;
            }
        }
        for (pop, stp) in [(Population::E, &$($m)? net.stp_e), (Population::Input, &$($m)? net.stp_in)] {
            v.f32s(&format!("stp.{}.x", pop.stem()), &$($m)? stp.x, Check::Fixed)?;
            v.f32s(&format!("stp.{}.u", pop.stem()), &$($m)? stp.u, Check::Fixed)?;
            v.u64s(&format!("stp.{}.t", pop.stem()), &$($m)? stp.t, Check::NotAfter(t))?;
        }
        for pop in Population::ALL {
            let n = net.size(pop);
            let line = &$($m)? net.delays[pop.index()];
            for k in 0..line.ids.len() {
                v.u32s(&format!("delay.{}.{k}.ids", pop.stem()), &$($m)? line.ids[k], Check::Ids(n))?;
                let len = line.ids[k].len();
                v.f32s(&format!("delay.{}.{k}.eff", pop.stem()), &$($m)? line.eff[k], Check::Len(len))?;
                v.f32s(&format!("delay.{}.{k}.mixed", pop.stem()), &$($m)? line.mixed[k], Check::LenOrEmpty(len))?;
            }
        }
        for pop in Population::ALL {
            let (_, span) = net.d.pre_trace(pop);
            let x = &$($m)? net.x[pop.index()];
            v.f32s(&format!("x.{}", pop.stem()), &$($m)? x.x, Check::Fixed)?;
            v.scalar_u64(&format!("x.{}.base", pop.stem()), &$($m)? x.base, Check::Base { t, span })?;
        }
        let span = net.d.post.span;
        v.f32s("post.y", &$($m)? net.post.y, Check::Fixed)?;
        v.f32s("post.z", &$($m)? net.post.z, Check::Fixed)?;
        v.f64s("post.h", &$($m)? net.post.h, Check::Fixed)?;
        v.scalar_u64("post.base", &$($m)? net.post.base, Check::Base { t, span })?;
        v.f32s("post.h32", &$($m)? net.h32, Check::Fixed)?;
    }};
}

/// Copies every array out.
struct Export(Vec<(String, Array)>);

#[expect(
    clippy::unnecessary_wraps,
    clippy::trivially_copy_pass_by_ref,
    reason = "the same signatures as Import's, so that one list (state_list!) drives both"
)]
impl Export {
    fn scalar_f64(&mut self, name: &str, x: &f64) -> Result<()> {
        self.0.push((name.into(), Array::F64(vec![*x])));
        Ok(())
    }
    fn scalar_u64(&mut self, name: &str, x: &u64, _: Check) -> Result<()> {
        self.0.push((name.into(), Array::U64(vec![*x])));
        Ok(())
    }
    fn f32s(&mut self, name: &str, x: &[f32], _: Check) -> Result<()> {
        self.0.push((name.into(), Array::F32(x.to_vec())));
        Ok(())
    }
    fn f64s(&mut self, name: &str, x: &[f64], _: Check) -> Result<()> {
        self.0.push((name.into(), Array::F64(x.to_vec())));
        Ok(())
    }
    fn u32s(&mut self, name: &str, x: &[u32], _: Check) -> Result<()> {
        self.0.push((name.into(), Array::U32(x.to_vec())));
        Ok(())
    }
    fn u64s(&mut self, name: &str, x: &[u64], _: Check) -> Result<()> {
        self.0.push((name.into(), Array::U64(x.to_vec())));
        Ok(())
    }
}

/// Moves the arrays of a state in, by name, checking each.
struct Import(std::collections::BTreeMap<String, Array>);

fn bad(msg: String) -> Error {
    Error::Invalid(msg)
}

impl Import {
    /// The array named `name`.
    fn next(&mut self, name: &str) -> Result<Array> {
        self.0.remove(name).ok_or_else(|| bad(format!("the array {name} is missing")))
    }

    fn check_len(name: &str, got: usize, have: usize, check: Check) -> Result<()> {
        let want = match check {
            Check::LenOrEmpty(_) if got == 0 => return Ok(()),
            Check::Len(n) | Check::LenOrEmpty(n) => n,
            Check::Ids(n) if got <= n => return Ok(()),
            Check::Ids(n) => return Err(bad(format!("{name}: {got} values, at most {n} expected"))),
            Check::Fixed | Check::NotAfter(_) | Check::Base { .. } => have,
        };
        if got == want { Ok(()) } else { Err(bad(format!("{name}: {got} values, the network has {want}"))) }
    }

    fn finite<T: Copy + Into<f64>>(name: &str, x: &[T]) -> Result<()> {
        match x.iter().position(|&v| !v.into().is_finite()) {
            Some(k) => Err(bad(format!("{name}[{k}] is {}, expected a finite value", x[k].into()))),
            None => Ok(()),
        }
    }

    fn steps(name: &str, x: &[u64], check: Check) -> Result<()> {
        for &s in x {
            match check {
                Check::NotAfter(t) if s > t => {
                    return Err(bad(format!("{name}: step {s} is after the state's step {t}")));
                }
                Check::Base { t, span } if s > t || t - s > span => {
                    return Err(bad(format!(
                        "{name}: scale step {s}: expected at most {span} steps before the state's step {t}"
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn scalar_f64(&mut self, name: &str, x: &mut f64) -> Result<()> {
        match self.next(name)? {
            Array::F64(v) if v.len() == 1 && v[0].is_finite() => {
                *x = v[0];
                Ok(())
            }
            a => Err(bad(format!("{name}: expected one finite f64, found {} {} values", a.len(), a.kind()))),
        }
    }
    fn scalar_u64(&mut self, name: &str, x: &mut u64, check: Check) -> Result<()> {
        match self.next(name)? {
            Array::U64(v) if v.len() == 1 => {
                Self::steps(name, &v, check)?;
                *x = v[0];
                Ok(())
            }
            a => Err(bad(format!("{name}: expected one u64, found {} {} values", a.len(), a.kind()))),
        }
    }
    fn f32s(&mut self, name: &str, x: &mut Vec<f32>, check: Check) -> Result<()> {
        match self.next(name)? {
            Array::F32(v) => {
                Self::check_len(name, v.len(), x.len(), check)?;
                Self::finite(name, &v)?;
                *x = v;
                Ok(())
            }
            a => Err(bad(format!("{name}: expected f32 values, found {}", a.kind()))),
        }
    }
    fn f64s(&mut self, name: &str, x: &mut Vec<f64>, check: Check) -> Result<()> {
        match self.next(name)? {
            Array::F64(v) => {
                Self::check_len(name, v.len(), x.len(), check)?;
                Self::finite(name, &v)?;
                *x = v;
                Ok(())
            }
            a => Err(bad(format!("{name}: expected f64 values, found {}", a.kind()))),
        }
    }
    fn u32s(&mut self, name: &str, x: &mut Vec<u32>, check: Check) -> Result<()> {
        match self.next(name)? {
            Array::U32(v) => {
                Self::check_len(name, v.len(), x.len(), check)?;
                if let Check::Ids(n) = check
                    && let Some(k) = v.iter().find(|&&k| k as usize >= n)
                {
                    return Err(bad(format!("{name}: index {k} out of range (population of {n})")));
                }
                *x = v;
                Ok(())
            }
            a => Err(bad(format!("{name}: expected u32 values, found {}", a.kind()))),
        }
    }
    fn u64s(&mut self, name: &str, x: &mut Vec<u64>, check: Check) -> Result<()> {
        match self.next(name)? {
            Array::U64(v) => {
                Self::check_len(name, v.len(), x.len(), check)?;
                Self::steps(name, &v, check)?;
                *x = v;
                Ok(())
            }
            a => Err(bad(format!("{name}: expected u64 values, found {}", a.kind()))),
        }
    }
}

impl Network {
    /// 64-bit FNV-1a hash of the connectivity: sizes, row pointers and targets of every
    /// projection (the transposed indices follow from these).
    pub fn structure_hash(&self) -> u64 {
        let mut h = FNV_OFFSET;
        for (_, p) in self.proj.iter() {
            h = fnv1a(h, &(p.n_pre as u64).to_le_bytes());
            h = fnv1a(h, &(p.n_post as u64).to_le_bytes());
            for &r in &p.row_ptr {
                h = fnv1a(h, &r.to_le_bytes());
            }
            for &i in &p.post {
                h = fnv1a(h, &i.to_le_bytes());
            }
        }
        h
    }

    /// The complete evolving state, copied out (see [`NetworkState`]).
    pub fn state(&self) -> NetworkState {
        let mut out = Export(Vec::new());
        let listed: Result<()> = (|| {
            state_list!(self, &mut out, variables, iter,);
            Ok(())
        })();
        debug_assert!(listed.is_ok(), "exporting cannot fail");
        NetworkState {
            params: self.params.clone(),
            t: self.t,
            phase: self.phase,
            counts: self.counts,
            structure_hash: self.structure_hash(),
            arrays: out.0,
            input: self.input.state(),
        }
    }

    /// Rebuilds a network from a [`NetworkState`]: builds the connectivity from its parameters,
    /// checks it against the state's structure hash, then moves every array in, checking its
    /// name, type, length, index range and finiteness. Runs on one thread (see
    /// [`Network::set_threads`]); continuing it gives the same spikes as continuing the network
    /// the state was taken from.
    pub fn from_state(s: NetworkState) -> Result<Self> {
        let mut net = Network::new(s.params)?;
        let found = net.structure_hash();
        if found != s.structure_hash {
            return Err(bad(format!(
                "connectivity differs: structure hash {:016x} of the saved network, {found:016x} built from its \
                 parameters",
                s.structure_hash
            )));
        }
        net.t = s.t;
        net.phase = s.phase;
        net.counts = s.counts;
        let n = s.arrays.len();
        let mut arrays = Import(s.arrays.into_iter().collect());
        if arrays.0.len() != n {
            return Err(bad("an array name appears twice".into()));
        }
        state_list!(&mut net, &mut arrays, variables_mut, iter_mut, mut);
        if let Some(name) = arrays.0.keys().next() {
            return Err(bad(format!("unexpected array {name}")));
        }
        net.input.set_state(s.input).map_err(bad)?;
        Ok(net)
    }

    /// Number of units in a population.
    pub fn size(&self, pop: Population) -> usize {
        match pop {
            Population::E => self.e.len(),
            Population::I => self.i.len(),
            Population::Input => self.input.len(),
        }
    }
}
