//! File formats: presets (TOML), `.pat` pattern files, MatrixMarket matrices, `.ras` rasters.

pub mod atomic;
pub mod mtx;
pub mod pat;
pub mod preset;
pub mod ras;
