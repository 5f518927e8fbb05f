//! Single-synapse rate tests of the excitatory rule (docs/model.md §5.6), driven through the library's
//! per-synapse rule functions (`exc_pre`, `exc_post`, `p11_factor`) with the per-step order of
//! docs/model.md §11 and independent Bernoulli (discretised Poisson) pre- and postsynaptic trains.

use engram::sim::params::{DT_MS, STEPS_PER_SECOND, decay};
use engram::sim::plasticity::{exc_post, exc_pre, ltd, post_factors};
use engram::sim::rng::{Stream, StreamId};

const ETA: f32 = 1e-3;
const DELTA: f32 = 2e-5;
const BETA: f32 = 0.05;
const TAU_PLUS_MS: f64 = 20.0;
const TAU_MINUS_MS: f64 = 20.0;
const TAU_SLOW_MS: f64 = 100.0;
const W_MAX: f32 = 5.0;
const KAPPA_HZ: f64 = 10.0;

#[derive(Clone, Copy, Debug)]
struct Rule {
    a: f32,
    b: f32,
    /// ν̄/κ of the P11 LTD factor, None for P10.
    nu_ratio: Option<f32>,
    delta: f32,
    beta: f32,
}

impl Rule {
    fn p10() -> Self {
        Rule { a: ETA, b: ETA, nu_ratio: None, delta: DELTA, beta: 0.0 }
    }
}

/// One synapse j → i with its traces, driven by independent Bernoulli trains.
struct Synapse {
    rule: Rule,
    w: f32,
    w_tilde: f32,
    x: f32,
    y: f32,
    z: f32,
    decay_x: f32,
    decay_y: f32,
    decay_z: f32,
    p_pre: f64,
    p_post: f64,
    rng: Stream,
    n_pre: u64,
    n_post: u64,
}

impl Synapse {
    fn new(rule: Rule, nu_pre_hz: f64, nu_post_hz: f64, w: f32, w_tilde: f32, seed: u64) -> Self {
        let dt_s = DT_MS * 1e-3;
        Synapse {
            rule,
            w,
            w_tilde,
            x: 0.0,
            y: 0.0,
            z: 0.0,
            decay_x: decay(TAU_PLUS_MS) as f32,
            decay_y: decay(TAU_MINUS_MS) as f32,
            decay_z: decay(TAU_SLOW_MS) as f32,
            p_pre: nu_pre_hz * dt_s,
            p_post: nu_post_hz * dt_s,
            rng: Stream::new(seed, StreamId::User),
            n_pre: 0,
            n_post: 0,
        }
    }

    /// One step of dt in the order of docs/model.md §11.
    ///
    /// The transmission delay is left out: delaying an independent Poisson train gives another
    /// Poisson train of the same rate, still independent of the postsynaptic one, so the spike
    /// drawn here as "pre" can stand for the spike *arriving* now.
    #[inline]
    fn step(&mut self) -> (bool, bool) {
        let pre = self.rng.uniform() < self.p_pre;
        let post = self.rng.uniform() < self.p_post;
        let r = self.rule;
        // 2b. Presynaptic arrival, with y as it was at the end of the previous step.
        if pre {
            self.w = exc_pre(self.w, ltd(r.b * self.y, r.nu_ratio), r.delta);
            self.n_pre += 1;
        }
        // 2c. Postsynaptic spike, with x, y, z as they were at the end of the previous step.
        if post {
            let (az, het) = post_factors(r.a, r.beta, self.y, self.z);
            self.w = exc_post(self.w, self.w_tilde, az * self.x, het, W_MAX);
            self.n_post += 1;
        }
        // 4. Traces: += spikes, then exact decay.
        if pre {
            self.x += 1.0;
        }
        if post {
            self.y += 1.0;
            self.z += 1.0;
        }
        self.x *= self.decay_x;
        self.y *= self.decay_y;
        self.z *= self.decay_z;
        (pre, post)
    }

    fn run(&mut self, seconds: f64) {
        for _ in 0..steps(seconds) {
            self.step();
        }
    }
}

fn steps(seconds: f64) -> u64 {
    (seconds * STEPS_PER_SECOND as f64).round() as u64
}

/// A measured mean with its standard error.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    mean: f64,
    se: f64,
}

/// Mean and standard error of (practically) independent batch values.
fn batch_estimate(values: &[f64]) -> Estimate {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Estimate { mean, se: (var / n).sqrt() }
}

