//! The library's one error type. Errors are created where they are detected (naming the file,
//! line or field) and handled once: by the CLI as a one-line message and a non-zero exit code,
//! by the GUI as a visible message.

use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong on behalf of a user: files, parameters, requests.
#[derive(Debug)]
pub enum Error {
    /// A file could not be opened, read or written.
    Io { path: PathBuf, source: std::io::Error },
    /// A file was read but its content is malformed. `line` is 1-based; 0 means "whole file".
    Parse { file: String, line: usize, msg: String },
    /// A parameter value is out of range or not finite. `field` is the dotted preset path.
    Param { field: String, msg: String },
    /// A request that makes no sense (unknown preset name, bad command-line combination).
    Invalid(String),
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), source }
    }

    pub fn parse(file: impl fmt::Display, line: usize, msg: impl Into<String>) -> Self {
        Error::Parse { file: file.to_string(), line, msg: msg.into() }
    }

    pub fn param(field: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Param { field: field.into(), msg: msg.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Parse { file, line: 0, msg } => write!(f, "{file}: {msg}"),
            Error::Parse { file, line, msg } => write!(f, "{file}:{line}: {msg}"),
            Error::Param { field, msg } => write!(f, "invalid parameter `{field}`: {msg}"),
            Error::Invalid(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
