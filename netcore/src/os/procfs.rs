//! Parsers for the Linux kernel's network statistics in `/proc` and `/sys`.
//!
//! Each parser is a pure function over the file's text, so it is tested with
//! real captured text and never touches the file system. Odd input never
//! panics: a line that does not parse is skipped, a field that is missing or
//! not a number reads as zero.
//!
//! ```
//! use petrel_netcore::os::procfs;
//! let snmp = "Udp: InDatagrams NoPorts InErrors OutDatagrams\nUdp: 134 0 0 135\n";
//! assert_eq!(procfs::udp_stats(snmp).out_datagrams, 135);
//! ```

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::stats::{
    IfCounters, IpStats, TcpConnInfo, TcpState, TcpStats, UdpEndpointInfo, UdpStats,
};

/// One interface's line of `/proc/net/dev`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetDevRow<'a> {
    /// The interface name ("lo", "eth0").
    pub name: &'a str,
    /// Its counters. `/proc/net/dev` has no broadcast or unknown-protocol
    /// counts and no outgoing multicast count: those read zero, and
    /// `in_ucast` is received packets minus received multicast.
    pub counters: IfCounters,
}

/// Parses `/proc/net/dev`: one row per interface line (`name: 16 numbers`).
pub fn net_dev(text: &str) -> impl Iterator<Item = NetDevRow<'_>> {
    text.lines().filter_map(|line| {
        let (name, rest) = line.split_once(':')?;
        let name = name.trim();
        // The two header lines contain '|' and no "name:" prefix of this form.
        if name.is_empty() || name.contains('|') || name.contains(' ') {
            return None;
        }
        let mut v = [0u64; 16];
        for (slot, field) in v.iter_mut().zip(rest.split_whitespace()) {
            *slot = field.parse().unwrap_or(0);
        }
        let [
            rx_bytes,
            rx_packets,
            rx_errs,
            rx_drop,
            _rx_fifo,
            _rx_frame,
            _rx_compressed,
            rx_multicast,
            tx_bytes,
            tx_packets,
            tx_errs,
            tx_drop,
            ..,
        ] = v;
        Some(NetDevRow {
            name,
            counters: IfCounters {
                in_octets: rx_bytes,
                in_ucast: rx_packets.saturating_sub(rx_multicast),
                in_mcast: rx_multicast,
                in_discards: rx_drop,
                in_errors: rx_errs,
                out_octets: tx_bytes,
                out_ucast: tx_packets,
                out_discards: tx_drop,
                out_errors: tx_errs,
                ..IfCounters::default()
            },
        })
    })
}

/// The named values of one protocol in `/proc/net/snmp` (`Ip`, `Tcp`, `Udp`…):
/// the first line starting with `proto:` holds the names, the second the
/// values. Negative values (`MaxConn -1`: "no limit") are left out.
pub fn snmp_values<'a>(text: &'a str, proto: &'a str) -> impl Iterator<Item = (&'a str, u64)> {
    let mut lines = text.lines().filter_map(move |line| {
        let (head, rest) = line.split_once(':')?;
        (head == proto).then_some(rest)
    });
    let names = lines.next().unwrap_or("");
    let values = lines.next().unwrap_or("");
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .filter_map(|(n, v)| Some((n, v.parse::<u64>().ok()?)))
}

/// The `Ip:` counters of `/proc/net/snmp`.
pub fn ip_stats(snmp: &str) -> IpStats {
    let mut s = IpStats::default();
    for (name, v) in snmp_values(snmp, "Ip") {
        match name {
            "DefaultTTL" => s.default_ttl = u8::try_from(v).unwrap_or(u8::MAX),
            "InReceives" => s.in_receives = v,
            "InHdrErrors" => s.in_hdr_errors = v,
            "InAddrErrors" => s.in_addr_errors = v,
            "InUnknownProtos" => s.in_unknown_protos = v,
            "InDiscards" => s.in_discards = v,
            "InDelivers" => s.in_delivers = v,
            "OutRequests" => s.out_requests = v,
            "OutDiscards" => s.out_discards = v,
            "OutNoRoutes" => s.out_no_routes = v,
            _ => {}
        }
    }
    s
}

