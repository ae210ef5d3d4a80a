//! Client scenarios against a scripted broker, purely in memory with a virtual
//! clock. Broker packets are built with the codec (whose bytes are checked
//! against the specs in `codec::tests`).

use super::*;
use crate::codec::{ConnAck, Packet, SubAck, Will};
use std::vec::Vec;

type C = Client<'static, 4, 4, 2>;

fn buf(n: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; n].into_boxed_slice())
}

fn client(config: Config<'static>, rx: usize) -> C {
    Client::new(
        config,
        Buffers {
            rx: buf(rx),
            outbox: buf(4096),
            subs: buf(256),
            aliases: buf(64),
        },
    )
}

fn t(s: u64) -> Instant {
    Instant::from_secs(s)
}

/// Everything the client wants to send.
fn tx(c: &mut C) -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = [0u8; 1024];
    for _ in 0..10_000 {
        match c.poll_transmit(&mut b) {
            Some(n) => out.extend_from_slice(&b[..n]),
            None => break,
        }
    }
    out
}

/// Splits a byte stream into packets (owned copies).
fn split(bytes: &[u8], v: Version) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (_, n) = decode(rest, v, u32::MAX).unwrap().unwrap();
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    out
}

fn enc(p: &Packet<'_>, v: Version) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    let n = encode(p, v, &mut b).unwrap();
    b.truncate(n);
    b
}

/// Feeds bytes and collects events as Debug strings.
fn feed(c: &mut C, now: Instant, bytes: &[u8]) -> Vec<String> {
    let mut evs = Vec::new();
    let mut rest = bytes;
    for _ in 0..100_000 {
        let n = c.handle_bytes(now, rest);
        rest = &rest[n..];
        while let Some(e) = c.poll_event() {
            evs.push(format!("{e:?}"));
        }
        if rest.is_empty() {
            break;
        }
    }
    evs
}

fn events(c: &mut C) -> Vec<String> {
    let mut evs = Vec::new();
    while let Some(e) = c.poll_event() {
        evs.push(format!("{e:?}"));
    }
    evs
}

fn connack(session_present: bool, v: Version, props: Properties<'_>) -> Vec<u8> {
    enc(
        &Packet::ConnAck(ConnAck {
            session_present,
            code: ReasonCode::SUCCESS,
            properties: props,
        }),
        v,
    )
}

fn connected(config: Config<'static>) -> C {
    let v = config.version;
    let mut c = client(config, 512);
    c.handle_connected(t(0)).unwrap();
    let out = tx(&mut c);
    assert_eq!(split(&out, v).len(), 1);
    let evs = feed(&mut c, t(0), &connack(false, v, Properties::EMPTY));
    assert_eq!(evs, ["Connected { session_present: false }"]);
    c
}

fn v5() -> Config<'static> {
    Config {
        version: Version::V5,
        client_id: "c5",
        ..Config::default()
    }
}

#[test]
fn connect_carries_config_and_will() {
    let config = Config {
        client_id: "dev",
        keep_alive: 30,
        username: Some("user"),
        password: Some(b"pw"),
        will: Some(Will {
            topic: "dev/status",
            payload: &[0, 0xFF],
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::EMPTY,
        }),
        ..Config::default()
    };
    let mut c = client(config, 256);
    assert_eq!(c.poll_transmit(&mut [0u8; 64]), None);
    c.handle_connected(t(1)).unwrap();
    let out = tx(&mut c);
    let (p, _) = decode(&out, Version::V311, u32::MAX).unwrap().unwrap();
    let Packet::Connect(k) = p else {
        panic!("{p:?}")
    };
    assert_eq!(k.client_id, "dev");
    assert_eq!(k.keep_alive, 30);
    assert_eq!(k.username, Some("user"));
    assert_eq!(k.will.unwrap().payload, &[0, 0xFF]);
    assert!(k.will.unwrap().retain);
    // Nothing else is sent before CONNACK.
    c.publish(t(1), "a", b"x", QoS::AtMostOnce, false, Properties::EMPTY)
        .unwrap();
    assert!(tx(&mut c).is_empty());
    assert_eq!(c.poll_timeout(), Some(t(31)));
    let evs = feed(
        &mut c,
        t(2),
        &connack(false, Version::V311, Properties::EMPTY),
    );
    assert_eq!(evs, ["Connected { session_present: false }"]);
    assert_eq!(split(&tx(&mut c), Version::V311).len(), 1);
}

