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
const fn allowed_in(id: u8) -> u16 {
    match id {
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
        _ => 0,
    }
}

// Value types of the properties (section 2.2.2.2).
/// A byte that must be 0 or 1.
const K_BOOL: u16 = 1;
/// Two-byte integer.
const K_U16: u16 = 2;
/// Two-byte integer, not 0.
const K_U16_NZ: u16 = 3;
/// Four-byte integer.
const K_U32: u16 = 4;
/// Four-byte integer, not 0.
const K_U32_NZ: u16 = 5;
/// Variable byte integer, not 0.
const K_VAR_NZ: u16 = 6;
/// UTF-8 string.
const K_STR: u16 = 7;
/// UTF-8 string that must be a valid topic name.
const K_TOPIC: u16 = 8;
/// Binary data.
const K_BIN: u16 = 9;
/// UTF-8 string pair.
const K_PAIR: u16 = 10;

const fn kind_of(id: u8) -> u16 {
    match id {
        0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => K_BOOL,
        0x02 | 0x11 | 0x18 => K_U32,
        0x27 => K_U32_NZ,
        0x13 | 0x22 => K_U16,
        0x21 | 0x23 => K_U16_NZ,
        0x0B => K_VAR_NZ,
        0x03 | 0x12 | 0x15 | 0x1A | 0x1C | 0x1F => K_STR,
        0x08 => K_TOPIC,
        0x09 | 0x16 => K_BIN,
        0x26 => K_PAIR,
        _ => 0,
    }
}

/// Highest property identifier.
const MAX_ID: usize = 0x2A;

/// Per identifier: value type << 11 | packets it is allowed in; 0 for an
/// unknown identifier.
const INFO: [u16; MAX_ID + 1] = {
    let mut t = [0u16; MAX_ID + 1];
    let mut i = 0;
    while i <= MAX_ID {
        let k = kind_of(i as u8);
        if k != 0 {
            t[i] = (k << 11) | allowed_in(i as u8);
        }
        i += 1;
    }
    t
};

/// One property read off the wire: identifier, its [`INFO`] entry and value
/// (an integer in `n`, binary data in `bin`, a string or pair in `s`/`s2`).
struct Raw<'a> {
    id: u8,
    info: u16,
    n: u32,
    bin: &'a [u8],
    s: &'a str,
    s2: &'a str,
}

