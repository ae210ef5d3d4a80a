//! The compile-time file table: what a webroot build step (`petrel-webroot`)
//! emits and what the server serves static files from.
//!
//! Everything here is `'static` data built by `build.rs`: the server never
//! parses a file, computes an ETag or compresses a body at run time.
//!
//! ```
//! use petrel_httpd::fs::{StaticFile, StaticFs};
//!
//! static FILES: [StaticFile; 2] = [
//!     StaticFile::plain("/a.txt", "text/plain; charset=utf-8", "\"1\"", b"a"),
//!     StaticFile::plain("/b.txt", "text/plain; charset=utf-8", "\"2\"", b"b"),
//! ];
//! static FS: StaticFs = StaticFs::new(&FILES);
//! assert_eq!(FS.lookup("/b.txt").map(|f| f.body), Some(&b"b"[..]));
//! assert!(FS.lookup("/c.txt").is_none());
//! ```
//!
//! A flash-constrained build can store a compressible file only gzipped
//! ([`StaticFile::gzip_only`], made by the packer's `gzip_only` option or
//! by hand with [`StaticFile::gzipped`]); the server then answers clients
//! that refuse gzip with `406 Not Acceptable`.

/// One SSI tag inside an SSI file, found at build time.
///
/// `start..end` is the byte range of the whole tag (`<!--#name arg-->` or
/// `/*#name arg*/`) in [`StaticFile::body`]; the server sends the bytes
/// between tags and asks a handler for each tag's insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsiTag {
    /// Offset of the tag's first byte in the identity body.
    pub start: u32,
    /// Offset one past the tag's last byte.
    pub end: u32,
    /// The tag name (`name` in `<!--#name arg-->`).
    pub name: &'static str,
    /// The argument after the name, trimmed; empty when there is none.
    pub arg: &'static str,
}

/// One file of a compile-time webroot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticFile {
    /// The URL path, starting with `/` (`/index.html`, `/css/app.css`).
    pub path: &'static str,
    /// The `Content-Type` value (`text/html; charset=utf-8`).
    pub mime: &'static str,
    /// The strong entity tag, quoted (`"5f3a9c1d"`), from the file's content.
    pub etag: &'static str,
    /// `Last-Modified` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`);
    /// empty when unknown.
    pub last_modified: &'static str,
    /// The same time in seconds since the Unix epoch (0 when unknown), for
    /// comparing with `If-Modified-Since`.
    pub modified_unix: u64,
    /// Header lines common to every 200/206/304 response for this file,
    /// each ending in CRLF: `Content-Type`, `ETag`, `Last-Modified`,
    /// `Cache-Control`. The server adds status line, `Content-Length`,
    /// `Content-Encoding`, `Vary`, `Content-Range` and `Connection`.
    pub headers: &'static str,
    /// The file's bytes (identity encoding); empty when
    /// [`gzip_only`](StaticFile::gzip_only) is set.
    pub body: &'static [u8],
    /// The gzip-encoded body, present only when it is smaller than the
    /// identity body (never for SSI files, whose body is assembled at run
    /// time).
    pub gzip: Option<&'static [u8]>,
    /// Only the gzip body is stored (flash-constrained builds: the packer's
    /// `Options::gzip_only`): `gzip` is `Some`, `body` is empty. The server
    /// sends the gzip body with `Content-Encoding: gzip` to every client
    /// that accepts gzip or sends no `Accept-Encoding`, answers
    /// `406 Not Acceptable` to a client that excludes gzip (there is no
    /// identity copy to fall back on), and ignores `Range` (a full `200`,
    /// never a byte range of the gzip stream). Without a `gzip` body the
    /// flag is ignored and `body` is served as usual.
    pub gzip_only: bool,
    /// SSI tags in `body`, in order; empty for files that are not SSI.
    pub ssi: &'static [SsiTag],
}

