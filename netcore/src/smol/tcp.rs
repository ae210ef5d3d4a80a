//! TCP streams and listeners on the smoltcp backend.

use core::cell::RefCell;
use core::future::{Future, poll_fn};
use core::net::{SocketAddr, SocketAddrV4};
use core::task::{Context, Poll};

use smoltcp::socket::tcp as stcp;
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};

use super::dur_to_smol;
use super::inner::{Inner, ListenerEntry, Use, endpoint, reset_options};
use crate::error::TcpError;
use crate::socket::{ConnectConfig, Keepalive, ListenConfig, Shutdown, TcpListener, TcpStream};
use crate::timer::{Clock, with_timeout};

/// A listening socket with a backlog (see the module docs of `smol`).
pub struct SmolTcpListener<'d> {
    inner: &'d RefCell<Inner<'d>>,
    id: u8,
    local: SocketAddrV4,
}

/// A TCP connection on the smoltcp backend.
pub struct SmolTcpStream<'d> {
    inner: &'d RefCell<Inner<'d>>,
    idx: usize,
    done: bool,
}

fn v4(addr: SocketAddr) -> Result<SocketAddrV4, TcpError> {
    match addr {
        SocketAddr::V4(a) => Ok(a),
        SocketAddr::V6(_) => Err(TcpError::InvalidAddress),
    }
}

pub(crate) fn listen<'d>(
    inner: &'d RefCell<Inner<'d>>,
    local: SocketAddr,
    config: ListenConfig,
) -> Result<SmolTcpListener<'d>, TcpError> {
    let local = v4(local)?;
    if local.port() == 0 || config.backlog == 0 {
        return Err(TcpError::InvalidAddress);
    }
    let id = inner.borrow_mut().add_listener(ListenerEntry {
        local,
        backlog: config.backlog,
        policy: config.policy,
        waker: None,
    })?;
    Ok(SmolTcpListener { inner, id, local })
}

impl<'d> TcpListener for SmolTcpListener<'d> {
    type Stream = SmolTcpStream<'d>;

    async fn accept(&mut self) -> Result<SmolTcpStream<'d>, TcpError> {
        let idx = poll_fn(|cx| {
            let mut inner = self.inner.borrow_mut();
            match inner.take_accepted(self.id) {
                Some(idx) => Poll::Ready(idx),
                None => {
                    inner.listener_waker(self.id, cx.waker());
                    Poll::Pending
                }
            }
        })
        .await;
        Ok(SmolTcpStream::new(self.inner, idx))
    }

    fn local_addr(&self) -> SocketAddr {
        SocketAddr::V4(self.local)
    }
}

impl Drop for SmolTcpListener<'_> {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.remove_listener(self.id);
        }
    }
}

pub(crate) async fn connect<'d, C: Clock>(
    inner: &'d RefCell<Inner<'d>>,
    clock: &C,
    remote: SocketAddr,
    config: ConnectConfig,
) -> Result<SmolTcpStream<'d>, TcpError> {
    let remote = v4(remote)?;
    if remote.port() == 0 || remote.ip().is_unspecified() || remote.ip().is_broadcast() {
        return Err(TcpError::InvalidAddress);
    }
    let idx = {
        let mut i = inner.borrow_mut();
        if i.ipv4().is_none() {
            return Err(TcpError::NetworkDown);
        }
        let idx = i.free_tcp_slot(true).ok_or(TcpError::NoBuffer)?;
        let port = i.ephemeral_port();
        let Inner {
            iface,
            sockets,
            tcp,
            ..
        } = &mut *i;
        let slot = tcp.get_mut(idx).ok_or(TcpError::NoBuffer)?;
        let h = slot.handle.ok_or(TcpError::NoBuffer)?;
        let sock = sockets.get_mut::<stcp::Socket>(h);
        reset_options(sock);
        let remote_ep = IpEndpoint::new(IpAddress::Ipv4(*remote.ip()), remote.port());
        let local_ep = IpListenEndpoint { addr: None, port };
        sock.connect(iface.context(), remote_ep, local_ep)
            .map_err(|_| TcpError::InvalidAddress)?;
        *slot = super::inner::TcpSlot::new(h);
        slot.usage = Use::Owned;
        slot.last = stcp::State::SynSent;
        i.count_active_open();
        i.wake_runner();
        idx
    };
    let stream = SmolTcpStream::new(inner, idx);
    let established = poll_fn(|cx| {
        let mut i = inner.borrow_mut();
        let Some((slot, sock)) = i.tcp_socket(idx) else {
            return Poll::Ready(Err(TcpError::InvalidState));
        };
        match sock.state() {
            stcp::State::SynSent | stcp::State::SynReceived => {
                sock.register_send_waker(cx.waker());
                Poll::Pending
            }
            stcp::State::Closed => Poll::Ready(Err(slot.error.unwrap_or(TcpError::Refused))),
            _ => Poll::Ready(Ok(())),
        }
    });
    match with_timeout(clock, config.timeout, established).await {
        Ok(Ok(())) => Ok(stream),
        Ok(Err(e)) => {
            stream.abort();
            Err(e)
        }
        Err(_) => {
            stream.abort();
            Err(TcpError::TimedOut)
        }
    }
}

