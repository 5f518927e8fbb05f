//! The model: neurons, synapses, plasticity, input and the step that ties them together.
//! Pure computation: no UI, no channels, no wall clock, no global RNG.

pub mod ablation;
pub mod analysis;
pub mod connectivity;
pub mod decay;
pub mod input;
pub mod monitor;
pub mod network;
pub mod neuron;
pub mod params;
pub mod pattern;
pub mod plasticity;
pub mod pool;
pub mod probe;
pub mod rng;
pub mod session;
pub mod shapes;
mod simd;
pub mod traces;
pub mod views;

pub use connectivity::{Population, ProjectionId};
pub use network::Network;
pub use params::Params;
pub use pattern::Pattern;
