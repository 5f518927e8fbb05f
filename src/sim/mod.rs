//! The model: neurons, synapses, plasticity, input and the step that ties them together.
//! Pure computation: no UI, no channels, no wall clock, no global RNG.

pub mod pattern;
pub mod shapes;

pub use pattern::Pattern;
