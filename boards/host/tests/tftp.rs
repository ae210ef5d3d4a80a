//! `petrel`'s TFTP server against real clients on 127.0.0.1: tftp-hpa,
//! atftp and curl (`apt-get install -y tftp-hpa atftp`; curl is
//! preinstalled). Each test starts its own petrel on a fresh port with its
//! own root directory; every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod peers;

use std::process::Command;
use std::time::Duration;

use peers::{TempDir, WAIT, config, random, run, start_petrel, udp_probe};
use petrel_interop::{Proc, free_udp_port, have};

const BIG: usize = 32 << 20;

fn have_clients() -> bool {
    let ok = have("tftp") && have("atftp") && have("curl");
    if !ok {
        eprintln!("tftp-hpa/atftp/curl missing (apt-get install -y tftp-hpa atftp): skipped");
    }
    ok
}

fn tftp_section(port: u16, root: &std::path::Path, write: bool) -> String {
    config(&format!(
        "[tftp]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\nroot = \"{}\"\nwrite = {write}\nmax_transfers = 4\n",
        root.display()
    ))
}

fn start(dir: &TempDir, port: u16, write: bool) -> Proc {
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();
    start_petrel(
        dir,
        &tftp_section(port, &root, write),
        &format!("tftp listening on 127.0.0.1:{port}"),
        "tftp",
    )
}

fn same(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x.len() == y.len() && x == y,
        _ => false,
    }
}

#[test]
fn get_and_put_32_mib_with_tftp_hpa_atftp_and_curl() {
    if !have_clients() {
        return;
    }
    let dir = TempDir::new("tftp-big");
    let port = free_udp_port();
    let petrel = start(&dir, port, true);
    let root = dir.join("root");
    let big = random(BIG, 1);
    std::fs::write(root.join("big.bin"), &big).unwrap();
    let src = dir.join("src.bin");
    std::fs::write(&src, random(BIG, 2)).unwrap();
    let p = port.to_string();
    let limit = Duration::from_secs(120);

    // Downloads.
    let out = dir.join("hpa.bin");
    let (ok, log) = run(
        Command::new("tftp")
            .args(["127.0.0.1", &p, "-m", "binary", "-c", "get", "big.bin"])
            .arg(&out),
        limit,
    );
    assert!(
        ok && same(&out, &root.join("big.bin")),
        "tftp-hpa get: {log}\n{}",
        petrel.output()
    );
    let out = dir.join("atftp.bin");
    let (ok, log) = run(
        Command::new("atftp")
            .args([
                "--option",
                "blksize 1428",
                "--option",
                "tsize 0",
                "--get",
                "-r",
                "big.bin",
                "-l",
            ])
            .arg(&out)
            .args(["127.0.0.1", &p]),
        limit,
    );
    assert!(ok && same(&out, &root.join("big.bin")), "atftp get: {log}");
    let out = dir.join("atftp-win.bin");
    let (ok, log) = run(
        Command::new("atftp")
            .args([
                "--option",
                "blksize 1428",
                "--option",
                "windowsize 8",
                "--get",
                "-r",
                "big.bin",
                "-l",
            ])
            .arg(&out)
            .args(["127.0.0.1", &p]),
        limit,
    );
    assert!(
        ok && same(&out, &root.join("big.bin")),
        "atftp windowsize get: {log}"
    );
    let out = dir.join("curl.bin");
    let (ok, log) = run(
        Command::new("curl")
            .args(["-s", "-S", "-o"])
            .arg(&out)
            .arg(format!("tftp://127.0.0.1:{port}/big.bin")),
        limit,
    );
    assert!(ok && same(&out, &root.join("big.bin")), "curl get: {log}");

    // Uploads.
    let (ok, log) = run(
        Command::new("tftp")
            .args(["127.0.0.1", &p, "-m", "binary", "-c", "put"])
            .arg(&src)
            .arg("up-hpa.bin"),
        limit,
    );
    assert!(
        ok && same(&src, &root.join("up-hpa.bin")),
        "tftp-hpa put: {log}\n{}",
        petrel.output()
    );
    let (ok, log) = run(
        Command::new("atftp")
            .args(["--option", "blksize 1428", "--put", "-l"])
            .arg(&src)
            .args(["-r", "up-atftp.bin", "127.0.0.1", &p]),
        limit,
    );
    assert!(
        ok && same(&src, &root.join("up-atftp.bin")),
        "atftp put: {log}"
    );
    let (ok, log) = run(
        Command::new("curl")
            .args(["-s", "-S", "-T"])
            .arg(&src)
            .arg(format!("tftp://127.0.0.1:{port}/up-curl.bin")),
        limit,
    );
    assert!(
        ok && same(&src, &root.join("up-curl.bin")),
        "curl put: {log}"
    );
    // Overwrite is off: a second upload of the same name is error 6
    // (curl: 73, "file already exists").
    let st = Command::new("curl")
        .args(["-s", "-T"])
        .arg(&src)
        .arg(format!("tftp://127.0.0.1:{port}/up-curl.bin"))
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(73));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    let log = petrel.output();
    assert_eq!(log.matches(": done, 33554432 bytes").count(), 7, "{log}");
}

