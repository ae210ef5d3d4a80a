//! UDP over the host's sockets: [`OsUdpSocket`].
//!
//! Truncation: the socket API reports a datagram longer than the buffer only
//! through `recvmsg`'s `MSG_TRUNC`, which std and tokio do not expose. So a
//! receive into a buffer smaller than the largest possible datagram (64 KiB)
//! goes through a 64 KiB scratch buffer owned by the socket (allocated on
//! first need): the datagram's full length is then known exactly, the
//! caller's buffer gets its first `buf.len()` bytes, and a longer datagram is
//! reported as [`UdpError::Truncated`] with its full length. Receives into a
//! buffer of 64 KiB or more go straight to the caller's buffer.

use core::net::{Ipv4Addr, SocketAddr};

use super::errors::udp_error;
use crate::error::UdpError;
use crate::socket::{UdpMeta, UdpSocket};

/// Larger than any UDP payload over IPv4 (65 507) or IPv6 without jumbograms
/// (65 527).
const MAX_DATAGRAM: usize = 65_536;

/// A bound UDP socket of the host.
#[derive(Debug)]
pub struct OsUdpSocket {
    inner: tokio::net::UdpSocket,
    local: SocketAddr,
    scratch: Vec<u8>,
}

/// Binds a UDP socket (no `SO_REUSEADDR`: a second bind is `AddrInUse`).
pub(crate) async fn bind(local: SocketAddr) -> Result<OsUdpSocket, UdpError> {
    let inner = tokio::net::UdpSocket::bind(local)
        .await
        .map_err(|e| udp_error(&e, true))?;
    let local = inner.local_addr().unwrap_or(local);
    Ok(OsUdpSocket {
        inner,
        local,
        scratch: Vec::new(),
    })
}

impl OsUdpSocket {
    /// The interface address for multicast membership: the bound IPv4
    /// address, or "any" (the kernel picks by route) when bound to 0.0.0.0.
    fn mcast_interface(&self) -> Result<Ipv4Addr, UdpError> {
        match self.local {
            SocketAddr::V4(a) => Ok(*a.ip()),
            SocketAddr::V6(_) => Err(UdpError::InvalidAddress),
        }
    }
}

fn meta(remote: SocketAddr) -> UdpMeta {
    UdpMeta {
        remote,
        local: None,
        interface_addr: None,
    }
}

impl UdpSocket for OsUdpSocket {
    async fn send_to(&mut self, data: &[u8], to: SocketAddr) -> Result<(), UdpError> {
        if to.port() == 0 || to.ip().is_unspecified() {
            return Err(UdpError::InvalidAddress);
        }
        match self.inner.send_to(data, to).await {
            Ok(n) if n == data.len() => Ok(()),
            Ok(_) => Err(UdpError::TooLarge),
            Err(e) => Err(udp_error(&e, false)),
        }
    }

    async fn recv_from(&mut self, buf: &mut [u8]) -> Result<(usize, UdpMeta), UdpError> {
        loop {
            let result = if buf.len() >= MAX_DATAGRAM {
                self.inner.recv_from(buf).await
            } else {
                if self.scratch.len() < MAX_DATAGRAM {
                    self.scratch.resize(MAX_DATAGRAM, 0);
                }
                self.inner.recv_from(&mut self.scratch).await
            };
            let (n, from) = match result {
                Ok(r) => r,
                // An ICMP port unreachable for an earlier send: not about
                // this receive.
                Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => continue,
                Err(e) => return Err(udp_error(&e, false)),
            };
            if buf.len() >= MAX_DATAGRAM {
                return Ok((n, meta(from)));
            }
            let fit = n.min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..fit), self.scratch.get(..fit)) {
                dst.copy_from_slice(src);
            }
            return if n > buf.len() {
                Err(UdpError::Truncated(n))
            } else {
                Ok((n, meta(from)))
            };
        }
    }

    fn local_addr(&self) -> SocketAddr {
        self.local
    }

    async fn join_multicast(&mut self, group: Ipv4Addr) -> Result<(), UdpError> {
        if !group.is_multicast() {
            return Err(UdpError::InvalidAddress);
        }
        let interface = self.mcast_interface()?;
        match self.inner.join_multicast_v4(group, interface) {
            Ok(()) => Ok(()),
            // Already a member: joining twice is not an error for us.
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => Ok(()),
            Err(e) => Err(udp_error(&e, false)),
        }
    }

    async fn leave_multicast(&mut self, group: Ipv4Addr) -> Result<(), UdpError> {
        if !group.is_multicast() {
            return Err(UdpError::InvalidAddress);
        }
        let interface = self.mcast_interface()?;
        self.inner
            .leave_multicast_v4(group, interface)
            .map_err(|e| udp_error(&e, false))
    }

    fn set_broadcast(&mut self, on: bool) -> Result<(), UdpError> {
        self.inner
            .set_broadcast(on)
            .map_err(|e| udp_error(&e, false))
    }
}
