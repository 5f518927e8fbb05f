//! Engram: the orchestrated-plasticity network of Zenke, Agnes & Gerstner (2015), as a library.
//!
//! Layers (see README): [`sim`] is the pure model (no threads, no clocks, no UI); [`io`] reads
//! and writes file formats; [`cli`] is the headless front end. Errors are [`Error`].

pub mod app;
pub mod assets;
pub mod bridge;
pub mod cli;
pub mod error;
pub mod hugepages;
pub mod io;
pub mod sim;

pub use error::{Error, Result};
