//! TLS over the simulated link (two smoltcp stacks, virtual time, seeded
//! faults): both ends are ours.
#![cfg(all(feature = "tls-ring", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::sim::{addr_b, echo_through, spawn_tls_echo, tcp_to_b};
use common::{Ca, client_config, pattern, server_config};
use embedded_io_async::{Read, Write};
use petrel_altcp::tls::{self, ClientAuth, ServerConfig, TlsAcceptor, TlsError};
use petrel_altcp::{Error, Listener, Stream, TcpAcceptor};
use petrel_netcore::sim::{self, SimConfig, SimStack, TokioClock};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{Clock, Duration, ListenConfig, Network};

#[test]
fn rustls_client_and_server_1mib_each_way_under_5pct_loss() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test", "198.51.100.2"]);
        let (a, b, link) = sim::pair(SimConfig::default().loss(0.05).seed(11));
        let log = spawn_tls_echo(b, 443, server_config(&leaf, ClientAuth::None));
        let ccfg = client_config(&ca);
        let tcp = tcp_to_b(&a, 443).await;
        let mut s = tls::connect(tcp, "petrel.test", &ccfg, &a).await.unwrap();
        assert_eq!(
            s.protocol_version(),
            Some(tls::rustls::ProtocolVersion::TLSv1_3)
        );
        let data = pattern(1 << 20, 3);
        let got = echo_through(&a, &mut s, &data).await;
        assert!(got == data, "echoed data differs");
        // close_notify from us; the server sees a clean end and answers
        // with its own close_notify: our read is a clean Ok(0).
        s.shutdown().await.unwrap();
        let mut buf = [0u8; 16];
        let n = with_timeout(&a, Duration::from_secs(60), s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 0);
        assert_eq!(log.borrow().as_slice(), &[Ok(1 << 20)]);
        let st = link.stats();
        assert!(st.lost[0] > 20 && st.lost[1] > 20, "loss applied: {st:?}");
    });
}

#[test]
fn ip_literal_server_name_and_alpn_and_tls12() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["198.51.100.2"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(2));
        let scfg = ServerConfig::builder(tls::ring_provider())
            .cert_chain(leaf.chain.clone(), leaf.key())
            .alpn(&[b"mqtt", b"http/1.1"])
            .build()
            .unwrap();
        let log = spawn_tls_echo(b, 8883, scfg);
        let ccfg = tls::ClientConfig::builder(tls::ring_provider())
            .roots(ca.roots())
            .alpn(&[b"http/1.1"])
            .versions(tls::TlsVersions::Tls12Only)
            .build()
            .unwrap();
        let mut s = tls::connect(tcp_to_b(&a, 8883).await, "198.51.100.2", &ccfg, &a)
            .await
            .unwrap();
        assert_eq!(s.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(
            s.protocol_version(),
            Some(tls::rustls::ProtocolVersion::TLSv1_2)
        );
        s.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        s.close().await.unwrap();
        a.sleep(Duration::from_secs(1)).await;
        assert_eq!(log.borrow().as_slice(), &[Ok(5)]);
    });
}

#[test]
fn session_resumption_on_the_second_connection() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(4));
        let _log = spawn_tls_echo(b, 443, server_config(&leaf, ClientAuth::None));
        let ccfg = client_config(&ca);
        for round in 0..2 {
            let mut s = tls::connect(tcp_to_b(&a, 443).await, "petrel.test", &ccfg, &a)
                .await
                .unwrap();
            // A round trip lets the TLS 1.3 session ticket arrive.
            s.write_all(b"x").await.unwrap();
            let mut one = [0u8; 1];
            s.read_exact(&mut one).await.unwrap();
            assert_eq!(s.is_resumed(), round == 1, "round {round}");
            s.close().await.unwrap();
        }
    });
}

