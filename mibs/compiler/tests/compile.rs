//! The compiler against small modules: what it generates, and how a broken
//! module fails (`file:line: reason`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use petrel_mibc::{Compiler, Error};

fn mibs_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Writes `text` as `<name>.mib` into a fresh directory of its own and
/// returns the file.
fn module_file(name: &str, text: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("petrel-mibc-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join(format!("{name}.mib"));
    std::fs::write(&f, text).unwrap();
    f
}

fn compiler(name: &str, text: &str) -> (Compiler, PathBuf) {
    let f = module_file(name, text);
    let mut c = Compiler::new().file(&f).module(name);
    for std in ["SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF"] {
        c = c.file(mibs_dir().join(format!("{std}.mib")));
    }
    (c, f)
}

const HEADER: &str = "IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, Integer32, Unsigned32, IpAddress, enterprises
        FROM SNMPv2-SMI
    DisplayString, TruthValue
        FROM SNMPv2-TC;

tinyMIB MODULE-IDENTITY
    LAST-UPDATED \"202611250000Z\"
    ORGANIZATION \"test\"
    CONTACT-INFO \"test\"
    DESCRIPTION \"A tiny module.\"
    REVISION \"202611250000Z\"
    DESCRIPTION \"First.\"
    ::= { enterprises 32473 99 }
";

const TINY: &str = "
tinyMode OBJECT-TYPE
    SYNTAX INTEGER { idle(1), run(2), fault(-3) }
    MAX-ACCESS read-write
    STATUS current
    DESCRIPTION \"The mode.\"
    ::= { tinyMIB 1 }

tinyLevel OBJECT-TYPE
    SYNTAX Integer32 (0..100)
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION \"A level.\"
    ::= { tinyMIB 2 }

tinyPeerTable OBJECT-TYPE
    SYNTAX SEQUENCE OF TinyPeerEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION \"Peers.\"
    ::= { tinyMIB 3 }

tinyPeerEntry OBJECT-TYPE
    SYNTAX TinyPeerEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION \"A peer.\"
    INDEX { tinyPeerAddr, tinyPeerName }
    ::= { tinyPeerTable 1 }

TinyPeerEntry ::= SEQUENCE {
    tinyPeerAddr IpAddress,
    tinyPeerName DisplayString,
    tinyPeerUp TruthValue,
    tinyPeerHits Unsigned32
}

tinyPeerAddr OBJECT-TYPE
    SYNTAX IpAddress
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION \"Address.\"
    ::= { tinyPeerEntry 1 }

tinyPeerName OBJECT-TYPE
    SYNTAX DisplayString (SIZE (1..16))
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION \"Name.\"
    ::= { tinyPeerEntry 2 }

tinyPeerUp OBJECT-TYPE
    SYNTAX TruthValue
    MAX-ACCESS read-write
    STATUS current
    DESCRIPTION \"Up.\"
    ::= { tinyPeerEntry 3 }

tinyPeerHits OBJECT-TYPE
    SYNTAX Unsigned32
    MAX-ACCESS read-only
    STATUS current
    DESCRIPTION \"Hits.\"
    ::= { tinyPeerEntry 4 }

END
";

fn tiny() -> String {
    format!("TINY-MIB DEFINITIONS ::= BEGIN\n{HEADER}{TINY}")
}

#[test]
fn small_module_generates_traits_enums_and_a_sorted_table() {
    let (c, _) = compiler("TINY-MIB", &tiny());
    let out = c.compile().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let g = &out.modules[0];
    assert_eq!(g.rust_name, "tiny_mib");
    let code = &g.code;
    for want in [
        "pub trait TinyMIB {",
        "fn tiny_mode(&self) -> TinyMode;",
        "fn set_tiny_mode(&mut self, v: TinyMode) -> Result<(), rt::SetError>;",
        "fn tiny_level(&self) -> i32;",
        "pub enum TinyMode {",
        "Fault = -3,",
        "pub type TinyPeerEntryIndex = ([u8; 4], rt::IndexString<16>);",
        "pub struct TinyPeerEntry {",
        "pub tiny_peer_up: bool,",
        "pub tiny_peer_hits: u32,",
        "pub trait TinyPeerTable {",
        "fn tiny_peer_next(&self, after: Option<&TinyPeerEntryIndex>) -> Option<(TinyPeerEntryIndex, TinyPeerEntry)>;",
        "fn set_tiny_peer_up(&mut self, index: &TinyPeerEntryIndex, v: bool) -> Result<(), rt::SetError>;",
        "ranges: &[(0, 100)]",
        "enums: &[(1, \"idle\"), (2, \"run\"), (-3, \"fault\")]",
        "rt::IndexPart { name: \"tinyPeerName\", syntax: rt::Syntax::OctetString, fixed_len: None, implied: false }",
        "T: TinyMIB + TinyPeerTable,",
    ] {
        assert!(code.contains(want), "missing {want:?} in\n{code}");
    }
    assert!(
        !code.contains("fn set_tiny_level"),
        "read-only objects get no setter"
    );
    // NODES lists every node in increasing OID order.
    let oids = table_oids(code, "pub static NODES");
    assert_eq!(oids.len(), 9);
    assert!(oids.windows(2).all(|w| w[0] < w[1]), "{oids:?}");
    assert_eq!(oids[0], [1, 3, 6, 1, 4, 1, 32473, 99]);
    // SERVED (what the engine walks) keeps only readable scalars and
    // columns, in the same order.
    let served = table_oids(code, "static SERVED");
    assert!(!served.is_empty() && served.len() < oids.len());
    assert!(served.iter().all(|o| oids.contains(o)));
    assert!(served.windows(2).all(|w| w[0] < w[1]), "{served:?}");
}

/// The OIDs of the node table that starts at the line beginning `start`.
fn table_oids(code: &str, start: &str) -> Vec<Vec<u32>> {
    code.lines()
        .skip_while(|l| !l.starts_with(start))
        .skip(1)
        .take_while(|l| !l.starts_with("];"))
        .filter_map(|l| l.trim().strip_prefix("rt::Node { oid: &["))
        .map(|l| {
            l.split(']')
                .next()
                .unwrap()
                .split(", ")
                .map(|a| a.parse().unwrap())
                .collect()
        })
        .collect()
}

fn fails(name: &str, text: &str) -> (Error, String) {
    let (c, f) = compiler(name, text);
    let e = c.compile().expect_err("a broken module must not compile");
    let file = f.display().to_string();
    let msg = e.to_string();
    assert!(!e.problems.is_empty());
    for p in &e.problems {
        assert!(p.line > 0, "no line in {p}");
    }
    (e, format!("{msg}\n(file {file})"))
}

#[test]
fn unknown_import_fails_with_file_and_line() {
    let text = tiny().replace(
        "DisplayString, TruthValue",
        "DisplayString, TruthValue, NoSuchThing",
    );
    let (e, msg) = fails("TINY-MIB", &text);
    let p = e
        .problems
        .iter()
        .find(|p| p.reason.contains("NoSuchThing"))
        .unwrap_or_else(|| panic!("{msg}"));
    assert!(p.file.ends_with("TINY-MIB.mib"), "{msg}");
    assert_eq!(p.line, 5, "{msg}");
    assert!(
        p.to_string().starts_with(&format!("{}:5: ", p.file)),
        "{msg}"
    );
}

#[test]
fn unresolved_parent_fails_with_file_and_line() {
    let text = tiny().replace("::= { tinyMIB 2 }", "::= { tinyNowhere 2 }");
    let (e, msg) = fails("TINY-MIB", &text);
    let line = text
        .lines()
        .position(|l| l.starts_with("tinyLevel OBJECT-TYPE"))
        .unwrap()
        + 1;
    let p = e
        .problems
        .iter()
        .find(|p| p.reason.contains("tinyNowhere"))
        .unwrap_or_else(|| panic!("{msg}"));
    assert!(p.file.ends_with("TINY-MIB.mib"), "{msg}");
    assert!(
        (line..line + 6).contains(&p.line),
        "line {} not near {line}: {msg}",
        p.line
    );
}

#[test]
fn bad_syntax_fails_with_file_and_line() {
    let text = tiny().replace("SYNTAX Integer32 (0..100)", "SYNTAX Integer32 (0..");
    let (e, msg) = fails("TINY-MIB", &text);
    let line = text
        .lines()
        .position(|l| l.contains("SYNTAX Integer32 (0.."))
        .unwrap()
        + 1;
    assert!(
        e.problems
            .iter()
            .any(|p| p.file.ends_with("TINY-MIB.mib") && p.line >= line),
        "{msg}"
    );
}

#[test]
fn missing_module_is_named() {
    let e = Compiler::new()
        .search_dir(mibs_dir())
        .module("NOPE-MIB")
        .compile()
        .unwrap_err();
    assert!(e.to_string().contains("NOPE-MIB"), "{e}");
}

#[test]
fn standard_modules_compile() {
    let out = Compiler::new()
        .search_dir(mibs_dir())
        .module("PETREL-MIB")
        .module("SNMPv2-MIB")
        .module("IF-MIB")
        .compile()
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = out.modules.iter().map(|m| m.rust_name.as_str()).collect();
    assert_eq!(names, ["petrel_mib", "snmpv2_mib", "if_mib"]);
    // PETREL-MIB is clean; IF-MIB has its known accessible ifIndex.
    assert!(
        out.warnings
            .iter()
            .all(|w| !w.file.ends_with("PETREL-MIB.mib")),
        "{:?}",
        out.warnings
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.file.ends_with("IF-MIB.mib") && w.line > 0)
    );
    let if_mib = &out.modules[2].code;
    assert!(if_mib.contains("pub type IfStackEntryIndex = (i32, i32);"));
    assert!(if_mib.contains("pub enum IfAdminStatus {"));
}
