//! Run-time support for MIB modules compiled by `petrel-mibc` (the MIB
//! compiler in `mibs/compiler`).
//!
//! The compiler turns an SMIv2 module into Rust: a static, sorted [`Node`]
//! table, typed handler traits (one per group of scalars, one per table),
//! Rust enums for enumerated INTEGERs, and an implementation of
//! [`Dispatch`] that converts between SNMP [`Value`]s and those types.
//! [`CompiledMib`] turns any [`Dispatch`] into an agent
//! [`Mib`](crate::agent::Mib): it walks the
//! node table for Get/GetNext, and checks every Set against the node's
//! syntax, access, enumeration, range and size **before** a handler sees it
//! (wrongType, wrongLength, wrongValue, notWritable, noCreation), then runs
//! the typed setters with undo.
//!
//! Generated code refers to this module as `::petrel_snmp::compiled`; boards
//! never call most of it directly.
//!
//! ```
//! use petrel_snmp::compiled::{check_value, MaxAccess, Node, NodeKind, Syntax};
//! use petrel_snmp::pdu::ErrorStatus;
//! use petrel_snmp::Value;
//! // What petrel-mibc emits for `petrelLed` (INTEGER { off(1), on(2), blink(3) }).
//! let led = Node {
//!     enums: &[(1, "off"), (2, "on"), (3, "blink")],
//!     ..Node::new(&[1, 3, 6, 1, 4, 1, 32473, 1, 1, 2], "petrelLed", NodeKind::Scalar)
//!         .typed(Syntax::Integer32, MaxAccess::ReadWrite)
//! };
//! assert_eq!(check_value(&led, &Value::Integer(2)), Ok(()));
//! assert_eq!(check_value(&led, &Value::Integer(7)), Err(ErrorStatus::WrongValue));
//! assert_eq!(check_value(&led, &Value::OctetString(b"on")), Err(ErrorStatus::WrongType));
//! ```

mod engine;
mod index;

pub use engine::{CompiledMib, Dispatch, OwnedValue};
pub use index::{ImpliedString, IndexString, IndexValue, MAX_ROW_SCAN, find_row, next_row};

/// Re-exported for generated code (strings are `heapless::Vec`s).
pub use heapless;

use core::fmt;

use crate::oid::Oid;
use crate::pdu::ErrorStatus;
use crate::value::{Value, ValueType};

/// Longest OCTET STRING a compiled object may hold when its SIZE does not
/// say (values are copied through the agent's scratch buffer).
pub const MAX_STRING_LEN: usize = 255;

/// The SMI base syntax of an object.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// Not an object with a value (a plain OID node, a table, a row).
    None,
    /// INTEGER / Integer32 (enumerations too).
    Integer32,
    /// Unsigned32.
    Unsigned32,
    /// Gauge32.
    Gauge32,
    /// Counter32.
    Counter32,
    /// Counter64.
    Counter64,
    /// TimeTicks.
    TimeTicks,
    /// IpAddress.
    IpAddress,
    /// OCTET STRING.
    OctetString,
    /// OBJECT IDENTIFIER.
    ObjectIdentifier,
    /// BITS (sent as an OCTET STRING).
    Bits,
    /// Opaque.
    Opaque,
}

impl Syntax {
    /// The SNMP value type objects of this syntax carry on the wire.
    pub fn value_type(self) -> Option<ValueType> {
        Some(match self {
            Syntax::None => return None,
            Syntax::Integer32 => ValueType::Integer,
            Syntax::Unsigned32 | Syntax::Gauge32 => ValueType::Gauge32,
            Syntax::Counter32 => ValueType::Counter32,
            Syntax::Counter64 => ValueType::Counter64,
            Syntax::TimeTicks => ValueType::TimeTicks,
            Syntax::IpAddress => ValueType::IpAddress,
            Syntax::OctetString | Syntax::Bits => ValueType::OctetString,
            Syntax::ObjectIdentifier => ValueType::ObjectId,
            Syntax::Opaque => ValueType::Opaque,
        })
    }

    /// An unsigned 32-bit value of this syntax (Gauge32 for Unsigned32).
    pub fn unsigned(self, v: u32) -> Value<'static> {
        match self {
            Syntax::Counter32 => Value::Counter32(v),
            Syntax::TimeTicks => Value::TimeTicks(v),
            _ => Value::Gauge32(v),
        }
    }
}

/// MAX-ACCESS.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MaxAccess {
    /// not-accessible (also: nodes without MAX-ACCESS).
    NotAccessible,
    /// accessible-for-notify.
    AccessibleForNotify,
    /// read-only.
    ReadOnly,
    /// read-write.
    ReadWrite,
    /// read-create.
    ReadCreate,
}

