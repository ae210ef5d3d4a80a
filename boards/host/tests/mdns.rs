//! mDNS / DNS-SD against real peers in a network namespace: `petrel --tap`
//! (its own smoltcp stack, 198.51.100.2) and, on the kernel side
//! (198.51.100.1), python-zeroconf, avahi-daemon with avahi-resolve and
//! avahi-browse (each with its own D-Bus system bus and a private /run), and
//! dig for legacy unicast.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use petrel_interop::{Netns, Proc, have, skip_netns_tests};

const IP: &str = "198.51.100.2";

/// A temp directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "petrel-mdns-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CONFIG: &str = r#"
[device]
name = "petrel"
[mdns]
enabled = true
[[mdns.services]]
instance = "Petrel dashboard"
type = "_http._tcp"
port = 8080
txt = ["path=/"]
"#;

fn peers_present() -> bool {
    if skip_netns_tests() {
        return false;
    }
    for p in [
        "avahi-daemon",
        "avahi-browse",
        "dbus-daemon",
        "dig",
        "python3",
    ] {
        assert!(have(p), "{p} missing: run scripts/install-peers.sh");
    }
    true
}

fn namespace() -> Netns {
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    // Multicast from the kernel side leaves through tap0.
    let ok = Command::new("ip")
        .args([
            "-n",
            ns.name(),
            "route",
            "add",
            "224.0.0.0/4",
            "dev",
            "tap0",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    ns
}

/// Starts petrel in `ns`; returns once it printed `wait_for`.
fn petrel(ns: &Netns, dir: &Path, wait_for: &str) -> Proc {
    let conf = dir.join("petrel.toml");
    std::fs::write(&conf, CONFIG).unwrap();
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args(["--tap", "tap0", "--ip", "198.51.100.2/24", "--only", "mdns"])
        .arg("--config")
        .arg(&conf);
    let mut p = Proc::spawn(&mut cmd).expect("start petrel");
    p.wait_for_output(wait_for, Duration::from_secs(20))
        .expect("petrel claims its name");
    p
}

/// dbus-daemon and avahi-daemon inside the namespace, own configs, a
/// private /run (avahi keeps its pid file in /run/avahi-daemon).
struct Avahi {
    _avahi: Proc,
    _dbus: Proc,
    bus: String,
}

fn avahi(ns: &Netns, dir: &Path, host_name: &str) -> Avahi {
    let conf = dir.join("avahi.conf");
    std::fs::write(
        &conf,
        format!(
            "[server]\nhost-name={host_name}\nuse-ipv4=yes\nuse-ipv6=no\n\
             allow-interfaces=tap0\nenable-dbus=yes\n\
             [wide-area]\nenable-wide-area=no\n\
             [publish]\npublish-addresses=yes\npublish-hinfo=no\n\
             publish-workstation=no\npublish-domain=no\npublish-aaaa-on-ipv4=no\n\
             [reflector]\nenable-reflector=no\n"
        ),
    )
    .unwrap();
    let bus_path = dir.join("bus");
    let bus = format!("unix:path={}", bus_path.display());
    let mut dbus = ns.command("dbus-daemon");
    dbus.args([
        "--config-file=/usr/share/dbus-1/system.conf",
        &format!("--address={bus}"),
        "--nofork",
        "--nopidfile",
    ]);
    let dbus = Proc::spawn(&mut dbus).unwrap();
    petrel_interop::wait_until(Duration::from_secs(5), || bus_path.exists().then_some(()))
        .expect("dbus socket");
    let mut cmd = ns.command("sh");
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", &bus).args([
        "-c",
        &format!(
            "mount -t tmpfs tmpfs /run && exec avahi-daemon -f {} --no-drop-root --no-chroot --no-rlimits",
            conf.display()
        ),
    ]);
    let mut a = Proc::spawn(&mut cmd).unwrap();
    a.wait_for_output("Server startup complete", Duration::from_secs(15))
        .expect("avahi-daemon starts");
    Avahi {
        _avahi: a,
        _dbus: dbus,
        bus,
    }
}

fn avahi_tool(ns: &Netns, av: &Avahi, args: &[&str]) -> String {
    let mut cmd = ns.command(args[0]);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", &av.bus).args(&args[1..]);
    let (status, out) = petrel_interop::run_with_limit(&mut cmd, Duration::from_secs(15)).unwrap();
    assert!(status.success(), "{args:?}: {out}");
    out
}