impl StaticFile {
    /// A file with no gzip variant, no SSI tags, no modification time and
    /// only a `Content-Type`/`ETag` header block — for tests and hand-made
    /// tables. Build steps fill every field themselves.
    pub const fn plain(
        path: &'static str,
        mime: &'static str,
        etag: &'static str,
        body: &'static [u8],
    ) -> Self {
        StaticFile {
            path,
            mime,
            etag,
            last_modified: "",
            modified_unix: 0,
            headers: "",
            body,
            gzip: None,
            gzip_only: false,
            ssi: &[],
        }
    }

    /// A file stored only gzip-encoded (see [`StaticFile::gzip_only`]),
    /// otherwise like [`StaticFile::plain`]; `etag` should still name the
    /// content (the packer hashes the identity bytes).
    pub const fn gzipped(
        path: &'static str,
        mime: &'static str,
        etag: &'static str,
        gzip: &'static [u8],
    ) -> Self {
        StaticFile {
            body: &[],
            gzip: Some(gzip),
            gzip_only: true,
            ..StaticFile::plain(path, mime, etag, &[])
        }
    }

    /// Whether the file has SSI tags to expand.
    pub const fn is_ssi(&self) -> bool {
        !self.ssi.is_empty()
    }

    /// The gzip body when it is the only copy stored
    /// ([`StaticFile::gzip_only`] set and a gzip body present; never for an
    /// SSI file, whose identity body the server needs).
    pub const fn gzip_only_body(&self) -> Option<&'static [u8]> {
        match self.gzip {
            Some(gz) if self.gzip_only && !self.is_ssi() => Some(gz),
            _ => None,
        }
    }
}

/// A compile-time file table, sorted by [`StaticFile::path`] (byte order),
/// so lookups are a binary search rather than a scan of every name.
#[derive(Debug, Clone, Copy)]
pub struct StaticFs {
    files: &'static [StaticFile],
}

impl StaticFs {
    /// Wraps a table. The table must be sorted by path with no duplicates
    /// (build steps emit it that way; [`StaticFs::is_sorted`] checks it).
    pub const fn new(files: &'static [StaticFile]) -> Self {
        StaticFs { files }
    }

    /// The file at `path` (already percent-decoded, starting with `/`).
    pub fn lookup(&self, path: &str) -> Option<&'static StaticFile> {
        let files: &'static [StaticFile] = self.files;
        files
            .binary_search_by(|f| f.path.as_bytes().cmp(path.as_bytes()))
            .ok()
            .and_then(|i| files.get(i))
    }

    /// Every file, in path order.
    pub fn files(&self) -> &'static [StaticFile] {
        self.files
    }

    /// Whether the table is strictly sorted by path (what `lookup` needs).
    pub fn is_sorted(&self) -> bool {
        self.files
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.path.as_bytes() < b.path.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FILES: [StaticFile; 3] = [
        StaticFile::plain("/", "text/html", "\"0\"", b"root"),
        StaticFile::plain("/css/app.css", "text/css", "\"1\"", b"body{}"),
        StaticFile::plain("/index.html", "text/html", "\"2\"", b"<p>"),
    ];

    #[test]
    fn lookup_finds_each_file_and_nothing_else() {
        let fs = StaticFs::new(&FILES);
        assert!(fs.is_sorted());
        for f in &FILES {
            assert_eq!(fs.lookup(f.path), Some(f));
        }
        for missing in ["", "/css", "/css/app.cs", "/index.htm", "/zzz"] {
            assert!(fs.lookup(missing).is_none(), "{missing}");
        }
    }

    #[test]
    fn unsorted_table_is_detected() {
        static BAD: [StaticFile; 2] = [
            StaticFile::plain("/b", "text/plain", "\"1\"", b""),
            StaticFile::plain("/a", "text/plain", "\"2\"", b""),
        ];
        assert!(!StaticFs::new(&BAD).is_sorted());
    }
}
