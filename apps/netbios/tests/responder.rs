//! The responder core: registration, queries, node status, defence,
//! conflicts, release and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{Ipv4Addr, SocketAddr};

use petrel_netbios::responder::REGISTRATION_INTERVAL;
use petrel_netbios::wire::{
    CLASS_IN, FLAG_BROADCAST, FLAG_RESPONSE, Header, NbName, Opcode, RCODE_ACT_ERR, RCODE_NAM_ERR,
    Repr, TYPE_NB, TYPE_NBSTAT,
};
use petrel_netbios::{Config, Destination, Event, Ignore, Responder};
use petrel_netcore::time::{Duration, Instant};

const US: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const MAC: [u8; 6] = [0x02, 0x50, 0xaa, 0xbb, 0xcc, 0xdd];

/// `nmblookup -U 127.0.0.1 PETREL` (Samba 4.17), captured on this machine by
/// a Python socket bound to 127.0.0.1:137.
const NMBLOOKUP_QUERY: &str = "395f000000010000000000002046414546464546434546454d43414341434143414341434143414341434141410000200001";
/// `nbtscan -v 127.0.0.1` (nbtscan 1.7.2), captured the same way.
const NBTSCAN_STATUS: &str = "036a0010000100000000000020434b4141414141414141414141414141414141414141414141414141414141410000210001";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn peer() -> SocketAddr {
    SocketAddr::from(([198, 51, 100, 1], 40000))
}

/// A query packet for `name`<`suffix`> of `qtype`.
fn query(name: &[u8], suffix: u8, qtype: u16, broadcast: bool) -> Vec<u8> {
    let mut p = vec![0u8; 12];
    Header {
        id: 0x1234,
        flags: if broadcast { FLAG_BROADCAST } else { 0 },
        qdcount: 1,
        ancount: 0,
        nscount: 0,
        arcount: 0,
    }
    .emit(&mut p)
    .unwrap();
    let mut n = [0u8; 34];
    let mut nb = NbName::new(b"", suffix);
    nb.bytes[..name.len()].copy_from_slice(name);
    nb.emit(&mut n).unwrap();
    p.extend_from_slice(&n);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&CLASS_IN.to_be_bytes());
    p
}

/// A registration request for `name`<`suffix`> claiming `addr`.
fn registration(name: &[u8], suffix: u8, addr: Ipv4Addr, id: u16) -> Vec<u8> {
    let mut p = vec![0u8; 12];
    Header {
        id,
        flags: (5 << 11) | 0x0100 | FLAG_BROADCAST,
        qdcount: 1,
        ancount: 0,
        nscount: 0,
        arcount: 1,
    }
    .emit(&mut p)
    .unwrap();
    let mut n = [0u8; 34];
    NbName::new(name, suffix).emit(&mut n).unwrap();
    p.extend_from_slice(&n);
    p.extend_from_slice(&[
        0, 0x20, 0, 1, 0xc0, 12, 0, 0x20, 0, 1, 0, 4, 0x93, 0xe0, 0, 6, 0, 0,
    ]);
    p.extend_from_slice(&addr.octets());
    p
}

/// A registered responder (the registration phase run to the end).
fn registered() -> Responder {
    let mut r = Responder::new(Config::new("petrel", US, MAC), Instant::ZERO);
    let mut now = Instant::ZERO;
    let mut buf = [0u8; 576];
    for _ in 0..10 {
        r.handle_timeout(now);
        while r.poll_transmit(&mut buf).is_some() {}
        match r.poll_timeout() {
            Some(t) => now = t,
            None => break,
        }
    }
    while r.poll_event().is_some() {}
    assert!(r.is_registered(0x00) && r.is_registered(0x20));
    r
}

fn send(r: &mut Responder, iface: Option<Ipv4Addr>, p: &[u8]) -> Vec<(Destination, Vec<u8>)> {
    r.handle_packet(peer(), iface, p);
    let mut out = Vec::new();
    let mut buf = [0u8; 576];
    while let Some(tx) = r.poll_transmit(&mut buf) {
        out.push((tx.to, buf[..tx.len].to_vec()));
    }
    out
}

