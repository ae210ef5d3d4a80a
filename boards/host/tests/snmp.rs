//! The `petrel` SNMP agent against net-snmp 5.9 (snmpget, snmpwalk,
//! snmpbulkwalk, snmpset, snmptrapd), all on 127.0.0.1 with free ports.
//! Numeric OIDs only (`MIBS=` empty, `-On`): the standard MIB files are not
//! installed. Skipped (with a message) when net-snmp is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use petrel_interop::{Proc, free_udp_port, have, wait_until};

const WAIT: Duration = Duration::from_secs(20);
const ENGINE_ID: &str = "80007ed90474657374";

/// A running petrel with only the SNMP agent, killed on drop.
struct Agent {
    proc: Proc,
    port: u16,
    dir: PathBuf,
    /// Remove `dir` on drop.
    owns_dir: bool,
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "petrel-snmp-{tag}-{}-{}",
        std::process::id(),
        free_udp_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BASE: &str = r#"
[echo]
enabled = false
[https]
enabled = false
[iperf]
enabled = false
[tftp]
enabled = false
[mqtt]
enabled = false
"#;

impl Agent {
    fn start(tag: &str, snmp_extra: &str) -> Agent {
        let mut a = Agent::start_in(temp_dir(tag), snmp_extra);
        a.owns_dir = true;
        a
    }

    fn start_in(dir: PathBuf, snmp_extra: &str) -> Agent {
        let port = free_udp_port();
        let conf = format!(
            "{BASE}\n[snmp]\nlisten = \"127.0.0.1:{port}\"\nengine_id = \"{ENGINE_ID}\"\n\
             sys_contact = \"ops@example.invalid\"\n{snmp_extra}\n"
        );
        let path = dir.join("petrel.toml");
        std::fs::write(&path, conf).unwrap();
        let mut proc = Proc::spawn(
            Command::new(env!("CARGO_BIN_EXE_petrel"))
                .arg("--config")
                .arg(&path)
                .args(["--only", "snmp"])
                .env_remove("RUST_LOG")
                .env("RUST_LOG", "info"),
        )
        .unwrap();
        proc.wait_for_output("snmp listening on", WAIT).unwrap();
        Agent {
            proc,
            port,
            dir,
            owns_dir: false,
        }
    }

