//! In-repo fuzzing of every file parser and of parameter validation, on stable Rust (cargo-fuzz
//! needs nightly). A deterministic ChaCha8 generator makes random bytes, grammar-aware random
//! files and mutations (bit flips, truncation, duplication, splicing, huge numbers, NaN/inf,
//! negative numbers, unicode, very long lines) of valid seed files written here. Every parser
//! call runs under `catch_unwind` and must
//!
//! - not panic;
//! - on error, name the file and line (or, for parameters, the dotted field) and say what was
//!   expected in a short message; for line-oriented formats everything before the reported line
//!   must parse, so the line is the first bad one;
//! - on success, return something that survives a write/read round trip;
//! - allocate (peak, counted by this binary's global allocator, per thread) at most
//!   [`ALLOC_PER_INPUT_BYTE`] bytes per input byte (TOML: [`ALLOC_PER_INPUT_BYTE_TOML`]) plus
//!   [`ALLOC_SLACK`], whatever a header claims.
//!
//! `ENGRAM_FUZZ_ITERS` sets the inputs per parser (default [`DEFAULT_ITERS`], a few seconds in
//! all); `ENGRAM_FUZZ_SEED` the master seed; `ENGRAM_FUZZ_CASE` runs a single case (to reproduce
//! a failure, whose message gives seed and case). The long run:
//!
//! ```text
//! ENGRAM_FUZZ_ITERS=1000000 cargo test --test fuzz_parsers -- --nocapture
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use engram::Error;
use engram::io::{mtx, pat, preset, ras, snapshot};
use engram::sim::Params;
use engram::sim::params::NeuronDerived;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DEFAULT_ITERS: u64 = 5000;
/// Peak heap growth allowed during one parse, per input byte (TOML builds a table of the
/// whole document first and needs more: [`ALLOC_PER_INPUT_BYTE_TOML`]) …
const ALLOC_PER_INPUT_BYTE: usize = 32;
const ALLOC_PER_INPUT_BYTE_TOML: usize = 128;
/// … plus this much (buffers, the error message, toml's tables for a preset).
const ALLOC_SLACK: usize = 256 << 10;
/// Longest generated input; mutations that grow beyond it are cut.
const MAX_INPUT: usize = 1 << 20;
/// One input in this many also goes through the file reader (`read_pat`, `read_mtx`,
/// `load_preset`), which must agree with the in-memory parser.
const FILE_EVERY: u64 = 16;

// ---------------------------------------------------------------------------------------------
// Counting allocator: per-thread live bytes and their peak (each test runs on its own thread,
// and a parse allocates and frees on the calling thread).

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    // The thread-locals are gone only while a thread exits, when there is nothing to count.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        // As above.
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping only touches
// thread-local cells with const initialisers (no allocation, no destructor).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` under `catch_unwind`; returns its result (or the panic message) and the peak heap
/// growth during the call.
fn measured<T>(f: impl FnOnce() -> T) -> (Result<T, String>, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let result = catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(std::string::ToString::to_string))
            .unwrap_or_else(|| "non-string panic".into())
    });
    let peak = PEAK.with(Cell::get);
    (result, (peak - base).max(0) as usize)
}

// ---------------------------------------------------------------------------------------------
// Configuration and random helpers.

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

struct Config {
    iters: u64,
    seed: u64,
    only_case: Option<u64>,
}

fn config() -> Config {
    Config {
        iters: env_u64("ENGRAM_FUZZ_ITERS").unwrap_or(DEFAULT_ITERS),
        seed: env_u64("ENGRAM_FUZZ_SEED").unwrap_or(0x5eed_f022),
        only_case: env_u64("ENGRAM_FUZZ_CASE"),
    }
}

struct Gen(ChaCha8Rng);

impl Gen {
    /// The generator of one case: independent of every other case, so a failure reproduces
    /// from (seed, target, case) alone.
    fn for_case(seed: u64, target: &str, case: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&case.to_le_bytes());
        for (k, b) in target.bytes().take(16).enumerate() {
            key[16 + k] = b;
        }
        Gen(ChaCha8Rng::from_seed(key))
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length skewed towards small values: mostly < 16, sometimes up to `max`.
    fn len(&mut self, max: usize) -> usize {
        match self.below(8) {
            0 => self.below(max + 1),
            1..=2 => self.below(64.min(max) + 1),
            _ => self.below(16.min(max) + 1),
        }
    }

    fn f64_any(&mut self) -> f64 {
        match self.below(6) {
            0 => f64::from_bits(self.0.next_u64()),
            1 => (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64,
            2 => *self.pick(&[
                0.0,
                -0.0,
                1.0,
                -1.0,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MAX,
                f64::MIN,
                f64::MIN_POSITIVE,
                5e-324,
                1e300,
                -1e300,
                1e-300,
                0.5,
                1e7,
                1e9,
            ]),
            3 => (self.below(2001) as f64 - 1000.0) * 10f64.powi(self.below(40) as i32 - 20),
            4 => self.below(100_000) as f64,
            _ => -(self.below(100_000) as f64),
        }
    }
}

/// Numbers and words that tend to break parsers.
const NASTY_TOKENS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "+1",
    "00",
    "0x10",
    "1e3",
    "1E-3",
    "1.",
    ".5",
    "-.5",
    "1_000",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "infinity",
    "1e39",
    "1e309",
    "-1e309",
    "1e-400",
    "3.4028236e38",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999999999",
    "65535",
    "65536",
    "4095",
    "4096",
    "0.0.0",
    "1e",
    "e5",
    "--1",
    "1-",
    "\u{feff}",
    "é",
    "𝕏",
    "\u{202e}",
    "\u{0}",
    "\u{7f}",
    "\u{a0}",
    "\u{2028}",
    "½",
    "١٢٣",
    "%",
    "%%",
    "#",
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "{",
    "}",
    "=",
    ",",
    ".",
    "\t",
    "\r",
    "\r\n",
    "\n\n",
    " ",
];

