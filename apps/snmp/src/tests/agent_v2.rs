use super::*;
use crate::agent::{DropReason, Event, Mib, Outcome, TableMib};
use crate::message::{CommunityPrefix, Message, Version};
use crate::pdu::{AnyPdu, ErrorStatus, PduHeader, PduType};
use crate::trap::encode_with;
use crate::value::VarBind;

pub(crate) fn request(
    version: Version,
    community: &[u8],
    pdu_type: PduType,
    es: i32,
    ei: i32,
    vbs: &[VarBind<'_>],
) -> Vec<u8> {
    let frame = crate::agent::Frame {
        wrapper: crate::agent::Wrapper::Community(CommunityPrefix { version, community }),
        header: PduHeader::Standard {
            pdu_type,
            request_id: 77,
            error_status: es,
            error_index: ei,
        },
    };
    let mut buf = vec![0u8; 65536];
    let n = encode_with(&frame, &[], vbs, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

pub(crate) fn names(oids: &[Oid]) -> Vec<VarBind<'static>> {
    oids.iter()
        .map(|o| VarBind {
            name: *o,
            value: Value::Null,
        })
        .collect()
}

/// Error status, index and varbinds of a response.
pub(crate) fn parse(resp: &[u8]) -> (i32, i32, Vec<(Oid, String)>) {
    let Message::Community(m) = Message::decode(resp, 10_000).unwrap() else {
        panic!()
    };
    let AnyPdu::Pdu(p) = m.pdu else { panic!() };
    assert_eq!(p.pdu_type, PduType::Response);
    let vbs = p
        .varbinds
        .iter()
        .map(|v| v.unwrap())
        .map(|v| (v.name, format!("{:?}", v.value)))
        .collect();
    (p.error_status, p.error_index, vbs)
}

pub(crate) fn run<M: Mib>(agent: &mut Agent<'static, 4>, mib: &mut M, req: &[u8]) -> Outcome {
    let mut req = req.to_vec();
    let mut resp = vec![0u8; 2000];
    let out = agent.handle_request(Instant::from_secs(1), &mut req, &mut resp, mib);
    if let Outcome::Respond(n) = out {
        LAST.with(|l| *l.borrow_mut() = resp[..n].to_vec());
    }
    out
}

thread_local! {
    static LAST: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub(crate) fn last() -> Vec<u8> {
    LAST.with(|l| l.borrow().clone())
}

fn go(req: &[u8]) -> (i32, i32, Vec<(Oid, String)>) {
    let mut e = entries();
    let mut mib: TableMib<'_, 8> = TableMib::new(&mut e);
    let mut a = agent();
    assert!(matches!(run(&mut a, &mut mib, req), Outcome::Respond(_)));
    parse(&last())
}

#[test]
fn captured_get_answers() {
    let (es, ei, vbs) = go(&hex(CAP_GET_V2C));
    assert_eq!((es, ei), (0, 0));
    assert_eq!(
        vbs,
        vec![(sys(1), "OctetString([80, 101, 116, 114, 101, 108])".into())]
    );
    // The response keeps the request-id and community of the capture.
    let resp = last();
    assert_eq!(
        &resp[..15],
        &hex("30 2f 02 01 01 04 06 70 75 62 6c 69 63 a2 22")[..]
    );
    assert_eq!(&resp[15..21], &hex("02 04 76 72 ce e8")[..]);
}

#[test]
fn captured_getnext_v1_and_bulk() {
    let (es, _, vbs) = go(&hex(CAP_GETNEXT_V1));
    assert_eq!(es, 0);
    assert_eq!(vbs[0].0, sys(1));
    let (es, _, vbs) = go(&hex(CAP_BULK_V2C));
    assert_eq!(es, 0);
    // Non-repeater: sysDescr.0 -> next is sysUpTime.0; then up to 5 rows
    // from "interfaces": ifNumber.0, the two ifHC counters, the enterprise
    // scalar, then endOfMibView (row stops early).
    let got: Vec<_> = vbs.iter().map(|(o, v)| format!("{o}={v}")).collect();
    assert_eq!(
        got,
        vec![
            "1.3.6.1.2.1.1.3.0=TimeTicks(4242)",
            "1.3.6.1.2.1.2.1.0=Integer(2)",
            "1.3.6.1.2.1.31.1.1.1.6.1=Counter64(1099511627776)",
            "1.3.6.1.2.1.31.1.1.1.6.2=Counter64(7)",
            "1.3.6.1.4.1.9999.1.0=Gauge32(9)",
            "1.3.6.1.4.1.9999.1.0=EndOfMibView",
        ]
    );
}

#[test]
fn get_exceptions_v2_and_v1_mapping() {
    let req = names(&[sys(1), sys(2), Oid::new(&[1, 3, 6, 1, 2, 1, 1, 1, 1])]);
    let (es, _, vbs) = go(&request(
        Version::V2c,
        b"public",
        PduType::GetRequest,
        0,
        0,
        &req,
    ));
    assert_eq!(es, 0);
    assert_eq!(vbs[1].1, "NoSuchObject");
    assert_eq!(vbs[2].1, "NoSuchInstance");
    let (es, ei, vbs) = go(&request(
        Version::V1,
        b"public",
        PduType::GetRequest,
        0,
        0,
        &req,
    ));
    assert_eq!((es, ei), (ErrorStatus::NoSuchName.code(), 2));
    assert_eq!(vbs[1].1, "Null", "v1 error responses echo the request");
    // Counter64 cannot be read with v1.
    let c64 = names(&[Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1])]);
    let (es, ei, _) = go(&request(
        Version::V1,
        b"public",
        PduType::GetRequest,
        0,
        0,
        &c64,
    ));
    assert_eq!((es, ei), (2, 1));
}

#[test]
fn getnext_v1_skips_counter64_and_ends_with_nosuchname() {
    let req = names(&[Oid::new(&[1, 3, 6, 1, 2, 1, 2, 1, 0])]);
    let (es, _, vbs) = go(&request(
        Version::V1,
        b"public",
        PduType::GetNextRequest,
        0,
        0,
        &req,
    ));
    assert_eq!(es, 0);
    assert_eq!(vbs[0].0, Oid::new(&[1, 3, 6, 1, 4, 1, 9999, 1, 0]));
    let req = names(&[Oid::new(&[1, 3, 6, 1, 4, 1, 9999, 1, 0])]);
    let (es, ei, _) = go(&request(
        Version::V1,
        b"public",
        PduType::GetNextRequest,
        0,
        0,
        &req,
    ));
    assert_eq!((es, ei), (2, 1));
    let (es, _, vbs) = go(&request(
        Version::V2c,
        b"public",
        PduType::GetNextRequest,
        0,
        0,
        &req,
    ));
    assert_eq!(es, 0);
    assert_eq!(vbs[0].1, "EndOfMibView");
}

#[test]
fn views_hide_objects() {
    // "limited" sees MIB-2 without the interfaces group.
    let req = names(&[
        Oid::new(&[1, 3, 6, 1, 2, 1, 2, 1, 0]),
        Oid::new(&[1, 3, 6, 1, 4, 1, 9999, 1, 0]),
    ]);
    let (_, _, vbs) = go(&request(
        Version::V2c,
        b"limited",
        PduType::GetRequest,
        0,
        0,
        &req,
    ));
    assert_eq!(vbs[0].1, "NoSuchObject");
    assert_eq!(vbs[1].1, "NoSuchObject");
    let req = names(&[sys(6)]);
    let (_, _, vbs) = go(&request(
        Version::V2c,
        b"limited",
        PduType::GetNextRequest,
        0,
        0,
        &req,
    ));
    // ifNumber.0 (excluded) is skipped; ifXTable (31) is in MIB-2.
    assert_eq!(vbs[0].0, Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]));
    let req = names(&[Oid::new(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 2])]);
    let (_, _, vbs) = go(&request(
        Version::V2c,
        b"limited",
        PduType::GetNextRequest,
        0,
        0,
        &req,
    ));
    assert_eq!(vbs[0].1, "EndOfMibView");
    // Writes outside the view: noAccess.
    let set = [VarBind {
        name: Oid::new(&[1, 3, 6, 1, 4, 1, 9999, 1, 0]),
        value: Value::Gauge32(1),
    }];
    let (es, ei, _) = go(&request(
        Version::V2c,
        b"limited",
        PduType::SetRequest,
        0,
        0,
        &set,
    ));
    assert_eq!((es, ei), (ErrorStatus::NoAccess.code(), 1));
}

