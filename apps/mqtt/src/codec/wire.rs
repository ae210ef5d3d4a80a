//! Primitive MQTT data types (section 1.5 of both specs): a bounded reader over
//! a borrowed slice and a writer that counts what it cannot store.

use super::error::{DecodeError, EncodeError};

/// Largest value a variable byte integer can hold (4 bytes of 7 bits).
pub const VARINT_MAX: u32 = 268_435_455;

/// Outcome of reading a variable byte integer from a possibly partial buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum VarInt {
    /// The value and how many bytes encoded it.
    Value(u32, usize),
    /// The buffer ends before the integer does.
    Incomplete,
}

/// Reads a variable byte integer from the start of `buf`.
///
/// At most four bytes are examined, so the loop is bounded by construction.
pub(crate) fn read_varint(buf: &[u8]) -> Result<VarInt, DecodeError> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let Some(&b) = buf.get(i) else {
            return Ok(VarInt::Incomplete);
        };
        value |= u32::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            // A final byte of 0 after the first one means a longer encoding
            // than the value needs (MQTT 5 section 1.5.5).
            if i > 0 && b == 0 {
                return Err(DecodeError::VarIntNotMinimal);
            }
            return Ok(VarInt::Value(value, i + 1));
        }
    }
    Err(DecodeError::RemainingLengthTooLong)
}

/// Bytes a variable byte integer with `value` occupies.
pub const fn varint_len(value: u32) -> usize {
    if value < 128 {
        1
    } else if value < 16_384 {
        2
    } else if value < 2_097_152 {
        3
    } else {
        4
    }
}

/// A cursor over one packet's bytes; every read is bounds-checked and fails with
/// [`DecodeError::Truncated`] instead of panicking.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&b, tail) = self.buf.split_first().ok_or(DecodeError::Truncated)?;
        self.buf = tail;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        match b {
            [h, l] => Ok(u16::from_be_bytes([*h, *l])),
            _ => Err(DecodeError::Truncated),
        }
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        match b {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(DecodeError::Truncated),
        }
    }

    pub(crate) fn varint(&mut self) -> Result<u32, DecodeError> {
        match read_varint(self.buf)? {
            VarInt::Value(v, n) => {
                self.take(n)?;
                Ok(v)
            }
            VarInt::Incomplete => Err(DecodeError::Truncated),
        }
    }

    /// Two-byte length followed by that many bytes.
    pub(crate) fn binary(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// A UTF-8 encoded string: valid UTF-8 with no U+0000 (section 1.5.4).
    pub(crate) fn utf8(&mut self) -> Result<&'a str, DecodeError> {
        let b = self.binary()?;
        check_utf8(b)
    }
}

/// Validates an MQTT string: UTF-8 and free of U+0000.
pub(crate) fn check_utf8(b: &[u8]) -> Result<&str, DecodeError> {
    let s = core::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8)?;
    if b.contains(&0) {
        return Err(DecodeError::InvalidUtf8);
    }
    Ok(s)
}

/// Writes into a caller buffer; past its end it keeps counting, so one pass
/// both encodes and reports the size needed.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Bytes written (or that would have been written).
    pub(crate) fn len(&self) -> usize {
        self.pos
    }

    pub(crate) fn overflowed(&self) -> bool {
        self.pos > self.buf.len()
    }

    pub(crate) fn finish(self) -> Result<usize, EncodeError> {
        if self.overflowed() {
            Err(EncodeError::BufferTooSmall { needed: self.pos })
        } else {
            Ok(self.pos)
        }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        let end = self.pos.saturating_add(b.len());
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(b);
        }
        self.pos = end;
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn varint(&mut self, v: u32) -> Result<(), EncodeError> {
        if v > VARINT_MAX {
            return Err(EncodeError::PacketTooLarge);
        }
        let mut v = v;
        // At most 4 iterations: v <= VARINT_MAX.
        loop {
            let mut b = (v & 0x7F) as u8;
            v >>= 7;
            if v > 0 {
                b |= 0x80;
            }
            self.u8(b);
            if v == 0 {
                return Ok(());
            }
        }
    }

    pub(crate) fn binary(&mut self, b: &[u8]) -> Result<(), EncodeError> {
        let n = u16::try_from(b.len()).map_err(|_| EncodeError::FieldTooLong)?;
        self.u16(n);
        self.bytes(b);
        Ok(())
    }

    pub(crate) fn utf8(&mut self, s: &str) -> Result<(), EncodeError> {
        if s.as_bytes().contains(&0) {
            return Err(EncodeError::InvalidUtf8);
        }
        self.binary(s.as_bytes())
    }
}
