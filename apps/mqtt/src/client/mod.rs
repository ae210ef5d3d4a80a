//! The sans-IO MQTT client core.
//!
//! [`Client`] holds no socket and reads no clock. The driver feeds it bytes and
//! time and moves bytes it produces to the transport:
//!
//! ```text
//! handle_connected(now)              after TCP (and TLS) is up; queues CONNECT
//! loop {
//!     handle_bytes(now, data)        bytes read from the transport; returns how
//!                                    many were taken (the rest: call again after
//!                                    draining events)
//!     handle_timeout(now)            when poll_timeout()'s instant has passed
//!     while let Some(ev) = poll_event()     drain every event (this is where
//!                                    packets are parsed; an event borrows the
//!                                    client until the next call)
//!     while let Some(n) = poll_transmit(&mut tx)   write tx[..n]
//!     if let Some(s) = stream_pending()            a streamed PUBLISH wants its
//!         poll_stream(payload, &mut tx)            payload: write the chunk
//!     sleep until poll_timeout() or readable
//! }
//! handle_disconnected(now)           transport closed (after ConnectionLost or
//!                                    ConnectFailed, or on its own)
//! ```
//! Commands (`publish`, `subscribe`, `unsubscribe`, `resubscribe`,
//! `disconnect`) may be called at any time; they are queued in the outbox and
//! sent once CONNACK has arrived. `poll_transmit` uses the `now` of the latest
//! `handle_*` call as the send time for keepalive.
//!
//! # Sessions
//! Unacknowledged QoS 1/2 PUBLISHes stay in the outbox across a reconnect. If
//! CONNACK says *session present*, they are resent with DUP = 1 and pending
//! PUBRELs are resent; otherwise they are sent again as new messages (QoS 2
//! messages already PUBREC'd are reported as [`Event::Delivered`]).
//! Subscriptions are recorded; after a reconnect without a session the driver
//! calls [`Client::resubscribe`].
//!
//! # Large payloads
//! * Outbound: [`Client::publish_streamed`] queues only the PUBLISH header.
//!   When `poll_transmit` has sent it, [`Client::stream_pending`] reports the
//!   stream and [`Client::poll_stream`] copies the next chunk of the caller's
//!   payload (which the caller keeps; the same slice on every call) into the
//!   transmit buffer. A 256 KiB payload goes out through a 1 KiB buffer. After
//!   a reconnect an unacknowledged streamed QoS 1/2 message is resent the same
//!   way, so keep its payload until [`Event::Delivered`].
//! * Inbound: a PUBLISH that fits the receive buffer is one [`Event::Publish`].
//!   A larger one (up to [`Config::max_packet_size`]) arrives as
//!   [`Event::PublishStart`], any number of [`Event::PublishData`] chunks and
//!   [`Event::PublishEnd`]; its head (fixed header, topic, packet id,
//!   properties) must fit the receive buffer.
//!
//! # Limits
//! `MAX_INFLIGHT` bounds outbox entries (queued packets of any kind plus
//! unacknowledged QoS 1/2 messages) and inbound QoS 2 messages awaiting PUBREL
//! (announced as MQTT 5 Receive Maximum). `MAX_SUBS` bounds the resubscribe
//! list, `MAX_ALIASES` the inbound topic alias table (announced as Topic Alias
//! Maximum). Outbound topic aliases are not used.

mod arena;
mod inbound;
mod outbound;
mod types;

#[cfg(test)]
mod tests;

pub use types::{Buffers, CommandError, Config, ConnectError, Event, LostReason, Message};

use heapless::Deque;
use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::Timers;

use crate::codec::{
    Connect, DecodeError, Disconnect, EncodeError, Packet, PacketType, Properties,
    PropertiesBuilder, Property, PubResponse, Publish, QoS, ReasonCode, Subscribe,
    SubscriptionOptions, Subscriptions, TopicFilters, Unsubscribe, Version, decode,
    decode_fixed_header, decode_publish_head, encode, encode_publish_head,
};
use arena::{Arena, ArenaError};
use types::Queued;

const T_CONNECT: usize = 0;
const T_PING: usize = 1;
const T_DEAD: usize = 2;

#[allow(clippy::enum_variant_names)] // named after the MQTT packets
/// Control packets the client answers with; encoded straight into the
/// transmit buffer (at most 4 bytes each).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Control {
    PubAck(u16),
    PubRec(u16),
    PubComp(u16),
}