/// Bytes that are structure in one of the formats.
const NASTY_BYTES: &[u8] =
    b"\x00\xff\x80\xc3\xef\xbb\xbf\n\r \t#%-+.eE0123456789[]{}=\",'\\abcdefghijklmnopqrstuvwxyz_";

fn nasty_token(g: &mut Gen) -> String {
    match g.below(10) {
        0 => "9".repeat(1 + g.below(5000)),
        1 => "x".repeat(1 + g.below(200_000)),
        2 => format!("{}", g.f64_any()),
        3 => format!("{}", g.0.next_u64()),
        4 => format!("-{}", g.0.next_u64() >> g.below(64)),
        _ => g.pick(NASTY_TOKENS).to_string(),
    }
}

fn random_bytes(g: &mut Gen) -> Vec<u8> {
    let n = g.len(4096);
    if g.chance(2) {
        (0..n).map(|_| g.0.next_u64() as u8).collect()
    } else {
        (0..n).map(|_| *g.pick(NASTY_BYTES)).collect()
    }
}

/// Applies 1–4 random mutations to `seed`, splicing from `others`.
fn mutate(g: &mut Gen, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..=g.below(4) {
        let n = b.len();
        let at = g.below(n + 1);
        match g.below(13) {
            // Bit flip.
            0 if n > 0 => {
                let k = g.below(n);
                b[k] ^= 1 << g.below(8);
            }
            // Byte replaced by a structural or invalid byte.
            1 if n > 0 => {
                let k = g.below(n);
                b[k] = *g.pick(NASTY_BYTES);
            }
            // Truncation.
            2 => b.truncate(at),
            // Range deleted.
            3 => {
                let len = g.len(n - at);
                b.drain(at..at + len);
            }
            // Range duplicated in place, possibly many times.
            4 => {
                let len = g.len(n - at);
                let chunk = b[at..at + len].to_vec();
                let times = if g.chance(8) { 1 + g.below(1000) } else { 1 };
                for _ in 0..times {
                    b.splice(at..at, chunk.iter().copied());
                    if b.len() > MAX_INPUT {
                        break;
                    }
                }
            }
            // Splice from another seed.
            5 => {
                let other = g.pick(others);
                let from = g.below(other.len() + 1);
                let len = g.len(other.len() - from);
                b.splice(at..at, other[from..from + len].iter().copied());
            }
            // A nasty token inserted.
            6 => {
                let t = nasty_token(g);
                b.splice(at..at, t.bytes());
            }
            // A number (run of digits) replaced by a nasty token.
            7 | 8 => {
                let digits: Vec<usize> = (0..n).filter(|&k| b[k].is_ascii_digit()).collect();
                if digits.is_empty() {
                    continue;
                }
                let start = *g.pick(&digits);
                let mut s = start;
                while s > 0 && matches!(b[s - 1], b'0'..=b'9' | b'.' | b'-' | b'e' | b'+') {
                    s -= 1;
                }
                let mut e = start;
                while e < n && matches!(b[e], b'0'..=b'9' | b'.' | b'e' | b'E' | b'-' | b'+') {
                    e += 1;
                }
                let t = nasty_token(g);
                b.splice(s..e, t.bytes());
            }
            // Two lines swapped.
            9 => {
                let mut lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
                let (i, j) = (g.below(lines.len()), g.below(lines.len()));
                lines.swap(i, j);
                b = lines.join(&b'\n');
            }
            // A line repeated.
            10 => {
                let lines: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
                let k = g.below(lines.len());
                let max = if g.chance(8) { 5000 } else { 3 };
                let times = 1 + g.below(max);
                let mut out = Vec::with_capacity(b.len());
                for (i, l) in lines.iter().enumerate() {
                    let reps = if i == k { 1 + times } else { 1 };
                    for _ in 0..reps {
                        if out.len() > MAX_INPUT {
                            break;
                        }
                        out.extend_from_slice(l);
                        out.push(b'\n');
                    }
                }
                b = out;
            }
            // Line-break style changed.
            11 => {
                b = match g.below(3) {
                    0 => b.iter().flat_map(|&c| if c == b'\n' { vec![b'\r', b'\n'] } else { vec![c] }).collect(),
                    1 => b.iter().map(|&c| if c == b'\n' { b'\r' } else { c }).collect(),
                    _ => b.into_iter().filter(|&c| c != b'\n').collect(),
                };
            }
            // Random bytes inserted.
            _ => {
                let r = random_bytes(g);
                b.splice(at..at, r);
            }
        }
        b.truncate(MAX_INPUT);
    }
    b
}

/// How one case's input is made: 1/8 random bytes, 3/8 grammar-aware, 1/2 mutated seeds.
fn make_input(g: &mut Gen, seeds: &[Vec<u8>], grammar: &dyn Fn(&mut Gen) -> String) -> Vec<u8> {
    match g.below(8) {
        0 => random_bytes(g),
        1..=3 => {
            let mut b = grammar(g).into_bytes();
            if g.chance(3) {
                b = mutate(g, &b, seeds);
            }
            b.truncate(MAX_INPUT);
            b
        }
        _ => {
            let s = g.pick(seeds).clone();
            mutate(g, &s, seeds)
        }
    }
}

/// A failure description cut to 1000 characters (an error that echoes a huge input is itself
/// a failure, and should not flood the terminal).
fn cut(s: &str) -> String {
    match s.char_indices().nth(1000) {
        Some((k, _)) => format!("{}… ({} bytes)", &s[..k], s.len()),
        None => s.to_string(),
    }
}

