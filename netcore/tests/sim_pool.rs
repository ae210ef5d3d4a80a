//! Simulated-link tests of the smoltcp backend's socket recycling: TIME-WAIT
//! sockets taken by listeners, failed connects giving their socket back at
//! once, and UDP datagrams to a neighbour that never answers ARP.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{Ipv4Addr, SocketAddr};

use embedded_io_async::{Read, Write};
use petrel_netcore::sim::{self, ADDR_A, ADDR_B, SimConfig};
use petrel_netcore::smol::Capacity;
use petrel_netcore::stats::TcpState;
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{
    Clock, ConnectConfig, Duration, ListenConfig, Network, TcpError, TcpListener, TcpStream,
    UdpError, UdpSocket,
};

/// An address on the simulated /24 that nobody answers ARP for.
const SILENT: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 77);

fn addr(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

fn small_pool(tcp_sockets: usize) -> SimConfig {
    let cap = Capacity {
        tcp_sockets,
        ..SimConfig::default().capacity
    };
    SimConfig::default().capacity(cap)
}

#[test]
fn listener_recycles_oldest_time_wait_sockets() {
    sim::block_on(async {
        // 4 sockets on the server; it closes first, so each served
        // connection leaves a socket in TIME-WAIT for 10 s.
        let (a, b, _) = sim::pair(small_pool(4));
        tokio::task::spawn_local(async move {
            let mut l = b
                .tcp_listen(addr(ADDR_B, 80), ListenConfig::with_backlog(1))
                .await
                .unwrap();
            loop {
                let mut s = l.accept().await.unwrap();
                let mut req = [0u8; 4];
                s.read_exact(&mut req).await.unwrap();
                s.write_all(b"pong").await.unwrap();
                s.close().await.unwrap();
            }
        });
        const N: usize = 20;
        let t0 = a.now();
        let mut client_ports = Vec::new();
        for i in 0..N {
            let cfg = ConnectConfig {
                timeout: Duration::from_secs(2),
            };
            let mut c = a
                .tcp_connect(addr(ADDR_B, 80), cfg)
                .await
                .unwrap_or_else(|e| panic!("connection {i}: {e}"));
            client_ports.push(c.local_addr().unwrap().port());
            c.write_all(b"ping").await.unwrap();
            let mut resp = Vec::new();
            let mut buf = [0u8; 16];
            loop {
                let n = c.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                resp.extend_from_slice(&buf[..n]);
            }
            assert_eq!(resp, b"pong", "connection {i}");
            c.close().await.unwrap();
        }
        // Let the last FIN land, so the last connection is in TIME-WAIT too.
        a.sleep(Duration::from_millis(50)).await;
        // All served well within one TIME-WAIT period: nothing waited for a
        // TIME-WAIT socket to expire.
        let took = a.now() - t0;
        assert!(took < Duration::from_secs(5), "took {took}");
        // The TIME-WAIT sockets left are the newest connections': the
        // oldest were recycled first.
        let mut tw_ports = Vec::new();
        b.for_each_tcp_connection(&mut |c| {
            if c.state == TcpState::TimeWait {
                tw_ports.push(c.remote.port());
            }
        });
        tw_ports.sort_unstable();
        assert!(tw_ports.len() >= 2, "{tw_ports:?}");
        let mut newest = client_ports[N - tw_ports.len()..].to_vec();
        newest.sort_unstable();
        assert_eq!(tw_ports, newest);
    });
}

#[test]
fn failed_connects_give_their_socket_back_at_once() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(small_pool(2));
        let mut l = b
            .tcp_listen(addr(ADDR_B, 7), ListenConfig::with_backlog(1))
            .await
            .unwrap();
        // Refused: RST from a closed port.
        for _ in 0..5 {
            let r = a
                .tcp_connect(addr(ADDR_B, 9), ConnectConfig::default())
                .await;
            assert_eq!(r.err(), Some(TcpError::Refused));
        }
        // Timed out: a host that never answers ARP.
        for _ in 0..3 {
            let cfg = ConnectConfig {
                timeout: Duration::from_millis(500),
            };
            let r = a.tcp_connect(addr(SILENT, 1883), cfg).await;
            assert_eq!(r.err(), Some(TcpError::TimedOut));
        }
        // Dropped: the caller gave up on the connect future.
        for _ in 0..3 {
            let fut = a.tcp_connect(addr(SILENT, 1883), ConnectConfig::default());
            assert!(
                with_timeout(&a, Duration::from_millis(300), fut)
                    .await
                    .is_err()
            );
        }
        // No pause: the next connect gets a socket right away.
        let mut c = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await
            .unwrap();
        let mut s = l.accept().await.unwrap();
        c.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 2];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
        assert_eq!(a.tcp_stats().attempt_fails, 11);
        // The second socket is free too.
        let c2 = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await;
        assert!(c2.is_ok(), "{:?}", c2.err());
    });
}

#[test]
fn udp_to_a_silent_neighbour_does_not_block_the_socket() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut server = b.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 123)).await.unwrap();
        let mut client = a.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 0)).await.unwrap();
        let t0 = a.now();
        // Nobody answers ARP for SILENT: the datagram is discarded after the
        // ARP wait, without holding the socket.
        client
            .send_to(b"to-silent", addr(SILENT, 123))
            .await
            .unwrap();
        let waited = a.now() - t0;
        assert!(
            waited >= Duration::from_secs(2) && waited < Duration::from_secs(5),
            "waited {waited}"
        );
        assert_eq!(a.ip_stats().out_discards, 1);
        // The next datagram, to a live neighbour, goes out.
        client.send_to(b"to-live", addr(ADDR_B, 123)).await.unwrap();
        let mut buf = [0u8; 32];
        let (n, meta) = with_timeout(&b, Duration::from_secs(2), server.recv_from(&mut buf))
            .await
            .expect("the live server's datagram was held")
            .unwrap();
        assert_eq!(&buf[..n], b"to-live");
        assert_eq!(meta.remote.ip(), std::net::IpAddr::V4(ADDR_A));
        // A reply to the client goes straight out (we learnt its address
        // from its ARP request), and a second datagram to SILENT after the
        // first one waits again rather than being stuck.
        server.send_to(b"reply", meta.remote).await.unwrap();
        let (n, _) = with_timeout(&a, Duration::from_secs(2), client.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"reply");
        client.send_to(b"again", addr(SILENT, 123)).await.unwrap();
        assert_eq!(a.ip_stats().out_discards, 2);
        client.send_to(b"live-2", addr(ADDR_B, 123)).await.unwrap();
        let (n, _) = with_timeout(&b, Duration::from_secs(2), server.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"live-2");
        // Off-link with no gateway: no route, at once.
        let r = client
            .send_to(b"x", addr(Ipv4Addr::new(203, 0, 113, 9), 123))
            .await;
        assert_eq!(r, Err(UdpError::InvalidAddress));
        assert_eq!(a.ip_stats().out_no_routes, 1);
    });
}

#[test]
fn udp_wait_given_up_by_the_caller_leaves_the_socket_usable() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut server = b.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 123)).await.unwrap();
        let mut client = a.udp_bind(addr(Ipv4Addr::UNSPECIFIED, 0)).await.unwrap();
        let fut = client.send_to(b"to-silent", addr(SILENT, 123));
        assert!(
            with_timeout(&a, Duration::from_millis(500), fut)
                .await
                .is_err()
        );
        client.send_to(b"to-live", addr(ADDR_B, 123)).await.unwrap();
        let mut buf = [0u8; 32];
        let (n, _) = with_timeout(&b, Duration::from_secs(2), server.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"to-live");
    });
}
