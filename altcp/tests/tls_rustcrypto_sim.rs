//! The pure-Rust provider (`tls::rustcrypto`) over the simulated link:
//! against rustls's `ring` provider in both directions, against itself,
//! and against the embedded-tls client. Each test restricts what one side
//! offers and asserts what was negotiated, so every cipher suite and key
//! exchange group runs at least once.
#![cfg(all(feature = "tls-rustcrypto", feature = "tls-ring", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::sim::{Log, echo_through, spawn_tls_echo, tcp_to_b};
use common::{Ca, Leaf, pattern};
use embedded_io_async::{Read, Write};
use petrel_altcp::tls::rustls::crypto::CryptoProvider;
use petrel_altcp::tls::rustls::pki_types::CertificateDer;
use petrel_altcp::tls::rustls::{CipherSuite, NamedGroup, ProtocolVersion};
use petrel_altcp::tls::{
    self, ClientAuth, ClientConfig, ConfigError, ServerConfig, TlsError, rustcrypto,
};
use petrel_altcp::{Error, Stream};
use petrel_netcore::sim::{self, SimConfig, SimStack};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{Clock, Duration};

/// The rustcrypto provider, everything on.
fn rc() -> Arc<CryptoProvider> {
    Arc::new(rustcrypto::os_provider())
}

/// `provider` narrowed to one suite and one group.
fn only(mut p: CryptoProvider, suite: CipherSuite, group: NamedGroup) -> Arc<CryptoProvider> {
    p.cipher_suites.retain(|s| s.suite() == suite);
    p.kx_groups.retain(|g| g.name() == group);
    assert_eq!((p.cipher_suites.len(), p.kx_groups.len()), (1, 1));
    Arc::new(p)
}

fn ring() -> Arc<CryptoProvider> {
    tls::ring_provider()
}

fn server(provider: Arc<CryptoProvider>, leaf: &Leaf, auth: ClientAuth) -> ServerConfig {
    ServerConfig::builder(provider)
        .cert_chain(leaf.chain.clone(), leaf.key())
        .client_auth(auth)
        .handshake_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn client(provider: Arc<CryptoProvider>, ca: &Ca) -> ClientConfig {
    ClientConfig::builder(provider)
        .roots(ca.roots())
        .handshake_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Connects with `ccfg`, checks the negotiated suite and group, echoes
/// `len` bytes each way, closes cleanly, and checks the server's log.
#[allow(clippy::too_many_arguments)]
async fn session(
    a: &SimStack,
    port: u16,
    ccfg: &ClientConfig,
    suite: CipherSuite,
    group: NamedGroup,
    len: usize,
    log: &Log,
) {
    let mut s = tls::connect(tcp_to_b(a, port).await, "petrel.test", ccfg, a)
        .await
        .unwrap();
    assert_eq!(s.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    assert_eq!(s.cipher_suite().map(|c| c.suite()), Some(suite));
    assert_eq!(
        s.connection()
            .negotiated_key_exchange_group()
            .map(|g| g.name()),
        Some(group)
    );
    let data = pattern(len, len as u32);
    let got = echo_through(a, &mut s, &data).await;
    assert!(got == data, "echoed data differs");
    s.shutdown().await.unwrap();
    let mut buf = [0u8; 16];
    let n = with_timeout(a, Duration::from_secs(60), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0, "clean close_notify from the server");
    a.sleep(Duration::from_millis(200)).await;
    assert_eq!(log.borrow_mut().pop(), Some(Ok(len)));
}

#[test]
fn rustcrypto_server_ring_client_aes128_x25519_1mib_each_way_under_loss() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, link) = sim::pair(SimConfig::default().loss(0.03).seed(31));
        let log = spawn_tls_echo(b, 443, server(rc(), &leaf, ClientAuth::None));
        let ccfg = client(
            only(
                (*ring()).clone(),
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                NamedGroup::X25519,
            ),
            &ca,
        );
        session(
            &a,
            443,
            &ccfg,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            NamedGroup::X25519,
            1 << 20,
            &log,
        )
        .await;
        let st = link.stats();
        assert!(st.lost[0] > 10 && st.lost[1] > 10, "loss applied: {st:?}");
    });
}

#[test]
fn ring_server_rustcrypto_client_chacha20_p256_1mib_each_way() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(32));
        let log = spawn_tls_echo(b, 443, server(ring(), &leaf, ClientAuth::None));
        let ccfg = client(
            only(
                rustcrypto::os_provider(),
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                NamedGroup::secp256r1,
            ),
            &ca,
        );
        session(
            &a,
            443,
            &ccfg,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            NamedGroup::secp256r1,
            1 << 20,
            &log,
        )
        .await;
    });
}

