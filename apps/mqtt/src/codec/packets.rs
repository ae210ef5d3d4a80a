//! Packet representations shared by the decoder and the encoder.
//!
//! Decoded packets borrow every string, payload and property list from the
//! input slice; the same types are filled in by hand to encode.

use super::error::{DecodeError, ReasonCode};
use super::properties::Properties;
use super::wire::Reader;

/// MQTT protocol version.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// MQTT 3.1.1 (protocol level 4).
    V311,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl Version {
    /// The protocol level byte of CONNECT.
    pub const fn level(self) -> u8 {
        match self {
            Version::V311 => 4,
            Version::V5 => 5,
        }
    }
}

/// Quality of service.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QoS {
    /// QoS 0: at most once.
    AtMostOnce = 0,
    /// QoS 1: at least once.
    AtLeastOnce = 1,
    /// QoS 2: exactly once.
    ExactlyOnce = 2,
}

impl QoS {
    /// Parses the two QoS bits; 3 is [`DecodeError::InvalidQos`].
    pub const fn from_bits(b: u8) -> Result<QoS, DecodeError> {
        match b {
            0 => Ok(QoS::AtMostOnce),
            1 => Ok(QoS::AtLeastOnce),
            2 => Ok(QoS::ExactlyOnce),
            _ => Err(DecodeError::InvalidQos),
        }
    }
    /// The numeric value.
    pub const fn bits(self) -> u8 {
        self as u8
    }
}

/// The packet type nibble of the fixed header.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PacketType {
    /// 1 CONNECT.
    Connect = 1,
    /// 2 CONNACK.
    ConnAck = 2,
    /// 3 PUBLISH.
    Publish = 3,
    /// 4 PUBACK.
    PubAck = 4,
    /// 5 PUBREC.
    PubRec = 5,
    /// 6 PUBREL.
    PubRel = 6,
    /// 7 PUBCOMP.
    PubComp = 7,
    /// 8 SUBSCRIBE.
    Subscribe = 8,
    /// 9 SUBACK.
    SubAck = 9,
    /// 10 UNSUBSCRIBE.
    Unsubscribe = 10,
    /// 11 UNSUBACK.
    UnsubAck = 11,
    /// 12 PINGREQ.
    PingReq = 12,
    /// 13 PINGRESP.
    PingResp = 13,
    /// 14 DISCONNECT.
    Disconnect = 14,
    /// 15 AUTH (MQTT 5 only).
    Auth = 15,
}

impl PacketType {
    /// Maps the type nibble for `version`.
    pub const fn from_nibble(n: u8, version: Version) -> Result<PacketType, DecodeError> {
        Ok(match n {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 if matches!(version, Version::V5) => PacketType::Auth,
            other => return Err(DecodeError::UnknownPacketType(other)),
        })
    }

    /// The flag nibble this type requires (PUBLISH has variable flags).
    pub(crate) const fn fixed_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }
}

/// The will message carried in CONNECT.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Will<'a> {
    /// Topic the will is published to.
    pub topic: &'a str,
    /// Binary payload.
    pub payload: &'a [u8],
    /// QoS of the will publication.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
    /// MQTT 5 will properties (ignored for 3.1.1; must be empty there).
    pub properties: Properties<'a>,
}

/// CONNECT.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Connect<'a> {
    /// Protocol version (from the protocol level byte when decoding).
    pub version: Version,
    /// Clean session (3.1.1) / clean start (5).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 turns it off.
    pub keep_alive: u16,
    /// Client identifier (may be empty to ask the server for one).
    pub client_id: &'a str,
    /// Will message.
    pub will: Option<Will<'a>>,
    /// User name.
    pub username: Option<&'a str>,
    /// Password (binary).
    pub password: Option<&'a [u8]>,
    /// MQTT 5 CONNECT properties.
    pub properties: Properties<'a>,
}

/// CONNACK.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ConnAck<'a> {
    /// The server has a session for this client.
    pub session_present: bool,
    /// Return code (3.1.1, 0..=5) or reason code (5).
    pub code: ReasonCode,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
}