const W0: f32 = 1.0;
const SEGMENT_S: f64 = 10.0;

/// Measures dw/dt by batch means: `segments` consecutive segments of 10 s, w reset to 1.0 at the
/// start of each (so it stays far from the bounds 0 and 5; without β the increments do not depend
/// on w), traces carried over. Segments are much longer than the slowest trace (100 ms), so their
/// drifts are practically independent and sd/√n is the standard error of the mean.
fn measure_drift(rule: Rule, nu_pre: f64, nu_post: f64, segments: usize, seed: u64) -> Estimate {
    let mut s = Synapse::new(rule, nu_pre, nu_post, W0, W0, seed);
    s.run(1.0); // warm-up: traces to their stationary distribution
    let drifts: Vec<f64> = (0..segments)
        .map(|_| {
            s.w = W0;
            s.run(SEGMENT_S);
            (s.w - W0) as f64 / SEGMENT_S
        })
        .collect();
    batch_estimate(&drifts)
}

/// Spec §5.6: ν_j [A τ₊ τ_slow ν² − B_eff τ₋ ν + δ] (β term excluded).
fn analytic_drift(rule: Rule, nu_pre: f64, nu_post: f64) -> f64 {
    let (tp, tm, ts) = (TAU_PLUS_MS * 1e-3, TAU_MINUS_MS * 1e-3, TAU_SLOW_MS * 1e-3);
    let (a, b, f, d) =
        (rule.a as f64, rule.b as f64, rule.nu_ratio.map_or(1.0, |r| (r as f64) * (r as f64)), rule.delta as f64);
    nu_pre * (a * tp * ts * nu_post * nu_post - b * f * tm * nu_post + d)
}

// ---------------------------------------------------------------------------------------------
// Statistics. The weight change over a 10-s segment is a sum of many small increments whose
// correlations last ~τ_slow = 100 ms, so segment drifts are independent to within ~1 % and
// their spread gives the standard error (SE) of the mean drift directly; the tests assert on
// the SE they measure rather than on an assumed one. A pilot run gave the per-√s noise
// σ₁ = SE·√T of the drift at ν_pre = 10 Hz: 2.6e-4 (0.5 Hz), 3.0e-4 (0.8), 4.0e-4 (1.5),
// 7.5e-4 (3–4), 9.7e-4 (5), 1.2e-3 (7), 1.7e-3 (11), 3.4e-3 (15), 4.9e-3 (20 Hz); consistent
// with the shot-noise estimate Var ≈ T·B²[ν_j ν τ₋/2 + (ν_j ν² + ν_j² ν) τ₋²] for the LTD
// pairs plus the smaller LTP and δ terms. Durations below are chosen from these so that:
//   * sign points have an expected |drift|/SE ≥ 7 and are asserted at ≥ 3 SE (a 4-σ margin);
//   * magnitude points have SE ≈ 2.1–2.3 % of the drift, asserted ≤ 2.5 %, so the 10 %
//     tolerance is ≥ 4 SE. Time discretisation shifts the expected drift by < 0.3 %
//     (E[trace] = ντ(1 − dt/2τ) for Bernoulli trains), well inside that.
// ---------------------------------------------------------------------------------------------

/// One point of a drift curve: postsynaptic rate, number of 10-s segments, expected sign, and
/// whether the magnitude is also compared with the rate formula.
struct Point {
    nu_post: f64,
    segments: usize,
    sign: f64,
    magnitude: bool,
}

const fn pt(nu_post: f64, segments: usize, sign: f64, magnitude: bool) -> Point {
    Point { nu_post, segments, sign, magnitude }
}

const NU_PRE: f64 = 10.0;

