use super::agent_v2::names;
use super::*;
use crate::agent::{DropReason, Event, Frame, Outcome, TableMib, V3Security, Wrapper};
use crate::message::{FLAG_REPORTABLE, Message, ScopedPdu, ScopedPduData, ScopedPrefix, V3Prefix};
use crate::pdu::{AnyPdu, PduHeader, PduType};
use crate::stats::oids;
use crate::trap::encode_with;
use crate::usm::crypto::{self, AuthProtocol, PrivProtocol};
use crate::usm::{Secret, SecurityLevel, UserConfig};

fn v3_agent() -> Agent<'static, 4> {
    let mut a = agent();
    for (name, auth, privacy) in [
        (
            &b"alice"[..],
            AuthProtocol::HmacSha1,
            Some(PrivProtocol::Aes128),
        ),
        (b"bob", AuthProtocol::HmacMd5, Some(PrivProtocol::Des)),
        (b"carol", AuthProtocol::HmacSha512, None),
    ] {
        a.add_user(&UserConfig {
            name,
            auth: Some((auth, Secret::Password(b"maplesyrup"))),
            privacy: privacy.map(|p| (p, Secret::Password(b"maplesyrup"))),
            min_level: SecurityLevel::AuthNoPriv,
            access: Access::ReadWrite,
            read_view: View::All,
            write_view: View::All,
        })
        .unwrap();
    }
    a.add_user(&UserConfig {
        name: b"anon",
        auth: None,
        privacy: None,
        min_level: SecurityLevel::NoAuthNoPriv,
        access: Access::ReadOnly,
        read_view: View::All,
        write_view: View::Nothing,
    })
    .unwrap();
    a
}

struct Mgr {
    user: &'static [u8],
    auth: Option<(AuthProtocol, crypto::Key)>,
    privacy: Option<(PrivProtocol, crypto::Key)>,
}

fn mgr(user: &'static [u8], auth: Option<AuthProtocol>, privacy: Option<PrivProtocol>) -> Mgr {
    let a = auth.map(|p| {
        (
            p,
            crypto::localized_auth_key(p, b"maplesyrup", ENGINE_ID).unwrap(),
        )
    });
    let pr = privacy.map(|p| {
        (
            p,
            crypto::localized_priv_key(auth.unwrap(), p, b"maplesyrup", ENGINE_ID).unwrap(),
        )
    });
    Mgr {
        user,
        auth: a,
        privacy: pr,
    }
}

