//! DNS messages as mDNS uses them (RFC 1035, RFC 6762 18): a bounded
//! [`Reader`] over a received message and a [`Writer`] that compresses names.
//!
//! The reader never copies the message: questions and records are returned
//! one at a time with their rdata as a slice, and [`Record::data`] decodes
//! the types mDNS needs (A, PTR, SRV, TXT, NSEC) into an [`RData`]. Counts
//! in the header are not trusted: every record is checked against the bytes
//! actually present, so a header claiming 65535 records in a 40-byte
//! message ends with [`WireError::Truncated`] after the bytes run out.
//!
//! The writer compresses owner names and PTR targets (RFC 1035 4.1.4). SRV
//! targets and NSEC next names are written uncompressed, which every
//! decoder accepts (unicast DNS tools such as `dig` reject compression
//! there).

use core::fmt;
use core::net::Ipv4Addr;

use crate::name::Name;

/// Resource record types used by mDNS / DNS-SD.
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Domain name pointer.
    pub const PTR: u16 = 12;
    /// Host information (probed by some tools; we own none).
    pub const HINFO: u16 = 13;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
    /// Next secure (mDNS negative answers, RFC 6762 6.1).
    pub const NSEC: u16 = 47;
    /// Any type (queries only).
    pub const ANY: u16 = 255;
}

/// Class IN.
pub const CLASS_IN: u16 = 1;
/// Top bit of the class: "unicast response" in questions (QU), "cache
/// flush" in records.
pub const CLASS_TOP_BIT: u16 = 0x8000;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 12;
/// The QR flag (response).
pub const FLAG_QR: u16 = 0x8000;
/// The AA flag (mDNS responses always set it).
pub const FLAG_AA: u16 = 0x0400;
/// The TC flag (more known answers follow, RFC 6762 7.2).
pub const FLAG_TC: u16 = 0x0200;

/// Why a message could not be read or written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The message ends inside a field (or a count promises more than is
    /// there).
    Truncated,
    /// A compression pointer that points forward, at itself, or too many
    /// times in one name.
    BadPointer,
    /// An empty, oversized (> 63) or extended-type label.
    BadLabel,
    /// A name longer than 255 bytes.
    NameTooLong,
    /// The rdata does not match its type's format (a 3-byte A record).
    BadRData,
    /// The output buffer is too small.
    BufferFull,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::Truncated => "message truncated",
            WireError::BadPointer => "bad compression pointer",
            WireError::BadLabel => "bad label",
            WireError::NameTooLong => "name longer than 255 bytes",
            WireError::BadRData => "malformed rdata",
            WireError::BufferFull => "output buffer full",
        })
    }
}

/// The fixed header.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// Query identifier (0 in multicast mDNS; echoed to legacy queriers).
    pub id: u16,
    /// The flag word (QR, opcode, AA, TC, RD, RA, rcode).
    pub flags: u16,
    /// Number of questions.
    pub qdcount: u16,
    /// Number of answers.
    pub ancount: u16,
    /// Number of authority records.
    pub nscount: u16,
    /// Number of additional records.
    pub arcount: u16,
}

impl Header {
    /// Whether this is a response.
    pub fn is_response(&self) -> bool {
        self.flags & FLAG_QR != 0
    }
    /// The opcode (0 = standard query; mDNS ignores other opcodes).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// The response code.
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
}

/// One question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name asked about.
    pub name: Name,
    /// The type asked for.
    pub qtype: u16,
    /// The class without the top bit.
    pub qclass: u16,
    /// The QU bit: the querier prefers a unicast response.
    pub unicast_response: bool,
}

/// One resource record as read from a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The owner name.
    pub name: Name,
    /// The type.
    pub rtype: u16,
    /// The class without the top bit.
    pub class: u16,
    /// The cache-flush bit (unique record set).
    pub cache_flush: bool,
    /// Time to live, seconds (0 = goodbye).
    pub ttl: u32,
    /// The raw rdata (names in it may be compressed).
    pub rdata: &'a [u8],
    /// Where the rdata starts in the message (to follow its pointers).
    pub rdata_pos: usize,
    msg: &'a [u8],
}

