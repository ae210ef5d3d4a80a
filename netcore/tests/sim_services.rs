//! Simulated-link tests of the rest of netcore's surface: DNS, multicast,
//! broadcast, keepalive, half-close.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use embedded_io_async::{Read, Write};
use petrel_netcore::sim::{self, ADDR_A, ADDR_B, SimConfig};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{
    Clock, ConnectConfig, DnsError, Duration, Keepalive, ListenConfig, Network, Shutdown, TcpError,
    TcpListener, TcpStream, UdpError, UdpSocket,
};

fn addr(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

/// A DNS server for one test: answers A queries for `name` with `ip`, and
/// NXDOMAIN for anything else. Builds the answer from the query bytes
/// (RFC 1035 §4.1), so it exercises smoltcp's real DNS client.
async fn serve_dns<S: UdpSocket>(mut sock: S, name: &'static str, ip: Ipv4Addr) {
    let mut buf = [0u8; 512];
    loop {
        let Ok((n, meta)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let q = &buf[..n];
        // Question name starts at 12; find its end (labels, then a 0).
        let mut i = 12;
        let mut labels = Vec::new();
        while i < q.len() && q[i] != 0 {
            let l = q[i] as usize;
            labels.push(String::from_utf8_lossy(&q[i + 1..i + 1 + l]).to_string());
            i += 1 + l;
        }
        let qend = i + 5; // zero byte, type, class
        let asked = labels.join(".");
        let mut r = Vec::new();
        r.extend_from_slice(&q[0..2]); // id
        let found = asked.eq_ignore_ascii_case(name);
        r.extend_from_slice(if found { &[0x81, 0x80] } else { &[0x81, 0x83] });
        r.extend_from_slice(&[0, 1, 0, u8::from(found), 0, 0, 0, 0]);
        r.extend_from_slice(&q[12..qend]);
        if found {
            r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            r.extend_from_slice(&ip.octets());
        }
        let _ = sock.send_to(&r, meta.remote).await;
    }
}

#[test]
fn resolve_by_name_through_a_dns_server() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default().dns(ADDR_B));
        let dns = b.udp_bind(addr(ADDR_B, 53)).await.unwrap();
        tokio::task::spawn_local(serve_dns(
            dns,
            "broker.petrel.test",
            Ipv4Addr::new(198, 51, 100, 7),
        ));
        assert_eq!(
            a.resolve("broker.petrel.test").await,
            Ok(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)))
        );
        assert_eq!(
            a.resolve("nowhere.petrel.test").await,
            Err(DnsError::NotFound)
        );
        // Literals never touch the network.
        assert_eq!(
            a.resolve("203.0.113.5").await,
            Ok("203.0.113.5".parse().unwrap())
        );
        assert_eq!(a.resolve("bad..name").await, Err(DnsError::InvalidName));
        // This backend is IPv4-only: an IPv6 literal is refused, not looked up.
        assert_eq!(a.resolve("2001:db8::1").await, Err(DnsError::InvalidName));
    });
}

#[test]
fn resolve_without_a_server_says_so_and_silent_server_times_out() {
    sim::block_on(async {
        let (a, _b, _) = sim::pair(SimConfig::default());
        assert_eq!(a.resolve("x.petrel.test").await, Err(DnsError::NoServer));
    });
    sim::block_on(async {
        let (a, _b, link) = sim::pair(SimConfig::default().dns(ADDR_B));
        link.silence(1, true);
        let r = a.resolve("x.petrel.test").await;
        assert!(
            matches!(r, Err(DnsError::TimedOut | DnsError::NotFound)),
            "{r:?}"
        );
    });
}

#[test]
fn multicast_join_receive_leave() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let group = Ipv4Addr::new(224, 0, 0, 251);
        let mut rx = a.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 5353)).await.unwrap();
        let mut tx = b.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 5353)).await.unwrap();
        let mut buf = [0u8; 64];
        // Not joined: nothing arrives.
        tx.send_to(b"before", addr(group, 5353)).await.unwrap();
        let r = with_timeout(&a, Duration::from_millis(100), rx.recv_from(&mut buf)).await;
        assert!(r.is_err(), "received without joining: {r:?}");
        rx.join_multicast(group).await.unwrap();
        tx.send_to(b"joined", addr(group, 5353)).await.unwrap();
        let (n, meta) = with_timeout(&a, Duration::from_secs(1), rx.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"joined");
        assert_eq!(meta.local, Some(IpAddr::V4(group)));
        assert_eq!(meta.interface_addr, Some(ADDR_A));
        rx.leave_multicast(group).await.unwrap();
        tx.send_to(b"after", addr(group, 5353)).await.unwrap();
        let r = with_timeout(&a, Duration::from_millis(100), rx.recv_from(&mut buf)).await;
        assert!(r.is_err(), "received after leaving: {r:?}");
        assert_eq!(
            rx.join_multicast(Ipv4Addr::new(198, 51, 100, 9)).await,
            Err(UdpError::InvalidAddress)
        );
    });
}

