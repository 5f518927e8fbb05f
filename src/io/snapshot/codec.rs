//! Little-endian encoding and decoding of snapshot sections, and the input layer's section,
//! which every format version shares.

use crate::error::{Error, Result};
use crate::sim::input::{InputState, Stimulus};
use crate::sim::params::{PatternSet, Phase};
use crate::sim::pattern::Pattern;
use crate::sim::rng::StreamState;

/// Longest name (of a pattern, stimulus or array) accepted [bytes].
const MAX_NAME: usize = 4096;

/// Encodes the input layer's state (section `INPT`, the same in every format version).
pub(super) fn encode_input(e: &mut Enc, inp: &InputState) {
    e.u32s(&inp.spikes);
    e.u64(inp.in_stimulus.len() as u64);
    e.buf.extend(inp.in_stimulus.iter().map(|&b| b as u8));
    inp.class_p.iter().for_each(|&p| e.f64(p));
    inp.class_next.iter().for_each(|&n| e.u64(n));
    e.stream(&inp.spike_rng);
    e.stream(&inp.schedule_rng);
    e.f64(inp.background_hz);
    e.f64(inp.stimulus_hz);
    match &inp.phase {
        None => e.u8(0),
        Some(p) => {
            e.u8(1);
            e.f64(p.duration_s);
            e.u8(match p.patterns {
                PatternSet::Shapes => 0,
                PatternSet::Cues => 1,
                PatternSet::None => 2,
            });
            for x in [p.t_on_s, p.t_off_s, p.stimulus_hz, p.first_onset_s] {
                e.f64(x);
            }
        }
    }
    e.u64(inp.patterns.len() as u64);
    for p in &inp.patterns {
        e.str(&p.name);
        e.u32s(&p.indices);
        e.f32s(&p.values);
    }
    match &inp.stimulus {
        None => e.u8(0),
        Some(st) => {
            e.u8(1);
            e.str(&st.name);
            match st.pattern {
                None => e.u8(0),
                Some(k) => {
                    e.u8(1);
                    e.u64(k as u64);
                }
            }
            e.u32s(&st.pixels);
            e.u64(st.onset);
            e.u64(st.offset);
        }
    }
    e.u64(inp.next_onset);
}

/// Decodes the input layer's state for `nin` input units (section `INPT`), refusing a NaN or
/// infinity in its rates and pattern values.
pub(super) fn decode_input(d: &mut Dec<'_>, nin: usize) -> Result<InputState> {
    let spikes = d.u32s("input.spikes", 0, nin)?;
    let n = d.count("input.in_stimulus", nin, nin, 1)?;
    let in_stimulus = d.take(n, "input.in_stimulus")?.iter().map(|&b| b != 0).collect();
    let class_p = [d.f64("input class p")?, d.f64("input class p")?];
    let class_next = [d.u64("input class position")?, d.u64("input class position")?];
    let spike_rng = d.stream("input spike stream")?;
    let schedule_rng = d.stream("input schedule stream")?;
    let background_hz = d.f64("input.background_hz")?;
    let stimulus_hz = d.f64("input.stimulus_hz")?;
    let phase = match d.u8("input phase flag")? {
        0 => None,
        1 => Some(Phase {
            duration_s: d.f64("phase.duration_s")?,
            patterns: match d.u8("phase.patterns")? {
                0 => PatternSet::Shapes,
                1 => PatternSet::Cues,
                2 => PatternSet::None,
                k => return Err(d.err(&format!("phase.patterns code {k}: expected 0 to 2"))),
            },
            t_on_s: d.f64("phase.t_on_s")?,
            t_off_s: d.f64("phase.t_off_s")?,
            stimulus_hz: d.f64("phase.stimulus_hz")?,
            first_onset_s: d.f64("phase.first_onset_s")?,
        }),
        k => return Err(d.err(&format!("input phase flag {k}: expected 0 or 1"))),
    };
    // A pattern takes at least 24 bytes (three counts).
    let n_patterns = d.count("input.patterns", 0, usize::MAX, 24)?;
    let mut patterns = Vec::with_capacity(n_patterns);
    for k in 0..n_patterns {
        let name = d.str(&format!("pattern {k} name"))?;
        let indices = d.u32s(&format!("pattern `{name}` indices"), 0, nin)?;
        let values = d.f32s(&format!("pattern `{name}` values"), indices.len(), nin)?;
        patterns.push(Pattern { name, indices, values });
    }
    let stimulus = match d.u8("stimulus flag")? {
        0 => None,
        1 => {
            let name = d.str("stimulus name")?;
            let pattern = match d.u8("stimulus pattern flag")? {
                0 => None,
                1 => Some(d.u64("stimulus pattern")? as usize),
                k => return Err(d.err(&format!("stimulus pattern flag {k}: expected 0 or 1"))),
            };
            let pixels = d.u32s("stimulus pixels", 0, nin)?;
            Some(Stimulus { name, pattern, pixels, onset: d.u64("stimulus onset")?, offset: d.u64("stimulus offset")? })
        }
        k => return Err(d.err(&format!("stimulus flag {k}: expected 0 or 1"))),
    };
    let next_onset = d.u64("input next onset")?;
    let state = InputState {
        spikes,
        in_stimulus,
        class_p,
        class_next,
        spike_rng,
        schedule_rng,
        background_hz,
        stimulus_hz,
        phase,
        patterns,
        stimulus,
        next_onset,
    };
    check_input_finite(&state).map_err(|msg| d.err(&msg))?;
    Ok(state)
}

