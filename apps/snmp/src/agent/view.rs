//! VACM-style MIB views (RFC 3415 section 5): included and excluded
//! subtrees, the longest matching subtree deciding.

use crate::oid::Oid;

/// One subtree of a view.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ViewEntry {
    /// The subtree's root.
    pub subtree: Oid,
    /// Whether the subtree is in the view (`false` cuts it out of an
    /// enclosing included subtree).
    pub included: bool,
}

impl ViewEntry {
    /// An included subtree.
    pub const fn include(arcs: &[u32]) -> ViewEntry {
        ViewEntry {
            subtree: Oid::new(arcs),
            included: true,
        }
    }

    /// An excluded subtree.
    pub const fn exclude(arcs: &[u32]) -> ViewEntry {
        ViewEntry {
            subtree: Oid::new(arcs),
            included: false,
        }
    }
}

/// A MIB view.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum View<'a> {
    /// Every object.
    All,
    /// No object.
    Nothing,
    /// The objects in the included subtrees that are not in a more specific
    /// excluded subtree. An OID no entry covers is not in the view.
    Subtrees(&'a [ViewEntry]),
}

/// Where a walk continues after an OID outside the view.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Resume {
    /// Ask the MIB for the next OID after this one.
    After(Oid),
    /// Nothing in the view lies beyond.
    End,
}

impl View<'_> {
    fn deciding(entries: &[ViewEntry], oid: &Oid) -> Option<ViewEntry> {
        entries
            .iter()
            .filter(|e| oid.starts_with(&e.subtree))
            .max_by_key(|e| e.subtree.len())
            .copied()
    }

    /// Whether `oid` is in the view.
    pub fn contains(&self, oid: &Oid) -> bool {
        match self {
            View::All => true,
            View::Nothing => false,
            View::Subtrees(entries) => Self::deciding(entries, oid).is_some_and(|e| e.included),
        }
    }

    /// Number of subtree boundaries, which bounds how often a walk skips.
    pub(crate) fn boundaries(&self) -> usize {
        match self {
            View::Subtrees(e) => 2 * e.len() + 2,
            _ => 2,
        }
    }

    /// Given `oid` outside the view, the point to resume a walk from so that
    /// no in-view OID is skipped and at least one subtree boundary is passed.
    pub(crate) fn resume_after(&self, oid: &Oid) -> Resume {
        let entries = match self {
            View::All => return Resume::After(*oid),
            View::Nothing => return Resume::End,
            View::Subtrees(e) => *e,
        };
        // The next entry starting after `oid` may change the verdict.
        let next_start = entries
            .iter()
            .filter(|e| e.subtree > *oid && !oid.starts_with(&e.subtree))
            .map(|e| e.subtree)
            .min();
        let from_start = next_start.and_then(|s| s.predecessor());
        let from_end = Self::deciding(entries, oid).map(|e| e.subtree.subtree_end());
        match (from_start, from_end) {
            (Some(a), Some(b)) => Resume::After(a.min(b)),
            (Some(a), None) => Resume::After(a),
            // Excluded by an entry and no entry starts later: past the
            // excluded subtree something may still be covered by an
            // enclosing included entry.
            (None, Some(b)) => Resume::After(b),
            (None, None) => Resume::End,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB2: [u32; 6] = [1, 3, 6, 1, 2, 1];

    #[test]
    fn longest_match_decides() {
        let entries = [
            ViewEntry::include(&MIB2),
            ViewEntry::exclude(&[1, 3, 6, 1, 2, 1, 1]),
            ViewEntry::include(&[1, 3, 6, 1, 2, 1, 1, 5]),
        ];
        let v = View::Subtrees(&entries);
        assert!(v.contains(&Oid::new(&[1, 3, 6, 1, 2, 1, 2, 1, 0])));
        assert!(!v.contains(&Oid::new(&[1, 3, 6, 1, 2, 1, 1, 1, 0])));
        assert!(v.contains(&Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5, 0])));
        assert!(!v.contains(&Oid::new(&[1, 3, 6, 1, 4, 1])));
        assert!(View::All.contains(&Oid::EMPTY));
        assert!(!View::Nothing.contains(&Oid::new(&MIB2)));
    }

    #[test]
    fn resume_does_not_skip_included_islands() {
        let entries = [
            ViewEntry::include(&MIB2),
            ViewEntry::exclude(&[1, 3, 6, 1, 2, 1, 1]),
            ViewEntry::include(&[1, 3, 6, 1, 2, 1, 1, 5]),
        ];
        let v = View::Subtrees(&entries);
        let r = v.resume_after(&Oid::new(&[1, 3, 6, 1, 2, 1, 1, 1, 0]));
        let Resume::After(p) = r else { panic!() };
        assert!(p < Oid::new(&[1, 3, 6, 1, 2, 1, 1, 5]));
        assert!(p > Oid::new(&[1, 3, 6, 1, 2, 1, 1, 4, 99]));
        let r = v.resume_after(&Oid::new(&[1, 3, 6, 1, 2, 1, 1, 6, 0]));
        let Resume::After(p) = r else { panic!() };
        assert!(p > Oid::new(&[1, 3, 6, 1, 2, 1, 1, 99]));
        assert!(p < Oid::new(&[1, 3, 6, 1, 2, 1, 2]));
        assert_eq!(v.resume_after(&Oid::new(&[1, 3, 6, 1, 4])), Resume::End);
        let r = v.resume_after(&Oid::new(&[0, 1]));
        assert!(matches!(r, Resume::After(p) if p < Oid::new(&MIB2)));
    }
}
