//! The `petrel` binary end to end: started as a child process with a
//! temporary config on free loopback ports, probed with std sockets.
//!
//! Every wait is bounded; children are killed by a guard if a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// A running `petrel`, killed on drop; its stderr lines arrive on `lines`.
struct Petrel {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Petrel {
    fn start(args: &[&str]) -> Petrel {
        let mut child = Command::new(env!("CARGO_BIN_EXE_petrel"))
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
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
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until a stderr line contains `needle`.
    fn expect_line(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        if self.seen.iter().any(|l| l.contains(needle)) {
            return;
        }
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?}; stderr so far: {:#?}", self.seen);
    }

    /// Waits for the exit status; returns it with all of stderr.
    fn wait(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "petrel did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at EOF, which follows the exit.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status, self.seen.join("\n"))
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn stdout(&mut self) -> String {
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        out
    }
}

impl Drop for Petrel {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A temporary config file, removed on drop.
struct TempConfig(PathBuf);

impl TempConfig {
    fn new(text: &str) -> TempConfig {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("petrel-cli-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempConfig(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A loopback port free for both TCP and UDP a moment ago.
fn free_port() -> u16 {
    loop {
        let t = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = t.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn echo_config(tcp: u16, udp: u16) -> TempConfig {
    TempConfig::new(&format!(
        "[device]\nname = \"test\"\n\n[echo]\ntcp = \"127.0.0.1:{tcp}\"\nudp = \"127.0.0.1:{udp}\"\nmax_connections = 4\n\n[https]\nenabled = false\n\n[snmp]\nenabled = false\n"
    ))
}

#[test]
fn serves_tcp_and_udp_echo_and_stops_on_sigterm() {
    let (tcp, udp) = (free_port(), free_port());
    let cfg = echo_config(tcp, udp);
    let mut p = Petrel::start(&["--config", cfg.path(), "--only", "echo"]);
    p.expect_line(&format!("echo tcp listening on 127.0.0.1:{tcp}"));
    p.expect_line(&format!("echo udp listening on 127.0.0.1:{udp}"));

    // Several TCP clients at once, each echoed intact.
    let addr = SocketAddr::from(([127, 0, 0, 1], tcp));
    let mut clients: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect_timeout(&addr, WAIT).unwrap())
        .collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.set_read_timeout(Some(WAIT)).unwrap();
        let msg = vec![b'a' + i as u8; 10_000];
        c.write_all(&msg).unwrap();
        let mut back = vec![0u8; msg.len()];
        c.read_exact(&mut back).unwrap();
        assert_eq!(back, msg);
    }
    drop(clients);

    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut echoed = false;
    for _ in 0..10 {
        u.send_to(b"hello petrel", ("127.0.0.1", udp)).unwrap();
        let mut buf = [0u8; 64];
        if let Ok((n, from)) = u.recv_from(&mut buf) {
            assert_eq!(&buf[..n], b"hello petrel");
            assert_eq!(from.port(), udp);
            echoed = true;
            break;
        }
    }
    assert!(echoed, "no UDP echo");

    p.signal("-TERM");
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    // Services that do not exist yet claim nothing.
    assert!(!stderr.contains("http"), "{stderr}");
}

#[test]
fn sigint_also_exits_cleanly() {
    let (tcp, udp) = (free_port(), free_port());
    let cfg = echo_config(tcp, udp);
    let mut p = Petrel::start(&["--config", cfg.path(), "--only", "echo"]);
    p.expect_line("echo udp listening");
    p.signal("-INT");
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn unknown_field_is_exit_2_naming_the_field() {
    let cfg = TempConfig::new("[echo]\nenabled = true\nbogus = 1\n");
    let mut p = Petrel::start(&["--config", cfg.path(), "--only", "echo"]);
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(cfg.path()), "{stderr}");
    assert!(stderr.contains("echo.bogus: unknown field"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn bad_address_is_exit_2_naming_the_field() {
    let cfg = TempConfig::new("[echo]\ntcp = \"127.0.0.1:notaport\"\n");
    let mut p = Petrel::start(&["--config", cfg.path(), "--only", "echo"]);
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "config {}: echo.tcp: invalid socket address syntax",
            cfg.path()
        )),
        "{stderr}"
    );
}

#[test]
fn port_in_use_is_exit_1_with_a_clear_message() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = holder.local_addr().unwrap().port();
    let cfg = echo_config(tcp, free_port());
    let mut p = Petrel::start(&["--config", cfg.path(), "--only", "echo"]);
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "echo tcp: cannot listen on 127.0.0.1:{tcp}: address in use"
        )),
        "{stderr}"
    );
    drop(holder);
}

#[test]
fn default_config_prints_and_parses_back() {
    let mut p = Petrel::start(&["--print-default-config"]);
    let out = p.stdout();
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let table: toml::Table = toml::from_str(&out).unwrap();
    for section in [
        "device", "http", "https", "snmp", "tftp", "iperf", "echo", "mqtt", "mdns", "netbios",
    ] {
        assert!(table.contains_key(section), "{section} missing:\n{out}");
    }
    assert_eq!(table["echo"]["tcp"].as_str(), Some("127.0.0.1:7007"));
    assert_eq!(table["http"]["listen"].as_str(), Some("127.0.0.1:8080"));
    assert_eq!(table["mqtt"]["enabled"].as_bool(), Some(false));
}

#[test]
fn tap_that_cannot_be_opened_is_a_clear_error() {
    // An interface name longer than IFNAMSIZ can never be opened (and, unlike
    // a plausible name, cannot create a stray interface when run as root).
    let mut p = Petrel::start(&["--tap", "no-such-tap-interface0", "--ip", "198.51.100.2/24"]);
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--tap no-such-tap-interface0: cannot open"),
        "{stderr}"
    );
}

#[test]
fn tap_without_addressing_is_a_usage_error() {
    let mut p = Petrel::start(&["--tap", "tap0"]);
    let (status, _) = p.wait();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn bad_command_line_is_exit_2() {
    let mut p = Petrel::start(&["--log-level", "loud"]);
    let (status, _) = p.wait();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn only_with_an_unknown_service_is_exit_2() {
    let mut p = Petrel::start(&["--only", "echo,gopher"]);
    let (status, stderr) = p.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown service `gopher`"), "{stderr}");
}
