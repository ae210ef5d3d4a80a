//! [`CompiledMib`]: an agent [`Mib`] over a compiled module's node table
//! and its generated [`Dispatch`].

use super::{MAX_STRING_LEN, Node, NodeKind, SetError, check_value};
use crate::agent::{MIB_SCRATCH_LEN, Mib, SetOutcome};
use crate::oid::Oid;
use crate::pdu::ErrorStatus;
use crate::value::{Value, VarBind};

/// The glue `petrel-mibc` generates between a module's typed handler traits
/// and SNMP values. `node` is a position in [`Dispatch::NODES`]; `index` is
/// the instance suffix after the node's OID (empty for scalars: the `.0`
/// is handled by [`CompiledMib`]).
pub trait Dispatch {
    /// The nodes the agent serves (at least every readable scalar and
    /// column; other nodes may be left out), sorted by OID. The engine
    /// reads no names (descriptors, enumeration labels): generated tables
    /// leave them empty here, and give read-only nodes no ranges, sizes or
    /// enumeration (only a Set checks them).
    const NODES: &'static [Node];

    /// The value of a scalar (`index` empty) or of a column in the row
    /// `index`; `None` if there is no such row. Strings are copied into
    /// `scratch`.
    fn read<'a>(&'a self, node: usize, index: &[u32], scratch: &'a mut [u8]) -> Option<Value<'a>>;

    /// For a column: writes into `out` the index of the first row after
    /// `after` (`None`: the first row) and returns `true`, or `false` if
    /// there is none.
    fn next_index(&self, node: usize, after: Option<&[u32]>, out: &mut Oid) -> bool;

    /// The handler's own check of a Set (after the generic checks passed).
    fn test(&self, node: usize, index: &[u32], value: &Value<'_>) -> Result<(), SetError>;

    /// Writes `value` through the handler's typed setter.
    fn write(&mut self, node: usize, index: &[u32], value: &Value<'_>) -> Result<(), SetError>;
}

/// A value saved for undo (strings up to [`MAX_STRING_LEN`] octets).
#[derive(Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub enum OwnedValue {
    /// A value without borrowed data.
    Plain(Value<'static>),
    /// An OCTET STRING.
    String(heapless::Vec<u8, MAX_STRING_LEN>),
}

impl OwnedValue {
    /// Owns `v`, or `None` for a string that is too long or an Opaque.
    pub fn from_value(v: &Value<'_>) -> Option<OwnedValue> {
        Some(match *v {
            Value::OctetString(s) => OwnedValue::String(heapless::Vec::from_slice(s).ok()?),
            Value::Integer(i) => OwnedValue::Plain(Value::Integer(i)),
            Value::ObjectId(o) => OwnedValue::Plain(Value::ObjectId(o)),
            Value::IpAddress(a) => OwnedValue::Plain(Value::IpAddress(a)),
            Value::Counter32(c) => OwnedValue::Plain(Value::Counter32(c)),
            Value::Gauge32(c) => OwnedValue::Plain(Value::Gauge32(c)),
            Value::TimeTicks(c) => OwnedValue::Plain(Value::TimeTicks(c)),
            Value::Counter64(c) => OwnedValue::Plain(Value::Counter64(c)),
            _ => return None,
        })
    }

    /// The value, borrowing strings from `self`.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Plain(v) => *v,
            OwnedValue::String(s) => Value::OctetString(s),
        }
    }
}

/// A compiled module as an agent [`Mib`]. `UNDO` is the most varbinds of
/// this module one Set may change (default 8).
#[derive(Debug)]
pub struct CompiledMib<D, const UNDO: usize = 8> {
    dispatch: D,
    undo: heapless::Vec<(usize, OwnedValue), UNDO>,
}

/// Where an instance name falls in a node table.
enum Found<'n> {
    /// Under a readable leaf: the node's position and the suffix.
    Leaf(usize, &'n Node, &'n [u32]),
    /// Nowhere served.
    Nothing,
}

fn locate<'o>(nodes: &'static [Node], oid: &'o [u32]) -> (Found<'o>, usize) {
    let i = nodes.partition_point(|n| n.oid <= oid);
    let Some(p) = i.checked_sub(1) else {
        return (Found::Nothing, 0);
    };
    match nodes.get(p) {
        Some(n) if oid.starts_with(n.oid) && n.is_leaf() => {
            let rest = oid.get(n.oid.len()..).unwrap_or(&[]);
            (Found::Leaf(p, n, rest), p)
        }
        Some(n) if oid.starts_with(n.oid) => (Found::Nothing, p),
        _ => (Found::Nothing, i),
    }
}

impl<D: Dispatch, const UNDO: usize> CompiledMib<D, UNDO> {
    /// A MIB over the generated dispatch `d`.
    pub fn new(dispatch: D) -> Self {
        CompiledMib {
            dispatch,
            undo: heapless::Vec::new(),
        }
    }

    /// The dispatch (the board's handlers inside).
    pub fn dispatch(&self) -> &D {
        &self.dispatch
    }

