//! The static, sorted list of MIB-2 object types this module serves, and
//! the values of its scalars.

use crate::value::Value;

/// A group of scalars (the arc under the group's base is the node's arc).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Group {
    /// system (1.3.6.1.2.1.1).
    System,
    /// interfaces (1.3.6.1.2.1.2).
    Interfaces,
    /// ip (1.3.6.1.2.1.4).
    Ip,
    /// tcp (1.3.6.1.2.1.6).
    Tcp,
    /// udp (1.3.6.1.2.1.7).
    Udp,
    /// snmp (1.3.6.1.2.1.11).
    Snmp,
    /// snmpEngine (1.3.6.1.6.3.10.2.1).
    Engine,
    /// snmpMPDStats (1.3.6.1.6.3.11.2.1).
    Mpd,
    /// snmpTargetObjects' context counters (1.3.6.1.6.3.12.1).
    Target,
    /// usmStats (1.3.6.1.6.3.15.1.1).
    Usm,
}

/// A conceptual table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Table {
    /// ifTable (RFC 2863), index ifIndex.
    If,
    /// ipAddrTable (RFC 1213), index ipAdEntAddr.
    IpAddr,
    /// tcpConnTable (RFC 1213, IPv4 only).
    TcpConn,
    /// tcpConnectionTable (RFC 4022).
    TcpConnection,
    /// tcpListenerTable (RFC 4022).
    TcpListener,
    /// udpTable (RFC 1213, IPv4 only).
    Udp,
    /// udpEndpointTable (RFC 4113).
    UdpEndpoint,
    /// ifXTable (RFC 2863), index ifIndex.
    IfX,
}

impl Table {
    /// The accessible columns: every one of a range, ascending.
    pub(super) fn columns(self) -> core::ops::RangeInclusive<u32> {
        let (first, last) = match self {
            Table::If => (1, 22),
            Table::IpAddr | Table::TcpConn => (1, 5),
            Table::TcpConnection => (7, 8),
            Table::TcpListener => (4, 4),
            Table::Udp => (1, 2),
            Table::UdpEndpoint => (8, 8),
            Table::IfX => (1, 19),
        };
        first..=last
    }
}

/// What a node is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A scalar; its instance is `base.arc.0`.
    Scalar(Group),
    /// A table; `base.arc` is its entry.
    Table(Table),
}

/// A run of scalars named `base.first` … `base.last` (every arc between
/// them), or one table entry `base.1`.
#[derive(Copy, Clone, Debug)]
pub(super) struct Node {
    /// The position of the base OID in [`BASES`] (one octet instead of a
    /// slice: the table stays small).
    base: u8,
    first: u8,
    last: u8,
    pub(super) kind: Kind,
}

/// Longest node name (base plus arc).
pub(super) const KEY_LEN: usize = 12;

/// A node's name.
pub(super) type Key = heapless::Vec<u32, KEY_LEN>;

impl Node {
    /// The name of the object type `base.arc` (`arc` from [`Node::arcs`]).
    pub(super) fn key(&self, arc: u32) -> Key {
        let mut k = Key::new();
        // Every base below has at most 10 arcs (checked by a test).
        for &a in self.base() {
            let _ = k.push(u32::from(a));
        }
        let _ = k.push(arc);
        k
    }

    /// The base OID (every arc of these is below 256).
    fn base(&self) -> &'static [u8] {
        BASES.get(usize::from(self.base)).copied().unwrap_or(&[])
    }

    /// The arcs under the base, ascending.
    pub(super) fn arcs(&self) -> core::ops::RangeInclusive<u32> {
        u32::from(self.first)..=u32::from(self.last)
    }
}

const SYSTEM: u8 = 0;
const INTERFACES: u8 = 1;
const IF_TABLE: u8 = 2;
const IP: u8 = 3;
const IP_ADDR_TABLE: u8 = 4;
const TCP: u8 = 5;
const TCP_CONN_TABLE: u8 = 6;
const TCP_CONNECTION_TABLE: u8 = 7;
const TCP_LISTENER_TABLE: u8 = 8;
const UDP: u8 = 9;
const UDP_TABLE: u8 = 10;
const UDP_ENDPOINT_TABLE: u8 = 11;
const SNMP: u8 = 12;
const IF_X_TABLE: u8 = 13;
const ENGINE: u8 = 14;
const MPD: u8 = 15;
const TARGET: u8 = 16;
const USM: u8 = 17;

