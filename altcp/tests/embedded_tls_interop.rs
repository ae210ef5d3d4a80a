//! The no-heap embedded-tls client against a real TLS 1.3 server,
//! `openssl s_server`, over host sockets on 127.0.0.1: data both ways, then
//! a server KeyUpdate (which embedded-tls 0.19 does not implement) must end
//! the connection with a typed error, never a panic or a hang.
#![cfg(all(feature = "tls-ring", feature = "std", feature = "embedded-tls"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use common::Ca;
use common::SystemClock;
use embedded_io_async::Write as _;
use petrel_altcp::tls::TlsError;
use petrel_altcp::tls::embedded::{self, DefaultBuffers, Verifying};
use petrel_altcp::{Error, Tcp};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::{ConnectConfig, Duration, Network};

const WAIT: StdDuration = StdDuration::from_secs(10);

/// `openssl s_server` in its interactive mode (lines on its stdin go to
/// the client; a line `k` sends a KeyUpdate), killed on drop with its
/// temporary directory removed.
struct SServer {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    dir: PathBuf,
}

impl SServer {
    fn start(tag: &str, ca: &Ca) -> (SServer, u16) {
        let dir = std::env::temp_dir().join(format!("petrel-etls-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let leaf = ca.leaf(&["localhost"]);
        std::fs::write(dir.join("cert.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &leaf.key_pem).unwrap();
        let port = petrel_interop::free_port();
        let mut child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .arg("-cert")
            .arg(dir.join("cert.pem"))
            .arg("-key")
            .arg(dir.join("key.pem"))
            .args(["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"])
            .arg("-ign_eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let s = SServer {
            child,
            stdin,
            lines,
            dir,
        };
        s.wait_line("ACCEPT");
        (s, port)
    }

    /// Waits (bounded) for a stdout line containing `what`.
    fn wait_line(&self, what: &str) {
        let deadline = std::time::Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) if l.contains(what) => return,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("s_server never printed {what:?}");
    }

    fn type_line(&mut self, line: &str) {
        // One write: s_server takes a command only from a read of
        // exactly "k\n".
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads until `want` bytes arrived, an error, or EOF.
async fn read_n(
    s: &mut impl embedded_io_async::Read<Error = Error>,
    want: usize,
) -> Result<Vec<u8>, Error> {
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while got.len() < want {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(got)
}

#[test]
fn embedded_tls_client_against_openssl_s_server_and_its_key_update() {
    if !petrel_interop::have("openssl") {
        eprintln!("needs openssl: skipped");
        return;
    }
    let ca = Ca::new("interop CA");
    let (mut server, port) = SServer::start("ku", &ca);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let net = OsNetwork::new();
        let tcp = net
            .tcp_connect(
                SocketAddr::from(([127, 0, 0, 1], port)),
                ConnectConfig::default(),
            )
            .await
            .unwrap();
        let mut bufs: Box<DefaultBuffers> = Box::default();
        let provider = Verifying::<_, SystemClock>::new(rand_core::OsRng, ca.cert.as_ref());
        let mut s = embedded::connect(
            Tcp::new(tcp),
            "localhost",
            None,
            &mut bufs,
            provider,
            &net,
            Duration::from_secs(10),
        )
        .await
        .expect("handshake with openssl s_server");
        // Client to server.
        s.write_all(b"from petrel\n").await.unwrap();
        s.flush().await.unwrap();
        server.wait_line("from petrel");
        // Server to client.
        server.type_line("from openssl");
        let got = read_n(&mut s, 13).await.unwrap();
        assert_eq!(got, b"from openssl\n");
        // A KeyUpdate (the line `k` alone, so s_server reads it as its
        // command rather than data): the client's next read meets it.
        server.type_line("k");
        let r = tokio::time::timeout(StdDuration::from_secs(10), read_n(&mut s, 1)).await;
        r.expect("the client hangs after a KeyUpdate")
    });
    assert_eq!(result, Err(Error::Tls(TlsError::Unsupported)));
}
