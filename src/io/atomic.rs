//! Atomic file replacement: a failed or interrupted save never destroys the previous file.
//!
//! The content goes to a temporary file in the target's directory (same file system, so the
//! final `rename` is atomic), which is flushed and fsynced before it replaces the target.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Distinguishes temporary files of concurrent saves to the same target within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes a file atomically: `write` fills a buffered temporary file `.{name}.tmp.{pid}.{n}` next
/// to `path`, which is then flushed, fsynced and renamed over `path` (and the directory fsynced
/// on unix, so the rename itself survives a crash).
///
/// If `write` returns an error (or panics), or any step fails, the temporary file is removed and
/// `path` keeps its previous content. Errors name `path`, the file the user asked for. The new
/// file gets default permissions, not those of the file it replaces, and a symlink at `path` is
/// replaced rather than followed.
pub fn atomic_write(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::io(path, io::Error::new(io::ErrorKind::InvalidInput, "not a file name")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp.{}.{n}", std::process::id()));
    let mut temp = TempFile { path: dir.join(temp_name), keep: false };

    let file =
        OpenOptions::new().write(true).create(true).truncate(true).open(&temp.path).map_err(|e| Error::io(path, e))?;
    write_and_sync(file, write).map_err(|e| Error::io(path, e))?;
    fs::rename(&temp.path, path).map_err(|e| Error::io(path, e))?;
    temp.keep = true;
    sync_dir(dir);
    Ok(())
}

fn write_and_sync(file: File, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    let file = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    file.sync_all()
}

/// Best effort: some file systems refuse to fsync a directory, and the rename has already
/// happened, so a failure here is not worth reporting.
#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        // Best effort: some file systems cannot sync a directory; the rename itself is done.
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Removes the temporary file on every exit path (error or panic) until it has been renamed.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            // Cleaning up after a failed save: the error that matters is already returned.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh, empty directory under the system temp dir, removed on drop.
    pub(crate) struct TestDir(pub PathBuf);

    impl TestDir {
        pub(crate) fn new(tag: &str) -> Self {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("engram-io-{tag}-{}-{n}", std::process::id()));
            // A leftover of an earlier run, if any; usually there is none to remove.
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TestDir(dir)
        }

        pub(crate) fn entries(&self) -> Vec<String> {
            let mut names: Vec<String> =
                fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            names
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            // Cleanup of a test directory; a failure leaves a stray temp dir, nothing worse.
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn writes_new_file_and_replaces_old() {
        let dir = TestDir::new("atomic-ok");
        let path = dir.0.join("out.txt");
        atomic_write(&path, |w| w.write_all(b"first")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "first");
        atomic_write(&path, |w| w.write_all(b"second")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(dir.entries(), ["out.txt"]);
    }

    #[test]
    fn failed_write_keeps_previous_file_and_leaves_no_temp() {
        let dir = TestDir::new("atomic-fail");
        let path = dir.0.join("out.txt");
        fs::write(&path, "previous content").unwrap();
        let err = atomic_write(&path, |w| {
            // Larger than the BufWriter's buffer, so part of it really reaches the temp file.
            w.write_all(&vec![b'x'; 100_000])?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("disk on fire"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "previous content");
        assert_eq!(dir.entries(), ["out.txt"]);
    }

    #[test]
    fn panicking_writer_leaves_no_temp() {
        let dir = TestDir::new("atomic-panic");
        let path = dir.0.join("out.txt");
        fs::write(&path, "previous").unwrap();
        let result = std::panic::catch_unwind(|| {
            // The writer panics: there is no result to look at.
            let _ = atomic_write(&path, |w| {
                w.write_all(b"half")?;
                panic!("writer bug");
            });
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "previous");
        assert_eq!(dir.entries(), ["out.txt"]);
    }

    #[test]
    fn failed_rename_keeps_target_and_leaves_no_temp() {
        // The target is a non-empty directory: everything up to the rename succeeds.
        let dir = TestDir::new("atomic-rename");
        let path = dir.0.join("out.txt");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), "kept").unwrap();
        let err = atomic_write(&path, |w| w.write_all(b"new content")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(path.join("inside")).unwrap(), "kept");
        assert_eq!(dir.entries(), ["out.txt"]);
    }

    /// What the child processes of the tests below do: environment variable → action.
    const CHILD_ENV: &str = "ENGRAM_ATOMIC_TEST_CHILD";

    /// Runs this test binary again, only `child_process_writer`, with `CHILD_ENV` set to `arg`;
    /// `shell_prefix` (if any) runs first in `sh` (resource limits, signal dispositions).
    #[cfg(unix)]
    fn spawn_child(arg: &str, shell_prefix: Option<&str>) -> std::process::Child {
        use std::process::{Command, Stdio};
        let exe = std::env::current_exe().unwrap();
        let test_args = ["io::atomic::tests::child_process_writer", "--exact", "--nocapture", "--test-threads=1"];
        let mut cmd = if let Some(prefix) = shell_prefix {
            let mut c = Command::new("sh");
            c.arg("-c").arg(format!("{prefix}; exec \"$0\" \"$@\"")).arg(&exe).args(test_args);
            c
        } else {
            let mut c = Command::new(&exe);
            c.args(test_args);
            c
        };
        cmd.env(CHILD_ENV, arg).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
    }

    /// Not a test of its own: the body of the child processes. `CHILD_ENV` is `slow:<dir>`
    /// (write 1 MB, signal `<dir>/started`, then keep writing slowly until killed) or
    /// `big:<dir>` (write 4 MB at once and report the outcome in `<dir>/outcome`).
    #[test]
    fn child_process_writer() {
        let Ok(arg) = std::env::var(CHILD_ENV) else { return };
        let (mode, dir) = arg.split_once(':').unwrap();
        let dir = Path::new(dir);
        let path = dir.join("out.txt");
        match mode {
            "slow" => {
                // The parent test kills this process mid-write: the result is never reached.
                let _ = atomic_write(&path, |w| {
                    w.write_all(&vec![b'n'; 1 << 20])?;
                    w.flush()?;
                    fs::write(dir.join("started"), "")?;
                    for _ in 0..3000 {
                        w.write_all(&[b'n'; 4096])?;
                        w.flush()?;
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    Ok(())
                });
            }
            "big" => {
                let result = atomic_write(&path, |w| w.write_all(&vec![b'n'; 4 << 20]));
                let outcome = match result {
                    Ok(()) => "ok".to_string(),
                    Err(e) => format!("error: {e}"),
                };
                // The limit applies to this small file too, which is well below it.
                fs::write(dir.join("outcome"), outcome).unwrap();
            }
            _ => panic!("unknown child mode {mode}"),
        }
    }

    /// A process killed in the middle of a save (SIGKILL: no destructor runs) leaves the previous
    /// file intact. Its temporary file stays behind, hidden (`.out.txt.tmp.<pid>.<n>`) and
    /// harmless: the next save neither reads nor collides with it.
    #[cfg(unix)]
    #[test]
    fn process_killed_mid_save_keeps_previous_file() {
        let dir = TestDir::new("atomic-kill");
        let path = dir.0.join("out.txt");
        fs::write(&path, "previous content").unwrap();
        let mut child = spawn_child(&format!("slow:{}", dir.0.display()), None);
        let started = std::time::Instant::now();
        while !dir.0.join("started").exists() {
            assert!(started.elapsed().as_secs() < 60, "child never started writing");
            assert!(child.try_wait().unwrap().is_none(), "child exited early");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "previous content");
        let temp_prefix = format!(".out.txt.tmp.{}.", child.id());
        let leftovers: Vec<String> = dir.entries().into_iter().filter(|n| n != "out.txt" && n != "started").collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        assert!(leftovers[0].starts_with(&temp_prefix), "{leftovers:?}");
        assert!(fs::metadata(dir.0.join(&leftovers[0])).unwrap().len() >= 1 << 20);
        // The next save works and leaves the stale temporary file alone.
        atomic_write(&path, |w| w.write_all(b"next")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "next");
        assert_eq!(dir.entries().len(), 3);
    }

    /// A disk that fills up mid-save (a file-size limit makes `write` fail with EFBIG after
    /// about 1 MB) gives an error, keeps the previous file and removes the temporary file.
    #[cfg(unix)]
    #[test]
    fn disk_full_mid_save_keeps_previous_file() {
        let dir = TestDir::new("atomic-full");
        let path = dir.0.join("out.txt");
        fs::write(&path, "previous content").unwrap();
        // `ulimit -f` counts 512-byte blocks; SIGXFSZ ignored so that write returns the error.
        let mut child = spawn_child(&format!("big:{}", dir.0.display()), Some("trap '' XFSZ; ulimit -f 2048"));
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}");
        let outcome = fs::read_to_string(dir.0.join("outcome")).unwrap();
        assert!(outcome.starts_with("error: ") && outcome.contains("out.txt"), "{outcome}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "previous content");
        assert_eq!(dir.entries(), ["out.txt", "outcome"]);
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let dir = TestDir::new("atomic-nodir");
        let path = dir.0.join("no/such/dir/out.txt");
        let err = atomic_write(&path, |w| w.write_all(b"x")).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("out.txt"), "{err}");
    }
}