/// Without the `set` feature a write community is read-only: the captured
/// set gets noAccess (noSuchName in v1) and nothing changes.
#[cfg(not(feature = "set"))]
#[test]
fn without_set_every_set_is_no_access() {
    let mut e = entries();
    let mut mib: TableMib<'_, 8> = TableMib::new(&mut e);
    let mut a = agent();
    let mut scratch = [0u8; 16];
    let before = format!("{:?}", mib.get(&sys(5), &mut scratch));
    assert!(matches!(
        run(&mut a, &mut mib, &hex(CAP_SET_V2C)),
        Outcome::Respond(_)
    ));
    assert_eq!(parse(&last()).0, ErrorStatus::NoAccess.code());
    assert_eq!(format!("{:?}", mib.get(&sys(5), &mut scratch)), before);
    let vb = [VarBind {
        name: sys(5),
        value: Value::OctetString(b"x"),
    }];
    let _ = run(&mut a, &mut mib, &set_req(Version::V1, b"private", &vb));
    let (es, ei, _) = parse(&last());
    assert_eq!((es, ei), (ErrorStatus::NoSuchName.code(), 1));
    assert_eq!(format!("{:?}", mib.get(&sys(5), &mut scratch)), before);
}

fn set_req(version: Version, community: &[u8], vbs: &[VarBind<'_>]) -> Vec<u8> {
    request(version, community, PduType::SetRequest, 0, 0, vbs)
}

#[cfg(feature = "set")]
#[test]
fn set_paths() {
    let mut e = entries();
    let mut mib: TableMib<'_, 8> = TableMib::new(&mut e);
    let mut a = agent();
    // The captured set with the private community.
    assert!(matches!(
        run(&mut a, &mut mib, &hex(CAP_SET_V2C)),
        Outcome::Respond(_)
    ));
    assert_eq!(parse(&last()).0, 0);
    let mut scratch = [0u8; 8];
    assert_eq!(
        mib.get(&sys(5), &mut scratch),
        Ok(Value::OctetString(b"petrel-node"))
    );
    let s = |n, v: &'static [u8]| VarBind {
        name: sys(n),
        value: Value::OctetString(v),
    };
    // Read-only community: noAccess (v2c) / noSuchName (v1).
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V2c, b"public", &[s(5, b"x")]),
    );
    assert_eq!(parse(&last()).0, ErrorStatus::NoAccess.code());
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V1, b"public", &[s(5, b"x")]),
    );
    assert_eq!(parse(&last()).0, ErrorStatus::NoSuchName.code());
    // Read-only object: notWritable / v1 noSuchName.
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V2c, b"private", &[s(1, b"x")]),
    );
    assert_eq!(parse(&last()).0, ErrorStatus::NotWritable.code());
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V1, b"private", &[s(1, b"x")]),
    );
    assert_eq!(parse(&last()).0, ErrorStatus::NoSuchName.code());
    // Wrong type: wrongType / v1 badValue, with the index of the culprit.
    let bad = [
        s(4, b"ok"),
        VarBind {
            name: sys(5),
            value: Value::Integer(1),
        },
    ];
    let _ = run(&mut a, &mut mib, &set_req(Version::V2c, b"private", &bad));
    assert_eq!(parse(&last()).0, ErrorStatus::WrongType.code());
    assert_eq!(parse(&last()).1, 2);
    let _ = run(&mut a, &mut mib, &set_req(Version::V1, b"private", &bad));
    assert_eq!(parse(&last()).0, ErrorStatus::BadValue.code());
    // Nothing was written by the failed requests.
    assert_eq!(
        mib.get(&sys(4), &mut scratch),
        Ok(Value::OctetString(b"ops"))
    );
    // Too long, and a non-existent instance.
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V2c, b"private", &[s(4, &[b'x'; 65])]),
    );
    assert_eq!(parse(&last()).0, ErrorStatus::WrongLength.code());
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V2c, b"private", &[s(9, b"x")]),
    );
    assert_eq!(parse(&last()).0, ErrorStatus::NoCreation.code());
    // Two writes commit together.
    let _ = run(
        &mut a,
        &mut mib,
        &set_req(Version::V2c, b"private", &[s(4, b"a"), s(6, b"b")]),
    );
    assert_eq!(parse(&last()).0, 0);
    assert_eq!(mib.get(&sys(6), &mut scratch), Ok(Value::OctetString(b"b")));
    assert_eq!(a.stats().in_set_requests, 10);
}

