//! A forward BER writer with exact size helpers.

use super::BerError;
use crate::oid::Oid;

/// Octets needed to encode a definite length `len` (1 to 5).
pub const fn len_of_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xff {
        2
    } else if len <= 0xffff {
        3
    } else if len <= 0xff_ffff {
        4
    } else {
        5
    }
}

/// Total size of a TLV with `content` content octets.
pub const fn tlv_len(content: usize) -> usize {
    1 + len_of_len(content) + content
}

/// Content octets of a two's-complement INTEGER holding `v`.
pub const fn integer_len(v: i64) -> usize {
    let mut n = 1;
    let mut x = v;
    // Shrink while the top 9 bits are all equal (redundant sign octet).
    while n < 8 {
        let shifted = x >> 7;
        if shifted == 0 || shifted == -1 {
            break;
        }
        x >>= 8;
        n += 1;
    }
    n
}

/// Content octets of an unsigned value encoded as a non-negative INTEGER.
pub const fn unsigned_len(v: u64) -> usize {
    let mut n = 1;
    let mut x = v;
    while x > 0x7f {
        x >>= 8;
        n += 1;
    }
    n
}

/// Content octets of an OBJECT IDENTIFIER.
pub fn oid_len(oid: &Oid) -> usize {
    let arcs = oid.as_slice();
    let (first, rest) = first_subid(arcs);
    subid_len(first) + rest.iter().map(|&a| subid_len(a)).sum::<usize>()
}

/// The combined first sub-identifier (40 * X + Y) and the remaining arcs.
/// OIDs shorter than two arcs are padded with zeros.
fn first_subid(arcs: &[u32]) -> (u32, &[u32]) {
    let x = arcs.first().copied().unwrap_or(0).min(2);
    let y = arcs.get(1).copied().unwrap_or(0);
    let combined = x.saturating_mul(40).saturating_add(y);
    (combined, arcs.get(2..).unwrap_or(&[]))
}

const fn subid_len(v: u32) -> usize {
    let mut n = 1;
    let mut x = v >> 7;
    while x != 0 {
        x >>= 7;
        n += 1;
    }
    n
}

/// Writes BER forward into a caller buffer; every write is bounds-checked.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer starting at the beginning of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// A writer starting at `pos` in `buf`.
    pub fn at(buf: &'a mut [u8], pos: usize) -> Self {
        Writer { buf, pos }
    }

    /// Current write position.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Octets left in the buffer.
    pub fn space(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Appends raw octets.
    pub fn bytes(&mut self, b: &[u8]) -> Result<(), BerError> {
        let end = self
            .pos
            .checked_add(b.len())
            .ok_or(BerError::BufferTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(BerError::BufferTooSmall)?
            .copy_from_slice(b);
        self.pos = end;
        Ok(())
    }

    fn byte(&mut self, b: u8) -> Result<(), BerError> {
        let slot = self.buf.get_mut(self.pos).ok_or(BerError::BufferTooSmall)?;
        *slot = b;
        self.pos += 1;
        Ok(())
    }

    /// Writes a tag and a definite length.
    pub fn header(&mut self, tag: u8, len: usize) -> Result<(), BerError> {
        self.byte(tag)?;
        let n = len_of_len(len);
        if n == 1 {
            // len < 0x80 here, so the cast is lossless.
            return self.byte(len as u8);
        }
        self.byte(0x80 | (n as u8 - 1))?;
        for i in (0..n - 1).rev() {
            self.byte((len >> (8 * i)) as u8)?;
        }
        Ok(())
    }

    /// Writes a whole primitive TLV.
    pub fn tlv(&mut self, tag: u8, value: &[u8]) -> Result<(), BerError> {
        self.header(tag, value.len())?;
        self.bytes(value)
    }

    /// Writes a signed INTEGER-like value with tag `tag`.
    pub fn signed(&mut self, tag: u8, v: i64) -> Result<(), BerError> {
        // The low `integer_len` octets of the two's complement (at most 8).
        self.low_octets(tag, integer_len(v), v as u64)
    }

    /// Writes an unsigned value (Counter32/64, Gauge32, TimeTicks) with tag `tag`.
    pub fn unsigned(&mut self, tag: u8, v: u64) -> Result<(), BerError> {
        self.low_octets(tag, unsigned_len(v), v)
    }

    /// Writes a `tag` TLV whose content is the `n` low octets of `v`, most
    /// significant first (`n` may be 9: a leading zero octet).
    fn low_octets(&mut self, tag: u8, n: usize, v: u64) -> Result<(), BerError> {
        self.header(tag, n)?;
        for i in (0..n).rev() {
            // Shifting a u64 by 64 is not allowed, so handle it explicitly.
            let b = if i >= 8 { 0 } else { (v >> (8 * i)) as u8 };
            self.byte(b)?;
        }
        Ok(())
    }

    /// Writes an OBJECT IDENTIFIER with tag `tag`.
    pub fn oid(&mut self, tag: u8, oid: &Oid) -> Result<(), BerError> {
        self.header(tag, oid_len(oid))?;
        let (first, rest) = first_subid(oid.as_slice());
        self.subid(first)?;
        for &a in rest {
            self.subid(a)?;
        }
        Ok(())
    }

    fn subid(&mut self, v: u32) -> Result<(), BerError> {
        let n = subid_len(v);
        for i in (0..n).rev() {
            let mut b = ((v >> (7 * i)) & 0x7f) as u8;
            if i != 0 {
                b |= 0x80;
            }
            self.byte(b)?;
        }
        Ok(())
    }

    /// The written part of the buffer.
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_writes() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            32767,
            32768,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut b = [0u8; 16];
            let mut w = Writer::new(&mut b);
            w.signed(0x02, v).unwrap();
            assert_eq!(w.pos(), 2 + integer_len(v), "{v}");
        }
        for v in [0u64, 127, 128, 255, 0xffff_ffff, u64::MAX] {
            let mut b = [0u8; 16];
            let mut w = Writer::new(&mut b);
            w.unsigned(0x46, v).unwrap();
            assert_eq!(w.pos(), 2 + unsigned_len(v), "{v}");
        }
        assert_eq!(unsigned_len(u64::MAX), 9);
        for len in [0usize, 127, 128, 255, 256, 65535, 65536] {
            let mut b = [0u8; 8];
            let mut w = Writer::new(&mut b);
            w.header(0x30, len).unwrap();
            assert_eq!(w.pos(), 1 + len_of_len(len));
        }
    }

    #[test]
    fn known_encodings() {
        let mut b = [0u8; 16];
        let mut w = Writer::new(&mut b);
        w.signed(0x02, 128).unwrap();
        assert_eq!(w.written(), &[0x02, 0x02, 0x00, 0x80]);
        let mut b = [0u8; 16];
        let mut w = Writer::new(&mut b);
        w.signed(0x02, -129).unwrap();
        assert_eq!(w.written(), &[0x02, 0x02, 0xff, 0x7f]);
        let mut b = [0u8; 16];
        let mut w = Writer::new(&mut b);
        w.unsigned(0x41, 0xffff_ffff).unwrap();
        assert_eq!(w.written(), &[0x41, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff]);
        let mut b = [0u8; 4];
        let mut w = Writer::new(&mut b);
        w.header(0x30, 300).unwrap();
        assert_eq!(w.written(), &[0x30, 0x82, 0x01, 0x2c]);
        assert_eq!(w.header(0x30, 1), Err(BerError::BufferTooSmall));
    }
}
