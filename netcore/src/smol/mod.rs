//! The smoltcp backend: Petrel's sockets over smoltcp 0.14 and any
//! `smoltcp::phy::Device` — a board's MAC, a Linux TAP device, or the
//! simulated link.
//!
//! # Shape
//! [`new`] takes the device's MAC address, an IP configuration ([`IpConfig`]:
//! static or DHCPv4), and caller-provided [`Memory`], and returns a
//! [`Stack`] handle (cheap `Copy`, implements [`Network`]) and
//! a [`Runner`]. The runner is the one pump: it owns the device, polls the
//! interface, and sleeps until smoltcp's `poll_at`, a frame arrives, or an
//! application touches a socket. Run it as its own task (`runner.run().await`).
//!
//! # What this layer adds to smoltcp
//! - **Listen backlog** (lwIP's `tcp_listen_with_backlog`): a listener owns up
//!   to `backlog` sockets from the TCP pool at once, counting both the ones in
//!   LISTEN and the ones established but not yet accepted. When all `backlog`
//!   are taken (or the pool is empty), new SYNs get the listener's
//!   [`BacklogPolicy`](crate::BacklogPolicy): `Drop` discards them before
//!   smoltcp sees them (the client retransmits), `Refuse` lets smoltcp answer
//!   RST. Never a panic, never an unbounded queue.
//! - **Typed close reasons**: *refused* (RST in SYN-SENT) versus *timed out*
//!   versus *reset*, from the RSTs the observer saw (`observer` module).
//! - **MIB-2 counters** and connection/endpoint tables.
//! - **DHCPv4 / static configuration** and a DNS client.
//! - Graceful close on drop: a dropped stream is closed with FIN and its
//!   memory reclaimed when the connection has finished.
//! - **Socket recycling** as lwIP does it: when the pool has no free socket,
//!   a listener or a connect takes the oldest closed connection still in
//!   TIME-WAIT (so a server that closes first keeps serving), and a connect
//!   that failed (refused, timed out, or its future dropped) gives its socket
//!   back at once, without an RST for a handshake that never completed.
//! - **No UDP queue blocked by ARP**: `send_to` waits (at most 3 s) for its
//!   next hop to answer ARP before queueing, instead of leaving the datagram
//!   at the head of the socket's queue where smoltcp would retry forever
//!   (details in the `udp` module).
//!
//! # Memory
//! Nothing is allocated. [`Capacity`] says how many sockets and how large their
//! buffers are; [`Memory`] is the set of slices that holds them. On a host,
//! `Memory::leak` makes one from the heap; a board declares statics.

mod device;
mod dns;
mod inner;
mod observer;
mod tcp;
mod udp;

use core::cell::RefCell;
use core::future::{Future, poll_fn};
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::pin::pin;
use core::task::Poll;

use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet, SocketStorage};
#[cfg(feature = "dhcp")]
use smoltcp::socket::dhcpv4;
#[cfg(feature = "dns")]
use smoltcp::socket::dns as sdns;
use smoltcp::socket::{tcp as stcp, udp as sudp};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

pub use device::AsyncDevice;
pub use inner::{Inner, TcpSlot, UdpSlot};
pub use tcp::{SmolTcpListener, SmolTcpStream};
pub use udp::SmolUdpSocket;

use crate::error::{DnsError, TcpError, UdpError};
use crate::socket::{ConnectConfig, ListenConfig, Network};
use crate::stats::{IfInfo, IpStats, TcpConnInfo, TcpStats, UdpEndpointInfo, UdpStats};
use crate::time::{Duration, Instant};
use crate::timer::Clock;

/// How the interface gets its IPv4 address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IpConfig {
    /// A fixed address, prefix length, optional gateway and DNS server.
    Static {
        /// Our address.
        addr: Ipv4Addr,
        /// The prefix length (24 for a /24).
        prefix: u8,
        /// The default gateway.
        gateway: Option<Ipv4Addr>,
        /// A DNS server for [`Network::resolve`].
        dns: Option<Ipv4Addr>,
    },
    /// Ask a DHCPv4 server (address, router, DNS servers). Feature `dhcp`.
    #[cfg(feature = "dhcp")]
    Dhcp,
}

