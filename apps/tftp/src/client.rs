//! The TFTP client: sends RRQ/WRQ with options, accepts the server's OACK or
//! falls back to RFC 1350 defaults when the server answers without one, then
//! runs a [`Transfer`].
//!
//! # TID handling
//!
//! The request goes to the server's port 69; the server answers from a new
//! port. Until [`Client::is_tid_locked`] is true any source is the server's:
//! pass `from_tid_ok = true` and, after `handle_packet`, if the client became
//! locked, remember that packet's source. From then on pass
//! `from_tid_ok = (source == locked)`. [`Destination::Peer`] means port 69
//! before locking, the locked source after.

use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::Timers;

use crate::fs::FileSystem;
use crate::transfer::{Destination, Event, MAX_WINDOW, Params, Transfer, TransferError, Transmit};
use crate::wire::{DEFAULT_BLKSIZE, ErrorCode, Mode, Options, Repr, RequestKind, WireError};

/// Longest file name the client stores.
pub const CLIENT_FILENAME_MAX: usize = 255;
const RETRANSMIT: usize = 0;

/// What the client asks for. Every field has a documented default.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `blksize` to request (None: don't). Default Some(1468).
    pub blksize: Option<u16>,
    /// `windowsize` to request (None: don't). Default None.
    pub windowsize: Option<u16>,
    /// `timeout` in seconds to request (None: don't). Default None.
    pub timeout_secs: Option<u8>,
    /// Send `tsize` (0 on get, the size on put). Default true.
    pub tsize: bool,
    /// Retransmission timeout when none is negotiated. Default 1 s.
    pub timeout: Duration,
    /// Retransmissions before giving up. Default 5.
    pub max_retries: u8,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            blksize: Some(1468),
            windowsize: None,
            timeout_secs: None,
            tsize: true,
            timeout: Duration::from_secs(1),
            max_retries: 5,
        }
    }
}

impl ClientConfig {
    /// Plain RFC 1350: no options requested.
    pub fn plain() -> Self {
        ClientConfig {
            blksize: None,
            windowsize: None,
            timeout_secs: None,
            tsize: false,
            ..Self::default()
        }
    }
    /// Requests `windowsize` blocks per window.
    pub fn with_windowsize(mut self, w: u16) -> Self {
        self.windowsize = Some(w);
        self
    }
    /// Requests a block size.
    pub fn with_blksize(mut self, b: u16) -> Self {
        self.blksize = Some(b);
        self
    }
    /// Requests a timeout in seconds.
    pub fn with_timeout_secs(mut self, s: u8) -> Self {
        self.timeout_secs = Some(s);
        self
    }
}

/// Why a client could not start.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The file name is empty, contains NUL, or exceeds [`CLIENT_FILENAME_MAX`].
    BadFilename,
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientError::BadFilename => f.write_str("file name empty, too long or with NUL"),
        }
    }
}

/// The client's states, named for what they wait for.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "the transfer is the client's main state"
)]
enum Phase<H> {
    /// Request sent: waiting for OACK, DATA 1 (get), ACK 0 (put) or ERROR.
    ExpectFirstReply { handle: H, send_request: bool },
    /// The server answered: the transfer runs.
    Running(Transfer<H>),
    /// Failed before a transfer started; `error` is owed to the server.
    Closed {
        error: Option<(ErrorCode, &'static str)>,
    },
}

/// A TFTP get or put. See the module docs for the TID contract; otherwise the
/// call order is [`Transfer`]'s.
#[derive(Debug)]
pub struct Client<H> {
    phase: Phase<H>,
    kind: RequestKind,
    filename: heapless::Vec<u8, CLIENT_FILENAME_MAX>,
    mode: Mode,
    requested: Options,
    config: ClientConfig,
    retries: u8,
    timers: Timers<1>,
    event: Option<Event>,
    tsize: Option<u64>,
}

impl<H> Client<H> {
    fn start(
        now: Instant,
        config: ClientConfig,
        kind: RequestKind,
        filename: &[u8],
        mode: Mode,
        handle: H,
        size: Option<u64>,
    ) -> Result<Self, ClientError> {
        if filename.is_empty() || filename.contains(&0) {
            return Err(ClientError::BadFilename);
        }
        let filename = heapless::Vec::from_slice(filename).map_err(|_| ClientError::BadFilename)?;
        let requested = Options {
            blksize: config
                .blksize
                .map(|b| b.clamp(crate::wire::MIN_BLKSIZE, crate::wire::MAX_BLKSIZE)),
            tsize: if config.tsize {
                match kind {
                    RequestKind::Read => Some(0),
                    RequestKind::Write => size,
                }
            } else {
                None
            },
            timeout: config.timeout_secs.filter(|&s| s >= 1),
            windowsize: config.windowsize.map(|w| w.clamp(1, MAX_WINDOW)),
        };
        let mut timers = Timers::new();
        timers.set(RETRANSMIT, now + config.timeout);
        Ok(Client {
            phase: Phase::ExpectFirstReply {
                handle,
                send_request: true,
            },
            kind,
            filename,
            mode,
            requested,
            config,
            retries: 0,
            timers,
            event: None,
            tsize: None,
        })
    }