/// Input bytes for a failure message: escaped and cut short.
fn show(input: &[u8]) -> String {
    let s = String::from_utf8_lossy(&input[..input.len().min(600)]);
    let mut out = format!("{s:?}");
    if input.len() > 600 {
        write!(out, " … ({} bytes)", input.len()).unwrap();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The driver.

#[derive(Default)]
struct Stats {
    /// The allocation bound's bytes per input byte for this target.
    alloc_per_byte: usize,
    cases: u64,
    ok: u64,
    err: u64,
    file_cases: u64,
    bytes: u64,
    max_input: usize,
    max_alloc: usize,
    /// Largest peak allocation per input byte among inputs of at least 1 kB.
    max_ratio: f64,
}

impl Stats {
    fn print(&self, target: &str, seed: u64, started: Instant) {
        let mut line =
            format!("fuzz {target}: {} inputs (seed {seed:#x}): {} ok, {} rejected", self.cases, self.ok, self.err);
        if self.file_cases > 0 {
            write!(line, "; {} also through the file reader", self.file_cases).unwrap();
        }
        if self.bytes > 0 {
            write!(line, "; {:.1} MB in total, largest {} B; peak allocation {} B, at most {:.1} B per input byte (inputs ≥ 1 kB)",
                self.bytes as f64 / 1e6,
                self.max_input,
                self.max_alloc,
                self.max_ratio
            ).unwrap();
        }
        write!(line, "; {:.1} s", started.elapsed().as_secs_f64()).unwrap();
        println!("{line}");
    }
}

/// The check of one input: `(input, also through the file reader, stats)` → parsed or not, or
/// a failure description.
type Check = dyn FnMut(&[u8], bool, &mut Stats) -> Result<bool, String>;

/// One fuzz target: a name, seed files, a grammar, and a check of one input (which returns
/// whether it parsed, or a failure description).
fn fuzz(target: &str, seeds: &[Vec<u8>], grammar: &dyn Fn(&mut Gen) -> String, check: &mut Check) {
    let cfg = config();
    let started = Instant::now();
    let alloc_per_byte = if target == "preset" { ALLOC_PER_INPUT_BYTE_TOML } else { ALLOC_PER_INPUT_BYTE };
    let mut stats = Stats { alloc_per_byte, ..Stats::default() };
    let cases: Box<dyn Iterator<Item = u64>> = match cfg.only_case {
        Some(c) => Box::new(std::iter::once(c)),
        None => Box::new(0..cfg.iters),
    };
    for case in cases {
        let mut g = Gen::for_case(cfg.seed, target, case);
        // The seeds themselves come first, unchanged.
        let input = if (case as usize) < seeds.len() && cfg.only_case.is_none() {
            seeds[case as usize].clone()
        } else {
            make_input(&mut g, seeds, grammar)
        };
        let through_file = case % FILE_EVERY == 0;
        stats.cases += 1;
        stats.bytes += input.len() as u64;
        stats.max_input = stats.max_input.max(input.len());
        match check(&input, through_file, &mut stats) {
            Ok(true) => stats.ok += 1,
            Ok(false) => stats.err += 1,
            Err(why) => panic!(
                "fuzz {target} failed on case {case} (reproduce: ENGRAM_FUZZ_SEED={} ENGRAM_FUZZ_CASE={case} cargo \
                 test --test fuzz_parsers {target}): {}\ninput: {}",
                cfg.seed,
                cut(&why),
                show(&input)
            ),
        }
    }
    // Gone once every target of this process is done with it (fails, harmlessly, before).
    let _ = std::fs::remove_dir(scratch_dir());
    stats.print(target, cfg.seed, started);
}

/// Runs one parser call: no panic, bounded allocation. Returns the result.
fn call<T>(input_len: usize, stats: &mut Stats, f: impl FnOnce() -> T) -> Result<T, String> {
    let (result, alloc) = measured(f);
    let result = result.map_err(|panic| format!("panicked: {panic}"))?;
    stats.max_alloc = stats.max_alloc.max(alloc);
    if input_len >= 1024 {
        stats.max_ratio = stats.max_ratio.max(alloc as f64 / input_len as f64);
    }
    let bound = stats.alloc_per_byte.max(ALLOC_PER_INPUT_BYTE) * input_len + ALLOC_SLACK;
    if alloc > bound {
        return Err(format!("allocated {alloc} bytes for a {input_len}-byte input (bound {bound})"));
    }
    Ok(result)
}

/// Checks a parse error of a line-oriented format: a `Parse` error naming `file` and a line
/// within the input (1-based), shown as `file:line: message`, with a short message.
fn check_parse_error(e: &Error, file: &str, text: &str) -> Result<usize, String> {
    let Error::Parse { file: f, line, msg } = e else {
        return Err(format!("expected a parse error, got {e:?}"));
    };
    if f != file {
        return Err(format!("error names file `{f}`, not `{file}`: {e}"));
    }
    let lines = text.lines().count().max(1);
    if *line == 0 || *line > lines + 1 {
        return Err(format!("error names line {line} of a {lines}-line input: {e}"));
    }
    let shown = e.to_string();
    if !shown.starts_with(&format!("{file}:{line}: ")) {
        return Err(format!("error does not start with `file:line: `: {shown}"));
    }
    if msg.trim().is_empty() || shown.chars().count() > 300 {
        return Err(format!("error message empty or too long ({} chars): {shown}", shown.chars().count()));
    }
    Ok(*line)
}

/// The first `n` lines of `text` (as `str::lines` splits them), joined by `\n`.
fn first_lines(text: &str, n: usize) -> String {
    let mut s: String = text.lines().take(n).collect::<Vec<_>>().join("\n");
    s.push('\n');
    s
}

/// The directory of the file-reader checks: per process, so that two runs at once do not
/// write each other's inputs.
fn scratch_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}", std::process::id()))
}

