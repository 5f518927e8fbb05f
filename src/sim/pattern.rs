//! Stimulus patterns and assembly lists: sets of unit indices with an optional value each.

/// A named set of units (input pixels for a stimulus, E neurons for an assembly).
///
/// Pixel index convention (docs/model.md §1, §8.3): pixel `i` sits at `x = i % 64`, `y = i / 64`, with
/// `y` pointing *up* (origin bottom-left) when displayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// Display name ("circle", "square3", "other1", "assembly 2").
    pub name: String,
    /// Unit indices, in file order (no duplicates).
    pub indices: Vec<u32>,
    /// One value per index: gamma for stimuli (ignored: stimuli are binary), rate [Hz] for
    /// assemblies. 1.0 when a file gives none.
    pub values: Vec<f32>,
}

impl Pattern {
    /// A binary pattern (all values 1.0).
    pub fn from_indices(name: impl Into<String>, indices: Vec<u32>) -> Self {
        let values = vec![1.0; indices.len()];
        Pattern { name: name.into(), indices, values }
    }

    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}
