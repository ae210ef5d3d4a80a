//! # petrel-interop — helpers for Petrel's interop tests
//!
//! Interop tests start their own real peers (curl, net-snmp, mosquitto, …)
//! and talk to Petrel only on 127.0.0.1 or inside network namespaces they
//! create (198.51.100.0/24, 203.0.113.0/24 — see `shared/PEERS.md`). This crate
//! holds what every such test needs, so each one stays short and always cleans
//! up:
//!
//! - [`Netns`]: a network namespace with a TAP device, deleted on drop (also
//!   when the test panics);
//! - [`Proc`]: a child process killed on drop, with bounded waits for its
//!   output;
//! - [`free_port`]: an unused port on 127.0.0.1;
//! - [`wait_until`]: a bounded poll loop.
//!
//! ```no_run
//! use petrel_interop::{Netns, Proc};
//! use std::time::Duration;
//!
//! let ns = Netns::with_tap("198.51.100.1/24").expect("needs root");
//! let mut peer = Proc::spawn(ns.command("python3").args(["-m", "http.server"])).unwrap();
//! peer.wait_for_output("Serving", Duration::from_secs(5)).unwrap();
//! // … both dropped here: the peer is killed, the namespace deleted.
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Why a helper failed.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn run(cmd: &mut Command) -> Result<(), Error> {
    let out = cmd.output().map_err(|e| Error(format!("{cmd:?}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error(format!(
            "{cmd:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Whether this process may create network namespaces (root).
pub fn can_make_namespaces() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Returns `true` when namespace tests must be skipped because the developer
/// asked for it (`PETREL_NO_NETNS=1`); panics with a clear message when they
/// cannot run for lack of root. CI runs as root, so there they always run.
pub fn skip_netns_tests() -> bool {
    if std::env::var_os("PETREL_NO_NETNS").is_some_and(|v| v == "1") {
        eprintln!("PETREL_NO_NETNS=1: namespace test skipped");
        return true;
    }
    assert!(
        can_make_namespaces(),
        "this test creates a network namespace and needs root (run scripts/test.sh as root, \
         or set PETREL_NO_NETNS=1 to skip it)"
    );
    false
}

static NS_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A network namespace created for one test, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates an empty namespace with its loopback up.
    pub fn new() -> Result<Netns, Error> {
        let n = NS_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("petrel-{}-{n}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = Netns { name };
        run(Command::new("ip").args(["-n", &ns.name, "link", "set", "lo", "up"]))?;
        Ok(ns)
    }

    /// Creates a namespace with a TAP device `tap0` whose kernel side has
    /// `kernel_cidr` (e.g. "198.51.100.1/24"). Petrel opens `tap0` inside the
    /// namespace and answers as another address of the subnet.
    pub fn with_tap(kernel_cidr: &str) -> Result<Netns, Error> {
        Self::check_cidr(kernel_cidr)?;
        let ns = Netns::new()?;
        let n = ns.name.clone();
        run(Command::new("ip").args(["-n", &n, "tuntap", "add", "dev", "tap0", "mode", "tap"]))?;
        run(Command::new("ip").args(["-n", &n, "addr", "add", kernel_cidr, "dev", "tap0"]))?;
        run(Command::new("ip").args(["-n", &n, "link", "set", "tap0", "up"]))?;
        Ok(ns)
    }

    /// Refuses anything outside the two documentation ranges tests may use.
    fn check_cidr(cidr: &str) -> Result<(), Error> {
        if cidr.starts_with("198.51.100.") || cidr.starts_with("203.0.113.") {
            Ok(())
        } else {
            Err(Error(format!(
                "{cidr}: namespace tests use only 198.51.100.0/24 or 203.0.113.0/24"
            )))
        }
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Runs `program args…` inside the namespace to completion with a time
    /// limit; returns its status and combined output.
    pub fn run(
        &self,
        program: &str,
        args: &[&str],
        limit: Duration,
    ) -> Result<(ExitStatus, String), Error> {
        let mut cmd = self.command(program);
        cmd.args(args);
        run_with_limit(&mut cmd, limit)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Kill anything still running inside, then delete the namespace.
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Runs a command to completion, killing it after `limit`.
pub fn run_with_limit(cmd: &mut Command, limit: Duration) -> Result<(ExitStatus, String), Error> {
    let mut p = Proc::spawn(cmd)?;
    let status = p.wait_timeout(limit)?;
    Ok((status, p.output()))
}

/// A child process whose stdout and stderr are collected in the background;
/// killed on drop.
pub struct Proc {
    child: Child,
    output: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
    readers: Vec<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Proc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proc")
            .field("pid", &self.child.id())
            .finish()
    }
}

impl Proc {
    /// Starts `cmd` with piped output.
    pub fn spawn(cmd: &mut Command) -> Result<Proc, Error> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error(format!("{cmd:?}: {e}")))?;
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = mpsc::channel();
        let pipes: Vec<Box<dyn Read + Send>> = vec![
            Box::new(child.stdout.take().expect("piped")),
            Box::new(child.stderr.take().expect("piped")),
        ];
        let mut readers = Vec::new();
        for pipe in pipes {
            let output = output.clone();
            let tx = tx.clone();
            readers.push(thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut o) = output.lock() {
                        o.push_str(&line);
                        o.push('\n');
                    }
                    let _ = tx.send(line);
                }
            }));
        }
        Ok(Proc {
            child,
            output,
            lines,
            readers,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it printed so far (stdout and stderr, interleaved by line).
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// Waits until a line containing `needle` is printed, at most `limit`.
    pub fn wait_for_output(&mut self, needle: &str, limit: Duration) -> Result<String, Error> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(_) => {}
                Err(_) => {
                    return Err(Error(format!(
                        "no line containing {needle:?} within {limit:?}; output so far:\n{}",
                        self.output()
                    )));
                }
            }
        }
    }

    /// Waits for the process to exit, at most `limit` (then kills it and
    /// reports a time-out).
    pub fn wait_timeout(&mut self, limit: Duration) -> Result<ExitStatus, Error> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| Error(e.to_string()))? {
                // Let the reader threads drain the pipes: they end at EOF,
                // which comes once the child (and anything it left holding
                // the pipes) is gone. Bounded, so a stray grandchild cannot
                // hang the test.
                let drained = Instant::now() + Duration::from_secs(5);
                while !self.readers.iter().all(|r| r.is_finished()) && Instant::now() < drained {
                    thread::sleep(Duration::from_millis(5));
                }
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(Error(format!(
                    "process did not exit within {limit:?}; output:\n{}",
                    self.output()
                )));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0 and
/// release). Used for peers that cannot report the port they chose.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Polls `f` every 20 ms until it returns `Some`, at most `limit`.
pub fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `program` is on the PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `openssl s_client` against `127.0.0.1:port`, trusting `ca` and with
/// certificate verification enforced, plus `extra` arguments. Sends `input`,
/// waits (at most `limit`) until as many bytes came back — the servers under
/// test echo —, closes stdin so s_client sends close_notify, and returns
/// (what came back, its stderr, its exit code; `None` if it had to be killed).
pub fn s_client(
    port: u16,
    ca: &std::path::Path,
    extra: &[&str],
    input: &[u8],
    limit: Duration,
) -> (Vec<u8>, String, Option<i32>) {
    use std::io::Write;
    let connect = format!("127.0.0.1:{port}");
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &connect,
            "-verify_return_error",
            "-brief",
            "-CAfile",
        ])
        .arg(ca)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        unreachable!("all three pipes were requested");
    };
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let _ = stdin.write_all(input);
    let _ = stdin.flush();
    let mut out = Vec::new();
    let deadline = Instant::now() + limit;
    while out.len() < input.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left) {
            Ok(chunk) => out.extend_from_slice(&chunk),
            Err(_) => break,
        }
    }
    drop(stdin);
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    (out, err, code)
}