#[cfg(feature = "v5")]
#[test]
fn v5_connect_properties_and_refusals() {
    let mut c = client(v5(), 256);
    c.handle_connected(t(0)).unwrap();
    let out = tx(&mut c);
    let (p, _) = decode(&out, Version::V5, u32::MAX).unwrap().unwrap();
    let Packet::Connect(k) = p else { panic!() };
    assert_eq!(k.properties.receive_maximum(), Some(4));
    assert_eq!(k.properties.topic_alias_maximum(), Some(2));
    let refuse = enc(
        &Packet::ConnAck(ConnAck {
            session_present: false,
            code: ReasonCode::BAD_USER_NAME_OR_PASSWORD,
            properties: Properties::EMPTY,
        }),
        Version::V5,
    );
    assert_eq!(
        feed(&mut c, t(0), &refuse),
        ["ConnectFailed(BadUsernameOrPassword)"]
    );
    // v3 return codes 1..5.
    for (code, name) in [
        (1, "UnacceptableProtocolVersion"),
        (2, "IdentifierRejected"),
        (3, "ServerUnavailable"),
        (4, "BadUsernameOrPassword"),
        (5, "NotAuthorized"),
    ] {
        let mut c = client(Config::default(), 256);
        c.handle_connected(t(0)).unwrap();
        tx(&mut c);
        let evs = feed(&mut c, t(0), &[0x20, 0x02, 0x00, code]);
        assert_eq!(evs, [format!("ConnectFailed({name})")]);
    }
    // Connect timeout.
    let mut c = client(Config::default(), 256);
    c.handle_connected(t(0)).unwrap();
    tx(&mut c);
    c.handle_timeout(t(30));
    assert_eq!(events(&mut c), ["ConnectFailed(Timeout)"]);
}

#[test]
fn qos1_and_qos2_outbound() {
    let v = Version::V311;
    let mut c = connected(Config::default());
    let id1 = c
        .publish(
            t(1),
            "a/b",
            b"one",
            QoS::AtLeastOnce,
            false,
            Properties::EMPTY,
        )
        .unwrap()
        .unwrap();
    let id2 = c
        .publish(
            t(1),
            "a/b",
            b"two",
            QoS::ExactlyOnce,
            true,
            Properties::EMPTY,
        )
        .unwrap()
        .unwrap();
    let pk = split(&tx(&mut c), v);
    assert_eq!(pk.len(), 2);
    assert_eq!(pk[0][0], 0x32);
    assert_eq!(pk[1][0], 0x35);
    let evs = feed(
        &mut c,
        t(2),
        &enc(&Packet::PubAck(PubResponse::new(id1)), v),
    );
    assert_eq!(
        evs,
        [format!(
            "Delivered {{ packet_id: {id1}, reason: ReasonCode(0) }}"
        )]
    );
    assert!(
        feed(
            &mut c,
            t(2),
            &enc(&Packet::PubRec(PubResponse::new(id2)), v)
        )
        .is_empty()
    );
    assert_eq!(tx(&mut c), enc(&Packet::PubRel(PubResponse::new(id2)), v));
    let evs = feed(
        &mut c,
        t(2),
        &enc(&Packet::PubComp(PubResponse::new(id2)), v),
    );
    assert_eq!(evs.len(), 1);
    assert_eq!(c.outbox_len(), 0);
}

