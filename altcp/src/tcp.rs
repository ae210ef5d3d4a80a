//! The plain-TCP layer: any netcore [`TcpStream`] as an altcp [`Stream`].

use core::future::Future;
use core::net::SocketAddr;

use petrel_netcore::timer::map;
use petrel_netcore::{Shutdown, TcpError, TcpListener, TcpStream};

use crate::{Error, Listener, Stream};

/// A netcore TCP stream used as an altcp [`Stream`].
///
/// ```no_run
/// # async fn f<N: petrel_netcore::Network>(net: &N) -> Result<(), petrel_altcp::Error> {
/// use petrel_altcp::{Stream, Tcp};
/// use embedded_io_async::Write;
/// let s = net.tcp_connect("198.51.100.1:80".parse().unwrap(), Default::default()).await?;
/// let mut s = Tcp::new(s);
/// s.write_all(b"GET / HTTP/1.0\r\n\r\n").await?;
/// s.close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Tcp<S> {
    inner: S,
}

impl<S: TcpStream> Tcp<S> {
    /// Wraps a connected TCP stream.
    pub fn new(inner: S) -> Self {
        Tcp { inner }
    }
    /// The wrapped TCP stream (for TCP options such as nodelay).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
    /// Unwraps the TCP stream.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: TcpStream> embedded_io::ErrorType for Tcp<S> {
    type Error = Error;
}

// The I/O futures are the TCP stream's own, with the error converted on
// the way out (netcore's `timer::map`), not `async fn`s around them: every
// await of an app's connection holds one, and an `async fn` layer would
// add its own copy of the arguments.
impl<S: TcpStream> embedded_io_async::Read for Tcp<S> {
    fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = Result<usize, Error>> {
        map(self.inner.read(buf), err_into)
    }
}

impl<S: TcpStream> embedded_io_async::Write for Tcp<S> {
    fn write(&mut self, buf: &[u8]) -> impl Future<Output = Result<usize, Error>> {
        map(self.inner.write(buf), err_into)
    }
    fn write_all(&mut self, buf: &[u8]) -> impl Future<Output = Result<(), Error>> {
        map(self.inner.write_all(buf), err_into)
    }
    fn flush(&mut self) -> impl Future<Output = Result<(), Error>> {
        map(self.inner.flush(), err_into)
    }
}

/// A TCP outcome as an altcp one.
fn err_into<T>(r: Result<T, TcpError>) -> Result<T, Error> {
    r.map_err(Error::Tcp)
}

impl<S: TcpStream> Stream for Tcp<S> {
    fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer_addr()
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr()
    }
    async fn shutdown(&mut self) -> Result<(), Error> {
        Ok(self.inner.shutdown(Shutdown::Write).await?)
    }
    async fn close(self) -> Result<(), Error> {
        Ok(self.inner.close().await?)
    }
    fn abort(self) {
        self.inner.abort()
    }
}

/// A netcore TCP listener used as an altcp [`Listener`].
#[derive(Debug)]
pub struct TcpAcceptor<L> {
    inner: L,
}

impl<L: TcpListener> TcpAcceptor<L> {
    /// Wraps a TCP listener.
    pub fn new(inner: L) -> Self {
        TcpAcceptor { inner }
    }
}

impl<L: TcpListener> Listener for TcpAcceptor<L> {
    type Stream = Tcp<L::Stream>;
    async fn accept(&mut self) -> Result<Self::Stream, Error> {
        Ok(Tcp::new(self.inner.accept().await?))
    }
    fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr()
    }
}
