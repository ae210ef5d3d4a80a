//! Starting TLS on a stream: [`accept`], [`connect`], and the
//! [`TlsAcceptor`] / [`TlsConnector`] wrappers.

use alloc::string::ToString;
use core::net::SocketAddr;

use petrel_netcore::Clock;
use petrel_netcore::timer::with_timeout;
use rustls::client::UnbufferedClientConnection;
use rustls::pki_types::ServerName;
use rustls::server::UnbufferedServerConnection;

use super::config::{ClientConfig, ServerConfig};
use super::error::TlsError;
use super::stream::TlsStream;
use crate::{Error, Listener, Stream};

/// A server-side TLS stream.
pub type ServerTlsStream<S> = TlsStream<S, UnbufferedServerConnection>;
/// A client-side TLS stream.
pub type ClientTlsStream<S> = TlsStream<S, UnbufferedClientConnection>;

/// Runs the server handshake on an accepted stream, within the config's
/// handshake timeout measured on `clock`.
///
/// On failure the stream is closed (after the alert rustls chose, where it
/// sends one) and the typed error is returned.
pub async fn accept<S: Stream, C: Clock>(
    stream: S,
    config: &ServerConfig,
    clock: &C,
) -> Result<ServerTlsStream<S>, Error> {
    let conn = UnbufferedServerConnection::new(config.rustls.clone())
        .map_err(|e| Error::Tls(TlsError::from(&e)))?;
    let mut tls = TlsStream::new(stream, conn, config.limits);
    match with_timeout(clock, config.handshake_timeout, tls.handshake()).await {
        Ok(Ok(())) => Ok(tls),
        Ok(Err(e)) => {
            let _ = tls.get_mut().shutdown().await;
            Err(e)
        }
        Err(_elapsed) => {
            tls.abort();
            Err(Error::Tls(TlsError::HandshakeTimeout))
        }
    }
}

/// Runs the client handshake on a connected stream: sends SNI for
/// `server_name` (a DNS name; an IP literal is verified against the
/// certificate's IP addresses and sends no SNI, as RFC 6066 says) and
/// verifies the server's certificate for that name.
pub async fn connect<S: Stream, C: Clock>(
    stream: S,
    server_name: &str,
    config: &ClientConfig,
    clock: &C,
) -> Result<ClientTlsStream<S>, Error> {
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|_| Error::Tls(TlsError::InvalidServerName))?;
    let conn = UnbufferedClientConnection::new(config.rustls.clone(), name)
        .map_err(|e| Error::Tls(TlsError::from(&e)))?;
    let mut tls = TlsStream::new(stream, conn, config.limits);
    match with_timeout(clock, config.handshake_timeout, tls.handshake()).await {
        Ok(Ok(())) => Ok(tls),
        Ok(Err(e)) => {
            let _ = tls.get_mut().shutdown().await;
            Err(e)
        }
        Err(_elapsed) => {
            tls.abort();
            Err(Error::Tls(TlsError::HandshakeTimeout))
        }
    }
}

/// TLS around any altcp [`Listener`]: `accept` is the inner accept plus the
/// server handshake (bounded by the config's timeout).
///
/// A failed handshake returns its typed error and logs one line; the
/// acceptor stays usable. Handshakes run one at a time inside `accept`; a
/// server that must not let one slow client delay the next accepts on the
/// inner listener and calls [`accept`] in each connection's own task.
#[derive(Debug)]
pub struct TlsAcceptor<L, C> {
    inner: L,
    config: ServerConfig,
    clock: C,
}

impl<L: Listener, C: Clock> TlsAcceptor<L, C> {
    /// Wraps `inner`; handshakes use `config` and time out on `clock`.
    pub fn new(inner: L, config: ServerConfig, clock: C) -> Self {
        TlsAcceptor {
            inner,
            config,
            clock,
        }
    }
    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }
}

impl<L: Listener, C: Clock> Listener for TlsAcceptor<L, C> {
    type Stream = ServerTlsStream<L::Stream>;

    async fn accept(&mut self) -> Result<Self::Stream, Error> {
        let stream = self.inner.accept().await?;
        let peer = stream.peer_addr();
        match accept(stream, &self.config, &self.clock).await {
            Ok(s) => Ok(s),
            Err(e) => {
                log_failure(peer, &e);
                Err(e)
            }
        }
    }

    fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr()
    }
}

/// The one log line of a failed server handshake.
pub fn log_failure(peer: Option<SocketAddr>, e: &Error) {
    match peer {
        Some(p) => log::warn!("tls: handshake with {p} failed: {e}"),
        None => log::warn!("tls: handshake failed: {e}"),
    }
}

/// A client configuration and a clock: connects TLS over given streams.
#[derive(Clone, Debug)]
pub struct TlsConnector<C> {
    config: ClientConfig,
    clock: C,
}

impl<C: Clock> TlsConnector<C> {
    /// A connector with `config`, timing handshakes on `clock`.
    pub fn new(config: ClientConfig, clock: C) -> Self {
        TlsConnector { config, clock }
    }
    /// Runs the client handshake on `stream` for `server_name`; see [`connect`].
    pub async fn connect<S: Stream>(
        &self,
        stream: S,
        server_name: &str,
    ) -> Result<ClientTlsStream<S>, Error> {
        connect(stream, server_name, &self.config, &self.clock).await
    }
}