#[test]
fn broadcast_needs_permission_and_arrives() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut rx = b.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 137)).await.unwrap();
        let mut tx = a.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 0)).await.unwrap();
        for dst in [Ipv4Addr::BROADCAST, Ipv4Addr::new(198, 51, 100, 255)] {
            assert_eq!(
                tx.send_to(b"x", addr(dst, 137)).await,
                Err(UdpError::BroadcastNotEnabled)
            );
        }
        tx.set_broadcast(true).unwrap();
        tx.send_to(b"hello all", addr(Ipv4Addr::new(198, 51, 100, 255), 137))
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let (n, meta) = with_timeout(&b, Duration::from_secs(1), rx.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"hello all");
        assert_eq!(meta.remote.ip(), IpAddr::V4(ADDR_A));
        let mut bcast = None;
        b.for_each_interface(&mut |i| bcast = Some(i.counters.in_bcast));
        assert!(bcast.unwrap() >= 1);
    });
}

#[test]
fn keepalive_detects_a_dead_peer() {
    sim::block_on(async {
        let (a, b, link) = sim::pair(SimConfig::default());
        let mut l = b
            .tcp_listen(addr(ADDR_B, 80), ListenConfig::default())
            .await
            .unwrap();
        let mut c = a
            .tcp_connect(addr(ADDR_B, 80), ConnectConfig::default())
            .await
            .unwrap();
        let _s = l.accept().await.unwrap();
        c.set_keepalive(Some(Keepalive {
            idle: Duration::from_secs(5),
            interval: Duration::from_secs(1),
            count: 3,
        }));
        link.silence(1, true);
        let t0 = a.now();
        let mut buf = [0u8; 4];
        let r = c.read(&mut buf).await;
        assert_eq!(r, Err(TcpError::TimedOut));
        let took = a.now() - t0;
        assert!(took <= Duration::from_secs(12), "took {took}");
    });
}

#[test]
fn half_close_keeps_the_other_direction_open() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut l = b
            .tcp_listen(addr(ADDR_B, 80), ListenConfig::default())
            .await
            .unwrap();
        let mut c = a
            .tcp_connect(addr(ADDR_B, 80), ConnectConfig::default())
            .await
            .unwrap();
        c.set_nodelay(true);
        let mut s = l.accept().await.unwrap();
        c.write_all(b"request").await.unwrap();
        c.shutdown(Shutdown::Write).await.unwrap();
        assert_eq!(c.write(b"more").await, Err(TcpError::InvalidState));
        let mut buf = [0u8; 16];
        s.read_exact(&mut buf[..7]).await.unwrap();
        assert_eq!(s.read(&mut buf).await, Ok(0), "peer sees our FIN");
        s.write_all(b"response").await.unwrap();
        s.close().await.unwrap();
        c.read_exact(&mut buf[..8]).await.unwrap();
        assert_eq!(&buf[..8], b"response");
        assert_eq!(c.read(&mut buf).await, Ok(0));
        assert_eq!(c.local_addr().map(|x| x.ip()), Some(IpAddr::V4(ADDR_A)));
    });
}

#[test]
fn several_tasks_can_wait_for_configuration() {
    // A static stack is configured from the start: every waiter returns.
    sim::block_on(async {
        let (a, _b, _) = sim::pair(SimConfig::default());
        let waiters: Vec<_> = (0..6)
            .map(|_| tokio::task::spawn_local(async move { a.wait_configured().await }))
            .collect();
        for w in waiters {
            with_timeout(&a, Duration::from_secs(1), w)
                .await
                .unwrap()
                .unwrap();
        }
        assert!(a.is_configured());
    });
}

#[test]
fn datagrams_queued_before_a_drop_are_still_sent() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut rx = b.udp_bind(addr(ADDR_B, 6969)).await.unwrap();
        // Warm ARP so the sends below queue nothing but the datagrams.
        let mut warm = a.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 0)).await.unwrap();
        warm.send_to(b"warm", addr(ADDR_B, 6969)).await.unwrap();
        let mut buf = [0u8; 64];
        rx.recv_from(&mut buf).await.unwrap();
        drop(warm);
        // Send and drop at once, as a TFTP transfer does with its final
        // ERROR packet: the datagram must still leave.
        let mut tx = a
            .udp_bind(addr(Ipv4Addr::UNSPECIFIED, 40000))
            .await
            .unwrap();
        tx.send_to(b"last words", addr(ADDR_B, 6969)).await.unwrap();
        drop(tx);
        let (n, meta) = with_timeout(&b, Duration::from_secs(1), rx.recv_from(&mut buf))
            .await
            .expect("the datagram was discarded with its socket")
            .unwrap();
        assert_eq!(&buf[..n], b"last words");
        assert_eq!(meta.remote.port(), 40000);
        // The port is free again once the queue has drained.
        a.sleep(Duration::from_millis(50)).await;
        let again = a.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 40000)).await;
        assert!(again.is_ok(), "{again:?}");
    });
}
