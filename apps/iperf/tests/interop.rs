//! Interop with the real iperf 2.1.8 client on 127.0.0.1 (skipped when
//! `iperf` is not installed: `apt-get install -y iperf`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use petrel_iperf::{ReverseMode, TcpEvent, TcpServerSession, UdpEvent, UdpServer};
use petrel_netcore::time::Instant;

fn have_iperf() -> bool {
    Command::new("iperf")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn now(t0: StdInstant) -> Instant {
    Instant::from_micros(t0.elapsed().as_micros() as u64)
}

#[test]
fn real_iperf_udp_client_gets_our_server_report() {
    if !have_iperf() {
        eprintln!("iperf not installed: skipped");
        return;
    }
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    sock.set_read_timeout(Some(StdDuration::from_millis(100)))
        .unwrap();
    let child = Command::new("iperf")
        .args([
            "-c",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-u",
            "-b",
            "1M",
            "-t",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = StdInstant::now();
    let mut srv: UdpServer<std::net::SocketAddr, 2> = UdpServer::new();
    let mut buf = [0u8; 65536];
    let mut finished = None;
    while t0.elapsed() < StdDuration::from_secs(8) {
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            srv.handle_datagram(now(t0), from, &buf[..n]);
            let mut out = [0u8; 256];
            while let Some((to, m)) = srv.poll_transmit(&mut out) {
                sock.send_to(&out[..m], to).unwrap();
            }
            while let Some((_, e)) = srv.poll_event() {
                if let UdpEvent::Finished(r) = e {
                    finished = Some(r);
                }
            }
        }
        if finished.is_some() && t0.elapsed() > StdDuration::from_secs(3) {
            break;
        }
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let r = finished.expect("no FIN");
    assert!(r.datagrams >= 80 && r.errors == 0, "{r:?}");
    assert!(text.contains("Server Report"), "{text}");
    assert!(text.contains(&format!("0/{}", r.datagrams)), "{text}");
}

#[test]
fn real_iperf_tcp_client_header_and_bytes() {
    if !have_iperf() {
        eprintln!("iperf not installed: skipped");
        return;
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut child = Command::new("iperf")
        .args(["-c", "127.0.0.1", "-p", &port.to_string(), "-t", "1", "-r"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut c, _) = l.accept().unwrap();
    let t0 = StdInstant::now();
    let mut s = TcpServerSession::new(now(t0), 1, None);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => s.handle_data(now(t0), &buf[..n]),
        }
    }
    s.handle_close(now(t0));
    let ev: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        matches!(ev[0], TcpEvent::Started { header: Ok(_) }),
        "{ev:?}"
    );
    assert!(s.bytes() > 1 << 20);
    assert!(ev.iter().any(|e| matches!(e, TcpEvent::Reverse { mode: ReverseMode::Tradeoff, port: p, .. } if *p == port)));
}
