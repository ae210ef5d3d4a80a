//! What to answer for a file of a [`StaticFs`]: index mapping, conditional
//! requests (304), ranges (206/416), gzip negotiation, and the response
//! head.
//!
//! ```
//! use petrel_httpd::fs::{StaticFile, StaticFs};
//! use petrel_httpd::request::parse_head;
//! use petrel_httpd::static_file::{plan, resolve};
//! use petrel_httpd::{Config, StatusCode};
//!
//! static FILES: [StaticFile; 1] =
//!     [StaticFile::plain("/index.html", "text/html", "\"1\"", b"<h1>hi</h1>")];
//! static FS: StaticFs = StaticFs::new(&FILES);
//! let mut b = *b"GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=4-5\r\n\r\n";
//! let head = parse_head(&mut b, &Config::default()).unwrap().unwrap();
//! let req = head.view(&b);
//! let file = resolve(&FS, req.path()).unwrap();
//! let p = plan(file, &req);
//! assert_eq!(p.status, StatusCode::PARTIAL_CONTENT);
//! assert_eq!(p.body, b"hi");
//! ```

use core::fmt::Write;

use crate::fs::{StaticFile, StaticFs};
use crate::request::Request;
use crate::response::{HeadWriter, Overflow, StatusCode};

/// The file for a decoded request path: the exact file, or for a path
/// ending in `/` its `index.shtml`, then `index.html`.
pub fn resolve(fs: &StaticFs, path: &str) -> Option<&'static StaticFile> {
    if path.ends_with('/') {
        let mut buf = [0u8; 256];
        for index in ["index.shtml", "index.html"] {
            let mut c = crate::response::Cursor::new(&mut buf);
            c.put(path.as_bytes());
            c.put(index.as_bytes());
            let Ok(n) = c.finish() else { return None };
            let name = buf.get(..n).and_then(|b| core::str::from_utf8(b).ok())?;
            if let Some(f) = fs.lookup(name) {
                return Some(f);
            }
        }
        None
    } else {
        fs.lookup(path)
    }
}

/// The decided response for a static file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// 200, 206, 304 or 416.
    pub status: StatusCode,
    /// The bytes to send (empty for 304/416); for 206 the range.
    pub body: &'static [u8],
    /// Whether `body` is the gzip variant (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// Whether a gzip variant exists (`Vary: Accept-Encoding`).
    pub vary: bool,
    /// For 206: first and last byte and the full length.
    pub range: Option<(u64, u64, u64)>,
    /// For 416: the full length (`Content-Range: bytes */len`).
    pub unsatisfied_len: Option<u64>,
    /// The body is SSI: sent by the SSI expander, chunked.
    pub ssi: bool,
}

/// Whether an `If-None-Match` list matches `etag` (weak comparison).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    fn strip(t: &str) -> &str {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t)
    }
    let etag = strip(etag);
    list.split(',').any(|t| {
        let t = t.trim();
        t == "*" || strip(t) == etag
    })
}

/// A parsed single byte range against a length `len`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// No usable `Range` (absent, several ranges, or malformed): send all.
    Ignore,
    /// Bytes `first..=last`.
    Satisfiable(u64, u64),
    /// No byte of the range exists: 416.
    Unsatisfiable,
}

/// Parses a `Range` header value (one range of `bytes` only).
pub fn parse_range(value: &str, len: u64) -> RangeSpec {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (a.trim(), b.trim()) {
        ("", suffix) => match num(suffix) {
            Some(0) => RangeSpec::Unsatisfiable,
            Some(n) if len == 0 => {
                let _ = n;
                RangeSpec::Unsatisfiable
            }
            Some(n) => RangeSpec::Satisfiable(len.saturating_sub(n), len - 1),
            None => RangeSpec::Ignore,
        },
        (first, "") => match num(first) {
            Some(f) if f < len => RangeSpec::Satisfiable(f, len - 1),
            Some(_) => RangeSpec::Unsatisfiable,
            None => RangeSpec::Ignore,
        },
        (first, last) => match (num(first), num(last)) {
            (Some(f), Some(l)) if f > l => RangeSpec::Ignore,
            (Some(f), Some(_)) if f >= len => RangeSpec::Unsatisfiable,
            (Some(f), Some(l)) => RangeSpec::Satisfiable(f, l.min(len - 1)),
            _ => RangeSpec::Ignore,
        },
    }
}