    fn target(&self) -> String {
        format!("udp:127.0.0.1:{}", self.port)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn net_snmp() -> bool {
    let ok = [
        "snmpget",
        "snmpwalk",
        "snmpbulkwalk",
        "snmpset",
        "snmptrapd",
    ]
    .iter()
    .all(|p| have(p));
    if !ok {
        eprintln!("net-snmp missing (apt-get install snmp snmptrapd): test skipped");
    }
    ok
}

/// Runs a net-snmp tool with `MIBS=` and `-On`; returns (success, stdout
/// and stderr). Bounded by the tool's own timeout (`-t 2 -r 1`).
fn tool(program: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(program);
    cmd.env("MIBS", "")
        .env("HOME", std::env::temp_dir())
        .arg("-On")
        .args(["-t", "2", "-r", "1"])
        .args(args);
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn v2c(program: &str, agent: &Agent, community: &str, rest: &[&str]) -> (bool, String) {
    let t = agent.target();
    let mut args = vec!["-v2c", "-c", community, t.as_str()];
    args.extend_from_slice(rest);
    tool(program, &args)
}

/// The OIDs (as arc vectors) of `snmpwalk -On` output lines.
fn oids(out: &str) -> Vec<Vec<u32>> {
    out.lines()
        .filter(|l| !l.contains("No more variables"))
        .filter_map(|l| l.strip_prefix('.'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(o, _)| o.split('.').map(|a| a.parse().unwrap()).collect())
        .collect()
}

/// Tables whose rows are the host's live sockets (other tests change them).
fn is_live_table(o: &[u32]) -> bool {
    let live: [&[u32]; 6] = [
        &[1, 3, 6, 1, 2, 1, 6, 13],
        &[1, 3, 6, 1, 2, 1, 6, 19],
        &[1, 3, 6, 1, 2, 1, 6, 20],
        &[1, 3, 6, 1, 2, 1, 7, 5],
        &[1, 3, 6, 1, 2, 1, 7, 7],
        // PETREL-MIB's log table grows with the log.
        PETREL_LOG_TABLE,
    ];
    live.iter().any(|p| o.starts_with(p))
}

fn dotted(o: &[u32]) -> String {
    o.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

#[test]
fn walks_are_ordered_complete_and_agree() {
    if !net_snmp() {
        return;
    }
    let agent = Agent::start("walk", "");
    let (ok, walk) = v2c("snmpwalk", &agent, "public", &[".1"]);
    assert!(ok, "{walk}");
    let list = oids(&walk);
    for w in list.windows(2) {
        assert!(
            w[0] < w[1],
            "not increasing: {} then {}",
            dotted(&w[0]),
            dotted(&w[1])
        );
    }
    let names: BTreeSet<String> = list.iter().map(|o| dotted(o)).collect();
    for must in [
        "1.3.6.1.2.1.1.1.0",
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.2.1.1.5.0",
        "1.3.6.1.2.1.2.1.0",
        "1.3.6.1.2.1.2.2.1.2.1",
        "1.3.6.1.2.1.2.2.1.10.1",
        "1.3.6.1.2.1.4.3.0",
        "1.3.6.1.2.1.6.9.0",
        "1.3.6.1.2.1.7.1.0",
        "1.3.6.1.2.1.11.1.0",
        "1.3.6.1.2.1.11.30.0",
        "1.3.6.1.2.1.31.1.1.1.1.1",
        "1.3.6.1.2.1.31.1.1.1.6.1",
        "1.3.6.1.2.1.31.1.1.1.15.1",
        "1.3.6.1.2.1.31.1.1.1.18.1",
        "1.3.6.1.6.3.10.2.1.1.0",
        "1.3.6.1.6.3.15.1.1.6.0",
    ] {
        assert!(names.contains(must), "{must} missing from the walk");
    }
    // The agent's own socket is in udpEndpointTable.
    let me = format!(
        "1.3.6.1.2.1.7.7.1.8.1.4.127.0.0.1.{}.1.4.0.0.0.0.0.1",
        agent.port
    );
    assert!(names.contains(&me), "{me} missing");
    assert!(
        walk.trim_end()
            .ends_with("(It is past the end of the MIB tree)"),
        "walk did not end with endOfMibView: {}",
        walk.lines().last().unwrap_or("")
    );
    let (ok, bulk) = v2c("snmpbulkwalk", &agent, "public", &["-Cr50", ".1"]);
    assert!(ok, "{bulk}");
    let stable = |l: &[Vec<u32>]| -> Vec<Vec<u32>> {
        l.iter().filter(|o| !is_live_table(o)).cloned().collect()
    };
    let bulk_list = oids(&bulk);
    for w in bulk_list.windows(2) {
        assert!(w[0] < w[1]);
    }
    assert_eq!(stable(&list), stable(&bulk_list));
    // GetNext past the last object: endOfMibView.
    let (_, out) = v2c("snmpgetnext", &agent, "public", &["1.3.6.1.6.3.15.1.1.6.0"]);
    assert!(
        out.contains("No more variables left in this MIB View"),
        "{out}"
    );
    // v1: no Counter64, the walk ends on noSuchName, a Get of nothing is
    // noSuchName.
    let t = agent.target();
    let (ok, v1) = tool("snmpwalk", &["-v1", "-c", "public", &t, ".1"]);
    assert!(ok, "{v1}");
    assert!(!v1.contains("Counter64"), "v1 walk shows Counter64");
    let v1_list = oids(&v1);
    assert!(v1_list.len() > 100);
    for w in v1_list.windows(2) {
        assert!(w[0] < w[1]);
    }
    let (_, out) = tool(
        "snmpget",
        &["-v1", "-c", "public", &t, "1.3.6.1.2.1.1.99.0"],
    );
    assert!(out.contains("noSuchName"), "{out}");
}

/// PETREL-MIB (mibs/PETREL-MIB.mib) under enterprises.32473.
const PETREL: &str = "1.3.6.1.4.1.32473";
const PETREL_LOG_TABLE: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 1, 2, 1];

#[test]
fn petrel_mib_walk_set_and_errors() {
    if !net_snmp() {
        return;
    }
    let agent = Agent::start(
        "petrel-mib",
        "[[snmp.communities]]\nname = \"public\"\n[[snmp.communities]]\nname = \"private\"\naccess = \"rw\"\n",
    );
    let scalar = |arc: u32| format!("{PETREL}.1.1.{arc}.0");
    // The walk: the six scalars, then the log table column by column, in
    // strictly increasing order, and nothing outside the subtree.
    let (ok, walk) = v2c("snmpwalk", &agent, "public", &[PETREL]);
    assert!(ok, "{walk}");
    let list = oids(&walk);
    for w in list.windows(2) {
        assert!(
            w[0] < w[1],
            "not increasing: {} then {}",
            dotted(&w[0]),
            dotted(&w[1])
        );
    }
    let names: Vec<String> = list.iter().map(|o| dotted(o)).collect();
    let want: Vec<String> = (1..=6).map(scalar).collect();
    assert_eq!(names.get(..6), Some(&want[..]), "{walk}");
    assert!(names.iter().all(|n| n.starts_with(PETREL)), "{walk}");
    for line in walk.lines().take(6) {
        assert!(!line.contains("No Such"), "{walk}");
    }
    // The host's thermal zone in tenths of °C, or the simulated 25.0 °C.
    let temp: i32 = walk
        .lines()
        .find_map(|l| l.strip_prefix(&format!(".{} = INTEGER: ", scalar(1))))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no temperature: {walk}"));
    assert!((-400..=1250).contains(&temp), "{walk}");
    assert!(
        walk.contains(&format!(".{} = INTEGER: 1", scalar(2))),
        "LED starts off: {walk}"
    );
    assert!(
        walk.contains(&format!(".{} = INTEGER: 2", scalar(3))),
        "relay starts false: {walk}"
    );
    assert!(
        walk.contains(&format!(".{} = STRING: \"petrel\"", scalar(5))),
        "{walk}"
    );
    assert!(
        walk.contains(&format!(".{} = INTEGER: 800", scalar(6))),
        "{walk}"
    );
    // The log table has rows: level, time and message of each.
    let (ok, log) = v2c("snmpwalk", &agent, "public", &[&dotted(PETREL_LOG_TABLE)]);
    assert!(ok, "{log}");
    let rows = |col: u32| {
        oids(&log)
            .iter()
            .filter(|o| {
                o.starts_with(PETREL_LOG_TABLE) && o.get(PETREL_LOG_TABLE.len() + 1) == Some(&col)
            })
            .count()
    };
    assert!(rows(2) > 0, "no log rows: {log}");
    assert_eq!(rows(2), rows(3), "{log}");
    assert_eq!(rows(2), rows(4), "{log}");
    assert!(log.contains("snmp listening on"), "{log}");

    // petrelLed = blink(3) takes effect (and is logged).
    let (ok, out) = v2c("snmpset", &agent, "private", &[&scalar(2), "i", "3"]);
    assert!(ok, "{out}");
    let (_, out) = v2c("snmpget", &agent, "public", &[&scalar(2)]);
    assert!(out.contains("INTEGER: 3"), "{out}");
    // Not one of off(1)/on(2)/blink(3): wrongValue, nothing changes.
    let (ok, out) = v2c("snmpset", &agent, "private", &[&scalar(2), "i", "7"]);
    assert!(!ok && out.contains("wrongValue"), "{out}");
    // Wrong type.
    let (ok, out) = v2c("snmpset", &agent, "private", &[&scalar(2), "s", "on"]);
    assert!(!ok && out.contains("wrongType"), "{out}");
    // Read-only.
    let (ok, out) = v2c("snmpset", &agent, "private", &[&scalar(1), "i", "100"]);
    assert!(!ok && out.contains("notWritable"), "{out}");
    // Out of the threshold's range (-400..1250).
    let (ok, out) = v2c("snmpset", &agent, "private", &[&scalar(6), "i", "1251"]);
    assert!(!ok && out.contains("wrongValue"), "{out}");
    // SIZE(1..63).
    let (ok, out) = v2c("snmpset", &agent, "private", &[&scalar(5), "s", ""]);
    assert!(!ok && out.contains("wrongLength"), "{out}");
    // A multi-varbind Set whose last varbind fails leaves the others alone.
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &[&scalar(3), "i", "1", &scalar(6), "i", "-401"],
    );
    assert!(!ok && out.contains("wrongValue"), "{out}");
    let (_, out) = v2c(
        "snmpget",
        &agent,
        "public",
        &[&scalar(2), &scalar(3), &scalar(6)],
    );
    assert!(out.contains("INTEGER: 3"), "{out}");
    assert!(
        out.contains(&format!(".{} = INTEGER: 2", scalar(3))),
        "{out}"
    );
    assert!(out.contains("INTEGER: 800"), "{out}");
    // Relay, threshold and the device name in one Set; the name is the
    // status's (and so the log says so).
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &[
            &scalar(3),
            "i",
            "1",
            &scalar(6),
            "i",
            "-55",
            &scalar(5),
            "s",
            "boiler-7",
        ],
    );
    assert!(ok, "{out}");
    let (_, out) = v2c(
        "snmpget",
        &agent,
        "public",
        &[&scalar(3), &scalar(5), &scalar(6)],
    );
    assert!(
        out.contains(&format!(".{} = INTEGER: 1", scalar(3))),
        "{out}"
    );
    assert!(out.contains("STRING: \"boiler-7\""), "{out}");
    assert!(out.contains("INTEGER: -55"), "{out}");
    let (_, log) = v2c("snmpwalk", &agent, "public", &[&dotted(PETREL_LOG_TABLE)]);
    assert!(log.contains("device name set to boiler-7"), "{log}");
    assert!(log.contains("LED set to blink"), "{log}");
    // The read-only community cannot set it.
    let (ok, out) = v2c("snmpset", &agent, "public", &[&scalar(2), "i", "1"]);
    assert!(!ok, "{out}");
    // v1 sees the same objects; a Get of a missing instance is noSuchName.
    let t = agent.target();
    let (ok, v1) = tool("snmpwalk", &["-v1", "-c", "public", &t, PETREL]);
    assert!(ok, "{v1}");
    assert!(oids(&v1).len() >= 6, "{v1}");
    let (_, out) = tool(
        "snmpget",
        &["-v1", "-c", "public", &t, &format!("{PETREL}.1.1.2.1")],
    );
    assert!(out.contains("noSuchName"), "{out}");
}

#[test]
fn set_system_strings_with_errors_and_undo() {
    if !net_snmp() {
        return;
    }
    let agent = Agent::start(
        "set",
        "[[snmp.communities]]\nname = \"public\"\n[[snmp.communities]]\nname = \"private\"\naccess = \"rw\"\n",
    );
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &[
            "1.3.6.1.2.1.1.4.0",
            "s",
            "noc@example.invalid",
            "1.3.6.1.2.1.1.5.0",
            "s",
            "petrel-test",
            "1.3.6.1.2.1.1.6.0",
            "s",
            "rack 7",
        ],
    );
    assert!(ok, "{out}");
    let (_, out) = v2c(
        "snmpget",
        &agent,
        "public",
        &[
            "1.3.6.1.2.1.1.4.0",
            "1.3.6.1.2.1.1.5.0",
            "1.3.6.1.2.1.1.6.0",
        ],
    );
    assert!(out.contains("\"noc@example.invalid\""), "{out}");
    assert!(out.contains("\"petrel-test\""), "{out}");
    assert!(out.contains("\"rack 7\""), "{out}");
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &["1.3.6.1.2.1.1.5.0", "i", "5"],
    );
    assert!(!ok && out.contains("wrongType"), "{out}");
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &["1.3.6.1.2.1.1.1.0", "s", "x"],
    );
    assert!(!ok && out.contains("notWritable"), "{out}");
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &["1.3.6.1.2.1.11.30.0", "i", "3"],
    );
    assert!(!ok && out.contains("wrongValue"), "{out}");
    let long = "x".repeat(300);
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &["1.3.6.1.2.1.1.6.0", "s", &long],
    );
    assert!(!ok && out.contains("wrongLength"), "{out}");
    // The read-only community may not write at all.
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "public",
        &["1.3.6.1.2.1.1.5.0", "s", "x"],
    );
    assert!(!ok && out.contains("noAccess"), "{out}");
    // Last varbind fails: the first two stay unchanged.
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &[
            "1.3.6.1.2.1.1.4.0",
            "s",
            "changed",
            "1.3.6.1.2.1.1.5.0",
            "s",
            "changed",
            "1.3.6.1.2.1.1.7.0",
            "i",
            "4",
        ],
    );
    assert!(!ok && out.contains("notWritable"), "{out}");
    let (_, out) = v2c(
        "snmpget",
        &agent,
        "public",
        &["1.3.6.1.2.1.1.4.0", "1.3.6.1.2.1.1.5.0"],
    );
    assert!(!out.contains("changed"), "{out}");
    // ifAlias is writable and shows up in ifXTable.
    let (ok, out) = v2c(
        "snmpset",
        &agent,
        "private",
        &["1.3.6.1.2.1.31.1.1.1.18.1", "s", "loopback"],
    );
    assert!(ok, "{out}");
    let (_, out) = v2c("snmpget", &agent, "public", &["1.3.6.1.2.1.31.1.1.1.18.1"]);
    assert!(out.contains("\"loopback\""), "{out}");
}

