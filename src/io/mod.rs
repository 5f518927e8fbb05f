//! File formats: presets (TOML), `.pat` pattern files, MatrixMarket matrices, `.ras` rasters,
//! network-state snapshots, rate tables.

pub mod atomic;
pub mod cache;
pub mod lesson;
pub mod mtx;
pub mod pat;
pub mod preset;
pub mod ras;
pub mod rates;
pub mod snapshot;
pub mod weights;

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// Reads a whole text file of at most `max_bytes` bytes. A longer file (or an endless one such
/// as `/dev/zero`) is refused after reading `max_bytes + 1` bytes, so memory stays bounded; a
/// file that is not UTF-8 is refused naming the line of the first bad byte. Errors name the file
/// as `path.display()`.
pub(crate) fn read_text(path: &Path, max_bytes: u64) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::parse(path.display(), 0, format!("expected a file of at most {max_bytes} bytes")));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        #[expect(clippy::naive_bytecount, reason = "once, on an error path: not worth a crate")]
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        Error::parse(path.display(), line, "expected UTF-8 text")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::atomic::tests::TestDir;

    #[test]
    fn read_text_bounds_size_and_names_the_line_of_bad_utf8() {
        let dir = TestDir::new("read-text");
        let path = dir.0.join("t.txt");
        std::fs::write(&path, "ab\ncd\n").unwrap();
        assert_eq!(read_text(&path, 6).unwrap(), "ab\ncd\n");
        let err = read_text(&path, 5).unwrap_err().to_string();
        assert_eq!(err, format!("{}: expected a file of at most 5 bytes", path.display()));
        std::fs::write(&path, b"ok\nok\n\xc3(\n").unwrap();
        let err = read_text(&path, 100).unwrap_err().to_string();
        assert_eq!(err, format!("{}:3: expected UTF-8 text", path.display()));
        let err = read_text(&dir.0.join("missing"), 100).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn endless_file_is_refused() {
        let err = read_text(Path::new("/dev/zero"), 1 << 16).unwrap_err().to_string();
        assert!(err.starts_with("/dev/zero: expected a file of at most"), "{err}");
    }
}