impl MaxAccess {
    /// Whether Get and GetNext see the object.
    pub fn readable(self) -> bool {
        matches!(
            self,
            MaxAccess::ReadOnly | MaxAccess::ReadWrite | MaxAccess::ReadCreate
        )
    }

    /// Whether Set may change the object.
    pub fn writable(self) -> bool {
        matches!(self, MaxAccess::ReadWrite | MaxAccess::ReadCreate)
    }
}

/// What a node is.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// An OBJECT IDENTIFIER assignment or MODULE-IDENTITY / OBJECT-IDENTITY.
    Node,
    /// A scalar OBJECT-TYPE; its one instance is `oid.0`.
    Scalar,
    /// A table (`SEQUENCE OF`).
    Table,
    /// A conceptual row (the table's entry, with the INDEX).
    Row,
    /// A columnar OBJECT-TYPE; instances are `oid.<index>`.
    Column,
    /// A NOTIFICATION-TYPE.
    Notification,
    /// An OBJECT-GROUP or NOTIFICATION-GROUP.
    Group,
    /// A MODULE-COMPLIANCE or AGENT-CAPABILITIES.
    Compliance,
}

/// One component of a row's INDEX.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IndexPart {
    /// The index object.
    pub name: &'static str,
    /// Its syntax.
    pub syntax: Syntax,
    /// Fixed length in octets (fixed-size strings), if any.
    pub fixed_len: Option<u32>,
    /// IMPLIED (no length prefix; only on the last component).
    pub implied: bool,
}

/// One node of a compiled module, as the compiler resolved it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's OID.
    pub oid: &'static [u32],
    /// Its descriptor.
    pub name: &'static str,
    /// What it is.
    pub kind: NodeKind,
    /// The base syntax of its value.
    pub syntax: Syntax,
    /// MAX-ACCESS.
    pub access: MaxAccess,
    /// Allowed values (inclusive ranges); empty: any value of the syntax.
    pub ranges: &'static [(i64, i64)],
    /// Allowed lengths of strings (inclusive ranges); empty: any.
    pub sizes: &'static [(u32, u32)],
    /// Named numbers of an enumerated INTEGER; empty: not an enumeration.
    pub enums: &'static [(i32, &'static str)],
    /// A DisplayString (NVT ASCII; other octets are a wrongValue).
    pub display_string: bool,
    /// The INDEX of a row (rows only).
    pub index: &'static [IndexPart],
}

impl Node {
    /// A node with no value (fill the rest with struct update syntax).
    pub const fn new(oid: &'static [u32], name: &'static str, kind: NodeKind) -> Node {
        Node {
            oid,
            name,
            kind,
            syntax: Syntax::None,
            access: MaxAccess::NotAccessible,
            ranges: &[],
            sizes: &[],
            enums: &[],
            display_string: false,
            index: &[],
        }
    }

    /// The same node with a syntax and an access.
    pub const fn typed(self, syntax: Syntax, access: MaxAccess) -> Node {
        Node {
            syntax,
            access,
            ..self
        }
    }

    /// Whether Get/GetNext serve instances of this node.
    pub fn is_leaf(&self) -> bool {
        matches!(self.kind, NodeKind::Scalar | NodeKind::Column) && self.access.readable()
    }

    /// The node's OID as an [`Oid`].
    pub fn oid(&self) -> Oid {
        Oid::new(self.oid)
    }
}

/// Why a handler refused a Set (its SNMP error status in brackets).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SetError {
    /// The value can never be assigned (wrongValue).
    WrongValue,
    /// The value has the wrong length (wrongLength).
    WrongLength,
    /// The value conflicts with other state (inconsistentValue).
    InconsistentValue,
    /// The row does not exist and cannot be created (noCreation).
    NoCreation,
    /// Not writable in the current state (notWritable).
    NotWritable,
    /// A resource is missing (resourceUnavailable).
    ResourceUnavailable,
    /// The write failed (commitFailed).
    Failed,
}

impl SetError {
    /// The SNMP error status.
    pub fn status(self) -> ErrorStatus {
        match self {
            SetError::WrongValue => ErrorStatus::WrongValue,
            SetError::WrongLength => ErrorStatus::WrongLength,
            SetError::InconsistentValue => ErrorStatus::InconsistentValue,
            SetError::NoCreation => ErrorStatus::NoCreation,
            SetError::NotWritable => ErrorStatus::NotWritable,
            SetError::ResourceUnavailable => ErrorStatus::ResourceUnavailable,
            SetError::Failed => ErrorStatus::CommitFailed,
        }
    }
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "set refused: {}", self.status())
    }
}

