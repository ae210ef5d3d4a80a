//! The MIB access trait the agent calls, and a small sorted-table
//! implementation of it.

use crate::oid::Oid;
use crate::pdu::ErrorStatus;
use crate::stats::{SnmpStats, UsmStats};
use crate::value::{Value, ValueType, VarBind};

/// What the agent tells its MIB before each request: the counters of the
/// `snmp` group, `usmStats` and the local engine, so a MIB (such as
/// [`crate::mib2::Mib2`]) can serve them without borrowing the agent.
#[derive(Copy, Clone, Debug)]
pub struct AgentState<'s> {
    /// The `snmp` group and MPD counters, including the current request.
    pub stats: &'s SnmpStats,
    /// The `usmStats` counters.
    pub usm_stats: &'s UsmStats,
    /// snmpEngineID.
    pub engine_id: &'s [u8],
    /// snmpEngineBoots.
    pub engine_boots: u32,
    /// snmpEngineTime, in seconds.
    pub engine_time: u32,
    /// snmpEngineMaxMessageSize.
    pub max_message_size: usize,
}

/// Size of the scratch buffer the agent lends to [`Mib::get`] and
/// [`Mib::get_next`] for values the MIB has to format on the fly (larger
/// values must be borrowed from the MIB itself).
pub const MIB_SCRATCH_LEN: usize = 256;

/// How a Set request ended, passed to [`Mib::end_set`].
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SetOutcome {
    /// Every varbind was committed.
    Committed,
    /// A test failed; nothing was committed.
    TestFailed,
    /// A commit failed and every earlier commit was undone.
    Undone,
    /// A commit failed and an undo failed too.
    UndoFailed,
}

/// The objects an agent serves.
///
/// The agent enforces views and protocol versions; the MIB only knows its
/// objects. Designed for a sorted static tree of scalar and table nodes (as
/// the MIB compiler generates): `get` is a lookup, `get_next` a successor
/// search, and a Set runs as `test_set` on every varbind, then `commit_set`
/// on every varbind, then `undo_set` in reverse on the ones already
/// committed if a commit fails, and finally `end_set`.
///
/// `index` is the 0-based position of the varbind in the request, so an
/// implementation can keep per-varbind undo state (at most
/// [`crate::agent::AgentConfig::max_varbinds`] entries).
pub trait Mib {
    /// Called by the agent at the start of every request with its current
    /// counters and engine values. The default ignores them.
    fn handle_agent_state(&mut self, state: &AgentState<'_>) {
        let _ = state;
    }

    /// The value of instance `oid`. Return [`Value::NoSuchObject`] if no
    /// object type is defined there, [`Value::NoSuchInstance`] if the type
    /// exists but this instance does not, `Err` (usually
    /// [`ErrorStatus::GenErr`]) if reading failed.
    fn get<'a>(&'a self, oid: &Oid, scratch: &'a mut [u8]) -> Result<Value<'a>, ErrorStatus>;

    /// The first instance whose name is strictly greater than `oid`, with
    /// its value, or `None` past the last instance.
    fn get_next<'a>(
        &'a self,
        oid: &Oid,
        scratch: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus>;

    /// Checks that `vb` could be written (type, length, range, writability,
    /// creatability), without changing anything. The default refuses:
    /// [`ErrorStatus::NotWritable`].
    fn test_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let _ = (index, vb);
        Err(ErrorStatus::NotWritable)
    }

    /// Writes `vb`, saving what is needed to undo it.
    fn commit_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let _ = (index, vb);
        Err(ErrorStatus::NotWritable)
    }

    /// Reverts a committed `vb`.
    fn undo_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let _ = (index, vb);
        Err(ErrorStatus::UndoFailed)
    }

    /// Called once when a Set request has ended (after the commits or the
    /// undos); drop undo state here. Not called if no test ran.
    fn end_set(&mut self, outcome: SetOutcome) {
        let _ = outcome;
    }
}

/// Whether a [`TableMib`] entry can be written.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// read-only.
    ReadOnly,
    /// read-write.
    ReadWrite,
}

/// Longest OCTET STRING a [`TableMib`] entry stores.
pub const STORED_STRING_LEN: usize = 64;

/// A value owned by a [`TableMib`] entry.
#[derive(Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub enum StoredValue {
    /// A non-string value (strings and OIDs are stored in the other arms).
    Plain(Value<'static>),
    /// An OCTET STRING of up to [`STORED_STRING_LEN`] octets.
    String(heapless::Vec<u8, STORED_STRING_LEN>),
}

impl StoredValue {
    /// Stores `v`, or `None` if a string is too long.
    pub fn from_value(v: &Value<'_>) -> Option<StoredValue> {
        Some(match *v {
            Value::OctetString(s) => StoredValue::String(heapless::Vec::from_slice(s).ok()?),
            Value::Opaque(_) => return None,
            Value::Integer(i) => StoredValue::Plain(Value::Integer(i)),
            Value::Null => StoredValue::Plain(Value::Null),
            Value::ObjectId(o) => StoredValue::Plain(Value::ObjectId(o)),
            Value::IpAddress(a) => StoredValue::Plain(Value::IpAddress(a)),
            Value::Counter32(c) => StoredValue::Plain(Value::Counter32(c)),
            Value::Gauge32(c) => StoredValue::Plain(Value::Gauge32(c)),
            Value::TimeTicks(c) => StoredValue::Plain(Value::TimeTicks(c)),
            Value::Counter64(c) => StoredValue::Plain(Value::Counter64(c)),
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => return None,
        })
    }

