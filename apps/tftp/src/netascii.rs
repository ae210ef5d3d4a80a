//! Streaming netascii conversion (RFC 1350 / RFC 764 NVT ASCII).
//!
//! Local files use LF line ends. On the wire a line end is CR LF and a bare CR
//! is CR NUL. Both directions keep one byte of state so a pair may straddle a
//! block boundary.

/// Local bytes to netascii.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoder {
    /// The second byte of a pair whose first byte ended the previous block.
    pending: Option<u8>,
}

impl Encoder {
    /// A fresh encoder.
    pub const fn new() -> Self {
        Encoder { pending: None }
    }

    /// Whether a converted byte is still waiting to be written.
    pub const fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Converts from `src` into `dst`. Returns `(consumed, produced)`; stops
    /// when `dst` is full or `src` is used up.
    pub fn encode(&mut self, src: &[u8], dst: &mut [u8]) -> (usize, usize) {
        let mut used = 0;
        let mut out = 0;
        for slot in dst.iter_mut() {
            if let Some(p) = self.pending.take() {
                *slot = p;
                out += 1;
                continue;
            }
            let Some(&c) = src.get(used) else { break };
            used += 1;
            out += 1;
            match c {
                b'\n' => {
                    *slot = b'\r';
                    self.pending = Some(b'\n');
                }
                b'\r' => {
                    *slot = b'\r';
                    self.pending = Some(0);
                }
                c => *slot = c,
            }
        }
        (used, out)
    }
}

/// Netascii to local bytes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoder {
    /// A CR ended the previous chunk.
    pending_cr: bool,
}

impl Decoder {
    /// A fresh decoder.
    pub const fn new() -> Self {
        Decoder { pending_cr: false }
    }

    /// Converts `src` into `dst`, which must be at least `src.len() + 1`
    /// bytes long (a held-back CR may be released). Returns bytes written.
    /// Excess input is dropped if `dst` is too short, never overflowing it.
    pub fn decode(&mut self, src: &[u8], dst: &mut [u8]) -> usize {
        let mut out = 0;
        let mut put = |b: u8, out: &mut usize| {
            if let Some(d) = dst.get_mut(*out) {
                *d = b;
                *out += 1;
            }
        };
        for &c in src {
            if self.pending_cr {
                self.pending_cr = false;
                match c {
                    b'\n' => put(b'\n', &mut out),
                    0 => put(b'\r', &mut out),
                    b'\r' => {
                        // Lenient: a CR not followed by LF/NUL stays a CR.
                        put(b'\r', &mut out);
                        self.pending_cr = true;
                    }
                    other => {
                        put(b'\r', &mut out);
                        put(other, &mut out);
                    }
                }
            } else if c == b'\r' {
                self.pending_cr = true;
            } else {
                put(c, &mut out);
            }
        }
        out
    }

    /// Ends the stream: a dangling CR is returned as a byte to write.
    pub fn finish(&mut self) -> Option<u8> {
        core::mem::take(&mut self.pending_cr).then_some(b'\r')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_all(src: &[u8], chunk: usize) -> Vec<u8> {
        let mut e = Encoder::new();
        let mut out = Vec::new();
        let mut at = 0;
        let mut buf = vec![0u8; chunk];
        loop {
            let (used, n) = e.encode(&src[at..], &mut buf);
            at += used;
            out.extend_from_slice(&buf[..n]);
            if n == 0 {
                break;
            }
        }
        out
    }

    fn decode_all(src: &[u8], chunk: usize) -> Vec<u8> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in src.chunks(chunk) {
            let mut buf = vec![0u8; c.len() + 1];
            let n = d.decode(c, &mut buf);
            out.extend_from_slice(&buf[..n]);
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn conversions_across_every_split() {
        let local = b"a\nb\rc\r\n\n\rx\r";
        let wire = b"a\r\nb\r\0c\r\0\r\n\r\n\r\0x\r\0";
        for chunk in 1..=wire.len() + 1 {
            assert_eq!(encode_all(local, chunk), wire, "encode chunk {chunk}");
            assert_eq!(decode_all(wire, chunk), local, "decode chunk {chunk}");
        }
    }

    #[test]
    fn lenient_decode() {
        assert_eq!(decode_all(b"a\rb\r\r\n", 2), b"a\rb\r\n");
        let mut d = Decoder::new();
        let mut tiny = [0u8; 1];
        assert_eq!(d.decode(b"abc", &mut tiny), 1);
    }
}
