//! TFTP packets: a zero-copy [`Packet`] view and an owned-by-borrow [`Repr`].
//!
//! Formats from RFC 1350 (RRQ, WRQ, DATA, ACK, ERROR), RFC 2347 (option
//! extension and OACK), RFC 2348 (`blksize`), RFC 2349 (`timeout`, `tsize`) and
//! RFC 7440 (`windowsize`). Every parser here is bounded by the packet length
//! and never panics: malformed input is a [`WireError`].

use core::fmt;

/// Largest block size RFC 2348 allows (fits one IPv4 UDP datagram).
pub const MAX_BLKSIZE: u16 = 65464;
/// Smallest block size RFC 2348 allows.
pub const MIN_BLKSIZE: u16 = 8;
/// Block size when no option was negotiated (RFC 1350).
pub const DEFAULT_BLKSIZE: u16 = 512;
/// Size of the DATA/ACK/ERROR header (opcode + block or code).
pub const HEADER_LEN: usize = 4;
/// At most this many option pairs are looked at in one packet (RFC 2347 keeps
/// the whole request under 512 bytes, so real clients send a handful).
pub const MAX_OPTION_PAIRS: usize = 32;

/// A TFTP opcode (RFC 1350 §5, RFC 2347).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Opcode {
    /// Read request (1).
    Rrq,
    /// Write request (2).
    Wrq,
    /// Data (3).
    Data,
    /// Acknowledgment (4).
    Ack,
    /// Error (5).
    Error,
    /// Option acknowledgment (6, RFC 2347).
    Oack,
    /// Any other value.
    Unknown(u16),
}

impl From<u16> for Opcode {
    fn from(v: u16) -> Self {
        match v {
            1 => Opcode::Rrq,
            2 => Opcode::Wrq,
            3 => Opcode::Data,
            4 => Opcode::Ack,
            5 => Opcode::Error,
            6 => Opcode::Oack,
            n => Opcode::Unknown(n),
        }
    }
}

impl From<Opcode> for u16 {
    fn from(op: Opcode) -> u16 {
        match op {
            Opcode::Rrq => 1,
            Opcode::Wrq => 2,
            Opcode::Data => 3,
            Opcode::Ack => 4,
            Opcode::Error => 5,
            Opcode::Oack => 6,
            Opcode::Unknown(n) => n,
        }
    }
}

/// TFTP error codes (RFC 1350 §5 plus RFC 2347's code 8).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorCode {
    /// 0: not defined, see the message.
    NotDefined,
    /// 1: file not found.
    FileNotFound,
    /// 2: access violation.
    AccessViolation,
    /// 3: disk full or allocation exceeded.
    DiskFull,
    /// 4: illegal TFTP operation.
    IllegalOperation,
    /// 5: unknown transfer ID.
    UnknownTransferId,
    /// 6: file already exists.
    FileExists,
    /// 7: no such user.
    NoSuchUser,
    /// 8: option negotiation refused (RFC 2347).
    OptionRefused,
    /// Any other value.
    Unknown(u16),
}

impl From<u16> for ErrorCode {
    fn from(v: u16) -> Self {
        match v {
            0 => ErrorCode::NotDefined,
            1 => ErrorCode::FileNotFound,
            2 => ErrorCode::AccessViolation,
            3 => ErrorCode::DiskFull,
            4 => ErrorCode::IllegalOperation,
            5 => ErrorCode::UnknownTransferId,
            6 => ErrorCode::FileExists,
            7 => ErrorCode::NoSuchUser,
            8 => ErrorCode::OptionRefused,
            n => ErrorCode::Unknown(n),
        }
    }
}

