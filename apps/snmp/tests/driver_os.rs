//! The driver over the host backend (`OsNetwork`) on 127.0.0.1: a full
//! GetBulk walk decoded by both petrel-snmp and the independent
//! `snmp-parser` crate must agree; informs are acknowledged by a manager
//! socket, an unreachable inform target times out without stalling
//! requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use petrel_netcore::os::OsNetwork;
use petrel_netcore::time::Duration;
use petrel_netcore::{Clock, Network};
use petrel_snmp::Value;
use petrel_snmp::agent::{Access, Agent, AgentConfig, Community, View};
use petrel_snmp::driver::{Driver, DriverConfig, DriverEvent, Notification, TrapKind, TrapTarget};
use petrel_snmp::message::Message;
use petrel_snmp::mib2::{Mib2, Mib2Config};
use petrel_snmp::pdu::AnyPdu;
use petrel_snmp::trap::InformConfig;
use petrel_snmp::usm::Engine;
use snmp_parser::snmp::{NetworkAddress, ObjectSyntax, VarBindValue};

/// Starts the driver in a thread; returns its port and its events.
fn start(manager: SocketAddr, dead: SocketAddr) -> (u16, mpsc::Receiver<DriverEvent>) {
    let (port_tx, port_rx) = mpsc::channel();
    let (ev_tx, ev_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let net = OsNetwork::new();
            let mut sock = net.udp_bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
            port_tx
                .send(petrel_netcore::UdpSocket::local_addr(&sock).port())
                .unwrap();
            let communities = [Community {
                name: b"public",
                access: Access::ReadOnly,
                read_view: View::All,
                write_view: View::Nothing,
            }];
            let config = AgentConfig {
                communities: &communities,
                ..AgentConfig::default()
            };
            let agent: Agent<'_, 2> =
                Agent::new(config, Engine::new(b"\x80\x00\xea\x5f\x04t", 0, net.now()));
            let targets = [
                TrapTarget {
                    addr: manager,
                    kind: TrapKind::V2c {
                        community: b"public",
                        inform: true,
                    },
                },
                TrapTarget {
                    addr: dead,
                    kind: TrapKind::V2c {
                        community: b"public",
                        inform: true,
                    },
                },
                TrapTarget {
                    addr: dead,
                    kind: TrapKind::V1 {
                        community: b"public",
                    },
                },
            ];
            let mut driver: Driver<'_, 2> = Driver::new(
                agent,
                DriverConfig {
                    targets: &targets,
                    // Longer than the walk's 2 s read timeout: an agent that
                    // waited for the dead inform's answer would fail the walk.
                    inform: InformConfig {
                        timeout: Duration::from_millis(2500),
                        retries: 1,
                    },
                    ..DriverConfig::default()
                },
            );
            let mut mib = Mib2::new(net, Mib2Config::default());
            let (mut req, mut resp) = (vec![0u8; 2048], vec![0u8; 2048]);
            driver
                .run(&net, &mut sock, &mut mib, &mut req, &mut resp, |e| {
                    let _ = ev_tx.send(e);
                })
                .await
        });
    });
    let port = port_rx.recv_timeout(StdDuration::from_secs(10)).unwrap();
    (port, ev_rx)
}

fn tlv(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    let n = body.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(body);
    v
}

/// A v2c GetBulk (non-repeaters 0, max-repetitions 25) for `oid`.
fn get_bulk(id: u16, oid: &[u32]) -> Vec<u8> {
    let mut enc = vec![(oid[0] * 40 + oid[1]) as u8];
    for &a in &oid[2..] {
        let mut parts = vec![(a & 0x7f) as u8];
        let mut x = a >> 7;
        while x > 0 {
            parts.push((x & 0x7f) as u8 | 0x80);
            x >>= 7;
        }
        parts.reverse();
        enc.extend(parts);
    }
    let mut vb = tlv(0x06, &enc);
    vb.extend([0x05, 0x00]);
    let vbs = tlv(0x30, &tlv(0x30, &vb));
    let mut pdu = tlv(0x02, &id.to_be_bytes());
    pdu.extend(tlv(0x02, &[0]));
    pdu.extend(tlv(0x02, &[25]));
    pdu.extend(vbs);
    let mut msg = tlv(0x02, &[1]);
    msg.extend(tlv(0x04, b"public"));
    msg.extend(tlv(0xa5, &pdu));
    tlv(0x30, &msg)
}

