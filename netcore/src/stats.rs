//! Counters and tables for MIB-2 (RFC 1213, IF-MIB RFC 2863, IP-MIB RFC 4293,
//! TCP-MIB RFC 4022, UDP-MIB RFC 4113), kept by the core.
//!
//! All counters are `u64` so the same values feed 32-bit MIB-2 objects
//! (truncated, as the MIB's wrap-around semantics allow) and the 64-bit
//! `ifHC*` objects of ifXTable.

use core::net::{Ipv4Addr, SocketAddr};

/// Per-interface counters (ifTable / ifXTable).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct IfCounters {
    /// Octets received, including framing (ifHCInOctets).
    pub in_octets: u64,
    /// Unicast frames received and passed up.
    pub in_ucast: u64,
    /// Multicast frames received and passed up.
    pub in_mcast: u64,
    /// Broadcast frames received and passed up.
    pub in_bcast: u64,
    /// Frames dropped for lack of buffers.
    pub in_discards: u64,
    /// Frames received with errors (bad CRC, too short, FIFO overrun).
    pub in_errors: u64,
    /// Frames for a protocol we do not speak.
    pub in_unknown_protos: u64,
    /// Octets sent.
    pub out_octets: u64,
    /// Unicast frames sent.
    pub out_ucast: u64,
    /// Multicast frames sent.
    pub out_mcast: u64,
    /// Broadcast frames sent.
    pub out_bcast: u64,
    /// Frames dropped on output for lack of buffers.
    pub out_discards: u64,
    /// Frames that could not be sent because of errors.
    pub out_errors: u64,
}

impl IfCounters {
    /// Counts one received frame of `len` octets sent to `dst` (a MAC address).
    pub fn count_in(&mut self, dst: &[u8; 6], len: usize) {
        self.in_octets = self.in_octets.wrapping_add(len as u64);
        match classify_mac(dst) {
            Cast::Unicast => self.in_ucast = self.in_ucast.wrapping_add(1),
            Cast::Multicast => self.in_mcast = self.in_mcast.wrapping_add(1),
            Cast::Broadcast => self.in_bcast = self.in_bcast.wrapping_add(1),
        }
    }

    /// Counts one sent frame of `len` octets to `dst` (a MAC address).
    pub fn count_out(&mut self, dst: &[u8; 6], len: usize) {
        self.out_octets = self.out_octets.wrapping_add(len as u64);
        match classify_mac(dst) {
            Cast::Unicast => self.out_ucast = self.out_ucast.wrapping_add(1),
            Cast::Multicast => self.out_mcast = self.out_mcast.wrapping_add(1),
            Cast::Broadcast => self.out_bcast = self.out_bcast.wrapping_add(1),
        }
    }
}

/// Unicast, multicast or broadcast, by destination MAC address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cast {
    /// One receiver.
    Unicast,
    /// A multicast group (I/G bit set).
    Multicast,
    /// Every host (ff:ff:ff:ff:ff:ff).
    Broadcast,
}

/// Classifies a destination MAC address.
pub fn classify_mac(dst: &[u8; 6]) -> Cast {
    if dst == &[0xff; 6] {
        Cast::Broadcast
    } else if dst[0] & 0x01 != 0 {
        Cast::Multicast
    } else {
        Cast::Unicast
    }
}

/// Shows a MAC address the usual way, `02:00:00:00:00:02` (lower-case hex,
/// colons), for logs, status pages and MIB strings.
///
/// ```
/// use petrel_netcore::stats::Mac;
/// assert_eq!(Mac([2, 0, 0, 0xab, 0, 0x0c]).to_string(), "02:00:00:ab:00:0c");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Writes `02:00:00:ab:00:0c` (17 bytes), as
    /// [`Display`](core::fmt::Display) does, without `core::fmt`.
    pub fn write_to(&self, c: &mut crate::small::Cursor<'_>) {
        for (i, b) in self.0.into_iter().enumerate() {
            if i > 0 {
                c.put(b":");
            }
            c.hex(u64::from(b), 2);
        }
    }
}

impl core::fmt::Display for Mac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::small::display_with::<17>(f, |c| self.write_to(c))
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Mac {
    fn format(&self, f: defmt::Formatter<'_>) {
        let [a, b, c, d, e, g] = self.0;
        defmt::write!(
            f,
            "{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}",
            a,
            b,
            c,
            d,
            e,
            g
        )
    }
}

/// One network interface and its counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IfInfo {
    /// ifIndex, from 1.
    pub index: u32,
    /// ifName / ifDescr ("eth0", "tap0", "lo").
    pub name: heapless::String<16>,
    /// The hardware address (zero for interfaces without one).
    pub mac: [u8; 6],
    /// The MTU in octets.
    pub mtu: u32,
    /// Nominal speed in bits per second (0 if unknown).
    pub speed_bps: u64,
    /// Whether the link is up (ifOperStatus).
    pub up: bool,
    /// The IPv4 address and prefix length, if configured.
    pub ipv4: Option<(Ipv4Addr, u8)>,
    /// The counters.
    pub counters: IfCounters,
}