/// A scratch file path for the file-reader checks.
fn scratch(name: &str) -> PathBuf {
    let dir = scratch_dir();
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

// ---------------------------------------------------------------------------------------------
// .pat

const PAT_UNITS: usize = 4096;

fn pat_seeds() -> Vec<Vec<u8>> {
    let circle = engram::sim::Pattern::from_indices("circle", (0..300).map(|k| (k * 13 % 4096) as u32).collect());
    let weighted = engram::sim::Pattern {
        name: "assembly 1".into(),
        indices: vec![5, 77, 4095, 0],
        values: vec![12.971429, 30.285714, 0.004, 1.0],
    };
    vec![
        pat::format_pat(&[circle, weighted]).into_bytes(),
        b"# Pattern loaded from file  ../../artwork//distorted/circle1.jpg\n1 1.000000\n2 1.000000\n\n\
          # Pattern loaded from file  C:\\art\\tri.angle.jpg\n6\n7 0.5\n\n"
            .to_vec(),
        b"\xef\xbb\xbf1\t0.25\r\n   2    0.5  \r\n \t \r\n3\r\n".to_vec(),
        b"# only a comment\n\n\n".to_vec(),
    ]
}

fn pat_grammar(g: &mut Gen) -> String {
    let mut s = String::new();
    for _ in 0..g.len(200) {
        match g.below(10) {
            0 => s.push('\n'),
            1 => {
                writeln!(s, "# name: {}", nasty_token(g).chars().take(50).collect::<String>()).unwrap();
            }
            2 => {
                writeln!(s, "{} {}", g.below(5000), nasty_token(g)).unwrap();
            }
            3 => {
                writeln!(s, "{}", g.below(PAT_UNITS)).unwrap();
            }
            _ => {
                writeln!(s, "{} {:.6}", g.below(PAT_UNITS + 2), g.f64_any()).unwrap();
            }
        }
    }
    s
}

fn check_pat(input: &[u8], through_file: bool, stats: &mut Stats) -> Result<bool, String> {
    let text = String::from_utf8_lossy(input);
    let n_units = PAT_UNITS;
    let parsed = call(input.len(), stats, || pat::parse_pat(&text, "in.pat", n_units))?;
    let ok = match &parsed {
        Ok(patterns) => {
            for p in patterns {
                if p.indices.is_empty() || p.indices.len() != p.values.len() {
                    return Err(format!("pattern `{}` is empty or uneven", p.name));
                }
                if p.indices.iter().any(|&i| i as usize >= n_units) || p.values.iter().any(|v| !v.is_finite()) {
                    return Err(format!("pattern `{}` has an index out of range or a non-finite value", p.name));
                }
                let mut sorted = p.indices.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if sorted.len() != p.indices.len() {
                    return Err(format!("pattern `{}` repeats an index", p.name));
                }
            }
            // Writing and reading back is stable (values round to 6 decimals once).
            let once = pat::format_pat(patterns);
            let back = pat::parse_pat(&once, "again.pat", n_units).map_err(|e| format!("round trip: {e}"))?;
            if pat::format_pat(&back) != once || back.len() != patterns.len() {
                return Err("round trip changed the patterns".into());
            }
            true
        }
        Err(e) => {
            let line = check_parse_error(e, "in.pat", &text)?;
            // Everything before the reported line is fine: the error is at the first bad line.
            let before = first_lines(&text, line - 1);
            if let Err(e2) = pat::parse_pat(&before, "in.pat", n_units) {
                return Err(format!("error at line {line} ({e}), but the lines before fail too: {e2}"));
            }
            false
        }
    };
    if through_file {
        let path = scratch("in.pat");
        std::fs::write(&path, input).unwrap();
        stats.file_cases += 1;
        let from_file = call(input.len(), stats, || pat::read_pat(&path, n_units))?;
        // A leftover scratch file is harmless; the next case overwrites it.
        let _ = std::fs::remove_file(&path);
        let name = path.display().to_string();
        match (&parsed, from_file) {
            (Ok(a), Ok(b)) if std::str::from_utf8(input).is_ok() => {
                if *a != b {
                    return Err("read_pat and parse_pat disagree".into());
                }
            }
            (_, Ok(_)) if std::str::from_utf8(input).is_err() => {
                return Err("read_pat accepted invalid UTF-8".into());
            }
            (_, Ok(_)) => return Err("read_pat accepted what parse_pat rejects".into()),
            (_, Err(e)) => {
                let shown = e.to_string();
                if !matches!(e, Error::Parse { .. }) || !shown.starts_with(&format!("{name}:")) {
                    return Err(format!("read_pat error is no parse error naming the file: {shown}"));
                }
                if std::str::from_utf8(input).is_ok() && parsed.as_ref().is_ok() {
                    return Err(format!("read_pat rejected what parse_pat accepts: {shown}"));
                }
            }
        }
    }
    Ok(ok)
}

#[test]
fn fuzz_pat() {
    let seeds = pat_seeds();
    fuzz("pat", &seeds, &pat_grammar, &mut check_pat);
}

// ---------------------------------------------------------------------------------------------
// .mtx

/// The shape of the E→E weights: a header may announce up to 16.7 M entries, so the shape
/// check alone does not bound what a header can make the parser reserve.
const MTX_ROWS: usize = 4096;
const MTX_COLS: usize = 4096;

fn mtx_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let entries: Vec<(u32, u32, f32)> = (0..50u32)
        .flat_map(|i| {
            (0..40u32).filter(move |j| (i * 7 + j) % 5 == 0).map(move |j| (i * 80, j * 100, (i * j) as f32 * 0.0137))
        })
        .collect();
    let mut w = Vec::new();
    mtx::write_mtx(&mut w, MTX_ROWS, MTX_COLS, entries.iter().copied(), "weights\nseed 1").unwrap();
    out.push(w);
    out.push(
        format!(
            "%%MatrixMarket matrix coordinate pattern general\n\n% c\n{MTX_ROWS} {MTX_COLS} 3\n1 1\n{MTX_ROWS} \
             {MTX_COLS}\n2 1\n"
        )
        .into_bytes(),
    );
    out.push(
        format!(
            "\u{feff}%%matrixmarket MATRIX coordinate integer General\r\n{MTX_ROWS} {MTX_COLS} 2\r\n3 3 7\r\n1 2 0\r\n"
        )
        .into_bytes(),
    );
    out.push(format!("%%MatrixMarket matrix coordinate real general\n{MTX_ROWS} {MTX_COLS} 0\n").into_bytes());
    out
}