const AUTHS: [&str; 6] = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];
const PRIVS: [&str; 5] = ["", "DES", "AES", "AES-192", "AES-256"];

fn user_name(a: &str, p: &str) -> String {
    format!("u{}{}", a.replace('-', ""), p.replace('-', "")).to_lowercase()
}

#[test]
fn v3_every_auth_and_priv_combination() {
    if !net_snmp() {
        return;
    }
    let mut users = String::new();
    for a in AUTHS {
        for p in PRIVS {
            users += &format!(
                "[[snmp.users]]\nname = \"{}\"\nauth = \"{a}\"\nauth_password = \"maplesyrup\"\n",
                user_name(a, p)
            );
            if !p.is_empty() {
                users += &format!("privacy = \"{p}\"\npriv_password = \"syrupmaple\"\n");
            }
        }
    }
    users += "[[snmp.users]]\nname = \"guest\"\nview = \"sys\"\n\
              [[snmp.views]]\nname = \"sys\"\ninclude = [\"1.3.6.1.2.1.1\"]\n";
    let agent = Agent::start("v3", &users);
    let t = agent.target();
    for a in AUTHS {
        for p in PRIVS {
            let u = user_name(a, p);
            let mut args = vec!["-v3", "-u", &u, "-a", a, "-A", "maplesyrup"];
            if p.is_empty() {
                args.extend(["-l", "authNoPriv"]);
            } else {
                args.extend(["-l", "authPriv", "-x", p, "-X", "syrupmaple"]);
            }
            args.extend([t.as_str(), "1.3.6.1.2.1.1.5.0"]);
            let (ok, out) = tool("snmpget", &args);
            assert!(ok && out.contains("STRING: \"petrel\""), "{a}/{p}: {out}");
        }
    }
    // Wrong password: an authentication error (usmStatsWrongDigests report).
    let (ok, out) = tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "usha",
            "-l",
            "authNoPriv",
            "-a",
            "SHA",
            "-A",
            "wrongpassword",
            &t,
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(!ok && out.contains("Authentication failure"), "{out}");
    // Unknown user: usmStatsUnknownUserNames report.
    let (ok, out) = tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "mallory",
            "-l",
            "noAuthNoPriv",
            &t,
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(!ok && out.contains("Unknown user name"), "{out}");
    // A noAuthNoPriv user sees its view only.
    let (_, out) = tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "guest",
            "-l",
            "noAuthNoPriv",
            &t,
            "1.3.6.1.2.1.1.5.0",
            "1.3.6.1.2.1.2.1.0",
        ],
    );
    assert!(out.contains("STRING: \"petrel\""), "{out}");
    assert!(out.contains(".1.3.6.1.2.1.2.1.0 = No Such Object"), "{out}");
    // And may not use a level its keys do not have.
    let (ok, out) = tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "guest",
            "-l",
            "authNoPriv",
            "-a",
            "SHA",
            "-A",
            "maplesyrup",
            &t,
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(!ok, "{out}");
}