impl IpConfig {
    /// Whether the address comes from DHCP.
    pub const fn is_dhcp(&self) -> bool {
        #[cfg(feature = "dhcp")]
        if matches!(self, IpConfig::Dhcp) {
            return true;
        }
        false
    }
}

/// Socket counts and buffer sizes. Every field is a documented limit: when it
/// is reached, operations fail with `NoBuffer`, never with corruption.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// TCP sockets in the pool (listeners' backlogs and connections share it).
    pub tcp_sockets: usize,
    /// Receive buffer per TCP socket (the advertised window), bytes.
    pub tcp_rx: usize,
    /// Send buffer per TCP socket, bytes.
    pub tcp_tx: usize,
    /// UDP sockets.
    pub udp_sockets: usize,
    /// Receive payload buffer per UDP socket, bytes.
    pub udp_rx: usize,
    /// Send payload buffer per UDP socket, bytes.
    pub udp_tx: usize,
    /// Datagrams queued per UDP socket and direction.
    pub udp_packets: usize,
    /// DNS lookups in flight at once (0 disables the DNS client; without
    /// the feature `dns` there is none and this is ignored).
    pub dns_queries: usize,
    /// TCP sockets set aside for the listeners of one port each, with their
    /// own buffer sizes (in addition to the `tcp_sockets` pool): right-sizes
    /// a service, e.g. a large receive window for an iPerf server while the
    /// shared pool stays small. Empty for one uniform pool.
    pub tcp_reserved: &'static [TcpReserve],
    /// UDP sockets set aside for one local port each, with their own buffer
    /// sizes (in addition to the `udp_sockets` pool, which keeps `udp_rx`,
    /// `udp_tx` and `udp_packets`): right-sizes a service, e.g. 48-byte
    /// SNTP datagrams, while the pool stays sized for the largest datagrams
    /// (and for ephemeral ports, which a reservation cannot name). Empty
    /// for one uniform pool.
    pub udp_reserved: &'static [UdpReserve],
}

/// TCP sockets reserved for listeners on one local port (see
/// [`Capacity::tcp_reserved`]).
///
/// A listener on `port` arms its LISTEN sockets from these first and from
/// the shared pool when they are all taken; when one comes free again the
/// listener moves back to it. `tcp_connect` and listeners on other ports
/// never take them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TcpReserve {
    /// The local port whose listeners use these sockets.
    pub port: u16,
    /// How many sockets.
    pub sockets: usize,
    /// Receive buffer per socket (the advertised window), bytes.
    pub rx: usize,
    /// Send buffer per socket, bytes.
    pub tx: usize,
}

/// A UDP socket reserved for binds on one local port (see
/// [`Capacity::udp_reserved`]).
///
/// `udp_bind` on `port` takes this socket when it is free and a pool socket
/// otherwise (while the reserved one still sends a dropped socket's last
/// datagrams, say); binds on other ports and ephemeral binds never take it.
/// A datagram longer than `rx` is dropped on arrival (smoltcp has no room
/// for it); one longer than `tx` fails `send_to` with `TooLarge`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UdpReserve {
    /// The local port whose socket this is.
    pub port: u16,
    /// Receive payload buffer, bytes.
    pub rx: usize,
    /// Send payload buffer, bytes.
    pub tx: usize,
    /// Datagrams queued per direction (at least 1).
    pub packets: usize,
}

/// Bytes after [`Capacity::buffer_bytes`] in [`Memory::bytes`] that let a
/// DHCP stack keep a copy of the server's last packet, so that options
/// smoltcp does not parse (42, NTP servers) reach the board
/// ([`Stack::ntp_servers`]). 576 is the size every DHCP client must accept
/// (RFC 2131); larger packets are not copied. Without the room, no copy and
/// no option 42. [`Memory::leak`] adds it.
pub const DHCP_PACKET_BYTES: usize = 576;

