//! Powers of a per-step decay factor, for state that is advanced in closed form over many
//! steps at once instead of one multiplication per step.

/// f^n for a step count n, as two tables: `lo[n mod 1024]·hi[n / 1024]` (one f32 product),
/// exact to rounding for n < 1024 and 0 once f^n < e⁻⁴⁰ ≈ 4·10⁻¹⁸.
#[derive(Clone, Debug, PartialEq)]
pub struct DecayTable {
    lo: Vec<f32>,
    hi: Vec<f32>,
}

const LO_BITS: u32 = 10;

impl DecayTable {
    /// The table for a per-step factor 0 ≤ f < 1 (computed in f64).
    pub fn new(f: f64) -> Self {
        let lo = (0..1u32 << LO_BITS).map(|n| f.powi(n as i32) as f32).collect();
        // Blocks of 1024 steps until the factor is below e⁻⁴⁰ (at most 2^20 blocks).
        let block = f.powi(1 << LO_BITS);
        let blocks = if block <= 0.0 { 1 } else { ((-40.0 / block.ln()).ceil() as usize).clamp(1, 1 << 20) + 1 };
        let hi = (0..blocks).map(|b| block.powi(b as i32) as f32).collect();
        DecayTable { lo, hi }
    }

    /// f^n.
    #[inline(always)]
    pub fn get(&self, n: u64) -> f32 {
        match self.hi.get((n >> LO_BITS) as usize) {
            Some(&h) => self.lo[(n & ((1 << LO_BITS) - 1)) as usize] * h,
            None => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_gives_the_powers_of_the_factor() {
        let f = 1.0 - 0.1 / 200.0; // STP recovery at dt = 0.1 ms, τ_d = 200 ms
        let t = DecayTable::new(f);
        assert_eq!(t.get(0), 1.0);
        assert_eq!(t.get(1), f as f32);
        for n in [7u64, 1023, 1024, 1025, 5000, 60_000] {
            let exact = f.powi(n as i32);
            let got = t.get(n) as f64;
            assert!((got - exact).abs() <= 4.0 * f32::EPSILON as f64 * exact, "n = {n}: {got} vs {exact}");
        }
        // f^n < e⁻⁴⁰ from n ≈ 80 000: zero from the first whole block past it, plus one.
        assert!(t.get(81_000) > 0.0);
        assert_eq!(t.get(10_000_000), 0.0);
    }
}
