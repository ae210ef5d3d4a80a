//! The stack's state behind the `RefCell`: interface, sockets, the TCP pool
//! with its listeners, counters, and the poll step.
//!
//! Every borrow of this state is short and never held across an `.await`.

use core::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use core::task::Waker;

use smoltcp::iface::{Interface, SocketHandle, SocketSet};
#[cfg(feature = "dhcp")]
use smoltcp::socket::dhcpv4;
#[cfg(all(feature = "dhcp", feature = "dns"))]
use smoltcp::socket::dns as sdns;
use smoltcp::socket::{tcp as stcp, udp as sudp};
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address};

use super::StackConfig;
use super::device::ObservedDevice;
use super::observer::{Counters, FourTuple, Observer};
use super::{from_smol, to_smol};
use crate::error::TcpError;
use crate::socket::BacklogPolicy;
use crate::stats::{IfInfo, TcpConnInfo, TcpState, TcpStats, UdpEndpointInfo};
use crate::time::{Duration, Instant};

/// Listeners at once per stack.
pub(crate) const MAX_LISTENERS: usize = 16;
/// How long a closed-by-us connection may linger (FIN-WAIT-2 with a silent
/// peer) before it is aborted to get its memory back.
const ORPHAN_LINGER: Duration = Duration::from_secs(60);
const EPHEMERAL_FIRST: u16 = 49152;
/// How long a dropped UDP socket may wait for its queued datagrams to go
/// out (an unresolvable neighbour would otherwise hold it forever).
pub(crate) const UDP_LINGER: Duration = Duration::from_secs(3);
/// How long a UDP `send_to` waits for its next hop to answer ARP before the
/// datagram is discarded (lwIP: about 5 ARP tries; Linux: 3 s).
pub(crate) const UDP_ARP_WAIT: Duration = Duration::from_secs(3);
/// ARP requests for a waiting `send_to` go out this often.
const ARP_RETRY: Duration = Duration::from_secs(1);

/// Where a datagram to an address goes on the link.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum NextHop {
    /// No neighbour to resolve (broadcast, multicast, ourselves, or no
    /// address yet): smoltcp sends it as is.
    Direct,
    /// Through this neighbour (the address itself on-link, or the gateway).
    Neighbour(Ipv4Address),
    /// Off-link with no gateway.
    NoRoute,
}

/// A `send_to` waiting for its next hop's MAC address (see the `udp` module).
#[derive(Copy, Clone, Debug)]
pub(crate) struct ArpWait {
    /// The next hop.
    pub(crate) addr: Ipv4Address,
    /// When the runner sent the first ARP request for it.
    since: Option<Instant>,
    /// When it sent the last one.
    sent: Instant,
}

impl ArpWait {
    pub(crate) fn new(addr: Ipv4Address) -> Self {
        ArpWait {
            addr,
            since: None,
            sent: Instant::ZERO,
        }
    }
}

/// How long an orphan that smoltcp aborted may keep its connection tuple
/// while its RST waits to go out (a neighbour that never answers ARP keeps
/// it pending forever): after this it is reset without the RST and freed.
const ORPHAN_RST_GRACE: Duration = Duration::from_secs(1);

/// What a pool socket is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// Unused, state CLOSED, ready for a listener or a connect.
    Free,
    /// Owned by listener `id`: in LISTEN, or handshaking/established and
    /// waiting for `accept` (`order` gives accept order).
    Listening { id: u8, order: u32 },
    /// Handed to the application as a stream.
    Owned,
    /// Closed or aborted by the application; reclaimed once finished.
    Orphan { since: Instant },
}

/// Bookkeeping for one socket of the TCP pool (opaque; allocate with
/// [`TcpSlot::EMPTY`]).
#[derive(Copy, Clone, Debug)]
pub struct TcpSlot {
    pub(crate) handle: Option<SocketHandle>,
    pub(crate) usage: Use,
    pub(crate) last: stcp::State,
    pub(crate) tuple: Option<FourTuple>,
    /// Why the connection ended, once it has.
    pub(crate) error: Option<TcpError>,
    pub(crate) read_shut: bool,
    /// When the socket entered TIME-WAIT (the oldest is recycled first).
    pub(crate) time_wait_since: Option<Instant>,
}

impl TcpSlot {
    /// An unused slot, to fill [`Memory::tcp_slots`](super::Memory).
    pub const EMPTY: TcpSlot = TcpSlot {
        handle: None,
        usage: Use::Free,
        last: stcp::State::Closed,
        tuple: None,
        error: None,
        read_shut: false,
        time_wait_since: None,
    };
    pub(crate) fn new(handle: SocketHandle) -> Self {
        TcpSlot {
            handle: Some(handle),
            ..Self::EMPTY
        }
    }
}

/// Bookkeeping for one UDP socket (opaque; allocate with [`UdpSlot::EMPTY`]).
#[derive(Clone, Debug)]
pub struct UdpSlot {
    pub(crate) handle: Option<SocketHandle>,
    pub(crate) in_use: bool,
    pub(crate) broadcast: bool,
    pub(crate) groups: heapless::Vec<Ipv4Address, 4>,
    /// Dropped by the app with datagrams still queued: kept bound until
    /// they are sent (or [`UDP_LINGER`] passes), then closed and freed.
    pub(crate) closing_since: Option<Instant>,
    /// A `send_to` waiting for ARP; the runner clears it when the neighbour
    /// answers or [`UDP_ARP_WAIT`] passes, and wakes `arp_waker`.
    pub(crate) arp: Option<ArpWait>,
    pub(crate) arp_waker: Option<Waker>,
}