impl Mgr {
    fn request(
        &self,
        engine_id: &[u8],
        boots: u32,
        time: u32,
        flags: u8,
        vbs: &[crate::value::VarBind<'_>],
    ) -> Vec<u8> {
        let salt = [9u8; 8];
        let frame = Frame {
            wrapper: Wrapper::V3 {
                prefix: V3Prefix {
                    msg_id: 4711,
                    max_size: 65507,
                    flags,
                    engine_id,
                    engine_boots: boots,
                    engine_time: time,
                    user_name: self.user,
                    auth_len: if flags & 1 != 0 {
                        self.auth.map_or(12, |(a, _)| a.mac_len())
                    } else {
                        0
                    },
                    priv_params: if flags & 2 != 0 { &salt } else { &[] },
                },
                scoped: ScopedPrefix {
                    context_engine_id: engine_id,
                    context_name: b"",
                },
                security: V3Security {
                    auth: if flags & 1 != 0 {
                        self.auth.as_ref().map(|(a, k)| (*a, k.as_bytes()))
                    } else {
                        None
                    },
                    privacy: if flags & 2 != 0 {
                        self.privacy.as_ref().map(|(p, k)| (*p, k.as_bytes(), salt))
                    } else {
                        None
                    },
                },
            },
            header: PduHeader::Standard {
                pdu_type: PduType::GetRequest,
                request_id: 99,
                error_status: 0,
                error_index: 0,
            },
        };
        let mut buf = vec![0u8; 4096];
        let n = encode_with(&frame, &[], vbs, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    /// Verifies and decrypts a response; returns (flags, pdu type, varbinds).
    fn open(&self, resp: &[u8]) -> (u8, PduType, Vec<(Oid, String)>) {
        let Message::V3(m) = Message::decode(resp, 100).unwrap() else {
            panic!()
        };
        assert_eq!(m.usm.engine_id, ENGINE_ID);
        if m.header.flags & 1 != 0 {
            let (a, k) = self.auth.unwrap();
            let off = m.usm.auth_params.offset;
            let len = m.usm.auth_params.value.len();
            assert_eq!(len, a.mac_len());
            let mut mac = vec![0u8; len];
            crypto::hmac(
                a,
                k.as_bytes(),
                &[&resp[..off], &vec![0; len], &resp[off + len..]],
                &mut mac,
            );
            assert_eq!(mac, m.usm.auth_params.value, "response MAC");
        }
        let mut plain;
        let scoped = match m.data {
            ScopedPduData::Plaintext(t) => {
                plain = resp[t.offset - 1 - crate::ber::len_of_len(t.value.len())
                    ..t.offset + t.value.len()]
                    .to_vec();
                &plain[..]
            }
            ScopedPduData::Encrypted(t) => {
                let (p, k) = self.privacy.unwrap();
                plain = t.value.to_vec();
                let salt: [u8; 8] = m.usm.priv_params.try_into().unwrap();
                crypto::decrypt(
                    p,
                    k.as_bytes(),
                    m.usm.engine_boots,
                    m.usm.engine_time,
                    &salt,
                    &mut plain,
                )
                .unwrap();
                &plain[..]
            }
        };
        let s = ScopedPdu::decode(scoped, 100).unwrap();
        let AnyPdu::Pdu(p) = s.pdu else { panic!() };
        let vbs = p
            .varbinds
            .iter()
            .map(|v| v.unwrap())
            .map(|v| (v.name, format!("{:?}", v.value)))
            .collect();
        (m.header.flags, p.pdu_type, vbs)
    }
}

fn exchange(a: &mut Agent<'static, 4>, req: &[u8]) -> (Outcome, Vec<u8>) {
    let mut e = entries();
    let mut mib: TableMib<'_, 8> = TableMib::new(&mut e);
    let mut req = req.to_vec();
    let mut resp = vec![0u8; 2000];
    let out = a.handle_request(Instant::from_secs(100), &mut req, &mut resp, &mut mib);
    let n = if let Outcome::Respond(n) = out { n } else { 0 };
    resp.truncate(n);
    (out, resp)
}

#[test]
fn discovery_reports_engine_id() {
    let mut a = v3_agent();
    let (out, resp) = exchange(&mut a, &hex(CAP_V3_DISCOVERY));
    assert!(matches!(out, Outcome::Respond(_)));
    let (flags, t, vbs) = mgr(b"", None, None).open(&resp);
    assert_eq!((flags, t), (0, PduType::Report));
    assert_eq!(
        vbs,
        vec![(
            Oid::new(oids::USM_STATS_UNKNOWN_ENGINE_IDS),
            "Counter32(1)".into()
        )]
    );
    assert_eq!(a.usm_stats().unknown_engine_ids, 1);
    // The Report carries the request-id of the probe (0x7e5bf07a).
    assert!(
        resp.windows(6)
            .any(|w| w == [0x02, 0x04, 0x7e, 0x5b, 0xf0, 0x7a])
    );
}

#[test]
fn auth_priv_get_aes_and_des() {
    for (user, auth, privacy) in [
        (&b"alice"[..], AuthProtocol::HmacSha1, PrivProtocol::Aes128),
        (b"bob", AuthProtocol::HmacMd5, PrivProtocol::Des),
    ] {
        let mut a = v3_agent();
        let m = mgr(user, Some(auth), Some(privacy));
        let req = m.request(ENGINE_ID, 1, 100, 3 | FLAG_REPORTABLE, &names(&[sys(1)]));
        let (out, resp) = exchange(&mut a, &req);
        assert!(matches!(out, Outcome::Respond(_)), "{out:?}");
        let (flags, t, vbs) = m.open(&resp);
        assert_eq!((flags, t), (3, PduType::Response));
        assert_eq!(vbs[0].1, "OctetString([80, 101, 116, 114, 101, 108])");
    }
}

#[test]
fn auth_no_priv_sha512_and_min_level() {
    let mut a = v3_agent();
    let m = mgr(b"carol", Some(AuthProtocol::HmacSha512), None);
    let req = m.request(ENGINE_ID, 1, 100, 1 | FLAG_REPORTABLE, &names(&[sys(3)]));
    let (_, resp) = exchange(&mut a, &req);
    assert_eq!(m.open(&resp).2[0].1, "TimeTicks(4242)");
    // carol has no privacy key: authPriv is unsupported.
    let req = m.request(ENGINE_ID, 1, 100, 3 | FLAG_REPORTABLE, &names(&[sys(3)]));
    let (_, resp) = exchange(&mut a, &req);
    let (_, t, vbs) = m.open(&resp);
    assert_eq!(t, PduType::Report);
    assert_eq!(vbs[0].0, Oid::new(oids::USM_STATS_UNSUPPORTED_SEC_LEVELS));
    // noAuthNoPriv below carol's minimum: authorizationError.
    let req = m.request(ENGINE_ID, 1, 100, FLAG_REPORTABLE, &names(&[sys(3)]));
    let (_, resp) = exchange(&mut a, &req);
    let Message::V3(_) = Message::decode(&resp, 10).unwrap() else {
        panic!()
    };
    assert!(
        resp.windows(3).any(|w| w == [0x02, 0x01, 16]),
        "authorizationError"
    );
    // anon reads without authentication.
    let anon = mgr(b"anon", None, None);
    let req = anon.request(ENGINE_ID, 0, 0, FLAG_REPORTABLE, &names(&[sys(3)]));
    let (_, resp) = exchange(&mut a, &req);
    assert_eq!(anon.open(&resp).2[0].1, "TimeTicks(4242)");
}

#[test]
fn usm_failures_report() {
    let mut a = v3_agent();
    while a.poll_event().is_some() {}
    let good = mgr(
        b"alice",
        Some(AuthProtocol::HmacSha1),
        Some(PrivProtocol::Aes128),
    );
    // Wrong digest: a key from another password.
    let mut bad = mgr(
        b"alice",
        Some(AuthProtocol::HmacSha1),
        Some(PrivProtocol::Aes128),
    );
    bad.auth = Some((
        AuthProtocol::HmacSha1,
        crypto::localized_auth_key(AuthProtocol::HmacSha1, b"not-maple", ENGINE_ID).unwrap(),
    ));
    let req = bad.request(ENGINE_ID, 1, 100, 3 | FLAG_REPORTABLE, &names(&[sys(1)]));
    let (_, resp) = exchange(&mut a, &req);
    let (flags, t, vbs) = mgr(b"", None, None).open(&resp);
    assert_eq!((flags, t), (0, PduType::Report));
    assert_eq!(vbs[0].0, Oid::new(oids::USM_STATS_WRONG_DIGESTS));
    assert_eq!(
        a.poll_event(),
        Some(Event::AuthenticationFailure {
            version: crate::message::Version::V3
        })
    );
    // Outside the time window: an authenticated Report.
    let req = good.request(
        ENGINE_ID,
        1,
        100 + 151,
        3 | FLAG_REPORTABLE,
        &names(&[sys(1)]),
    );
    let (_, resp) = exchange(&mut a, &req);
    let (flags, _, vbs) = good.open(&resp);
    assert_eq!(flags, 1);
    assert_eq!(vbs[0].0, Oid::new(oids::USM_STATS_NOT_IN_TIME_WINDOWS));
    let req = good.request(ENGINE_ID, 2, 100, 3 | FLAG_REPORTABLE, &names(&[sys(1)]));
    assert_eq!(
        good.open(&exchange(&mut a, &req).1).2[0].0,
        Oid::new(oids::USM_STATS_NOT_IN_TIME_WINDOWS)
    );
    // Unknown user.
    let eve = mgr(b"eve", Some(AuthProtocol::HmacSha1), None);
    let req = eve.request(ENGINE_ID, 1, 100, 1 | FLAG_REPORTABLE, &names(&[sys(1)]));
    let (_, resp) = exchange(&mut a, &req);
    assert_eq!(
        mgr(b"", None, None).open(&resp).2[0].0,
        Oid::new(oids::USM_STATS_UNKNOWN_USER_NAMES)
    );
    // Decryption error: wrong privacy key.
    let mut wrong_priv = mgr(
        b"alice",
        Some(AuthProtocol::HmacSha1),
        Some(PrivProtocol::Aes128),
    );
    wrong_priv.privacy = Some((
        PrivProtocol::Aes128,
        crypto::Key::from_slice(&[1; 16]).unwrap(),
    ));
    let req = wrong_priv.request(ENGINE_ID, 1, 100, 3 | FLAG_REPORTABLE, &names(&[sys(1)]));
    let (_, resp) = exchange(&mut a, &req);
    assert_eq!(
        mgr(b"", None, None).open(&resp).2[0].0,
        Oid::new(oids::USM_STATS_DECRYPTION_ERRORS)
    );
    // Not reportable: silently dropped.
    let req = eve.request(ENGINE_ID, 1, 100, 1, &names(&[sys(1)]));
    assert_eq!(
        exchange(&mut a, &req).0,
        Outcome::Drop(DropReason::Unreportable)
    );
    let s = a.usm_stats();
    assert_eq!(
        (
            s.wrong_digests,
            s.not_in_time_windows,
            s.unknown_user_names,
            s.decryption_errors
        ),
        (1, 2, 2, 1)
    );
}

#[test]
fn v3_trap_verifies() {
    let mut a = v3_agent();
    let mut buf = [0u8; 600];
    let n = a
        .encode_v3_trap(
            Instant::from_secs(5),
            b"alice",
            SecurityLevel::AuthPriv,
            1,
            2,
            500,
            &Oid::new(crate::trap::COLD_START),
            &[],
            &mut buf,
        )
        .unwrap();
    let m = mgr(
        b"alice",
        Some(AuthProtocol::HmacSha1),
        Some(PrivProtocol::Aes128),
    );
    let (flags, t, vbs) = m.open(&buf[..n]);
    assert_eq!((flags, t), (3, PduType::TrapV2));
    assert_eq!(
        vbs[1].1,
        format!("{:?}", Value::ObjectId(Oid::new(crate::trap::COLD_START)))
    );
    assert!(
        a.encode_v3_trap(
            Instant::ZERO,
            b"carol",
            SecurityLevel::AuthPriv,
            1,
            2,
            0,
            &Oid::new(crate::trap::COLD_START),
            &[],
            &mut buf
        )
        .is_err()
    );
}
