//! Notifications: the SNMPv1 Trap-PDU, SNMPv2-Trap and InformRequest
//! encoders (sans-IO: they give bytes for UDP port 162), and
//! [`InformSender`], the retry state machine for informs.

use core::fmt;

use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::Timers;

use crate::agent::{Frame, Wrapper};
use crate::ber::{BerError, Writer};
use crate::message::{CommunityPrefix, Message, Version};
use crate::oid::Oid;
use crate::pdu::{AnyPdu, PduHeader, PduType};
use crate::value::{Value, VarBind};

/// sysUpTime.0
pub const SYS_UPTIME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// snmpTrapOID.0
pub const SNMP_TRAP_OID_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// snmpTrapEnterprise.0
pub const SNMP_TRAP_ENTERPRISE_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0];
/// coldStart (snmpTraps.1).
pub const COLD_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 1];
/// warmStart (snmpTraps.2).
pub const WARM_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 2];
/// linkDown (snmpTraps.3).
pub const LINK_DOWN: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 3];
/// linkUp (snmpTraps.4).
pub const LINK_UP: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 4];
/// authenticationFailure (snmpTraps.5).
pub const AUTHENTICATION_FAILURE: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 5];

/// SNMPv1 generic-trap codes (RFC 1157).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GenericTrap {
    /// coldStart (0).
    ColdStart,
    /// warmStart (1).
    WarmStart,
    /// linkDown (2).
    LinkDown,
    /// linkUp (3).
    LinkUp,
    /// authenticationFailure (4).
    AuthenticationFailure,
    /// egpNeighborLoss (5).
    EgpNeighborLoss,
    /// enterpriseSpecific (6) with its specific-trap code.
    EnterpriseSpecific(i32),
}

impl GenericTrap {
    fn codes(self) -> (i32, i32) {
        match self {
            GenericTrap::ColdStart => (0, 0),
            GenericTrap::WarmStart => (1, 0),
            GenericTrap::LinkDown => (2, 0),
            GenericTrap::LinkUp => (3, 0),
            GenericTrap::AuthenticationFailure => (4, 0),
            GenericTrap::EgpNeighborLoss => (5, 0),
            GenericTrap::EnterpriseSpecific(s) => (6, s),
        }
    }
}

/// Encodes an SNMPv1 Trap-PDU message into `buf`; returns its length.
pub fn encode_trap_v1(
    community: &[u8],
    enterprise: &Oid,
    agent_addr: [u8; 4],
    trap: GenericTrap,
    time_stamp: u32,
    varbinds: &[VarBind<'_>],
    buf: &mut [u8],
) -> Result<usize, BerError> {
    let (generic_trap, specific_trap) = trap.codes();
    let frame = Frame {
        wrapper: Wrapper::Community(CommunityPrefix {
            version: Version::V1,
            community,
        }),
        header: PduHeader::TrapV1 {
            enterprise: *enterprise,
            agent_addr,
            generic_trap,
            specific_trap,
            time_stamp,
        },
    };
    encode_with(&frame, &[], varbinds, buf)
}

/// Which SNMPv2 notification PDU to build.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// SNMPv2-Trap-PDU (unconfirmed).
    Trap,
    /// InformRequest-PDU (confirmed; retry with [`InformSender`]).
    Inform,
}

