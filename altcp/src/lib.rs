//! # petrel-altcp — layered TCP
//!
//! lwIP's altcp idea in Rust: applications (HTTP, MQTT, …) are written against
//! one connected-byte-stream trait, [`Stream`], and one way of getting streams
//! from a server socket, [`Listener`]. Plain TCP implements them ([`tcp`]);
//! TLS wraps *any* `Stream`/`Listener` and is itself one, so an app gains TLS
//! without a line of protocol code changing.
//!
//! Reads and writes are `embedded-io-async`'s, so layers written for the
//! embedded ecosystem (embedded-tls) take a `Stream` as it is.
//!
//! ```no_run
//! use petrel_altcp::{Listener, Stream};
//! use embedded_io_async::{Read, Write};
//!
//! /// Greets every client, over TCP or TLS alike.
//! async fn hello<L: Listener>(listener: &mut L) -> Result<(), petrel_altcp::Error> {
//!     loop {
//!         let mut s = listener.accept().await?;
//!         s.write_all(b"hello\n").await?;
//!         s.close().await?;
//!     }
//! }
//! ```
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

#[cfg(feature = "tls")]
extern crate alloc;

use core::fmt;
use core::net::SocketAddr;

use petrel_netcore::TcpError;

pub mod tcp;
pub mod tls;

pub use tcp::{Tcp, TcpAcceptor};
pub use tls::TlsError;

/// Why a stream operation failed, whichever layer failed it.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The TCP layer failed (refused, timed out, reset, …).
    Tcp(TcpError),
    /// The peer closed the transport without the layer's own close message
    /// (TLS `close_notify`): the data may have been cut short by an attacker.
    Truncated,
    /// The layer's own protocol failed (a TLS alert, a bad record). The code
    /// is layer-specific; see the layer's documentation.
    Protocol(u16),
    /// A handshake or operation deadline passed.
    TimedOut,
    /// The TLS layer failed: handshake (certificate, version, alert,
    /// timeout…) or record errors. See [`TlsError`].
    Tls(TlsError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Tcp(e) => write!(f, "tcp: {e}"),
            Error::Truncated => f.write_str("peer closed without a close message (truncation)"),
            Error::Protocol(code) => write!(f, "protocol error {code}"),
            Error::TimedOut => f.write_str("timed out"),
            #[cfg(any(feature = "tls", feature = "embedded-tls"))]
            Error::Tls(e) => write!(f, "tls: {e}"),
            // No TLS layer in this build (only a third-party layer can fail
            // this way): the alert and message tables stay out of TLS-less
            // firmware (1.2 KB of flash).
            #[cfg(not(any(feature = "tls", feature = "embedded-tls")))]
            Error::Tls(_) => f.write_str("tls error (no TLS layer in this build)"),
        }
    }
}

impl core::error::Error for Error {}

impl From<TlsError> for Error {
    fn from(e: TlsError) -> Self {
        Error::Tls(e)
    }
}

impl From<TcpError> for Error {
    fn from(e: TcpError) -> Self {
        Error::Tcp(e)
    }
}

impl embedded_io::Error for Error {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            Error::Tcp(e) => embedded_io::Error::kind(e),
            Error::Truncated => embedded_io::ErrorKind::ConnectionAborted,
            Error::Protocol(_) => embedded_io::ErrorKind::InvalidData,
            Error::TimedOut => embedded_io::ErrorKind::TimedOut,
            Error::Tls(TlsError::HandshakeTimeout) => embedded_io::ErrorKind::TimedOut,
            Error::Tls(TlsError::HandshakeEof) => embedded_io::ErrorKind::ConnectionAborted,
            Error::Tls(_) => embedded_io::ErrorKind::InvalidData,
        }
    }
}

/// A connected, reliable, ordered byte stream (TCP, or TLS over a `Stream`).
///
/// `read` returning `Ok(0)` is a clean end of stream: for TCP a FIN, for TLS a
/// `close_notify`. A transport close without the layer's close message is
/// [`Error::Truncated`], never a clean EOF.
pub trait Stream:
    embedded_io_async::Read + embedded_io_async::Write + embedded_io::ErrorType<Error = Error>
{
    /// The peer's address.
    fn peer_addr(&self) -> Option<SocketAddr>;
    /// Our address.
    fn local_addr(&self) -> Option<SocketAddr>;
    /// Ends our sending half (TLS: `close_notify`, then TCP FIN); reading
    /// continues until the peer closes.
    async fn shutdown(&mut self) -> Result<(), Error>;
    /// Graceful close: flushes, sends the layer's close message and FIN.
    async fn close(self) -> Result<(), Error>
    where
        Self: Sized;
    /// Hard close: RST, queued data discarded.
    fn abort(self)
    where
        Self: Sized;
}

/// A source of accepted streams (a TCP listener, or TLS around one).
pub trait Listener {
    /// The stream type it hands out.
    type Stream: Stream;
    /// Waits for the next connection, after any layer handshake. A failed
    /// handshake is reported as an error; the listener stays usable.
    async fn accept(&mut self) -> Result<Self::Stream, Error>;
    /// The local address it listens on.
    fn local_addr(&self) -> SocketAddr;
}
