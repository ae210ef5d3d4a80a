//! One TFTP transfer once its parameters are fixed: the sending half (DATA
//! out, ACKs in, windows, rewinds) and the receiving half (DATA in, ACKs out,
//! final-ACK dally). The server hands one out per accepted request
//! ([`crate::Server`]); the client ([`crate::Client`]) runs one after the
//! server's first reply.
//!
//! # Call order (the driver's loop)
//!
//! 1. For every datagram on the transfer's own socket call
//!    [`Transfer::handle_packet`], with `from_tid_ok` false when its source
//!    is not the peer's address and port (RFC 1350 TID).
//! 2. When the clock reaches [`Transfer::poll_timeout`], call
//!    [`Transfer::handle_timeout`].
//! 3. After either, call [`Transfer::poll_transmit`] until it returns `None`,
//!    sending each datagram to the peer or, for [`Destination::Stranger`], to
//!    the source of the last wrong-TID packet.
//! 4. Drain [`Transfer::poll_event`]; drop the transfer (and its socket) once
//!    [`Transfer::is_closed`].

use core::fmt;

use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::Timers;

use crate::fs::{FileSystem, FsError};
use crate::netascii::{Decoder, Encoder};
use crate::wire::{DEFAULT_BLKSIZE, ErrorCode, HEADER_LEN, Mode, Options, Repr, WireError};

/// Largest window (RFC 7440 `windowsize`) a transfer sends; bigger requests
/// are negotiated down. Each block of the window keeps a 16-byte rewind point.
pub const MAX_WINDOW: u16 = 32;
const CP_LEN: usize = MAX_WINDOW as usize + 1;
const RETRANSMIT: usize = 0;

/// Where a datagram from [`Transfer::poll_transmit`] goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The transfer's peer (its address and TID).
    Peer,
    /// The sender of the last packet passed with `from_tid_ok = false`
    /// (an ERROR 5, "unknown transfer ID").
    Stranger,
}

/// A datagram written by `poll_transmit`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Bytes written at the start of the buffer.
    pub len: usize,
    /// Who receives it.
    pub to: Destination,
}

/// Why a transfer failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransferError {
    /// The peer sent an ERROR packet with this code.
    Peer(ErrorCode),
    /// The peer stopped answering: retries exhausted.
    TimedOut,
    /// The file system failed; the peer was told.
    FileSystem(FsError),
    /// The peer broke the protocol; it was sent an ERROR with this code.
    Protocol(ErrorCode),
    /// The buffer given to `poll_transmit` cannot hold a packet
    /// (see `max_packet_len`).
    BufferTooSmall,
    /// The local side gave up (its socket failed): see [`Transfer::abort`].
    Aborted,
}

impl TransferError {
    /// The TFTP error code that best describes the failure.
    pub const fn code(self) -> ErrorCode {
        match self {
            TransferError::Peer(c) | TransferError::Protocol(c) => c,
            TransferError::TimedOut | TransferError::BufferTooSmall | TransferError::Aborted => {
                ErrorCode::NotDefined
            }
            TransferError::FileSystem(e) => e.code(),
        }
    }
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransferError::Peer(c) => write!(f, "peer sent error: {c}"),
            TransferError::TimedOut => f.write_str("peer stopped answering"),
            TransferError::FileSystem(e) => write!(f, "file system: {e}"),
            TransferError::Protocol(c) => write!(f, "peer broke the protocol ({c})"),
            TransferError::BufferTooSmall => f.write_str("transmit buffer too small"),
            TransferError::Aborted => f.write_str("aborted locally"),
        }
    }
}

/// What happened to a transfer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// All data went through; `bytes` counts the local file's bytes.
    Completed {
        /// File bytes read or written.
        bytes: u64,
    },
    /// The transfer ended early.
    Failed {
        /// Why.
        error: TransferError,
    },
}

