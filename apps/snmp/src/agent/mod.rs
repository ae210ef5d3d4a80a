//! The agent: decodes a request, checks the community or USM user, runs the
//! PDU against a [`Mib`] within the caller's views, and encodes the
//! response into the caller's buffer.
//!
//! Call order (sans-IO): for every datagram received on UDP port 161 call
//! [`Agent::handle_request`]; send the bytes it reports back to the sender;
//! then drain [`Agent::poll_event`] (authentication failures for the
//! authenticationFailure trap, engineBoots values to persist).

mod frame;
mod mib;
mod mount;
mod ops;
#[cfg(feature = "v3")]
mod v3;
mod view;

#[cfg(feature = "v3")]
pub(crate) use frame::V3Security;
pub(crate) use frame::{Frame, Wrapper};
pub use mib::{
    Access, AgentState, Entry, MIB_SCRATCH_LEN, Mib, STORED_STRING_LEN, SetOutcome, StoredValue,
    TableMib,
};
pub use mount::Mount;
pub use view::{View, ViewEntry};

use core::fmt;

use petrel_netcore::time::Instant;

use crate::message::{CommunityPrefix, Message, MessageError, Version};
use crate::pdu::AnyPdu;
use crate::stats::{SnmpStats, UsmStats, inc};
use crate::usm::{Engine, User, UserConfig, UserError};
use ops::{Ctx, NoReply};

/// A community and what it may do.
#[derive(Copy, Clone, Debug)]
pub struct Community<'a> {
    /// The community string.
    pub name: &'a [u8],
    /// Read-only or read-write.
    pub access: Access,
    /// Objects readable through this community.
    pub read_view: View<'a>,
    /// Objects writable through this community (ignored when read-only).
    pub write_view: View<'a>,
}

/// Agent configuration. `Default` gives no communities (nothing answers
/// until some are configured), v1 + v2c + v3 on, 1472-octet responses.
#[derive(Copy, Clone, Debug)]
pub struct AgentConfig<'a> {
    /// Accepted communities (v1/v2c).
    pub communities: &'a [Community<'a>],
    /// Answer SNMPv1.
    pub enable_v1: bool,
    /// Answer SNMPv2c.
    pub enable_v2c: bool,
    /// Answer SNMPv3 (needs the `v3` feature: without it v3 messages are
    /// bad versions whatever this says).
    pub enable_v3: bool,
    /// Largest response the agent sends (also capped by the response buffer
    /// and by a v3 request's msgMaxSize). 1472 fits one Ethernet frame.
    pub max_message_size: usize,
    /// Most varbinds accepted in one request (default 64).
    pub max_varbinds: usize,
    /// Cap on GetBulk max-repetitions (0 = only the message size limits it).
    pub max_repetitions: u32,
    /// Most MIB objects a single GetNext step may skip (v1 Counter64,
    /// exceptions, view gaps) before answering genErr.
    pub max_walk_steps: usize,
    /// snmpEnableAuthenTraps: report authentication failures as events.
    pub auth_failure_events: bool,
}

impl Default for AgentConfig<'_> {
    fn default() -> Self {
        AgentConfig {
            communities: &[],
            enable_v1: true,
            enable_v2c: true,
            enable_v3: true,
            max_message_size: 1472,
            max_varbinds: 64,
            max_repetitions: 0,
            max_walk_steps: 1024,
            auth_failure_events: true,
        }
    }
}

/// What to do with a request.
#[must_use]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Send the first `n` octets of the response buffer back to the sender.
    Respond(usize),
    /// Send nothing.
    Drop(DropReason),
}

/// Why a request was not answered.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DropReason {
    /// Malformed or unsupported message (the error says what).
    Malformed(MessageError),
    /// The version is switched off in [`AgentConfig`].
    VersionDisabled(Version),
    /// Unknown community (snmpInBadCommunityNames).
    BadCommunity,
    /// Not a request (a response, trap or report was sent to the agent).
    NotARequest,
    /// Even a tooBig response does not fit (snmpSilentDrops).
    TooBig,
    /// A v3 error whose Report may not be sent (the request was not
    /// reportable) or a Report did not fit.
    Unreportable,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Malformed(e) => write!(f, "dropped: {e}"),
            DropReason::VersionDisabled(v) => write!(f, "dropped: {v:?} disabled"),
            DropReason::BadCommunity => f.write_str("dropped: unknown community"),
            DropReason::NotARequest => f.write_str("dropped: not a request PDU"),
            DropReason::TooBig => f.write_str("dropped: response does not fit"),
            DropReason::Unreportable => f.write_str("dropped: v3 error not reportable"),
        }
    }
}

