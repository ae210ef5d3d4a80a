//! Petrel's webroot packer: lwIP's `makefsdata`, done at build time and
//! done right.
//!
//! Given a directory, [`pack`] walks it (sorted, so the output is
//! deterministic), analyses every file and writes a Rust source file that
//! holds a `static` table of [`petrel_httpd::fs::StaticFile`] sorted by URL
//! path plus a `pub static WEBROOT: StaticFs`. Per file it computes:
//!
//! - the URL path (`/css/app.css`) and the `Content-Type` ([`mime_for`]);
//! - a strong ETag: the first 64 bits of the SHA-256 of the content, in hex,
//!   quoted;
//! - `Last-Modified` from the file's mtime as an IMF-fixdate, or from
//!   `SOURCE_DATE_EPOCH` for every file when that is set (reproducible
//!   builds);
//! - the header block common to every 200/206/304 response:
//!   `Content-Type`, `ETag`, `Last-Modified` and `Cache-Control`;
//! - a gzip body (miniz_oxide, best compression) when it is smaller than the
//!   file, never for SSI files; with [`Options::gzip_only`] that body is
//!   then the only copy stored (see "Gzip-only packing" below);
//! - SSI tag offsets ([`find_tags`]) for files whose extension is in
//!   [`Options::ssi_extensions`].
//!
//! Bodies are not copied into the generated source: the identity body is an
//! `include_bytes!` of the original file (absolute path) and the gzip body
//! an `include_bytes!` of a `.gz` file written next to the output (only
//! rewritten when it changes), so rebuilds stay cheap.
//!
//! ## Cache policy
//!
//! - HTML pages (`.html .htm .shtml .shtm .ssi`): `Cache-Control: no-cache`
//!   — the browser revalidates on every use and gets a cheap `304` while
//!   the ETag matches, so a firmware update shows at once.
//! - SSI files that contain tags: `Cache-Control: no-store` and no `ETag`
//!   or `Last-Modified` header (their body changes on every request;
//!   [`StaticFile::modified_unix`](petrel_httpd::fs::StaticFile) is 0 and
//!   `last_modified` empty so a server does not answer `304` for them).
//! - Everything else (CSS, JS, images, fonts…):
//!   `Cache-Control: max-age=N` with N = [`Options::asset_max_age`]
//!   (300 s by default: short enough that an update shows within minutes,
//!   long enough that a dashboard session does not refetch its assets).
//!
//! ## Gzip-only packing
//!
//! For flash-constrained builds, [`Options::gzip_only`] (off by default;
//! `Options::default().with_gzip_only(true)`) stores a file whose gzip body
//! is smaller than the file *only* gzipped: the table's `body` is empty,
//! `gzip` holds the bytes and `gzip_only` is `true`. SSI files and files
//! gzip does not shrink keep their identity body as before. The ETag stays
//! the hash of the identity content (the same entity; the only
//! representation a client can get is the gzip one), `Last-Modified` and
//! the cache policy are unchanged.
//!
//! The server ([`petrel_httpd::static_file`]) then sends such a file
//! gzipped with `Content-Encoding: gzip` to clients that accept gzip or
//! send no `Accept-Encoding`, answers `406 Not Acceptable` to clients that
//! exclude gzip (`identity`, `gzip;q=0`, an empty value) since no identity
//! copy exists, and ignores `Range` for it (full `200`). Every browser
//! sends `Accept-Encoding: gzip`; `curl` needs `--compressed` to decode.
//!
//! ## Which files
//!
//! Every regular file under the directory, following symbolic links, except
//! names starting with `.` (`.gitkeep`, editor swap files) and names ending
//! in `~` (editor backups). Names must be UTF-8 without control characters
//! or backslashes; URL paths are limited to [`Options::max_path_len`] bytes.
//!
//! ## Use from a build script
//!
//! ```no_run
//! // build.rs (its `fn main`) of a crate that depends on petrel-httpd and
//! // has petrel-webroot-pack as a build-dependency:
//! if let Err(e) = petrel_webroot_pack::build_script("www") {
//!     eprintln!("error: {e}");
//!     std::process::exit(1);
//! }
//! // src/lib.rs:
//! // include!(concat!(env!("OUT_DIR"), "/webroot.rs"));
//! // ... then serve `WEBROOT`.
//! ```
//!
//! ## Use directly
//!
//! ```
//! # let tmp = std::env::temp_dir().join(format!("pack-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(tmp.join("www")).unwrap();
//! std::fs::write(tmp.join("www/index.html"), "<h1>hi</h1>").unwrap();
//! let files = petrel_webroot_pack::scan(&tmp.join("www"), &Default::default()).unwrap();
//! assert_eq!(files[0].url, "/index.html");
//! assert!(files[0].headers.starts_with("Content-Type: text/html; charset=utf-8\r\n"));
//! # std::fs::remove_dir_all(&tmp).unwrap();
//! ```
#![forbid(unsafe_code)]

