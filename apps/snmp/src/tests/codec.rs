use super::*;
use crate::ber::{BerError, Reader};
#[cfg(feature = "v3")]
use crate::message::ScopedPduData;
use crate::message::{Message, MessageError, Version};
use crate::pdu::{AnyPdu, PduType};

#[test]
fn decodes_captured_get() {
    let bytes = hex(CAP_GET_V2C);
    let Message::Community(m) = Message::decode(&bytes, 64).unwrap() else {
        panic!()
    };
    assert_eq!(m.version, Version::V2c);
    assert_eq!(m.community, b"public");
    let AnyPdu::Pdu(p) = m.pdu else { panic!() };
    assert_eq!(p.pdu_type, PduType::GetRequest);
    assert_eq!(p.request_id, 0x7672cee8);
    let vbs: Vec<_> = p.varbinds.iter().map(|v| v.unwrap()).collect();
    assert_eq!(vbs.len(), 1);
    assert_eq!(vbs[0].name, sys(1));
    assert_eq!(vbs[0].value, Value::Null);
}

#[test]
fn decodes_captured_bulk_and_set() {
    let bytes = hex(CAP_BULK_V2C);
    let Message::Community(m) = Message::decode(&bytes, 64).unwrap() else {
        panic!()
    };
    let AnyPdu::Pdu(p) = m.pdu else { panic!() };
    assert_eq!(p.pdu_type, PduType::GetBulkRequest);
    assert_eq!((p.error_status, p.error_index), (1, 5));
    assert_eq!(p.varbinds.len(), 2);
    let bytes = hex(CAP_SET_V2C);
    let Message::Community(m) = Message::decode(&bytes, 64).unwrap() else {
        panic!()
    };
    let AnyPdu::Pdu(p) = m.pdu else { panic!() };
    let vb = p.varbinds.iter().next().unwrap().unwrap();
    assert_eq!(vb.value, Value::OctetString(b"petrel-node"));
}

#[cfg(feature = "v3")]
#[test]
fn decodes_captured_v3_discovery() {
    let bytes = hex(CAP_V3_DISCOVERY);
    let Message::V3(m) = Message::decode(&bytes, 64).unwrap() else {
        panic!()
    };
    assert_eq!(m.header.max_size, 65507);
    assert_eq!(m.header.flags, 0x04);
    assert!(m.usm.engine_id.is_empty());
    assert!(matches!(m.data, ScopedPduData::Plaintext(_)));
}

/// Without the `v3` feature a v3 message is a bad version: dropped and
/// counted in snmpInBadVersions, as lwIP does without `LWIP_SNMP_V3`.
#[cfg(not(feature = "v3"))]
#[test]
fn a_v3_message_is_a_bad_version_without_the_v3_feature() {
    let mut bytes = hex(CAP_V3_DISCOVERY);
    assert_eq!(
        Message::decode(&bytes, 64),
        Err(MessageError::BadVersion(3))
    );
    let mut a = agent();
    let mut e = entries();
    let mut mib: crate::agent::TableMib<'_, 8> = crate::agent::TableMib::new(&mut e);
    let mut out = [0u8; 1500];
    let got = a.handle_request(Instant::ZERO, &mut bytes, &mut out, &mut mib);
    assert!(
        matches!(
            got,
            crate::agent::Outcome::Drop(crate::agent::DropReason::Malformed(
                MessageError::BadVersion(3)
            ))
        ),
        "{got:?}"
    );
    assert_eq!(a.stats().in_bad_versions, 1);
}

#[test]
fn value_round_trips() {
    let values = [
        Value::Integer(0),
        Value::Integer(-1),
        Value::Integer(i32::MIN),
        Value::Integer(i32::MAX),
        Value::OctetString(b""),
        Value::OctetString(&[0xab; 300]),
        Value::Null,
        Value::ObjectId(Oid::new(&[1, 3, 6, 1, 4, 1, 4294967295, 0, 128])),
        Value::ObjectId(Oid::new(&[2, 999, 3])),
        Value::IpAddress([192, 0, 2, 1]),
        Value::Counter32(u32::MAX),
        Value::Gauge32(0),
        Value::TimeTicks(123456),
        Value::Opaque(&[0x9f, 0x78, 4, 0x3f, 0x80, 0, 0]),
        Value::Counter64(u64::MAX),
        Value::NoSuchObject,
        Value::NoSuchInstance,
        Value::EndOfMibView,
    ];
    for v in values {
        let vb = VarBind {
            name: sys(1),
            value: v,
        };
        let mut buf = [0u8; 512];
        let mut w = crate::ber::Writer::new(&mut buf);
        vb.encode(&mut w).unwrap();
        assert_eq!(w.pos(), vb.encoded_len(), "{v:?}");
        let n = w.pos();
        let mut r = Reader::new(&buf[..n]);
        let mut s = r.sequence().unwrap();
        assert_eq!(s.oid().unwrap(), sys(1));
        assert_eq!(Value::decode(&s.read_tlv().unwrap()).unwrap(), v);
    }
}

use crate::value::VarBind;