/// A MIB whose second commit fails; undo may fail too.
#[cfg(feature = "set")]
struct Flaky {
    values: [i32; 3],
    saved: [i32; 3],
    undo_fails: bool,
    ended: Option<crate::agent::SetOutcome>,
}

#[cfg(feature = "set")]
impl Mib for Flaky {
    fn get<'a>(&'a self, oid: &Oid, _: &'a mut [u8]) -> Result<Value<'a>, ErrorStatus> {
        let i = *oid.as_slice().last().unwrap_or(&0) as usize;
        Ok(self
            .values
            .get(i)
            .map_or(Value::NoSuchObject, |v| Value::Integer(*v)))
    }
    fn get_next<'a>(
        &'a self,
        _: &Oid,
        _: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus> {
        Ok(None)
    }
    fn test_set(&mut self, _: usize, _: &VarBind<'_>) -> Result<(), ErrorStatus> {
        Ok(())
    }
    fn commit_set(&mut self, i: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        if i == 1 {
            return Err(ErrorStatus::GenErr);
        }
        let Value::Integer(v) = vb.value else {
            return Err(ErrorStatus::WrongType);
        };
        self.saved[i] = self.values[i];
        self.values[i] = v;
        Ok(())
    }
    fn undo_set(&mut self, i: usize, _: &VarBind<'_>) -> Result<(), ErrorStatus> {
        if self.undo_fails {
            return Err(ErrorStatus::UndoFailed);
        }
        self.values[i] = self.saved[i];
        Ok(())
    }
    fn end_set(&mut self, o: crate::agent::SetOutcome) {
        self.ended = Some(o);
    }
}