impl From<ErrorCode> for u16 {
    fn from(c: ErrorCode) -> u16 {
        match c {
            ErrorCode::NotDefined => 0,
            ErrorCode::FileNotFound => 1,
            ErrorCode::AccessViolation => 2,
            ErrorCode::DiskFull => 3,
            ErrorCode::IllegalOperation => 4,
            ErrorCode::UnknownTransferId => 5,
            ErrorCode::FileExists => 6,
            ErrorCode::NoSuchUser => 7,
            ErrorCode::OptionRefused => 8,
            ErrorCode::Unknown(n) => n,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ErrorCode::NotDefined => "not defined",
            ErrorCode::FileNotFound => "file not found",
            ErrorCode::AccessViolation => "access violation",
            ErrorCode::DiskFull => "disk full or allocation exceeded",
            ErrorCode::IllegalOperation => "illegal TFTP operation",
            ErrorCode::UnknownTransferId => "unknown transfer ID",
            ErrorCode::FileExists => "file already exists",
            ErrorCode::NoSuchUser => "no such user",
            ErrorCode::OptionRefused => "option negotiation refused",
            ErrorCode::Unknown(n) => return write!(f, "error code {n}"),
        };
        f.write_str(s)
    }
}

/// Transfer mode of a request (RFC 1350 §5; compared case-insensitively).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Raw 8-bit bytes.
    Octet,
    /// NVT ASCII: line ends are CR LF on the wire, a bare CR is CR NUL.
    NetAscii,
}

impl Mode {
    /// The mode string as sent on the wire.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            Mode::Octet => b"octet",
            Mode::NetAscii => b"netascii",
        }
    }
    fn parse(s: &[u8]) -> Result<Mode, WireError> {
        if s.eq_ignore_ascii_case(b"octet") {
            Ok(Mode::Octet)
        } else if s.eq_ignore_ascii_case(b"netascii") {
            Ok(Mode::NetAscii)
        } else {
            Err(WireError::UnsupportedMode)
        }
    }
}

/// Why a packet could not be parsed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The packet is shorter than its fixed header.
    Truncated,
    /// The opcode is not one this crate knows.
    UnknownOpcode(u16),
    /// A file name, mode or option string lacks its NUL terminator.
    Unterminated,
    /// The request names no file.
    EmptyFilename,
    /// The mode is neither `octet` nor `netascii` (`mail` is obsolete).
    UnsupportedMode,
    /// An OACK holds an option that is unknown or whose value is out of range.
    BadOption,
    /// The buffer given to `emit` is too small.
    BufferTooSmall,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => f.write_str("packet truncated"),
            WireError::UnknownOpcode(op) => write!(f, "unknown opcode {op}"),
            WireError::Unterminated => f.write_str("string without NUL terminator"),
            WireError::EmptyFilename => f.write_str("empty file name"),
            WireError::UnsupportedMode => f.write_str("unsupported transfer mode"),
            WireError::BadOption => f.write_str("unknown or out-of-range option in OACK"),
            WireError::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

impl WireError {
    /// The TFTP error code to answer this parse failure with.
    pub const fn reply_code(self) -> ErrorCode {
        match self {
            WireError::BadOption => ErrorCode::OptionRefused,
            _ => ErrorCode::IllegalOperation,
        }
    }
}

/// A zero-copy view of a TFTP packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; accessors may then return
    /// [`WireError::Truncated`] through [`Repr::parse`] only, never panic.
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps a buffer holding at least an opcode and, for DATA/ACK/ERROR, the
    /// 2-byte block number or error code.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Packet { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Checks the fixed-header length for the packet's opcode.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < 2 {
            return Err(WireError::Truncated);
        }
        match self.opcode() {
            Opcode::Data | Opcode::Ack | Opcode::Error if len < HEADER_LEN => {
                Err(WireError::Truncated)
            }
            _ => Ok(()),
        }
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        match (b.get(at), b.get(at + 1)) {
            (Some(&h), Some(&l)) => u16::from_be_bytes([h, l]),
            _ => 0,
        }
    }

    /// The opcode (0 when the buffer is shorter than 2 bytes).
    pub fn opcode(&self) -> Opcode {
        Opcode::from(self.u16_at(0))
    }

    /// The block number of a DATA or ACK packet (0 if truncated).
    pub fn block(&self) -> u16 {
        self.u16_at(2)
    }

    /// The error code of an ERROR packet.
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::from(self.u16_at(2))
    }

    /// Everything after the 4-byte header (DATA payload, ERROR message).
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    /// Everything after the opcode (request and OACK bodies).
    pub fn body(&self) -> &[u8] {
        self.buffer.as_ref().get(2..).unwrap_or(&[])
    }
}

