//! Hostile datagrams: the reader returns errors, the responder ignores them
//! and keeps answering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use petrel_mdns::responder::MDNS_DEST;
use petrel_mdns::wire::{RData, Reader, WireError};
use petrel_mdns::{Responder, ResponderConfig};
use petrel_netcore::time::{Duration, Instant};

fn claimed() -> (Responder<'static, 2>, Instant) {
    let mut r = Responder::new(ResponderConfig::default(), "petrel", 7).unwrap();
    let mut now = Instant::from_secs(1);
    r.set_address(now, Some("198.51.100.2".parse().unwrap()));
    let mut buf = [0u8; 1500];
    for _ in 0..100 {
        while r.poll_transmit(now, &mut buf).is_some() {}
        if r.host_claimed() {
            return (r, now);
        }
        now = r.poll_timeout().unwrap().max(now);
    }
    panic!("never claimed");
}

fn peer() -> SocketAddr {
    "198.51.100.1:5353".parse().unwrap()
}

/// An A query for petrel.local.
const A_QUERY: &[u8] = b"\0\0\0\0\0\x01\0\0\0\0\0\0\x06petrel\x05local\0\0\x01\0\x01";

fn answers_a(r: &mut Responder<'static, 2>, now: Instant) -> bool {
    r.handle_packet(now, A_QUERY, peer()).unwrap();
    let mut buf = [0u8; 1500];
    let mut seen = false;
    while let Some(t) = r.poll_transmit(now, &mut buf) {
        assert_eq!(t.to, MDNS_DEST);
        let (_, _, rows) = common::decode(&buf[..t.len]);
        seen |= rows
            .iter()
            .any(|x| x.rtype == 1 && x.data == "198.51.100.2");
    }
    seen
}

#[test]
fn hostile_messages_are_rejected_and_service_survives() {
    let (mut r, mut now) = claimed();
    let cases: Vec<(&str, Vec<u8>, WireError)> = vec![
        ("short header", vec![0; 5], WireError::Truncated),
        (
            "pointer loop in question",
            b"\0\0\0\0\0\x01\0\0\0\0\0\0\xc0\x0c\0\x01\0\x01".to_vec(),
            WireError::BadPointer,
        ),
        (
            "two-pointer loop",
            b"\0\0\0\0\0\x01\0\0\0\0\0\0\x01a\xc0\x12\x01b\xc0\x0c\0\x01\0\x01".to_vec(),
            WireError::BadPointer,
        ),
        (
            "truncated label",
            b"\0\0\0\0\0\x01\0\0\0\0\0\0\x06petr".to_vec(),
            WireError::Truncated,
        ),
        (
            "oversized label (extended type)",
            b"\0\0\0\0\0\x01\0\0\0\0\0\0\x7fpetrel\0\0\x01\0\x01".to_vec(),
            WireError::BadLabel,
        ),
        (
            "huge counts, no records",
            b"\0\0\x84\0\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
            WireError::Truncated,
        ),
        (
            "response with truncated rdata",
            b"\0\0\x84\0\0\0\0\x01\0\0\0\0\x06petrel\x05local\0\0\x01\x80\x01\0\0\0\x78\0\x04\x01\x02"
                .to_vec(),
            WireError::Truncated,
        ),
    ];
    for (what, msg, want) in cases {
        now += Duration::from_secs(2);
        assert_eq!(r.handle_packet(now, &msg, peer()), Err(want), "{what}");
        assert!(answers_a(&mut r, now), "still answers after {what}");
    }
    // Wrong opcode (UPDATE) and error responses are ignored without error.
    now += Duration::from_secs(2);
    let mut update = A_QUERY.to_vec();
    update[2] = 0x28;
    r.handle_packet(now, &update, peer()).unwrap();
    let mut buf = [0u8; 1500];
    assert!(
        r.poll_transmit(now, &mut buf).is_none(),
        "opcode 5 not answered"
    );
    assert!(answers_a(&mut r, now));
}