fn ours(v: &Value<'_>) -> String {
    match v {
        Value::Integer(i) => format!("int {i}"),
        Value::OctetString(s) => format!("str {s:02x?}"),
        Value::ObjectId(o) => format!("oid {o}"),
        Value::IpAddress(a) => format!("ip {a:?}"),
        Value::Counter32(c) => format!("c32 {c}"),
        Value::Gauge32(c) => format!("g32 {c}"),
        Value::TimeTicks(c) => format!("tt {c}"),
        Value::Counter64(c) => format!("c64 {c}"),
        Value::EndOfMibView => "end".into(),
        other => format!("{other:?}"),
    }
}

fn theirs(v: &VarBindValue<'_>) -> String {
    match v {
        VarBindValue::Value(ObjectSyntax::Number(i)) => format!("int {i}"),
        VarBindValue::Value(ObjectSyntax::String(s)) => format!("str {s:02x?}"),
        // snmp-parser reports a zero-length OCTET STRING as Empty.
        VarBindValue::Value(ObjectSyntax::Empty) => "str []".into(),
        // asn1-rs prints zeroDotZero (the single octet 00) as "0".
        VarBindValue::Value(ObjectSyntax::Object(o)) if o.as_bytes() == [0] => "oid 0.0".into(),
        VarBindValue::Value(ObjectSyntax::Object(o)) => format!("oid {}", o.to_id_string()),
        VarBindValue::Value(ObjectSyntax::IpAddress(NetworkAddress::IPv4(a))) => {
            format!("ip {:?}", a.octets())
        }
        VarBindValue::Value(ObjectSyntax::Counter32(c)) => format!("c32 {c}"),
        VarBindValue::Value(ObjectSyntax::Gauge32(c)) => format!("g32 {c}"),
        VarBindValue::Value(ObjectSyntax::TimeTicks(c)) => format!("tt {c}"),
        VarBindValue::Value(ObjectSyntax::Counter64(c)) => format!("c64 {c}"),
        VarBindValue::EndOfMibView => "end".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn walk_decodes_identically_and_informs_work() {
    let manager = UdpSocket::bind("127.0.0.1:0").unwrap();
    manager
        .set_read_timeout(Some(StdDuration::from_secs(5)))
        .unwrap();
    let dead = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (port, events) = start(manager.local_addr().unwrap(), dead);
    let agent: SocketAddr = ([127, 0, 0, 1], port).into();

    // The coldStart inform: acknowledge it (same PDU, tag Response).
    let mut buf = [0u8; 2048];
    let (n, from) = manager.recv_from(&mut buf).unwrap();
    assert_eq!(from, agent);
    let mut inform = buf[..n].to_vec();
    let (_, parsed) = snmp_parser::parse_snmp_v2c(&inform).unwrap();
    assert_eq!(parsed.pdu_type(), snmp_parser::PduType::InformRequest);
    let trap_oid: Vec<String> = parsed.vars_iter().map(|v| theirs(&v.val)).collect();
    assert_eq!(trap_oid[1], "oid 1.3.6.1.6.3.1.1.5.1");
    let pos = inform.iter().position(|&b| b == 0xa6).unwrap();
    inform[pos] = 0xa2;
    manager.send_to(&inform, agent).unwrap();

    // Walk everything with GetBulk while the dead inform is retried.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(StdDuration::from_secs(2)))
        .unwrap();
    let mut at = vec![1u32, 3];
    let mut seen = 0;
    'walk: for id in 1..2000u16 {
        client.send_to(&get_bulk(id, &at), agent).unwrap();
        let (n, _) = client
            .recv_from(&mut buf)
            .expect("an answer while the dead inform is pending");
        let bytes = &buf[..n];
        let (_, theirs_msg) = snmp_parser::parse_snmp_v2c(bytes).expect("snmp-parser decodes");
        let Ok(Message::Community(m)) = Message::decode(bytes, 1000) else {
            panic!("petrel decodes");
        };
        let AnyPdu::Pdu(pdu) = m.pdu else { panic!() };
        let mine: Vec<_> = pdu.varbinds.iter().map(|v| v.unwrap()).collect();
        let other: Vec<_> = theirs_msg.vars_iter().collect();
        assert_eq!(mine.len(), other.len());
        assert!(!mine.is_empty());
        for (a, b) in mine.iter().zip(&other) {
            assert_eq!(a.name.to_string(), b.oid.to_id_string());
            assert_eq!(ours(&a.value), theirs(&b.val), "{}", a.name);
            if a.value == Value::EndOfMibView {
                break 'walk;
            }
            assert!(a.name.as_slice() > at.as_slice());
            at = a.name.as_slice().to_vec();
            seen += 1;
        }
    }
    assert!(seen > 150, "only {seen} objects");

    // Events: boots persisted, inform acknowledged, the dead one timed out.
    let deadline = StdInstant::now() + StdDuration::from_secs(15);
    let (mut boots, mut acked, mut timed_out) = (false, false, false);
    while StdInstant::now() < deadline && !(boots && acked && timed_out) {
        match events.recv_timeout(StdDuration::from_millis(100)) {
            Ok(DriverEvent::PersistEngineBoots(1)) => boots = true,
            Ok(DriverEvent::InformAcknowledged { from, .. }) => {
                assert_eq!(from, manager.local_addr().unwrap());
                acked = true;
            }
            Ok(DriverEvent::InformTimedOut { .. }) => timed_out = true,
            _ => {}
        }
    }
    assert!(boots && acked && timed_out, "{boots} {acked} {timed_out}");
}

/// The driver with `run_with`: on the first tick it sends a MIB-defined
/// notification (objects sysContact and sysName), then one whose object
/// does not exist, then one with too many objects.
fn start_defined(manager: SocketAddr) -> mpsc::Receiver<DriverEvent> {
    let (ev_tx, ev_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let net = OsNetwork::new();
            let mut sock = net.udp_bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
            let agent: Agent<'_, 2> = Agent::new(
                AgentConfig::default(),
                Engine::new(b"\x80\x00\x7e\xd9\x04t", 0, net.now()),
            );
            let targets = [
                TrapTarget {
                    addr: manager,
                    kind: TrapKind::V2c {
                        community: b"public",
                        inform: false,
                    },
                },
                TrapTarget {
                    addr: manager,
                    kind: TrapKind::V1 {
                        community: b"public",
                    },
                },
            ];
            let mut driver: Driver<'_, 2> = Driver::new(
                agent,
                DriverConfig {
                    targets: &targets,
                    cold_start: false,
                    ..DriverConfig::default()
                },
            );
            let mut mib = Mib2::new(
                net,
                Mib2Config {
                    contact: b"ops@example.net",
                    name: b"dev-7",
                    ..Mib2Config::default()
                },
            );
            const ALARM: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 2, 0, 1];
            const OBJECTS: &[&[u32]] = &[&[1, 3, 6, 1, 2, 1, 1, 4], &[1, 3, 6, 1, 2, 1, 1, 5]];
            const MISSING: &[&[u32]] = &[&[1, 3, 6, 1, 2, 1, 1, 99]];
            const CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4];
            const MANY: &[&[u32]] = &[CONTACT; 5];
            let mut script = [OBJECTS, MISSING, MANY].into_iter();
            let (mut req, mut resp) = (vec![0u8; 2048], vec![0u8; 2048]);
            driver
                .run_with(
                    &net,
                    &mut sock,
                    &mut mib,
                    &mut req,
                    &mut resp,
                    |e| {
                        let _ = ev_tx.send(e);
                    },
                    Duration::from_millis(50),
                    |_, _| {
                        script.next().map(|objects| Notification::Defined {
                            oid: ALARM,
                            objects,
                        })
                    },
                )
                .await
        });
    });
    ev_rx
}