/// Subnet mask, router, DNS servers, NTP servers.
#[cfg(feature = "dhcp")]
const DHCP_REQUESTED_OPTIONS: [u8; 4] = [1, 3, 6, 42];

/// Most entries in [`Capacity::tcp_reserved`].
pub const MAX_TCP_RESERVED: usize = 8;

/// Most entries in [`Capacity::udp_reserved`].
pub const MAX_UDP_RESERVED: usize = 8;

impl Default for Capacity {
    /// A small-MCU default: 8 TCP sockets of 2 KiB + 2 KiB, 6 UDP sockets.
    fn default() -> Self {
        Capacity {
            tcp_sockets: 8,
            tcp_rx: 2048,
            tcp_tx: 2048,
            udp_sockets: 6,
            udp_rx: 1536,
            udp_tx: 1536,
            udp_packets: 4,
            dns_queries: 2,
            tcp_reserved: &[],
            udp_reserved: &[],
        }
    }
}

impl Capacity {
    /// Bytes of socket buffers this capacity needs in [`Memory::bytes`].
    pub const fn buffer_bytes(&self) -> usize {
        let mut n = self.tcp_sockets * (self.tcp_rx + self.tcp_tx)
            + self.udp_sockets * (self.udp_rx + self.udp_tx);
        let mut i = 0;
        while i < self.tcp_reserved.len() {
            let r = &self.tcp_reserved[i];
            n += r.sockets * (r.rx + r.tx);
            i += 1;
        }
        let mut i = 0;
        while i < self.udp_reserved.len() {
            let r = &self.udp_reserved[i];
            n += r.rx + r.tx;
            i += 1;
        }
        n
    }
    /// TCP sockets in all: the pool plus the reserved ones; entries needed
    /// in [`Memory::tcp_slots`].
    pub const fn tcp_slots(&self) -> usize {
        let mut n = self.tcp_sockets;
        let mut i = 0;
        while i < self.tcp_reserved.len() {
            n += self.tcp_reserved[i].sockets;
            i += 1;
        }
        n
    }
    /// UDP sockets in all: the pool plus the reserved ones; entries needed
    /// in [`Memory::udp_slots`].
    pub const fn udp_slots(&self) -> usize {
        self.udp_sockets + self.udp_reserved.len()
    }
    /// Entries enough for [`Memory::sockets`] in any configuration (TCP +
    /// UDP + DHCP + DNS); [`Capacity::socket_slots_for`] is the exact count.
    pub const fn socket_slots(&self) -> usize {
        self.tcp_slots() + self.udp_slots() + 2
    }
    /// Entries needed in [`Memory::sockets`]: TCP + UDP, one for the DHCP
    /// client if `dhcp` ([`IpConfig::Dhcp`]), one for DNS if `dns_queries`
    /// is not 0. A board with a static address saves a socket slot.
    pub const fn socket_slots_for(&self, dhcp: bool) -> usize {
        self.tcp_slots() + self.udp_slots() + dhcp as usize + self.dns_slot() as usize
    }
    /// Whether the stack has a DNS socket (feature `dns`, `dns_queries` > 0).
    const fn dns_slot(&self) -> bool {
        cfg!(feature = "dns") && self.dns_queries > 0
    }
    /// Entries needed in [`Memory::udp_meta`].
    pub const fn udp_meta_slots(&self) -> usize {
        let mut n = self.udp_sockets * self.udp_packets * 2;
        let mut i = 0;
        while i < self.udp_reserved.len() {
            n += self.udp_reserved[i].packets * 2;
            i += 1;
        }
        n
    }
}