/// Measures every point, prints a table and asserts signs (and magnitudes where asked).
/// Returns the measurements in the order given.
fn check_curve(label: &str, rule_at: impl Fn(f64) -> Rule, points: &[Point], seed: u64) -> Vec<(f64, Estimate)> {
    let mut failures = Vec::new();
    let mut out = Vec::new();
    for (k, p) in points.iter().enumerate() {
        let rule = rule_at(p.nu_post);
        let d = measure_drift(rule, NU_PRE, p.nu_post, p.segments, seed + k as u64);
        let a = analytic_drift(rule, NU_PRE, p.nu_post);
        println!(
            "{label} ν_post = {:5.1} Hz: dw/dt = {:+.4e} ± {:.1e} /s (analytic {:+.4e}, ratio {:.3}, z = {:+.1})",
            p.nu_post,
            d.mean,
            d.se,
            a,
            d.mean / a,
            d.mean / d.se
        );
        if d.mean * p.sign < 3.0 * d.se {
            failures.push(format!(
                "{label} {} Hz: drift {:+.3e} ± {:.1e} lacks sign {:+}",
                p.nu_post, d.mean, d.se, p.sign
            ));
        }
        if p.magnitude {
            if d.se > 0.025 * a.abs() {
                failures.push(format!("{label} {} Hz: SE {:.2e} too large for a 10 % test", p.nu_post, d.se));
            }
            if (d.mean - a).abs() > 0.1 * a.abs() {
                failures.push(format!("{label} {} Hz: drift {:+.4e} vs analytic {:+.4e}", p.nu_post, d.mean, a));
            }
        }
        out.push((p.nu_post, d));
    }
    assert!(failures.is_empty(), "{failures:#?}");
    out
}

/// Linear interpolation of the zero crossing between two measured points of opposite sign.
fn crossing(lo: (f64, Estimate), hi: (f64, Estimate)) -> f64 {
    assert!(lo.1.mean * hi.1.mean < 0.0);
    lo.0 + (hi.0 - lo.0) * lo.1.mean / (lo.1.mean - hi.1.mean)
}

/// Roots of the P10 bracket A τ₊ τ_slow ν² − B τ₋ ν + δ (docs/model.md §5.6: ≈ 1.13 and 8.87 Hz).
fn p10_roots() -> (f64, f64) {
    let (tp, tm, ts) = (TAU_PLUS_MS * 1e-3, TAU_MINUS_MS * 1e-3, TAU_SLOW_MS * 1e-3);
    let (qa, qb, qc) = (ETA as f64 * tp * ts, -(ETA as f64) * tm, DELTA as f64);
    let disc = (qb * qb - 4.0 * qa * qc).sqrt();
    ((-qb - disc) / (2.0 * qa), (-qb + disc) / (2.0 * qa))
}

/// P10, β = 0, low-rate branch (docs/model.md §5.6): δ wins below ≈ 1.13 Hz, pair LTD wins above.
#[test]
fn p10_low_rates_potentiate_then_depress() {
    let (r1, _) = p10_roots();
    assert!((r1 - 1.13).abs() < 0.01, "first root {r1}");
    let m = check_curve(
        "P10",
        |_| Rule::p10(),
        &[
            pt(0.5, 1400, 1.0, true),
            pt(0.8, 250, 1.0, false),
            pt(1.5, 400, -1.0, false),
            pt(3.0, 100, -1.0, false),
            pt(4.0, 1600, -1.0, true),
        ],
        100,
    );
    println!("P10 crossing bracket [0.8, 1.5] Hz, interpolated {:.2} Hz (analytic {r1:.3} Hz)", crossing(m[1], m[2]));
}

/// P10, β = 0, high-rate branch: depression up to ≈ 8.87 Hz, triplet LTP above.
#[test]
fn p10_high_rates_depress_then_potentiate() {
    let (_, r2) = p10_roots();
    assert!((r2 - 8.87).abs() < 0.01, "second root {r2}");
    let m = check_curve(
        "P10",
        |_| Rule::p10(),
        &[
            pt(5.0, 100, -1.0, false),
            pt(7.0, 200, -1.0, false),
            pt(11.0, 150, 1.0, false),
            pt(15.0, 800, 1.0, true),
            pt(20.0, 300, 1.0, true),
        ],
        200,
    );
    println!("P10 crossing bracket [7, 11] Hz, interpolated {:.2} Hz (analytic {r2:.3} Hz)", crossing(m[1], m[2]));
}