fn mtx_grammar(g: &mut Gen) -> String {
    let field = *g.pick(&["real", "integer", "pattern", "complex", "REAL"]);
    let mut s = format!("%%MatrixMarket matrix coordinate {field} general\n");
    if g.chance(3) {
        s.push_str("% comment\n");
    }
    let nnz: u64 = match g.below(5) {
        0 => g.0.next_u64() >> g.below(64),
        1 => (MTX_ROWS * MTX_COLS) as u64,
        2 => g.below(MTX_ROWS * MTX_COLS) as u64,
        _ => g.below(30) as u64,
    };
    let (r, c) = if g.chance(10) { (g.below(100), g.below(100)) } else { (MTX_ROWS, MTX_COLS) };
    writeln!(s, "{r} {c} {nnz}").unwrap();
    for _ in 0..g.len(100) {
        let (i, j) =
            if g.chance(4) { (g.below(MTX_ROWS + 2), g.below(MTX_COLS + 2)) } else { (g.below(5), g.below(5)) };
        match (field, g.below(6)) {
            ("pattern", 0..=3) => {
                writeln!(s, "{i} {j}").unwrap();
            }
            (_, 0) => {
                writeln!(s, "{i} {j} {}", nasty_token(g)).unwrap();
            }
            (_, 1) => s.push('\n'),
            _ => {
                writeln!(s, "{i} {j} {}", g.f64_any().abs()).unwrap();
            }
        }
    }
    s
}

fn check_mtx(input: &[u8], through_file: bool, stats: &mut Stats) -> Result<bool, String> {
    let text = String::from_utf8_lossy(input);
    let parsed = call(input.len(), stats, || mtx::parse_mtx(&text, "in.mtx", MTX_ROWS, MTX_COLS))?;
    let ok = match &parsed {
        Ok(t) => {
            if t.rows != MTX_ROWS || t.cols != MTX_COLS {
                return Err("wrong size accepted".into());
            }
            let mut sorted = t.entries.clone();
            for &(i, j, v) in &sorted {
                if i as usize >= MTX_ROWS || j as usize >= MTX_COLS || !(v.is_finite() && v >= 0.0) {
                    return Err(format!("bad entry ({i}, {j}, {v}) accepted"));
                }
            }
            sorted.sort_by_key(|&(i, j, _)| (i, j));
            if sorted.windows(2).any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1)) {
                return Err("repeated entry accepted".into());
            }
            // Writing (sorted, as Auryn wants) and reading back gives the same entries, bit for bit.
            let mut w = Vec::new();
            mtx::write_mtx(&mut w, MTX_ROWS, MTX_COLS, sorted.iter().copied(), "")
                .map_err(|e| format!("cannot write back: {e}"))?;
            let back = mtx::parse_mtx(std::str::from_utf8(&w).unwrap(), "again.mtx", MTX_ROWS, MTX_COLS)
                .map_err(|e| format!("round trip: {e}"))?;
            let bits = |v: &[(u32, u32, f32)]| v.iter().map(|&(i, j, x)| (i, j, x.to_bits())).collect::<Vec<_>>();
            if bits(&back.entries) != bits(&sorted) {
                return Err("round trip changed the entries".into());
            }
            true
        }
        Err(e) => {
            check_parse_error(e, "in.mtx", &text)?;
            false
        }
    };
    if through_file {
        let path = scratch("in.mtx");
        std::fs::write(&path, input).unwrap();
        stats.file_cases += 1;
        let from_file = call(input.len(), stats, || mtx::read_mtx(&path, MTX_ROWS, MTX_COLS))?;
        // A leftover scratch file is harmless; the next case overwrites it.
        let _ = std::fs::remove_file(&path);
        let name = path.display().to_string();
        let utf8 = std::str::from_utf8(input).is_ok();
        match (&parsed, from_file) {
            (Ok(a), Ok(b)) => {
                if *a != b {
                    return Err("read_mtx and parse_mtx disagree".into());
                }
            }
            (Err(_), Ok(_)) if utf8 => return Err("read_mtx accepted what parse_mtx rejects".into()),
            (_, Ok(_)) => {}
            (a, Err(e)) => {
                let shown = e.to_string();
                if !matches!(e, Error::Parse { .. }) || !shown.starts_with(&format!("{name}:")) {
                    return Err(format!("read_mtx error does not name the file: {shown}"));
                }
                let streaming_only = shown.contains("expected UTF-8") || shown.contains("expected a line of at most");
                if a.is_ok() && !streaming_only {
                    return Err(format!("read_mtx rejected what parse_mtx accepts: {shown}"));
                }
                // Same line and message as the in-memory parser, unless the bytes themselves
                // were the problem.
                if let (Err(a), false) = (a, streaming_only) {
                    let expect = a.to_string().replacen("in.mtx", &name, 1);
                    if utf8 && expect != shown {
                        return Err(format!("read_mtx says `{shown}`, parse_mtx `{a}`"));
                    }
                }
            }
        }
    }
    Ok(ok)
}

#[test]
fn fuzz_mtx() {
    let seeds = mtx_seeds();
    fuzz("mtx", &seeds, &mtx_grammar, &mut check_mtx);
}

// ---------------------------------------------------------------------------------------------
// .ras

fn ras_seeds() -> Vec<Vec<u8>> {
    let mut w = ras::RasWriter::new(Vec::new());
    for k in 0..200u32 {
        w.push(k as f64 * 0.0137, k * 31 % 5120).unwrap();
    }
    vec![w.finish().unwrap(), b"# comment\r\n0.5\t3\r\n\r\n  1e-3   7  \n2 0".to_vec()]
}

fn ras_grammar(g: &mut Gen) -> String {
    let mut s = String::new();
    for _ in 0..g.len(300) {
        match g.below(8) {
            0 => {
                writeln!(s, "{} {}", nasty_token(g), g.below(5000)).unwrap();
            }
            1 => {
                writeln!(s, "{:.6} {}", g.f64_any(), nasty_token(g)).unwrap();
            }
            2 => s.push_str("# c\n"),
            _ => {
                writeln!(s, "{:.6} {}", g.f64_any().abs(), g.0.next_u64() >> g.below(64)).unwrap();
            }
        }
    }
    s
}

