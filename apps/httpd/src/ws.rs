//! WebSocket (RFC 6455): the opening handshake and the frame codec.
//!
//! The driver's `WebSocket` builds a message API on these (ping → pong,
//! close handshake, fragmented messages reassembled).
//!
//! ```
//! use petrel_httpd::ws::{accept_key, FrameHeader, Opcode};
//!
//! // RFC 6455 §1.3's example key.
//! let mut out = [0u8; 28];
//! accept_key("dGhlIHNhbXBsZSBub25jZQ==", &mut out);
//! assert_eq!(&out, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//!
//! // RFC 6455 §5.7: a masked "Hello" from a client.
//! let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! let (h, n) = FrameHeader::parse(&frame).unwrap().unwrap();
//! assert_eq!((h.opcode, h.len, n), (Opcode::Text, 5, 6));
//! let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! petrel_httpd::ws::apply_mask(&mut payload, h.mask.unwrap(), 0);
//! assert_eq!(&payload, b"Hello");
//! ```

use core::fmt;

use sha1::{Digest, Sha1};

use crate::request::{Method, Request, has_token};

/// The GUID of RFC 6455 §1.3.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Computes `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &str, out: &mut [u8; 28]) {
    let mut h = Sha1::new();
    h.update(key.trim_ascii().as_bytes());
    h.update(GUID);
    let digest = h.finalize();
    let _ = crate::base64::encode(&digest, out);
}

/// Why an upgrade request was refused (400).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// Not a GET with `Upgrade: websocket` and `Connection: upgrade`.
    NotUpgrade,
    /// `Sec-WebSocket-Version` is not 13.
    Version,
    /// `Sec-WebSocket-Key` missing or not 16 bytes in base64.
    Key,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandshakeError::NotUpgrade => "not a WebSocket upgrade",
            HandshakeError::Version => "unsupported WebSocket version",
            HandshakeError::Key => "bad Sec-WebSocket-Key",
        })
    }
}

/// Checks an upgrade request; returns the client's key.
pub fn check_upgrade<'a>(req: &Request<'a>) -> Result<&'a str, HandshakeError> {
    let upgrade = req
        .header("upgrade")
        .is_some_and(|v| has_token(v, "websocket"));
    let conn = req
        .headers()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .any(|(_, v)| has_token(v, "upgrade"));
    if req.method() != Method::Get || !upgrade || !conn || req.head().minor_version < 1 {
        return Err(HandshakeError::NotUpgrade);
    }
    if req.header("sec-websocket-version").map(str::trim) != Some("13") {
        return Err(HandshakeError::Version);
    }
    let key = req.header("sec-websocket-key").ok_or(HandshakeError::Key)?;
    let mut raw = [0u8; 18];
    match crate::base64::decode(key.trim_ascii().as_bytes(), &mut raw) {
        Some(16) => Ok(key.trim_ascii()),
        _ => Err(HandshakeError::Key),
    }
}

/// A frame opcode.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Opcode {
    /// Continuation of a fragmented message.
    Continuation,
    /// UTF-8 text.
    Text,
    /// Binary data.
    Binary,
    /// Close.
    Close,
    /// Ping.
    Ping,
    /// Pong.
    Pong,
}

impl Opcode {
    fn from_bits(b: u8) -> Option<Opcode> {
        Some(match b {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }
    fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }
    /// Whether this is a control frame (close, ping, pong).
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A frame that breaks RFC 6455 (the connection is closed with 1002).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// RSV bits set or an unknown opcode.
    Reserved,
    /// A control frame fragmented or longer than 125 bytes.
    BadControl,
    /// A 64-bit length with the top bit set, or a non-minimal length.
    BadLength,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrameError::Reserved => "reserved bits or opcode",
            FrameError::BadControl => "bad control frame",
            FrameError::BadLength => "bad payload length",
        })
    }
}

/// A frame header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment.
    pub fin: bool,
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key (client frames have one).
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub len: u64,
}