#[test]
fn four_transfers_at_once_each_on_its_own_port() {
    if !have_clients() {
        return;
    }
    let dir = TempDir::new("tftp-four");
    let port = free_udp_port();
    let mut petrel = start(&dir, port, false);
    let root = dir.join("root");
    for i in 0..4 {
        std::fs::write(root.join(format!("f{i}")), random(8 << 20, 10 + i)).unwrap();
    }
    let mut clients: Vec<Proc> = (0..4)
        .map(|i| {
            let mut c = Command::new("curl");
            c.args(["-s", "-S", "-o"])
                .arg(dir.join(&format!("out{i}")))
                .arg(format!("tftp://127.0.0.1:{port}/f{i}"));
            Proc::spawn(&mut c).unwrap()
        })
        .collect();
    for c in &mut clients {
        assert!(
            c.wait_timeout(Duration::from_secs(60)).unwrap().success(),
            "{}",
            c.output()
        );
    }
    for i in 0..4 {
        assert!(
            same(&dir.join(&format!("out{i}")), &root.join(format!("f{i}"))),
            "file {i}"
        );
    }
    for slot in 0..4 {
        petrel
            .wait_for_output(&format!("tftp [{slot}] "), WAIT)
            .unwrap();
    }
    // Each transfer ran from its own ephemeral port (RFC 1350 TID): the
    // first reply to a request never comes from the server port.
    let rrq = b"\x00\x01f0\x00octet\x00";
    let (reply, from) = udp_probe(port, rrq).unwrap();
    assert_eq!(&reply[..4], b"\x00\x03\x00\x01");
    assert_ne!(from.port(), port);
}

#[test]
fn errors_missing_read_only_and_escapes() {
    if !have_clients() {
        return;
    }
    let dir = TempDir::new("tftp-err");
    let port = free_udp_port();
    let _petrel = start(&dir, port, false);
    let outside = dir.join("secret");
    std::fs::write(&outside, b"secret").unwrap();
    std::fs::write(dir.join("root/ok"), b"fine").unwrap();

    // Missing file: error 1; curl exits 68, tftp-hpa exits 0 and writes nothing useful.
    let (reply, _) = udp_probe(port, b"\x00\x01nope\x00octet\x00").unwrap();
    assert_eq!(&reply[..4], b"\x00\x05\x00\x01", "{reply:?}");
    let st = Command::new("curl")
        .args(["-s", "-o"])
        .arg(dir.join("x"))
        .arg(format!("tftp://127.0.0.1:{port}/nope"))
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(68));
    let hpa_out = dir.join("hpa-missing");
    let _ = run(
        Command::new("tftp")
            .args([
                "127.0.0.1",
                &port.to_string(),
                "-m",
                "binary",
                "-c",
                "get",
                "nope",
            ])
            .arg(&hpa_out),
        WAIT,
    );
    assert!(std::fs::read(&hpa_out).map_or(true, |d| d.is_empty()));

    // A write to a read-only server: access violation (curl: 69).
    let (reply, _) = udp_probe(port, b"\x00\x02new\x00octet\x00").unwrap();
    assert_eq!(&reply[..4], b"\x00\x05\x00\x02", "{reply:?}");
    let st = Command::new("curl")
        .args(["-s", "-T"])
        .arg(dir.join("root/ok"))
        .arg(format!("tftp://127.0.0.1:{port}/new"))
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(69));
    assert!(!dir.join("root/new").exists());

    // Names that leave the root: access violation, nothing served.
    std::os::unix::fs::symlink(&outside, dir.join("root/link")).unwrap();
    for name in [
        "../etc/passwd",
        "../secret",
        "/etc/passwd",
        "link",
        "a/../../secret",
    ] {
        let mut rrq = b"\x00\x01".to_vec();
        rrq.extend_from_slice(name.as_bytes());
        rrq.extend_from_slice(b"\x00octet\x00");
        let (reply, _) = udp_probe(port, &rrq).unwrap();
        assert_eq!(&reply[..4], b"\x00\x05\x00\x02", "{name}: {reply:?}");
    }
    let hpa_out = dir.join("passwd");
    let _ = run(
        Command::new("tftp")
            .args([
                "127.0.0.1",
                &port.to_string(),
                "-m",
                "binary",
                "-c",
                "get",
                "../etc/passwd",
            ])
            .arg(&hpa_out),
        WAIT,
    );
    assert!(std::fs::read(&hpa_out).map_or(true, |d| d.is_empty()));
    // Too long a name.
    let mut rrq = b"\x00\x01".to_vec();
    rrq.extend(std::iter::repeat_n(b'a', 300));
    rrq.extend_from_slice(b"\x00octet\x00");
    let (reply, _) = udp_probe(port, &rrq).unwrap();
    assert_eq!(&reply[..4], b"\x00\x05\x00\x02");
    // Still serving.
    let (reply, _) = udp_probe(port, b"\x00\x01ok\x00octet\x00").unwrap();
    assert_eq!(reply, b"\x00\x03\x00\x01fine");
}

