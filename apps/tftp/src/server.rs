//! The server front: turns a request that arrived on port 69 into a new
//! [`Transfer`] (to run on its own socket, RFC 1350 TID) or an ERROR reply.

use petrel_netcore::time::{Duration, Instant};

use crate::fs::FileSystem;
use crate::transfer::{MAX_WINDOW, Params, Transfer};
use crate::wire::{
    ErrorCode, MAX_BLKSIZE, MIN_BLKSIZE, Mode, Opcode, Options, Packet, Repr, RequestKind,
};

/// Server limits and policy. Every field has a documented default.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Transfers at once; more are refused with error 0. Default 4.
    pub max_transfers: usize,
    /// Accept WRQ at all (else error 2). Default true.
    pub allow_write: bool,
    /// Negotiate RFC 2347 options at all. Default true.
    pub options: bool,
    /// Largest `blksize` granted. Default 1468 (an Ethernet frame, unfragmented).
    pub max_blksize: u16,
    /// Largest `windowsize` granted (at most [`MAX_WINDOW`]). Default 16.
    pub max_window: u16,
    /// Retransmission timeout when the client sends no `timeout`. Default 1 s.
    pub timeout: Duration,
    /// Retransmissions before a transfer gives up. Default 5.
    pub max_retries: u8,
    /// Longest file name accepted (error 2 beyond). Default 255.
    pub max_filename_len: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_transfers: 4,
            allow_write: true,
            options: true,
            max_blksize: 1468,
            max_window: 16,
            timeout: Duration::from_secs(1),
            max_retries: 5,
            max_filename_len: 255,
        }
    }
}

/// What to do with a datagram that arrived on the server port.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "returned once per request, moved straight into the driver's table"
)]
pub enum Decision<H> {
    /// Run this transfer on a new socket (new TID) towards the requester.
    Accept(Transfer<H>),
    /// Send the ERROR packet now in the reply buffer (`len` bytes) back to
    /// the requester, from the server port.
    Refuse {
        /// Bytes of the ERROR packet.
        len: usize,
        /// Its code.
        code: ErrorCode,
    },
    /// Drop the datagram silently (an ERROR sent to port 69).
    Ignore,
}

/// The TFTP server front. It holds only configuration; the driver owns the
/// transfers and says how many are running.
#[derive(Copy, Clone, Debug, Default)]
pub struct Server {
    config: ServerConfig,
}

fn refuse<H>(reply: &mut [u8], code: ErrorCode, message: &str) -> Decision<H> {
    let r = Repr::Error {
        code,
        message: message.as_bytes(),
    };
    match r.emit(reply) {
        Ok(len) => Decision::Refuse { len, code },
        Err(_) => Decision::Ignore,
    }
}

impl Server {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        Server { config }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Decides on one datagram received on the server port. `active` is the
    /// number of transfers the driver is running; `reply` receives an ERROR
    /// packet on refusal (64 bytes suffice).
    pub fn handle_request<F: FileSystem>(
        &self,
        now: Instant,
        fs: &mut F,
        active: usize,
        packet: &[u8],
        reply: &mut [u8],
    ) -> Decision<F::Handle> {
        let c = &self.config;
        let view = Packet::new_unchecked(packet);
        if packet.len() >= 2 && view.opcode() == Opcode::Error {
            return Decision::Ignore;
        }
        let (kind, filename, mode, requested) = match Repr::parse_bytes(packet) {
            Ok(Repr::Request {
                kind,
                filename,
                mode,
                options,
            }) => (kind, filename, mode, options),
            Ok(_) => return refuse(reply, ErrorCode::IllegalOperation, "expected RRQ or WRQ"),
            Err(e) => return refuse(reply, e.reply_code(), "malformed request"),
        };
        if filename.len() > c.max_filename_len {
            return refuse(reply, ErrorCode::AccessViolation, "file name too long");
        }
        if active >= c.max_transfers {
            return refuse(reply, ErrorCode::NotDefined, "too many transfers");
        }
        if kind == RequestKind::Write && !c.allow_write {
            return refuse(reply, ErrorCode::AccessViolation, "server is read-only");
        }
        let requested = if c.options { requested } else { Options::NONE };
        let mut granted = Options {
            blksize: requested
                .blksize
                .map(|b| b.min(c.max_blksize).clamp(MIN_BLKSIZE, MAX_BLKSIZE)),
            tsize: None,
            timeout: requested.timeout,
            windowsize: requested
                .windowsize
                .map(|w| w.min(c.max_window).clamp(1, MAX_WINDOW)),
        };
        let params = Params {
            blksize: granted.blksize.unwrap_or(crate::wire::DEFAULT_BLKSIZE),
            window: granted.windowsize.unwrap_or(1),
            timeout: granted
                .timeout
                .map_or(c.timeout, |s| Duration::from_secs(u64::from(s))),
            max_retries: c.max_retries,
            dally: Duration::ZERO,
        };
        let params = Params {
            dally: params.timeout.saturating_mul(2),
            ..params
        };
        match kind {
            RequestKind::Read => {
                let (h, size) = match fs.open_read(filename, mode) {
                    Ok(x) => x,
                    Err(e) => return refuse(reply, e.code(), e.message()),
                };
                // The size of a netascii stream is unknown until converted.
                if requested.tsize.is_some() && mode == Mode::Octet {
                    granted.tsize = size;
                }
                let oack = (!granted.is_empty()).then_some(granted);
                Decision::Accept(Transfer::new_sender(now, h, mode, params, oack))
            }
            RequestKind::Write => {
                granted.tsize = requested.tsize;
                let h = match fs.open_write(filename, mode, requested.tsize) {
                    Ok(h) => h,
                    Err(e) => return refuse(reply, e.code(), e.message()),
                };
                let oack = (!granted.is_empty()).then_some(granted);
                let ack0 = oack.is_none();
                Decision::Accept(Transfer::new_receiver(now, h, mode, params, oack, ack0))
            }
        }
    }
}