#[test]
fn inbound_qos1_and_qos2_exactly_once() {
    let v = Version::V311;
    let mut c = connected(Config::default());
    let p1 = enc(
        &Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: true,
            topic: "s/1",
            packet_id: Some(9),
            properties: Properties::EMPTY,
            payload: b"v1",
        }),
        v,
    );
    let evs = feed(&mut c, t(1), &p1);
    assert_eq!(evs.len(), 1);
    assert!(evs[0].contains("topic: \"s/1\"") && evs[0].contains("retain: true"));
    assert!(evs[0].contains("packet_id: Some(9)"));
    assert_eq!(tx(&mut c), [0x40, 0x02, 0x00, 0x09]);

    let mut q2 = Publish {
        dup: false,
        qos: QoS::ExactlyOnce,
        retain: false,
        topic: "s/2",
        packet_id: Some(5),
        properties: Properties::EMPTY,
        payload: b"once",
    };
    assert_eq!(feed(&mut c, t(1), &enc(&Packet::Publish(q2), v)).len(), 1);
    assert_eq!(tx(&mut c), [0x50, 0x02, 0x00, 0x05]);
    // The broker did not see our PUBREC and resends with DUP: answered, not delivered.
    q2.dup = true;
    assert!(feed(&mut c, t(1), &enc(&Packet::Publish(q2), v)).is_empty());
    assert_eq!(tx(&mut c), [0x50, 0x02, 0x00, 0x05]);
    assert!(feed(&mut c, t(1), &[0x62, 0x02, 0x00, 0x05]).is_empty());
    assert_eq!(tx(&mut c), [0x70, 0x02, 0x00, 0x05]);
    // After PUBREL the id is free again: a new message is delivered.
    q2.dup = false;
    assert_eq!(feed(&mut c, t(1), &enc(&Packet::Publish(q2), v)).len(), 1);
}

#[test]
fn dup_resend_after_reconnect_with_session() {
    let v = Version::V311;
    let config = Config {
        clean_start: false,
        client_id: "keep",
        ..Config::default()
    };
    let mut c = connected(config);
    let id1 = c
        .publish(
            t(1),
            "q/1",
            b"a",
            QoS::AtLeastOnce,
            false,
            Properties::EMPTY,
        )
        .unwrap()
        .unwrap();
    let id2 = c
        .publish(
            t(1),
            "q/2",
            b"b",
            QoS::ExactlyOnce,
            false,
            Properties::EMPTY,
        )
        .unwrap()
        .unwrap();
    tx(&mut c);
    feed(
        &mut c,
        t(1),
        &enc(&Packet::PubRec(PubResponse::new(id2)), v),
    );
    // Connection drops before PUBACK / PUBREL go through.
    c.handle_disconnected(t(2));
    assert_eq!(events(&mut c), ["ConnectionLost(TransportClosed)"]);
    c.handle_connected(t(3)).unwrap();
    let first = tx(&mut c);
    assert_eq!(first[0], 0x10, "only CONNECT before CONNACK");
    assert_eq!(split(&first, v).len(), 1);
    let evs = feed(&mut c, t(3), &connack(true, v, Properties::EMPTY));
    assert_eq!(evs, ["Connected { session_present: true }"]);
    let pk = split(&tx(&mut c), v);
    assert_eq!(pk.len(), 2);
    // QoS 1 PUBLISH again with DUP = 1, same id; PUBREL for the QoS 2 one.
    assert_eq!(pk[0][0], 0x3A);
    let (p, _) = decode(&pk[0], v, u32::MAX).unwrap().unwrap();
    assert!(matches!(p, Packet::Publish(p) if p.dup && p.packet_id == Some(id1)));
    assert_eq!(pk[1], enc(&Packet::PubRel(PubResponse::new(id2)), v));

    // Without a session: resent as new (DUP = 0), PUBREC'd one reported done.
    c.handle_disconnected(t(4));
    events(&mut c);
    c.handle_connected(t(5)).unwrap();
    tx(&mut c);
    let evs = feed(&mut c, t(5), &connack(false, v, Properties::EMPTY));
    assert_eq!(evs[0], "Connected { session_present: false }");
    assert_eq!(
        evs[1],
        format!("Delivered {{ packet_id: {id2}, reason: ReasonCode(0) }}")
    );
    let pk = split(&tx(&mut c), v);
    assert_eq!(pk.len(), 1);
    assert_eq!(pk[0][0], 0x32);
}