/// Something the driver should act on.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request failed authentication (bad community, wrong digest):
    /// send an authenticationFailure trap if configured.
    AuthenticationFailure {
        /// The request's version.
        version: Version,
    },
    /// snmpEngineBoots changed: store this value in non-volatile memory and
    /// pass it to [`Engine::new`] at the next start.
    PersistEngineBoots(u32),
}

/// The SNMP agent core. `USERS` is the capacity of the USM user table.
///
/// ```
/// use petrel_snmp::agent::{Access, Agent, AgentConfig, Community, Outcome, View};
/// use petrel_snmp::usm::Engine;
/// use petrel_netcore::time::Instant;
/// # use petrel_snmp::agent::{Entry, StoredValue, TableMib};
/// # use petrel_snmp::{Oid, Value};
/// let communities = [Community {
///     name: b"public",
///     access: Access::ReadOnly,
///     read_view: View::All,
///     write_view: View::Nothing,
/// }];
/// let config = AgentConfig { communities: &communities, ..AgentConfig::default() };
/// let engine = Engine::new(b"\x80\x00\x1f\x88\x04petrel", 0, Instant::ZERO);
/// let mut agent: Agent<'_, 2> = Agent::new(config, engine);
/// # let mut entries = [Entry { oid: Oid::new(&[1,3,6,1,2,1,1,1,0]),
/// #   value: StoredValue::String(heapless::Vec::from_slice(b"petrel").unwrap()), access: Access::ReadOnly }];
/// # let mut mib: TableMib<'_, 4> = TableMib::new(&mut entries);
/// // snmpget -v2c -c public … 1.3.6.1.2.1.1.1.0
/// let mut request = *b"\x30\x29\x02\x01\x01\x04\x06public\xa0\x1c\x02\x04\x12\x34\x56\x78\
///     \x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00";
/// let mut response = [0u8; 1500];
/// let out = agent.handle_request(Instant::ZERO, &mut request, &mut response, &mut mib);
/// assert!(matches!(out, Outcome::Respond(n) if response[..n].ends_with(b"petrel")));
/// ```
#[derive(Debug)]
pub struct Agent<'a, const USERS: usize = 4> {
    config: AgentConfig<'a>,
    engine: Engine,
    users: heapless::Vec<User<'a>, USERS>,
    stats: SnmpStats,
    usm_stats: UsmStats,
    events: heapless::Deque<Event, 8>,
    salt: u64,
}

impl<'a, const USERS: usize> Agent<'a, USERS> {
    /// An agent with `config` and the local `engine`. Queues a
    /// [`Event::PersistEngineBoots`] for the engine's new boots value.
    pub fn new(config: AgentConfig<'a>, engine: Engine) -> Self {
        let mut a = Agent {
            config,
            users: heapless::Vec::new(),
            stats: SnmpStats::default(),
            usm_stats: UsmStats::default(),
            events: heapless::Deque::new(),
            salt: u64::from(engine.boots()) << 32,
            engine,
        };
        a.push_event(Event::PersistEngineBoots(a.engine.boots()));
        a
    }

    /// Adds a USM user, localizing its passwords to this engine. This hashes
    /// 1 MiB per password: do it at start-up, not per packet.
    pub fn add_user(&mut self, cfg: &UserConfig<'a>) -> Result<(), UserError> {
        let user = User::new(cfg, self.engine.id())?;
        self.users.push(user).map_err(|_| UserError::TableFull)
    }

    /// Seeds the privacy salt counter; pass a random value from the board's
    /// RNG so IVs differ across reboots.
    pub fn seed_salt(&mut self, seed: u64) {
        self.salt = seed;
    }

    /// The `snmp` group counters.
    pub fn stats(&self) -> &SnmpStats {
        &self.stats
    }

    /// The `usmStats` counters.
    pub fn usm_stats(&self) -> &UsmStats {
        &self.usm_stats
    }

