//! Codec tests with real bytes. Every byte string below is hand-derived from the
//! packet layouts in the OASIS MQTT 3.1.1 (2014) and MQTT 5.0 (2019)
//! specifications (sections 3.x), not captured from another implementation.

use super::*;

const MAX: u32 = 1 << 20;

fn round_trip(p: &Packet<'_>, v: Version) {
    let mut buf = [0u8; 512];
    let n = encode(p, v, &mut buf).unwrap();
    let (q, used) = decode(&buf[..n], v, MAX).unwrap().unwrap();
    assert_eq!(used, n);
    assert_eq!(normalize(&q), normalize(p), "{v:?}");
    // Every strict prefix asks for more bytes.
    for cut in 0..n {
        assert_eq!(decode(&buf[..cut], v, MAX).unwrap(), None, "cut {cut}");
    }
    // A too-small buffer reports the exact size.
    assert_eq!(
        encode(p, v, &mut buf[..n - 1]),
        Err(EncodeError::BufferTooSmall { needed: n })
    );
}

/// Wire and List forms compare by content.
fn normalize(p: &Packet<'_>) -> std::string::String {
    match p {
        Packet::Subscribe(s) => format!(
            "SUB {} {:?} {:?}",
            s.packet_id,
            s.properties,
            s.subscriptions.iter().collect::<Vec<_>>()
        ),
        Packet::Unsubscribe(u) => format!(
            "UNSUB {} {:?} {:?}",
            u.packet_id,
            u.properties,
            u.filters.iter().collect::<Vec<_>>()
        ),
        other => format!("{other:?}"),
    }
}

fn all_packets<'a>(v: Version, props: Properties<'a>, pubprops: Properties<'a>) -> Vec<Packet<'a>> {
    const SUBS: &[(&str, SubscriptionOptions)] = &[
        ("a/+", SubscriptionOptions::qos(QoS::AtLeastOnce)),
        ("b/#", SubscriptionOptions::qos(QoS::ExactlyOnce)),
    ];
    const FILTERS: &[&str] = &["a/+", "b/#"];
    let v5 = v == Version::V5;
    let pick = |p: Properties<'a>| if v5 { p } else { Properties::EMPTY };
    let reason = |r: ReasonCode| if v5 { r } else { ReasonCode::SUCCESS };
    vec![
        Packet::Connect(Connect {
            version: v,
            clean_start: true,
            keep_alive: 60,
            client_id: "dev1",
            will: Some(Will {
                topic: "dev1/status",
                payload: &[0, 1, 0xFF],
                qos: QoS::AtLeastOnce,
                retain: true,
                properties: Properties::EMPTY,
            }),
            username: Some("u"),
            password: Some(b"p\0w"),
            properties: Properties::EMPTY,
        }),
        Packet::ConnAck(ConnAck {
            session_present: true,
            code: ReasonCode::SUCCESS,
            properties: pick(props),
        }),
        Packet::Publish(Publish {
            dup: true,
            qos: QoS::ExactlyOnce,
            retain: true,
            topic: "t/1",
            packet_id: Some(7),
            properties: pick(pubprops),
            payload: b"hello",
        }),
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "t",
            packet_id: None,
            properties: Properties::EMPTY,
            payload: b"",
        }),
        Packet::PubAck(PubResponse::new(1)),
        Packet::PubRec(PubResponse {
            packet_id: 2,
            reason: reason(ReasonCode::NO_MATCHING_SUBSCRIBERS),
            properties: Properties::EMPTY,
        }),
        Packet::PubRel(PubResponse {
            packet_id: 3,
            reason: reason(ReasonCode::PACKET_IDENTIFIER_NOT_FOUND),
            properties: pick(props),
        }),
        Packet::PubComp(PubResponse::new(0xFFFF)),
        Packet::Subscribe(Subscribe {
            packet_id: 10,
            properties: Properties::EMPTY,
            subscriptions: Subscriptions::List(SUBS),
        }),
        Packet::SubAck(SubAck {
            packet_id: 10,
            properties: pick(props),
            codes: &[0x01, 0x80],
        }),
        Packet::Unsubscribe(Unsubscribe {
            packet_id: 11,
            properties: Properties::EMPTY,
            filters: TopicFilters::List(FILTERS),
        }),
        Packet::UnsubAck(UnsubAck {
            packet_id: 11,
            properties: pick(props),
            codes: if v5 { &[0x00, 0x11] } else { &[] },
        }),
        Packet::PingReq,
        Packet::PingResp,
        Packet::Disconnect(Disconnect {
            reason: reason(ReasonCode::DISCONNECT_WITH_WILL),
            properties: pick(props),
        }),
    ]
}