    /// The value, borrowing strings from `self`.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            StoredValue::Plain(v) => *v,
            StoredValue::String(s) => Value::OctetString(s),
        }
    }
}

/// One instance in a [`TableMib`].
#[derive(Clone, Debug)]
pub struct Entry {
    /// The instance name (e.g. `1.3.6.1.2.1.1.5.0`).
    pub oid: Oid,
    /// Its value.
    pub value: StoredValue,
    /// Whether Set may change it.
    pub access: Access,
}

/// A MIB over a sorted slice of instances, with writable entries and undo.
/// Meant for tests and tiny boards; `N` is the undo capacity (varbinds per
/// Set).
///
/// ```
/// use petrel_snmp::agent::{Access, Entry, Mib, StoredValue, TableMib};
/// use petrel_snmp::{Oid, Value};
/// let mut entries = [Entry {
///     oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 3, 0]),
///     value: StoredValue::Plain(Value::TimeTicks(42)),
///     access: Access::ReadOnly,
/// }];
/// let mib: TableMib<'_, 8> = TableMib::new(&mut entries);
/// let mut scratch = [0u8; 16];
/// let v = mib.get(&Oid::new(&[1, 3, 6, 1, 2, 1, 1, 3, 0]), &mut scratch);
/// assert_eq!(v, Ok(Value::TimeTicks(42)));
/// ```
#[derive(Debug)]
pub struct TableMib<'e, const N: usize> {
    entries: &'e mut [Entry],
    undo: heapless::Vec<(usize, StoredValue), N>,
}

impl<'e, const N: usize> TableMib<'e, N> {
    /// A MIB over `entries`, which are sorted here.
    pub fn new(entries: &'e mut [Entry]) -> Self {
        petrel_netcore::small::sort_by(entries, |a, b| a.oid.cmp(&b.oid));
        TableMib {
            entries,
            undo: heapless::Vec::new(),
        }
    }

    /// The entries, sorted.
    pub fn entries(&self) -> &[Entry] {
        self.entries
    }

    fn find(&self, oid: &Oid) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.oid.cmp(oid))
    }
}

impl<const N: usize> Mib for TableMib<'_, N> {
    fn get<'a>(&'a self, oid: &Oid, _scratch: &'a mut [u8]) -> Result<Value<'a>, ErrorStatus> {
        match self.find(oid) {
            Ok(i) => Ok(self
                .entries
                .get(i)
                .map(|e| e.value.as_value())
                .unwrap_or(Value::NoSuchObject)),
            Err(i) => {
                // An instance below `oid`'s parent means the object type
                // exists (noSuchInstance), as for `sysDescr.1`.
                let parent = oid.as_slice().split_last().map_or(&[][..], |(_, p)| p);
                let sibling =
                    |e: &Entry| e.oid.len() == oid.len() && e.oid.as_slice().starts_with(parent);
                let near = [i.checked_sub(1), Some(i)];
                let exists = near
                    .iter()
                    .flatten()
                    .filter_map(|&j| self.entries.get(j))
                    .any(sibling);
                Ok(if exists {
                    Value::NoSuchInstance
                } else {
                    Value::NoSuchObject
                })
            }
        }
    }

    fn get_next<'a>(
        &'a self,
        oid: &Oid,
        _scratch: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus> {
        let i = match self.find(oid) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        Ok(self.entries.get(i).map(|e| (e.oid, e.value.as_value())))
    }

    fn test_set(&mut self, _index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let i = self.find(&vb.name).map_err(|_| ErrorStatus::NoCreation)?;
        let e = self.entries.get(i).ok_or(ErrorStatus::GenErr)?;
        if e.access != Access::ReadWrite {
            return Err(ErrorStatus::NotWritable);
        }
        if e.value.as_value().value_type() != vb.value.value_type() {
            return Err(ErrorStatus::WrongType);
        }
        if let Value::OctetString(s) = vb.value
            && s.len() > STORED_STRING_LEN
        {
            return Err(ErrorStatus::WrongLength);
        }
        if vb.value.value_type() == ValueType::Exception {
            return Err(ErrorStatus::WrongType);
        }
        Ok(())
    }

    fn commit_set(&mut self, _index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let i = self.find(&vb.name).map_err(|_| ErrorStatus::CommitFailed)?;
        let new = StoredValue::from_value(&vb.value).ok_or(ErrorStatus::CommitFailed)?;
        let e = self.entries.get_mut(i).ok_or(ErrorStatus::CommitFailed)?;
        let old = core::mem::replace(&mut e.value, new);
        if let Err((_, old)) = self.undo.push((i, old)) {
            // No room to remember the old value: put it back and fail.
            if let Some(e) = self.entries.get_mut(i) {
                e.value = old;
            }
            return Err(ErrorStatus::ResourceUnavailable);
        }
        Ok(())
    }

    fn undo_set(&mut self, _index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let i = self.find(&vb.name).map_err(|_| ErrorStatus::UndoFailed)?;
        let pos = self
            .undo
            .iter()
            .rposition(|(j, _)| *j == i)
            .ok_or(ErrorStatus::UndoFailed)?;
        let (_, old) = self.undo.remove(pos);
        let e = self.entries.get_mut(i).ok_or(ErrorStatus::UndoFailed)?;
        e.value = old;
        Ok(())
    }

    fn end_set(&mut self, _outcome: SetOutcome) {
        self.undo.clear();
    }
}