#[test]
fn mutual_tls_accepts_a_trusted_client_certificate() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let client_leaf = ca.leaf(&["client-1"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(5));
        let log = spawn_tls_echo(
            b,
            443,
            server_config(&leaf, ClientAuth::Required(ca.roots())),
        );
        let ccfg = tls::ClientConfig::builder(tls::ring_provider())
            .roots(ca.roots())
            .client_cert(client_leaf.chain.clone(), client_leaf.key())
            .build()
            .unwrap();
        let mut s = tls::connect(tcp_to_b(&a, 443).await, "petrel.test", &ccfg, &a)
            .await
            .unwrap();
        s.write_all(b"mtls").await.unwrap();
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await.unwrap();
        s.close().await.unwrap();
        a.sleep(Duration::from_secs(1)).await;
        assert_eq!(log.borrow().as_slice(), &[Ok(4)]);
    });
}

/// Connects and expects the client handshake to fail with `want`; returns
/// after the server logged its side.
async fn expect_client_error(
    a: &SimStack,
    port: u16,
    name: &str,
    ccfg: &tls::ClientConfig,
    want: TlsError,
) {
    let r = tls::connect(tcp_to_b(a, port).await, name, ccfg, a).await;
    match r {
        Err(Error::Tls(e)) => assert_eq!(e, want),
        Err(e) => panic!("want {want:?}, got {e}"),
        Ok(_) => panic!("want {want:?}, got a connection"),
    }
    a.sleep(Duration::from_millis(500)).await;
}

/// A good client, to show the server still serves after a failure.
async fn good_round_trip(a: &SimStack, port: u16, ccfg: &tls::ClientConfig) {
    let mut s = tls::connect(tcp_to_b(a, port).await, "petrel.test", ccfg, a)
        .await
        .unwrap();
    s.write_all(b"ok").await.unwrap();
    let mut buf = [0u8; 2];
    s.read_exact(&mut buf).await.unwrap();
    s.close().await.unwrap();
    a.sleep(Duration::from_millis(500)).await;
}

#[test]
fn every_handshake_failure_is_typed_and_the_server_serves_the_next_client() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let other_ca = Ca::new("other CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let expired = ca.leaf_valid(&["petrel.test"], (2001, 1, 1), (2002, 1, 1));
        let future = ca.leaf_valid(&["petrel.test"], (2090, 1, 1), (2095, 1, 1));
        let (a, b, _) = sim::pair(SimConfig::default().seed(9));
        let ok_cfg = client_config(&ca);

        // 1. Wrong CA: the client refuses, the server hears unknown_ca.
        let log = spawn_tls_echo(b, 1001, server_config(&leaf, ClientAuth::None));
        expect_client_error(
            &a,
            1001,
            "petrel.test",
            &client_config(&other_ca),
            TlsError::UnknownCa,
        )
        .await;
        // 2. Host-name mismatch.
        expect_client_error(&a, 1001, "other.test", &ok_cfg, TlsError::BadHostName).await;
        good_round_trip(&a, 1001, &ok_cfg).await;
        assert_eq!(
            log.borrow().as_slice(),
            &[
                Err(Error::Tls(TlsError::PeerAlert(48))),
                Err(Error::Tls(TlsError::PeerAlert(42))),
                Ok(2)
            ]
        );

        // 3. Expired and not-yet-valid certificates.
        let _ = spawn_tls_echo(b, 1002, server_config(&expired, ClientAuth::None));
        expect_client_error(&a, 1002, "petrel.test", &ok_cfg, TlsError::CertExpired).await;
        let _ = spawn_tls_echo(b, 1003, server_config(&future, ClientAuth::None));
        expect_client_error(&a, 1003, "petrel.test", &ok_cfg, TlsError::CertNotYetValid).await;

        // 4. A required client certificate missing: the server says why;
        //    the TLS 1.3 client learns it from the alert on its first read.
        let log = spawn_tls_echo(
            b,
            1004,
            server_config(&leaf, ClientAuth::Required(ca.roots())),
        );
        let mut s = tls::connect(tcp_to_b(&a, 1004).await, "petrel.test", &ok_cfg, &a)
            .await
            .unwrap();
        let mut buf = [0u8; 8];
        let r = with_timeout(&a, Duration::from_secs(10), s.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(r, Err(Error::Tls(TlsError::PeerAlert(116))));
        a.sleep(Duration::from_millis(500)).await;
        assert_eq!(
            log.borrow().as_slice(),
            &[Err(Error::Tls(TlsError::NoClientCert))]
        );

        // 5. Not TLS at all, garbage, a stall, a FIN mid-handshake — then a
        //    good client is still served.
        let log = spawn_tls_echo(b, 1005, server_config(&leaf, ClientAuth::None));
        let mut raw = tcp_to_b(&a, 1005).await;
        raw.write_all(b"GET / HTTP/1.1\r\nHost: petrel.test\r\n\r\n")
            .await
            .unwrap();
        // The server answers with an alert and closes; it never hangs.
        let mut sink = [0u8; 64];
        let _ = with_timeout(&a, Duration::from_secs(10), raw.read(&mut sink))
            .await
            .unwrap();
        drop(raw);
        let mut raw = tcp_to_b(&a, 1005).await;
        raw.write_all(&pattern(600, 77)).await.unwrap();
        let _ = with_timeout(&a, Duration::from_secs(10), raw.read(&mut sink))
            .await
            .unwrap();
        drop(raw);
        let mut raw = tcp_to_b(&a, 1005).await;
        raw.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            .await
            .unwrap(); // half a ClientHello, then silence
        a.sleep(Duration::from_secs(5)).await;
        drop(raw);
        let mut raw = tcp_to_b(&a, 1005).await;
        raw.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
        raw.shutdown().await.unwrap();
        a.sleep(Duration::from_secs(1)).await;
        drop(raw);
        good_round_trip(&a, 1005, &ok_cfg).await;
        let got = log.borrow().clone();
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[0], Err(Error::Tls(TlsError::NotTls)));
        assert!(
            matches!(
                got[1],
                Err(Error::Tls(TlsError::NotTls | TlsError::BadRecord))
            ),
            "{got:?}"
        );
        assert_eq!(got[2], Err(Error::Tls(TlsError::HandshakeTimeout)));
        assert_eq!(got[3], Err(Error::Tls(TlsError::HandshakeEof)));
        assert_eq!(got[4], Ok(2));
    });
}