/// P11 with ν̄ held at the postsynaptic rate: the bracket 2e-6 ν² − 2e-7 ν³ + 2e-5 has a single
/// root near 10.9 Hz (potentiation below, depression above); no LTD window at low rates.
#[test]
fn p11_single_crossing_near_10_9_hz() {
    let rule_at = |nu: f64| Rule { nu_ratio: Some((nu / KAPPA_HZ) as f32), ..Rule::p10() };
    // Root of ν³ − 10ν² − 100 = 0 by bisection on the analytic drift.
    let (mut lo, mut hi) = (9.0, 13.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if analytic_drift(rule_at(mid), NU_PRE, mid) > 0.0 { lo = mid } else { hi = mid }
    }
    assert!((lo - 10.9).abs() < 0.1, "P11 root {lo}");
    let m = check_curve(
        "P11",
        rule_at,
        &[
            pt(0.5, 20, 1.0, false),
            pt(4.0, 30, 1.0, false),
            pt(7.0, 900, 1.0, true),
            pt(9.0, 100, 1.0, false),
            pt(13.0, 80, -1.0, false),
            pt(15.0, 600, -1.0, true),
            pt(20.0, 20, -1.0, false),
        ],
        300,
    );
    println!("P11 crossing bracket [9, 13] Hz, interpolated {:.2} Hz (analytic {lo:.3} Hz)", crossing(m[3], m[4]));
}

// ---------------------------------------------------------------------------------------------
// Heterosynaptic term. M3(ν) = E[y³ just before a postsynaptic spike]. For a Poisson train the
// spike at t is independent of the past, so this is the stationary E[y³] of the shot noise
// y(t) = Σ_k e^(−(t − t_k)/τ₋). Campbell's theorem gives its cumulants κ_n = ν∫e^(−ns/τ)ds =
// ντ/n, and E[y³] = κ₃ + 3κ₂κ₁ + κ₁³ = ντ/3 + 1.5(ντ)² + (ντ)³, as in docs/model.md §5.6 (no
// difference found). In discrete time (Bernoulli p = ν dt; a spike adds 1, then the step's
// decay a = e^(−dt/τ) applies, so a spike k steps back contributes aᵏ) the cumulants are
// κ_n = c_n(p)·aⁿ/(1 − aⁿ) with the Bernoulli cumulants c₁ = p, c₂ = p(1−p),
// c₃ = p(1−p)(1−2p); this is 1.0 % below M3 at 20 Hz and 0.85 % below at 4 Hz.
// ---------------------------------------------------------------------------------------------

fn m3(nu: f64) -> f64 {
    let x = nu * TAU_MINUS_MS * 1e-3;
    x * x * x + 1.5 * x * x + x / 3.0
}

/// Exact E[y³] for the discrete-time Bernoulli train of this harness (see above).
fn m3_discrete(nu: f64) -> f64 {
    let p = nu * DT_MS * 1e-3;
    let a = decay(TAU_MINUS_MS);
    let geo = |n: i32| a.powi(n) / (1.0 - a.powi(n));
    let k1 = p * geo(1);
    let k2 = p * (1.0 - p) * geo(2);
    let k3 = p * (1.0 - p) * (1.0 - 2.0 * p) * geo(3);
    k3 + 3.0 * k2 * k1 + k1 * k1 * k1
}

fn het_rule() -> Rule {
    Rule { a: 0.0, b: 0.0, nu_ratio: None, delta: 0.0, beta: BETA }
}

const W_TILDE: f32 = 0.2;
const W_START: f32 = 2.0;

/// The M3 of docs/model.md §5.6 is the third moment of y at postsynaptic spikes; the naive (ντ)³ is far off
/// (72× too small at 4 Hz, 6.8× at 20 Hz).
///
/// y³ at spikes is heavy-tailed (rare bursts), so the SE is larger than one might guess: pilot
/// runs gave a relative SE of ≈ 3.4 % for 10 000 s at 4 Hz and ≈ 2.2 % for 3000 s at 20 Hz
/// (24 seeds × 3000 s at 20 Hz: 0.987 ± 0.005 of M3, the time average of y³ 0.9885, both
/// matching the discrete-time 0.990). The sampling distribution is skewed, most runs landing
/// a little below the mean. Tolerances: 15 % at 4 Hz with T = 12 000 s (SE ≈ 3.1 %), 8 % at
/// 20 Hz with T = 4000 s (SE ≈ 1.9 %); each asserted to be ≥ 4 measured SE.
#[test]
fn m3_is_the_third_moment_of_y_at_post_spikes() {
    for (nu, seconds, tol, seed) in [(4.0, 12_000.0, 0.15, 400), (20.0, 4_000.0, 0.08, 401)] {
        let exact = m3_discrete(nu);
        assert!(exact < m3(nu) && exact > 0.985 * m3(nu), "discrete-time E[y³] {exact} vs M3 {}", m3(nu));
        let mut s = Synapse::new(Rule { beta: 0.0, ..het_rule() }, NU_PRE, nu, 1.0, 1.0, seed);
        s.run(1.0);
        // Batches of 100 s (≫ τ₋) are independent; each batch value is its mean y³ at spikes.
        let batches: Vec<f64> = (0..(seconds / 100.0) as usize)
            .map(|_| {
                let (mut sum, mut n) = (0.0, 0u32);
                for _ in 0..steps(100.0) {
                    let y = s.y as f64;
                    if s.step().1 {
                        sum += y * y * y;
                        n += 1;
                    }
                }
                sum / n as f64
            })
            .collect();
        let e = batch_estimate(&batches);
        let naive = (nu * TAU_MINUS_MS * 1e-3).powi(3);
        println!(
            "ν = {nu} Hz: E[y³ at post] = {:.4} ± {:.4}, M3 = {:.4} (discrete {exact:.4}), ratio {:.3}, naive (ντ)³ = {naive:.4}",
            e.mean,
            e.se,
            m3(nu),
            e.mean / m3(nu)
        );
        assert!(e.se < tol / 4.0 * m3(nu), "SE {} too large", e.se);
        assert!((e.mean - m3(nu)).abs() < tol * m3(nu), "E[y³] = {} vs M3 = {}", e.mean, m3(nu));
    }
}

