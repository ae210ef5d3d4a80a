//! The no-heap TLS 1.3 client: embedded-tls 0.19 over any altcp
//! [`Stream`], itself a `Stream` (feature `embedded-tls`).
//!
//! The caller provides all memory in a [`ClientBuffers`] (the record buffers
//! embedded-tls needs: 16 640 bytes for reading is always safe because a
//! server may send full-size records; writing needs only the largest record
//! we send plus 64 bytes). Certificates are verified against one CA with
//! embedded-tls's `rustpki` verifier (P-256 ECDSA; enable embedded-tls's
//! `p384`, `ed25519` or `rsa` features for more), and the server name is
//! checked and sent as SNI. A clock ([`embedded_tls::TlsClock`], Unix
//! seconds) makes validity dates checked; without one ([`NoClock`]) they are
//! not.
//!
//! Limits of embedded-tls 0.19 (documented, not hidden): TLS 1.3 and
//! AES-128-GCM only; no session resumption; client certificates are not
//! wired here; a close without `close_notify` is reported as
//! [`Error::Truncated`] and `close_notify` as a clean `Ok(0)`, but other
//! alerts after the handshake are reported as [`TlsError::Other`]. A
//! server's KeyUpdate (RFC 8446 §4.6.3; OpenSSL sends one on request, rustls
//! near the AES-GCM usage limit) is not implemented by embedded-tls 0.19:
//! the read fails with [`TlsError::Unsupported`] and the connection must be
//! reopened (tested against `openssl s_server`). One panic path remains
//! upstream: a post-handshake handshake message other than NewSessionTicket
//! or KeyUpdate (which no conforming server sends unasked — e.g. a second
//! Finished from an authenticated but hostile server) reaches an
//! `unimplemented!()` in embedded-tls 0.19.

use core::cell::Cell;
use core::net::SocketAddr;

use embedded_tls::pki::CertVerifier;
use embedded_tls::{
    Aes128GcmSha256, Certificate, CryptoProvider, CryptoRngCore, TlsConfig, TlsConnection,
    TlsContext, TlsError as EtError, TlsVerifier,
};
pub use embedded_tls::{NoClock, TlsClock};
use petrel_netcore::Clock;
use petrel_netcore::timer::with_timeout;

use super::error::TlsError;
use crate::{Error, Stream};

/// The largest certificate the verifier keeps (DER bytes).
pub const MAX_CERT: usize = 2048;

/// What the transport did last, seen through the adapter below: the altcp
/// error embedded-tls cannot carry, and whether the peer closed.
#[derive(Copy, Clone, Debug, Default)]
struct IoStatus {
    error: Option<Error>,
    eof: bool,
}

/// Caller-provided memory for one embedded-tls connection.
#[derive(Debug)]
pub struct ClientBuffers<const R: usize, const W: usize> {
    read: [u8; R],
    write: [u8; W],
    status: Cell<IoStatus>,
}

impl<const R: usize, const W: usize> ClientBuffers<R, W> {
    /// Zeroed buffers (usable in a `static`).
    pub const fn new() -> Self {
        ClientBuffers {
            read: [0; R],
            write: [0; W],
            status: Cell::new(IoStatus {
                error: None,
                eof: false,
            }),
        }
    }
    /// Bytes this connection's buffers take.
    pub const fn size() -> usize {
        R + W + core::mem::size_of::<Cell<IoStatus>>()
    }
}

impl<const R: usize, const W: usize> Default for ClientBuffers<R, W> {
    fn default() -> Self {
        Self::new()
    }
}

/// The recommended buffers: full-size records both ways.
pub type DefaultBuffers = ClientBuffers<16_640, 16_640>;

/// The transport as embedded-tls sees it: records the altcp error and the
/// end of stream so they can be reported precisely.
#[derive(Debug)]
pub struct Transport<'a, S> {
    inner: S,
    status: &'a Cell<IoStatus>,
}

