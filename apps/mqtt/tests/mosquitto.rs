//! The driver over the host's sockets against a real mosquitto 2.0 started
//! by each test on 127.0.0.1 (see `shared/PEERS.md`).
//!
//! Needs `mosquitto` and `mosquitto-clients` installed. Every wait is
//! bounded; brokers are killed by guards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use common::*;
use petrel_mqtt::client::ConnectError;
use petrel_mqtt::codec::{Properties, QoS, SubscriptionOptions, Version, Will};
use petrel_mqtt::driver::{ConnectFailure, DriverConfig};
use petrel_netcore::time::Duration;

const WAIT: StdDuration = StdDuration::from_secs(10);

fn sub(filter: &str, qos: QoS) -> [(&str, SubscriptionOptions); 1] {
    [(filter, SubscriptionOptions::qos(qos))]
}

fn qos_roundtrip(version: Version) {
    let broker = Mosquitto::start("");
    local(StdDuration::from_secs(30), async move {
        let mut h = Harness::new(config(version, "qos-rt"), driver_config(broker.port));
        let id = h.mqtt.subscribe(&sub("rt/#", QoS::ExactlyOnce)).unwrap();
        h.spawn();
        assert!(!h.connected(1).await);
        assert_eq!(h.subscribed(id).await, vec![2]);
        let mut ids = Vec::new();
        for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .enumerate()
        {
            let payload = format!("m{i}");
            let id = h
                .mqtt
                .publish(&format!("rt/{i}"), payload.as_bytes(), qos, false)
                .unwrap();
            assert_eq!(id.is_some(), qos != QoS::AtMostOnce);
            ids.extend(id);
        }
        h.wait_for(WAIT, "3 messages", |_| {
            (h.received("rt/").len() >= 3).then_some(())
        })
        .await;
        h.wait_for(WAIT, "2 deliveries", |_| {
            (h.delivered().len() >= 2).then_some(())
        })
        .await;
        let got = h.received("rt/");
        assert_eq!(got.len(), 3, "{got:?}");
        for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .enumerate()
        {
            let m = got.iter().find(|m| m.0 == format!("rt/{i}")).unwrap();
            assert_eq!(
                (m.1.as_slice(), m.2, m.3),
                (format!("m{i}").as_bytes(), qos, false)
            );
        }
        assert_eq!(h.delivered(), ids);
        // A message from another client arrives too (QoS 2 both ways).
        broker.publish(&["-t", "rt/x", "-m", "from-cli", "-q", "2"]);
        h.wait_for(WAIT, "rt/x", |_| h.received("rt/x").first().cloned())
            .await;
        h.stop().await;
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        assert_eq!(
            h.received("rt/").len(),
            4,
            "exactly once: {:?}",
            h.received("rt/")
        );
    });
}

#[test]
fn qos_0_1_2_v311() {
    qos_roundtrip(Version::V311);
}

#[test]
fn qos_0_1_2_v5() {
    qos_roundtrip(Version::V5);
}

#[test]
fn retained_message_on_subscribe() {
    let broker = Mosquitto::start("");
    broker.publish(&["-t", "ret/a", "-m", "kept", "-r", "-q", "1"]);
    for version in [Version::V311, Version::V5] {
        let port = broker.port;
        local(StdDuration::from_secs(20), async move {
            let mut h = Harness::new(config(version, "ret"), driver_config(port));
            h.spawn();
            h.connected(1).await;
            let id = h.mqtt.subscribe(&sub("ret/#", QoS::AtLeastOnce)).unwrap();
            h.subscribed(id).await;
            let m = h
                .wait_for(WAIT, "retained", |_| h.received("ret/").first().cloned())
                .await;
            assert_eq!(
                (m.0.as_str(), m.1.as_slice(), m.3),
                ("ret/a", &b"kept"[..], true)
            );
            h.stop().await;
        });
    }
}