#[test]
fn malformed_rdata_is_a_typed_error() {
    // A with 3 bytes, SRV cut short, TXT strings not tiling, NSEC bitmap
    // longer than its length byte.
    let recs: [(&[u8], u16); 4] = [
        (b"\x00\x01\x00\x01\x00\x00\x00\x78\x00\x03\x01\x02\x03", 1),
        (b"\x00\x21\x00\x01\x00\x00\x00\x78\x00\x03\x00\x00\x00", 33),
        (b"\x00\x10\x00\x01\x00\x00\x00\x78\x00\x02\x05a", 16),
        (
            b"\x00\x2f\x00\x01\x00\x00\x00\x78\x00\x04\x00\x00\x05\x40",
            47,
        ),
    ];
    for (rec, t) in recs {
        let mut msg = b"\0\0\x84\0\0\0\0\x01\0\0\0\0\x01x\0".to_vec();
        msg.extend_from_slice(rec);
        let mut rd = Reader::new(&msg).unwrap();
        let (_, r) = rd.record().unwrap().unwrap();
        assert_eq!(r.rtype, t);
        assert_eq!(r.data(), Err(WireError::BadRData), "type {t}");
    }
    // And a well-formed one of each still decodes.
    let msg = b"\0\0\x84\0\0\0\0\x01\0\0\0\0\x01x\0\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04\x01\x02\x03\x04";
    let mut rd = Reader::new(msg).unwrap();
    let (_, r) = rd.record().unwrap().unwrap();
    assert_eq!(r.data(), Ok(RData::A([1, 2, 3, 4].into())));
}

#[test]
fn random_garbage_never_panics() {
    let (mut r, now) = claimed();
    let mut x: u64 = 0x1234_5678;
    let mut buf = [0u8; 1500];
    for i in 0..5000 {
        let len = (i % 300) + 1;
        let msg: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _ = r.handle_packet(now, &msg, peer());
        while r.poll_transmit(now, &mut buf).is_some() {}
    }
    assert!(answers_a(&mut r, now + Duration::from_secs(5)));
}

/// A responder with tiny answer queues (`P` = `R` = 2, as a board might
/// size them) flooded with unicast-response questions from 40 hosts: the
/// queues fill, further answers are dropped, nothing panics, and a later
/// multicast question is still answered.
#[test]
fn full_answer_queues_drop_answers_and_keep_serving() {
    let mut r: Responder<'static, 1, 2, 2> =
        Responder::new(ResponderConfig::default(), "petrel", 7).unwrap();
    let mut now = Instant::from_secs(1);
    r.set_address(now, Some("198.51.100.2".parse().unwrap()));
    let mut buf = [0u8; 1500];
    for _ in 0..100 {
        while r.poll_transmit(now, &mut buf).is_some() {}
        if r.host_claimed() {
            break;
        }
        now = r.poll_timeout().unwrap().max(now);
    }
    assert!(r.host_claimed());
    now += Duration::from_secs(5);
    // The A question with the QU bit (RFC 6762 5.4): answer by unicast.
    let mut qu = A_QUERY.to_vec();
    let class = qu.len() - 2;
    qu[class] |= 0x80;
    for host in 1..=40u8 {
        let from: SocketAddr = format!("198.51.100.{}:5353", 100 + host).parse().unwrap();
        r.handle_packet(now, &qu, from).unwrap();
    }
    let mut unicast = 0;
    for _ in 0..200 {
        let Some(t) = r.poll_transmit(now, &mut buf) else {
            match r.poll_timeout() {
                Some(at) if at <= now + Duration::from_secs(2) => {
                    now = at.max(now);
                    continue;
                }
                _ => break,
            }
        };
        if t.to != MDNS_DEST {
            unicast += 1;
        }
    }
    assert!(
        (1..40).contains(&unicast),
        "{unicast} unicast answers from a 2-entry queue"
    );
    now += Duration::from_secs(2);
    r.handle_packet(now, A_QUERY, peer()).unwrap();
    let mut answered = false;
    for _ in 0..20 {
        if let Some(t) = r.poll_transmit(now, &mut buf) {
            let (_, _, rows) = common::decode(&buf[..t.len]);
            answered |= t.to == MDNS_DEST
                && rows
                    .iter()
                    .any(|x| x.rtype == 1 && x.data == "198.51.100.2");
        } else if let Some(at) = r
            .poll_timeout()
            .filter(|at| *at <= now + Duration::from_secs(1))
        {
            now = at.max(now);
        } else {
            break;
        }
    }
    assert!(answered, "no multicast answer after the flood");
}