#[test]
fn round_trip_every_packet_both_versions() {
    let mut pb = [0u8; 64];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::ReasonString("why")).unwrap();
    b.push(Property::UserProperty("k", "v")).unwrap();
    let props = b.finish();
    let mut ppb = [0u8; 64];
    let mut b = PropertiesBuilder::new(&mut ppb);
    b.push(Property::MessageExpiryInterval(30)).unwrap();
    b.push(Property::SubscriptionIdentifier(300)).unwrap();
    b.push(Property::SubscriptionIdentifier(1)).unwrap();
    b.push(Property::CorrelationData(&[1, 2])).unwrap();
    let pubprops = b.finish();
    for v in [Version::V311, Version::V5] {
        for p in all_packets(v, props, pubprops) {
            round_trip(&p, v);
        }
    }
    round_trip(
        &Packet::Auth(Auth {
            reason: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: Properties::EMPTY,
        }),
        Version::V5,
    );
}

#[test]
fn v5_connect_with_all_connect_and_will_properties() {
    let mut pb = [0u8; 64];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::SessionExpiryInterval(3600)).unwrap();
    b.push(Property::ReceiveMaximum(10)).unwrap();
    b.push(Property::MaximumPacketSize(4096)).unwrap();
    b.push(Property::TopicAliasMaximum(5)).unwrap();
    b.push(Property::RequestProblemInformation(1)).unwrap();
    let cp = b.finish();
    let mut wb = [0u8; 64];
    let mut b = PropertiesBuilder::new(&mut wb);
    b.push(Property::WillDelayInterval(5)).unwrap();
    b.push(Property::PayloadFormatIndicator(1)).unwrap();
    b.push(Property::ContentType("text/plain")).unwrap();
    b.push(Property::ResponseTopic("r/t")).unwrap();
    let wp = b.finish();
    let c = Packet::Connect(Connect {
        version: Version::V5,
        clean_start: false,
        keep_alive: 0,
        client_id: "",
        will: Some(Will {
            topic: "w",
            payload: b"bye",
            qos: QoS::ExactlyOnce,
            retain: false,
            properties: wp,
        }),
        username: None,
        password: Some(b"only-pw-is-ok-in-v5"),
        properties: cp,
    });
    round_trip(&c, Version::V5);
    // Decoding CONNECT follows its protocol level even if the caller guessed 3.1.1.
    let mut buf = [0u8; 256];
    let n = encode(&c, Version::V311, &mut buf).unwrap();
    let (p, _) = decode(&buf[..n], Version::V311, MAX).unwrap().unwrap();
    let Packet::Connect(d) = p else { panic!() };
    assert_eq!(d.version, Version::V5);
    assert_eq!(d.properties.receive_maximum(), Some(10));
    assert_eq!(d.properties.iter().count(), 5);
}

#[test]
fn v311_connect_bytes_from_spec_layout() {
    // MQTT 3.1.1 section 3.1: "MQTT", level 4, flags 0x02 (clean session),
    // keep alive 60, client id "c".
    let bytes = [
        0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, b'c',
    ];
    let (p, n) = decode(&bytes, Version::V311, MAX).unwrap().unwrap();
    assert_eq!(n, 15);
    let expect = Packet::Connect(Connect {
        version: Version::V311,
        clean_start: true,
        keep_alive: 60,
        client_id: "c",
        will: None,
        username: None,
        password: None,
        properties: Properties::EMPTY,
    });
    assert_eq!(p, expect);
    let mut out = [0u8; 32];
    let m = encode(&expect, Version::V311, &mut out).unwrap();
    assert_eq!(&out[..m], &bytes);
}

#[test]
fn v311_small_packets_exact_bytes() {
    let cases: &[(&[u8], Packet<'_>)] = &[
        (
            &[0x20, 0x02, 0x01, 0x00],
            Packet::ConnAck(ConnAck {
                session_present: true,
                code: ReasonCode(0),
                properties: Properties::EMPTY,
            }),
        ),
        (
            &[0x40, 0x02, 0x12, 0x34],
            Packet::PubAck(PubResponse::new(0x1234)),
        ),
        (
            &[0x50, 0x02, 0x00, 0x01],
            Packet::PubRec(PubResponse::new(1)),
        ),
        (
            &[0x62, 0x02, 0x00, 0x01],
            Packet::PubRel(PubResponse::new(1)),
        ),
        (
            &[0x70, 0x02, 0x00, 0x01],
            Packet::PubComp(PubResponse::new(1)),
        ),
        (
            &[0x90, 0x03, 0x00, 0x05, 0x02],
            Packet::SubAck(SubAck {
                packet_id: 5,
                properties: Properties::EMPTY,
                codes: &[2],
            }),
        ),
        (
            &[0xB0, 0x02, 0x00, 0x05],
            Packet::UnsubAck(UnsubAck {
                packet_id: 5,
                properties: Properties::EMPTY,
                codes: &[],
            }),
        ),
        (&[0xC0, 0x00], Packet::PingReq),
        (&[0xD0, 0x00], Packet::PingResp),
        (
            &[0xE0, 0x00],
            Packet::Disconnect(Disconnect {
                reason: ReasonCode::SUCCESS,
                properties: Properties::EMPTY,
            }),
        ),
        (
            // QoS 1 PUBLISH "a/b" id 10 payload "hi" (3.1.1 section 3.3).
            &[
                0x32, 0x09, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0A, b'h', b'i',
            ],
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtLeastOnce,
                retain: false,
                topic: "a/b",
                packet_id: Some(10),
                properties: Properties::EMPTY,
                payload: b"hi",
            }),
        ),
    ];
    for (bytes, pkt) in cases {
        let (p, n) = decode(bytes, Version::V311, MAX).unwrap().unwrap();
        assert_eq!(&p, pkt);
        assert_eq!(n, bytes.len());
        let mut out = [0u8; 32];
        let m = encode(pkt, Version::V311, &mut out).unwrap();
        assert_eq!(&out[..m], *bytes);
    }
}