#[test]
fn will_is_published_when_the_connection_is_aborted() {
    let broker = Mosquitto::start("");
    for version in [Version::V311, Version::V5] {
        let port = broker.port;
        local(StdDuration::from_secs(20), async move {
            let mut watcher = Harness::new(config(version, "watcher"), driver_config(port));
            let id = watcher
                .mqtt
                .subscribe(&sub("will/#", QoS::AtLeastOnce))
                .unwrap();
            watcher.spawn();
            watcher.subscribed(id).await;

            let mut cfg = config(version, "dying");
            cfg.will = Some(Will {
                topic: "will/dying",
                payload: &[0xde, 0xad, 0x00, 0xff],
                qos: QoS::AtLeastOnce,
                retain: false,
                properties: Properties::EMPTY,
            });
            let mut dying = Harness::new(cfg, driver_config(port));
            dying.spawn();
            dying.connected(1).await;
            assert!(watcher.received("will/").is_empty());
            dying.mqtt.abort();
            let m = watcher
                .wait_for(WAIT, "will", |_| watcher.received("will/").first().cloned())
                .await;
            assert_eq!(
                (m.0.as_str(), m.1.as_slice(), m.2),
                (
                    "will/dying",
                    &[0xde, 0xad, 0x00, 0xff][..],
                    QoS::AtLeastOnce
                )
            );
            // The aborted client reconnects by itself.
            dying.connected(2).await;
            // A clean disconnect does not publish the will.
            dying.stop().await;
            tokio::time::sleep(StdDuration::from_millis(300)).await;
            assert_eq!(watcher.received("will/").len(), 1);
            watcher.stop().await;
        });
    }
}

fn persistent_session(version: Version) {
    let broker = Mosquitto::start("");
    local(StdDuration::from_secs(30), async move {
        let mut cfg = config(version, "persist");
        cfg.clean_start = false;
        cfg.session_expiry = 300;
        let mut h = Harness::new(cfg, driver_config(broker.port));
        let id = h.mqtt.subscribe(&sub("ps/t", QoS::AtLeastOnce)).unwrap();
        h.spawn();
        h.connected(1).await;
        h.subscribed(id).await;
        h.stop().await;

        for i in 0..10 {
            let m = format!("msg-{i}");
            broker.publish(&["-t", "ps/t", "-m", &m, "-q", "1"]);
        }
        h.spawn();
        assert!(h.connected(2).await, "session present after reconnect");
        h.wait_for(WAIT, "10 messages", |_| {
            (h.received("ps/").len() >= 10).then_some(())
        })
        .await;
        // Leave time for any duplicate to show up.
        tokio::time::sleep(StdDuration::from_millis(500)).await;
        let got: Vec<String> = h
            .received("ps/")
            .into_iter()
            .map(|m| String::from_utf8(m.1).unwrap())
            .collect();
        let want: Vec<String> = (0..10).map(|i| format!("msg-{i}")).collect();
        assert_eq!(got, want, "exactly the 10 messages, once each, in order");
        h.stop().await;
    });
}

#[test]
fn persistent_session_v311() {
    persistent_session(Version::V311);
}

#[test]
fn persistent_session_v5() {
    persistent_session(Version::V5);
}

