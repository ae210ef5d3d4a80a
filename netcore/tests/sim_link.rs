//! Simulated-link tests of the smoltcp backend: two stacks, one virtual wire,
//! seeded faults, virtual time.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use embedded_io_async::{Read, Write};
use petrel_netcore::sim::{self, ADDR_A, ADDR_B, SimConfig, SimStack};
use petrel_netcore::smol::Capacity;
use petrel_netcore::stats::TcpState;
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{
    BacklogPolicy, Clock, ConnectConfig, Duration, ListenConfig, Network, TcpError, TcpListener,
    TcpStream, UdpSocket,
};

fn addr(ip: std::net::Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

/// A TCP echo server on `net` that serves connections one after another.
fn spawn_echo(net: SimStack, port: u16, backlog: u8) {
    tokio::task::spawn_local(async move {
        let mut l = net
            .tcp_listen(addr(ADDR_B, port), ListenConfig::with_backlog(backlog))
            .await
            .unwrap();
        loop {
            let mut s = l.accept().await.unwrap();
            tokio::task::spawn_local(async move {
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
            });
        }
    });
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Sends `data` and reads back the echo, interleaving writes and reads so
/// neither side's buffers can fill up and deadlock.
async fn echo_through(clock: &impl Clock, s: &mut impl TcpStream, data: &[u8]) -> Vec<u8> {
    let mut got = Vec::with_capacity(data.len());
    let mut sent = 0;
    let mut buf = vec![0u8; 8192];
    while got.len() < data.len() {
        if sent < data.len() {
            let chunk = &data[sent..(sent + 4096).min(data.len())];
            match with_timeout(clock, Duration::from_millis(5), s.write(chunk)).await {
                Ok(Ok(n)) => sent += n,
                Ok(Err(e)) => panic!("write: {e}"),
                Err(_) => {}
            }
        }
        let wait = if sent < data.len() {
            Duration::from_micros(100)
        } else {
            Duration::from_secs(120)
        };
        loop {
            match with_timeout(clock, wait, s.read(&mut buf)).await {
                Ok(Ok(0)) => panic!("eof after {} bytes", got.len()),
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
                Ok(Err(e)) => panic!("read: {e}"),
                Err(_) if sent < data.len() => break,
                Err(_) => panic!("echo stalled at {} of {} bytes", got.len(), data.len()),
            }
            if got.len() >= data.len() {
                break;
            }
        }
    }
    got
}

#[test]
fn one_mib_echo_survives_loss_reordering_duplication() {
    sim::block_on(async {
        let cfg = SimConfig::default()
            .loss(0.10)
            .reorder(0.05)
            .duplicate(0.02)
            .seed(42);
        let (a, b, link) = sim::pair(cfg);
        spawn_echo(b, 7, 2);
        let mut s = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await
            .unwrap();
        let data = pattern(1 << 20, 7);
        let got = echo_through(&a, &mut s, &data).await;
        assert_eq!(got.len(), data.len());
        assert!(got == data, "echoed data differs");
        s.close().await.unwrap();
        let st = link.stats();
        assert!(
            st.lost[0] > 100 && st.lost[1] > 100,
            "faults were applied: {st:?}"
        );
        assert!(st.duplicated[0] + st.duplicated[1] > 10);
        assert!(
            a.tcp_stats().retrans_segs > 0,
            "loss must cause retransmissions"
        );
    });
}

#[test]
fn backlog_4_with_16_simultaneous_clients() {
    for policy in [BacklogPolicy::Drop, BacklogPolicy::Refuse] {
        sim::block_on(async move {
            let (a, b, _) = sim::pair(SimConfig::default().seed(3));
            // Server: accepts slowly, one at a time, with backlog 4.
            let server = b;
            tokio::task::spawn_local(async move {
                let cfg = ListenConfig { backlog: 4, policy };
                let mut l = server.tcp_listen(addr(ADDR_B, 80), cfg).await.unwrap();
                loop {
                    let mut s = l.accept().await.unwrap();
                    let mut buf = [0u8; 16];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    let _ = s.write_all(&buf[..n]).await;
                    let _ = s.flush().await;
                    let _ = s.close().await;
                    server.sleep(Duration::from_millis(50)).await;
                }
            });
            let mut tasks = Vec::new();
            for i in 0..16u8 {
                tasks.push(tokio::task::spawn_local(async move {
                    let cfg = ConnectConfig {
                        timeout: Duration::from_secs(30),
                    };
                    let mut s = match a.tcp_connect(addr(ADDR_B, 80), cfg).await {
                        Ok(s) => s,
                        Err(e) => return Err(e),
                    };
                    s.write_all(&[i; 4]).await?;
                    let mut buf = [0u8; 4];
                    let mut got = 0;
                    while got < 4 {
                        let n = s.read(&mut buf[got..]).await?;
                        if n == 0 {
                            break;
                        }
                        got += n;
                    }
                    assert_eq!(buf, [i; 4]);
                    Ok(())
                }));
            }
            let mut served = 0;
            let mut refused = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(()) => served += 1,
                    Err(TcpError::Refused) => refused += 1,
                    Err(e) => panic!("unexpected client error with {policy:?}: {e}"),
                }
            }
            assert_eq!(served + refused, 16);
            match policy {
                // Dropped SYNs are retransmitted: everyone gets in eventually.
                BacklogPolicy::Drop => assert_eq!(served, 16),
                BacklogPolicy::Refuse => assert!(refused > 0 && served >= 4, "{served}/{refused}"),
            }
            // The server still serves a new client afterwards.
            let mut s = a
                .tcp_connect(addr(ADDR_B, 80), ConnectConfig::default())
                .await
                .unwrap();
            s.write_all(b"late").await.unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"late");
        });
    }
}

