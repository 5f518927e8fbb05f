//! File formats: presets (TOML), `.pat` pattern files, MatrixMarket matrices, `.ras` rasters,
//! network-state snapshots.

pub mod atomic;
pub mod mtx;
pub mod pat;
pub mod preset;
pub mod ras;
pub mod snapshot;
