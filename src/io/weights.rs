//! Weight matrices of the plastic projections as MatrixMarket files: export (w, and w̃ in the
//! companion file) and import of w into a running network.
//!
//! Import policy: the matrix must be `pre × post` of the projection and hold exactly the
//! network's sparsity pattern, one entry per existing synapse, each a finite weight in
//! [0, w_max]. The connectivity is frozen after build (it comes from the seed), so a matrix
//! from a network with another seed or size is refused rather than silently half-applied.
//! Errors name the file and line (and the offending `(row, col)`, 1-based as in the file); on
//! any error the network is unchanged.

use std::path::Path;

use super::mtx;
use crate::sim::Network;
use crate::sim::ProjectionId;
use crate::sim::connectivity::Projection;
use crate::{Error, Result};

/// Writes w of `net`'s projection `which` to `path` and w̃ to its companion path
/// ([`mtx::companion_path`]), each atomically. Row = presynaptic, column = postsynaptic, 1-based.
pub fn save_weights(path: &Path, net: &Network, which: ProjectionId) -> Result<()> {
    save_projection(path, net.projection(which), which, net.time_s())
}

/// [`save_weights`] of a projection (e.g. a copy taken off the simulation thread) at model
/// time `t_s`.
pub fn save_projection(path: &Path, p: &Projection, which: ProjectionId, t_s: f64) -> Result<()> {
    let label = which.label();
    mtx::save_mtx(path, p.n_pre, p.n_post, p.triplets(&p.w), &format!("{label} w at t = {t_s} s"))?;
    if which.consolidates() {
        mtx::save_mtx(
            &mtx::companion_path(path),
            p.n_pre,
            p.n_post,
            p.triplets(&p.w_tilde_by_synapse()),
            &format!("{label} consolidated w at t = {t_s} s"),
        )?;
    }
    Ok(())
}

/// Reads w of `which` from a MatrixMarket file into `net` (see the module doc for what is
/// accepted). w̃ and every other state variable are kept.
pub fn import_weights(net: &mut Network, which: ProjectionId, path: &Path) -> Result<()> {
    let w = read_weights(net.projection(which), which, net.w_max(), path)?;
    net.set_weights(which, w).map_err(|e| Error::parse(path.display(), 0, e.to_string()))
}

/// The weights w of projection `p` (`which`) read from a MatrixMarket file, one per synapse in
/// synapse order (see the module doc for what is accepted; `w_max` bounds the values).
pub fn read_weights(p: &Projection, which: ProjectionId, w_max: f32, path: &Path) -> Result<Vec<f32>> {
    let (label, n) = (which.label(), p.len());
    let mut w = p.w.clone();
    let mut seen = vec![false; n];
    mtx::visit_mtx(
        path,
        p.n_pre,
        p.n_post,
        |nnz| {
            if nnz == n as u64 {
                Ok(())
            } else {
                Err(format!("expected {n} entries (the synapses of this network's {label} projection), found {nnz}"))
            }
        },
        |i, j, v| {
            let (row, col) = (u64::from(i) + 1, u64::from(j) + 1);
            let Some(s) = p.synapse_index(i as usize, j as usize) else {
                return Err(format!(
                    "entry ({row}, {col}) is not a synapse of this network's {label} projection (the matrix must \
                     have exactly its sparsity pattern: same size and seed)"
                ));
            };
            if std::mem::replace(&mut seen[s], true) {
                return Err(format!("duplicate entry ({row}, {col})"));
            }
            if v > w_max {
                return Err(format!("weight {v} of entry ({row}, {col}) exceeds w_max = {w_max}"));
            }
            w[s] = v;
            Ok(())
        },
    )?;
    // nnz entries, all distinct synapses, nnz = synapse count: every synapse was set.
    Ok(w)
}
