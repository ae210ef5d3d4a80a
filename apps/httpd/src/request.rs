//! Request-head parsing: httparse plus everything a server must check.
//!
//! [`parse_head`] parses the bytes received so far. It returns `Ok(None)`
//! while the head is incomplete and within limits, a [`RequestHead`] once
//! it is complete, or a [`HeadError`] naming the status to answer with.
//! The head is decoded *in place*: the path is percent-decoded and the
//! query string turned into the [`Pairs`] layout inside
//! the caller's buffer, and [`RequestHead`] keeps only offsets (it is
//! `Copy` and small), so the buffer can be split between the head and body
//! bytes that follow it.
//!
//! ```
//! use petrel_httpd::request::{parse_head, HeadError};
//! use petrel_httpd::{Config, StatusCode};
//!
//! let cfg = Config::default();
//! let mut partial = *b"GET / HTTP/1.1\r\nHo";
//! assert!(parse_head(&mut partial, &cfg).unwrap().is_none());
//! let mut evil = *b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n";
//! let e = parse_head(&mut evil, &cfg).unwrap_err();
//! assert_eq!(e.status(), StatusCode::BAD_REQUEST);
//! ```

use core::fmt;

use crate::Config;
use crate::form::{self, Pairs};
use crate::response::StatusCode;

/// The most header lines [`parse_head`] can take (a stack array of this
/// many httparse slots is used while parsing).
pub const MAX_HEADERS: usize = 48;

/// The request methods this server knows. Others are answered with
/// `501 Not Implemented`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// PATCH
    Patch,
}

impl Method {
    /// Every known method, in `Allow` order.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Options,
        Method::Patch,
    ];

    /// Parses a method token (case-sensitive, as RFC 9110 says).
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "PATCH" => Method::Patch,
            _ => return None,
        })
    }

    /// The method token.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
        }
    }

    /// This method's bit in a [`MethodSet`].
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of methods (for routes and `Allow` headers), one bit each.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct MethodSet(pub u8);

impl MethodSet {
    /// No methods.
    pub const NONE: MethodSet = MethodSet(0);
    /// GET and HEAD (HEAD is answered like GET without the body).
    pub const GET: MethodSet = MethodSet(Method::Get.bit() | Method::Head.bit());
    /// POST only.
    pub const POST: MethodSet = MethodSet(Method::Post.bit());

    /// The set plus `m`.
    pub const fn with(self, m: Method) -> MethodSet {
        MethodSet(self.0 | m.bit())
    }
    /// Whether `m` is in the set.
    pub const fn contains(self, m: Method) -> bool {
        self.0 & m.bit() != 0
    }
    /// The union of two sets.
    pub const fn union(self, o: MethodSet) -> MethodSet {
        MethodSet(self.0 | o.0)
    }
    /// The methods in the set, in [`Method::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

/// How the request body is delimited.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Why a request head was refused; [`HeadError::status`] is the answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeadError {
    /// Malformed request (400); the text says which part.
    BadRequest(&'static str),
    /// The head is larger than [`Config::max_header_bytes`] or has more
    /// than [`Config::max_headers`] lines (431).
    HeadersTooLarge,
    /// The request target is longer than [`Config::max_uri`] (414).
    UriTooLong,
    /// A method or transfer coding this server does not implement (501).
    NotImplemented,
    /// A `Content-Length` over [`Config::max_body`] (413).
    BodyTooLarge,
}

impl HeadError {
    /// The status code to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            HeadError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HeadError::HeadersTooLarge => StatusCode::HEADERS_TOO_LARGE,
            HeadError::UriTooLong => StatusCode::URI_TOO_LONG,
            HeadError::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            HeadError::BodyTooLarge => StatusCode::CONTENT_TOO_LARGE,
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::BadRequest(why) => write!(f, "bad request: {why}"),
            HeadError::HeadersTooLarge => f.write_str("request head too large"),
            HeadError::UriTooLong => f.write_str("request target too long"),
            HeadError::NotImplemented => f.write_str("method or transfer coding not implemented"),
            HeadError::BodyTooLarge => f.write_str("request body too large"),
        }
    }
}

