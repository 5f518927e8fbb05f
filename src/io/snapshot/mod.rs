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
//! Each section is a 4-byte tag, its body length (u64) and the body. Version 5 has, in order:
//! `PARM` (the parameters as preset TOML), `CLCK` (step, phase, spike counts, connectivity
//! hash), `ARRS` (every evolving array of the network by name — neuron variables, weights, STP,
//! delay lines, traces, the global rate estimate — as listed once in the network's state list:
//! a count, then per array its name, a type code (0 f32, 1 f64, 2 u32, 3 u64) and its values),
//! `INPT` (input layer: last spikes, stimulus mask, rate classes, both random streams,
//! rates, schedule, patterns, active stimulus, next onset), and optionally `ASMB` (the
//! assemblies frozen at the end of the init phase: count, then per assembly its name, members
//! and rates), which a run or the window restores with the network. An array of values is its element
//! count (u64) followed by the elements. Versions 1 to 4 stored the arrays field by field in
//! sections `NEUR`, `SYNW`, `STPS`, `DLAY` and `TRAC` (see `legacy.rs`); they are still read.
//! The connectivity is not stored: it is rebuilt from the parameters' seed and checked against
//! the hash.
//!
//! Loading checks the magic, version, length and hash before decoding, bounds every count by
//! the bytes left before allocating, builds a new network and checks every array against it
//! (name, type, length, index range, finite values), so a bad file is an [`Error::Parse`]
//! naming the file and what was wrong, and changes nothing.

mod codec;
mod legacy;

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use codec::{Dec, Enc};

use super::atomic::atomic_write;
use super::preset;
use crate::error::{Error, Result};
use crate::sim::monitor::{FNV_OFFSET, fnv1a};
use crate::sim::network::{Array, Network, NetworkState, SpikeCounts};
use crate::sim::params::{Params, PhaseName};
use crate::sim::pattern::Pattern;

/// First bytes of every snapshot file.
pub const MAGIC: [u8; 8] = *b"ENGRAMST";
/// Format version written. Versions 1 to 4 are read too (see `legacy.rs`).
pub const VERSION: u32 = 5;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 32;

/// What a snapshot carries besides the network state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    /// The assemblies frozen at the end of the init phase, if it had ended (section `ASMB`).
    pub assemblies: Option<Vec<Pattern>>,
}

/// Saves the state of `net` to `path` atomically: a failed save keeps the previous file.
pub fn save(path: &Path, net: &Network) -> Result<()> {
    save_state(path, &net.state(), &Extras::default())
}

/// Saves an exported state (see [`Network::state`]) and its extras atomically, e.g. on a
/// thread other than the simulation's.
pub fn save_state(path: &Path, state: &NetworkState, extras: &Extras) -> Result<()> {
    save_with(path, state, extras, |w, bytes| w.write_all(bytes))
}

/// [`save_state`] with the last step — writing the encoded file to the temporary file — done
/// by `write` (used by tests to inject a failing writer into the real save path).
pub fn save_with(
    path: &Path,
    state: &NetworkState,
    extras: &Extras,
    write: impl FnOnce(&mut dyn Write, &[u8]) -> io::Result<()>,
) -> Result<()> {
    let bytes = to_bytes(state, extras)?;
    atomic_write(path, |w| write(w, &bytes))
}

/// Loads a snapshot into a new network (on one compute thread).
pub fn load(path: &Path) -> Result<Network> {
    load_with_extras(path).map(|(net, _)| net)
}

/// Loads a snapshot into a new network (on one compute thread), with its extras.
pub fn load_with_extras(path: &Path) -> Result<(Network, Extras)> {
    let file = path.display().to_string();
    let (state, extras) = read_state(path)?;
    let n_e = state.params.network.n_e;
    if let Some(a) = extras.assemblies.iter().flatten().find(|a| a.indices.iter().any(|&i| i as usize >= n_e)) {
        return Err(Error::parse(&file, 0, format!("assembly `{}` names a neuron beyond the {n_e} E neurons", a.name)));
    }
    let net = Network::from_state(state).map_err(|e| Error::parse(&file, 0, e.to_string()))?;
    Ok((net, extras))
}

