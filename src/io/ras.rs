//! Auryn-style text spike rasters (`.ras`): one spike per line, `time neuron`, with the time in
//! seconds printed like C's `%f` (6 decimals, i.e. µs resolution, finer than the 0.1 ms step)
//! and a 0-based neuron index. Plain text so the authors' scripts and gnuplot read it as is.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::pat::quote;
use crate::{Error, Result};

/// Writes spikes as raster lines through a buffer; call [`RasWriter::finish`] to flush (a
/// dropped writer flushes too, but silently loses any error).
pub struct RasWriter<W: Write> {
    out: BufWriter<W>,
}

impl<W: Write> RasWriter<W> {
    pub fn new(out: W) -> Self {
        RasWriter { out: BufWriter::new(out) }
    }

    /// Appends one spike at `t_seconds` (finite, ≥ 0, else [`io::ErrorKind::InvalidInput`]:
    /// [`parse_ras`] would reject the line).
    pub fn push(&mut self, t_seconds: f64, neuron: u32) -> io::Result<()> {
        if !(t_seconds.is_finite() && t_seconds >= 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("spike time {t_seconds} s is not finite and ≥ 0"),
            ));
        }
        writeln!(self.out, "{t_seconds:.6} {neuron}")
    }

    /// Flushes the buffer and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(std::io::IntoInnerError::into_error)
    }
}

/// Writes spikes `(time [s], neuron)` as a raster file, atomically: a failed save (or a spike
/// time [`RasWriter::push`] refuses) keeps the previous file.
pub fn save_ras(path: &Path, spikes: impl IntoIterator<Item = (f64, u32)>) -> Result<()> {
    super::atomic::atomic_write(path, |w| {
        let mut out = RasWriter::new(w);
        for (t, n) in spikes {
            out.push(t, n)?;
        }
        out.finish()?.flush()
    })
}

/// Parses a raster into `(time [s], neuron)` pairs in file order. Blank lines and `#` comment
/// lines are skipped (Auryn writes neither, but they cost nothing to allow).
pub fn parse_ras(text: &str, file: &str) -> Result<Vec<(f64, u32)>> {
    let mut spikes = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line_no = k + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| Error::parse(file, line_no, msg);
        let mut t = line.split_whitespace();
        let (Some(time), Some(neuron), None) = (t.next(), t.next(), t.next()) else {
            return Err(err(format!("expected `time neuron`, found `{}`", quote(line))));
        };
        let time = match time.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                return Err(err(format!("expected a finite, non-negative time in seconds, found `{}`", quote(time))));
            }
        };
        let neuron = neuron
            .parse::<u32>()
            .map_err(|_| err(format!("expected a 0-based neuron index, found `{}`", quote(neuron))))?;
        spikes.push((time, neuron));
    }
    Ok(spikes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn assert_parse_error(text: &str, line: usize, msg: &str) {
        let err = parse_ras(text, "s.ras").unwrap_err();
        assert!(matches!(err, Error::Parse { line: l, .. } if l == line), "{err:?}");
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("s.ras:{line}: ")), "{shown}");
        assert!(shown.contains(msg), "{shown}");
    }

    #[test]
    fn round_trip() {
        let spikes: Vec<(f64, u32)> =
            vec![(0.0, 0), (0.0001, 4095), (1.2345674, 17), (3600.0, u32::MAX), (172_800.5, 3)];
        let mut w = RasWriter::new(Vec::new());
        for &(t, n) in &spikes {
            w.push(t, n).unwrap();
        }
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.starts_with("0.000000 0\n0.000100 4095\n1.234567 17\n"), "{text}");
        let back = parse_ras(&text, "s.ras").unwrap();
        assert_eq!(back.len(), spikes.len());
        for (&(t, n), &(bt, bn)) in spikes.iter().zip(&back) {
            assert_eq!(bn, n);
            // Exactly the 6-decimal rounding, nothing worse.
            assert_eq!(bt, format!("{t:.6}").parse::<f64>().unwrap());
            assert!((bt - t).abs() <= 5e-7, "{t} -> {bt}");
        }
    }

    #[test]
    fn writer_refuses_unreadable_times() {
        let mut w = RasWriter::new(Vec::new());
        for t in [f64::NAN, f64::INFINITY, -0.1] {
            assert_eq!(w.push(t, 1).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        }
        assert!(w.finish().unwrap().is_empty());
    }

    #[test]
    fn accepts_whitespace_variants() {
        let text = "# comment\r\n0.5\t3\r\n\r\n  1e-3   7  \n2 0";
        assert_eq!(parse_ras(text, "s.ras").unwrap(), [(0.5, 3), (0.001, 7), (2.0, 0)]);
        assert!(parse_ras("", "s.ras").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        assert_parse_error("0.1 1\n0.2\n", 2, "expected `time neuron`, found `0.2`");
        assert_parse_error("0.1 1 2\n", 1, "expected `time neuron`");
        assert_parse_error("0.1 1\n\nnan 1\n", 3, "non-negative time in seconds, found `nan`");
        assert_parse_error("inf 1\n", 1, "finite");
        assert_parse_error("-0.5 1\n", 1, "found `-0.5`");
        assert_parse_error("abc 1\n", 1, "found `abc`");
        assert_parse_error("0.1 -1\n", 1, "expected a 0-based neuron index, found `-1`");
        assert_parse_error("0.1 1.5\n", 1, "found `1.5`");
        assert_parse_error("0.1 4294967296\n", 1, "neuron index");
    }
}
