//! The driver against a scripted broker (a tokio TCP listener in the test)
//! for what a real broker will not do: duplicate QoS 2 PUBLISHes, malformed
//! packets, and silence after CONNECT.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration as StdDuration;

use common::*;
use petrel_mqtt::client::LostReason;
use petrel_mqtt::codec::{QoS, Version};
use petrel_mqtt::driver::{ConnectFailure, Phase};
use petrel_netcore::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: StdDuration = StdDuration::from_secs(10);

/// Reads one MQTT packet: (first byte, body).
async fn read_packet(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let h = s.read_u8().await.ok()?;
    let (mut len, mut mul) = (0usize, 1usize);
    for _ in 0..4 {
        let b = s.read_u8().await.ok()?;
        len += usize::from(b & 0x7f) * mul;
        mul *= 128;
        if b & 0x80 == 0 {
            break;
        }
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await.ok()?;
    Some((h, body))
}

fn connack(version: Version) -> &'static [u8] {
    match version {
        Version::V5 => &[0x20, 0x03, 0x00, 0x00, 0x00],
        _ => &[0x20, 0x02, 0x00, 0x00],
    }
}

async fn accept(l: &TcpListener) -> TcpStream {
    let (mut s, _) = tokio::time::timeout(WAIT, l.accept())
        .await
        .unwrap()
        .unwrap();
    let (h, _) = tokio::time::timeout(WAIT, read_packet(&mut s))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h, 0x10, "CONNECT first");
    s
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[test]
fn duplicate_qos2_publish_is_delivered_once() {
    for version in [Version::V311, Version::V5] {
        local(StdDuration::from_secs(20), async move {
            let (l, port) = listener().await;
            let mut h = Harness::new(config(version, "dup"), driver_config(port));
            h.spawn();
            let mut s = accept(&l).await;
            s.write_all(connack(version)).await.unwrap();
            // PUBLISH QoS 2, id 7, topic "a/b", payload "x"; then the same with DUP.
            let props: &[u8] = if version == Version::V5 { &[0x00] } else { &[] };
            let mut p = vec![0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07];
            p.extend_from_slice(props);
            p.push(b'x');
            let mut first = vec![0x34, p.len() as u8];
            first.extend_from_slice(&p);
            let mut dup = first.clone();
            dup[0] = 0x3c;
            s.write_all(&first).await.unwrap();
            s.write_all(&dup).await.unwrap();
            // Two PUBRECs (one per copy), then PUBREL → PUBCOMP.
            for _ in 0..2 {
                let (t, body) = tokio::time::timeout(WAIT, read_packet(&mut s))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!((t, &body[..2]), (0x50, &[0x00, 0x07][..]));
            }
            s.write_all(&[0x62, 0x02, 0x00, 0x07]).await.unwrap();
            let (t, body) = tokio::time::timeout(WAIT, read_packet(&mut s))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((t, &body[..2]), (0x70, &[0x00, 0x07][..]));
            // After PUBCOMP the id is free: a new message with it is new.
            s.write_all(&first).await.unwrap();
            let (t, _) = tokio::time::timeout(WAIT, read_packet(&mut s))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(t, 0x50);
            tokio::time::sleep(StdDuration::from_millis(100)).await;
            let got = h.received("a/");
            assert_eq!(
                got.len(),
                2,
                "one delivery per message, not per copy: {got:?}"
            );
            assert!(got.iter().all(|m| m.1 == b"x" && m.2 == QoS::ExactlyOnce));
            h.stop().await;
        });
    }
}

/// Sends `bad` after CONNACK; the client must drop the connection with a
/// protocol error and come back.
fn malformed(
    name: &str,
    version: Version,
    bad: Vec<u8>,
    max_packet: u32,
    check: fn(&LostReason) -> bool,
) {
    let name = name.to_string();
    local(StdDuration::from_secs(20), async move {
        let (l, port) = listener().await;
        let mut cfg = config(version, "hostile");
        cfg.max_packet_size = max_packet;
        let mut h = Harness::new(cfg, driver_config(port));
        h.spawn();
        let mut s = accept(&l).await;
        s.write_all(connack(version)).await.unwrap();
        h.connected(1).await;
        s.write_all(&bad).await.unwrap();
        // The client answers (MQTT 5: DISCONNECT with a reason) and closes.
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(WAIT, s.read_to_end(&mut rest))
            .await
            .unwrap();
        if version == Version::V5 {
            assert_eq!(
                rest.first(),
                Some(&0xe0),
                "{name}: DISCONNECT expected, got {rest:x?}"
            );
            assert!(
                rest.get(2).is_some_and(|r| *r >= 0x80),
                "{name}: error reason: {rest:x?}"
            );
        }
        let _ = closed;
        let reason = h
            .wait_for(WAIT, "ConnectionLost", |log| {
                log.iter().find_map(|(_, r)| match r {
                    Rec::Lost(r) => Some(*r),
                    _ => None,
                })
            })
            .await;
        assert!(check(&reason), "{name}: {reason:?}");
        // And reconnects after the back-off.
        let mut s2 = accept(&l).await;
        s2.write_all(connack(version)).await.unwrap();
        h.connected(2).await;
        h.stop().await;
    });
}