impl<S> Transport<'_, S> {
    fn record<T>(&self, r: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &r {
            let mut st = self.status.get();
            st.error = Some(*e);
            self.status.set(st);
        }
        r
    }
}

impl<S: Stream> embedded_io::ErrorType for Transport<'_, S> {
    type Error = Error;
}

impl<S: Stream> embedded_io_async::Read for Transport<'_, S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let r = self.inner.read(buf).await;
        if matches!(r, Ok(0)) && !buf.is_empty() {
            let mut st = self.status.get();
            st.eof = true;
            self.status.set(st);
        }
        self.record(r)
    }
}

impl<S: Stream> embedded_io_async::Write for Transport<'_, S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        let r = self.inner.write(buf).await;
        self.record(r)
    }
    async fn flush(&mut self) -> Result<(), Error> {
        let r = self.inner.flush().await;
        self.record(r)
    }
}

/// A crypto provider that verifies the server against one CA: the safe
/// default for [`connect`].
pub struct Verifying<'a, Rng, Clk: TlsClock> {
    rng: Rng,
    verifier: CertVerifier<'a, Aes128GcmSha256, Clk, MAX_CERT>,
}

impl<'a, Rng: CryptoRngCore, Clk: TlsClock> Verifying<'a, Rng, Clk> {
    /// Verifies against `ca_der` (a DER CA certificate) with `rng` for keys.
    pub fn new(rng: Rng, ca_der: &'a [u8]) -> Self {
        Verifying {
            rng,
            verifier: CertVerifier::new(Certificate::X509(ca_der)),
        }
    }
}

impl<Rng: CryptoRngCore, Clk: TlsClock> CryptoProvider for Verifying<'_, Rng, Clk> {
    type CipherSuite = Aes128GcmSha256;
    type Signature = &'static [u8];
    fn rng(&mut self) -> impl CryptoRngCore {
        &mut self.rng
    }
    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<Aes128GcmSha256>, EtError> {
        Ok(&mut self.verifier)
    }
}

/// An embedded-tls client connection over `S`; an altcp [`Stream`].
pub struct EmbeddedTlsStream<'a, S: Stream> {
    conn: TlsConnection<'a, Transport<'a, S>, Aes128GcmSha256>,
    status: &'a Cell<IoStatus>,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    peer_closed: bool,
    failed: Option<Error>,
}

impl<S: Stream> core::fmt::Debug for EmbeddedTlsStream<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EmbeddedTlsStream")
            .field("peer", &self.peer)
            .field("peer_closed", &self.peer_closed)
            .field("failed", &self.failed)
            .finish()
    }
}

/// Maps an embedded-tls error, using what the transport saw.
fn map_error(e: EtError, status: IoStatus, handshake: bool) -> Error {
    if let Some(io) = status.error {
        return io;
    }
    match e {
        EtError::IoError | EtError::Io(_) if status.eof => {
            if handshake {
                Error::Tls(TlsError::HandshakeEof)
            } else {
                Error::Truncated
            }
        }
        EtError::HandshakeAborted(_, desc) => Error::Tls(TlsError::PeerAlert(desc as u8)),
        EtError::InvalidCertificate | EtError::InvalidCertificateEntry => {
            Error::Tls(TlsError::BadCertificate)
        }
        EtError::InvalidSignature => Error::Tls(TlsError::BadCertificate),
        EtError::InvalidSupportedVersions => Error::Tls(TlsError::ProtocolVersion),
        EtError::InvalidCipherSuite
        | EtError::InvalidSignatureScheme
        | EtError::InvalidKeyShare => Error::Tls(TlsError::NoCommonAlgorithms),
        EtError::InvalidRecord
        | EtError::UnknownContentType
        | EtError::ParseError(_)
        | EtError::DecodeError => Error::Tls(TlsError::BadRecord),
        EtError::CryptoError => Error::Tls(TlsError::Decrypt),
        EtError::InsufficientSpace | EtError::OutOfMemory => Error::Tls(TlsError::BufferTooSmall),
        EtError::InvalidHandshake | EtError::InvalidApplicationData => {
            Error::Tls(TlsError::PeerMisbehaved)
        }
        EtError::Unimplemented => Error::Tls(TlsError::Unsupported),
        _ => Error::Tls(TlsError::Other),
    }
}