/// Encodes a v2c SNMPv2-Trap or InformRequest: `sysUpTime.0`,
/// `snmpTrapOID.0`, then `varbinds`. Returns the message length.
#[allow(clippy::too_many_arguments)]
pub fn encode_v2c_notification(
    community: &[u8],
    kind: NotificationKind,
    request_id: i32,
    uptime: u32,
    trap_oid: &Oid,
    varbinds: &[VarBind<'_>],
    buf: &mut [u8],
) -> Result<usize, BerError> {
    let frame = Frame {
        wrapper: Wrapper::Community(CommunityPrefix {
            version: Version::V2c,
            community,
        }),
        header: notification_header(kind, request_id),
    };
    encode_with(&frame, &notification_head(uptime, trap_oid), varbinds, buf)
}

pub(crate) fn notification_header(kind: NotificationKind, request_id: i32) -> PduHeader {
    PduHeader::Standard {
        pdu_type: match kind {
            NotificationKind::Trap => PduType::TrapV2,
            NotificationKind::Inform => PduType::InformRequest,
        },
        request_id,
        error_status: 0,
        error_index: 0,
    }
}

/// The varbinds every SNMPv2 notification starts with: `sysUpTime.0`
/// and `snmpTrapOID.0`.
pub(crate) fn notification_head(uptime: u32, trap_oid: &Oid) -> [VarBind<'static>; 2] {
    [
        VarBind {
            name: Oid::new(SYS_UPTIME_0),
            value: Value::TimeTicks(uptime),
        },
        VarBind {
            name: Oid::new(SNMP_TRAP_OID_0),
            value: Value::ObjectId(*trap_oid),
        },
    ]
}

/// Writes `head` then `vbs` after the frame's headroom and completes the
/// message.
pub(crate) fn encode_with(
    frame: &Frame<'_>,
    head: &[VarBind<'_>],
    vbs: &[VarBind<'_>],
    buf: &mut [u8],
) -> Result<usize, BerError> {
    let lists = [head, vbs];
    let mut vbs_len = 0;
    for list in lists {
        for vb in list {
            vbs_len += vb.encoded_len();
        }
    }
    let at = frame.headroom(vbs_len);
    if at + vbs_len + 8 > buf.len() {
        return Err(BerError::BufferTooSmall);
    }
    let mut w = Writer::at(buf, at);
    for list in lists {
        for vb in list {
            vb.encode(&mut w)?;
        }
    }
    frame.finish(buf, at, vbs_len)
}

/// [`InformSender`] settings.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct InformConfig {
    /// Wait this long for the Response before resending (default 1 s, as
    /// net-snmp).
    pub timeout: Duration,
    /// Resends after the first transmission (default 5).
    pub retries: u8,
}

impl Default for InformConfig {
    fn default() -> Self {
        InformConfig {
            timeout: Duration::from_secs(1),
            retries: 5,
        }
    }
}

/// Why an inform could not be queued.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InformError {
    /// Every slot holds an unacknowledged inform.
    Full,
    /// The message is longer than a slot.
    TooLarge,
    /// An inform with this request-id is already pending.
    DuplicateRequestId,
}

impl fmt::Display for InformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InformError::Full => "all inform slots busy",
            InformError::TooLarge => "inform message larger than its slot",
            InformError::DuplicateRequestId => "inform request-id already pending",
        })
    }
}

impl core::error::Error for InformError {}

/// What happened to an inform.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InformEvent {
    /// The manager acknowledged it.
    Acknowledged {
        /// Its request-id.
        request_id: i32,
    },
    /// No acknowledgement after every retry.
    TimedOut {
        /// Its request-id.
        request_id: i32,
    },
}

#[derive(Clone, Debug)]
struct Slot<const LEN: usize> {
    request_id: i32,
    sends_left: u8,
    due: bool,
    bytes: heapless::Vec<u8, LEN>,
}

/// Retries encoded InformRequest messages until a matching Response
/// arrives (v2c). `SLOTS` informs of at most `LEN` octets may be pending.
///
/// Call order: [`InformSender::send`] to queue; then, whenever woken,
/// [`InformSender::handle_timeout`], drain [`InformSender::poll_transmit`]
/// (send each to the manager) and [`InformSender::poll_event`]; feed every
/// datagram from the manager to [`InformSender::handle_response`]; sleep
/// until [`InformSender::poll_timeout`].
#[derive(Clone, Debug)]
pub struct InformSender<const SLOTS: usize, const LEN: usize> {
    config: InformConfig,
    slots: [Option<Slot<LEN>>; SLOTS],
    timers: Timers<SLOTS>,
    events: heapless::Deque<InformEvent, SLOTS>,
}

impl<const SLOTS: usize, const LEN: usize> InformSender<SLOTS, LEN> {
    /// An idle sender.
    pub fn new(config: InformConfig) -> Self {
        InformSender {
            config,
            slots: core::array::from_fn(|_| None),
            timers: Timers::new(),
            events: heapless::Deque::new(),
        }
    }

    /// Queues an encoded inform with `request_id` for transmission now.
    pub fn send(&mut self, request_id: i32, message: &[u8]) -> Result<(), InformError> {
        if self
            .slots
            .iter()
            .flatten()
            .any(|s| s.request_id == request_id)
        {
            return Err(InformError::DuplicateRequestId);
        }
        let bytes = heapless::Vec::from_slice(message).map_err(|_| InformError::TooLarge)?;
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(InformError::Full)?;
        *slot = Some(Slot {
            request_id,
            sends_left: self.config.retries.saturating_add(1),
            due: true,
            bytes,
        });
        Ok(())
    }

