//! SNMPv3 incoming processing: USM checks in the order of RFC 3414 section
//! 3.2, Reports for failures (RFC 3412 section 7.1 step 3), decryption in
//! place, then the PDU runs like v2c with the user's views.

use petrel_netcore::time::Instant;

use super::ops::Ctx;
use super::{Access, Agent, DropReason, Frame, Mib, Outcome, V3Security, Wrapper};
use crate::ber::Writer;
use crate::message::{
    FLAG_AUTH, FLAG_REPORTABLE, Message, ScopedPdu, ScopedPduData, ScopedPrefix, V3Prefix, Version,
};
use crate::oid::Oid;
use crate::pdu::{AnyPdu, ErrorStatus, PduHeader, PduType};
use crate::stats::{inc, oids};
use crate::usm::crypto::{self, MAX_KEY_LEN, PrivProtocol};
use crate::usm::{MAX_ENGINE_VALUE, SecurityLevel, TIME_WINDOW_SECS, User};
use crate::value::{Value, VarBind};

/// The fields of a v3 request kept after its bytes are decrypted in place.
struct Parsed {
    msg_id: u32,
    max_size: u32,
    flags: u8,
    boots: u32,
    time: u32,
    user: heapless::Vec<u8, 32>,
    auth_at: usize,
    auth_len: usize,
    priv_params: Option<[u8; 8]>,
    data_at: usize,
    data_len: usize,
    encrypted: bool,
    engine_ok: bool,
    plain_request_id: i32,
}

/// A Report to send.
struct Report {
    oid: Oid,
    count: u32,
    /// Send authenticated (notInTimeWindow) with this user's keys.
    authenticated: Option<usize>,
}

