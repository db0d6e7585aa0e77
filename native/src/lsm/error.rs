//! LSM errors. Cloneable (I/O errors are flattened to their message) because a background
//! failure is remembered and returned to every later writer.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Io,
    Corruption,
    InvalidArgument,
    Closed,
    Locked,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn io(context: impl fmt::Display, e: std::io::Error) -> Error {
        Error { kind: ErrorKind::Io, message: format!("{context}: {e}") }
    }
    pub fn corruption(msg: impl Into<String>) -> Error {
        Error { kind: ErrorKind::Corruption, message: msg.into() }
    }
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error { kind: ErrorKind::InvalidArgument, message: msg.into() }
    }
    pub fn closed() -> Error {
        Error { kind: ErrorKind::Closed, message: "database is closed".into() }
    }
    pub fn locked(msg: impl Into<String>) -> Error {
        Error { kind: ErrorKind::Locked, message: msg.into() }
    }

    /// Stable code attached to the JS Error (`err.code`).
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::Io => "AIKV_IO",
            ErrorKind::Corruption => "AIKV_CORRUPTION",
            ErrorKind::InvalidArgument => "AIKV_INVALID_ARGUMENT",
            ErrorKind::Closed => "AIKV_CLOSED",
            ErrorKind::Locked => "AIKV_LOCKED",
        }
    }

    /// Same error with more context in front ("table 000012.sst: ...").
    pub fn context(self, ctx: impl fmt::Display) -> Error {
        Error { kind: self.kind, message: format!("{ctx}: {}", self.message) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            ErrorKind::Io => "IO error",
            ErrorKind::Corruption => "corruption",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Closed => "closed",
            ErrorKind::Locked => "locked",
        };
        write!(f, "{k}: {}", self.message)
    }
}

impl std::error::Error for Error {}