    /// Marks informs whose timeout passed for resending, or reports them
    /// timed out when no retries are left.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Bounded: each call disarms one timer.
        for _ in 0..SLOTS {
            let Some(i) = self.timers.take_expired(now) else {
                break;
            };
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            match slot {
                Some(s) if s.sends_left > 0 => s.due = true,
                Some(s) => {
                    let request_id = s.request_id;
                    *slot = None;
                    self.push_event(InformEvent::TimedOut { request_id });
                }
                None => {}
            }
        }
    }

    /// The next message to put on the wire, if one is due. Arms its retry
    /// timer from `now`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<&[u8]> {
        self.poll_transmit_with_id(now).map(|(_, b)| b)
    }

    /// As [`InformSender::poll_transmit`], with the inform's request-id (so
    /// a driver serving several managers knows where it goes).
    pub fn poll_transmit_with_id(&mut self, now: Instant) -> Option<(i32, &[u8])> {
        let i = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.due))?;
        self.timers.set(i, now + self.config.timeout);
        let s = self.slots.get_mut(i)?.as_mut()?;
        s.due = false;
        s.sends_left = s.sends_left.saturating_sub(1);
        Some((s.request_id, &s.bytes))
    }

    /// Feeds a datagram from a manager; returns the acknowledged request-id
    /// if it was the Response to a pending inform.
    pub fn handle_response(&mut self, datagram: &[u8]) -> Option<i32> {
        let Ok(Message::Community(m)) = Message::decode(datagram, 64) else {
            return None;
        };
        let AnyPdu::Pdu(p) = m.pdu else {
            return None;
        };
        if p.pdu_type != PduType::Response {
            return None;
        }
        let i = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.request_id == p.request_id))?;
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = None;
        }
        self.timers.clear(i);
        self.push_event(InformEvent::Acknowledged {
            request_id: p.request_id,
        });
        Some(p.request_id)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<InformEvent> {
        self.events.pop_front()
    }

    /// When to call [`InformSender::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Informs not yet acknowledged or timed out.
    pub fn pending(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    fn push_event(&mut self, e: InformEvent) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }
}

#[cfg(feature = "v3")]
/// Why a v3 notification could not be built (feature `v3`).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum V3NotifyError {
    /// No such user.
    UnknownUser,
    /// The user's keys do not support the level.
    UnsupportedLevel,
    /// The buffer is too small.
    Encode(BerError),
}

#[cfg(feature = "v3")]
impl fmt::Display for V3NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V3NotifyError::UnknownUser => f.write_str("unknown v3 user"),
            V3NotifyError::UnsupportedLevel => f.write_str("user cannot do this security level"),
            V3NotifyError::Encode(e) => write!(f, "encoding: {e}"),
        }
    }
}

#[cfg(feature = "v3")]
impl core::error::Error for V3NotifyError {}

#[cfg(feature = "v3")]
impl<const USERS: usize> crate::agent::Agent<'_, USERS> {
    /// Encodes an SNMPv3 SNMPv2-Trap from this (authoritative) engine for
    /// `user` at `level`: `sysUpTime.0`, `snmpTrapOID.0`, then `varbinds`.
    /// Returns the message length.
    #[allow(clippy::too_many_arguments)]
    pub fn encode_v3_trap(
        &mut self,
        now: Instant,
        user: &[u8],
        level: crate::usm::SecurityLevel,
        msg_id: u32,
        request_id: i32,
        uptime: u32,
        trap_oid: &Oid,
        varbinds: &[VarBind<'_>],
        buf: &mut [u8],
    ) -> Result<usize, V3NotifyError> {
        use crate::usm::SecurityLevel;
        let u = self.user(user).cloned().ok_or(V3NotifyError::UnknownUser)?;
        if level > u.max_level() {
            return Err(V3NotifyError::UnsupportedLevel);
        }
        let salt = self.next_salt(u.privacy.map(|(p, _)| p));
        let engine_id: heapless::Vec<u8, 32> =
            heapless::Vec::from_slice(self.engine().id()).unwrap_or_default();
        let auth = match (level >= SecurityLevel::AuthNoPriv, &u.auth) {
            (true, Some((a, k))) => Some((*a, k.as_bytes())),
            _ => None,
        };
        let privacy = match (level == SecurityLevel::AuthPriv, &u.privacy) {
            (true, Some((p, k))) => Some((*p, k.as_bytes(), salt)),
            _ => None,
        };
        let frame = Frame {
            wrapper: Wrapper::V3 {
                prefix: crate::message::V3Prefix {
                    msg_id,
                    max_size: u32::try_from(self.config().max_message_size).unwrap_or(u32::MAX),
                    flags: level.flags(),
                    engine_id: &engine_id,
                    engine_boots: self.engine().boots(),
                    engine_time: self.engine().time(now),
                    user_name: u.name(),
                    auth_len: auth.map_or(0, |(a, _)| a.mac_len()),
                    priv_params: if privacy.is_some() { &salt } else { &[] },
                },
                scoped: crate::message::ScopedPrefix {
                    context_engine_id: &engine_id,
                    context_name: &[],
                },
                security: crate::agent::V3Security { auth, privacy },
            },
            header: notification_header(NotificationKind::Trap, request_id),
        };
        encode_with(&frame, &notification_head(uptime, trap_oid), varbinds, buf)
            .map_err(V3NotifyError::Encode)
    }
}
