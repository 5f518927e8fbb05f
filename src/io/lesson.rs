//! Lessons: a guided walk through the window in ordered steps, written as TOML (data, not
//! code: a teacher can write their own). The default lesson is `assets/lessons/default.toml`.
//!
//! ```toml
//! title = "How memories form"
//! [[step]]
//! title = "Background activity"
//! text = "Two to four sentences of plain text."
//! panel = "raster"                 # highlighted: raster, rates, weights, input, gallery,
//!                                  # parameters, toolbar, cue_log
//! action = "run"                   # the step's one button (see `Action`)
//! advance = "model_time >= 20"     # when the step is done (see `Condition`)
//! then = "pause"                   # "next" (default): move on; "pause": pause and wait
//! ```
//!
//! Every key is checked (unknown keys are errors), and an error names the file and line.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::sim::params::PhaseName;

/// Largest lesson file read [bytes].
pub const MAX_LESSON_BYTES: u64 = 256 * 1024;
/// Most steps in a lesson.
pub const MAX_STEPS: usize = 100;

/// A panel of the window a step points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Panel {
    Raster,
    Rates,
    Weights,
    Input,
    Gallery,
    Parameters,
    Toolbar,
    CueLog,
}

impl Panel {
    pub const ALL: [Panel; 8] = [
        Panel::Raster,
        Panel::Rates,
        Panel::Weights,
        Panel::Input,
        Panel::Gallery,
        Panel::Parameters,
        Panel::Toolbar,
        Panel::CueLog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Panel::Raster => "raster",
            Panel::Rates => "rates",
            Panel::Weights => "weights",
            Panel::Input => "input",
            Panel::Gallery => "gallery",
            Panel::Parameters => "parameters",
            Panel::Toolbar => "toolbar",
            Panel::CueLog => "cue_log",
        }
    }

    fn parse(s: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// A mechanism a step can switch off and on (the names of `--ablate`).
pub const MECHANISMS: [&str; 7] = ["plasticity", "stdp", "hetero", "transmitter", "consolidation", "inhibitory", "stp"];

/// What a step's button does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// No button.
    None,
    Run,
    Pause,
    /// Start a protocol phase (None: free running).
    Phase(Option<PhaseName>),
    /// Present the gallery pattern of this name (as a click on it would).
    Present(String),
    /// Load (or train) the trained network of the preset and seed in force.
    Trained,
    /// Switch a mechanism off ([`MECHANISMS`]).
    Ablate(String),
    /// Switch it on again.
    Restore(String),
}

impl Action {
    fn parse(s: &str) -> std::result::Result<Action, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let mechanism = |m: &str| {
            if MECHANISMS.contains(&m) {
                Ok(m.to_string())
            } else {
                Err(format!("unknown mechanism `{m}`: expected one of {}", MECHANISMS.join(", ")))
            }
        };
        match words.as_slice() {
            [] | ["none"] => Ok(Action::None),
            ["run"] => Ok(Action::Run),
            ["pause"] => Ok(Action::Pause),
            ["trained_network"] => Ok(Action::Trained),
            ["phase", "free"] => Ok(Action::Phase(None)),
            ["phase", p] => PhaseName::parse(p)
                .map(|p| Action::Phase(Some(p)))
                .ok_or_else(|| format!("unknown phase `{p}`: expected init, learn, recall or free")),
            ["present", name] => Ok(Action::Present((*name).to_string())),
            ["ablate", m] => mechanism(m).map(Action::Ablate),
            ["restore", m] => mechanism(m).map(Action::Restore),
            _ => Err(format!(
                "unknown action `{s}`: expected none, run, pause, trained_network, phase NAME, present PATTERN, \
                 ablate MECHANISM or restore MECHANISM"
            )),
        }
    }

    /// The button's label.
    pub fn label(&self) -> String {
        match self {
            Action::None => String::new(),
            Action::Run => "Run".into(),
            Action::Pause => "Pause".into(),
            Action::Phase(None) => "Free running".into(),
            Action::Phase(Some(p)) => format!("Start phase {}", p.as_str()),
            Action::Present(n) => format!("Present {n}"),
            Action::Trained => "Trained network".into(),
            Action::Ablate(m) => format!("Switch {m} off"),
            Action::Restore(m) => format!("Switch {m} on"),
        }
    }
}

/// A quantity a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Number of non-empty assemblies known.
    Assemblies,
    /// Model time [s].
    ModelTime,
    /// Model time since the step began [s].
    StepTime,
    /// E and I population rates of the last 100 ms bin [Hz].
    RateE,
    RateI,
}