impl UdpSlot {
    /// An unused slot, to fill [`Memory::udp_slots`](super::Memory).
    pub const EMPTY: UdpSlot = UdpSlot {
        handle: None,
        in_use: false,
        broadcast: false,
        groups: heapless::Vec::new(),
        closing_since: None,
        arp: None,
        arp_waker: None,
    };
    pub(crate) fn new(handle: SocketHandle) -> Self {
        UdpSlot {
            handle: Some(handle),
            ..Self::EMPTY
        }
    }
}

/// TCP slots reserved for one port's listeners.
#[derive(Clone, Debug)]
pub(crate) struct Reserved {
    pub(crate) port: u16,
    pub(crate) slots: core::ops::Range<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct ListenerEntry {
    pub(crate) local: SocketAddrV4,
    pub(crate) backlog: u8,
    pub(crate) policy: BacklogPolicy,
    pub(crate) waker: Option<Waker>,
}

/// The stack's state (opaque; lives in [`Memory::state`](super::Memory)).
pub struct Inner<'d> {
    pub(crate) iface: Interface,
    pub(crate) sockets: SocketSet<'d>,
    pub(crate) tcp: &'d mut [TcpSlot],
    /// `tcp[..tcp_pool]` is the shared pool; the rest is `tcp_reserved`.
    tcp_pool: usize,
    tcp_reserved: heapless::Vec<Reserved, { super::MAX_TCP_RESERVED }>,
    pub(crate) udp: &'d mut [UdpSlot],
    /// `udp[..udp_pool]` is the shared pool; `udp[udp_pool + i]` is
    /// reserved for port `udp_reserved[i]`.
    udp_pool: usize,
    udp_reserved: heapless::Vec<u16, { super::MAX_UDP_RESERVED }>,
    pub(crate) listeners: [Option<ListenerEntry>; MAX_LISTENERS],
    #[cfg(feature = "dhcp")]
    pub(crate) dhcp: Option<SocketHandle>,
    #[cfg(feature = "dns")]
    pub(crate) dns: Option<SocketHandle>,
    pub(crate) dns_servers: heapless::Vec<Ipv4Address, 4>,
    /// NTP servers from DHCP option 42.
    pub(crate) ntp_servers: heapless::Vec<Ipv4Address, 4>,
    gateway: Option<Ipv4Address>,
    pub(crate) observer: Observer,
    runner_waker: Option<Waker>,
    runner_signal: bool,
    /// The time of the last poll step.
    now: Instant,
    /// Tasks waiting in `wait_configured` (several may wait at once).
    config_wakers: heapless::Vec<Waker, 4>,
    next_port: u16,
    accept_order: u32,
    link_up: bool,
    config: StackConfig,
    mac: EthernetAddress,
    multicast: heapless::Vec<(Ipv4Address, u8), 8>,
    closed_estab_resets: u64,
    passive_opens: u64,
    active_opens: u64,
    attempt_fails: u64,
}

