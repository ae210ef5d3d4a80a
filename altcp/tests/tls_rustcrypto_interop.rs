//! The pure-Rust provider (`tls::rustcrypto`) against OpenSSL on
//! 127.0.0.1 over the host backend: `openssl s_client -tls1_3` with each
//! cipher suite and each group against our server, and our client against
//! `openssl s_server -tls1_3` with an ECDSA P-256 and an Ed25519
//! certificate.
//!
//! Every child is killed by a guard; every wait is bounded; ports are found
//! by binding port 0.
#![cfg(all(feature = "tls-rustcrypto", feature = "tls-ring", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};

use common::host::{Mode, Peer, TempDir, WAIT, next_result, start_server};
use common::{Ca, Leaf};
use embedded_io_async::{Read as _, Write as _};
use petrel_altcp::tls::rustls::{CipherSuite, NamedGroup, ProtocolVersion};
use petrel_altcp::tls::{self, ClientConfig, ServerConfig, TlsError, rustcrypto};
use petrel_altcp::{Error, Stream, Tcp};
use petrel_interop::free_port;
use petrel_netcore::os::OsNetwork;
use petrel_netcore::{ConnectConfig, Network};

/// Our TLS echo server on 127.0.0.1 (see `common::host::start_server`).
fn start_echo(cfg: ServerConfig) -> (u16, mpsc::Receiver<Result<usize, Error>>) {
    start_server(cfg, Mode::Echo)
}

