//! [`TlsStream`]: rustls's unbuffered engine pumped over any altcp [`Stream`].
//!
//! The engine is driven by one small synchronous step function
//! ([`TlsStream::step`]) that calls `process_tls_records` once, handles the
//! state it returns without awaiting (rustls's states borrow the connection
//! and the receive buffer), and tells the async caller what to do next:
//! read more from the transport, send what is queued, or nothing. Every
//! await happens between steps, with all progress kept in the struct, so
//! `read` is cancel-safe and `write` is cancel-safe once it has returned.

use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use core::net::SocketAddr;
use core::pin::pin;
use core::task::Poll;

use rustls::client::UnbufferedClientConnection;
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError, UnbufferedStatus};
use rustls::{CommonState, HandshakeKind, ProtocolVersion};

use super::config::Limits;
use super::error::TlsError;
use crate::{Error, Stream};

mod sealed {
    pub trait Sealed {}
    impl Sealed for rustls::client::UnbufferedClientConnection {}
    impl Sealed for rustls::server::UnbufferedServerConnection {}
}

/// The two rustls unbuffered connection types (client and server), so one
/// [`TlsStream`] serves both. Sealed.
pub trait Side: sealed::Sealed {
    /// rustls's per-side data.
    type Data;
    /// `process_tls_records` of this side.
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data>;
    /// The shared connection state (negotiated parameters).
    fn common(&self) -> &CommonState;
}

impl Side for UnbufferedClientConnection {
    type Data = rustls::client::ClientConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
    fn common(&self) -> &CommonState {
        self
    }
}

impl Side for UnbufferedServerConnection {
    type Data = rustls::server::ServerConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
    fn common(&self) -> &CommonState {
        self
    }
}

/// What one engine step is asked to do.
#[derive(Copy, Clone)]
enum Want<'a> {
    /// Progress the handshake.
    Handshake,
    /// Deliver received application data.
    Read,
    /// Encrypt (a prefix of) these bytes.
    Write(&'a [u8]),
    /// Queue `close_notify`.
    Close,
    /// Only emit what is queued (the alert after a failure).
    Flush,
}

/// What the async caller does after a step.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Next {
    /// Call `step` again.
    Again,
    /// Send the queued ciphertext, then step again.
    Transmit,
    /// The engine needs more bytes from the peer.
    NeedInput,
    /// Application data was appended to the plaintext buffer.
    Data,
    /// Traffic keys are ready (rustls is in `WriteTraffic`).
    Writable,
    /// This many plaintext bytes were encrypted and queued.
    Encrypted(usize),
    /// `close_notify` is queued.
    CloseQueued,
    /// Nothing more will ever happen (both sides closed).
    Closed,
}

/// A TLS connection over an altcp stream `S`: itself an altcp [`Stream`].
///
/// Created by [`accept`](super::accept) / [`TlsAcceptor`](super::TlsAcceptor)
/// (server) or [`connect`](super::connect) / [`TlsConnector`](super::TlsConnector)
/// (client), after the handshake.
///
/// - `read` returns `Ok(0)` only after the peer's `close_notify`; a transport
///   close without it is [`Error::Truncated`].
/// - `write` encrypts one record's worth, hands it to the transport if the
///   transport takes it at once, and keeps the rest queued: queued records
///   go out on the next `write`, `read`, `flush`, `shutdown` or `close`.
///   Call `flush` to wait until everything is with the transport.
/// - `shutdown` and `close` send `close_notify` before the TCP FIN.
pub struct TlsStream<S, C> {
    inner: S,
    conn: C,
    /// Received ciphertext: `incoming[..in_len]` is unprocessed.
    incoming: Vec<u8>,
    in_len: usize,
    /// Ciphertext to send: `outgoing[out_start..out_end]`.
    outgoing: Vec<u8>,
    out_start: usize,
    out_end: usize,
    /// Decrypted bytes not yet read: `plain[plain_pos..]`.
    plain: Vec<u8>,
    plain_pos: usize,
    limits: Limits,
    peer_closed: bool,
    sent_close: bool,
    failed: Option<Error>,
}

impl<S, C> core::fmt::Debug for TlsStream<S, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsStream")
            .field("in_len", &self.in_len)
            .field("out_pending", &(self.out_end - self.out_start))
            .field("plain_pending", &(self.plain.len() - self.plain_pos))
            .field("peer_closed", &self.peer_closed)
            .field("sent_close", &self.sent_close)
            .field("failed", &self.failed)
            .finish()
    }
}