/// The base OIDs, in the order of the constants above.
static BASES: [&[u8]; 18] = [
    // SYSTEM
    &[1, 3, 6, 1, 2, 1, 1],
    // INTERFACES
    &[1, 3, 6, 1, 2, 1, 2],
    // IF_TABLE
    &[1, 3, 6, 1, 2, 1, 2, 2],
    // IP
    &[1, 3, 6, 1, 2, 1, 4],
    // IP_ADDR_TABLE
    &[1, 3, 6, 1, 2, 1, 4, 20],
    // TCP
    &[1, 3, 6, 1, 2, 1, 6],
    // TCP_CONN_TABLE
    &[1, 3, 6, 1, 2, 1, 6, 13],
    // TCP_CONNECTION_TABLE
    &[1, 3, 6, 1, 2, 1, 6, 19],
    // TCP_LISTENER_TABLE
    &[1, 3, 6, 1, 2, 1, 6, 20],
    // UDP
    &[1, 3, 6, 1, 2, 1, 7],
    // UDP_TABLE
    &[1, 3, 6, 1, 2, 1, 7, 5],
    // UDP_ENDPOINT_TABLE
    &[1, 3, 6, 1, 2, 1, 7, 7],
    // SNMP
    &[1, 3, 6, 1, 2, 1, 11],
    // IF_X_TABLE
    &[1, 3, 6, 1, 2, 1, 31, 1, 1],
    // ENGINE
    &[1, 3, 6, 1, 6, 3, 10, 2, 1],
    // MPD
    &[1, 3, 6, 1, 6, 3, 11, 2, 1],
    // TARGET
    &[1, 3, 6, 1, 6, 3, 12, 1],
    // USM
    &[1, 3, 6, 1, 6, 3, 15, 1, 1],
];

const fn s(base: u8, first: u8, last: u8, g: Group) -> Node {
    Node {
        base,
        first,
        last,
        kind: Kind::Scalar(g),
    }
}

const fn t(base: u8, t: Table) -> Node {
    Node {
        base,
        first: 1,
        last: 1,
        kind: Kind::Table(t),
    }
}

use Group::{Engine, Interfaces, Ip, Mpd, Snmp, System, Target, Tcp, Udp, Usm};

/// Every node, in increasing OID order (checked by a test).
#[rustfmt::skip]
pub(super) static NODES: &[Node] = &[
    s(SYSTEM, 1, 8, System),
    s(INTERFACES, 1, 1, Interfaces),
    t(IF_TABLE, Table::If),
    s(IP, 1, 19, Ip),
    t(IP_ADDR_TABLE, Table::IpAddr),
    s(TCP, 1, 12, Tcp),
    t(TCP_CONN_TABLE, Table::TcpConn),
    s(TCP, 14, 15, Tcp),
    s(TCP, 17, 18, Tcp),
    t(TCP_CONNECTION_TABLE, Table::TcpConnection),
    t(TCP_LISTENER_TABLE, Table::TcpListener),
    s(UDP, 1, 4, Udp),
    t(UDP_TABLE, Table::Udp),
    t(UDP_ENDPOINT_TABLE, Table::UdpEndpoint),
    s(UDP, 8, 9, Udp),
    s(SNMP, 1, 6, Snmp),
    s(SNMP, 8, 22, Snmp),
    s(SNMP, 24, 32, Snmp),
    t(IF_X_TABLE, Table::IfX),
    s(ENGINE, 1, 4, Engine),
    s(MPD, 1, 3, Mpd),
    s(TARGET, 4, 5, Target),
    s(USM, 1, 6, Usm),
];

/// A Counter32 from a 64-bit count (MIB-2 counters wrap at 2^32).
pub(super) fn c32(v: u64) -> Value<'static> {
    Value::Counter32(v as u32)
}

/// A Gauge32, saturating.
pub(super) fn g32(v: u64) -> Value<'static> {
    Value::Gauge32(u32::try_from(v).unwrap_or(u32::MAX))
}

/// An INTEGER, saturating.
pub(super) fn int(v: u64) -> Value<'static> {
    Value::Integer(i32::try_from(v).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_sorted_and_disjoint() {
        let keys: Vec<Key> = NODES
            .iter()
            .flat_map(|n| n.arcs().map(|a| n.key(a)))
            .collect();
        assert_eq!(keys.len(), 103);
        for w in keys.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            assert!(a < b, "{a:?} !< {b:?}");
            assert!(!b.starts_with(a), "{b:?} under {a:?}");
        }
        for n in NODES {
            assert!(n.base().len() < KEY_LEN);
        }
    }
}