#[test]
fn connect_to_closed_port_is_refused_quickly() {
    sim::block_on(async {
        let (a, _b, _) = sim::pair(SimConfig::default());
        let t0 = a.now();
        let r = a
            .tcp_connect(addr(ADDR_B, 9999), ConnectConfig::default())
            .await;
        assert_eq!(r.err(), Some(TcpError::Refused));
        let took = a.now() - t0;
        assert!(took < Duration::from_millis(100), "took {took}");
        assert_eq!(a.tcp_stats().attempt_fails, 1);
        assert_eq!(a.tcp_stats().active_opens, 1);
    });
}

#[test]
fn connect_to_silent_host_times_out() {
    sim::block_on(async {
        let (a, _b, link) = sim::pair(SimConfig::default());
        link.silence(1, true);
        let t0 = a.now();
        let cfg = ConnectConfig {
            timeout: Duration::from_secs(5),
        };
        let r = a.tcp_connect(addr(ADDR_B, 80), cfg).await;
        assert_eq!(r.err(), Some(TcpError::TimedOut));
        let took = a.now() - t0;
        assert!(
            took >= Duration::from_secs(5) && took < Duration::from_secs(6),
            "took {took}"
        );
    });
}

#[test]
fn abort_is_seen_as_reset() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut l = b
            .tcp_listen(addr(ADDR_B, 80), ListenConfig::default())
            .await
            .unwrap();
        let client = a
            .tcp_connect(addr(ADDR_B, 80), ConnectConfig::default())
            .await
            .unwrap();
        let mut server = l.accept().await.unwrap();
        client.abort();
        let mut buf = [0u8; 8];
        let r = server.read(&mut buf).await;
        assert_eq!(r, Err(TcpError::Reset));
        assert_eq!(b.tcp_stats().estab_resets, 1);
        // The listener still serves.
        let mut c2 = a
            .tcp_connect(addr(ADDR_B, 80), ConnectConfig::default())
            .await
            .unwrap();
        let mut s2 = l.accept().await.unwrap();
        c2.write_all(b"ok").await.unwrap();
        s2.read_exact(&mut buf[..2]).await.unwrap();
        assert_eq!(&buf[..2], b"ok");
    });
}

#[test]
fn clean_close_is_eof_not_error() {
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
        let mut s = l.accept().await.unwrap();
        c.write_all(b"bye").await.unwrap();
        c.close().await.unwrap();
        let mut buf = [0u8; 8];
        s.read_exact(&mut buf[..3]).await.unwrap();
        assert_eq!(s.read(&mut buf).await, Ok(0));
        assert_eq!(s.peer_addr().map(|a| a.ip()), Some(ADDR_A.into()));
    });
}

