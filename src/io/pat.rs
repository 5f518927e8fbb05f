//! Auryn `.pat` pattern files (docs/model.md §9): stimulus patterns and assembly lists.
//!
//! One entry per line, `index [value]` (0-based unit index, optional value, default 1.0); lines
//! starting with `#` are comments; a blank line ends a pattern (several are fine).
//!
//! Deviations from Auryn, all on the lenient-but-safe side: a last pattern without a trailing
//! blank line is *kept* (Auryn silently drops it); whitespace-only lines count as blank; tabs,
//! runs of spaces, CRLF line ends and a UTF-8 BOM are accepted. Stricter than Auryn: a bad
//! index, a non-finite value, an extra column or an index repeated within a pattern is an error
//! naming `file:line` instead of being skipped or misread. (The publication's `shapes.pat`,
//! `shapes_cues.pat` and `rf1.pat` have no repeated indices.)

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::sim::Pattern;
use crate::{Error, Result};

/// Parses the text of a `.pat` file whose indices must be below `n_units`.
///
/// `file` names the source in errors. Pattern names come from the last `#` comment between the
/// previous pattern and the pattern's first entry: `# name: X` (what [`format_pat`] writes) gives
/// `X`; Auryn's `# Pattern loaded from file  ../artwork//circle.jpg` gives the file stem
/// (`circle`); anything else gives `pattern{k}` with `k` the 1-based pattern number.
pub fn parse_pat(text: &str, file: &str, n_units: usize) -> Result<Vec<Pattern>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut patterns = Vec::new();
    let mut current = Current::default();
    // The last comment seen since the previous pattern's first entry was consumed.
    let mut comment: Option<&str> = None;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            current.finish(&mut patterns);
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            // Comments inside a pattern say nothing about its name (nor the next one's).
            if current.indices.is_empty() {
                comment = Some(c);
            }
            continue;
        }
        let (index, value) = parse_entry(line, file, line_no, n_units)?;
        if current.indices.is_empty() {
            current.name = comment.take().and_then(name_from_comment);
        }
        if let Some(first) = current.first_line.insert(index, line_no) {
            return Err(Error::parse(
                file,
                line_no,
                format!("duplicate index {index} in pattern {} (first on line {first})", patterns.len() + 1),
            ));
        }
        current.indices.push(index);
        current.values.push(value);
    }
    current.finish(&mut patterns);
    Ok(patterns)
}

/// Largest `.pat` file [`read_pat`] reads: 64 patterns over 65 536 units with values, with room
/// to spare. A bigger (or endless) file is refused instead of filling memory.
pub const MAX_PAT_BYTES: u64 = 64 << 20;

/// Reads a `.pat` file of at most [`MAX_PAT_BYTES`]; errors name the file as `path.display()`.
pub fn read_pat(path: &Path, n_units: usize) -> Result<Vec<Pattern>> {
    let text = super::read_text(path, MAX_PAT_BYTES)?;
    parse_pat(&text, &path.display().to_string(), n_units)
}

/// Formats patterns as a `.pat` file: `# name: X`, then `index value` lines with the value as
/// C's `%f` (6 decimals, as Auryn writes them), then a blank line.
///
/// Reading the result back gives the same patterns, with three limits of the format: values
/// are rounded to 6 decimals; names are trimmed and put on one line (line breaks become
/// spaces), and an empty name reads back as `pattern{k}`; an empty pattern is written as its
/// name line alone and is skipped on reading (the format cannot express an empty pattern).
pub fn format_pat(patterns: &[Pattern]) -> String {
    let mut s = String::new();
    for p in patterns {
        let name: String = p.name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        // Writing to a String cannot fail.
        let _ = writeln!(s, "# name: {}", name.trim());
        for (index, value) in p.indices.iter().zip(&p.values) {
            let _ = writeln!(s, "{index} {value:.6}");
        }
        s.push('\n');
    }
    s
}

/// Writes patterns atomically as a `.pat` file (see [`format_pat`]).
///
/// Refuses (with [`Error::Invalid`]) patterns that could not be read back: a value count that
/// differs from the index count, or a non-finite value.
pub fn write_pat(path: &Path, patterns: &[Pattern]) -> Result<()> {
    for p in patterns {
        if p.indices.len() != p.values.len() {
            return Err(Error::Invalid(format!(
                "pattern `{}` has {} indices but {} values",
                p.name,
                p.indices.len(),
                p.values.len()
            )));
        }
        if let Some(v) = p.values.iter().find(|v| !v.is_finite()) {
            return Err(Error::Invalid(format!("pattern `{}` has a non-finite value {v}", p.name)));
        }
    }
    let text = format_pat(patterns);
    super::atomic::atomic_write(path, |w| w.write_all(text.as_bytes()))
}

