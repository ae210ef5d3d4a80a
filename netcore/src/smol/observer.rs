//! Frame inspection between the device and smoltcp.
//!
//! smoltcp keeps no MIB-2 counters and does not say *why* a TCP socket went
//! to `Closed`. The observer sees every Ethernet frame in both directions and
//! derives what the core needs:
//!
//! - interface, IP, TCP and UDP counters;
//! - a short memory of the RST segments received, so a socket that fell from
//!   `SynSent` to `Closed` can be told apart as *refused* (RST seen) or *timed
//!   out* (none), and an established one as *reset* or *timed out*;
//! - TCP retransmissions, by tracking the highest sequence number sent per
//!   connection (a connection that sent FIN or saw RST is the first to give
//!   its entry up);
//! - the listen-backlog `Drop` policy: SYNs to a port whose backlog is full
//!   are discarded here, before smoltcp would answer them with RST;
//! - which neighbours smoltcp has learnt from ARP, mirrored by the same rules
//!   (a request or reply aimed at our address fills an entry for 60 s, a
//!   unicast IPv4 packet from the same MAC extends it), so
//!   UDP can avoid queueing a datagram behind an unresolved neighbour
//!   (`udp` module).
//!
//! Everything here is a pure function of the frame bytes and the observer's
//! small fixed tables, so it is tested directly with hand-built frames.

use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    Icmpv4Message, Icmpv4Packet, IpProtocol, Ipv4Address, Ipv4Packet, TcpPacket, UdpPacket,
};

use crate::stats::{IfCounters, IpStats, TcpStats, UdpStats};
use crate::time::{Duration, Instant};

/// A TCP connection's identity as seen on the wire (our side first).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct FourTuple {
    pub(crate) local: (Ipv4Address, u16),
    pub(crate) remote: (Ipv4Address, u16),
}

const RST_MEMORY: usize = 16;
/// Connections whose highest sent sequence number is tracked. Closing ones
/// give their entry up first, so this bounds the *open* connections whose
/// retransmissions are counted exactly (a microcontroller has a dozen).
const SEQ_TRACK: usize = 24;
/// Entries of the neighbour mirror: smoltcp's neighbour cache size.
const NEIGHBOURS: usize = 8;
/// How long a mirrored neighbour counts as known. smoltcp keeps an entry
/// 60 s from its fill; a little less here, so that a datagram judged
/// "resolved" is still resolved when the runner dispatches it.
const NEIGHBOUR_LIFETIME: Duration = Duration::from_secs(55);

/// A tracked connection's highest sent sequence number.
#[derive(Copy, Clone, Debug)]
struct SentHigh {
    tuple: FourTuple,
    /// Sequence number after the last byte (or SYN/FIN) sent.
    high: u32,
    /// We sent FIN or a RST went either way: evict this one first.
    closing: bool,
}

/// A mirrored neighbour cache entry.
#[derive(Copy, Clone, Debug)]
struct Neighbour {
    ip: Ipv4Address,
    mac: EthernetAddress,
    /// When it was filled or last extended.
    seen: Instant,
}

/// All counters the observer keeps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) iface: IfCounters,
    pub(crate) ip: IpStats,
    pub(crate) tcp: TcpStats,
    pub(crate) udp: UdpStats,
}

/// What the observer decided about an incoming frame.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Hand the frame to smoltcp.
    Pass,
    /// Discard it (a SYN beyond a full backlog with the `Drop` policy).
    Drop,
}