/// Writes a small PKI made with `openssl` into `dir`: a CA (`ca.pem`,
/// `ca.key`), a server certificate for `localhost` and 127.0.0.1 signed by
/// it (`srv.pem`, `srv.key`, readable by a peer that drops privileges), and
/// an unrelated CA (`other.pem`, `other.key`) for wrong-CA tests. EC P-256,
/// valid two days.
pub fn openssl_test_pki(dir: &std::path::Path) -> Result<(), Error> {
    const SCRIPT: &str = "\
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
          -out ca.pem -days 2 -subj /CN=petrel-test-ca && \
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
          -out other.pem -days 2 -subj /CN=other-ca && \
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
          -out srv.csr -subj /CN=localhost && \
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext && \
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
          -days 2 -extfile ext && \
        chmod 644 srv.key";
    let out = Command::new("sh")
        .args(["-c", SCRIPT])
        .current_dir(dir)
        .output()
        .map_err(|e| Error(format!("sh: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error(format!(
            "openssl test PKI: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_guard_refuses_other_ranges() {
        assert!(Netns::check_cidr("198.51.100.1/24").is_ok());
        assert!(Netns::check_cidr("203.0.113.9/24").is_ok());
        // Near misses of the allowed prefixes are refused too.
        assert!(Netns::check_cidr("198.51.10.1/24").is_err());
        assert!(Netns::check_cidr("203.0.11.3/24").is_err());
        assert!(Netns::check_cidr("10.0.0.1/8").is_err());
    }

    #[test]
    fn proc_output_and_timeout() {
        let mut p =
            Proc::spawn(Command::new("sh").args(["-c", "echo hello; echo oops >&2"])).unwrap();
        p.wait_for_output("hello", Duration::from_secs(5)).unwrap();
        let status = p.wait_timeout(Duration::from_secs(5)).unwrap();
        assert!(status.success());
        assert!(p.output().contains("oops"));
        let mut slow = Proc::spawn(Command::new("sleep").arg("30")).unwrap();
        assert!(slow.wait_timeout(Duration::from_millis(100)).is_err());
    }

    #[test]
    fn test_pki_verifies() {
        let dir = std::env::temp_dir().join(format!("petrel-pki-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        openssl_test_pki(&dir).unwrap();
        let ok = Command::new("openssl")
            .args(["verify", "-CAfile", "ca.pem", "srv.pem"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let wrong = Command::new("openssl")
            .args(["verify", "-CAfile", "other.pem", "srv.pem"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(ok.status.success());
        assert!(!wrong.status.success());
    }

    #[test]
    fn ports_are_nonzero() {
        assert_ne!(free_port(), 0);
        assert_ne!(free_udp_port(), 0);
    }
}