fn check_ras(input: &[u8], _through_file: bool, stats: &mut Stats) -> Result<bool, String> {
    let text = String::from_utf8_lossy(input);
    let parsed = call(input.len(), stats, || ras::parse_ras(&text, "in.ras"))?;
    match &parsed {
        Ok(spikes) => {
            if spikes.iter().any(|&(t, _)| !(t.is_finite() && t >= 0.0)) {
                return Err("bad spike time accepted".into());
            }
            let mut w = ras::RasWriter::new(Vec::new());
            for &(t, n) in spikes {
                w.push(t, n).map_err(|e| format!("cannot write back: {e}"))?;
            }
            let out = w.finish().unwrap();
            let back = ras::parse_ras(std::str::from_utf8(&out).unwrap(), "again.ras")
                .map_err(|e| format!("round trip: {e}"))?;
            if back.len() != spikes.len() || back.iter().zip(spikes).any(|(a, b)| a.1 != b.1) {
                return Err("round trip changed the spikes".into());
            }
            Ok(true)
        }
        Err(e) => {
            let line = check_parse_error(e, "in.ras", &text)?;
            let before = first_lines(&text, line - 1);
            if let Err(e2) = ras::parse_ras(&before, "in.ras") {
                return Err(format!("error at line {line} ({e}), but the lines before fail too: {e2}"));
            }
            Ok(false)
        }
    }
}

#[test]
fn fuzz_ras() {
    let seeds = ras_seeds();
    fuzz("ras", &seeds, &ras_grammar, &mut check_ras);
}

// ---------------------------------------------------------------------------------------------
// Presets (TOML text) and parameter validation.

/// Every leaf of a TOML table as (dotted path, value).
fn leaves(table: &toml::Table, prefix: &str, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(t) => leaves(t, &path, out),
            _ => out.push((path, v.clone())),
        }
    }
}

fn leaf_mut<'a>(table: &'a mut toml::Table, path: &str) -> &'a mut toml::Value {
    try_leaf_mut(table, path).unwrap()
}

/// The value at a dotted path, if it (still) exists.
fn try_leaf_mut<'a>(table: &'a mut toml::Table, path: &str) -> Option<&'a mut toml::Value> {
    let mut parts = path.split('.');
    let mut cur = table.get_mut(parts.next()?)?;
    for p in parts {
        cur = cur.as_table_mut()?.get_mut(p)?;
    }
    Some(cur)
}

fn default_table() -> toml::Table {
    toml::Table::try_from(preset::default_params()).unwrap()
}

/// The dotted paths of every parameter.
fn param_fields() -> Vec<String> {
    let mut out = Vec::new();
    leaves(&default_table(), "", &mut out);
    out.into_iter().map(|(p, _)| p).collect()
}

/// The field an error blames: `Param { field }` or `invalid parameter `field`` in a message.
fn blamed_field(e: &Error) -> Option<String> {
    if let Error::Param { field, .. } = e {
        Some(field.clone())
    } else {
        let s = e.to_string();
        let rest = &s[s.find("invalid parameter `")? + "invalid parameter `".len()..];
        Some(rest[..rest.find('`')?].to_string())
    }
}

/// Derived constants of valid parameters are finite (what the model computes from them first).
fn check_derived(p: &Params) -> Result<(), String> {
    for n in [&p.neuron_e, &p.neuron_i] {
        let d = NeuronDerived::new(n);
        let all = [
            d.decay_ampa,
            d.decay_gaba,
            d.decay_a1,
            d.decay_a2,
            d.decay_theta,
            d.nmda_m,
            d.dt_over_tau,
            d.a_ampa,
            d.a_nmda,
        ];
        if all.iter().any(|v| !v.is_finite()) {
            return Err(format!("valid parameters give non-finite neuron constants: {d:?}"));
        }
    }
    if !p.plasticity.cubic_p().is_finite() {
        return Err("valid parameters give a non-finite consolidation cubic".into());
    }
    Ok(())
}

fn preset_seeds() -> Vec<Vec<u8>> {
    preset::BUILTIN.iter().map(|(_, t)| t.as_bytes().to_vec()).collect()
}

/// A random value for a parameter leaf: often of the right type but out of range.
fn random_value(g: &mut Gen, old: &toml::Value) -> toml::Value {
    use toml::Value as V;
    match (old, g.below(10)) {
        (_, 0) => V::String(nasty_token(g).chars().take(30).collect()),
        (_, 1) => V::Boolean(g.chance(2)),
        (_, 2) => V::Array(vec![V::Integer(1)]),
        (V::Integer(i), 3..=5) => V::Integer(match g.below(6) {
            0 => 0,
            1 => -1 - g.below(1000) as i64,
            2 => i64::MAX,
            3 => i64::MIN,
            4 => i.saturating_mul(1 + g.below(100) as i64),
            _ => g.0.next_u64() as i64 >> g.below(64),
        }),
        (V::Integer(i), _) => V::Float(*i as f64 + g.f64_any()),
        (V::Float(x), 3..=5) => V::Float(match g.below(3) {
            0 => -x,
            1 => x * 10f64.powi(g.below(20) as i32 - 10),
            _ => x + g.f64_any(),
        }),
        (V::Float(_), _) => V::Float(g.f64_any()),
        (V::String(_), _) => {
            V::String(g.pick(&["P10", "P11", "P12", "shapes", "cues", "none", "", "default"]).to_string())
        }
        _ => V::Integer(g.below(3) as i64),
    }
}

/// Grammar-aware presets: the default preset with a few random fields changed, removed or added.
fn preset_grammar(g: &mut Gen) -> String {
    let mut table = default_table();
    let fields = param_fields();
    for _ in 0..=g.below(3) {
        let path = g.pick(&fields).clone();
        match g.below(12) {
            0 => {
                let (parent, key) = path.rsplit_once('.').unwrap_or(("", &path));
                let t = if parent.is_empty() {
                    Some(&mut table)
                } else {
                    try_leaf_mut(&mut table, parent).and_then(|v| v.as_table_mut())
                };
                if let Some(t) = t {
                    t.remove(key);
                }
            }
            1 => {
                table.insert("unknown_field".into(), toml::Value::Float(g.f64_any()));
            }
            _ => {
                if let Some(v) = try_leaf_mut(&mut table, &path) {
                    *v = random_value(g, &v.clone());
                }
            }
        }
    }
    toml::to_string(&table).unwrap_or_default()
}

