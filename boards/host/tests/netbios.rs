//! `[netbios]` on `petrel --tap` in a namespace: Samba's nmblookup (unicast,
//! broadcast, node status), nbtscan, a watcher that sees the registrations
//! and the release on shutdown, and nmbd owning the same name (conflict).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use petrel_interop::{Netns, Proc, have, skip_netns_tests};

const NAME: &str = "PETREL-NB";

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("petrel-netbios-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An smb.conf that keeps Samba's tools and nmbd on tap0 and in `dir`.
fn smb_conf(dir: &Path, extra: &str) -> PathBuf {
    let d = dir.display();
    let conf = dir.join("smb.conf");
    std::fs::write(
        &conf,
        format!(
            "[global]\n  interfaces = tap0\n  bind interfaces only = yes\n  \
             lock directory = {d}\n  state directory = {d}\n  cache directory = {d}\n  \
             private dir = {d}\n  pid directory = {d}\n  ncalrpc dir = {d}\n  \
             log file = {d}/log.%m\n  local master = no\n  domain master = no\n  \
             preferred master = no\n  wins support = no\n  dns proxy = no\n{extra}"
        ),
    )
    .unwrap();
    conf
}

/// Whether nmblookup's output has an answer line "ADDR NAME<xx>".
fn answered(out: &str, addr: &str) -> bool {
    out.lines()
        .any(|l| l.starts_with(&format!("{addr} ")) && l.contains('<'))
}

fn start_petrel(ns: &Netns, dir: &Path, device: &str) -> Proc {
    let cfg = dir.join("petrel.toml");
    std::fs::write(
        &cfg,
        format!("[device]\nname = \"{device}\"\n[netbios]\nenabled = true\n"),
    )
    .unwrap();
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_petrel"));
    cmd.args([
        "--tap",
        "tap0",
        "--ip",
        "198.51.100.2/24",
        "--only",
        "netbios",
    ])
    .arg("--config")
    .arg(&cfg);
    let mut p = Proc::spawn(&mut cmd).expect("start petrel");
    if let Err(e) = p.wait_for_output("netbios listening on", Duration::from_secs(20)) {
        panic!("petrel does not start on the TAP device: {e}");
    }
    p
}

/// Prints one line per name service packet arriving on port 137 of the
/// kernel side: opcode, response bit, the question name and suffix.
const WATCHER: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("0.0.0.0", 137))
print("watching", flush=True)
s.settimeout(60)
while True:
    d, a = s.recvfrom(2048)
    if len(d) < 46 or d[12] != 0x20:
        continue
    raw = d[13:45]
    name = bytes(((raw[i] - 65) << 4) | (raw[i + 1] - 65) for i in range(0, 32, 2))
    op = (d[2] >> 3) & 0xf
    print("op=%d r=%d name=%s<%02x> from=%s" % (op, d[2] >> 7, name[:15].decode().strip(), name[15], a[0]), flush=True)
"#;

