//! Every decode error path, and hostile input that must give errors, never
//! panics. Bytes are hand-built from the MQTT 3.1.1 / 5.0 packet layouts.

use super::*;

const MAX: u32 = 1 << 20;

fn err(b: &[u8], v: Version) -> DecodeError {
    match decode(b, v, MAX) {
        Err(e) => e,
        other => panic!("expected an error for {b:02x?}, got {other:?}"),
    }
}

#[test]
fn every_decode_error_path() {
    use DecodeError as E;
    use Version::{V5, V311};
    let cases: &[(&[u8], Version, DecodeError)] = &[
        (&[0x00, 0x00], V311, E::UnknownPacketType(0)),
        (&[0x00, 0x00], V5, E::UnknownPacketType(0)),
        (&[0xF0, 0x00], V311, E::UnknownPacketType(15)),
        (&[0xF0, 0x00], V311, E::UnknownPacketType(15)),
        (
            &[0x61, 0x02, 0, 1],
            V311,
            E::ReservedFlags {
                packet_type: PacketType::PubRel,
            },
        ),
        (
            &[0x80, 0x02, 0, 1],
            V311,
            E::ReservedFlags {
                packet_type: PacketType::Subscribe,
            },
        ),
        (
            &[0xA0, 0x02, 0, 1],
            V311,
            E::ReservedFlags {
                packet_type: PacketType::Unsubscribe,
            },
        ),
        (
            &[0xC1, 0x00],
            V311,
            E::ReservedFlags {
                packet_type: PacketType::PingReq,
            },
        ),
        (
            &[0x21, 0x02, 0, 0],
            V5,
            E::ReservedFlags {
                packet_type: PacketType::ConnAck,
            },
        ),
        (
            &[0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            V311,
            E::RemainingLengthTooLong,
        ),
        (&[0xC0, 0x80, 0x00], V311, E::VarIntNotMinimal),
        (&[0x36, 0x00], V311, E::InvalidQos),
        (&[0x38, 0x03, 0x00, 0x01, b'a'], V311, E::DupOnQos0),
        (&[0xD0, 0x01, 0x00], V311, E::TrailingBytes),
        (&[0x40, 0x01, 0x00], V311, E::Truncated),
        (&[0x40, 0x03, 0x00, 0x01, 0x00], V311, E::TrailingBytes),
        (&[0x40, 0x02, 0x00, 0x00], V311, E::ZeroPacketId),
        (&[0x30, 0x04, 0x00, 0x02, 0xC3, 0x28], V311, E::InvalidUtf8),
        (&[0x30, 0x04, 0x00, 0x02, b'a', 0x00], V311, E::InvalidUtf8),
        (&[0x30, 0x04, 0x00, 0x02, b'a', b'+'], V311, E::InvalidTopic),
        (&[0x30, 0x04, 0x00, 0x02, b'#', b'x'], V311, E::InvalidTopic),
        (&[0x30, 0x02, 0x00, 0x00], V311, E::InvalidTopic),
        (&[0x30, 0x03, 0x00, 0x00, 0x00], V5, E::InvalidTopic),
        (
            &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'#', 0x03],
            V311,
            E::InvalidQos,
        ),
        (
            &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'#', 0x04],
            V311,
            E::InvalidSubscriptionOptions,
        ),
        (
            &[0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'#', 0x30],
            V5,
            E::InvalidSubscriptionOptions,
        ),
        (
            &[0x82, 0x07, 0x00, 0x01, 0x00, 0x02, b'#', b'/', 0x00],
            V311,
            E::InvalidTopicFilter,
        ),
        (
            &[0xA2, 0x05, 0x00, 0x01, 0x00, 0x02, b'#'],
            V311,
            E::Truncated,
        ),
        (
            &[0xA2, 0x06, 0x00, 0x01, 0x00, 0x02, b'a', b'#'],
            V311,
            E::InvalidTopicFilter,
        ),
        (&[0x82, 0x02, 0x00, 0x01], V311, E::NoTopics),
        (&[0xA2, 0x02, 0x00, 0x01], V311, E::NoTopics),
        (&[0x90, 0x02, 0x00, 0x01], V311, E::NoTopics),
        (
            &[0x90, 0x03, 0x00, 0x01, 0x03],
            V311,
            E::BadReasonCode { code: 3 },
        ),
        (
            &[0x20, 0x02, 0x00, 0x06],
            V311,
            E::BadReasonCode { code: 6 },
        ),
        (&[0x20, 0x02, 0x02, 0x00], V311, E::InvalidConnAckFlags),
        (&[0x20, 0x02, 0x01, 0x05], V311, E::InvalidConnAckFlags),
        (
            &[0x40, 0x03, 0x00, 0x01, 0x92],
            V5,
            E::BadReasonCode { code: 0x92 },
        ),
        (&[0xF0, 0x01, 0x01], V5, E::BadReasonCode { code: 0x01 }),
        (
            &[0x10, 0x06, 0x00, 0x04, b'M', b'Q', b'T', b't'],
            V311,
            E::InvalidProtocolName,
        ),
        (
            &[0x10, 0x07, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x03],
            V311,
            E::UnsupportedProtocolVersion(3),
        ),
        // Reserved CONNECT flag bit 0.
        (
            &[
                0x10, 0x0A, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x01, 0x00, 0x00,
            ],
            V311,
            E::InvalidConnectFlags,
        ),
        // Will QoS without will flag.
        (
            &[
                0x10, 0x0A, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x08, 0x00, 0x00,
            ],
            V311,
            E::InvalidConnectFlags,
        ),
        // Password without user name in 3.1.1.
        (
            &[
                0x10, 0x0A, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x40, 0x00, 0x00,
            ],
            V311,
            E::InvalidConnectFlags,
        ),
        // Will QoS 3.
        (
            &[
                0x10, 0x0A, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x1C, 0x00, 0x00,
            ],
            V311,
            E::InvalidQos,
        ),
        // v5 CONNACK with unknown property 0x05.
        (
            &[0x20, 0x05, 0x00, 0x00, 0x02, 0x05, 0x00],
            V5,
            E::UnknownProperty { id: 0x05 },
        ),
        // Topic alias (PUBLISH-only) in CONNACK.
        (
            &[0x20, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01],
            V5,
            E::PropertyNotAllowed { id: 0x23 },
        ),
        // Receive maximum twice.
        (
            &[
                0x20, 0x09, 0x00, 0x00, 0x06, 0x21, 0x00, 0x01, 0x21, 0x00, 0x02,
            ],
            V5,
            E::DuplicateProperty { id: 0x21 },
        ),
        // Receive maximum 0.
        (
            &[0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00],
            V5,
            E::BadProperty { id: 0x21 },
        ),
        // Maximum QoS 2 is not a valid value.
        (
            &[0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02],
            V5,
            E::BadProperty { id: 0x24 },
        ),
        // Property length runs past the packet.
        (
            &[0x20, 0x05, 0x00, 0x00, 0x09, 0x24, 0x01],
            V5,
            E::Truncated,
        ),
        // Property value truncated inside the property block.
        (
            &[0x20, 0x05, 0x00, 0x00, 0x02, 0x21, 0x00],
            V5,
            E::Truncated,
        ),
        // Topic alias 0 in PUBLISH.
        (
            &[0x30, 0x07, 0x00, 0x01, b'a', 0x03, 0x23, 0x00, 0x00],
            V5,
            E::BadProperty { id: 0x23 },
        ),
        // Subscription identifier 0.
        (
            &[0x30, 0x06, 0x00, 0x01, b'a', 0x02, 0x0B, 0x00],
            V5,
            E::BadProperty { id: 0x0B },
        ),
        // Property id as a non-minimal varint.
        (
            &[0x30, 0x07, 0x00, 0x01, b'a', 0x03, 0x81, 0x00, 0x00],
            V5,
            E::VarIntNotMinimal,
        ),
        // Property id that does not fit a byte.
        (
            &[0x30, 0x07, 0x00, 0x01, b'a', 0x03, 0x80, 0x02, 0x00],
            V5,
            E::UnknownProperty { id: 0xFF },
        ),
        // Bad UTF-8 in a user property.
        (
            &[
                0xE0, 0x09, 0x00, 0x07, 0x26, 0x00, 0x01, 0xFF, 0x00, 0x01, b'v',
            ],
            V5,
            E::InvalidUtf8,
        ),
        (&[0xE0, 0x01, 0x05], V5, E::BadReasonCode { code: 0x05 }),
        (&[0xE0, 0x01, 0x00], V311, E::TrailingBytes),
        (&[0xB0, 0x03, 0x00, 0x01, 0x00], V5, E::NoTopics),
        (
            &[0xB0, 0x04, 0x00, 0x01, 0x00, 0x12],
            V5,
            E::BadReasonCode { code: 0x12 },
        ),
    ];
    for (bytes, v, e) in cases {
        assert_eq!(err(bytes, *v), *e, "{bytes:02x?} {v:?}");
        // Display never panics and says something.
        assert!(!format!("{e}").is_empty());
    }
    // AUTH is unknown type 15 in 3.1.1 at the header level.
    assert_eq!(
        decode_fixed_header(&[0xF0, 0x00], Version::V311, MAX),
        Err(DecodeError::UnknownPacketType(15))
    );
}