impl<'d> SmolTcpStream<'d> {
    fn new(inner: &'d RefCell<Inner<'d>>, idx: usize) -> Self {
        SmolTcpStream {
            inner,
            idx,
            done: false,
        }
    }

    /// Runs `f` on the socket, then wakes the runner: an option change
    /// (keepalive, Nagle) can move the socket's next deadline, and the runner
    /// may be asleep on the old one.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut super::inner::TcpSlot, &mut stcp::Socket<'d>) -> R,
    ) -> Option<R> {
        let mut i = self.inner.borrow_mut();
        let (slot, sock) = i.tcp_socket(self.idx)?;
        let r = f(slot, sock);
        i.wake_runner();
        Some(r)
    }

    fn finish(&mut self, abort: bool) {
        if self.done {
            return;
        }
        self.done = true;
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.orphan(self.idx, abort);
        }
    }
}

/// The error for an operation on a socket that is no longer connected.
fn closed_error(slot: &super::inner::TcpSlot) -> TcpError {
    slot.error.unwrap_or(TcpError::InvalidState)
}

impl embedded_io::ErrorType for SmolTcpStream<'_> {
    type Error = TcpError;
}

// The I/O futures are `poll_fn`s returned directly, not `async fn`s around
// them: an app's connection future nests one of these under every await,
// and each `async fn` layer would add its own copy of the arguments.
impl embedded_io_async::Read for SmolTcpStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = Result<usize, TcpError>> {
        poll_fn(move |cx| {
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let mut i = self.inner.borrow_mut();
            let Some((slot, sock)) = i.tcp_socket(self.idx) else {
                return Poll::Ready(Err(TcpError::InvalidState));
            };
            if sock.can_recv() {
                let discard = slot.read_shut;
                let n = sock.recv_slice(buf).unwrap_or(0);
                i.wake_runner();
                if discard {
                    // Shut down for reading: data is consumed (so the window
                    // stays open) but not delivered.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                return Poll::Ready(Ok(n));
            }
            if !sock.may_recv() {
                return Poll::Ready(match sock.state() {
                    stcp::State::Closed | stcp::State::Listen => match slot.error {
                        Some(e) => Err(e),
                        None => Ok(0),
                    },
                    _ => Ok(0),
                });
            }
            sock.register_recv_waker(cx.waker());
            Poll::Pending
        })
    }
}

impl SmolTcpStream<'_> {
    /// Queues as much of `buf` (not empty) as the send buffer takes.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, TcpError>> {
        let mut i = self.inner.borrow_mut();
        let Some((slot, sock)) = i.tcp_socket(self.idx) else {
            return Poll::Ready(Err(TcpError::InvalidState));
        };
        if !sock.may_send() {
            return Poll::Ready(Err(closed_error(slot)));
        }
        if sock.can_send() {
            let n = sock.send_slice(buf).unwrap_or(0);
            if n > 0 {
                i.wake_runner();
                return Poll::Ready(Ok(n));
            }
        }
        sock.register_send_waker(cx.waker());
        Poll::Pending
    }
}

