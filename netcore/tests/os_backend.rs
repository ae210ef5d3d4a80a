//! The host backend against itself on 127.0.0.1 (feature `os`).
//!
//! Run with `cargo test -p petrel-netcore --features os`. Every test runs on
//! a current-thread runtime inside a `LocalSet` (our futures are `!Send`) and
//! under an overall deadline.
#![cfg(feature = "os")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use core::future::Future;
use core::net::{Ipv4Addr, SocketAddr};
use std::time::Instant as StdInstant;

use embedded_io_async::{Read, Write};
use petrel_netcore::os::{OsNetwork, OsTcpStream};
use petrel_netcore::{
    ConnectConfig, Duration, ListenConfig, Network, Shutdown, TcpError, TcpListener, TcpStream,
    UdpError, UdpSocket,
};

/// Runs `f` on a current-thread runtime and a `LocalSet`, failing after 30 s.
fn run<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local
        .block_on(&rt, async {
            tokio::time::timeout(std::time::Duration::from_secs(30), f).await
        })
        .expect("test timed out")
}

/// A port that was free a moment ago (bind port 0, read it, release it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Echoes one connection until EOF or error.
async fn echo_one(mut s: OsTcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if s.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = s.close().await;
}

/// Starts an echo server on a fresh port; returns its address.
async fn echo_server(net: OsNetwork) -> SocketAddr {
    let mut l = net
        .tcp_listen(loopback(free_port()), ListenConfig::with_backlog(8))
        .await
        .unwrap();
    let addr = l.local_addr();
    tokio::task::spawn_local(async move {
        while let Ok(s) = l.accept().await {
            tokio::task::spawn_local(echo_one(s));
        }
    });
    addr
}

/// FNV-1a, to compare what went out with what came back.
fn fnv(h: u64, data: &[u8]) -> u64 {
    data.iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[test]
fn tcp_echo_one_mebibyte_intact() {
    run(async {
        let net = OsNetwork::new();
        let addr = echo_server(net).await;
        let mut c = net
            .tcp_connect(addr, ConnectConfig::default())
            .await
            .unwrap();
        c.set_nodelay(true);
        assert_eq!(c.peer_addr(), Some(addr));
        assert!(c.local_addr().is_some());
        let (mut sent, mut got) = (0xcbf2_9ce4_8422_2325u64, 0xcbf2_9ce4_8422_2325u64);
        let mut x = 0x1234_5678u32;
        let mut chunk = vec![0u8; 16 * 1024];
        let mut back = vec![0u8; 16 * 1024];
        for _ in 0..64 {
            for b in chunk.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            sent = fnv(sent, &chunk);
            c.write_all(&chunk).await.unwrap();
            c.flush().await.unwrap();
            c.read_exact(&mut back).await.unwrap();
            got = fnv(got, &back);
        }
        assert_eq!(sent, got);
        c.shutdown(Shutdown::Write).await.unwrap();
        assert_eq!(c.write(b"x").await, Err(TcpError::InvalidState));
        // The server sees our FIN and closes: we read a clean EOF.
        assert_eq!(c.read(&mut back).await, Ok(0));
        c.close().await.unwrap();
    });
}

#[test]
fn udp_echo() {
    run(async {
        let net = OsNetwork::new();
        let mut server = net.udp_bind(loopback(0)).await.unwrap();
        let server_addr = server.local_addr();
        assert_ne!(server_addr.port(), 0);
        tokio::task::spawn_local(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, meta)) = server.recv_from(&mut buf).await {
                assert_eq!(meta.local, None);
                let _ = server.send_to(&buf[..n], meta.remote).await;
            }
        });
        let mut client = net.udp_bind(loopback(0)).await.unwrap();
        for i in 0..10u8 {
            let msg = [i; 100];
            client.send_to(&msg, server_addr).await.unwrap();
            let mut buf = [0u8; 1500];
            let (n, meta) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &msg);
            assert_eq!(meta.remote, server_addr);
        }
    });
}