#[test]
fn max_length_oid_round_trips_and_longer_is_rejected() {
    let arcs: Vec<u32> = (0..128).map(|i| if i < 2 { 1 } else { i * 1000 }).collect();
    let oid = Oid::from_slice(&arcs).unwrap();
    let mut buf = [0u8; 1024];
    let mut w = crate::ber::Writer::new(&mut buf);
    w.oid(0x06, &oid).unwrap();
    let n = w.pos();
    let mut r = Reader::new(&buf[..n]);
    assert_eq!(r.oid().unwrap(), oid);
    // 129 sub-identifiers.
    let mut v = vec![0x06, 0x81, 128];
    v.extend(std::iter::repeat_n(1u8, 128));
    assert_eq!(Reader::new(&v).oid(), Err(BerError::BadOid));
}

#[test]
fn hostile_ber() {
    let cases: &[(&[u8], BerError)] = &[
        (&[], BerError::Truncated),
        (&[0x30], BerError::Truncated),
        (&[0x30, 0x05, 0x02], BerError::LengthOverrun),
        (&[0x30, 0x80, 0x00, 0x00], BerError::IndefiniteLength),
        (&[0x30, 0x85, 1, 0, 0, 0, 0], BerError::LengthTooLong),
        (
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            BerError::LengthOverrun,
        ),
        (&[0x1f, 0x01, 0x00], BerError::UnsupportedTag),
    ];
    for (bytes, e) in cases {
        assert_eq!(
            Reader::new(bytes).read_tlv().err(),
            Some(*e),
            "{bytes:02x?}"
        );
    }
    // OID sub-identifier overflowing u32, and a 0x80 padding octet.
    assert_eq!(
        Reader::new(&[0x06, 0x06, 0x2b, 0x90, 0x80, 0x80, 0x80, 0x00]).oid(),
        Err(BerError::BadOid)
    );
    assert_eq!(
        Reader::new(&[0x06, 0x02, 0x2b, 0x80]).oid(),
        Err(BerError::BadOid)
    );
    assert_eq!(Reader::new(&[0x06, 0x00]).oid(), Err(BerError::BadOid));
    assert_eq!(
        Reader::new(&[0x02, 0x00]).integer(),
        Err(BerError::BadInteger)
    );
    assert_eq!(
        Reader::new(&[0x02, 0x05, 0x01, 0, 0, 0, 0]).integer(),
        Err(BerError::BadInteger)
    );
}

#[test]
fn deep_nesting_is_bounded() {
    // 1000 nested SEQUENCEs with long-form lengths.
    let mut v: Vec<u8> = vec![0x05, 0x00];
    for _ in 0..1000 {
        let len = v.len();
        let mut h = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
        h.extend(v);
        v = h;
    }
    let mut r = Reader::new(&v);
    let mut depth = 0;
    let err = loop {
        match r.sequence() {
            Ok(sub) => {
                r = sub;
                depth += 1
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, BerError::TooDeep);
    assert_eq!(depth, crate::ber::MAX_DEPTH as usize);
    assert!(matches!(Message::decode(&v, 64), Err(MessageError::Ber(_))));
}

#[test]
fn message_errors() {
    // version 2 (SNMPv2u/v2*): bad version.
    let mut bytes = hex(CAP_GET_V2C);
    bytes[4] = 2;
    assert_eq!(
        Message::decode(&bytes, 64),
        Err(MessageError::BadVersion(2))
    );
    // Unknown PDU tag 0xaf.
    let mut bytes = hex(CAP_GET_V2C);
    bytes[13] = 0xaf;
    assert_eq!(
        Message::decode(&bytes, 64),
        Err(MessageError::UnknownPdu(0xaf))
    );
    // Trailing garbage after the message.
    let mut bytes = hex(CAP_GET_V2C);
    bytes.push(0);
    assert_eq!(
        Message::decode(&bytes, 64),
        Err(MessageError::Ber(BerError::TrailingData))
    );
    // Varbind limit.
    let bytes = hex(CAP_BULK_V2C);
    assert_eq!(
        Message::decode(&bytes, 1),
        Err(MessageError::TooManyVarBinds)
    );
    // v3 with msgMaxSize 100 and with priv but no auth.
    #[cfg(feature = "v3")]
    v3_message_errors();
}

#[cfg(feature = "v3")]
fn v3_message_errors() {
    let mut bytes = hex(CAP_V3_DISCOVERY);
    let at = bytes
        .windows(5)
        .position(|w| w == [0x02, 0x03, 0x00, 0xff, 0xe3])
        .unwrap();
    bytes.splice(at..at + 5, [0x02, 0x03, 0x00, 0x00, 0x64]);
    assert_eq!(Message::decode(&bytes, 64), Err(MessageError::BadMaxSize));
    let mut bytes = hex(CAP_V3_DISCOVERY);
    let at = bytes
        .windows(3)
        .position(|w| w == [0x04, 0x01, 0x04])
        .unwrap();
    bytes[at + 2] = 0x06;
    assert_eq!(Message::decode(&bytes, 64), Err(MessageError::BadFlags));
    let mut bytes = hex(CAP_V3_DISCOVERY);
    let at = bytes
        .windows(3)
        .position(|w| w == [0x02, 0x01, 0x03])
        .unwrap();
    bytes[at + 2] = 2;
    // The first match is msgVersion; the security model is the second.
    let at2 = bytes[at + 3..]
        .windows(3)
        .position(|w| w == [0x02, 0x01, 0x03])
        .unwrap();
    bytes[at + 2] = 3;
    bytes[at + 3 + at2 + 2] = 2;
    assert_eq!(
        Message::decode(&bytes, 64),
        Err(MessageError::UnknownSecurityModel(2))
    );
}
