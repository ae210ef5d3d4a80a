//! Standard base64 (RFC 4648 §4, with padding): encoding for the WebSocket
//! accept key, decoding for Basic auth credentials.
//!
//! ```
//! let mut out = [0u8; 8];
//! let n = petrel_httpd::base64::encode(b"hi!", &mut out).unwrap();
//! assert_eq!(&out[..n], b"aGkh");
//! let mut back = [0u8; 3];
//! assert_eq!(petrel_httpd::base64::decode(b"aGkh", &mut back), Some(3));
//! ```

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `input` into `out`; returns the length, or `None` if `out` is
/// shorter than `4 * ceil(len / 3)`.
pub fn encode(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let need = input.len().div_ceil(3) * 4;
    let out = out.get_mut(..need)?;
    for (chunk, dst) in input.chunks(3).zip(out.chunks_mut(4)) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, d) in dst.iter_mut().enumerate() {
            let idx = (n >> (18 - 6 * i)) & 63;
            *d = if i <= chunk.len() {
                ALPHABET[idx as usize]
            } else {
                b'='
            };
        }
    }
    Some(need)
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes padded base64 into `out`; `None` if malformed or `out` is too
/// short.
pub fn decode(input: &[u8], out: &mut [u8]) -> Option<usize> {
    if !input.len().is_multiple_of(4) {
        return None;
    }
    let mut w = 0;
    let quads = input.len() / 4;
    for (qi, q) in input.chunks(4).enumerate() {
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && qi + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for (i, &c) in q.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { value(c)? };
            n = n << 6 | v;
        }
        for i in 0..3 - pad {
            *out.get_mut(w)? = (n >> (16 - 8 * i)) as u8;
            w += 1;
        }
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let v: [(&[u8], &[u8]); 7] = [
            (b"", b""),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ];
        for (plain, enc) in v {
            let mut o = [0u8; 16];
            let n = encode(plain, &mut o).unwrap();
            assert_eq!(&o[..n], enc);
            let mut d = [0u8; 16];
            let n = decode(enc, &mut d).unwrap();
            assert_eq!(&d[..n], plain);
        }
    }

    #[test]
    fn bad_input() {
        let mut d = [0u8; 16];
        for bad in [&b"Zg="[..], b"Z===", b"Zg==Zg==", b"Zm9!", b"===="] {
            assert_eq!(
                decode(bad, &mut d),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(decode(b"Zm9vYmFy", &mut [0u8; 5]), None);
        assert_eq!(encode(b"foo", &mut [0u8; 3]), None);
    }
}
