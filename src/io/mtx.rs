//! MatrixMarket weight matrices (docs/model.md §9), as Auryn reads and writes them.
//!
//! `%%MatrixMarket matrix coordinate real general`, `%` comment lines, `rows cols nnz`, then
//! `i j value` lines with 1-based indices; row = presynaptic, column = postsynaptic. The reader
//! also accepts `integer` and `pattern` fields (a pattern entry has no value and weighs 1.0) and
//! blank lines after the banner. It is strict where a silent misreading would corrupt a network:
//! sizes must match what the caller expects, every index must be in range, weights must be
//! finite and non-negative, `(i, j)` pairs must be unique and the entry count must match `nnz`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::pat::quote;
use crate::{Error, Result};

/// A sparse matrix as read from a file: 0-based `(row, col, value)` entries in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Triplets {
    pub rows: usize,
    pub cols: usize,
    pub entries: Vec<(u32, u32, f32)>,
}

/// The header's `nnz` says how much to expect, but a header can lie: reserve at most this many
/// entries up front and let the vector grow with what the body really holds.
const MAX_PREALLOC: usize = 1 << 20;

/// Shortest entry line (`1 1` and its line break): the input's length bounds how many entries it
/// can hold, so a small file with a large `nnz` reserves little.
const MIN_ENTRY_BYTES: u64 = 4;

/// Longest line [`read_mtx`] accepts, so a file without line breaks cannot exhaust memory.
const MAX_LINE_BYTES: usize = 1 << 16;

/// Parses the text of a MatrixMarket file that must be `expected_rows × expected_cols`.
pub fn parse_mtx(text: &str, file: &str, expected_rows: usize, expected_cols: usize) -> Result<Triplets> {
    let mut sink = Collect::default();
    parse_lines(&mut text.lines(), text.len() as u64, file, expected_rows, expected_cols, &mut sink)?;
    Ok(Triplets { rows: expected_rows, cols: expected_cols, entries: sink.entries })
}

/// Reads a MatrixMarket file line by line (never holding the whole text in memory); errors
/// name the file as `path.display()`.
pub fn read_mtx(path: &Path, expected_rows: usize, expected_cols: usize) -> Result<Triplets> {
    let mut sink = Collect::default();
    stream_file(path, expected_rows, expected_cols, &mut sink)?;
    Ok(Triplets { rows: expected_rows, cols: expected_cols, entries: sink.entries })
}

/// Reads a MatrixMarket file like [`read_mtx`] but hands each entry to `on_entry` instead of
/// collecting them, so the caller can check entries against its own rules and have a refusal
/// reported at the entry's line: `on_size(nnz)` is called at the size line, `on_entry(i, j, v)`
/// (0-based) for each entry, and an `Err(msg)` from either becomes a parse error naming the file
/// and that line. All format checks of [`read_mtx`] apply except one: repeated `(i, j)` pairs are
/// not detected here (the caller sees every entry and can do it for less).
pub fn visit_mtx(
    path: &Path,
    expected_rows: usize,
    expected_cols: usize,
    on_size: impl FnMut(u64) -> std::result::Result<(), String>,
    on_entry: impl FnMut(u32, u32, f32) -> std::result::Result<(), String>,
) -> Result<()> {
    stream_file(path, expected_rows, expected_cols, &mut Visit { on_size, on_entry })
}

fn stream_file(path: &Path, expected_rows: usize, expected_cols: usize, sink: &mut impl Sink) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // Only a hint for the reservation (0 for pipes and devices): reading never trusts it.
    let byte_len = file.metadata().map_or(0, |m| m.len());
    let name = path.display().to_string();
    let mut lines = StreamLines { reader: BufReader::new(file), buf: Vec::new(), line_no: 0, path, name: &name };
    parse_lines(&mut lines, byte_len, &name, expected_rows, expected_cols, sink)
}

