//! The cache of trained networks: one snapshot per preset content, seed and snapshot format,
//! taken at the end of phase 1 with its frozen assemblies, in the platform's data directory
//! (`ENGRAM_CACHE_DIR` overrides it). The window's **Trained network** and `engram train` both
//! go through here.
//!
//! An entry is trusted only after it loads completely (magic, version, checksum, every array
//! checked: [`snapshot::load_with_extras`]) and holds what its name promises: the same
//! parameters, the end of phase 1 and the assemblies. Anything else is reported as stale and
//! rebuilt.

use std::path::{Path, PathBuf};

use super::{preset, snapshot};
use crate::error::{Error, Result};
use crate::sim::Network;
use crate::sim::monitor::{FNV_OFFSET, fnv1a};
use crate::sim::params::{Params, PhaseName};

/// Environment variable naming the cache directory instead of the platform's.
pub const CACHE_DIR_ENV: &str = "ENGRAM_CACHE_DIR";

/// The cache directory: `$ENGRAM_CACHE_DIR` if set, else `trained/` in the platform's data
/// directory for Engram (e.g. `~/.local/share/engram/trained` on Linux).
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "engram")
        .map(|d| d.data_dir().join("trained"))
        .ok_or_else(|| Error::Invalid(format!("no home directory to cache trained networks in: set {CACHE_DIR_ENV}")))
}

/// The cache key of `params`: FNV-1a of its preset TOML (every field, seed included), the seed
/// again and the snapshot format version, so that any change of either gives a new entry.
pub fn key(params: &Params) -> Result<u64> {
    let text = preset::to_toml(params)?;
    let h = fnv1a(FNV_OFFSET, text.as_bytes());
    let h = fnv1a(h, &params.seed.to_le_bytes());
    Ok(fnv1a(h, &snapshot::VERSION.to_le_bytes()))
}

/// Where the entry of `params` lives in `dir`: `<preset>-s<seed>-<key>.engram` (the name only
/// for people; the key decides).
pub fn entry_path(dir: &Path, params: &Params) -> Result<PathBuf> {
    let name: String =
        params.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    Ok(dir.join(format!("{name}-s{}-{:016x}.engram", params.seed, key(params)?)))
}

/// What the cache holds for a preset and seed.
pub enum Lookup {
    /// A valid entry: the trained network and its assemblies.
    Hit { path: PathBuf, net: Box<Network>, extras: snapshot::Extras },
    /// No entry yet.
    Miss { path: PathBuf },
    /// An entry that cannot be trusted (why), to be rebuilt.
    Stale { path: PathBuf, why: String },
}

/// Looks up the entry of `params` in `dir`, loading and checking it completely.
pub fn lookup(dir: &Path, params: &Params) -> Result<Lookup> {
    let path = entry_path(dir, params)?;
    if !path.exists() {
        return Ok(Lookup::Miss { path });
    }
    let (net, extras) = match snapshot::load_with_extras(&path) {
        Ok(x) => x,
        Err(e) => return Ok(Lookup::Stale { path, why: e.to_string() }),
    };
    let why = if preset::to_toml(net.params())? != preset::to_toml(params)? {
        Some("its parameters differ from the preset's".to_string())
    } else if net.phase().map(|(name, _)| name) != Some(PhaseName::Init) {
        Some("it is not at the end of phase 1".into())
    } else if extras.assemblies.as_ref().is_none_or(Vec::is_empty) {
        Some("it carries no assemblies".into())
    } else {
        None
    };
    Ok(match why {
        Some(why) => Lookup::Stale { why: format!("{}: {why}", path.display()), path },
        None => Lookup::Hit { path, net: Box::new(net), extras },
    })
}

/// Writes a trained network into the cache (atomically; the directory is created).
pub fn store(path: &Path, net: &Network, extras: &snapshot::Extras) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    snapshot::save_state(path, &net.state(), extras)
}

/// How [`train_cached`] got its network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Loaded from a valid cache entry.
    Cached,
    /// Trained now; the entry was missing.
    Trained,
    /// Trained now because the entry could not be trusted (why).
    Rebuilt(String),
}

/// The cached trained network of `params` in `dir`: loaded if a valid entry exists, else phase
/// 1 is run ([`crate::sim::session::train_init`] on `threads`, calling `progress`) and stored.
/// Returns the entry's path and how it was obtained, or `None` if `progress` stopped training.
pub fn train_cached(
    dir: &Path,
    params: &Params,
    threads: usize,
    progress: impl FnMut(f64, f64) -> bool,
) -> Result<Option<(PathBuf, Source)>> {
    let (path, source) = match lookup(dir, params)? {
        Lookup::Hit { path, .. } => return Ok(Some((path, Source::Cached))),
        Lookup::Miss { path } => (path, Source::Trained),
        Lookup::Stale { path, why } => (path, Source::Rebuilt(why)),
    };
    let Some(session) = crate::sim::session::train_init(params.clone(), threads, progress)? else {
        return Ok(None);
    };
    let extras = snapshot::Extras { assemblies: session.frozen_assemblies().map(|a| a.to_vec()) };
    if extras.assemblies.as_ref().is_none_or(Vec::is_empty) {
        return Err(Error::Invalid(format!(
            "phase 1 of preset `{}` ended without assemblies (every shape must be shown at least once)",
            params.name
        )));
    }
    store(&path, session.net(), &extras)?;
    Ok(Some((path, source)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_changes_with_content_and_seed() {
        let p = preset::default_params();
        let mut q = p.clone();
        q.seed += 1;
        let mut r = p.clone();
        r.plasticity.eta *= 2.0;
        let (kp, kq, kr) = (key(&p).unwrap(), key(&q).unwrap(), key(&r).unwrap());
        assert_ne!(kp, kq);
        assert_ne!(kp, kr);
        assert_eq!(kp, key(&p.clone()).unwrap());
        let path = entry_path(Path::new("/c"), &p).unwrap();
        assert_eq!(path, PathBuf::from(format!("/c/default-s1-{kp:016x}.engram")));
    }
}