/// The `Tcp:` counters of `/proc/net/snmp`.
pub fn tcp_stats(snmp: &str) -> TcpStats {
    let mut s = TcpStats::default();
    for (name, v) in snmp_values(snmp, "Tcp") {
        match name {
            "ActiveOpens" => s.active_opens = v,
            "PassiveOpens" => s.passive_opens = v,
            "AttemptFails" => s.attempt_fails = v,
            "EstabResets" => s.estab_resets = v,
            "CurrEstab" => s.curr_estab = v,
            "InSegs" => s.in_segs = v,
            "OutSegs" => s.out_segs = v,
            "RetransSegs" => s.retrans_segs = v,
            "InErrs" => s.in_errs = v,
            "OutRsts" => s.out_rsts = v,
            _ => {}
        }
    }
    s
}

/// The `Udp:` counters of `/proc/net/snmp`.
pub fn udp_stats(snmp: &str) -> UdpStats {
    let mut s = UdpStats::default();
    for (name, v) in snmp_values(snmp, "Udp") {
        match name {
            "InDatagrams" => s.in_datagrams = v,
            "NoPorts" => s.no_ports = v,
            "InErrors" => s.in_errors = v,
            "OutDatagrams" => s.out_datagrams = v,
            _ => {}
        }
    }
    s
}

/// Linux's TCP state numbers (`include/net/tcp_states.h`) as RFC 4022
/// states. `TCP_NEW_SYN_RECV` (12) is a SYN-RECEIVED request socket.
pub fn linux_tcp_state(code: u8) -> Option<TcpState> {
    Some(match code {
        1 => TcpState::Established,
        2 => TcpState::SynSent,
        3 | 12 => TcpState::SynReceived,
        4 => TcpState::FinWait1,
        5 => TcpState::FinWait2,
        6 => TcpState::TimeWait,
        7 => TcpState::Closed,
        8 => TcpState::CloseWait,
        9 => TcpState::LastAck,
        10 => TcpState::Listen,
        11 => TcpState::Closing,
        _ => return None,
    })
}

/// Parses `ADDR:PORT` as printed in `/proc/net/{tcp,udp}{,6}`: the address
/// is the in-memory (network order) bytes printed as native-endian 32-bit
/// words in hex, the port is plain hex.
pub fn proc_socket_addr(field: &str) -> Option<SocketAddr> {
    let (addr, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::to_ne_bytes);
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(addr)?)),
        32 => {
            let mut b = [0u8; 16];
            for (chunk, i) in b.chunks_exact_mut(4).zip(0..) {
                chunk.copy_from_slice(&word(addr.get(i * 8..i * 8 + 8)?)?);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The (local, remote, state) columns of each socket line of a
/// `/proc/net/{tcp,udp}{,6}` table.
fn socket_lines(text: &str) -> impl Iterator<Item = (SocketAddr, SocketAddr, u8)> + '_ {
    text.lines().filter_map(|line| {
        let mut f = line.split_whitespace();
        let sl = f.next()?;
        // Socket lines start with "N:"; the header starts with "sl".
        if !sl.ends_with(':') {
            return None;
        }
        let local = proc_socket_addr(f.next()?)?;
        let remote = proc_socket_addr(f.next()?)?;
        let state = u8::from_str_radix(f.next()?, 16).ok()?;
        Some((local, remote, state))
    })
}

/// Parses `/proc/net/tcp` or `/proc/net/tcp6`: connections and listeners.
pub fn tcp_table(text: &str) -> impl Iterator<Item = TcpConnInfo> + '_ {
    socket_lines(text).filter_map(|(local, remote, st)| {
        Some(TcpConnInfo {
            local,
            remote,
            state: linux_tcp_state(st)?,
        })
    })
}

/// Parses `/proc/net/udp` or `/proc/net/udp6`: bound endpoints.
pub fn udp_table(text: &str) -> impl Iterator<Item = UdpEndpointInfo> + '_ {
    socket_lines(text).map(|(local, _, _)| UdpEndpointInfo { local })
}