impl<'d> Inner<'d> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        iface: Interface,
        sockets: SocketSet<'d>,
        tcp: &'d mut [TcpSlot],
        tcp_pool: usize,
        tcp_reserved: heapless::Vec<Reserved, { super::MAX_TCP_RESERVED }>,
        udp: &'d mut [UdpSlot],
        udp_pool: usize,
        udp_reserved: heapless::Vec<u16, { super::MAX_UDP_RESERVED }>,
        #[cfg(feature = "dhcp")] dhcp: Option<SocketHandle>,
        #[cfg(feature = "dns")] dns: Option<SocketHandle>,
        mac: EthernetAddress,
        config: StackConfig,
        now: Instant,
    ) -> Self {
        let dns_servers = match config.ip {
            super::IpConfig::Static { dns: Some(d), .. } => heapless::Vec::from_iter([d]),
            _ => heapless::Vec::new(),
        };
        let gateway = match config.ip {
            super::IpConfig::Static { gateway, .. } => gateway,
            #[cfg(feature = "dhcp")]
            super::IpConfig::Dhcp => None,
        };
        Inner {
            gateway,
            iface,
            sockets,
            tcp,
            tcp_pool,
            tcp_reserved,
            udp,
            udp_pool,
            udp_reserved,
            listeners: [const { None }; MAX_LISTENERS],
            #[cfg(feature = "dhcp")]
            dhcp,
            #[cfg(feature = "dns")]
            dns,
            dns_servers,
            ntp_servers: heapless::Vec::new(),
            observer: Observer::new(mac),
            runner_waker: None,
            runner_signal: false,
            now,
            config_wakers: heapless::Vec::new(),
            next_port: EPHEMERAL_FIRST
                + (config.random_seed % 8192) as u16
                + (now.as_micros() % 7) as u16,
            accept_order: 0,
            link_up: true,
            config,
            mac,
            multicast: heapless::Vec::new(),
            closed_estab_resets: 0,
            passive_opens: 0,
            active_opens: 0,
            attempt_fails: 0,
        }
    }

    // ---- runner coordination -------------------------------------------

    /// Asks the runner to poll soon (a socket changed).
    pub(crate) fn wake_runner(&mut self) {
        self.runner_signal = true;
        if let Some(w) = self.runner_waker.take() {
            w.wake();
        }
    }

    /// Runner side: consumes a pending signal, else registers its waker.
    pub(crate) fn take_runner_signal(&mut self, waker: &Waker) -> bool {
        if self.runner_signal {
            self.runner_signal = false;
            return true;
        }
        match &self.runner_waker {
            Some(w) if w.will_wake(waker) => {}
            _ => self.runner_waker = Some(waker.clone()),
        }
        false
    }

    /// The time of the last poll step.
    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    pub(crate) fn register_config_waker(&mut self, waker: &Waker) {
        if self.config_wakers.iter().any(|w| w.will_wake(waker)) {
            return;
        }
        if let Err(w) = self.config_wakers.push(waker.clone()) {
            // More waiters than slots: wake them all so none is lost; each
            // re-registers on its next poll.
            for old in self.config_wakers.drain(..) {
                old.wake();
            }
            w.wake();
        }
    }

    // ---- the poll step --------------------------------------------------

    /// One pump step; returns the latest time the next step is due.
    pub(crate) fn poll<D: smoltcp::phy::Device>(
        &mut self,
        now: Instant,
        device: &mut D,
    ) -> Instant {
        self.now = now;
        self.observer.now = now;
        let snow = to_smol(now);
        let our_ip = self.iface.ipv4_addr();
        {
            let observer = core::cell::RefCell::new(&mut self.observer);
            let mut dev = ObservedDevice::new(device, &observer, our_ip);
            self.iface.poll(snow, &mut dev, &mut self.sockets);
        }
        let dhcp_changed = self.poll_dhcp();
        let tcp_changed = self.scan_tcp(now);
        self.reclaim_udp(now);
        let listeners_changed = self.maintain_listeners();
        // The maintenance may have armed sockets or queued RSTs: run egress
        // again so they go out now rather than at the next wake-up. Only
        // then, or while a UDP socket waits for ARP: each egress pass visits
        // every socket, and in steady traffic (keep-alive requests) nothing
        // changed, so a second pass was a third of the runner's work.
        if dhcp_changed
            || tcp_changed
            || listeners_changed
            || self.udp.iter().any(|s| s.arp.is_some())
        {
            let observer = core::cell::RefCell::new(&mut self.observer);
            let mut dev = ObservedDevice::new(device, &observer, our_ip);
            if let Some(ip) = our_ip {
                resolve_udp_next_hops(self.udp, &observer, &mut dev, now, self.mac, ip);
            }
            self.iface.poll_egress(snow, &mut dev, &mut self.sockets);
        }
        let mut next = self
            .iface
            .poll_at(snow, &self.sockets)
            .map(from_smol)
            .unwrap_or(Instant::MAX);
        // Orphans that linger must be checked again later: an aborted one
        // once its RST had its grace, a closing one when it lingered.
        for slot in self.tcp.iter() {
            if let Use::Orphan { since } = slot.usage {
                next = next.min(if slot.last == stcp::State::Closed {
                    since + ORPHAN_RST_GRACE
                } else {
                    since + ORPHAN_LINGER
                });
            }
        }
        for slot in self.udp.iter() {
            if let Some(since) = slot.closing_since {
                next = next.min(since + UDP_LINGER);
            }
            if let Some(w) = slot.arp {
                next = next.min(match w.since {
                    Some(since) => (w.sent + ARP_RETRY).min(since + UDP_ARP_WAIT),
                    None => now,
                });
            }
        }
        next.max(now)
    }

    /// Applies a DHCP event; whether there was one.
    #[cfg(not(feature = "dhcp"))]
    fn poll_dhcp(&mut self) -> bool {
        false
    }

    /// Applies a DHCP event; whether there was one.
    #[cfg(feature = "dhcp")]
    fn poll_dhcp(&mut self) -> bool {
        let Some(h) = self.dhcp else { return false };
        let event = match self.sockets.get_mut::<dhcpv4::Socket>(h).poll() {
            None => return false,
            Some(dhcpv4::Event::Configured(cfg)) => Some((
                cfg.address,
                cfg.router,
                cfg.dns_servers
                    .iter()
                    .copied()
                    .collect::<heapless::Vec<_, 4>>(),
                cfg.packet.map(|p| option_42(&p)).unwrap_or_default(),
            )),
            Some(dhcpv4::Event::Deconfigured) => None,
        };
        match event {
            Some((addr, router, dns, ntp)) => {
                self.ntp_servers = ntp;
                #[cfg(feature = "log")]
                log::info!("dhcp: configured {addr}, router {router:?}, dns {dns:?}");
                self.iface.update_ip_addrs(|a| {
                    a.clear();
                    let _ = a.push(IpCidr::Ipv4(addr));
                });
                self.observer.forget_neighbours();
                self.iface.routes_mut().remove_default_ipv4_route();
                self.gateway = router;
                if let Some(r) = router {
                    let _ = self.iface.routes_mut().add_default_ipv4_route(r);
                }
                self.set_dns_servers(&dns);
                for w in self.config_wakers.drain(..) {
                    w.wake();
                }
            }
            None => {
                #[cfg(feature = "log")]
                log::warn!("dhcp: lease lost, interface deconfigured");
                self.iface.update_ip_addrs(|a| a.clear());
                self.observer.forget_neighbours();
                self.iface.routes_mut().remove_default_ipv4_route();
                self.gateway = None;
                self.ntp_servers.clear();
            }
        }
        true
    }

    #[cfg(feature = "dhcp")]
    fn set_dns_servers(&mut self, servers: &[Ipv4Address]) {
        self.dns_servers = servers.iter().copied().take(4).collect();
        #[cfg(feature = "dns")]
        if let Some(h) = self.dns {
            let list: heapless::Vec<IpAddress, 4> = self
                .dns_servers
                .iter()
                .map(|a| IpAddress::Ipv4(*a))
                .collect();
            self.sockets
                .get_mut::<sdns::Socket>(h)
                .update_servers(&list);
        }
    }

    /// Watches every pool socket's state: counts transitions for MIB-2,
    /// records why connections ended, reclaims finished orphans. Whether
    /// any socket changed state or was reclaimed or aborted.
    fn scan_tcp(&mut self, now: Instant) -> bool {
        let mut changed = false;
        for slot in self.tcp.iter_mut() {
            let Some(h) = slot.handle else { continue };
            let sock = self.sockets.get_mut::<stcp::Socket>(h);
            let state = sock.state();
            if slot.tuple.is_none()
                && let (Some(l), Some(r)) = (sock.local_endpoint(), sock.remote_endpoint())
                && let (IpAddress::Ipv4(la), IpAddress::Ipv4(ra)) = (l.addr, r.addr)
            {
                slot.tuple = Some(FourTuple {
                    local: (la, l.port),
                    remote: (ra, r.port),
                });
            }
            let prev = slot.last;
            if state != prev {
                changed = true;
                use stcp::State as S;
                match (prev, state) {
                    (S::Listen, S::SynReceived | S::Established | S::CloseWait) => {
                        self.passive_opens += 1
                    }
                    (S::SynSent | S::SynReceived, S::Closed | S::Listen) => self.attempt_fails += 1,
                    (S::Established | S::CloseWait, S::Closed) => self.closed_estab_resets += 1,
                    _ => {}
                }
                if state == S::Closed && slot.error.is_none() {
                    let rst = slot.tuple.is_some_and(|t| self.observer.take_rst(&t));
                    slot.error = match prev {
                        S::Closed | S::Listen | S::LastAck | S::TimeWait => None,
                        _ if !rst => Some(TcpError::TimedOut),
                        S::SynSent => Some(TcpError::Refused),
                        _ => Some(TcpError::Reset),
                    };
                }
                slot.last = state;
                if let Use::Listening { id, order } = &mut slot.usage {
                    if let Some(Some(e)) = self.listeners.get_mut(usize::from(*id))
                        && let Some(w) = e.waker.take()
                    {
                        w.wake();
                    }
                    if prev == S::Listen {
                        *order = self.accept_order;
                        self.accept_order = self.accept_order.wrapping_add(1);
                    }
                }
            }
            if state == stcp::State::TimeWait && slot.time_wait_since.is_none() {
                slot.time_wait_since = Some(now);
            }
            match slot.usage {
                Use::Orphan { since } => {
                    if state == stcp::State::Closed {
                        // Finished. A tuple left means smoltcp still has an
                        // RST to send for an abort; it had its chance in the
                        // poll that just ran (and the grace), so a neighbour
                        // that never answers ARP cannot hold the slot.
                        if sock.remote_endpoint().is_some() && now >= since + ORPHAN_RST_GRACE {
                            reset_closed(sock);
                        }
                        if sock.remote_endpoint().is_none() {
                            changed = true;
                            if let Some(t) = slot.tuple {
                                self.observer.forget(&t);
                            }
                            *slot = TcpSlot::new(h);
                        }
                    } else if now >= since + ORPHAN_LINGER {
                        changed = true;
                        sock.abort();
                        slot.last = stcp::State::Closed;
                        slot.usage = Use::Orphan { since: now };
                    }
                }
                Use::Listening { .. } if state == stcp::State::Closed => {
                    // A handshake failed (RST or timeout in SYN-RCVD) or the
                    // peer reset before accept: give the socket back.
                    changed = true;
                    if let Some(t) = slot.tuple {
                        self.observer.forget(&t);
                    }
                    *slot = TcpSlot::new(h);
                }
                _ => {}
            }
        }
        changed
    }

    /// Frees dropped UDP sockets whose queued datagrams have gone out.
    fn reclaim_udp(&mut self, now: Instant) {
        for slot in self.udp.iter_mut() {
            let (Some(since), Some(h)) = (slot.closing_since, slot.handle) else {
                continue;
            };
            let sock = self.sockets.get_mut::<sudp::Socket>(h);
            if sock.send_queue() == 0 || now >= since + UDP_LINGER {
                sock.close();
                *slot = UdpSlot::new(h);
            }
        }
    }

    /// Keeps each listener's sockets in LISTEN so that LISTEN + pending =
    /// backlog, as far as the pool allows, and tells the observer which
    /// ports must drop SYNs. Whether it armed or put back any socket.
    pub(crate) fn maintain_listeners(&mut self) -> bool {
        let mut changed = false;
        let mut budgets: heapless::Vec<(u16, u16), MAX_LISTENERS> = heapless::Vec::new();
        for id in 0..MAX_LISTENERS {
            // The fields only: cloning the entry would clone its waker.
            let Some(Some(e)) = self.listeners.get(id) else {
                continue;
            };
            let (local, backlog, policy) = (e.local, e.backlog, e.policy);
            let mut idle = 0usize;
            let mut pending = 0usize;
            for slot in self.tcp.iter() {
                if let Use::Listening { id: sid, .. } = slot.usage
                    && usize::from(sid) == id
                {
                    if slot.last == stcp::State::Listen {
                        idle += 1;
                    } else {
                        pending += 1;
                    }
                }
            }
            let want = usize::from(backlog).saturating_sub(pending);
            while idle < want {
                if !self.arm_listen_socket(id, local) {
                    break;
                }
                changed = true;
                idle += 1;
            }
            while idle > want {
                if !self.disarm_one_listen_socket(id, true)
                    && !self.disarm_one_listen_socket(id, false)
                {
                    break;
                }
                changed = true;
                idle -= 1;
            }
            // Back onto the port's reserved sockets as they come free (a
            // LISTEN socket from the shared pool is swapped for one).
            for _ in 0..self.tcp.len() {
                if self.free_reserved_slot(local.port()).is_none()
                    || !self.disarm_one_listen_socket(id, true)
                {
                    break;
                }
                self.arm_listen_socket(id, local);
                changed = true;
            }
            if policy == BacklogPolicy::Drop {
                let _ = budgets.push((local.port(), idle as u16));
            }
        }
        self.observer.set_syn_budgets(&budgets);
        changed
    }

    fn arm_listen_socket(&mut self, id: usize, local: SocketAddrV4) -> bool {
        let Some(idx) = self
            .free_reserved_slot(local.port())
            .or_else(|| self.free_tcp_slot(true))
        else {
            return false;
        };
        let Some(slot) = self.tcp.get_mut(idx) else {
            return false;
        };
        let Some(h) = slot.handle else { return false };
        let sock = self.sockets.get_mut::<stcp::Socket>(h);
        reset_options(sock);
        let ep = if local.ip().is_unspecified() {
            smoltcp::wire::IpListenEndpoint {
                addr: None,
                port: local.port(),
            }
        } else {
            smoltcp::wire::IpListenEndpoint {
                addr: Some(IpAddress::Ipv4(*local.ip())),
                port: local.port(),
            }
        };
        if sock.listen(ep).is_err() {
            return false;
        }
        *slot = TcpSlot::new(h);
        slot.usage = Use::Listening {
            id: id as u8,
            order: 0,
        };
        slot.last = stcp::State::Listen;
        true
    }

    /// Puts one of listener `id`'s idle LISTEN sockets back; with
    /// `pool_only`, only one from the shared pool.
    fn disarm_one_listen_socket(&mut self, id: usize, pool_only: bool) -> bool {
        let pool = self.tcp_pool;
        for (i, slot) in self.tcp.iter_mut().enumerate() {
            if pool_only && i >= pool {
                continue;
            }
            if let Use::Listening { id: sid, .. } = slot.usage
                && usize::from(sid) == id
                && slot.last == stcp::State::Listen
                && let Some(h) = slot.handle
            {
                self.sockets.get_mut::<stcp::Socket>(h).abort();
                *slot = TcpSlot::new(h);
                return true;
            }
        }
        false
    }

    /// A free pool slot; with `steal`, the oldest TIME-WAIT orphan is taken
    /// (aborted) when nothing is free, as lwIP recycles its oldest TIME-WAIT
    /// pcb. Listeners and connects both steal: a TIME-WAIT socket only
    /// guards against stray segments of a finished connection, and a server
    /// that closes first would otherwise run out of sockets after
    /// `tcp_sockets` requests per TIME-WAIT period (smoltcp: 10 s).
    /// Only the shared pool: reserved sockets are for their port's
    /// listeners ([`Inner::free_reserved_slot`]).
    pub(crate) fn free_tcp_slot(&mut self, steal: bool) -> Option<usize> {
        let pool = self.tcp.get(..self.tcp_pool).unwrap_or(&[]);
        // One pass: a free slot wins at once; else the first orphan that
        // has finished (a failed connect, say) but that the runner has not
        // swept yet, which is as good as free; else (with `steal`) the
        // oldest TIME-WAIT orphan.
        let mut finished = None;
        let mut oldest: Option<(usize, Instant)> = None;
        for (i, s) in pool.iter().enumerate() {
            let Some(h) = s.handle else { continue };
            match (s.usage, s.last) {
                (Use::Free, _) => return Some(i),
                (Use::Orphan { .. }, stcp::State::Closed) if finished.is_none() => {
                    let sock = self.sockets.get::<stcp::Socket>(h);
                    if sock.state() == stcp::State::Closed && sock.remote_endpoint().is_none() {
                        finished = Some(i);
                    }
                }
                (Use::Orphan { .. }, stcp::State::TimeWait) => {
                    let since = s.time_wait_since.unwrap_or(Instant::ZERO);
                    if oldest.is_none_or(|(_, t)| since < t) {
                        oldest = Some((i, since));
                    }
                }
                _ => {}
            }
        }
        let (i, time_wait) = match (finished, oldest) {
            (Some(i), _) => (i, false),
            (None, Some((i, _))) if steal => (i, true),
            _ => return None,
        };
        let slot = self.tcp.get_mut(i)?;
        let h = slot.handle?;
        if time_wait {
            // Closing in TIME-WAIT silently: there is no RST to send for it.
            // The aborted socket still holds its tuple until the next
            // dispatch; a fresh listen/connect on it resets that.
            self.sockets.get_mut::<stcp::Socket>(h).abort();
        }
        if let Some(t) = slot.tuple {
            self.observer.forget(&t);
        }
        *slot = TcpSlot::new(h);
        Some(i)
    }

    /// A free UDP socket for a bind on `port`: its reserved one first, then
    /// the pool's.
    pub(crate) fn free_udp_slot(&self, port: u16) -> Option<usize> {
        let reserved = self
            .udp_reserved
            .iter()
            .position(|&p| p == port)
            .map(|r| self.udp_pool + r);
        // The reserved one (if any) first, then the pool in order.
        for i in reserved.into_iter().chain(0..self.udp_pool) {
            if let Some(s) = self.udp.get(i)
                && !s.in_use
                && s.handle.is_some()
            {
                return Some(i);
            }
        }
        None
    }

    /// A free socket reserved for listeners on `port`, if any.
    fn free_reserved_slot(&self, port: u16) -> Option<usize> {
        let r = self.tcp_reserved.iter().find(|r| r.port == port)?;
        r.slots.clone().find(|&i| {
            self.tcp
                .get(i)
                .is_some_and(|s| s.usage == Use::Free && s.handle.is_some())
        })
    }

    /// A local port for an outgoing connection or an unbound UDP socket.
    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        for _ in 0..16384 {
            let p = self.next_port;
            self.next_port = p
                .checked_add(1)
                .unwrap_or(EPHEMERAL_FIRST)
                .max(EPHEMERAL_FIRST);
            if !self.port_in_use(p) {
                return p;
            }
        }
        self.next_port
    }

    fn port_in_use(&self, port: u16) -> bool {
        self.tcp.iter().any(|s| {
            s.handle.is_some_and(|h| {
                let sock = self.sockets.get::<stcp::Socket>(h);
                sock.local_endpoint().is_some_and(|e| e.port == port)
                    || (sock.is_listening() && sock.listen_endpoint().port == port)
            })
        }) || self.udp_port_taken(port)
    }

    /// Whether a bound UDP socket has local port `port`.
    pub(crate) fn udp_port_taken(&self, port: u16) -> bool {
        for s in self.udp.iter() {
            if s.in_use
                && let Some(h) = s.handle
                && self.sockets.get::<sudp::Socket>(h).endpoint().port == port
            {
                return true;
            }
        }
        false
    }

    // ---- listeners --------------------------------------------------------

    pub(crate) fn add_listener(&mut self, entry: ListenerEntry) -> Result<u8, TcpError> {
        let clash = self.listeners.iter().flatten().any(|l| {
            l.local.port() == entry.local.port()
                && (l.local.ip() == entry.local.ip()
                    || l.local.ip().is_unspecified()
                    || entry.local.ip().is_unspecified())
        });
        if clash {
            return Err(TcpError::AddrInUse);
        }
        let id = self
            .listeners
            .iter()
            .position(|l| l.is_none())
            .ok_or(TcpError::NoBuffer)?;
        if let Some(slot) = self.listeners.get_mut(id) {
            *slot = Some(entry);
        }
        self.maintain_listeners();
        self.wake_runner();
        Ok(id as u8)
    }

    pub(crate) fn remove_listener(&mut self, id: u8) {
        if let Some(e) = self.listeners.get_mut(usize::from(id)) {
            *e = None;
        }
        for slot in self.tcp.iter_mut() {
            if let Use::Listening { id: sid, .. } = slot.usage
                && sid == id
                && let Some(h) = slot.handle
            {
                let sock = self.sockets.get_mut::<stcp::Socket>(h);
                let listening = sock.state() == stcp::State::Listen;
                sock.abort();
                if listening {
                    *slot = TcpSlot::new(h);
                } else {
                    // An unaccepted connection gets its RST on the next poll.
                    slot.usage = Use::Orphan { since: self.now };
                }
            }
        }
        self.maintain_listeners();
        self.wake_runner();
    }

    /// Takes the oldest established connection of listener `id`, if any.
    pub(crate) fn take_accepted(&mut self, id: u8) -> Option<usize> {
        let mut best: Option<(usize, u32)> = None;
        for (i, slot) in self.tcp.iter().enumerate() {
            if let Use::Listening { id: sid, order } = slot.usage
                && sid == id
                && matches!(slot.last, stcp::State::Established | stcp::State::CloseWait)
                && best.is_none_or(|(_, o)| (order.wrapping_sub(o) as i32) < 0)
            {
                best = Some((i, order));
            }
        }
        let (i, _) = best?;
        if let Some(slot) = self.tcp.get_mut(i) {
            slot.usage = Use::Owned;
        }
        self.maintain_listeners();
        self.wake_runner();
        Some(i)
    }

    pub(crate) fn listener_waker(&mut self, id: u8, waker: &Waker) {
        if let Some(Some(e)) = self.listeners.get_mut(usize::from(id)) {
            e.waker = Some(waker.clone());
        }
    }

    // ---- TCP stream helpers --------------------------------------------

    pub(crate) fn tcp_socket(
        &mut self,
        idx: usize,
    ) -> Option<(&mut TcpSlot, &mut stcp::Socket<'d>)> {
        let slot = self.tcp.get_mut(idx)?;
        let h = slot.handle?;
        Some((slot, self.sockets.get_mut::<stcp::Socket>(h)))
    }

    pub(crate) fn orphan(&mut self, idx: usize, abort: bool) {
        let now = self.now;
        let mut failed_attempt = false;
        if let Some((slot, sock)) = self.tcp_socket(idx) {
            if sock.state() == stcp::State::SynSent {
                // A connect given up (timed out, or its future dropped):
                // nothing was synchronized, so there is nothing to reset on
                // the peer (lwIP sends no RST either), and an RST to a host
                // that never answered ARP would hold the socket.
                reset_closed(sock);
                slot.last = stcp::State::Closed;
                slot.error.get_or_insert(TcpError::TimedOut);
                failed_attempt = true;
            } else if abort {
                sock.abort();
            } else {
                sock.close();
            }
            slot.usage = Use::Orphan { since: now };
        }
        if failed_attempt {
            self.attempt_fails += 1;
        }
        self.wake_runner();
    }

    pub(crate) fn count_active_open(&mut self) {
        self.active_opens += 1;
    }

    // ---- multicast ------------------------------------------------------

    pub(crate) fn join_group(&mut self, group: Ipv4Address) -> bool {
        if let Some(e) = self.multicast.iter_mut().find(|(g, _)| *g == group) {
            e.1 = e.1.saturating_add(1);
            return true;
        }
        if self.multicast.is_full() || self.iface.join_multicast_group(group).is_err() {
            return false;
        }
        let _ = self.multicast.push((group, 1));
        self.wake_runner();
        true
    }

    pub(crate) fn leave_group(&mut self, group: Ipv4Address) {
        if let Some(pos) = self.multicast.iter().position(|(g, _)| *g == group) {
            let left = self.multicast.get_mut(pos).map(|e| {
                e.1 = e.1.saturating_sub(1);
                e.1 == 0
            });
            if left == Some(true) {
                self.multicast.swap_remove(pos);
                let _ = self.iface.leave_multicast_group(group);
                self.wake_runner();
            }
        }
    }

    // ---- statistics and info --------------------------------------------

    pub(crate) fn ipv4(&self) -> Option<(Ipv4Addr, u8)> {
        self.iface.ip_addrs().iter().find_map(|c| match c {
            IpCidr::Ipv4(c) => Some((c.address(), c.prefix_len())),
            #[allow(unreachable_patterns)]
            _ => None,
        })
    }

    pub(crate) fn dns_servers(&self) -> heapless::Vec<Ipv4Addr, 4> {
        self.dns_servers.clone()
    }

    /// The neighbour a datagram to `dst` goes through.
    pub(crate) fn next_hop(&self, dst: Ipv4Address) -> NextHop {
        let Some((ours, prefix)) = self.ipv4() else {
            return NextHop::Direct;
        };
        if dst.is_broadcast()
            || dst.is_multicast()
            || dst.is_unspecified()
            || dst.is_loopback()
            || dst == ours
        {
            return NextHop::Direct;
        }
        let mask = u32::MAX
            .checked_shl(32 - u32::from(prefix.min(32)))
            .unwrap_or(0);
        let (d, o) = (u32::from(dst), u32::from(ours));
        if d & mask == o & mask {
            if prefix < 31 && d | mask == u32::MAX {
                // The subnet's broadcast address.
                return NextHop::Direct;
            }
            return NextHop::Neighbour(dst);
        }
        match self.gateway {
            Some(g) => NextHop::Neighbour(g),
            None => NextHop::NoRoute,
        }
    }

    pub(crate) fn gateway(&self) -> Option<Ipv4Addr> {
        self.gateway
    }

    pub(crate) fn count_rx_error(&mut self) {
        self.observer.counters.iface.in_errors += 1;
    }

    pub(crate) fn count_rx_discard(&mut self) {
        self.observer.counters.iface.in_discards += 1;
    }

    pub(crate) fn set_link_up(&mut self, up: bool) {
        self.link_up = up;
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.observer.counters
    }

    pub(crate) fn tcp_stats(&self) -> TcpStats {
        let mut s = self.observer.counters.tcp;
        s.active_opens = self.active_opens;
        s.passive_opens = self.passive_opens;
        s.attempt_fails = self.attempt_fails;
        s.estab_resets = self.closed_estab_resets;
        s.curr_estab = self
            .tcp
            .iter()
            .filter(|t| matches!(t.last, stcp::State::Established | stcp::State::CloseWait))
            .count() as u64;
        s
    }

    pub(crate) fn if_info(&self) -> IfInfo {
        let mut name = heapless::String::new();
        let _ = name.push_str(self.config.name);
        IfInfo {
            index: 1,
            name,
            mac: self.mac.0,
            mtu: self.config.mtu,
            speed_bps: self.config.speed_bps,
            up: self.link_up,
            ipv4: self.ipv4(),
            counters: self.observer.counters.iface,
        }
    }

    pub(crate) fn for_each_tcp(&self, f: &mut dyn FnMut(&TcpConnInfo)) {
        for slot in self.tcp.iter() {
            let Some(h) = slot.handle else { continue };
            let sock = self.sockets.get::<stcp::Socket>(h);
            let state = map_state(sock.state());
            if state == TcpState::Closed {
                continue;
            }
            if state == TcpState::Listen {
                // One row per listener, not per pooled socket.
                continue;
            }
            let (Some(l), Some(r)) = (sock.local_endpoint(), sock.remote_endpoint()) else {
                continue;
            };
            f(&TcpConnInfo {
                local: endpoint(l),
                remote: endpoint(r),
                state,
            });
        }
        for l in self.listeners.iter().flatten() {
            f(&TcpConnInfo {
                local: SocketAddr::V4(l.local),
                remote: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                state: TcpState::Listen,
            });
        }
    }

    pub(crate) fn for_each_udp(&self, f: &mut dyn FnMut(&UdpEndpointInfo)) {
        for slot in self.udp.iter().filter(|s| s.in_use) {
            let Some(h) = slot.handle else { continue };
            let ep = self.sockets.get::<sudp::Socket>(h).endpoint();
            let ip = match ep.addr {
                Some(IpAddress::Ipv4(a)) => a,
                _ => Ipv4Addr::UNSPECIFIED,
            };
            f(&UdpEndpointInfo {
                local: SocketAddr::new(IpAddr::V4(ip), ep.port),
            });
        }
    }
}

