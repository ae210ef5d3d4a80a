//! The host backend: netcore's socket traits over the operating system's own
//! sockets, driven by tokio (feature `os`).
//!
//! [`OsNetwork`] is a cheap `Copy` handle implementing [`Network`] and
//! [`Clock`]. It runs the same applications as the smoltcp backend on a PC or
//! a Linux gateway, without root. Its futures are `!Send`-agnostic: run them on
//! a tokio current-thread runtime (with a `LocalSet` when spawning).
//!
//! ```no_run
//! use petrel_netcore::os::OsNetwork;
//! use petrel_netcore::{ListenConfig, Network, TcpListener};
//! # async fn f() -> Result<(), petrel_netcore::TcpError> {
//! let net = OsNetwork::new();
//! let mut listener = net.tcp_listen("127.0.0.1:7007".parse().unwrap(), ListenConfig::default()).await?;
//! let _client = listener.accept().await?;
//! # Ok(()) }
//! ```
//!
//! Where this backend differs from the smoltcp one (the OS decides):
//! - `flush` returns once the kernel has the data, not when the peer has
//!   acknowledged it (the kernel keeps sending after the app is gone).
//! - [`BacklogPolicy`](crate::BacklogPolicy) is not applied per socket: Linux
//!   drops SYNs beyond a full accept queue (like `Drop`) unless the system-wide
//!   `net.ipv4.tcp_abort_on_overflow` says otherwise.
//! - [`UdpMeta`](crate::UdpMeta)`::local` and `interface_addr` are always
//!   `None` (that would need `IP_PKTINFO` and `recvmsg`).
//! - Statistics are the host kernel's own counters (all sockets of the host,
//!   not only ours), read from `/proc` and `/sys` on each call; on a system
//!   without them the counters read zero and the tables are empty.
//!   [`Network::ipv4_addr`] is `None`: a host has many addresses. Each
//!   interface's [`IfInfo::ipv4`] is its first address, from
//!   `/proc/net/fib_trie` and `/proc/net/route`.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::error::{DnsError, TcpError, UdpError};
use crate::socket::{ConnectConfig, ListenConfig, Network};
use crate::stats::{IfInfo, IpStats, TcpConnInfo, TcpStats, UdpEndpointInfo, UdpStats};
use crate::time::{Duration, Instant};
use crate::timer::Clock;
use crate::tokio_clock::TokioClock;

pub mod errors;
pub mod procfs;
mod resolve;
mod stats;
mod sys;
mod tcp;
mod udp;

pub use tcp::{OsTcpListener, OsTcpStream};
pub use udp::OsUdpSocket;

/// The host's network stack: a cheap handle over the OS's sockets.
///
/// Its clock is a [`TokioClock`] counting microseconds since the handle was
/// created with [`OsNetwork::new`]; copies share that epoch.
#[derive(Copy, Clone, Debug)]
pub struct OsNetwork {
    clock: TokioClock,
}

impl Default for OsNetwork {
    fn default() -> Self {
        Self::new()
    }
}

impl OsNetwork {
    /// A handle whose clock starts at zero now.
    pub fn new() -> Self {
        OsNetwork {
            clock: TokioClock::new(),
        }
    }
}

/// Converts a netcore duration to a std one.
pub(crate) fn std_duration(d: Duration) -> std::time::Duration {
    std::time::Duration::from_micros(d.as_micros())
}

impl Clock for OsNetwork {
    fn now(&self) -> Instant {
        self.clock.now()
    }

    async fn sleep_until(&self, deadline: Instant) {
        self.clock.sleep_until(deadline).await
    }
}

impl Network for OsNetwork {
    type TcpStream = OsTcpStream;
    type TcpListener = OsTcpListener;
    type UdpSocket = OsUdpSocket;

    async fn tcp_listen(
        &self,
        local: SocketAddr,
        config: ListenConfig,
    ) -> Result<OsTcpListener, TcpError> {
        tcp::listen(local, config)
    }

    async fn tcp_connect(
        &self,
        remote: SocketAddr,
        config: ConnectConfig,
    ) -> Result<OsTcpStream, TcpError> {
        tcp::connect(remote, config).await
    }

    async fn udp_bind(&self, local: SocketAddr) -> Result<OsUdpSocket, UdpError> {
        udp::bind(local).await
    }

    async fn resolve(&self, host: &str) -> Result<IpAddr, DnsError> {
        resolve::resolve(host).await
    }

    /// The host's primary IPv4 address: the source address the kernel
    /// picks toward the multicast range (the default route's interface),
    /// else the first non-loopback address; `None` with loopback only.
    /// Reads the kernel's tables on each call.
    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        stats::primary_ipv4()
    }

    fn for_each_interface(&self, f: &mut dyn FnMut(&IfInfo)) {
        stats::for_each_interface(f)
    }

    fn ip_stats(&self) -> IpStats {
        stats::ip_stats()
    }

    fn tcp_stats(&self) -> TcpStats {
        stats::tcp_stats()
    }

    fn udp_stats(&self) -> UdpStats {
        stats::udp_stats()
    }

    fn for_each_tcp_connection(&self, f: &mut dyn FnMut(&TcpConnInfo)) {
        stats::for_each_tcp_connection(f)
    }

    fn for_each_udp_endpoint(&self, f: &mut dyn FnMut(&UdpEndpointInfo)) {
        stats::for_each_udp_endpoint(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_counts_from_creation() {
        let net = OsNetwork::new();
        let a = net.now();
        assert!(a < Instant::from_secs(5));
        assert!(net.now() >= a);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sleep_until_past_returns_at_once() {
        let net = OsNetwork::new();
        net.sleep_until(Instant::ZERO).await;
        let t0 = net.now();
        net.sleep(Duration::from_millis(20)).await;
        assert!(net.now() - t0 >= Duration::from_millis(20));
        // "Never" neither panics nor wakes.
        for never in [Instant::MAX, Instant::from_secs(u64::MAX / 2_000_000)] {
            let r =
                tokio::time::timeout(std::time::Duration::from_millis(10), net.sleep_until(never))
                    .await;
            assert!(r.is_err());
        }
    }
}
