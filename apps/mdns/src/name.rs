//! Domain names: an owned, uncompressed wire-format [`Name`] and the
//! loop-proof decompressing parser.
//!
//! A name is at most 255 bytes in wire form (RFC 1035 3.1), each label at
//! most 63. Parsing follows compression pointers with three guarantees that
//! make hostile messages harmless: every pointer must point strictly before
//! the position it was read from (so a chain cannot loop), at most
//! [`MAX_JUMPS`] pointers are followed, and the decoded name may not exceed
//! 255 bytes. Every length is checked against the message.

use core::fmt;

use crate::wire::WireError;

/// Longest name in wire form (RFC 1035).
pub const MAX_NAME: usize = 255;
/// Longest label (RFC 1035).
pub const MAX_LABEL: usize = 63;
/// Most compression pointers followed while reading one name (a name has at
/// most 127 labels, so an honest message never needs more).
pub const MAX_JUMPS: usize = 128;

/// A domain name in uncompressed wire form (length-prefixed labels ending in
/// the root label), compared case-insensitively (ASCII).
#[derive(Clone)]
pub struct Name {
    buf: [u8; MAX_NAME],
    len: u8,
}

impl Name {
    /// The root name (`.`).
    pub const fn root() -> Name {
        Name {
            buf: [0; MAX_NAME],
            len: 1,
        }
    }

    /// Builds a name from dotted text (`"petrel.local"`; a trailing dot is
    /// allowed). Labels are taken verbatim (no escapes), so an instance
    /// label with spaces or dots goes through [`Name::push_label`] instead.
    pub fn from_dotted(text: &str) -> Result<Name, WireError> {
        let mut n = Name::root();
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Ok(n);
        }
        for label in text.split('.') {
            n.push_label(label.as_bytes())?;
        }
        Ok(n)
    }

    /// Appends a label before the root label.
    pub fn push_label(&mut self, label: &[u8]) -> Result<(), WireError> {
        if label.is_empty() || label.len() > MAX_LABEL {
            return Err(WireError::BadLabel);
        }
        let len = usize::from(self.len);
        let new_len = len + 1 + label.len();
        if new_len > MAX_NAME {
            return Err(WireError::NameTooLong);
        }
        // `len >= 1` always (the root label); the root moves to the end.
        let start = len - 1;
        let dst = self
            .buf
            .get_mut(start..new_len)
            .ok_or(WireError::NameTooLong)?;
        let (head, rest) = dst.split_at_mut(1);
        head[0] = label.len() as u8; // <= 63, checked above
        let (body, root) = rest.split_at_mut(label.len());
        body.copy_from_slice(label);
        if let Some(r) = root.first_mut() {
            *r = 0;
        }
        self.len = new_len as u8; // <= 255, checked above
        Ok(())
    }

    /// Appends every label of `other`.
    pub fn append(&mut self, other: &Name) -> Result<(), WireError> {
        for l in other.labels() {
            self.push_label(l)?;
        }
        Ok(())
    }

    /// `label` followed by `rest` (an instance name from its label and its
    /// service type).
    pub fn join(label: &[u8], rest: &Name) -> Result<Name, WireError> {
        let mut n = Name::root();
        n.push_label(label)?;
        n.append(rest)?;
        Ok(n)
    }

    /// The wire form, including the final root label.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[0])
    }

    /// The labels, first to last (the root label is not included).
    pub fn labels(&self) -> Labels<'_> {
        Labels {
            bytes: self.as_bytes(),
        }
    }

    /// How many labels (without the root).
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// The first label, if any.
    pub fn first_label(&self) -> Option<&[u8]> {
        self.labels().next()
    }

    /// The name without its first label (the root stays the root).
    pub fn parent(&self) -> Name {
        let mut n = Name::root();
        for l in self.labels().skip(1) {
            // Shorter than `self`, so it fits.
            let _ = n.push_label(l);
        }
        n
    }

    /// Whether the name ends with `suffix` (label-wise, ignoring case).
    pub fn ends_with(&self, suffix: &Name) -> bool {
        let (a, b) = (self.label_count(), suffix.label_count());
        if b > a {
            return false;
        }
        self.labels()
            .skip(a - b)
            .zip(suffix.labels())
            .all(|(x, y)| x.eq_ignore_ascii_case(y))
    }

    /// Reads a possibly compressed name at `pos` of `msg`. Returns the name
    /// and the position just after its in-place encoding.
    pub fn parse(msg: &[u8], pos: usize) -> Result<(Name, usize), WireError> {
        let mut name = Name::root();
        let mut at = pos;
        // Where parsing continues in the record: fixed at the first pointer.
        let mut end = None;
        // A pointer must point before the lowest position read so far.
        let mut floor = pos;
        let mut jumps = 0;
        loop {
            let len = *msg.get(at).ok_or(WireError::Truncated)?;
            match len & 0xc0 {
                0x00 => {
                    if len == 0 {
                        return Ok((name, end.unwrap_or(at + 1)));
                    }
                    let l = usize::from(len);
                    let label = msg.get(at + 1..at + 1 + l).ok_or(WireError::Truncated)?;
                    name.push_label(label)?;
                    at += 1 + l;
                }
                0xc0 => {
                    let lo = *msg.get(at + 1).ok_or(WireError::Truncated)?;
                    let target = usize::from(len & 0x3f) << 8 | usize::from(lo);
                    if end.is_none() {
                        end = Some(at + 2);
                    }
                    jumps += 1;
                    if target >= floor || jumps > MAX_JUMPS {
                        return Err(WireError::BadPointer);
                    }
                    floor = target;
                    at = target;
                }
                // 0x40 and 0x80: extended label types (RFC 6891), unused.
                _ => return Err(WireError::BadLabel),
            }
        }
    }

    /// Skips a name at `pos` without decoding it; returns the position after
    /// it.
    pub fn skip(msg: &[u8], pos: usize) -> Result<usize, WireError> {
        Name::parse(msg, pos).map(|(_, end)| end)
    }

    /// Compares two names in DNSSEC canonical order (RFC 4034 6.1):
    /// label by label from the right, each label compared as lower-case
    /// bytes. Used for the tiebreak of rdata that holds names.
    pub fn canonical_cmp(&self, other: &Name) -> core::cmp::Ordering {
        // Plain left-to-right byte comparison of the lower-cased wire form
        // is what RFC 6762 8.2 uses for rdata ("raw uncompressed rdata").
        let a = self.as_bytes().iter().map(u8::to_ascii_lowercase);
        let b = other.as_bytes().iter().map(u8::to_ascii_lowercase);
        a.cmp(b)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_bytes().eq_ignore_ascii_case(other.as_bytes())
    }
}