impl Quantity {
    const NAMES: [(&'static str, Quantity); 5] = [
        ("assemblies", Quantity::Assemblies),
        ("model_time", Quantity::ModelTime),
        ("step_time", Quantity::StepTime),
        ("rate_e", Quantity::RateE),
        ("rate_i", Quantity::RateI),
    ];
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Cmp {
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Ge => a >= b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Lt => a < b,
        }
    }
}

/// When a step is done: one word, or `QUANTITY OP NUMBER`.
///
/// | condition | holds when |
/// |---|---|
/// | `manual` | never by itself: the Next button moves on |
/// | `recall` | a cue recalled an assembly since the step began |
/// | `cue` | a cue was scored since the step began (whatever it did) |
/// | `paused` / `running` | the simulation is paused / running |
/// | `assemblies >= 4` | that many non-empty assemblies are known |
/// | `model_time >= 60`, `step_time >= 10` | model time [s], since the start / since the step began |
/// | `rate_e > 30`, `rate_i < 10` | population rate of the last 100 ms bin [Hz] |
///
/// Operators: `>=`, `>`, `<=`, `<`.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Manual,
    Recall,
    Cue,
    Paused,
    Running,
    Compare(Quantity, Cmp, f64),
}

impl Condition {
    pub fn parse(s: &str) -> std::result::Result<Condition, String> {
        let s = s.trim();
        match s {
            "manual" => return Ok(Condition::Manual),
            "recall" => return Ok(Condition::Recall),
            "cue" => return Ok(Condition::Cue),
            "paused" => return Ok(Condition::Paused),
            "running" => return Ok(Condition::Running),
            _ => {}
        }
        let bad = || {
            format!(
                "unknown condition `{s}`: expected manual, recall, cue, paused, running, or QUANTITY OP NUMBER with \
                 QUANTITY one of assemblies, model_time, step_time, rate_e, rate_i and OP one of >=, >, <=, <"
            )
        };
        // Two-character operators first, so `>=` is not read as `>`.
        let (at, op, cmp) = [(">=", Cmp::Ge), ("<=", Cmp::Le), (">", Cmp::Gt), ("<", Cmp::Lt)]
            .into_iter()
            .find_map(|(op, cmp)| s.find(op).map(|at| (at, op, cmp)))
            .ok_or_else(bad)?;
        let (name, value) = (s[..at].trim(), s[at + op.len()..].trim());
        let q = Quantity::NAMES.iter().find(|(n, _)| *n == name).map(|(_, q)| *q).ok_or_else(bad)?;
        let v: f64 = value.parse().map_err(|_| format!("`{value}` in condition `{s}` is not a number"))?;
        if !v.is_finite() {
            return Err(format!("`{value}` in condition `{s}` is not a finite number"));
        }
        Ok(Condition::Compare(q, cmp, v))
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Manual => write!(f, "manual"),
            Condition::Recall => write!(f, "recall"),
            Condition::Cue => write!(f, "cue"),
            Condition::Paused => write!(f, "paused"),
            Condition::Running => write!(f, "running"),
            Condition::Compare(q, c, v) => {
                let name = Quantity::NAMES.iter().find(|(_, x)| x == q).map_or("?", |(n, _)| n);
                let op = match c {
                    Cmp::Ge => ">=",
                    Cmp::Gt => ">",
                    Cmp::Le => "<=",
                    Cmp::Lt => "<",
                };
                write!(f, "{name} {op} {v}")
            }
        }
    }
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    pub text: String,
    pub panel: Option<Panel>,
    pub action: Action,
    pub advance: Condition,
    /// When the condition holds: pause the simulation and wait for Next (true), or move on.
    pub pause: bool,
}

/// A lesson: a title and its steps, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub title: String,
    pub steps: Vec<Step>,
    /// Where it came from (a file path, or the built-in name), for messages.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    title: String,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    title: String,
    text: String,
    panel: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    advance: Spanned<String>,
    then: Option<Spanned<String>>,
}

/// The built-in lesson (`assets/lessons/default.toml`).
pub const DEFAULT_LESSON: &str = include_str!("../../assets/lessons/default.toml");

/// The built-in lesson, parsed.
pub fn default_lesson() -> Result<Lesson> {
    parse_lesson(DEFAULT_LESSON, "assets/lessons/default.toml")
}