#[test]
fn counters_match_what_was_sent() {
    sim::block_on(async {
        let (a, b, link) = sim::pair(SimConfig::default());
        let mut rx = b.udp_bind(addr(ADDR_B, 5000)).await.unwrap();
        let mut tx = a.udp_bind("0.0.0.0:0".parse().unwrap()).await.unwrap();
        // ARP first, so the counts below are only our datagrams.
        tx.send_to(b"warm", addr(ADDR_B, 5000)).await.unwrap();
        let mut buf = [0u8; 256];
        rx.recv_from(&mut buf).await.unwrap();
        let (a0, b0) = (a.udp_stats(), b.udp_stats());
        let (ai0, bi0) = (if_counters(&a), if_counters(&b));
        for i in 0..10u8 {
            tx.send_to(&[i; 100], addr(ADDR_B, 5000)).await.unwrap();
            let (n, meta) = rx.recv_from(&mut buf[..]).await.unwrap();
            assert_eq!((n, buf[0]), (100, i));
            assert_eq!(meta.remote.ip(), std::net::IpAddr::from(ADDR_A));
            assert_eq!(meta.interface_addr, Some(ADDR_B));
        }
        let (a1, b1) = (a.udp_stats(), b.udp_stats());
        assert_eq!(a1.out_datagrams - a0.out_datagrams, 10);
        assert_eq!(b1.in_datagrams - b0.in_datagrams, 10);
        let (ai1, bi1) = (if_counters(&a), if_counters(&b));
        assert_eq!(ai1.out_ucast - ai0.out_ucast, 10);
        assert_eq!(bi1.in_ucast - bi0.in_ucast, 10);
        // 14 Ethernet + 20 IPv4 + 8 UDP + 100 payload.
        assert_eq!(bi1.in_octets - bi0.in_octets, 10 * 142);
        assert_eq!(link.stats().lost, [0, 0]);
        // A datagram to a closed port: the receiver counts noPorts.
        tx.send_to(b"x", addr(ADDR_B, 5001)).await.unwrap();
        a.sleep(Duration::from_millis(10)).await;
        assert_eq!(b.udp_stats().no_ports, 1);
        // The endpoint table lists the bound sockets.
        let mut eps = Vec::new();
        b.for_each_udp_endpoint(&mut |e| eps.push(e.local.port()));
        assert_eq!(eps, vec![5000]);
    });
}

fn if_counters(n: &SimStack) -> petrel_netcore::stats::IfCounters {
    let mut c = None;
    n.for_each_interface(&mut |i| c = Some(i.counters));
    c.unwrap()
}

#[test]
fn connection_table_lists_listeners_and_connections() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default());
        let mut l = b
            .tcp_listen(addr(ADDR_B, 80), ListenConfig::with_backlog(3))
            .await
            .unwrap();
        let _c = a
            .tcp_connect(addr(ADDR_B, 80), ConnectConfig::default())
            .await
            .unwrap();
        let _s = l.accept().await.unwrap();
        let mut rows = Vec::new();
        b.for_each_tcp_connection(&mut |r| rows.push(*r));
        assert!(
            rows.iter()
                .any(|r| r.state == TcpState::Listen && r.local.port() == 80)
        );
        assert_eq!(
            rows.iter().filter(|r| r.state == TcpState::Listen).count(),
            1
        );
        assert!(
            rows.iter().any(|r| r.state == TcpState::Established
                && r.remote.ip() == std::net::IpAddr::from(ADDR_A))
        );
        assert_eq!(b.tcp_stats().curr_estab, 1);
        assert_eq!(b.tcp_stats().passive_opens, 1);
    });
}

#[test]
fn pool_exhaustion_is_no_buffer_and_recovers() {
    sim::block_on(async {
        let cap = Capacity {
            tcp_sockets: 2,
            ..SimConfig::default().capacity
        };
        let (a, b, _) = sim::pair(SimConfig::default().capacity(cap));
        spawn_echo(b, 7, 1);
        let c1 = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await
            .unwrap();
        let c2 = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await
            .unwrap();
        let r = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await;
        assert_eq!(r.err(), Some(TcpError::NoBuffer));
        c1.abort();
        drop(c2);
        a.sleep(Duration::from_secs(1)).await;
        let mut c3 = a
            .tcp_connect(addr(ADDR_B, 7), ConnectConfig::default())
            .await
            .unwrap();
        c3.write_all(b"again").await.unwrap();
        let mut buf = [0u8; 5];
        c3.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"again");
    });
}