#[test]
fn v5_bytes_from_spec_layout() {
    // CONNACK, reason 0, properties: receive maximum 0x21 = 5, topic alias max 0x22 = 3.
    let b = [
        0x20, 0x09, 0x00, 0x00, 0x06, 0x21, 0x00, 0x05, 0x22, 0x00, 0x03,
    ];
    let (p, _) = decode(&b, Version::V5, MAX).unwrap().unwrap();
    let Packet::ConnAck(c) = p else { panic!() };
    assert_eq!(c.properties.receive_maximum(), Some(5));
    assert_eq!(c.properties.topic_alias_maximum(), Some(3));
    // PUBLISH QoS 0 with empty topic and topic alias 1 (MQTT 5 section 3.3.2.3.4).
    let b = [0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, b'x'];
    let (p, _) = decode(&b, Version::V5, MAX).unwrap().unwrap();
    let Packet::Publish(pb) = p else { panic!() };
    assert_eq!(pb.topic, "");
    assert_eq!(pb.properties.topic_alias(), Some(1));
    assert_eq!(pb.payload, b"x");
    // PUBACK with remaining length 2 means success without properties (3.4.2.1);
    // with 3 it carries only a reason code.
    let (p, _) = decode(&[0x40, 0x02, 0x00, 0x01], Version::V5, MAX)
        .unwrap()
        .unwrap();
    assert_eq!(p, Packet::PubAck(PubResponse::new(1)));
    let (p, _) = decode(&[0x40, 0x03, 0x00, 0x01, 0x10], Version::V5, MAX)
        .unwrap()
        .unwrap();
    let Packet::PubAck(a) = p else { panic!() };
    assert_eq!(a.reason, ReasonCode::NO_MATCHING_SUBSCRIBERS);
    // DISCONNECT with reason 0x8E (session taken over), no properties.
    let (p, _) = decode(&[0xE0, 0x01, 0x8E], Version::V5, MAX)
        .unwrap()
        .unwrap();
    let Packet::Disconnect(d) = p else { panic!() };
    assert_eq!(d.reason, ReasonCode::SESSION_TAKEN_OVER);
    // AUTH with remaining length 0 is success.
    let (p, _) = decode(&[0xF0, 0x00], Version::V5, MAX).unwrap().unwrap();
    assert!(matches!(p, Packet::Auth(a) if a.reason == ReasonCode::SUCCESS));
    // SUBSCRIBE with v5 options: no local, retain as published, retain handling 2.
    let b = [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x2E];
    let (p, _) = decode(&b, Version::V5, MAX).unwrap().unwrap();
    let Packet::Subscribe(s) = p else { panic!() };
    let (f, o) = s.subscriptions.iter().next().unwrap();
    assert_eq!(f, "a");
    assert_eq!(o.qos, QoS::ExactlyOnce);
    assert!(o.no_local && o.retain_as_published);
    assert_eq!(o.retain_handling, RetainHandling::DoNotSend);
}

