//! Codec errors and MQTT 5 reason codes.

use core::fmt;

use super::PacketType;

/// Why a byte sequence is not a valid MQTT packet.
///
/// Every variant names the peer's fault; [`DecodeError::reason_code`] gives the
/// MQTT 5 reason code to put in the DISCONNECT that answers it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeError {
    /// The first nibble is not a packet type of this protocol version
    /// (0 always; 15 in MQTT 3.1.1).
    UnknownPacketType(u8),
    /// The fixed-header flag bits are not the ones the packet type requires.
    ReservedFlags {
        /// The packet whose flags were wrong.
        packet_type: PacketType,
    },
    /// A variable byte integer has a continuation bit on its fourth byte.
    RemainingLengthTooLong,
    /// A variable byte integer uses more bytes than its value needs.
    VarIntNotMinimal,
    /// The packet (fixed header included) is larger than the configured limit.
    PacketTooLarge {
        /// Size the packet announced, in bytes.
        size: u32,
        /// The configured maximum.
        max: u32,
    },
    /// A field runs past the end of the packet's remaining length.
    Truncated,
    /// Bytes are left over after the last field of a packet that has no payload.
    TrailingBytes,
    /// A string is not valid UTF-8 or contains U+0000.
    InvalidUtf8,
    /// A topic name is empty (without a topic alias) or contains `+` or `#`.
    InvalidTopic,
    /// A topic filter is empty or places `+`/`#` wrongly.
    InvalidTopicFilter,
    /// A QoS field holds 3.
    InvalidQos,
    /// A packet identifier that must be non-zero is zero.
    ZeroPacketId,
    /// A QoS 0 PUBLISH has the DUP flag set.
    DupOnQos0,
    /// CONNECT does not start with the protocol name `MQTT`.
    InvalidProtocolName,
    /// CONNECT asks for a protocol level this codec does not speak.
    UnsupportedProtocolVersion(u8),
    /// CONNECT flags are inconsistent (reserved bit, will QoS/retain without will,
    /// password without user name in 3.1.1).
    InvalidConnectFlags,
    /// CONNACK acknowledge flags have reserved bits set.
    InvalidConnAckFlags,
    /// A SUBSCRIBE option byte has reserved bits set or retain handling 3.
    InvalidSubscriptionOptions,
    /// SUBSCRIBE, UNSUBSCRIBE, SUBACK or UNSUBACK carries no entries.
    NoTopics,
    /// A reason or return code is not allowed in this packet.
    BadReasonCode {
        /// The code received.
        code: u8,
    },
    /// A property identifier is not defined by MQTT 5.
    UnknownProperty {
        /// The identifier.
        id: u8,
    },
    /// A property that is defined, but not for this packet.
    PropertyNotAllowed {
        /// The identifier.
        id: u8,
    },
    /// A property that may appear once appears twice.
    DuplicateProperty {
        /// The identifier.
        id: u8,
    },
    /// A property value is out of range (e.g. topic alias 0, boolean 2).
    BadProperty {
        /// The identifier.
        id: u8,
    },
    /// The packet type does not exist in this protocol version (AUTH in 3.1.1).
    NotInThisVersion,
}