#[test]
fn defined_notifications_carry_their_objects_in_v2c_and_v1() {
    let manager = UdpSocket::bind("127.0.0.1:0").unwrap();
    manager
        .set_read_timeout(Some(StdDuration::from_secs(5)))
        .unwrap();
    let events = start_defined(manager.local_addr().unwrap());
    let mut buf = [0u8; 2048];

    // v2c: sysUpTime.0, snmpTrapOID.0 = the alarm, then the objects' values.
    let (n, _) = manager.recv_from(&mut buf).unwrap();
    let (_, v2) = snmp_parser::parse_snmp_v2c(&buf[..n]).unwrap();
    assert_eq!(v2.pdu_type(), snmp_parser::PduType::TrapV2);
    let vars: Vec<(String, String)> = v2
        .vars_iter()
        .map(|v| (v.oid.to_id_string(), theirs(&v.val)))
        .collect();
    assert_eq!(vars[0].0, "1.3.6.1.2.1.1.3.0");
    assert_eq!(
        vars[1..],
        [
            (
                "1.3.6.1.6.3.1.1.4.1.0".to_string(),
                "oid 1.3.6.1.4.1.32473.2.0.1".to_string()
            ),
            (
                "1.3.6.1.2.1.1.4.0".to_string(),
                format!("str {:02x?}", b"ops@example.net")
            ),
            (
                "1.3.6.1.2.1.1.5.0".to_string(),
                format!("str {:02x?}", b"dev-7")
            ),
        ]
    );

    // v1 (RFC 3584 3.2): enterprise = the OID without ".0.1",
    // enterpriseSpecific (6), specific-trap 1, the same objects.
    let (n, _) = manager.recv_from(&mut buf).unwrap();
    let (_, v1) = snmp_parser::parse_snmp_v1(&buf[..n]).unwrap();
    let snmp_parser::SnmpPdu::TrapV1(t) = &v1.pdu else {
        panic!("not a v1 trap: {v1:?}")
    };
    assert_eq!(t.enterprise.to_id_string(), "1.3.6.1.4.1.32473.2");
    assert_eq!((t.generic_trap.0, t.specific_trap), (6, 1));
    let names: Vec<String> = t.var.iter().map(|v| v.oid.to_id_string()).collect();
    assert_eq!(names, ["1.3.6.1.2.1.1.4.0", "1.3.6.1.2.1.1.5.0"]);

    // Unreadable objects and too many objects: reported, nothing sent.
    let mut failed = 0;
    let mut notified = 0;
    let deadline = StdInstant::now() + StdDuration::from_secs(5);
    while failed < 4 && StdInstant::now() < deadline {
        match events.recv_timeout(StdDuration::from_millis(500)) {
            Ok(DriverEvent::NotifyFailed { notification, .. }) => {
                assert!(matches!(notification, Notification::Defined { .. }));
                failed += 1;
            }
            Ok(DriverEvent::Notified { .. }) => notified += 1,
            _ => {}
        }
    }
    assert_eq!((notified, failed), (2, 4));
    manager
        .set_read_timeout(Some(StdDuration::from_millis(300)))
        .unwrap();
    assert!(
        manager.recv_from(&mut buf).is_err(),
        "nothing else was sent"
    );
}
