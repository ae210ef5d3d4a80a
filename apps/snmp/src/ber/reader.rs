//! A bounded BER reader.

use super::{BerError, MAX_DEPTH, tag};
use crate::oid::{MAX_OID_LEN, Oid};

/// One tag-length-value element, borrowed from the input.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag octet.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// Offset of the first content octet from the start of the outermost
    /// input (used to locate msgAuthenticationParameters for HMAC).
    pub offset: usize,
}

/// A reader over a byte slice that never reads past its bounds.
///
/// Nested elements are read with [`Reader::sequence`] or
/// [`Reader::nested`], which return a sub-reader limited to the element's
/// content and one level deeper; past [`MAX_DEPTH`] they fail.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    depth: u8,
}

impl<'a> Reader<'a> {
    /// A reader over a whole message.
    pub const fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            base: 0,
            depth: 0,
        }
    }

    /// A sub-reader over the content of `tlv`, one level deeper than `self`.
    pub fn nested(&self, tlv: &Tlv<'a>) -> Result<Reader<'a>, BerError> {
        if self.depth >= MAX_DEPTH {
            return Err(BerError::TooDeep);
        }
        Ok(Reader {
            data: tlv.value,
            pos: 0,
            base: tlv.offset,
            depth: self.depth + 1,
        })
    }

    /// Whether every octet has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The octets not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// Fails with [`BerError::TrailingData`] unless everything was read.
    pub fn finish(&self) -> Result<(), BerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(BerError::TrailingData)
        }
    }

    fn byte(&mut self) -> Result<u8, BerError> {
        let b = *self.data.get(self.pos).ok_or(BerError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// The tag of the next element, without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads the next element of any tag.
    pub fn read_tlv(&mut self) -> Result<Tlv<'a>, BerError> {
        let t = self.byte()?;
        if t & 0x1f == 0x1f {
            return Err(BerError::UnsupportedTag);
        }
        let first = self.byte()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else if first == 0x80 {
            return Err(BerError::IndefiniteLength);
        } else {
            let n = first & 0x7f;
            if n > 4 {
                return Err(BerError::LengthTooLong);
            }
            let mut len: u32 = 0;
            for _ in 0..n {
                len = (len << 8) | u32::from(self.byte()?);
            }
            usize::try_from(len).map_err(|_| BerError::LengthOverrun)?
        };
        let start = self.pos;
        let end = start.checked_add(len).ok_or(BerError::LengthOverrun)?;
        let value = self.data.get(start..end).ok_or(if end > self.data.len() {
            BerError::LengthOverrun
        } else {
            BerError::Truncated
        })?;
        self.pos = end;
        Ok(Tlv {
            tag: t,
            value,
            offset: self.base + start,
        })
    }

    /// Reads the next element and checks its tag.
    pub fn expect(&mut self, expected: u8) -> Result<Tlv<'a>, BerError> {
        let tlv = self.read_tlv()?;
        if tlv.tag != expected {
            return Err(BerError::UnexpectedTag {
                expected,
                found: tlv.tag,
            });
        }
        Ok(tlv)
    }

    /// Reads a constructed element with tag `t` and returns a sub-reader
    /// over its content.
    pub fn constructed(&mut self, t: u8) -> Result<Reader<'a>, BerError> {
        let tlv = self.expect(t)?;
        self.nested(&tlv)
    }

    /// Reads a SEQUENCE and returns a sub-reader over its content.
    pub fn sequence(&mut self) -> Result<Reader<'a>, BerError> {
        self.constructed(tag::SEQUENCE)
    }

    /// Reads an INTEGER that must fit an `i32`.
    pub fn integer(&mut self) -> Result<i32, BerError> {
        let tlv = self.expect(tag::INTEGER)?;
        let v = decode_signed(tlv.value)?;
        i32::try_from(v).map_err(|_| BerError::BadInteger)
    }

    /// Reads an INTEGER that must lie in `0..=2^31-1` (msgID, engineBoots …).
    pub fn non_negative(&mut self) -> Result<u32, BerError> {
        let v = self.integer()?;
        u32::try_from(v).map_err(|_| BerError::BadInteger)
    }

    /// Reads an OCTET STRING.
    pub fn octet_string(&mut self) -> Result<&'a [u8], BerError> {
        Ok(self.expect(tag::OCTET_STRING)?.value)
    }

    /// Reads an OCTET STRING and returns it with its offset.
    pub fn octet_string_tlv(&mut self) -> Result<Tlv<'a>, BerError> {
        self.expect(tag::OCTET_STRING)
    }

    /// Reads an OBJECT IDENTIFIER.
    pub fn oid(&mut self) -> Result<Oid, BerError> {
        let tlv = self.expect(tag::OID)?;
        decode_oid(tlv.value)
    }
}

/// Decodes two's-complement INTEGER content of 1 to 8 octets.
pub(crate) fn decode_signed(v: &[u8]) -> Result<i64, BerError> {
    let first = *v.first().ok_or(BerError::BadInteger)?;
    if v.len() > 8 {
        return Err(BerError::BadInteger);
    }
    let mut acc: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    for &b in v {
        acc = (acc << 8) | i64::from(b);
    }
    Ok(acc)
}

/// Decodes unsigned INTEGER content (Counter32/64, Gauge32, TimeTicks) that
/// must fit `bits` bits. A leading zero octet is allowed (it carries the
/// sign); a negative encoding is rejected.
pub(crate) fn decode_unsigned(v: &[u8], bits: u32) -> Result<u64, BerError> {
    let first = *v.first().ok_or(BerError::BadInteger)?;
    if first & 0x80 != 0 {
        return Err(BerError::BadInteger);
    }
    let digits = if first == 0 {
        v.get(1..).unwrap_or(&[])
    } else {
        v
    };
    if digits.len() > 8 {
        return Err(BerError::BadInteger);
    }
    let mut acc: u64 = 0;
    for &b in digits {
        acc = (acc << 8) | u64::from(b);
    }
    if bits < 64 && acc >> bits != 0 {
        return Err(BerError::BadInteger);
    }
    Ok(acc)
}

/// Decodes OBJECT IDENTIFIER content.
pub(crate) fn decode_oid(v: &[u8]) -> Result<Oid, BerError> {
    if v.is_empty() {
        return Err(BerError::BadOid);
    }
    let mut arcs = [0u32; MAX_OID_LEN];
    let mut n = 0usize;
    let mut acc: u32 = 0;
    let mut in_subid = false;
    for &b in v {
        if !in_subid && b == 0x80 {
            // A sub-identifier may not start with a 0x80 padding octet.
            return Err(BerError::BadOid);
        }
        if acc > (u32::MAX >> 7) {
            return Err(BerError::BadOid);
        }
        acc = (acc << 7) | u32::from(b & 0x7f);
        if b & 0x80 != 0 {
            in_subid = true;
            continue;
        }
        in_subid = false;
        if n == 0 {
            let (x, y) = match acc {
                0..40 => (0, acc),
                40..80 => (1, acc - 40),
                _ => (2, acc - 80),
            };
            arcs[0] = x;
            arcs[1] = y;
            n = 2;
        } else {
            let slot = arcs.get_mut(n).ok_or(BerError::BadOid)?;
            *slot = acc;
            n += 1;
        }
        acc = 0;
    }
    if in_subid {
        return Err(BerError::BadOid);
    }
    Oid::from_slice(arcs.get(..n).unwrap_or(&[])).ok_or(BerError::BadOid)
}