/// Refuses a NaN or infinity in the input layer's numbers (probabilities, rates, pattern
/// values): the checksum only proves the file is what was written.
fn check_input_finite(inp: &InputState) -> std::result::Result<(), String> {
    let bad = |name: &str, v: &[f64]| match v.iter().position(|x| !x.is_finite()) {
        Some(k) => Err(format!("{name}[{k}] is {}, expected a finite value", v[k])),
        None => Ok(()),
    };
    bad("input class p", &inp.class_p)?;
    bad("input rates", &[inp.background_hz, inp.stimulus_hz])?;
    for p in &inp.patterns {
        let values: Vec<f64> = p.values.iter().map(|&x| x as f64).collect();
        bad(&format!("pattern `{}` values", p.name), &values)?;
    }
    Ok(())
}

/// Little-endian encoder.
pub(super) struct Enc {
    pub buf: Vec<u8>,
}

impl Enc {
    pub fn section(&mut self, tag: [u8; 4], body: impl FnOnce(&mut Enc) -> Result<()>) -> Result<()> {
        self.buf.extend_from_slice(&tag);
        let at = self.buf.len();
        self.u64(0);
        body(self)?;
        let len = (self.buf.len() - at - 8) as u64;
        self.buf[at..at + 8].copy_from_slice(&len.to_le_bytes());
        Ok(())
    }

    pub fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }

    pub fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    pub fn f64(&mut self, x: f64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    pub fn f32s(&mut self, v: &[f32]) {
        self.u64(v.len() as u64);
        self.buf.reserve(v.len() * 4);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn u64s(&mut self, v: &[u64]) {
        self.u64(v.len() as u64);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn f64s(&mut self, v: &[f64]) {
        self.u64(v.len() as u64);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn u32s(&mut self, v: &[u32]) {
        self.u64(v.len() as u64);
        self.buf.reserve(v.len() * 4);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub fn stream(&mut self, s: &StreamState) {
        self.buf.extend_from_slice(&s.key);
        self.u64(s.stream);
        self.buf.extend_from_slice(&s.word_pos.to_le_bytes());
    }
}

/// Little-endian decoder over a whole file; `pos` is the absolute offset, `end` the end of the
/// current section.
pub(super) struct Dec<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
    pub end: usize,
    pub file: &'a str,
}

impl<'a> Dec<'a> {
    pub fn err(&self, msg: &str) -> Error {
        Error::parse(self.file, 0, format!("{msg} (at offset {})", self.pos))
    }

    pub fn section<T>(&mut self, tag: [u8; 4], body: impl FnOnce(&mut Dec<'a>) -> Result<T>) -> Result<T> {
        let name = String::from_utf8_lossy(&tag).into_owned();
        let found = self.take(4, &format!("section tag {name}"))?;
        if found != tag {
            let found = String::from_utf8_lossy(found).into_owned();
            self.pos -= 4;
            return Err(self.err(&format!("expected section {name}, found {found:?}")));
        }
        let len = self.u64(&format!("section {name} length"))?;
        let left = self.end - self.pos;
        if len > left as u64 {
            return Err(self.err(&format!("truncated: section {name} says {len} bytes, {left} left")));
        }
        let outer_end = self.end;
        self.end = self.pos + len as usize;
        let value = body(self)?;
        if self.pos != self.end {
            return Err(self.err(&format!("section {name}: {} bytes left over", self.end - self.pos)));
        }
        self.end = outer_end;
        Ok(value)
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let left = self.end - self.pos;
        if n > left {
            return Err(self.err(&format!("truncated: expected {n} bytes of {what}, {left} left in the section")));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }

    pub fn f64(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }

    /// An element count: exactly `exact` if that is nonzero, at most `max`, and no more than
    /// the bytes left allow at `size` bytes each (so nothing is allocated from a bad count).
    pub fn count(&mut self, what: &str, exact: usize, max: usize, size: usize) -> Result<usize> {
        let n = self.u64(&format!("{what} count"))?;
        if exact != 0 && n != exact as u64 {
            return Err(self.err(&format!("{what}: {n} values, expected {exact}")));
        }
        if n > max as u64 {
            return Err(self.err(&format!("{what}: {n} values, at most {max} possible")));
        }
        let left = (self.end - self.pos) / size;
        if n > left as u64 {
            return Err(self.err(&format!(
                "truncated: expected {} bytes of {what}, {} left in the section",
                n.saturating_mul(size as u64),
                self.end - self.pos
            )));
        }
        Ok(n as usize)
    }

    pub fn f32s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<f32>> {
        let n = self.count(what, exact, max, 4)?;
        let b = self.take(n * 4, what)?;
        Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }

    pub fn f64s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<f64>> {
        let n = self.count(what, exact, max, 8)?;
        let b = self.take(n * 8, what)?;
        Ok(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
    }

    pub fn u64s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<u64>> {
        let n = self.count(what, exact, max, 8)?;
        let b = self.take(n * 8, what)?;
        Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
    }

    pub fn u32s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<u32>> {
        let n = self.count(what, exact, max, 4)?;
        let b = self.take(n * 4, what)?;
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }

    pub fn str(&mut self, what: &str) -> Result<String> {
        let n = self.count(what, 0, MAX_NAME, 1)?;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.err(&format!("{what}: not UTF-8")))
    }

    pub fn stream(&mut self, what: &str) -> Result<StreamState> {
        let key: [u8; 32] = self.take(32, what)?.try_into().expect("32 bytes");
        let stream = self.u64(what)?;
        let word_pos = u128::from_le_bytes(self.take(16, what)?.try_into().expect("16 bytes"));
        Ok(StreamState { key, stream, word_pos })
    }
}