impl FrameHeader {
    /// Parses a header at the start of `buf`: `Ok(None)` if incomplete,
    /// else the header and its length in bytes (2 to 14).
    pub fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, FrameError> {
        let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
            return Ok(None);
        };
        if b0 & 0x70 != 0 {
            return Err(FrameError::Reserved);
        }
        let opcode = Opcode::from_bits(b0 & 0x0f).ok_or(FrameError::Reserved)?;
        let fin = b0 & 0x80 != 0;
        let masked = b1 & 0x80 != 0;
        let mut pos = 2;
        let len = match b1 & 0x7f {
            126 => {
                let Some(b) = buf.get(2..4) else {
                    return Ok(None);
                };
                pos = 4;
                let l = u64::from(u16::from_be_bytes([b[0], b[1]]));
                if l < 126 {
                    return Err(FrameError::BadLength);
                }
                l
            }
            127 => {
                let Some(b) = buf.get(2..10) else {
                    return Ok(None);
                };
                pos = 10;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                let l = u64::from_be_bytes(a);
                if l >> 63 != 0 || l <= 0xffff {
                    return Err(FrameError::BadLength);
                }
                l
            }
            l => u64::from(l),
        };
        if opcode.is_control() && (!fin || len > 125) {
            return Err(FrameError::BadControl);
        }
        let mask = if masked {
            let Some(m) = buf.get(pos..pos + 4) else {
                return Ok(None);
            };
            pos += 4;
            Some([m[0], m[1], m[2], m[3]])
        } else {
            None
        };
        Ok(Some((
            FrameHeader {
                fin,
                opcode,
                mask,
                len,
            },
            pos,
        )))
    }

    /// Writes the header into `out` (at least 14 bytes); returns its length.
    pub fn emit(&self, out: &mut [u8; 14]) -> usize {
        out[0] = (if self.fin { 0x80 } else { 0 }) | self.opcode.bits();
        let m = if self.mask.is_some() { 0x80 } else { 0 };
        let mut pos = if self.len < 126 {
            out[1] = m | self.len as u8;
            2
        } else if self.len <= 0xffff {
            out[1] = m | 126;
            out[2..4].copy_from_slice(&(self.len as u16).to_be_bytes());
            4
        } else {
            out[1] = m | 127;
            out[2..10].copy_from_slice(&self.len.to_be_bytes());
            10
        };
        if let Some(k) = self.mask {
            out[pos..pos + 4].copy_from_slice(&k);
            pos += 4;
        }
        pos
    }
}

/// XORs `data` with the masking key; `offset` is the position of
/// `data[0]` within the frame's payload (for payloads handled in pieces).
pub fn apply_mask(data: &mut [u8], mask: [u8; 4], offset: u64) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= mask[((offset + i as u64) % 4) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        for len in [0u64, 125, 126, 65535, 65536, 1 << 40] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let h = FrameHeader {
                    fin: len % 2 == 0,
                    opcode: Opcode::Binary,
                    mask,
                    len,
                };
                let mut b = [0u8; 14];
                let n = h.emit(&mut b);
                assert_eq!(FrameHeader::parse(&b[..n]).unwrap(), Some((h, n)));
                assert_eq!(FrameHeader::parse(&b[..n - 1]).unwrap(), None);
            }
        }
    }

    #[test]
    fn hostile_frames() {
        assert_eq!(FrameHeader::parse(&[0xC1, 0x00]), Err(FrameError::Reserved));
        assert_eq!(FrameHeader::parse(&[0x83, 0x00]), Err(FrameError::Reserved));
        assert_eq!(
            FrameHeader::parse(&[0x09, 0x00]),
            Err(FrameError::BadControl)
        );
        assert_eq!(
            FrameHeader::parse(&[0x89, 0x7e, 0, 200]),
            Err(FrameError::BadControl)
        );
        assert_eq!(
            FrameHeader::parse(&[0x82, 0x7e, 0, 5]),
            Err(FrameError::BadLength)
        );
        assert_eq!(
            FrameHeader::parse(&[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(FrameError::BadLength)
        );
    }
}
