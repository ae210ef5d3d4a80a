//! `petrel --tap`: Linux peers in a network namespace talk to Petrel's own
//! smoltcp stack over a TAP device (198.51.100.1 kernel, 198.51.100.2 us).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Duration;

use petrel_interop::{Netns, Proc, skip_netns_tests};

/// A namespace with `petrel --tap tap0 --ip 198.51.100.2/24` running in it.
fn start() -> Option<(Netns, Proc)> {
    if skip_netns_tests() {
        return None;
    }
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args(["--tap", "tap0", "--ip", "198.51.100.2/24", "--only", "echo"]);
    let mut p = Proc::spawn(&mut cmd).expect("start petrel");
    p.wait_for_output(
        "echo udp listening on 198.51.100.2:7007",
        Duration::from_secs(20),
    )
    .expect("petrel starts on the TAP device");
    Some((ns, p))
}

const CLIENT: &str = r#"
import hashlib, os, socket, sys, threading
mode = sys.argv[1]
if mode == "tcp":
    data = os.urandom(1 << 20)
    s = socket.create_connection(("198.51.100.2", 7007), timeout=20)
    got = bytearray()
    def reader():
        while len(got) < len(data):
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join(30)
    ok = hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    print("tcp", len(got), "intact" if ok else "CORRUPT")
    sys.exit(0 if ok else 1)
else:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    for i in range(5):
        msg = b"datagram-%d" % i
        u.sendto(msg, ("198.51.100.2", 7007))
        got, peer = u.recvfrom(2048)
        assert got == msg and peer == ("198.51.100.2", 7007), (got, peer)
    print("udp ok")
"#;

#[test]
fn tap_tcp_echo_of_one_mib_udp_echo_and_ping() {
    let Some((ns, petrel)) = start() else { return };

    let (status, out) = ns
        .run(
            "ping",
            &["-c", "3", "-W", "2", "198.51.100.2"],
            Duration::from_secs(15),
        )
        .unwrap();
    assert!(status.success(), "ping: {out}\npetrel: {}", petrel.output());
    assert!(out.contains("3 received"), "{out}");

    let (status, out) = ns
        .run("python3", &["-c", CLIENT, "tcp"], Duration::from_secs(60))
        .unwrap();
    assert!(
        status.success(),
        "tcp echo: {out}\npetrel: {}",
        petrel.output()
    );
    assert!(out.contains("tcp 1048576 intact"), "{out}");

    let (status, out) = ns
        .run("python3", &["-c", CLIENT, "udp"], Duration::from_secs(20))
        .unwrap();
    assert!(status.success(), "udp echo: {out}");
    assert!(out.contains("udp ok"), "{out}");
}

#[test]
fn tap_closed_port_is_refused_and_service_survives() {
    let Some((ns, petrel)) = start() else { return };
    let probe = r#"
import socket
try:
    socket.create_connection(("198.51.100.2", 4444), timeout=5)
    print("connected?!")
except ConnectionRefusedError:
    print("refused")
s = socket.create_connection(("198.51.100.2", 7007), timeout=5)
s.sendall(b"still here")
print(s.recv(100).decode())
"#;
    let (status, out) = ns
        .run("python3", &["-c", probe], Duration::from_secs(20))
        .unwrap();
    assert!(status.success(), "{out}\npetrel: {}", petrel.output());
    assert!(
        out.contains("refused") && out.contains("still here"),
        "{out}"
    );
    drop(petrel);
    // The namespace guard removes everything; prove the name is gone.
    let name = ns.name().to_string();
    drop(ns);
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&list.stdout).contains(&name));
}

#[test]
fn tap_dhcp_lease_from_dnsmasq() {
    if skip_netns_tests() {
        return;
    }
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let dir = std::env::temp_dir().join(format!("petrel-dhcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let leases = dir.join("leases");
    let mut server = ns.command("dnsmasq");
    server.args([
        "--no-daemon",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--user=root",
        "--port=0",
        "--interface=tap0",
        "--bind-interfaces",
        "--dhcp-range=198.51.100.50,198.51.100.59,255.255.255.0,1h",
        "--dhcp-option=option:router,198.51.100.1",
        "--dhcp-option=option:dns-server,198.51.100.1",
        "--log-dhcp",
    ]);
    server.arg(format!("--dhcp-leasefile={}", leases.display()));
    server.arg(format!("--pid-file={}", dir.join("pid").display()));
    let mut dnsmasq = Proc::spawn(&mut server).expect("start dnsmasq");
    dnsmasq
        .wait_for_output("DHCP, IP range", Duration::from_secs(10))
        .expect("dnsmasq serves DHCP");

    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args(["--tap", "tap0", "--dhcp", "--only", "echo"]);
    let mut petrel = Proc::spawn(&mut cmd).expect("start petrel");
    let line = petrel
        .wait_for_output("smoltcp stack at", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\ndnsmasq: {}", dnsmasq.output()));
    assert!(
        line.contains("at 198.51.100.5") && line.contains("gateway 198.51.100.1"),
        "{line}"
    );
    assert!(line.contains("dns [198.51.100.1]"), "{line}");
    let addr = line
        .split("stack at ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap()
        .to_string();
    petrel
        .wait_for_output("echo tcp listening", Duration::from_secs(10))
        .unwrap();
    // The lease is real: Linux reaches the leased address.
    let probe = format!(
        "import socket; s=socket.create_connection(('{addr}', 7007), timeout=5); \
         s.sendall(b'leased'); print(s.recv(16).decode())"
    );
    let (status, out) = ns
        .run("python3", &["-c", &probe], Duration::from_secs(20))
        .unwrap();
    assert!(status.success() && out.contains("leased"), "{out}");
    let lease_file = std::fs::read_to_string(&leases).unwrap_or_default();
    assert!(lease_file.contains(&addr), "lease file: {lease_file}");
    drop(petrel);
    drop(dnsmasq);
    let _ = std::fs::remove_dir_all(&dir);
}