/// With A = B = δ = 0, w̃ = 0.2 and ν_post = 20 Hz, the mean rate of change of D = w − w̃ over
/// short windows (2 ms, w reset to 2.0 at each start, so D changes by < 0.1 % per window)
/// is −β D ν M3(ν) (k = 0.437 /s; the naive (ντ)³ would give 0.064 /s).
///
/// Estimator: k = −ΣΔD / Σ D·dt (a ratio, so the small within-window change of D does not bias
/// it), computed per 10-s batch; batch values give the SE. Over 2-ms windows this is in effect
/// β ν times the mean y³ at spikes, so it shares the heavy tail of the test above: pilot, eight
/// seeds × 3000 s: SE ≈ 1.8–2.0 %, k/(β ν M3) = 0.92–1.00 (expected ≈ 0.99, the discrete-time
/// M3). The 10 % tolerance is asserted to be ≥ 4 measured SE.
#[test]
fn heterosynaptic_rate_over_short_windows_is_beta_nu_m3() {
    let nu = 20.0;
    let k1 = BETA as f64 * nu * m3(nu);
    let dt_s = DT_MS * 1e-3;
    let mut s = Synapse::new(het_rule(), NU_PRE, nu, W_TILDE, W_TILDE, 500);
    s.run(1.0); // D = 0 stays exactly 0 while the traces warm up
    let window = steps(0.002);
    let batches: Vec<f64> = (0..300)
        .map(|_| {
            let (mut dd, mut integral) = (0.0, 0.0);
            for _ in 0..steps(10.0) / window {
                s.w = W_START;
                for _ in 0..window {
                    integral += (s.w - s.w_tilde) as f64 * dt_s;
                    s.step();
                }
                dd += (s.w - W_START) as f64;
            }
            -dd / integral
        })
        .collect();
    let k = batch_estimate(&batches);
    println!(
        "het 20 Hz, 2-ms windows: k = {:.4} ± {:.4} /s, β ν M3 = {k1:.4} /s, ratio {:.3}",
        k.mean,
        k.se,
        k.mean / k1
    );
    assert!(k.se < 0.025 * k1, "SE {} too large", k.se);
    assert!((k.mean - k1).abs() < 0.1 * k1, "k = {} vs β ν M3 = {k1}", k.mean);
}