#[test]
fn nmblookup_and_nbtscan_resolve_petrel_and_the_name_is_released() {
    if skip_netns_tests() || !have("nmblookup") || !have("nbtscan") {
        eprintln!("needs namespaces, nmblookup and nbtscan: skipped");
        return;
    }
    let dir = tmpdir("lookup");
    let conf = smb_conf(&dir, "");
    let conf = conf.to_str().unwrap();
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let mut watcher = Proc::spawn(ns.command("python3").args(["-u", "-c", WATCHER])).unwrap();
    watcher
        .wait_for_output("watching", Duration::from_secs(5))
        .unwrap();
    // Lower case in the config: the name is upper-cased.
    let mut petrel = start_petrel(&ns, &dir, "petrel-nb");
    petrel
        .wait_for_output(&format!("registered {NAME}<20>"), Duration::from_secs(5))
        .unwrap();
    // Three registration requests per name, broadcast, then the overwrite.
    let count = |w: &Proc, suffix: &str| {
        w.output()
            .matches(&format!("op=5 r=0 name={NAME}<{suffix}> from=198.51.100.2"))
            .count()
    };
    let four = petrel_interop::wait_until(Duration::from_secs(3), || {
        (count(&watcher, "00") == 4 && count(&watcher, "20") == 4).then_some(())
    });
    assert!(four.is_some(), "{}", watcher.output());

    let limit = Duration::from_secs(10);
    let lookups: [&[&str]; 4] = [
        &["-U", "198.51.100.2", "petrel-nb"],
        &["-U", "198.51.100.2", &format!("{NAME}#20")],
        &["-B", "198.51.100.255", "Petrel-Nb"],
        &["-A", "198.51.100.2"],
    ];
    for args in lookups {
        let mut a = vec!["-s", conf];
        a.extend_from_slice(args);
        let (status, out) = ns.run("nmblookup", &a, limit).unwrap();
        assert!(
            status.success(),
            "nmblookup {args:?}: {out}\npetrel: {}",
            petrel.output()
        );
        if args[0] == "-A" {
            assert!(
                out.contains(&format!("{NAME}       <00> -         B <ACTIVE>")),
                "{out}"
            );
            assert!(
                out.contains(&format!("{NAME}       <20> -         B <ACTIVE>")),
                "{out}"
            );
            assert!(
                out.contains("WORKGROUP       <00> - <GROUP> B <ACTIVE>"),
                "{out}"
            );
            assert!(out.contains("MAC Address = 02-50-"), "{out}");
        } else {
            assert!(answered(&out, "198.51.100.2"), "{args:?}: {out}");
        }
    }
    // A name that is not ours: nmblookup fails (negative answer).
    let (status, out) = ns
        .run(
            "nmblookup",
            &["-s", conf, "-U", "198.51.100.2", "OTHER"],
            limit,
        )
        .unwrap();
    assert!(!status.success() || out.contains("failed"), "{out}");

    let (status, out) = ns.run("nbtscan", &["-v", "198.51.100.2"], limit).unwrap();
    assert!(status.success(), "{out}");
    assert!(
        out.contains(&format!("{NAME}        <00>             UNIQUE")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{NAME}        <20>             UNIQUE")),
        "{out}"
    );
    assert!(out.contains("Adapter address: 02:50:"), "{out}");

    // Shutdown: the name is released by broadcast before petrel exits.
    petrel.terminate();
    let status = petrel.wait_timeout(Duration::from_secs(10)).unwrap();
    assert!(status.success(), "{}", petrel.output());
    for suffix in ["00", "20"] {
        watcher
            .wait_for_output(
                &format!("op=6 r=0 name={NAME}<{suffix}> from=198.51.100.2"),
                Duration::from_secs(5),
            )
            .unwrap_or_else(|e| panic!("no release of <{suffix}>: {e}\n{}", watcher.output()));
    }
    assert!(
        petrel
            .output()
            .contains(&format!("netbios: released {NAME}"))
    );
    drop(watcher);
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nmbd_owning_the_name_is_a_conflict_and_hostile_packets_are_ignored() {
    if skip_netns_tests() || !have("nmbd") || !have("nmblookup") {
        eprintln!("needs namespaces, nmbd and nmblookup: skipped");
        return;
    }
    let dir = tmpdir("conflict");
    let conf = smb_conf(
        &dir,
        &format!("  netbios name = {NAME}\n  workgroup = TESTGROUP\n"),
    );
    let ns = Netns::with_tap("198.51.100.1/24").expect("namespace with tap0");
    let mut nmbd = Proc::spawn(
        ns.command("nmbd")
            .args(["-F", "--debug-stdout", "-d", "3", "-s"])
            .arg(&conf),
    )
    .unwrap();
    // At debug level 3 nmbd logs each name it has registered on the subnet
    // (after its broadcast registration, a few seconds).
    // (<20>, <03>, <00> in that order: the last one is enough.)
    nmbd.wait_for_output(
        &format!("Added netbios name {NAME}<00> with first IP 198.51.100.1 ttl=0 nb_flags= 0 to subnet 198.51.100.1"),
        Duration::from_secs(30),
    )
    .unwrap();
    let conf_s = conf.to_str().unwrap();
    let (_, out) = ns
        .run(
            "nmblookup",
            &["-s", conf_s, "-U", "198.51.100.1", NAME],
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(
        answered(&out, "198.51.100.1"),
        "{out}\nnmbd: {}",
        nmbd.output()
    );

    let mut petrel = start_petrel(&ns, &dir, NAME);
    petrel
        .wait_for_output(
            &format!("name conflict: {NAME}<00> is owned by 198.51.100.1"),
            Duration::from_secs(5),
        )
        .unwrap_or_else(|e| panic!("{e}\nnmbd: {}", nmbd.output()));
    // nmbd usually refuses within our three 250 ms registration broadcasts,
    // so the name is never taken; on a loaded machine its answer can come
    // after them (RFC 1002: the name is then ours) and must still win. The
    // checks below (node status, queries) hold either way.
    let out = petrel.output();
    if let Some(taken) = out.find(&format!("registered {NAME}<00>")) {
        let conflict = out.find(&format!("name conflict: {NAME}<00>")).unwrap();
        assert!(taken < conflict, "{out}");
    }

    // Hostile datagrams to port 137 (truncated, pointer loop, oversized
    // label, wrong opcode): ignored, node status still answered.
    const HOSTILE: &str = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = bytes.fromhex("036a0010000100000000000020434b4141414141414141414141414141414141414141414141414141414141410000210001")
for p in [b"", b"\x00", q[:20], q[:12] + b"\xc0\x0c\x00\x21\x00\x01", q[:12] + b"\x3f" + b"A" * 63 + b"\x00\x00\x21\x00\x01",
          q[:2] + b"\x78\x00" + q[4:], q[:2] + b"\x80\x00" + q[4:], bytes(range(256)) * 4]:
    s.sendto(p, ("198.51.100.2", 137))
"#;
    let (status, out) = ns
        .run("python3", &["-c", HOSTILE], Duration::from_secs(10))
        .unwrap();
    assert!(status.success(), "{out}");
    let (status, out) = ns
        .run(
            "nmblookup",
            &["-s", conf_s, "-A", "198.51.100.2"],
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(status.success(), "{out}\npetrel: {}", petrel.output());
    assert!(out.contains("MAC Address = 02-50-"), "{out}");
    // The names in conflict are listed as such, not as active.
    assert!(
        out.contains(&format!("{NAME}       <00> -         B <CONFLICT>")),
        "{out}"
    );
    // And queries for it are left to nmbd.
    let (_, out) = ns
        .run(
            "nmblookup",
            &["-s", conf_s, "-U", "198.51.100.2", NAME],
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(!answered(&out, "198.51.100.2"), "{out}");
    petrel.terminate();
    let _ = petrel.wait_timeout(Duration::from_secs(10));
    drop(nmbd);
    drop(ns);
    let _ = std::fs::remove_dir_all(&dir);
}
