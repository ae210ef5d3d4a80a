//! Configuration, events and errors of the client core.

use core::fmt;

use petrel_netcore::time::Duration;

use crate::codec::{DecodeError, EncodeError, Properties, QoS, ReasonCode, Version, Will};

/// Client configuration. Every limit has a default.
#[derive(Copy, Clone, Debug)]
pub struct Config<'a> {
    /// Protocol version to speak. Default: MQTT 3.1.1.
    pub version: Version,
    /// Client identifier. Default: empty (3.1.1 then needs `clean_start`).
    pub client_id: &'a str,
    /// Keep alive in seconds; 0 turns keepalive off. Default: 60.
    pub keep_alive: u16,
    /// Clean session (3.1.1) / clean start (5). Default: true.
    pub clean_start: bool,
    /// MQTT 5 session expiry interval in seconds (0: ends with the connection).
    /// Default: 0.
    pub session_expiry: u32,
    /// User name.
    pub username: Option<&'a str>,
    /// Password.
    pub password: Option<&'a [u8]>,
    /// Will message (binary payload, QoS, retain, MQTT 5 will properties).
    pub will: Option<Will<'a>>,
    /// Largest inbound packet accepted (sent to the server as Maximum Packet
    /// Size in MQTT 5). PUBLISHes larger than the receive buffer but within this
    /// limit are streamed. Default: 256 KiB.
    pub max_packet_size: u32,
    /// MQTT 5 Receive Maximum we announce (capped by `MAX_INFLIGHT`).
    /// Default: 65535 (i.e. `MAX_INFLIGHT`).
    pub receive_maximum: u16,
    /// How long to wait for CONNACK. Default: 30 s.
    pub connect_timeout: Duration,
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config {
            version: Version::V311,
            client_id: "",
            keep_alive: 60,
            clean_start: true,
            session_expiry: 0,
            username: None,
            password: None,
            will: None,
            max_packet_size: 256 * 1024,
            receive_maximum: u16::MAX,
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// Memory the caller lends the client.
pub struct Buffers<'a> {
    /// Receive buffer. A PUBLISH that fits is delivered whole
    /// ([`Event::Publish`]); a larger one is streamed, which needs its fixed
    /// header, topic, packet id and properties to fit. Every other packet must
    /// fit whole.
    pub rx: &'a mut [u8],
    /// Outbound queue: the CONNECT, queued packets and unacknowledged QoS 1/2
    /// PUBLISHes (kept for resend). A streamed PUBLISH stores only its header.
    pub outbox: &'a mut [u8],
    /// The subscription list kept for [`Client::resubscribe`](super::Client::resubscribe)
    /// (each entry: filter length + 3 bytes).
    pub subs: &'a mut [u8],
    /// Inbound MQTT 5 topic alias table: the topics of up to `MAX_ALIASES`
    /// aliases, back to back.
    pub aliases: &'a mut [u8],
}

/// Why CONNECT was refused (CONNACK code) or did not complete.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnectError {
    /// 3.1.1 code 1 / MQTT 5 0x84.
    UnacceptableProtocolVersion,
    /// 3.1.1 code 2 / MQTT 5 0x85.
    IdentifierRejected,
    /// 3.1.1 code 3 / MQTT 5 0x88, 0x89 (busy).
    ServerUnavailable,
    /// 3.1.1 code 4 / MQTT 5 0x86.
    BadUsernameOrPassword,
    /// 3.1.1 code 5 / MQTT 5 0x87.
    NotAuthorized,
    /// MQTT 5 0x8A.
    Banned,
    /// MQTT 5 0x9C / 0x9D: use another server (see Server Reference).
    UseAnotherServer,
    /// Any other MQTT 5 refusal.
    Refused(ReasonCode),
    /// No CONNACK within [`Config::connect_timeout`].
    Timeout,
}

impl ConnectError {
    /// Maps a non-zero CONNACK code.
    pub const fn from_code(version: Version, code: ReasonCode) -> ConnectError {
        match (version, code.0) {
            (Version::V311, 1) | (Version::V5, 0x84) => ConnectError::UnacceptableProtocolVersion,
            (Version::V311, 2) | (Version::V5, 0x85) => ConnectError::IdentifierRejected,
            (Version::V311, 3) | (Version::V5, 0x88 | 0x89) => ConnectError::ServerUnavailable,
            (Version::V311, 4) | (Version::V5, 0x86) => ConnectError::BadUsernameOrPassword,
            (Version::V311, 5) | (Version::V5, 0x87) => ConnectError::NotAuthorized,
            (Version::V5, 0x8A) => ConnectError::Banned,
            (Version::V5, 0x9C | 0x9D) => ConnectError::UseAnotherServer,
            _ => ConnectError::Refused(code),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::UnacceptableProtocolVersion => {
                f.write_str("broker refused: unacceptable protocol version")
            }
            ConnectError::IdentifierRejected => f.write_str("broker refused: identifier rejected"),
            ConnectError::ServerUnavailable => f.write_str("broker refused: server unavailable"),
            ConnectError::BadUsernameOrPassword => {
                f.write_str("broker refused: bad user name or password")
            }
            ConnectError::NotAuthorized => f.write_str("broker refused: not authorized"),
            ConnectError::Banned => f.write_str("broker refused: banned"),
            ConnectError::UseAnotherServer => f.write_str("broker refused: use another server"),
            ConnectError::Refused(c) => write!(f, "broker refused: {c}"),
            ConnectError::Timeout => f.write_str("no CONNACK before the connect timeout"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// Why an established (or connecting) session ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LostReason {
    /// Nothing received for 1.5 × keep alive.
    KeepaliveTimeout,
    /// The broker sent a malformed packet.
    Malformed(DecodeError),
    /// The broker broke a protocol rule (unexpected packet, unknown topic
    /// alias, receive maximum exceeded…); the code is what we sent it.
    ProtocolViolation(ReasonCode),
    /// The broker sent DISCONNECT (MQTT 5) with this reason.
    ServerDisconnect(ReasonCode),
    /// A packet header does not fit the receive buffer.
    RxBufferTooSmall,
    /// The transport closed ([`Client::handle_disconnected`](super::Client::handle_disconnected)).
    TransportClosed,
}

impl fmt::Display for LostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LostReason::KeepaliveTimeout => f.write_str("broker silent for 1.5 x keep alive"),
            LostReason::Malformed(e) => write!(f, "malformed packet from broker: {e}"),
            LostReason::ProtocolViolation(c) => write!(f, "broker protocol violation ({c})"),
            LostReason::ServerDisconnect(c) => write!(f, "broker disconnected us ({c})"),
            LostReason::RxBufferTooSmall => f.write_str("packet header exceeds receive buffer"),
            LostReason::TransportClosed => f.write_str("transport closed"),
        }
    }
}