impl<const USERS: usize> Agent<'_, USERS> {
    pub(super) fn handle_v3<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        request: &mut [u8],
        response: &mut [u8],
        mib: &mut M,
    ) -> Outcome {
        if !self.config.enable_v3 {
            inc(&mut self.stats.in_bad_versions);
            return Outcome::Drop(DropReason::VersionDisabled(Version::V3));
        }
        let p = match self.parse_v3(request) {
            Ok(p) => p,
            Err(e) => return self.malformed(e),
        };
        let level = SecurityLevel::from_flags(p.flags);
        let reportable = p.flags & FLAG_REPORTABLE != 0;

        // RFC 3414 3.2 step 3: unknown (or discovery) engine ID.
        if !p.engine_ok {
            inc(&mut self.usm_stats.unknown_engine_ids);
            let count = self.usm_stats.unknown_engine_ids;
            return self.report(
                now,
                &p,
                reportable,
                response,
                Report {
                    oid: Oid::new(oids::USM_STATS_UNKNOWN_ENGINE_IDS),
                    count,
                    authenticated: None,
                },
            );
        }
        // Step 4: unknown user.
        let Some(ui) = self
            .users
            .iter()
            .position(|u| u.name() == p.user.as_slice())
        else {
            inc(&mut self.usm_stats.unknown_user_names);
            let count = self.usm_stats.unknown_user_names;
            return self.report(
                now,
                &p,
                reportable,
                response,
                Report {
                    oid: Oid::new(oids::USM_STATS_UNKNOWN_USER_NAMES),
                    count,
                    authenticated: None,
                },
            );
        };
        let Some(user) = self.users.get(ui).cloned() else {
            return Outcome::Drop(DropReason::Unreportable);
        };
        // Step 5: level the user cannot do.
        if level > user.max_level() {
            inc(&mut self.usm_stats.unsupported_sec_levels);
            let count = self.usm_stats.unsupported_sec_levels;
            return self.report(
                now,
                &p,
                reportable,
                response,
                Report {
                    oid: Oid::new(oids::USM_STATS_UNSUPPORTED_SEC_LEVELS),
                    count,
                    authenticated: None,
                },
            );
        }
        // Step 6: authentication.
        if let (true, Some((proto, key))) = (level >= SecurityLevel::AuthNoPriv, user.auth) {
            let ok = p.auth_len == proto.mac_len() && {
                let mut mac = [0u8; MAX_KEY_LEN];
                let zeros = [0u8; MAX_KEY_LEN];
                let mac = mac.get_mut(..proto.mac_len()).unwrap_or(&mut []);
                let head = request.get(..p.auth_at).unwrap_or(&[]);
                let tail = request.get(p.auth_at + p.auth_len..).unwrap_or(&[]);
                let zero = zeros.get(..p.auth_len).unwrap_or(&[]);
                crypto::hmac(proto, key.as_bytes(), &[head, zero, tail], mac);
                let got = request
                    .get(p.auth_at..p.auth_at + p.auth_len)
                    .unwrap_or(&[]);
                crypto::ct_eq(mac, got)
            };
            if !ok {
                inc(&mut self.usm_stats.wrong_digests);
                self.auth_failure(Version::V3);
                let count = self.usm_stats.wrong_digests;
                return self.report(
                    now,
                    &p,
                    reportable,
                    response,
                    Report {
                        oid: Oid::new(oids::USM_STATS_WRONG_DIGESTS),
                        count,
                        authenticated: None,
                    },
                );
            }
            // Step 7: time window.
            let ours = self.engine.time(now);
            if self.engine.boots() >= MAX_ENGINE_VALUE
                || p.boots != self.engine.boots()
                || p.time.abs_diff(ours) > TIME_WINDOW_SECS
            {
                inc(&mut self.usm_stats.not_in_time_windows);
                let count = self.usm_stats.not_in_time_windows;
                return self.report(
                    now,
                    &p,
                    reportable,
                    response,
                    Report {
                        oid: Oid::new(oids::USM_STATS_NOT_IN_TIME_WINDOWS),
                        count,
                        authenticated: Some(ui),
                    },
                );
            }
        }
        // Step 8: decryption, in place.
        let data = request
            .get_mut(p.data_at..p.data_at + p.data_len)
            .unwrap_or(&mut []);
        let decrypted_ok = match (level == SecurityLevel::AuthPriv, user.privacy, p.encrypted) {
            (false, _, false) => true,
            (true, Some((proto, key)), true) => match p.priv_params {
                Some(salt) => {
                    crypto::decrypt(proto, key.as_bytes(), p.boots, p.time, &salt, data).is_ok()
                }
                None => false,
            },
            (false, _, true) => return self.malformed(crate::message::MessageError::BadFlags),
            _ => false,
        };
        let scoped = if decrypted_ok {
            ScopedPdu::decode(data, self.config.max_varbinds).ok()
        } else {
            None
        };
        let Some(scoped) = scoped else {
            if level == SecurityLevel::AuthPriv {
                inc(&mut self.usm_stats.decryption_errors);
                let count = self.usm_stats.decryption_errors;
                return self.report(
                    now,
                    &p,
                    reportable,
                    response,
                    Report {
                        oid: Oid::new(oids::USM_STATS_DECRYPTION_ERRORS),
                        count,
                        authenticated: None,
                    },
                );
            }
            inc(&mut self.stats.in_asn_parse_errs);
            return Outcome::Drop(DropReason::Malformed(crate::message::MessageError::Ber(
                crate::ber::BerError::Truncated,
            )));
        };
        let AnyPdu::Pdu(pdu) = scoped.pdu else {
            return Outcome::Drop(DropReason::NotARequest);
        };
        let ctx_engine_ok =
            scoped.context_engine_id.is_empty() || scoped.context_engine_id == self.engine.id();
        if !ctx_engine_ok || !scoped.context_name.is_empty() {
            inc(&mut self.stats.unknown_contexts);
            let count = self.stats.unknown_contexts;
            let p = Parsed {
                plain_request_id: pdu.request_id,
                ..p
            };
            return self.report(
                now,
                &p,
                reportable,
                response,
                Report {
                    oid: Oid::new(oids::SNMP_UNKNOWN_CONTEXTS),
                    count,
                    authenticated: None,
                },
            );
        }

        let engine_id: heapless::Vec<u8, 32> =
            heapless::Vec::from_slice(self.engine.id()).unwrap_or_default();
        let salt = self.next_salt(user.privacy.map(|(pp, _)| pp));
        let security = V3Security {
            auth: match (level >= SecurityLevel::AuthNoPriv, &user.auth) {
                (true, Some((a, k))) => Some((*a, k.as_bytes())),
                _ => None,
            },
            privacy: match (level == SecurityLevel::AuthPriv, &user.privacy) {
                (true, Some((pp, k))) => Some((*pp, k.as_bytes(), salt)),
                _ => None,
            },
        };
        let wrapper = Wrapper::V3 {
            prefix: V3Prefix {
                msg_id: p.msg_id,
                max_size: u32::try_from(self.config.max_message_size).unwrap_or(u32::MAX),
                flags: level.flags(),
                engine_id: &engine_id,
                engine_boots: self.engine.boots(),
                engine_time: self.engine.time(now),
                user_name: &p.user,
                auth_len: security.auth.map_or(0, |(a, _)| a.mac_len()),
                priv_params: if security.privacy.is_some() {
                    &salt
                } else {
                    &[]
                },
            },
            scoped: ScopedPrefix {
                context_engine_id: &engine_id,
                context_name: &[],
            },
            security,
        };
        let limit = self
            .config
            .max_message_size
            .min(usize::try_from(p.max_size).unwrap_or(usize::MAX));
        if level < user.min_level {
            // VACM: no access entry at this level.
            return self.authorization_error(&pdu, wrapper, response, limit);
        }
        let ctx = Ctx {
            version: Version::V3,
            read: user.read_view,
            write: (user.access == Access::ReadWrite).then_some(user.write_view),
            max_repetitions: self.config.max_repetitions,
            max_walk_steps: self.config.max_walk_steps,
        };
        self.finish_pdu(&ctx, &pdu, wrapper, response, limit, mib)
    }

    fn authorization_error(
        &mut self,
        pdu: &crate::pdu::Pdu<'_>,
        wrapper: Wrapper<'_>,
        response: &mut [u8],
        limit: usize,
    ) -> Outcome {
        let frame = Frame {
            wrapper,
            header: PduHeader::Standard {
                pdu_type: PduType::Response,
                request_id: pdu.request_id,
                error_status: ErrorStatus::AuthorizationError.code(),
                error_index: 1,
            },
        };
        let raw = pdu.varbinds.raw();
        if frame.total_len(raw.len()) > limit {
            return Outcome::Drop(DropReason::TooBig);
        }
        let at = frame.headroom(raw.len());
        let Some(dst) = response.get_mut(at..at + raw.len()) else {
            return Outcome::Drop(DropReason::TooBig);
        };
        dst.copy_from_slice(raw);
        if at + raw.len() + 8 > response.len() {
            return Outcome::Drop(DropReason::TooBig);
        }
        match frame.finish(response, at, raw.len()) {
            Ok(n) => Outcome::Respond(n),
            Err(_) => Outcome::Drop(DropReason::TooBig),
        }
    }

    pub(crate) fn next_salt(&mut self, privacy: Option<PrivProtocol>) -> [u8; 8] {
        self.salt = self.salt.wrapping_add(1);
        match privacy {
            // RFC 3414 8.1.1.1: engineBoots || a 32-bit counter.
            Some(PrivProtocol::Des) => {
                let mut s = [0u8; 8];
                let (a, b) = s.split_at_mut(4);
                a.copy_from_slice(&self.engine.boots().to_be_bytes());
                b.copy_from_slice(&(self.salt as u32).to_be_bytes());
                s
            }
            _ => self.salt.to_be_bytes(),
        }
    }

    fn parse_v3(&self, request: &[u8]) -> Result<Parsed, crate::message::MessageError> {
        let Message::V3(m) = Message::decode(request, self.config.max_varbinds)? else {
            return Err(crate::message::MessageError::BadVersion(-1));
        };
        let (data, encrypted) = match m.data {
            ScopedPduData::Plaintext(t) => (t, false),
            ScopedPduData::Encrypted(t) => (t, true),
        };
        // The request-id for Reports, when the PDU is readable.
        let plain_request_id = if encrypted {
            0
        } else {
            match ScopedPdu::decode(
                request
                    .get(
                        data.offset.saturating_sub(header_len(data.value.len()))
                            ..data.offset + data.value.len(),
                    )
                    .unwrap_or(&[]),
                self.config.max_varbinds,
            ) {
                Ok(ScopedPdu {
                    pdu: AnyPdu::Pdu(p),
                    ..
                }) => p.request_id,
                _ => 0,
            }
        };
        // A user name over 32 octets cannot match; keep it empty so the
        // lookup fails cleanly.
        let user = heapless::Vec::from_slice(m.usm.user_name).unwrap_or_default();
        Ok(Parsed {
            msg_id: m.header.msg_id,
            max_size: m.header.max_size,
            flags: m.header.flags,
            boots: m.usm.engine_boots,
            time: m.usm.engine_time,
            user,
            auth_at: m.usm.auth_params.offset,
            auth_len: m.usm.auth_params.value.len(),
            priv_params: <[u8; 8]>::try_from(m.usm.priv_params).ok(),
            data_at: if encrypted {
                data.offset
            } else {
                data.offset.saturating_sub(header_len(data.value.len()))
            },
            data_len: if encrypted {
                data.value.len()
            } else {
                header_len(data.value.len()) + data.value.len()
            },
            encrypted,
            engine_ok: !m.usm.engine_id.is_empty() && m.usm.engine_id == self.engine.id(),
            plain_request_id,
        })
    }

    fn report(
        &mut self,
        now: Instant,
        p: &Parsed,
        reportable: bool,
        response: &mut [u8],
        r: Report,
    ) -> Outcome {
        if !reportable {
            return Outcome::Drop(DropReason::Unreportable);
        }
        let user = r.authenticated.and_then(|i| self.users.get(i)).cloned();
        let auth = user.as_ref().and_then(|u: &User<'_>| u.auth);
        let engine_id: heapless::Vec<u8, 32> =
            heapless::Vec::from_slice(self.engine.id()).unwrap_or_default();
        let frame = Frame {
            wrapper: Wrapper::V3 {
                prefix: V3Prefix {
                    msg_id: p.msg_id,
                    max_size: u32::try_from(self.config.max_message_size).unwrap_or(u32::MAX),
                    flags: if auth.is_some() { FLAG_AUTH } else { 0 },
                    engine_id: &engine_id,
                    engine_boots: self.engine.boots(),
                    engine_time: self.engine.time(now),
                    user_name: &p.user,
                    auth_len: auth.map_or(0, |(a, _)| a.mac_len()),
                    priv_params: &[],
                },
                scoped: ScopedPrefix {
                    context_engine_id: &engine_id,
                    context_name: &[],
                },
                security: V3Security {
                    auth: auth.as_ref().map(|(a, k)| (*a, k.as_bytes())),
                    privacy: None,
                },
            },
            header: PduHeader::Standard {
                pdu_type: PduType::Report,
                request_id: p.plain_request_id,
                error_status: 0,
                error_index: 0,
            },
        };
        let vb = VarBind {
            name: r.oid,
            value: Value::Counter32(r.count),
        };
        let n = vb.encoded_len();
        let at = frame.headroom(n);
        let Some(dst) = response.get_mut(at..) else {
            return Outcome::Drop(DropReason::Unreportable);
        };
        if vb.encode(&mut Writer::new(dst)).is_err() {
            return Outcome::Drop(DropReason::Unreportable);
        }
        match frame.finish(response, at, n) {
            Ok(len) => {
                inc(&mut self.stats.out_pkts);
                Outcome::Respond(len)
            }
            Err(_) => Outcome::Drop(DropReason::Unreportable),
        }
    }
}

fn header_len(content: usize) -> usize {
    1 + crate::ber::len_of_len(content)
}