/// Writes a MatrixMarket `coordinate real general` file: banner, each line of `comment` as a
/// `% ` line, `rows cols nnz`, then 1-based `i j value` lines.
///
/// Values use `f32`'s `Display`, the shortest text that parses back to the same bits. The
/// entries must be sorted row-major without repeats (Auryn loads matrices in that order);
/// anything [`parse_mtx`] would reject (unsorted or repeated entries, out-of-range indices,
/// negative or non-finite values, an iterator whose length differs from its `len()`) is
/// refused with an [`io::ErrorKind::InvalidInput`] error instead of being written. On any error
/// `out` may hold a partial file; [`save_mtx`] discards it.
pub fn write_mtx<W: Write>(
    out: W,
    rows: usize,
    cols: usize,
    entries: impl ExactSizeIterator<Item = (u32, u32, f32)>,
    comment: &str,
) -> io::Result<()> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    let mut out = BufWriter::new(out);
    writeln!(out, "%%MatrixMarket matrix coordinate real general")?;
    for line in comment.lines() {
        writeln!(out, "% {line}")?;
    }
    let nnz = entries.len();
    writeln!(out, "{rows} {cols} {nnz}")?;
    let mut written = 0usize;
    let mut prev: Option<(u32, u32)> = None;
    for (i, j, v) in entries {
        if i as usize >= rows || j as usize >= cols {
            return Err(invalid(format!("entry ({i}, {j}) outside a {rows}×{cols} matrix")));
        }
        if !(v.is_finite() && v >= 0.0) {
            return Err(invalid(format!("entry ({i}, {j}) has weight {v}, not finite and ≥ 0")));
        }
        if prev.is_some_and(|p| p >= (i, j)) {
            return Err(invalid(format!("entry ({i}, {j}) is not in strict row-major order")));
        }
        prev = Some((i, j));
        written += 1;
        writeln!(out, "{} {} {v}", u64::from(i) + 1, u64::from(j) + 1)?;
    }
    if written != nnz {
        return Err(invalid(format!("iterator announced {nnz} entries but gave {written}")));
    }
    out.into_inner().map_err(std::io::IntoInnerError::into_error)?.flush()
}

/// [`write_mtx`] to a file, atomically: a failed save leaves the previous file intact.
pub fn save_mtx(
    path: &Path,
    rows: usize,
    cols: usize,
    entries: impl ExactSizeIterator<Item = (u32, u32, f32)>,
    comment: &str,
) -> Result<()> {
    super::atomic::atomic_write(path, |w| write_mtx(w, rows, cols, entries, comment))
}

/// Where the consolidation weights (w̃) of a matrix file go: `2` appended to the file stem,
/// `weights_ee.mtx` → `weights_ee2.mtx`. Auryn's "suffix 2" (docs/model.md §9) is placed before the
/// extension so the companion is still recognisably a `.mtx` file. A path without a file name
/// (`..`) just gets `2` appended.
pub fn companion_path(path: &Path) -> PathBuf {
    let Some(stem) = path.file_stem() else {
        let mut s = path.as_os_str().to_os_string();
        s.push("2");
        return PathBuf::from(s);
    };
    let mut name = stem.to_os_string();
    name.push("2");
    if let Some(ext) = path.extension() {
        name.push(".");
        name.push(ext);
    }
    path.with_file_name(name)
}

/// The field type of the banner: how entry values are written.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Real,
    Integer,
    Pattern,
}

/// A source of lines without their line break: a `&str`'s lines, or a file read through one
/// reused buffer (which an `Iterator` cannot lend out).
trait LineSource {
    fn next_line(&mut self) -> Result<Option<&str>>;
}

impl LineSource for std::str::Lines<'_> {
    fn next_line(&mut self) -> Result<Option<&str>> {
        Ok(self.next())
    }
}