#[test]
fn keepalive_ping_and_timeout() {
    let config = Config {
        keep_alive: 10,
        ..Config::default()
    };
    let mut c = connected(config);
    assert_eq!(c.poll_timeout(), Some(t(10)));
    c.handle_timeout(t(10));
    assert_eq!(tx(&mut c), [0xC0, 0x00]);
    // PINGRESP keeps it alive.
    feed(&mut c, t(11), &[0xD0, 0x00]);
    assert_eq!(c.poll_timeout(), Some(t(20)));
    c.handle_timeout(t(20));
    assert_eq!(tx(&mut c), [0xC0, 0x00]);
    // Broker silent: dead 1.5 x keepalive after the last byte it sent (t=11).
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(26_000)));
    c.handle_timeout(Instant::from_millis(26_000));
    assert_eq!(events(&mut c), ["ConnectionLost(KeepaliveTimeout)"]);
    assert!(tx(&mut c).is_empty());
    assert_eq!(c.poll_timeout(), None);
}

#[cfg(feature = "v5")]
#[test]
fn receive_maximum_respected_both_ways() {
    let v = Version::V5;
    let mut c = client(v5(), 512);
    c.handle_connected(t(0)).unwrap();
    tx(&mut c);
    let mut pb = [0u8; 8];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::ReceiveMaximum(1)).unwrap();
    feed(&mut c, t(0), &connack(false, v, b.finish()));
    let a = c
        .publish(t(1), "x", b"1", QoS::AtLeastOnce, false, Properties::EMPTY)
        .unwrap()
        .unwrap();
    c.publish(t(1), "x", b"2", QoS::AtLeastOnce, false, Properties::EMPTY)
        .unwrap();
    assert_eq!(split(&tx(&mut c), v).len(), 1, "only one in flight");
    feed(&mut c, t(1), &enc(&Packet::PubAck(PubResponse::new(a)), v));
    assert_eq!(split(&tx(&mut c), v).len(), 1, "second goes after PUBACK");

    // Inbound: we announced 4; a fifth unreleased QoS 2 is a protocol error.
    for id in 1..=5u16 {
        let p = enc(
            &Packet::Publish(Publish {
                dup: false,
                qos: QoS::ExactlyOnce,
                retain: false,
                topic: "in",
                packet_id: Some(id),
                properties: Properties::EMPTY,
                payload: b"",
            }),
            v,
        );
        let evs = feed(&mut c, t(2), &p);
        if id < 5 {
            assert_eq!(evs.len(), 1);
        } else {
            assert_eq!(evs, ["ConnectionLost(ProtocolViolation(ReasonCode(147)))"]);
        }
    }
    // The DISCONNECT carries 0x93.
    let out = tx(&mut c);
    assert_eq!(out, [0xE0, 0x01, 0x93]);
}

#[test]
fn streaming_publish_256k_through_1k_buffer() {
    let v = Version::V311;
    let mut c = connected(Config::default());
    let payload: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    let id = c
        .publish_streamed(
            t(1),
            "big/blob",
            payload.len(),
            QoS::AtLeastOnce,
            false,
            Properties::EMPTY,
        )
        .unwrap();
    let mut wire = Vec::new();
    let mut b = [0u8; 1024];
    while let Some(n) = c.poll_transmit(&mut b) {
        wire.extend_from_slice(&b[..n]);
    }
    let s = c.stream_pending().unwrap();
    assert_eq!(s.packet_id, id);
    assert_eq!(
        c.poll_stream(&payload[1..], &mut b),
        Err(CommandError::PayloadLength)
    );
    let mut calls = 0;
    while c.stream_pending().is_some() {
        let n = c.poll_stream(&payload, &mut b).unwrap();
        wire.extend_from_slice(&b[..n]);
        calls += 1;
    }
    assert_eq!(calls, 256);
    let (p, n) = decode(&wire, v, u32::MAX).unwrap().unwrap();
    assert_eq!(n, wire.len());
    let Packet::Publish(p) = p else { panic!() };
    assert_eq!(p.topic, "big/blob");
    assert_eq!(p.payload, &payload[..]);
    let evs = feed(
        &mut c,
        t(2),
        &enc(&Packet::PubAck(PubResponse::new(id.unwrap())), v),
    );
    assert_eq!(evs.len(), 1);
}