impl DecodeError {
    /// The MQTT 5 reason code for a DISCONNECT sent because of this error:
    /// 0x81 malformed packet, 0x82 protocol error, 0x95 packet too large,
    /// 0x84 unsupported protocol version.
    pub const fn reason_code(self) -> ReasonCode {
        match self {
            DecodeError::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            DecodeError::UnsupportedProtocolVersion(_) => ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
            DecodeError::InvalidTopic | DecodeError::InvalidTopicFilter => {
                ReasonCode::TOPIC_NAME_INVALID
            }
            DecodeError::DuplicateProperty { .. }
            | DecodeError::PropertyNotAllowed { .. }
            | DecodeError::BadProperty { .. }
            | DecodeError::ZeroPacketId
            | DecodeError::NotInThisVersion
            | DecodeError::BadReasonCode { .. } => ReasonCode::PROTOCOL_ERROR,
            _ => ReasonCode::MALFORMED_PACKET,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownPacketType(t) => write!(f, "unknown packet type {t}"),
            DecodeError::ReservedFlags { packet_type } => {
                write!(f, "reserved fixed-header flags wrong in {packet_type:?}")
            }
            DecodeError::RemainingLengthTooLong => {
                f.write_str("variable byte integer longer than 4 bytes")
            }
            DecodeError::VarIntNotMinimal => {
                f.write_str("variable byte integer not minimally encoded")
            }
            DecodeError::PacketTooLarge { size, max } => {
                write!(f, "packet of {size} bytes exceeds the maximum of {max}")
            }
            DecodeError::Truncated => f.write_str("field runs past the end of the packet"),
            DecodeError::TrailingBytes => f.write_str("unexpected bytes after the last field"),
            DecodeError::InvalidUtf8 => f.write_str("string is not valid UTF-8 or contains NUL"),
            DecodeError::InvalidTopic => f.write_str("invalid topic name"),
            DecodeError::InvalidTopicFilter => f.write_str("invalid topic filter"),
            DecodeError::InvalidQos => f.write_str("QoS 3 is invalid"),
            DecodeError::ZeroPacketId => f.write_str("packet identifier 0"),
            DecodeError::DupOnQos0 => f.write_str("DUP flag set on a QoS 0 PUBLISH"),
            DecodeError::InvalidProtocolName => f.write_str("protocol name is not MQTT"),
            DecodeError::UnsupportedProtocolVersion(v) => {
                write!(f, "unsupported protocol level {v}")
            }
            DecodeError::InvalidConnectFlags => f.write_str("inconsistent CONNECT flags"),
            DecodeError::InvalidConnAckFlags => f.write_str("reserved CONNACK flags set"),
            DecodeError::InvalidSubscriptionOptions => {
                f.write_str("invalid subscription options byte")
            }
            DecodeError::NoTopics => f.write_str("packet carries no topic entries"),
            DecodeError::BadReasonCode { code } => {
                write!(f, "reason code {code:#04x} not allowed here")
            }
            DecodeError::UnknownProperty { id } => write!(f, "unknown property {id:#04x}"),
            DecodeError::PropertyNotAllowed { id } => {
                write!(f, "property {id:#04x} not allowed in this packet")
            }
            DecodeError::DuplicateProperty { id } => {
                write!(f, "property {id:#04x} appears more than once")
            }
            DecodeError::BadProperty { id } => write!(f, "property {id:#04x} has a bad value"),
            DecodeError::NotInThisVersion => {
                f.write_str("packet type does not exist in this protocol version")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why a packet could not be encoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EncodeError {
    /// The output buffer is too small; `needed` bytes would be required.
    BufferTooSmall {
        /// Bytes the whole packet needs.
        needed: usize,
    },
    /// The packet's remaining length exceeds 268 435 455 bytes.
    PacketTooLarge,
    /// A string or binary field exceeds 65 535 bytes.
    FieldTooLong,
    /// A topic name is empty or contains wildcards.
    InvalidTopic,
    /// A topic filter breaks the `+`/`#` placement rules.
    InvalidTopicFilter,
    /// A string contains U+0000.
    InvalidUtf8,
    /// A packet identifier of 0 where one is required.
    ZeroPacketId,
    /// SUBSCRIBE/UNSUBSCRIBE/SUBACK/UNSUBACK with no entries.
    NoTopics,
    /// The packet (AUTH) or field (properties, reason codes) needs MQTT 5.
    NotInThisVersion,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            EncodeError::PacketTooLarge => f.write_str("packet exceeds the MQTT size limit"),
            EncodeError::FieldTooLong => f.write_str("string or binary field over 65535 bytes"),
            EncodeError::InvalidTopic => f.write_str("invalid topic name"),
            EncodeError::InvalidTopicFilter => f.write_str("invalid topic filter"),
            EncodeError::InvalidUtf8 => f.write_str("string contains U+0000"),
            EncodeError::ZeroPacketId => f.write_str("packet identifier 0"),
            EncodeError::NoTopics => f.write_str("no topic entries"),
            EncodeError::NotInThisVersion => {
                f.write_str("not representable in this protocol version")
            }
        }
    }
}

impl core::error::Error for EncodeError {}

/// An MQTT 5 reason code (or, in the 3.1.1 CONNACK, a return code).
///
/// Kept as a number so unknown codes survive; the constants name the ones MQTT 5
/// defines (section 2.4).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    /// 0x00 Success / Normal disconnection / Granted QoS 0.
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    /// 0x01 Granted QoS 1.
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    /// 0x02 Granted QoS 2.
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    /// 0x04 Disconnect with Will Message.
    pub const DISCONNECT_WITH_WILL: ReasonCode = ReasonCode(0x04);
    /// 0x10 No matching subscribers.
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    /// 0x11 No subscription existed.
    pub const NO_SUBSCRIPTION_EXISTED: ReasonCode = ReasonCode(0x11);
    /// 0x18 Continue authentication.
    pub const CONTINUE_AUTHENTICATION: ReasonCode = ReasonCode(0x18);
    /// 0x19 Re-authenticate.
    pub const REAUTHENTICATE: ReasonCode = ReasonCode(0x19);
    /// 0x80 Unspecified error.
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    /// 0x81 Malformed Packet.
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    /// 0x82 Protocol Error.
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    /// 0x83 Implementation specific error.
    pub const IMPLEMENTATION_SPECIFIC_ERROR: ReasonCode = ReasonCode(0x83);
    /// 0x84 Unsupported Protocol Version.
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    /// 0x85 Client Identifier not valid.
    pub const CLIENT_IDENTIFIER_NOT_VALID: ReasonCode = ReasonCode(0x85);
    /// 0x86 Bad User Name or Password.
    pub const BAD_USER_NAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    /// 0x87 Not authorized.
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    /// 0x88 Server unavailable.
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    /// 0x89 Server busy.
    pub const SERVER_BUSY: ReasonCode = ReasonCode(0x89);
    /// 0x8A Banned.
    pub const BANNED: ReasonCode = ReasonCode(0x8A);
    /// 0x8B Server shutting down.
    pub const SERVER_SHUTTING_DOWN: ReasonCode = ReasonCode(0x8B);
    /// 0x8C Bad authentication method.
    pub const BAD_AUTHENTICATION_METHOD: ReasonCode = ReasonCode(0x8C);
    /// 0x8D Keep Alive timeout.
    pub const KEEP_ALIVE_TIMEOUT: ReasonCode = ReasonCode(0x8D);
    /// 0x8E Session taken over.
    pub const SESSION_TAKEN_OVER: ReasonCode = ReasonCode(0x8E);
    /// 0x8F Topic Filter invalid.
    pub const TOPIC_FILTER_INVALID: ReasonCode = ReasonCode(0x8F);
    /// 0x90 Topic Name invalid.
    pub const TOPIC_NAME_INVALID: ReasonCode = ReasonCode(0x90);
    /// 0x91 Packet Identifier in use.
    pub const PACKET_IDENTIFIER_IN_USE: ReasonCode = ReasonCode(0x91);
    /// 0x92 Packet Identifier not found.
    pub const PACKET_IDENTIFIER_NOT_FOUND: ReasonCode = ReasonCode(0x92);
    /// 0x93 Receive Maximum exceeded.
    pub const RECEIVE_MAXIMUM_EXCEEDED: ReasonCode = ReasonCode(0x93);
    /// 0x94 Topic Alias invalid.
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    /// 0x95 Packet too large.
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);
    /// 0x96 Message rate too high.
    pub const MESSAGE_RATE_TOO_HIGH: ReasonCode = ReasonCode(0x96);
    /// 0x97 Quota exceeded.
    pub const QUOTA_EXCEEDED: ReasonCode = ReasonCode(0x97);
    /// 0x98 Administrative action.
    pub const ADMINISTRATIVE_ACTION: ReasonCode = ReasonCode(0x98);
    /// 0x99 Payload format invalid.
    pub const PAYLOAD_FORMAT_INVALID: ReasonCode = ReasonCode(0x99);
    /// 0x9A Retain not supported.
    pub const RETAIN_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9A);
    /// 0x9B QoS not supported.
    pub const QOS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9B);
    /// 0x9C Use another server.
    pub const USE_ANOTHER_SERVER: ReasonCode = ReasonCode(0x9C);
    /// 0x9D Server moved.
    pub const SERVER_MOVED: ReasonCode = ReasonCode(0x9D);
    /// 0x9E Shared Subscriptions not supported.
    pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9E);
    /// 0x9F Connection rate exceeded.
    pub const CONNECTION_RATE_EXCEEDED: ReasonCode = ReasonCode(0x9F);
    /// 0xA0 Maximum connect time.
    pub const MAXIMUM_CONNECT_TIME: ReasonCode = ReasonCode(0xA0);
    /// 0xA1 Subscription Identifiers not supported.
    pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA1);
    /// 0xA2 Wildcard Subscriptions not supported.
    pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA2);

    /// Whether the code reports a failure (0x80 and above).
    pub const fn is_error(self) -> bool {
        self.0 >= 0x80
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reason code {:#04x}", self.0)
    }
}