#[cfg(feature = "set")]
#[test]
fn commit_failure_undoes() {
    let vbs: Vec<_> = (0..3)
        .map(|i| VarBind {
            name: Oid::new(&[1, 3, 6, 1, 4, 1, 1, i]),
            value: Value::Integer(50),
        })
        .collect();
    for undo_fails in [false, true] {
        let mut mib = Flaky {
            values: [1, 2, 3],
            saved: [0; 3],
            undo_fails,
            ended: None,
        };
        let mut a = agent();
        let _ = run(&mut a, &mut mib, &set_req(Version::V2c, b"private", &vbs));
        let (es, ei, _) = parse(&last());
        if undo_fails {
            assert_eq!((es, ei), (ErrorStatus::UndoFailed.code(), 0));
            assert_eq!(mib.ended, Some(crate::agent::SetOutcome::UndoFailed));
        } else {
            assert_eq!((es, ei), (ErrorStatus::CommitFailed.code(), 2));
            assert_eq!(mib.values, [1, 2, 3]);
            assert_eq!(mib.ended, Some(crate::agent::SetOutcome::Undone));
        }
        // v1 maps both to genErr.
        let mut mib = Flaky {
            values: [1, 2, 3],
            saved: [0; 3],
            undo_fails,
            ended: None,
        };
        let _ = run(&mut a, &mut mib, &set_req(Version::V1, b"private", &vbs));
        assert_eq!(parse(&last()).0, ErrorStatus::GenErr.code());
    }
}

