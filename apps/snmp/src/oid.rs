//! Object identifiers stored inline (no heap).

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

/// Maximum number of sub-identifiers in an [`Oid`]: RFC 2578's 128, or 64
/// or 32 with the features `max-oid-len-64` / `max-oid-len-32` (the largest
/// enabled wins). A received OID that is longer fails to decode.
pub const MAX_OID_LEN: usize = if cfg!(feature = "max-oid-len-64") {
    64
} else if cfg!(feature = "max-oid-len-32") {
    32
} else {
    128
};

/// An OBJECT IDENTIFIER of up to [`MAX_OID_LEN`] sub-identifiers, stored
/// inline. Ordered lexicographically, as SNMP walks the MIB.
///
/// ```
/// use petrel_snmp::Oid;
/// let sys_descr: Oid = "1.3.6.1.2.1.1.1.0".parse().unwrap();
/// assert!(sys_descr.starts_with(&Oid::new(&[1, 3, 6, 1, 2, 1, 1])));
/// assert!(sys_descr < "1.3.6.1.2.1.1.2".parse().unwrap());
/// assert_eq!(sys_descr.to_string(), "1.3.6.1.2.1.1.1.0");
/// ```
#[derive(Copy, Clone)]
pub struct Oid {
    len: u8,
    arcs: [u32; MAX_OID_LEN],
}

impl Oid {
    /// The empty OID (sorts before every other OID).
    pub const EMPTY: Oid = Oid {
        len: 0,
        arcs: [0; MAX_OID_LEN],
    };

    /// An OID from `arcs`; usable in `const` items. Arcs past
    /// [`MAX_OID_LEN`] are dropped — use [`Oid::from_slice`] for input.
    pub const fn new(arcs: &[u32]) -> Oid {
        let mut o = Oid::EMPTY;
        let mut i = 0;
        while i < arcs.len() && i < MAX_OID_LEN {
            o.arcs[i] = arcs[i];
            i += 1;
        }
        o.len = i as u8;
        o
    }

    /// An OID from `arcs`, or `None` if there are too many.
    pub fn from_slice(arcs: &[u32]) -> Option<Oid> {
        if arcs.len() > MAX_OID_LEN {
            return None;
        }
        Some(Oid::new(arcs))
    }

    /// The sub-identifiers.
    pub fn as_slice(&self) -> &[u32] {
        self.arcs.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Number of sub-identifiers.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the OID has no sub-identifiers.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `prefix` is a prefix of (or equal to) `self`.
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.as_slice().starts_with(prefix.as_slice())
    }

    /// Appends one sub-identifier; `false` if the OID is full.
    pub fn push(&mut self, arc: u32) -> bool {
        match self.arcs.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = arc;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Appends several sub-identifiers; `false` (and unchanged) if they do
    /// not fit.
    pub fn extend(&mut self, arcs: &[u32]) -> bool {
        if self.len() + arcs.len() > MAX_OID_LEN {
            return false;
        }
        for &a in arcs {
            self.push(a);
        }
        true
    }

    /// `self` followed by `arcs`, or `None` if too long.
    pub fn child(&self, arcs: &[u32]) -> Option<Oid> {
        let mut o = *self;
        o.extend(arcs).then_some(o)
    }

    /// Shortens the OID to `len` sub-identifiers.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            // len < self.len <= 128, so it fits a u8.
            self.len = len as u8;
        }
    }

    /// The largest OID that has `self` as a prefix: `self` padded with
    /// 4294967295 to [`MAX_OID_LEN`] arcs. Every OID in the subtree sorts at
    /// or before it, so "next after" it leaves the subtree.
    pub fn subtree_end(&self) -> Oid {
        let mut o = *self;
        while o.push(u32::MAX) {}
        o
    }

    /// An OID `p` such that the first OID strictly after `p` is the first OID
    /// at or after `self` (so `get_next(p)` finds `self` if it exists).
    /// `None` for the empty OID.
    pub fn predecessor(&self) -> Option<Oid> {
        let (&last, head) = self.as_slice().split_last()?;
        let mut p = Oid::from_slice(head)?;
        if last == 0 {
            // Nothing sorts between `parent` and `parent.0`.
            return Some(p);
        }
        p.push(last - 1);
        Some(p.subtree_end())
    }
}

impl Default for Oid {
    fn default() -> Self {
        Oid::EMPTY
    }
}

impl PartialEq for Oid {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl Eq for Oid {}

impl PartialOrd for Oid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Oid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl core::hash::Hash for Oid {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// Why a dotted OID string could not be parsed.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OidParseError {
    /// Empty string or an empty component (`1..3`).
    Empty,
    /// A component that is not a decimal number below 2^32.
    BadArc,
    /// More than [`MAX_OID_LEN`] components.
    TooLong,
}

impl fmt::Display for OidParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OidParseError::Empty => "empty OID component",
            OidParseError::BadArc => "OID component is not a 32-bit number",
            OidParseError::TooLong => "OID has more than 128 components",
        })
    }
}

impl core::error::Error for OidParseError {}

impl FromStr for Oid {
    type Err = OidParseError;

    /// Parses `1.3.6.1…` (a leading `.` is allowed, as net-snmp prints).
    fn from_str(s: &str) -> Result<Oid, OidParseError> {
        let s = s.strip_prefix('.').unwrap_or(s);
        if s.is_empty() {
            return Err(OidParseError::Empty);
        }
        let mut o = Oid::EMPTY;
        for part in s.split('.') {
            if part.is_empty() {
                return Err(OidParseError::Empty);
            }
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(OidParseError::BadArc);
            }
            let arc: u32 = part.parse().map_err(|_| OidParseError::BadArc)?;
            if !o.push(arc) {
                return Err(OidParseError::TooLong);
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_order() {
        let a: Oid = ".1.3.6.1".parse().unwrap();
        assert_eq!(a, Oid::new(&[1, 3, 6, 1]));
        assert_eq!(a.to_string(), "1.3.6.1");
        assert!(a < a.child(&[0]).unwrap());
        assert!(a.child(&[5]).unwrap() < Oid::new(&[1, 3, 6, 2]));
        assert_eq!("".parse::<Oid>(), Err(OidParseError::Empty));
        assert_eq!("1..2".parse::<Oid>(), Err(OidParseError::Empty));
        assert_eq!("1.x".parse::<Oid>(), Err(OidParseError::BadArc));
        assert_eq!("1.4294967296".parse::<Oid>(), Err(OidParseError::BadArc));
        assert_eq!("1.+2".parse::<Oid>(), Err(OidParseError::BadArc));
        let long = "1.".repeat(128) + "1";
        assert_eq!(long.parse::<Oid>(), Err(OidParseError::TooLong));
    }

    #[test]
    fn subtree_end_and_predecessor() {
        let p = Oid::new(&[1, 3, 6]);
        let end = p.subtree_end();
        assert_eq!(end.len(), MAX_OID_LEN);
        assert!(Oid::new(&[1, 3, 6, 99, 5]) < end);
        assert!(Oid::new(&[1, 3, 7]) > end);
        let pred = Oid::new(&[1, 3, 6, 2]).predecessor().unwrap();
        assert!(pred < Oid::new(&[1, 3, 6, 2]));
        assert!(pred > Oid::new(&[1, 3, 6, 1, 9, 9]));
        assert_eq!(
            Oid::new(&[1, 3, 0]).predecessor().unwrap(),
            Oid::new(&[1, 3])
        );
        assert_eq!(Oid::EMPTY.predecessor(), None);
    }
}
