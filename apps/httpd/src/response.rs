//! Response writing: status line and headers into a caller buffer, the
//! chunked encoder, and the small bodies of error responses.
//!
//! ```
//! use petrel_httpd::response::{HeadWriter, StatusCode};
//!
//! let mut buf = [0u8; 128];
//! let mut w = HeadWriter::new(&mut buf, StatusCode::NOT_FOUND);
//! w.header("Content-Length", "0");
//! let n = w.finish().unwrap();
//! assert_eq!(&buf[..n], b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
//! ```

use core::fmt::{self, Write};

/// An HTTP status code.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(pub u16);

macro_rules! codes {
    ($($name:ident = $code:literal, $reason:literal;)*) => {
        impl StatusCode {
            $(
                #[doc = concat!("`", stringify!($code), " ", $reason, "`")]
                pub const $name: StatusCode = StatusCode($code);
            )*
            /// The reason phrase (empty for codes this table does not know).
            pub fn reason(self) -> &'static str {
                // The codes in a table and the phrases in one string, one a
                // line in the same order: smaller than a `match` returning
                // a slice per arm.
                const CODES: &[u16] = &[$($code),*];
                const REASONS: &str = concat!($($reason, "\n"),*);
                let Some(mut i) = CODES.iter().position(|&c| c == self.0) else {
                    return "";
                };
                let mut start = 0;
                for (j, &b) in REASONS.as_bytes().iter().enumerate() {
                    if b == b'\n' {
                        if i == 0 {
                            return REASONS.get(start..j).unwrap_or("");
                        }
                        i -= 1;
                        start = j + 1;
                    }
                }
                ""
            }
        }
    };
}

codes! {
    CONTINUE = 100, "Continue";
    SWITCHING_PROTOCOLS = 101, "Switching Protocols";
    OK = 200, "OK";
    CREATED = 201, "Created";
    NO_CONTENT = 204, "No Content";
    PARTIAL_CONTENT = 206, "Partial Content";
    MOVED_PERMANENTLY = 301, "Moved Permanently";
    FOUND = 302, "Found";
    SEE_OTHER = 303, "See Other";
    NOT_MODIFIED = 304, "Not Modified";
    BAD_REQUEST = 400, "Bad Request";
    UNAUTHORIZED = 401, "Unauthorized";
    FORBIDDEN = 403, "Forbidden";
    NOT_FOUND = 404, "Not Found";
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed";
    NOT_ACCEPTABLE = 406, "Not Acceptable";
    REQUEST_TIMEOUT = 408, "Request Timeout";
    CONFLICT = 409, "Conflict";
    CONTENT_TOO_LARGE = 413, "Content Too Large";
    URI_TOO_LONG = 414, "URI Too Long";
    UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type";
    RANGE_NOT_SATISFIABLE = 416, "Range Not Satisfiable";
    UNPROCESSABLE_CONTENT = 422, "Unprocessable Content";
    HEADERS_TOO_LARGE = 431, "Request Header Fields Too Large";
    INTERNAL_SERVER_ERROR = 500, "Internal Server Error";
    NOT_IMPLEMENTED = 501, "Not Implemented";
    SERVICE_UNAVAILABLE = 503, "Service Unavailable";
}

impl StatusCode {
    /// Whether a response with this status never has a body (1xx, 204, 304).
    pub fn bodyless(self) -> bool {
        self.0 < 200 || self.0 == 204 || self.0 == 304
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.reason())
    }
}

pub use petrel_netcore::small::{Cursor, Overflow};

/// Appends `<code> <reason>` (`404 Not Found`) to `c`.
fn put_status(c: &mut Cursor<'_>, status: StatusCode) {
    c.decimal(u64::from(status.0));
    c.put(b" ");
    c.put(status.reason().as_bytes());
}

/// Writes a response head: status line, headers, blank line.
#[derive(Debug)]
pub struct HeadWriter<'a> {
    cur: Cursor<'a>,
}

impl<'a> HeadWriter<'a> {
    /// Starts a head with the status line. It always says `HTTP/1.1`, also
    /// to HTTP/1.0 clients: RFC 9110 §6.2 says "A server SHOULD send a
    /// response version equal to the highest version to which the server is
    /// conformant that has a major version less than or equal to the one
    /// received in the request" (and RFC 9112 §2.3 defines the
    /// HTTP-version). The client's version only changes the framing (no
    /// chunked encoding and no implicit keep-alive for HTTP/1.0), which the
    /// callers decide.
    pub fn new(buf: &'a mut [u8], status: StatusCode) -> Self {
        let mut cur = Cursor::new(buf);
        cur.put(b"HTTP/1.1 ");
        put_status(&mut cur, status);
        cur.put(b"\r\n");
        HeadWriter { cur }
    }
    /// Adds `name: value`.
    pub fn header(&mut self, name: &str, value: &str) -> &mut Self {
        self.cur.put(name.as_bytes());
        self.cur.put(b": ");
        self.cur.put(value.as_bytes());
        self.cur.put(b"\r\n");
        self
    }
    /// Adds `name: value` with the value written by `value` (numbers
    /// without `core::fmt`).
    ///
    /// ```
    /// use petrel_httpd::response::{HeadWriter, StatusCode};
    ///
    /// let mut buf = [0u8; 64];
    /// let mut w = HeadWriter::new(&mut buf, StatusCode::OK);
    /// w.header_with("Content-Length", |c| c.decimal(1024));
    /// let n = w.finish().unwrap();
    /// assert_eq!(&buf[..n], b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n");
    /// ```
    pub fn header_with(&mut self, name: &str, value: impl FnOnce(&mut Cursor<'a>)) -> &mut Self {
        self.cur.put(name.as_bytes());
        self.cur.put(b": ");
        value(&mut self.cur);
        self.cur.put(b"\r\n");
        self
    }
    /// Adds `name: <formatted value>`.
    pub fn header_fmt(&mut self, name: &str, value: fmt::Arguments<'_>) -> &mut Self {
        self.cur.put(name.as_bytes());
        self.cur.put(b": ");
        let _ = self.cur.write_fmt(value);
        self.cur.put(b"\r\n");
        self
    }
    /// Adds pre-formatted header lines, each ending in CRLF.
    pub fn raw(&mut self, lines: &[u8]) -> &mut Self {
        self.cur.put(lines);
        self
    }
    /// Ends the head; returns its length.
    pub fn finish(mut self) -> Result<usize, Overflow> {
        self.cur.put(b"\r\n");
        self.cur.finish()
    }
}

/// Formatted text goes into the head as is (end each line with CRLF).
///
/// ```
/// use core::fmt::Write;
/// use petrel_httpd::response::{HeadWriter, StatusCode};
///
/// let mut buf = [0u8; 64];
/// let mut w = HeadWriter::new(&mut buf, StatusCode::OK);
/// write!(w, "Retry-After: {}\r\n", 5).unwrap();
/// let n = w.finish().unwrap();
/// assert_eq!(&buf[..n], b"HTTP/1.1 200 OK\r\nRetry-After: 5\r\n\r\n");
/// ```
impl Write for HeadWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.cur.write_str(s)
    }
}