/// The parser proper, shared by the in-memory and the streaming reader. Errors of `lines`
/// (I/O, bad UTF-8, overlong line) are passed through. `byte_len` is the input's length as far
/// as known; it only bounds the up-front reservation.
fn parse_lines(
    lines: &mut impl LineSource,
    byte_len: u64,
    file: &str,
    expected_rows: usize,
    expected_cols: usize,
    sink: &mut impl Sink,
) -> Result<()> {
    let banner_hint = "expected `%%MatrixMarket matrix coordinate real general`";
    let mut line_no = 1;
    let Some(banner) = lines.next_line()? else {
        return Err(Error::parse(file, 1, format!("{banner_hint}, found an empty file")));
    };
    let banner = banner.strip_prefix('\u{feff}').unwrap_or(banner).trim();
    let field = parse_banner(banner)
        .ok_or_else(|| Error::parse(file, 1, format!("{banner_hint}, found `{}`", quote(banner))))?;

    // Size line: the first line that is neither a comment nor blank.
    let size_hint = "expected the size line `rows cols nnz`";
    let (rows, cols, nnz, size_line) = loop {
        line_no += 1;
        let Some(line) = lines.next_line()? else {
            return Err(Error::parse(file, line_no, format!("{size_hint}, found end of file")));
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('%') {
            continue;
        }
        let mut t = line.split_whitespace().map(str::parse::<u64>);
        match (t.next(), t.next(), t.next(), t.next()) {
            (Some(Ok(r)), Some(Ok(c)), Some(Ok(n)), None) => break (r, c, n, line_no),
            _ => {
                return Err(Error::parse(
                    file,
                    line_no,
                    format!("{size_hint} (three non-negative integers), found `{}`", quote(line)),
                ));
            }
        }
    };
    if rows != expected_rows as u64 || cols != expected_cols as u64 {
        return Err(Error::parse(
            file,
            size_line,
            format!("expected a {expected_rows}×{expected_cols} matrix, found {rows}×{cols}"),
        ));
    }
    if u128::from(nnz) > u128::from(rows) * u128::from(cols) {
        return Err(Error::parse(file, size_line, format!("{nnz} entries cannot fit a {rows}×{cols} matrix")));
    }

    sink.size(nnz, byte_len).map_err(|msg| Error::parse(file, size_line, msg))?;
    let mut count = 0u64;
    loop {
        line_no += 1;
        let Some(line) = lines.next_line()? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('%') {
            continue;
        }
        if count == nnz {
            return Err(Error::parse(
                file,
                line_no,
                format!("expected only {nnz} entries (size line {size_line}), found more"),
            ));
        }
        let (i, j, v) = parse_entry(line, field, rows, cols).map_err(|msg| Error::parse(file, line_no, msg))?;
        sink.entry(i, j, v).map_err(|msg| Error::parse(file, line_no, msg))?;
        count += 1;
    }
    if count < nnz {
        return Err(Error::parse(
            file,
            size_line,
            format!("expected {nnz} entries, found only {count} before the end of the file"),
        ));
    }
    Ok(())
}

/// Where [`parse_lines`] puts what it reads; an `Err` message becomes a parse error at the line
/// being read.
trait Sink {
    /// The size line announced `nnz` entries in an input of about `byte_len` bytes.
    fn size(&mut self, nnz: u64, byte_len: u64) -> std::result::Result<(), String>;
    /// One entry (0-based indices, already range- and value-checked).
    fn entry(&mut self, i: u32, j: u32, v: f32) -> std::result::Result<(), String>;
}

/// Collects the entries and refuses repeated `(i, j)` pairs.
#[derive(Default)]
struct Collect {
    entries: Vec<(u32, u32, f32)>,
    dedup: Dedup,
}

impl Sink for Collect {
    fn size(&mut self, nnz: u64, byte_len: u64) -> std::result::Result<(), String> {
        self.entries.reserve_exact(initial_capacity(nnz, byte_len));
        Ok(())
    }

    fn entry(&mut self, i: u32, j: u32, v: f32) -> std::result::Result<(), String> {
        if self.dedup.is_repeat(i, j, &self.entries) {
            return Err(format!("duplicate entry ({}, {})", u64::from(i) + 1, u64::from(j) + 1));
        }
        self.entries.push((i, j, v));
        Ok(())
    }
}

/// Hands everything to the caller's closures ([`visit_mtx`]).
struct Visit<S, E> {
    on_size: S,
    on_entry: E,
}

impl<S, E> Sink for Visit<S, E>
where
    S: FnMut(u64) -> std::result::Result<(), String>,
    E: FnMut(u32, u32, f32) -> std::result::Result<(), String>,
{
    fn size(&mut self, nnz: u64, _byte_len: u64) -> std::result::Result<(), String> {
        (self.on_size)(nnz)
    }

    fn entry(&mut self, i: u32, j: u32, v: f32) -> std::result::Result<(), String> {
        (self.on_entry)(i, j, v)
    }
}

/// How many entries to reserve for a header announcing `nnz` in an input of `byte_len` bytes:
/// no more than the input can hold, nor than [`MAX_PREALLOC`].
fn initial_capacity(nnz: u64, byte_len: u64) -> usize {
    let plausible = nnz.min(byte_len / MIN_ENTRY_BYTES);
    usize::try_from(plausible).unwrap_or(usize::MAX).min(MAX_PREALLOC)
}

/// `Some(field)` if `line` is a banner we can read (keywords case-insensitive).
fn parse_banner(line: &str) -> Option<Field> {
    let t: Vec<&str> = line.split_whitespace().take(6).collect();
    let is = |k: usize, word: &str| t.get(k).is_some_and(|s| s.eq_ignore_ascii_case(word));
    if t.len() != 5 || !is(0, "%%MatrixMarket") || !is(1, "matrix") || !is(2, "coordinate") || !is(4, "general") {
        return None;
    }
    if is(3, "real") {
        Some(Field::Real)
    } else if is(3, "integer") {
        Some(Field::Integer)
    } else if is(3, "pattern") {
        Some(Field::Pattern)
    } else {
        None
    }
}

/// Parses one `i j [value]` line into a 0-based entry; `Err` is the message.
fn parse_entry(line: &str, field: Field, rows: u64, cols: u64) -> std::result::Result<(u32, u32, f32), String> {
    let mut t = line.split_whitespace();
    let (i, j, v) = (t.next(), t.next(), t.next());
    let shape_ok = match field {
        Field::Pattern => v.is_none(),
        Field::Real | Field::Integer => v.is_some() && t.next().is_none(),
    };
    let (Some(i), Some(j), true) = (i, j, shape_ok) else {
        let form = if field == Field::Pattern { "`i j`" } else { "`i j value`" };
        return Err(format!("expected {form}, found `{}`", quote(line)));
    };
    let i = parse_index(i, "row", rows)?;
    let j = parse_index(j, "column", cols)?;
    let value = match (field, v) {
        (Field::Pattern, _) | (_, None) => 1.0,
        (Field::Real, Some(v)) => {
            v.parse::<f32>().map_err(|_| format!("expected a number as weight, found `{}`", quote(v)))?
        }
        (Field::Integer, Some(v)) => {
            v.parse::<i64>().map_err(|_| format!("expected an integer as weight, found `{}`", quote(v)))? as f32
        }
    };
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("expected a finite, non-negative weight, found `{}`", quote(v.unwrap_or(""))));
    }
    Ok((i, j, value))
}