/// Decoded rdata of the types mDNS uses.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RData<'a> {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// A pointer to a name.
    Ptr(Name),
    /// A service location.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// The host.
        target: Name,
    },
    /// Text strings (the raw rdata: length-prefixed strings).
    Txt(&'a [u8]),
    /// The restricted mDNS form of NSEC (window 0 only).
    Nsec {
        /// The next domain name (the owner itself in mDNS).
        next: Name,
        /// Type bitmap of window 0 (types 0..255).
        types: TypeBitmap,
    },
    /// Any other type, raw.
    Other(&'a [u8]),
}

/// The window-0 type bitmap of an NSEC record.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct TypeBitmap(pub [u8; 32]);

impl TypeBitmap {
    /// Marks `t` (types above 255 are ignored: mDNS uses window 0 only).
    pub fn set(&mut self, t: u16) {
        if let Some(b) = self.0.get_mut(usize::from(t / 8)) {
            *b |= 0x80 >> (t % 8);
        }
    }
    /// Whether `t` is marked.
    pub fn contains(&self, t: u16) -> bool {
        self.0
            .get(usize::from(t / 8))
            .is_some_and(|b| b & (0x80 >> (t % 8)) != 0)
    }
    /// Bytes of the bitmap that are needed (trailing zero bytes dropped).
    pub fn used_len(&self) -> usize {
        self.0.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
    }
}

impl<'a> Record<'a> {
    /// Decodes the rdata.
    pub fn data(&self) -> Result<RData<'a>, WireError> {
        let rd = self.rdata;
        match self.rtype {
            rtype::A => {
                let b: [u8; 4] = rd.try_into().map_err(|_| WireError::BadRData)?;
                Ok(RData::A(Ipv4Addr::from(b)))
            }
            rtype::PTR => {
                let (n, end) = self.name_in_rdata(self.rdata_pos)?;
                if end != self.rdata_pos + rd.len() {
                    return Err(WireError::BadRData);
                }
                Ok(RData::Ptr(n))
            }
            rtype::SRV => {
                let f = |i: usize| -> Result<u16, WireError> {
                    let b = rd.get(i..i + 2).ok_or(WireError::BadRData)?;
                    Ok(u16::from_be_bytes([b[0], b[1]]))
                };
                let (target, end) = self.name_in_rdata(self.rdata_pos + 6)?;
                if end != self.rdata_pos + rd.len() {
                    return Err(WireError::BadRData);
                }
                Ok(RData::Srv {
                    priority: f(0)?,
                    weight: f(2)?,
                    port: f(4)?,
                    target,
                })
            }
            rtype::TXT => {
                // The strings must tile the rdata exactly.
                let mut at = 0;
                while at < rd.len() {
                    let l = usize::from(rd.get(at).copied().unwrap_or(0));
                    at += 1 + l;
                }
                if at != rd.len() {
                    return Err(WireError::BadRData);
                }
                Ok(RData::Txt(rd))
            }
            rtype::NSEC => {
                let (next, end) = self.name_in_rdata(self.rdata_pos)?;
                let rest = self
                    .msg
                    .get(end..self.rdata_pos + rd.len())
                    .ok_or(WireError::BadRData)?;
                let mut types = TypeBitmap::default();
                match rest {
                    [] => {}
                    [0, len, bits @ ..] if usize::from(*len) == bits.len() && bits.len() <= 32 => {
                        if let Some(dst) = types.0.get_mut(..bits.len()) {
                            dst.copy_from_slice(bits);
                        }
                    }
                    _ => return Err(WireError::BadRData),
                }
                Ok(RData::Nsec { next, types })
            }
            _ => Ok(RData::Other(rd)),
        }
    }

    fn name_in_rdata(&self, pos: usize) -> Result<(Name, usize), WireError> {
        let end_rdata = self.rdata_pos + self.rdata.len();
        // A name inside rdata may point back into the message but must not
        // run past the rdata in place.
        let msg = self.msg.get(..end_rdata).ok_or(WireError::BadRData)?;
        Name::parse(msg, pos).map_err(|e| match e {
            WireError::Truncated => WireError::BadRData,
            e => e,
        })
    }
}

