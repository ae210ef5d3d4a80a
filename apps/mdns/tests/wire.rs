//! The message reader and writer against real packets (python-zeroconf
//! 0.154's `DNSOutgoing`, which compresses SRV targets and NSEC names).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{decode, hex};
use petrel_mdns::Name;
use petrel_mdns::wire::{FLAG_AA, FLAG_QR, Reader, Section, WireError, WriteData, Writer, rtype};

/// zeroconf: query `_http._tcp.local PTR`.
const ZC_QUERY: &str = "000000000001000000000000055f68747470045f746370056c6f63616c00000c0001";
/// zeroconf: response PTR, SRV, TXT, A, NSEC for `web._http._tcp.local` on
/// `zc.local` (198.51.100.1).
const ZC_RESPONSE: &str = "000084000000000500000000055f68747470045f746370056c6f63616c00000c000100001194000603776562c00cc0280021800100000078000b000000000050027a63c017c0280010800100001194000706706174683d2fc04000018001000000780004c6336401c040002f8001000000780005c040000140";

#[test]
fn zeroconf_query() {
    let (h, qs, rows) = decode(&hex(ZC_QUERY));
    assert!(!h.is_response());
    assert_eq!(qs.len(), 1);
    assert_eq!(qs[0].name.to_string(), "_http._tcp.local");
    assert_eq!(qs[0].qtype, rtype::PTR);
    assert!(!qs[0].unicast_response);
    assert!(rows.is_empty());
}

#[test]
fn zeroconf_response_with_compressed_rdata() {
    let (h, _, rows) = decode(&hex(ZC_RESPONSE));
    assert!(h.is_response() && h.flags & FLAG_AA != 0);
    let got: Vec<(String, u16, u32, bool, String)> = rows
        .into_iter()
        .map(|r| (r.name, r.rtype, r.ttl, r.flush, r.data))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "_http._tcp.local".into(),
                12,
                4500,
                false,
                "web._http._tcp.local".into()
            ),
            (
                "web._http._tcp.local".into(),
                33,
                120,
                true,
                "80 zc.local".into()
            ),
            (
                "web._http._tcp.local".into(),
                16,
                4500,
                true,
                "\u{6}path=/".into()
            ),
            ("zc.local".into(), 1, 120, true, "198.51.100.1".into()),
            ("zc.local".into(), 47, 120, true, "zc.local [1]".into()),
        ]
    );
}

#[test]
fn writer_compresses_and_round_trips() {
    let mut buf = [0u8; 512];
    let host = Name::from_dotted("petrel.local").unwrap();
    let svc = Name::from_dotted("_http._tcp.local").unwrap();
    let inst = Name::join(b"Petrel dashboard", &svc).unwrap();
    let mut w = Writer::new(&mut buf, 0, FLAG_QR | FLAG_AA).unwrap();
    w.record(
        Section::Answer,
        &svc,
        rtype::PTR,
        false,
        4500,
        &WriteData::Ptr(&inst),
    )
    .unwrap();
    w.record(
        Section::Additional,
        &inst,
        rtype::SRV,
        true,
        120,
        &WriteData::Srv {
            priority: 0,
            weight: 0,
            port: 8080,
            target: &host,
        },
    )
    .unwrap();
    w.record(
        Section::Additional,
        &inst,
        rtype::TXT,
        true,
        4500,
        &WriteData::Txt(b""),
    )
    .unwrap();
    w.record(
        Section::Additional,
        &host,
        rtype::A,
        true,
        120,
        &WriteData::A("198.51.100.2".parse().unwrap()),
    )
    .unwrap();
    let n = w.finish();
    let msg = &buf[..n];
    // "local" is written twice (the SRV target is never compressed); the
    // instance name reuses "_http._tcp.local" and the A owner the SRV target.
    assert_eq!(msg.windows(6).filter(|w| w == b"\x05local").count(), 2);
    assert_eq!(msg.windows(7).filter(|w| w == b"\x06petrel").count(), 1);
    assert_eq!(
        msg.windows(17)
            .filter(|w| w == b"\x10Petrel dashboard")
            .count(),
        1
    );
    let (h, _, rows) = decode(msg);
    assert_eq!((h.ancount, h.arcount), (1, 3));
    assert_eq!(rows[0].data, "Petrel dashboard._http._tcp.local");
    assert_eq!(rows[1].data, "8080 petrel.local");
    assert_eq!(rows[2].data, "\0", "empty TXT is one empty string");
    assert_eq!(rows[3].data, "198.51.100.2");
}

#[test]
fn writer_full_buffer_leaves_message_intact() {
    let mut buf = [0u8; 40];
    let n = Name::from_dotted("petrel.local").unwrap();
    let mut w = Writer::new(&mut buf, 7, FLAG_QR).unwrap();
    w.record(
        Section::Answer,
        &n,
        rtype::A,
        true,
        120,
        &WriteData::A([1, 2, 3, 4].into()),
    )
    .unwrap();
    let before = w.len();
    assert_eq!(
        w.record(
            Section::Answer,
            &n,
            rtype::TXT,
            true,
            120,
            &WriteData::Txt(&[3; 30])
        ),
        Err(WireError::BufferFull)
    );
    assert_eq!(w.len(), before);
    let len = w.finish();
    let (h, _, rows) = decode(&buf[..len]);
    assert_eq!((h.id, h.ancount, rows.len()), (7, 1, 1));
}

#[test]
fn header_only_and_short_messages() {
    assert_eq!(Reader::new(&[0; 11]).unwrap_err(), WireError::Truncated);
    let mut r = Reader::new(&[0; 12]).unwrap();
    assert!(r.question().is_none() && r.record().is_none());
}