/// Decides the response for `file` (GET or HEAD).
pub fn plan(file: &'static StaticFile, req: &Request<'_>) -> Plan {
    let mut p = Plan {
        status: StatusCode::OK,
        body: file.body,
        gzip: false,
        vary: file.gzip.is_some(),
        range: None,
        unsatisfied_len: None,
        ssi: file.is_ssi(),
    };
    if p.ssi {
        return p;
    }
    // Conditional GET: If-None-Match wins over If-Modified-Since.
    let not_modified = match req.header("if-none-match") {
        Some(list) => etag_matches(list, file.etag),
        None => req
            .header("if-modified-since")
            .and_then(crate::date::parse_imf)
            .is_some_and(|since| file.modified_unix != 0 && file.modified_unix <= since),
    };
    if not_modified {
        p.status = StatusCode::NOT_MODIFIED;
        p.body = &[];
        return p;
    }
    let range_ok = req
        .header("if-range")
        .is_none_or(|v| v.trim() == file.etag || v.trim() == file.last_modified);
    if let Some(r) = req.header("range").filter(|_| range_ok) {
        let len = file.body.len() as u64;
        match parse_range(r, len) {
            RangeSpec::Ignore => {}
            RangeSpec::Unsatisfiable => {
                p.status = StatusCode::RANGE_NOT_SATISFIABLE;
                p.body = &[];
                p.unsatisfied_len = Some(len);
                return p;
            }
            // Ranges are served from the identity body.
            RangeSpec::Satisfiable(first, last) => {
                p.status = StatusCode::PARTIAL_CONTENT;
                p.body = file.body.get(first as usize..=last as usize).unwrap_or(&[]);
                p.range = Some((first, last, len));
                return p;
            }
        }
    }
    if let Some(gz) = file.gzip
        && req.accepts_gzip()
    {
        p.body = gz;
        p.gzip = true;
    }
    p
}

/// Writes the response head for `plan` into `buf`. `chunked` selects
/// `Transfer-Encoding: chunked` for SSI bodies (HTTP/1.1; HTTP/1.0 gets a
/// close-delimited body instead). `date` is an IMF-fixdate or empty.
pub fn write_head(
    buf: &mut [u8],
    file: &StaticFile,
    plan: &Plan,
    minor_version: u8,
    keep_alive: bool,
    date: &str,
) -> Result<usize, Overflow> {
    let mut w = HeadWriter::new(buf, plan.status);
    if !date.is_empty() {
        w.header("Date", date);
    }
    if plan.ssi {
        w.header("Content-Type", file.mime);
        w.header("Cache-Control", "no-cache");
        if minor_version >= 1 {
            w.header("Transfer-Encoding", "chunked");
        }
    } else {
        if file.headers.is_empty() {
            w.header("Content-Type", file.mime);
            if !file.etag.is_empty() {
                w.header("ETag", file.etag);
            }
            if !file.last_modified.is_empty() {
                w.header("Last-Modified", file.last_modified);
            }
        } else {
            w.raw(file.headers.as_bytes());
        }
        w.header("Accept-Ranges", "bytes");
        if plan.vary {
            w.header("Vary", "Accept-Encoding");
        }
        if plan.gzip {
            w.header("Content-Encoding", "gzip");
        }
        if let Some((first, last, len)) = plan.range {
            w.header_fmt("Content-Range", format_args!("bytes {first}-{last}/{len}"));
        }
        if let Some(len) = plan.unsatisfied_len {
            w.header_fmt("Content-Range", format_args!("bytes */{len}"));
        }
        if plan.status != StatusCode::NOT_MODIFIED {
            w.header_fmt("Content-Length", format_args!("{}", plan.body.len()));
        }
    }
    if !keep_alive {
        w.header("Connection", "close");
    } else if minor_version == 0 {
        w.header("Connection", "keep-alive");
    }
    w.finish()
}