/// Splits a NUL-terminated string off the front of `b`.
fn take_cstr(b: &[u8]) -> Result<(&[u8], &[u8]), WireError> {
    let nul = b
        .iter()
        .position(|&c| c == 0)
        .ok_or(WireError::Unterminated)?;
    let (s, rest) = b.split_at(nul);
    // `rest` starts with the NUL found above, so it is non-empty.
    Ok((s, rest.get(1..).unwrap_or(&[])))
}

/// Iterator over the `name\0value\0` pairs of a request or OACK body.
///
/// It stops after [`MAX_OPTION_PAIRS`] pairs, at the end of the body, or at
/// the first malformed pair (remembered in [`OptionIter::error`]).
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
    seen: usize,
    error: Option<WireError>,
}

impl<'a> OptionIter<'a> {
    /// Iterates the pairs in `body`.
    pub fn new(body: &'a [u8]) -> Self {
        OptionIter {
            rest: body,
            seen: 0,
            error: None,
        }
    }
    /// The malformation that stopped iteration, if any.
    pub fn error(&self) -> Option<WireError> {
        self.error
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        // Some clients pad requests with NULs: trailing NULs end the list.
        if self.rest.iter().all(|&c| c == 0) || self.seen >= MAX_OPTION_PAIRS {
            return None;
        }
        let parsed = take_cstr(self.rest).and_then(|(name, rest)| {
            let (value, rest) = take_cstr(rest)?;
            Ok((name, value, rest))
        });
        match parsed {
            Ok((name, value, rest)) => {
                self.rest = rest;
                self.seen += 1;
                Some((name, value))
            }
            Err(e) => {
                self.error = Some(e);
                self.rest = &[];
                None
            }
        }
    }
}

/// Parses an ASCII decimal number of at most 20 digits.
fn parse_decimal(s: &[u8]) -> Option<u64> {
    petrel_netcore::small::decimal(s).filter(|_| s.len() <= 20)
}

/// Writes `v` in decimal into `out`, returning the length (at most 20).
fn write_decimal(v: u64, out: &mut [u8]) -> Result<usize, WireError> {
    let mut digits = [0u8; 20];
    let s = petrel_netcore::small::format_decimal(v, &mut digits).as_bytes();
    out.get_mut(..s.len())
        .ok_or(WireError::BufferTooSmall)?
        .copy_from_slice(s);
    Ok(s.len())
}

fn decimal_len(v: u64) -> usize {
    petrel_netcore::small::format_decimal(v, &mut [0; 20]).len()
}

/// The options this crate understands, each `None` when absent or declined.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// RFC 2348 block size, 8..=65464.
    pub blksize: Option<u16>,
    /// RFC 2349 transfer size in bytes (0 in an RRQ asks the server for it).
    pub tsize: Option<u64>,
    /// RFC 2349 retransmission timeout in seconds, 1..=255.
    pub timeout: Option<u8>,
    /// RFC 7440 window size in blocks, 1..=65535.
    pub windowsize: Option<u16>,
}

/// One recognised option with a value in range.
enum Known {
    Blksize(u16),
    Tsize(u64),
    Timeout(u8),
    Windowsize(u16),
}

/// `Some(Ok)` for a known option with a valid value, `Some(Err)` for a known
/// option with an absurd value, `None` for an unknown option.
fn classify(name: &[u8], value: &[u8]) -> Option<Result<Known, ()>> {
    let v = parse_decimal(value);
    let in_range = |lo: u64, hi: u64| v.filter(|x| (lo..=hi).contains(x)).ok_or(());
    if name.eq_ignore_ascii_case(b"blksize") {
        Some(
            in_range(u64::from(MIN_BLKSIZE), u64::from(MAX_BLKSIZE))
                .map(|x| Known::Blksize(x as u16)),
        )
    } else if name.eq_ignore_ascii_case(b"tsize") {
        Some(v.ok_or(()).map(Known::Tsize))
    } else if name.eq_ignore_ascii_case(b"timeout") {
        Some(in_range(1, 255).map(|x| Known::Timeout(x as u8)))
    } else if name.eq_ignore_ascii_case(b"windowsize") {
        Some(in_range(1, 65535).map(|x| Known::Windowsize(x as u16)))
    } else {
        None
    }
}