/// Writes the chunk-size line for a chunk of `len` bytes (`"1a2\r\n"`) into
/// `buf`; returns its length (at most 18 bytes).
pub fn chunk_header(len: usize, buf: &mut [u8]) -> Result<usize, Overflow> {
    let mut c = Cursor::new(buf);
    c.hex(len as u64, 1);
    c.put(b"\r\n");
    c.finish()
}

/// The last chunk and an empty trailer.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Writes a small complete error response (`text/plain` body with the
/// status line text, or `body` when given) into `buf`, with `extra` header
/// lines (each ending in CRLF) and `Connection: close` unless `keep_alive`.
pub fn error_response(
    buf: &mut [u8],
    status: StatusCode,
    extra: &[u8],
    keep_alive: bool,
) -> Result<usize, Overflow> {
    let mut body = [0u8; 48];
    let blen = status_body(status, &mut body);
    let mut w = HeadWriter::new(buf, status);
    w.header("Content-Type", "text/plain; charset=utf-8");
    w.header_with("Content-Length", |c| c.decimal(blen as u64));
    w.raw(extra);
    if !keep_alive {
        w.header("Connection", "close");
    }
    let n = w.finish()?;
    let mut c = Cursor::new(buf.get_mut(n..).unwrap_or(&mut []));
    c.put(body.get(..blen).unwrap_or(&[]));
    Ok(n + c.finish()?)
}

/// The body of the standard error response, `<code> <reason>\n`, written
/// into `buf` (48 bytes hold the longest reason); returns its length.
pub(crate) fn status_body(status: StatusCode, buf: &mut [u8; 48]) -> usize {
    let mut c = Cursor::new(buf);
    put_status(&mut c, status);
    c.put(b"\n");
    c.len()
}

/// Escapes text for HTML (`&<>"'`), writing into `out`.
pub fn write_html_escaped(out: &mut dyn Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '&' => out.write_str("&amp;")?,
            '<' => out.write_str("&lt;")?,
            '>' => out.write_str("&gt;")?,
            '"' => out.write_str("&quot;")?,
            '\'' => out.write_str("&#39;")?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert_eq!(StatusCode::CONTINUE.reason(), "Continue");
        assert_eq!(StatusCode::OK.reason(), "OK");
        assert_eq!(StatusCode::NOT_FOUND.reason(), "Not Found");
        assert_eq!(
            StatusCode::HEADERS_TOO_LARGE.reason(),
            "Request Header Fields Too Large"
        );
        assert_eq!(
            StatusCode::SERVICE_UNAVAILABLE.reason(),
            "Service Unavailable"
        );
        assert_eq!(StatusCode(299).reason(), "");
        assert_eq!(StatusCode(0).reason(), "");
    }

    #[test]
    fn error_page() {
        let mut b = [0u8; 256];
        let n = error_response(
            &mut b,
            StatusCode::METHOD_NOT_ALLOWED,
            b"Allow: GET, HEAD\r\n",
            false,
        )
        .unwrap();
        let s = core::str::from_utf8(&b[..n]).unwrap();
        assert!(s.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(s.contains("Allow: GET, HEAD\r\n"));
        assert!(s.contains("Connection: close\r\n"));
        assert!(s.ends_with("\r\n\r\n405 Method Not Allowed\n"));
        assert!(s.contains("Content-Length: 23\r\n"));
    }

    #[test]
    fn overflow_is_reported() {
        let mut b = [0u8; 10];
        assert_eq!(
            HeadWriter::new(&mut b, StatusCode::OK).finish(),
            Err(Overflow)
        );
        let mut b = [0u8; 4];
        assert_eq!(chunk_header(0x1a2, &mut b), Err(Overflow));
        let mut b = [0u8; 8];
        assert_eq!(chunk_header(0x1a2, &mut b), Ok(5));
        assert_eq!(&b[..5], b"1a2\r\n");
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        write_html_escaped(&mut s, "<a href=\"x\">&'").unwrap();
        assert_eq!(s, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