#[test]
fn traps_informs_and_an_unreachable_target() {
    if !net_snmp() {
        return;
    }
    let dir = temp_dir("trapd");
    let trap_port = free_udp_port();
    let dead_port = free_udp_port();
    std::fs::write(
        dir.join("snmptrapd.conf"),
        format!(
            "authCommunity log public\ndisableAuthorization yes\n\
             createUser -e 0x{ENGINE_ID} trapper SHA maplesyrup AES maplesyrup\n"
        ),
    )
    .unwrap();
    let mut trapd = Proc::spawn(
        Command::new("snmptrapd")
            .env("MIBS", "")
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(dir.join("snmptrapd.conf"))
            .arg(format!("--persistentDir={}", dir.display()))
            .args(["-n", "-On", &format!("udp:127.0.0.1:{trap_port}")]),
    )
    .unwrap();
    trapd.wait_for_output("NET-SNMP version", WAIT).unwrap();
    let traps = format!(
        "[[snmp.users]]\nname = \"trapper\"\nauth = \"SHA\"\nauth_password = \"maplesyrup\"\n\
         privacy = \"AES\"\n\
         [[snmp.traps]]\ntarget = \"127.0.0.1:{dead_port}\"\nversion = \"v2c\"\ninform = true\n\
         [[snmp.traps]]\ntarget = \"127.0.0.1:{dead_port}\"\nversion = \"v1\"\n\
         [[snmp.traps]]\ntarget = \"127.0.0.1:{trap_port}\"\nversion = \"v1\"\n\
         [[snmp.traps]]\ntarget = \"127.0.0.1:{trap_port}\"\nversion = \"v2c\"\n\
         [[snmp.traps]]\ntarget = \"127.0.0.1:{trap_port}\"\nversion = \"v3\"\nuser = \"trapper\"\n\
         [[snmp.traps]]\ntarget = \"127.0.0.1:{trap_port}\"\nversion = \"v2c\"\ninform = true\n"
    );
    let mut agent = Agent::start("traps", &traps);
    // v1 coldStart: generic trap 0 from enterprise 32473 (sysObjectID
    // petrelAgent, PETREL-MIB's enterprise).
    trapd.wait_for_output("Cold Start Trap (0)", WAIT).unwrap();
    let found = wait_until(WAIT, || {
        let out = trapd.output();
        let n = out.matches(".1.3.6.1.6.3.1.1.5.1").count();
        (n >= 3).then_some(out)
    });
    let out = trapd.output();
    assert!(found.is_some(), "want v2c, v3 and inform coldStart: {out}");
    assert!(
        out.contains("enterprises.32473.4.1") || out.contains(".1.3.6.1.4.1.32473.4.1"),
        "{out}"
    );
    // The inform to trapd is acknowledged.
    agent
        .proc
        .wait_for_output("acknowledged by 127.0.0.1", WAIT)
        .unwrap();
    // The dead inform target is being retried, yet requests are answered
    // promptly.
    for _ in 0..5 {
        let start = Instant::now();
        let (ok, out) = v2c("snmpget", &agent, "public", &["1.3.6.1.2.1.1.5.0"]);
        assert!(ok, "{out}");
        assert!(
            start.elapsed() < Duration::from_millis(900),
            "slow: {:?}",
            start.elapsed()
        );
    }
    // A bad community produces an authenticationFailure trap.
    let (ok, _) = v2c("snmpget", &agent, "wrong", &["1.3.6.1.2.1.1.5.0"]);
    assert!(!ok);
    let hit = wait_until(WAIT, || {
        trapd
            .output()
            .contains(".1.3.6.1.6.3.1.1.5.5")
            .then_some(())
    });
    assert!(
        hit.is_some(),
        "no authenticationFailure: {}",
        trapd.output()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn counter(agent: &Agent, oid: &str) -> u64 {
    let (ok, out) = v2c("snmpget", agent, "public", &[oid]);
    assert!(ok, "{out}");
    out.rsplit(": ").next().unwrap().trim().parse().unwrap()
}

#[test]
fn interface_counters_move_with_traffic() {
    if !net_snmp() {
        return;
    }
    let agent = Agent::start("counters", "");
    // ifIndex 1 is the loopback on Linux.
    let (_, name) = v2c("snmpget", &agent, "public", &["1.3.6.1.2.1.31.1.1.1.1.1"]);
    assert!(name.contains("\"lo\""), "{name}");
    let hc = "1.3.6.1.2.1.31.1.1.1.6.1";
    let pkts = "1.3.6.1.2.1.2.2.1.11.1";
    let (a, p) = (counter(&agent, hc), counter(&agent, pkts));
    let sink = UdpSocket::bind("127.0.0.1:0").unwrap();
    let src = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..100 {
        src.send_to(&[0u8; 1000], sink.local_addr().unwrap())
            .unwrap();
    }
    let (b, q) = (counter(&agent, hc), counter(&agent, pkts));
    assert!(b >= a + 100_000, "ifHCInOctets {a} -> {b}");
    assert!(q >= p + 100, "ifInUcastPkts {p} -> {q}");
}

/// BER for a GetRequest-PDU around `vbs` (already encoded) in a v2c message
/// with community "public", version `version`, PDU tag `tag`.
fn message(version: u8, tag: u8, vbs: &[u8]) -> Vec<u8> {
    fn tlv(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![t];
        let n = body.len();
        if n < 0x80 {
            v.push(n as u8);
        } else if n < 0x100 {
            v.extend([0x81, n as u8]);
        } else {
            v.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        v.extend_from_slice(body);
        v
    }
    let mut pdu = tlv(0x02, &[0x12, 0x34]);
    pdu.extend(tlv(0x02, &[0]));
    pdu.extend(tlv(0x02, &[0]));
    pdu.extend(tlv(0x30, vbs));
    let mut msg = tlv(0x02, &[version]);
    msg.extend(tlv(0x04, b"public"));
    msg.extend(tlv(tag, &pdu));
    tlv(0x30, &msg)
}

#[test]
fn hostile_input_is_survived() {
    if !net_snmp() {
        return;
    }
    let agent = Agent::start("hostile", "");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let to = format!("127.0.0.1:{}", agent.port);
    let get_sysname = {
        let name = [0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 5, 0];
        let mut vb = vec![0x30, 12];
        vb.extend(name);
        vb.extend([0x05, 0x00]);
        vb
    };
    let good = message(1, 0xa0, &get_sysname);
    let mut deep = Vec::new();
    for _ in 0..1000 {
        deep.extend([0x30, 0x84, 0x00, 0x00, 0x10, 0x00]);
    }
    let mut huge_oid = vec![0x06, 0x82, 0x03, 0x20, 0x2b];
    huge_oid.extend(std::iter::repeat_n(0x81u8, 799));
    huge_oid.push(0x01);
    let long_oid_vb = {
        let mut name = vec![0x2b];
        name.extend(std::iter::repeat_n(1u8, 200));
        let mut vb = vec![0x06, 0x81, name.len() as u8];
        vb.extend(name);
        vb.extend([0x05, 0x00]);
        let mut out = vec![0x30, 0x81, vb.len() as u8];
        out.extend(vb);
        out
    };
    let many: Vec<u8> = std::iter::repeat_n(get_sysname.clone(), 4000)
        .flatten()
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good[..good.len() - 5].to_vec()),
        ("overrunning length", {
            let mut m = good.clone();
            m[1] = 0x7f;
            m
        }),
        (
            "length of length 8",
            vec![0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        ("1000-deep nesting", deep),
        ("huge OID", message(1, 0xa0, &huge_oid)),
        ("200-arc OID", message(1, 0xa0, &long_oid_vb)),
        ("version 7", message(7, 0xa0, &get_sysname)),
        ("unknown PDU 0xaf", message(1, 0xaf, &get_sysname)),
        ("report PDU", message(1, 0xa8, &get_sysname)),
        ("oversized request", message(1, 0xa0, &many)),
        ("garbage", (0..=255u8).cycle().take(1400).collect()),
    ];
    for (what, bytes) in &cases {
        sock.send_to(bytes, &to).unwrap();
        let mut buf = [0u8; 65535];
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            // Anything answered must be a well-formed message.
            assert_eq!(
                buf[0],
                0x30,
                "{what}: odd answer {:02x?}",
                &buf[..n.min(16)]
            );
        }
        let (ok, out) = v2c("snmpget", &agent, "public", &["1.3.6.1.2.1.1.5.0"]);
        assert!(ok && out.contains("petrel"), "after {what}: {out}");
    }
    // The agent counted what it dropped.
    assert!(
        counter(&agent, "1.3.6.1.2.1.11.6.0") >= 5,
        "snmpInASNParseErrs"
    );
    assert!(
        counter(&agent, "1.3.6.1.2.1.11.3.0") >= 1,
        "snmpInBadVersions"
    );
}

#[test]
fn engine_boots_persist_across_restarts() {
    if !net_snmp() {
        return;
    }
    let dir = temp_dir("boots");
    let boots = || {
        let a = Agent::start_in(dir.clone(), "");
        let t = a.target();
        let (ok, out) = tool(
            "snmpget",
            &["-v2c", "-c", "public", &t, "1.3.6.1.6.3.10.2.1.2.0"],
        );
        assert!(ok, "{out}");
        let n: u32 = out.rsplit(": ").next().unwrap().trim().parse().unwrap();
        n
    };
    let first = boots();
    let second = boots();
    assert_eq!(second, first + 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_snmp_config_names_the_field() {
    let dir = temp_dir("badconf");
    for (conf, field) in [
        (
            "[[snmp.users]]\nname = \"a\"\nauth = \"SHA-999\"\nauth_password = \"12345678\"\n",
            "snmp.users.auth",
        ),
        (
            "[[snmp.users]]\nname = \"a\"\nauth = \"SHA\"\nauth_password = \"short\"\n",
            "snmp.users.auth_password",
        ),
        (
            "[[snmp.communities]]\nname = \"x\"\nview = \"nope\"\n",
            "snmp.communities.view",
        ),
    ] {
        let path = dir.join("bad.toml");
        std::fs::write(&path, format!("[snmp]\n{conf}")).unwrap();
        let mut p = Proc::spawn(
            Command::new(env!("CARGO_BIN_EXE_petrel"))
                .arg("--config")
                .arg(&path),
        )
        .unwrap();
        let status = p.wait_timeout(WAIT).unwrap();
        assert_eq!(status.code(), Some(2), "{}", p.output());
        assert!(p.output().contains(field), "{field}: {}", p.output());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn temperature_alarm_reaches_snmptrapd_once_per_crossing() {
    if !net_snmp() {
        return;
    }
    let dir = temp_dir("alarm");
    let trap_port = free_udp_port();
    std::fs::write(
        dir.join("snmptrapd.conf"),
        "authCommunity log public\ndisableAuthorization yes\n",
    )
    .unwrap();
    let mut trapd = Proc::spawn(
        Command::new("snmptrapd")
            .env("MIBS", "")
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(dir.join("snmptrapd.conf"))
            .arg(format!("--persistentDir={}", dir.display()))
            .args(["-n", "-On", &format!("udp:127.0.0.1:{trap_port}")]),
    )
    .unwrap();
    trapd.wait_for_output("NET-SNMP version", WAIT).unwrap();
    let mut agent = Agent::start(
        "alarm",
        &format!(
            "[[snmp.communities]]\nname = \"public\"\n[[snmp.communities]]\nname = \"private\"\naccess = \"rw\"\n\
             [[snmp.traps]]\ntarget = \"127.0.0.1:{trap_port}\"\nversion = \"v2c\"\n\
             [[snmp.traps]]\ntarget = \"127.0.0.1:{trap_port}\"\nversion = \"v1\"\n"
        ),
    );
    trapd.wait_for_output("Cold Start Trap (0)", WAIT).unwrap();
    let threshold = format!("{PETREL}.1.1.6.0");
    let alarm_oid = "OID: .1.3.6.1.4.1.32473.2.0.1";
    // Threshold at the top of its range: the detector is armed (even if
    // this host runs hot enough to have alarmed at start).
    let (ok, out) = v2c("snmpset", &agent, "private", &[&threshold, "i", "1250"]);
    assert!(ok, "{out}");
    std::thread::sleep(Duration::from_millis(2500));
    let before = trapd.output().len();
    // Lowered below any temperature: one alarm, v2c and v1.
    let (ok, out) = v2c("snmpset", &agent, "private", &[&threshold, "i", "-400"]);
    assert!(ok, "{out}");
    let new = || trapd.output()[before..].to_string();
    let got = wait_until(WAIT, || {
        let t = new();
        (t.contains(alarm_oid) && t.contains("Enterprise Specific Trap (1)")).then_some(t)
    });
    let t = got.unwrap_or_else(|| panic!("no petrelTemperatureAlarm: {}", new()));
    // Its objects: petrelTemperature and the threshold as set.
    assert!(t.contains(&format!("{PETREL}.1.1.1.0 = INTEGER: ")), "{t}");
    assert!(
        t.contains(&format!("{PETREL}.1.1.6.0 = INTEGER: -400")),
        "{t}"
    );
    // v1: enterprise = the notification OID without ".0.1".
    assert!(t.contains(".1.3.6.1.4.1.32473.2"), "{t}");
    // Still above the threshold a few ticks later: no second alarm.
    std::thread::sleep(Duration::from_millis(3000));
    let t = new();
    assert_eq!(t.matches(alarm_oid).count(), 1, "{t}");
    assert_eq!(t.matches("Enterprise Specific Trap (1)").count(), 1, "{t}");
    agent
        .proc
        .wait_for_output("petrelTemperatureAlarm", WAIT)
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