impl Options {
    /// No options at all.
    pub const NONE: Options = Options {
        blksize: None,
        tsize: None,
        timeout: None,
        windowsize: None,
    };

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == Options::NONE
    }

    fn set(&mut self, k: Known) {
        match k {
            Known::Blksize(v) => self.blksize = Some(v),
            Known::Tsize(v) => self.tsize = Some(v),
            Known::Timeout(v) => self.timeout = Some(v),
            Known::Windowsize(v) => self.windowsize = Some(v),
        }
    }

    /// Options of a request (RFC 2347 server side): unknown options and
    /// out-of-range values are declined, i.e. left out. A malformed trailing
    /// pair ends the list; what came before it still counts.
    pub fn parse_request(body: &[u8]) -> Options {
        let mut o = Options::NONE;
        for (name, value) in OptionIter::new(body) {
            if let Some(Ok(k)) = classify(name, value) {
                o.set(k);
            }
        }
        o
    }

    /// Options of an OACK (RFC 2347 client side): the server may only answer
    /// known options with valid values, anything else is
    /// [`WireError::BadOption`] (answer with error 8).
    pub fn parse_oack(body: &[u8]) -> Result<Options, WireError> {
        let mut o = Options::NONE;
        let mut it = OptionIter::new(body);
        for (name, value) in it.by_ref() {
            match classify(name, value) {
                Some(Ok(k)) => o.set(k),
                _ => return Err(WireError::BadOption),
            }
        }
        match it.error() {
            Some(e) => Err(e),
            None => Ok(o),
        }
    }

    /// Bytes [`Options::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let mut n = 0;
        if let Some(v) = self.blksize {
            n += 9 + decimal_len(u64::from(v));
        }
        if let Some(v) = self.tsize {
            n += 7 + decimal_len(v);
        }
        if let Some(v) = self.timeout {
            n += 9 + decimal_len(u64::from(v));
        }
        if let Some(v) = self.windowsize {
            n += 12 + decimal_len(u64::from(v));
        }
        n
    }

    /// Writes the set options as `name\0value\0` pairs; returns the length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let mut w = Writer { out, at: 0 };
        if let Some(v) = self.blksize {
            w.pair(b"blksize", u64::from(v))?;
        }
        if let Some(v) = self.tsize {
            w.pair(b"tsize", v)?;
        }
        if let Some(v) = self.timeout {
            w.pair(b"timeout", u64::from(v))?;
        }
        if let Some(v) = self.windowsize {
            w.pair(b"windowsize", u64::from(v))?;
        }
        Ok(w.at)
    }
}

/// A bounded cursor for emitting.
struct Writer<'b> {
    out: &'b mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), WireError> {
        let end = self
            .at
            .checked_add(b.len())
            .ok_or(WireError::BufferTooSmall)?;
        let dst = self
            .out
            .get_mut(self.at..end)
            .ok_or(WireError::BufferTooSmall)?;
        dst.copy_from_slice(b);
        self.at = end;
        Ok(())
    }
    fn u16(&mut self, v: u16) -> Result<(), WireError> {
        self.bytes(&v.to_be_bytes())
    }
    fn cstr(&mut self, s: &[u8]) -> Result<(), WireError> {
        self.bytes(s)?;
        self.bytes(&[0])
    }
    fn pair(&mut self, name: &[u8], v: u64) -> Result<(), WireError> {
        self.cstr(name)?;
        let rest = self
            .out
            .get_mut(self.at..)
            .ok_or(WireError::BufferTooSmall)?;
        let n = write_decimal(v, rest)?;
        self.at += n;
        self.bytes(&[0])
    }
}

/// Read or write request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// RRQ: the client reads a file from the server.
    Read,
    /// WRQ: the client writes a file to the server.
    Write,
}

/// A parsed TFTP packet borrowing its strings and data from the buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Repr<'a> {
    /// RRQ or WRQ with its options (already parsed leniently, RFC 2347).
    Request {
        /// Read or write.
        kind: RequestKind,
        /// The file name, without its NUL.
        filename: &'a [u8],
        /// Transfer mode.
        mode: Mode,
        /// Recognised options with valid values.
        options: Options,
    },
    /// A data block.
    Data {
        /// Block number (wraps from 65535 to 0).
        block: u16,
        /// Payload, at most the block size.
        data: &'a [u8],
    },
    /// Acknowledgment of a block (0 acknowledges an OACK or a WRQ).
    Ack {
        /// Block number.
        block: u16,
    },
    /// An error; ends the transfer.
    Error {
        /// The code.
        code: ErrorCode,
        /// The message, without its NUL (a missing NUL is tolerated).
        message: &'a [u8],
    },
    /// Option acknowledgment (RFC 2347).
    Oack {
        /// The options the server accepted.
        options: Options,
    },
}