/// A bounded reader over one message: header, then questions, then records
/// in order (answers, authority, additional).
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
    header: Header,
    questions_left: u16,
    records_read: u32,
}

/// Which section a record came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Section {
    /// Answers.
    Answer,
    /// Authority (proposed records in a probe).
    Authority,
    /// Additional.
    Additional,
}

impl<'a> Reader<'a> {
    /// Reads the header.
    pub fn new(msg: &'a [u8]) -> Result<Reader<'a>, WireError> {
        let h = msg.get(..HEADER_LEN).ok_or(WireError::Truncated)?;
        let w = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        let header = Header {
            id: w(0),
            flags: w(2),
            qdcount: w(4),
            ancount: w(6),
            nscount: w(8),
            arcount: w(10),
        };
        Ok(Reader {
            msg,
            pos: HEADER_LEN,
            header,
            questions_left: header.qdcount,
            records_read: 0,
        })
    }

    /// The header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The whole message.
    pub fn message(&self) -> &'a [u8] {
        self.msg
    }

    /// The next question, `None` when they are done.
    pub fn question(&mut self) -> Option<Result<Question, WireError>> {
        if self.questions_left == 0 {
            return None;
        }
        self.questions_left -= 1;
        let r = (|| {
            let (name, at) = Name::parse(self.msg, self.pos)?;
            let b = self.msg.get(at..at + 4).ok_or(WireError::Truncated)?;
            let qtype = u16::from_be_bytes([b[0], b[1]]);
            let class = u16::from_be_bytes([b[2], b[3]]);
            self.pos = at + 4;
            Ok(Question {
                name,
                qtype,
                qclass: class & !CLASS_TOP_BIT,
                unicast_response: class & CLASS_TOP_BIT != 0,
            })
        })();
        if r.is_err() {
            self.stop();
        }
        Some(r)
    }

    fn stop(&mut self) {
        self.questions_left = 0;
        self.records_read = u32::MAX;
    }

    /// The next record and its section (skipping any unread questions),
    /// `None` when they are done.
    pub fn record(&mut self) -> Option<Result<(Section, Record<'a>), WireError>> {
        while let Some(q) = self.question() {
            if let Err(e) = q {
                return Some(Err(e));
            }
        }
        let h = self.header;
        let (an, ns, ar) = (
            u32::from(h.ancount),
            u32::from(h.nscount),
            u32::from(h.arcount),
        );
        let i = self.records_read;
        let section = if i < an {
            Section::Answer
        } else if i < an + ns {
            Section::Authority
        } else if i < an + ns + ar {
            Section::Additional
        } else {
            return None;
        };
        self.records_read += 1;
        let r = (|| {
            let (name, at) = Name::parse(self.msg, self.pos)?;
            let b = self.msg.get(at..at + 10).ok_or(WireError::Truncated)?;
            let rtype = u16::from_be_bytes([b[0], b[1]]);
            let class = u16::from_be_bytes([b[2], b[3]]);
            let ttl = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
            let len = usize::from(u16::from_be_bytes([b[8], b[9]]));
            let start = at + 10;
            let rdata = self
                .msg
                .get(start..start + len)
                .ok_or(WireError::Truncated)?;
            self.pos = start + len;
            Ok((
                section,
                Record {
                    name,
                    rtype,
                    class: class & !CLASS_TOP_BIT,
                    cache_flush: class & CLASS_TOP_BIT != 0,
                    ttl,
                    rdata,
                    rdata_pos: start,
                    msg: self.msg,
                },
            ))
        })();
        if r.is_err() {
            self.stop();
        }
        Some(r)
    }
}