#[test]
fn reserved_sockets_serve_their_port_only_and_are_preferred() {
    use petrel_netcore::smol::TcpReserve;
    const RESERVE: &[TcpReserve] = &[TcpReserve {
        port: 5001,
        sockets: 1,
        rx: 8192,
        tx: 512,
    }];
    let cap = Capacity {
        tcp_sockets: 2,
        tcp_rx: 2048,
        tcp_tx: 2048,
        tcp_reserved: RESERVE,
        ..SimConfig::default().capacity
    };
    assert_eq!(cap.tcp_slots(), 3);
    assert_eq!(
        cap.buffer_bytes(),
        2 * 4096 + 8192 + 512 + cap.udp_sockets * (cap.udp_rx + cap.udp_tx)
    );
    assert_eq!(cap.socket_slots(), 3 + cap.udp_sockets + 2);
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default().capacity(cap));
        let mut l = b
            .tcp_listen(addr(ADDR_B, 5001), ListenConfig::with_backlog(1))
            .await
            .unwrap();
        // The first connection lands on the reserved socket, the second on
        // the pool; the listener re-arms with the pool's last socket.
        let mut c1 = a
            .tcp_connect(addr(ADDR_B, 5001), ConnectConfig::default())
            .await
            .unwrap();
        let s1 = l.accept().await.unwrap();
        let mut c2 = a
            .tcp_connect(addr(ADDR_B, 5001), ConnectConfig::default())
            .await
            .unwrap();
        let mut s2 = l.accept().await.unwrap();
        b.sleep(Duration::from_millis(100)).await;
        // Nothing left for an outgoing connection: the reserved socket is
        // never lent to tcp_connect.
        let r = b
            .tcp_connect(addr(ADDR_A, 9), ConnectConfig::default())
            .await;
        assert_eq!(r.err(), Some(TcpError::NoBuffer));
        // The reserved socket comes free: the listener moves back onto it
        // and gives its pool socket back (traffic on the second connection
        // keeps the stack polling while the aborted one is reclaimed).
        s1.abort();
        let mut buf = [0u8; 8];
        assert!(matches!(c1.read(&mut buf).await, Ok(0) | Err(_)));
        drop(c1);
        for word in [b"two", b"owt"] {
            c2.write_all(word).await.unwrap();
            s2.read_exact(&mut buf[..3]).await.unwrap();
            assert_eq!(&buf[..3], word);
        }
        let r = b
            .tcp_connect(addr(ADDR_A, 9), ConnectConfig::default())
            .await;
        assert_eq!(
            r.err(),
            Some(TcpError::Refused),
            "a pool socket is free again"
        );
        // A third connection gets the reserved socket.
        let mut c3 = a
            .tcp_connect(addr(ADDR_B, 5001), ConnectConfig::default())
            .await
            .unwrap();
        let mut s3 = l.accept().await.unwrap();
        c3.write_all(b"three").await.unwrap();
        s3.read_exact(&mut buf[..5]).await.unwrap();
        assert_eq!(&buf[..5], b"three");
    });
}

