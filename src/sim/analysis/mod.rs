//! Memory read-outs: cued recall and delay activity (docs/model.md §14.3), the assembly weight
//! structure (the original's WeightPatternMonitor, §12) and assembly overlaps.
//!
//! Pure computations on spike trains, stimuli and weight snapshots; a
//! [`crate::sim::session::Session`] feeds them during a run, and the window can call
//! [`weight_structure`] on the snapshot it already holds.

mod recall;
mod selectivity;
mod structure;

pub use recall::{CueResponse, Outcome, RecallCriteria, RecallRecorder, RecallTally, shape_parent, tally};
pub use selectivity::{Responses, Selectivity, TimeCourse};
pub use structure::{BlockMean, WeightStructure, overlaps, weight_structure};
