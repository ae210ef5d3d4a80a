//! # petrel-httpd — Petrel's HTTP/1.1 server
//!
//! A sans-IO HTTP/1.1 core on [httparse] with no heap and caller-provided
//! buffers, plus a thin async driver (feature `driver`) over `petrel-altcp`
//! streams, so plain HTTP and HTTPS share every line of code.
//!
//! The core (always built, `no_std`, no allocation, no clock reads):
//! - [`request`]: request-head parsing with limits ([`Config`]),
//!   percent-decoding, method and framing checks, and the header values a
//!   server acts on (keep-alive, `Expect`, conditional and range headers);
//! - [`response`]: status line and header writers into a buffer, the
//!   chunked encoder, small error bodies;
//! - [`chunked`]: a streaming chunked-body decoder;
//! - [`fs`]: the compile-time file table ([`fs::StaticFs`]) and
//!   [`static_file`]: what to answer for it (200/206/304/416, gzip
//!   negotiation, index mapping);
//! - [`ssi`]: the resumable SSI insert trait;
//! - [`router`]: a no-heap router (method + path pattern with `{param}`
//!   segments, Basic auth per route);
//! - [`form`]: `application/x-www-form-urlencoded` decoding in place;
//!   [`multipart`]: a streaming `multipart/form-data` parser;
//! - [`ws`]: the WebSocket handshake and frame codec; [`sse`]: Server-Sent
//!   Events framing; [`date`]: IMF-fixdate formatting and parsing.
//!
//! The driver (`driver` feature, module `driver`) serves `N` connections
//! from one future without spawning: keep-alive, pipelining,
//! `Expect: 100-continue`, timeouts (idle, request head → 408), a
//! connection limit (extra clients get 503), static files with SSI, and
//! routes handled by the application's `driver::Handler` (feature `driver`).
//!
//! ```
//! use petrel_httpd::request::{parse_head, Method};
//! use petrel_httpd::Config;
//!
//! let mut buf = *b"GET /a%20b?x=1 HTTP/1.1\r\nHost: d\r\n\r\n";
//! let head = parse_head(&mut buf, &Config::default()).unwrap().unwrap();
//! let req = head.view(&buf);
//! assert_eq!(req.method(), Method::Get);
//! assert_eq!(req.path(), "/a b");
//! assert_eq!(req.query_param("x"), Some("1"));
//! assert!(head.keep_alive);
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

pub mod base64;
pub mod chunked;
pub mod date;
pub mod form;
pub mod fs;
pub mod multipart;
pub mod request;
pub mod response;
pub mod router;
pub mod sse;
pub mod ssi;
pub mod static_file;
pub mod ws;

#[cfg(feature = "driver")]
pub mod driver;

use petrel_netcore::time::Duration;

pub use request::Method;

pub use response::StatusCode;
/// Re-exported for JSON responses: `serde_json_core::to_slice(&value, buf)`.
pub use serde_json_core;

/// Server limits and timeouts. Every limit is enforced with a clean error
/// response (the status code is named on each field).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest request head (request line + headers) in bytes; more is
    /// `431 Request Header Fields Too Large`. Also bounded by the
    /// connection's receive buffer. Default 4096.
    pub max_header_bytes: usize,
    /// Most header lines in a request; more is 431. At most
    /// [`request::MAX_HEADERS`]. Default 32.
    pub max_headers: usize,
    /// Longest request target (path + query); longer is
    /// `414 URI Too Long`. Default 1024.
    pub max_uri: usize,
    /// Largest request body; more is `413 Content Too Large`. Default 1 MiB
    /// plus room for multipart framing (1 MiB + 64 KiB).
    pub max_body: u64,
    /// How long a connection may sit without a request before it is closed
    /// (no response). Default 30 s.
    pub idle_timeout: Duration,
    /// How long a client has, from its first byte, to send a whole request
    /// head; then `408 Request Timeout` and close. Default 10 s.
    pub request_timeout: Duration,
    /// Connections served at once (at most the driver's `N`); more get
    /// `503 Service Unavailable` and are closed. Default 8.
    pub max_connections: usize,
    /// Request bodies left unread by a handler are discarded up to this many
    /// bytes to keep the connection; a longer remainder closes it.
    /// Default 64 KiB.
    pub max_drain: u64,
    /// Bytes of each connection's memory that build responses (heads,
    /// small bodies, chunks gathered before a write); the rest receives
    /// (request heads and body bytes). `None`: half of it. Default `None`.
    pub tx_buffer: Option<usize>,
}

impl Config {
    /// Bytes of a connection's memory of `mem_len` bytes that receive: all
    /// but [`tx_buffer`](Config::tx_buffer) (at most `mem_len`), or half.
    ///
    /// ```
    /// let mut c = petrel_httpd::Config::default();
    /// assert_eq!(c.rx_len(1536), 768);
    /// c.tx_buffer = Some(512);
    /// assert_eq!(c.rx_len(1280), 768);
    /// ```
    pub fn rx_len(&self, mem_len: usize) -> usize {
        match self.tx_buffer {
            Some(tx) => mem_len.saturating_sub(tx),
            None => mem_len / 2,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_header_bytes: 4096,
            max_headers: 32,
            max_uri: 1024,
            max_body: (1 << 20) + (64 << 10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            max_connections: 8,
            max_drain: 64 << 10,
            tx_buffer: None,
        }
    }
}