/// The observer's state: counters plus two small fixed tables.
#[derive(Debug)]
pub(crate) struct Observer {
    pub(crate) counters: Counters,
    /// Recently received RSTs (ring buffer).
    rsts: [Option<FourTuple>; RST_MEMORY],
    rst_next: usize,
    /// Highest sequence number sent (seq + len) per connection, for
    /// retransmission detection; a free or closing entry is taken first,
    /// else one round-robin.
    sent: [Option<SentHigh>; SEQ_TRACK],
    sent_next: usize,
    /// For listeners with the `Drop` policy: (port, SYNs that may still
    /// pass before the next maintenance). A SYN to a port at budget 0 is
    /// dropped; ports not listed are left to smoltcp.
    syn_budgets: heapless::Vec<(u16, u16), 16>,
    /// Our own MAC address, to tell frames for us from promiscuous noise.
    mac: EthernetAddress,
    /// Neighbours learnt from ARP and when (a mirror of smoltcp's cache).
    neighbours: [Option<Neighbour>; NEIGHBOURS],
    /// The time of the current poll step (stamps learnt neighbours).
    pub(crate) now: Instant,
}

impl Observer {
    pub(crate) fn new(mac: EthernetAddress) -> Self {
        Observer {
            counters: Counters {
                ip: IpStats {
                    default_ttl: 64,
                    ..IpStats::default()
                },
                ..Counters::default()
            },
            rsts: [None; RST_MEMORY],
            rst_next: 0,
            sent: [None; SEQ_TRACK],
            sent_next: 0,
            syn_budgets: heapless::Vec::new(),
            mac,
            neighbours: [None; NEIGHBOURS],
            now: Instant::ZERO,
        }
    }

    /// Replaces the SYN budgets: for each `Drop`-policy listener port, how
    /// many sockets are in LISTEN and can take a SYN.
    pub(crate) fn set_syn_budgets(&mut self, budgets: &[(u16, u16)]) {
        self.syn_budgets.clear();
        for &(port, budget) in budgets {
            if let Some(e) = self.syn_budgets.iter_mut().find(|(p, _)| *p == port) {
                e.1 = e.1.saturating_add(budget);
            } else {
                // More than 16 such listeners: the rest fall back to
                // smoltcp's RST, which is the Refuse policy — still clean.
                let _ = self.syn_budgets.push((port, budget));
            }
        }
    }

    /// Spends one SYN of `port`'s budget; false when none is left.
    fn admit_syn(&mut self, port: u16) -> bool {
        match self.syn_budgets.iter_mut().find(|(p, _)| *p == port) {
            None => true,
            Some((_, 0)) => false,
            Some((_, b)) => {
                *b -= 1;
                true
            }
        }
    }

    /// Whether smoltcp knows `addr`'s MAC address (learnt from ARP less than
    /// [`NEIGHBOUR_LIFETIME`] ago).
    pub(crate) fn neighbour_known(&self, addr: Ipv4Address, now: Instant) -> bool {
        self.neighbours
            .iter()
            .flatten()
            .any(|n| n.ip == addr && now < n.seen + NEIGHBOUR_LIFETIME)
    }

    /// Forgets every neighbour (smoltcp flushes its cache when the
    /// interface's addresses change).
    #[cfg(any(feature = "dhcp", test))]
    pub(crate) fn forget_neighbours(&mut self) {
        self.neighbours = [None; NEIGHBOURS];
    }