impl<'a> Raw<'a> {
    /// Reads one property and checks its value range.
    fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let id_raw = r.varint()?;
        let id = u8::try_from(id_raw).map_err(|_| DecodeError::UnknownProperty { id: 0xFF })?;
        let info = INFO.get(usize::from(id)).copied().unwrap_or(0);
        let bad = DecodeError::BadProperty { id };
        let mut raw = Raw {
            id,
            info,
            n: 0,
            bin: &[],
            s: "",
            s2: "",
        };
        match info >> 11 {
            0 => return Err(DecodeError::UnknownProperty { id }),
            K_BOOL => {
                raw.n = u32::from(r.u8()?);
                if raw.n > 1 {
                    return Err(bad);
                }
            }
            K_U16 | K_U16_NZ => raw.n = u32::from(r.u16()?),
            K_U32 | K_U32_NZ => raw.n = r.u32()?,
            K_VAR_NZ => raw.n = r.varint()?,
            K_BIN => raw.bin = r.binary()?,
            k => {
                let s = r.utf8()?;
                raw.s = s;
                if k == K_PAIR {
                    raw.s2 = r.utf8()?;
                } else if k == K_TOPIC && !crate::topic::is_valid_topic_name(s) {
                    return Err(bad);
                }
            }
        }
        if matches!(info >> 11, K_U16_NZ | K_U32_NZ | K_VAR_NZ) && raw.n == 0 {
            return Err(bad);
        }
        Ok(raw)
    }

    /// The typed property.
    fn property(&self) -> Property<'a> {
        let n = self.n;
        // Narrowing casts: `read` took one or two bytes for these.
        let byte = n as u8;
        let short = n as u16;
        match self.id {
            0x01 => Property::PayloadFormatIndicator(byte),
            0x02 => Property::MessageExpiryInterval(n),
            0x03 => Property::ContentType(self.s),
            0x08 => Property::ResponseTopic(self.s),
            0x09 => Property::CorrelationData(self.bin),
            0x0B => Property::SubscriptionIdentifier(n),
            0x11 => Property::SessionExpiryInterval(n),
            0x12 => Property::AssignedClientIdentifier(self.s),
            0x13 => Property::ServerKeepAlive(short),
            0x15 => Property::AuthenticationMethod(self.s),
            0x16 => Property::AuthenticationData(self.bin),
            0x17 => Property::RequestProblemInformation(byte),
            0x18 => Property::WillDelayInterval(n),
            0x19 => Property::RequestResponseInformation(byte),
            0x1A => Property::ResponseInformation(self.s),
            0x1C => Property::ServerReference(self.s),
            0x1F => Property::ReasonString(self.s),
            0x21 => Property::ReceiveMaximum(short),
            0x22 => Property::TopicAliasMaximum(short),
            0x23 => Property::TopicAlias(short),
            0x24 => Property::MaximumQos(byte),
            0x25 => Property::RetainAvailable(byte),
            0x26 => Property::UserProperty(self.s, self.s2),
            0x27 => Property::MaximumPacketSize(n),
            0x28 => Property::WildcardSubscriptionAvailable(byte),
            0x29 => Property::SubscriptionIdentifierAvailable(byte),
            // `read` accepts only the identifiers above.
            _ => Property::SharedSubscriptionAvailable(byte),
        }
    }
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
        Raw::read(r).map(|raw| raw.property())
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
            let p = Raw::read(&mut r)?;
            let id = p.id;
            if p.info & ctx.bit() == 0 {
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
        self.raw(id).map(|p| p.property())
    }

    /// The first property with identifier `id`, untyped.
    fn raw(&self, id: u8) -> Option<Raw<'a>> {
        let mut r = Reader::new(self.raw);
        // Each iteration consumes at least one byte: bounded.
        while !r.is_empty() {
            match Raw::read(&mut r) {
                Ok(p) if p.id == id => return Some(p),
                Ok(_) => {}
                // Lists are validated on construction.
                Err(_) => return None,
            }
        }
        None
    }

    /// Calls `f` with the identifier and integer value (0 for a string or
    /// binary one) of every property, in wire order.
    pub(crate) fn each_int(&self, mut f: impl FnMut(u8, u32)) {
        let mut r = Reader::new(self.raw);
        // Each iteration consumes at least one byte: bounded.
        while let Ok(p) = Raw::read(&mut r) {
            f(p.id, p.n);
        }
    }

    /// The integer value of property `id` (a two-byte one for `u16`).
    fn int(&self, id: u8) -> Option<u32> {
        self.raw(id).map(|p| p.n)
    }

    fn short(&self, id: u8) -> Option<u16> {
        // Two-byte properties: `n` holds a u16.
        self.int(id).map(|n| n as u16)
    }

    /// Topic Alias (0x23), if present.
    pub fn topic_alias(&self) -> Option<u16> {
        self.short(0x23)
    }

    /// Receive Maximum (0x21), if present.
    pub fn receive_maximum(&self) -> Option<u16> {
        self.short(0x21)
    }

    /// Topic Alias Maximum (0x22), if present.
    pub fn topic_alias_maximum(&self) -> Option<u16> {
        self.short(0x22)
    }

    /// Maximum Packet Size (0x27), if present.
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.int(0x27)
    }

    /// Server Keep Alive (0x13), if present.
    pub fn server_keep_alive(&self) -> Option<u16> {
        self.short(0x13)
    }

    /// Maximum QoS (0x24), if present.
    pub fn maximum_qos(&self) -> Option<u8> {
        self.int(0x24).map(|n| n as u8)
    }

    /// Retain Available (0x25), if present.
    pub fn retain_available(&self) -> Option<bool> {
        self.int(0x25).map(|n| n == 1)
    }

    /// Reason String (0x1F), if present.
    pub fn reason_string(&self) -> Option<&'a str> {
        self.raw(0x1F).map(|p| p.s)
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

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Property<'static>; 27] = [
        Property::PayloadFormatIndicator(1),
        Property::MessageExpiryInterval(0x0102_0304),
        Property::ContentType("text/plain"),
        Property::ResponseTopic("a/b"),
        Property::CorrelationData(b"\x00\x01"),
        Property::SubscriptionIdentifier(268_435_455),
        Property::SessionExpiryInterval(u32::MAX),
        Property::AssignedClientIdentifier("id"),
        Property::ServerKeepAlive(0),
        Property::AuthenticationMethod("SCRAM"),
        Property::AuthenticationData(b"xyz"),
        Property::RequestProblemInformation(0),
        Property::WillDelayInterval(7),
        Property::RequestResponseInformation(1),
        Property::ResponseInformation("r"),
        Property::ServerReference("s"),
        Property::ReasonString("why"),
        Property::ReceiveMaximum(65_535),
        Property::TopicAliasMaximum(0),
        Property::TopicAlias(3),
        Property::MaximumQos(1),
        Property::RetainAvailable(0),
        Property::UserProperty("k", "v"),
        Property::MaximumPacketSize(1),
        Property::WildcardSubscriptionAvailable(1),
        Property::SubscriptionIdentifierAvailable(0),
        Property::SharedSubscriptionAvailable(1),
    ];

    #[test]
    fn every_property_round_trips_through_the_table() {
        for p in ALL {
            let mut buf = [0u8; 32];
            let mut w = Writer::new(&mut buf);
            p.write(&mut w).unwrap();
            let n = w.finish().unwrap();
            let mut r = Reader::new(&buf[..n]);
            assert_eq!(Property::read(&mut r), Ok(p));
            assert!(r.is_empty());
            let list = Properties { raw: &buf[..n] };
            assert_eq!(list.find(p.id()), Some(p));
            assert_eq!(list.iter().count(), 1);
        }
    }

    #[test]
    fn value_ranges_from_the_table() {
        let bad = |bytes: &[u8]| {
            let id = bytes[0];
            assert_eq!(
                Property::read(&mut Reader::new(bytes)),
                Err(DecodeError::BadProperty { id }),
                "{bytes:02x?}"
            );
        };
        for id in [0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A] {
            bad(&[id, 2]);
        }
        bad(&[0x21, 0, 0]);
        bad(&[0x23, 0, 0]);
        bad(&[0x0B, 0]);
        bad(&[0x27, 0, 0, 0, 0]);
        bad(&[0x08, 0, 1, b'#']);
        for id in [0x00, 0x04, 0x0A, 0x0C, 0x14, 0x1B, 0x1D, 0x20, 0x2B, 0x7F] {
            assert_eq!(
                Property::read(&mut Reader::new(&[id, 0, 0, 0, 0])),
                Err(DecodeError::UnknownProperty { id })
            );
        }
        // Two-byte and four-byte zero values that are allowed.
        for bytes in [&[0x13u8, 0, 0][..], &[0x22, 0, 0], &[0x02, 0, 0, 0, 0]] {
            assert!(Property::read(&mut Reader::new(bytes)).is_ok());
        }
    }
}
