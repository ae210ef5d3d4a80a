//! A streaming `multipart/form-data` parser (RFC 7578): no heap, any input
//! split, file parts streamed as they arrive.
//!
//! Feed it the buffered body bytes; each call consumes some and returns
//! one [`Event`]. Bytes that might be the start of a boundary split across
//! reads are not consumed: the caller keeps them, reads more, and calls
//! again ([`Event::NeedMore`]). A part's header block must fit the caller's
//! buffer (at most [`MAX_PART_HEADER`] bytes).
//!
//! ```
//! use petrel_httpd::multipart::{Event, Multipart};
//!
//! let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\nDATA\r\n--XyZ--\r\n";
//! let mut mp = Multipart::new("XyZ").unwrap();
//! let mut input = &body[..];
//! let mut got = Vec::new();
//! loop {
//!     let (used, ev) = mp.next(input).unwrap();
//!     match ev {
//!         Event::Part(h) => assert_eq!((h.name, h.filename), ("f", Some("a.bin"))),
//!         Event::Data(d) => got.extend_from_slice(d),
//!         Event::PartEnd => {}
//!         Event::End => break,
//!         Event::NeedMore => unreachable!(),
//!     }
//!     input = &input[used..];
//! }
//! assert_eq!(got, b"DATA");
//! ```

use core::fmt;

/// Longest boundary (RFC 2046: 70 characters).
pub const MAX_BOUNDARY: usize = 70;
/// Longest header block of one part.
pub const MAX_PART_HEADER: usize = 1024;

/// Why a multipart body was refused (400).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultipartError {
    /// The boundary is empty or longer than 70 characters.
    BadBoundary,
    /// Something other than CRLF or `--` after a boundary.
    BadDelimiter,
    /// A part's header block is malformed or longer than
    /// [`MAX_PART_HEADER`].
    BadPartHeader,
    /// The body ended before the closing boundary.
    Truncated,
}

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MultipartError::BadBoundary => "bad multipart boundary",
            MultipartError::BadDelimiter => "bad multipart delimiter",
            MultipartError::BadPartHeader => "bad multipart part header",
            MultipartError::Truncated => "multipart body ended early",
        })
    }
}

/// The headers of one part.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PartHeaders<'a> {
    /// `name` of `Content-Disposition: form-data` (empty if absent).
    pub name: &'a str,
    /// `filename`, for file parts.
    pub filename: Option<&'a str>,
    /// The part's `Content-Type`, if given.
    pub content_type: Option<&'a str>,
}

