//! MQTT 5 properties (section 2.2.2): validation per packet, a zero-copy
//! iterator, and a builder that writes into a caller buffer.

use super::error::{DecodeError, EncodeError};
use super::wire::{Reader, Writer};

/// Where a property list sits; decides which identifiers are allowed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PropertyContext {
    /// CONNECT variable header.
    Connect,
    /// The will properties in the CONNECT payload.
    Will,
    /// CONNACK.
    ConnAck,
    /// PUBLISH.
    Publish,
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    PubResponse,
    /// SUBSCRIBE.
    Subscribe,
    /// SUBACK.
    SubAck,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// UNSUBACK.
    UnsubAck,
    /// DISCONNECT.
    Disconnect,
    /// AUTH.
    Auth,
}

/// One MQTT 5 property, its value borrowed from the packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Property<'a> {
    /// 0x01: payload is UTF-8 (1) or unspecified bytes (0).
    PayloadFormatIndicator(u8),
    /// 0x02: lifetime of the message in seconds.
    MessageExpiryInterval(u32),
    /// 0x03: MIME type of the payload.
    ContentType(&'a str),
    /// 0x08: topic for a response message.
    ResponseTopic(&'a str),
    /// 0x09: correlation data for request/response.
    CorrelationData(&'a [u8]),
    /// 0x0B: subscription identifier (1..=268 435 455).
    SubscriptionIdentifier(u32),
    /// 0x11: session expiry interval in seconds.
    SessionExpiryInterval(u32),
    /// 0x12: client identifier assigned by the server.
    AssignedClientIdentifier(&'a str),
    /// 0x13: keep alive the server requires, in seconds.
    ServerKeepAlive(u16),
    /// 0x15: authentication method.
    AuthenticationMethod(&'a str),
    /// 0x16: authentication data.
    AuthenticationData(&'a [u8]),
    /// 0x17: request problem information (0/1).
    RequestProblemInformation(u8),
    /// 0x18: will delay interval in seconds.
    WillDelayInterval(u32),
    /// 0x19: request response information (0/1).
    RequestResponseInformation(u8),
    /// 0x1A: response information.
    ResponseInformation(&'a str),
    /// 0x1C: another server to use.
    ServerReference(&'a str),
    /// 0x1F: human-readable reason.
    ReasonString(&'a str),
    /// 0x21: how many QoS 1/2 PUBLISHes the sender accepts at once (non-zero).
    ReceiveMaximum(u16),
    /// 0x22: highest topic alias the sender accepts.
    TopicAliasMaximum(u16),
    /// 0x23: topic alias (non-zero).
    TopicAlias(u16),
    /// 0x24: maximum QoS the server supports (0/1).
    MaximumQos(u8),
    /// 0x25: retain supported (0/1).
    RetainAvailable(u8),
    /// 0x26: user property (name, value); may repeat.
    UserProperty(&'a str, &'a str),
    /// 0x27: largest packet the sender accepts (non-zero).
    MaximumPacketSize(u32),
    /// 0x28: wildcard subscriptions available (0/1).
    WildcardSubscriptionAvailable(u8),
    /// 0x29: subscription identifiers available (0/1).
    SubscriptionIdentifierAvailable(u8),
    /// 0x2A: shared subscriptions available (0/1).
    SharedSubscriptionAvailable(u8),
}

const P_PUBLISH: u16 = 1 << 0;
const P_WILL: u16 = 1 << 1;
const P_CONNECT: u16 = 1 << 2;
const P_CONNACK: u16 = 1 << 3;
const P_PUBRESP: u16 = 1 << 4;
const P_SUBSCRIBE: u16 = 1 << 5;
const P_SUBACK: u16 = 1 << 6;
const P_UNSUBSCRIBE: u16 = 1 << 7;
const P_UNSUBACK: u16 = 1 << 8;
const P_DISCONNECT: u16 = 1 << 9;
const P_AUTH: u16 = 1 << 10;
const P_ALL: u16 = 0x7FF;

impl PropertyContext {
    const fn bit(self) -> u16 {
        match self {
            PropertyContext::Connect => P_CONNECT,
            PropertyContext::Will => P_WILL,
            PropertyContext::ConnAck => P_CONNACK,
            PropertyContext::Publish => P_PUBLISH,
            PropertyContext::PubResponse => P_PUBRESP,
            PropertyContext::Subscribe => P_SUBSCRIBE,
            PropertyContext::SubAck => P_SUBACK,
            PropertyContext::Unsubscribe => P_UNSUBSCRIBE,
            PropertyContext::UnsubAck => P_UNSUBACK,
            PropertyContext::Disconnect => P_DISCONNECT,
            PropertyContext::Auth => P_AUTH,
        }
    }
}

/// Where a property identifier may appear (section 2.2.2.2, table 2-4).
const fn allowed_in(id: u8) -> Option<u16> {
    Some(match id {
        0x01..=0x03 | 0x08 | 0x09 => P_PUBLISH | P_WILL,
        0x0B => P_PUBLISH | P_SUBSCRIBE,
        0x11 => P_CONNECT | P_CONNACK | P_DISCONNECT,
        0x12 | 0x13 | 0x1A | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => P_CONNACK,
        0x15 | 0x16 => P_CONNECT | P_CONNACK | P_AUTH,
        0x17 | 0x19 => P_CONNECT,
        0x18 => P_WILL,
        0x1C => P_CONNACK | P_DISCONNECT,
        0x1F => P_CONNACK | P_PUBRESP | P_SUBACK | P_UNSUBACK | P_DISCONNECT | P_AUTH,
        0x21 | 0x22 | 0x27 => P_CONNECT | P_CONNACK,
        0x23 => P_PUBLISH,
        0x26 => P_ALL,
        _ => return None,
    })
}

impl<'a> Property<'a> {
    /// The property identifier.
    pub const fn id(&self) -> u8 {
        match self {
            Property::PayloadFormatIndicator(_) => 0x01,
            Property::MessageExpiryInterval(_) => 0x02,
            Property::ContentType(_) => 0x03,
            Property::ResponseTopic(_) => 0x08,
            Property::CorrelationData(_) => 0x09,
            Property::SubscriptionIdentifier(_) => 0x0B,
            Property::SessionExpiryInterval(_) => 0x11,
            Property::AssignedClientIdentifier(_) => 0x12,
            Property::ServerKeepAlive(_) => 0x13,
            Property::AuthenticationMethod(_) => 0x15,
            Property::AuthenticationData(_) => 0x16,
            Property::RequestProblemInformation(_) => 0x17,
            Property::WillDelayInterval(_) => 0x18,
            Property::RequestResponseInformation(_) => 0x19,
            Property::ResponseInformation(_) => 0x1A,
            Property::ServerReference(_) => 0x1C,
            Property::ReasonString(_) => 0x1F,
            Property::ReceiveMaximum(_) => 0x21,
            Property::TopicAliasMaximum(_) => 0x22,
            Property::TopicAlias(_) => 0x23,
            Property::MaximumQos(_) => 0x24,
            Property::RetainAvailable(_) => 0x25,
            Property::UserProperty(..) => 0x26,
            Property::MaximumPacketSize(_) => 0x27,
            Property::WildcardSubscriptionAvailable(_) => 0x28,
            Property::SubscriptionIdentifierAvailable(_) => 0x29,
            Property::SharedSubscriptionAvailable(_) => 0x2A,
        }
    }

    /// Reads one property (identifier and value) and checks its value range.
    fn read(r: &mut Reader<'a>) -> Result<Property<'a>, DecodeError> {
        let id_raw = r.varint()?;
        let id = u8::try_from(id_raw).map_err(|_| DecodeError::UnknownProperty { id: 0xFF })?;
        let bool_byte = |r: &mut Reader<'a>| -> Result<u8, DecodeError> {
            let v = r.u8()?;
            if v > 1 {
                return Err(DecodeError::BadProperty { id });
            }
            Ok(v)
        };
        let nonzero16 = |r: &mut Reader<'a>| -> Result<u16, DecodeError> {
            let v = r.u16()?;
            if v == 0 {
                return Err(DecodeError::BadProperty { id });
            }
            Ok(v)
        };
        Ok(match id {
            0x01 => Property::PayloadFormatIndicator(bool_byte(r)?),
            0x02 => Property::MessageExpiryInterval(r.u32()?),
            0x03 => Property::ContentType(r.utf8()?),
            0x08 => {
                let t = r.utf8()?;
                if !crate::topic::is_valid_topic_name(t) {
                    return Err(DecodeError::BadProperty { id });
                }
                Property::ResponseTopic(t)
            }
            0x09 => Property::CorrelationData(r.binary()?),
            0x0B => {
                let v = r.varint()?;
                if v == 0 {
                    return Err(DecodeError::BadProperty { id });
                }
                Property::SubscriptionIdentifier(v)
            }
            0x11 => Property::SessionExpiryInterval(r.u32()?),
            0x12 => Property::AssignedClientIdentifier(r.utf8()?),
            0x13 => Property::ServerKeepAlive(r.u16()?),
            0x15 => Property::AuthenticationMethod(r.utf8()?),
            0x16 => Property::AuthenticationData(r.binary()?),
            0x17 => Property::RequestProblemInformation(bool_byte(r)?),
            0x18 => Property::WillDelayInterval(r.u32()?),
            0x19 => Property::RequestResponseInformation(bool_byte(r)?),
            0x1A => Property::ResponseInformation(r.utf8()?),
            0x1C => Property::ServerReference(r.utf8()?),
            0x1F => Property::ReasonString(r.utf8()?),
            0x21 => Property::ReceiveMaximum(nonzero16(r)?),
            0x22 => Property::TopicAliasMaximum(r.u16()?),
            0x23 => Property::TopicAlias(nonzero16(r)?),
            0x24 => Property::MaximumQos(bool_byte(r)?),
            0x25 => Property::RetainAvailable(bool_byte(r)?),
            0x26 => {
                let k = r.utf8()?;
                let v = r.utf8()?;
                Property::UserProperty(k, v)
            }
            0x27 => {
                let v = r.u32()?;
                if v == 0 {
                    return Err(DecodeError::BadProperty { id });
                }
                Property::MaximumPacketSize(v)
            }
            0x28 => Property::WildcardSubscriptionAvailable(bool_byte(r)?),
            0x29 => Property::SubscriptionIdentifierAvailable(bool_byte(r)?),
            0x2A => Property::SharedSubscriptionAvailable(bool_byte(r)?),
            other => return Err(DecodeError::UnknownProperty { id: other }),
        })
    }

    /// Writes identifier and value.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.varint(u32::from(self.id()))?;
        match *self {
            Property::PayloadFormatIndicator(v)
            | Property::RequestProblemInformation(v)
            | Property::RequestResponseInformation(v)
            | Property::MaximumQos(v)
            | Property::RetainAvailable(v)
            | Property::WildcardSubscriptionAvailable(v)
            | Property::SubscriptionIdentifierAvailable(v)
            | Property::SharedSubscriptionAvailable(v) => w.u8(v),
            Property::MessageExpiryInterval(v)
            | Property::SessionExpiryInterval(v)
            | Property::WillDelayInterval(v)
            | Property::MaximumPacketSize(v) => w.u32(v),
            Property::ServerKeepAlive(v)
            | Property::ReceiveMaximum(v)
            | Property::TopicAliasMaximum(v)
            | Property::TopicAlias(v) => w.u16(v),
            Property::SubscriptionIdentifier(v) => w.varint(v)?,
            Property::ContentType(s)
            | Property::ResponseTopic(s)
            | Property::AssignedClientIdentifier(s)
            | Property::AuthenticationMethod(s)
            | Property::ResponseInformation(s)
            | Property::ServerReference(s)
            | Property::ReasonString(s) => w.utf8(s)?,
            Property::CorrelationData(b) | Property::AuthenticationData(b) => w.binary(b)?,
            Property::UserProperty(k, v) => {
                w.utf8(k)?;
                w.utf8(v)?;
            }
        }
        Ok(())
    }
}

/// A validated property list borrowed from a packet (or built with
/// [`PropertiesBuilder`]). Iterating allocates nothing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Properties<'a> {
    raw: &'a [u8],
}

impl<'a> Properties<'a> {
    /// No properties.
    pub const EMPTY: Properties<'static> = Properties { raw: &[] };

    /// Validates `raw` (the property bytes after the length) for `ctx`:
    /// known identifiers, allowed in `ctx`, not duplicated unless the spec
    /// allows it, values of the right type and range.
    pub fn parse(raw: &'a [u8], ctx: PropertyContext) -> Result<Self, DecodeError> {
        let mut r = Reader::new(raw);
        let mut seen: u64 = 0;
        // Each iteration consumes at least one byte, so the loop is bounded.
        while !r.is_empty() {
            let p = Property::read(&mut r)?;
            let id = p.id();
            let allowed = allowed_in(id).ok_or(DecodeError::UnknownProperty { id })?;
            if allowed & ctx.bit() == 0 {
                return Err(DecodeError::PropertyNotAllowed { id });
            }
            let repeatable = id == 0x26 || (id == 0x0B && ctx == PropertyContext::Publish);
            let bit = 1u64 << (id & 0x3F);
            if !repeatable && seen & bit != 0 {
                return Err(DecodeError::DuplicateProperty { id });
            }
            seen |= bit;
        }
        Ok(Properties { raw })
    }

    /// Reads the length-prefixed property block of a packet.
    pub(crate) fn read(r: &mut Reader<'a>, ctx: PropertyContext) -> Result<Self, DecodeError> {
        let len = r.varint()?;
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
        let raw = r.take(len)?;
        Properties::parse(raw, ctx)
    }

    /// Writes the length prefix and the properties.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let len = u32::try_from(self.raw.len()).map_err(|_| EncodeError::PacketTooLarge)?;
        w.varint(len)?;
        w.bytes(self.raw);
        Ok(())
    }

    /// The encoded property bytes (without the length prefix).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// Whether the list is empty.
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Iterates over the properties in wire order.
    pub fn iter(&self) -> PropertyIter<'a> {
        PropertyIter {
            r: Reader::new(self.raw),
        }
    }

    /// The first property with identifier `id`.
    pub fn find(&self, id: u8) -> Option<Property<'a>> {
        self.iter().find(|p| p.id() == id)
    }

    /// Topic Alias (0x23), if present.
    pub fn topic_alias(&self) -> Option<u16> {
        match self.find(0x23) {
            Some(Property::TopicAlias(v)) => Some(v),
            _ => None,
        }
    }

    /// Receive Maximum (0x21), if present.
    pub fn receive_maximum(&self) -> Option<u16> {
        match self.find(0x21) {
            Some(Property::ReceiveMaximum(v)) => Some(v),
            _ => None,
        }
    }

    /// Topic Alias Maximum (0x22), if present.
    pub fn topic_alias_maximum(&self) -> Option<u16> {
        match self.find(0x22) {
            Some(Property::TopicAliasMaximum(v)) => Some(v),
            _ => None,
        }
    }

    /// Maximum Packet Size (0x27), if present.
    pub fn maximum_packet_size(&self) -> Option<u32> {
        match self.find(0x27) {
            Some(Property::MaximumPacketSize(v)) => Some(v),
            _ => None,
        }
    }

    /// Server Keep Alive (0x13), if present.
    pub fn server_keep_alive(&self) -> Option<u16> {
        match self.find(0x13) {
            Some(Property::ServerKeepAlive(v)) => Some(v),
            _ => None,
        }
    }

    /// Maximum QoS (0x24), if present.
    pub fn maximum_qos(&self) -> Option<u8> {
        match self.find(0x24) {
            Some(Property::MaximumQos(v)) => Some(v),
            _ => None,
        }
    }

    /// Retain Available (0x25), if present.
    pub fn retain_available(&self) -> Option<bool> {
        match self.find(0x25) {
            Some(Property::RetainAvailable(v)) => Some(v == 1),
            _ => None,
        }
    }

    /// Reason String (0x1F), if present.
    pub fn reason_string(&self) -> Option<&'a str> {
        match self.find(0x1F) {
            Some(Property::ReasonString(v)) => Some(v),
            _ => None,
        }
    }
}

impl<'a> IntoIterator for Properties<'a> {
    type Item = Property<'a>;
    type IntoIter = PropertyIter<'a>;
    fn into_iter(self) -> PropertyIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`Properties`] list.
#[derive(Clone, Debug)]
pub struct PropertyIter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for PropertyIter<'a> {
    type Item = Property<'a>;
    fn next(&mut self) -> Option<Property<'a>> {
        if self.r.is_empty() {
            return None;
        }
        match Property::read(&mut self.r) {
            Ok(p) => Some(p),
            Err(_) => {
                // Lists are validated on construction; stop rather than loop.
                self.r.rest();
                None
            }
        }
    }
}