#[test]
fn payload_of_256_kib_streamed_both_ways() {
    let broker = Mosquitto::start("");
    for version in [Version::V311, Version::V5] {
        let port = broker.port;
        local(StdDuration::from_secs(30), async move {
            let mut h = Harness::new(config(version, "big"), driver_config(port));
            let payload: Vec<u8> = (0..256 * 1024u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            h.rec.outgoing = std::rc::Rc::new(payload.clone());
            let id = h.mqtt.subscribe(&sub("big/#", QoS::AtLeastOnce)).unwrap();
            h.spawn();
            h.connected(1).await;
            h.subscribed(id).await;
            let pid = h
                .mqtt
                .with(|c, now| {
                    c.publish_streamed(
                        now,
                        "big/blob",
                        payload.len(),
                        QoS::AtLeastOnce,
                        false,
                        Properties::EMPTY,
                    )
                })
                .unwrap()
                .unwrap()
                .unwrap();
            let m = h
                .wait_for(WAIT, "big message", |_| h.received("big/").first().cloned())
                .await;
            assert_eq!(m.1.len(), payload.len());
            assert!(m.1 == payload, "payload intact");
            h.wait_for(WAIT, "PUBACK", |_| {
                h.delivered().contains(&pid).then_some(())
            })
            .await;
            h.stop().await;
        });
    }
}

#[test]
fn bad_credentials_are_a_typed_connack_error() {
    let dir = TempDir::new("pw");
    let pw = dir.path("passwd");
    let st = std::process::Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&pw)
        .args(["alice", "secret"])
        .status()
        .unwrap();
    assert!(st.success());
    let broker = Mosquitto::start(&format!(
        "allow_anonymous false\npassword_file {}\n",
        pw.display()
    ));
    for version in [Version::V311, Version::V5] {
        let port = broker.port;
        local(StdDuration::from_secs(20), async move {
            let mut cfg = config(version, "creds");
            cfg.username = Some("alice");
            cfg.password = Some(b"wrong");
            let mut h = Harness::new(cfg, driver_config(port));
            h.spawn();
            let cause = h
                .wait_for(WAIT, "ConnectFailed", |log| {
                    log.iter().find_map(|(_, r)| match r {
                        Rec::ConnectFailed { cause, .. } => Some(*cause),
                        _ => None,
                    })
                })
                .await;
            // mosquitto answers a wrong password with "not authorised"
            // (3.1.1 code 5 / MQTT 5 0x87), as mosquitto_pub shows.
            assert_eq!(cause, ConnectFailure::ConnAck(ConnectError::NotAuthorized));
            h.stop().await;

            let mut cfg = config(version, "creds-ok");
            cfg.username = Some("alice");
            cfg.password = Some(b"secret");
            let mut ok = Harness::new(cfg, driver_config(port));
            ok.spawn();
            ok.connected(1).await;
            ok.stop().await;
        });
    }
}

#[test]
fn refused_port_backs_off_with_growing_delays() {
    let port = petrel_interop::free_port();
    local(StdDuration::from_secs(20), async move {
        let mut h = Harness::new(config(Version::V311, "refused"), driver_config(port));
        h.spawn();
        let fails = h
            .wait_for(WAIT, "7 failures", |log| {
                let f: Vec<_> = log
                    .iter()
                    .filter_map(|(t, r)| match r {
                        Rec::ConnectFailed { cause, retry_in } => Some((*t, *cause, *retry_in)),
                        _ => None,
                    })
                    .collect();
                (f.len() >= 7).then_some(f)
            })
            .await;
        h.stop().await;
        let log = h.events();
        let starts: Vec<_> = log
            .iter()
            .filter_map(|(t, r)| matches!(r, Rec::Connecting { .. }).then_some(*t))
            .collect();
        let mut last_retry = Duration::ZERO;
        for (k, (t, cause, retry_in)) in fails.iter().enumerate().take(6) {
            assert_eq!(*cause, ConnectFailure::Refused);
            // Refused at once: an RST, not a time-out.
            assert!(
                *t - starts[k] < Duration::from_millis(200),
                "attempt {k} took {:?}",
                *t - starts[k]
            );
            // min 50 ms doubling to a cap of 800 ms, jitter 50 %: never
            // shrinks until the cap.
            if (50u64 << k) <= 800 {
                assert!(*retry_in >= last_retry, "{retry_in:?} < {last_retry:?}");
            }
            let base = (50u64 << k).min(800);
            assert!(
                retry_in.as_millis() >= base / 2 && retry_in.as_millis() <= base,
                "{k}: {retry_in:?}"
            );
            // The next attempt waited the announced delay.
            let gap = starts[k + 1] - *t;
            assert!(gap >= *retry_in, "gap {gap:?} < {retry_in:?}");
            assert!(
                gap < *retry_in + Duration::from_millis(200),
                "gap {gap:?} vs {retry_in:?}"
            );
            last_retry = *retry_in;
        }
        assert!(
            fails[5].2 > fails[0].2.saturating_mul(4),
            "delays grow: {fails:?}"
        );
    });
}

