//! Helpers for the handful-of-items collections and the few parsers apps
//! keep on microcontrollers, where `core`'s general algorithms cost more
//! flash than the work they do, and a [`Cursor`] that writes text (numbers
//! and addresses included) without `core::fmt`.

use core::cmp::Ordering;
use core::fmt;
use core::net::Ipv4Addr;

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

/// A decimal number of ASCII digits only (no sign, no spaces; leading
/// zeros allowed), or `None` if `s` is empty, holds anything else, or is
/// over `u64::MAX`. The one loop the protocol parsers share instead of
/// `core`'s generic integer parsing.
///
/// ```
/// use petrel_netcore::small::decimal;
/// assert_eq!(decimal(b"1428"), Some(1428));
/// assert_eq!(decimal(b"007"), Some(7));
/// assert_eq!(decimal(b"+7"), None);
/// assert_eq!(decimal(b"18446744073709551616"), None);
/// ```
pub fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &c| {
        let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// Writes `v` in decimal into `buf` and returns the digits (the end of
/// `buf`): the counterpart of [`decimal`], without `core::fmt`.
///
/// ```
/// use petrel_netcore::small::format_decimal;
/// let mut buf = [0u8; 20];
/// assert_eq!(format_decimal(1428, &mut buf), "1428");
/// assert_eq!(format_decimal(0, &mut buf), "0");
/// assert_eq!(format_decimal(u64::MAX, &mut buf), "18446744073709551615");
/// ```
pub fn format_decimal(v: u64, buf: &mut [u8; 20]) -> &str {
    // u64::MAX has 20 digits: the loop never runs out of `buf`.
    let mut at = buf.len();
    let mut x = v;
    while let Some(d) = at.checked_sub(1).and_then(|i| buf.get_mut(i)) {
        *d = b'0' + (x % 10) as u8;
        at -= 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    core::str::from_utf8(buf.get(at..).unwrap_or_default()).unwrap_or_default()
}

/// Parses a dotted-quad IPv4 address (`198.51.100.2`), accepting exactly
/// what `core`'s `Ipv4Addr::from_str` accepts (four decimal octets of 0 to
/// 255, no leading zeros, no signs or spaces) in a tenth of its code
/// (about 0.6 KB less flash on thumbv7em).
///
/// ```
/// use petrel_netcore::small::parse_ipv4;
/// use core::net::Ipv4Addr;
/// assert_eq!(parse_ipv4("198.51.100.2"), Some(Ipv4Addr::new(198, 51, 100, 2)));
/// assert_eq!(parse_ipv4("198.51.100.02"), None);
/// assert_eq!(parse_ipv4("198.51.100.256"), None);
/// assert_eq!(parse_ipv4("broker.local"), None);
/// ```
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for o in out.iter_mut() {
        let p = parts.next()?.as_bytes();
        if p.len() > 3 || (p.len() > 1 && p.first() == Some(&b'0')) {
            return None;
        }
        *o = u8::try_from(decimal(p)?).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(out))
}

/// The text did not fit the buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the text does not fit the buffer")
    }
}