/// PUBLISH.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Redelivery flag.
    pub dup: bool,
    /// QoS.
    pub qos: QoS,
    /// Retain flag.
    pub retain: bool,
    /// Topic name (empty in MQTT 5 when a topic alias stands for it).
    pub topic: &'a str,
    /// Packet identifier, present for QoS 1 and 2.
    pub packet_id: Option<u16>,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
    /// Application payload.
    pub payload: &'a [u8],
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP: a packet id and (MQTT 5) a reason.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PubResponse<'a> {
    /// Packet identifier being acknowledged.
    pub packet_id: u16,
    /// Reason code (always success in 3.1.1).
    pub reason: ReasonCode,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
}

impl PubResponse<'static> {
    /// A successful response for `packet_id` without properties.
    pub const fn new(packet_id: u16) -> Self {
        PubResponse {
            packet_id,
            reason: ReasonCode::SUCCESS,
            properties: Properties::EMPTY,
        }
    }
}

/// Retain handling option of an MQTT 5 subscription.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum RetainHandling {
    /// 0: send retained messages at subscribe time.
    #[default]
    SendAtSubscribe = 0,
    /// 1: send them only if the subscription is new.
    SendIfNew = 1,
    /// 2: do not send them.
    DoNotSend = 2,
}

/// The options byte of one SUBSCRIBE entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionOptions {
    /// Maximum QoS requested.
    pub qos: QoS,
    /// MQTT 5 No Local.
    pub no_local: bool,
    /// MQTT 5 Retain As Published.
    pub retain_as_published: bool,
    /// MQTT 5 Retain Handling.
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    /// Options with only a QoS (what 3.1.1 can express).
    pub const fn qos(qos: QoS) -> Self {
        SubscriptionOptions {
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: RetainHandling::SendAtSubscribe,
        }
    }

    pub(crate) fn parse(b: u8, version: Version) -> Result<Self, DecodeError> {
        let reserved = match version {
            Version::V311 => 0xFC,
            Version::V5 => 0xC0,
        };
        if b & reserved != 0 {
            return Err(DecodeError::InvalidSubscriptionOptions);
        }
        let qos = QoS::from_bits(b & 0x03)?;
        let retain_handling = match (b >> 4) & 0x03 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendIfNew,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::InvalidSubscriptionOptions),
        };
        Ok(SubscriptionOptions {
            qos,
            no_local: b & 0x04 != 0,
            retain_as_published: b & 0x08 != 0,
            retain_handling,
        })
    }

    pub(crate) fn byte(&self, version: Version) -> u8 {
        match version {
            Version::V311 => self.qos.bits(),
            Version::V5 => {
                self.qos.bits()
                    | (u8::from(self.no_local) << 2)
                    | (u8::from(self.retain_as_published) << 3)
                    | ((self.retain_handling as u8) << 4)
            }
        }
    }
}

/// The entries of a SUBSCRIBE: either validated wire bytes (decoded) or a
/// caller's slice (to encode).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Subscriptions<'a> {
    /// Validated SUBSCRIBE payload bytes.
    Wire {
        /// Payload bytes.
        raw: &'a [u8],
        /// Version used to read the option bytes.
        version: Version,
    },
    /// Entries given by the caller.
    List(&'a [(&'a str, SubscriptionOptions)]),
}

impl<'a> Subscriptions<'a> {
    /// Iterates over `(filter, options)`.
    pub fn iter(&self) -> SubscriptionIter<'a> {
        match *self {
            Subscriptions::Wire { raw, version } => {
                SubscriptionIter(SubIter::Wire(Reader::new(raw), version))
            }
            Subscriptions::List(l) => SubscriptionIter(SubIter::List(l.iter())),
        }
    }
}

/// Iterator over [`Subscriptions`].
#[derive(Clone, Debug)]
pub struct SubscriptionIter<'a>(SubIter<'a>);