/// The memory a stack runs in, provided by the caller (statics on a board,
/// [`Memory::leak`] on a host). Slices longer than needed are fine.
pub struct Memory<'d> {
    /// smoltcp's socket table: at least [`Capacity::socket_slots_for`]
    /// ([`Capacity::socket_slots`] always does).
    pub sockets: &'d mut [SocketStorage<'d>],
    /// TCP pool bookkeeping: at least [`Capacity::tcp_slots`].
    pub tcp_slots: &'d mut [TcpSlot],
    /// UDP bookkeeping: at least [`Capacity::udp_slots`].
    pub udp_slots: &'d mut [UdpSlot],
    /// UDP packet metadata: at least [`Capacity::udp_meta_slots`].
    pub udp_meta: &'d mut [sudp::PacketMetadata],
    /// DNS query slots: at least `dns_queries`. Feature `dns`.
    #[cfg(feature = "dns")]
    pub dns_queries: &'d mut [Option<sdns::DnsQuery>],
    /// Socket buffers: at least [`Capacity::buffer_bytes`].
    pub bytes: &'d mut [u8],
    /// Where the stack's state lives.
    pub state: &'d mut Option<RefCell<Inner<'d>>>,
}

#[cfg(feature = "std")]
impl Memory<'static> {
    /// Allocates memory for `cap` on the heap and leaks it: for host programs
    /// and tests whose stack lives as long as the process.
    pub fn leak(cap: &Capacity) -> Memory<'static> {
        fn leak_vec<T>(v: Vec<T>) -> &'static mut [T] {
            Vec::leak(v)
        }
        Memory {
            sockets: leak_vec(
                (0..cap.socket_slots())
                    .map(|_| SocketStorage::EMPTY)
                    .collect(),
            ),
            tcp_slots: leak_vec(vec![TcpSlot::EMPTY; cap.tcp_slots()]),
            udp_slots: leak_vec(vec![UdpSlot::EMPTY; cap.udp_slots()]),
            udp_meta: leak_vec(vec![sudp::PacketMetadata::EMPTY; cap.udp_meta_slots()]),
            #[cfg(feature = "dns")]
            dns_queries: leak_vec((0..cap.dns_queries).map(|_| None).collect()),
            // Room for the DHCP packet buffer too (see [`DHCP_PACKET_BYTES`]).
            bytes: leak_vec(vec![0u8; cap.buffer_bytes() + DHCP_PACKET_BYTES]),
            state: Box::leak(Box::new(None)),
        }
    }
}

/// Everything [`new`] needs besides memory.
#[derive(Copy, Clone, Debug)]
pub struct StackConfig {
    /// The interface's MAC address (must be unicast).
    pub mac: [u8; 6],
    /// Static address or DHCP.
    pub ip: IpConfig,
    /// Seed for smoltcp's initial sequence numbers and ephemeral ports;
    /// should differ per boot.
    pub random_seed: u64,
    /// Interface name reported in statistics ("eth0", "tap0").
    pub name: &'static str,
    /// Link MTU reported in statistics.
    pub mtu: u32,
    /// Link speed in bit/s reported in statistics (ifSpeed), 0 if unknown.
    pub speed_bps: u64,
}

/// Why a stack could not be built.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StackError {
    /// A [`Memory`] slice is shorter than [`Capacity`] needs; names it.
    MemoryTooSmall(&'static str),
    /// The MAC address is not a unicast address.
    InvalidMac,
    /// The static prefix length is over 32.
    InvalidPrefix,
    /// [`Capacity::tcp_reserved`] has more than [`MAX_TCP_RESERVED`]
    /// entries, or a port of 0; or [`Capacity::udp_reserved`] has more than
    /// [`MAX_UDP_RESERVED`] entries, a port of 0, a port twice or an entry
    /// with `packets` 0.
    InvalidReserve,
}

impl core::fmt::Display for StackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StackError::MemoryTooSmall(what) => write!(f, "memory too small: {what}"),
            StackError::InvalidMac => f.write_str("MAC address is not unicast"),
            StackError::InvalidPrefix => f.write_str("IPv4 prefix length over 32"),
            StackError::InvalidReserve => write!(
                f,
                "tcp_reserved/udp_reserved: at most {MAX_TCP_RESERVED}/{MAX_UDP_RESERVED} \
                 entries, each with a non-zero port (udp: distinct ports, packets > 0)"
            ),
        }
    }
}