/// Capacity of the answer queue; when full, inbound parsing pauses until
/// `poll_transmit` drains it.
const ACKS: usize = 16;
const EVENTS: usize = 8;
/// Smallest transmit buffer `poll_transmit` works with.
pub const MIN_TRANSMIT: usize = 8;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum OutKind {
    Publish {
        qos: QoS,
        id: u16,
        /// Payload length of a streamed publish (the entry holds the header).
        stream: Option<usize>,
    },
    Subscribe {
        id: u16,
    },
    Unsubscribe {
        id: u16,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum OutState {
    /// Not sent on this connection yet.
    Queued,
    /// Sent; waiting for PUBACK/PUBREC/SUBACK/UNSUBACK.
    ExpectAck,
    /// Sent on a previous connection; the next CONNACK decides how to resend.
    ExpectReconnect,
    /// PUBREC received; PUBREL to (re)send, then wait for PUBCOMP.
    ExpectPubComp { rel_sent: bool },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct OutMeta {
    seq: u32,
    kind: OutKind,
    state: OutState,
}

impl OutMeta {
    fn id(&self) -> u16 {
        match self.kind {
            OutKind::Publish { id, .. }
            | OutKind::Subscribe { id }
            | OutKind::Unsubscribe { id } => id,
        }
    }
}

/// What `poll_transmit` is in the middle of copying out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Cursor {
    Connect { offset: usize },
    Entry { seq: u32, offset: usize },
}

/// A streamed PUBLISH whose payload is being sent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Packet id (QoS 1/2).
    pub packet_id: Option<u16>,
    /// Payload length announced in the header.
    pub len: usize,
    /// Payload bytes already handed out.
    pub offset: usize,
}

/// Connection state, named for what it waits for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// No transport.
    Disconnected,
    /// CONNECT queued or sent.
    ExpectConnAck,
    /// Session established.
    Connected,
    /// Fatal error or `disconnect()`: only a DISCONNECT may still go out.
    Closing { send_disconnect: Option<ReasonCode> },
}

/// Inbound streaming state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum RxStream {
    None,
    /// Payload bytes still to come; deliver or skip (duplicate QoS 2).
    Payload {
        remaining: usize,
        deliver: bool,
        ack: Option<Control>,
    },
    /// All payload delivered; PublishEnd and the ack are next.
    End {
        deliver: bool,
        ack: Option<Control>,
    },
}

/// Limits the broker announced in CONNACK (MQTT 5), defaults for 3.1.1.
#[derive(Copy, Clone, Debug)]
struct ServerLimits {
    receive_maximum: u16,
    maximum_qos: QoS,
    retain_available: bool,
    maximum_packet_size: u32,
}

impl ServerLimits {
    const DEFAULT: ServerLimits = ServerLimits {
        receive_maximum: u16::MAX,
        maximum_qos: QoS::ExactlyOnce,
        retain_available: true,
        maximum_packet_size: u32::MAX,
    };
}

/// The sans-IO MQTT client.
///
/// * `MAX_INFLIGHT`: outbox entries and inbound QoS 2 messages in flight.
/// * `MAX_SUBS`: subscriptions remembered for [`Client::resubscribe`].
/// * `MAX_ALIASES`: inbound MQTT 5 topic aliases.
///
/// See the [module documentation](self) for the call order.
pub struct Client<'a, const MAX_INFLIGHT: usize, const MAX_SUBS: usize, const MAX_ALIASES: usize> {
    config: Config<'a>,
    state: State,
    now: Instant,
    timers: Timers<3>,
    keep_alive: Duration,
    last_rx: Instant,
    last_tx: Instant,
    ping_outstanding: bool,
    ping_needed: bool,
    limits: ServerLimits,

    rx: &'a mut [u8],
    rx_len: usize,
    rx_discard: usize,
    rx_stream: RxStream,

    outbox: Arena<'a, OutMeta, MAX_INFLIGHT>,
    connect_pending: bool,
    cursor: Option<Cursor>,
    tx_stream: Option<StreamInfo>,
    next_seq: u32,
    next_id: u16,

    subs: Arena<'a, (), MAX_SUBS>,
    aliases: Arena<'a, u16, MAX_ALIASES>,
    inbound_qos2: heapless::Vec<u16, MAX_INFLIGHT>,
    acks: Deque<Control, ACKS>,
    events: Deque<Queued, EVENTS>,
}

