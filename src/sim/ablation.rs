//! Ablations (the paper's controls, docs/model.md §14.1): switching single plasticity mechanisms
//! off by name, through the existing [`Mechanisms`] flags (the network's derived constants
//! read them: heterosynaptic off sets β to 0, transmitter off sets δ to 0, and so on).

use crate::error::{Error, Result};

use super::params::Mechanisms;

/// The names `--ablate` accepts, with what each switches off. The first four are the paper's
/// controls; `stdp`, `stp` and `plasticity` (everything) are there for completeness.
pub const ABLATIONS: [(&str, &str); 7] = [
    ("hetero", "heterosynaptic plasticity (beta = 0)"),
    ("transmitter", "transmitter-induced plasticity (delta = 0)"),
    ("consolidation", "consolidation of the reference weight w~"),
    ("inhibitory", "inhibitory plasticity on I->E"),
    ("stdp", "triplet LTP and pair LTD"),
    ("stp", "short-term plasticity (every spike at efficacy 1)"),
    ("plasticity", "all long-term plasticity and consolidation"),
];

/// Switches off the mechanism `name` (one of [`ABLATIONS`]; `heterosynaptic` is accepted for
/// `hetero`).
pub fn ablate(m: &mut Mechanisms, name: &str) -> Result<()> {
    set_mechanism(m, name, false)
}

/// Switches the mechanism `name` (as for [`ablate`]) on or off.
pub fn set_mechanism(m: &mut Mechanisms, name: &str, on: bool) -> Result<()> {
    let flag = match name.trim() {
        "hetero" | "heterosynaptic" => &mut m.heterosynaptic,
        "transmitter" => &mut m.transmitter,
        "consolidation" => &mut m.consolidation,
        "inhibitory" => &mut m.inhibitory,
        "stdp" => &mut m.stdp,
        "stp" => &mut m.stp,
        "plasticity" => &mut m.plasticity,
        other => {
            let names: Vec<&str> = ABLATIONS.iter().map(|(n, _)| *n).collect();
            return Err(Error::Invalid(format!(
                "--ablate {other}: unknown mechanism (expected a comma-separated list of {})",
                names.join(", ")
            )));
        }
    };
    *flag = on;
    Ok(())
}

/// Applies a comma-separated list of ablations (empty entries are ignored).
pub fn ablate_list(m: &mut Mechanisms, list: &str) -> Result<()> {
    list.split(',').filter(|s| !s.trim().is_empty()).try_for_each(|name| ablate(m, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_on() -> Mechanisms {
        Mechanisms {
            plasticity: true,
            stdp: true,
            heterosynaptic: true,
            transmitter: true,
            consolidation: true,
            inhibitory: true,
            stp: true,
        }
    }

    #[test]
    fn each_name_switches_exactly_its_flag() {
        let mut m = all_on();
        ablate_list(&mut m, "hetero, consolidation").unwrap();
        assert_eq!(m, Mechanisms { heterosynaptic: false, consolidation: false, ..all_on() });
        let mut m = all_on();
        ablate_list(&mut m, "transmitter,inhibitory,").unwrap();
        assert_eq!(m, Mechanisms { transmitter: false, inhibitory: false, ..all_on() });
        for (name, _) in ABLATIONS {
            let mut m = all_on();
            ablate(&mut m, name).unwrap();
            assert_ne!(m, all_on(), "{name}");
        }
    }

    #[test]
    fn unknown_name_is_an_error_listing_the_names() {
        let mut m = all_on();
        let e = ablate_list(&mut m, "hetero,dopamine").unwrap_err().to_string();
        assert!(e.contains("--ablate dopamine: unknown mechanism") && e.contains("hetero, transmitter"), "{e}");
    }
}
