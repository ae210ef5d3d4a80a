//! What to answer for a file of a [`StaticFs`]: index mapping, conditional
//! requests (304), ranges (206/416), gzip negotiation (406 for a file
//! stored only gzipped when the client refuses gzip), and the response
//! head.
//!
//! A file with an identity copy is sent identity unless the client's
//! `Accept-Encoding` accepts gzip; ranges are cut from the identity body.
//! A file stored only gzipped ([`StaticFile::gzip_only`]) is sent gzipped
//! with `Content-Encoding: gzip` unless `Accept-Encoding` excludes gzip
//! (`406`; a request without the field accepts any coding, RFC 9110
//! §12.5.3), and `Range` is ignored for it (a full `200`, RFC 9110 §14.2):
//! a byte range of the gzip stream is not a range of the file.
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
    /// 200, 206, 304, 406 or 416.
    pub status: StatusCode,
    /// The bytes to send (empty for 304/416, [`NOT_ACCEPTABLE_BODY`] for
    /// 406); for 206 the range.
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

/// The body of the `406 Not Acceptable` for a file stored only gzipped
/// whose client refuses gzip.
pub const NOT_ACCEPTABLE_BODY: &[u8] = b"406 Not Acceptable: stored gzip-encoded only\n";

/// Whether an `If-None-Match` list matches `etag` (weak comparison).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    fn strip(t: &str) -> &str {
        let t = t.trim_ascii();
        t.strip_prefix("W/").unwrap_or(t)
    }
    let etag = strip(etag);
    list.split(',').any(|t| {
        let t = t.trim_ascii();
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
    let Some(spec) = value.trim_ascii().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((a, b)) = spec.trim_ascii().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let num = |s: &str| -> Option<u64> {
        petrel_netcore::small::decimal(s.as_bytes()).filter(|_| s.len() <= 19)
    };
    match (a.trim_ascii(), b.trim_ascii()) {
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
    // Stored only gzipped: the one representation there is, or 406 (before
    // the preconditions: RFC 9110 §13.2.1 applies them to 2xx answers only).
    let gzip_only = file.gzip_only_body();
    if let Some(gz) = gzip_only {
        if !req.gzip_acceptable() {
            p.status = StatusCode::NOT_ACCEPTABLE;
            p.body = NOT_ACCEPTABLE_BODY;
            return p;
        }
        p.body = gz;
        p.gzip = true;
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
        p.gzip = false;
        return p;
    }
    if gzip_only.is_some() {
        // No identity bytes to take a range of: the full 200.
        return p;
    }
    let range_ok = req
        .header("if-range")
        .is_none_or(|v| v.trim_ascii() == file.etag || v.trim_ascii() == file.last_modified);
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
    if plan.status == StatusCode::NOT_ACCEPTABLE {
        // Not the file: none of its validators or cache policy.
        w.header("Content-Type", "text/plain; charset=utf-8");
        w.header("Vary", "Accept-Encoding");
        w.header_with("Content-Length", |c| c.decimal(plan.body.len() as u64));
    } else if plan.ssi {
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
        if file.gzip_only_body().is_none() {
            w.header("Accept-Ranges", "bytes");
        }
        if plan.vary {
            w.header("Vary", "Accept-Encoding");
        }
        if plan.gzip {
            w.header("Content-Encoding", "gzip");
        }
        if let Some((first, last, len)) = plan.range {
            w.header_with("Content-Range", |c| {
                c.put(b"bytes ");
                c.decimal(first);
                c.put(b"-");
                c.decimal(last);
                c.put(b"/");
                c.decimal(len);
            });
        }
        if let Some(len) = plan.unsatisfied_len {
            w.header_with("Content-Range", |c| {
                c.put(b"bytes */");
                c.decimal(len);
            });
        }
        if plan.status != StatusCode::NOT_MODIFIED {
            w.header_with("Content-Length", |c| c.decimal(plan.body.len() as u64));
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
    static GZ_ONLY: &[u8] = b"\x1f\x8b-stored-alone";
    static FILES: [StaticFile; 3] = [
        StaticFile {
            path: "/app.js",
            mime: "text/javascript",
            etag: "\"abc\"",
            last_modified: "Tue, 25 Nov 2025 12:00:00 GMT",
            modified_unix: 1_764_072_000,
            headers: "Content-Type: text/javascript\r\nETag: \"abc\"\r\n",
            body: b"0123456789",
            gzip: Some(GZ),
            gzip_only: false,
            ssi: &[],
        },
        StaticFile::plain("/dir/index.html", "text/html", "\"d\"", b"dir"),
        StaticFile {
            last_modified: "Tue, 25 Nov 2025 12:00:00 GMT",
            modified_unix: 1_764_072_000,
            headers: "Content-Type: text/css\r\nETag: \"gz\"\r\nCache-Control: max-age=300\r\n",
            ..StaticFile::gzipped("/gz.css", "text/css", "\"gz\"", GZ_ONLY)
        },
    ];
    static FS: StaticFs = StaticFs::new(&FILES);

    fn go(extra: &str) -> Plan {
        let mut b = format!("GET /app.js HTTP/1.1\r\nHost: x\r\n{extra}\r\n").into_bytes();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        plan(&FILES[0], &h.view(&b))
    }

    fn go_gz(extra: &str) -> Plan {
        let mut b = format!("GET /gz.css HTTP/1.1\r\nHost: x\r\n{extra}\r\n").into_bytes();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        plan(&FILES[2], &h.view(&b))
    }

    fn head_of(file: &StaticFile, p: &Plan) -> String {
        let mut b = [0u8; 512];
        let n = write_head(&mut b, file, p, 1, true, "").unwrap();
        String::from_utf8(b[..n].to_vec()).unwrap()
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

    #[test]
    fn gzip_only_file_is_sent_gzipped_or_refused() {
        assert!(FILES[2].gzip_only_body().is_some() && FILES[0].gzip_only_body().is_none());
        // No Accept-Encoding: any coding is acceptable.
        for extra in [
            "",
            "Accept-Encoding: gzip\r\n",
            "Accept-Encoding: br, GZIP;q=0.5\r\n",
            "Accept-Encoding: *\r\n",
            "Accept-Encoding: identity\r\nAccept-Encoding: gzip\r\n",
        ] {
            let p = go_gz(extra);
            assert_eq!(
                (p.status, p.body, p.gzip, p.vary),
                (StatusCode::OK, GZ_ONLY, true, true),
                "{extra}"
            );
            let h = head_of(&FILES[2], &p);
            assert!(
                h.contains("Content-Encoding: gzip\r\n") && h.contains("Vary: Accept-Encoding\r\n"),
                "{h}"
            );
            assert!(
                h.contains(&format!("Content-Length: {}\r\n", GZ_ONLY.len())),
                "{h}"
            );
            assert!(
                h.contains("ETag: \"gz\"\r\n") && !h.contains("Accept-Ranges"),
                "{h}"
            );
        }
        for extra in [
            "Accept-Encoding: identity\r\n",
            "Accept-Encoding: gzip;q=0\r\n",
            "Accept-Encoding: \r\n",
            "Accept-Encoding: br, *;q=0\r\n",
            // 406 wins over the preconditions and the range.
            "Accept-Encoding: identity\r\nIf-None-Match: \"gz\"\r\n",
            "Accept-Encoding: identity\r\nRange: bytes=0-1\r\n",
        ] {
            let p = go_gz(extra);
            assert_eq!(
                (p.status, p.body, p.gzip),
                (StatusCode::NOT_ACCEPTABLE, NOT_ACCEPTABLE_BODY, false),
                "{extra}"
            );
            let h = head_of(&FILES[2], &p);
            assert!(
                h.starts_with(
                    "HTTP/1.1 406 Not Acceptable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                ),
                "{h}"
            );
            assert!(
                h.contains("Vary: Accept-Encoding\r\n")
                    && !h.contains("ETag")
                    && !h.contains("Content-Encoding"),
                "{h}"
            );
            assert!(
                h.contains(&format!(
                    "Content-Length: {}\r\n",
                    NOT_ACCEPTABLE_BODY.len()
                )),
                "{h}"
            );
        }
    }

    #[test]
    fn gzip_only_file_ignores_ranges_and_revalidates() {
        for r in ["bytes=2-4", "bytes=-3", "bytes=100-", "bytes=0-0"] {
            for ae in ["", "Accept-Encoding: gzip\r\n"] {
                let p = go_gz(&format!("{ae}Range: {r}\r\n"));
                assert_eq!(
                    (p.status, p.body, p.range, p.unsatisfied_len),
                    (StatusCode::OK, GZ_ONLY, None, None),
                    "{r}"
                );
                assert!(!head_of(&FILES[2], &p).contains("Content-Range"));
            }
        }
        let p = go_gz("Accept-Encoding: gzip\r\nIf-None-Match: \"gz\"\r\n");
        assert_eq!(
            (p.status, p.body, p.gzip, p.vary),
            (StatusCode::NOT_MODIFIED, &b""[..], false, true)
        );
        let h = head_of(&FILES[2], &p);
        assert!(
            h.starts_with("HTTP/1.1 304")
                && h.contains("ETag: \"gz\"\r\nCache-Control")
                && h.contains("Vary: Accept-Encoding\r\n"),
            "{h}"
        );
        assert!(
            !h.contains("Content-Length") && !h.contains("Content-Encoding"),
            "{h}"
        );
        assert_eq!(
            go_gz("If-Modified-Since: Tue, 25 Nov 2025 12:00:00 GMT\r\n").status,
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            go_gz("If-Modified-Since: Tue, 25 Nov 2025 11:00:00 GMT\r\n").status,
            StatusCode::OK
        );
        assert_eq!(go_gz("If-None-Match: \"other\"\r\n").body, GZ_ONLY);
    }

    #[test]
    fn gzip_only_flag_without_gzip_or_with_ssi_serves_the_body() {
        static ODD: [StaticFile; 2] = [
            StaticFile {
                gzip_only: true,
                ..StaticFile::plain("/a", "text/plain", "\"a\"", b"0123456789")
            },
            StaticFile {
                gzip_only: true,
                gzip: Some(GZ),
                ssi: &[crate::fs::SsiTag {
                    start: 0,
                    end: 1,
                    name: "x",
                    arg: "",
                }],
                ..StaticFile::plain("/b", "text/html", "", b"x")
            },
        ];
        let mut b =
            *b"GET /a HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\nRange: bytes=1-2\r\n\r\n";
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        let p = plan(&ODD[0], &h.view(&b));
        assert_eq!(
            (p.status, p.body),
            (StatusCode::PARTIAL_CONTENT, &b"12"[..])
        );
        assert!(ODD[1].gzip_only_body().is_none());
        assert!(plan(&ODD[1], &h.view(&b)).ssi);
    }
}