#[test]
fn tcp_fin_without_close_notify_is_truncation_both_ways() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(12));
        let log = spawn_tls_echo(b, 443, server_config(&leaf, ClientAuth::None));
        let ccfg = client_config(&ca);
        // Client side: FIN without close_notify; the server sees Truncated.
        let mut s = tls::connect(tcp_to_b(&a, 443).await, "petrel.test", &ccfg, &a)
            .await
            .unwrap();
        s.write_all(b"abc").await.unwrap();
        let mut buf = [0u8; 3];
        s.read_exact(&mut buf).await.unwrap();
        s.get_mut().shutdown().await.unwrap();
        a.sleep(Duration::from_secs(1)).await;
        assert_eq!(log.borrow().as_slice(), &[Err(Error::Truncated)]);

        // Server side: a server that closes TCP without close_notify.
        tokio::task::spawn_local({
            let cfg = server_config(&leaf, ClientAuth::None);
            async move {
                let l = b
                    .tcp_listen(addr_b(444), ListenConfig::default())
                    .await
                    .unwrap();
                let mut acc = TlsAcceptor::new(TcpAcceptor::new(l), cfg, TokioClock::new());
                let mut s = acc.accept().await.unwrap();
                s.write_all(b"partial").await.unwrap();
                s.flush().await.unwrap();
                s.get_mut().shutdown().await.unwrap();
                b.sleep(Duration::from_secs(5)).await;
            }
        });
        let mut s = tls::connect(tcp_to_b(&a, 444).await, "petrel.test", &ccfg, &a)
            .await
            .unwrap();
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).await.unwrap();
        let r = with_timeout(&a, Duration::from_secs(10), s.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(r, Err(Error::Truncated));
        // And it stays failed: no later clean EOF.
        assert_eq!(s.read(&mut buf).await, Err(Error::Truncated));
    });
}
