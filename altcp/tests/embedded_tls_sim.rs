//! The embedded-tls client (no heap) against our rustls server, over the
//! simulated link with virtual time.
#![cfg(all(feature = "tls-ring", feature = "std", feature = "embedded-tls"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use common::SystemClock;
use common::{Ca, pattern, server_config};
use embedded_io_async::{Read, Write};
use petrel_altcp::tls::embedded::{self, ClientBuffers, DefaultBuffers, Verifying};
use petrel_altcp::tls::{ClientAuth, TlsAcceptor, TlsError};
use petrel_altcp::{Error, Listener, Stream, Tcp, TcpAcceptor};
use petrel_netcore::sim::{self, ADDR_B, SimConfig, SimStack, TokioClock};
use petrel_netcore::{ConnectConfig, Duration, ListenConfig, Network};

fn addr_b(port: u16) -> SocketAddr {
    SocketAddr::new(ADDR_B.into(), port)
}

fn spawn_echo(net: SimStack, port: u16, cfg: petrel_altcp::tls::ServerConfig) {
    tokio::task::spawn_local(async move {
        let l = net
            .tcp_listen(addr_b(port), ListenConfig::with_backlog(2))
            .await
            .unwrap();
        let mut acc = TlsAcceptor::new(TcpAcceptor::new(l), cfg, TokioClock::new());
        loop {
            let Ok(mut s) = acc.accept().await else {
                continue;
            };
            tokio::task::spawn_local(async move {
                let mut buf = vec![0u8; 4096];
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

async fn tcp_to_b(a: &SimStack, port: u16) -> Tcp<<SimStack as Network>::TcpStream> {
    Tcp::new(
        a.tcp_connect(addr_b(port), ConnectConfig::default())
            .await
            .unwrap(),
    )
}

#[test]
fn embedded_tls_client_1mib_each_way_under_5pct_loss() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, link) = sim::pair(SimConfig::default().loss(0.05).seed(21));
        spawn_echo(b, 443, server_config(&leaf, ClientAuth::None));
        let mut bufs: Box<DefaultBuffers> = Box::default();
        let provider = Verifying::<_, SystemClock>::new(rand_core::OsRng, ca.cert.as_ref());
        let tcp = tcp_to_b(&a, 443).await;
        let mut s = embedded::connect(
            tcp,
            "petrel.test",
            None,
            &mut bufs,
            provider,
            &a,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        let data = pattern(1 << 20, 5);
        let mut back = vec![0u8; 4096];
        for chunk in data.chunks(4096) {
            s.write_all(chunk).await.unwrap();
            s.flush().await.unwrap();
            s.read_exact(&mut back[..chunk.len()]).await.unwrap();
            assert_eq!(&back[..chunk.len()], chunk);
        }
        s.close().await.unwrap();
        let st = link.stats();
        assert!(st.lost[0] > 20 && st.lost[1] > 20, "{st:?}");
        assert!(ClientBuffers::<16_640, 16_640>::size() >= 33_280);
    });
}

#[test]
fn embedded_tls_refuses_wrong_ca_and_wrong_name() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let other = Ca::new("other CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(22));
        spawn_echo(b, 443, server_config(&leaf, ClientAuth::None));
        let mut bufs: Box<DefaultBuffers> = Box::default();
        for (name, root) in [("petrel.test", &other), ("wrong.test", &ca)] {
            let provider = Verifying::<_, SystemClock>::new(rand_core::OsRng, root.cert.as_ref());
            let tcp = tcp_to_b(&a, 443).await;
            let r = embedded::connect(
                tcp,
                name,
                None,
                &mut bufs,
                provider,
                &a,
                Duration::from_secs(10),
            )
            .await;
            assert_eq!(
                r.err(),
                Some(Error::Tls(TlsError::BadCertificate)),
                "{name}"
            );
        }
    });
}

#[test]
fn embedded_tls_sees_truncation() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(23));
        let cfg = server_config(&leaf, ClientAuth::None);
        tokio::task::spawn_local(async move {
            let l = b
                .tcp_listen(addr_b(444), ListenConfig::default())
                .await
                .unwrap();
            let mut acc = TlsAcceptor::new(TcpAcceptor::new(l), cfg, TokioClock::new());
            let mut s = acc.accept().await.unwrap();
            s.write_all(b"partial").await.unwrap();
            s.flush().await.unwrap();
            s.get_mut().shutdown().await.unwrap();
            petrel_netcore::Clock::sleep(&b, Duration::from_secs(5)).await;
        });
        let mut bufs: Box<DefaultBuffers> = Box::default();
        let provider = Verifying::<_, SystemClock>::new(rand_core::OsRng, ca.cert.as_ref());
        let mut s = embedded::connect(
            tcp_to_b(&a, 444).await,
            "petrel.test",
            None,
            &mut bufs,
            provider,
            &a,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(s.read(&mut buf).await, Err(Error::Truncated));
    });
}
