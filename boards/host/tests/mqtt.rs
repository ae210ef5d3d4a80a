//! `petrel` with `[mqtt]` against a real mosquitto on 127.0.0.1: telemetry
//! reaches `mosquitto_sub`, `ping` is answered with `pong`, and a bad broker
//! URL is a configuration error.
//!
//! Needs `mosquitto` and `mosquitto-clients`. Every wait is bounded; every
//! process is killed by a guard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use petrel_interop::{Proc, free_port, have, run_with_limit, wait_until};

const WAIT: Duration = Duration::from_secs(10);

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("petrel-host-mqtt-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mosquitto(dir: &TempDir) -> (Proc, u16) {
    assert!(
        have("mosquitto"),
        "apt-get install -y mosquitto mosquitto-clients"
    );
    let port = free_port();
    let conf = dir.0.join("mosquitto.conf");
    let user = if petrel_interop::can_make_namespaces() {
        "user root\n"
    } else {
        ""
    };
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n{user}"),
    )
    .unwrap();
    let p = Proc::spawn(Command::new("mosquitto").arg("-c").arg(&conf)).unwrap();
    assert!(
        wait_until(WAIT, || std::net::TcpStream::connect(("127.0.0.1", port))
            .ok())
        .is_some(),
        "mosquitto did not start: {}",
        p.output()
    );
    (p, port)
}

fn petrel_config(dir: &TempDir, broker: &str) -> PathBuf {
    let path = dir.0.join("petrel.toml");
    let text = format!(
        "[device]\nname = \"devx\"\n\
         [http]\nenabled = false\n[https]\nenabled = false\n[snmp]\nenabled = false\n\
         [echo]\nenabled = false\n[tftp]\nenabled = false\n[iperf]\nenabled = false\n\
         [mqtt]\nenabled = true\nbroker = \"{broker}\"\ninterval = 1\nkeepalive = 10\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn petrel(config: &PathBuf) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_petrel"));
    cmd.arg("--config")
        .arg(config)
        .args(["--only", "mqtt"])
        .env_remove("RUST_LOG");
    Proc::spawn(&mut cmd).unwrap()
}

/// Starts `mosquitto_sub` with client id `id` and waits until the broker has
/// acknowledged its subscription.
fn subscriber(broker: &mut Proc, port: u16, id: &str, topic: &str) -> Proc {
    let p = Proc::spawn(Command::new("mosquitto_sub").args([
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-i",
        id,
        "-t",
        topic,
        "-C",
        "1",
        "-W",
        "10",
    ]))
    .unwrap();
    broker
        .wait_for_output(&format!("Sending SUBACK to {id}"), WAIT)
        .unwrap();
    p
}

#[test]
fn telemetry_is_published_and_ping_is_answered() {
    let dir = TempDir::new("telemetry");
    let (mut broker, port) = mosquitto(&dir);
    let mut telemetry = subscriber(
        &mut broker,
        port,
        "watch-telemetry",
        "petrel/devx/telemetry",
    );
    let url = format!("mqtt://127.0.0.1:{port}");
    let mut p = petrel(&petrel_config(&dir, &url));
    p.wait_for_output(&format!("mqtt connecting to {url}"), WAIT)
        .unwrap();
    p.wait_for_output("mqtt connected", WAIT).unwrap();

    let status = telemetry.wait_timeout(WAIT).unwrap();
    let json = telemetry.output();
    assert!(status.success(), "{json}");
    for key in [
        "\"device\":\"devx\"",
        "\"uptime_s\":",
        "\"interfaces\":[",
        "\"tcp\":{",
        "\"udp\":{",
        "\"services\":{",
        "\"mqtt\":true",
    ] {
        assert!(json.contains(key), "{key} missing in {json}");
    }

    let mut reply = subscriber(&mut broker, port, "watch-reply", "petrel/devx/reply");
    broker
        .wait_for_output("Sending SUBACK to devx", Duration::ZERO)
        .ok();
    let (st, out) = run_with_limit(
        Command::new("mosquitto_pub").args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "petrel/devx/cmd/ping",
            "-m",
            "now",
            "-q",
            "1",
        ]),
        WAIT,
    )
    .unwrap();
    assert!(st.success(), "{out}");
    let status = reply.wait_timeout(WAIT).unwrap();
    assert!(status.success(), "{}", reply.output());
    assert_eq!(reply.output().trim(), "pong");
    p.wait_for_output("mqtt command \"ping\" on petrel/devx/cmd/ping: now", WAIT)
        .unwrap();
}