/// The pattern being read.
#[derive(Default)]
struct Current {
    name: Option<String>,
    indices: Vec<u32>,
    values: Vec<f32>,
    /// Line of each index's entry, to detect and report repeats.
    first_line: HashMap<u32, usize>,
}

impl Current {
    /// Ends the current pattern (if it has entries) and appends it to `patterns`.
    fn finish(&mut self, patterns: &mut Vec<Pattern>) {
        if self.indices.is_empty() {
            return;
        }
        let k = patterns.len() + 1;
        patterns.push(Pattern {
            name: self.name.take().unwrap_or_else(|| format!("pattern{k}")),
            indices: std::mem::take(&mut self.indices),
            values: std::mem::take(&mut self.values),
        });
        self.first_line.clear();
    }
}

/// Parses one `index [value]` line (already trimmed, not blank, not a comment).
fn parse_entry(line: &str, file: &str, line_no: usize, n_units: usize) -> Result<(u32, f32)> {
    let mut tokens = line.split_whitespace();
    let (Some(index_tok), value_tok, None) = (tokens.next(), tokens.next(), tokens.next()) else {
        return Err(Error::parse(
            file,
            line_no,
            format!("expected `index [value]`, found extra columns in `{}`", quote(line)),
        ));
    };
    let index: u64 = index_tok.parse().map_err(|_| {
        Error::parse(
            file,
            line_no,
            format!("expected `index [value]` with a non-negative integer index, found `{}`", quote(index_tok)),
        )
    })?;
    let index = match u32::try_from(index) {
        Ok(i) if (i as usize) < n_units => i,
        _ => {
            return Err(Error::parse(file, line_no, format!("expected a unit index below {n_units}, found {index}")));
        }
    };
    let value = match value_tok {
        None => 1.0,
        Some(tok) => match tok.parse::<f32>() {
            Ok(v) if v.is_finite() => v,
            Ok(_) => {
                return Err(Error::parse(file, line_no, format!("expected a finite value, found `{}`", quote(tok))));
            }
            Err(_) => {
                return Err(Error::parse(
                    file,
                    line_no,
                    format!("expected `index [value]` with a numeric value, found `{}`", quote(tok)),
                ));
            }
        },
    };
    Ok((index, value))
}

