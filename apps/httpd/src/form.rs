//! Percent-decoding and `application/x-www-form-urlencoded` forms, decoded
//! in place (no heap, no second buffer).
//!
//! A decoded form is stored as `name\0value\0name\0value\0…` in the bytes it
//! was decoded from; [`Pairs`] walks it. NUL (`%00`) is refused, so the
//! separator can never be forged.
//!
//! ```
//! use petrel_httpd::form::{decode_form_in_place, Pairs};
//!
//! let mut body = *b"device_name=my+dev&sntp_servers=a%2Cb&flag";
//! let n = decode_form_in_place(&mut body).unwrap();
//! let form = Pairs::new(&body[..n]);
//! assert_eq!(form.get("device_name"), Some("my dev"));
//! assert_eq!(form.get("sntp_servers"), Some("a,b"));
//! assert_eq!(form.get("flag"), Some(""));
//! ```

use core::fmt;

/// Why a percent-encoded text was refused (400 Bad Request).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// A NUL byte, encoded or not.
    Nul,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadEscape => f.write_str("bad percent escape"),
            DecodeError::Nul => f.write_str("NUL byte"),
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus_space`) in place;
/// returns the decoded length (never more than `bytes.len()`).
pub fn percent_decode_in_place(bytes: &mut [u8], plus_space: bool) -> Result<usize, DecodeError> {
    let mut r = 0;
    let mut w = 0;
    while let Some(&b) = bytes.get(r) {
        let out = match b {
            b'%' => {
                let hi = bytes.get(r + 1).copied().and_then(hex);
                let lo = bytes.get(r + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        r += 3;
                        (h << 4) | l
                    }
                    _ => return Err(DecodeError::BadEscape),
                }
            }
            b'+' if plus_space => {
                r += 1;
                b' '
            }
            _ => {
                r += 1;
                b
            }
        };
        if out == 0 {
            return Err(DecodeError::Nul);
        }
        // w < r always holds here, so the slot exists.
        if let Some(slot) = bytes.get_mut(w) {
            *slot = out;
        }
        w += 1;
    }
    Ok(w)
}

/// Decodes a urlencoded form (`a=1&b=2`, also a query string) in place into
/// the `name\0value\0` layout [`Pairs`] reads; returns its length. Empty
/// pairs (`&&`) are dropped; a pair without `=` has an empty value.
pub fn decode_form_in_place(bytes: &mut [u8]) -> Result<usize, DecodeError> {
    let len = bytes.len();
    let mut r = 0;
    let mut w = 0;
    while r < len {
        let end = bytes
            .get(r..)
            .and_then(|s| s.iter().position(|&b| b == b'&'))
            .map_or(len, |p| r + p);
        if end > r {
            let eq = bytes
                .get(r..end)
                .and_then(|s| s.iter().position(|&b| b == b'='))
                .map(|p| r + p);
            let (name, value) = match eq {
                Some(e) => (r..e, e + 1..end),
                None => (r..end, end..end),
            };
            for part in [name, value] {
                // Decode the piece where it is, then move it down to `w`.
                let piece = bytes.get_mut(part.clone()).ok_or(DecodeError::BadEscape)?;
                let n = percent_decode_in_place(piece, true)?;
                bytes.copy_within(part.start..part.start + n, w);
                w += n;
                if let Some(s) = bytes.get_mut(w) {
                    *s = 0;
                }
                w += 1;
            }
        }
        r = end + 1;
    }
    Ok(w.min(len))
}

/// The decoded `name\0value\0…` pairs of a form or query string.
#[derive(Copy, Clone, Debug, Default)]
pub struct Pairs<'a> {
    data: &'a [u8],
}

impl<'a> Pairs<'a> {
    /// Wraps bytes produced by [`decode_form_in_place`].
    pub fn new(data: &'a [u8]) -> Self {
        Pairs { data }
    }

    /// The first value named `name` (pairs that are not UTF-8 are skipped).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.into_iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Iterates a [`Pairs`].
#[derive(Clone, Debug)]
pub struct PairsIter<'a> {
    parts: core::slice::Split<'a, u8, fn(&u8) -> bool>,
}

fn is_nul(b: &u8) -> bool {
    *b == 0
}

impl<'a> Iterator for PairsIter<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let name = self.parts.next()?;
            let value = self.parts.next()?;
            if let (Ok(n), Ok(v)) = (core::str::from_utf8(name), core::str::from_utf8(value)) {
                return Some((n, v));
            }
        }
    }
}

impl<'a> IntoIterator for Pairs<'a> {
    type Item = (&'a str, &'a str);
    type IntoIter = PairsIter<'a>;
    fn into_iter(self) -> PairsIter<'a> {
        let data = self.data.strip_suffix(&[0]).unwrap_or(self.data);
        let mut parts = data.split(is_nul as fn(&u8) -> bool);
        if data.is_empty() {
            // `split` of an empty slice yields one empty piece; skip it.
            let _ = parts.next();
        }
        PairsIter { parts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(s: &str) -> Result<std::vec::Vec<(String, String)>, DecodeError> {
        let mut b = s.as_bytes().to_vec();
        let n = decode_form_in_place(&mut b)?;
        Ok(Pairs::new(&b[..n])
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect())
    }

    #[test]
    fn decodes_pairs() {
        assert_eq!(
            form("a=1&b=%41%42+c&&d&=e").unwrap(),
            [("a", "1"), ("b", "AB c"), ("d", ""), ("", "e")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert!(form("").unwrap().is_empty());
        assert!(form("&&&").unwrap().is_empty());
    }

    #[test]
    fn hostile_escapes() {
        assert_eq!(form("a=%0"), Err(DecodeError::BadEscape));
        assert_eq!(form("a=%zz"), Err(DecodeError::BadEscape));
        assert_eq!(form("a=%00"), Err(DecodeError::Nul));
        assert_eq!(form("a=\0"), Err(DecodeError::Nul));
        let mut p = *b"/a%2Fb+c";
        let n = percent_decode_in_place(&mut p, false).unwrap();
        assert_eq!(&p[..n], b"/a/b+c");
    }

    #[test]
    fn non_utf8_pairs_are_skipped() {
        let got = form("a=%FF&b=2").unwrap();
        assert_eq!(got, [("b".to_string(), "2".to_string())]);
    }
}