#[test]
fn reserved_udp_sockets_are_sized_per_port_and_kept_for_their_port() {
    use petrel_netcore::smol::UdpReserve;
    const RESERVE: &[UdpReserve] = &[UdpReserve {
        port: 123,
        rx: 96,
        tx: 48,
        packets: 2,
    }];
    let cap = Capacity {
        udp_sockets: 1,
        udp_rx: 1536,
        udp_tx: 1536,
        udp_packets: 2,
        udp_reserved: RESERVE,
        ..SimConfig::default().capacity
    };
    assert_eq!(cap.udp_slots(), 2);
    assert_eq!(cap.udp_meta_slots(), 2 * 2 + 2 * 2);
    assert_eq!(cap.socket_slots(), cap.tcp_slots() + 2 + 2);
    assert_eq!(
        cap.buffer_bytes(),
        cap.tcp_sockets * (cap.tcp_rx + cap.tcp_tx) + 2 * 1536 + 96 + 48
    );
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default().capacity(cap));
        // Port 123 takes its reserved socket: the pool's one stays free for
        // an ephemeral bind, and a second ephemeral bind finds nothing (the
        // reserved socket is never lent to other ports).
        let mut ntp = b.udp_bind(addr(ADDR_B, 123)).await.unwrap();
        let mut eph = b.udp_bind("0.0.0.0:0".parse().unwrap()).await.unwrap();
        let r = b.udp_bind(addr(ADDR_B, 9999)).await;
        assert_eq!(r.err(), Some(petrel_netcore::UdpError::NoBuffer));
        let mut peer = a.udp_bind(addr(ADDR_A, 4000)).await.unwrap();
        let mut buf = [0u8; 2048];
        // The reserved socket's small buffers: 48 bytes go both ways, 200
        // do not fit (dropped on arrival; TooLarge on send).
        peer.send_to(&[7; 200], addr(ADDR_B, 123)).await.unwrap();
        peer.send_to(&[1; 48], addr(ADDR_B, 123)).await.unwrap();
        let (n, m) = ntp.recv_from(&mut buf).await.unwrap();
        assert_eq!((n, buf[0]), (48, 1), "the 200-byte datagram was dropped");
        ntp.send_to(&[2; 48], m.remote).await.unwrap();
        let (n, _) = peer.recv_from(&mut buf).await.unwrap();
        assert_eq!((n, buf[0]), (48, 2));
        let r = ntp.send_to(&[3; 49], m.remote).await;
        assert_eq!(r.err(), Some(petrel_netcore::UdpError::TooLarge));
        // The pool socket keeps the full size.
        let big = pattern(1400, 5);
        peer.send_to(&big, addr(ADDR_B, eph.local_addr().port()))
            .await
            .unwrap();
        let (n, _) = eph.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &big[..]);
        eph.send_to(&big, addr(ADDR_A, 4000)).await.unwrap();
        let (n, _) = peer.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &big[..]);
        // Port 123 again while its reserved socket is free: it gets it back
        // (the pool's socket stays with the ephemeral bind).
        drop(ntp);
        b.sleep(Duration::from_millis(10)).await;
        let mut ntp = b.udp_bind(addr(ADDR_B, 123)).await.unwrap();
        peer.send_to(&[7; 200], addr(ADDR_B, 123)).await.unwrap();
        peer.send_to(&[4; 48], addr(ADDR_B, 123)).await.unwrap();
        let (n, _) = ntp.recv_from(&mut buf).await.unwrap();
        assert_eq!((n, buf[0]), (48, 4));
        // A second socket on port 123 is refused even with the pool free:
        // one socket per port.
        drop(eph);
        let r = b.udp_bind(addr(ADDR_B, 123)).await;
        assert_eq!(r.err(), Some(petrel_netcore::UdpError::AddrInUse));
    });
}

#[test]
fn bad_udp_reservations_and_short_socket_tables_are_refused() {
    use petrel_netcore::smol::{StackError, UdpReserve};
    for bad in [
        &[UdpReserve {
            port: 0,
            rx: 64,
            tx: 64,
            packets: 1,
        }][..],
        &[UdpReserve {
            port: 123,
            rx: 64,
            tx: 64,
            packets: 0,
        }][..],
        &[
            UdpReserve {
                port: 123,
                rx: 64,
                tx: 64,
                packets: 1,
            },
            UdpReserve {
                port: 123,
                rx: 64,
                tx: 64,
                packets: 1,
            },
        ][..],
    ] {
        let bad: &'static [UdpReserve] = Box::leak(bad.to_vec().into_boxed_slice());
        let cap = Capacity {
            udp_reserved: bad,
            ..SimConfig::default().capacity
        };
        assert_eq!(
            build(&cap).err(),
            Some(StackError::InvalidReserve),
            "{bad:?}"
        );
    }
    let good = Capacity {
        udp_reserved: &[UdpReserve {
            port: 123,
            rx: 64,
            tx: 64,
            packets: 1,
        }],
        ..SimConfig::default().capacity
    };
    assert!(build(&good).is_ok());
    // A static address without DNS needs no DHCP or DNS socket slot.
    let no_dns = Capacity {
        dns_queries: 0,
        ..good
    };
    assert_eq!(no_dns.socket_slots_for(false), no_dns.socket_slots() - 2);
    assert_eq!(good.socket_slots_for(true), good.socket_slots());
    for (cap, slots, ok) in [
        (no_dns, no_dns.socket_slots_for(false), true),
        (no_dns, no_dns.socket_slots_for(false) - 1, false),
        (good, good.socket_slots_for(false), true),
        (good, good.socket_slots_for(false) - 1, false),
    ] {
        assert_eq!(
            build_in(&cap, slots).err(),
            (!ok).then_some(StackError::MemoryTooSmall("sockets")),
            "{slots} slots"
        );
    }

    /// Builds a stack with a static address over a device that never
    /// receives and drops all it sends, in memory sized for `cap`.
    fn build(cap: &Capacity) -> Result<(), StackError> {
        build_in(cap, cap.socket_slots())
    }

    /// As `build`, with only `slots` entries in the socket table.
    fn build_in(cap: &Capacity, slots: usize) -> Result<(), StackError> {
        use petrel_netcore::smol::{self, IpConfig, Memory, StackConfig};
        use smoltcp::phy::{self, DeviceCapabilities, Medium};
        struct Null([u8; 1514]);
        struct Tx<'a>(&'a mut [u8; 1514]);
        impl phy::TxToken for Tx<'_> {
            fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
                f(&mut self.0[..len.min(1514)])
            }
        }
        impl phy::RxToken for Tx<'_> {
            fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
                f(&self.0[..])
            }
        }
        impl phy::Device for Null {
            type RxToken<'a> = Tx<'a>;
            type TxToken<'a> = Tx<'a>;
            fn receive(
                &mut self,
                _: smoltcp::time::Instant,
            ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
                None
            }
            fn transmit(&mut self, _: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
                Some(Tx(&mut self.0))
            }
            fn capabilities(&self) -> DeviceCapabilities {
                let mut c = DeviceCapabilities::default();
                c.medium = Medium::Ethernet;
                c.max_transmission_unit = 1514;
                c
            }
        }
        let clock: &'static petrel_netcore::tokio_clock::TokioClock = Box::leak(Box::default());
        let config = StackConfig {
            mac: [0x02, 0, 0, 0, 0, 9],
            ip: IpConfig::Static {
                addr: ADDR_B,
                prefix: 24,
                gateway: None,
                dns: None,
            },
            random_seed: 1,
            name: "null0",
            mtu: 1500,
            speed_bps: 0,
        };
        let mut memory = Memory::leak(cap);
        memory.sockets = &mut std::mem::take(&mut memory.sockets)[..slots];
        smol::new(Null([0; 1514]), config, cap, memory, clock).map(|_| ())
    }
}