/// Builds a property list in a caller-provided buffer.
///
/// ```
/// use petrel_mqtt::codec::{Property, PropertiesBuilder};
/// let mut buf = [0u8; 32];
/// let mut b = PropertiesBuilder::new(&mut buf);
/// b.push(Property::MessageExpiryInterval(60)).unwrap();
/// b.push(Property::UserProperty("k", "v")).unwrap();
/// let props = b.finish();
/// assert_eq!(props.iter().count(), 2);
/// ```
pub struct PropertiesBuilder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> PropertiesBuilder<'b> {
    /// A builder writing into `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        PropertiesBuilder { buf, len: 0 }
    }

    /// Appends one property; on [`EncodeError::BufferTooSmall`] nothing is added.
    pub fn push(&mut self, p: Property<'_>) -> Result<(), EncodeError> {
        let rest = self.buf.get_mut(self.len..).unwrap_or_default();
        let mut w = Writer::new(rest);
        p.write(&mut w)?;
        let n = w.len();
        let avail = self.buf.len().saturating_sub(self.len);
        if n > avail {
            return Err(EncodeError::BufferTooSmall {
                needed: self.len.saturating_add(n),
            });
        }
        self.len += n;
        Ok(())
    }

    /// The finished list, borrowing the buffer.
    pub fn finish(self) -> Properties<'b> {
        let len = self.len;
        Properties {
            raw: self.buf.get(..len).unwrap_or_default(),
        }
    }
}