/// A byte range of the head buffer.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u16,
    len: u16,
}

impl Span {
    fn new(start: usize, len: usize) -> Span {
        // parse_head refuses heads longer than u16::MAX, so both fit.
        Span {
            start: u16::try_from(start).unwrap_or(u16::MAX),
            len: u16::try_from(len).unwrap_or(0),
        }
    }
    fn get(self, buf: &[u8]) -> &[u8] {
        let s = usize::from(self.start);
        buf.get(s..s + usize::from(self.len)).unwrap_or(&[])
    }
}

/// A parsed request head: offsets into the buffer it was parsed from plus
/// the facts the server acts on. Look at it through [`RequestHead::view`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// Length of the head in the buffer, including the blank line: the body
    /// (or the next pipelined request) starts here.
    pub len: usize,
    /// The method.
    pub method: Method,
    /// The HTTP minor version (`1` for HTTP/1.1, `0` for HTTP/1.0).
    pub minor_version: u8,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection stays open after the response (HTTP/1.1
    /// without `Connection: close`, HTTP/1.0 with `keep-alive`).
    pub keep_alive: bool,
    /// `Expect: 100-continue` was sent.
    pub expect_continue: bool,
    path: Span,
    query: Span,
    headers: Span,
}

/// The minimal `httparse` error → our error mapping.
fn map_httparse(e: httparse::Error) -> HeadError {
    match e {
        httparse::Error::TooManyHeaders => HeadError::HeadersTooLarge,
        httparse::Error::HeaderName => HeadError::BadRequest("header name"),
        httparse::Error::HeaderValue => HeadError::BadRequest("header value"),
        httparse::Error::NewLine => HeadError::BadRequest("line ending"),
        httparse::Error::Version => HeadError::BadRequest("HTTP version"),
        httparse::Error::Token => HeadError::BadRequest("request line"),
        httparse::Error::Status => HeadError::BadRequest("request line"),
    }
}

/// The length of the request target in an incomplete head, if the request
/// line is far enough along to tell (for 414 before the head completes).
fn target_len_so_far(buf: &[u8]) -> usize {
    // The bytes between the first and the second space of the first line.
    let mut spaces = 0;
    let mut len = 0;
    for &b in buf {
        match b {
            b'\n' => break,
            b' ' if spaces == 1 => break,
            b' ' => spaces = 1,
            _ => len += spaces,
        }
    }
    len
}