impl embedded_io_async::Write for SmolTcpStream<'_> {
    fn write(&mut self, buf: &[u8]) -> impl Future<Output = Result<usize, TcpError>> {
        poll_fn(move |cx| {
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            self.poll_write(cx, buf)
        })
    }

    /// All of `buf`, in as many pieces as the send buffer needs (one future
    /// for the whole loop).
    fn write_all(&mut self, buf: &[u8]) -> impl Future<Output = Result<(), TcpError>> {
        let mut rest = buf;
        poll_fn(move |cx| {
            while !rest.is_empty() {
                match self.poll_write(cx, rest) {
                    Poll::Ready(Ok(n)) => rest = rest.get(n..).unwrap_or_default(),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            Poll::Ready(Ok(()))
        })
    }

    fn flush(&mut self) -> impl Future<Output = Result<(), TcpError>> {
        poll_fn(move |cx| {
            let mut i = self.inner.borrow_mut();
            let Some((slot, sock)) = i.tcp_socket(self.idx) else {
                return Poll::Ready(Err(TcpError::InvalidState));
            };
            if sock.send_queue() == 0 {
                return Poll::Ready(Ok(()));
            }
            if sock.state() == stcp::State::Closed {
                return Poll::Ready(Err(closed_error(slot)));
            }
            sock.register_send_waker(cx.waker());
            Poll::Pending
        })
    }
}

impl TcpStream for SmolTcpStream<'_> {
    fn local_addr(&self) -> Option<SocketAddr> {
        self.with(|_, s| s.local_endpoint().map(endpoint)).flatten()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.with(|_, s| s.remote_endpoint().map(endpoint))
            .flatten()
    }

    fn set_nodelay(&mut self, nodelay: bool) {
        self.with(|_, s| {
            s.set_nagle_enabled(!nodelay);
            // With Nagle off the app wants latency: don't delay ACKs either.
            s.set_ack_delay(if nodelay {
                None
            } else {
                Some(smoltcp::time::Duration::from_millis(10))
            });
        });
    }

    fn set_keepalive(&mut self, keepalive: Option<Keepalive>) {
        // smoltcp sends a probe every `interval` once idle and gives up after
        // its user timeout; map lwIP's idle/interval/count onto that.
        self.with(|_, s| match keepalive {
            Some(k) => {
                s.set_keep_alive(Some(dur_to_smol(k.interval)));
                s.set_timeout(Some(dur_to_smol(
                    k.idle + k.interval.saturating_mul(u64::from(k.count)),
                )));
            }
            None => {
                s.set_keep_alive(None);
                s.set_timeout(None);
            }
        });
    }

    async fn shutdown(&mut self, how: Shutdown) -> Result<(), TcpError> {
        let r = self.with(|slot, s| {
            if matches!(how, Shutdown::Read | Shutdown::Both) {
                slot.read_shut = true;
            }
            if matches!(how, Shutdown::Write | Shutdown::Both) {
                if s.state() == stcp::State::Closed {
                    return Err(closed_error(slot));
                }
                s.close();
            }
            Ok(())
        });
        self.inner.borrow_mut().wake_runner();
        r.unwrap_or(Err(TcpError::InvalidState))
    }

    async fn close(mut self) -> Result<(), TcpError> {
        self.finish(false);
        Ok(())
    }

    fn abort(mut self) {
        self.finish(true);
    }
}

impl Drop for SmolTcpStream<'_> {
    fn drop(&mut self) {
        self.finish(false);
    }
}

impl core::fmt::Debug for SmolTcpStream<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmolTcpStream")
            .field("slot", &self.idx)
            .finish()
    }
}

impl core::fmt::Debug for SmolTcpListener<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmolTcpListener")
            .field("local", &self.local)
            .finish()
    }
}