#[test]
fn host_name_is_resolved() {
    let broker = Mosquitto::start("");
    local(StdDuration::from_secs(20), async move {
        let dcfg = DriverConfig {
            host: "localhost",
            ..driver_config(broker.port)
        };
        let mut h = Harness::new(config(Version::V5, "by-name"), dcfg);
        h.spawn();
        h.connected(1).await;
        h.stop().await;
        let mut bad = Harness::new(
            config(Version::V5, "no-name"),
            DriverConfig {
                host: "no-such-host.invalid",
                ..driver_config(broker.port)
            },
        );
        bad.spawn();
        let cause = bad
            .wait_for(WAIT, "DNS failure", |log| {
                log.iter().find_map(|(_, r)| match r {
                    Rec::ConnectFailed { cause, .. } => Some(*cause),
                    _ => None,
                })
            })
            .await;
        assert!(matches!(cause, ConnectFailure::Dns(_)), "{cause:?}");
        bad.stop().await;
    });
}

#[test]
fn broker_restart_mid_stream_loses_nothing() {
    // Persistence so the restarted broker still has the session, the
    // subscription and the messages queued for us (saved on SIGTERM).
    let mut broker = Mosquitto::start("persistence true\npersistence_location {dir}/\n");
    let port = broker.port;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    // The broker is restarted from this thread when the test task asks.
    let restarter = std::thread::spawn(move || {
        rx.recv().unwrap();
        broker.stop();
        std::thread::sleep(StdDuration::from_millis(700));
        broker.restart();
        rx.recv().ok();
        drop(broker);
    });
    local(StdDuration::from_secs(60), async move {
        let mut cfg = config(Version::V311, "restart");
        cfg.clean_start = false;
        cfg.keep_alive = 5;
        let mut h = Harness::new(cfg, driver_config(port));
        let id = h.mqtt.subscribe(&sub("rs/t", QoS::AtLeastOnce)).unwrap();
        h.spawn();
        h.connected(1).await;
        h.subscribed(id).await;
        const N: u32 = 150;
        let mut ids: BTreeMap<u16, u32> = BTreeMap::new();
        let mut i = 0;
        while i < N {
            if i == 40 {
                tx.send(()).unwrap();
            }
            let payload = format!("{i}");
            match h
                .mqtt
                .publish("rs/t", payload.as_bytes(), QoS::AtLeastOnce, false)
            {
                Ok(Some(pid)) => {
                    ids.insert(pid, i);
                    i += 1;
                }
                Err(petrel_mqtt::driver::ClientError::Command(
                    petrel_mqtt::client::CommandError::OutboxFull,
                )) => {}
                other => panic!("{other:?}"),
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        h.wait_for(StdDuration::from_secs(30), "all PUBACKs", |_| {
            (h.delivered().len() >= N as usize).then_some(())
        })
        .await;
        h.wait_for(StdDuration::from_secs(30), "all messages back", |_| {
            let got: std::collections::BTreeSet<u32> = h
                .received("rs/")
                .iter()
                .map(|m| std::str::from_utf8(&m.1).unwrap().parse().unwrap())
                .collect();
            (got.len() == N as usize).then_some(())
        })
        .await;
        tokio::time::sleep(StdDuration::from_millis(300)).await;
        h.stop().await;
        let delivered = h.delivered();
        assert_eq!(
            delivered.len(),
            N as usize,
            "each publish acknowledged once"
        );
        let mut per: BTreeMap<u32, usize> = BTreeMap::new();
        for m in h.received("rs/") {
            *per.entry(std::str::from_utf8(&m.1).unwrap().parse().unwrap())
                .or_default() += 1;
        }
        assert_eq!(per.len(), N as usize);
        let dups: usize = per.values().map(|n| n - 1).sum();
        let recs = h.recs();
        let reconnects = recs
            .iter()
            .filter(|r| matches!(r, Rec::Connected { .. }))
            .count();
        let failures = recs
            .iter()
            .filter(|r| matches!(r, Rec::ConnectFailed { .. }))
            .count();
        eprintln!(
            "restart: {N} published, {N} acknowledged, all received; {dups} QoS 1 duplicates; {reconnects} CONNACKs, {failures} failed attempts"
        );
        assert!(reconnects >= 2 && failures >= 1);
        // The session survived the restart: no re-subscribe was needed.
        assert!(recs.contains(&Rec::Connected {
            session_present: true
        }));
        // QoS 1 allows duplicates; only the in-flight window can repeat.
        assert!(dups <= 2 * INFLIGHT, "{dups} duplicates");
        let _ = tx.send(());
    });
    restarter.join().unwrap();
}