impl<S: Stream, C: Side> TlsStream<S, C> {
    /// Wraps `inner` with a fresh engine; the handshake has not started.
    pub(crate) fn new(inner: S, conn: C, limits: Limits) -> Self {
        TlsStream {
            inner,
            conn,
            incoming: vec![0; limits.incoming_buffer],
            in_len: 0,
            outgoing: vec![0; limits.outgoing_buffer()],
            out_start: 0,
            out_end: 0,
            plain: Vec::new(),
            plain_pos: 0,
            limits,
            peer_closed: false,
            sent_close: false,
            failed: None,
        }
    }

    /// The transport under the TLS layer.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The transport, mutably (for TCP options). Reading or writing it
    /// directly corrupts the TLS session.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The ALPN protocol agreed in the handshake, if any.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.conn.common().alpn_protocol()
    }

    /// The TLS version in use.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.conn.common().protocol_version()
    }

    /// The cipher suite in use.
    pub fn cipher_suite(&self) -> Option<rustls::SupportedCipherSuite> {
        self.conn.common().negotiated_cipher_suite()
    }

    /// The peer's certificate chain (the server's, or a client's under
    /// mutual TLS), leaf first.
    pub fn peer_certificates(&self) -> Option<&[rustls::pki_types::CertificateDer<'static>]> {
        self.conn.common().peer_certificates()
    }

    /// Whether the handshake resumed an earlier session.
    pub fn is_resumed(&self) -> bool {
        self.conn.common().handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// The engine (for anything not wrapped here).
    pub fn connection(&self) -> &C {
        &self.conn
    }

    // ---- the engine step -------------------------------------------------

    /// Free space at the end of the send buffer, after compacting.
    fn out_free(&mut self) -> usize {
        if self.out_start == self.out_end {
            self.out_start = 0;
            self.out_end = 0;
        }
        self.outgoing.len() - self.out_end
    }

    /// Runs `process_tls_records` once and handles the state it returns.
    fn step(&mut self, want: Want<'_>) -> Result<Next, rustls::Error> {
        let _ = self.out_free();
        let max_fragment = self.limits.max_fragment;
        let TlsStream {
            conn,
            incoming,
            in_len,
            outgoing,
            out_end,
            out_start,
            plain,
            plain_pos,
            peer_closed,
            sent_close,
            ..
        } = self;
        let in_used = (*in_len).min(incoming.len());
        let UnbufferedStatus { mut discard, state } = conn.process(&mut incoming[..in_used]);
        let out = outgoing.get_mut(*out_end..).unwrap_or(&mut []);
        let next = match state {
            Err(e) => {
                discard_front(incoming, in_len, discard);
                return Err(e);
            }
            Ok(ConnectionState::ReadTraffic(mut r)) => {
                // Keep the unread plaintext compact, then append every
                // record that is ready. Bounded: the records came out of
                // `incoming`, which is bounded.
                if *plain_pos > 0 {
                    plain.drain(..*plain_pos);
                    *plain_pos = 0;
                }
                while let Some(rec) = r.next_record() {
                    let rec = rec?;
                    discard += rec.discard;
                    plain.extend_from_slice(rec.payload);
                }
                Next::Data
            }
            Ok(ConnectionState::EncodeTlsData(mut e)) => match e.encode(out) {
                Ok(n) => {
                    *out_end += n;
                    Next::Again
                }
                // Cannot happen: we keep a record's worth free before every
                // step. If a peer-induced record is larger, fail cleanly
                // rather than lose it.
                Err(EncodeError::InsufficientSize(_)) | Err(EncodeError::AlreadyEncoded) => {
                    discard_front(incoming, in_len, discard);
                    return Err(rustls::Error::General("send buffer too small".into()));
                }
            },
            Ok(ConnectionState::TransmitTlsData(t)) => {
                if *out_start == *out_end {
                    t.done();
                    Next::Again
                } else {
                    Next::Transmit
                }
            }
            Ok(ConnectionState::BlockedHandshake) => match want {
                Want::Flush => Next::Closed,
                _ => Next::NeedInput,
            },
            Ok(ConnectionState::PeerClosed) => {
                *peer_closed = true;
                Next::Again
            }
            Ok(ConnectionState::Closed) => {
                *peer_closed = true;
                Next::Closed
            }
            Ok(ConnectionState::WriteTraffic(mut w)) => match want {
                Want::Write(data) => {
                    let take = data.len().min(max_fragment);
                    let chunk = data.get(..take).unwrap_or(data);
                    match w.encrypt(chunk, out) {
                        Ok(n) => {
                            *out_end += n;
                            Next::Encrypted(take)
                        }
                        Err(EncryptError::InsufficientSize(_)) => Next::Transmit,
                        Err(EncryptError::EncryptExhausted) => {
                            discard_front(incoming, in_len, discard);
                            return Err(rustls::Error::EncryptError);
                        }
                    }
                }
                Want::Close => {
                    if *sent_close {
                        Next::CloseQueued
                    } else {
                        match w.queue_close_notify(out) {
                            Ok(n) => {
                                *out_end += n;
                                *sent_close = true;
                                Next::CloseQueued
                            }
                            Err(_) => Next::Transmit,
                        }
                    }
                }
                Want::Handshake => Next::Writable,
                Want::Read => Next::NeedInput,
                Want::Flush => Next::Closed,
            },
            // We never enable 0-RTT; any other new state is unexpected.
            Ok(_) => {
                discard_front(incoming, in_len, discard);
                return Err(rustls::Error::General("unexpected TLS state".into()));
            }
        };
        discard_front(incoming, in_len, discard);
        Ok(next)
    }

    // ---- async plumbing --------------------------------------------------

    /// Sends every queued ciphertext byte.
    async fn drain(&mut self) -> Result<(), Error> {
        while self.out_start < self.out_end {
            let chunk = self
                .outgoing
                .get(self.out_start..self.out_end)
                .unwrap_or(&[]);
            let n = self.inner.write(chunk).await?;
            if n == 0 {
                return Err(Error::Tcp(petrel_netcore::TcpError::Reset));
            }
            self.out_start += n;
        }
        Ok(())
    }

    /// Hands queued ciphertext to the transport as far as it takes it
    /// without waiting.
    async fn push_nowait(&mut self) -> Result<(), Error> {
        while self.out_start < self.out_end {
            let chunk = self
                .outgoing
                .get(self.out_start..self.out_end)
                .unwrap_or(&[]);
            let mut fut = pin!(self.inner.write(chunk));
            let polled = core::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
            match polled {
                Poll::Ready(Ok(0)) => return Err(Error::Tcp(petrel_netcore::TcpError::Reset)),
                Poll::Ready(Ok(n)) => self.out_start += n,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(()),
            }
        }
        Ok(())
    }

    /// Makes room for one more record in the send buffer.
    async fn reserve(&mut self) -> Result<(), Error> {
        if self.out_free() < self.limits.record_reserve() {
            self.drain().await?;
        }
        Ok(())
    }

    /// Reads more ciphertext from the transport. `Ok(false)`: the transport
    /// reached end of stream.
    async fn fill(&mut self) -> Result<bool, Error> {
        let Some(space) = self
            .incoming
            .get_mut(self.in_len..)
            .filter(|s| !s.is_empty())
        else {
            return Err(Error::Tls(TlsError::BufferTooSmall));
        };
        let n = self.inner.read(space).await?;
        self.in_len += n;
        Ok(n > 0)
    }

    /// Records a failure, sends the alert rustls queued for it (best
    /// effort, bounded), and returns the error.
    async fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e);
        // rustls queued its alert (if it sends one) when it failed: the
        // next `process_tls_records` hands it out before looking at input
        // again. Exactly one call: a further one would re-read the record
        // that failed.
        let _ = self.step(Want::Flush);
        let _ = self.drain().await;
        e
    }

    async fn fail_rustls(&mut self, e: &rustls::Error) -> Error {
        self.fail(Error::Tls(TlsError::from(e))).await
    }

    /// Runs the handshake to completion (both sides' Finished verified).
    pub(crate) async fn handshake(&mut self) -> Result<(), Error> {
        loop {
            self.reserve().await?;
            match self.step(Want::Handshake) {
                Ok(Next::Again) | Ok(Next::Data) => {}
                Ok(Next::Transmit) => self.drain().await?,
                Ok(Next::Writable) if !self.conn.common().is_handshaking() => {
                    self.drain().await?;
                    return Ok(());
                }
                Ok(Next::Writable) | Ok(Next::NeedInput) => {
                    self.drain().await?;
                    match self.fill().await {
                        Ok(true) => {}
                        Ok(false) => {
                            return Err(self.fail(Error::Tls(TlsError::HandshakeEof)).await);
                        }
                        Err(e) => return Err(self.fail(e).await),
                    }
                }
                Ok(Next::Closed) => {
                    return Err(self.fail(Error::Tls(TlsError::HandshakeEof)).await);
                }
                Ok(_) => {}
                Err(e) => return Err(self.fail_rustls(&e).await),
            }
        }
    }

    /// Takes up to `buf.len()` plaintext bytes already decrypted.
    fn take_plain(&mut self, buf: &mut [u8]) -> usize {
        let avail = self.plain.get(self.plain_pos..).unwrap_or(&[]);
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.plain_pos += n;
        if self.plain_pos >= self.plain.len() {
            self.plain.clear();
            self.plain_pos = 0;
        }
        n
    }

    async fn read_inner(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.take_plain(buf);
            if n > 0 {
                return Ok(n);
            }
            if let Some(e) = self.failed {
                return Err(e);
            }
            if self.peer_closed {
                return Ok(0);
            }
            self.reserve().await?;
            match self.step(Want::Read) {
                Ok(Next::Data) | Ok(Next::Again) => {}
                Ok(Next::Transmit) => self.drain().await?,
                Ok(Next::Closed) => self.peer_closed = true,
                Ok(_) => {
                    // Our queued records (a write, a key update) go out
                    // before we wait for the peer.
                    self.drain().await?;
                    match self.fill().await {
                        Ok(true) => {}
                        Ok(false) => {
                            self.failed = Some(Error::Truncated);
                            return Err(Error::Truncated);
                        }
                        Err(e) => {
                            self.failed = Some(e);
                            return Err(e);
                        }
                    }
                }
                Err(e) => return Err(self.fail_rustls(&e).await),
            }
        }
    }

    async fn write_inner(&mut self, buf: &[u8]) -> Result<usize, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.sent_close {
            return Err(Error::Tcp(petrel_netcore::TcpError::InvalidState));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // Bounded: each pass either makes progress in the engine, sends
        // queued bytes, or returns.
        loop {
            self.reserve().await?;
            match self.step(Want::Write(buf)) {
                Ok(Next::Encrypted(n)) => {
                    self.push_nowait().await?;
                    return Ok(n);
                }
                Ok(Next::Transmit) => self.drain().await?,
                Ok(Next::Again) | Ok(Next::Data) => {}
                Ok(Next::NeedInput) | Ok(Next::Closed) | Ok(_) => {
                    return Err(Error::Tcp(petrel_netcore::TcpError::InvalidState));
                }
                Err(e) => return Err(self.fail_rustls(&e).await),
            }
        }
    }

    /// Queues and sends `close_notify` (once).
    async fn send_close_notify(&mut self) -> Result<(), Error> {
        if self.failed.is_some() {
            return Ok(());
        }
        for _ in 0..16 {
            self.reserve().await?;
            match self.step(Want::Close) {
                Ok(Next::CloseQueued) | Ok(Next::Closed) => break,
                Ok(Next::Transmit) => self.drain().await?,
                Ok(Next::Again) | Ok(Next::Data) => {}
                Ok(_) => break,
                Err(e) => return Err(self.fail_rustls(&e).await),
            }
        }
        self.drain().await?;
        self.inner.flush().await
    }
}

/// Drops `n` processed bytes from the front of the receive buffer.
fn discard_front(buf: &mut [u8], len: &mut usize, n: usize) {
    let n = n.min(*len);
    if n > 0 {
        buf.copy_within(n..*len, 0);
        *len -= n;
    }
}

impl<S: Stream, C: Side> embedded_io::ErrorType for TlsStream<S, C> {
    type Error = Error;
}

impl<S: Stream, C: Side> embedded_io_async::Read for TlsStream<S, C> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        self.read_inner(buf).await
    }
}

impl<S: Stream, C: Side> embedded_io_async::Write for TlsStream<S, C> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        self.write_inner(buf).await
    }
    async fn flush(&mut self) -> Result<(), Error> {
        self.drain().await?;
        self.inner.flush().await
    }
}

impl<S: Stream, C: Side> Stream for TlsStream<S, C> {
    fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer_addr()
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr()
    }
    async fn shutdown(&mut self) -> Result<(), Error> {
        self.send_close_notify().await?;
        self.inner.shutdown().await
    }
    async fn close(mut self) -> Result<(), Error> {
        let r = self.send_close_notify().await;
        let c = self.inner.close().await;
        r.and(c)
    }
    fn abort(self) {
        self.inner.abort()
    }
}
