//! Network-state snapshots: the complete evolving state of a [`Network`] in a versioned binary
//! file, so that a run can be saved and resumed bit for bit.
//!
//! Layout (all numbers little-endian):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `ENGRAMST` |
//! | 8 | 4 | format version (u32, [`VERSION`]) |
//! | 12 | 4 | reserved, 0 |
//! | 16 | 8 | payload length in bytes (u64) |
//! | 24 | 8 | 64-bit FNV-1a hash of the payload |
//! | 32 | … | payload: sections |
//!
//! Each section is a 4-byte tag, its body length (u64) and the body; they come in this order:
//! `PARM` (the parameters as preset TOML), `CLCK` (step, phase, spike counts, global rate
//! estimate, connectivity hash), `NEUR` (E then I: V, g_AMPA, g_NMDA, g_GABA, g_a1, g_a2, θ,
//! last spikes), `SYNW` (w of E→E, E→I, I→I, I→E, Input→E; w̃ of E→E and Input→E in stored,
//! transposed order), `STPS` (x, u of E and input; from version 2 their last-spike steps), `DLAY` (E, I, input delay lines: every
//! slot's ids and efficacies), `TRAC` (x_E, x_I, x_in, y, z, h scaled, the presynaptic
//! traces' scale steps, the postsynaptic traces' scale step; up to version 3 y, z, h were
//! values followed by the LTD factors, and only version 3 had the presynaptic scale steps),
//! `INPT` (input
//! layer: last spikes, stimulus mask, rate classes, both random streams, rates, schedule,
//! patterns, active stimulus, next onset). An array is its element count (u64) followed by the
//! elements. The connectivity is not stored: it is rebuilt from the parameters' seed and
//! checked against the hash.
//!
//! Loading checks the magic, version, length and hash before decoding, bounds every count by
//! the parameters' sizes and the bytes left before allocating, and builds a new network, so a
//! bad file is an [`Error::Parse`] naming the file and what was wrong, and changes nothing.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use super::atomic::atomic_write;
use super::preset;
use crate::error::{Error, Result};
use crate::sim::input::{InputState, Stimulus};
use crate::sim::monitor::{FNV_OFFSET, fnv1a};
use crate::sim::network::{DelayState, Network, NetworkState, SpikeCounts};
use crate::sim::neuron::Neurons;
use crate::sim::params::{PatternSet, Phase, PhaseName};
use crate::sim::pattern::Pattern;
use crate::sim::rng::StreamState;

/// First bytes of every snapshot file.
pub const MAGIC: [u8; 8] = *b"ENGRAMST";
/// Format version written. Older ones are read too: version 3 stored the postsynaptic traces as
/// values, with the LTD factors after them, version 2 also the presynaptic traces (no scale
/// steps in `TRAC`), version 1 also lacked STP's last-spike steps in `STPS`.
pub const VERSION: u32 = 4;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 32;
/// Longest name (of a pattern or stimulus) accepted [bytes].
const MAX_NAME: usize = 4096;

/// Saves the state of `net` to `path` atomically: a failed save keeps the previous file.
pub fn save(path: &Path, net: &Network) -> Result<()> {
    save_with(path, net, |w, bytes| w.write_all(bytes))
}

/// [`save`] with the last step — writing the encoded file to the temporary file — done by
/// `write` (used by tests to inject a failing writer into the real save path).
pub fn save_with(
    path: &Path,
    net: &Network,
    write: impl FnOnce(&mut dyn Write, &[u8]) -> io::Result<()>,
) -> Result<()> {
    let bytes = to_bytes(&net.state())?;
    atomic_write(path, |w| write(w, &bytes))
}

