//! SNMP values (the `ObjectSyntax` CHOICE of RFC 3416 plus the exceptions).

use crate::ber::{self, BerError, Tlv, Writer, tag, tlv_len};
use crate::oid::Oid;

/// A value in a variable binding. Strings borrow from the request or from
/// the MIB.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub enum Value<'a> {
    /// INTEGER / Integer32.
    Integer(i32),
    /// OCTET STRING.
    OctetString(&'a [u8]),
    /// NULL (the value in requests).
    Null,
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress (network order).
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks (hundredths of a second).
    TimeTicks(u32),
    /// Opaque (BER-wrapped arbitrary data).
    Opaque(&'a [u8]),
    /// Counter64 (not representable in SNMPv1).
    Counter64(u64),
    /// Exception: no such object (v2c/v3 only).
    NoSuchObject,
    /// Exception: no such instance (v2c/v3 only).
    NoSuchInstance,
    /// Exception: end of MIB view (v2c/v3 only).
    EndOfMibView,
}

/// The type of a [`Value`], for MIB type checks in `test_set`.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// INTEGER.
    Integer,
    /// OCTET STRING.
    OctetString,
    /// NULL.
    Null,
    /// OBJECT IDENTIFIER.
    ObjectId,
    /// IpAddress.
    IpAddress,
    /// Counter32.
    Counter32,
    /// Gauge32 / Unsigned32.
    Gauge32,
    /// TimeTicks.
    TimeTicks,
    /// Opaque.
    Opaque,
    /// Counter64.
    Counter64,
    /// One of the three exceptions.
    Exception,
}

impl<'a> Value<'a> {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Integer(_) => ValueType::Integer,
            Value::OctetString(_) => ValueType::OctetString,
            Value::Null => ValueType::Null,
            Value::ObjectId(_) => ValueType::ObjectId,
            Value::IpAddress(_) => ValueType::IpAddress,
            Value::Counter32(_) => ValueType::Counter32,
            Value::Gauge32(_) => ValueType::Gauge32,
            Value::TimeTicks(_) => ValueType::TimeTicks,
            Value::Opaque(_) => ValueType::Opaque,
            Value::Counter64(_) => ValueType::Counter64,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
                ValueType::Exception
            }
        }
    }

    /// Whether this is noSuchObject, noSuchInstance or endOfMibView.
    pub fn is_exception(&self) -> bool {
        self.value_type() == ValueType::Exception
    }

    /// Decodes a value TLV.
    pub fn decode(tlv: &Tlv<'a>) -> Result<Value<'a>, BerError> {
        let v = tlv.value;
        Ok(match tlv.tag {
            tag::INTEGER => Value::Integer(
                i32::try_from(ber::reader_decode_signed(v)?).map_err(|_| BerError::BadInteger)?,
            ),
            tag::OCTET_STRING => Value::OctetString(v),
            tag::NULL => empty(v, Value::Null)?,
            tag::OID => Value::ObjectId(ber::reader_decode_oid(v)?),
            tag::IP_ADDRESS => {
                Value::IpAddress(<[u8; 4]>::try_from(v).map_err(|_| BerError::BadIpAddress)?)
            }
            tag::COUNTER32 => Value::Counter32(u32_of(v)?),
            tag::GAUGE32 => Value::Gauge32(u32_of(v)?),
            tag::TIMETICKS => Value::TimeTicks(u32_of(v)?),
            tag::OPAQUE => Value::Opaque(v),
            tag::COUNTER64 => Value::Counter64(ber::reader_decode_unsigned(v, 64)?),
            tag::NO_SUCH_OBJECT => empty(v, Value::NoSuchObject)?,
            tag::NO_SUCH_INSTANCE => empty(v, Value::NoSuchInstance)?,
            tag::END_OF_MIB_VIEW => empty(v, Value::EndOfMibView)?,
            _ => return Err(BerError::UnsupportedTag),
        })
    }

    /// The tag this value is encoded with.
    pub fn tag(&self) -> u8 {
        match self {
            Value::Integer(_) => tag::INTEGER,
            Value::OctetString(_) => tag::OCTET_STRING,
            Value::Null => tag::NULL,
            Value::ObjectId(_) => tag::OID,
            Value::IpAddress(_) => tag::IP_ADDRESS,
            Value::Counter32(_) => tag::COUNTER32,
            Value::Gauge32(_) => tag::GAUGE32,
            Value::TimeTicks(_) => tag::TIMETICKS,
            Value::Opaque(_) => tag::OPAQUE,
            Value::Counter64(_) => tag::COUNTER64,
            Value::NoSuchObject => tag::NO_SUCH_OBJECT,
            Value::NoSuchInstance => tag::NO_SUCH_INSTANCE,
            Value::EndOfMibView => tag::END_OF_MIB_VIEW,
        }
    }

    /// Octets of the value's content (without tag and length).
    pub fn content_len(&self) -> usize {
        match self {
            Value::Integer(i) => ber::integer_len(i64::from(*i)),
            Value::OctetString(s) | Value::Opaque(s) => s.len(),
            Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => 0,
            Value::ObjectId(o) => ber::oid_len(o),
            Value::IpAddress(_) => 4,
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => {
                ber::unsigned_len(u64::from(*v))
            }
            Value::Counter64(v) => ber::unsigned_len(*v),
        }
    }

    /// Total encoded size (tag, length and content).
    pub fn encoded_len(&self) -> usize {
        tlv_len(self.content_len())
    }

    /// Encodes the value.
    pub fn encode(&self, w: &mut Writer<'_>) -> Result<(), BerError> {
        let t = self.tag();
        match self {
            Value::Integer(i) => w.signed(t, i64::from(*i)),
            Value::OctetString(s) | Value::Opaque(s) => w.tlv(t, s),
            Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
                w.header(t, 0)
            }
            Value::ObjectId(o) => w.oid(t, o),
            Value::IpAddress(a) => w.tlv(t, a),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => {
                w.unsigned(t, u64::from(*v))
            }
            Value::Counter64(v) => w.unsigned(t, *v),
        }
    }
}

fn empty<'a>(v: &[u8], value: Value<'a>) -> Result<Value<'a>, BerError> {
    if v.is_empty() {
        Ok(value)
    } else {
        Err(BerError::BadNull)
    }
}

fn u32_of(v: &[u8]) -> Result<u32, BerError> {
    let x = ber::reader_decode_unsigned(v, 32)?;
    u32::try_from(x).map_err(|_| BerError::BadInteger)
}

/// A variable binding: an object name and its value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VarBind<'a> {
    /// The object instance.
    pub name: Oid,
    /// Its value.
    pub value: Value<'a>,
}

impl VarBind<'_> {
    /// Content octets of the varbind SEQUENCE.
    pub fn content_len(&self) -> usize {
        tlv_len(ber::oid_len(&self.name)) + self.value.encoded_len()
    }

    /// Total encoded size of the varbind.
    pub fn encoded_len(&self) -> usize {
        tlv_len(self.content_len())
    }

    /// Encodes the varbind SEQUENCE.
    pub fn encode(&self, w: &mut Writer<'_>) -> Result<(), BerError> {
        w.header(tag::SEQUENCE, self.content_len())?;
        w.oid(tag::OID, &self.name)?;
        self.value.encode(w)
    }
}