impl<'a> Repr<'a> {
    /// Parses a packet view. Never panics; every length is checked.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&'a T>) -> Result<Repr<'a>, WireError> {
        parse_from(<T as AsRef<[u8]>>::as_ref(packet.buffer))
    }

    /// Parses raw bytes; the same as [`Repr::parse`] on a [`Packet`] view.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Repr<'a>, WireError> {
        parse_from(bytes)
    }

    /// Bytes [`Repr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Repr::Request {
                filename,
                mode,
                options,
                ..
            } => 2 + filename.len() + 1 + mode.as_bytes().len() + 1 + options.buffer_len(),
            Repr::Data { data, .. } => HEADER_LEN + data.len(),
            Repr::Ack { .. } => HEADER_LEN,
            Repr::Error { message, .. } => HEADER_LEN + message.len() + 1,
            Repr::Oack { options } => 2 + options.buffer_len(),
        }
    }

    /// Writes the packet into `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let mut w = Writer { out, at: 0 };
        match self {
            Repr::Request {
                kind,
                filename,
                mode,
                options,
            } => {
                w.u16(match kind {
                    RequestKind::Read => 1,
                    RequestKind::Write => 2,
                })?;
                w.cstr(filename)?;
                w.cstr(mode.as_bytes())?;
                let rest = w.out.get_mut(w.at..).ok_or(WireError::BufferTooSmall)?;
                w.at += options.emit(rest)?;
            }
            Repr::Data { block, data } => {
                w.u16(3)?;
                w.u16(*block)?;
                w.bytes(data)?;
            }
            Repr::Ack { block } => {
                w.u16(4)?;
                w.u16(*block)?;
            }
            Repr::Error { code, message } => {
                w.u16(5)?;
                w.u16(u16::from(*code))?;
                // An embedded NUL would cut the message short on the peer.
                let end = message
                    .iter()
                    .position(|&c| c == 0)
                    .unwrap_or(message.len());
                w.cstr(message.get(..end).unwrap_or(&[]))?;
            }
            Repr::Oack { options } => {
                w.u16(6)?;
                let rest = w.out.get_mut(w.at..).ok_or(WireError::BufferTooSmall)?;
                w.at += options.emit(rest)?;
            }
        }
        Ok(w.at)
    }
}

fn parse_from(b: &[u8]) -> Result<Repr<'_>, WireError> {
    let view = Packet::new_unchecked(b);
    view.check_len()?;
    let body = b.get(2..).unwrap_or(&[]);
    let payload = b.get(HEADER_LEN..).unwrap_or(&[]);
    match view.opcode() {
        Opcode::Data => Ok(Repr::Data {
            block: view.block(),
            data: payload,
        }),
        Opcode::Ack => Ok(Repr::Ack {
            block: view.block(),
        }),
        Opcode::Error => {
            let message = match take_cstr(payload) {
                Ok((m, _)) => m,
                Err(_) => payload,
            };
            Ok(Repr::Error {
                code: view.error_code(),
                message,
            })
        }
        Opcode::Oack => Ok(Repr::Oack {
            options: Options::parse_oack(body)?,
        }),
        op @ (Opcode::Rrq | Opcode::Wrq) => {
            let (filename, rest) = take_cstr(body)?;
            if filename.is_empty() {
                return Err(WireError::EmptyFilename);
            }
            let (mode, rest) = take_cstr(rest)?;
            let mode = Mode::parse(mode)?;
            let kind = if op == Opcode::Rrq {
                RequestKind::Read
            } else {
                RequestKind::Write
            };
            Ok(Repr::Request {
                kind,
                filename,
                mode,
                options: Options::parse_request(rest),
            })
        }
        Opcode::Unknown(op) => Err(WireError::UnknownOpcode(op)),
    }
}
