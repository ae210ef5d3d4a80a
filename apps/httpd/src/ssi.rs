//! Server-side includes: the handler trait and the expander that walks an
//! SSI file's tags (found at build time, [`SsiTag`](crate::fs::SsiTag)).
//!
//! The expander hands out the file's bytes between tags as `'static`
//! slices (no copy) and asks the [`Ssi`] handler for each insert. An insert
//! may be of any length: the handler writes as much as fits, keeps its
//! place in a `u32` cursor, and returns [`Insert::More`] until it is done;
//! the driver sends each piece as one chunk, so the connection stays alive.
//!
//! ```
//! use petrel_httpd::fs::{SsiTag, StaticFile};
//! use petrel_httpd::ssi::{write_resumable, Insert, Piece, Ssi, SsiExpander};
//!
//! struct Uptime;
//! impl Ssi for Uptime {
//!     fn insert(&self, tag: &str, _arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
//!         let text: &[u8] = if tag == "uptime" { b"3d 04:05:06" } else { b"?" };
//!         write_resumable(text, state, out)
//!     }
//! }
//! static TAGS: [SsiTag; 1] = [SsiTag { start: 4, end: 18, name: "uptime", arg: "" }];
//! static FILE: StaticFile = StaticFile {
//!     ssi: &TAGS,
//!     ..StaticFile::plain("/i.shtml", "text/html", "", b"<p>=<!--#uptime--></p>")
//! };
//! let mut exp = SsiExpander::new();
//! let mut buf = [0u8; 4]; // tiny: the insert comes in pieces
//! let mut page = Vec::new();
//! loop {
//!     match exp.next(&FILE, &Uptime, &mut buf) {
//!         Piece::Static(s) => page.extend_from_slice(s),
//!         Piece::Generated(n) => page.extend_from_slice(&buf[..n]),
//!         Piece::End => break,
//!     }
//! }
//! assert_eq!(page, b"<p>=3d 04:05:06</p>");
//! ```

use crate::fs::StaticFile;

/// What an [`Ssi::insert`] call produced.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Insert {
    /// Wrote this many bytes; the insert is complete.
    Done(usize),
    /// Wrote this many bytes; call again (with the same `state`) for more.
    /// `More(0)` is treated as `Done(0)` so a handler cannot stall a page.
    More(usize),
}

/// Produces the text for SSI tags.
pub trait Ssi {
    /// Writes (the next part of) the insert for `<!--#tag arg-->` into
    /// `out`. `state` is 0 on the first call for a tag and keeps whatever
    /// the handler stores between calls (typically an offset). The text is
    /// sent as is: escape it for the page (see
    /// [`write_html_escaped`](crate::response::write_html_escaped)).
    fn insert(&self, tag: &str, arg: &str, state: &mut u32, out: &mut [u8]) -> Insert;
}

/// Copies `text[*state..]` into `out` as far as it fits: the usual body of
/// an [`Ssi::insert`] whose text is already at hand.
pub fn write_resumable(text: &[u8], state: &mut u32, out: &mut [u8]) -> Insert {
    let from = usize::try_from(*state)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let rest = text.get(from..).unwrap_or(&[]);
    let n = rest.len().min(out.len());
    if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
        dst.copy_from_slice(src);
    }
    *state = u32::try_from(from + n).unwrap_or(u32::MAX);
    if from + n >= text.len() {
        Insert::Done(n)
    } else {
        Insert::More(n)
    }
}

/// One piece of an expanded page.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// File bytes between tags.
    Static(&'static [u8]),
    /// This many bytes of an insert, written to the caller's buffer.
    Generated(usize),
    /// The page is complete.
    End,
}

/// Where the expansion of one SSI file stands (12 bytes).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SsiExpander {
    /// The next tag to expand.
    tag: u32,
    /// Body offset of the next static byte.
    pos: u32,
    /// Inside an insert (its handler state in `state`).
    inserting: bool,
    state: u32,
}

impl SsiExpander {
    /// At the start of a page.
    pub const fn new() -> Self {
        SsiExpander {
            tag: 0,
            pos: 0,
            inserting: false,
            state: 0,
        }
    }

    /// The next piece of `file`, asking `ssi` for inserts (written into
    /// `out`). Call until [`Piece::End`].
    pub fn next<S: Ssi + ?Sized>(
        &mut self,
        file: &'static StaticFile,
        ssi: &S,
        out: &mut [u8],
    ) -> Piece {
        let body = file.body;
        // Bounded: each round either returns or moves past a tag.
        for _ in 0..=file.ssi.len() {
            let tag = file.ssi.get(self.tag as usize);
            if self.inserting {
                let Some(t) = tag else {
                    self.inserting = false;
                    continue;
                };
                let r = ssi.insert(t.name, t.arg, &mut self.state, out);
                let n = match r {
                    Insert::More(n) if n > 0 => n,
                    Insert::More(n) | Insert::Done(n) => {
                        self.inserting = false;
                        self.tag += 1;
                        self.pos = t.end;
                        n
                    }
                };
                let n = n.min(out.len());
                if n > 0 {
                    return Piece::Generated(n);
                }
                continue;
            }
            let end = tag.map_or(body.len(), |t| (t.start as usize).min(body.len()));
            let start = (self.pos as usize).min(end);
            if start < end {
                self.pos = u32::try_from(end).unwrap_or(u32::MAX);
                return Piece::Static(body.get(start..end).unwrap_or(&[]));
            }
            if tag.is_none() {
                return Piece::End;
            }
            self.inserting = true;
            self.state = 0;
        }
        Piece::End
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::SsiTag;

    struct Long;
    impl Ssi for Long {
        fn insert(&self, tag: &str, arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
            match tag {
                "big" => {
                    // 10 000 bytes of 'x', streamed.
                    let left = 10_000 - *state as usize;
                    let n = left.min(out.len());
                    out[..n].fill(b'x');
                    *state += n as u32;
                    if n == left {
                        Insert::Done(n)
                    } else {
                        Insert::More(n)
                    }
                }
                "empty" => Insert::More(0),
                _ => write_resumable(arg.as_bytes(), state, out),
            }
        }
    }

    static TAGS: [SsiTag; 4] = [
        SsiTag {
            start: 0,
            end: 11,
            name: "big",
            arg: "",
        },
        SsiTag {
            start: 11,
            end: 27,
            name: "echo",
            arg: "hey",
        },
        SsiTag {
            start: 28,
            end: 38,
            name: "empty",
            arg: "",
        },
        SsiTag {
            start: 38,
            end: 54,
            name: "echo",
            arg: "end",
        },
    ];
    static BODY: &[u8] = b"<!--#big--><!--#echo hey-->-/*#empty*/<!--#echo end-->";

    #[test]
    fn adjacent_long_and_empty_inserts() {
        static FILE: StaticFile = StaticFile {
            ssi: &TAGS,
            ..StaticFile::plain("/a", "t", "", BODY)
        };
        let mut e = SsiExpander::new();
        let mut buf = [0u8; 333];
        let mut page = Vec::new();
        for _ in 0..1000 {
            match e.next(&FILE, &Long, &mut buf) {
                Piece::Static(s) => page.extend_from_slice(s),
                Piece::Generated(n) => page.extend_from_slice(&buf[..n]),
                Piece::End => break,
            }
        }
        assert_eq!(page.iter().filter(|&&b| b == b'x').count(), 10_000);
        let tail = String::from_utf8_lossy(&page[10_000..]).into_owned();
        assert_eq!(tail, "hey-end");
    }
}