/// Parses a 1-based index in `1..=max` and returns it 0-based.
fn parse_index(tok: &str, what: &str, max: u64) -> std::result::Result<u32, String> {
    match tok.parse::<u64>() {
        Ok(k) if (1..=max).contains(&k) => u32::try_from(k - 1).map_err(|_| format!("{what} index {k} too large")),
        Ok(k) => Err(format!("expected a {what} index in 1..={max}, found {k}")),
        Err(_) => Err(format!("expected a 1-based {what} index, found `{}`", quote(tok))),
    }
}

/// Detects repeated `(i, j)` pairs. Files written in row-major order (ours and Auryn's) are
/// checked for free by comparing each entry with the previous one; the first out-of-order entry
/// switches to a hash set of all entries, sized by what was really read, not by the header.
#[derive(Default)]
struct Dedup {
    /// `Some` once the entries stopped being strictly row-major.
    seen: Option<HashSet<(u32, u32)>>,
}

impl Dedup {
    /// Whether `(i, j)` is among `entries` (all entries read so far); records it if not.
    fn is_repeat(&mut self, i: u32, j: u32, entries: &[(u32, u32, f32)]) -> bool {
        let seen = match &mut self.seen {
            Some(seen) => seen,
            None => match entries.last() {
                None => return false,
                Some(&(pi, pj, _)) if (pi, pj) < (i, j) => return false,
                Some(_) => self.seen.insert(entries.iter().map(|&(a, b, _)| (a, b)).collect()),
            },
        };
        !seen.insert((i, j))
    }
}