fn is_malformed(r: &LostReason) -> bool {
    matches!(r, LostReason::Malformed(_))
}

fn is_protocol_error(r: &LostReason) -> bool {
    matches!(
        r,
        LostReason::Malformed(_) | LostReason::ProtocolViolation(_)
    )
}

#[test]
fn malformed_remaining_length() {
    for v in [Version::V311, Version::V5] {
        malformed(
            "remaining length",
            v,
            vec![0x30, 0xff, 0xff, 0xff, 0xff, 0x7f],
            64 * 1024,
            is_malformed,
        );
    }
}

#[test]
fn oversized_packet() {
    for v in [Version::V311, Version::V5] {
        // 100 000 bytes announced, 8 KiB allowed.
        let mut bad = vec![0x30, 0xa0, 0x8d, 0x06];
        bad.extend_from_slice(&[0x00, 0x01, b't']);
        malformed("oversized", v, bad, 8 * 1024, is_protocol_error);
    }
}

#[test]
fn unknown_packet_type() {
    for v in [Version::V311, Version::V5] {
        malformed("type 0", v, vec![0x00, 0x00], 64 * 1024, is_malformed);
    }
    // AUTH (type 15) exists only in MQTT 5.
    malformed(
        "AUTH in 3.1.1",
        Version::V311,
        vec![0xf0, 0x00],
        64 * 1024,
        is_malformed,
    );
}

#[test]
fn invalid_utf8_topic() {
    malformed(
        "utf-8 3.1.1",
        Version::V311,
        vec![0x30, 0x05, 0x00, 0x02, 0xc3, 0x28, b'x'],
        64 * 1024,
        is_malformed,
    );
    malformed(
        "utf-8 5",
        Version::V5,
        vec![0x30, 0x06, 0x00, 0x02, 0xc3, 0x28, 0x00, b'x'],
        64 * 1024,
        is_malformed,
    );
}

#[test]
fn silent_broker_times_out_waiting_for_connack() {
    local(StdDuration::from_secs(20), async move {
        let (l, port) = listener().await;
        let mut cfg = config(Version::V5, "silent");
        cfg.connect_timeout = Duration::from_millis(300);
        let mut h = Harness::new(cfg, driver_config(port));
        h.spawn();
        let _s = accept(&l).await;
        let (t, cause) = h
            .wait_for(WAIT, "ConnectFailed", |log| {
                log.iter().find_map(|(t, r)| match r {
                    Rec::ConnectFailed { cause, .. } => Some((*t, *cause)),
                    _ => None,
                })
            })
            .await;
        assert_eq!(cause, ConnectFailure::TimedOut(Phase::ConnAck));
        let start = h.events()[0].0;
        assert!(t - start >= Duration::from_millis(300) && t - start < Duration::from_secs(2));
        // It tries again on a new connection.
        let _s2 = accept(&l).await;
        h.stop().await;
    });
}

#[test]
fn a_handler_asking_for_a_due_wake_up_does_not_spin_the_back_off() {
    local(StdDuration::from_secs(20), async move {
        // Nothing listens: every attempt is refused, then the back-off
        // (50..800 ms) is waited out while the handler keeps answering
        // `Some(now)`. Before the driver ignored such answers, each one
        // woke it at once: a busy loop for the whole back-off.
        let port = petrel_interop::free_port();
        let mut h = Harness::new(config(Version::V311, "due"), driver_config(port));
        h.rec.answer_now.set(true);
        h.spawn();
        tokio::time::sleep(StdDuration::from_millis(1500)).await;
        let polls = h.rec.polls.get();
        let failures = h
            .recs()
            .iter()
            .filter(|r| matches!(r, Rec::ConnectFailed { .. }))
            .count() as u64;
        h.stop().await;
        assert!(failures >= 2, "{:#?}", h.recs());
        // A poll or two per attempt (after its events, at the back-off's
        // end), not thousands.
        assert!(
            polls <= 10 * failures,
            "{polls} polls for {failures} attempts"
        );
    });
}