    /// The dispatch, mutably.
    pub fn dispatch_mut(&mut self) -> &mut D {
        &mut self.dispatch
    }

    /// The table of served nodes ([`Dispatch::NODES`]).
    pub fn nodes(&self) -> &'static [Node] {
        D::NODES
    }

    /// The writable node `oid` names and its instance suffix, or the error
    /// a Set of it gets.
    fn writable<'o>(
        &self,
        oid: &'o [u32],
    ) -> Result<(usize, &'static Node, &'o [u32]), ErrorStatus> {
        let (found, _) = locate(D::NODES, oid);
        let Found::Leaf(p, n, rest) = found else {
            return Err(ErrorStatus::NotWritable);
        };
        let node = D::NODES.get(p).ok_or(ErrorStatus::GenErr)?;
        if !n.access.writable() {
            return Err(ErrorStatus::NotWritable);
        }
        match node.kind {
            NodeKind::Scalar if rest == [0] => Ok((p, node, &[])),
            NodeKind::Column => Ok((p, node, rest)),
            _ => Err(ErrorStatus::NoCreation),
        }
    }
}

impl<D: Dispatch, const UNDO: usize> Mib for CompiledMib<D, UNDO> {
    fn get<'a>(&'a self, oid: &Oid, scratch: &'a mut [u8]) -> Result<Value<'a>, ErrorStatus> {
        let (found, _) = locate(D::NODES, oid.as_slice());
        let Found::Leaf(p, n, rest) = found else {
            return Ok(Value::NoSuchObject);
        };
        let index = match n.kind {
            NodeKind::Scalar if rest == [0] => &[][..],
            NodeKind::Scalar => return Ok(Value::NoSuchInstance),
            _ => rest,
        };
        Ok(self
            .dispatch
            .read(p, index, scratch)
            .unwrap_or(Value::NoSuchInstance))
    }

    fn get_next<'a>(
        &'a self,
        oid: &Oid,
        scratch: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus> {
        let req = oid.as_slice();
        let (_, start) = locate(D::NODES, req);
        // Find the instance first (no values read), then read it once.
        let mut hit: Option<(usize, Oid, usize)> = None;
        for (p, n) in D::NODES.iter().enumerate().skip(start) {
            if !n.is_leaf() {
                continue;
            }
            let base = n.oid();
            match n.kind {
                NodeKind::Scalar => {
                    let Some(inst) = base.child(&[0]) else {
                        continue;
                    };
                    if inst.as_slice() > req {
                        hit = Some((p, inst, base.len() + 1));
                        break;
                    }
                }
                _ => {
                    let after = match req.strip_prefix(n.oid) {
                        Some(rest) => Some(rest),
                        None if req < n.oid => None,
                        None => continue,
                    };
                    let mut index = Oid::EMPTY;
                    if self.dispatch.next_index(p, after, &mut index)
                        && let Some(name) = base.child(index.as_slice())
                    {
                        hit = Some((p, name, base.len()));
                        break;
                    }
                }
            }
        }
        let Some((p, name, skip)) = hit else {
            return Ok(None);
        };
        let index = name.as_slice().get(skip..).unwrap_or(&[]);
        match self.dispatch.read(p, index, scratch) {
            Some(v) => Ok(Some((name, v))),
            // The row vanished between finding and reading it.
            None => Err(ErrorStatus::GenErr),
        }
    }

    fn test_set(&mut self, _index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let (p, node, index) = self.writable(vb.name.as_slice())?;
        check_value(node, &vb.value)?;
        if node.kind == NodeKind::Column {
            let mut scratch = [0u8; MIB_SCRATCH_LEN];
            if self.dispatch.read(p, index, &mut scratch).is_none() {
                return Err(ErrorStatus::NoCreation);
            }
        }
        self.dispatch
            .test(p, index, &vb.value)
            .map_err(SetError::status)
    }

    fn commit_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let (p, _, inst) = self.writable(vb.name.as_slice())?;
        let mut scratch = [0u8; MIB_SCRATCH_LEN];
        let old = self
            .dispatch
            .read(p, inst, &mut scratch)
            .as_ref()
            .and_then(OwnedValue::from_value)
            .ok_or(ErrorStatus::CommitFailed)?;
        self.undo
            .push((index, old))
            .map_err(|_| ErrorStatus::ResourceUnavailable)?;
        self.dispatch
            .write(p, inst, &vb.value)
            .map_err(|_| ErrorStatus::CommitFailed)
    }

    fn undo_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let (p, _, inst) = self
            .writable(vb.name.as_slice())
            .map_err(|_| ErrorStatus::UndoFailed)?;
        let pos = self
            .undo
            .iter()
            .rposition(|(i, _)| *i == index)
            .ok_or(ErrorStatus::UndoFailed)?;
        let (_, old) = self.undo.remove(pos);
        self.dispatch
            .write(p, inst, &old.as_value())
            .map_err(|_| ErrorStatus::UndoFailed)
    }

    fn end_set(&mut self, _outcome: SetOutcome) {
        // A setter that failed changed nothing (its contract); the agent
        // has undone the commits before it.
        self.undo.clear();
    }
}