mod emit;
mod error;
mod httpdate;
mod mime;
mod ssi;
mod strip;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub use emit::render;
pub use error::Error;
pub use httpdate::imf_fixdate;
pub use mime::{MIME_TABLE, mime_for};
pub use ssi::{Tag, find_tags};
pub use strip::strip_js;

/// The default set of extensions scanned for SSI tags.
pub const DEFAULT_SSI_EXTENSIONS: [&str; 5] = ["shtml", "shtm", "ssi", "xml", "json"];

/// How to pack. `Options::default()` is what `petrel-webroot` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// `Cache-Control: max-age` in seconds for files that are not pages.
    pub asset_max_age: u32,
    /// Extensions (without the dot, case-insensitive) whose files are
    /// scanned for SSI tags. A scanned file without tags is a plain file.
    pub ssi_extensions: Vec<String>,
    /// Whether to produce gzip bodies at all.
    pub gzip: bool,
    /// Store a file whose gzip body is smaller *only* gzipped, without its
    /// identity body (saves flash; clients that refuse gzip get `406`).
    /// Off by default; no effect when [`Options::gzip`] is off. Set it with
    /// [`Options::with_gzip_only`] (the struct is `#[non_exhaustive]`) or
    /// `opts.gzip_only = true` on a mutable value.
    pub gzip_only: bool,
    /// The longest URL path accepted, in bytes.
    pub max_path_len: usize,
    /// Seconds since 1970 used as every file's modification time instead
    /// of its mtime (see [`Options::from_env`]).
    pub source_date_epoch: Option<u64>,
    /// The name of the generated `pub static` (the file table is
    /// `<NAME>_FILES`).
    pub static_name: String,
    /// The path of the petrel-httpd crate in the generated code.
    pub httpd_crate: String,
    /// Store JavaScript (`.js`, `.mjs`) without indentation, blank lines
    /// and whole-line `//` comments ([`strip_js`]; on by default: the
    /// dashboard's script gzips 0.4 KB smaller).
    pub strip_js: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            asset_max_age: 300,
            ssi_extensions: DEFAULT_SSI_EXTENSIONS.map(String::from).to_vec(),
            gzip: true,
            gzip_only: false,
            max_path_len: 255,
            source_date_epoch: None,
            static_name: "WEBROOT".into(),
            httpd_crate: "::petrel_httpd".into(),
            strip_js: true,
        }
    }
}

impl Options {
    /// The defaults, with [`Options::source_date_epoch`] from the
    /// `SOURCE_DATE_EPOCH` environment variable when it is set.
    pub fn from_env() -> Result<Options, Error> {
        let mut o = Options::default();
        if let Some(v) = std::env::var_os("SOURCE_DATE_EPOCH") {
            o.source_date_epoch = Some(parse_source_date_epoch(&v.to_string_lossy())?);
        }
        Ok(o)
    }

    /// These options with [`Options::gzip_only`] set to `on`.
    ///
    /// ```
    /// let o = petrel_webroot_pack::Options::default().with_gzip_only(true);
    /// assert!(o.gzip_only && o.gzip);
    /// ```
    #[must_use]
    pub fn with_gzip_only(mut self, on: bool) -> Self {
        self.gzip_only = on;
        self
    }
}

/// Parses a `SOURCE_DATE_EPOCH` value (decimal seconds since 1970).
fn parse_source_date_epoch(v: &str) -> Result<u64, Error> {
    v.trim().parse().map_err(|_| Error::SourceDateEpoch {
        value: v.to_owned(),
    })
}