#[test]
fn connect_to_closed_port_is_refused_quickly() {
    run(async {
        let net = OsNetwork::new();
        let t0 = StdInstant::now();
        let r = net
            .tcp_connect(loopback(free_port()), ConnectConfig::default())
            .await;
        assert_eq!(r.err(), Some(TcpError::Refused));
        assert!(t0.elapsed() < std::time::Duration::from_secs(1));
    });
}

#[test]
fn connect_times_out_when_the_backlog_is_full() {
    run(async {
        let net = OsNetwork::new();
        // Never accepted: once the accept queue is full, Linux drops SYNs.
        let _l = net
            .tcp_listen(loopback(free_port()), ListenConfig::with_backlog(1))
            .await
            .unwrap();
        let addr = _l.local_addr();
        let cfg = ConnectConfig {
            timeout: Duration::from_millis(300),
        };
        let mut held = Vec::new();
        let mut timed_out = false;
        for _ in 0..8 {
            match net.tcp_connect(addr, cfg).await {
                Ok(s) => held.push(s),
                Err(e) => {
                    assert_eq!(e, TcpError::TimedOut);
                    timed_out = true;
                    break;
                }
            }
        }
        assert!(timed_out, "{} connections got in", held.len());
    });
}

#[test]
fn abort_is_seen_as_reset_and_listener_keeps_serving() {
    run(async {
        let net = OsNetwork::new();
        let mut l = net
            .tcp_listen(loopback(free_port()), ListenConfig::default())
            .await
            .unwrap();
        let addr = l.local_addr();

        // Client aborts: the server's read sees Reset.
        let mut c = net
            .tcp_connect(addr, ConnectConfig::default())
            .await
            .unwrap();
        c.write_all(b"hi").await.unwrap();
        let mut s = l.accept().await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).await, Ok(2));
        c.abort();
        assert_eq!(s.read(&mut buf).await, Err(TcpError::Reset));
        drop(s);

        // Server aborts: the client's read sees Reset.
        let mut c = net
            .tcp_connect(addr, ConnectConfig::default())
            .await
            .unwrap();
        let s = l.accept().await.unwrap();
        s.abort();
        assert_eq!(c.read(&mut buf).await, Err(TcpError::Reset));

        // The listener still serves a well-behaved client.
        let mut c = net
            .tcp_connect(addr, ConnectConfig::default())
            .await
            .unwrap();
        let mut s = l.accept().await.unwrap();
        c.write_all(b"ping").await.unwrap();
        s.read_exact(&mut buf[..4]).await.unwrap();
        s.write_all(&buf[..4]).await.unwrap();
        c.read_exact(&mut buf[4..8]).await.unwrap();
        assert_eq!(&buf[4..8], b"ping");
        s.close().await.unwrap();
        assert_eq!(c.read(&mut buf).await, Ok(0));
    });
}

#[test]
fn binding_twice_is_addr_in_use() {
    run(async {
        let net = OsNetwork::new();
        let addr = loopback(free_port());
        let _l = net.tcp_listen(addr, ListenConfig::default()).await.unwrap();
        let again = net.tcp_listen(addr, ListenConfig::default()).await;
        assert_eq!(again.err(), Some(TcpError::AddrInUse));

        let u = net.udp_bind(loopback(0)).await.unwrap();
        let again = net.udp_bind(u.local_addr()).await;
        assert_eq!(again.err(), Some(UdpError::AddrInUse));

        // Port 0 is invalid for a listener on every backend.
        let zero = net.tcp_listen(loopback(0), ListenConfig::default()).await;
        assert_eq!(zero.err(), Some(TcpError::InvalidAddress));
    });
}