impl core::error::Error for StackError {}

/// A handle to a running smoltcp stack. `Copy`; implements [`Network`].
pub struct Stack<'d, C> {
    pub(crate) inner: &'d RefCell<Inner<'d>>,
    pub(crate) clock: &'d C,
}

impl<C> Clone for Stack<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for Stack<'_, C> {}

/// The pump that moves frames between the device and the sockets.
pub struct Runner<'d, D, C> {
    stack: Stack<'d, C>,
    device: D,
}

/// Builds a stack over `device` in `memory`.
///
/// ```no_run
/// use petrel_netcore::smol::{self, Capacity, IpConfig, Memory, StackConfig};
/// use petrel_netcore::Clock;
///
/// async fn start<D: smol::AsyncDevice, C: Clock>(device: D, memory: Memory<'static>, clock: &'static C) {
///     let cap = Capacity::default();
///     let cfg = StackConfig {
///         mac: [0x02, 0, 0, 0, 0, 2],
///         ip: IpConfig::Static { addr: "198.51.100.2".parse().unwrap(), prefix: 24, gateway: None, dns: None },
///         random_seed: 7,
///         name: "eth0",
///         mtu: 1500,
///         speed_bps: 100_000_000,
///     };
///     let (stack, mut runner) = smol::new(device, cfg, &cap, memory, clock).unwrap();
///     // Run `runner.run()` as its own task; use `stack` as a `Network`.
///     runner.run().await;
/// }
/// ```
pub fn new<'d, D: smoltcp::phy::Device, C: Clock>(
    mut device: D,
    config: StackConfig,
    cap: &Capacity,
    memory: Memory<'d>,
    clock: &'d C,
) -> Result<(Stack<'d, C>, Runner<'d, D, C>), StackError> {
    let Memory {
        sockets,
        tcp_slots,
        udp_slots,
        udp_meta,
        #[cfg(feature = "dns")]
        dns_queries,
        bytes,
        state,
    } = memory;
    if sockets.len() < cap.socket_slots_for(config.ip.is_dhcp()) {
        return Err(StackError::MemoryTooSmall("sockets"));
    }
    if cap.tcp_reserved.len() > MAX_TCP_RESERVED || cap.tcp_reserved.iter().any(|r| r.port == 0) {
        return Err(StackError::InvalidReserve);
    }
    let udp_bad = |(i, r): (usize, &UdpReserve)| {
        r.port == 0 || r.packets == 0 || cap.udp_reserved[..i].iter().any(|o| o.port == r.port)
    };
    if cap.udp_reserved.len() > MAX_UDP_RESERVED || cap.udp_reserved.iter().enumerate().any(udp_bad)
    {
        return Err(StackError::InvalidReserve);
    }
    if tcp_slots.len() < cap.tcp_slots() {
        return Err(StackError::MemoryTooSmall("tcp_slots"));
    }
    if udp_slots.len() < cap.udp_slots() {
        return Err(StackError::MemoryTooSmall("udp_slots"));
    }
    if udp_meta.len() < cap.udp_meta_slots() {
        return Err(StackError::MemoryTooSmall("udp_meta"));
    }
    #[cfg(feature = "dns")]
    if dns_queries.len() < cap.dns_queries {
        return Err(StackError::MemoryTooSmall("dns_queries"));
    }
    if bytes.len() < cap.buffer_bytes() {
        return Err(StackError::MemoryTooSmall("bytes"));
    }
    let mac = EthernetAddress(config.mac);
    if !mac.is_unicast() {
        return Err(StackError::InvalidMac);
    }

    let mut iface_cfg = IfaceConfig::new(HardwareAddress::Ethernet(mac));
    iface_cfg.random_seed = config.random_seed;
    let now = to_smol(clock.now());
    let mut iface = Interface::new(iface_cfg, &mut device, now);
    let mut set = SocketSet::new(sockets);

    // Carve the TCP pool, then the reserved sockets after it.
    let mut rest: &'d mut [u8] = bytes;
    let tcp_slots = &mut tcp_slots[..cap.tcp_slots()];
    let mut reserved: heapless::Vec<inner::Reserved, MAX_TCP_RESERVED> = heapless::Vec::new();
    let mut next = cap.tcp_sockets;
    for r in cap.tcp_reserved {
        // Checked above: at most MAX_TCP_RESERVED entries.
        let _ = reserved.push(inner::Reserved {
            port: r.port,
            slots: next..next + r.sockets,
        });
        next += r.sockets;
    }
    for (i, slot) in tcp_slots.iter_mut().enumerate() {
        let (rx_len, tx_len) = match reserved
            .iter()
            .zip(cap.tcp_reserved)
            .find(|(r, _)| r.slots.contains(&i))
        {
            Some((_, r)) => (r.rx, r.tx),
            None => (cap.tcp_rx, cap.tcp_tx),
        };
        let (rx, r) = rest.split_at_mut(rx_len);
        let (tx, r) = r.split_at_mut(tx_len);
        rest = r;
        let sock = stcp::Socket::new(stcp::SocketBuffer::new(rx), stcp::SocketBuffer::new(tx));
        *slot = TcpSlot::new(set.add(sock));
    }
    // Carve the UDP pool, then the reserved sockets after it (one each).
    let mut meta_rest: &'d mut [sudp::PacketMetadata] = udp_meta;
    let udp_slots = &mut udp_slots[..cap.udp_slots()];
    for (i, slot) in udp_slots.iter_mut().enumerate() {
        let (rx_len, tx_len, packets) = match i
            .checked_sub(cap.udp_sockets)
            .and_then(|r| cap.udp_reserved.get(r))
        {
            Some(r) => (r.rx, r.tx, r.packets),
            None => (cap.udp_rx, cap.udp_tx, cap.udp_packets),
        };
        let (rx, r) = rest.split_at_mut(rx_len);
        let (tx, r) = r.split_at_mut(tx_len);
        rest = r;
        let (rxm, m) = meta_rest.split_at_mut(packets);
        let (txm, m) = m.split_at_mut(packets);
        meta_rest = m;
        let sock = sudp::Socket::new(
            sudp::PacketBuffer::new(rxm, rx),
            sudp::PacketBuffer::new(txm, tx),
        );
        *slot = UdpSlot::new(set.add(sock));
    }

    let mut dns_servers: heapless::Vec<Ipv4Address, 4> = heapless::Vec::new();
    #[cfg_attr(not(feature = "dhcp"), allow(unused_variables))]
    let dhcp: Option<smoltcp::iface::SocketHandle> = match config.ip {
        IpConfig::Static {
            addr,
            prefix,
            gateway,
            dns,
        } => {
            if prefix > 32 {
                return Err(StackError::InvalidPrefix);
            }
            iface.update_ip_addrs(|a| {
                let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(addr, prefix)));
            });
            if let Some(gw) = gateway {
                let _ = iface.routes_mut().add_default_ipv4_route(gw);
            }
            if let Some(d) = dns {
                let _ = dns_servers.push(d);
            }
            None
        }
        #[cfg(feature = "dhcp")]
        IpConfig::Dhcp => {
            let mut s = dhcpv4::Socket::new();
            // Option 42 (NTP servers) is read from the ACK when the
            // caller's `bytes` has room for a copy of the packet.
            if rest.len() >= DHCP_PACKET_BYTES {
                let (packet, _) = rest.split_at_mut(DHCP_PACKET_BYTES);
                s.set_receive_packet_buffer(packet);
                s.set_parameter_request_list(&DHCP_REQUESTED_OPTIONS);
            }
            Some(set.add(s))
        }
    };
    #[cfg(feature = "dns")]
    let dns = if cap.dns_queries > 0 {
        let servers: heapless::Vec<smoltcp::wire::IpAddress, 4> =
            dns_servers.iter().map(|a| (*a).into()).collect();
        Some(set.add(sdns::Socket::new(
            &servers,
            &mut dns_queries[..cap.dns_queries],
        )))
    } else {
        None
    };

    let inner = Inner::new(
        iface,
        set,
        tcp_slots,
        cap.tcp_sockets,
        reserved,
        udp_slots,
        cap.udp_sockets,
        cap.udp_reserved.iter().map(|r| r.port).collect(),
        #[cfg(feature = "dhcp")]
        dhcp,
        #[cfg(feature = "dns")]
        dns,
        mac,
        config,
        clock.now(),
    );
    let inner: &'d RefCell<Inner<'d>> = state.insert(RefCell::new(inner));
    let stack = Stack { inner, clock };
    Ok((stack, Runner { stack, device }))
}

