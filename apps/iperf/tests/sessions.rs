//! TCP and UDP sessions: accounting, reverse-test decisions, loss/jitter,
//! and client <-> server runs in memory with a virtual clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use petrel_iperf::wire::HEADER_VERSION1;
use petrel_iperf::{
    Amount, ReverseMode, ServerReport, TcpClient, TcpClientConfig, TcpEvent, TcpServerSession,
    UdpClient, UdpClientConfig, UdpClientEvent, UdpEvent, UdpHeader, UdpServer, UdpSession,
};
use petrel_netcore::time::{Duration, Instant};

fn events(s: &mut TcpServerSession) -> Vec<TcpEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn tcp_client_to_server_with_intervals_and_dual() {
    let t0 = Instant::from_secs(100);
    let cfg = TcpClientConfig::new(Amount::secs(3))
        .with_reverse(ReverseMode::Dual, 5002)
        .with_interval(Duration::from_secs(1));
    let mut c = TcpClient::new(t0, 1, cfg);
    let mut s = TcpServerSession::new(t0, 4, Some(Duration::from_secs(1)));
    let mut now = t0;
    let mut buf = [0u8; 1000];
    let mut seen = Vec::new();
    // 1000 bytes per ms, written in odd-sized pieces (short writes).
    while !c.is_done() {
        if let Some(n) = c.poll_transmit(now, &mut buf) {
            let take = n.min(997);
            s.handle_data(now, &buf[..take]);
            c.handle_sent(now, take);
        }
        now += Duration::from_millis(1);
        c.handle_timeout(now);
        s.handle_timeout(now);
        seen.extend(events(&mut s));
    }
    s.handle_close(now);
    seen.extend(events(&mut s));
    assert_eq!(c.bytes(), s.bytes());
    let TcpEvent::Started { header: Ok(h) } = seen[0] else {
        panic!("{seen:?}")
    };
    assert_eq!(h.flags & HEADER_VERSION1, HEADER_VERSION1);
    assert_eq!(
        seen[1],
        TcpEvent::Reverse {
            mode: ReverseMode::Dual,
            port: 5002,
            amount: Amount::Time { centis: 300 }
        }
    );
    let intervals: Vec<_> = seen
        .iter()
        .filter_map(|e| {
            if let TcpEvent::Interval(r) = e {
                Some(*r)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(intervals.len(), 3);
    assert_eq!(
        intervals[0].to_string(),
        "[  4] 0.0000-1.0000 sec   974 KBytes  7.98 Mbits/sec"
    );
    let Some(TcpEvent::Finished(sum)) = seen.last() else {
        panic!()
    };
    assert_eq!(sum.bytes, s.bytes());
}

#[test]
fn tcp_tradeoff_after_close_and_headerless_clients() {
    let now = Instant::ZERO;
    let mut s = TcpServerSession::new(now, 1, None);
    let mut c = TcpClient::new(
        now,
        1,
        TcpClientConfig::new(Amount::Bytes(100)).with_reverse(ReverseMode::Tradeoff, 7000),
    );
    let mut buf = [0u8; 4096];
    let n = c.poll_transmit(now, &mut buf).unwrap();
    assert_eq!(n, 100);
    c.handle_sent(now, n);
    assert!(c.is_done());
    assert!(c.poll_transmit(now, &mut buf).is_none());
    // Header split across two reads.
    s.handle_data(now, &buf[..7]);
    s.handle_data(now, &buf[7..100]);
    let ev = events(&mut s);
    assert!(matches!(ev[0], TcpEvent::Started { header: Ok(_) }));
    assert_eq!(ev.len(), 1, "no reverse before the test ends: {ev:?}");
    s.handle_close(Instant::from_secs(1));
    let ev = events(&mut s);
    assert_eq!(
        ev[1],
        TcpEvent::Reverse {
            mode: ReverseMode::Tradeoff,
            port: 7000,
            amount: Amount::Bytes(100)
        }
    );

    // iperf's own reverse connection (no header) and garbage: measured only.
    let mut s = TcpServerSession::new(now, 2, None);
    s.handle_data(now, b"0123456789012345678901234567890123456789");
    assert!(matches!(
        events(&mut s)[0],
        TcpEvent::Started { header: Err(_) }
    ));
    let mut s = TcpServerSession::new(now, 3, None);
    s.handle_data(now, b"\x80");
    s.handle_close(now);
    let ev = events(&mut s);
    assert!(matches!(ev[0], TcpEvent::Started { header: Err(_) }));
    assert!(matches!(ev[1], TcpEvent::Finished(_)));
}

#[test]
fn counters_beyond_4_gib() {
    let now = Instant::ZERO;
    let mut s = TcpServerSession::new(now, 1, None);
    let chunk = vec![b'0'; 1 << 20];
    for _ in 0..5000 {
        s.handle_data(now, &chunk);
    }
    s.handle_close(Instant::from_secs(10));
    assert_eq!(s.bytes(), 5000 << 20);
    let ev = events(&mut s);
    let Some(TcpEvent::Finished(r)) = ev.last() else {
        panic!()
    };
    assert_eq!(r.bytes, 5000 << 20);
    assert_eq!(
        r.to_string(),
        "[  1] 0.0000-10.0000 sec  4.88 GBytes  4.19 Gbits/sec"
    );
    // The client side counts past 4 GiB too.
    let mut c = TcpClient::new(now, 1, TcpClientConfig::new(Amount::secs(1)));
    c.handle_sent(now, usize::MAX / 2);
    assert!(c.bytes() > u64::from(u32::MAX));
}

fn datagram(id: i64, sent_us: u64) -> Vec<u8> {
    let mut b = vec![0u8; 100];
    UdpHeader {
        id,
        tv_sec: (sent_us / 1_000_000) as u32,
        tv_usec: (sent_us % 1_000_000) as u32,
    }
    .emit(&mut b)
    .unwrap();
    b
}

#[test]
fn udp_loss_out_of_order_and_jitter() {
    let mut s = UdpSession::default();
    // ids 1,2,4,3,6 then FIN -7: 5 lost once then... 5 is lost, 3 late.
    let arrivals = [(1, 0), (2, 1_000), (4, 3_000), (3, 2_000), (6, 5_000)];
    for (i, (id, sent)) in arrivals.iter().enumerate() {
        // Constant 10 ms transit except the late one (+4 ms).
        let extra = if *id == 3 { 4_000 } else { 0 };
        let at = Instant::from_micros(sent + 10_000 + extra + i as u64);
        assert!(!s.handle_datagram(at, &datagram(*id, *sent)));
    }
    assert!(s.handle_datagram(Instant::from_micros(16_010), &datagram(-7, 6_000)));
    let r = s.report();
    assert_eq!(
        (r.datagrams, r.errors, r.out_of_order, r.total_len),
        (7, 1, 1, 600)
    );
    // |D| sequence: 1, 1, 2999... jitter is a smoothed positive value.
    assert!(r.jitter_micros > 100 && r.jitter_micros < 1_000, "{r:?}");
    // A FIN retry is answered again but not counted.
    assert!(s.handle_datagram(Instant::from_micros(20_000), &datagram(-8, 6_100)));
    assert_eq!(s.report(), r);
    let mut out = [0u8; 200];
    let n = s.poll_transmit(&mut out).unwrap();
    assert_eq!(UdpHeader::parse(&out).unwrap().id, -8);
    assert_eq!(ServerReport::parse(&out[16..n]), Some(r));
    assert!(s.poll_transmit(&mut out).is_none());
    // 64-bit ids beyond 2^32.
    let mut s = UdpSession::default();
    s.handle_datagram(Instant::ZERO, &datagram((1 << 33) + 1, 0));
    assert_eq!(s.report().datagrams, (1 << 33) + 1);
}

#[test]
fn udp_client_server_in_memory() {
    let t0 = Instant::from_secs(50);
    let mut c = UdpClient::new(t0, UdpClientConfig::new(Amount::secs(2), 1_000_000), 5001);
    let mut srv: UdpServer<u8, 2> = UdpServer::new();
    let mut buf = [0u8; 2000];
    let mut now = t0;
    let mut n_sent = 0u64;
    let mut report = None;
    for _ in 0..100_000 {
        while let Some(n) = c.poll_transmit(now, &mut buf) {
            n_sent += 1;
            // Drop every 50th data datagram and the first FIN (the client
            // must retry it).
            let id = UdpHeader::parse(&buf).unwrap().id;
            if (id > 0 && id % 50 == 0) || (id < 0 && n_sent == c.datagrams() + 1) {
                continue;
            }
            srv.handle_datagram(now + Duration::from_millis(1), 7, &buf[..n]);
            let mut out = [0u8; 200];
            while let Some((to, m)) = srv.poll_transmit(&mut out) {
                assert_eq!(to, 7);
                c.handle_datagram(now, &out[..m]);
            }
        }
        if let Some(e) = c.poll_event() {
            report = Some(e);
            break;
        }
        now = c.poll_timeout().unwrap();
    }
    let Some(UdpClientEvent::ServerReport(r)) = report else {
        panic!("{report:?}")
    };
    // 1 Mbit/s of 1470-byte datagrams for 2 s: 171 datagrams, 3 dropped.
    assert_eq!(c.datagrams(), 171);
    assert_eq!((r.datagrams, r.errors, r.out_of_order), (172, 3, 0));
    assert_eq!(r.jitter_micros, 0);
    assert!(matches!(srv.poll_event(), Some((7, UdpEvent::Started))));
    assert!(matches!(srv.poll_event(), Some((7, UdpEvent::Finished(_)))));
    srv.handle_timeout(now + Duration::from_secs(11));
    assert!(srv.session(7).is_none());
}

#[test]
fn udp_fin_retries_exhausted() {
    let t0 = Instant::ZERO;
    let mut c = UdpClient::new(
        t0,
        UdpClientConfig::new(Amount::Bytes(1470), 8_000_000),
        5001,
    );
    let mut buf = [0u8; 2000];
    let mut fins = 0;
    for _ in 0..100 {
        let Some(now) = c.poll_timeout() else { break };
        while let Some(n) = c.poll_transmit(now, &mut buf) {
            if UdpHeader::parse(&buf[..n]).unwrap().id < 0 {
                fins += 1;
            }
        }
        // Garbage and data-looking replies are ignored.
        c.handle_datagram(now, b"junk");
        c.handle_datagram(now, &datagram(5, 0));
    }
    assert_eq!(fins, 10);
    assert_eq!(c.poll_event(), Some(UdpClientEvent::NoServerReport));
    assert!(c.is_done());
}

#[test]
fn fuzz_loop_never_panics() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut srv: UdpServer<u8, 4> = UdpServer::new();
    let mut c = UdpClient::new(Instant::ZERO, UdpClientConfig::default(), 1);
    let mut out = [0u8; 256];
    for i in 0..100_000u64 {
        let len = (rnd() % 80) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        if i % 3 == 0 && b.len() >= 4 {
            b[..4].copy_from_slice(&[0x40, 0x01, 0x00, 0x78]);
        }
        let _ = petrel_iperf::ClientHeader::parse(&b);
        let _ = ServerReport::parse(&b);
        let mut s = TcpServerSession::new(Instant::ZERO, 1, Some(Duration::from_millis(1)));
        s.handle_data(Instant::from_micros(i), &b);
        s.handle_close(Instant::from_micros(i + 5));
        while s.poll_event().is_some() {}
        srv.handle_datagram(Instant::from_micros(i), (rnd() % 9) as u8, &b);
        while srv.poll_transmit(&mut out).is_some() {}
        while srv.poll_event().is_some() {}
        c.handle_datagram(Instant::from_micros(i), &b);
    }
}