/// Whether comma-separated `list` contains `token` (case-insensitive).
pub fn has_token(list: &str, token: &str) -> bool {
    list.split(',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// Parses the request head at the start of `buf` (the bytes received so
/// far). See the module docs for the three outcomes.
///
/// On success the path and query bytes inside `buf` have been decoded in
/// place; parse each head only once.
pub fn parse_head(buf: &mut [u8], cfg: &Config) -> Result<Option<RequestHead>, HeadError> {
    let limit = cfg.max_header_bytes.min(usize::from(u16::MAX));
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let nslots = cfg.max_headers.clamp(1, MAX_HEADERS);
    let slots = slots.get_mut(..nslots).unwrap_or(&mut []);
    let mut req = httparse::Request::new(slots);
    let base = buf.as_ptr() as usize;
    let len = match req.parse(buf).map_err(map_httparse)? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => {
            if target_len_so_far(buf) > cfg.max_uri {
                return Err(HeadError::UriTooLong);
            }
            if buf.len() >= limit {
                return Err(HeadError::HeadersTooLarge);
            }
            return Ok(None);
        }
    };
    let method_s = req.method.unwrap_or("");
    let target = req.path.unwrap_or("");
    // A long target is 414 even when it also makes the head too large.
    if target.len() > cfg.max_uri {
        return Err(HeadError::UriTooLong);
    }
    if len > limit {
        return Err(HeadError::HeadersTooLarge);
    }
    let method = Method::parse(method_s).ok_or(HeadError::NotImplemented)?;
    let minor_version = req.version.unwrap_or(1);

    let mut framing = Framing::None;
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut hosts = 0u8;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut expect_continue = false;
    let mut first_header = None;
    for h in req.headers.iter() {
        if first_header.is_none() {
            first_header = Some(h.name.as_ptr() as usize - base);
        }
        let value =
            core::str::from_utf8(h.value).map_err(|_| HeadError::BadRequest("header value"))?;
        let name = h.name;
        if name.eq_ignore_ascii_case("host") {
            hosts = hosts.saturating_add(1);
        } else if name.eq_ignore_ascii_case("content-length") {
            let v = value.trim_ascii();
            let n = petrel_netcore::small::decimal(v.as_bytes())
                .filter(|_| v.len() <= 19)
                .ok_or(HeadError::BadRequest("Content-Length"))?;
            if content_length.is_some_and(|old| old != n) {
                return Err(HeadError::BadRequest("conflicting Content-Length"));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only `chunked` alone is implemented; anything else is 501.
            if value.trim_ascii().eq_ignore_ascii_case("chunked") && !chunked {
                chunked = true;
            } else {
                return Err(HeadError::NotImplemented);
            }
        } else if name.eq_ignore_ascii_case("connection") {
            conn_close |= has_token(value, "close");
            conn_keep_alive |= has_token(value, "keep-alive");
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue |= value.trim_ascii().eq_ignore_ascii_case("100-continue");
        }
    }
    if minor_version >= 1 && hosts != 1 {
        return Err(HeadError::BadRequest("Host header missing or repeated"));
    }
    if chunked {
        if content_length.is_some() {
            return Err(HeadError::BadRequest("both Content-Length and chunked"));
        }
        framing = Framing::Chunked;
    } else if let Some(n) = content_length {
        if n > cfg.max_body {
            return Err(HeadError::BodyTooLarge);
        }
        if n > 0 {
            framing = Framing::Length(n);
        }
    }
    let keep_alive = if minor_version >= 1 {
        !conn_close
    } else {
        conn_keep_alive && !conn_close
    };

    // Offsets of the target and the header block, then decode in place.
    let target_start = target.as_ptr() as usize - base;
    let target_len = target.len();
    let headers = match first_header {
        Some(s) => Span::new(s, len.saturating_sub(s)),
        None => Span::default(),
    };
    let (path, query) = decode_target(buf, target_start, target_len, method)?;
    Ok(Some(RequestHead {
        len,
        method,
        minor_version,
        framing,
        keep_alive,
        expect_continue,
        path,
        query,
        headers,
    }))
}

/// Splits the target into path and query, strips an absolute-form
/// `http://authority`, and decodes both in place.
fn decode_target(
    buf: &mut [u8],
    start: usize,
    len: usize,
    method: Method,
) -> Result<(Span, Span), HeadError> {
    let target = buf
        .get(start..start + len)
        .ok_or(HeadError::BadRequest("target"))?;
    let mut skip = 0;
    if target == b"*" {
        return if method == Method::Options {
            Ok((Span::new(start, 1), Span::default()))
        } else {
            Err(HeadError::BadRequest("`*` target"))
        };
    }
    // Absolute form: `http://` or `https://` (any case), then the authority.
    if target
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http"))
    {
        let s = 4 + usize::from(matches!(target.get(4), Some(b's' | b'S')));
        if target.get(s..s + 3) == Some(b"://") {
            let rest = target.get(s + 3..).unwrap_or(&[]);
            skip = s + 3 + rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        }
    }
    let start = start + skip;
    let len = len - skip;
    let target = buf
        .get(start..start + len)
        .ok_or(HeadError::BadRequest("target"))?;
    if target.first() != Some(&b'/') {
        return Err(HeadError::BadRequest("target must start with /"));
    }
    let qpos = target.iter().position(|&b| b == b'?');
    let (plen, qstart, qlen) = match qpos {
        Some(q) => (q, start + q + 1, len - q - 1),
        None => (len, start + len, 0),
    };
    let path = buf
        .get_mut(start..start + plen)
        .ok_or(HeadError::BadRequest("path"))?;
    let n = form::percent_decode_in_place(path, false)
        .map_err(|_| HeadError::BadRequest("path escape"))?;
    let decoded = path.get(..n).unwrap_or(&[]);
    if core::str::from_utf8(decoded).is_err() {
        return Err(HeadError::BadRequest("path is not UTF-8"));
    }
    // A `..` segment (between `/` or `\\`): `run` counts the dots a
    // segment has so far, 3 once it has anything else.
    let mut run = 0u8;
    for &b in decoded {
        match b {
            b'/' | b'\\' if run == 2 => break,
            b'/' | b'\\' => run = 0,
            b'.' if run < 2 => run += 1,
            _ => run = 3,
        }
    }
    if run == 2 {
        return Err(HeadError::BadRequest("`..` in path"));
    }
    let query = buf
        .get_mut(qstart..qstart + qlen)
        .ok_or(HeadError::BadRequest("query"))?;
    let qn =
        form::decode_form_in_place(query).map_err(|_| HeadError::BadRequest("query escape"))?;
    Ok((Span::new(start, n), Span::new(qstart, qn)))
}

impl RequestHead {
    /// A view of the request over the buffer it was parsed from.
    pub fn view<'a>(&'a self, buf: &'a [u8]) -> Request<'a> {
        Request { head: self, buf }
    }

    /// Whether the request carries a body.
    pub fn has_body(&self) -> bool {
        self.framing != Framing::None
    }
}

/// A parsed request: [`RequestHead`] plus the head bytes.
#[derive(Copy, Clone, Debug)]
pub struct Request<'a> {
    head: &'a RequestHead,
    buf: &'a [u8],
}

impl<'a> Request<'a> {
    /// The head's facts.
    pub fn head(&self) -> &'a RequestHead {
        self.head
    }
    /// The method.
    pub fn method(&self) -> Method {
        self.head.method
    }
    /// The percent-decoded path (`/a b` for `/a%20b`), without the query.
    pub fn path(&self) -> &'a str {
        core::str::from_utf8(self.head.path.get(self.buf)).unwrap_or("/")
    }
    /// The decoded query parameters.
    pub fn query(&self) -> Pairs<'a> {
        Pairs::new(self.head.query.get(self.buf))
    }
    /// The first query parameter named `name`.
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.query().get(name)
    }
    /// Every header as `(name, value)`, in order (values trimmed).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.fields().filter_map(|(n, v)| {
            Some((core::str::from_utf8(n).ok()?, core::str::from_utf8(v).ok()?))
        })
    }
    /// The header lines as raw `(name, value)` bytes, the value trimmed.
    /// Lookups compare names on these and check UTF-8 only on the value
    /// they return (validating every line for every lookup was a tenth of
    /// a keep-alive request's instructions on the Cortex-M4).
    fn fields(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + use<'a> {
        self.head
            .headers
            .get(self.buf)
            .split(|&b| b == b'\n')
            .filter_map(|line| {
                let colon = line.iter().position(|&b| b == b':')?;
                let (n, v) = line.split_at(colon);
                Some((n, v.get(1..)?.trim_ascii()))
            })
    }
    /// The values of the headers named `name` (case-insensitive) that are
    /// valid UTF-8.
    fn values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.fields()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .filter_map(|(_, v)| core::str::from_utf8(v).ok())
    }
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.values(name).next()
    }
    /// Whether the client accepts `gzip` (with q > 0, or via `*`).
    pub fn accepts_gzip(&self) -> bool {
        self.values("accept-encoding")
            .any(|v| accepts_coding(v, "gzip"))
    }
    /// Whether a gzip-coded response is acceptable at all: without any
    /// `Accept-Encoding` field the client has no preference (RFC 9110
    /// §12.5.3) and any coding is, otherwise as [`Request::accepts_gzip`]
    /// (an empty value, `identity` or `gzip;q=0` exclude it). What a file
    /// stored only gzipped is served by; files with an identity copy keep
    /// [`Request::accepts_gzip`], which is `false` without the field.
    pub fn gzip_acceptable(&self) -> bool {
        let mut fields = self.values("accept-encoding").peekable();
        fields.peek().is_none() || fields.any(|v| accepts_coding(v, "gzip"))
    }
}