/// IP-layer counters (the `ip` group of RFC 1213).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct IpStats {
    /// Datagrams received from interfaces, including those in error.
    pub in_receives: u64,
    /// Datagrams discarded for header errors (checksum, version, length).
    pub in_hdr_errors: u64,
    /// Datagrams discarded because they were not for us.
    pub in_addr_errors: u64,
    /// Datagrams for a protocol we do not speak.
    pub in_unknown_protos: u64,
    /// Datagrams discarded for lack of resources.
    pub in_discards: u64,
    /// Datagrams delivered to ICMP, TCP, UDP, IGMP.
    pub in_delivers: u64,
    /// Datagrams our protocols handed to IP for sending.
    pub out_requests: u64,
    /// Outgoing datagrams discarded for lack of resources.
    pub out_discards: u64,
    /// Outgoing datagrams with no route.
    pub out_no_routes: u64,
    /// The TTL we send with.
    pub default_ttl: u8,
}

/// TCP-layer counters (the `tcp` group of RFC 1213 / TCP-MIB).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// CLOSED → SYN-SENT transitions (connects).
    pub active_opens: u64,
    /// LISTEN → SYN-RCVD transitions (accepted handshakes).
    pub passive_opens: u64,
    /// Handshakes that failed (SYN-SENT/SYN-RCVD → CLOSED, SYN-RCVD → LISTEN).
    pub attempt_fails: u64,
    /// ESTABLISHED/CLOSE-WAIT → CLOSED by reset.
    pub estab_resets: u64,
    /// Connections now in ESTABLISHED or CLOSE-WAIT.
    pub curr_estab: u64,
    /// Segments received, including those in error.
    pub in_segs: u64,
    /// Segments sent, excluding retransmissions.
    pub out_segs: u64,
    /// Segments retransmitted.
    pub retrans_segs: u64,
    /// Segments received in error (bad checksum, too short).
    pub in_errs: u64,
    /// Segments sent with RST.
    pub out_rsts: u64,
}

/// UDP-layer counters (the `udp` group of RFC 1213 / UDP-MIB).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpStats {
    /// Datagrams delivered to applications.
    pub in_datagrams: u64,
    /// Datagrams for a port nobody listens on.
    pub no_ports: u64,
    /// Datagrams that could not be delivered for other reasons (bad checksum,
    /// receive buffer full).
    pub in_errors: u64,
    /// Datagrams sent.
    pub out_datagrams: u64,
}

/// TCP connection states, numbered as `tcpConnectionState` in RFC 4022.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TcpState {
    /// closed(1)
    Closed = 1,
    /// listen(2)
    Listen = 2,
    /// synSent(3)
    SynSent = 3,
    /// synReceived(4)
    SynReceived = 4,
    /// established(5)
    Established = 5,
    /// finWait1(6)
    FinWait1 = 6,
    /// finWait2(7)
    FinWait2 = 7,
    /// closeWait(8)
    CloseWait = 8,
    /// lastAck(9)
    LastAck = 9,
    /// closing(10)
    Closing = 10,
    /// timeWait(11)
    TimeWait = 11,
}

impl TcpState {
    /// Whether the state counts toward `tcpCurrEstab`.
    pub fn is_established(self) -> bool {
        matches!(self, TcpState::Established | TcpState::CloseWait)
    }
}

/// One row of tcpConnectionTable or tcpListenerTable.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TcpConnInfo {
    /// Our end.
    pub local: SocketAddr,
    /// The peer's end (unspecified for listeners).
    pub remote: SocketAddr,
    /// The state.
    pub state: TcpState,
}

/// One row of udpEndpointTable.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UdpEndpointInfo {
    /// The bound address.
    pub local: SocketAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_classified_by_destination() {
        let mut c = IfCounters::default();
        c.count_in(&[0x02, 0, 0, 0, 0, 1], 60);
        c.count_in(&[0x01, 0x00, 0x5e, 0, 0, 0xfb], 100);
        c.count_in(&[0xff; 6], 42);
        c.count_out(&[0xff; 6], 42);
        c.count_out(&[0x33, 0x33, 0, 0, 0, 1], 80);
        assert_eq!((c.in_ucast, c.in_mcast, c.in_bcast), (1, 1, 1));
        assert_eq!(c.in_octets, 202);
        assert_eq!((c.out_ucast, c.out_mcast, c.out_bcast), (0, 1, 1));
        assert_eq!(c.out_octets, 122);
    }

    #[test]
    fn curr_estab_states() {
        assert!(TcpState::Established.is_established());
        assert!(TcpState::CloseWait.is_established());
        assert!(!TcpState::SynSent.is_established());
        assert_eq!(TcpState::TimeWait as u8, 11);
    }
}