fn check_preset(input: &[u8], through_file: bool, stats: &mut Stats) -> Result<bool, String> {
    let text = String::from_utf8_lossy(input);
    let parsed = call(input.len(), stats, || preset::parse_preset(&text, "in.toml"))?;
    let ok = match &parsed {
        Ok(p) => {
            p.validate().map_err(|e| format!("parse_preset accepted invalid parameters: {e}"))?;
            check_derived(p)?;
            let again = preset::to_toml(p).map_err(|e| format!("cannot write back: {e}"))?;
            let back = preset::parse_preset(&again, "again.toml").map_err(|e| format!("round trip: {e}"))?;
            if back != *p {
                return Err("round trip changed the parameters".into());
            }
            true
        }
        Err(e) => {
            let Error::Parse { file, line, msg } = e else {
                return Err(format!("expected a parse error, got {e:?}"));
            };
            if file != "in.toml" {
                return Err(format!("error names file `{file}`: {e}"));
            }
            if *line > text.lines().count() + 1 {
                return Err(format!("error names line {line} of a {}-line input: {e}", text.lines().count()));
            }
            let shown = e.to_string();
            if msg.trim().is_empty() || shown.chars().count() > 400 {
                return Err(format!("error message empty or too long: {shown}"));
            }
            if let Some(field) = blamed_field(e)
                && !param_fields().contains(&field)
            {
                return Err(format!("error blames `{field}`, which is no parameter: {shown}"));
            }
            false
        }
    };
    if through_file {
        let path = scratch("in.toml");
        std::fs::write(&path, input).unwrap();
        let arg = path.display().to_string();
        stats.file_cases += 1;
        let from_file = call(input.len(), stats, || preset::load_preset(&arg))?;
        // A leftover scratch file is harmless; the next case overwrites it.
        let _ = std::fs::remove_file(&path);
        match (&parsed, from_file) {
            (Ok(a), Ok(b)) if *a != b => return Err("load_preset and parse_preset disagree".into()),
            (Ok(_), Ok(_)) => {}
            (Err(_), Ok(_)) => return Err("load_preset accepted what parse_preset rejects".into()),
            (a, Err(e)) => {
                let shown = e.to_string();
                if !matches!(e, Error::Parse { .. }) || !shown.starts_with(&format!("{arg}:")) {
                    return Err(format!("load_preset error does not name the file: {shown}"));
                }
                if a.is_ok() && std::str::from_utf8(input).is_ok() {
                    return Err(format!("load_preset rejected what parse_preset accepts: {shown}"));
                }
            }
        }
    }
    Ok(ok)
}

#[test]
fn fuzz_preset() {
    let seeds = preset_seeds();
    fuzz("preset", &seeds, &preset_grammar, &mut check_preset);
}

/// Random `Params` values straight into `validate` (no TOML): every error names a real dotted
/// field, every accepted value gives finite derived constants.
fn check_params(g: &mut Gen, fields: &[String], stats: &mut Stats) -> Result<bool, String> {
    use toml::Value as V;
    let mut table = default_table();
    let mut changed = Vec::new();
    for _ in 0..=g.below(3) {
        let path = g.pick(fields).clone();
        let v = leaf_mut(&mut table, &path);
        let new = match &*v {
            V::Float(x) => V::Float(if g.chance(2) { g.f64_any() } else { *x * (g.f64_any().abs() + 0.5) }),
            V::Integer(i) => V::Integer(match g.below(4) {
                0 => 0,
                1 => g.0.next_u64() as i64 & i64::MAX,
                2 => i.saturating_mul(g.below(20) as i64) / 4,
                _ => g.below(70_000) as i64,
            }),
            V::Boolean(_) => V::Boolean(g.chance(2)),
            other => other.clone(),
        };
        *v = new;
        changed.push(path);
    }
    // Values of the right type always deserialise (usize fields get non-negative integers).
    let params: Params = table.try_into().map_err(|e| format!("could not build Params: {e}"))?;
    let result = call(0, stats, || params.validate())?;
    match result {
        Ok(()) => {
            check_derived(&params)?;
            Ok(true)
        }
        Err(Error::Param { field, msg }) => {
            if !fields.contains(&field) {
                return Err(format!("validate blames `{field}`, which is no parameter ({msg}); changed {changed:?}"));
            }
            // The default is valid, so the blame is on a changed field, or on one whose limit
            // depends on another field (rf_radius ≤ input_side, the synapse-count limit on p_conn,
            // v_min < v_max, cons_interval ≤ tau_cons, w_a < w_p ≤ w_max, background + stimulus).
            let depends_on_others = [
                "network.rf_radius",
                "network.p_conn",
                "neuron_e.v_min_mv",
                "neuron_i.v_min_mv",
                "plasticity.cons_interval_s",
                "plasticity.w_a",
                "plasticity.w_p",
                "protocol.init.stimulus_hz",
                "protocol.learn.stimulus_hz",
                "protocol.recall.stimulus_hz",
            ];
            if !changed.contains(&field) && !depends_on_others.contains(&field.as_str()) {
                return Err(format!("validate blames `{field}` ({msg}), but only {changed:?} changed"));
            }
            // A single non-finite value is blamed on its own field.
            if let [only] = changed.as_slice() {
                let mut t = toml::Table::try_from(&params).unwrap();
                let v = leaf_mut(&mut t, only);
                if v.as_float().is_some_and(|x| !x.is_finite()) && field != *only {
                    return Err(format!("validate blames `{field}` ({msg}), but `{only}` is {v}"));
                }
            }
            Ok(false)
        }
        Err(e) => Err(format!("validate returned a non-parameter error: {e}")),
    }
}

