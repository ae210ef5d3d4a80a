use super::*;
use crate::message::{Message, Version};
use crate::pdu::{AnyPdu, PduType};
use crate::trap::*;
use crate::value::VarBind;
use petrel_netcore::time::Duration;

#[test]
fn v1_trap_encodes() {
    let mut buf = [0u8; 200];
    let vb = [VarBind {
        name: sys(5),
        value: Value::OctetString(b"x"),
    }];
    let n = encode_trap_v1(
        b"public",
        &Oid::new(&[1, 3, 6, 1, 4, 1, 26381]),
        [192, 0, 2, 7],
        GenericTrap::EnterpriseSpecific(3),
        1234,
        &vb,
        &mut buf,
    )
    .unwrap();
    let Message::Community(m) = Message::decode(&buf[..n], 8).unwrap() else {
        panic!()
    };
    assert_eq!(m.version, Version::V1);
    let AnyPdu::TrapV1(t) = m.pdu else { panic!() };
    assert_eq!(
        (t.generic_trap, t.specific_trap, t.time_stamp),
        (6, 3, 1234)
    );
    assert_eq!(t.agent_addr, [192, 0, 2, 7]);
    assert_eq!(t.varbinds.len(), 1);
    assert!(
        encode_trap_v1(
            b"public",
            &Oid::new(COLD_START),
            [0; 4],
            GenericTrap::ColdStart,
            0,
            &vb,
            &mut buf[..20]
        )
        .is_err()
    );
}

#[test]
fn v2c_trap_and_inform_encode() {
    let mut buf = [0u8; 200];
    for (kind, t) in [
        (NotificationKind::Trap, PduType::TrapV2),
        (NotificationKind::Inform, PduType::InformRequest),
    ] {
        let n = encode_v2c_notification(
            b"public",
            kind,
            5,
            100,
            &Oid::new(AUTHENTICATION_FAILURE),
            &[],
            &mut buf,
        )
        .unwrap();
        let Message::Community(m) = Message::decode(&buf[..n], 8).unwrap() else {
            panic!()
        };
        let AnyPdu::Pdu(p) = m.pdu else { panic!() };
        assert_eq!(p.pdu_type, t);
        let vbs: Vec<_> = p.varbinds.iter().map(|v| v.unwrap()).collect();
        assert_eq!(
            vbs[0],
            VarBind {
                name: Oid::new(SYS_UPTIME_0),
                value: Value::TimeTicks(100)
            }
        );
        assert_eq!(
            vbs[1],
            VarBind {
                name: Oid::new(SNMP_TRAP_OID_0),
                value: Value::ObjectId(Oid::new(AUTHENTICATION_FAILURE))
            }
        );
    }
}

#[test]
fn inform_retries_then_times_out_or_is_acked() {
    let cfg = InformConfig {
        timeout: Duration::from_secs(1),
        retries: 2,
    };
    let mut s: InformSender<2, 256> = InformSender::new(cfg);
    let mut buf = [0u8; 200];
    let n = encode_v2c_notification(
        b"public",
        NotificationKind::Inform,
        42,
        1,
        &Oid::new(COLD_START),
        &[],
        &mut buf,
    )
    .unwrap();
    s.send(42, &buf[..n]).unwrap();
    assert_eq!(s.send(42, &buf[..n]), Err(InformError::DuplicateRequestId));
    let t0 = Instant::from_secs(10);
    assert_eq!(s.poll_transmit(t0).unwrap(), &buf[..n]);
    assert!(s.poll_transmit(t0).is_none());
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    let mut sends = 1;
    let mut t = t0;
    for _ in 0..10 {
        t = s.poll_timeout().unwrap_or(t);
        s.handle_timeout(t);
        if s.poll_transmit(t).is_some() {
            sends += 1;
        }
        if let Some(e) = s.poll_event() {
            assert_eq!(e, InformEvent::TimedOut { request_id: 42 });
            break;
        }
    }
    assert_eq!(sends, 3);
    assert_eq!(s.pending(), 0);

    // Acknowledged by a Response with the same request-id.
    s.send(42, &buf[..n]).unwrap();
    let _ = s.poll_transmit(t0);
    let mut ack = buf;
    // Turn the InformRequest into a Response (tag 0xa6 -> 0xa2).
    let at = ack.iter().position(|&b| b == 0xa6).unwrap();
    ack[at] = 0xa2;
    assert_eq!(s.handle_response(&ack[..n]), Some(42));
    assert_eq!(
        s.poll_event(),
        Some(InformEvent::Acknowledged { request_id: 42 })
    );
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.handle_response(b"\x30\x00"), None);
    let big = [0u8; 300];
    assert_eq!(s.send(1, &big), Err(InformError::TooLarge));
    s.send(1, &buf[..n]).unwrap();
    s.send(2, &buf[..n]).unwrap();
    assert_eq!(s.send(3, &buf[..n]), Err(InformError::Full));
}