/// The latest time handed to smoltcp: far beyond any real uptime (about
/// 73 000 years), yet far enough below `i64::MAX` that smoltcp's own
/// `Instant + Duration` arithmetic cannot overflow.
const SMOL_TIME_MAX: i64 = i64::MAX / 4;

pub(crate) fn to_smol(t: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(
        i64::try_from(t.as_micros())
            .unwrap_or(SMOL_TIME_MAX)
            .min(SMOL_TIME_MAX),
    )
}

pub(crate) fn from_smol(t: smoltcp::time::Instant) -> Instant {
    Instant::from_micros(u64::try_from(t.total_micros()).unwrap_or(0))
}

pub(crate) fn dur_to_smol(d: Duration) -> smoltcp::time::Duration {
    smoltcp::time::Duration::from_micros(d.as_micros())
}

/// The longest the runner sleeps without a reason: it re-polls at least
/// this often (cheap; lets maintenance such as orphan reclaim run).
pub const MAX_IDLE: Duration = Duration::from_secs(60);

impl<'d, D: smoltcp::phy::Device, C: Clock> Runner<'d, D, C> {
    /// The stack this runner pumps.
    pub fn stack(&self) -> Stack<'d, C> {
        self.stack
    }

    /// Polls the interface once: receives and sends what is ready, updates
    /// counters and pools. Returns when the next poll is due at the latest
    /// (never more than [`MAX_IDLE`] ahead, so a clock that jumps to its
    /// next timer — the simulated link's — never jumps to "forever").
    pub fn poll_once(&mut self) -> Instant {
        let now = self.stack.clock.now();
        let next = self.stack.inner.borrow_mut().poll(now, &mut self.device);
        next.min(now + MAX_IDLE)
    }

    /// Runs the pump for a device without receive notification: polls on
    /// every socket change, at smoltcp's deadlines, and at least every
    /// `interval` to pick up received frames.
    pub async fn run_polled(&mut self, interval: Duration) -> ! {
        loop {
            let next = self.poll_once();
            let now = self.stack.clock.now();
            let deadline = next.min(now + interval);
            let mut sleep = pin!(self.stack.clock.sleep_until(deadline));
            let inner = self.stack.inner;
            poll_fn(|cx| {
                if inner.borrow_mut().take_runner_signal(cx.waker()) {
                    return Poll::Ready(());
                }
                sleep.as_mut().poll(cx)
            })
            .await;
        }
    }
}