const ZEROCONF_BROWSE: &str = r#"
import time
from zeroconf import Zeroconf, ServiceBrowser
zc = Zeroconf(interfaces=["198.51.100.1"])
names = []
class L:
    def add_service(self, z, t, n): names.append(n)
    def remove_service(self, z, t, n): pass
    def update_service(self, z, t, n): pass
ServiceBrowser(zc, "_http._tcp.local.", L())
deadline = time.time() + 10
while not names and time.time() < deadline:
    time.sleep(0.05)
for n in names:
    info = zc.get_service_info("_http._tcp.local.", n, timeout=3000)
    print("service", n, info.server, info.port, info.parsed_addresses(), info.properties)
# Host name resolution (A) on its own.
from zeroconf import AddressResolver
r = AddressResolver("petrel.local.")
print("host", r.request(zc, 3000), r.parsed_addresses())
zc.close()
"#;

#[test]
fn mdns_resolved_and_browsed_by_zeroconf_avahi_and_dig() {
    if !peers_present() {
        return;
    }
    let dir = TempDir::new();
    let ns = namespace();
    let started = Instant::now();
    let p = petrel(&ns, &dir.0, "mdns: claimed petrel.local");
    eprintln!("claimed after {:?}", started.elapsed());

    // python-zeroconf: browse _http._tcp, resolve the instance and the host.
    let (status, out) = ns
        .run("python3", &["-c", ZEROCONF_BROWSE], Duration::from_secs(30))
        .unwrap();
    assert!(status.success(), "{out}\npetrel: {}", p.output());
    assert!(
        out.contains(
            "service Petrel dashboard._http._tcp.local. petrel.local. 8080 ['198.51.100.2'] {b'path': b'/'}"
        ),
        "{out}"
    );
    assert!(out.contains("host True ['198.51.100.2']"), "{out}");

    // avahi: forward and reverse resolution, browsing with TXT.
    let av = avahi(&ns, &dir.0, "avpeer");
    let out = avahi_tool(&ns, &av, &["avahi-resolve", "-4", "-n", "petrel.local"]);
    assert!(out.contains("petrel.local\t198.51.100.2"), "{out}");
    let out = avahi_tool(&ns, &av, &["avahi-resolve", "-a", IP]);
    assert!(out.contains("198.51.100.2\tpetrel.local"), "{out}");
    let out = avahi_tool(&ns, &av, &["avahi-browse", "-rtp", "_http._tcp"]);
    assert!(
        out.contains(
            "=;tap0;IPv4;Petrel\\032dashboard;Web Site;local;petrel.local;198.51.100.2;8080;\"path=/\""
        ),
        "{out}"
    );

    // dig: legacy unicast (source port != 5353), ID echoed, TTL <= 10.
    let dig = |name: &str, t: &str| {
        let (status, out) = ns
            .run(
                "dig",
                &[
                    "+time=2",
                    "+tries=2",
                    "-p",
                    "5353",
                    "@198.51.100.2",
                    name,
                    t,
                ],
                Duration::from_secs(15),
            )
            .unwrap();
        assert!(status.success(), "{out}");
        out
    };
    let out = dig("petrel.local", "A");
    assert!(
        out.contains("status: NOERROR") && out.contains("flags: qr aa"),
        "{out}"
    );
    assert!(
        out.contains("petrel.local.\t\t10\tIN\tA\t198.51.100.2"),
        "{out}"
    );
    let out = dig("petrel.local", "AAAA");
    assert!(out.contains("IN\tNSEC\tpetrel.local. A"), "NSEC: {out}");
    let out = dig("Petrel\\032dashboard._http._tcp.local", "SRV");
    assert!(
        out.lines()
            .any(|l| l.contains("IN SRV") && l.ends_with("0 0 8080 petrel.local.")),
        "{out}"
    );

    // Hostile datagrams: ignored, and the responder keeps answering.
    let hostile = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad = [
    b"\0\0\0\0\0\x01\0\0\0\0\0\0\xc0\x0c\0\x01\0\x01",          # pointer to itself
    b"\0\0\0\0\0\x01\0\0\0\0\0\0\x01a\xc0\x12\x01b\xc0\x0c\0\x01\0\x01",  # loop
    b"\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff",                # huge counts
    b"\0\0\0\0\0\x01\0\0\0\0\0\0\x3fabc",                      # truncated label
    b"\0\0\x28\0\0\x01\0\0\0\0\0\0\x06petrel\x05local\0\0\x01\0\x01",  # UPDATE opcode
    b"\0" * 5,
]
for b in bad:
    for dst in [("198.51.100.2", 5353), ("224.0.0.251", 5353)]:
        s.sendto(b, dst)
print("sent")
"#;
    let (status, out) = ns
        .run("python3", &["-c", hostile], Duration::from_secs(10))
        .unwrap();
    assert!(status.success(), "{out}");
    let out = dig("petrel.local", "A");
    assert!(out.contains("198.51.100.2"), "still answering: {out}");
    drop(p);
    eprintln!("whole test {:?}", started.elapsed());
}