impl<'a, const MAX_INFLIGHT: usize, const MAX_SUBS: usize, const MAX_ALIASES: usize>
    Client<'a, MAX_INFLIGHT, MAX_SUBS, MAX_ALIASES>
{
    /// A disconnected client using `buffers`.
    pub fn new(config: Config<'a>, buffers: Buffers<'a>) -> Self {
        Client {
            config,
            state: State::Disconnected,
            now: Instant::ZERO,
            timers: Timers::new(),
            keep_alive: Duration::from_secs(u64::from(config.keep_alive)),
            last_rx: Instant::ZERO,
            last_tx: Instant::ZERO,
            ping_outstanding: false,
            ping_needed: false,
            limits: ServerLimits::DEFAULT,
            rx: buffers.rx,
            rx_len: 0,
            rx_discard: 0,
            rx_stream: RxStream::None,
            outbox: Arena::new(buffers.outbox),
            connect_pending: false,
            cursor: None,
            tx_stream: None,
            next_seq: 0,
            next_id: 1,
            subs: Arena::new(buffers.subs),
            aliases: Arena::new(buffers.aliases),
            inbound_qos2: heapless::Vec::new(),
            acks: Deque::new(),
            events: Deque::new(),
        }
    }

    /// Whether CONNACK accepted the session and it has not ended.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// Number of outbox entries (queued plus unacknowledged).
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    fn inbound_receive_maximum(&self) -> u16 {
        let cap = u16::try_from(MAX_INFLIGHT).unwrap_or(u16::MAX).max(1);
        self.config.receive_maximum.clamp(1, cap)
    }

    /// The protocol version spoken: the configured one, and always 3.1.1
    /// in a build without the `v5` feature (so the MQTT 5 code is left out;
    /// [`handle_connected`](Self::handle_connected) refuses a configured 5).
    fn version(&self) -> Version {
        if cfg!(feature = "v5") {
            self.config.version
        } else {
            Version::V311
        }
    }

    fn alias_maximum(&self) -> u16 {
        u16::try_from(MAX_ALIASES).unwrap_or(u16::MAX)
    }

    // ---------------------------------------------------------------- inputs

    /// The transport is up: queue CONNECT and start the CONNACK timer.
    ///
    /// Fails only if the CONNECT does not fit the outbox (or is invalid).
    pub fn handle_connected(&mut self, now: Instant) -> Result<(), CommandError> {
        if !cfg!(feature = "v5") && self.config.version == Version::V5 {
            return Err(CommandError::VersionNotBuilt);
        }
        self.reset_connection();
        self.now = now;
        let mut pbuf = [0u8; 32];
        let mut pb = PropertiesBuilder::new(&mut pbuf);
        if self.version() == Version::V5 {
            let rm = self.inbound_receive_maximum();
            let am = self.alias_maximum();
            let items = [
                Property::SessionExpiryInterval(self.config.session_expiry),
                Property::ReceiveMaximum(rm),
                Property::MaximumPacketSize(self.config.max_packet_size.max(1)),
                Property::TopicAliasMaximum(am),
            ];
            for p in items {
                pb.push(p).map_err(CommandError::Encode)?;
            }
        }
        let properties = pb.finish();
        let version = self.version();
        let c = &self.config;
        let connect = Packet::Connect(Connect {
            version,
            clean_start: c.clean_start,
            keep_alive: c.keep_alive,
            client_id: c.client_id,
            will: c.will,
            username: c.username,
            password: c.password,
            properties,
        });
        self.outbox
            .set_front(|buf| encode(&connect, version, buf))
            .map_err(arena_err)?;
        self.connect_pending = true;
        self.state = State::ExpectConnAck;
        self.keep_alive = Duration::from_secs(u64::from(self.config.keep_alive));
        self.last_rx = now;
        self.last_tx = now;
        self.timers
            .set(T_CONNECT, now + self.config.connect_timeout);
        Ok(())
    }

    /// Bytes read from the transport. Returns how many were taken; when less
    /// than `data.len()`, drain [`Client::poll_event`] and call again with the
    /// rest.
    pub fn handle_bytes(&mut self, now: Instant, data: &[u8]) -> usize {
        self.now = now;
        self.compact_rx();
        if matches!(self.state, State::Disconnected) {
            return data.len();
        }
        let free = self.rx.get_mut(self.rx_len..).unwrap_or_default();
        let n = free.len().min(data.len());
        if let (Some(dst), Some(src)) = (free.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.rx_len += n;
        if n > 0 {
            self.last_rx = now;
            self.ping_outstanding = false;
            self.rearm_keepalive();
        }
        n
    }

    /// The transport closed. Unacknowledged messages are kept for the next
    /// connection; a `ConnectionLost(TransportClosed)` event is queued unless
    /// the end was already reported.
    pub fn handle_disconnected(&mut self, now: Instant) {
        self.now = now;
        let report = matches!(self.state, State::Connected | State::ExpectConnAck);
        if report {
            self.queue(Queued::Lost(LostReason::TransportClosed));
        }
        self.reset_connection();
    }

    /// Call when [`Client::poll_timeout`]'s instant has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        // At most three timers: bounded.
        while let Some(t) = self.timers.take_expired(now) {
            match t {
                T_CONNECT if self.state == State::ExpectConnAck => {
                    self.close(None);
                    self.queue(Queued::ConnectFailed(ConnectError::Timeout));
                }
                T_DEAD => {
                    if matches!(self.state, State::Connected | State::ExpectConnAck) {
                        self.close(None);
                        self.queue(Queued::Lost(LostReason::KeepaliveTimeout));
                    }
                }
                T_PING if self.state == State::Connected && !self.ping_outstanding => {
                    self.ping_needed = true;
                }
                _ => {}
            }
        }
    }

    // -------------------------------------------------------------- commands

    /// Queues a PUBLISH. Returns its packet id for QoS 1/2 (reported again
    /// in [`Event::Delivered`]). `properties` are MQTT 5 only.
    pub fn publish(
        &mut self,
        now: Instant,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
        properties: Properties<'_>,
    ) -> Result<Option<u16>, CommandError> {
        self.publish_inner(now, topic, payload, None, qos, retain, properties)
    }

    /// Queues a PUBLISH whose `len`-byte payload is streamed later through
    /// [`Client::poll_stream`] (see the module docs).
    pub fn publish_streamed(
        &mut self,
        now: Instant,
        topic: &str,
        len: usize,
        qos: QoS,
        retain: bool,
        properties: Properties<'_>,
    ) -> Result<Option<u16>, CommandError> {
        self.publish_inner(now, topic, &[], Some(len), qos, retain, properties)
    }

    #[allow(clippy::too_many_arguments)]
    fn publish_inner(
        &mut self,
        now: Instant,
        topic: &str,
        payload: &[u8],
        stream: Option<usize>,
        qos: QoS,
        retain: bool,
        properties: Properties<'_>,
    ) -> Result<Option<u16>, CommandError> {
        self.now = now;
        if matches!(self.state, State::Closing { .. }) {
            return Err(CommandError::Closing);
        }
        if qos > self.limits.maximum_qos {
            return Err(CommandError::QosNotSupported);
        }
        if retain && !self.limits.retain_available {
            return Err(CommandError::RetainNotSupported);
        }
        let id = match qos {
            QoS::AtMostOnce => 0,
            _ => self.alloc_id().ok_or(CommandError::OutboxFull)?,
        };
        let p = Publish {
            dup: false,
            qos,
            retain,
            topic,
            packet_id: (id != 0).then_some(id),
            properties,
            payload,
        };
        let version = self.version();
        let max = self.limits.maximum_packet_size as usize;
        let meta = self.new_meta(OutKind::Publish { qos, id, stream });
        let mut too_large = false;
        let r = self.outbox.push(meta, |buf| {
            let n = match stream {
                None => encode(&Packet::Publish(p), version, buf)?,
                Some(len) => {
                    let n = encode_publish_head(&p, len, version, buf)?;
                    if n.saturating_add(len) > max {
                        too_large = true;
                    }
                    n
                }
            };
            if n > max {
                too_large = true;
            }
            Ok(n)
        });
        let idx = r.map_err(arena_err)?;
        if too_large {
            self.outbox.remove(idx);
            return Err(CommandError::PacketTooLarge);
        }
        Ok(p.packet_id)
    }

    /// Queues a SUBSCRIBE for `topics` and records them for
    /// [`Client::resubscribe`]. Returns the packet id.
    pub fn subscribe(
        &mut self,
        now: Instant,
        topics: &[(&str, SubscriptionOptions)],
    ) -> Result<u16, CommandError> {
        self.now = now;
        if matches!(self.state, State::Closing { .. }) {
            return Err(CommandError::Closing);
        }
        let id = self.alloc_id().ok_or(CommandError::OutboxFull)?;
        let version = self.version();
        let pkt = Packet::Subscribe(Subscribe {
            packet_id: id,
            properties: Properties::EMPTY,
            subscriptions: Subscriptions::List(topics),
        });
        let meta = self.new_meta(OutKind::Subscribe { id });
        let idx = self
            .outbox
            .push(meta, |buf| encode(&pkt, version, buf))
            .map_err(arena_err)?;
        // Remember the filters; on failure take the SUBSCRIBE back so the
        // command has no effect.
        for (filter, opts) in topics {
            if let Err(e) = self.remember(filter, *opts) {
                self.outbox.remove(idx);
                return Err(e);
            }
        }
        Ok(id)
    }

    fn remember(&mut self, filter: &str, opts: SubscriptionOptions) -> Result<(), CommandError> {
        self.forget(filter);
        let byte = opts.byte(self.version());
        self.subs
            .push((), |buf| {
                let needed = filter.len() + 3;
                let len = u16::try_from(filter.len()).map_err(|_| EncodeError::FieldTooLong)?;
                let Some(out) = buf.get_mut(..needed) else {
                    return Err(EncodeError::BufferTooSmall { needed });
                };
                let (l, rest) = out.split_at_mut(2);
                l.copy_from_slice(&len.to_be_bytes());
                let (f, o) = rest.split_at_mut(filter.len());
                f.copy_from_slice(filter.as_bytes());
                o.copy_from_slice(&[byte]);
                Ok(needed)
            })
            .map(|_| ())
            .map_err(|_| CommandError::SubscriptionsFull)
    }

    fn forget(&mut self, filter: &str) {
        let pos = (0..self.subs.len()).find(|&i| {
            let b = self.subs.bytes(i);
            b.get(2..b.len().saturating_sub(1)) == Some(filter.as_bytes())
        });
        if let Some(i) = pos {
            self.subs.remove(i);
        }
    }

    /// Queues an UNSUBSCRIBE and drops the filters from the resubscribe list.
    pub fn unsubscribe(&mut self, now: Instant, filters: &[&str]) -> Result<u16, CommandError> {
        self.now = now;
        if matches!(self.state, State::Closing { .. }) {
            return Err(CommandError::Closing);
        }
        let id = self.alloc_id().ok_or(CommandError::OutboxFull)?;
        let version = self.version();
        let pkt = Packet::Unsubscribe(Unsubscribe {
            packet_id: id,
            properties: Properties::EMPTY,
            filters: TopicFilters::List(filters),
        });
        let meta = self.new_meta(OutKind::Unsubscribe { id });
        self.outbox
            .push(meta, |buf| encode(&pkt, version, buf))
            .map_err(arena_err)?;
        for f in filters {
            self.forget(f);
        }
        Ok(id)
    }

    /// Queues one SUBSCRIBE carrying every remembered subscription (after a
    /// reconnect without a session). `Ok(None)` if there are none.
    pub fn resubscribe(&mut self, now: Instant) -> Result<Option<u16>, CommandError> {
        self.now = now;
        if self.subs.len() == 0 {
            return Ok(None);
        }
        let id = self.alloc_id().ok_or(CommandError::OutboxFull)?;
        let version = self.version();
        let meta = self.new_meta(OutKind::Subscribe { id });
        let pkt = Packet::Subscribe(Subscribe {
            packet_id: id,
            properties: Properties::EMPTY,
            subscriptions: Subscriptions::Wire {
                raw: self.subs.all_entries(),
                version,
            },
        });
        self.outbox
            .push(meta, |buf| encode(&pkt, version, buf))
            .map_err(arena_err)?;
        Ok(Some(id))
    }

    /// Iterates over the remembered subscriptions.
    pub fn subscriptions(&self) -> impl Iterator<Item = (&str, SubscriptionOptions)> + '_ {
        Subscriptions::Wire {
            raw: self.subs.all_entries(),
            version: self.version(),
        }
        .iter()
    }

    /// Sends DISCONNECT (normal, the will is discarded) and closes the session.
    /// Flush `poll_transmit`, then close the transport.
    pub fn disconnect(&mut self, now: Instant) {
        self.now = now;
        if matches!(self.state, State::Connected | State::ExpectConnAck) {
            self.close(Some(ReasonCode::SUCCESS));
        }
    }

    // --------------------------------------------------------------- outputs

    /// The earliest instant at which [`Client::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    // ---------------------------------------------------------------- helpers

    fn queue(&mut self, q: Queued) {
        // The queue only overflows if the driver never drains events; dropping
        // the oldest would lose a state change, so the newest is dropped.
        let _ = self.events.push_back(q);
    }

    fn new_meta(&mut self, kind: OutKind) -> OutMeta {
        self.next_seq = self.next_seq.wrapping_add(1);
        OutMeta {
            seq: self.next_seq,
            kind,
            state: OutState::Queued,
        }
    }

    fn alloc_id(&mut self) -> Option<u16> {
        if self.outbox.len() >= MAX_INFLIGHT {
            return None;
        }
        // At most 65535 candidates: bounded.
        for _ in 0..u16::MAX {
            let id = self.next_id;
            self.next_id = if id == u16::MAX { 1 } else { id + 1 };
            if self.outbox.position(|m| m.id() == id).is_none() {
                return Some(id);
            }
        }
        None
    }

    fn compact_rx(&mut self) {
        let d = self.rx_discard.min(self.rx_len);
        if d > 0 {
            self.rx.copy_within(d..self.rx_len, 0);
            self.rx_len -= d;
        }
        self.rx_discard = 0;
    }

    fn rearm_keepalive(&mut self) {
        if self.keep_alive == Duration::ZERO
            || !matches!(self.state, State::Connected | State::ExpectConnAck)
        {
            self.timers.clear(T_PING);
            self.timers.clear(T_DEAD);
            return;
        }
        // Ping when either direction has been idle for keep alive: we must send
        // something within it, and a silent broker is probed before it is
        // declared dead at 1.5 x keep alive without any byte from it.
        let idle_since = self.last_tx.min(self.last_rx);
        if self.state == State::Connected && !self.ping_outstanding {
            self.timers.set(T_PING, idle_since + self.keep_alive);
        } else {
            self.timers.clear(T_PING);
        }
        self.timers.set(
            T_DEAD,
            self.last_rx + self.keep_alive.saturating_mul(3).div(2),
        );
    }

    fn reset_connection(&mut self) {
        self.state = State::Disconnected;
        self.timers = Timers::new();
        self.rx_len = 0;
        self.rx_discard = 0;
        self.rx_stream = RxStream::None;
        self.acks.clear();
        self.ping_needed = false;
        self.ping_outstanding = false;
        self.connect_pending = false;
        self.outbox.clear_front();
        self.aliases.clear();
        self.limits = ServerLimits::DEFAULT;
        // A publish cut off mid-transmission is sent again in full.
        self.cursor = None;
        self.tx_stream = None;
        let mut i = 0;
        // Each iteration either removes an entry or advances: bounded.
        while let Some(slot) = self.outbox.slot(i) {
            match (slot.meta.kind, slot.meta.state) {
                (OutKind::Subscribe { .. } | OutKind::Unsubscribe { .. }, OutState::ExpectAck) => {
                    self.outbox.remove(i);
                    continue;
                }
                (OutKind::Publish { .. }, OutState::ExpectAck) => {
                    if let Some(m) = self.outbox.meta_mut(i) {
                        m.state = OutState::ExpectReconnect;
                    }
                }
                (_, OutState::ExpectPubComp { .. }) => {
                    if let Some(m) = self.outbox.meta_mut(i) {
                        m.state = OutState::ExpectPubComp { rel_sent: false };
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// Ends the session; `send` is the DISCONNECT reason to send, if any.
    fn close(&mut self, send: Option<ReasonCode>) {
        let send = match self.version() {
            Version::V5 => send,
            // 3.1.1 DISCONNECT has no reason: only a normal close sends one.
            Version::V311 => send.filter(|r| *r == ReasonCode::SUCCESS),
        };
        self.state = State::Closing {
            send_disconnect: send,
        };
        self.timers = Timers::new();
        self.acks.clear();
        self.ping_needed = false;
    }

    fn fail<'e>(&mut self, reason: LostReason, code: ReasonCode) -> Event<'e> {
        self.close(Some(code));
        Event::ConnectionLost(reason)
    }

    fn fail_malformed<'e>(&mut self, e: DecodeError) -> Event<'e> {
        self.fail(LostReason::Malformed(e), e.reason_code())
    }
}

fn arena_err(e: ArenaError) -> CommandError {
    match e {
        ArenaError::Full => CommandError::OutboxFull,
        ArenaError::Encode(e) => CommandError::Encode(e),
    }
}
