//! TCP over the host's sockets: [`OsTcpListener`] and [`OsTcpStream`].

use core::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::errors::tcp_error;
use super::{std_duration, sys};
use crate::error::TcpError;
use crate::socket::{ConnectConfig, Keepalive, ListenConfig, Shutdown, TcpListener, TcpStream};

/// A listening TCP socket of the host.
#[derive(Debug)]
pub struct OsTcpListener {
    inner: tokio::net::TcpListener,
    local: SocketAddr,
}

/// A connected TCP stream of the host.
///
/// Dropping it is a graceful close (the kernel sends FIN after the queued
/// data, or RST if received data was left unread, as Linux does).
#[derive(Debug)]
pub struct OsTcpStream {
    inner: tokio::net::TcpStream,
    read_shut: bool,
    write_shut: bool,
}

fn new_socket(addr: &SocketAddr) -> Result<tokio::net::TcpSocket, TcpError> {
    let s = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    };
    s.map_err(|e| tcp_error(&e))
}

/// Listens on `local` with the OS backlog set to `config.backlog`.
pub(crate) fn listen(local: SocketAddr, config: ListenConfig) -> Result<OsTcpListener, TcpError> {
    if local.port() == 0 {
        return Err(TcpError::InvalidAddress);
    }
    let socket = new_socket(&local)?;
    socket.set_reuseaddr(true).map_err(|e| tcp_error(&e))?;
    socket.bind(local).map_err(|e| tcp_error(&e))?;
    let inner = socket
        .listen(u32::from(config.backlog.max(1)))
        .map_err(|e| tcp_error(&e))?;
    let local = inner.local_addr().unwrap_or(local);
    Ok(OsTcpListener { inner, local })
}

/// Connects to `remote`, giving up after `config.timeout`.
pub(crate) async fn connect(
    remote: SocketAddr,
    config: ConnectConfig,
) -> Result<OsTcpStream, TcpError> {
    if remote.port() == 0 || remote.ip().is_unspecified() || remote.ip().is_multicast() {
        return Err(TcpError::InvalidAddress);
    }
    let socket = new_socket(&remote)?;
    match tokio::time::timeout(std_duration(config.timeout), socket.connect(remote)).await {
        Ok(Ok(inner)) => Ok(OsTcpStream::new(inner)),
        Ok(Err(e)) => Err(tcp_error(&e)),
        Err(_elapsed) => Err(TcpError::TimedOut),
    }
}

impl OsTcpStream {
    fn new(inner: tokio::net::TcpStream) -> Self {
        OsTcpStream {
            inner,
            read_shut: false,
            write_shut: false,
        }
    }
}

impl TcpListener for OsTcpListener {
    type Stream = OsTcpStream;

    async fn accept(&mut self) -> Result<OsTcpStream, TcpError> {
        loop {
            match self.inner.accept().await {
                Ok((s, _peer)) => return Ok(OsTcpStream::new(s)),
                // The client gave up before we accepted: not our error.
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
                Err(e) => return Err(tcp_error(&e)),
            }
        }
    }

    fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

impl embedded_io::ErrorType for OsTcpStream {
    type Error = TcpError;
}

impl embedded_io_async::Read for OsTcpStream {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, TcpError> {
        if self.read_shut || buf.is_empty() {
            return Ok(0);
        }
        self.inner.read(buf).await.map_err(|e| tcp_error(&e))
    }
}

impl embedded_io_async::Write for OsTcpStream {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, TcpError> {
        if self.write_shut {
            return Err(TcpError::InvalidState);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        match self.inner.write(buf).await {
            // A stream never accepts nothing; the OS would have said why.
            Ok(0) => Err(TcpError::Reset),
            Ok(n) => Ok(n),
            Err(e) => Err(tcp_error(&e)),
        }
    }

    /// Returns once the kernel holds the data (not when the peer ACKed it).
    async fn flush(&mut self) -> Result<(), TcpError> {
        self.inner.flush().await.map_err(|e| tcp_error(&e))
    }
}

impl TcpStream for OsTcpStream {
    fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr().ok()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer_addr().ok()
    }

    /// Errors (a socket already reset) are ignored: the next read or write
    /// reports them.
    fn set_nodelay(&mut self, nodelay: bool) {
        let _ = self.inner.set_nodelay(nodelay);
    }

    /// Sets `SO_KEEPALIVE`, `TCP_KEEPIDLE`, `TCP_KEEPINTVL` and `TCP_KEEPCNT`
    /// (whole seconds, at least 1). Errors are ignored as for `set_nodelay`.
    fn set_keepalive(&mut self, keepalive: Option<Keepalive>) {
        let _ = sys::set_keepalive(&self.inner, keepalive);
    }

    async fn shutdown(&mut self, how: Shutdown) -> Result<(), TcpError> {
        let (read, write) = match how {
            Shutdown::Read => (true, false),
            Shutdown::Write => (false, true),
            Shutdown::Both => (true, true),
        };
        if write && !self.write_shut {
            self.inner.shutdown().await.map_err(|e| tcp_error(&e))?;
            self.write_shut = true;
        }
        if read && !self.read_shut {
            sys::shutdown(&self.inner, std::net::Shutdown::Read).map_err(|e| tcp_error(&e))?;
            self.read_shut = true;
        }
        Ok(())
    }

    async fn close(mut self) -> Result<(), TcpError> {
        if self.write_shut {
            return Ok(());
        }
        match self.inner.shutdown().await {
            Ok(()) => Ok(()),
            // Already gone (the peer reset it): nothing left to close.
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
            Err(e) => Err(tcp_error(&e)),
        }
    }

    fn abort(self) {
        // SO_LINGER with a zero timeout makes close() send RST at once and
        // never block, so tokio's caution about lingering does not apply.
        let _ = self.inner.set_zero_linger();
    }
}