/// Reads and decodes a snapshot file without building the network.
pub fn read_state(path: &Path) -> Result<(NetworkState, Extras)> {
    let file = path.display().to_string();
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let size = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut header = [0u8; HEADER_LEN];
    let got = read_up_to(&mut f, &mut header).map_err(|e| Error::io(path, e))?;
    let payload_len = check_header(&header[..got], size, &file)?;
    let mut bytes = header.to_vec();
    bytes.reserve_exact(payload_len);
    f.take(payload_len as u64).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    from_bytes(&bytes, &file)
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

/// Type codes of the arrays in `ARRS`.
const F32: u8 = 0;
const F64: u8 = 1;
const U32: u8 = 2;
const U64: u8 = 3;

/// Encodes a state and its extras as a complete snapshot file of the current version.
pub fn to_bytes(s: &NetworkState, extras: &Extras) -> Result<Vec<u8>> {
    let mut e = Enc { buf: Vec::new() };
    e.section(*b"PARM", |e| {
        let toml = preset::to_toml(&s.params)?;
        e.buf.extend_from_slice(toml.as_bytes());
        Ok(())
    })?;
    e.section(*b"CLCK", |e| {
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
        e.u64(s.structure_hash);
        Ok(())
    })?;
    e.section(*b"ARRS", |e| {
        e.u64(s.arrays.len() as u64);
        for (name, a) in &s.arrays {
            e.str(name);
            match a {
                Array::F32(v) => {
                    e.u8(F32);
                    e.f32s(v);
                }
                Array::F64(v) => {
                    e.u8(F64);
                    e.f64s(v);
                }
                Array::U32(v) => {
                    e.u8(U32);
                    e.u32s(v);
                }
                Array::U64(v) => {
                    e.u8(U64);
                    e.u64s(v);
                }
            }
        }
        Ok(())
    })?;
    e.section(*b"INPT", |e| {
        codec::encode_input(e, &s.input);
        Ok(())
    })?;
    if let Some(asm) = &extras.assemblies {
        e.section(*b"ASMB", |e| {
            e.u64(asm.len() as u64);
            for p in asm {
                e.str(&p.name);
                e.u32s(&p.indices);
                e.f32s(&p.values);
            }
            Ok(())
        })?;
    }
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

/// Decodes a complete snapshot file (header and payload) of any readable version. `file`
/// names it in errors.
pub fn from_bytes(bytes: &[u8], file: &str) -> Result<(NetworkState, Extras)> {
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
    let params = d.section(*b"PARM", |d| {
        let n = d.end - d.pos;
        let text = std::str::from_utf8(d.take(n, "parameters")?).map_err(|_| d.err("parameters: not UTF-8"))?;
        preset::parse_preset(text, &format!("{file} (embedded parameters)"))
    })?;
    let n_e = params.network.n_e;
    let state = if version >= 5 { decode_v5(&mut d, params)? } else { legacy::decode(&mut d, params, version)? };
    let mut extras = Extras::default();
    if version >= 5 && d.pos != bytes.len() {
        extras.assemblies = Some(d.section(*b"ASMB", |d| {
            // An assembly takes at least 24 bytes (three counts).
            let n = d.count("assemblies", 0, usize::MAX, 24)?;
            let mut asm = Vec::with_capacity(n);
            for k in 0..n {
                let name = d.str(&format!("assembly {k} name"))?;
                let indices = d.u32s(&format!("assembly `{name}` members"), 0, n_e)?;
                let values = d.f32s(&format!("assembly `{name}` rates"), indices.len(), n_e)?;
                asm.push(Pattern { name, indices, values });
            }
            Ok(asm)
        })?);
    }
    if d.pos != bytes.len() {
        return Err(d.err("unexpected data after the last section"));
    }
    Ok((state, extras))
}

/// The clock fields of `CLCK`: step, phase, counts (and, before version 5, the global rate
/// estimate H, which version 5 keeps with the arrays).
struct Clock {
    t: u64,
    phase: Option<(PhaseName, u64)>,
    counts: SpikeCounts,
    h_global: Option<f64>,
    structure_hash: u64,
}

fn decode_clock(d: &mut Dec<'_>, with_h: bool) -> Result<Clock> {
    d.section(*b"CLCK", |d| {
        let t = d.u64("t")?;
        let code = d.u8("phase")?;
        let start = d.u64("phase start")?;
        let phase = match code {
            0 => None,
            k if (k as usize) <= PhaseName::ALL.len() => Some((PhaseName::ALL[k as usize - 1], start)),
            k => return Err(d.err(&format!("phase code {k}: expected 0 to 3"))),
        };
        let counts = SpikeCounts { e: d.u64("counts.e")?, i: d.u64("counts.i")?, input: d.u64("counts.input")? };
        let h_global = if with_h { Some(d.f64("h_global")?) } else { None };
        Ok(Clock { t, phase, counts, h_global, structure_hash: d.u64("structure hash")? })
    })
}

fn decode_v5(d: &mut Dec<'_>, params: Params) -> Result<NetworkState> {
    let clock = decode_clock(d, false)?;
    // A named array takes at least 17 bytes (name length, type, value count).
    let arrays = d.section(*b"ARRS", |d| {
        let n = d.count("arrays", 0, usize::MAX, 17)?;
        let mut arrays = Vec::with_capacity(n);
        for k in 0..n {
            let name = d.str(&format!("array {k} name"))?;
            let a = match d.u8(&format!("array {name} type"))? {
                F32 => Array::F32(d.f32s(&name, 0, usize::MAX)?),
                F64 => Array::F64(d.f64s(&name, 0, usize::MAX)?),
                U32 => Array::U32(d.u32s(&name, 0, usize::MAX)?),
                U64 => Array::U64(d.u64s(&name, 0, usize::MAX)?),
                c => return Err(d.err(&format!("array {name}: type code {c}, expected 0 to 3"))),
            };
            arrays.push((name, a));
        }
        Ok(arrays)
    })?;
    let nin = params.n_input();
    let input = d.section(*b"INPT", |d| codec::decode_input(d, nin))?;
    Ok(NetworkState {
        params,
        t: clock.t,
        phase: clock.phase,
        counts: clock.counts,
        structure_hash: clock.structure_hash,
        arrays,
        input,
    })
}