#[test]
fn truncated_udp_datagram_is_reported() {
    run(async {
        let net = OsNetwork::new();
        let mut rx = net.udp_bind(loopback(0)).await.unwrap();
        let mut tx = net.udp_bind(loopback(0)).await.unwrap();
        let big: Vec<u8> = (0..100u8).collect();
        tx.send_to(&big, rx.local_addr()).await.unwrap();
        tx.send_to(b"small", rx.local_addr()).await.unwrap();
        let mut buf = [0u8; 10];
        assert_eq!(
            rx.recv_from(&mut buf).await.err(),
            Some(UdpError::Truncated(100))
        );
        assert_eq!(&buf, &big[..10]);
        // The next datagram is unaffected; exactly-fitting is not truncation.
        let mut five = [0u8; 5];
        let (n, meta) = rx.recv_from(&mut five).await.unwrap();
        assert_eq!((n, &five), (5, b"small"));
        assert_eq!(meta.remote, tx.local_addr());
    });
}

#[test]
fn udp_options_and_errors() {
    run(async {
        let net = OsNetwork::new();
        let mut u = net.udp_bind(loopback(0)).await.unwrap();
        // Membership on the loopback interface only (no IGMP on a real link).
        let group = Ipv4Addr::new(239, 255, 42, 1);
        u.join_multicast(group).await.unwrap();
        u.join_multicast(group).await.unwrap();
        u.leave_multicast(group).await.unwrap();
        assert_eq!(
            u.join_multicast(Ipv4Addr::new(10, 0, 0, 1)).await,
            Err(UdpError::InvalidAddress)
        );
        // The kernel refuses before anything is sent.
        assert_eq!(
            u.send_to(b"x", SocketAddr::from(([255, 255, 255, 255], 9)))
                .await,
            Err(UdpError::BroadcastNotEnabled)
        );
        u.set_broadcast(false).unwrap();
        assert_eq!(
            u.send_to(b"x", loopback(0)).await,
            Err(UdpError::InvalidAddress)
        );
        assert_eq!(
            u.send_to(&vec![0u8; 70_000], loopback(9)).await,
            Err(UdpError::TooLarge)
        );
    });
}

#[test]
fn stats_see_our_own_sockets() {
    run(async {
        let net = OsNetwork::new();
        let l = net
            .tcp_listen(loopback(free_port()), ListenConfig::default())
            .await
            .unwrap();
        let u = net.udp_bind(loopback(0)).await.unwrap();
        let mut listening = false;
        net.for_each_tcp_connection(&mut |c| {
            listening |=
                c.local == l.local_addr() && c.state == petrel_netcore::stats::TcpState::Listen;
        });
        assert!(listening);
        let mut bound = false;
        net.for_each_udp_endpoint(&mut |e| bound |= e.local == u.local_addr());
        assert!(bound);
        let mut lo = None;
        net.for_each_interface(&mut |i| {
            if i.name == "lo" {
                lo = Some(i.clone());
            }
        });
        let lo = lo.expect("no lo interface");
        assert!(lo.up && lo.index >= 1 && lo.mtu > 0);
        assert!(net.ip_stats().default_ttl > 0);
        assert!(
            net.tcp_stats().active_opens > 0
                || net.tcp_stats().passive_opens > 0
                || net.tcp_stats().in_segs > 0
        );
        // The primary address, when the host has one, is a configured
        // non-loopback interface address.
        if let Some(primary) = net.ipv4_addr() {
            assert!(!primary.is_loopback() && !primary.is_unspecified());
            let mut owned = false;
            net.for_each_interface(&mut |i| owned |= i.ipv4.map(|(a, _)| a) == Some(primary));
            assert!(owned, "{primary} is not on any interface");
        }
    });
}

#[test]
fn resolve_literals_and_localhost() {
    run(async {
        let net = OsNetwork::new();
        assert_eq!(net.resolve("127.0.0.1").await, Ok([127, 0, 0, 1].into()));
        assert!(net.resolve("localhost").await.unwrap().is_loopback());
        assert_eq!(
            net.resolve("bad..name").await,
            Err(petrel_netcore::DnsError::InvalidName)
        );
    });
}