/// Whether a quality value is zero (`0`, `0.0`, `0.000`).
fn q_is_zero(q: &str) -> bool {
    let q = q.trim_ascii();
    q.starts_with('0') && q.bytes().all(|b| b == b'0' || b == b'.')
}

/// Whether an `Accept-Encoding` value accepts `coding` with q > 0.
pub fn accepts_coding(value: &str, coding: &str) -> bool {
    let mut star = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim_ascii();
        let q_zero = parts.any(|p| {
            let p = p.trim_ascii();
            p.strip_prefix("q=")
                .or_else(|| p.strip_prefix("Q="))
                .is_some_and(q_is_zero)
        });
        if name.eq_ignore_ascii_case(coding) {
            return !q_zero;
        }
        if name == "*" {
            star = Some(!q_zero);
        }
    }
    star.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Option<RequestHead>, HeadError> {
        let mut b = s.to_vec();
        parse_head(&mut b, &Config::default())
    }

    #[test]
    fn curl_get() {
        // What curl 7.88 sends for `curl http://127.0.0.1:8080/x%41?a=b+c`.
        let mut b = b"GET /x%41?a=b+c HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\nNEXT".to_vec();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        assert_eq!(h.len, b.len() - 4);
        let r = h.view(&b);
        assert_eq!(r.path(), "/xA");
        assert_eq!(r.query_param("a"), Some("b c"));
        assert_eq!(r.header("user-agent"), Some("curl/7.88.1"));
        assert_eq!(r.headers().count(), 3);
        assert!(h.keep_alive);
        assert_eq!(h.framing, Framing::None);
    }

    #[test]
    fn versions_and_connection() {
        let h = parse(b"GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive);
        let h = parse(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(h.keep_alive);
        let h = parse(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: x, close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!h.keep_alive);
    }

    #[test]
    fn framing() {
        let h = parse(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.framing, Framing::Length(5));
        assert!(h.expect_continue);
        let h = parse(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Chunked);
    }

    #[test]
    fn hostile_heads() {
        use HeadError::*;
        let cases: &[(&[u8], StatusCode)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET / HTTP/9.9\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::NOT_IMPLEMENTED),
            (b"GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET /a/..\\b HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET /?a=%00 HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET a HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999\r\n\r\n", StatusCode::CONTENT_TOO_LARGE),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", StatusCode::NOT_IMPLEMENTED),
        ];
        for (bytes, want) in cases {
            let got = parse(bytes);
            assert_eq!(
                got.map_err(|e| e.status()).err(),
                Some(*want),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        let _ = BadRequest("");
    }

    #[test]
    fn limits() {
        let cfg = Config {
            max_uri: 10,
            max_header_bytes: 64,
            max_headers: 2,
            ..Config::default()
        };
        let mut b = b"GET /0123456789a".to_vec();
        assert_eq!(parse_head(&mut b, &cfg), Err(HeadError::UriTooLong));
        let mut b = b"GET /0123456789a HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        assert_eq!(parse_head(&mut b, &cfg), Err(HeadError::UriTooLong));
        let mut b = b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n".to_vec();
        assert_eq!(parse_head(&mut b, &cfg), Err(HeadError::HeadersTooLarge));
        let mut b = [b'a'; 64].to_vec();
        b[..16].copy_from_slice(b"GET / HTTP/1.1\r\n");
        b[16..19].copy_from_slice(b"X: ");
        assert_eq!(parse_head(&mut b, &cfg), Err(HeadError::HeadersTooLarge));
    }

    #[test]
    fn target_length_of_a_partial_head() {
        assert_eq!(target_len_so_far(b""), 0);
        assert_eq!(target_len_so_far(b"GET"), 0);
        assert_eq!(target_len_so_far(b"GET "), 0);
        assert_eq!(target_len_so_far(b"GET /abc"), 4);
        assert_eq!(target_len_so_far(b"GET /abc HTTP/1.1\r\nX: a b c"), 4);
        assert_eq!(target_len_so_far(b"GET /abc\r\nHost: a b"), 5);
        assert_eq!(target_len_so_far(b"GET\n /abc"), 0);
    }

    #[test]
    fn dot_dot_segments() {
        let cfg = Config::default();
        for (path, bad) in [
            ("/..", true),
            ("/a/..", true),
            ("/a/../b", true),
            ("/a%5C..%5Cb", true),
            ("/..%5C", true),
            ("/...", false),
            ("/..a", false),
            ("/a..", false),
            ("/.a./.", false),
            ("/a/b", false),
        ] {
            let mut b = format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").into_bytes();
            let r = parse_head(&mut b, &cfg);
            assert_eq!(
                r == Err(HeadError::BadRequest("`..` in path")),
                bad,
                "{path}: {r:?}"
            );
        }
    }

    #[test]
    fn absolute_form_and_options_star() {
        let mut b = b"GET http://host:1/p?q=1 HTTP/1.1\r\nHost: host:1\r\n\r\n".to_vec();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        assert_eq!(h.view(&b).path(), "/p");
        let mut b = b"GET HTTPS://host/q HTTP/1.1\r\nHost: host\r\n\r\n".to_vec();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        assert_eq!(h.view(&b).path(), "/q");
        let mut b = b"GET hTTp://host HTTP/1.1\r\nHost: host\r\n\r\n".to_vec();
        let e = parse_head(&mut b, &Config::default()).unwrap_err();
        assert_eq!(e, HeadError::BadRequest("target must start with /"));
        let mut b = b"GET httpx://host/q HTTP/1.1\r\nHost: host\r\n\r\n".to_vec();
        let e = parse_head(&mut b, &Config::default()).unwrap_err();
        assert_eq!(e, HeadError::BadRequest("target must start with /"));
        let mut b = b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
        assert_eq!(h.view(&b).path(), "*");
    }

    #[test]
    fn accept_encoding() {
        assert!(accepts_coding("gzip, deflate, br", "gzip"));
        assert!(accepts_coding("GZIP;q=0.5", "gzip"));
        assert!(!accepts_coding("gzip;q=0", "gzip"));
        assert!(!accepts_coding("gzip;q=0.000", "gzip"));
        assert!(!accepts_coding("identity", "gzip"));
        assert!(accepts_coding("*", "gzip"));
        assert!(!accepts_coding("*;q=0", "gzip"));
        assert!(!accepts_coding("br, *;q=0.1, gzip;q=0", "gzip"));
    }

    #[test]
    fn gzip_acceptable_without_the_field() {
        let check = |extra: &str| {
            let mut b = format!("GET / HTTP/1.1\r\nHost: a\r\n{extra}\r\n").into_bytes();
            let h = parse_head(&mut b, &Config::default()).unwrap().unwrap();
            let r = h.view(&b);
            (r.accepts_gzip(), r.gzip_acceptable())
        };
        // No field: no preference; `accepts_gzip` stays conservative.
        assert_eq!(check(""), (false, true));
        assert_eq!(check("Accept-Encoding: gzip\r\n"), (true, true));
        assert_eq!(check("Accept-Encoding: *\r\n"), (true, true));
        for no in ["identity", "gzip;q=0", "", "br", "*;q=0"] {
            assert_eq!(
                check(&format!("Accept-Encoding: {no}\r\n")),
                (false, false),
                "{no}"
            );
        }
        // Several fields are one list.
        assert_eq!(
            check("Accept-Encoding: identity\r\nAccept-Encoding: gzip\r\n"),
            (true, true)
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut b = b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n".to_vec();
            for _ in 0..3 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (seed >> 8) as usize % b.len();
                b[i] = (seed >> 20) as u8;
            }
            let _ = parse_head(&mut b, &Config::default());
        }
    }
}
