//! Hostile and misbehaving peers: refusals, wrong TIDs, duplicate ACKs, and
//! a deterministic fuzz loop that must never panic or hang.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod common;

use common::{Rng, VecFs, VecHandle};
use petrel_netcore::time::{Duration, Instant};
use petrel_tftp::{
    Client, ClientConfig, Decision, Destination, ErrorCode, Event, Mode, RamFs, Server,
    ServerConfig, TransferError,
};

fn refused(d: Decision<impl Sized>) -> ErrorCode {
    match d {
        Decision::Refuse { code, .. } => code,
        Decision::Accept(_) => panic!("accepted"),
        Decision::Ignore => panic!("ignored"),
    }
}

#[test]
fn server_refusals() {
    let mut fs: RamFs<2, 64> = RamFs::new();
    fs.insert(b"a", b"abc").unwrap();
    let now = Instant::ZERO;
    let s = Server::new(ServerConfig::default());
    let mut r = [0u8; 64];
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, b"\x00\x01zz\x00octet\x00", &mut r)),
        ErrorCode::FileNotFound
    );
    assert_eq!(&r[..4], b"\x00\x05\x00\x01");
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 4, b"\x00\x01a\x00octet\x00", &mut r)),
        ErrorCode::NotDefined
    );
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, b"\x00\x01a\x00mail\x00", &mut r)),
        ErrorCode::IllegalOperation
    );
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, b"\x00\x04\x00\x01", &mut r)),
        ErrorCode::IllegalOperation
    );
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, b"\x00\x01a", &mut r)),
        ErrorCode::IllegalOperation
    );
    assert!(matches!(
        s.handle_request(now, &mut fs, 0, b"\x00\x05\x00\x00x\x00", &mut r),
        Decision::Ignore
    ));
    let mut long = b"\x00\x01".to_vec();
    long.extend(std::iter::repeat_n(b'n', 256));
    long.extend(b"\x00octet\x00");
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, &long, &mut r)),
        ErrorCode::AccessViolation
    );
    // 255 bytes is fine (not found here, but not refused for length).
    let mut ok = b"\x00\x01".to_vec();
    ok.extend(std::iter::repeat_n(b'n', 255));
    ok.extend(b"\x00octet\x00");
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, &ok, &mut r)),
        ErrorCode::FileNotFound
    );
    // Read-only server / file system.
    let mut cfg = ServerConfig::default();
    cfg.allow_write = false;
    let ro = Server::new(cfg);
    assert_eq!(
        refused(ro.handle_request(now, &mut fs, 0, b"\x00\x02b\x00octet\x00", &mut r)),
        ErrorCode::AccessViolation
    );
    fs.read_only = true;
    assert_eq!(
        refused(s.handle_request(now, &mut fs, 0, b"\x00\x02b\x00octet\x00", &mut r)),
        ErrorCode::AccessViolation
    );
    fs.read_only = false;
    // tsize beyond capacity: disk full before any data.
    assert_eq!(
        refused(s.handle_request(
            now,
            &mut fs,
            0,
            b"\x00\x02b\x00octet\x00tsize\x00100\x00",
            &mut r
        )),
        ErrorCode::DiskFull
    );
    // Absurd options are declined: plain flow, DATA 1 straight away.
    let Decision::Accept(mut t) = s.handle_request(
        now,
        &mut fs,
        0,
        b"\x00\x01a\x00octet\x00blksize\x001\x00windowsize\x0099999\x00",
        &mut r,
    ) else {
        panic!()
    };
    let mut buf = [0u8; 600];
    let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!(&buf[..tx.len], b"\x00\x03\x00\x01abc");
}

