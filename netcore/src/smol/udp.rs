//! UDP sockets on the smoltcp backend.
//!
//! # Unresolved neighbours
//! smoltcp keeps a datagram whose next hop has not answered ARP at the head
//! of its socket's send queue, retrying discovery forever, and everything
//! queued behind it on that socket waits too (an SNTP request to a dead
//! on-link server would hold the requests to the live ones). So `send_to`
//! only queues a datagram once its next hop is known (the observer mirrors
//! smoltcp's ARP cache): until then the datagram stays in the caller's
//! future while the runner sends ARP requests (one a second), like lwIP's
//! one-packet ARP queue but without extra memory. When the neighbour has
//! not answered after `UDP_ARP_WAIT` (3 s), the datagram is discarded
//! (`ipOutDiscards`) and `send_to` returns `Ok`, as an unreachable host is
//! for UDP on lwIP and Linux. A destination off-link with no gateway fails
//! at once with `InvalidAddress` (`ipOutNoRoutes`).

use core::cell::RefCell;
use core::future::poll_fn;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::task::Poll;

use smoltcp::socket::udp as sudp;
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};

use super::inner::{ArpWait, Inner, NextHop, UdpSlot};
use crate::error::UdpError;
use crate::socket::{UdpMeta, UdpSocket};

/// A bound UDP socket on the smoltcp backend.
pub struct SmolUdpSocket<'d> {
    inner: &'d RefCell<Inner<'d>>,
    idx: usize,
    local: SocketAddr,
}

pub(crate) fn bind<'d>(
    inner: &'d RefCell<Inner<'d>>,
    local: SocketAddr,
) -> Result<SmolUdpSocket<'d>, UdpError> {
    let SocketAddr::V4(local) = local else {
        return Err(UdpError::InvalidAddress);
    };
    let mut i = inner.borrow_mut();
    let port = if local.port() == 0 {
        i.ephemeral_port()
    } else {
        local.port()
    };
    // Two sockets on one port would split its datagrams arbitrarily.
    if i.udp_port_taken(port) {
        return Err(UdpError::AddrInUse);
    }
    let idx = i.free_udp_slot(port).ok_or(UdpError::NoBuffer)?;
    let Inner { udp, sockets, .. } = &mut *i;
    let slot = udp.get_mut(idx).ok_or(UdpError::NoBuffer)?;
    let h = slot.handle.ok_or(UdpError::NoBuffer)?;
    let ep = IpListenEndpoint {
        addr: (!local.ip().is_unspecified()).then_some(IpAddress::Ipv4(*local.ip())),
        port,
    };
    let sock = sockets.get_mut::<sudp::Socket>(h);
    sock.bind(ep).map_err(|_| UdpError::InvalidAddress)?;
    *slot = UdpSlot::new(h);
    slot.in_use = true;
    Ok(SmolUdpSocket {
        inner,
        idx,
        local: SocketAddr::new(IpAddr::V4(*local.ip()), port),
    })
}

fn is_broadcast(ip: Ipv4Addr, ours: Option<(Ipv4Addr, u8)>) -> bool {
    if ip.is_broadcast() {
        return true;
    }
    match ours {
        Some((addr, prefix)) if prefix < 31 => {
            let host_mask = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
            let net = u32::from(addr) & !host_mask;
            u32::from(ip) == net | host_mask
        }
        _ => false,
    }
}