/// Formats `Allow`-style method lists (`GET, HEAD`).
pub fn write_allow(out: &mut dyn Write, set: crate::request::MethodSet) -> core::fmt::Result {
    for (i, m) in set.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        out.write_str(m.as_str())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use crate::request::parse_head;

    static GZ: &[u8] = b"\x1f\x8b-fake";
    static FILES: [StaticFile; 2] = [
        StaticFile {
            path: "/app.js",
            mime: "text/javascript",
            etag: "\"abc\"",
            last_modified: "Tue, 25 Nov 2025 12:00:00 GMT",
            modified_unix: 1_764_072_000,
            headers: "Content-Type: text/javascript\r\nETag: \"abc\"\r\n",
            body: b"0123456789",
            gzip: Some(GZ),
            ssi: &[],
        },
        StaticFile::plain("/dir/index.html", "text/html", "\"d\"", b"dir"),
    ];
    static FS: StaticFs = StaticFs::new(&FILES);

    fn go(extra: &str) -> Plan {
        let mut b = format!("GET /app.js HTTP/1.1\r\nHost: x\r\n{extra}\r\n").into_bytes();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        plan(&FILES[0], &h.view(&b))
    }

    #[test]
    fn index_mapping() {
        assert_eq!(resolve(&FS, "/dir/").map(|f| f.body), Some(&b"dir"[..]));
        assert!(resolve(&FS, "/").is_none());
        assert!(resolve(&FS, "/dir").is_none());
    }

    #[test]
    fn conditional_and_encoding() {
        assert_eq!(go("").status, StatusCode::OK);
        assert!(!go("").gzip && go("").vary);
        assert!(go("Accept-Encoding: gzip\r\n").gzip);
        assert!(!go("Accept-Encoding: gzip;q=0\r\n").gzip);
        assert_eq!(
            go("If-None-Match: \"x\", W/\"abc\"\r\n").status,
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(go("If-None-Match: \"x\"\r\n").status, StatusCode::OK);
        assert_eq!(
            go("If-Modified-Since: Tue, 25 Nov 2025 12:00:00 GMT\r\n").status,
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            go("If-Modified-Since: Tue, 25 Nov 2025 11:59:59 GMT\r\n").status,
            StatusCode::OK
        );
        assert_eq!(go("If-Modified-Since: garbage\r\n").status, StatusCode::OK);
    }

    #[test]
    fn ranges() {
        let p = go("Range: bytes=2-4\r\n");
        assert_eq!(
            (p.status, p.body, p.range),
            (StatusCode::PARTIAL_CONTENT, &b"234"[..], Some((2, 4, 10)))
        );
        assert_eq!(go("Range: bytes=-3\r\n").body, b"789");
        assert_eq!(go("Range: bytes=8-\r\n").body, b"89");
        assert_eq!(go("Range: bytes=8-100\r\n").body, b"89");
        assert_eq!(
            go("Range: bytes=10-\r\n").status,
            StatusCode::RANGE_NOT_SATISFIABLE
        );
        assert_eq!(
            go("Range: bytes=-0\r\n").status,
            StatusCode::RANGE_NOT_SATISFIABLE
        );
        assert_eq!(go("Range: bytes=0-1,3-4\r\n").status, StatusCode::OK);
        assert_eq!(go("Range: bytes=5-2\r\n").status, StatusCode::OK);
        assert_eq!(go("Range: items=1-2\r\n").status, StatusCode::OK);
        assert_eq!(
            go("Range: bytes=1-2\r\nIf-Range: \"old\"\r\n").status,
            StatusCode::OK
        );
    }

    #[test]
    fn head_block() {
        let p = go("Range: bytes=2-4\r\n");
        let mut b = [0u8; 512];
        let n = write_head(&mut b, &FILES[0], &p, 1, true, "").unwrap();
        let s = core::str::from_utf8(&b[..n]).unwrap();
        assert!(s.starts_with("HTTP/1.1 206 Partial Content\r\nContent-Type: text/javascript\r\n"));
        assert!(s.contains("Content-Range: bytes 2-4/10\r\nContent-Length: 3\r\n"));
        assert!(s.contains("Vary: Accept-Encoding\r\n"));
    }
}
