//! The history ring: snapshots of the whole network state taken every few model seconds while
//! the window runs, kept compressed in memory under a byte cap, so that the user can look back
//! (each entry carries the weight view and the rates of the moment, ready to draw) and resume
//! from any of them.
//!
//! An entry holds the state encoded as a snapshot file ([`snapshot::to_bytes`]), compressed
//! with LZ4 — the same bytes a saved file has, so a resumed network is a loaded one, bit for
//! bit. When the entries outgrow the cap, the one whose removal leaves the smallest gap in time
//! goes (never the newest; entries of an abandoned branch first): recent history stays dense
//! and old history thins out evenly instead of vanishing.

use std::sync::Arc;

use super::messages::PhaseChoice;
use crate::error::{Error, Result};
use crate::io::snapshot;
use crate::sim::Network;
use crate::sim::monitor::RateBin;
use crate::sim::rng::Stream;
use crate::sim::views::WeightView;

/// What the window gets of an entry: enough to show the moment without decoding the state.
#[derive(Clone, Debug)]
pub struct HistoryMark {
    pub id: u64,
    /// Model time [s].
    pub t_s: f64,
    /// The weights, assemblies and receptive fields at that moment.
    pub view: Arc<WeightView>,
    /// The 100 ms rate bins up to that moment (the last minute, or interval if longer).
    pub rates: Arc<Vec<RateBin>>,
    /// The stimuli shown over those bins.
    pub spans: Spans,
}

/// Stimuli as frames carry them: (name, onset [s], scheduled end [s]).
pub type Spans = Arc<Vec<(String, f64, f64)>>;

/// An entry as the status lists it: (id, model time [s], on an abandoned branch).
pub type HistoryItem = (u64, f64, bool);

struct Entry {
    mark: HistoryMark,
    /// The compressed snapshot bytes.
    state: Vec<u8>,
    /// Length of the snapshot bytes before compression.
    raw_len: usize,
    phase: PhaseChoice,
    user_rng: Stream,
    /// The assemblies in use (live ones during the init phase, which no snapshot stores).
    assemblies: Arc<Vec<crate::sim::Pattern>>,
    /// Recorded before a resume to an earlier entry: the future that was left.
    branch: bool,
}

/// A state taken out of the ring to resume from.
pub struct Resumed {
    pub net: Network,
    pub extras: snapshot::Extras,
    /// The assemblies in use then.
    pub assemblies: Arc<Vec<crate::sim::Pattern>>,
    pub phase: PhaseChoice,
    pub user_rng: Stream,
    pub t_s: f64,
}

/// The ring (see the module documentation).
pub struct History {
    entries: Vec<Entry>,
    cap_bytes: usize,
    next_id: u64,
}

impl History {
    /// An empty ring holding at most `cap_bytes` of compressed state.
    pub fn new(cap_bytes: usize) -> Self {
        History { entries: Vec::new(), cap_bytes, next_id: 0 }
    }