#[test]
fn mdns_renames_when_avahi_holds_the_name() {
    if !peers_present() {
        return;
    }
    let dir = TempDir::new();
    let ns = namespace();
    let av = avahi(&ns, &dir.0, "petrel");
    let mut p = petrel(
        &ns,
        &dir.0,
        "mdns: name conflict, renamed to petrel-2.local",
    );
    p.wait_for_output("mdns: claimed petrel-2.local", Duration::from_secs(10))
        .unwrap();
    let out = avahi_tool(&ns, &av, &["avahi-resolve", "-4", "-n", "petrel-2.local"]);
    assert!(out.contains("petrel-2.local\t198.51.100.2"), "{out}");
    let out = avahi_tool(&ns, &av, &["avahi-browse", "-rtp", "_http._tcp"]);
    assert!(out.contains("petrel-2.local;198.51.100.2;8080"), "{out}");
}

const ZEROCONF_OWNER: &str = r#"
import socket, sys, time
from zeroconf import Zeroconf, ServiceInfo
zc = Zeroconf(interfaces=["198.51.100.1"])
info = ServiceInfo("_ssh._tcp.local.", "other._ssh._tcp.local.", port=22,
                   addresses=[socket.inet_aton("198.51.100.1")], server="petrel.local.")
zc.register_service(info)
print("registered", flush=True)
time.sleep(float(sys.argv[1]))
zc.close()
"#;

#[test]
fn mdns_renames_when_zeroconf_registered_the_name_first() {
    if !peers_present() {
        return;
    }
    let dir = TempDir::new();
    let ns = namespace();
    let mut zc = Proc::spawn(ns.command("python3").args(["-c", ZEROCONF_OWNER, "25"])).unwrap();
    zc.wait_for_output("registered", Duration::from_secs(15))
        .unwrap();
    let mut p = petrel(
        &ns,
        &dir.0,
        "mdns: name conflict, renamed to petrel-2.local",
    );
    p.wait_for_output("mdns: claimed petrel-2.local", Duration::from_secs(10))
        .unwrap();
}

#[test]
fn mdns_goodbye_on_sigterm_is_seen_at_once() {
    if !peers_present() {
        return;
    }
    let dir = TempDir::new();
    let ns = namespace();
    let p = petrel(&ns, &dir.0, "mdns: claimed petrel.local");
    let av = avahi(&ns, &dir.0, "avpeer");
    let mut browse = ns.command("avahi-browse");
    browse
        .env("DBUS_SYSTEM_BUS_ADDRESS", &av.bus)
        .args(["-p", "_http._tcp"]);
    let mut browse = Proc::spawn(&mut browse).unwrap();
    browse
        .wait_for_output("+;tap0;IPv4;Petrel\\032dashboard", Duration::from_secs(10))
        .unwrap();
    let mut p = p;
    let stopped = Instant::now();
    p.terminate();
    // The PTR's TTL is 75 minutes: seeing the removal within seconds means
    // the goodbye (TTL 0) arrived.
    browse
        .wait_for_output("-;tap0;IPv4;Petrel\\032dashboard", Duration::from_secs(5))
        .unwrap();
    eprintln!("removal seen {:?} after SIGTERM", stopped.elapsed());
    let status = p.wait_timeout(Duration::from_secs(5)).unwrap();
    assert!(status.success(), "{}", p.output());
    assert!(p.output().contains("mdns: goodbyes sent"), "{}", p.output());
}
