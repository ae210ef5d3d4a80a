//! `petrel`'s iPerf 2 server against the real iperf 2.1.8 client, and
//! `petrel iperf -c` against the real `iperf -s`, on 127.0.0.1 and over
//! the TAP backend in a namespace (`apt-get install -y iperf`).
//!
//! `-d`/`-r` on one host: the client's reverse listener cannot share the
//! server's port, so the tests give it another with `-L`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod peers;

use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

use peers::{TempDir, WAIT, config, run, start_petrel};
use petrel_interop::{Netns, Proc, free_port, have, skip_netns_tests};

fn have_iperf() -> bool {
    let ok = have("iperf");
    if !ok {
        eprintln!("iperf missing (apt-get install -y iperf): skipped");
    }
    ok
}

/// A port free for TCP and UDP a moment ago.
fn free_both() -> u16 {
    loop {
        let p = free_port();
        if std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

fn start(dir: &TempDir, port: u16) -> Proc {
    start_petrel(
        dir,
        &config(&format!(
            "[iperf]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\ninterval_secs = 1\n"
        )),
        &format!("iperf listening on 127.0.0.1:{port} (tcp+udp)"),
        "iperf",
    )
}

/// The byte count of the first summary line with `word` ("received"/"sent").
fn summary_bytes(log: &str, word: &str) -> Option<u64> {
    let key = format!("(summary, {word} ");
    log.lines().find_map(|l| {
        let rest = &l[l.find(&key)? + key.len()..];
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn iperf(args: &[&str], limit: Duration) -> String {
    let (ok, out) = run(Command::new("iperf").args(args), limit);
    assert!(ok, "iperf {args:?}: {out}");
    out
}

#[test]
fn tcp_three_seconds_dual_and_tradeoff() {
    if !have_iperf() {
        return;
    }
    let dir = TempDir::new("iperf-tcp");
    let port = free_both();
    let mut petrel = start(&dir, port);
    let p = port.to_string();
    let out = iperf(
        &["-c", "127.0.0.1", "-p", &p, "-t", "3", "-i", "1"],
        Duration::from_secs(30),
    );
    assert!(out.contains("0.0000-3."), "{out}");
    petrel.wait_for_output("(summary, received", WAIT).unwrap();
    let log = petrel.output();
    assert!(summary_bytes(&log, "received").unwrap() > 10 << 20, "{log}");
    assert!(log.contains("1.0000-2.0000 sec"), "interval lines: {log}");

    // -d: both directions at once; the server connects back to -L.
    let l = free_port().to_string();
    let out = iperf(
        &["-c", "127.0.0.1", "-p", &p, "-t", "2", "-d", "-L", &l],
        Duration::from_secs(30),
    );
    assert!(
        out.contains(&format!("local 127.0.0.1 port {l} connected")),
        "{out}"
    );
    petrel.wait_for_output("(summary, sent", WAIT).unwrap();

    // -r: the reverse test after ours.
    let l = free_port().to_string();
    let out = iperf(
        &["-c", "127.0.0.1", "-p", &p, "-t", "1", "-r", "-L", &l],
        Duration::from_secs(30),
    );
    let reverse = out
        .lines()
        .filter(|l| l.contains("[  2]") && l.contains("sec"))
        .count();
    assert!(reverse >= 1, "{out}");
    let log = petrel.output();
    assert!(log.matches("(summary, sent").count() >= 2, "{log}");
    assert!(log.contains("reverse test (Tradeoff)"), "{log}");
}

#[test]
fn udp_fifty_megabit_with_server_report() {
    if !have_iperf() {
        return;
    }
    let dir = TempDir::new("iperf-udp");
    let port = free_both();
    let mut petrel = start(&dir, port);
    let out = iperf(
        &[
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-u",
            "-b",
            "50M",
            "-t",
            "2",
        ],
        Duration::from_secs(30),
    );
    assert!(out.contains("Server Report"), "{out}");
    let line = petrel.wait_for_output("iperf udp 127.0.0.1", WAIT).unwrap();
    // About 50 Mbit/s for 2 s: ~12 MB.
    let got = summary_bytes(&line, "received").unwrap();
    assert!(got > 8_000_000, "{line}");
    assert!(out.contains(" 0/") || out.contains("/"), "{out}");
}

#[test]
fn five_gibibytes_are_counted_past_four_gibibytes() {
    if !have_iperf() {
        return;
    }
    let dir = TempDir::new("iperf-5g");
    let port = free_both();
    let mut petrel = start(&dir, port);
    iperf(
        &["-c", "127.0.0.1", "-p", &port.to_string(), "-n", "5G"],
        Duration::from_secs(300),
    );
    petrel
        .wait_for_output("(summary, received", Duration::from_secs(30))
        .unwrap();
    assert_eq!(summary_bytes(&petrel.output(), "received"), Some(5 << 30));
}

#[test]
fn hostile_headers_are_refused_and_service_goes_on() {
    if !have_iperf() {
        return;
    }
    let dir = TempDir::new("iperf-hostile");
    let port = free_both();
    let mut petrel = start(&dir, port);
    let hostile: [&[u8]; 4] = [
        // HEADER_VERSION1 with numThreads = -1 and mPort = 70000.
        &[
            0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 1, 0x11, 0x70, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0,
        ],
        // Extended header, 1 thread, port 99999.
        &[
            0x40, 0x01, 0xff, 0xfe, 0, 0, 0, 1, 0, 1, 0x86, 0x9f, 0x7f, 0xff, 0xff, 0xff,
        ],
        // Truncated header, then close.
        &[0xc0, 0x01],
        // A reverse request with an absurd duration to a closed port.
        &[
            0xc0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0,
        ],
    ];
    for h in hostile {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(h).unwrap();
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        // The server closes (or resets) the connection: no hang.
        let _ = s.read_to_end(&mut sink);
    }
    petrel.wait_for_output("bad client header", WAIT).unwrap();
    // UDP garbage is ignored.
    let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for g in [&b""[..], b"\x00", &[0xff; 40], &[0x80; 1500]] {
        u.send_to(g, ("127.0.0.1", port)).unwrap();
    }
    let out = iperf(
        &["-c", "127.0.0.1", "-p", &port.to_string(), "-t", "1"],
        Duration::from_secs(30),
    );
    assert!(out.contains("0.0000-1."), "{out}");
    let log = petrel.output();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn petrel_iperf_client_against_real_iperf_server() {
    if !have_iperf() {
        return;
    }
    let port = free_both();
    let mut server =
        Proc::spawn(Command::new("iperf").args(["-s", "-p", &port.to_string(), "-B", "127.0.0.1"]))
            .unwrap();
    server.wait_for_output("Server listening", WAIT).unwrap();
    let (ok, out) = run(
        Command::new(env!("CARGO_BIN_EXE_petrel")).args([
            "iperf",
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "2",
            "-i",
            "1",
        ]),
        Duration::from_secs(30),
    );
    assert!(ok, "{out}");
    assert!(out.contains("0.0000-1.0000 sec"), "{out}");
    assert!(out.contains("(summary, sent"), "{out}");
    // The real server's summary covers our two seconds (its own clock says
    // e.g. 1.9996 or 2.0003 s; timing on a loaded machine is not exact).
    let line = server.wait_for_output(" sec ", WAIT).unwrap();
    let end: f64 = line
        .split("0.0000-")
        .nth(1)
        .and_then(|r| r.split(" sec").next())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("no interval in {line:?}"));
    assert!((1.8..=2.6).contains(&end), "{line}");
    drop(server);

    // -r against iperf -s: iperf connects back to our -L port.
    let mut server =
        Proc::spawn(Command::new("iperf").args(["-s", "-p", &port.to_string(), "-B", "127.0.0.1"]))
            .unwrap();
    server.wait_for_output("Server listening", WAIT).unwrap();
    let l = free_port().to_string();
    let (ok, out) = run(
        Command::new(env!("CARGO_BIN_EXE_petrel")).args([
            "iperf",
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "1",
            "-r",
            "-L",
            &l,
        ]),
        Duration::from_secs(30),
    );
    assert!(ok, "{out}\nserver: {}", server.output());
    assert!(out.contains("(summary, received"), "{out}");
    drop(server);

    // UDP: the real server's report comes back.
    let mut server = Proc::spawn(Command::new("iperf").args([
        "-s",
        "-u",
        "-p",
        &port.to_string(),
        "-B",
        "127.0.0.1",
    ]))
    .unwrap();
    server.wait_for_output("Server listening", WAIT).unwrap();
    let (ok, out) = run(
        Command::new(env!("CARGO_BIN_EXE_petrel")).args([
            "iperf",
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-u",
            "-b",
            "10M",
            "-t",
            "2",
        ]),
        Duration::from_secs(30),
    );
    assert!(ok, "{out}\nserver: {}", server.output());
    assert!(out.contains("Server Report"), "{out}");
}

#[test]
fn tap_tcp_test_in_a_namespace() {
    if !have_iperf() || skip_netns_tests() {
        return;
    }
    let dir = TempDir::new("iperf-tap");
    let cfg = dir.join("petrel.toml");
    std::fs::write(
        &cfg,
        config("[iperf]\nenabled = true\nlisten = \"127.0.0.1:5001\"\ninterval_secs = 1\n"),
    )
    .unwrap();
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args([
        "--tap",
        "tap0",
        "--ip",
        "198.51.100.2/24",
        "--only",
        "iperf",
        "--config",
    ])
    .arg(&cfg);
    let mut petrel = Proc::spawn(&mut cmd).unwrap();
    petrel
        .wait_for_output("iperf listening on 198.51.100.2:5001 (tcp+udp)", WAIT)
        .unwrap();
    let (status, out) = ns
        .run(
            "iperf",
            &["-c", "198.51.100.2", "-p", "5001", "-t", "3", "-i", "1"],
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(status.success(), "{out}\npetrel: {}", petrel.output());
    assert!(out.contains("0.0000-3."), "{out}");
    petrel.wait_for_output("(summary, received", WAIT).unwrap();
    assert!(summary_bytes(&petrel.output(), "received").unwrap() > 1 << 20);
}