#[test]
fn too_large_is_refused_before_body_arrives() {
    // PUBLISH announcing 1000 bytes, with only the fixed header present.
    let b = [0x30, 0xE8, 0x07];
    assert_eq!(
        decode(&b, Version::V311, 500),
        Err(DecodeError::PacketTooLarge {
            size: 1003,
            max: 500
        })
    );
    assert_eq!(decode(&b, Version::V311, 2000), Ok(None));
}

#[test]
fn partial_varint_asks_for_more_but_fifth_byte_fails() {
    assert_eq!(decode(&[0x30, 0xFF, 0xFF], Version::V5, u32::MAX), Ok(None));
    assert_eq!(
        decode(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF], Version::V5, u32::MAX),
        Err(DecodeError::RemainingLengthTooLong)
    );
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut pb = [0u8; 64];
    let mut b = PropertiesBuilder::new(&mut pb);
    b.push(Property::TopicAlias(2)).unwrap();
    b.push(Property::UserProperty("a", "b")).unwrap();
    let props = b.finish();
    let packets = [
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::ExactlyOnce,
            retain: true,
            topic: "x/y",
            packet_id: Some(3),
            properties: props,
            payload: b"payload",
        }),
        Packet::Connect(Connect {
            version: Version::V5,
            clean_start: true,
            keep_alive: 5,
            client_id: "id",
            will: Some(Will {
                topic: "w",
                payload: b"b",
                qos: QoS::AtLeastOnce,
                retain: false,
                properties: Properties::EMPTY,
            }),
            username: Some("u"),
            password: Some(b"p"),
            properties: Properties::EMPTY,
        }),
        Packet::Subscribe(Subscribe {
            packet_id: 4,
            properties: Properties::EMPTY,
            subscriptions: Subscriptions::List(&[
                ("a/+", SubscriptionOptions::qos(QoS::AtLeastOnce)),
                ("#", SubscriptionOptions::qos(QoS::AtMostOnce)),
            ]),
        }),
        Packet::SubAck(SubAck {
            packet_id: 4,
            properties: Properties::EMPTY,
            codes: &[0, 1],
        }),
        Packet::Disconnect(Disconnect {
            reason: ReasonCode::SERVER_BUSY,
            properties: Properties::EMPTY,
        }),
    ];
    for p in &packets {
        let mut buf = [0u8; 128];
        let n = encode(p, Version::V5, &mut buf).unwrap();
        out.push(buf[..n].to_vec());
    }
    out.push(vec![0x20, 0x02, 0x00, 0x00]);
    out.push(vec![0x62, 0x02, 0x00, 0x01]);
    out
}