#[test]
fn registration_is_three_broadcasts_250ms_apart_then_an_overwrite() {
    let mut r = Responder::new(Config::new("petrel", US, MAC), Instant::ZERO);
    let mut now = Instant::ZERO;
    let mut buf = [0u8; 576];
    let mut sent = Vec::new();
    for _ in 0..10 {
        r.handle_timeout(now);
        while let Some(tx) = r.poll_transmit(&mut buf) {
            assert_eq!(tx.to, Destination::Broadcast);
            let p = Repr::parse(&buf[..tx.len]).unwrap();
            assert_eq!(p.header.opcode(), Opcode::Registration);
            assert!(p.header.broadcast() && !p.header.is_response());
            let q = p.question.unwrap();
            assert_eq!(q.name.name(), b"PETREL");
            let rec = p.record.unwrap();
            assert_eq!(rec.nb, Some((0, US.octets())));
            assert_eq!(rec.ttl, 300_000);
            sent.push((now, q.name.suffix(), p.header.flags & 0x0100 != 0));
        }
        let Some(t) = r.poll_timeout() else { break };
        now = t;
    }
    let ms = |m| Instant::ZERO + Duration::from_millis(m);
    assert_eq!(
        sent,
        vec![
            (ms(0), 0x00, true),
            (ms(0), 0x20, true),
            (ms(250), 0x00, true),
            (ms(250), 0x20, true),
            (ms(500), 0x00, true),
            (ms(500), 0x20, true),
            // NAME OVERWRITE DEMAND: RD clear.
            (ms(750), 0x00, false),
            (ms(750), 0x20, false),
        ]
    );
    let ev: Vec<_> = std::iter::from_fn(|| r.poll_event()).collect();
    assert_eq!(ev.len(), 2);
    assert!(
        ev.iter()
            .all(|e| matches!(e, Event::Registered { name } if name.name() == b"PETREL"))
    );
    assert_eq!(REGISTRATION_INTERVAL, Duration::from_millis(250));
}

#[test]
fn queries_are_answered_with_the_arrival_interface_address() {
    let mut r = registered();
    let q = hex(NMBLOOKUP_QUERY);
    // The same query on two interfaces: each answer names its own address
    // (lwIP answers with the default interface's address).
    for iface in [US, Ipv4Addr::new(203, 0, 113, 7)] {
        let out = send(&mut r, Some(iface), &q);
        assert_eq!(out.len(), 1);
        let (to, bytes) = &out[0];
        assert_eq!(*to, Destination::Unicast(peer()));
        let a = Repr::parse(bytes).unwrap();
        assert_eq!(a.header.id, 0x395f);
        assert_eq!(a.header.flags, FLAG_RESPONSE | 0x0400);
        assert_eq!(a.header.ancount, 1);
        let rec = a.record.unwrap();
        assert_eq!(rec.rtype, TYPE_NB);
        assert_eq!(rec.name.name(), b"PETREL");
        assert_eq!(rec.nb, Some((0, iface.octets())));
        // Echoes the question name exactly.
        assert_eq!(&bytes[12..46], &q[12..46]);
    }
    // Unknown interface: the primary address.
    let out = send(&mut r, None, &q);
    assert_eq!(
        Repr::parse(&out[0].1).unwrap().record.unwrap().nb,
        Some((0, US.octets()))
    );
}

#[test]
fn names_match_case_insensitively_for_workstation_and_server_suffixes() {
    let mut r = registered();
    for (name, suffix, answered) in [
        (&b"petrel"[..], 0x00, true),
        (b"PeTrEl", 0x20, true),
        (b"PETREL", 0x1d, false),
        (b"PETREL2", 0x00, false),
        (b"PETRE", 0x00, false),
    ] {
        let out = send(&mut r, Some(US), &query(name, suffix, TYPE_NB, true));
        assert_eq!(out.len(), usize::from(answered), "{name:?} {suffix:#x}");
    }
    // Unicast queries for other names get a negative answer.
    let out = send(&mut r, Some(US), &query(b"OTHER", 0, TYPE_NB, false));
    let a = Repr::parse(&out[0].1).unwrap();
    assert!(a.header.is_response());
    assert_eq!(a.header.rcode(), RCODE_NAM_ERR);
}

#[test]
fn node_status_lists_the_names_and_the_mac() {
    let mut cfg = Config::new("petrel", US, MAC);
    cfg.workgroup = Some(NbName::new(b"WORKGROUP", 0));
    let mut r = Responder::new(cfg, Instant::ZERO);
    let out = send(&mut r, Some(US), &hex(NBTSCAN_STATUS));
    assert_eq!(out.len(), 1);
    let (to, b) = &out[0];
    assert_eq!(*to, Destination::Unicast(peer()));
    let a = Repr::parse(b).unwrap();
    assert_eq!(a.header.id, 0x036a);
    let rec = a.record.unwrap();
    assert_eq!(rec.rtype, TYPE_NBSTAT);
    assert!(rec.name.is_wildcard());
    // RDATA after name(34) + type, class, ttl, rdlength (10) at offset 12.
    let rd = &b[12 + 34 + 10..];
    assert_eq!(rd[0], 3);
    assert_eq!(&rd[1..17], b"PETREL         \x00");
    assert_eq!(&rd[17..19], &[0x04, 0x00]);
    assert_eq!(&rd[19..35], b"PETREL         \x20");
    assert_eq!(&rd[37..53], b"WORKGROUP      \x00");
    assert_eq!(&rd[53..55], &[0x84, 0x00]);
    assert_eq!(&rd[55..61], &MAC);
    assert_eq!(rd.len(), 1 + 3 * 18 + 46);
    // By name too, in any case.
    assert_eq!(
        send(&mut r, Some(US), &query(b"petrel", 0, TYPE_NBSTAT, false)).len(),
        1
    );
    assert!(send(&mut r, Some(US), &query(b"OTHER", 0, TYPE_NBSTAT, false)).is_empty());
}

