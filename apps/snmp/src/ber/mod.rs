//! The subset of ASN.1 BER that SNMP uses (X.690, RFC 3416 section 3).
//!
//! - [`Reader`]: a bounded reader over `&[u8]`; every nested TLV is read
//!   through a sub-reader limited to its length, nesting depth is capped at
//!   [`MAX_DEPTH`], lengths are definite and at most four octets long.
//! - [`Writer`]: a forward writer into a caller buffer; the `*_len` helpers
//!   give exact encoded sizes so callers can check space before writing and
//!   place headers in front of content whose size is known.

mod reader;
mod writer;

pub use reader::{Reader, Tlv};
pub use writer::{Writer, integer_len, len_of_len, oid_len, tlv_len, unsigned_len};

use core::fmt;

/// Maximum nesting depth of constructed TLVs the reader accepts.
///
/// An SNMPv3 message nests at most six levels (message, scoped PDU, PDU,
/// varbind list, varbind, value); eight leaves room without allowing abuse.
pub const MAX_DEPTH: u8 = 8;

/// BER tag octets used by SNMP (single-octet tags only).
pub mod tag {
    /// UNIVERSAL 2: INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// UNIVERSAL 4: OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// UNIVERSAL 5: NULL.
    pub const NULL: u8 = 0x05;
    /// UNIVERSAL 6: OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// UNIVERSAL 16, constructed: SEQUENCE.
    pub const SEQUENCE: u8 = 0x30;
    /// APPLICATION 0: IpAddress.
    pub const IP_ADDRESS: u8 = 0x40;
    /// APPLICATION 1: Counter32.
    pub const COUNTER32: u8 = 0x41;
    /// APPLICATION 2: Gauge32 / Unsigned32.
    pub const GAUGE32: u8 = 0x42;
    /// APPLICATION 3: TimeTicks.
    pub const TIMETICKS: u8 = 0x43;
    /// APPLICATION 4: Opaque.
    pub const OPAQUE: u8 = 0x44;
    /// APPLICATION 6: Counter64.
    pub const COUNTER64: u8 = 0x46;
    /// CONTEXT 0, primitive: noSuchObject exception.
    pub const NO_SUCH_OBJECT: u8 = 0x80;
    /// CONTEXT 1, primitive: noSuchInstance exception.
    pub const NO_SUCH_INSTANCE: u8 = 0x81;
    /// CONTEXT 2, primitive: endOfMibView exception.
    pub const END_OF_MIB_VIEW: u8 = 0x82;
}

/// Why a BER encoding could not be read or written.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BerError {
    /// The input ended inside a tag, a length or a value.
    Truncated,
    /// A length field claims more octets than its enclosing TLV holds.
    LengthOverrun,
    /// Indefinite length (0x80) is not allowed in SNMP.
    IndefiniteLength,
    /// A long-form length with more than four octets.
    LengthTooLong,
    /// Multi-octet (high-tag-number) tags are not used by SNMP.
    UnsupportedTag,
    /// A different tag was expected here.
    UnexpectedTag {
        /// The tag that was expected.
        expected: u8,
        /// The tag that was found.
        found: u8,
    },
    /// Constructed TLVs nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An INTEGER that is empty or does not fit the expected range.
    BadInteger,
    /// A NULL or exception value with content.
    BadNull,
    /// An OBJECT IDENTIFIER that is empty, non-minimal, has a sub-identifier
    /// above 2^32-1 or more than [`crate::oid::MAX_OID_LEN`] sub-identifiers.
    BadOid,
    /// An IpAddress that is not four octets.
    BadIpAddress,
    /// Octets left over after the last expected element.
    TrailingData,
    /// The output buffer is too small.
    BufferTooSmall,
}

impl fmt::Display for BerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BerError::Truncated => f.write_str("BER input truncated"),
            BerError::LengthOverrun => f.write_str("BER length overruns its container"),
            BerError::IndefiniteLength => f.write_str("BER indefinite length not allowed"),
            BerError::LengthTooLong => f.write_str("BER length field longer than 4 octets"),
            BerError::UnsupportedTag => f.write_str("BER multi-octet tag not supported"),
            BerError::UnexpectedTag { expected, found } => {
                write!(
                    f,
                    "BER tag 0x{found:02x} where 0x{expected:02x} was expected"
                )
            }
            BerError::TooDeep => f.write_str("BER nesting too deep"),
            BerError::BadInteger => f.write_str("BER INTEGER malformed or out of range"),
            BerError::BadNull => f.write_str("BER NULL with content"),
            BerError::BadOid => f.write_str("BER OBJECT IDENTIFIER malformed or too long"),
            BerError::BadIpAddress => f.write_str("BER IpAddress not 4 octets"),
            BerError::TrailingData => f.write_str("BER trailing data"),
            BerError::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

impl core::error::Error for BerError {}

pub(crate) use reader::{
    decode_oid as reader_decode_oid, decode_signed as reader_decode_signed,
    decode_unsigned as reader_decode_unsigned,
};