/// Lines of a file, read through a reused buffer, bounded in length and checked for UTF-8.
struct StreamLines<'p, R> {
    reader: R,
    buf: Vec<u8>,
    line_no: usize,
    path: &'p Path,
    name: &'p str,
}

impl<R: BufRead> LineSource for StreamLines<'_, R> {
    fn next_line(&mut self) -> Result<Option<&str>> {
        self.buf.clear();
        self.line_no += 1;
        let limit = MAX_LINE_BYTES as u64 + 1;
        let n = (&mut self.reader).take(limit).read_until(b'\n', &mut self.buf).map_err(|e| Error::io(self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if n as u64 == limit {
            return Err(Error::parse(
                self.name,
                self.line_no,
                format!("expected a line of at most {MAX_LINE_BYTES} bytes"),
            ));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        match std::str::from_utf8(&self.buf) {
            Ok(s) => Ok(Some(s)),
            Err(_) => Err(Error::parse(self.name, self.line_no, "expected UTF-8 text")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::atomic::tests::TestDir;

    const BANNER: &str = "%%MatrixMarket matrix coordinate real general\n";

    fn write_to_string(rows: usize, cols: usize, e: &[(u32, u32, f32)], comment: &str) -> String {
        let mut out = Vec::new();
        write_mtx(&mut out, rows, cols, e.iter().copied(), comment).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Asserts that parsing fails with a parse error at `line` whose message contains `msg`.
    #[track_caller]
    fn assert_parse_error(text: &str, rows: usize, cols: usize, line: usize, msg: &str) {
        let err = parse_mtx(text, "w.mtx", rows, cols).unwrap_err();
        assert!(matches!(err, Error::Parse { line: l, .. } if l == line), "{err:?}");
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("w.mtx:{line}: ")), "{shown}");
        assert!(shown.contains(msg), "{shown}");
    }

    fn tricky_entries() -> Vec<(u32, u32, f32)> {
        let values = [
            0.1,
            1.0 / 3.0,
            1e-10,
            f32::MIN_POSITIVE,
            1e-45, // subnormal
            f32::MAX,
            0.0,
            -0.0,
            123_456.79,
            0.26953125,
        ];
        values.iter().enumerate().map(|(k, &v)| (k as u32 / 4, (k as u32 % 4) * 3, v)).collect()
    }

    #[test]
    fn write_then_parse_gives_identical_bits() {
        let entries = tricky_entries();
        let text = write_to_string(3, 11, &entries, "E->E weights\nsecond line");
        assert!(text.starts_with(BANNER), "{text}");
        assert!(text.contains("\n% E->E weights\n% second line\n3 11 10\n1 1 0.1\n"), "{text}");
        let t = parse_mtx(&text, "w.mtx", 3, 11).unwrap();
        assert_eq!((t.rows, t.cols), (3, 11));
        assert_eq!(t.entries.len(), entries.len());
        for (a, b) in t.entries.iter().zip(&entries) {
            assert_eq!((a.0, a.1, a.2.to_bits()), (b.0, b.1, b.2.to_bits()));
        }
    }

    #[test]
    fn save_then_read_file() {
        let dir = TestDir::new("mtx-rw");
        let path = dir.0.join("weights_ee.mtx");
        let entries = tricky_entries();
        save_mtx(&path, 3, 11, entries.iter().copied(), "test").unwrap();
        let t = read_mtx(&path, 3, 11).unwrap();
        let bits = |e: &[(u32, u32, f32)]| -> Vec<_> { e.iter().map(|&(i, j, v)| (i, j, v.to_bits())).collect() };
        assert_eq!(bits(&t.entries), bits(&entries));
        // The same content through the in-memory parser.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(parse_mtx(&text, "w.mtx", 3, 11).unwrap(), t);
        // Errors of the streaming reader name the path and the line.
        let err = read_mtx(&path, 4, 11).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:3: ", path.display())), "{err}");
        assert!(err.contains("expected a 4×11 matrix, found 3×11"), "{err}");
    }

    #[test]
    fn empty_matrix_round_trips() {
        let text = write_to_string(5, 7, &[], "");
        assert_eq!(text, format!("{BANNER}5 7 0\n"));
        assert!(parse_mtx(&text, "w.mtx", 5, 7).unwrap().entries.is_empty());
    }

    #[test]
    fn write_refuses_what_the_reader_would_reject() {
        let refuse = |e: &[(u32, u32, f32)]| {
            let err = write_mtx(Vec::new(), 4, 4, e.iter().copied(), "").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        };
        refuse(&[(1, 0, 1.0), (0, 3, 1.0)]); // not row-major
        refuse(&[(1, 2, 1.0), (1, 2, 2.0)]); // repeated
        refuse(&[(4, 0, 1.0)]); // row out of range
        refuse(&[(0, 4, 1.0)]); // column out of range
        refuse(&[(0, 0, f32::NAN)]);
        refuse(&[(0, 0, f32::INFINITY)]);
        refuse(&[(0, 0, -0.5)]);

        /// An iterator whose `len()` promises more than it yields.
        struct Liar(u32);
        impl Iterator for Liar {
            type Item = (u32, u32, f32);
            fn next(&mut self) -> Option<Self::Item> {
                (self.0 < 2).then(|| {
                    self.0 += 1;
                    (0, self.0, 1.0)
                })
            }
        }
        impl ExactSizeIterator for Liar {
            fn len(&self) -> usize {
                5
            }
        }
        let err = write_mtx(Vec::new(), 4, 4, Liar(0), "").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    }

    #[test]
    fn failed_save_keeps_previous_file() {
        let dir = TestDir::new("mtx-fail");
        let path = dir.0.join("w.mtx");
        save_mtx(&path, 2, 2, [(0, 1, 0.5)].into_iter(), "good").unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let err = save_mtx(&path, 2, 2, [(0, 1, f32::NAN)].into_iter(), "bad").unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert_eq!(dir.entries(), ["w.mtx"]);
    }

    #[test]
    fn companion_path_appends_2_to_the_stem() {
        let p = |s: &str| companion_path(Path::new(s));
        assert_eq!(p("out/weights_ee.mtx"), Path::new("out/weights_ee2.mtx"));
        assert_eq!(p("weights_ee.mtx"), Path::new("weights_ee2.mtx"));
        assert_eq!(p("dir/rf1.ee.wmat"), Path::new("dir/rf1.ee2.wmat"));
        assert_eq!(p("dir/noext"), Path::new("dir/noext2"));
        assert_eq!(p(".."), Path::new("..2"));
    }

    #[test]
    fn accepts_variants_of_the_format() {
        // Case-insensitive keywords, CRLF, blank lines, comments in the body, no final newline.
        let text = "%%matrixmarket MATRIX Coordinate REAL General\r\n% c\r\n\r\n2 3 2\r\n\
                    % mid\r\n1  3\t0.5\r\n\r\n2 1 1e-3";
        let t = parse_mtx(text, "w.mtx", 2, 3).unwrap();
        assert_eq!(t.entries, [(0, 2, 0.5), (1, 0, 0.001)]);

        let text = "%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 3\n2 2 0\n";
        assert_eq!(parse_mtx(text, "w.mtx", 2, 2).unwrap().entries, [(0, 0, 3.0), (1, 1, 0.0)]);

        let text = "%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 1\n";
        assert_eq!(parse_mtx(text, "w.mtx", 2, 2).unwrap().entries, [(0, 1, 1.0), (1, 0, 1.0)]);

        // Column-major order (as other tools write) is fine, and kept in file order.
        let text = format!("{BANNER}2 2 3\n1 1 1\n2 1 2\n1 2 3\n");
        let t = parse_mtx(&text, "w.mtx", 2, 2).unwrap();
        assert_eq!(t.entries, [(0, 0, 1.0), (1, 0, 2.0), (0, 1, 3.0)]);
    }

    #[test]
    fn malformed_files_name_file_and_line() {
        let e = |text: &str, line: usize, msg: &str| assert_parse_error(text, 4, 4, line, msg);
        e("", 1, "found an empty file");
        e("hello\n4 4 0\n", 1, "expected `%%MatrixMarket matrix coordinate real general`");
        e("%%MatrixMarket matrix array real general\n4 4 0\n", 1, "found `%%MatrixMarket");
        e("%%MatrixMarket matrix coordinate complex general\n", 1, "expected `%%");
        e("%%MatrixMarket matrix coordinate real symmetric\n", 1, "expected `%%");
        e("%%MatrixMarket matrix coordinate real general extra\n", 1, "expected `%%");
        e(&format!("{BANNER}% c\n% d\n"), 4, "found end of file");
        e(&format!("{BANNER}% c\n4 4\n"), 3, "expected the size line `rows cols nnz`");
        e(&format!("{BANNER}4 4 -1\n"), 2, "rows cols nnz");
        e(&format!("{BANNER}4 4 1 1\n"), 2, "rows cols nnz");
        e(&format!("{BANNER}% c\n4096 4096 0\n"), 3, "expected a 4×4 matrix, found 4096×4096");
        e(&format!("{BANNER}4 4 17\n"), 2, "17 entries cannot fit a 4×4 matrix");
        e(&format!("{BANNER}4 4 2\n1 1 1\n0 1 1\n"), 4, "expected a row index in 1..=4, found 0");
        e(&format!("{BANNER}4 4 2\n1 1 1\n1 5 1\n"), 4, "column index in 1..=4, found 5");
        e(&format!("{BANNER}4 4 1\n-1 1 1\n"), 3, "1-based row index, found `-1`");
        e(&format!("{BANNER}4 4 1\n1 1 nan\n"), 3, "finite, non-negative weight, found `nan`");
        e(&format!("{BANNER}4 4 1\n1 1 1e39\n"), 3, "finite, non-negative weight");
        e(&format!("{BANNER}4 4 1\n1 1 -0.5\n"), 3, "non-negative weight, found `-0.5`");
        e(&format!("{BANNER}4 4 1\n1 1 x\n"), 3, "expected a number as weight, found `x`");
        e(&format!("{BANNER}4 4 1\n1 1\n"), 3, "expected `i j value`, found `1 1`");
        e(&format!("{BANNER}4 4 1\n1 1 1 1\n"), 3, "expected `i j value`");
        let pattern = "%%MatrixMarket matrix coordinate pattern general\n4 4 1\n1 1 1\n";
        e(pattern, 3, "expected `i j`, found `1 1 1`");
        let integer = "%%MatrixMarket matrix coordinate integer general\n4 4 1\n1 1 1.5\n";
        e(integer, 3, "expected an integer as weight, found `1.5`");
        e(&format!("{BANNER}% c\n4 4 3\n1 1 1\n2 2 1\n"), 3, "expected 3 entries, found only 2");
        e(&format!("{BANNER}4 4 1\n1 1 1\n\n2 2 1\n"), 5, "expected only 1 entries (size line 2)");
        // Repeats: adjacent in a sorted file, and far apart in an unsorted one.
        e(&format!("{BANNER}4 4 3\n1 1 1\n1 2 1\n1 2 1\n"), 5, "duplicate entry (1, 2)");
        e(&format!("{BANNER}4 4 4\n1 2 1\n3 1 1\n2 2 1\n1 2 1\n"), 6, "duplicate entry (1, 2)");
    }

    #[test]
    fn huge_nnz_header_fails_fast_without_allocating() {
        // Too many for the shape: rejected at the size line.
        let text = format!("{BANNER}4096 4096 1000000000000\n1 1 1\n2 2 1\n");
        assert_parse_error(&text, 4096, 4096, 2, "cannot fit");
        // Fits the (huge) shape: reading stops at the body's end. Reserving for 10^12 entries
        // would abort the test process.
        let text = format!("{BANNER}1000000 1000000 1000000000000\n1 1 1\n2 2 1\n");
        assert_parse_error(&text, 1_000_000, 1_000_000, 2, "found only 2");
        let dir = TestDir::new("mtx-huge");
        let path = dir.0.join("w.mtx");
        std::fs::write(&path, &text).unwrap();
        let err = read_mtx(&path, 1_000_000, 1_000_000).unwrap_err().to_string();
        assert!(err.contains(":2: expected 1000000000000 entries, found only 2"), "{err}");
    }

    #[test]
    fn reservation_is_bounded_by_the_input_length() {
        // Found by tests/fuzz_parsers.rs: a 60-byte file announcing 10^12 entries reserved
        // MAX_PREALLOC entries (12 MB) before reading a line.
        assert_eq!(initial_capacity(1_000_000_000_000, 60), 15);
        assert_eq!(initial_capacity(3, 60), 3);
        assert_eq!(initial_capacity(u64::MAX, u64::MAX), MAX_PREALLOC);
        assert_eq!(initial_capacity(10, 0), 0);
        // A well-formed file gets its full reservation.
        let entries: Vec<_> = (0..100u32).map(|k| (k, k, 1.0)).collect();
        let text = write_to_string(100, 100, &entries, "");
        assert_eq!(parse_mtx(&text, "w.mtx", 100, 100).unwrap().entries.capacity(), 100);
    }

    #[test]
    fn streaming_reader_rejects_bad_bytes_and_endless_lines() {
        let dir = TestDir::new("mtx-bytes");
        let path = dir.0.join("w.mtx");
        let mut bytes = format!("{BANNER}4 4 1\n").into_bytes();
        bytes.extend_from_slice(b"1 1 \xff\n");
        std::fs::write(&path, &bytes).unwrap();
        let err = read_mtx(&path, 4, 4).unwrap_err().to_string();
        assert!(err.ends_with(":3: expected UTF-8 text"), "{err}");

        let mut bytes = format!("{BANNER}% ").into_bytes();
        bytes.resize(bytes.len() + 2 * MAX_LINE_BYTES, b'x');
        std::fs::write(&path, &bytes).unwrap();
        let err = read_mtx(&path, 4, 4).unwrap_err().to_string();
        assert!(err.contains(":2: expected a line of at most"), "{err}");

        let err = read_mtx(&dir.0.join("missing.mtx"), 4, 4).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
    }
}