#[test]
fn inbound_large_publish_is_streamed() {
    let v = Version::V311;
    let mut c = client(Config::default(), 64);
    c.handle_connected(t(0)).unwrap();
    tx(&mut c);
    feed(&mut c, t(0), &connack(false, v, Properties::EMPTY));
    let payload: Vec<u8> = (0..1000).map(|i| i as u8).collect();
    let small = enc(
        &Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "s",
            packet_id: None,
            properties: Properties::EMPTY,
            payload: b"tiny",
        }),
        v,
    );
    let big = enc(
        &Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "big/in",
            packet_id: Some(3),
            properties: Properties::EMPTY,
            payload: &payload,
        }),
        v,
    );
    let mut stream = small.clone();
    stream.extend_from_slice(&big);
    stream.extend_from_slice(&small);
    let mut got = Vec::new();
    let mut kinds = Vec::new();
    let mut rest = &stream[..];
    // Deliver in 7-byte TCP segments.
    while !rest.is_empty() {
        let k = rest.len().min(7);
        let n = c.handle_bytes(t(1), &rest[..k]);
        rest = &rest[n..];
        while let Some(e) = c.poll_event() {
            match e {
                Event::PublishStart { message, len } => {
                    assert_eq!(message.topic, "big/in");
                    assert_eq!(len, 1000);
                    kinds.push("start");
                }
                Event::PublishData(d) => got.extend_from_slice(d),
                Event::PublishEnd => kinds.push("end"),
                Event::Publish(m) => {
                    assert_eq!(m.payload, b"tiny");
                    kinds.push("small");
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(kinds, ["small", "start", "end", "small"]);
    assert_eq!(got, payload);
    assert_eq!(tx(&mut c), [0x40, 0x02, 0x00, 0x03]);
}

#[cfg(feature = "v5")]
#[test]
fn inbound_topic_alias_v5() {
    let v = Version::V5;
    let mut c = connected(v5());
    let mut pb = [0u8; 8];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::TopicAlias(2)).unwrap();
    let props = b.finish();
    let mut p = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: "long/topic/name",
        packet_id: None,
        properties: props,
        payload: b"1",
    };
    let evs = feed(&mut c, t(1), &enc(&Packet::Publish(p), v));
    assert!(evs[0].contains("long/topic/name"));
    p.topic = "";
    p.payload = b"2";
    let evs = feed(&mut c, t(1), &enc(&Packet::Publish(p), v));
    assert!(evs[0].contains("topic: \"long/topic/name\""), "{evs:?}");
    // Alias 3 exceeds our maximum of 2.
    let mut pb = [0u8; 8];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::TopicAlias(3)).unwrap();
    p.properties = b.finish();
    let evs = feed(&mut c, t(1), &enc(&Packet::Publish(p), v));
    assert_eq!(evs, ["ConnectionLost(ProtocolViolation(ReasonCode(148)))"]);
}

#[test]
fn subscribe_suback_resubscribe_unsubscribe() {
    let v = Version::V311;
    let mut c = connected(Config::default());
    let id = c
        .subscribe(
            t(1),
            &[
                ("a/+", SubscriptionOptions::qos(QoS::AtLeastOnce)),
                ("b/#", SubscriptionOptions::qos(QoS::AtMostOnce)),
            ],
        )
        .unwrap();
    let pk = split(&tx(&mut c), v);
    assert_eq!(pk[0][0], 0x82);
    let evs = feed(
        &mut c,
        t(1),
        &enc(
            &Packet::SubAck(SubAck {
                packet_id: id,
                properties: Properties::EMPTY,
                codes: &[1, 0],
            }),
            v,
        ),
    );
    assert_eq!(
        evs,
        [format!("Subscribed {{ packet_id: {id}, codes: [1, 0] }}")]
    );
    assert_eq!(c.subscriptions().count(), 2);
    let uid = c.unsubscribe(t(1), &["b/#"]).unwrap();
    tx(&mut c);
    let evs = feed(&mut c, t(1), &[0xB0, 0x02, (uid >> 8) as u8, uid as u8]);
    assert_eq!(evs, [format!("Unsubscribed {{ packet_id: {uid} }}")]);
    // Reconnect without session: one SUBSCRIBE with what is left.
    c.handle_disconnected(t(2));
    events(&mut c);
    c.handle_connected(t(3)).unwrap();
    tx(&mut c);
    feed(&mut c, t(3), &connack(false, v, Properties::EMPTY));
    c.resubscribe(t(3)).unwrap().unwrap();
    let pk = split(&tx(&mut c), v);
    assert_eq!(pk.len(), 1);
    let (p, _) = decode(&pk[0], v, u32::MAX).unwrap().unwrap();
    let Packet::Subscribe(s) = p else { panic!() };
    let subs: Vec<_> = s.subscriptions.iter().collect();
    assert_eq!(subs, [("a/+", SubscriptionOptions::qos(QoS::AtLeastOnce))]);
}