/// A cursor writing text into a byte buffer: bytes, decimal and hex
/// numbers and IPv4 addresses without `core::fmt` (whose machinery and
/// argument tables a firmware then leaves out), and [`fmt::Write`] for
/// everything else. It remembers an overflow instead of panicking; what
/// does not fit is dropped and [`finish`](Self::finish) reports it.
///
/// ```
/// use core::net::Ipv4Addr;
/// use petrel_netcore::small::{Cursor, Overflow};
///
/// let mut buf = [0u8; 32];
/// let mut c = Cursor::new(&mut buf);
/// c.put(b"peer ");
/// c.ipv4(Ipv4Addr::new(198, 51, 100, 1));
/// c.put(b":");
/// c.decimal(1883);
/// assert_eq!(c.finish(), Ok(22));
/// assert_eq!(&buf[..22], b"peer 198.51.100.1:1883");
///
/// let mut small = [0u8; 2];
/// let mut c = Cursor::new(&mut small);
/// c.hex(0x1a2, 4);
/// assert_eq!(c.finish(), Err(Overflow));
/// ```
#[derive(Debug)]
pub struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Cursor {
            buf,
            len: 0,
            overflow: false,
        }
    }
    /// Appends bytes (marks overflow when they do not fit).
    pub fn put(&mut self, b: &[u8]) {
        match self.buf.get_mut(self.len..self.len + b.len()) {
            Some(dst) => {
                dst.copy_from_slice(b);
                self.len += b.len();
            }
            None => self.overflow = true,
        }
    }
    /// Appends `v` in decimal ([`format_decimal`]).
    pub fn decimal(&mut self, v: u64) {
        let mut d = [0u8; 20];
        self.put(format_decimal(v, &mut d).as_bytes());
    }
    /// Appends `v` in decimal, zero-padded to at least `width` digits.
    pub fn padded(&mut self, v: u64, width: usize) {
        let mut d = [0u8; 20];
        let digits = format_decimal(v, &mut d);
        for _ in digits.len()..width {
            self.put(b"0");
        }
        self.put(digits.as_bytes());
    }
    /// Appends `v` in decimal with a `-` when negative.
    pub fn signed(&mut self, v: i64) {
        if v < 0 {
            self.put(b"-");
        }
        self.decimal(v.unsigned_abs());
    }
    /// Appends `v` in lower-case hex, zero-padded to at least `width`
    /// digits (16 at most).
    pub fn hex(&mut self, v: u64, width: usize) {
        let mut d = [0u8; 16];
        let mut at = d.len();
        let mut x = v;
        while let Some(slot) = at.checked_sub(1).and_then(|i| d.get_mut(i)) {
            let nibble = (x & 0xf) as u8;
            *slot = if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            };
            at -= 1;
            x >>= 4;
            if x == 0 && d.len() - at >= width {
                break;
            }
        }
        self.put(d.get(at..).unwrap_or_default());
    }
    /// Appends `a` in dotted-quad form (`198.51.100.2`).
    pub fn ipv4(&mut self, a: Ipv4Addr) {
        for (i, o) in a.octets().into_iter().enumerate() {
            if i > 0 {
                self.put(b".");
            }
            self.decimal(u64::from(o));
        }
    }
    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The length, or [`Overflow`] if anything did not fit.
    pub fn finish(self) -> Result<usize, Overflow> {
        if self.overflow {
            Err(Overflow)
        } else {
            Ok(self.len)
        }
    }
}