/// Most name positions remembered for compression in one message.
const COMPRESS_SLOTS: usize = 48;

/// Writes a message into a caller's buffer, compressing names.
///
/// Sections must be written in order (questions, answers, authority,
/// additional); the counts are patched into the header by [`Writer::finish`].
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
    counts: [u16; 4],
    /// Positions of labels already written (pointer targets).
    labels: heapless::Vec<u16, COMPRESS_SLOTS>,
}

/// Rdata to write.
#[derive(Clone, Debug)]
pub enum WriteData<'a> {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// A pointer (compressed).
    Ptr(&'a Name),
    /// A service location (target uncompressed).
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// The host.
        target: &'a Name,
    },
    /// Raw TXT rdata (length-prefixed strings); empty becomes one empty
    /// string as RFC 6763 6.1 requires.
    Txt(&'a [u8]),
    /// NSEC with the owner as next name (uncompressed) and a window-0 bitmap.
    Nsec(&'a Name, TypeBitmap),
}

impl<'b> Writer<'b> {
    /// Starts a message with `id` and `flags`.
    pub fn new(buf: &'b mut [u8], id: u16, flags: u16) -> Result<Writer<'b>, WireError> {
        let h = buf.get_mut(..HEADER_LEN).ok_or(WireError::BufferFull)?;
        h.fill(0);
        h[..2].copy_from_slice(&id.to_be_bytes());
        h[2..4].copy_from_slice(&flags.to_be_bytes());
        Ok(Writer {
            buf,
            pos: HEADER_LEN,
            counts: [0; 4],
            labels: heapless::Vec::new(),
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// Whether nothing but the header was written.
    pub fn is_empty(&self) -> bool {
        self.pos == HEADER_LEN
    }

    /// Records written per section (questions, answers, authority, additional).
    pub fn counts(&self) -> [u16; 4] {
        self.counts
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let end = self.pos + bytes.len();
        self.buf
            .get_mut(self.pos..end)
            .ok_or(WireError::BufferFull)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn put_u16(&mut self, v: u16) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }

    /// Whether the name at `at` in our buffer equals the wire-form name
    /// `suffix` (ignoring case).
    fn matches_at(&self, at: usize, suffix: &[u8]) -> bool {
        Name::parse(self.buf.get(..self.pos).unwrap_or(&[]), at)
            .is_ok_and(|(n, _)| n.as_bytes().eq_ignore_ascii_case(suffix))
    }

    fn name(&mut self, name: &Name, compress: bool) -> Result<(), WireError> {
        let bytes = name.as_bytes();
        let mut off = 0;
        // Each suffix of the wire form, longest first, is a name.
        while let Some(suffix) = bytes.get(off..)
            && let Some(&len) = suffix.first()
            && len != 0
        {
            if compress
                && let Some(at) = self
                    .labels
                    .iter()
                    .copied()
                    .find(|&at| self.matches_at(usize::from(at), suffix))
            {
                return self.put_u16(0xc000 | at);
            }
            // Labels written uncompressed (SRV targets) are still fine
            // pointer targets for later names.
            if self.pos < 0x3fff {
                let _ = self.labels.push(self.pos as u16); // < 0x3fff checked
            }
            let end = 1 + usize::from(len);
            self.put(suffix.get(..end).unwrap_or(&[]))?; // in the name
            off += end;
        }
        self.put(&[0])
    }

    /// Writes a question (call before any record).
    pub fn question(&mut self, name: &Name, qtype: u16, qu: bool) -> Result<(), WireError> {
        let save = (self.pos, self.labels.len());
        let r = (|| {
            self.name(name, true)?;
            self.put_u16(qtype)?;
            self.put_u16(CLASS_IN | if qu { CLASS_TOP_BIT } else { 0 })
        })();
        self.commit(r, save, 0)
    }

    fn commit(
        &mut self,
        r: Result<(), WireError>,
        save: (usize, usize),
        section: usize,
    ) -> Result<(), WireError> {
        match r {
            Ok(()) => {
                if let Some(c) = self.counts.get_mut(section) {
                    *c += 1;
                }
                Ok(())
            }
            Err(e) => {
                // Leave the message as it was before this entry.
                self.pos = save.0;
                self.labels.truncate(save.1);
                Err(e)
            }
        }
    }

    /// Writes a record into `section` (1 answer, 2 authority, 3
    /// additional). On error the message is unchanged.
    pub fn record(
        &mut self,
        section: Section,
        name: &Name,
        rtype: u16,
        cache_flush: bool,
        ttl: u32,
        data: &WriteData<'_>,
    ) -> Result<(), WireError> {
        let data = match data {
            WriteData::A(a) => RData::A(*a),
            WriteData::Ptr(n) => RData::Ptr((*n).clone()),
            WriteData::Srv {
                priority,
                weight,
                port,
                target,
            } => RData::Srv {
                priority: *priority,
                weight: *weight,
                port: *port,
                target: (*target).clone(),
            },
            WriteData::Txt(t) => RData::Txt(t),
            WriteData::Nsec(next, types) => RData::Nsec {
                next: (*next).clone(),
                types: *types,
            },
        };
        self.rdata_record(section, name, rtype, cache_flush, ttl, &data)
    }

    /// [`Writer::record`] from decoded rdata: PTR targets compressed, SRV
    /// targets and NSEC next names not, empty TXT as one empty string,
    /// [`RData::Other`] as is.
    pub(crate) fn rdata_record(
        &mut self,
        section: Section,
        name: &Name,
        rtype: u16,
        cache_flush: bool,
        ttl: u32,
        data: &RData<'_>,
    ) -> Result<(), WireError> {
        let save = (self.pos, self.labels.len());
        let r = (|| {
            self.name(name, true)?;
            self.put_u16(rtype)?;
            self.put_u16(CLASS_IN | if cache_flush { CLASS_TOP_BIT } else { 0 })?;
            self.put(&ttl.to_be_bytes())?;
            let len_at = self.pos;
            self.put_u16(0)?;
            match data {
                RData::A(a) => self.put(&a.octets())?,
                RData::Ptr(n) => self.name(n, true)?,
                RData::Srv {
                    priority,
                    weight,
                    port,
                    target,
                } => {
                    self.put_u16(*priority)?;
                    self.put_u16(*weight)?;
                    self.put_u16(*port)?;
                    self.name(target, false)?;
                }
                RData::Txt([]) => self.put(&[0])?,
                RData::Txt(t) | RData::Other(t) => self.put(t)?,
                RData::Nsec { next, types } => {
                    self.name(next, false)?;
                    let n = types.used_len();
                    self.put(&[0, n as u8])?; // <= 32
                    self.put(types.0.get(..n).unwrap_or(&[]))?;
                }
            }
            let len = u16::try_from(self.pos - len_at - 2).map_err(|_| WireError::BufferFull)?;
            if let Some(b) = self.buf.get_mut(len_at..len_at + 2) {
                b.copy_from_slice(&len.to_be_bytes());
            }
            Ok(())
        })();
        let idx = match section {
            Section::Answer => 1,
            Section::Authority => 2,
            Section::Additional => 3,
        };
        self.commit(r, save, idx)
    }

    /// Patches the counts into the header; returns the message length.
    pub fn finish(self) -> usize {
        for (i, c) in self.counts.iter().enumerate() {
            if let Some(b) = self.buf.get_mut(4 + 2 * i..6 + 2 * i) {
                b.copy_from_slice(&c.to_be_bytes());
            }
        }
        self.pos
    }
}
