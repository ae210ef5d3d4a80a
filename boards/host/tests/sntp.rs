//! `[sntp]`: `petrel` syncing to chronyd — unicast on a loopback port, and
//! broadcast listen-only mode on `petrel --tap` in a namespace where
//! chronyd broadcasts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use petrel_interop::{Netns, Proc, free_udp_port, have, skip_netns_tests};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("petrel-sntp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// chronyd serving its own clock (`local stratum 8`) without touching it.
fn chrony_conf(dir: &Path, lines: &str) -> PathBuf {
    let conf = dir.join("chrony.conf");
    std::fs::write(
        &conf,
        format!(
            "{lines}local stratum 8\ncmdport 0\npidfile {d}/chronyd.pid\ndriftfile {d}/drift\n",
            d = dir.display()
        ),
    )
    .unwrap();
    conf
}

/// The offset in ms from a "sntp: synced to … offset +0.123 ms" log line.
fn offset_ms(line: &str) -> f64 {
    let rest = line.split("offset ").nth(1).expect("offset in the line");
    rest.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn petrel_syncs_to_chronyd_on_loopback() {
    if !have("chronyd") {
        eprintln!("chronyd not installed: skipped");
        return;
    }
    let dir = tmpdir("unicast");
    let port = free_udp_port();
    let conf = chrony_conf(
        &dir,
        &format!("port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\n"),
    );
    let mut chrony =
        Proc::spawn(Command::new("chronyd").args(["-x", "-d", "-f"]).arg(&conf)).unwrap();
    chrony
        .wait_for_output("chronyd version", Duration::from_secs(5))
        .unwrap();
    let cfg = dir.join("petrel.toml");
    // An unresolvable name first: skipped with a warning, the next is used.
    std::fs::write(
        &cfg,
        format!(
            "[sntp]\nenabled = true\nservers = [\"no-such-host.invalid\", \"127.0.0.1:{port}\"]\npoll_interval_secs = 16\n"
        ),
    )
    .unwrap();
    let mut petrel = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_petrel"))
            .args(["--only", "sntp", "--config"])
            .arg(&cfg),
    )
    .unwrap();
    let line = petrel
        .wait_for_output(
            &format!("sntp: synced to 127.0.0.1:{port} stratum 8"),
            Duration::from_secs(20),
        )
        .unwrap_or_else(|e| panic!("{e}\nchronyd: {}", chrony.output()));
    let line = line
        .lines()
        .find(|l| l.contains("synced to"))
        .unwrap()
        .to_string();
    // Same machine, same clock: the measured offset is within a few ms.
    let off = offset_ms(&line);
    assert!(off.abs() < 5.0, "{line}");
    assert!(
        petrel
            .output()
            .contains("cannot resolve no-such-host.invalid")
    );
    assert!(petrel.output().contains("sntp on 0.0.0.0:"));
    petrel.terminate();
    let _ = petrel.wait_timeout(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn petrel_listens_to_chronyd_broadcasts_on_the_tap() {
    if skip_netns_tests() || !have("chronyd") {
        eprintln!("needs namespaces and chronyd: skipped");
        return;
    }
    let dir = tmpdir("broadcast");
    let conf = chrony_conf(
        &dir,
        "port 11123\nbindaddress 198.51.100.1\nallow 198.51.100.0/24\nbroadcast 2 198.51.100.255 123\n",
    );
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let cfg = dir.join("petrel.toml");
    std::fs::write(
        &cfg,
        "[sntp]\nenabled = true\nbroadcast = true\nlisten = \"0.0.0.0:123\"\n",
    )
    .unwrap();
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args(["--tap", "tap0", "--ip", "198.51.100.2/24", "--only", "sntp"])
        .args(["--log-level", "debug", "--config"])
        .arg(&cfg);
    let mut petrel = Proc::spawn(&mut cmd).unwrap();
    petrel
        .wait_for_output("sntp on 0.0.0.0:123 (broadcast", Duration::from_secs(20))
        .unwrap();
    let chrony = Proc::spawn(ns.command("chronyd").args(["-x", "-d", "-f"]).arg(&conf)).unwrap();
    // Two broadcasts (2 s apart): both are synced on, the offsets are small.
    let mut offsets = Vec::new();
    for _ in 0..2 {
        let out = petrel
            .wait_for_output("sntp: synced to 198.51.100.1:", Duration::from_secs(15))
            .unwrap_or_else(|e| panic!("{e}\nchronyd: {}", chrony.output()));
        let line = out.lines().rfind(|l| l.contains("synced to")).unwrap();
        assert!(line.contains("stratum 8"), "{line}");
        offsets.push(offset_ms(line));
    }
    // Broadcast mode cannot measure the path delay: the offset includes
    // the one-way trip through the TAP (well under a few ms here).
    assert!(offsets.iter().all(|o| o.abs() < 5.0), "{offsets:?}");
    chrony.terminate();
    petrel.terminate();
    let _ = petrel.wait_timeout(Duration::from_secs(5));
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dhcp_option_42_servers_are_added_to_the_configured_ones() {
    if skip_netns_tests() || !have("chronyd") || !have("dnsmasq") {
        eprintln!("needs namespaces, chronyd and dnsmasq: skipped");
        return;
    }
    let dir = tmpdir("dhcp");
    let conf = chrony_conf(
        &dir,
        "port 123\nbindaddress 198.51.100.1\nallow 198.51.100.0/24\n",
    );
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let _chrony = Proc::spawn(ns.command("chronyd").args(["-x", "-d", "-f"]).arg(&conf)).unwrap();
    let mut server = ns.command("dnsmasq");
    server
        .args([
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--user=root",
            "--port=0",
            "--interface=tap0",
            "--bind-interfaces",
            "--dhcp-range=198.51.100.50,198.51.100.59,255.255.255.0,1h",
            "--dhcp-option=option:ntp-server,198.51.100.1",
        ])
        .arg(format!("--dhcp-leasefile={}", dir.join("leases").display()))
        .arg(format!("--pid-file={}", dir.join("dnsmasq.pid").display()));
    let mut dnsmasq = Proc::spawn(&mut server).unwrap();
    dnsmasq
        .wait_for_output("DHCP, IP range", Duration::from_secs(10))
        .unwrap();
    // A configured server that never answers (a port nobody listens on)
    // comes first; the DHCP one is added after it, and is the one that
    // answers. (Not an address without a host: smoltcp keeps a datagram
    // whose neighbour never resolves at the head of the socket's queue,
    // which would hold back the requests behind it.)
    let cfg = dir.join("petrel.toml");
    std::fs::write(
        &cfg,
        "[sntp]\nenabled = true\nservers = [\"198.51.100.1:11124\"]\npoll_interval_secs = 16\n",
    )
    .unwrap();
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args(["--tap", "tap0", "--dhcp", "--only", "sntp", "--config"])
        .arg(&cfg);
    let mut petrel = Proc::spawn(&mut cmd).unwrap();
    petrel
        .wait_for_output(
            "sntp: servers from DHCP: [198.51.100.1]",
            Duration::from_secs(30),
        )
        .unwrap_or_else(|e| panic!("{e}\ndnsmasq: {}", dnsmasq.output()));
    let out = petrel
        .wait_for_output(
            "sntp: synced to 198.51.100.1:123 stratum 8",
            Duration::from_secs(20),
        )
        .unwrap();
    let line = out.lines().rfind(|l| l.contains("synced to")).unwrap();
    assert!(offset_ms(line).abs() < 5.0, "{line}");
    petrel.terminate();
    let _ = petrel.wait_timeout(Duration::from_secs(5));
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}
