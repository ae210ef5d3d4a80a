//! Helpers for the handful-of-items collections apps keep on
//! microcontrollers, where `core`'s general algorithms cost more flash than
//! the work they do.

use core::cmp::Ordering;

/// Sorts `v` by `cmp` with an insertion sort: stable, in place, no
/// allocation, and a few dozen bytes of code where `core`'s
/// `sort_unstable_by` costs about 1.5 KB of flash per element type.
/// Quadratic, so meant for slices of tens of items sorted rarely (the
/// records of an mDNS probe tiebreak, a MIB table at start-up).
///
/// ```
/// use petrel_netcore::small::sort_by;
/// let mut v = [(3, 'c'), (1, 'a'), (2, 'b'), (1, 'z')];
/// sort_by(&mut v, |a, b| a.0.cmp(&b.0));
/// assert_eq!(v, [(1, 'a'), (1, 'z'), (2, 'b'), (3, 'c')]);
/// sort_by(&mut v, Ord::cmp);
/// assert_eq!(v, [(1, 'a'), (1, 'z'), (2, 'b'), (3, 'c')]);
/// ```
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (v.get(j - 1), v.get(j)) else {
                break;
            };
            if cmp(a, b) != Ordering::Greater {
                break;
            }
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Every arrangement of a 6-item slice with repeated keys.
        let base = [(2u8, 0u8), (0, 1), (1, 2), (2, 3), (0, 4), (1, 5)];
        let mut idx = [0usize, 1, 2, 3, 4, 5];
        let mut count = 0;
        loop {
            let mut v: Vec<_> = idx.iter().map(|&i| base[i]).collect();
            let mut want = v.clone();
            want.sort_by_key(|e| e.0);
            sort_by(&mut v, |a, b| a.0.cmp(&b.0));
            assert_eq!(v, want);
            count += 1;
            // Next permutation of `idx`.
            let Some(i) = (0..5).rev().find(|&i| idx[i] < idx[i + 1]) else {
                break;
            };
            let j = (i + 1..6).rev().find(|&j| idx[i] < idx[j]).unwrap();
            idx.swap(i, j);
            idx[i + 1..].reverse();
        }
        assert_eq!(count, 720);
        let mut empty: [u8; 0] = [];
        sort_by(&mut empty, Ord::cmp);
    }
}