impl UdpSocket for SmolUdpSocket<'_> {
    async fn send_to(&mut self, data: &[u8], to: SocketAddr) -> Result<(), UdpError> {
        let SocketAddr::V4(to) = to else {
            return Err(UdpError::InvalidAddress);
        };
        if to.port() == 0 {
            return Err(UdpError::InvalidAddress);
        }
        // Whether this call started an ARP wait (see the module docs).
        let mut waited = false;
        poll_fn(|cx| {
            let mut i = self.inner.borrow_mut();
            let ours = i.ipv4();
            if ours.is_none() && !to.ip().is_broadcast() {
                return Poll::Ready(Err(UdpError::NetworkDown));
            }
            let hop = i.next_hop(*to.ip());
            let now = i.now();
            let Inner {
                udp,
                sockets,
                observer,
                ..
            } = &mut *i;
            let Some(slot) = udp.get_mut(self.idx) else {
                return Poll::Ready(Err(UdpError::InvalidAddress));
            };
            if !slot.broadcast && is_broadcast(*to.ip(), ours) {
                return Poll::Ready(Err(UdpError::BroadcastNotEnabled));
            }
            match hop {
                NextHop::NoRoute => {
                    observer.counters.ip.out_no_routes += 1;
                    return Poll::Ready(Err(UdpError::InvalidAddress));
                }
                NextHop::Neighbour(n) if !observer.neighbour_known(n, now) => {
                    if waited && slot.arp.is_none_or(|w| w.addr != n) {
                        // The runner ended our wait without an answer.
                        observer.counters.ip.out_discards += 1;
                        return Poll::Ready(Ok(()));
                    }
                    slot.arp_waker = Some(cx.waker().clone());
                    if !waited {
                        waited = true;
                        slot.arp = Some(ArpWait::new(n));
                        i.wake_runner();
                    }
                    return Poll::Pending;
                }
                _ => {
                    if waited {
                        slot.arp = None;
                    }
                }
            }
            let Some(h) = slot.handle else {
                return Poll::Ready(Err(UdpError::NoBuffer));
            };
            let sock = sockets.get_mut::<sudp::Socket>(h);
            if data.len() > sock.payload_send_capacity() {
                return Poll::Ready(Err(UdpError::TooLarge));
            }
            let ep = IpEndpoint::new(IpAddress::Ipv4(*to.ip()), to.port());
            match sock.send_slice(data, ep) {
                Ok(()) => {
                    i.wake_runner();
                    Poll::Ready(Ok(()))
                }
                Err(sudp::SendError::BufferFull) => {
                    sock.register_send_waker(cx.waker());
                    Poll::Pending
                }
                Err(sudp::SendError::Unaddressable) => Poll::Ready(Err(UdpError::InvalidAddress)),
            }
        })
        .await
    }

    async fn recv_from(&mut self, buf: &mut [u8]) -> Result<(usize, UdpMeta), UdpError> {
        poll_fn(|cx| {
            let mut i = self.inner.borrow_mut();
            let iface_addr = i.ipv4().map(|(a, _)| a);
            let Inner {
                udp,
                sockets,
                observer,
                ..
            } = &mut *i;
            let Some(h) = udp.get(self.idx).and_then(|s| s.handle) else {
                return Poll::Ready(Err(UdpError::NoBuffer));
            };
            let sock = sockets.get_mut::<sudp::Socket>(h);
            match sock.recv() {
                Ok((payload, meta)) => {
                    observer.counters.udp.in_datagrams += 1;
                    let n = payload.len().min(buf.len());
                    if let (Some(dst), Some(src)) = (buf.get_mut(..n), payload.get(..n)) {
                        dst.copy_from_slice(src);
                    }
                    let full = payload.len();
                    let m = UdpMeta {
                        remote: super::inner::endpoint(meta.endpoint),
                        local: meta.local_address.map(|a| match a {
                            IpAddress::Ipv4(a) => IpAddr::V4(a),
                            #[allow(unreachable_patterns)]
                            _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        }),
                        interface_addr: iface_addr,
                    };
                    Poll::Ready(if full > buf.len() {
                        Err(UdpError::Truncated(full))
                    } else {
                        Ok((n, m))
                    })
                }
                Err(_) => {
                    sock.register_recv_waker(cx.waker());
                    Poll::Pending
                }
            }
        })
        .await
    }

    fn local_addr(&self) -> SocketAddr {
        self.local
    }

    async fn join_multicast(&mut self, group: Ipv4Addr) -> Result<(), UdpError> {
        if !group.is_multicast() {
            return Err(UdpError::InvalidAddress);
        }
        let mut i = self.inner.borrow_mut();
        let Some(slot) = i.udp.get(self.idx) else {
            return Err(UdpError::NoBuffer);
        };
        if slot.groups.contains(&group) {
            return Ok(());
        }
        if slot.groups.is_full() || !i.join_group(group) {
            return Err(UdpError::NoBuffer);
        }
        if let Some(slot) = i.udp.get_mut(self.idx) {
            let _ = slot.groups.push(group);
        }
        Ok(())
    }

    async fn leave_multicast(&mut self, group: Ipv4Addr) -> Result<(), UdpError> {
        let mut i = self.inner.borrow_mut();
        let removed = match i.udp.get_mut(self.idx) {
            Some(slot) => match slot.groups.iter().position(|g| *g == group) {
                Some(p) => {
                    slot.groups.swap_remove(p);
                    true
                }
                None => false,
            },
            None => false,
        };
        if removed {
            i.leave_group(group);
        }
        Ok(())
    }

    fn set_broadcast(&mut self, on: bool) -> Result<(), UdpError> {
        if let Some(slot) = self.inner.borrow_mut().udp.get_mut(self.idx) {
            slot.broadcast = on;
        }
        Ok(())
    }
}

impl Drop for SmolUdpSocket<'_> {
    fn drop(&mut self) {
        let Ok(mut i) = self.inner.try_borrow_mut() else {
            return;
        };
        // Leaves the groups one by one, taking each off the slot first.
        while let Some(g) = i.udp.get_mut(self.idx).and_then(|s| s.groups.pop()) {
            i.leave_group(g);
        }
        let now = i.now();
        let Inner { udp, sockets, .. } = &mut *i;
        if let Some(slot) = udp.get_mut(self.idx)
            && let Some(h) = slot.handle
        {
            let sock = sockets.get_mut::<sudp::Socket>(h);
            if sock.send_queue() == 0 {
                sock.close();
                *slot = UdpSlot::new(h);
            } else {
                // Datagrams queued just before the drop (an error reply,
                // a final ACK) still go out; the runner frees the slot after.
                slot.closing_since = Some(now);
            }
        }
        i.wake_runner();
    }
}

impl core::fmt::Debug for SmolUdpSocket<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmolUdpSocket")
            .field("local", &self.local)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_detection() {
        let ours = Some((Ipv4Addr::new(198, 51, 100, 2), 24));
        assert!(is_broadcast(Ipv4Addr::BROADCAST, ours));
        assert!(is_broadcast(Ipv4Addr::new(198, 51, 100, 255), ours));
        assert!(!is_broadcast(Ipv4Addr::new(198, 51, 100, 1), ours));
        assert!(!is_broadcast(Ipv4Addr::new(198, 51, 100, 255), None));
        assert!(!is_broadcast(
            Ipv4Addr::new(198, 51, 100, 3),
            Some((Ipv4Addr::new(198, 51, 100, 2), 31))
        ));
        assert!(is_broadcast(
            Ipv4Addr::new(255, 255, 255, 255),
            Some((Ipv4Addr::new(10, 0, 0, 1), 0))
        ));
    }
}