#[test]
fn listen_twice_on_a_port_is_addr_in_use() {
    sim::block_on(async {
        let (_a, b, _) = sim::pair(SimConfig::default());
        let _l = b
            .tcp_listen(addr(ADDR_B, 80), ListenConfig::default())
            .await
            .unwrap();
        let r = b
            .tcp_listen(addr(ADDR_B, 80), ListenConfig::default())
            .await;
        assert_eq!(r.err(), Some(TcpError::AddrInUse));
        let _u = b.udp_bind(addr(ADDR_B, 53)).await.unwrap();
        let r = b.udp_bind(addr(ADDR_B, 53)).await;
        assert_eq!(r.err(), Some(petrel_netcore::UdpError::AddrInUse));
    });
}

#[test]
fn udp_echo_under_loss_with_retries() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default().loss(0.2).seed(9));
        tokio::task::spawn_local(async move {
            let mut s = b.udp_bind(addr(ADDR_B, 7)).await.unwrap();
            let mut buf = [0u8; 1500];
            loop {
                let (n, m) = s.recv_from(&mut buf).await.unwrap();
                s.send_to(&buf[..n], m.remote).await.unwrap();
            }
        });
        let mut c = a.udp_bind("0.0.0.0:0".parse().unwrap()).await.unwrap();
        let mut buf = [0u8; 1500];
        for i in 0..20u8 {
            let mut ok = false;
            for _ in 0..20 {
                c.send_to(&[i; 64], addr(ADDR_B, 7)).await.unwrap();
                if let Ok(Ok((64, _))) =
                    with_timeout(&a, Duration::from_millis(100), c.recv_from(&mut buf)).await
                    && buf[0] == i
                {
                    ok = true;
                    break;
                }
            }
            assert!(ok, "datagram {i} never echoed");
        }
        // Truncation is reported, not silent.
        c.send_to(&[1; 200], addr(ADDR_B, 7)).await.unwrap();
        let mut small = [0u8; 10];
        loop {
            match with_timeout(&a, Duration::from_millis(200), c.recv_from(&mut small)).await {
                Ok(Err(petrel_netcore::UdpError::Truncated(200))) => break,
                Ok(_) => continue,
                Err(_) => c.send_to(&[1; 200], addr(ADDR_B, 7)).await.unwrap(),
            }
        }
    });
}