#[test]
fn hostile_datagrams_get_clean_refusals_and_service_goes_on() {
    let dir = TempDir::new("tftp-hostile");
    let port = free_udp_port();
    let _petrel = start(&dir, port, true);
    std::fs::write(dir.join("root/ok"), b"fine").unwrap();
    let hostile: &[&[u8]] = &[
        b"\x00",
        b"\x00\x01",
        b"\x00\x01ok",
        b"\x00\x01ok\x00",
        b"\x00\x01ok\x00octet",
        b"\x00\x07ok\x00octet\x00",
        b"\xff\xffgarbage",
        b"\x00\x04\x00\x01",
        b"\x00\x03\x00\x01data",
        b"\x00\x01ok\x00octet\x00blksize\x00-5\x00",
        b"\x00\x01ok\x00octet\x00blksize\x0099999999999999999999\x00",
        b"\x00\x01ok\x00octet\x00windowsize\x000\x00timeout\x00999\x00",
        b"\x00\x01ok\x00octet\x00tsize\x00abc\x00",
        b"\x00\x01ok\x00mail\x00",
    ];
    for h in hostile {
        // An ERROR or silence; either way no crash.
        if let Some((reply, _)) = udp_probe(port, h) {
            assert!(
                reply.starts_with(b"\x00\x05")
                    || reply.starts_with(b"\x00\x03")
                    || reply.starts_with(b"\x00\x06"),
                "{h:?} -> {reply:?}"
            );
        }
    }
    let (reply, _) = udp_probe(port, b"\x00\x07x\x00octet\x00").unwrap();
    assert_eq!(
        &reply[..4],
        b"\x00\x05\x00\x04",
        "unknown opcode: illegal operation"
    );
    // The valid requests above started transfers nobody answers; they give
    // up after their retries (about 6 s) and free their slots.
    let serve_ok = || {
        petrel_interop::wait_until(Duration::from_secs(20), || {
            udp_probe(port, b"\x00\x01ok\x00octet\x00")
                .filter(|(r, _)| r.as_slice() == b"\x00\x03\x00\x01fine")
        })
        .is_some()
    };
    assert!(serve_ok());
    // A stranger talking to a transfer's port gets ERROR 5 and the transfer
    // goes on.
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.send_to(b"\x00\x01ok\x00octet\x00", ("127.0.0.1", port))
        .unwrap();
    let mut buf = [0u8; 600];
    let (n, tid) = s.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"\x00\x03\x00\x01fine");
    let (reply, _) = udp_probe(tid.port(), b"\x00\x04\x00\x01").unwrap();
    assert_eq!(&reply[..4], b"\x00\x05\x00\x05");
    s.send_to(b"\x00\x04\x00\x01", tid).unwrap();
    assert!(serve_ok());
}
