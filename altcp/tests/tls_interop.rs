//! TLS interop with independent real peers on 127.0.0.1, over the host
//! backend (`OsNetwork`): `openssl s_client` and `curl` against our server,
//! our client against `openssl s_server`.
//!
//! Every child is killed by a guard; every wait is bounded; ports are found
//! by binding port 0.
#![cfg(all(feature = "tls-ring", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use common::host::{Mode, Peer, TempDir, WAIT, next_result, start_server};
use common::{Ca, Leaf, server_config};
use embedded_io_async::{Read as _, Write as _};
use petrel_altcp::tls::{self, ClientAuth, ServerConfig, TlsError};
use petrel_altcp::{Error, Stream, Tcp};
use petrel_interop::free_port;
use petrel_netcore::os::OsNetwork;
use petrel_netcore::{ConnectConfig, Network};

struct Pki {
    dir: TempDir,
    ca: Ca,
    leaf: Leaf,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki(tag: &str) -> Pki {
    let dir = TempDir::new(tag);
    let ca = Ca::new("interop CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let ca_pem = dir.write("ca.pem", &ca.pem);
    let cert_pem = dir.write("cert.pem", &leaf.cert_pem);
    let key_pem = dir.write("key.pem", &leaf.key_pem);
    Pki {
        dir,
        ca,
        leaf,
        ca_pem,
        cert_pem,
        key_pem,
    }
}

/// `openssl s_client` with `input`; see `petrel_interop::s_client`.
fn s_client(port: u16, ca: &str, extra: &[&str], input: &[u8]) -> (String, String, Option<i32>) {
    let (out, err, code) =
        petrel_interop::s_client(port, std::path::Path::new(ca), extra, input, WAIT);
    (String::from_utf8_lossy(&out).into_owned(), err, code)
}

#[test]
fn openssl_s_client_tls13_and_tls12_with_sni_against_our_server() {
    let p = pki("sclient");
    let cfg = ServerConfig::builder(tls::ring_provider())
        .cert_chain(p.leaf.chain.clone(), p.leaf.key())
        .alpn(&[b"http/1.1"])
        .build()
        .unwrap();
    let (port, rx) = start_server(cfg, Mode::Echo);
    for (version, want) in [("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2")] {
        let (out, err, status) = s_client(
            port,
            &p.ca_pem,
            &[
                version,
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
                "-alpn",
                "http/1.1",
            ],
            b"hello petrel\n",
        );
        assert_eq!(out, "hello petrel\n", "{version}: {err}");
        assert!(err.contains(&format!("Protocol version: {want}")), "{err}");
        assert!(err.contains("Verification: OK"), "{err}");
        assert_eq!(status, Some(0), "{err}");
        // s_client sent close_notify: a clean end on our side.
        assert_eq!(next_result(&rx), Ok(13));
    }
}

#[test]
fn curl_cacert_against_our_server() {
    let p = pki("curl");
    let (port, rx) = start_server(server_config(&p.leaf, ClientAuth::None), Mode::Http);
    let url = format!("https://localhost:{port}/");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert", &p.ca_pem, &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello");
    assert!(next_result(&rx).is_ok());
    // With another CA curl refuses our certificate, and we hear why
    // (OpenSSL sends unknown_ca).
    let other = p.dir.write("other-ca.pem", &Ca::new("other").pem);
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert", &other, &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(next_result(&rx), Err(Error::Tls(TlsError::PeerAlert(48))));
    // And the next client is served.
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert", &p.ca_pem, &url])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"hello");
}

#[test]
fn s_client_without_a_required_client_certificate_is_refused_and_next_is_served() {
    let p = pki("mtls");
    let client = p.ca.leaf(&["client-1"]);
    let ccert = p.dir.write("client.pem", &client.cert_pem);
    let ckey = p.dir.write("client-key.pem", &client.key_pem);
    let (port, rx) = start_server(
        server_config(&p.leaf, ClientAuth::Required(p.ca.roots())),
        Mode::Echo,
    );
    let (out, _err, _) = s_client(port, &p.ca_pem, &["-servername", "localhost"], b"x\n");
    assert_eq!(out, "");
    assert_eq!(next_result(&rx), Err(Error::Tls(TlsError::NoClientCert)));
    let (out, err, status) = s_client(
        port,
        &p.ca_pem,
        &["-servername", "localhost", "-cert", &ccert, "-key", &ckey],
        b"mtls\n",
    );
    assert_eq!(out, "mtls\n", "{err}");
    assert_eq!(status, Some(0));
    assert_eq!(next_result(&rx), Ok(5));
}

/// `openssl s_server -rev` (echoes each line reversed), killed on drop.
fn s_server(p: &Pki, extra: &[&str]) -> (Peer, u16) {
    let port = free_port();
    let accept = format!("127.0.0.1:{port}");
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &accept,
            "-cert",
            &p.cert_pem,
            "-key",
            &p.key_pem,
            "-rev",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    rx.recv_timeout(WAIT).expect("s_server did not start");
    (peer, port)
}

/// Our client against `port`: sends a line, expects it reversed.
fn our_client(
    port: u16,
    cfg: tls::ClientConfig,
    name: &str,
) -> Result<(String, Option<tls::rustls::ProtocolVersion>), Error> {
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
        let mut s = tls::connect(Tcp::new(tcp), name, &cfg, &net).await?;
        let version = s.protocol_version();
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
        Ok((String::from_utf8_lossy(&got).into_owned(), version))
    })
}

#[test]
fn our_client_against_openssl_s_server() {
    let p = pki("sserver");
    let ccfg = common::client_config(&p.ca);
    let (_srv, port) = s_server(&p, &[]);
    let (line, v) = our_client(port, ccfg.clone(), "localhost").unwrap();
    assert_eq!(line, "lertep\n");
    assert_eq!(v, Some(tls::rustls::ProtocolVersion::TLSv1_3));
    // TLS 1.2 only server.
    let (_srv12, port12) = s_server(&p, &["-no_tls1_3"]);
    let (line, v) = our_client(port12, ccfg.clone(), "localhost").unwrap();
    assert_eq!(line, "lertep\n");
    assert_eq!(v, Some(tls::rustls::ProtocolVersion::TLSv1_2));
    // Wrong name and wrong CA are refused with their typed errors.
    assert_eq!(
        our_client(port, ccfg, "not-localhost.test").unwrap_err(),
        Error::Tls(TlsError::BadHostName)
    );
    let other = Ca::new("other");
    assert_eq!(
        our_client(port, common::client_config(&other), "localhost").unwrap_err(),
        Error::Tls(TlsError::UnknownCa)
    );
}

#[test]
fn our_client_with_a_certificate_against_s_server_requiring_one() {
    let p = pki("sserver-mtls");
    let client = p.ca.leaf(&["client-1"]);
    let (_srv, port) = s_server(
        &p,
        &["-Verify", "1", "-CAfile", &p.ca_pem, "-verify_return_error"],
    );
    let ccfg = tls::ClientConfig::builder(tls::ring_provider())
        .roots(p.ca.roots())
        .client_cert(client.chain.clone(), client.key())
        .build()
        .unwrap();
    let (line, _) = our_client(port, ccfg, "localhost").unwrap();
    assert_eq!(line, "lertep\n");
    let _ = Path::new(&p.ca_pem);
}