#[test]
fn another_node_claiming_our_name_is_refused() {
    let mut r = registered();
    let other = Ipv4Addr::new(198, 51, 100, 9);
    let out = send(
        &mut r,
        Some(US),
        &registration(b"PETREL", 0x20, other, 0x7777),
    );
    assert_eq!(out.len(), 1);
    let (to, b) = &out[0];
    assert_eq!(*to, Destination::Unicast(peer()));
    let a = Repr::parse(b).unwrap();
    assert_eq!(a.header.id, 0x7777);
    assert_eq!(a.header.opcode(), Opcode::Registration);
    assert!(a.header.is_response());
    assert_eq!(a.header.rcode(), RCODE_ACT_ERR);
    assert_eq!(a.header.flags, 0xad86);
    assert_eq!(a.record.unwrap().nb, Some((0, US.octets())));
    assert!(matches!(
        r.poll_event(),
        Some(Event::Defended { name, from }) if name.suffix() == 0x20 && from == peer()
    ));
    // Other names are none of our business.
    assert!(send(&mut r, Some(US), &registration(b"OTHER", 0x20, other, 1)).is_empty());
}

#[test]
fn a_negative_registration_response_is_a_conflict() {
    let mut r = Responder::new(Config::new("petrel", US, MAC), Instant::ZERO);
    r.handle_timeout(Instant::ZERO);
    let mut buf = [0u8; 576];
    let tx = r.poll_transmit(&mut buf).unwrap();
    let req = Repr::parse(&buf[..tx.len]).unwrap();
    assert_eq!(req.question.unwrap().name.suffix(), 0x00);
    // nmbd's answer: negative registration response, ACT_ERR, its address.
    let mut neg = vec![0u8; 12];
    Header {
        id: req.header.id,
        flags: 0xad86,
        qdcount: 0,
        ancount: 1,
        nscount: 0,
        arcount: 0,
    }
    .emit(&mut neg)
    .unwrap();
    neg.extend_from_slice(&buf[12..46]);
    neg.extend_from_slice(&[0, 0x20, 0, 1, 0, 0, 0, 0, 0, 6, 0, 0, 198, 51, 100, 1]);
    r.handle_packet(peer(), Some(US), &neg);
    while r.poll_transmit(&mut buf).is_some() {}
    assert!(matches!(
        r.poll_event(),
        Some(Event::Conflict { name, by, owner: Some(o), rcode: 6 })
            if name.suffix() == 0 && by == peer() && o == Ipv4Addr::new(198, 51, 100, 1)
    ));
    // That name is no longer answered; the other one still registers.
    assert!(send(&mut r, Some(US), &query(b"PETREL", 0x00, TYPE_NB, true)).is_empty());
    let mut now = Instant::ZERO;
    for _ in 0..10 {
        r.handle_timeout(now);
        while r.poll_transmit(&mut buf).is_some() {}
        match r.poll_timeout() {
            Some(t) => now = t,
            None => break,
        }
    }
    assert!(!r.is_registered(0x00));
    assert!(r.is_registered(0x20));
}

#[test]
fn release_broadcasts_each_held_name_and_then_goes_quiet() {
    let mut r = registered();
    r.release();
    let mut buf = [0u8; 576];
    let mut released = Vec::new();
    while let Some(tx) = r.poll_transmit(&mut buf) {
        assert_eq!(tx.to, Destination::Broadcast);
        let p = Repr::parse(&buf[..tx.len]).unwrap();
        assert_eq!(p.header.opcode(), Opcode::Release);
        assert!(p.header.broadcast());
        let rec = p.record.unwrap();
        assert_eq!((rec.ttl, rec.nb), (0, Some((0, US.octets()))));
        released.push(p.question.unwrap().name.suffix());
    }
    assert_eq!(released, vec![0x00, 0x20]);
    assert!(r.is_released());
    assert_eq!(r.poll_timeout(), None);
    assert!(send(&mut r, Some(US), &hex(NMBLOOKUP_QUERY)).is_empty());
    assert!(matches!(
        r.poll_event(),
        Some(Event::Ignored {
            reason: Ignore::Released,
            ..
        })
    ));
}

