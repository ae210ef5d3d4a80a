//! The host's kernel counters and tables, read from `/proc` and `/sys` on
//! each call and parsed by [`procfs`](super::procfs).

use super::procfs;
use crate::stats::{IfInfo, IpStats, TcpConnInfo, TcpStats, UdpEndpointInfo, UdpStats};

/// The file's text, or empty if it cannot be read (not Linux, no `/proc`).
fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn sys(ifname: &str, file: &str) -> String {
    read(&format!("/sys/class/net/{ifname}/{file}"))
}

/// `name` as an ifName, cut at 16 bytes (Linux names have at most 15).
fn if_name(name: &str) -> heapless::String<16> {
    let mut s = heapless::String::new();
    for c in name.chars() {
        if s.push(c).is_err() {
            break;
        }
    }
    s
}

pub(crate) fn for_each_interface(f: &mut dyn FnMut(&IfInfo)) {
    let dev = read("/proc/net/dev");
    // ARPHRD_LOOPBACK: the interface that holds 127.0.0.1 (no route names it).
    let loopback = procfs::net_dev(&dev)
        .map(|row| row.name)
        .find(|name| procfs::sys_number(&sys(name, "type")) == Some(772))
        .unwrap_or("lo");
    let (trie, route) = (read("/proc/net/fib_trie"), read("/proc/net/route"));
    let addresses = procfs::ipv4_addresses(&trie, &route, loopback);
    for (row, position) in procfs::net_dev(&dev).zip(1u32..) {
        let index = procfs::sys_number(&sys(row.name, "ifindex"))
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(position);
        let info = IfInfo {
            index,
            name: if_name(row.name),
            mac: procfs::mac_address(&sys(row.name, "address")).unwrap_or([0; 6]),
            mtu: procfs::sys_number(&sys(row.name, "mtu"))
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(0),
            // `speed` is in Mb/s; reading it fails on virtual interfaces.
            speed_bps: procfs::sys_number(&sys(row.name, "speed"))
                .map_or(0, |mbps| mbps.saturating_mul(1_000_000)),
            up: procfs::oper_up(&sys(row.name, "operstate")),
            // The first address if an interface has several.
            ipv4: addresses
                .iter()
                .find(|a| a.interface == row.name)
                .map(|a| (a.addr, a.prefix_len)),
            counters: row.counters,
        };
        f(&info);
    }
}

/// See `OsNetwork::ipv4_addr`. Connecting a UDP socket sends nothing: it
/// only asks the kernel for the route (and so the source address) it would
/// use toward the mDNS group.
pub(crate) fn primary_ipv4() -> Option<std::net::Ipv4Addr> {
    let routed = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("224.0.0.251:5353")?;
            s.local_addr()
        })
        .ok()
        .and_then(|a| match a.ip() {
            std::net::IpAddr::V4(v4) if !v4.is_unspecified() => Some(v4),
            _ => None,
        });
    routed.or_else(|| {
        let (trie, route) = (read("/proc/net/fib_trie"), read("/proc/net/route"));
        procfs::ipv4_addresses(&trie, &route, "lo")
            .iter()
            .map(|a| a.addr)
            .find(|a| !a.is_loopback())
    })
}

pub(crate) fn ip_stats() -> IpStats {
    procfs::ip_stats(&read("/proc/net/snmp"))
}

pub(crate) fn tcp_stats() -> TcpStats {
    procfs::tcp_stats(&read("/proc/net/snmp"))
}

pub(crate) fn udp_stats() -> UdpStats {
    procfs::udp_stats(&read("/proc/net/snmp"))
}

pub(crate) fn for_each_tcp_connection(f: &mut dyn FnMut(&TcpConnInfo)) {
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for row in procfs::tcp_table(&read(path)) {
            f(&row);
        }
    }
}

pub(crate) fn for_each_udp_endpoint(f: &mut dyn FnMut(&UdpEndpointInfo)) {
    for path in ["/proc/net/udp", "/proc/net/udp6"] {
        for row in procfs::udp_table(&read(path)) {
            f(&row);
        }
    }
}
