//! Portable seeded random streams (ChaCha8), one per purpose, so that adding draws to one
//! purpose never shifts another and the same seed gives the same network on every platform.
//! Distributions are written out here (not taken from a crate) so their numerics are pinned.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a stream is for. Each id gives an independent ChaCha key for the same master seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamId {
    /// Random connectivity and receptive fields; the number is the projection.
    Connectivity(u32),
    /// Poisson spikes of the input layer.
    InputSpikes,
    /// Stimulus schedule: onsets, durations, pattern choice.
    Schedule,
    /// Cue subsets and other user-requested random choices.
    User,
}

impl StreamId {
    fn code(self) -> u64 {
        match self {
            StreamId::Connectivity(k) => 0x100 + k as u64,
            StreamId::InputSpikes => 1,
            StreamId::Schedule => 2,
            StreamId::User => 3,
        }
    }
}

/// Where a [`Stream`] is: enough to continue it bit for bit (see [`Stream::state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamState {
    /// ChaCha key (derived from the seed and the purpose).
    pub key: [u8; 32],
    /// ChaCha stream number (nonce).
    pub stream: u64,
    /// Offset from the start of the stream in 32-bit words (a 68-bit number).
    pub word_pos: u128,
}

#[derive(Clone, Debug)]
pub struct Stream {
    rng: ChaCha8Rng,
}

impl Stream {
    pub fn new(seed: u64, id: StreamId) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&id.code().to_le_bytes());
        key[16..24].copy_from_slice(b"engram01");
        Stream { rng: ChaCha8Rng::from_seed(key) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// The exact position of the stream (key, ChaCha stream number, word offset), for snapshots.
    pub fn state(&self) -> StreamState {
        StreamState { key: self.rng.get_seed(), stream: self.rng.get_stream(), word_pos: self.rng.get_word_pos() }
    }

    /// A stream continuing exactly where the one that gave `s` was.
    pub fn from_state(s: &StreamState) -> Self {
        let mut rng = ChaCha8Rng::from_seed(s.key);
        rng.set_stream(s.stream);
        rng.set_word_pos(s.word_pos);
        Stream { rng }
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in 0..n (n > 0), without modulo bias (Lemire's method with rejection).
    pub fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.rng.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Number of failures before the first success of a Bernoulli(p) sequence, 0 < p ≤ 1.
    /// `u64::MAX` if p = 0 (never).
    #[inline]
    pub fn geometric(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 0;
        }
        if p <= 0.0 {
            return u64::MAX;
        }
        // 1 − U lies in (0, 1], so the logarithm is finite.
        let k = ((1.0 - self.uniform()).ln() / (-p).ln_1p()).floor();
        if k >= u64::MAX as f64 { u64::MAX } else { k as u64 }
    }

    /// Standard normal deviate (Box–Muller; one of the pair is discarded for simplicity).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential deviate with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_id_and_seed_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(1, StreamId::InputSpikes);
                move |_| s.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(1, StreamId::InputSpikes);
                move |_| s.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(Stream::new(1, StreamId::Schedule).next_u64(), a[0]);
        assert_ne!(Stream::new(2, StreamId::InputSpikes).next_u64(), a[0]);
        assert_ne!(
            Stream::new(1, StreamId::Connectivity(0)).next_u64(),
            Stream::new(1, StreamId::Connectivity(1)).next_u64()
        );
    }

    #[test]
    fn a_stream_continues_exactly_from_its_state() {
        // Positions inside a block, at an odd word offset, and across buffer refills.
        let mut s = Stream::new(7, StreamId::InputSpikes);
        for n in [0usize, 1, 3, 31, 32, 63, 200] {
            for _ in 0..n {
                s.next_u64();
            }
            s.rng.next_u32(); // odd word offset
            let mut copy = Stream::from_state(&s.state());
            assert_eq!(copy.state(), s.state());
            let a: Vec<u64> = (0..100).map(|_| s.next_u64()).collect();
            let b: Vec<u64> = (0..100).map(|_| copy.next_u64()).collect();
            assert_eq!(a, b, "after {n} draws");
        }
    }

    #[test]
    fn distributions_have_their_moments() {
        let mut s = Stream::new(9, StreamId::User);
        let n = 200_000;
        let p = 0.01;
        let g: f64 = (0..n).map(|_| s.geometric(p) as f64).sum::<f64>() / n as f64;
        assert!((g / ((1.0 - p) / p) - 1.0).abs() < 0.02, "geometric mean {g}");
        let e: f64 = (0..n).map(|_| s.exponential(2.0)).sum::<f64>() / n as f64;
        assert!((e - 2.0).abs() < 0.03, "exponential mean {e}");
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.02, "normal {m} {v}");
        let mut counts = [0u32; 5];
        for _ in 0..50_000 {
            counts[s.below(5) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (c as f64 - 10_000.0).abs() < 400.0), "{counts:?}");
    }
}