/// Why a command was refused. Nothing was queued.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CommandError {
    /// The outbox has no room (bytes or `MAX_INFLIGHT` entries); retry after
    /// acknowledgements arrive.
    OutboxFull,
    /// The subscription list is full (`MAX_SUBS` or its buffer).
    SubscriptionsFull,
    /// The packet could not be encoded (bad topic, filter, field size).
    Encode(EncodeError),
    /// The broker does not support this QoS (MQTT 5 Maximum QoS).
    QosNotSupported,
    /// The broker does not support retained messages.
    RetainNotSupported,
    /// The packet exceeds the broker's Maximum Packet Size.
    PacketTooLarge,
    /// No streamed PUBLISH is waiting for payload.
    NoStream,
    /// The payload given to `poll_stream` does not have the announced length.
    PayloadLength,
    /// The session is closing; call `handle_disconnected` first.
    Closing,
    /// MQTT 5 is configured but this build has no MQTT 5 (the crate's `v5`
    /// feature is off).
    VersionNotBuilt,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::OutboxFull => f.write_str("outbox full"),
            CommandError::SubscriptionsFull => f.write_str("subscription list full"),
            CommandError::Encode(e) => write!(f, "cannot encode: {e}"),
            CommandError::QosNotSupported => f.write_str("QoS not supported by the broker"),
            CommandError::RetainNotSupported => f.write_str("retain not supported by the broker"),
            CommandError::PacketTooLarge => f.write_str("packet exceeds the broker's maximum"),
            CommandError::VersionNotBuilt => {
                f.write_str("MQTT 5 is not in this build (petrel-mqtt feature `v5`)")
            }
            CommandError::NoStream => f.write_str("no streamed publish in progress"),
            CommandError::PayloadLength => f.write_str("payload length differs from announced"),
            CommandError::Closing => f.write_str("session is closing"),
        }
    }
}

impl core::error::Error for CommandError {}

/// An application message received from the broker.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Message<'e> {
    /// Topic name (resolved from the topic alias if one was used).
    pub topic: &'e str,
    /// Payload (empty in [`Event::PublishStart`]).
    pub payload: &'e [u8],
    /// QoS.
    pub qos: QoS,
    /// Retain flag.
    pub retain: bool,
    /// DUP flag.
    pub dup: bool,
    /// Packet identifier (QoS 1/2).
    pub packet_id: Option<u16>,
    /// MQTT 5 properties.
    pub properties: Properties<'e>,
}

/// What the client reports from [`Client::poll_event`](super::Client::poll_event).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'e> {
    /// CONNACK accepted the connection.
    Connected {
        /// The broker resumed a stored session.
        session_present: bool,
    },
    /// The connection attempt failed; close the transport.
    ConnectFailed(ConnectError),
    /// A whole inbound message.
    Publish(Message<'e>),
    /// Start of an inbound message too large for the receive buffer.
    PublishStart {
        /// Topic, flags and properties (`payload` is empty).
        message: Message<'e>,
        /// Total payload length.
        len: usize,
    },
    /// The next chunk of a streamed message.
    PublishData(&'e [u8]),
    /// The streamed message is complete.
    PublishEnd,
    /// An outbound QoS 1/2 message completed (PUBACK, PUBCOMP, or a PUBREC
    /// carrying an error reason).
    Delivered {
        /// Its packet id.
        packet_id: u16,
        /// The broker's reason (success in 3.1.1).
        reason: ReasonCode,
    },
    /// SUBACK arrived.
    Subscribed {
        /// Packet id of the SUBSCRIBE.
        packet_id: u16,
        /// One granted QoS / reason code per filter.
        codes: &'e [u8],
    },
    /// UNSUBACK arrived.
    Unsubscribed {
        /// Packet id of the UNSUBSCRIBE.
        packet_id: u16,
    },
    /// The session ended; flush `poll_transmit`, close the transport, then call
    /// `handle_disconnected`.
    ConnectionLost(LostReason),
}

/// Events that own their data, queued by the `handle_*` inputs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Queued {
    Connected { session_present: bool },
    ConnectFailed(ConnectError),
    Delivered { packet_id: u16, reason: ReasonCode },
    Unsubscribed { packet_id: u16 },
    Lost(LostReason),
}

impl Queued {
    pub(crate) fn event<'e>(self) -> Event<'e> {
        match self {
            Queued::Connected { session_present } => Event::Connected { session_present },
            Queued::ConnectFailed(e) => Event::ConnectFailed(e),
            Queued::Delivered { packet_id, reason } => Event::Delivered { packet_id, reason },
            Queued::Unsubscribed { packet_id } => Event::Unsubscribed { packet_id },
            Queued::Lost(r) => Event::ConnectionLost(r),
        }
    }
}
