//! What can go wrong while packing, each naming the file or setting at fault.

use std::fmt;
use std::path::PathBuf;

/// A packing failure. Every variant names the file, directory or setting
/// it is about, so a build log says what to fix.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The directory to pack does not exist.
    MissingDir {
        /// The directory that was expected.
        dir: PathBuf,
    },
    /// The path to pack exists but is not a directory.
    NotADir {
        /// The path given.
        dir: PathBuf,
    },
    /// Reading a file or directory (or writing an output) failed.
    Io {
        /// What was being done ("read", "list", "write").
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file or directory name is not UTF-8, so it cannot be a URL path.
    NonUtf8Path {
        /// The file.
        path: PathBuf,
    },
    /// A URL path is longer than [`crate::Options::max_path_len`].
    PathTooLong {
        /// The file.
        path: PathBuf,
        /// Its URL path.
        url: String,
        /// The limit.
        max: usize,
    },
    /// A file name has a character a URL path in the table cannot carry
    /// (a control character or a backslash).
    BadPath {
        /// The file.
        path: PathBuf,
        /// The offending character.
        ch: char,
    },
    /// Two files map to the same URL path (possible when several
    /// directories are mounted).
    Duplicate {
        /// The URL path.
        url: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A file is too large for the table's 32-bit SSI offsets (4 GiB).
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// Directories nest deeper than 32 levels (a symlink loop?).
    TooDeep {
        /// The directory where the walk stopped.
        dir: PathBuf,
    },
    /// A mount prefix is not `/` or `/name[/name…]` without a trailing `/`.
    BadPrefix {
        /// The prefix given.
        prefix: String,
    },
    /// `SOURCE_DATE_EPOCH` is set but is not a number of seconds.
    SourceDateEpoch {
        /// Its value.
        value: String,
    },
    /// An environment variable Cargo sets for build scripts is missing.
    Env {
        /// The variable.
        var: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingDir { dir } => write!(
                f,
                "webroot directory {} does not exist: create it and put the web \
                 files in it (for example index.html or index.shtml)",
                dir.display()
            ),
            Error::NotADir { dir } => {
                write!(f, "webroot {} is not a directory", dir.display())
            }
            Error::Io { op, path, source } => {
                write!(f, "cannot {op} {}: {source}", path.display())
            }
            Error::NonUtf8Path { path } => write!(
                f,
                "file name {} is not UTF-8: rename it (URL paths must be UTF-8)",
                path.display()
            ),
            Error::PathTooLong { path, url, max } => write!(
                f,
                "URL path of {} is {} bytes, more than the limit of {max}: {url}",
                path.display(),
                url.len()
            ),
            Error::BadPath { path, ch } => write!(
                f,
                "file name {} contains {ch:?}, which a URL path cannot carry: rename it",
                path.display()
            ),
            Error::Duplicate { url, first, second } => write!(
                f,
                "{} and {} both map to the URL path {url}",
                first.display(),
                second.display()
            ),
            Error::TooLarge { path } => {
                write!(f, "{} is larger than 4 GiB", path.display())
            }
            Error::TooDeep { dir } => write!(
                f,
                "directories nest more than 32 levels deep at {} (symlink loop?)",
                dir.display()
            ),
            Error::BadPrefix { prefix } => write!(
                f,
                "mount prefix {prefix:?} must be \"/\" or start with '/' and not end with '/'"
            ),
            Error::SourceDateEpoch { value } => write!(
                f,
                "SOURCE_DATE_EPOCH={value:?} is not a number of seconds since 1970"
            ),
            Error::Env { var } => write!(
                f,
                "environment variable {var} is not set (build_script must run from a \
                 Cargo build script)"
            ),
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
