//! Table rows from the live stack: their index OIDs and column values.
//!
//! Rows are never stored: every lookup walks the backend's rows with its
//! `for_each_*` callbacks and keeps the best match (the exact index for Get,
//! the smallest index above a bound for GetNext). The work is one pass over
//! the rows per column visited, and the memory is one index and one row.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use petrel_netcore::socket::Network;
use petrel_netcore::stats::{IfInfo, TcpConnInfo, TcpState, UdpEndpointInfo};

use super::nodes::{Table, c32, g32, int};
use super::{Mib2, copy_into};
use crate::oid::Oid;
use crate::value::Value;

/// Longest index: udpEndpointTable with two IPv6 addresses
/// (1 + 1 + 16 + 1 + 1 + 1 + 16 + 1 + 1 = 39 arcs).
pub(super) const INDEX_LEN: usize = 40;

/// A row's index arcs.
pub(super) type Index = heapless::Vec<u32, INDEX_LEN>;

/// A row, copied out of the backend's callback.
#[derive(Clone, Debug)]
pub(super) enum Row {
    If(IfInfo),
    Tcp(TcpConnInfo),
    Udp(UdpEndpointInfo),
}

/// A borrowed row, as the callback sees it.
#[derive(Copy, Clone, Debug)]
enum RowRef<'r> {
    If(&'r IfInfo),
    Tcp(&'r TcpConnInfo),
    Udp(&'r UdpEndpointInfo),
}

impl RowRef<'_> {
    fn to_owned(self) -> Row {
        match self {
            RowRef::If(i) => Row::If(i.clone()),
            RowRef::Tcp(c) => Row::Tcp(*c),
            RowRef::Udp(u) => Row::Udp(*u),
        }
    }
}

/// Which row to find.
#[derive(Copy, Clone, Debug)]
pub(super) enum Find<'a> {
    /// The row whose index is exactly this.
    Exact(&'a [u32]),
    /// The row with the smallest index strictly greater than this (`None`:
    /// the first row).
    After(Option<&'a [u32]>),
}

/// IPv4-mapped IPv6 addresses are shown as IPv4 (a dual-stack socket).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn v4(ip: IpAddr) -> Option<Ipv4Addr> {
    match canonical(ip) {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

/// Appends the address `ip`: as an `InetAddressType, InetAddress` pair
/// when `inet` (RFC 4001: the address is a variable-length string, so its
/// length comes first), else as the four arcs of an IPv4 `IpAddress`
/// (`None` for an IPv6 address).
fn push_addr(idx: &mut Index, ip: IpAddr, inet: bool) -> Option<()> {
    let (o4, o6);
    let octets: &[u8] = match canonical(ip) {
        IpAddr::V4(a) => {
            o4 = a.octets();
            &o4
        }
        IpAddr::V6(a) if inet => {
            o6 = a.octets();
            &o6
        }
        IpAddr::V6(_) => return None,
    };
    if inet {
        let ty = if octets.len() == 4 { 1 } else { 2 };
        idx.extend_from_slice(&[ty, octets.len() as u32]).ok()?;
    }
    for &o in octets {
        idx.push(u32::from(o)).ok()?;
    }
    Some(())
}

/// Appends the address of `sa` (as [`push_addr`]) and its port.
fn push_endpoint(idx: &mut Index, sa: SocketAddr, inet: bool) -> Option<()> {
    push_addr(idx, sa.ip(), inet)?;
    idx.push(u32::from(sa.port())).ok()
}

/// The index of `row` in `table`, or `None` if the row is not in it.
fn index_of(table: Table, row: RowRef<'_>) -> Option<Index> {
    let mut idx = Index::new();
    match (table, row) {
        (Table::If | Table::IfX, RowRef::If(i)) => idx.push(i.index).ok()?,
        (Table::IpAddr, RowRef::If(i)) => push_addr(&mut idx, IpAddr::V4(i.ipv4?.0), false)?,
        (Table::TcpConn, RowRef::Tcp(c)) => {
            push_endpoint(&mut idx, c.local, false)?;
            push_endpoint(&mut idx, c.remote, false)?;
        }
        (Table::TcpConnection, RowRef::Tcp(c)) if c.state != TcpState::Listen => {
            push_endpoint(&mut idx, c.local, true)?;
            push_endpoint(&mut idx, c.remote, true)?;
        }
        (Table::TcpListener, RowRef::Tcp(c)) if c.state == TcpState::Listen => {
            push_endpoint(&mut idx, c.local, true)?;
        }
        (Table::Udp, RowRef::Udp(u)) => push_endpoint(&mut idx, u.local, false)?,
        (Table::UdpEndpoint, RowRef::Udp(u)) => {
            // An unconnected endpoint: the remote is the unspecified
            // address of the same family, port 0; instance 1.
            let local = canonical(u.local.ip());
            push_endpoint(&mut idx, u.local, true)?;
            let any = match local {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(_) => IpAddr::V6(core::net::Ipv6Addr::UNSPECIFIED),
            };
            push_addr(&mut idx, any, true)?;
            idx.extend_from_slice(&[0, 1]).ok()?;
        }
        _ => return None,
    }
    Some(idx)
}

fn netmask(prefix: u8) -> [u8; 4] {
    let bits = u32::MAX
        .checked_shl(32u32.saturating_sub(u32::from(prefix.min(32))))
        .unwrap_or(0);
    bits.to_be_bytes()
}

fn ip4(ip: IpAddr) -> [u8; 4] {
    v4(ip).map_or([0; 4], |a| a.octets())
}

fn is_loopback(i: &IfInfo) -> bool {
    i.mac == [0; 6] && i.name.starts_with("lo")
}

impl<N: Network, const S: usize, const A: usize> Mib2<'_, N, S, A> {
    fn for_each_row(&self, table: Table, f: &mut dyn FnMut(RowRef<'_>)) {
        match table {
            Table::If | Table::IfX | Table::IpAddr => {
                self.net.for_each_interface(&mut |i| f(RowRef::If(i)));
            }
            Table::TcpConn | Table::TcpConnection | Table::TcpListener => {
                self.net.for_each_tcp_connection(&mut |c| f(RowRef::Tcp(c)));
            }
            Table::Udp | Table::UdpEndpoint => {
                self.net.for_each_udp_endpoint(&mut |u| f(RowRef::Udp(u)));
            }
        }
    }

    /// The row of `table` that `find` selects, with its index.
    pub(super) fn find_row(&self, table: Table, find: Find<'_>) -> Option<(Index, Row)> {
        let mut best: Option<(Index, Row)> = None;
        self.for_each_row(table, &mut |row| {
            let Some(idx) = index_of(table, row) else {
                return;
            };
            let wanted = match find {
                Find::Exact(want) => idx.as_slice() == want,
                Find::After(None) => true,
                Find::After(Some(bound)) => idx.as_slice() > bound,
            };
            let better = best.as_ref().is_none_or(|(b, _)| idx < *b);
            if wanted && better {
                best = Some((idx, row.to_owned()));
            }
        });
        best
    }

    /// Number of interfaces (ifNumber).
    pub(super) fn if_count(&self) -> u64 {
        let mut n = 0u64;
        self.net.for_each_interface(&mut |_| n += 1);
        n
    }

    /// Whether an interface with `if_index` exists.
    pub(super) fn if_exists(&self, if_index: u32) -> bool {
        let mut found = false;
        self.net
            .for_each_interface(&mut |i| found |= i.index == if_index);
        found
    }

    /// The value of column `col` of `row` in `table`.
    pub(super) fn column<'a>(
        &'a self,
        table: Table,
        col: u32,
        row: &Row,
        scratch: &'a mut [u8],
    ) -> Option<Value<'a>> {
        match (table, row) {
            (Table::If, Row::If(i)) => if_column(i, col, scratch),
            (Table::IfX, Row::If(i)) => self.if_x_column(i, col, scratch),
            (Table::IpAddr, Row::If(i)) => {
                let (addr, prefix) = i.ipv4?;
                Some(match col {
                    1 => Value::IpAddress(addr.octets()),
                    2 => int(u64::from(i.index)),
                    3 => Value::IpAddress(netmask(prefix)),
                    4 => Value::Integer(1),
                    5 => Value::Integer(65535),
                    _ => return None,
                })
            }
            (Table::TcpConn, Row::Tcp(c)) => Some(match col {
                1 => Value::Integer(c.state as i32),
                2 => Value::IpAddress(ip4(c.local.ip())),
                3 => Value::Integer(i32::from(c.local.port())),
                4 => Value::IpAddress(ip4(c.remote.ip())),
                5 => Value::Integer(i32::from(c.remote.port())),
                _ => return None,
            }),
            (Table::TcpConnection, Row::Tcp(c)) => Some(match col {
                7 => Value::Integer(c.state as i32),
                8 => Value::Gauge32(0),
                _ => return None,
            }),
            (Table::TcpListener, Row::Tcp(_)) | (Table::UdpEndpoint, Row::Udp(_)) => {
                // tcpListenerProcess / udpEndpointProcess: no process IDs
                // on a microcontroller (0 = unknown).
                Some(Value::Gauge32(0))
            }
            (Table::Udp, Row::Udp(u)) => Some(match col {
                1 => Value::IpAddress(ip4(u.local.ip())),
                2 => Value::Integer(i32::from(u.local.port())),
                _ => return None,
            }),
            _ => None,
        }
    }

    fn if_x_column<'a>(&'a self, i: &IfInfo, col: u32, scratch: &'a mut [u8]) -> Option<Value<'a>> {
        let c = &i.counters;
        Some(match col {
            1 => copy_into(scratch, i.name.as_bytes()),
            2 => c32(c.in_mcast),
            3 => c32(c.in_bcast),
            4 => c32(c.out_mcast),
            5 => c32(c.out_bcast),
            6 => Value::Counter64(c.in_octets),
            7 => Value::Counter64(c.in_ucast),
            8 => Value::Counter64(c.in_mcast),
            9 => Value::Counter64(c.in_bcast),
            10 => Value::Counter64(c.out_octets),
            11 => Value::Counter64(c.out_ucast),
            12 => Value::Counter64(c.out_mcast),
            13 => Value::Counter64(c.out_bcast),
            // ifLinkUpDownTrapEnable: disabled(2), no link traps yet.
            14 => Value::Integer(2),
            15 => g32(i.speed_bps / 1_000_000),
            // ifPromiscuousMode: false(2).
            16 => Value::Integer(2),
            // ifConnectorPresent: true(1) for a physical port.
            17 => Value::Integer(if is_loopback(i) { 2 } else { 1 }),
            18 => Value::OctetString(self.writable.alias(i.index)),
            19 => Value::TimeTicks(0),
            _ => return None,
        })
    }
}

fn if_column<'a>(i: &IfInfo, col: u32, scratch: &'a mut [u8]) -> Option<Value<'a>> {
    let c = &i.counters;
    Some(match col {
        1 => int(u64::from(i.index)),
        2 => copy_into(scratch, i.name.as_bytes()),
        // softwareLoopback(24) or ethernetCsmacd(6).
        3 => Value::Integer(if is_loopback(i) { 24 } else { 6 }),
        4 => int(u64::from(i.mtu)),
        5 => g32(i.speed_bps),
        6 if i.mac == [0; 6] => Value::OctetString(&[]),
        6 => copy_into(scratch, &i.mac),
        // ifAdminStatus up(1); ifOperStatus up(1) or down(2).
        7 => Value::Integer(1),
        8 => Value::Integer(if i.up { 1 } else { 2 }),
        9 => Value::TimeTicks(0),
        10 => c32(c.in_octets),
        11 => c32(c.in_ucast),
        12 => c32(c.in_mcast.wrapping_add(c.in_bcast)),
        13 => c32(c.in_discards),
        14 => c32(c.in_errors),
        15 => c32(c.in_unknown_protos),
        16 => c32(c.out_octets),
        17 => c32(c.out_ucast),
        18 => c32(c.out_mcast.wrapping_add(c.out_bcast)),
        19 => c32(c.out_discards),
        20 => c32(c.out_errors),
        21 => Value::Gauge32(0),
        // ifSpecific: zeroDotZero.
        22 => Value::ObjectId(Oid::new(&[0, 0])),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_indexes() {
        let c = TcpConnInfo {
            local: SocketAddr::from(([127, 0, 0, 1], 80)),
            remote: SocketAddr::from(([10, 0, 0, 2], 5000)),
            state: TcpState::Established,
        };
        let idx = index_of(Table::TcpConnection, RowRef::Tcp(&c)).unwrap();
        assert_eq!(
            idx.as_slice(),
            &[1, 4, 127, 0, 0, 1, 80, 1, 4, 10, 0, 0, 2, 5000]
        );
        assert!(index_of(Table::TcpListener, RowRef::Tcp(&c)).is_none());
        let mapped: SocketAddr = "[::ffff:198.51.100.2]:161".parse().unwrap();
        let u = UdpEndpointInfo { local: mapped };
        let idx = index_of(Table::UdpEndpoint, RowRef::Udp(&u)).unwrap();
        assert_eq!(
            idx.as_slice(),
            &[1, 4, 198, 51, 100, 2, 161, 1, 4, 0, 0, 0, 0, 0, 1]
        );
        let v6 = UdpEndpointInfo {
            local: "[2001:db8::1]:53".parse().unwrap(),
        };
        let idx = index_of(Table::UdpEndpoint, RowRef::Udp(&v6)).unwrap();
        assert_eq!(idx.len(), 39);
        assert!(index_of(Table::Udp, RowRef::Udp(&v6)).is_none());
        assert_eq!(netmask(24), [255, 255, 255, 0]);
        assert_eq!(netmask(0), [0, 0, 0, 0]);
        assert_eq!(netmask(32), [255; 4]);
    }
}
