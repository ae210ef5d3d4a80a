//! The socket traits applications are written against.
//!
//! An app names only these traits, never a backend: the same HTTP server runs
//! over smoltcp on a microcontroller, over smoltcp on a Linux TAP device, and
//! over the host's own sockets.
//!
//! The meaning follows lwIP's raw API:
//! - [`TcpStream`] `write` waits for send-buffer space and returns how much it
//!   queued (back-pressure); `flush` waits until the peer acknowledged
//!   everything; `read` frees receive-window space as the app consumes data, so
//!   a slow consumer (a flash write) slows the sender instead of filling RAM.
//! - `read` returning `Ok(0)` means the peer closed its side cleanly (FIN);
//!   a reset is `Err(TcpError::Reset)`, never a silent EOF.
//! - `close` is graceful (FIN after queued data) and returns at once; the
//!   socket's memory is reclaimed when the connection has finished closing.
//!   `abort` sends RST. Dropping a stream is the same as `close`.
//!
//! All futures are `!Send`-friendly: a board runs them on one executor.
//!
//! ```no_run
//! use petrel_netcore::socket::{ListenConfig, Network, TcpListener, TcpStream};
//! use embedded_io_async::{Read, Write};
//!
//! /// An echo server that works on any backend.
//! async fn echo<N: Network>(net: &N) -> Result<(), petrel_netcore::TcpError> {
//!     let addr = "0.0.0.0:7".parse().unwrap();
//!     let mut listener = net.tcp_listen(addr, ListenConfig::default()).await?;
//!     loop {
//!         let mut s = listener.accept().await?;
//!         let mut buf = [0u8; 512];
//!         loop {
//!             let n = s.read(&mut buf).await?;
//!             if n == 0 { break; }
//!             s.write_all(&buf[..n]).await?;
//!         }
//!         s.close().await?;
//!     }
//! }
//! ```

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::error::{DnsError, TcpError, UdpError};
use crate::stats::{IfInfo, IpStats, TcpConnInfo, TcpStats, UdpEndpointInfo, UdpStats};
use crate::time::Duration;
use crate::timer::Clock;

/// Which half of a connection to shut down.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Stop receiving: further data from the peer is discarded.
    Read,
    /// Stop sending: a FIN is queued after the data already written.
    Write,
    /// Both.
    Both,
}

/// TCP keepalive settings (lwIP's `keep_idle`, `keep_intvl`, `keep_cnt`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe.
    pub idle: Duration,
    /// Time between probes.
    pub interval: Duration,
    /// Unanswered probes before the connection is declared dead
    /// ([`TcpError::TimedOut`]).
    pub count: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            idle: Duration::from_secs(60),
            interval: Duration::from_secs(10),
            count: 5,
        }
    }
}

/// What a listener does with a SYN that arrives while its backlog is full.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum BacklogPolicy {
    /// Drop the SYN silently (lwIP's behaviour). The client retransmits its
    /// SYN after its RTO and usually gets in once the app has accepted.
    #[default]
    Drop,
    /// Answer with RST: the client sees "connection refused" at once.
    Refuse,
}

/// Options for [`Network::tcp_listen`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ListenConfig {
    /// How many connections may be established but not yet accepted
    /// (lwIP's `tcp_listen_with_backlog`). At least 1.
    pub backlog: u8,
    /// What happens to SYNs beyond the backlog.
    pub policy: BacklogPolicy,
}

impl Default for ListenConfig {
    fn default() -> Self {
        ListenConfig {
            backlog: 4,
            policy: BacklogPolicy::Drop,
        }
    }
}

impl ListenConfig {
    /// A config with the given backlog and the default policy.
    pub fn with_backlog(backlog: u8) -> Self {
        ListenConfig {
            backlog,
            ..Self::default()
        }
    }
}

/// Options for [`Network::tcp_connect`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ConnectConfig {
    /// Give up with [`TcpError::TimedOut`] if the handshake has not completed
    /// after this long.
    pub timeout: Duration,
}

impl Default for ConnectConfig {
    fn default() -> Self {
        ConnectConfig {
            timeout: Duration::from_secs(10),
        }
    }
}

/// Where a received datagram came from and went to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UdpMeta {
    /// The sender.
    pub remote: SocketAddr,
    /// The address the datagram was sent to (ours, a broadcast or a
    /// multicast group), when the backend knows it.
    pub local: Option<IpAddr>,
    /// The address of the interface the datagram arrived on, when the backend
    /// knows it: what NetBIOS and mDNS put in their answers.
    pub interface_addr: Option<Ipv4Addr>,
}

