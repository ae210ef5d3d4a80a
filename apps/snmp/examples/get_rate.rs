//! A Get-request load generator with one request outstanding, for
//! comparing agents on the same machine:
//!
//! ```text
//! cargo run --release -p petrel-snmp --example get_rate -- 127.0.0.1:1161 5 [AGENT_PID]
//! ```
//!
//! Sends `snmpget -v2c -c public 1.3.6.1.2.1.1.1.0` (bytes captured from
//! net-snmp 5.9.3) as fast as answers come back for the given seconds and
//! prints requests/s; with the agent's pid, also its user and system CPU
//! time per request from `/proc/PID/stat`.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

/// net-snmp 5.9.3: `snmpget -v2c -c public 1.3.6.1.2.1.1.1.0`.
const GET: &[u8] = b"\x30\x29\x02\x01\x01\x04\x06public\xa0\x1c\x02\x04\x76\x72\xce\xe8\
\x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00";

/// (utime, stime) in clock ticks.
fn cpu(pid: &str) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?))
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let agent = args.next().unwrap_or_else(|| "127.0.0.1:1161".into());
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let pid = args.next();
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    sock.connect(&agent)?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = [0u8; 2048];
    // Warm up (and check the agent answers).
    sock.send(GET)?;
    sock.recv(&mut buf)?;
    let before = pid.as_deref().and_then(cpu);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        sock.send(GET)?;
        sock.recv(&mut buf)?;
        n += 1;
    }
    let t = start.elapsed().as_secs_f64();
    println!(
        "{agent}: {n} requests in {t:.2} s = {:.0} req/s",
        n as f64 / t
    );
    if let (Some((u0, s0)), Some((u1, s1))) = (before, pid.as_deref().and_then(cpu)) {
        // Clock ticks are 10 ms on Linux (USER_HZ = 100).
        let per = |d: u64| d as f64 * 10_000.0 / n as f64;
        println!(
            "agent CPU per request: {:.1} µs user, {:.1} µs sys",
            per(u1 - u0),
            per(s1 - s0)
        );
    }
    Ok(())
}