impl<'d, D: AsyncDevice, C: Clock> Runner<'d, D, C> {
    /// Runs the pump forever: polls, then sleeps until a frame arrives, a
    /// socket changes, or smoltcp's next deadline.
    pub async fn run(&mut self) -> ! {
        loop {
            let next = self.poll_once();
            let mut sleep = pin!(self.stack.clock.sleep_until(next));
            let inner = self.stack.inner;
            let device = &mut self.device;
            poll_fn(|cx| {
                if inner.borrow_mut().take_runner_signal(cx.waker()) {
                    return Poll::Ready(());
                }
                if device.poll_rx_ready(cx).is_ready() {
                    return Poll::Ready(());
                }
                sleep.as_mut().poll(cx)
            })
            .await;
        }
    }
}

impl<C: Clock> Clock for Stack<'_, C> {
    fn now(&self) -> Instant {
        self.clock.now()
    }
    // Forwarded, not wrapped in another `async fn`: every deadline in the
    // apps' futures holds this future, and a wrapper would add its own
    // copy of the arguments (32 bytes on thumbv7em).
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> {
        self.clock.sleep_until(deadline)
    }
}

impl<'d, C: Clock> Stack<'d, C> {
    /// Whether the interface has an IPv4 address (static, or DHCP done).
    pub fn is_configured(&self) -> bool {
        self.inner.borrow().ipv4().is_some()
    }