#[derive(Clone, Debug)]
enum SubIter<'a> {
    Wire(Reader<'a>, Version),
    List(core::slice::Iter<'a, (&'a str, SubscriptionOptions)>),
}

impl<'a> Iterator for SubscriptionIter<'a> {
    type Item = (&'a str, SubscriptionOptions);
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            SubIter::Wire(r, v) => {
                if r.is_empty() {
                    return None;
                }
                let f = r.utf8().ok()?;
                let o = SubscriptionOptions::parse(r.u8().ok()?, *v).ok()?;
                Some((f, o))
            }
            SubIter::List(it) => it.next().copied(),
        }
    }
}

/// A list of topic filters (UNSUBSCRIBE): wire bytes or a caller's slice.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TopicFilters<'a> {
    /// Validated UNSUBSCRIBE payload bytes.
    Wire(&'a [u8]),
    /// Filters given by the caller.
    List(&'a [&'a str]),
}

impl<'a> TopicFilters<'a> {
    /// Iterates over the filters.
    pub fn iter(&self) -> TopicFilterIter<'a> {
        match *self {
            TopicFilters::Wire(raw) => TopicFilterIter(FilterIter::Wire(Reader::new(raw))),
            TopicFilters::List(l) => TopicFilterIter(FilterIter::List(l.iter())),
        }
    }
}

/// Iterator over [`TopicFilters`].
#[derive(Clone, Debug)]
pub struct TopicFilterIter<'a>(FilterIter<'a>);

#[derive(Clone, Debug)]
enum FilterIter<'a> {
    Wire(Reader<'a>),
    List(core::slice::Iter<'a, &'a str>),
}

impl<'a> Iterator for TopicFilterIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            FilterIter::Wire(r) => {
                if r.is_empty() {
                    return None;
                }
                r.utf8().ok()
            }
            FilterIter::List(it) => it.next().copied(),
        }
    }
}

/// SUBSCRIBE.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Subscribe<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
    /// Filters and options (at least one).
    pub subscriptions: Subscriptions<'a>,
}

/// SUBACK.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SubAck<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
    /// One return/reason code per requested filter, in order.
    pub codes: &'a [u8],
}

/// UNSUBSCRIBE.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
    /// Filters (at least one).
    pub filters: TopicFilters<'a>,
}

/// UNSUBACK.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UnsubAck<'a> {
    /// Packet identifier.
    pub packet_id: u16,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
    /// MQTT 5 reason codes, one per filter (empty in 3.1.1).
    pub codes: &'a [u8],
}

/// DISCONNECT.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Disconnect<'a> {
    /// MQTT 5 reason code (success in 3.1.1).
    pub reason: ReasonCode,
    /// MQTT 5 properties.
    pub properties: Properties<'a>,
}

/// AUTH (MQTT 5 only).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Auth<'a> {
    /// Reason code (0x00, 0x18 or 0x19).
    pub reason: ReasonCode,
    /// Properties (authentication method and data).
    pub properties: Properties<'a>,
}

/// Any MQTT control packet, borrowing from the decoded buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet<'a> {
    /// CONNECT.
    Connect(Connect<'a>),
    /// CONNACK.
    ConnAck(ConnAck<'a>),
    /// PUBLISH.
    Publish(Publish<'a>),
    /// PUBACK.
    PubAck(PubResponse<'a>),
    /// PUBREC.
    PubRec(PubResponse<'a>),
    /// PUBREL.
    PubRel(PubResponse<'a>),
    /// PUBCOMP.
    PubComp(PubResponse<'a>),
    /// SUBSCRIBE.
    Subscribe(Subscribe<'a>),
    /// SUBACK.
    SubAck(SubAck<'a>),
    /// UNSUBSCRIBE.
    Unsubscribe(Unsubscribe<'a>),
    /// UNSUBACK.
    UnsubAck(UnsubAck<'a>),
    /// PINGREQ.
    PingReq,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Disconnect<'a>),
    /// AUTH.
    Auth(Auth<'a>),
}

impl Packet<'_> {
    /// The packet's type.
    pub const fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }
}