#[test]
fn fuzz_loop_100k_never_panics() {
    let seeds = seeds();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ok = 0usize;
    for i in 0..100_000 {
        let mut buf: Vec<u8> = if i % 3 == 0 {
            let n = rng.below(64);
            (0..n).map(|_| rng.next() as u8).collect()
        } else {
            let mut b = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(4) {
                match rng.below(4) {
                    0 if !b.is_empty() => {
                        let j = rng.below(b.len());
                        b[j] = rng.next() as u8;
                    }
                    1 if !b.is_empty() => {
                        let j = rng.below(b.len());
                        b[j] ^= 1 << rng.below(8);
                    }
                    2 if !b.is_empty() => {
                        b.truncate(rng.below(b.len()));
                    }
                    _ => b.push(rng.next() as u8),
                }
            }
            b
        };
        if rng.below(8) == 0 {
            buf.extend_from_slice(&[0xFF; 8]);
        }
        for v in [Version::V311, Version::V5] {
            let max = if i % 2 == 0 { MAX } else { 16 };
            if let Ok(Some((p, n))) = decode(&buf, v, max) {
                ok += 1;
                assert!(n <= buf.len());
                // Whatever decodes must re-encode and decode to the same thing.
                let mut out = [0u8; 256];
                if let Ok(m) = encode(&p, v, &mut out) {
                    let again = decode(&out[..m], v, MAX);
                    assert!(matches!(again, Ok(Some(_))), "{buf:02x?} -> {again:?}");
                }
                if let Packet::Publish(p) = p {
                    let _ = p.properties.iter().count();
                }
            }
            let _ = decode_publish_head(&buf, v, max);
        }
    }
    assert!(ok > 100, "mutations should still decode sometimes ({ok})");
}