    /// Starts reading `filename` from the server into `handle` (opened for
    /// writing by the caller).
    pub fn get(
        now: Instant,
        config: ClientConfig,
        filename: &[u8],
        mode: Mode,
        handle: H,
    ) -> Result<Self, ClientError> {
        Self::start(now, config, RequestKind::Read, filename, mode, handle, None)
    }

    /// Starts writing `handle` (opened for reading by the caller) to
    /// `filename` on the server; `size` is sent as `tsize` when known.
    pub fn put(
        now: Instant,
        config: ClientConfig,
        filename: &[u8],
        mode: Mode,
        handle: H,
        size: Option<u64>,
    ) -> Result<Self, ClientError> {
        Self::start(
            now,
            config,
            RequestKind::Write,
            filename,
            mode,
            handle,
            size,
        )
    }

    /// Whether the server's TID is known (its first reply was accepted).
    pub fn is_tid_locked(&self) -> bool {
        matches!(self.phase, Phase::Running(_))
    }

    /// The file size the server announced in its OACK (`tsize`).
    pub fn transfer_size(&self) -> Option<u64> {
        self.tsize
    }

    /// The negotiated parameters, once the server answered.
    pub fn params(&self) -> Option<Params> {
        match &self.phase {
            Phase::Running(t) => Some(t.params()),
            _ => None,
        }
    }

    /// The smallest buffer `poll_transmit` accepts.
    pub fn max_packet_len(&self) -> usize {
        let bs = self.requested.blksize.unwrap_or(DEFAULT_BLKSIZE);
        (crate::wire::HEADER_LEN + usize::from(bs)).max(2 + CLIENT_FILENAME_MAX + 80)
    }

    /// Whether the client is done and has nothing left to send.
    pub fn is_closed(&self) -> bool {
        match &self.phase {
            Phase::Running(t) => t.is_closed(),
            Phase::Closed { error } => error.is_none(),
            Phase::ExpectFirstReply { .. } => false,
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(e) = self.event.take() {
            return Some(e);
        }
        match &mut self.phase {
            Phase::Running(t) => t.poll_event(),
            _ => None,
        }
    }

    /// The earliest time `handle_timeout` must be called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Running(t) => t.poll_timeout(),
            Phase::ExpectFirstReply { .. } => self.timers.next(),
            Phase::Closed { .. } => None,
        }
    }