impl From<SetError> for ErrorStatus {
    fn from(e: SetError) -> ErrorStatus {
        e.status()
    }
}

/// DisplayString (RFC 2579): NVT ASCII — printable characters plus NUL,
/// BEL, BS, HT, LF, VT, FF and CR.
pub fn is_display_string(s: &[u8]) -> bool {
    s.iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, 0 | 7..=13))
}

/// Checks `value` against `node`'s syntax, enumeration, ranges and sizes
/// (not its access): the checks every Set gets before a handler sees it.
pub fn check_value(node: &Node, value: &Value<'_>) -> Result<(), ErrorStatus> {
    if node.syntax.value_type() != Some(value.value_type()) {
        return Err(ErrorStatus::WrongType);
    }
    let in_ranges = |v: i64| {
        node.ranges.is_empty() || node.ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&v))
    };
    match *value {
        Value::Integer(i) => {
            if !node.enums.is_empty() && !node.enums.iter().any(|&(n, _)| n == i) {
                return Err(ErrorStatus::WrongValue);
            }
            if !in_ranges(i64::from(i)) {
                return Err(ErrorStatus::WrongValue);
            }
        }
        Value::Gauge32(u) | Value::Counter32(u) | Value::TimeTicks(u)
            if !in_ranges(i64::from(u)) =>
        {
            return Err(ErrorStatus::WrongValue);
        }
        Value::OctetString(s) | Value::Opaque(s) => {
            let len = s.len();
            let fits = |&(lo, hi): &(u32, u32)| (lo as usize..=hi as usize).contains(&len);
            if !node.sizes.is_empty() && !node.sizes.iter().any(fits) {
                return Err(ErrorStatus::WrongLength);
            }
            if node.sizes.is_empty() && len > MAX_STRING_LEN {
                return Err(ErrorStatus::WrongLength);
            }
            if node.display_string && !is_display_string(s) {
                return Err(ErrorStatus::WrongValue);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Copies `s` into `scratch` and returns it as an OCTET STRING (cut to the
/// scratch buffer's length).
pub fn string<'a>(scratch: &'a mut [u8], s: &[u8]) -> Value<'a> {
    let n = s.len().min(scratch.len());
    match (scratch.get_mut(..n), s.get(..n)) {
        (Some(dst), Some(src)) => {
            dst.copy_from_slice(src);
            Value::OctetString(dst)
        }
        _ => Value::OctetString(&[]),
    }
}

/// A string value as a bounded vector; `WrongLength` if it is too long.
pub fn owned_string<const N: usize>(s: &[u8]) -> Result<heapless::Vec<u8, N>, SetError> {
    heapless::Vec::from_slice(s).map_err(|_| SetError::WrongLength)
}

/// The INTEGER in `v` (after [`check_value`], so the type is right).
pub fn integer(v: &Value<'_>) -> Result<i32, SetError> {
    match *v {
        Value::Integer(i) => Ok(i),
        _ => Err(SetError::WrongValue),
    }
}

/// The unsigned 32-bit number in `v` (Gauge32, Counter32 or TimeTicks).
pub fn unsigned(v: &Value<'_>) -> Result<u32, SetError> {
    match *v {
        Value::Gauge32(u) | Value::Counter32(u) | Value::TimeTicks(u) => Ok(u),
        _ => Err(SetError::WrongValue),
    }
}

/// The Counter64 in `v`.
pub fn unsigned64(v: &Value<'_>) -> Result<u64, SetError> {
    match *v {
        Value::Counter64(u) => Ok(u),
        _ => Err(SetError::WrongValue),
    }
}

/// The octets in `v` (OCTET STRING, BITS or Opaque).
pub fn octets<'v>(v: &Value<'v>) -> Result<&'v [u8], SetError> {
    match *v {
        Value::OctetString(s) | Value::Opaque(s) => Ok(s),
        _ => Err(SetError::WrongValue),
    }
}

/// The IpAddress in `v`.
pub fn ip_address(v: &Value<'_>) -> Result<[u8; 4], SetError> {
    match *v {
        Value::IpAddress(a) => Ok(a),
        _ => Err(SetError::WrongValue),
    }
}

/// The OBJECT IDENTIFIER in `v`.
pub fn object_id(v: &Value<'_>) -> Result<Oid, SetError> {
    match *v {
        Value::ObjectId(o) => Ok(o),
        _ => Err(SetError::WrongValue),
    }
}

/// TruthValue (RFC 2579): true(1), false(2).
pub fn truth_value(b: bool) -> Value<'static> {
    Value::Integer(if b { 1 } else { 2 })
}

#[cfg(test)]
mod tests;