#[test]
fn oack_negotiation_and_no_sorcerers_apprentice() {
    let mut fs = VecFs::default();
    fs.files.insert(b"f".to_vec(), vec![7u8; 2000]);
    let s = Server::new(ServerConfig::default());
    let now = Instant::from_secs(5);
    let mut buf = [0u8; 2000];
    let req = b"\x00\x01f\x00octet\x00blksize\x0065464\x00tsize\x000\x00timeout\x003\x00windowsize\x00100\x00x\x00y\x00";
    let Decision::Accept(mut t) = s.handle_request(now, &mut fs, 0, req, &mut buf) else {
        panic!()
    };
    let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!(
        &buf[..tx.len],
        b"\x00\x06blksize\x001468\x00tsize\x002000\x00timeout\x003\x00windowsize\x0016\x00"
    );
    assert!(t.poll_transmit(&mut fs, &mut buf).is_none());
    assert_eq!(t.poll_timeout(), Some(now + Duration::from_secs(3)));
    t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x00");
    // 2000 bytes at 1468 per block: two blocks, both in the window.
    assert_eq!(t.poll_transmit(&mut fs, &mut buf).unwrap().len, 4 + 1468);
    assert_eq!(t.poll_transmit(&mut fs, &mut buf).unwrap().len, 4 + 532);
    assert!(t.poll_transmit(&mut fs, &mut buf).is_none());
    // Duplicate ACK 0 and ACK 0 again: never a retransmission.
    t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x00");
    t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x00");
    assert!(t.poll_transmit(&mut fs, &mut buf).is_none());
    // ACK for a block never sent is ignored too.
    t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x09");
    assert!(t.poll_transmit(&mut fs, &mut buf).is_none());
    // ACK 1 (inside the window): rewind and resend block 2 only.
    t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x01");
    let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!((tx.len, &buf[..4]), (4 + 532, &b"\x00\x03\x00\x02"[..]));
    // A stranger gets error 5; the transfer carries on.
    t.handle_packet(now, &mut fs, false, b"\x00\x04\x00\x02");
    let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!(tx.to, Destination::Stranger);
    assert_eq!(&buf[..4], b"\x00\x05\x00\x05");
    // ...but an ERROR from a stranger gets no answer.
    t.handle_packet(now, &mut fs, false, b"\x00\x05\x00\x05x\x00");
    assert!(t.poll_transmit(&mut fs, &mut buf).is_none());
    t.handle_packet(now, &mut fs, true, b"\x00\x04\x00\x02");
    assert_eq!(t.poll_event(), Some(Event::Completed { bytes: 2000 }));
    assert!(t.is_closed());
}

#[test]
fn retries_exhausted_and_peer_error() {
    let mut fs = VecFs::default();
    let s = Server::new(ServerConfig::default());
    let mut now = Instant::ZERO;
    let mut buf = [0u8; 600];
    let Decision::Accept(mut t) =
        s.handle_request(now, &mut fs, 0, b"\x00\x02w\x00octet\x00", &mut buf)
    else {
        panic!()
    };
    let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!(&buf[..tx.len], b"\x00\x04\x00\x00");
    for _ in 0..5 {
        now = t.poll_timeout().unwrap();
        t.handle_timeout(now, &mut fs);
        let tx = t.poll_transmit(&mut fs, &mut buf).unwrap();
        assert_eq!(&buf[..tx.len], b"\x00\x04\x00\x00");
    }
    now = t.poll_timeout().unwrap();
    t.handle_timeout(now, &mut fs);
    assert_eq!(
        t.poll_event(),
        Some(Event::Failed {
            error: TransferError::TimedOut
        })
    );
    assert!(t.is_closed());
    assert_eq!(fs.aborted, 1);

    // A partial upload is discarded when the client gives up with an error.
    let Decision::Accept(mut t) =
        s.handle_request(now, &mut fs, 0, b"\x00\x02w\x00octet\x00", &mut buf)
    else {
        panic!()
    };
    t.handle_packet(
        now,
        &mut fs,
        true,
        &[&b"\x00\x03\x00\x01"[..], &[1u8; 512]].concat(),
    );
    t.handle_packet(now, &mut fs, true, b"\x00\x05\x00\x03full\x00");
    assert_eq!(
        t.poll_event(),
        Some(Event::Failed {
            error: TransferError::Peer(ErrorCode::DiskFull)
        })
    );
    assert_eq!(fs.aborted, 2);
    assert!(!fs.files.contains_key(&b"w"[..]));
}