#[test]
fn rustcrypto_both_ends_aes256_and_mutual_tls_with_a_p256_client_certificate() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let client_leaf = ca.leaf(&["client-1"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(33));
        let log = spawn_tls_echo(
            b,
            443,
            server(rc(), &leaf, ClientAuth::Required(ca.roots())),
        );
        let ccfg = ClientConfig::builder(only(
            rustcrypto::os_provider(),
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            NamedGroup::X25519,
        ))
        .roots(ca.roots())
        .client_cert(client_leaf.chain.clone(), client_leaf.key())
        .build()
        .unwrap();
        session(
            &a,
            443,
            &ccfg,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            NamedGroup::X25519,
            1 << 20,
            &log,
        )
        .await;
        // Without the client certificate the server refuses, typed.
        let mut s = tls::connect(
            tcp_to_b(&a, 443).await,
            "petrel.test",
            &client(rc(), &ca),
            &a,
        )
        .await
        .unwrap();
        let mut buf = [0u8; 4];
        let r = with_timeout(&a, Duration::from_secs(10), s.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(r, Err(Error::Tls(TlsError::PeerAlert(116))));
        a.sleep(Duration::from_millis(300)).await;
        assert_eq!(
            log.borrow().as_slice(),
            &[Err(Error::Tls(TlsError::NoClientCert))]
        );
    });
}

#[test]
fn ed25519_server_key_under_a_p384_ca_and_a_p256_key_under_an_ed25519_ca() {
    sim::block_on(async {
        let (a, b, _) = sim::pair(SimConfig::default().seed(34));
        // P-384 CA (ECDSA P-384/SHA-384 certificate signature), Ed25519
        // server key (Ed25519 CertificateVerify, signed by us).
        let ca384 = Ca::new_with("P-384 CA", &rcgen::PKCS_ECDSA_P384_SHA384);
        let ed_leaf = ca384.leaf_with(&["petrel.test"], &rcgen::PKCS_ED25519);
        let log = spawn_tls_echo(b, 1443, server(rc(), &ed_leaf, ClientAuth::None));
        // The server follows the client's preference: ours puts AES-128
        // first, ring AES-256.
        for (provider, suite) in [
            (rc(), CipherSuite::TLS13_AES_128_GCM_SHA256),
            (ring(), CipherSuite::TLS13_AES_256_GCM_SHA384),
        ] {
            let ccfg = client(provider, &ca384);
            session(&a, 1443, &ccfg, suite, NamedGroup::X25519, 4096, &log).await;
        }
        // Ed25519 CA over a P-256 leaf, verified by our client.
        let ca_ed = Ca::new_with("Ed25519 CA", &rcgen::PKCS_ED25519);
        let leaf = ca_ed.leaf(&["petrel.test"]);
        let log = spawn_tls_echo(b, 1444, server(ring(), &leaf, ClientAuth::None));
        let ccfg = client(rc(), &ca_ed);
        let mut s = tls::connect(tcp_to_b(&a, 1444).await, "petrel.test", &ccfg, &a)
            .await
            .unwrap();
        s.write_all(b"ed").await.unwrap();
        let mut buf = [0u8; 2];
        s.read_exact(&mut buf).await.unwrap();
        s.close().await.unwrap();
        a.sleep(Duration::from_millis(300)).await;
        assert_eq!(log.borrow().as_slice(), &[Ok(2)]);
    });
}