    /// Compressed bytes held.
    pub fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.state.len()).sum()
    }

    /// Uncompressed snapshot bytes of the entries held.
    pub fn raw_bytes(&self) -> usize {
        self.entries.iter().map(|e| e.raw_len).sum()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, oldest first.
    pub fn items(&self) -> Vec<HistoryItem> {
        self.entries.iter().map(|e| (e.mark.id, e.mark.t_s, e.branch)).collect()
    }

    /// Records the state of `net` with the window's view of it, then drops entries until the
    /// cap holds; returns the new entry's mark.
    pub fn record(
        &mut self,
        net: &Network,
        extras: &snapshot::Extras,
        (phase, user_rng, assemblies): (PhaseChoice, &Stream, Arc<Vec<crate::sim::Pattern>>),
        view: Arc<WeightView>,
        (rates, spans): (Arc<Vec<RateBin>>, Spans),
    ) -> Result<HistoryMark> {
        let raw = snapshot::to_bytes(&net.state(), extras)?;
        let state = lz4_flex::compress_prepend_size(&raw);
        let mark = HistoryMark { id: self.next_id, t_s: net.time_s(), view, rates, spans };
        self.next_id += 1;
        self.entries.push(Entry {
            mark: mark.clone(),
            state,
            raw_len: raw.len(),
            phase,
            user_rng: user_rng.clone(),
            assemblies,
            branch: false,
        });
        self.enforce_cap();
        Ok(mark)
    }

    /// Drops entries until the cap holds (see the module documentation).
    fn enforce_cap(&mut self) {
        while self.bytes() > self.cap_bytes && self.entries.len() > 1 {
            let last = self.entries.len() - 1;
            let victim = if let Some(k) = self.entries.iter().position(|e| e.branch) {
                k
            } else if self.entries.len() == 2 {
                0
            } else {
                // The interior entry with the smallest gap between its neighbours; the first
                // entry goes only when nothing else can.
                (1..last)
                    .min_by(|&a, &b| {
                        let gap = |k: usize| self.entries[k + 1].mark.t_s - self.entries[k - 1].mark.t_s;
                        gap(a).total_cmp(&gap(b))
                    })
                    .unwrap_or(0)
            };
            self.entries.remove(victim);
        }
    }

    /// Decodes entry `id` into a network on `threads` threads and marks every entry after it
    /// on the current line as a branch.
    pub fn resume(&mut self, id: u64, threads: usize) -> Result<Resumed> {
        let k = self
            .entries
            .iter()
            .position(|e| e.mark.id == id)
            .ok_or_else(|| Error::Invalid(format!("history entry {id} is no longer kept")))?;
        let e = &self.entries[k];
        let raw = lz4_flex::decompress_size_prepended(&e.state)
            .map_err(|err| Error::Invalid(format!("history entry at t = {:.1} s: {err}", e.mark.t_s)))?;
        let (state, extras) = snapshot::from_bytes(&raw, "history")?;
        let mut net = Network::from_state(state)?;
        net.set_threads(threads)?;
        let resumed = Resumed {
            net,
            extras,
            assemblies: e.assemblies.clone(),
            phase: e.phase,
            user_rng: e.user_rng.clone(),
            t_s: e.mark.t_s,
        };
        let t = resumed.t_s;
        for e in self.entries.iter_mut().filter(|e| e.mark.t_s > t) {
            e.branch = true;
        }
        Ok(resumed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network {
        let mut p = crate::io::preset::default_params();
        p.network.n_e = 64;
        p.network.n_i = 16;
        p.network.p_conn = 0.3;
        Network::new(p).unwrap()
    }

    fn record(h: &mut History, net: &mut Network, steps: u64) -> HistoryMark {
        net.run(steps, |_| {});
        let rng = Stream::new(1, crate::sim::rng::StreamId::User);
        let view = Arc::new(WeightView::default());
        let asm = Arc::new(Vec::new());
        let none = (Arc::new(Vec::new()), Arc::new(Vec::new()));
        h.record(net, &snapshot::Extras::default(), (PhaseChoice::Free, &rng, asm), view, none).unwrap()
    }

    /// Under a cap of three and a half entries' size, ten entries 1 s apart leave the first,
    /// the newest and evenly thinned ones between; the bytes never exceed the cap.
    #[test]
    fn the_cap_holds_and_old_history_thins_out() {
        let mut n = net();
        let mut probe = History::new(usize::MAX);
        for _ in 0..10 {
            record(&mut probe, &mut n, 10_000);
        }
        let one = probe.entries.iter().map(|e| e.state.len()).max().unwrap();
        let cap = one * 3 + one / 2;
        let mut n = net();
        let mut h = History::new(cap);
        for _ in 0..10 {
            record(&mut h, &mut n, 10_000);
            assert!(h.bytes() <= cap);
        }
        let times: Vec<f64> = h.items().iter().map(|i| i.1).collect();
        assert!(times.len() >= 3, "{times:?}");
        assert_eq!(times.last(), Some(&n.time_s()), "the newest is kept");
        assert_eq!(times[0], 1.0, "the first is kept");
        assert!(h.raw_bytes() >= h.bytes());
    }

    /// Resuming returns the recorded network bit for bit and makes later entries a branch,
    /// which goes first when room is needed.
    #[test]
    fn resume_gives_the_recorded_state_and_branches_the_rest() {
        let mut n = net();
        let mut h = History::new(usize::MAX);
        let first = record(&mut h, &mut n, 3000);
        let at_first = n.state();
        record(&mut h, &mut n, 3000);
        record(&mut h, &mut n, 3000);
        let r = h.resume(first.id, 1).unwrap();
        assert_eq!(r.net.state(), at_first);
        let items = h.items();
        assert_eq!(items.iter().map(|i| i.2).collect::<Vec<_>>(), [false, true, true]);
        assert!(h.resume(99, 1).is_err());
        h.cap_bytes = h.bytes() - 1;
        h.enforce_cap();
        assert_eq!(h.items().iter().map(|i| i.2).collect::<Vec<_>>(), [false, true]);
    }
}