#[test]
fn client_rejects_bad_oack() {
    let mut fs = VecFs::default();
    let now = Instant::ZERO;
    let mut buf = [0u8; 2000];
    let cfg = ClientConfig::default().with_blksize(1024);
    let mut c = Client::get(
        now,
        cfg,
        b"f",
        Mode::Octet,
        VecHandle::Write(b"o".to_vec(), vec![]),
    )
    .unwrap();
    let tx = c.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!(
        &buf[..tx.len],
        b"\x00\x01f\x00octet\x00blksize\x001024\x00tsize\x000\x00"
    );
    // The server may not raise blksize above what was asked.
    c.handle_packet(now, &mut fs, true, b"\x00\x06blksize\x002048\x00");
    let tx = c.poll_transmit(&mut fs, &mut buf).unwrap();
    assert_eq!(&buf[..4], b"\x00\x05\x00\x08");
    assert!(tx.len > 4);
    assert_eq!(
        c.poll_event(),
        Some(Event::Failed {
            error: TransferError::Protocol(ErrorCode::OptionRefused)
        })
    );
    assert!(c.is_closed());
}

/// Feeds random and mutated packets to every entry point, 100k times.
#[test]
fn fuzz_loop_never_panics() {
    let mut rng = Rng(0xdead_beef);
    let s = Server::new(ServerConfig::default());
    let mut fs = VecFs::default();
    fs.files.insert(b"f".to_vec(), vec![3u8; 5000]);
    let seeds: [&[u8]; 6] = [
        b"\x00\x01f\x00octet\x00blksize\x00512\x00windowsize\x004\x00",
        b"\x00\x02g\x00netascii\x00tsize\x0010\x00",
        b"\x00\x04\x00\x01",
        b"\x00\x03\x00\x01abc\r\n",
        b"\x00\x06blksize\x00512\x00",
        b"\x00\x05\x00\x01x\x00",
    ];
    let mut buf = vec![0u8; 70_000];
    let mut now = Instant::ZERO;
    let garbage: Vec<u8> = (0..65_536).map(|_| rng.next() as u8).collect();
    let _ = s.handle_request(now, &mut fs, 0, &garbage, &mut buf);
    for i in 0..100_000u32 {
        now += Duration::from_millis(rng.next() % 700);
        let mut p = seeds[(rng.next() % seeds.len() as u64) as usize].to_vec();
        for _ in 0..rng.next() % 4 {
            let at = (rng.next() as usize) % (p.len() + 1);
            match rng.next() % 3 {
                0 if at < p.len() => p[at] = rng.next() as u8,
                1 => p.truncate(at),
                _ => p.insert(at.min(p.len()), rng.next() as u8),
            }
        }
        let mut reply = [0u8; 64];
        if let Decision::Accept(mut t) = s.handle_request(now, &mut fs, 0, &p, &mut reply) {
            for _ in 0..8 {
                let q = seeds[(rng.next() % seeds.len() as u64) as usize];
                t.handle_packet(now, &mut fs, rng.chance(90), q);
                let mut n = 0;
                while t.poll_transmit(&mut fs, &mut buf).is_some() {
                    n += 1;
                    assert!(n < 64, "transmit loop must be bounded");
                }
                if let Some(d) = t.poll_timeout() {
                    t.handle_timeout(d, &mut fs);
                }
            }
        }
        let mut c = Client::get(
            now,
            ClientConfig::default(),
            b"x",
            Mode::Octet,
            VecHandle::Write(vec![], vec![]),
        )
        .unwrap();
        let _ = c.poll_transmit(&mut fs, &mut buf);
        c.handle_packet(now, &mut fs, true, &p);
        c.handle_packet(now, &mut fs, i % 2 == 0, &p);
        while c.poll_transmit(&mut fs, &mut buf).is_some() {}
    }
}