/// Negotiated transfer parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Data bytes per block.
    pub blksize: u16,
    /// Blocks sent before waiting for an ACK (1 = RFC 1350 lock-step).
    pub window: u16,
    /// Retransmission timeout.
    pub timeout: Duration,
    /// Retransmissions before giving up.
    pub max_retries: u8,
    /// How long the receiver lingers after its final ACK to re-ACK a repeated
    /// last block (RFC 1350 §6 "dallying").
    pub dally: Duration,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            blksize: DEFAULT_BLKSIZE,
            window: 1,
            timeout: Duration::from_secs(1),
            max_retries: 5,
            dally: Duration::from_secs(2),
        }
    }
}

/// The states of a transfer, named for what they wait for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Sender that sent an OACK: waiting for ACK 0.
    ExpectOackAck,
    /// Sender: waiting for ACKs of the current window.
    ExpectAck,
    /// Receiver: waiting for the next DATA block.
    ExpectData,
    /// Receiver done: re-ACKs a repeated final block until the dally ends.
    Dallying {
        /// Wire number of the final block.
        last: u16,
    },
    /// Finished; nothing more to do once the pending packet is sent.
    Closed,
}

/// A control packet owed to the peer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Control {
    None,
    Ack(u16),
    Oack(Options),
    Error(ErrorCode, &'static str),
}

/// Where in the local file a block starts (netascii needs the encoder state).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Cursor {
    offset: u64,
    enc: Encoder,
}

/// One transfer, sending or receiving a file over an open [`FileSystem`]
/// handle `H`. See the module docs for the call order.
pub struct Transfer<H> {
    state: State,
    sending: bool,
    mode: Mode,
    params: Params,
    handle: Option<H>,
    /// OACK to repeat on timeout until the peer confirms it.
    oack: Option<Options>,
    // Sending half (absolute block numbers, first block = 1).
    base: u64,
    next: u64,
    last: Option<u64>,
    end_offset: u64,
    cursor: Cursor,
    rewind: [Cursor; CP_LEN],
    // Receiving half.
    expected: u64,
    in_window: u16,
    gap_acked: bool,
    dec: Decoder,
    written: u64,
    // Shared.
    retries: u8,
    timers: Timers<1>,
    ctl: Control,
    stranger: bool,
    event: Option<Event>,
}

impl<H> fmt::Debug for Transfer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transfer")
            .field("state", &self.state)
            .field("sending", &self.sending)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Absolute block number of wire block `b` nearest to `reference`.
fn unwrap_block(reference: u64, b: u16) -> Option<u64> {
    let diff = b.wrapping_sub(reference as u16) as i16;
    reference.checked_add_signed(i64::from(diff))
}

impl<H> Transfer<H> {
    fn blank(now: Instant, sending: bool, handle: H, mode: Mode, params: Params) -> Self {
        let mut params = params;
        params.window = params.window.clamp(1, MAX_WINDOW);
        params.blksize = params
            .blksize
            .clamp(crate::wire::MIN_BLKSIZE, crate::wire::MAX_BLKSIZE);
        let mut timers = Timers::new();
        timers.set(RETRANSMIT, now + params.timeout);
        Transfer {
            state: State::Closed,
            sending,
            mode,
            params,
            handle: Some(handle),
            oack: None,
            base: 1,
            next: 1,
            last: None,
            end_offset: 0,
            cursor: Cursor::default(),
            rewind: [Cursor::default(); CP_LEN],
            expected: 1,
            in_window: 0,
            gap_acked: false,
            dec: Decoder::new(),
            written: 0,
            retries: 0,
            timers,
            ctl: Control::None,
            stranger: false,
            event: None,
        }
    }