/// The runner's side of UDP's ARP wait: sends ARP requests for the next
/// hops `send_to` calls wait for (smoltcp only resolves a neighbour for a
/// datagram already queued, which would then block its socket's queue), and
/// wakes the waiters when the neighbour is known or the wait is over.
fn resolve_udp_next_hops<D: smoltcp::phy::Device>(
    udp: &mut [UdpSlot],
    observer: &core::cell::RefCell<&mut Observer>,
    dev: &mut D,
    now: Instant,
    mac: EthernetAddress,
    our_ip: Ipv4Address,
) {
    for slot in udp.iter_mut() {
        let Some(mut w) = slot.arp else { continue };
        let done = match w.since {
            _ if observer.borrow().neighbour_known(w.addr, now) => true,
            Some(since) if now >= since + UDP_ARP_WAIT => true,
            Some(_) if now < w.sent + ARP_RETRY => false,
            _ => {
                send_arp_request(dev, now, mac, our_ip, w.addr);
                w.since = w.since.or(Some(now));
                w.sent = now;
                false
            }
        };
        slot.arp = if done { None } else { Some(w) };
        if done && let Some(waker) = slot.arp_waker.take() {
            waker.wake();
        }
    }
}

/// Broadcasts an ARP request for `target` (if the device has room).
fn send_arp_request<D: smoltcp::phy::Device>(
    dev: &mut D,
    now: Instant,
    mac: EthernetAddress,
    our_ip: Ipv4Address,
    target: Ipv4Address,
) {
    use smoltcp::phy::TxToken;
    use smoltcp::wire::{
        ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, EthernetRepr,
    };
    let Some(tx) = dev.transmit(to_smol(now)) else {
        return;
    };
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: mac,
        source_protocol_addr: our_ip,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: target,
    };
    let eth = EthernetRepr {
        src_addr: mac,
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Arp,
    };
    tx.consume(eth.buffer_len() + arp.buffer_len(), |buf| {
        let mut frame = EthernetFrame::new_unchecked(buf);
        eth.emit(&mut frame);
        arp.emit(&mut ArpPacket::new_unchecked(frame.payload_mut()));
    });
}