/// `cert` with one bit of its signature flipped (the signature is the
/// certificate's last bytes).
fn corrupt_signature(cert: &CertificateDer<'static>) -> CertificateDer<'static> {
    let mut der = cert.as_ref().to_vec();
    let last = der.len() - 4;
    der[last] ^= 0x01;
    CertificateDer::from(der)
}

async fn client_error(a: &SimStack, port: u16, ccfg: &ClientConfig) -> Error {
    let r = tls::connect(tcp_to_b(a, port).await, "petrel.test", ccfg, a).await;
    a.sleep(Duration::from_millis(300)).await;
    match r {
        Err(e) => e,
        Ok(_) => panic!("handshake succeeded"),
    }
}

#[test]
fn failures_give_the_same_typed_errors_as_ring() {
    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let other = Ca::new("other CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let mut forged = ca.leaf(&["petrel.test"]);
        forged.chain = vec![corrupt_signature(&forged.chain[0])];
        let (a, b, _) = sim::pair(SimConfig::default().seed(35));

        // Our provider on the client side: same error as ring's client
        // for a wrong CA and for a bad certificate signature.
        let log = spawn_tls_echo(b, 2001, server(ring(), &leaf, ClientAuth::None));
        let log_forged = spawn_tls_echo(b, 2002, server(ring(), &forged, ClientAuth::None));
        for (port, roots, want) in [
            (2001, &other, TlsError::UnknownCa),
            (2002, &ca, TlsError::BadCertificate),
        ] {
            let with_rc = client_error(&a, port, &client(rc(), roots)).await;
            let with_ring = client_error(&a, port, &client(ring(), roots)).await;
            assert_eq!(with_rc, Error::Tls(want), "port {port}");
            assert_eq!(with_rc, with_ring, "port {port}");
        }
        assert_eq!(
            log.borrow().as_slice(),
            &[
                Err(Error::Tls(TlsError::PeerAlert(48))),
                Err(Error::Tls(TlsError::PeerAlert(48)))
            ]
        );
        let forged_log = log_forged.borrow().clone();
        assert_eq!(forged_log.len(), 2);
        assert_eq!(forged_log[0], forged_log[1]);

        // Our provider on the server side: a client certificate from
        // another CA, and one with a bad signature, are refused the same
        // way ring's server refuses them.
        let stranger = other.leaf(&["client-x"]);
        let mut forged_client = ca.leaf(&["client-y"]);
        forged_client.chain = vec![corrupt_signature(&forged_client.chain[0])];
        let mut logs = Vec::new();
        for (port, provider) in [(2003, rc()), (2004, ring())] {
            logs.push(spawn_tls_echo(
                b,
                port,
                server(provider, &leaf, ClientAuth::Required(ca.roots())),
            ));
            for c in [&stranger, &forged_client] {
                let ccfg = ClientConfig::builder(rc())
                    .roots(ca.roots())
                    .client_cert(c.chain.clone(), c.key())
                    .build()
                    .unwrap();
                let mut s = tls::connect(tcp_to_b(&a, port).await, "petrel.test", &ccfg, &a)
                    .await
                    .unwrap();
                let mut buf = [0u8; 4];
                let r = with_timeout(&a, Duration::from_secs(10), s.read(&mut buf))
                    .await
                    .unwrap();
                assert!(
                    matches!(r, Err(Error::Tls(TlsError::PeerAlert(_)))),
                    "{r:?}"
                );
                a.sleep(Duration::from_millis(300)).await;
            }
        }
        let rc_log = logs[0].borrow().clone();
        let ring_log = logs[1].borrow().clone();
        assert_eq!(rc_log, ring_log);
        assert_eq!(
            rc_log,
            [
                Err(Error::Tls(TlsError::UnknownCa)),
                Err(Error::Tls(TlsError::BadCertificate))
            ]
        );

        // A TLS 1.2-only client finds no version in common.
        let ccfg12 = ClientConfig::builder(ring())
            .roots(ca.roots())
            .versions(tls::TlsVersions::Tls12Only)
            .build()
            .unwrap();
        let e = client_error(&a, 2003, &ccfg12).await;
        assert_eq!(e, Error::Tls(TlsError::PeerAlert(70)));
        assert_eq!(
            logs[0].borrow().last(),
            Some(&Err(Error::Tls(TlsError::ProtocolVersion)))
        );
        // And a TLS 1.2-only configuration cannot be built at all.
        assert_eq!(
            ServerConfig::builder(rc())
                .cert_chain(leaf.chain.clone(), leaf.key())
                .versions(tls::TlsVersions::Tls12Only)
                .build()
                .unwrap_err(),
            ConfigError::UnsupportedVersions
        );
    });
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_a_config_error() {
    let ca = Ca::new("sim CA");
    let a = ca.leaf(&["petrel.test"]);
    let b = ca.leaf(&["petrel.test"]);
    for provider in [rc(), ring()] {
        let r = ServerConfig::builder(provider)
            .cert_chain(a.chain.clone(), b.key())
            .build();
        assert_eq!(r.unwrap_err(), ConfigError::KeyMismatch);
    }
    let ed = ca.leaf_with(&["petrel.test"], &rcgen::PKCS_ED25519);
    let r = ServerConfig::builder(rc())
        .cert_chain(a.chain.clone(), ed.key())
        .build();
    assert_eq!(r.unwrap_err(), ConfigError::KeyMismatch);
}

#[cfg(feature = "embedded-tls")]
#[test]
fn embedded_tls_client_against_the_rustcrypto_server() {
    use common::SystemClock;
    use petrel_altcp::tls::embedded::{self, DefaultBuffers, Verifying};

    sim::block_on(async {
        let ca = Ca::new("sim CA");
        let leaf = ca.leaf(&["petrel.test"]);
        let (a, b, _) = sim::pair(SimConfig::default().seed(36));
        let log = spawn_tls_echo(b, 443, server(rc(), &leaf, ClientAuth::None));
        let mut bufs: Box<DefaultBuffers> = Box::default();
        let provider = Verifying::<_, SystemClock>::new(rand_core::OsRng, ca.cert.as_ref());
        let mut s = embedded::connect(
            tcp_to_b(&a, 443).await,
            "petrel.test",
            None,
            &mut bufs,
            provider,
            &a,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        let data = pattern(64 * 1024, 9);
        let mut back = vec![0u8; 4096];
        for chunk in data.chunks(4096) {
            s.write_all(chunk).await.unwrap();
            s.flush().await.unwrap();
            s.read_exact(&mut back[..chunk.len()]).await.unwrap();
            assert_eq!(&back[..chunk.len()], chunk);
        }
        s.close().await.unwrap();
        a.sleep(Duration::from_secs(1)).await;
        assert_eq!(log.borrow().as_slice(), &[Ok(64 * 1024)]);
    });
}