/// The name a pattern's preceding comment gives (text after `#`), if any.
fn name_from_comment(comment: &str) -> Option<String> {
    let comment = comment.trim();
    let name = if let Some(rest) = comment.strip_prefix("name:") {
        rest.trim()
    } else if let Some(rest) = comment.strip_prefix("Pattern loaded from file") {
        // Auryn's own header. The path may use either separator, whatever the host OS.
        let base = rest.trim().rsplit(['/', '\\']).next().unwrap_or("");
        match base.rfind('.') {
            Some(dot) if dot > 0 => &base[..dot],
            _ => base,
        }
    } else {
        return None;
    };
    // As `format_pat` writes names: control characters become spaces, and the ends are trimmed,
    // so a name read is written back unchanged.
    let name: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Input text for an error message, cut short so a garbage line cannot flood the terminal.
pub(crate) fn quote(s: &str) -> String {
    const MAX_CHARS: usize = 40;
    match s.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::atomic::tests::TestDir;

    fn parse(text: &str, n: usize) -> Vec<Pattern> {
        parse_pat(text, "t.pat", n).unwrap()
    }

    /// Asserts that parsing fails with a parse error at `line` whose message contains `msg`.
    #[track_caller]
    fn assert_parse_error(text: &str, n: usize, line: usize, msg: &str) {
        let err = parse_pat(text, "t.pat", n).unwrap_err();
        assert!(matches!(err, Error::Parse { line: l, .. } if l == line), "{err:?}");
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("t.pat:{line}: ")), "{shown}");
        assert!(shown.contains(msg), "{shown}");
    }

    #[test]
    fn round_trip_keeps_names_indices_and_values() {
        let patterns = vec![
            Pattern::from_indices("circle", vec![88, 89, 4095, 0]),
            Pattern { name: "assembly 2".into(), indices: vec![2, 3, 8], values: vec![12.971429, 30.285714, 0.004] },
            Pattern::from_indices("x", vec![7]),
        ];
        let text = format_pat(&patterns);
        assert!(text.starts_with("# name: circle\n88 1.000000\n"), "{text}");
        assert_eq!(parse(&text, 4096), patterns);
    }

    #[test]
    fn write_and_read_file() {
        let dir = TestDir::new("pat-rw");
        let path = dir.0.join("a.pat");
        let patterns = vec![
            Pattern::from_indices("square", vec![5, 1, 3]),
            Pattern { name: "b".into(), indices: vec![2], values: vec![0.5] },
        ];
        write_pat(&path, &patterns).unwrap();
        assert_eq!(read_pat(&path, 10).unwrap(), patterns);
        // An index beyond the caller's size is reported with the path and line.
        let err = read_pat(&path, 4).unwrap_err();
        assert!(err.to_string().starts_with(&format!("{}:2: ", path.display())), "{err}");
    }

    #[test]
    fn write_rejects_patterns_that_cannot_be_read_back() {
        let dir = TestDir::new("pat-bad");
        let path = dir.0.join("a.pat");
        let uneven = Pattern { name: "u".into(), indices: vec![1, 2], values: vec![1.0] };
        assert!(matches!(write_pat(&path, &[uneven]), Err(Error::Invalid(_))));
        let nan = Pattern { name: "n".into(), indices: vec![1], values: vec![f32::NAN] };
        assert!(matches!(write_pat(&path, &[nan]), Err(Error::Invalid(_))));
        assert!(dir.entries().is_empty());
    }

    #[test]
    fn file_that_is_not_utf8_names_the_line() {
        // read_to_string gave an I/O error naming no line.
        let dir = TestDir::new("pat-utf8");
        let path = dir.0.join("a.pat");
        std::fs::write(&path, b"1\n2\n\n3 \xff\n").unwrap();
        let err = read_pat(&path, 10).unwrap_err().to_string();
        assert_eq!(err, format!("{}:4: expected UTF-8 text", path.display()));
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = TestDir::new("pat-missing");
        let err = read_pat(&dir.0.join("nope.pat"), 10).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
    }

    #[test]
    fn last_pattern_without_trailing_blank_line_is_kept() {
        let p = parse("1\n2\n\n3\n4 0.5", 10);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].indices, [3, 4]);
        assert_eq!(p[1].values, [1.0, 0.5]);
    }

    #[test]
    fn blank_lines_whitespace_and_crlf() {
        let text = "\r\n\r\n1\t0.25\r\n   2    0.5  \r\n \t \r\n\r\n\r\n3\r\n\r\n\n\n";
        let p = parse(text, 10);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].indices, [1, 2]);
        assert_eq!(p[0].values, [0.25, 0.5]);
        assert_eq!(p[1].indices, [3]);
        assert!(parse("", 10).is_empty());
        assert!(parse("# only a comment\n\n", 10).is_empty());
    }

    #[test]
    fn same_index_in_different_patterns_is_fine() {
        let p = parse("1\n2\n\n2\n1\n", 10);
        assert_eq!(p[0].indices, [1, 2]);
        assert_eq!(p[1].indices, [2, 1]);
    }

    #[test]
    fn names_from_comments() {
        let text = "\
# Pattern loaded from file  ../../artwork//distorted/circle1.jpg
1 1.000000

# name: superseded
# name: assembly 2
2

#name:   spaced out  
3
# a comment inside a pattern names nothing
4

5

# Pattern loaded from file  C:\\art\\tri.angle.jpg
6

# name: superseded too
# something unrelated: the last comment counts
7
";
        let names: Vec<String> = parse(text, 10).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["circle1", "assembly 2", "spaced out", "pattern4", "tri.angle", "pattern6"]);
    }

    #[test]
    fn control_characters_in_names_read_as_format_pat_writes_them() {
        // Found by tests/fuzz_parsers.rs: a name of only a control character (DEL) was kept,
        // written back as an empty name and read again as `pattern1`, so write∘read was not
        // stable.
        let p = parse("# name: \u{7f}\n1\n\n# name: a\u{7f}b\u{1b}\n2\n", 10);
        assert_eq!(p[0].name, "pattern1");
        assert_eq!(p[1].name, "a b");
        assert_eq!(parse(&format_pat(&p), 10), p);
    }

    #[test]
    fn malformed_entries_name_file_and_line() {
        assert_parse_error("1\n2\n4096\n", 4096, 3, "expected a unit index below 4096, found 4096");
        assert_parse_error("1\n-2\n", 10, 2, "non-negative integer index, found `-2`");
        assert_parse_error("# c\n\n1\nabc\n", 10, 4, "expected `index [value]`");
        assert_parse_error("1.5 1\n", 10, 1, "integer index, found `1.5`");
        assert_parse_error("99999999999999999999\n", 10, 1, "integer index");
        assert_parse_error("4294967296\n", usize::MAX, 1, "below");
        assert_parse_error("1 nan\n", 10, 1, "expected a finite value, found `nan`");
        assert_parse_error("1\n\n2 inf\n", 10, 3, "finite");
        assert_parse_error("1 1e50\n", 10, 1, "finite");
        assert_parse_error("1 x\n", 10, 1, "numeric value, found `x`");
        assert_parse_error("1\n2 1.0 3\n", 10, 2, "extra columns");
        assert_parse_error("1\n\n# c\n5\n6\n5 0.5\n", 10, 6, "duplicate index 5 in pattern 2 (first on line 4)");
    }

    #[test]
    fn long_garbage_is_quoted_short() {
        let line = "z".repeat(10_000);
        let err = parse_pat(&line, "t.pat", 10).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
    }
}