/// A connected TCP stream. Read and write come from `embedded-io-async`.
pub trait TcpStream:
    embedded_io_async::Read + embedded_io_async::Write + embedded_io::ErrorType<Error = TcpError>
{
    /// Our end of the connection.
    fn local_addr(&self) -> Option<SocketAddr>;
    /// The peer's end of the connection.
    fn peer_addr(&self) -> Option<SocketAddr>;
    /// Turns Nagle's algorithm off (`true`) or on.
    fn set_nodelay(&mut self, nodelay: bool);
    /// Enables keepalive probes, or disables them with `None`.
    fn set_keepalive(&mut self, keepalive: Option<Keepalive>);
    /// Shuts down one or both halves; see [`Shutdown`].
    async fn shutdown(&mut self, how: Shutdown) -> Result<(), TcpError>;
    /// Graceful close: queues FIN after the data already written and releases
    /// the socket when the connection has finished closing.
    async fn close(self) -> Result<(), TcpError>
    where
        Self: Sized;
    /// Hard close: sends RST and discards queued data.
    fn abort(self)
    where
        Self: Sized;
}

/// A listening TCP socket with a backlog.
pub trait TcpListener {
    /// The stream type of an accepted connection.
    type Stream: TcpStream;
    /// Waits for the next established connection.
    async fn accept(&mut self) -> Result<Self::Stream, TcpError>;
    /// The address the listener is bound to.
    fn local_addr(&self) -> SocketAddr;
}

/// A bound UDP socket.
pub trait UdpSocket {
    /// Sends one datagram; waits for buffer space.
    async fn send_to(&mut self, data: &[u8], to: SocketAddr) -> Result<(), UdpError>;
    /// Receives one datagram into `buf`. A datagram longer than `buf` is
    /// truncated and reported as [`UdpError::Truncated`].
    async fn recv_from(&mut self, buf: &mut [u8]) -> Result<(usize, UdpMeta), UdpError>;
    /// The address the socket is bound to.
    fn local_addr(&self) -> SocketAddr;
    /// Joins an IPv4 multicast group (IGMP report sent by the stack).
    async fn join_multicast(&mut self, group: Ipv4Addr) -> Result<(), UdpError>;
    /// Leaves an IPv4 multicast group.
    async fn leave_multicast(&mut self, group: Ipv4Addr) -> Result<(), UdpError>;
    /// Allows or forbids sending to broadcast addresses.
    fn set_broadcast(&mut self, on: bool) -> Result<(), UdpError>;
}

/// A network stack: the sockets, its clock and its statistics.
///
/// Implemented by the smoltcp backend (`smol::Stack`) and the host backend
/// (`os::OsNetwork`). The handle is cheap to copy or borrow; sockets it hands
/// out do not borrow it.
pub trait Network: Clock {
    /// A connected TCP stream.
    type TcpStream: TcpStream;
    /// A TCP listener.
    type TcpListener: TcpListener<Stream = Self::TcpStream>;
    /// A bound UDP socket.
    type UdpSocket: UdpSocket;

    /// Listens on `local` with a backlog. Port 0 is invalid.
    async fn tcp_listen(
        &self,
        local: SocketAddr,
        config: ListenConfig,
    ) -> Result<Self::TcpListener, TcpError>;
    /// Connects to `remote`.
    async fn tcp_connect(
        &self,
        remote: SocketAddr,
        config: ConnectConfig,
    ) -> Result<Self::TcpStream, TcpError>;
    /// Binds a UDP socket; port 0 picks an ephemeral port.
    async fn udp_bind(&self, local: SocketAddr) -> Result<Self::UdpSocket, UdpError>;
    /// Resolves a host name (or an address literal) to an address. A
    /// literal is returned as it is, without a lookup; the IPv4-only
    /// smoltcp backend refuses an IPv6 literal ([`DnsError::InvalidName`]).
    async fn resolve(&self, host: &str) -> Result<IpAddr, DnsError>;

    /// The stack's IPv4 address, once configured (static or by DHCP).
    fn ipv4_addr(&self) -> Option<Ipv4Addr>;
    /// NTP servers learned from the network (DHCP option 42), for an SNTP
    /// client to merge with its configured ones. None by default.
    fn ntp_servers(&self) -> heapless::Vec<Ipv4Addr, 4> {
        heapless::Vec::new()
    }
    /// Calls `f` for each network interface, with its counters.
    fn for_each_interface(&self, f: &mut dyn FnMut(&IfInfo));
    /// IP-layer counters.
    fn ip_stats(&self) -> IpStats;
    /// TCP-layer counters.
    fn tcp_stats(&self) -> TcpStats;
    /// UDP-layer counters.
    fn udp_stats(&self) -> UdpStats;
    /// Calls `f` for each TCP connection and listener (listeners have state
    /// `Listen` and an unspecified remote address).
    fn for_each_tcp_connection(&self, f: &mut dyn FnMut(&TcpConnInfo));
    /// Calls `f` for each bound UDP endpoint.
    fn for_each_udp_endpoint(&self, f: &mut dyn FnMut(&UdpEndpointInfo));
}