    /// The local engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The configured user called `name`.
    pub fn user(&self, name: &[u8]) -> Option<&User<'a>> {
        self.users.iter().find(|u| u.name() == name)
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig<'a> {
        &self.config
    }

    /// The next event for the driver, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn push_event(&mut self, e: Event) {
        if self.events.is_full() {
            // Keep the newest: a persisted boots value must not be lost.
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    fn auth_failure(&mut self, version: Version) {
        if self.config.auth_failure_events {
            self.push_event(Event::AuthenticationFailure { version });
        }
    }

    /// Handles one request datagram and writes the response, if any, to
    /// the start of `response`. `request` may be modified (SNMPv3 decrypts
    /// in place). Never panics, whatever the input.
    pub fn handle_request<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        request: &mut [u8],
        response: &mut [u8],
        mib: &mut M,
    ) -> Outcome {
        inc(&mut self.stats.in_pkts);
        if let Some(b) = self.engine.tick(now) {
            self.push_event(Event::PersistEngineBoots(b));
        }
        mib.handle_agent_state(&AgentState {
            stats: &self.stats,
            usm_stats: &self.usm_stats,
            engine_id: self.engine.id(),
            engine_boots: self.engine.boots(),
            engine_time: self.engine.time(now),
            max_message_size: self.config.max_message_size,
        });
        let msg = match Message::decode(request, self.config.max_varbinds) {
            Ok(m) => m,
            Err(e) => return self.malformed(e),
        };
        let out = match msg {
            Message::Community(m) => self.handle_community(&m, response, mib),
            #[cfg(feature = "v3")]
            Message::V3(_) => self.handle_v3(now, request, response, mib),
        };
        if let Outcome::Respond(_) = out {
            inc(&mut self.stats.out_pkts);
        }
        out
    }

    fn malformed(&mut self, e: MessageError) -> Outcome {
        match e {
            MessageError::BadVersion(_) => inc(&mut self.stats.in_bad_versions),
            MessageError::UnknownSecurityModel(_) => inc(&mut self.stats.unknown_security_models),
            MessageError::BadFlags | MessageError::BadMaxSize => inc(&mut self.stats.invalid_msgs),
            _ => inc(&mut self.stats.in_asn_parse_errs),
        }
        Outcome::Drop(DropReason::Malformed(e))
    }

    fn handle_community<M: Mib + ?Sized>(
        &mut self,
        m: &crate::message::CommunityMessage<'_>,
        response: &mut [u8],
        mib: &mut M,
    ) -> Outcome {
        let enabled = match m.version {
            Version::V1 => self.config.enable_v1,
            _ => self.config.enable_v2c,
        };
        if !enabled {
            inc(&mut self.stats.in_bad_versions);
            return Outcome::Drop(DropReason::VersionDisabled(m.version));
        }
        let Some(c) = self
            .config
            .communities
            .iter()
            .find(|c| crate::usm::crypto::ct_eq(c.name, m.community))
            .copied()
        else {
            inc(&mut self.stats.in_bad_community_names);
            self.auth_failure(m.version);
            return Outcome::Drop(DropReason::BadCommunity);
        };
        let pdu = match m.pdu {
            AnyPdu::Pdu(p) => p,
            AnyPdu::TrapV1(_) => {
                inc(&mut self.stats.in_traps);
                return Outcome::Drop(DropReason::NotARequest);
            }
        };
        if m.version == Version::V1 && v1_forbidden_values(&pdu) {
            // Counter64 and exceptions cannot appear in SNMPv1 (RFC 3584 4.2.1).
            inc(&mut self.stats.in_asn_parse_errs);
            return Outcome::Drop(DropReason::Malformed(MessageError::Ber(
                crate::ber::BerError::UnsupportedTag,
            )));
        }
        let ctx = Ctx {
            version: m.version,
            read: c.read_view,
            write: (c.access == Access::ReadWrite).then_some(c.write_view),
            max_repetitions: self.config.max_repetitions,
            max_walk_steps: self.config.max_walk_steps,
        };
        let wrapper = Wrapper::Community(CommunityPrefix {
            version: m.version,
            community: m.community,
        });
        self.finish_pdu(
            &ctx,
            &pdu,
            wrapper,
            response,
            self.config.max_message_size,
            mib,
        )
    }

    fn finish_pdu<M: Mib + ?Sized>(
        &mut self,
        ctx: &Ctx<'_>,
        pdu: &crate::pdu::Pdu<'_>,
        wrapper: Wrapper<'_>,
        response: &mut [u8],
        limit: usize,
        mib: &mut M,
    ) -> Outcome {
        match ops::respond(ctx, pdu, wrapper, response, limit, mib, &mut self.stats) {
            Ok(n) => Outcome::Respond(n),
            Err(NoReply::TooBig) => {
                inc(&mut self.stats.silent_drops);
                Outcome::Drop(DropReason::TooBig)
            }
            Err(NoReply::NotARequest) => Outcome::Drop(DropReason::NotARequest),
        }
    }
}

fn v1_forbidden_values(pdu: &crate::pdu::Pdu<'_>) -> bool {
    pdu.varbinds.iter().flatten().any(|vb| {
        matches!(
            vb.value,
            crate::value::Value::Counter64(_)
                | crate::value::Value::NoSuchObject
                | crate::value::Value::NoSuchInstance
                | crate::value::Value::EndOfMibView
        )
    })
}