/// Forgets a socket's connection without sending anything: smoltcp has no
/// public reset, but `listen` performs one on a closed socket; the abort
/// around it leaves the socket closed with no tuple (no RST to send).
fn reset_closed(sock: &mut stcp::Socket<'_>) {
    sock.abort();
    let _ = sock.listen(smoltcp::wire::IpListenEndpoint {
        addr: None,
        port: 1,
    });
    sock.abort();
}

/// Restores a pool socket's options to the defaults before reuse.
pub(crate) fn reset_options(sock: &mut stcp::Socket<'_>) {
    sock.set_nagle_enabled(true);
    sock.set_keep_alive(None);
    sock.set_timeout(None);
    sock.set_ack_delay(Some(smoltcp::time::Duration::from_millis(10)));
}

pub(crate) fn endpoint(e: IpEndpoint) -> SocketAddr {
    match e.addr {
        IpAddress::Ipv4(a) => SocketAddr::new(IpAddr::V4(a), e.port),
        #[allow(unreachable_patterns)]
        _ => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), e.port),
    }
}

pub(crate) fn map_state(s: stcp::State) -> TcpState {
    use stcp::State as S;
    match s {
        S::Closed => TcpState::Closed,
        S::Listen => TcpState::Listen,
        S::SynSent => TcpState::SynSent,
        S::SynReceived => TcpState::SynReceived,
        S::Established => TcpState::Established,
        S::FinWait1 => TcpState::FinWait1,
        S::FinWait2 => TcpState::FinWait2,
        S::CloseWait => TcpState::CloseWait,
        S::Closing => TcpState::Closing,
        S::LastAck => TcpState::LastAck,
        S::TimeWait => TcpState::TimeWait,
    }
}