#[test]
fn hostile_datagrams_are_ignored_and_the_responder_keeps_answering() {
    let mut r = registered();
    let good = hex(NMBLOOKUP_QUERY);
    let mut hostile: Vec<Vec<u8>> = Vec::new();
    // Every truncation of a real query.
    for n in 0..good.len() {
        hostile.push(good[..n].to_vec());
    }
    // A pointer to itself, a forward pointer, a pointer chain, a reserved
    // label type, an oversized label, a wrong-length first label.
    let head = &good[..12];
    for name in [
        vec![0xc0, 12],
        vec![0xc0, 200],
        vec![0x80, 0],
        vec![63; 64],
        vec![3, b'a', b'b', b'c', 0],
    ] {
        let mut p = head.to_vec();
        p.extend_from_slice(&name);
        p.extend_from_slice(&[0, 0x20, 0, 1]);
        hostile.push(p);
    }
    let mut chain = head.to_vec();
    chain.extend_from_slice(&good[12..46]);
    chain.extend_from_slice(&[0, 0x20, 0, 1]);
    chain[5] = 2;
    // A second question whose name is a pointer to a pointer to … (12 deep).
    let base = chain.len();
    for k in 0..12 {
        let target = if k == 0 { 12 } else { base + 2 * (k - 1) };
        chain.extend_from_slice(&[0xc0 | (target >> 8) as u8, target as u8]);
    }
    hostile.push(chain);
    // Wrong opcodes, responses nobody asked for, wrong classes and types.
    for flags in [0x7800u16, 0x3000, 0x4000, 0x8000, 0xa800] {
        let mut p = good.clone();
        p[2..4].copy_from_slice(&flags.to_be_bytes());
        hostile.push(p);
    }
    let mut p = good.clone();
    let l = p.len();
    p[l - 1] = 3;
    hostile.push(p);
    let mut p = good.clone();
    p[l - 3] = 0x99;
    hostile.push(p);
    // Pseudo-random bytes.
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..2000 {
        let len = (x % 120) as usize;
        let mut p = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p.push(x as u8);
        }
        hostile.push(p);
    }
    for p in &hostile {
        r.handle_packet(peer(), Some(US), p);
        let mut buf = [0u8; 576];
        while r.poll_transmit(&mut buf).is_some() {}
    }
    while r.poll_event().is_some() {}
    let out = send(&mut r, Some(US), &good);
    assert_eq!(out.len(), 1);
    assert!(r.is_registered(0) && r.is_registered(0x20));
}

#[test]
fn scoped_names_are_not_ours() {
    let mut r = registered();
    let mut q = hex(NMBLOOKUP_QUERY);
    // Insert the scope label "corp" before the root label.
    q.splice(45..45, [4, b'c', b'o', b'r', b'p']);
    assert!(send(&mut r, Some(US), &q).is_empty());
}

#[test]
fn a_late_negative_response_still_takes_the_name_away() {
    let mut r = Responder::new(Config::new("petrel", US, MAC), Instant::ZERO);
    let mut buf = [0u8; 576];
    r.handle_timeout(Instant::ZERO);
    let tx = r.poll_transmit(&mut buf).unwrap();
    let req = Repr::parse(&buf[..tx.len]).unwrap();
    let name = buf[12..46].to_vec();
    while r.poll_transmit(&mut buf).is_some() {}
    let mut now = Instant::ZERO;
    for _ in 0..10 {
        r.handle_timeout(now);
        while r.poll_transmit(&mut buf).is_some() {}
        match r.poll_timeout() {
            Some(t) => now = t,
            None => break,
        }
    }
    assert!(r.is_registered(0x00));
    let mut neg = vec![0u8; 12];
    Header {
        id: req.header.id,
        flags: 0xad86,
        qdcount: 0,
        ancount: 1,
        nscount: 0,
        arcount: 0,
    }
    .emit(&mut neg)
    .unwrap();
    neg.extend_from_slice(&name);
    neg.extend_from_slice(&[0, 0x20, 0, 1, 0, 0, 0, 0, 0, 6, 0, 0, 198, 51, 100, 2]);
    r.handle_packet(peer(), Some(US), &neg);
    let ev: Vec<_> = std::iter::from_fn(|| r.poll_event()).collect();
    assert!(
        ev.iter().any(|e| matches!(
            e,
            // Samba echoes our record: the owner is the responder.
            Event::Conflict { name, owner: None, .. } if name.suffix() == 0
        )),
        "{ev:?}"
    );
    assert!(!r.is_registered(0x00) && r.is_registered(0x20));
    // A positive (rcode 0) response or an unknown ID changes nothing.
    neg[3] = 0x80;
    r.handle_packet(peer(), Some(US), &neg);
    assert!(r.is_registered(0x20));
}