/// Writes what `write` puts into an `N`-byte cursor to `f`: the body of a
/// `Display` impl over a `write_to(&mut Cursor)` that avoids `core::fmt`'s
/// number formatting (text past `N` bytes is left out).
pub(crate) fn display_with<const N: usize>(
    f: &mut fmt::Formatter<'_>,
    write: impl FnOnce(&mut Cursor<'_>),
) -> fmt::Result {
    let mut buf = [0u8; N];
    let mut c = Cursor::new(&mut buf);
    write(&mut c);
    let n = c.len();
    f.write_str(core::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default())
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes());
        if self.overflow {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cursor, Overflow, decimal, format_decimal, parse_ipv4, sort_by};
    use core::net::Ipv4Addr;

    /// What the cursor wrote, or `None` on overflow.
    fn written(cap: usize, f: impl FnOnce(&mut Cursor<'_>)) -> Option<String> {
        let mut buf = vec![0u8; cap];
        let mut c = Cursor::new(&mut buf);
        f(&mut c);
        let n = c.finish().ok()?;
        Some(String::from_utf8(buf[..n].to_vec()).unwrap())
    }

    #[test]
    fn the_cursor_writes_what_core_fmt_writes() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = vec![0u64, 1, 9, 10, 15, 16, 255, 256, u64::MAX, i64::MAX as u64];
        for _ in 0..2000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            values.push(rng >> (rng % 64));
        }
        for &v in &values {
            assert_eq!(written(20, |c| c.decimal(v)).unwrap(), v.to_string());
            for w in [0usize, 1, 2, 8, 16, 17] {
                assert_eq!(
                    written(20, |c| c.hex(v, w)).unwrap(),
                    format!("{v:0width$x}", width = w.min(16)),
                    "{v:x} width {w}"
                );
            }
            let s = v as i64;
            assert_eq!(written(20, |c| c.signed(s)).unwrap(), s.to_string());
            let a = Ipv4Addr::from((v >> 7) as u32);
            assert_eq!(written(15, |c| c.ipv4(a)).unwrap(), a.to_string());
        }
        assert_eq!(
            written(20, |c| c.signed(i64::MIN)).unwrap(),
            i64::MIN.to_string()
        );
        for v in [0u64, 7, 42, 999, 1000, 123_456] {
            for w in 0..8 {
                assert_eq!(written(20, |c| c.padded(v, w)).unwrap(), format!("{v:0w$}"));
            }
        }
    }

    #[test]
    fn the_cursor_reports_overflow_and_keeps_what_fit() {
        let mut buf = [0u8; 6];
        let mut c = Cursor::new(&mut buf);
        c.put(b"abc");
        c.decimal(1234);
        assert_eq!(c.len(), 3, "a piece that does not fit is left out whole");
        c.put(b"de");
        assert_eq!(c.len(), 5);
        assert_eq!(c.finish(), Err(Overflow));
        assert_eq!(&buf[..5], b"abcde");
        assert_eq!(
            written(14, |c| c.ipv4(Ipv4Addr::new(255, 255, 255, 255))),
            None
        );
        assert_eq!(written(0, |_| {}), Some(String::new()));
    }

    #[test]
    fn decimal_takes_ascii_digits_only() {
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"0042"), Some(42));
        assert_eq!(decimal(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "18446744073709551616",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "x",
            "١",
        ] {
            assert_eq!(decimal(bad.as_bytes()), None, "{bad:?}");
        }
        let mut buf = [0u8; 20];
        for n in [
            0u64,
            1,
            9,
            10,
            99,
            12345,
            u64::MAX / 10,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal(n.to_string().as_bytes()), Some(n));
            assert_eq!(format_decimal(n, &mut buf), n.to_string());
        }
    }

    #[test]
    fn parses_ipv4_exactly_as_core_does() {
        let fixed = [
            "",
            ".",
            "...",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3.4",
            "1.2.3.4.5",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3.-4",
            "+1.2.3.4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "01.2.3.4",
            "1.2.3.00",
            "1.2.3.0000",
            "1..3.4",
            "1.2.3.4\0",
            "١.2.3.4",
            "1.2.3.4x",
            "999.1.1.1",
            "1.2.3.1000",
            "0x1.2.3.4",
            "localhost",
            "::1",
        ];
        for s in fixed {
            assert_eq!(parse_ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
        }
        // Every string of up to 6 characters over an alphabet that makes
        // near-misses likely, plus a deterministic sample of longer ones.
        let alphabet = ['0', '1', '2', '5', '9', '.', 'a', '-', ' '];
        let mut checked = 0u32;
        let mut s = String::new();
        fn walk(s: &mut String, left: usize, alphabet: &[char], checked: &mut u32) {
            assert_eq!(parse_ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
            *checked += 1;
            if left == 0 {
                return;
            }
            for &c in alphabet {
                s.push(c);
                walk(s, left - 1, alphabet, checked);
                s.pop();
            }
        }
        walk(&mut s, 6, &alphabet, &mut checked);
        assert!(checked > 500_000);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let s: String = (0..(x % 16) as usize)
                .map(|i| b"0123456789..25"[((x >> (4 * i)) % 14) as usize] as char)
                .collect();
            assert_eq!(parse_ipv4(&s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
        }
    }

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