/// The addresses of DHCP option 42 (NTP servers) in `packet`, at most 4.
#[cfg(feature = "dhcp")]
pub(crate) fn option_42(
    packet: &smoltcp::wire::DhcpPacket<&[u8]>,
) -> heapless::Vec<Ipv4Address, 4> {
    packet
        .options()
        .filter(|o| o.kind == 42)
        .flat_map(|o| o.data.chunks_exact(4))
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .map(Ipv4Address::from)
        .filter(|a| !a.is_unspecified() && !a.is_broadcast())
        .take(4)
        .collect()
}

#[cfg(all(test, feature = "dhcp"))]
mod option_42_tests {
    use super::*;

    #[test]
    fn ntp_servers_are_read_from_option_42() {
        // A BOOTP/DHCP header (240 bytes incl. the magic cookie), then
        // options: 53 (ACK), 42 with two addresses and a stray 3 bytes,
        // 6 (DNS), end.
        let mut p = vec![0u8; 240];
        p[236..240].copy_from_slice(&[99, 130, 83, 99]);
        p.extend_from_slice(&[53, 1, 5]);
        p.extend_from_slice(&[42, 11, 198, 51, 100, 1, 203, 0, 113, 7, 1, 2, 3]);
        p.extend_from_slice(&[6, 4, 198, 51, 100, 53, 255]);
        let packet = smoltcp::wire::DhcpPacket::new_unchecked(&p[..]);
        let got = option_42(&packet);
        assert_eq!(
            got.as_slice(),
            &[
                Ipv4Address::new(198, 51, 100, 1),
                Ipv4Address::new(203, 0, 113, 7)
            ]
        );
        // No option 42, or a truncated one: nothing.
        let mut q = p[..243].to_vec();
        q.extend_from_slice(&[42, 9, 1, 2]);
        let packet = smoltcp::wire::DhcpPacket::new_unchecked(&q[..]);
        assert!(option_42(&packet).is_empty());
        let packet = smoltcp::wire::DhcpPacket::new_unchecked(&p[..243]);
        assert!(option_42(&packet).is_empty());
    }
}