impl Eq for Name {}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for l in self.labels() {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            for &b in l {
                match b {
                    b'.' | b'\\' => write!(f, "\\{}", b as char)?,
                    0x21..=0x7e | b' ' => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
        }
        if first {
            f.write_str(".")?;
        }
        Ok(())
    }
}

/// Iterator over the labels of a [`Name`].
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    bytes: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.bytes.split_first()?;
        if len == 0 {
            return None;
        }
        let label = rest.get(..usize::from(len))?;
        self.bytes = rest.get(usize::from(len)..)?;
        Some(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_round_trip_and_case() {
        let n = Name::from_dotted("Petrel.local.").unwrap();
        assert_eq!(n.as_bytes(), b"\x06Petrel\x05local\x00");
        assert_eq!(n, Name::from_dotted("petrel.LOCAL").unwrap());
        assert_eq!(format!("{n}"), "Petrel.local");
        assert_eq!(n.parent(), Name::from_dotted("local").unwrap());
        assert!(n.ends_with(&Name::from_dotted("local").unwrap()));
        assert_eq!(format!("{}", Name::root()), ".");
    }

    #[test]
    fn label_limits() {
        assert_eq!(
            Name::from_dotted(&"a".repeat(64)).unwrap_err(),
            WireError::BadLabel
        );
        let long = vec!["a".repeat(63); 4].join(".");
        assert_eq!(
            Name::from_dotted(&long).unwrap_err(),
            WireError::NameTooLong
        );
        let ok = [
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(63),
            "a".repeat(61),
        ]
        .join(".");
        assert_eq!(Name::from_dotted(&ok).unwrap().as_bytes().len(), 255);
    }

    #[test]
    fn compression_pointers() {
        // "local" at 0, "petrel" + pointer to 0 at 7.
        let msg = b"\x05local\x00\x06petrel\xc0\x00";
        let (n, end) = Name::parse(msg, 7).unwrap();
        assert_eq!(n, Name::from_dotted("petrel.local").unwrap());
        assert_eq!(end, msg.len());
    }

    #[test]
    fn pointer_loops_and_forward_pointers_rejected() {
        // Points to itself.
        assert_eq!(
            Name::parse(b"\xc0\x00", 0).unwrap_err(),
            WireError::BadPointer
        );
        // Two pointers pointing at each other.
        let msg = b"\x01a\xc0\x04\x01b\xc0\x00";
        assert_eq!(Name::parse(msg, 4).unwrap_err(), WireError::BadPointer);
        // Forward pointer.
        assert_eq!(
            Name::parse(b"\xc0\x02\x00", 0).unwrap_err(),
            WireError::BadPointer
        );
        // Truncated pointer and label.
        assert_eq!(Name::parse(b"\xc0", 0).unwrap_err(), WireError::Truncated);
        assert_eq!(
            Name::parse(b"\x05abc", 0).unwrap_err(),
            WireError::Truncated
        );
        // Extended label type.
        assert_eq!(
            Name::parse(b"\x41a\x00", 0).unwrap_err(),
            WireError::BadLabel
        );
    }

    #[test]
    fn pointer_chain_cannot_grow_past_255() {
        // 200 one-byte labels each followed by a pointer to the previous one:
        // a long backwards chain; the name must be cut at 255 bytes.
        let mut msg = vec![0u8];
        let mut prev = 0usize;
        for _ in 0..200 {
            let here = msg.len();
            msg.extend_from_slice(&[1, b'x', 0xc0 | (prev >> 8) as u8, prev as u8]);
            prev = here;
        }
        assert_eq!(Name::parse(&msg, prev).unwrap_err(), WireError::NameTooLong);
    }
}