struct Pki {
    dir: TempDir,
    ca: Ca,
    leaf: Leaf,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki(tag: &str, alg: &'static rcgen::SignatureAlgorithm) -> Pki {
    let dir = TempDir::new(tag);
    let ca = Ca::new("interop CA");
    let leaf = ca.leaf_with(&["localhost", "127.0.0.1"], alg);
    let ca_pem = dir.write("ca.pem", &ca.pem);
    let cert_pem = dir.write("cert.pem", &leaf.cert_pem);
    let key_pem = if std::ptr::eq(alg, &rcgen::PKCS_ED25519) {
        dir.write("key.pem", &ed25519_pkcs8_v1_pem(&leaf.key_der))
    } else {
        dir.write("key.pem", &leaf.key_pem)
    };
    Pki {
        dir,
        ca,
        leaf,
        ca_pem,
        cert_pem,
        key_pem,
    }
}

/// OpenSSL 3.0 cannot read the PKCS#8 v2 (RFC 5958) Ed25519 keys rcgen
/// writes: the same seed as a v1 `PRIVATE KEY` (RFC 8410 §7).
fn ed25519_pkcs8_v1_pem(v2: &[u8]) -> String {
    let at = v2
        .windows(4)
        .position(|w| w == [0x04, 0x22, 0x04, 0x20])
        .expect("Ed25519 seed");
    let seed = &v2[at + 4..at + 36];
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for c in der.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                b64.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
}

fn rc() -> Arc<tls::rustls::crypto::CryptoProvider> {
    Arc::new(rustcrypto::os_provider())
}

#[test]
fn openssl_s_client_each_suite_and_group_against_our_server() {
    let p = pki("sclient", &rcgen::PKCS_ECDSA_P256_SHA256);
    let cfg = ServerConfig::builder(rc())
        .cert_chain(p.leaf.chain.clone(), p.leaf.key())
        .build()
        .unwrap();
    let (port, rx) = start_echo(cfg);
    let runs = [
        (
            "TLS_AES_128_GCM_SHA256",
            "X25519",
            "Server Temp Key: X25519",
        ),
        ("TLS_CHACHA20_POLY1305_SHA256", "P-256", "prime256v1"),
        (
            "TLS_AES_256_GCM_SHA384",
            "X25519",
            "Server Temp Key: X25519",
        ),
        ("TLS_AES_128_GCM_SHA256", "P-256", "prime256v1"),
    ];
    for (suite, group, want_group) in runs {
        let input = format!("hello {suite} {group}\n");
        let (out, err, status) = petrel_interop::s_client(
            port,
            Path::new(&p.ca_pem),
            &[
                "-tls1_3",
                "-ciphersuites",
                suite,
                "-groups",
                group,
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
            ],
            input.as_bytes(),
            WAIT,
        );
        let out = String::from_utf8_lossy(&out);
        assert_eq!(out, input, "{suite} {group}: {err}");
        assert!(err.contains("Protocol version: TLSv1.3"), "{err}");
        assert!(err.contains(&format!("Ciphersuite: {suite}")), "{err}");
        assert!(err.contains(want_group), "{group}: {err}");
        assert!(err.contains("Verification: OK"), "{err}");
        assert_eq!(status, Some(0), "{err}");
        assert_eq!(next_result(&rx), Ok(input.len()));
    }
    // A TLS 1.2-only s_client finds no version in common, typed.
    let (out, _err, _) = petrel_interop::s_client(
        port,
        Path::new(&p.ca_pem),
        &["-tls1_2", "-servername", "localhost"],
        b"x\n",
        WAIT,
    );
    assert!(out.is_empty());
    assert_eq!(next_result(&rx), Err(Error::Tls(TlsError::ProtocolVersion)));
    let _ = &p.dir;
}

/// `openssl s_server -tls1_3 -rev` with `p`'s certificate, killed on drop.
fn s_server(p: &Pki) -> (Peer, u16) {
    let port = free_port();
    let accept = format!("127.0.0.1:{port}");
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-tls1_3",
            "-accept",
            &accept,
            "-cert",
            &p.cert_pem,
            "-key",
            &p.key_pem,
            "-rev",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(p.dir.0.join("s_server.err")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let peer = Peer(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("ACCEPT") {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(WAIT).is_err() {
        let err = std::fs::read_to_string(p.dir.0.join("s_server.err")).unwrap_or_default();
        panic!("s_server did not start: {err}");
    }
    (peer, port)
}

/// Our client: sends a line, expects it reversed; returns the line, the
/// version, the suite and the group.
fn our_client(
    port: u16,
    cfg: ClientConfig,
) -> Result<(String, Option<ProtocolVersion>, CipherSuite, NamedGroup), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let net = OsNetwork::new();
        let tcp = net
            .tcp_connect(
                SocketAddr::from(([127, 0, 0, 1], port)),
                ConnectConfig::default(),
            )
            .await?;
        let mut s = tls::connect(Tcp::new(tcp), "localhost", &cfg, &net).await?;
        let version = s.protocol_version();
        let suite = s.cipher_suite().unwrap().suite();
        let group = s
            .connection()
            .negotiated_key_exchange_group()
            .unwrap()
            .name();
        s.write_all(b"petrel\n").await?;
        s.flush().await?;
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while !got.ends_with(b"\n") {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        s.close().await?;
        Ok((
            String::from_utf8_lossy(&got).into_owned(),
            version,
            suite,
            group,
        ))
    })
}

#[test]
fn our_client_against_openssl_s_server_with_p256_and_ed25519_certificates() {
    for (tag, alg) in [
        ("p256", &rcgen::PKCS_ECDSA_P256_SHA256),
        ("ed25519", &rcgen::PKCS_ED25519),
    ] {
        let p = pki(tag, alg);
        let (_srv, port) = s_server(&p);
        let cfg = ClientConfig::builder(rc())
            .roots(p.ca.roots())
            .build()
            .unwrap();
        let (line, v, suite, group) = our_client(port, cfg).unwrap();
        assert_eq!(line, "lertep\n", "{tag}");
        assert_eq!(v, Some(ProtocolVersion::TLSv1_3), "{tag}");
        assert_eq!(suite, CipherSuite::TLS13_AES_128_GCM_SHA256, "{tag}");
        assert_eq!(group, NamedGroup::X25519, "{tag}");
        // P-256 key exchange with OpenSSL too.
        let mut narrow = rustcrypto::os_provider();
        narrow
            .kx_groups
            .retain(|g| g.name() == NamedGroup::secp256r1);
        let cfg = ClientConfig::builder(Arc::new(narrow))
            .roots(p.ca.roots())
            .build()
            .unwrap();
        let (line, _, _, group) = our_client(port, cfg).unwrap();
        assert_eq!(line, "lertep\n", "{tag}");
        assert_eq!(group, NamedGroup::secp256r1, "{tag}");
        // A wrong CA is refused with the same error as with ring.
        let other = Ca::new("other");
        let cfg = ClientConfig::builder(rc())
            .roots(other.roots())
            .build()
            .unwrap();
        assert_eq!(
            our_client(port, cfg).unwrap_err(),
            Error::Tls(TlsError::UnknownCa)
        );
    }
}