/// Runs the embedded-tls handshake on `stream` for `server_name` (SNI and
/// host-name check), verifying with `provider` (use [`Verifying`]), within
/// `timeout` on `clock`.
#[allow(clippy::too_many_arguments)]
pub async fn connect<'a, S, P, C, const R: usize, const W: usize>(
    stream: S,
    server_name: &'a str,
    alpn: Option<&'a [&'a [u8]]>,
    buffers: &'a mut ClientBuffers<R, W>,
    provider: P,
    clock: &C,
    timeout: petrel_netcore::Duration,
) -> Result<EmbeddedTlsStream<'a, S>, Error>
where
    S: Stream + 'a,
    P: CryptoProvider<CipherSuite = Aes128GcmSha256>,
    C: Clock,
{
    let peer = stream.peer_addr();
    let local = stream.local_addr();
    let ClientBuffers {
        read,
        write,
        status,
    } = buffers;
    status.set(IoStatus::default());
    let status: &'a Cell<IoStatus> = status;
    let transport = Transport {
        inner: stream,
        status,
    };
    let mut conn = TlsConnection::new(transport, read, write);
    let mut config = TlsConfig::new().with_server_name(server_name);
    if let Some(protocols) = alpn {
        config = config.with_alpn(protocols);
    }
    let opened = with_timeout(
        clock,
        timeout,
        conn.open(TlsContext::new(&config, provider)),
    )
    .await;
    match opened {
        Ok(Ok(())) => Ok(EmbeddedTlsStream {
            conn,
            status,
            peer,
            local,
            peer_closed: false,
            failed: None,
        }),
        Ok(Err(e)) => Err(map_error(e, status.get(), true)),
        Err(_) => Err(Error::Tls(TlsError::HandshakeTimeout)),
    }
}

impl<'a, S: Stream> EmbeddedTlsStream<'a, S> {
    fn fail(&mut self, e: EtError) -> Error {
        let err = map_error(e, self.status.get(), false);
        self.failed = Some(err);
        err
    }
}

impl<S: Stream> embedded_io::ErrorType for EmbeddedTlsStream<'_, S> {
    type Error = Error;
}

impl<S: Stream> embedded_io_async::Read for EmbeddedTlsStream<'_, S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.peer_closed || buf.is_empty() {
            return Ok(0);
        }
        match self.conn.read(buf).await {
            Ok(n) => Ok(n),
            Err(EtError::ConnectionClosed) => {
                self.peer_closed = true;
                Ok(0)
            }
            Err(e) => Err(self.fail(e)),
        }
    }
}

impl<S: Stream> embedded_io_async::Write for EmbeddedTlsStream<'_, S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.conn.write(buf).await {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(e)),
        }
    }
    async fn flush(&mut self) -> Result<(), Error> {
        match self.conn.flush().await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }
}

impl<S: Stream> Stream for EmbeddedTlsStream<'_, S> {
    fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }
    /// embedded-tls cannot half-close: this flushes and reports
    /// `InvalidState`; use [`Stream::close`] to send `close_notify`.
    async fn shutdown(&mut self) -> Result<(), Error> {
        embedded_io_async::Write::flush(self).await?;
        Err(Error::Tcp(petrel_netcore::TcpError::InvalidState))
    }
    /// Sends `close_notify`, then closes the transport.
    async fn close(self) -> Result<(), Error> {
        let status = self.status;
        match self.conn.close().await {
            Ok(t) => t.inner.close().await,
            Err((t, e)) => {
                let err = map_error(e, status.get(), false);
                t.inner.abort();
                Err(err)
            }
        }
    }
    fn abort(self) {
        // Dropping the connection drops the transport (a TCP close); there
        // is no way to reach it for an RST.
    }
}