/// From w = 2.0 (w̃ = 0.2) at 20 Hz, w relaxes toward w̃. The ensemble mean of D = w − w̃
/// decays nearly exponentially, but at a rate ≈ 13 % *below* β ν M3: the formula of docs/model.md §5.6 is first
/// order in β. Within a burst of postsynaptic spikes y is high at each spike, so later spikes
/// act on a D already reduced by earlier ones (D and y³ are anticorrelated), a relative
/// correction ∝ β. Pilot (ratio estimator on identical spike trains, 800 s, relative to
/// β ν M3): with 1-s windows −1.7 % at β = 0.005, −3.9 % at 0.0125, −13 % at 0.05; with 2-ms
/// windows −0.3 %, −0.6 %, −2.2 %, i.e. about the −1 % of the discrete-time M3 (test above).
/// Pilot over 6 × 400 trials: k_fit/k1 = 0.85–0.93, SE ≈ 2 % per 400 trials; with 1600 trials
/// SE ≈ 1 %, so the band [0.75, 0.97] leaves ≥ 4 SE on either side of the ≈ 0.86 measured.
#[test]
fn heterosynaptic_relaxation_toward_w_tilde() {
    let nu = 20.0;
    let k1 = BETA as f64 * nu * m3(nu);
    let d0 = (W_START - W_TILDE) as f64;
    let trials = 1600;
    let seconds = 5;
    let mut traj: Vec<Vec<f64>> = (0..seconds).map(|_| Vec::with_capacity(trials)).collect();
    for trial in 0..trials {
        let mut s = Synapse::new(het_rule(), NU_PRE, nu, W_TILDE, W_TILDE, 10_000 + trial as u64);
        s.run(1.0);
        s.w = W_START;
        for d in &mut traj {
            s.run(1.0);
            d.push((s.w - s.w_tilde) as f64);
        }
    }
    let mean_d: Vec<Estimate> = traj.iter().map(|d| batch_estimate(d)).collect();
    for (t, e) in mean_d.iter().enumerate() {
        println!(
            "het relaxation t = {} s: mean D = {:.4} ± {:.4} (first order {:.4})",
            t + 1,
            e.mean,
            e.se,
            d0 * (-k1 * (t + 1) as f64).exp()
        );
    }
    // Monotone relaxation toward w̃ (not past it) in the mean.
    let mut prev = d0;
    for e in &mean_d {
        assert!(e.mean < prev && e.mean > 0.0, "mean D {} after {prev}", e.mean);
        prev = e.mean;
    }
    let last = mean_d[seconds - 1];
    let k_fit = -(last.mean / d0).ln() / seconds as f64;
    let k_se = last.se / last.mean / seconds as f64;
    println!("het relaxation: fitted k = {k_fit:.4} ± {k_se:.4} /s, β ν M3 = {k1:.4}, ratio {:.3}", k_fit / k1);
    assert!(k_se < 0.02 * k1, "SE {k_se} too large");
    assert!(k_fit > 0.75 * k1 && k_fit < 0.97 * k1, "k_fit = {k_fit} vs β ν M3 = {k1}");
}

/// With A = B = β = 0 only δ acts: after N presynaptic spikes w = w0 + Nδ, and postsynaptic
/// spikes change nothing. Checked at w0 = 0.01, where the f32 spacing (≤ 2⁻²⁹ below 2⁻⁵) makes
/// the rounding bound N·2⁻³⁰ ≈ 6e-7 far smaller than δ, so one spike too many or too few would
/// fail; and at w0 = 1.0 with the bound N·2⁻²⁴ (half a spacing in [1, 2) per addition). There
/// every addition rounds the same way: δ = 167.77 spacings becomes 168, a systematic +0.14 %.
/// No clipping can occur: every increment is +δ > 0 and w stays far below w_max.
#[test]
fn delta_alone_adds_delta_per_pre_spike() {
    let rule = Rule { a: 0.0, b: 0.0, nu_ratio: None, delta: DELTA, beta: 0.0 };
    for (w0, half_ulp, seed) in [(0.01f32, 2f64.powi(-30), 600), (1.0, 2f64.powi(-24), 601)] {
        let mut s = Synapse::new(rule, NU_PRE, 10.0, w0, 0.5, seed);
        s.run(60.0);
        let n = s.n_pre as f64;
        // 600 expected pre spikes; 5 Poisson SDs.
        assert!((n - 600.0).abs() < 5.0 * 600f64.sqrt(), "{n} pre spikes in 60 s at 10 Hz");
        assert!(s.n_post > 0);
        let expected = w0 as f64 + n * DELTA as f64;
        let err = s.w as f64 - expected;
        println!(
            "δ alone, w0 = {w0}: N = {n}, w = {:.9}, w0 + Nδ = {expected:.9}, error = {err:.2e} (δ = {DELTA:.0e})",
            s.w
        );
        assert!(err.abs() <= n * half_ulp, "w = {} vs w0 + Nδ = {expected}", s.w);
        if w0 < 0.03 {
            assert!(s.w < 2f32.powi(-5) && n * half_ulp < 0.05 * DELTA as f64);
        }
    }
}
