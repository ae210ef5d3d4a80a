//! Shared by the TFTP and iPerf interop tests: a `petrel` started with a
//! temporary config (other services off), random files, raw UDP probes.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use petrel_interop::Proc;

/// How long any single wait may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("petrel-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `len` pseudo-random bytes (xorshift, seeded).
pub fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// The config text that turns everything off but `extra`'s sections.
pub fn config(extra: &str) -> String {
    format!(
        "[device]\nname = \"test\"\n\n[echo]\nenabled = false\n\n[https]\nenabled = false\n\n{extra}"
    )
}

/// Starts `petrel --config … --only SERVICE` (config written into `dir`) and
/// waits for `ready`. `--only` keeps every other service off, so parallel
/// tests never collide on default ports.
pub fn start_petrel(dir: &TempDir, config_text: &str, ready: &str, only: &str) -> Proc {
    let cfg = dir.join("petrel.toml");
    std::fs::write(&cfg, config_text).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_petrel"));
    cmd.arg("--config")
        .arg(&cfg)
        .args(["--only", only])
        .env_remove("RUST_LOG");
    let mut p = Proc::spawn(&mut cmd).unwrap();
    p.wait_for_output(ready, WAIT).unwrap();
    p
}

/// Runs a command to its end within `limit`; returns (success, output).
pub fn run(cmd: &mut std::process::Command, limit: Duration) -> (bool, String) {
    let mut p = Proc::spawn(cmd).unwrap();
    let status = p.wait_timeout(limit).unwrap();
    (status.success(), p.output())
}

/// Sends `packet` to 127.0.0.1:`port` and returns the first reply and its
/// source, if one comes within a second.
pub fn udp_probe(port: u16, packet: &[u8]) -> Option<(Vec<u8>, std::net::SocketAddr)> {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    s.send_to(packet, ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 2048];
    s.recv_from(&mut buf)
        .ok()
        .map(|(n, a)| (buf[..n].to_vec(), a))
}