    /// A transfer that sends the file behind `handle`. With `oack` it first
    /// sends that OACK and waits for ACK 0; without, it starts with DATA 1.
    pub fn new_sender(
        now: Instant,
        handle: H,
        mode: Mode,
        params: Params,
        oack: Option<Options>,
    ) -> Self {
        let mut t = Self::blank(now, true, handle, mode, params);
        match oack {
            Some(o) => {
                t.state = State::ExpectOackAck;
                t.ctl = Control::Oack(o);
                t.oack = Some(o);
            }
            None => t.state = State::ExpectAck,
        }
        t
    }

    /// A transfer that receives into `handle`. `oack` is sent first if given
    /// (server WRQ with options); else `ack0` sends ACK 0 (server WRQ without
    /// options, client after an OACK); with neither it just waits for DATA 1.
    pub fn new_receiver(
        now: Instant,
        handle: H,
        mode: Mode,
        params: Params,
        oack: Option<Options>,
        ack0: bool,
    ) -> Self {
        let mut t = Self::blank(now, false, handle, mode, params);
        t.state = State::ExpectData;
        if let Some(o) = oack {
            t.ctl = Control::Oack(o);
            t.oack = Some(o);
        } else if ack0 {
            t.ctl = Control::Ack(0);
        }
        t
    }

    /// The negotiated parameters.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Whether this side sends the file.
    pub fn is_sender(&self) -> bool {
        self.sending
    }

    /// The smallest buffer `poll_transmit` accepts for this transfer.
    pub fn max_packet_len(&self) -> usize {
        (HEADER_LEN + usize::from(self.params.blksize)).max(128)
    }