    /// Mirrors smoltcp's ARP cache fill: an ARP request or reply aimed at
    /// our address from a unicast sender.
    fn learn_arp(&mut self, payload: &[u8], our_ip: Option<Ipv4Address>) {
        let Ok(packet) = ArpPacket::new_checked(payload) else {
            return;
        };
        let Ok(ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr,
            source_protocol_addr,
            target_protocol_addr,
            ..
        }) = ArpRepr::parse(&packet)
        else {
            return;
        };
        if our_ip != Some(target_protocol_addr)
            || matches!(operation, ArpOperation::Unknown(_))
            || !source_hardware_addr.is_unicast()
            || source_protocol_addr.is_broadcast()
            || source_protocol_addr.is_multicast()
            || source_protocol_addr.is_unspecified()
        {
            return;
        }
        let entry = Neighbour {
            ip: source_protocol_addr,
            mac: source_hardware_addr,
            seen: self.now,
        };
        // The entry for the address, else the first free one, else (full)
        // the oldest, as smoltcp evicts: the first lowest (rank, seen).
        let mut best: Option<(u8, Instant, usize)> = None;
        for (i, e) in self.neighbours.iter().enumerate() {
            let (rank, seen) = match e {
                Some(n) if n.ip == source_protocol_addr => (0, Instant::ZERO),
                None => (1, Instant::ZERO),
                Some(n) => (2, n.seen),
            };
            if best.is_none_or(|(r, s, _)| (rank, seen) < (r, s)) {
                best = Some((rank, seen, i));
            }
        }
        if let Some(e) = best.and_then(|(_, _, i)| self.neighbours.get_mut(i)) {
            *e = Some(entry);
        }
    }

    /// Whether an RST for this connection was received recently; forgets it.
    pub(crate) fn take_rst(&mut self, t: &FourTuple) -> bool {
        for slot in self.rsts.iter_mut() {
            if slot.as_ref() == Some(t) {
                *slot = None;
                return true;
            }
        }
        false
    }

    /// Forgets retransmission state for a connection that is gone.
    pub(crate) fn forget(&mut self, t: &FourTuple) {
        for slot in self.sent.iter_mut() {
            if slot.is_some_and(|e| e.tuple == *t) {
                *slot = None;
            }
        }
        for slot in self.rsts.iter_mut() {
            if slot.as_ref() == Some(t) {
                *slot = None;
            }
        }
    }

    /// Inspects a received frame, counts it, and decides its fate.
    pub(crate) fn ingress(&mut self, frame: &[u8], our_ip: Option<Ipv4Address>) -> Verdict {
        let c = &mut self.counters;
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            c.iface.in_errors += 1;
            return Verdict::Drop;
        };
        let dst = eth.dst_addr();
        if dst.is_unicast() && dst != self.mac {
            // Not for us (a promiscuous MAC or a switch flood): smoltcp would
            // ignore it too; don't count it as ours.
            return Verdict::Pass;
        }
        c.iface.count_in(&dst.0, frame.len());
        match eth.ethertype() {
            EthernetProtocol::Ipv4 => {}
            EthernetProtocol::Arp => {
                self.learn_arp(eth.payload(), our_ip);
                return Verdict::Pass;
            }
            _ => {
                c.iface.in_unknown_protos += 1;
                return Verdict::Pass;
            }
        }
        c.ip.in_receives += 1;
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
            c.ip.in_hdr_errors += 1;
            return Verdict::Pass;
        };
        if !ip.verify_checksum() || ip.version() != 4 {
            c.ip.in_hdr_errors += 1;
            return Verdict::Pass;
        }
        let dst_ip = ip.dst_addr();
        let for_us = dst_ip.is_broadcast()
            || dst_ip.is_multicast()
            || our_ip.is_none_or(|a| a == dst_ip)
            || dst_ip.octets()[3] == 0xff;
        if !for_us {
            c.ip.in_addr_errors += 1;
            return Verdict::Pass;
        }
        let src_ip = ip.src_addr();
        if our_ip == Some(dst_ip) {
            // smoltcp extends a neighbour's entry on unicast IP from it.
            let src_mac = eth.src_addr();
            for n in self.neighbours.iter_mut().flatten() {
                if n.ip == src_ip && n.mac == src_mac {
                    n.seen = self.now;
                }
            }
        }
        let proto = ip.next_header();
        if !matches!(
            proto,
            IpProtocol::Tcp | IpProtocol::Udp | IpProtocol::Icmp | IpProtocol::Igmp
        ) {
            c.ip.in_unknown_protos += 1;
            return Verdict::Pass;
        }
        c.ip.in_delivers += 1;
        match proto {
            IpProtocol::Tcp => {
                c.tcp.in_segs += 1;
                let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
                    c.tcp.in_errs += 1;
                    return Verdict::Pass;
                };
                if !tcp.verify_checksum(&src_ip.into(), &dst_ip.into()) {
                    c.tcp.in_errs += 1;
                    return Verdict::Pass;
                }
                let tuple = FourTuple {
                    local: (dst_ip, tcp.dst_port()),
                    remote: (src_ip, tcp.src_port()),
                };
                if tcp.rst() {
                    self.remember_rst(tuple);
                    self.mark_closing(tuple);
                } else if tcp.syn() && !tcp.ack() && !self.admit_syn(tcp.dst_port()) {
                    self.counters.iface.in_discards += 1;
                    return Verdict::Drop;
                }
                Verdict::Pass
            }
            IpProtocol::Udp => {
                match UdpPacket::new_checked(ip.payload()) {
                    Ok(udp) if udp.verify_checksum(&src_ip.into(), &dst_ip.into()) => {}
                    _ => c.udp.in_errors += 1,
                }
                Verdict::Pass
            }
            _ => Verdict::Pass,
        }
    }

    /// Inspects and counts a frame smoltcp is sending.
    pub(crate) fn egress(&mut self, frame: &[u8]) {
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return;
        };
        let c = &mut self.counters;
        c.iface.count_out(&eth.dst_addr().0, frame.len());
        if eth.ethertype() != EthernetProtocol::Ipv4 {
            return;
        }
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
            return;
        };
        c.ip.out_requests += 1;
        let (src_ip, dst_ip) = (ip.src_addr(), ip.dst_addr());
        match ip.next_header() {
            IpProtocol::Tcp => {
                let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
                    return;
                };
                if tcp.rst() {
                    c.tcp.out_rsts += 1;
                }
                let seg_len = tcp.segment_len() as u32;
                let tuple = FourTuple {
                    local: (src_ip, tcp.src_port()),
                    remote: (dst_ip, tcp.dst_port()),
                };
                let end = tcp.seq_number().0 as u32;
                let end = end.wrapping_add(seg_len);
                if seg_len > 0 && self.is_retransmission(tuple, end) {
                    self.counters.tcp.retrans_segs += 1;
                } else {
                    self.counters.tcp.out_segs += 1;
                }
                if tcp.fin() || tcp.rst() {
                    self.mark_closing(tuple);
                }
            }
            IpProtocol::Udp => c.udp.out_datagrams += 1,
            IpProtocol::Icmp => {
                if let Ok(icmp) = Icmpv4Packet::new_checked(ip.payload())
                    && icmp.msg_type() == Icmpv4Message::DstUnreachable
                    && icmp.msg_code() == 3
                {
                    c.udp.no_ports += 1;
                }
            }
            _ => {}
        }
    }

    fn remember_rst(&mut self, t: FourTuple) {
        if let Some(slot) = self.rsts.get_mut(self.rst_next) {
            *slot = Some(t);
        }
        self.rst_next = (self.rst_next + 1) % RST_MEMORY;
    }

    /// Records that data up to `end` (exclusive) was sent; says whether it
    /// had been sent before.
    fn is_retransmission(&mut self, t: FourTuple, end: u32) -> bool {
        for e in self.sent.iter_mut().flatten() {
            if e.tuple == t {
                // Sequence space wraps: compare with serial-number arithmetic.
                if (end.wrapping_sub(e.high) as i32) <= 0 {
                    return true;
                }
                e.high = end;
                return false;
            }
        }
        let new = Some(SentHigh {
            tuple: t,
            high: end,
            closing: false,
        });
        let free = self.sent.iter().position(Option::is_none);
        let closing = || self.sent.iter().position(|e| e.is_some_and(|e| e.closing));
        let i = match free.or_else(closing) {
            Some(i) => i,
            None => {
                let i = self.sent_next;
                self.sent_next = (i + 1) % SEQ_TRACK;
                i
            }
        };
        if let Some(slot) = self.sent.get_mut(i) {
            *slot = new;
        }
        false
    }

    /// The connection sent FIN or a RST was seen: its entry may go first.
    fn mark_closing(&mut self, t: FourTuple) {
        for e in self.sent.iter_mut().flatten() {
            if e.tuple == t {
                e.closing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{
        EthernetRepr, IpAddress, Ipv4Repr, TcpControl, TcpRepr, TcpSeqNumber, UdpRepr,
    };

    const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 2]);
    const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
    const OUR_IP: Ipv4Address = Ipv4Address::new(198, 51, 100, 2);
    const PEER_IP: Ipv4Address = Ipv4Address::new(198, 51, 100, 1);

    fn tcp_frame(
        from_peer: bool,
        control: TcpControl,
        seq: i32,
        payload: &[u8],
        corrupt: bool,
    ) -> Vec<u8> {
        let (src_mac, dst_mac, src, dst, sp, dp) = if from_peer {
            (PEER_MAC, OUR_MAC, PEER_IP, OUR_IP, 40000, 80)
        } else {
            (OUR_MAC, PEER_MAC, OUR_IP, PEER_IP, 80, 40000)
        };
        let tcp = TcpRepr {
            src_port: sp,
            dst_port: dp,
            control,
            seq_number: TcpSeqNumber(seq),
            ack_number: None,
            window_len: 1000,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 3],
            timestamp: None,
            payload,
        };
        let ip = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: IpProtocol::Tcp,
            payload_len: tcp.buffer_len(),
            hop_limit: 64,
        };
        let eth = EthernetRepr {
            src_addr: src_mac,
            dst_addr: dst_mac,
            ethertype: EthernetProtocol::Ipv4,
        };
        let mut buf = vec![0u8; eth.buffer_len() + ip.buffer_len() + tcp.buffer_len()];
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.emit(&mut f);
        let mut p = Ipv4Packet::new_unchecked(f.payload_mut());
        ip.emit(&mut p, &ChecksumCapabilities::default());
        let mut t = TcpPacket::new_unchecked(p.payload_mut());
        tcp.emit(
            &mut t,
            &IpAddress::Ipv4(src),
            &IpAddress::Ipv4(dst),
            &ChecksumCapabilities::default(),
        );
        if corrupt {
            let last = buf.len() - 1;
            buf[last] ^= 0xff;
        }
        buf
    }

    fn udp_broadcast_frame() -> Vec<u8> {
        let udp = UdpRepr {
            src_port: 137,
            dst_port: 137,
        };
        let payload = b"hello";
        let ip = Ipv4Repr {
            src_addr: PEER_IP,
            dst_addr: Ipv4Address::BROADCAST,
            next_header: IpProtocol::Udp,
            payload_len: udp.header_len() + payload.len(),
            hop_limit: 64,
        };
        let eth = EthernetRepr {
            src_addr: PEER_MAC,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Ipv4,
        };
        let mut buf = vec![0u8; eth.buffer_len() + ip.buffer_len() + ip.payload_len];
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.emit(&mut f);
        let mut p = Ipv4Packet::new_unchecked(f.payload_mut());
        ip.emit(&mut p, &ChecksumCapabilities::default());
        let mut u = UdpPacket::new_unchecked(p.payload_mut());
        udp.emit(
            &mut u,
            &IpAddress::Ipv4(PEER_IP),
            &IpAddress::Ipv4(Ipv4Address::BROADCAST),
            payload.len(),
            |b| b.copy_from_slice(payload),
            &ChecksumCapabilities::default(),
        );
        buf
    }

    fn tuple() -> FourTuple {
        FourTuple {
            local: (OUR_IP, 80),
            remote: (PEER_IP, 40000),
        }
    }

    #[test]
    fn rst_is_remembered_once() {
        let mut o = Observer::new(OUR_MAC);
        let f = tcp_frame(true, TcpControl::Rst, 1, &[], false);
        assert_eq!(o.ingress(&f, Some(OUR_IP)), Verdict::Pass);
        assert!(o.take_rst(&tuple()));
        assert!(!o.take_rst(&tuple()));
        assert_eq!(o.counters.tcp.in_segs, 1);
        assert_eq!(o.counters.iface.in_ucast, 1);
    }

    #[test]
    fn syn_dropped_only_for_full_ports() {
        let mut o = Observer::new(OUR_MAC);
        let syn = tcp_frame(true, TcpControl::Syn, 1, &[], false);
        assert_eq!(o.ingress(&syn, Some(OUR_IP)), Verdict::Pass);
        o.set_syn_budgets(&[(80, 2)]);
        assert_eq!(o.ingress(&syn, Some(OUR_IP)), Verdict::Pass);
        assert_eq!(o.ingress(&syn, Some(OUR_IP)), Verdict::Pass);
        assert_eq!(o.ingress(&syn, Some(OUR_IP)), Verdict::Drop);
        assert_eq!(o.counters.iface.in_discards, 1);
        // A data segment on the same port still passes.
        let data = tcp_frame(true, TcpControl::None, 5, b"x", false);
        assert_eq!(o.ingress(&data, Some(OUR_IP)), Verdict::Pass);
        o.set_syn_budgets(&[]);
        assert_eq!(o.ingress(&syn, Some(OUR_IP)), Verdict::Pass);
    }

    #[test]
    fn bad_checksum_counts_as_in_error() {
        let mut o = Observer::new(OUR_MAC);
        let f = tcp_frame(true, TcpControl::None, 1, b"payload", true);
        o.ingress(&f, Some(OUR_IP));
        assert_eq!(o.counters.tcp.in_errs, 1);
    }

    #[test]
    fn retransmissions_are_counted_apart() {
        let mut o = Observer::new(OUR_MAC);
        o.egress(&tcp_frame(false, TcpControl::None, 100, b"abcd", false));
        o.egress(&tcp_frame(false, TcpControl::None, 104, b"efgh", false));
        o.egress(&tcp_frame(false, TcpControl::None, 100, b"abcd", false));
        // A bare ACK (no sequence space) is never a retransmission.
        o.egress(&tcp_frame(false, TcpControl::None, 108, b"", false));
        assert_eq!(o.counters.tcp.out_segs, 3);
        assert_eq!(o.counters.tcp.retrans_segs, 1);
        o.forget(&tuple());
        o.egress(&tcp_frame(false, TcpControl::None, 100, b"abcd", false));
        assert_eq!(o.counters.tcp.retrans_segs, 1);
    }

    #[test]
    fn a_new_connection_takes_a_free_or_closing_entry_before_an_open_one() {
        let mut o = Observer::new(OUR_MAC);
        let conn = |port: u16| FourTuple {
            local: (OUR_IP, 80),
            remote: (PEER_IP, port),
        };
        // Fill the table; the first connection sends FIN.
        for p in 0..SEQ_TRACK as u16 {
            assert!(!o.is_retransmission(conn(1000 + p), 10));
        }
        o.mark_closing(conn(1000));
        // A new one takes the closing entry: every open one is still tracked.
        assert!(!o.is_retransmission(conn(5000), 10));
        for p in 1..SEQ_TRACK as u16 {
            assert!(o.is_retransmission(conn(1000 + p), 10), "{p}");
        }
        assert!(
            !o.is_retransmission(conn(1000), 10),
            "closing one was evicted"
        );
        // A forgotten connection's entry is free and taken before any other.
        o.forget(&conn(1001));
        assert!(!o.is_retransmission(conn(5001), 10));
        for p in 2..SEQ_TRACK as u16 {
            assert!(o.is_retransmission(conn(1000 + p), 10), "{p}");
        }
    }

    #[test]
    fn sequence_wraparound_is_not_a_retransmission() {
        let mut o = Observer::new(OUR_MAC);
        o.egress(&tcp_frame(false, TcpControl::None, -8, b"abcd", false));
        o.egress(&tcp_frame(false, TcpControl::None, -4, b"abcdefgh", false));
        assert_eq!(o.counters.tcp.retrans_segs, 0);
    }

    fn arp_frame(
        op: ArpOperation,
        src: Ipv4Address,
        src_mac: EthernetAddress,
        target: Ipv4Address,
    ) -> Vec<u8> {
        let arp = ArpRepr::EthernetIpv4 {
            operation: op,
            source_hardware_addr: src_mac,
            source_protocol_addr: src,
            target_hardware_addr: OUR_MAC,
            target_protocol_addr: target,
        };
        let eth = EthernetRepr {
            src_addr: src_mac,
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EthernetProtocol::Arp,
        };
        let mut buf = vec![0u8; eth.buffer_len() + arp.buffer_len()];
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.emit(&mut f);
        arp.emit(&mut ArpPacket::new_unchecked(f.payload_mut()));
        buf
    }

    #[test]
    fn neighbours_are_learnt_from_arp_aimed_at_us() {
        let mut o = Observer::new(OUR_MAC);
        let t0 = Instant::from_secs(100);
        o.now = t0;
        let other = Ipv4Address::new(198, 51, 100, 9);
        // For another address, from a multicast MAC, or a non-ARP op: ignored.
        o.ingress(
            &arp_frame(ArpOperation::Reply, PEER_IP, PEER_MAC, other),
            Some(OUR_IP),
        );
        o.ingress(
            &arp_frame(
                ArpOperation::Reply,
                PEER_IP,
                EthernetAddress::BROADCAST,
                OUR_IP,
            ),
            Some(OUR_IP),
        );
        o.ingress(
            &arp_frame(ArpOperation::Unknown(9), PEER_IP, PEER_MAC, OUR_IP),
            Some(OUR_IP),
        );
        assert!(!o.neighbour_known(PEER_IP, t0));
        // A request (or reply) aimed at us: known until the lifetime ends.
        o.ingress(
            &arp_frame(ArpOperation::Request, PEER_IP, PEER_MAC, OUR_IP),
            Some(OUR_IP),
        );
        assert!(o.neighbour_known(PEER_IP, t0));
        assert!(o.neighbour_known(PEER_IP, t0 + Duration::from_secs(54)));
        assert!(!o.neighbour_known(PEER_IP, t0 + Duration::from_secs(55)));
        // Unicast IP from the same MAC extends the entry.
        o.now = t0 + Duration::from_secs(30);
        o.ingress(
            &tcp_frame(true, TcpControl::None, 1, b"x", false),
            Some(OUR_IP),
        );
        assert!(o.neighbour_known(PEER_IP, t0 + Duration::from_secs(80)));
        assert!(!o.neighbour_known(PEER_IP, t0 + Duration::from_secs(85)));
        // Full table: the oldest entry goes.
        for i in 0..NEIGHBOURS as u8 {
            o.now = t0 + Duration::from_secs(u64::from(i) + 31);
            let ip = Ipv4Address::new(198, 51, 100, 10 + i);
            o.ingress(
                &arp_frame(ArpOperation::Reply, ip, PEER_MAC, OUR_IP),
                Some(OUR_IP),
            );
        }
        let now = o.now;
        assert!(!o.neighbour_known(PEER_IP, now));
        assert!(o.neighbour_known(Ipv4Address::new(198, 51, 100, 10), now));
        o.forget_neighbours();
        assert!(!o.neighbour_known(Ipv4Address::new(198, 51, 100, 10), now));
    }

    #[test]
    fn broadcast_and_garbage() {
        let mut o = Observer::new(OUR_MAC);
        o.ingress(&udp_broadcast_frame(), Some(OUR_IP));
        assert_eq!(o.counters.iface.in_bcast, 1);
        assert_eq!(o.counters.udp.in_errors, 0);
        assert_eq!(o.ingress(&[1, 2, 3], Some(OUR_IP)), Verdict::Drop);
        assert_eq!(o.counters.iface.in_errors, 1);
        // Truncated IPv4 header behind a valid Ethernet header.
        let mut f = udp_broadcast_frame();
        f.truncate(20);
        o.ingress(&f, Some(OUR_IP));
        assert_eq!(o.counters.ip.in_hdr_errors, 1);
    }

    #[test]
    fn frames_for_other_macs_are_not_counted() {
        let mut o = Observer::new(EthernetAddress([0x02, 9, 9, 9, 9, 9]));
        o.ingress(&tcp_frame(true, TcpControl::Syn, 1, &[], false), None);
        assert_eq!(o.counters.iface.in_octets, 0);
    }
}
