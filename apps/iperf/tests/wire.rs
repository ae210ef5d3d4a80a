//! Header and report bytes exactly as iperf 2.1.8 (Debian 2.1.8+dfsg-1)
//! sends them, captured on 127.0.0.1 with a small Python listener:
//! `iperf -c 127.0.0.1 -p 15000 -t 1` (plus `-r`, `-d`) for TCP and
//! `iperf -c 127.0.0.1 -p 16069 -u -b 1M -t 1` for UDP. The server-report
//! layout was checked by answering that client's FIN from Python and reading
//! its printed "Server Report".

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use petrel_iperf::wire::{HEADER_EXTEND, HEADER_SEQNO64B, VERSION_2_1_8};
use petrel_iperf::{Amount, ClientHeader, HeaderError, ReverseMode, ServerReport, UdpHeader};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// First 60 stream bytes of `iperf -c 127.0.0.1 -p 15000 -t 1`.
const TCP_PLAIN: &str = "400100780000000100003a980000000000000000ffffff9c000000000000000000000000000200010008000300000000000000000000000000000000";
/// `-r` (port 15822).
const TCP_R: &str = "c00100780000000100003dce0000000000000000ffffff9c000000000000000000000000000200010008000300000000000000000000000000000000";
/// `-d` (port 15562).
const TCP_D: &str = "c00100790000000100003cca0000000000000000ffffff9c000000000000000000000000000200010008000300000000000000000000000000000000";
/// First 76 bytes of the first datagram of `-u -b 1M -t 1` (port 16069).
const UDP_FIRST: &str = "000000016b063c5c000d16fc00000000480100980000000100003ec50000000000000000ffffff9c000000000000000000000000000200010008000300000000001000000000000000000000";
/// The first FIN datagram of the same run (id -93, id2 = -1).
const UDP_FIN: &str = "ffffffa36b063c5d000d67e8ffffffff";

#[test]
fn captured_tcp_headers() {
    for (bytes, mode, port) in [
        (TCP_PLAIN, ReverseMode::None, 15000),
        (TCP_R, ReverseMode::Tradeoff, 15822),
        (TCP_D, ReverseMode::Dual, 15562),
    ] {
        let b = hex(bytes);
        let h = ClientHeader::parse(&b).unwrap();
        assert_eq!(h.reverse(), mode);
        assert_eq!(
            (h.port, h.threads, h.amount),
            (port, 1, Amount::Time { centis: 100 })
        );
        assert_eq!(h.version, Some(VERSION_2_1_8));
        assert_eq!(h.wire_len(), 60);
        // Our client emits the very same bytes.
        let ours = ClientHeader::new(Amount::secs(1), mode, port);
        let mut out = [0u8; 60];
        assert_eq!(ours.emit(&mut out), Some(60));
        assert_eq!(&out[..], &b[..], "{mode:?}");
    }
}

#[test]
fn captured_udp_datagrams() {
    let b = hex(UDP_FIRST);
    let u = UdpHeader::parse(&b).unwrap();
    assert_eq!((u.id, u.tv_sec, u.tv_usec), (1, 0x6b06_3c5c, 0x000d_16fc));
    let h = ClientHeader::parse(&b[16..]).unwrap();
    assert_eq!(h.flags, 0x4801_0098);
    assert_eq!(h.port, 16069);
    let fin = UdpHeader::parse(&hex(UDP_FIN)).unwrap();
    assert_eq!(fin.id, -93);
    let mut out = [0u8; 16];
    fin.emit(&mut out).unwrap();
    assert_eq!(&out[..], &hex(UDP_FIN)[..]);
    // A 2.0-style 12-byte header sign-extends the 32-bit id.
    assert_eq!(UdpHeader::parse(&hex(UDP_FIN)[..12]).unwrap().id, -93);
}

#[test]
fn server_report_round_trip() {
    // The base report iperf 2.1.8 printed as "121 KBytes ... 1.234 ms 5/94".
    let r = ServerReport {
        total_len: 123_456,
        stop_micros: 1_500_000,
        errors: 5,
        out_of_order: 2,
        datagrams: 94,
        jitter_micros: 1_234,
    };
    let mut out = [0u8; 128];
    let n = r.emit(&mut out).unwrap();
    assert_eq!(
        &out[..n],
        &hex("00000000000000000001e240000000010007a12000000005000000020000005e00000000000004d2")[..]
    );
    assert_eq!(ServerReport::parse(&out[..n]), Some(r));
    // Beyond 32 bits: extended form with the upper halves after 60 bytes.
    let big = ServerReport {
        total_len: 5 << 32,
        errors: (1 << 32) + 5,
        datagrams: 3 << 32,
        ..r
    };
    let n = big.emit(&mut out).unwrap();
    assert_eq!(n, 112);
    assert_eq!(
        u32::from_be_bytes(out[..4].try_into().unwrap()),
        HEADER_EXTEND | HEADER_SEQNO64B
    );
    assert_eq!(ServerReport::parse(&out[..n]), Some(big));
    assert_eq!(ServerReport::parse(&out[..39]), None);
}

#[test]
fn hostile_headers() {
    let good = hex(TCP_PLAIN);
    for cut in 0..24 {
        assert_eq!(
            ClientHeader::parse(&good[..cut]),
            Err(HeaderError::Truncated),
            "cut {cut}"
        );
    }
    // A cut extension keeps the base fields.
    assert_eq!(ClientHeader::parse(&good[..30]).unwrap().version, None);
    let mut neg = good.clone();
    neg[4..8].copy_from_slice(&(-3i32).to_be_bytes());
    assert_eq!(ClientHeader::parse(&neg), Err(HeaderError::BadThreads(-3)));
    let mut many = good.clone();
    many[4..8].copy_from_slice(&100_000i32.to_be_bytes());
    assert_eq!(
        ClientHeader::parse(&many),
        Err(HeaderError::BadThreads(100_000))
    );
    let mut port = good.clone();
    port[8..12].copy_from_slice(&70_000i32.to_be_bytes());
    assert_eq!(
        ClientHeader::parse(&port),
        Err(HeaderError::BadPort(70_000))
    );
    // iperf's data pattern is not a header.
    assert_eq!(
        ClientHeader::parse(b"012345678901234567890123"),
        Err(HeaderError::NotAHeader)
    );
    // Nonsense lengths in the flags are ignored, never trusted.
    let mut len = good.clone();
    len[2..4].copy_from_slice(&[0xff, 0xfe]);
    assert!(ClientHeader::parse(&len).is_ok());
    assert_eq!(
        Amount::from_wire(i32::MIN),
        Amount::Time {
            centis: 2_147_483_648
        }
    );
    assert_eq!(Amount::from_wire(1_000_000), Amount::Bytes(1_000_000));
    assert_eq!(Amount::Bytes(u64::MAX).to_wire(), i32::MAX);
}
