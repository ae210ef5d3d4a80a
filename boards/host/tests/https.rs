//! The `[https]` service of the `petrel` binary (the HTTP server over
//! TLS), against `openssl s_client` and `curl` on 127.0.0.1.
//!
//! Every wait is bounded; children are killed by guards; ports are found by
//! binding port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

/// A child process killed on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `petrel` whose stderr lines arrive on `lines`.
struct Petrel {
    child: Guard,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Petrel {
    fn start(config: &Path) -> Petrel {
        let mut child = Command::new(env!("CARGO_BIN_EXE_petrel"))
            .args(["--config", config.to_str().unwrap(), "--only", "https"])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Petrel {
            child: Guard(child),
            lines,
            seen: Vec::new(),
        }
    }

    fn expect_line(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?}; stderr so far: {:#?}", self.seen);
    }

    /// Waits for the exit code; returns it with all of stderr.
    fn wait(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + WAIT;
        let code = loop {
            if let Some(s) = self.child.0.try_wait().unwrap() {
                break s.code();
            }
            assert!(Instant::now() < deadline, "petrel did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (code, self.seen.join("\n"))
    }
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d =
            std::env::temp_dir().join(format!("petrel-https-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A config with only `[https]` on `port` (plus `extra` lines in it).
fn write_config(dir: &TempDir, port: u16, extra: &str) -> PathBuf {
    let mut text = String::from("[device]\nname = \"petrel-test\"\n");
    for s in ["echo", "http", "snmp", "tftp", "iperf"] {
        text.push_str(&format!("\n[{s}]\nenabled = false\n"));
    }
    text.push_str(&format!(
        "\n[https]\nlisten = \"127.0.0.1:{port}\"\n{extra}"
    ));
    let p = dir.path("petrel.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// A request s_client sends: its answer is at least as long (404 page).
const HTTP_REQUEST: &[u8] = b"GET /no-such-page HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// `openssl s_client`: sends `input`, waits for as many bytes back, closes
/// stdin (close_notify) and returns (echo, stderr, exit code).
fn s_client(port: u16, ca: &Path, extra: &[&str], input: &[u8]) -> (Vec<u8>, String, Option<i32>) {
    petrel_interop::s_client(port, ca, extra, input, WAIT)
}

#[test]
fn self_signed_certificate_is_generated_once_and_serves_https() {
    let dir = TempDir::new("selfsigned");
    let port = free_port();
    let cfg = write_config(&dir, port, "");
    let mut p = Petrel::start(&cfg);
    p.expect_line(&format!("https listening on 127.0.0.1:{port}"));
    let fp_line = p.expect_line("SHA-256");
    let cert = dir.path("petrel-https-cert.pem");
    assert!(fp_line.contains(cert.to_str().unwrap()), "{fp_line}");
    assert!(dir.path("petrel-https-key.pem").exists());

    // TLS 1.3 and 1.2, SNI and host-name checks for each generated name.
    for (args, want) in [
        (
            vec![
                "-tls1_3",
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
            ],
            "TLSv1.3",
        ),
        (
            vec![
                "-tls1_2",
                "-servername",
                "petrel-test",
                "-verify_hostname",
                "petrel-test",
            ],
            "TLSv1.2",
        ),
        (vec!["-verify_ip", "127.0.0.1"], "TLSv1.3"),
    ] {
        let (out, err, code) = s_client(port, &cert, &args, HTTP_REQUEST);
        assert!(out.starts_with(b"HTTP/1.1 404 "), "{args:?}: {err}");
        assert!(
            err.contains(want) && err.contains("Verification: OK"),
            "{err}"
        );
        assert_eq!(code, Some(0), "{err}");
    }

    // Plain text on the TLS port: a one-line log, and the service goes on.
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    raw.set_read_timeout(Some(WAIT)).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut sink = Vec::new();
    let _ = raw.read_to_end(&mut sink);
    p.expect_line("peer does not speak TLS");

    // curl verifies the certificate and gets the dashboard.
    let url = format!("https://localhost:{port}/");
    let out = Command::new("curl")
        .args(["-sS", "-v", "--max-time", "10", "--cacert"])
        .arg(&cert)
        .arg(&url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SSL certificate verify ok"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.contains("petrel-test") && page.contains("</html>"),
        "{page}"
    );
    drop(p);

    // The second start reuses the certificate.
    let before = std::fs::read(&cert).unwrap();
    let mut p = Petrel::start(&cfg);
    p.expect_line("reusing the self-signed certificate");
    let again = p.expect_line("SHA-256");
    assert_eq!(
        again.split("SHA-256").nth(1),
        fp_line.split("SHA-256").nth(1),
        "same fingerprint"
    );
    assert_eq!(std::fs::read(&cert).unwrap(), before);
}

#[test]
fn configured_certificate_and_key_are_used() {
    let dir = TempDir::new("configured");
    let (cert, key) = (dir.path("c.pem"), dir.path("k.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let port = free_port();
    let cfg = write_config(&dir, port, "cert = \"c.pem\"\nkey = \"k.pem\"\n");
    let mut p = Petrel::start(&cfg);
    p.expect_line(&format!("https listening on 127.0.0.1:{port}"));
    p.expect_line("c.pem (SHA-256");
    let (out, err, code) = s_client(port, &cert, &["-servername", "localhost"], HTTP_REQUEST);
    assert!(out.starts_with(b"HTTP/1.1 404 "), "{err}");
    assert_eq!(code, Some(0));
    assert!(
        !dir.path("petrel-https-cert.pem").exists(),
        "nothing generated"
    );
}

#[test]
fn bad_certificate_or_key_file_is_exit_2_naming_the_file() {
    let dir = TempDir::new("bad");
    std::fs::write(
        dir.path("c.pem"),
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let port = free_port();
    let cfg = write_config(&dir, port, "cert = \"c.pem\"\nkey = \"k.pem\"\n");
    let mut p = Petrel::start(&cfg);
    let (code, stderr) = p.wait();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("c.pem"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A missing key file names the key file.
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(dir.path("real-key.pem"))
        .arg("-out")
        .arg(dir.path("c.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let mut p = Petrel::start(&cfg);
    let (code, stderr) = p.wait();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("k.pem") && stderr.contains("cannot read"),
        "{stderr}"
    );
}