#[test]
fn fuzz_params_validate() {
    let cfg = config();
    let started = Instant::now();
    let fields = param_fields();
    let mut stats = Stats::default();
    let cases: Box<dyn Iterator<Item = u64>> = match cfg.only_case {
        Some(c) => Box::new(std::iter::once(c)),
        None => Box::new(0..cfg.iters),
    };
    for case in cases {
        let mut g = Gen::for_case(cfg.seed, "params", case);
        stats.cases += 1;
        match check_params(&mut g, &fields, &mut stats) {
            Ok(true) => stats.ok += 1,
            Ok(false) => stats.err += 1,
            Err(why) => panic!(
                "fuzz params failed on case {case} (reproduce: ENGRAM_FUZZ_SEED={} ENGRAM_FUZZ_CASE={case}): {}",
                cfg.seed,
                cut(&why)
            ),
        }
    }
    stats.print("params", cfg.seed, started);
}

/// Exhaustive, not random: every numeric parameter set to NaN, ±∞, a huge or a negative value,
/// and every count to 0, is refused, and NaN/∞ are blamed on that very field.
#[test]
fn every_numeric_parameter_is_validated() {
    use toml::Value as V;
    let mut all = Vec::new();
    leaves(&default_table(), "", &mut all);
    let mut checked = 0;
    for (path, value) in &all {
        let bad: Vec<V> = match value {
            V::Float(_) => {
                vec![
                    V::Float(f64::NAN),
                    V::Float(f64::INFINITY),
                    V::Float(f64::NEG_INFINITY),
                    V::Float(1e300),
                    V::Float(-1e300),
                ]
            }
            V::Integer(_) if path != "seed" => vec![V::Integer(0), V::Integer(i64::MAX)],
            _ => continue,
        };
        for b in bad {
            let mut table = default_table();
            *leaf_mut(&mut table, path) = b.clone();
            let params: Params = table.clone().try_into().unwrap();
            let err = params.validate().expect_err(&format!("{path} = {b} accepted"));
            let Error::Param { field, .. } = &err else { panic!("{path} = {b}: {err:?}") };
            if matches!(b, V::Float(x) if !x.is_finite()) || matches!(b, V::Integer(_)) {
                assert_eq!(field, path, "{path} = {b}: {err}");
            }
            // The same through preset text: the file and the field are named.
            let text = toml::to_string(&table).unwrap();
            let e = preset::parse_preset(&text, "p.toml").unwrap_err().to_string();
            assert!(e.starts_with("p.toml") && e.contains(&format!("`{field}`")), "{path} = {b}: {e}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} checks");
}

// ---------------------------------------------------------------------------------------------
// Network snapshots (binary). The checksum rejects almost every mutation before the section
// decoders run, so each input is also parsed with its header's length and checksum fixed up:
// both the header checks and the decoders see every mutation.

/// A snapshot of a tiny network (16 E, 4 I, 4×4 input) after some steps, so every section has
/// content; a few kB, so a million parses stay cheap.
fn snapshot_seeds() -> Vec<Vec<u8>> {
    let mut p = preset::default_params();
    p.network.n_e = 16;
    p.network.n_i = 4;
    p.network.input_side = 4;
    p.network.rf_radius = 2.0;
    p.network.p_conn = 0.5;
    let mut net = engram::sim::Network::new(p).unwrap();
    // The built-in shapes, drawn for 64×64, keep the pixels that fit the 4×4 layer.
    net.start_phase(engram::sim::params::PhaseName::Init);
    net.present("p".into(), None, vec![1, 2, 5, 6, 4095], 1.0);
    net.run(300, |_| {});
    let asm =
        vec![engram::sim::Pattern::from_indices("a", vec![0, 3, 15]), engram::sim::Pattern::from_indices("b", vec![])];
    let bytes = snapshot::to_bytes(&net.state(), &snapshot::Extras { assemblies: Some(asm) }).unwrap();
    if let Err(e) = snapshot::from_bytes(&bytes, "seed") {
        panic!("the seed snapshot must load: {e}");
    }
    vec![bytes]
}

/// `input` with the header's payload length and FNV-1a checksum made to match its payload.
fn fix_header(input: &[u8]) -> Option<Vec<u8>> {
    let h = snapshot::HEADER_LEN;
    let mut b = input.to_vec();
    (b.len() >= h).then(|| {
        let (len, sum) = ((b.len() - h) as u64, engram::sim::monitor::fnv1a(engram::sim::monitor::FNV_OFFSET, &b[h..]));
        b[16..24].copy_from_slice(&len.to_le_bytes());
        b[24..32].copy_from_slice(&sum.to_le_bytes());
        b
    })
}

fn check_snapshot(input: &[u8], _through_file: bool, stats: &mut Stats) -> Result<bool, String> {
    const FILE: &str = "fuzz.engram";
    let mut ok = false;
    for bytes in std::iter::once(input.to_vec()).chain(fix_header(input)) {
        match call(bytes.len(), stats, || snapshot::from_bytes(&bytes, FILE))? {
            Ok((state, _)) => {
                ok = true;
                // Restoring checks what decoding cannot (lengths against the network, index
                // ranges, finite values): it may refuse, never panic.
                let restored = std::panic::catch_unwind(|| engram::sim::Network::from_state(state).map(|_| ()));
                restored.map_err(|_| "restoring a decoded state panicked".to_string())?.ok();
            }
            Err(e) => {
                let shown = e.to_string();
                if !matches!(e, Error::Parse { .. }) || !shown.starts_with(FILE) || shown.chars().count() > 1000 {
                    return Err(format!("error should be a short parse error naming {FILE}: {shown}"));
                }
            }
        }
    }
    Ok(ok)
}

#[test]
fn fuzz_snapshot() {
    let seeds = snapshot_seeds();
    fuzz(
        "snapshot",
        &seeds,
        &|g: &mut Gen| String::from_utf8_lossy(&random_bytes(g)).into_owned(),
        &mut check_snapshot,
    );
}
