//! [`Mount`]: one agent serving two MIBs, the second under a subtree.

use super::mib::{AgentState, MIB_SCRATCH_LEN, Mib, SetOutcome};
use crate::oid::Oid;
use crate::pdu::ErrorStatus;
use crate::value::{Value, VarBind};

/// `base` everywhere except the subtree `prefix`, which `sub` serves (for
/// example MIB-2 plus a compiled enterprise MIB under `enterprises.N`).
/// Objects `base` may have inside the subtree are hidden.
///
/// GetNext stays in increasing OID order across the seam; the
/// MIB a value comes from is asked with a scratch buffer of its own and
/// strings are copied into the agent's (so values up to
/// [`MIB_SCRATCH_LEN`] octets cross the seam; a longer string from
/// `base` just before the subtree costs one more `get_next`).
///
/// ```
/// use petrel_snmp::agent::{Access, Entry, Mib, Mount, StoredValue, TableMib};
/// use petrel_snmp::{Oid, Value};
/// let mut a = [Entry { oid: Oid::new(&[1, 3, 6, 1, 2, 1, 1, 3, 0]),
///     value: StoredValue::Plain(Value::TimeTicks(1)), access: Access::ReadOnly }];
/// let mut b = [Entry { oid: Oid::new(&[1, 3, 6, 1, 4, 1, 32473, 1, 0]),
///     value: StoredValue::Plain(Value::Integer(7)), access: Access::ReadOnly }];
/// let base: TableMib<'_, 1> = TableMib::new(&mut a);
/// let sub: TableMib<'_, 1> = TableMib::new(&mut b);
/// let mib = Mount::new(base, Oid::new(&[1, 3, 6, 1, 4, 1, 32473]), sub);
/// let mut scratch = [0u8; 256];
/// let (next, v) = mib.get_next(&Oid::new(&[1, 3, 6, 1, 2, 1, 1, 3, 0]), &mut scratch).unwrap().unwrap();
/// assert_eq!((next, v), (Oid::new(&[1, 3, 6, 1, 4, 1, 32473, 1, 0]), Value::Integer(7)));
/// ```
#[derive(Debug)]
pub struct Mount<A, B> {
    base: A,
    prefix: Oid,
    sub: B,
    /// Whether the running Set touched each MIB (for `end_set`).
    set_base: bool,
    set_sub: bool,
}

/// Whether `v`'s octets fit a buffer of `len` octets.
fn fits(v: &Value<'_>, len: usize) -> bool {
    match v {
        Value::OctetString(s) | Value::Opaque(s) => s.len() <= len,
        _ => true,
    }
}

/// `v` with its octets copied into `scratch` (cut to fit: callers check
/// [`fits`] first).
fn rebind<'a>(v: Value<'_>, scratch: &'a mut [u8]) -> Value<'a> {
    match v {
        Value::OctetString(s) | Value::Opaque(s) => {
            let n = s.len().min(scratch.len());
            let (dst, src) = (
                scratch.get_mut(..n).unwrap_or(&mut []),
                s.get(..n).unwrap_or(&[]),
            );
            dst.copy_from_slice(src);
            if matches!(v, Value::Opaque(_)) {
                Value::Opaque(dst)
            } else {
                Value::OctetString(dst)
            }
        }
        Value::Integer(i) => Value::Integer(i),
        Value::Null => Value::Null,
        Value::ObjectId(o) => Value::ObjectId(o),
        Value::IpAddress(a) => Value::IpAddress(a),
        Value::Counter32(c) => Value::Counter32(c),
        Value::Gauge32(c) => Value::Gauge32(c),
        Value::TimeTicks(c) => Value::TimeTicks(c),
        Value::Counter64(c) => Value::Counter64(c),
        Value::NoSuchObject => Value::NoSuchObject,
        Value::NoSuchInstance => Value::NoSuchInstance,
        Value::EndOfMibView => Value::EndOfMibView,
    }
}

impl<A: Mib, B: Mib> Mount<A, B> {
    /// `base` with `sub` mounted at `prefix`.
    pub fn new(base: A, prefix: Oid, sub: B) -> Self {
        Mount {
            base,
            prefix,
            sub,
            set_base: false,
            set_sub: false,
        }
    }

    /// The base MIB.
    pub fn base(&self) -> &A {
        &self.base
    }

    /// The base MIB, mutably.
    pub fn base_mut(&mut self) -> &mut A {
        &mut self.base
    }

    /// The mounted MIB.
    pub fn sub(&self) -> &B {
        &self.sub
    }

    /// The mounted MIB, mutably.
    pub fn sub_mut(&mut self) -> &mut B {
        &mut self.sub
    }

    fn in_sub(&self, oid: &Oid) -> bool {
        oid.starts_with(&self.prefix)
    }

    /// `base`'s next instance past the mounted subtree.
    fn base_after_sub<'a>(
        &'a self,
        scratch: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus> {
        self.base.get_next(&self.prefix.subtree_end(), scratch)
    }
}

impl<A: Mib, B: Mib> Mib for Mount<A, B> {
    fn handle_agent_state(&mut self, state: &AgentState<'_>) {
        self.base.handle_agent_state(state);
        self.sub.handle_agent_state(state);
    }

    fn get<'a>(&'a self, oid: &Oid, scratch: &'a mut [u8]) -> Result<Value<'a>, ErrorStatus> {
        if self.in_sub(oid) {
            self.sub.get(oid, scratch)
        } else {
            self.base.get(oid, scratch)
        }
    }

    fn get_next<'a>(
        &'a self,
        oid: &Oid,
        scratch: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus> {
        let room = scratch.len();
        if !self.in_sub(oid) && *oid > self.prefix {
            return self.base.get_next(oid, scratch);
        }
        let mut local = [0u8; MIB_SCRATCH_LEN];
        let mut local_sub = [0u8; MIB_SCRATCH_LEN];
        let found = if self.in_sub(oid) {
            self.sub.get_next(oid, &mut local_sub)?
        } else {
            // Before the subtree: base's next, unless it lies at or past
            // the subtree, where the mounted MIB's first instance comes
            // first.
            match self.base.get_next(oid, &mut local)? {
                Some((o, v)) if o < self.prefix => {
                    if !fits(&v, room) {
                        // Too long to copy: ask again with the agent's
                        // buffer.
                        return self.base.get_next(oid, scratch);
                    }
                    Some((o, v))
                }
                Some(_) | None => self.sub.get_next(oid, &mut local_sub)?,
            }
        };
        if let Some((o, v)) = found
            && fits(&v, room)
        {
            return Ok(Some((o, rebind(v, scratch))));
        }
        // Past the subtree's end (a string too long to copy cannot come
        // from a compiled MIB; treat it as the end too).
        self.base_after_sub(scratch)
    }

    fn test_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        if self.in_sub(&vb.name) {
            self.set_sub = true;
            self.sub.test_set(index, vb)
        } else {
            self.set_base = true;
            self.base.test_set(index, vb)
        }
    }

    fn commit_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        if self.in_sub(&vb.name) {
            self.sub.commit_set(index, vb)
        } else {
            self.base.commit_set(index, vb)
        }
    }

    fn undo_set(&mut self, index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        if self.in_sub(&vb.name) {
            self.sub.undo_set(index, vb)
        } else {
            self.base.undo_set(index, vb)
        }
    }

    fn end_set(&mut self, outcome: SetOutcome) {
        if core::mem::take(&mut self.set_base) {
            self.base.end_set(outcome);
        }
        if core::mem::take(&mut self.set_sub) {
            self.sub.end_set(outcome);
        }
    }
}