    /// The earliest time `handle_timeout` must be called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.event.take()
    }

    /// Whether the transfer is only dallying: the upload is complete and
    /// the final ACK sent; what is left is re-ACKing a repeated last DATA
    /// (RFC 1350 §6). Such a transfer may be [`abort`](Transfer::abort)ed
    /// without losing anything, e.g. to free its slot for a new request.
    pub fn is_dallying(&self) -> bool {
        matches!(self.state, State::Dallying { .. })
    }

    /// Whether the transfer is over and has nothing left to send.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed && self.ctl == Control::None && !self.stranger
    }

    /// Ends the transfer from the local side (its socket failed, the board
    /// shuts down): a partial upload is discarded through
    /// [`FileSystem::abort`], an [`Event::Failed`] with
    /// [`TransferError::Aborted`] is queued, and nothing more is sent. Does
    /// nothing to a transfer that already ended.
    pub fn abort<F: FileSystem<Handle = H>>(&mut self, fs: &mut F) {
        match self.state {
            State::Closed => {}
            // The file is complete; only the courtesy re-ACK is given up.
            State::Dallying { .. } => {
                self.state = State::Closed;
                self.timers.clear(RETRANSMIT);
            }
            _ => self.fail(fs, TransferError::Aborted, None),
        }
        self.ctl = Control::None;
        self.stranger = false;
    }

    fn fail<F: FileSystem<Handle = H>>(
        &mut self,
        fs: &mut F,
        error: TransferError,
        reply: Option<(ErrorCode, &'static str)>,
    ) {
        if let Some(h) = self.handle.take() {
            fs.abort(h);
        }
        self.event = Some(Event::Failed { error });
        self.ctl = match reply {
            Some((c, m)) => Control::Error(c, m),
            None => Control::None,
        };
        self.state = State::Closed;
        self.timers.clear(RETRANSMIT);
    }

    fn arm(&mut self, now: Instant) {
        self.timers.set(RETRANSMIT, now + self.params.timeout);
    }

    /// Feeds one datagram received on the transfer's socket.
    ///
    /// `from_tid_ok` is false when the source address/port is not the peer's:
    /// such a packet never changes the transfer, it only earns its sender an
    /// ERROR 5 (unless it is itself an ERROR).
    pub fn handle_packet<F: FileSystem<Handle = H>>(
        &mut self,
        now: Instant,
        fs: &mut F,
        from_tid_ok: bool,
        packet: &[u8],
    ) {
        if !from_tid_ok {
            // Never answer an ERROR with an ERROR.
            if packet.get(..2) != Some(&[0, 5][..]) {
                self.stranger = true;
            }
            return;
        }
        if self.state == State::Closed {
            return;
        }
        let repr = match Repr::parse_bytes(packet) {
            Ok(r) => r,
            Err(e) => {
                let code = match e {
                    WireError::BadOption => ErrorCode::IllegalOperation,
                    e => e.reply_code(),
                };
                self.fail(
                    fs,
                    TransferError::Protocol(code),
                    Some((code, "malformed packet")),
                );
                return;
            }
        };
        match repr {
            Repr::Error { code, .. } if !matches!(self.state, State::Dallying { .. }) => {
                self.fail(fs, TransferError::Peer(code), None);
            }
            Repr::Ack { block } if self.sending => self.on_ack(now, fs, block),
            Repr::Data { block, data } if !self.sending => self.on_data(now, fs, block, data),
            // Valid but out of place (a stray ACK to a receiver, a repeated
            // OACK): ignoring is safe, the retransmission timer recovers.
            _ => {}
        }
    }

    fn on_ack<F: FileSystem<Handle = H>>(&mut self, now: Instant, fs: &mut F, block: u16) {
        match self.state {
            State::ExpectOackAck if block == 0 => {
                self.state = State::ExpectAck;
                self.oack = None;
                if matches!(self.ctl, Control::Oack(_)) {
                    self.ctl = Control::None;
                }
                self.retries = 0;
                self.arm(now);
            }
            State::ExpectAck => {
                let acked = self.base - 1;
                let Some(abs) = unwrap_block(acked, block) else {
                    return;
                };
                // A duplicate or old ACK is ignored: never retransmit on it
                // (the Sorcerer's Apprentice bug, RFC 1123 §4.2.3.1).
                if abs <= acked || abs >= self.next {
                    return;
                }
                if Some(abs) == self.last {
                    let result = match self.handle.take() {
                        Some(h) => fs.close(h),
                        None => Ok(()),
                    };
                    self.event = Some(match result {
                        Ok(()) => Event::Completed {
                            bytes: self.end_offset,
                        },
                        Err(e) => Event::Failed {
                            error: TransferError::FileSystem(e),
                        },
                    });
                    self.state = State::Closed;
                    self.timers.clear(RETRANSMIT);
                    return;
                }
                self.base = abs + 1;
                // An ACK inside the window asks for a new window right after
                // the acknowledged block (RFC 7440 §4).
                self.rewind_to(self.base);
                self.retries = 0;
                self.arm(now);
            }
            _ => {}
        }
    }

    fn rewind_to(&mut self, block: u64) {
        if block < self.next {
            let i = (block % CP_LEN as u64) as usize;
            if let Some(c) = self.rewind.get(i) {
                self.cursor = *c;
            }
            self.next = block;
        }
    }

    fn on_data<F: FileSystem<Handle = H>>(
        &mut self,
        now: Instant,
        fs: &mut F,
        block: u16,
        data: &[u8],
    ) {
        if let State::Dallying { last } = self.state {
            if block == last {
                self.ctl = Control::Ack(last);
            }
            return;
        }
        if self.state != State::ExpectData {
            return;
        }
        let Some(abs) = unwrap_block(self.expected, block) else {
            return;
        };
        if abs < self.expected {
            // Our ACK for the previous block was lost: repeat it, once per copy.
            if abs + 1 == self.expected {
                self.ctl = Control::Ack(block);
                self.in_window = 0;
            }
            return;
        }
        if abs > self.expected {
            // A gap inside a window: ask for a resend from the gap, once.
            if !self.gap_acked {
                self.gap_acked = true;
                self.in_window = 0;
                self.ctl = Control::Ack(self.expected.wrapping_sub(1) as u16);
            }
            return;
        }
        let bs = usize::from(self.params.blksize);
        if data.len() > bs {
            let code = ErrorCode::IllegalOperation;
            self.fail(
                fs,
                TransferError::Protocol(code),
                Some((code, "block larger than blksize")),
            );
            return;
        }
        if let Err(e) = self.store(fs, data) {
            self.fail(
                fs,
                TransferError::FileSystem(e),
                Some((e.code(), e.message())),
            );
            return;
        }
        self.expected += 1;
        self.oack = None;
        self.gap_acked = false;
        self.retries = 0;
        self.arm(now);
        if data.len() < bs {
            let tail = self.dec.finish();
            let result = match (self.handle.take(), tail) {
                (Some(mut h), Some(b)) => match fs.write(&mut h, &[b]) {
                    Ok(()) => {
                        self.written += 1;
                        fs.close(h)
                    }
                    Err(e) => {
                        fs.abort(h);
                        Err(e)
                    }
                },
                (Some(h), None) => fs.close(h),
                (None, _) => Ok(()),
            };
            if let Err(e) = result {
                self.fail(
                    fs,
                    TransferError::FileSystem(e),
                    Some((e.code(), e.message())),
                );
                return;
            }
            self.event = Some(Event::Completed {
                bytes: self.written,
            });
            self.ctl = Control::Ack(block);
            self.state = State::Dallying { last: block };
            self.timers.set(RETRANSMIT, now + self.params.dally);
            return;
        }
        self.in_window += 1;
        if self.in_window >= self.params.window {
            self.in_window = 0;
            self.ctl = Control::Ack(block);
        }
    }

    fn store<F: FileSystem<Handle = H>>(&mut self, fs: &mut F, data: &[u8]) -> Result<(), FsError> {
        let Some(h) = self.handle.as_mut() else {
            return Err(FsError::Io);
        };
        match self.mode {
            Mode::NetAscii => {
                let mut scratch = [0u8; 129];
                for chunk in data.chunks(128) {
                    let n = self.dec.decode(chunk, &mut scratch);
                    fs.write(h, scratch.get(..n).unwrap_or(&[]))?;
                    self.written += n as u64;
                }
            }
            _ => {
                fs.write(h, data)?;
                self.written += data.len() as u64;
            }
        }
        Ok(())
    }

    /// Call when the clock reaches [`Transfer::poll_timeout`]: retransmits
    /// (rewinding a window to its first unacknowledged block) or gives up
    /// after `max_retries`; ends the final-ACK dally.
    pub fn handle_timeout<F: FileSystem<Handle = H>>(&mut self, now: Instant, fs: &mut F) {
        if self.timers.take_expired(now).is_none() {
            return;
        }
        if let State::Dallying { .. } = self.state {
            self.state = State::Closed;
            return;
        }
        if self.state == State::Closed {
            return;
        }
        self.retries = self.retries.saturating_add(1);
        if self.retries > self.params.max_retries {
            self.fail(fs, TransferError::TimedOut, None);
            return;
        }
        match self.state {
            State::ExpectOackAck => {
                if let Some(o) = self.oack {
                    self.ctl = Control::Oack(o);
                }
            }
            State::ExpectAck => self.rewind_to(self.base),
            State::ExpectData => {
                self.in_window = 0;
                self.ctl = match self.oack {
                    Some(o) => Control::Oack(o),
                    None => Control::Ack(self.expected.wrapping_sub(1) as u16),
                };
            }
            _ => {}
        }
        self.arm(now);
    }

    /// Writes the next datagram into `buf`: a wrong-TID ERROR, a control
    /// packet (ACK, OACK, ERROR) or the next DATA block of the window.
    /// `buf` must hold [`Transfer::max_packet_len`] bytes.
    pub fn poll_transmit<F: FileSystem<Handle = H>>(
        &mut self,
        fs: &mut F,
        buf: &mut [u8],
    ) -> Option<Transmit> {
        // A stranger's error goes first; the control packet waits for the
        // next call.
        let (repr, to) = if self.stranger {
            self.stranger = false;
            let r = Repr::Error {
                code: ErrorCode::UnknownTransferId,
                message: b"unknown transfer ID",
            };
            (Some(r), Destination::Stranger)
        } else {
            let repr = match core::mem::replace(&mut self.ctl, Control::None) {
                Control::None => None,
                Control::Ack(block) => Some(Repr::Ack { block }),
                Control::Oack(options) => Some(Repr::Oack { options }),
                Control::Error(code, m) => Some(Repr::Error {
                    code,
                    message: m.as_bytes(),
                }),
            };
            (repr, Destination::Peer)
        };
        if let Some(r) = repr {
            return match r.emit(buf) {
                Ok(len) => Some(Transmit { len, to }),
                Err(_) => {
                    if to == Destination::Peer {
                        self.fail(fs, TransferError::BufferTooSmall, None);
                    }
                    None
                }
            };
        }
        if self.state != State::ExpectAck {
            return None;
        }
        let window_end = self.base + u64::from(self.params.window);
        if self.next >= window_end || self.last.is_some_and(|l| self.next > l) {
            return None;
        }
        let bs = usize::from(self.params.blksize);
        let Some(dst) = buf.get_mut(..HEADER_LEN + bs) else {
            self.fail(fs, TransferError::BufferTooSmall, None);
            return None;
        };
        let (head, body) = dst.split_at_mut(HEADER_LEN);
        let block = self.next as u16;
        head.copy_from_slice(&[0, 3, (block >> 8) as u8, block as u8]);
        if let Some(slot) = self.rewind.get_mut((self.next % CP_LEN as u64) as usize) {
            *slot = self.cursor;
        }
        match self.fill(fs, body) {
            Ok(n) => {
                if n < bs {
                    self.last = Some(self.next);
                    self.end_offset = self.cursor.offset;
                }
                self.next += 1;
                Some(Transmit {
                    len: HEADER_LEN + n,
                    to: Destination::Peer,
                })
            }
            Err(e) => {
                self.fail(
                    fs,
                    TransferError::FileSystem(e),
                    Some((e.code(), e.message())),
                );
                self.poll_transmit(fs, buf)
            }
        }
    }

    /// Fills `dst` with the next block's bytes; fewer only at end of file.
    fn fill<F: FileSystem<Handle = H>>(
        &mut self,
        fs: &mut F,
        dst: &mut [u8],
    ) -> Result<usize, FsError> {
        let Some(h) = self.handle.as_mut() else {
            return Err(FsError::Io);
        };
        let mut filled = 0;
        match self.mode {
            Mode::NetAscii => {
                let mut scratch = [0u8; 64];
                // Each round produces at least one byte or stops.
                for _ in 0..=dst.len() {
                    let room = dst.len() - filled;
                    if room == 0 {
                        break;
                    }
                    let want = room.min(scratch.len());
                    let src = scratch.get_mut(..want).unwrap_or(&mut []);
                    let n = fs.read_at(h, self.cursor.offset, src)?.min(want);
                    let out = dst.get_mut(filled..).unwrap_or(&mut []);
                    let (used, produced) =
                        self.cursor.enc.encode(scratch.get(..n).unwrap_or(&[]), out);
                    self.cursor.offset += used as u64;
                    filled += produced;
                    if produced == 0 {
                        break;
                    }
                }
            }
            _ => {
                for _ in 0..=dst.len() {
                    let Some(rest) = dst.get_mut(filled..) else {
                        break;
                    };
                    if rest.is_empty() {
                        break;
                    }
                    let n = fs.read_at(h, self.cursor.offset, rest)?.min(rest.len());
                    if n == 0 {
                        break;
                    }
                    filled += n;
                    self.cursor.offset += n as u64;
                }
            }
        }
        Ok(filled)
    }
}