/// Parses `/sys/class/net/IF/address` ("02:fc:00:00:00:01").
pub fn mac_address(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for b in mac.iter_mut() {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// Parses `/sys/class/net/IF/operstate` as ifOperStatus up. `unknown` counts
/// as up: it is what `lo` and drivers without carrier reporting say while
/// they pass traffic (a down interface says `down`).
pub fn oper_up(text: &str) -> bool {
    matches!(text.trim(), "up" | "unknown")
}

/// Parses a decimal number from a `/sys` file (`ifindex`, `mtu`, `speed`).
pub fn sys_number(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// One IPv4 address of the host, from [`ipv4_addresses`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ipv4Assignment<'a> {
    /// The interface it is on ("eth0").
    pub interface: &'a str,
    /// The address.
    pub addr: Ipv4Addr,
    /// The prefix length of its subnet (24 for a /24).
    pub prefix_len: u8,
}

/// The routes of `/proc/net/fib_trie` as (prefix, length, scope, type):
/// a leaf line `|-- 198.51.100.7` is followed by one line per route of that
/// prefix, `/32 host LOCAL`.
fn fib_routes(text: &str) -> impl Iterator<Item = (Ipv4Addr, u8, &str, &str)> + '_ {
    let mut leaf = None;
    text.lines().filter_map(move |line| {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("|-- ") {
            leaf = addr.trim().parse::<Ipv4Addr>().ok();
            return None;
        }
        let Some(rest) = line.strip_prefix('/') else {
            // A "+-- " trie node or a "Main:"/"Local:" table header.
            leaf = None;
            return None;
        };
        let mut f = rest.split_whitespace();
        let len = f.next()?.parse::<u8>().ok().filter(|l| *l <= 32)?;
        Some((leaf?, len, f.next()?, f.next()?))
    })
}

/// An IPv4 address printed as in `/proc/net/route`: the network-order
/// bytes as a native-endian 32-bit word in hex.
fn proc_ipv4(field: &str) -> Option<Ipv4Addr> {
    (field.len() == 8)
        .then(|| u32::from_str_radix(field, 16).ok())
        .flatten()
        .map(|w| Ipv4Addr::from(w.to_ne_bytes()))
}

/// Whether `addr` is inside `net/len`.
fn in_prefix(addr: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(addr) & mask == u32::from(net) & mask
}

/// The host's own IPv4 addresses with their interfaces and prefix lengths,
/// from `/proc/net/fib_trie` and `/proc/net/route` (no `ioctl`, no
/// netlink: both are plain text readable without privileges).
///
/// The trie's `/32 host LOCAL` routes are the addresses; the longest
/// shorter `link` or `host` route that contains one is its subnet (`/24
/// link UNICAST`, or `/8 host LOCAL` for 127.0.0.1). The interface is that of
/// the most specific gateway-less route of `/proc/net/route` containing the
/// address; loopback addresses (which have no such route) are on
/// `loopback`. An address without either (`noprefixroute` on a non-loopback
/// interface) is left out. Each address appears once, in trie order.
pub fn ipv4_addresses<'a>(
    fib_trie: &str,
    route: &'a str,
    loopback: &'a str,
) -> Vec<Ipv4Assignment<'a>> {
    const RTF_UP: u32 = 0x1;
    const RTF_GATEWAY: u32 = 0x2;
    let routes: Vec<(&str, Ipv4Addr, u8)> = route
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (iface, dest, flags, mask) = (f.first()?, f.get(1)?, f.get(3)?, f.get(7)?);
            let flags = u32::from_str_radix(flags, 16).ok()?;
            let mask = u32::from(proc_ipv4(mask)?);
            // Only contiguous masks are prefixes.
            let len = u8::try_from(mask.leading_ones()).ok()?;
            (flags & RTF_UP != 0 && flags & RTF_GATEWAY == 0 && mask.count_ones() == u32::from(len))
                .then_some((*iface, proc_ipv4(dest)?, len))
        })
        .collect();
    let trie: Vec<_> = fib_routes(fib_trie).collect();
    let mut out: Vec<Ipv4Assignment<'a>> = Vec::new();
    for &(addr, len, scope, kind) in &trie {
        if len != 32 || scope != "host" || kind != "LOCAL" || out.iter().any(|a| a.addr == addr) {
            continue;
        }
        let prefix_len = trie
            .iter()
            .filter(|(net, l, scope, kind)| {
                *l < 32
                    && matches!(*scope, "link" | "host")
                    && matches!(*kind, "UNICAST" | "LOCAL")
                    && in_prefix(addr, *net, *l)
            })
            .map(|(_, l, _, _)| *l)
            .max()
            .unwrap_or(32);
        let interface = routes
            .iter()
            .filter(|(_, net, l)| in_prefix(addr, *net, *l))
            .max_by_key(|(_, _, l)| *l)
            .map(|(iface, _, _)| *iface)
            .or_else(|| addr.is_loopback().then_some(loopback));
        if let Some(interface) = interface {
            out.push(Ipv4Assignment {
                interface,
                addr,
                prefix_len,
            });
        }
    }
    out
}

#[cfg(test)]
#[path = "procfs_tests.rs"]
mod tests;
