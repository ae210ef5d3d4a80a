//! Table index values: their OID encoding (RFC 2578 7.7) and row search.

use core::cmp::Ordering;

use crate::oid::Oid;

/// Most rows a search visits when a GetNext names a partial or malformed
/// instance (each visit is one call of the table's `next`).
pub const MAX_ROW_SCAN: usize = 65_536;

/// A value that can be (part of) a table's INDEX. Its `Ord` must sort
/// values in the order of their OID encodings, so that "the row after
/// index `i`" is "the next instance in a walk".
pub trait IndexValue: Sized + Ord + Clone {
    /// Decodes one component from the front of `arcs`; the rest follows.
    fn decode(arcs: &[u32]) -> Option<(Self, &[u32])>;

    /// Appends the encoding; `false` if the OID is full.
    fn encode(&self, oid: &mut Oid) -> bool;

    /// Decodes `arcs` as exactly one value (no arcs left over).
    fn decode_exact(arcs: &[u32]) -> Option<Self> {
        match Self::decode(arcs) {
            Some((v, [])) => Some(v),
            _ => None,
        }
    }
}

/// INTEGER, Integer32 and enumerations: one arc, non-negative.
impl IndexValue for i32 {
    fn decode(arcs: &[u32]) -> Option<(Self, &[u32])> {
        let (&a, rest) = arcs.split_first()?;
        Some((i32::try_from(a).ok()?, rest))
    }
    fn encode(&self, oid: &mut Oid) -> bool {
        u32::try_from(*self).is_ok_and(|a| oid.push(a))
    }
}

/// Unsigned32, Gauge32, TimeTicks: one arc.
impl IndexValue for u32 {
    fn decode(arcs: &[u32]) -> Option<(Self, &[u32])> {
        let (&a, rest) = arcs.split_first()?;
        Some((a, rest))
    }
    fn encode(&self, oid: &mut Oid) -> bool {
        oid.push(*self)
    }
}

/// IpAddress (`N` = 4) and fixed-size OCTET STRINGs: `N` arcs, no length.
impl<const N: usize> IndexValue for [u8; N] {
    fn decode(arcs: &[u32]) -> Option<(Self, &[u32])> {
        let (head, rest) = arcs.split_at_checked(N)?;
        let mut v = [0u8; N];
        for (d, &a) in v.iter_mut().zip(head) {
            *d = u8::try_from(a).ok()?;
        }
        Some((v, rest))
    }
    fn encode(&self, oid: &mut Oid) -> bool {
        let mut arcs = [0u32; N];
        for (a, &b) in arcs.iter_mut().zip(self) {
            *a = u32::from(b);
        }
        oid.extend(&arcs)
    }
}

/// A variable-length OCTET STRING index: a length arc, then one arc per
/// octet. Sorts by length first, as its encoding does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IndexString<const N: usize>(pub heapless::Vec<u8, N>);

impl<const N: usize> Ord for IndexString<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.0.len(), self.0.as_slice()).cmp(&(other.0.len(), other.0.as_slice()))
    }
}
impl<const N: usize> PartialOrd for IndexString<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> IndexValue for IndexString<N> {
    fn decode(arcs: &[u32]) -> Option<(Self, &[u32])> {
        let (&len, rest) = arcs.split_first()?;
        let (head, rest) = rest.split_at_checked(usize::try_from(len).ok()?)?;
        let mut v = heapless::Vec::new();
        for &a in head {
            v.push(u8::try_from(a).ok()?).ok()?;
        }
        Some((IndexString(v), rest))
    }
    fn encode(&self, oid: &mut Oid) -> bool {
        // N is a string capacity (at most a few hundred), so it fits a u32.
        oid.push(self.0.len() as u32) && self.0.iter().all(|&b| oid.push(u32::from(b)))
    }
}

/// An IMPLIED OCTET STRING index (the last component): one arc per octet,
/// no length. Sorts like its octets.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImpliedString<const N: usize>(pub heapless::Vec<u8, N>);

impl<const N: usize> IndexValue for ImpliedString<N> {
    fn decode(arcs: &[u32]) -> Option<(Self, &[u32])> {
        let mut v = heapless::Vec::new();
        for &a in arcs {
            v.push(u8::try_from(a).ok()?).ok()?;
        }
        Some((ImpliedString(v), &[]))
    }
    fn encode(&self, oid: &mut Oid) -> bool {
        self.0.iter().all(|&b| oid.push(u32::from(b)))
    }
}

macro_rules! tuple_index {
    ($($t:ident $v:ident),+) => {
        impl<$($t: IndexValue),+> IndexValue for ($($t,)+) {
            fn decode(arcs: &[u32]) -> Option<(Self, &[u32])> {
                let rest = arcs;
                $(let ($v, rest) = $t::decode(rest)?;)+
                Some((($($v,)+), rest))
            }
            fn encode(&self, oid: &mut Oid) -> bool {
                let ($($v,)+) = self;
                $($v.encode(oid) &&)+ true
            }
        }
    };
}
tuple_index!(A a, B b);
tuple_index!(A a, B b, C c);
tuple_index!(A a, B b, C c, D d);

/// The first row whose instance suffix sorts after `after` (`None`: the
/// first row), given a table's `next` (the row with the smallest index
/// greater than its argument; `None` argument: the first row).
///
/// A suffix that is exactly one index costs one call of `next`; a partial
/// or malformed suffix (a manager walking from `column.5.3`) scans rows in
/// order, at most [`MAX_ROW_SCAN`] of them.
pub fn next_row<I: IndexValue, R>(
    after: Option<&[u32]>,
    mut next: impl FnMut(Option<&I>) -> Option<(I, R)>,
) -> Option<(I, R)> {
    let Some(after) = after else {
        return next(None);
    };
    if let Some(i) = I::decode_exact(after) {
        return next(Some(&i));
    }
    let mut cur = next(None);
    for _ in 0..MAX_ROW_SCAN {
        let (i, r) = cur?;
        let mut o = Oid::EMPTY;
        if i.encode(&mut o) && o.as_slice() > after {
            return Some((i, r));
        }
        cur = next(Some(&i));
    }
    None
}

/// The row with index `index`, found through a table's `next` (for tables
/// whose handler has no faster lookup).
pub fn find_row<I: IndexValue, R>(
    index: &I,
    mut next: impl FnMut(Option<&I>) -> Option<(I, R)>,
) -> Option<R> {
    let mut cur = next(None);
    for _ in 0..MAX_ROW_SCAN {
        let (i, r) = cur?;
        match i.cmp(index) {
            Ordering::Less => cur = next(Some(&i)),
            Ordering::Equal => return Some(r),
            Ordering::Greater => return None,
        }
    }
    None
}