#[test]
fn hostile_broker_bytes_never_panic() {
    let mut seed = 0x1234_5678_9ABC_DEF0u64;
    for round in 0..300 {
        // Odd rounds speak MQTT 5 (when the build has it).
        let v311 = round % 2 == 0 || !cfg!(feature = "v5");
        let mut c = client(if v311 { Config::default() } else { v5() }, 64);
        c.handle_connected(t(0)).unwrap();
        tx(&mut c);
        let v = if v311 { Version::V311 } else { Version::V5 };
        feed(&mut c, t(0), &connack(false, v, Properties::EMPTY));
        let bytes: Vec<u8> = (0..200)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        feed(&mut c, t(1), &bytes);
        tx(&mut c);
        c.handle_timeout(t(100));
        events(&mut c);
    }
}

/// A build without MQTT 5 refuses a configured 5 rather than speak 3.1.1.
#[cfg(not(feature = "v5"))]
#[test]
fn without_v5_a_configured_5_is_refused() {
    let mut c = client(
        Config {
            version: Version::V5,
            ..Config::default()
        },
        512,
    );
    assert_eq!(c.handle_connected(t(0)), Err(CommandError::VersionNotBuilt));
    assert!(tx(&mut c).is_empty());
}

#[test]
fn disconnect_sends_disconnect() {
    let mut c = connected(Config::default());
    c.disconnect(t(1));
    assert_eq!(tx(&mut c), [0xE0, 0x00]);
    assert_eq!(
        c.publish(t(1), "a", b"", QoS::AtMostOnce, false, Properties::EMPTY),
        Err(CommandError::Closing)
    );
    c.handle_disconnected(t(2));
    assert!(events(&mut c).is_empty());
    let _ = DecodeError::Truncated;
}

#[cfg(feature = "v5")]
#[test]
fn connack_limits_and_server_keep_alive_apply() {
    let v = Version::V5;
    let mut c = client(v5(), 512);
    c.handle_connected(t(0)).unwrap();
    tx(&mut c);
    let mut pb = [0u8; 32];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::MaximumQos(0)).unwrap();
    b.push(Property::RetainAvailable(0)).unwrap();
    b.push(Property::ServerKeepAlive(7)).unwrap();
    b.push(Property::MaximumPacketSize(16)).unwrap();
    feed(&mut c, t(0), &connack(false, v, b.finish()));
    assert!(c.is_connected());
    let e = Properties::EMPTY;
    assert_eq!(
        c.publish(t(0), "x", b"1", QoS::AtLeastOnce, false, e),
        Err(CommandError::QosNotSupported)
    );
    assert_eq!(
        c.publish(t(0), "x", b"1", QoS::AtMostOnce, true, e),
        Err(CommandError::RetainNotSupported)
    );
    assert_eq!(
        c.publish(t(0), "x", &[0; 32], QoS::AtMostOnce, false, e),
        Err(CommandError::PacketTooLarge)
    );
    assert_eq!(
        c.publish(t(0), "x", b"1", QoS::AtMostOnce, false, e),
        Ok(None)
    );
    tx(&mut c);
    // The server's keep alive (7 s) replaces ours: the ping is due at 7 s.
    assert_eq!(c.poll_timeout(), Some(t(7)));
}