#[test]
fn bulk_trims_to_message_size_and_too_big() {
    let mut e = entries();
    let mut mib: TableMib<'_, 8> = TableMib::new(&mut e);
    let config = AgentConfig {
        communities: &COMMUNITIES,
        max_message_size: 120,
        ..AgentConfig::default()
    };
    let mut a: Agent<'static, 4> = Agent::new(config, Engine::new(ENGINE_ID, 0, Instant::ZERO));
    let req = request(
        Version::V2c,
        b"public",
        PduType::GetBulkRequest,
        0,
        50,
        &names(&[Oid::new(&[1, 3])]),
    );
    let Outcome::Respond(n) = run(&mut a, &mut mib, &req) else {
        panic!()
    };
    assert!(n <= 120);
    let (es, _, vbs) = parse(&last());
    assert_eq!(es, 0);
    assert!(!vbs.is_empty() && vbs.len() < 9, "{}", vbs.len());
    // A Get whose answer cannot fit: tooBig with an empty list (v2c) …
    let many = names(&[sys(1); 6]);
    let _ = run(
        &mut a,
        &mut mib,
        &request(Version::V2c, b"public", PduType::GetRequest, 0, 0, &many),
    );
    let (es, ei, vbs) = parse(&last());
    assert_eq!((es, ei, vbs.len()), (1, 0, 0));
    // … and the echoed request in v1.
    let _ = run(
        &mut a,
        &mut mib,
        &request(Version::V1, b"public", PduType::GetRequest, 0, 0, &many),
    );
    let (es, _, vbs) = parse(&last());
    assert_eq!((es, vbs.len()), (1, 6));
    assert_eq!(a.stats().out_too_bigs, 2);
    // Even tooBig cannot fit: dropped.
    let huge = names(&[sys(1); 12]);
    let out = run(
        &mut a,
        &mut mib,
        &request(Version::V1, b"public", PduType::GetRequest, 0, 0, &huge),
    );
    assert_eq!(out, Outcome::Drop(DropReason::TooBig));
    assert_eq!(a.stats().silent_drops, 1);
    // max-repetitions cap and negative values.
    let req = request(
        Version::V2c,
        b"public",
        PduType::GetBulkRequest,
        -5,
        -5,
        &names(&[Oid::new(&[1, 3])]),
    );
    let _ = run(&mut a, &mut mib, &req);
    assert_eq!(parse(&last()).2.len(), 0);
}

#[test]
fn community_version_and_pdu_drops() {
    let mut e = entries();
    let mut mib: TableMib<'_, 8> = TableMib::new(&mut e);
    let mut a = agent();
    while a.poll_event().is_some() {}
    let req = request(
        Version::V2c,
        b"wrong",
        PduType::GetRequest,
        0,
        0,
        &names(&[sys(1)]),
    );
    assert_eq!(
        run(&mut a, &mut mib, &req),
        Outcome::Drop(DropReason::BadCommunity)
    );
    assert_eq!(
        a.poll_event(),
        Some(Event::AuthenticationFailure {
            version: Version::V2c
        })
    );
    assert_eq!(a.stats().in_bad_community_names, 1);
    for t in [
        PduType::Response,
        PduType::TrapV2,
        PduType::Report,
        PduType::InformRequest,
    ] {
        let req = request(Version::V2c, b"public", t, 0, 0, &names(&[sys(1)]));
        assert_eq!(
            run(&mut a, &mut mib, &req),
            Outcome::Drop(DropReason::NotARequest)
        );
    }
    // GetBulk does not exist in v1.
    let req = request(
        Version::V1,
        b"public",
        PduType::GetBulkRequest,
        0,
        1,
        &names(&[sys(1)]),
    );
    assert_eq!(
        run(&mut a, &mut mib, &req),
        Outcome::Drop(DropReason::NotARequest)
    );
    // Counter64 inside a v1 message is malformed.
    let vb = [VarBind {
        name: sys(1),
        value: Value::Counter64(1),
    }];
    let req = request(Version::V1, b"private", PduType::SetRequest, 0, 0, &vb);
    assert!(matches!(
        run(&mut a, &mut mib, &req),
        Outcome::Drop(DropReason::Malformed(_))
    ));
    // Disabled version.
    let config = AgentConfig {
        communities: &COMMUNITIES,
        enable_v1: false,
        ..AgentConfig::default()
    };
    let mut b: Agent<'static, 4> = Agent::new(config, Engine::new(ENGINE_ID, 0, Instant::ZERO));
    assert_eq!(
        run(&mut b, &mut mib, &hex(CAP_GETNEXT_V1)),
        Outcome::Drop(DropReason::VersionDisabled(Version::V1))
    );
    assert_eq!(b.stats().in_bad_versions, 1);
    let mut bad = hex(CAP_GET_V2C);
    bad[4] = 7;
    assert!(matches!(
        run(&mut b, &mut mib, &bad),
        Outcome::Drop(DropReason::Malformed(_))
    ));
    assert_eq!(b.stats().in_bad_versions, 2);
    assert_eq!(b.stats().in_pkts, 2);
}