/// One analysed file, ready to be emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedFile {
    /// The URL path (`/css/app.css`).
    pub url: String,
    /// The source file, absolute.
    pub source: PathBuf,
    /// The `Content-Type`.
    pub mime: &'static str,
    /// The quoted strong ETag.
    pub etag: String,
    /// Modification time, seconds since 1970 (0 when unknown or SSI).
    pub modified_unix: u64,
    /// `modified_unix` as an IMF-fixdate ("" when unknown or SSI).
    pub last_modified: String,
    /// The precomputed header block, each line ending in CRLF.
    pub headers: String,
    /// The identity body's length.
    pub len: usize,
    /// The SHA-256 of the content, hex (names the `.gz` file).
    pub sha256: String,
    /// The gzip body, when it is smaller than the identity body.
    pub gzip: Option<Vec<u8>>,
    /// Only `gzip` is stored, not the identity body
    /// ([`Options::gzip_only`] and a gzip body exists).
    pub gzip_only: bool,
    /// SSI tags, empty when the file is not an SSI file.
    pub ssi: Vec<Tag>,
    /// The identity body when it differs from the source file's bytes
    /// ([`Options::strip_js`]); stored in the output directory.
    pub stripped: Option<Vec<u8>>,
}

impl PackedFile {
    /// The body bytes this file puts into the binary: the identity body
    /// (unless [`PackedFile::gzip_only`]) plus the gzip body.
    pub fn stored_len(&self) -> usize {
        let gz = self.gzip.as_ref().map_or(0, Vec::len);
        if self.gzip_only && gz > 0 {
            gz
        } else {
            self.len + gz
        }
    }
}

/// Walks `dir` and analyses every file; the result is sorted by URL path.
pub fn scan(dir: &Path, opts: &Options) -> Result<Vec<PackedFile>, Error> {
    scan_mounts(&[(dir, "/")], opts)
}

/// Like [`scan`] for several directories, each mounted at a URL prefix
/// (`"/"` or `"/static"`). Two files with the same URL path are an error.
pub fn scan_mounts(mounts: &[(&Path, &str)], opts: &Options) -> Result<Vec<PackedFile>, Error> {
    let mut found = Vec::new();
    for (dir, prefix) in mounts {
        if *prefix != "/" && (!prefix.starts_with('/') || prefix.ends_with('/')) {
            return Err(Error::BadPrefix {
                prefix: (*prefix).to_owned(),
            });
        }
        let root = root_dir(dir)?;
        let base = if *prefix == "/" { "" } else { prefix };
        walk(&root, base, 0, &mut found, &mut Vec::new())?;
    }
    found.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if let Some(w) = found.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::Duplicate {
            url: w[0].0.clone(),
            first: w[0].1.clone(),
            second: w[1].1.clone(),
        });
    }
    found
        .into_iter()
        .map(|(url, path)| analyse(url, path, opts))
        .collect()
}

fn root_dir(dir: &Path) -> Result<PathBuf, Error> {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::MissingDir {
            dir: dir.to_owned(),
        }),
        Err(source) => Err(Error::Io {
            op: "read",
            path: dir.to_owned(),
            source,
        }),
        Ok(m) if !m.is_dir() => Err(Error::NotADir {
            dir: dir.to_owned(),
        }),
        Ok(_) => std::fs::canonicalize(dir).map_err(|source| Error::Io {
            op: "resolve",
            path: dir.to_owned(),
            source,
        }),
    }
}