    /// Waits until the interface has an IPv4 address.
    pub async fn wait_configured(&self) {
        poll_fn(|cx| {
            let mut inner = self.inner.borrow_mut();
            if inner.ipv4().is_some() {
                Poll::Ready(())
            } else {
                inner.register_config_waker(cx.waker());
                Poll::Pending
            }
        })
        .await
    }

    /// Reports a receive error the driver saw (CRC, overrun) in ifInErrors.
    pub fn count_rx_error(&self) {
        self.inner.borrow_mut().count_rx_error();
    }

    /// Reports a frame the driver dropped for lack of buffers (ifInDiscards).
    pub fn count_rx_discard(&self) {
        self.inner.borrow_mut().count_rx_discard();
    }

    /// Sets the link state reported in ifOperStatus.
    pub fn set_link_up(&self, up: bool) {
        self.inner.borrow_mut().set_link_up(up);
    }

    /// The DNS servers in use (configured, or learned from DHCP).
    pub fn dns_servers(&self) -> heapless::Vec<Ipv4Addr, 4> {
        self.inner.borrow().dns_servers()
    }

    /// The NTP servers of the DHCP lease (option 42), when `Memory::bytes`
    /// had room for the DHCP packet (see [`DHCP_PACKET_BYTES`]).
    pub fn ntp_servers(&self) -> heapless::Vec<Ipv4Addr, 4> {
        self.inner.borrow().ntp_servers.clone()
    }

    /// The default gateway, if any.
    pub fn gateway(&self) -> Option<Ipv4Addr> {
        self.inner.borrow().gateway()
    }
}

impl<'d, C: Clock> Network for Stack<'d, C> {
    type TcpStream = SmolTcpStream<'d>;
    type TcpListener = SmolTcpListener<'d>;
    type UdpSocket = SmolUdpSocket<'d>;

    async fn tcp_listen(
        &self,
        local: SocketAddr,
        config: ListenConfig,
    ) -> Result<Self::TcpListener, TcpError> {
        tcp::listen(self.inner, local, config)
    }

    async fn tcp_connect(
        &self,
        remote: SocketAddr,
        config: ConnectConfig,
    ) -> Result<Self::TcpStream, TcpError> {
        tcp::connect(self.inner, self.clock, remote, config).await
    }

    async fn udp_bind(&self, local: SocketAddr) -> Result<Self::UdpSocket, UdpError> {
        udp::bind(self.inner, local)
    }

    async fn resolve(&self, host: &str) -> Result<IpAddr, DnsError> {
        dns::resolve(self.inner, self.clock, host).await
    }

    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        self.inner.borrow().ipv4().map(|(a, _)| a)
    }
    fn ntp_servers(&self) -> heapless::Vec<Ipv4Addr, 4> {
        Stack::ntp_servers(self)
    }

    fn for_each_interface(&self, f: &mut dyn FnMut(&IfInfo)) {
        let info = self.inner.borrow().if_info();
        f(&info)
    }

    fn ip_stats(&self) -> IpStats {
        self.inner.borrow().counters().ip
    }

    fn tcp_stats(&self) -> TcpStats {
        self.inner.borrow().tcp_stats()
    }

    fn udp_stats(&self) -> UdpStats {
        self.inner.borrow().counters().udp
    }

    fn for_each_tcp_connection(&self, f: &mut dyn FnMut(&TcpConnInfo)) {
        self.inner.borrow().for_each_tcp(f)
    }

    fn for_each_udp_endpoint(&self, f: &mut dyn FnMut(&UdpEndpointInfo)) {
        self.inner.borrow().for_each_udp(f)
    }
}