#[test]
fn varint_boundaries() {
    // Section 1.5.5 table: 0, 127, 128, 16383, 16384, 2097151, 2097152, 268435455.
    let cases: &[(u32, &[u8])] = &[
        (0, &[0x00]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
    ];
    for (v, bytes) in cases {
        assert_eq!(
            wire::read_varint(bytes).unwrap(),
            wire::VarInt::Value(*v, bytes.len())
        );
        let mut out = [0u8; 4];
        let mut w = wire::Writer::new(&mut out);
        w.varint(*v).unwrap();
        assert_eq!(w.finish().unwrap(), bytes.len());
        assert_eq!(&out[..bytes.len()], *bytes);
        assert_eq!(varint_len(*v), bytes.len());
    }
}

#[test]
fn publish_head_streaming() {
    let payload = [0xAB; 300];
    let p = Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "big",
        packet_id: Some(9),
        properties: Properties::EMPTY,
        payload: &[],
    };
    let mut buf = [0u8; 16];
    let n = encode_publish_head(&p, payload.len(), Version::V311, &mut buf).unwrap();
    // Header alone: need more bytes for the full packet, but the head decodes.
    assert_eq!(decode(&buf[..n], Version::V311, MAX).unwrap(), None);
    let head = decode_publish_head(&buf[..n], Version::V311, MAX)
        .unwrap()
        .unwrap();
    assert_eq!(head.head_len, n);
    assert_eq!(head.payload_len, 300);
    assert_eq!(head.publish.topic, "big");
    // A truncated head asks for more.
    assert_eq!(
        decode_publish_head(&buf[..n - 1], Version::V311, MAX).unwrap(),
        None
    );
    // Header + payload equals the one-shot encoding.
    let mut full = [0u8; 400];
    let mut whole = p;
    whole.payload = &payload;
    let m = encode(&Packet::Publish(whole), Version::V311, &mut full).unwrap();
    assert_eq!(m, n + 300);
    assert_eq!(&full[..n], &buf[..n]);
}

#[test]
fn properties_iterator_and_builder_overflow() {
    let mut small = [0u8; 4];
    let mut b = PropertiesBuilder::new(&mut small);
    assert_eq!(
        b.push(Property::ReasonString("toolong")),
        Err(EncodeError::BufferTooSmall { needed: 10 })
    );
    b.push(Property::TopicAlias(3)).unwrap();
    let p = b.finish();
    assert_eq!(p.iter().collect::<Vec<_>>(), vec![Property::TopicAlias(3)]);
}

#[test]
fn encode_validation() {
    let mut buf = [0u8; 64];
    let bad_topic = Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: "a/#",
        packet_id: None,
        properties: Properties::EMPTY,
        payload: b"",
    });
    assert_eq!(
        encode(&bad_topic, Version::V311, &mut buf),
        Err(EncodeError::InvalidTopic)
    );
    let no_id = Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "a",
        packet_id: None,
        properties: Properties::EMPTY,
        payload: b"",
    });
    assert_eq!(
        encode(&no_id, Version::V311, &mut buf),
        Err(EncodeError::ZeroPacketId)
    );
    assert_eq!(
        encode(&Packet::PubAck(PubResponse::new(0)), Version::V5, &mut buf),
        Err(EncodeError::ZeroPacketId)
    );
    let auth = Packet::Auth(Auth {
        reason: ReasonCode::SUCCESS,
        properties: Properties::EMPTY,
    });
    assert_eq!(
        encode(&auth, Version::V311, &mut buf),
        Err(EncodeError::NotInThisVersion)
    );
    let sub = Packet::Subscribe(Subscribe {
        packet_id: 1,
        properties: Properties::EMPTY,
        subscriptions: Subscriptions::List(&[("a/#/b", SubscriptionOptions::qos(QoS::AtMostOnce))]),
    });
    assert_eq!(
        encode(&sub, Version::V311, &mut buf),
        Err(EncodeError::InvalidTopicFilter)
    );
    let empty = Packet::Unsubscribe(Unsubscribe {
        packet_id: 1,
        properties: Properties::EMPTY,
        filters: TopicFilters::List(&[]),
    });
    assert_eq!(
        encode(&empty, Version::V311, &mut buf),
        Err(EncodeError::NoTopics)
    );
    let long = [b'a'; 70_000];
    let long = core::str::from_utf8(&long).unwrap();
    let mut big = vec![0u8; 80_000];
    let p = Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: long,
        packet_id: None,
        properties: Properties::EMPTY,
        payload: b"",
    });
    assert_eq!(
        encode(&p, Version::V311, &mut big),
        Err(EncodeError::InvalidTopic)
    );
}

#[test]
fn errors_display_and_reason_codes() {
    assert_eq!(
        DecodeError::PacketTooLarge { size: 10, max: 5 }.reason_code(),
        ReasonCode::PACKET_TOO_LARGE
    );
    assert_eq!(
        DecodeError::InvalidUtf8.reason_code(),
        ReasonCode::MALFORMED_PACKET
    );
    assert_eq!(
        DecodeError::DuplicateProperty { id: 1 }.reason_code(),
        ReasonCode::PROTOCOL_ERROR
    );
    assert_eq!(
        format!(
            "{}",
            DecodeError::ReservedFlags {
                packet_type: PacketType::PubRel
            }
        ),
        "reserved fixed-header flags wrong in PubRel"
    );
    assert!(!format!("{}", EncodeError::BufferTooSmall { needed: 3 }).is_empty());
}
