//! Presets: [`Params`] as TOML. The files in `presets/` are compiled in, so a preset can be named
//! from anywhere; any other TOML file can be given by path.

use std::path::Path;

use crate::error::{Error, Result};
use crate::sim::params::Params;

/// The built-in presets: (name, TOML text). The first is the default.
pub const BUILTIN: [(&str, &str); 10] = [
    ("default", include_str!("../../presets/default.toml")),
    ("paper", include_str!("../../presets/paper.toml")),
    ("figure3", include_str!("../../presets/figure3.toml")),
    ("unstable", include_str!("../../presets/unstable.toml")),
    ("no_hetero", include_str!("../../presets/no_hetero.toml")),
    ("no_transmitter", include_str!("../../presets/no_transmitter.toml")),
    ("no_consolidation", include_str!("../../presets/no_consolidation.toml")),
    ("no_inhibitory", include_str!("../../presets/no_inhibitory.toml")),
    ("small", include_str!("../../presets/small.toml")),
    ("quick_demo", include_str!("../../presets/quick_demo.toml")),
];

/// Largest preset file [`load_preset`] reads (the built-in ones are about 3 kB); a bigger or
/// endless file (`/dev/zero`) is refused instead of filling memory.
pub const MAX_PRESET_BYTES: u64 = 1 << 20;

/// Names of the built-in presets, default first.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// Parses and validates preset text. `file` names the source in error messages.
pub fn parse_preset(text: &str, file: &str) -> Result<Params> {
    let params: Params = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| 1 + text[..s.start.min(text.len())].matches('\n').count());
        // toml's message spans several lines with a source excerpt; keep its first line, cut
        // short: it quotes keys and values of the input, which can be arbitrarily long.
        let msg = e.message().lines().next().unwrap_or("invalid TOML");
        Error::parse(file, line, cut(msg, MAX_MESSAGE_CHARS))
    })?;
    params.validate().map_err(|e| match e {
        Error::Param { field, msg } => Error::parse(file, 0, format!("invalid parameter `{field}`: {msg}")),
        other => other,
    })?;
    Ok(params)
}

/// Longest TOML error message passed on, in characters.
const MAX_MESSAGE_CHARS: usize = 200;

/// `s` cut to `max` characters, with `…` if anything was cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((k, _)) => format!("{}…", &s[..k]),
        None => s.to_string(),
    }
}

/// A built-in preset by name, or a TOML file by path (anything containing a path separator or
/// ending in `.toml`, or naming an existing file).
pub fn load_preset(name_or_path: &str) -> Result<Params> {
    if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        return parse_preset(text, &format!("preset `{name_or_path}`"));
    }
    let path = Path::new(name_or_path);
    let toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if toml || name_or_path.contains(std::path::MAIN_SEPARATOR) || path.is_file() {
        let text = super::read_text(path, MAX_PRESET_BYTES)?;
        return parse_preset(&text, &path.display().to_string());
    }
    Err(Error::Invalid(format!(
        "unknown preset `{name_or_path}` (built-in presets: {}; or give a path to a .toml file)",
        builtin_names().join(", ")
    )))
}

/// The default preset (P2018, full size).
pub fn default_params() -> Params {
    // The built-in text is tested to parse and validate (tests/presets.rs), so this cannot fail
    // at run time.
    parse_preset(BUILTIN[0].1, "preset `default`").expect("built-in default preset is valid")
}

/// Writes parameters as preset TOML.
pub fn to_toml(params: &Params) -> Result<String> {
    toml::to_string(params).map_err(|e| Error::Invalid(format!("cannot serialise preset: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_validates() {
        for (name, text) in BUILTIN {
            let p = parse_preset(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.name, name);
        }
    }

    #[test]
    fn round_trip_through_toml() {
        let p = default_params();
        let text = to_toml(&p).unwrap();
        assert_eq!(parse_preset(&text, "x").unwrap(), p);
    }

    #[test]
    fn bad_value_names_field_and_file() {
        let text = BUILTIN[0].1.replace("beta = 0.05", "beta = -1.0");
        let e = parse_preset(&text, "my.toml").unwrap_err().to_string();
        assert!(e.starts_with("my.toml: invalid parameter `plasticity.beta`"), "{e}");
        let text = BUILTIN[0].1.replace("tau_d_s = 0.15", "tau_d_s = nan");
        let e = parse_preset(&text, "my.toml").unwrap_err().to_string();
        assert!(e.contains("`stp.tau_d_s`: must be a finite number"), "{e}");
    }

    #[test]
    fn oversized_network_is_refused_before_allocation() {
        let text = BUILTIN[0].1.replace("n_e = 4096", "n_e = 65536").replace("p_conn = 0.05", "p_conn = 0.5");
        let e = parse_preset(&text, "big.toml").unwrap_err().to_string();
        assert!(e.contains("`network.p_conn`") && e.contains("exceed the limit"), "{e}");
    }

    #[test]
    fn syntax_error_and_unknown_field_give_line() {
        let text = BUILTIN[0].1.replace("eta = 1e-3", "eta = = 1e-3");
        let line = 1 + BUILTIN[0].1[..BUILTIN[0].1.find("eta = 1e-3").unwrap()].matches('\n').count();
        let e = parse_preset(&text, "p.toml").unwrap_err().to_string();
        assert!(e.starts_with(&format!("p.toml:{line}:")), "{e}");
        let text = BUILTIN[0].1.replace("beta = 0.05", "beta = 0.05\nbetta = 1.0");
        let e = parse_preset(&text, "p.toml").unwrap_err().to_string();
        assert!(e.contains("betta"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn endless_preset_file_is_refused() {
        // read_to_string on /dev/zero never returned and filled memory.
        let e = load_preset("/dev/zero").unwrap_err().to_string();
        assert!(e.starts_with("/dev/zero: expected a file of at most 1048576 bytes"), "{e}");
    }

    #[test]
    fn error_quoting_a_huge_key_stays_short() {
        // Found by tests/fuzz_parsers.rs: an unknown 100 kB key was echoed whole in the message.
        let key = "x".repeat(100_000);
        let text = format!("{}\n[{key}]\n", BUILTIN[0].1);
        let e = parse_preset(&text, "p.toml").unwrap_err().to_string();
        assert!(e.starts_with("p.toml:") && e.contains("unknown field `xxx"), "{e}");
        assert!(e.chars().count() < 250, "{} chars", e.chars().count());
    }

    #[test]
    fn unknown_preset_lists_builtins() {
        let e = load_preset("nonesuch").unwrap_err().to_string();
        assert!(e.contains("unknown preset `nonesuch`") && e.contains("default, paper"), "{e}");
        let e = load_preset("/nonexistent/x.toml").unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/x.toml:"), "{e}");
    }
}