    fn close_with<F: FileSystem<Handle = H>>(
        &mut self,
        fs: &mut F,
        error: TransferError,
        reply: Option<(ErrorCode, &'static str)>,
    ) {
        let old = core::mem::replace(&mut self.phase, Phase::Closed { error: reply });
        match old {
            Phase::ExpectFirstReply { handle, .. } => fs.abort(handle),
            Phase::Running(t) => self.phase = Phase::Running(t),
            Phase::Closed { .. } => {}
        }
        self.event = Some(Event::Failed { error });
        self.timers.clear(RETRANSMIT);
    }

    /// Handles a timeout: repeats the request, or gives up.
    pub fn handle_timeout<F: FileSystem<Handle = H>>(&mut self, now: Instant, fs: &mut F) {
        match &mut self.phase {
            Phase::Running(t) => t.handle_timeout(now, fs),
            Phase::ExpectFirstReply { send_request, .. } => {
                if self.timers.take_expired(now).is_none() {
                    return;
                }
                self.retries = self.retries.saturating_add(1);
                if self.retries > self.config.max_retries {
                    self.close_with(fs, TransferError::TimedOut, None);
                    return;
                }
                *send_request = true;
                self.timers.set(RETRANSMIT, now + self.config.timeout);
            }
            Phase::Closed { .. } => {}
        }
    }

    /// Checks an OACK against what was asked (RFC 2347: the server may only
    /// lower `blksize`/`windowsize` and must not add options).
    fn accept_oack(&self, o: &Options) -> bool {
        let r = &self.requested;
        let within = |got: Option<u16>, asked: Option<u16>| match (got, asked) {
            (None, _) => true,
            (Some(g), Some(a)) => g <= a,
            (Some(_), None) => false,
        };
        within(o.blksize, r.blksize)
            && within(o.windowsize, r.windowsize)
            && (o.timeout.is_none() || r.timeout.is_some())
            && (o.tsize.is_none() || r.tsize.is_some())
    }

    /// Feeds one datagram; see the module docs for `from_tid_ok`.
    pub fn handle_packet<F: FileSystem<Handle = H>>(
        &mut self,
        now: Instant,
        fs: &mut F,
        from_tid_ok: bool,
        packet: &[u8],
    ) {
        if let Phase::Running(t) = &mut self.phase {
            t.handle_packet(now, fs, from_tid_ok, packet);
            return;
        }
        if !matches!(self.phase, Phase::ExpectFirstReply { .. }) || !from_tid_ok {
            return;
        }
        let default = Params {
            blksize: DEFAULT_BLKSIZE,
            window: 1,
            timeout: self.config.timeout,
            max_retries: self.config.max_retries,
            dally: self.config.timeout.saturating_mul(2),
        };
        let repr = match Repr::parse_bytes(packet) {
            Ok(r) => r,
            Err(WireError::BadOption) => {
                let c = ErrorCode::OptionRefused;
                self.close_with(
                    fs,
                    TransferError::Protocol(c),
                    Some((c, "bad option in OACK")),
                );
                return;
            }
            // Garbage before the server spoke: not from the server, ignore.
            Err(_) => return,
        };
        let (oack, first_data) = match repr {
            Repr::Error { code, .. } => {
                self.close_with(fs, TransferError::Peer(code), None);
                return;
            }
            Repr::Oack { options } => {
                if self.requested.is_empty() || !self.accept_oack(&options) {
                    let c = ErrorCode::OptionRefused;
                    self.close_with(
                        fs,
                        TransferError::Protocol(c),
                        Some((c, "unexpected option in OACK")),
                    );
                    return;
                }
                (Some(options), false)
            }
            Repr::Data { block: 1, .. } if self.kind == RequestKind::Read => (None, true),
            Repr::Ack { block: 0 } if self.kind == RequestKind::Write => (None, false),
            // Anything else cannot be the server's first reply.
            _ => return,
        };
        let params = match oack {
            Some(o) => {
                self.tsize = o.tsize;
                let timeout = o
                    .timeout
                    .map_or(self.config.timeout, |s| Duration::from_secs(u64::from(s)));
                Params {
                    blksize: o.blksize.unwrap_or(DEFAULT_BLKSIZE),
                    window: o.windowsize.unwrap_or(1),
                    timeout,
                    max_retries: self.config.max_retries,
                    dally: timeout.saturating_mul(2),
                }
            }
            None => default,
        };
        let Phase::ExpectFirstReply { handle, .. } =
            core::mem::replace(&mut self.phase, Phase::Closed { error: None })
        else {
            return;
        };
        self.timers.clear(RETRANSMIT);
        let mut t = match self.kind {
            RequestKind::Read => {
                Transfer::new_receiver(now, handle, self.mode, params, None, oack.is_some())
            }
            RequestKind::Write => Transfer::new_sender(now, handle, self.mode, params, None),
        };
        if first_data {
            t.handle_packet(now, fs, true, packet);
        }
        self.phase = Phase::Running(t);
    }

    /// Writes the next datagram (request, ACK, DATA or ERROR) into `buf`,
    /// which must hold [`Client::max_packet_len`] bytes.
    pub fn poll_transmit<F: FileSystem<Handle = H>>(
        &mut self,
        fs: &mut F,
        buf: &mut [u8],
    ) -> Option<Transmit> {
        match &mut self.phase {
            Phase::Running(t) => t.poll_transmit(fs, buf),
            Phase::ExpectFirstReply { send_request, .. } => {
                if !*send_request {
                    return None;
                }
                *send_request = false;
                let r = Repr::Request {
                    kind: self.kind,
                    filename: &self.filename,
                    mode: self.mode,
                    options: self.requested,
                };
                match r.emit(buf) {
                    Ok(len) => Some(Transmit {
                        len,
                        to: Destination::Peer,
                    }),
                    Err(_) => {
                        self.close_with(fs, TransferError::BufferTooSmall, None);
                        None
                    }
                }
            }
            Phase::Closed { error } => {
                let (code, msg) = error.take()?;
                let r = Repr::Error {
                    code,
                    message: msg.as_bytes(),
                };
                r.emit(buf).ok().map(|len| Transmit {
                    len,
                    to: Destination::Peer,
                })
            }
        }
    }
}