/// Loads a snapshot into a new network (on one compute thread).
pub fn load(path: &Path) -> Result<Network> {
    let file = path.display().to_string();
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut header = [0u8; HEADER_LEN];
    let got = read_up_to(&mut f, &mut header).map_err(|e| Error::io(path, e))?;
    let payload_len = check_header(&header[..got], size, &file)?;
    let mut bytes = header.to_vec();
    bytes.reserve_exact(payload_len);
    f.take(payload_len as u64).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    let state = from_bytes(&bytes, &file)?;
    Network::from_state(state).map_err(|e| Error::parse(&file, 0, format!("does not fit its parameters: {e}")))
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Checks magic, version and length; returns the payload length.
fn check_header(header: &[u8], file_size: u64, file: &str) -> Result<usize> {
    let err = |msg: String| Error::parse(file, 0, msg);
    if header.len() < MAGIC.len() || header[..8] != MAGIC {
        return Err(err("not an Engram snapshot (wrong magic bytes)".into()));
    }
    if header.len() < HEADER_LEN {
        return Err(err(format!("truncated: expected a {HEADER_LEN}-byte header, file has {} bytes", header.len())));
    }
    let u32_at = |k: usize| u32::from_le_bytes(header[k..k + 4].try_into().expect("4 bytes"));
    let u64_at = |k: usize| u64::from_le_bytes(header[k..k + 8].try_into().expect("8 bytes"));
    let version = u32_at(8);
    if !(1..=VERSION).contains(&version) {
        return Err(err(format!("snapshot format version {version}; this Engram reads versions 1 to {VERSION}")));
    }
    let payload = u64_at(16);
    let have = file_size.saturating_sub(HEADER_LEN as u64);
    if payload > have {
        return Err(err(format!(
            "truncated: expected {payload} bytes of payload at offset {HEADER_LEN}, file has {have}"
        )));
    }
    if payload < have {
        return Err(err(format!("{} unexpected bytes after the payload", have - payload)));
    }
    usize::try_from(payload).map_err(|_| err(format!("payload of {payload} bytes is too large")))
}

/// Encodes a state as a complete snapshot file.
pub fn to_bytes(s: &NetworkState) -> Result<Vec<u8>> {
    let mut e = Enc { buf: Vec::new() };
    e.section(b"PARM", |e| {
        let toml = preset::to_toml(&s.params)?;
        e.buf.extend_from_slice(toml.as_bytes());
        Ok(())
    })?;
    e.section(b"CLCK", |e| {
        e.u64(s.t);
        let (code, start) = match s.phase {
            None => (0, 0),
            Some((name, t0)) => (1 + PhaseName::ALL.iter().position(|&p| p == name).unwrap_or(0) as u8, t0),
        };
        e.u8(code);
        e.u64(start);
        e.u64(s.counts.e);
        e.u64(s.counts.i);
        e.u64(s.counts.input);
        e.f64(s.h_global);
        e.u64(s.structure_hash);
        Ok(())
    })?;
    e.section(b"NEUR", |e| {
        for n in [&s.e, &s.i] {
            for v in [&n.v, &n.g_ampa, &n.g_nmda, &n.g_gaba, &n.g_a1, &n.g_a2, &n.theta] {
                e.f32s(v);
            }
            e.u32s(&n.spikes);
        }
        Ok(())
    })?;
    e.section(b"SYNW", |e| {
        s.w.iter().chain(&s.w_tilde).for_each(|w| e.f32s(w));
        Ok(())
    })?;
    e.section(b"STPS", |e| {
        s.stp_e.iter().chain(&s.stp_in).for_each(|v| e.f32s(v));
        s.stp_t.iter().for_each(|t| e.u64s(t));
        Ok(())
    })?;
    e.section(b"DLAY", |e| {
        for d in &s.delay {
            e.u64(d.ids.len() as u64);
            for (ids, eff) in d.ids.iter().zip(&d.eff) {
                e.u32s(ids);
                e.f32s(eff);
            }
        }
        Ok(())
    })?;
    e.section(b"TRAC", |e| {
        s.x.iter().chain([&s.y, &s.z]).for_each(|v| e.f32s(v));
        e.f64s(&s.h);
        e.u64s(&s.x_base);
        e.u64(s.post_base);
        Ok(())
    })?;
    e.section(b"INPT", |e| {
        let inp = &s.input;
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
        Ok(())
    })?;
    let payload = e.buf;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(FNV_OFFSET, &payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decodes a complete snapshot file (header and payload). `file` names it in errors.
pub fn from_bytes(bytes: &[u8], file: &str) -> Result<NetworkState> {
    let payload_len = check_header(&bytes[..bytes.len().min(HEADER_LEN)], bytes.len() as u64, file)?;
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let payload = &bytes[HEADER_LEN..HEADER_LEN + payload_len];
    let stored = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
    let found = fnv1a(FNV_OFFSET, payload);
    if stored != found {
        return Err(Error::parse(
            file,
            0,
            format!("corrupted: payload checksum {found:016x}, header says {stored:016x}"),
        ));
    }
    let mut d = Dec { buf: bytes, pos: HEADER_LEN, end: bytes.len(), file };

    let params = d.section(b"PARM", |d| {
        let n = d.end - d.pos;
        let text = std::str::from_utf8(d.take(n, "parameters")?).map_err(|_| d.err("parameters: not UTF-8"))?;
        preset::parse_preset(text, &format!("{file} (embedded parameters)"))
    })?;
    let net = &params.network;
    let (ne, ni, nin) = (net.n_e, net.n_i, params.n_input());
    let slots = net.delay_steps + 1;

    let (t, phase, counts, h_global, structure_hash) = d.section(b"CLCK", |d| {
        let t = d.u64("t")?;
        let code = d.u8("phase")?;
        let start = d.u64("phase start")?;
        let phase = match code {
            0 => None,
            k if (k as usize) <= PhaseName::ALL.len() => Some((PhaseName::ALL[k as usize - 1], start)),
            k => return Err(d.err(&format!("phase code {k}: expected 0 to 3"))),
        };
        let counts = SpikeCounts { e: d.u64("counts.e")?, i: d.u64("counts.i")?, input: d.u64("counts.input")? };
        Ok((t, phase, counts, d.f64("h_global")?, d.u64("structure hash")?))
    })?;

    let (e, i) = d.section(b"NEUR", |d| Ok((neurons(d, "e", ne)?, neurons(d, "i", ni)?)))?;

    let (w, w_tilde) = d.section(b"SYNW", |d| {
        let sizes = [(ne, ne), (ne, ni), (ni, ni), (ni, ne), (nin, ne)];
        let mut w: [Vec<f32>; 5] = Default::default();
        for (k, (name, (a, b))) in crate::sim::network::PROJECTIONS.iter().zip(sizes).enumerate() {
            w[k] = d.f32s(&format!("{name}.w"), 0, a * b)?;
        }
        let wt_ee = d.f32s("ee.w_tilde", 0, ne * ne)?;
        let wt_in = d.f32s("input_e.w_tilde", 0, nin * ne)?;
        Ok((w, [wt_ee, wt_in]))
    })?;

    let (stp_e, stp_in, stp_t) = d.section(b"STPS", |d| {
        let stp_e = [d.f32s("stp_e.x", ne, ne)?, d.f32s("stp_e.u", ne, ne)?];
        let stp_in = [d.f32s("stp_in.x", nin, nin)?, d.f32s("stp_in.u", nin, nin)?];
        // Version 1 stored x and u relaxed to the end of the last step: as if each unit had
        // spiked at the current step.
        let stp_t = if version >= 2 {
            [d.u64s("stp_e.t", ne, ne)?, d.u64s("stp_in.t", nin, nin)?]
        } else {
            [vec![t; ne], vec![t; nin]]
        };
        Ok((stp_e, stp_in, stp_t))
    })?;

    let delay = d.section(b"DLAY", |d| {
        let mut lines = [("delay_e", ne), ("delay_i", ni), ("delay_in", nin)].into_iter().map(|(name, n)| {
            let count = d.u64(&format!("{name} slot count"))?;
            if count != slots as u64 {
                return Err(d.err(&format!("{name}: {count} slots, the parameters' delay needs {slots}")));
            }
            let (mut ids, mut eff) = (Vec::with_capacity(slots), Vec::with_capacity(slots));
            for k in 0..slots {
                let slot_ids = d.u32s(&format!("{name} slot {k} ids"), 0, n)?;
                eff.push(d.f32s(&format!("{name} slot {k} efficacies"), slot_ids.len(), n)?);
                ids.push(slot_ids);
            }
            Ok(DelayState { ids, eff })
        });
        Ok([lines.next().expect("3")?, lines.next().expect("3")?, lines.next().expect("3")?])
    })?;

    let (x, x_base, y, z, h, post_base) = d.section(b"TRAC", |d| {
        let x = [d.f32s("x_e", ne, ne)?, d.f32s("x_i", ni, ni)?, d.f32s("x_in", nin, nin)?];
        let y = d.f32s("y", ne, ne)?;
        let z = d.f32s("z", ne, ne)?;
        let h = d.f64s("h", ne, ne)?;
        if version < 4 {
            // The LTD factors, now computed from y and h where they are used.
            d.f32s("ltd", ne, ne)?;
        }
        // Traces stored as values count as scaled from the current step.
        let x_base =
            if version >= 3 { d.u64s("trace scale steps", 3, 3)?.try_into().expect("3 values") } else { [t; 3] };
        let post_base = if version >= 4 { d.u64("post trace scale step")? } else { t };
        Ok((x, x_base, y, z, h, post_base))
    })?;

    let input = d.section(b"INPT", |d| {
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
                Some(Stimulus {
                    name,
                    pattern,
                    pixels,
                    onset: d.u64("stimulus onset")?,
                    offset: d.u64("stimulus offset")?,
                })
            }
            k => return Err(d.err(&format!("stimulus flag {k}: expected 0 or 1"))),
        };
        let next_onset = d.u64("input next onset")?;
        Ok(InputState {
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
        })
    })?;
    if d.pos != bytes.len() {
        return Err(d.err("unexpected data after the last section"));
    }
    let state = NetworkState {
        params,
        t,
        phase,
        counts,
        h_global,
        structure_hash,
        e,
        i,
        w,
        w_tilde,
        stp_e,
        stp_in,
        stp_t,
        delay,
        x,
        x_base,
        y,
        z,
        h,
        post_base,
        input,
    };
    check_finite(&state).map_err(|msg| Error::parse(file, 0, msg))?;
    Ok(state)
}

/// Refuses a NaN or infinity anywhere in the evolving state: the checksum only proves the file
/// is what was written, and a network saved after going numerically wrong would fail again on
/// resume. The message names the section, the array and the index.
fn check_finite(s: &NetworkState) -> std::result::Result<(), String> {
    fn first_bad<T: Copy + Into<f64>>(section: &str, name: &str, v: &[T]) -> std::result::Result<(), String> {
        match v.iter().position(|&x| !x.into().is_finite()) {
            Some(k) => Err(format!("section {section}: {name}[{k}] is {}, expected a finite value", v[k].into())),
            None => Ok(()),
        }
    }
    first_bad("CLCK", "h_global", &[s.h_global])?;
    for (pop, n) in [("e", &s.e), ("i", &s.i)] {
        for (var, v) in n.variables() {
            first_bad("NEUR", &format!("{pop}.{var}"), v)?;
        }
    }
    for (name, w) in crate::sim::network::PROJECTIONS.iter().zip(&s.w) {
        first_bad("SYNW", &format!("{name}.w"), w)?;
    }
    first_bad("SYNW", "ee.w_tilde", &s.w_tilde[0])?;
    first_bad("SYNW", "input_e.w_tilde", &s.w_tilde[1])?;
    for (name, v) in [("stp_e.x", &s.stp_e[0]), ("stp_e.u", &s.stp_e[1]), ("stp_in.x", &s.stp_in[0])] {
        first_bad("STPS", name, v)?;
    }
    first_bad("STPS", "stp_in.u", &s.stp_in[1])?;
    for (name, d) in ["delay_e", "delay_i", "delay_in"].iter().zip(&s.delay) {
        for (k, eff) in d.eff.iter().enumerate() {
            first_bad("DLAY", &format!("{name} slot {k} efficacies"), eff)?;
        }
    }
    for (name, v) in [("x_e", &s.x[0]), ("x_i", &s.x[1]), ("x_in", &s.x[2]), ("y", &s.y), ("z", &s.z)] {
        first_bad("TRAC", name, v)?;
    }
    first_bad("TRAC", "h", &s.h)?;
    let inp = &s.input;
    first_bad("INPT", "input class p", &inp.class_p)?;
    first_bad("INPT", "input rates", &[inp.background_hz, inp.stimulus_hz])?;
    for p in &inp.patterns {
        first_bad("INPT", &format!("pattern `{}` values", p.name), &p.values)?;
    }
    Ok(())
}

/// The state of one population of `n` neurons.
fn neurons(d: &mut Dec<'_>, pop: &str, n: usize) -> Result<Neurons> {
    let mut var = |name: &str| d.f32s(&format!("{pop}.{name}"), n, n);
    let (v, g_ampa, g_nmda, g_gaba) = (var("v")?, var("g_ampa")?, var("g_nmda")?, var("g_gaba")?);
    let (g_a1, g_a2, theta) = (var("g_a1")?, var("g_a2")?, var("theta")?);
    let spikes = d.u32s(&format!("{pop}.spikes"), 0, n)?;
    Ok(Neurons { v, g_ampa, g_nmda, g_gaba, g_a1, g_a2, theta, spikes })
}

/// Little-endian encoder.
struct Enc {
    buf: Vec<u8>,
}

impl Enc {
    fn section(&mut self, tag: &[u8; 4], body: impl FnOnce(&mut Enc) -> Result<()>) -> Result<()> {
        self.buf.extend_from_slice(tag);
        let at = self.buf.len();
        self.u64(0);
        body(self)?;
        let len = (self.buf.len() - at - 8) as u64;
        self.buf[at..at + 8].copy_from_slice(&len.to_le_bytes());
        Ok(())
    }

    fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }

    fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    fn f64(&mut self, x: f64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    fn f32s(&mut self, v: &[f32]) {
        self.u64(v.len() as u64);
        self.buf.reserve(v.len() * 4);
        v.iter().for_each(|x| self.buf.extend_from_slice(&x.to_le_bytes()));
    }

    fn u64s(&mut self, v: &[u64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|x| self.buf.extend_from_slice(&x.to_le_bytes()));
    }

    fn f64s(&mut self, v: &[f64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|x| self.buf.extend_from_slice(&x.to_le_bytes()));
    }

    fn u32s(&mut self, v: &[u32]) {
        self.u64(v.len() as u64);
        self.buf.reserve(v.len() * 4);
        v.iter().for_each(|x| self.buf.extend_from_slice(&x.to_le_bytes()));
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn stream(&mut self, s: &StreamState) {
        self.buf.extend_from_slice(&s.key);
        self.u64(s.stream);
        self.buf.extend_from_slice(&s.word_pos.to_le_bytes());
    }
}

/// Little-endian decoder over a whole file; `pos` is the absolute offset, `end` the end of the
/// current section.
struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
    file: &'a str,
}

impl<'a> Dec<'a> {
    fn err(&self, msg: &str) -> Error {
        Error::parse(self.file, 0, format!("{msg} (at offset {})", self.pos))
    }

    fn section<T>(&mut self, tag: &[u8; 4], body: impl FnOnce(&mut Dec<'a>) -> Result<T>) -> Result<T> {
        let name = String::from_utf8_lossy(tag).into_owned();
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

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let left = self.end - self.pos;
        if n > left {
            return Err(self.err(&format!("truncated: expected {n} bytes of {what}, {left} left in the section")));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }

    fn f64(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }

    /// An element count: exactly `exact` if that is nonzero, at most `max`, and no more than
    /// the bytes left allow at `size` bytes each (so nothing is allocated from a bad count).
    fn count(&mut self, what: &str, exact: usize, max: usize, size: usize) -> Result<usize> {
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

    fn f32s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<f32>> {
        let n = self.count(what, exact, max, 4)?;
        let b = self.take(n * 4, what)?;
        Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }

    fn f64s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<f64>> {
        let n = self.count(what, exact, max, 8)?;
        let b = self.take(n * 8, what)?;
        Ok(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
    }

    fn u64s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<u64>> {
        let n = self.count(what, exact, max, 8)?;
        let b = self.take(n * 8, what)?;
        Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
    }

    fn u32s(&mut self, what: &str, exact: usize, max: usize) -> Result<Vec<u32>> {
        let n = self.count(what, exact, max, 4)?;
        let b = self.take(n * 4, what)?;
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }

    fn str(&mut self, what: &str) -> Result<String> {
        let n = self.count(what, 0, MAX_NAME, 1)?;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.err(&format!("{what}: not UTF-8")))
    }

    fn stream(&mut self, what: &str) -> Result<StreamState> {
        let key: [u8; 32] = self.take(32, what)?.try_into().expect("32 bytes");
        let stream = self.u64(what)?;
        let word_pos = u128::from_le_bytes(self.take(16, what)?.try_into().expect("16 bytes"));
        Ok(StreamState { key, stream, word_pos })
    }
}
