//! Build step: puts `memory.x` where cortex-m-rt's `link.x` finds it, and turns
//! the build-time network configuration (environment variables) into Rust
//! constants, so a bad address fails the build instead of the boot.
//!
//! - `PETREL_IP`: static address and prefix (default `198.51.100.2/24`);
//!   ignored with the `dhcp` feature.
//! - `PETREL_GATEWAY`: static default gateway, or `none` (default `198.51.100.1`).
//! - `PETREL_SELFTEST_PEER`: the TCP echo peer the self-test connects to
//!   (default `10.0.2.100:7`, QEMU's `guestfwd` to `cat`).
//! - `PETREL_SELFTEST_TFTP`: the TFTP server the self-test reads from
//!   (default `10.0.2.2`, QEMU's built-in one).
//! - `PETREL_NAME`: the device name, used in MQTT topics
//!   (`petrel/<name>/…`) and as the MQTT client id (default `an386`):
//!   1..=23 characters of `[A-Za-z0-9_-]`.
//! - `PETREL_MQTT_BROKER`: the MQTT broker as `IP:PORT`
//!   (default `198.51.100.1:1883`), or `none` to leave the client off.
//! - `PETREL_SNTP_SERVER`: the SNTP server as `IP` or `IP:PORT` (default
//!   `198.51.100.1:123`), or `none` (with `dhcp`: DHCP option 42 only).

// A bad build-time setting must stop the build, with the variable named.
#![allow(clippy::panic, clippy::expect_used)]

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;

fn var(name: &str, default: &str) -> String {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).unwrap_or_else(|_| default.to_string())
}

fn octets(a: Ipv4Addr) -> String {
    let [a, b, c, d] = a.octets();
    format!("[{a}, {b}, {c}, {d}]")
}

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");

    let ip = var("PETREL_IP", "198.51.100.2/24");
    let (addr, prefix) = ip
        .split_once('/')
        .unwrap_or_else(|| panic!("PETREL_IP={ip}: expected ADDR/PREFIX"));
    let addr: Ipv4Addr = addr
        .parse()
        .unwrap_or_else(|e| panic!("PETREL_IP={ip}: bad address: {e}"));
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= 32)
        .unwrap_or_else(|| panic!("PETREL_IP={ip}: prefix must be 0..=32"));
    let gw = var("PETREL_GATEWAY", "198.51.100.1");
    let gw = if gw == "none" {
        "None".to_string()
    } else {
        let g: Ipv4Addr = gw
            .parse()
            .unwrap_or_else(|e| panic!("PETREL_GATEWAY={gw}: {e}"));
        format!("Some({})", octets(g))
    };
    let peer = var("PETREL_SELFTEST_PEER", "10.0.2.100:7");
    let peer: SocketAddrV4 = peer
        .parse()
        .unwrap_or_else(|e| panic!("PETREL_SELFTEST_PEER={peer}: {e}"));
    let tftp = var("PETREL_SELFTEST_TFTP", "10.0.2.2");
    let tftp: Ipv4Addr = tftp
        .parse()
        .unwrap_or_else(|e| panic!("PETREL_SELFTEST_TFTP={tftp}: {e}"));

    let name = var("PETREL_NAME", "an386");
    if name.is_empty()
        || name.len() > 23
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        panic!("PETREL_NAME={name}: expected 1..=23 characters of [A-Za-z0-9_-]");
    }
    let broker = var("PETREL_MQTT_BROKER", "198.51.100.1:1883");
    let broker = if broker == "none" {
        "None".to_string()
    } else {
        let b: SocketAddrV4 = broker.parse().unwrap_or_else(|e| {
            panic!("PETREL_MQTT_BROKER={broker}: expected IP:PORT or none: {e}")
        });
        if b.port() == 0 {
            panic!("PETREL_MQTT_BROKER={broker}: port must be 1..=65535");
        }
        format!("Some((\"{}\", {}))", b.ip(), b.port())
    };

    let sntp = var("PETREL_SNTP_SERVER", "198.51.100.1:123");
    let sntp = if sntp == "none" {
        "None".to_string()
    } else {
        let with_port = if sntp.contains(':') {
            sntp.clone()
        } else {
            format!("{sntp}:123")
        };
        let a: SocketAddrV4 = with_port.parse().unwrap_or_else(|e| {
            panic!("PETREL_SNTP_SERVER={sntp}: expected IP, IP:PORT or none: {e}")
        });
        format!("Some(({}, {}))", octets(*a.ip()), a.port())
    };

    let mut s = String::new();
    let _ = writeln!(
        s,
        "/// SNTP server (`PETREL_SNTP_SERVER`); `None`: DHCP option 42 only."
    );
    let _ = writeln!(
        s,
        "pub(crate) const SNTP_SERVER: Option<([u8; 4], u16)> = {sntp};"
    );
    let _ = writeln!(s, "/// Device name (`PETREL_NAME`).");
    let _ = writeln!(s, "pub(crate) const DEVICE_NAME: &str = {name:?};");
    let _ = writeln!(
        s,
        "/// MQTT broker address and port (`PETREL_MQTT_BROKER`); `None`: client off."
    );
    let _ = writeln!(
        s,
        "pub(crate) const MQTT_BROKER: Option<(&str, u16)> = {broker};"
    );
    // The topics, fixed at build time (the name has no wildcard or `/`).
    for (konst, doc, topic) in [
        (
            "MQTT_TELEMETRY_TOPIC",
            "Telemetry topic.",
            format!("petrel/{name}/telemetry"),
        ),
        (
            "MQTT_REPLY_TOPIC",
            "Command reply topic.",
            format!("petrel/{name}/reply"),
        ),
        (
            "MQTT_CMD_ROOT",
            "Command topics start here.",
            format!("petrel/{name}/cmd"),
        ),
        (
            "MQTT_CMD_FILTER",
            "Command subscription.",
            format!("petrel/{name}/cmd/#"),
        ),
    ] {
        let _ = writeln!(s, "/// {doc}");
        let _ = writeln!(s, "pub(crate) const {konst}: &str = {topic:?};");
    }
    let _ = writeln!(s, "/// Static address (`PETREL_IP`).");
    let _ = writeln!(
        s,
        "pub(crate) const STATIC_ADDR: [u8; 4] = {};",
        octets(addr)
    );
    let _ = writeln!(s, "/// Static prefix length (`PETREL_IP`).");
    let _ = writeln!(s, "pub(crate) const STATIC_PREFIX: u8 = {prefix};");
    let _ = writeln!(s, "/// Static gateway (`PETREL_GATEWAY`).");
    let _ = writeln!(
        s,
        "pub(crate) const STATIC_GATEWAY: Option<[u8; 4]> = {gw};"
    );
    let _ = writeln!(s, "/// Self-test TCP echo peer (`PETREL_SELFTEST_PEER`).");
    let _ = writeln!(
        s,
        "pub(crate) const SELFTEST_PEER: ([u8; 4], u16) = ({}, {});",
        octets(*peer.ip()),
        peer.port()
    );
    let _ = writeln!(s, "/// Self-test TFTP server (`PETREL_SELFTEST_TFTP`).");
    let _ = writeln!(
        s,
        "pub(crate) const SELFTEST_TFTP: [u8; 4] = {};",
        octets(tftp)
    );
    fs::write(out.join("netcfg.rs"), s).expect("write netcfg.rs");
}