/// Reads and checks a lesson file.
pub fn load_lesson(path: &Path) -> Result<Lesson> {
    let text = super::read_text(path, MAX_LESSON_BYTES)?;
    parse_lesson(&text, &path.display().to_string())
}

/// Parses and checks lesson text; `file` names the source in errors, with the line.
pub fn parse_lesson(text: &str, file: &str) -> Result<Lesson> {
    let line_of = |at: usize| 1 + text[..at.min(text.len())].matches('\n').count();
    let raw: RawLesson = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(s.start));
        Error::parse(file, line, e.message().lines().next().unwrap_or("invalid TOML"))
    })?;
    if raw.step.is_empty() {
        return Err(Error::parse(file, 0, "a lesson needs at least one [[step]]"));
    }
    if raw.step.len() > MAX_STEPS {
        return Err(Error::parse(
            file,
            line_of(raw.step[MAX_STEPS].span().start),
            format!("more than {MAX_STEPS} steps"),
        ));
    }
    let err = |sp: &Spanned<String>, msg: String| Error::parse(file, line_of(sp.span().start), msg);
    let mut steps = Vec::with_capacity(raw.step.len());
    for s in raw.step {
        let s = s.into_inner();
        let panel = match &s.panel {
            None => None,
            Some(p) => Some(Panel::parse(p.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = Panel::ALL.iter().map(|p| p.name()).collect();
                err(p, format!("unknown panel `{}`: expected one of {}", p.get_ref(), names.join(", ")))
            })?),
        };
        let action = match &s.action {
            None => Action::None,
            Some(a) => Action::parse(a.get_ref()).map_err(|m| err(a, m))?,
        };
        let advance = Condition::parse(s.advance.get_ref()).map_err(|m| err(&s.advance, m))?;
        let pause = match &s.then {
            None => false,
            Some(t) => match t.get_ref().as_str() {
                "next" => false,
                "pause" => true,
                other => return Err(err(t, format!("unknown `then = \"{other}\"`: expected next or pause"))),
            },
        };
        steps.push(Step { title: s.title, text: s.text, panel, action, advance, pause });
    }
    Ok(Lesson { title: raw.title, steps, source: file.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_lesson_parses() {
        let l = default_lesson().unwrap();
        assert!(l.steps.len() >= 5, "{}", l.steps.len());
        for s in &l.steps {
            // Sentences end in ". " (or the text's end): 2–4 of them per step, as promised.
            let sentences = s.text.trim().matches(". ").count() + 1;
            assert!((2..=4).contains(&sentences), "{}: {sentences} sentences", s.title);
        }
    }

    #[test]
    fn conditions_follow_the_grammar() {
        use Condition as C;
        assert_eq!(C::parse("assemblies >= 4"), Ok(C::Compare(Quantity::Assemblies, Cmp::Ge, 4.0)));
        assert_eq!(C::parse("rate_e>30"), Ok(C::Compare(Quantity::RateE, Cmp::Gt, 30.0)));
        assert_eq!(C::parse(" model_time <= 1.5 "), Ok(C::Compare(Quantity::ModelTime, Cmp::Le, 1.5)));
        assert_eq!(C::parse("recall"), Ok(C::Recall));
        assert_eq!(C::parse("paused"), Ok(C::Paused));
        for bad in ["", "rate_x > 3", "assemblies = 4", "rate_e > lots", "rate_e > inf", "soon"] {
            assert!(C::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(C::parse("step_time < 2").unwrap().to_string(), "step_time < 2");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let text = "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\nadvance = \"rate_e >> 3\"\n";
        let e = parse_lesson(text, "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml:5: "), "{e}");
        let text = "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\nadvance = \"cue\"\ncolour = 3\n";
        let e = parse_lesson(text, "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml:6: ") && e.contains("colour"), "{e}");
        let text = "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\npanel = \"plot\"\nadvance = \"cue\"\n";
        let e = parse_lesson(text, "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml:5: unknown panel `plot`"), "{e}");
        let text =
            "title = \"t\"\n[[step]]\ntitle = \"a\"\ntext = \"b\"\naction = \"ablate memory\"\nadvance = \"cue\"\n";
        let e = parse_lesson(text, "x.toml").unwrap_err().to_string();
        assert!(e.starts_with("x.toml:5: unknown mechanism `memory`"), "{e}");
        let e = parse_lesson("title = \"t\"\n", "x.toml").unwrap_err().to_string();
        assert!(e.contains("at least one [[step]]"), "{e}");
    }
}
