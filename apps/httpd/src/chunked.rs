//! A streaming decoder for `Transfer-Encoding: chunked` request bodies.
//!
//! Feed it whatever bytes arrived; each call consumes some and returns at
//! most one piece of body data (a sub-slice of the input, no copying).
//! Every loop is bounded by the input; size lines, extensions and trailers
//! have fixed limits, so a hostile client cannot make it buffer or spin.
//!
//! ```
//! use petrel_httpd::chunked::ChunkedDecoder;
//!
//! let mut d = ChunkedDecoder::new();
//! let mut input: &[u8] = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
//! let mut body = Vec::new();
//! while !d.is_done() {
//!     let step = d.decode(input).unwrap();
//!     body.extend_from_slice(step.data);
//!     input = &input[step.consumed..];
//! }
//! assert_eq!(body, b"hello world");
//! ```

use core::fmt;

/// Why a chunked body was refused (400 Bad Request).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// A chunk size that is not hex or has too many digits.
    BadSize,
    /// A missing CRLF after a size line or after chunk data.
    BadLineEnd,
    /// A chunk extension or trailer longer than the limits.
    TooLong,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::BadSize => f.write_str("bad chunk size"),
            ChunkError::BadLineEnd => f.write_str("missing CRLF in chunked body"),
            ChunkError::TooLong => f.write_str("chunk extension or trailer too long"),
        }
    }
}

/// Longest chunk extension accepted.
const MAX_EXT: u16 = 256;
/// Most trailer bytes accepted.
const MAX_TRAILER: u16 = 1024;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a size line.
    Size {
        value: u64,
        digits: u8,
    },
    /// Skipping a `;ext` until CR.
    Ext {
        value: u64,
        len: u16,
    },
    /// Expecting LF after the size line's CR.
    SizeLf {
        value: u64,
    },
    /// Inside chunk data.
    Data {
        left: u64,
    },
    /// Expecting CR then LF after chunk data.
    DataCr,
    DataLf,
    /// At the start of a trailer line (an empty one ends the body).
    TrailerStart {
        total: u16,
    },
    /// Inside a trailer line.
    Trailer {
        total: u16,
    },
    /// Expecting the final LF.
    EndLf,
    /// Body complete.
    Done,
}

/// The chunked decoder's state (16 bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: State,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of one [`ChunkedDecoder::decode`] call.
#[derive(Debug, PartialEq, Eq)]
pub struct Step<'a> {
    /// How many input bytes were used (including `data`).
    pub consumed: usize,
    /// Body bytes found (possibly empty).
    pub data: &'a [u8],
}

impl ChunkedDecoder {
    /// A decoder at the start of a body.
    pub const fn new() -> Self {
        ChunkedDecoder {
            state: State::Size {
                value: 0,
                digits: 0,
            },
        }
    }

    /// Whether the last chunk and the trailer have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes framing bytes of `input` up to and including the next piece
    /// of body data. Returns `consumed == 0` only for empty input or when
    /// done.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<Step<'a>, ChunkError> {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            match self.state {
                State::Size { value, digits } => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        if digits >= 15 {
                            return Err(ChunkError::BadSize);
                        }
                        let d = u64::from(match b {
                            b'0'..=b'9' => b - b'0',
                            b'a'..=b'f' => b - b'a' + 10,
                            _ => b - b'A' + 10,
                        });
                        self.state = State::Size {
                            value: value << 4 | d,
                            digits: digits + 1,
                        };
                    }
                    _ if digits == 0 => return Err(ChunkError::BadSize),
                    b';' | b' ' | b'\t' => self.state = State::Ext { value, len: 0 },
                    b'\r' => self.state = State::SizeLf { value },
                    _ => return Err(ChunkError::BadSize),
                },
                State::Ext { value, len } => {
                    if b == b'\r' {
                        self.state = State::SizeLf { value };
                    } else if b == b'\n' || len >= MAX_EXT {
                        return Err(if b == b'\n' {
                            ChunkError::BadLineEnd
                        } else {
                            ChunkError::TooLong
                        });
                    } else {
                        self.state = State::Ext {
                            value,
                            len: len + 1,
                        };
                    }
                }
                State::SizeLf { value } => {
                    if b != b'\n' {
                        return Err(ChunkError::BadLineEnd);
                    }
                    self.state = if value == 0 {
                        State::TrailerStart { total: 0 }
                    } else {
                        State::Data { left: value }
                    };
                }
                State::Data { left } => {
                    let avail = input.len() - i;
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(avail);
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data { left }
                    };
                    let data = input.get(i..i + take).unwrap_or(&[]);
                    return Ok(Step {
                        consumed: i + take,
                        data,
                    });
                }
                State::DataCr => {
                    if b != b'\r' {
                        return Err(ChunkError::BadLineEnd);
                    }
                    self.state = State::DataLf;
                }
                State::DataLf => {
                    if b != b'\n' {
                        return Err(ChunkError::BadLineEnd);
                    }
                    self.state = State::Size {
                        value: 0,
                        digits: 0,
                    };
                }
                State::TrailerStart { total } => {
                    self.state = match b {
                        b'\r' => State::EndLf,
                        b'\n' => return Err(ChunkError::BadLineEnd),
                        _ => State::Trailer { total: total + 1 },
                    };
                }
                State::Trailer { total } => {
                    if total >= MAX_TRAILER {
                        return Err(ChunkError::TooLong);
                    }
                    self.state = if b == b'\n' {
                        State::TrailerStart { total: total + 1 }
                    } else {
                        State::Trailer { total: total + 1 }
                    };
                }
                State::EndLf => {
                    if b != b'\n' {
                        return Err(ChunkError::BadLineEnd);
                    }
                    self.state = State::Done;
                    return Ok(Step {
                        consumed: i + 1,
                        data: &[],
                    });
                }
                State::Done => {
                    return Ok(Step {
                        consumed: i,
                        data: &[],
                    });
                }
            }
            i += 1;
        }
        Ok(Step {
            consumed: i,
            data: &[],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], step: usize) -> Result<Vec<u8>, ChunkError> {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let mut pos = 0;
        for _ in 0..10_000 {
            if d.is_done() {
                return Ok(out);
            }
            let end = (pos + step).min(input.len());
            let s = d.decode(&input[pos..end])?;
            out.extend_from_slice(s.data);
            pos += s.consumed;
            if s.consumed == 0 && end == input.len() {
                break;
            }
        }
        if d.is_done() {
            Ok(out)
        } else {
            Err(ChunkError::BadLineEnd)
        }
    }

    #[test]
    fn any_split_gives_the_same_body() {
        // As curl sends `--data-binary @- -H 'Transfer-Encoding: chunked'`.
        let wire = b"4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
        for step in 1..wire.len() {
            assert_eq!(run(wire, step).unwrap(), b"Wikipedia in \r\n\r\nchunks.");
        }
    }

    #[test]
    fn broken_bodies() {
        for bad in [
            &b"x\r\n"[..],
            b"\r\n",
            b"4\r\nWikiX\r\n",
            b"4\nWiki\r\n",
            b"1234567890abcdef0\r\n",
            b"0\r\n\n",
        ] {
            assert!(run(bad, 3).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let mut long = b"1;".to_vec();
        long.extend(std::iter::repeat_n(b'a', 300));
        assert_eq!(run(&long, 7), Err(ChunkError::TooLong));
        let mut trailer = b"0\r\n".to_vec();
        trailer.extend(std::iter::repeat_n(b'a', 2000));
        assert_eq!(run(&trailer, 64), Err(ChunkError::TooLong));
    }
}
