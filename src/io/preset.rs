//! Presets: [`Params`] as TOML. The files in `presets/` are compiled in, so a preset can be named
//! from anywhere; any other TOML file can be given by path.

use std::path::Path;

use crate::error::{Error, Result};
use crate::sim::params::Params;

/// The built-in presets: (name, TOML text). The first is the default.
pub const BUILTIN: [(&str, &str); 12] = [
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
    ("long_learning", include_str!("../../presets/long_learning.toml")),
    ("slow_consolidation", include_str!("../../presets/slow_consolidation.toml")),
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

/// Sets the dotted `field` of a preset document to `value`; the field must exist and be a
/// value, not a section.
fn set_field(doc: &mut toml::Table, field: &str, value: toml::Value) -> std::result::Result<(), String> {
    let parts: Vec<&str> = field.split('.').collect();
    let Some((last, sections)) = parts.split_last() else { return Err("empty field name".into()) };
    let mut table = doc;
    for (k, s) in sections.iter().enumerate() {
        table = match table.get_mut(*s) {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(format!("`{field}` is not a preset field (`{}` is a value)", parts[..=k].join("."))),
            None => return Err(format!("`{field}` is not a preset field")),
        };
    }
    match table.get_mut(*last) {
        Some(toml::Value::Table(_)) => Err(format!("`{field}` is a section, not a field: set one of its fields")),
        Some(slot) => {
            *slot = value;
            Ok(())
        }
        None => Err(format!("`{field}` is not a preset field")),
    }
}

/// `params` with each dotted field set to its value (as in a preset file), the type checked as
/// each is applied; on error, the index of the override at fault and why. Not validated: the
/// caller validates and reports a bad value its own way.
pub fn with_overrides(
    params: &Params,
    overrides: &[(&str, toml::Value)],
) -> std::result::Result<Params, (usize, String)> {
    let mut doc = toml::Table::try_from(params).map_err(|e| (0, format!("cannot serialise preset: {e}")))?;
    for (k, (field, value)) in overrides.iter().enumerate() {
        set_field(&mut doc, field, value.clone()).map_err(|m| (k, m))?;
        doc.clone().try_into::<Params>().map_err(|e| {
            let msg = e.message().lines().next().unwrap_or("wrong type").to_string();
            (k, format!("`{field}` = {value}: {msg}"))
        })?;
    }
    doc.try_into().map_err(|e: toml::de::Error| (overrides.len().saturating_sub(1), e.message().to_string()))
}

/// One `FIELD=VALUE` of `engram run --set`: VALUE as a TOML value, or as a string when it is
/// not one (`protocol.recall.patterns=shapes`).
pub fn parse_assignment(text: &str) -> Result<(String, toml::Value)> {
    let Some((field, value)) = text.split_once('=') else {
        return Err(Error::Invalid(format!("--set {text}: expected FIELD=VALUE")));
    };
    let field = field.trim();
    let value = value.trim();
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}")).ok().and_then(|mut t| t.remove("v"));
    Ok((field.to_string(), parsed.unwrap_or_else(|| toml::Value::String(value.to_string()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_set_fields_and_name_the_one_at_fault() {
        let base = default_params();
        let set = [
            parse_assignment("plasticity.beta=0.04").unwrap(),
            parse_assignment("protocol.recall.patterns = shapes").unwrap(),
            parse_assignment("emulation.homeostat_f32=true").unwrap(),
        ];
        let list: Vec<(&str, toml::Value)> = set.iter().map(|(f, v)| (f.as_str(), v.clone())).collect();
        let p = with_overrides(&base, &list).unwrap();
        assert_eq!(p.plasticity.beta, 0.04);
        assert_eq!(p.protocol.recall.patterns, crate::sim::params::PatternSet::Shapes);
        assert!(p.emulation.homeostat_f32);
        let mut expected = base.clone();
        expected.plasticity.beta = 0.04;
        expected.protocol.recall.patterns = crate::sim::params::PatternSet::Shapes;
        expected.emulation.homeostat_f32 = true;
        assert_eq!(p, expected, "nothing else changes");

        let bad = [("plasticity.beta", toml::Value::Float(0.1)), ("plasticity", toml::Value::Float(1.0))];
        let (k, msg) = with_overrides(&base, &bad).unwrap_err();
        assert_eq!(k, 1);
        assert!(msg.contains("section"), "{msg}");
        let (k, msg) = with_overrides(&base, &[("protocol.recall.patterns", toml::Value::Integer(3))]).unwrap_err();
        assert_eq!(k, 0);
        assert!(msg.contains("protocol.recall.patterns"), "{msg}");
        assert!(parse_assignment("no equals sign").is_err());
    }

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