/// One step of parsing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A part starts.
    Part(PartHeaders<'a>),
    /// Body bytes of the current part.
    Data(&'a [u8]),
    /// The current part ended.
    PartEnd,
    /// The closing boundary was read (the rest is ignored).
    End,
    /// Nothing can be decided without more input.
    NeedMore,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    Preamble,
    AfterDelimiter,
    Headers,
    Body,
    Done,
}

/// The parser (about 84 bytes).
#[derive(Clone, Debug)]
pub struct Multipart {
    /// `\r\n--` + boundary.
    delim: [u8; MAX_BOUNDARY + 4],
    dlen: u8,
    state: State,
}

/// The boundary parameter of a `multipart/form-data` Content-Type.
pub fn boundary_from_content_type(ct: &str) -> Option<&str> {
    let mut parts = ct.split(';');
    let mime = parts.next()?.trim_ascii();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.trim_ascii().split_once('=')?;
        k.trim_ascii()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim_ascii().trim_matches('"'))
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Multipart {
    /// A parser for `boundary` (without the leading `--`).
    pub fn new(boundary: &str) -> Result<Self, MultipartError> {
        let b = boundary.as_bytes();
        if b.is_empty() || b.len() > MAX_BOUNDARY {
            return Err(MultipartError::BadBoundary);
        }
        let mut delim = [0u8; MAX_BOUNDARY + 4];
        delim[..4].copy_from_slice(b"\r\n--");
        delim
            .get_mut(4..4 + b.len())
            .ok_or(MultipartError::BadBoundary)?
            .copy_from_slice(b);
        Ok(Multipart {
            delim,
            dlen: (b.len() + 4) as u8,
            state: State::Preamble,
        })
    }

    fn delim(&self) -> &[u8] {
        self.delim.get(..usize::from(self.dlen)).unwrap_or(&[])
    }

    /// Whether the closing boundary has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes at the end of `input` that could start a delimiter.
    fn partial_suffix(&self, input: &[u8]) -> usize {
        let d = self.delim();
        let max = input.len().min(d.len().saturating_sub(1));
        (1..=max)
            .rev()
            .find(|&k| input.get(input.len() - k..) == d.get(..k))
            .unwrap_or(0)
    }

    /// Parses the next event from `input` (the body bytes not yet
    /// consumed); returns how many bytes it used and the event. Call
    /// [`Multipart::finish`] when the body ends.
    pub fn next<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Event<'a>), MultipartError> {
        match self.state {
            State::Preamble => {
                // The first delimiter may lack its leading CRLF.
                let d = self.delim;
                let d = d.get(..usize::from(self.dlen)).unwrap_or(&[]);
                let first = d.get(2..).unwrap_or(&[]);
                if input.len() < first.len() && first.starts_with(input) {
                    return Ok((0, Event::NeedMore));
                }
                if input.starts_with(first) {
                    self.state = State::AfterDelimiter;
                    return self.next_after(first.len(), input);
                }
                match find(input, d) {
                    Some(i) => {
                        self.state = State::AfterDelimiter;
                        self.next_after(i + d.len(), input)
                    }
                    None => {
                        let drop = input.len() - self.partial_suffix(input);
                        Ok((drop, Event::NeedMore))
                    }
                }
            }
            State::AfterDelimiter => {
                let Some(two) = input.get(..2) else {
                    return Ok((0, Event::NeedMore));
                };
                match two {
                    b"--" => {
                        self.state = State::Done;
                        Ok((input.len(), Event::End))
                    }
                    b"\r\n" => {
                        self.state = State::Headers;
                        self.next_after(2, input)
                    }
                    _ => Err(MultipartError::BadDelimiter),
                }
            }
            State::Headers => {
                let (end, block) = if input.starts_with(b"\r\n") {
                    (2, &input[..0])
                } else {
                    match find(input, b"\r\n\r\n") {
                        Some(i) if i <= MAX_PART_HEADER => (i + 4, input.get(..i).unwrap_or(&[])),
                        Some(_) => return Err(MultipartError::BadPartHeader),
                        None if input.len() > MAX_PART_HEADER => {
                            return Err(MultipartError::BadPartHeader);
                        }
                        None => return Ok((0, Event::NeedMore)),
                    }
                };
                let block =
                    core::str::from_utf8(block).map_err(|_| MultipartError::BadPartHeader)?;
                let mut h = PartHeaders {
                    name: "",
                    filename: None,
                    content_type: None,
                };
                for line in block.split("\r\n") {
                    let (n, v) = line.split_once(':').ok_or(MultipartError::BadPartHeader)?;
                    let v = v.trim_ascii();
                    if n.trim_ascii().eq_ignore_ascii_case("content-disposition") {
                        for p in v.split(';').skip(1) {
                            if let Some((k, val)) = p.trim_ascii().split_once('=') {
                                let val = val.trim_ascii().trim_matches('"');
                                match k.trim_ascii() {
                                    "name" => h.name = val,
                                    "filename" => h.filename = Some(val),
                                    _ => {}
                                }
                            }
                        }
                    } else if n.trim_ascii().eq_ignore_ascii_case("content-type") {
                        h.content_type = Some(v);
                    }
                }
                self.state = State::Body;
                Ok((end, Event::Part(h)))
            }
            State::Body => {
                let d = self.delim;
                let d = d.get(..usize::from(self.dlen)).unwrap_or(&[]);
                match find(input, d) {
                    Some(0) => {
                        let n = d.len();
                        self.state = State::AfterDelimiter;
                        Ok((n, Event::PartEnd))
                    }
                    Some(i) => Ok((i, Event::Data(input.get(..i).unwrap_or(&[])))),
                    None => {
                        let emit = input.len() - self.partial_suffix(input);
                        if emit == 0 {
                            Ok((0, Event::NeedMore))
                        } else {
                            Ok((emit, Event::Data(input.get(..emit).unwrap_or(&[]))))
                        }
                    }
                }
            }
            State::Done => Ok((input.len(), Event::End)),
        }
    }

    /// Continues after consuming `used` bytes (so one call can pass a
    /// delimiter and report what follows).
    fn next_after<'a>(
        &mut self,
        used: usize,
        input: &'a [u8],
    ) -> Result<(usize, Event<'a>), MultipartError> {
        let rest = input.get(used..).unwrap_or(&[]);
        match self.next(rest)? {
            (0, Event::NeedMore) => Ok((used, Event::NeedMore)),
            (n, ev) => Ok((used + n, ev)),
        }
    }

    /// Call at the end of the body: an error unless the closing boundary
    /// was seen.
    pub fn finish(&self) -> Result<(), MultipartError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(MultipartError::Truncated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What curl 7.88 sends for `curl -F a=1 -F f=@file`.
    const BODY: &[u8] = b"--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
--------------------------d74496d66958873e\r\n\
Content-Disposition: form-data; name=\"f\"; filename=\"file\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\
\r\n--------------------------d74496d66958873\r\n--\r\n-x\r\n\
--------------------------d74496d66958873e--\r\n";

    fn run(body: &[u8], step: usize, cap: usize) -> Result<Vec<(String, Vec<u8>)>, MultipartError> {
        let mut mp = Multipart::new("------------------------d74496d66958873e")?;
        let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut fed = 0;
        for _ in 0..100_000 {
            let (used, ev) = mp.next(&buf)?;
            match ev {
                Event::Part(h) => parts.push((h.name.to_string(), Vec::new())),
                Event::Data(d) => parts.last_mut().unwrap().1.extend_from_slice(d),
                Event::PartEnd => {}
                Event::End => return Ok(parts),
                Event::NeedMore => {
                    if fed == body.len() {
                        mp.finish()?;
                    }
                    assert!(
                        buf.len() - used < cap,
                        "parser needs more than {cap} buffered bytes"
                    );
                    let n = step.min(body.len() - fed);
                    buf.extend_from_slice(&body[fed..fed + n]);
                    fed += n;
                }
            }
            buf.drain(..used);
        }
        panic!("no progress");
    }

    #[test]
    fn every_split() {
        for step in 1..40 {
            let parts = run(BODY, step, 200).unwrap();
            assert_eq!(parts.len(), 2);
            assert_eq!(parts[0], ("a".to_string(), b"1".to_vec()));
            assert_eq!(
                parts[1].1,
                b"\r\n--------------------------d74496d66958873\r\n--\r\n-x"
            );
        }
    }

    #[test]
    fn hostile() {
        assert_eq!(Multipart::new("").err(), Some(MultipartError::BadBoundary));
        assert!(Multipart::new(&"x".repeat(71)).is_err());
        let cut = &BODY[..BODY.len() - 10];
        assert_eq!(run(cut, 7, 200).err(), Some(MultipartError::Truncated));
        let mut bad = BODY.to_vec();
        bad[42] = b'X'; // the CR after the first boundary
        assert_eq!(run(&bad, 64, 200).err(), Some(MultipartError::BadDelimiter));
        let mut long = b"--------------------------d74496d66958873e\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 2000));
        assert_eq!(
            run(&long, 600, 3000).err(),
            Some(MultipartError::BadPartHeader)
        );
        assert_eq!(
            boundary_from_content_type("multipart/form-data; boundary=\"ab c\""),
            Some("ab c")
        );
        assert_eq!(boundary_from_content_type("text/plain; boundary=x"), None);
    }
}