#[test]
fn bad_broker_url_is_a_config_error() {
    let dir = TempDir::new("badurl");
    for bad in ["http://127.0.0.1:1883", "mqtt://", "mqtt://host:0"] {
        let mut p = petrel(&petrel_config(&dir, bad));
        let status = p.wait_timeout(WAIT).unwrap();
        assert_eq!(status.code(), Some(2), "{bad}: {}", p.output());
        assert!(p.output().contains("mqtt.broker"), "{bad}: {}", p.output());
    }
}

#[test]
fn unreachable_broker_is_retried_with_log_lines() {
    let dir = TempDir::new("refused");
    let port = free_port();
    let mut p = petrel(&petrel_config(&dir, &format!("mqtt://127.0.0.1:{port}")));
    let line = p.wait_for_output("mqtt connect failed", WAIT).unwrap();
    assert!(line.contains("connection refused"), "{line}");
    p.wait_for_output("retry in", WAIT).unwrap();
}

/// mosquitto with a plain listener (for `mosquitto_sub`) and a TLS listener
/// whose certificate for `localhost` is signed by `ca.pem`; `other.pem` is an
/// unrelated CA.
fn tls_mosquitto(dir: &TempDir) -> (Proc, u16, u16) {
    assert!(
        have("mosquitto"),
        "apt-get install -y mosquitto mosquitto-clients"
    );
    petrel_interop::openssl_test_pki(&dir.0).unwrap();
    let (plain, tls) = (free_port(), free_port());
    let conf = dir.0.join("mosquitto.conf");
    let d = dir.0.display();
    let user = if petrel_interop::can_make_namespaces() {
        "user root\n"
    } else {
        ""
    };
    std::fs::write(
        &conf,
        format!(
            "per_listener_settings false\nallow_anonymous true\npersistence false\n\
             log_dest stderr\nlog_type all\n{user}\
             listener {plain} 127.0.0.1\n\
             listener {tls} 127.0.0.1\ncertfile {d}/srv.pem\nkeyfile {d}/srv.key\n"
        ),
    )
    .unwrap();
    let p = Proc::spawn(Command::new("mosquitto").arg("-c").arg(&conf)).unwrap();
    for port in [plain, tls] {
        assert!(
            wait_until(WAIT, || std::net::TcpStream::connect(("127.0.0.1", port))
                .ok())
            .is_some(),
            "mosquitto did not start: {}",
            p.output()
        );
    }
    (p, plain, tls)
}

fn petrel_tls_config(dir: &TempDir, tls_port: u16, ca: &str) -> PathBuf {
    let path = dir.0.join("petrel.toml");
    std::fs::write(
        &path,
        format!(
            "[device]\nname = \"devx\"\n[mqtt]\nenabled = true\n\
             broker = \"mqtts://localhost:{tls_port}\"\nca_file = \"{ca}\"\ninterval = 1\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn mqtts_with_the_right_ca_publishes_telemetry() {
    let dir = TempDir::new("mqtts-ok");
    let (mut broker, plain, tls) = tls_mosquitto(&dir);
    let mut telemetry = subscriber(&mut broker, plain, "watch-tls", "petrel/devx/telemetry");
    // ca_file is relative: resolved next to the config file.
    let mut p = petrel(&petrel_tls_config(&dir, tls, "ca.pem"));
    p.wait_for_output(&format!("mqtt connecting to mqtts://localhost:{tls}"), WAIT)
        .unwrap();
    p.wait_for_output("mqtt connected", WAIT)
        .unwrap_or_else(|e| panic!("{e}\nbroker: {}", broker.output()));
    let status = telemetry.wait_timeout(WAIT).unwrap();
    assert!(status.success(), "{}", telemetry.output());
    assert!(telemetry.output().contains("\"device\":\"devx\""));
}

#[test]
fn mqtts_with_a_wrong_ca_fails_with_the_tls_error_and_retries() {
    let dir = TempDir::new("mqtts-bad");
    let (_broker, _plain, tls) = tls_mosquitto(&dir);
    let mut p = petrel(&petrel_tls_config(&dir, tls, "other.pem"));
    let line = p.wait_for_output("mqtt connect failed", WAIT).unwrap();
    assert!(
        line.contains("unknown") || line.contains("UnknownCa") || line.contains("CA"),
        "{line}"
    );
    assert!(line.contains("retry in"), "{line}");
}

#[test]
fn mqtts_with_an_unreadable_ca_file_is_exit_2() {
    let dir = TempDir::new("mqtts-noca");
    let mut p = petrel(&petrel_tls_config(&dir, 8883, "missing.pem"));
    let status = p.wait_timeout(WAIT).unwrap();
    assert_eq!(status.code(), Some(2), "{}", p.output());
    assert!(p.output().contains("mqtt.ca_file"), "{}", p.output());
}