/// Collects `(url, file)` pairs under `dir`; `dirs` gathers every directory
/// seen (for `rerun-if-changed`).
fn walk(
    dir: &Path,
    url: &str,
    depth: usize,
    out: &mut Vec<(String, PathBuf)>,
    dirs: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    if depth > 32 {
        return Err(Error::TooDeep {
            dir: dir.to_owned(),
        });
    }
    dirs.push(dir.to_owned());
    let io = |source| Error::Io {
        op: "list",
        path: dir.to_owned(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Err(Error::NonUtf8Path { path });
        };
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if let Some(ch) = name.chars().find(|c| c.is_control() || *c == '\\') {
            return Err(Error::BadPath { path, ch });
        }
        let child = format!("{url}/{name}");
        let meta = std::fs::metadata(&path).map_err(|source| Error::Io {
            op: "read",
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(&path, &child, depth + 1, out, dirs)?;
        } else if meta.is_file() {
            out.push((child, path));
        }
    }
    Ok(())
}

fn analyse(url: String, source: PathBuf, opts: &Options) -> Result<PackedFile, Error> {
    if url.len() > opts.max_path_len {
        return Err(Error::PathTooLong {
            path: source,
            url,
            max: opts.max_path_len,
        });
    }
    let read = |source_err| Error::Io {
        op: "read",
        path: source.clone(),
        source: source_err,
    };
    let mut body = std::fs::read(&source).map_err(read)?;
    let ext = mime::extension(&url);
    let stripped = if opts.strip_js && ["js", "mjs"].iter().any(|e| e.eq_ignore_ascii_case(ext)) {
        strip_js(&body)
    } else {
        None
    };
    if let Some(s) = &stripped {
        body.clone_from(s);
    }
    if u32::try_from(body.len()).is_err() {
        return Err(Error::TooLarge { path: source });
    }
    let mtime = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .map_err(read)?;
    let mime = mime_for(&url);
    let digest = Sha256::digest(&body);
    let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{}\"", sha256.get(..16).unwrap_or(&sha256));

    let ssi = if opts
        .ssi_extensions
        .iter()
        .any(|e| e.eq_ignore_ascii_case(ext))
    {
        find_tags(&body)
    } else {
        Vec::new()
    };
    let (modified_unix, last_modified, headers, gzip);
    if ssi.is_empty() {
        modified_unix = opts.source_date_epoch.unwrap_or_else(|| {
            mtime
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
        last_modified = if modified_unix == 0 {
            String::new()
        } else {
            imf_fixdate(modified_unix)
        };
        let cache = if mime::is_page(&url) {
            "no-cache".to_owned()
        } else {
            format!("max-age={}", opts.asset_max_age)
        };
        let mut h = format!("Content-Type: {mime}\r\nETag: {etag}\r\n");
        if !last_modified.is_empty() {
            h.push_str(&format!("Last-Modified: {last_modified}\r\n"));
        }
        h.push_str(&format!("Cache-Control: {cache}\r\n"));
        headers = h;
        gzip = if opts.gzip {
            gzip_if_smaller(&body).map_err(read)?
        } else {
            None
        };
    } else {
        modified_unix = 0;
        last_modified = String::new();
        headers = format!("Content-Type: {mime}\r\nCache-Control: no-store\r\n");
        gzip = None;
    }
    let gzip_only = opts.gzip_only && gzip.is_some();
    Ok(PackedFile {
        url,
        source,
        mime,
        etag,
        modified_unix,
        last_modified,
        headers,
        len: body.len(),
        sha256,
        gzip,
        gzip_only,
        ssi,
        stripped,
    })
}

/// The gzip encoding of `body` (best compression, no name, mtime 0, so the
/// output is deterministic), when it is strictly smaller than `body`.
pub fn gzip_if_smaller(body: &[u8]) -> std::io::Result<Option<Vec<u8>>> {
    let mut enc = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
    enc.write_all(body)?;
    let gz = enc.finish()?;
    Ok((gz.len() < body.len()).then_some(gz))
}

/// What [`pack`] produced.
#[derive(Debug, Clone)]
pub struct Packed {
    /// The files, sorted by URL path.
    pub files: Vec<PackedFile>,
    /// The generated Rust source file.
    pub output: PathBuf,
    /// Every directory and file read (what a build script must watch).
    pub watched: Vec<PathBuf>,
}

/// Scans the mounts, writes the `.gz` bodies into `out_dir/webroot-gz/` and
/// the table into `out_dir/webroot.rs` (each only when its content changed).
pub fn pack(mounts: &[(&Path, &str)], out_dir: &Path, opts: &Options) -> Result<Packed, Error> {
    let files = scan_mounts(mounts, opts)?;
    let mut watched = Vec::new();
    for (dir, _) in mounts {
        let root = root_dir(dir)?;
        walk(&root, "", 0, &mut Vec::new(), &mut watched)?;
    }
    watched.extend(files.iter().map(|f| f.source.clone()));
    let source = render(&files, &out_dir.join("webroot-gz"), opts)?;
    let output = out_dir.join("webroot.rs");
    write_if_changed(&output, source.as_bytes())?;
    Ok(Packed {
        files,
        output,
        watched,
    })
}

/// For a Cargo build script: packs `dir` (relative to the crate's
/// manifest directory, or absolute) into `$OUT_DIR/webroot.rs` with
/// [`Options::from_env`], and prints the `cargo:rerun-if-changed` lines for
/// the directory tree and every file, so a changed, added or removed file
/// rebuilds the table. The crate then does
/// `include!(concat!(env!("OUT_DIR"), "/webroot.rs"));`.
pub fn build_script(dir: &str) -> Result<Packed, Error> {
    build_script_with(dir, &Options::from_env()?)
}

/// [`build_script`] with explicit options.
pub fn build_script_with(dir: &str, opts: &Options) -> Result<Packed, Error> {
    let env = |var| std::env::var_os(var).ok_or(Error::Env { var });
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let dir = manifest.join(dir);
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed={}", dir.display());
    let packed = pack(&[(&dir, "/")], &out_dir, opts)?;
    for p in &packed.watched {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    Ok(packed)
}

pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let io = |source| Error::Io {
        op: "write",
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}

#[cfg(test)]
mod tests;
