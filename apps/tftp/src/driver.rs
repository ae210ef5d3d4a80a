//! The async drivers (feature `driver`): the TFTP server and client over
//! netcore's [`UdpSocket`]s and a [`Clock`].
//!
//! They run on any executor and never spawn. The server is one future that
//! multiplexes the listening socket and up to `N` transfer sockets held in
//! a fixed array (`N` is a const generic), so a board runs several
//! transfers at once without tasks or a heap.
//!
//! # Server
//!
//! The board binds the listening socket (port 69, or its configured port)
//! and calls [`serve`] with the file system and one buffer. Each accepted
//! request gets its own socket bound to an ephemeral port on the listening
//! address (RFC 1350 TID). A repeated request from a peer (address and port)
//! that already has a transfer is dropped: it is the peer retrying because
//! our first reply is still on its way. Requests beyond
//! [`ServerConfig::max_transfers`] (at most `N`) are refused with ERROR 0 by
//! the core.
//!
//! `buf` is cut into a request buffer of [`REQUEST_BUF`] bytes (RFC 2347
//! keeps a request with its options under 512 bytes) and `N` equal chunks,
//! one per transfer (its receive and transmit buffer). A chunk of
//! `max_blksize + 4` bytes lets every granted block size through, so
//! [`server_buf_len`] bytes serve every transfer at full size; with a
//! smaller `buf` the granted `blksize` is lowered to fit.
//!
//! # Client
//!
//! [`get`] and [`put`] run a [`Client`] to the end over a fresh socket and
//! return the number of file bytes moved.

use core::future::pending;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use embassy_futures::select::{Either3, select, select_array, select3};
use petrel_netcore::UdpError;
use petrel_netcore::socket::{Network, UdpMeta, UdpSocket};
use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::Clock;

use crate::client::Client;
use crate::fs::FileSystem;
use crate::server::{Decision, Server, ServerConfig};
use crate::transfer::{Destination, Event, Params, Transfer, TransferError};
use crate::wire::{ErrorCode, HEADER_LEN, Mode, Repr, RequestKind};

/// Bytes of the server's `buf` that receive requests: a request with
/// options fits (RFC 2347 keeps requests under 512 bytes; some clients send
/// a little more). A longer request is dropped.
pub const REQUEST_BUF: usize = 600;

/// Smallest transfer chunk: a DATA packet of RFC 1350's 512-byte blocks.
const MIN_CHUNK: usize = 512 + HEADER_LEN;

/// The `buf` that [`serve`] needs for `transfers` transfers at `blksize`
/// (the largest block size it grants): the request buffer and one
/// `blksize + 4` chunk per transfer.
///
/// ```
/// use petrel_tftp::driver::{REQUEST_BUF, server_buf_len};
/// static BUF: [u8; server_buf_len(2, 1468)] = [0; server_buf_len(2, 1468)];
/// assert_eq!(BUF.len(), REQUEST_BUF + 2 * 1472);
/// ```
pub const fn server_buf_len(transfers: usize, blksize: u16) -> usize {
    REQUEST_BUF + transfers * (blksize as usize + HEADER_LEN)
}

/// What the server reports to the board (for its log).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent<'a> {
    /// A transfer started on its own socket.
    Started {
        /// Transfer slot (0..N).
        slot: usize,
        /// The requester.
        peer: SocketAddr,
        /// Read (the peer downloads) or write (the peer uploads).
        kind: RequestKind,
        /// The requested file name, as sent.
        filename: &'a [u8],
        /// The transfer mode.
        mode: Mode,
        /// Negotiated parameters.
        params: Params,
        /// The transfer socket's address (its TID is the port).
        local: SocketAddr,
    },
    /// A request was refused with an ERROR packet.
    Refused {
        /// The requester.
        peer: SocketAddr,
        /// The error sent.
        code: ErrorCode,
    },
    /// A request was dropped: its peer already has a transfer (a retry), or
    /// it was an ERROR or unreadable.
    Dropped {
        /// The sender.
        peer: SocketAddr,
    },
    /// A transfer ended.
    Finished {
        /// Transfer slot.
        slot: usize,
        /// The peer.
        peer: SocketAddr,
        /// Completed (with the file's byte count) or failed.
        outcome: Event,
        /// From the request to the end.
        elapsed: Duration,
    },
    /// A socket operation failed; the service goes on.
    SocketError {
        /// The peer or address concerned.
        addr: SocketAddr,
        /// What failed.
        error: UdpError,
    },
}

/// One running transfer and its socket.
struct Slot<S, H> {
    sock: S,
    peer: SocketAddr,
    /// The source of the last wrong-TID packet (ERROR 5 goes there).
    stranger: Option<SocketAddr>,
    transfer: Transfer<H>,
    started: Instant,
}

/// What became of a request (see [`admit`]).
enum Admit {
    /// Not a request the core answers.
    Ignored,
    /// Refused: `reply[..len]` goes to the requester.
    Refused { len: usize, code: ErrorCode },
    /// Accepted, but no socket could be bound for it (aborted).
    NoSocket(UdpError),
    /// Started in a slot; its first packet waits for the next flush.
    Started,
}

/// Lets the core decide on `packet` and moves an accepted transfer into
/// `room` (a free slot and its freshly bound socket). Not `async`: the
/// `Transfer` never lives in the server's future outside its slot.
#[allow(clippy::too_many_arguments)]
fn admit<S, F, E>(
    server: &Server,
    now: Instant,
    fs: &mut F,
    slots: &mut [Option<Slot<S, F::Handle>>],
    room: Option<(usize, Result<S, UdpError>)>,
    packet: &[u8],
    peer: SocketAddr,
    reply: &mut [u8],
    on_event: &mut E,
) -> Admit
where
    S: UdpSocket,
    F: FileSystem,
    E: FnMut(ServerEvent<'_>),
{
    // With every slot busy the core refuses (max_transfers <= N);
    // dallying transfers do not count.
    let active = slots
        .iter()
        .flatten()
        .filter(|s| !s.transfer.is_dallying())
        .count();
    let mut transfer = match server.handle_request(now, fs, active, packet, reply) {
        Decision::Ignore => return Admit::Ignored,
        Decision::Refuse { len, code } => return Admit::Refused { len, code },
        Decision::Accept(t) => t,
    };
    let (i, sock) = match room {
        Some((i, Ok(sock))) if slots.get(i).is_some_and(Option::is_none) => (i, sock),
        Some((_, Err(e))) => {
            transfer.abort(fs);
            return Admit::NoSocket(e);
        }
        _ => {
            transfer.abort(fs);
            return Admit::NoSocket(UdpError::NoBuffer);
        }
    };
    if let Ok(Repr::Request {
        kind,
        filename,
        mode,
        ..
    }) = Repr::parse_bytes(packet)
    {
        on_event(ServerEvent::Started {
            slot: i,
            peer,
            kind,
            filename,
            mode,
            params: transfer.params(),
            local: sock.local_addr(),
        });
    }
    if let Some(entry) = slots.get_mut(i) {
        *entry = Some(Slot {
            sock,
            peer,
            stranger: None,
            transfer,
            started: now,
        });
    }
    Admit::Started
}

/// Receives on `sock`, or waits forever for an empty slot. One future type
/// for every slot, so they fit in one array.
async fn recv_slot<S: UdpSocket>(
    sock: Option<&mut S>,
    buf: &mut [u8],
) -> Result<(usize, UdpMeta), UdpError> {
    match sock {
        Some(s) => s.recv_from(buf).await,
        None => pending().await,
    }
}

/// Why a wait ended.
enum Wake {
    Request(Result<(usize, UdpMeta), UdpError>),
    Slot(usize, Result<(usize, UdpMeta), UdpError>),
    Timer,
}

/// Sends what the transfer in `slot` has to send, reports its end and frees
/// the slot once it is closed.
async fn flush<S, F, E>(
    clock: &impl Clock,
    fs: &mut F,
    entry: &mut Option<Slot<S, F::Handle>>,
    index: usize,
    buf: &mut [u8],
    on_event: &mut E,
) where
    S: UdpSocket,
    F: FileSystem,
    E: FnMut(ServerEvent<'_>),
{
    let Some(slot) = entry.as_mut() else { return };
    // Bounded: a window is at most MAX_WINDOW blocks plus a few control
    // packets; the bound only guards against a core bug.
    for _ in 0..256 {
        let Some(tx) = slot.transfer.poll_transmit(fs, buf) else {
            break;
        };
        let to = match tx.to {
            Destination::Peer => slot.peer,
            Destination::Stranger => match slot.stranger.take() {
                Some(a) => a,
                None => continue,
            },
        };
        let Some(data) = buf.get(..tx.len) else { break };
        if let Err(error) = slot.sock.send_to(data, to).await {
            on_event(ServerEvent::SocketError { addr: to, error });
        }
    }
    reap(clock, entry, index, on_event);
}

/// Reports the ends of the transfer in `entry` and frees the slot once it
/// is closed.
fn reap<S, H, E>(clock: &impl Clock, entry: &mut Option<Slot<S, H>>, index: usize, on_event: &mut E)
where
    E: FnMut(ServerEvent<'_>),
{
    let Some(slot) = entry.as_mut() else { return };
    while let Some(outcome) = slot.transfer.poll_event() {
        on_event(ServerEvent::Finished {
            slot: index,
            peer: slot.peer,
            outcome,
            elapsed: clock.now() - slot.started,
        });
    }
    if slot.transfer.is_closed() {
        *entry = None;
    }
}

/// Runs the TFTP server on `listen` until receiving on it fails for good
/// (the error is returned). See the module docs for `buf` and `N`.
///
/// `on_event` is called for every start, refusal and end of a transfer.
pub async fn serve<Net, F, E, const N: usize>(
    net: &Net,
    listen: &mut Net::UdpSocket,
    server: &Server,
    fs: &mut F,
    buf: &mut [u8],
    mut on_event: E,
) -> UdpError
where
    Net: Network,
    F: FileSystem,
    E: FnMut(ServerEvent<'_>),
{
    if N == 0 || buf.len() < REQUEST_BUF {
        return UdpError::NoBuffer;
    }
    let (req_buf, slot_bufs) = buf.split_at_mut(REQUEST_BUF);
    let chunk = (slot_bufs.len() / N).max(1);
    let mut config: ServerConfig = *server.config();
    config.max_transfers = config.max_transfers.min(N);
    let fit = u16::try_from(chunk.saturating_sub(HEADER_LEN)).unwrap_or(u16::MAX);
    config.max_blksize = config.max_blksize.min(fit);
    let server = Server::new(config);
    if chunk < MIN_CHUNK {
        return UdpError::NoBuffer;
    }
    let mut slots: [Option<Slot<Net::UdpSocket, F::Handle>>; N] = core::array::from_fn(|_| None);
    let bind_ip = match listen.local_addr().ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ip => ip,
    };
    loop {
        // Timeouts first: retransmissions and give-ups.
        let now = net.now();
        for s in slots.iter_mut().flatten() {
            if s.transfer.poll_timeout().is_some_and(|t| t <= now) {
                s.transfer.handle_timeout(now, fs);
            }
        }
        // Then what every transfer has to send: the answers to the last
        // packet, a new transfer's first packet, retransmissions. One
        // `await` for all of them keeps this future small.
        for (i, (entry, b)) in slots
            .iter_mut()
            .zip(slot_bufs.chunks_mut(chunk))
            .enumerate()
        {
            flush(net, fs, entry, i, b, &mut on_event).await;
        }
        let mut deadline: Option<Instant> = None;
        for s in slots.iter().flatten() {
            if let Some(t) = s.transfer.poll_timeout() {
                deadline = Some(deadline.map_or(t, |d| d.min(t)));
            }
        }

        let wake = {
            let mut bufs = slots.iter_mut().zip(slot_bufs.chunks_mut(chunk));
            let recvs: [_; N] = core::array::from_fn(|_| match bufs.next() {
                Some((entry, b)) => recv_slot(entry.as_mut().map(|s| &mut s.sock), b),
                None => recv_slot(None, &mut []),
            });
            let sleep = async {
                match deadline {
                    Some(d) => net.sleep_until(d).await,
                    None => pending().await,
                }
            };
            match select3(listen.recv_from(req_buf), select_array(recvs), sleep).await {
                Either3::First(r) => Wake::Request(r),
                Either3::Second((r, i)) => Wake::Slot(i, r),
                Either3::Third(()) => Wake::Timer,
            }
        };

        match wake {
            Wake::Timer => {}
            Wake::Request(Err(UdpError::Truncated(_) | UdpError::NoBuffer)) => {}
            Wake::Request(Err(e)) => return e,
            Wake::Request(Ok((n, meta))) => {
                let Some(packet) = req_buf.get(..n) else {
                    continue;
                };
                let peer = meta.remote;
                if slots.iter().flatten().any(|s| s.peer == peer) {
                    on_event(ServerEvent::Dropped { peer });
                    continue;
                }
                // Room and a socket come first, while nothing holds a
                // `Transfer`: between the core's decision and its transfer
                // moving into a slot no `await` may come, or this future
                // would keep two of them (a `Transfer` is most of a slot).
                // Room is a free slot or one whose transfer only dallies
                // (its upload is complete, see `Transfer::is_dallying`): a
                // request takes that slot, so "put, then get at once" works
                // with one slot. It is aborted (its peer gets an ERROR) for
                // any well-formed request, even one the core then refuses.
                let is_request = matches!(Repr::parse_bytes(packet), Ok(Repr::Request { .. }));
                let free = match slots.iter().position(Option::is_none) {
                    Some(i) => Some(i),
                    None if is_request => {
                        let dallying = slots
                            .iter()
                            .position(|s| s.as_ref().is_some_and(|s| s.transfer.is_dallying()));
                        if let Some(i) = dallying
                            && let Some(entry) = slots.get_mut(i)
                        {
                            // A dallying transfer aborts without sending
                            // anything (`Transfer::abort`).
                            if let Some(s) = entry.as_mut() {
                                s.transfer.abort(fs);
                            }
                            reap(net, entry, i, &mut on_event);
                            *entry = None;
                        }
                        dallying
                    }
                    None => None,
                };
                let sock = match free {
                    Some(_) if is_request => Some(net.udp_bind(SocketAddr::new(bind_ip, 0)).await),
                    _ => None,
                };
                let mut reply = [0u8; 128];
                let now = net.now();
                let admitted = admit(
                    &server,
                    now,
                    fs,
                    &mut slots,
                    free.zip(sock),
                    packet,
                    peer,
                    &mut reply,
                    &mut on_event,
                );
                // The reply to send from the listening socket, if any; a
                // started transfer sends from its own at the loop's top.
                let (len, refused) = match admitted {
                    Admit::Ignored => {
                        on_event(ServerEvent::Dropped { peer });
                        continue;
                    }
                    Admit::Started => continue,
                    Admit::Refused { len, code } => (len, Some(code)),
                    Admit::NoSocket(error) => {
                        on_event(ServerEvent::SocketError {
                            addr: SocketAddr::new(bind_ip, 0),
                            error,
                        });
                        let r = Repr::Error {
                            code: ErrorCode::NotDefined,
                            message: b"out of sockets",
                        };
                        (r.emit(&mut reply).unwrap_or(0), None)
                    }
                };
                if let Some(r) = reply.get(..len).filter(|r| !r.is_empty())
                    && let Err(error) = listen.send_to(r, peer).await
                {
                    on_event(ServerEvent::SocketError { addr: peer, error });
                }
                if let Some(code) = refused {
                    on_event(ServerEvent::Refused { peer, code });
                }
            }
            Wake::Slot(i, result) => {
                let (Some(entry), Some(b)) = (
                    slots.get_mut(i),
                    slot_bufs.get_mut(i * chunk..(i + 1) * chunk),
                ) else {
                    continue;
                };
                let Some(slot) = entry.as_mut() else { continue };
                match result {
                    Ok((n, meta)) => {
                        let ok = meta.remote == slot.peer;
                        if !ok {
                            slot.stranger = Some(meta.remote);
                        }
                        if let Some(p) = b.get(..n) {
                            slot.transfer.handle_packet(net.now(), fs, ok, p);
                        }
                    }
                    // Larger than any block we granted: not a valid packet.
                    Err(UdpError::Truncated(_) | UdpError::NoBuffer) => {}
                    Err(error) => {
                        on_event(ServerEvent::SocketError {
                            addr: slot.sock.local_addr(),
                            error,
                        });
                        slot.transfer.abort(fs);
                    }
                }
            }
        }
    }
}

/// Why a client transfer failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientDriverError {
    /// The transfer failed (the server's error, a time-out, …).
    Transfer(TransferError),
    /// The local socket failed.
    Socket(UdpError),
    /// `buf` is smaller than [`Client::max_packet_len`].
    BufferTooSmall,
    /// The file name is empty, too long or contains NUL.
    BadFilename,
}

impl core::fmt::Display for ClientDriverError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientDriverError::Transfer(e) => write!(f, "{e}"),
            ClientDriverError::Socket(e) => write!(f, "socket: {e}"),
            ClientDriverError::BufferTooSmall => f.write_str("buffer too small"),
            ClientDriverError::BadFilename => f.write_str("bad file name"),
        }
    }
}

/// Runs `client` (from [`Client::get`] or [`Client::put`]) against the
/// server at `server` to the end; returns the file bytes moved.
///
/// `buf` must hold [`Client::max_packet_len`] bytes.
pub async fn run_client<Net, F>(
    net: &Net,
    server: SocketAddr,
    fs: &mut F,
    mut client: Client<F::Handle>,
    buf: &mut [u8],
) -> Result<u64, ClientDriverError>
where
    Net: Network,
    F: FileSystem,
{
    if buf.len() < client.max_packet_len() {
        return Err(ClientDriverError::BufferTooSmall);
    }
    let any = match server.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(core::net::Ipv6Addr::UNSPECIFIED),
    };
    let mut sock = net
        .udp_bind(SocketAddr::new(any, 0))
        .await
        .map_err(ClientDriverError::Socket)?;
    let mut locked: Option<SocketAddr> = None;
    let mut stranger: Option<SocketAddr> = None;
    let mut result: Option<Result<u64, ClientDriverError>> = None;
    loop {
        for _ in 0..256 {
            let Some(tx) = client.poll_transmit(fs, buf) else {
                break;
            };
            let to = match tx.to {
                Destination::Peer => locked.unwrap_or(server),
                Destination::Stranger => match stranger.take() {
                    Some(a) => a,
                    None => continue,
                },
            };
            if let Some(data) = buf.get(..tx.len) {
                // A lost datagram is recovered by the retransmission timer.
                let _ = sock.send_to(data, to).await;
            }
        }
        while let Some(e) = client.poll_event() {
            result.get_or_insert(match e {
                Event::Completed { bytes } => Ok(bytes),
                Event::Failed { error } => Err(ClientDriverError::Transfer(error)),
            });
        }
        if client.is_closed() {
            return result.unwrap_or(Err(ClientDriverError::Transfer(TransferError::Aborted)));
        }
        let deadline = client.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => net.sleep_until(d).await,
                None => pending().await,
            }
        };
        match select(sock.recv_from(buf), sleep).await {
            embassy_futures::select::Either::First(Ok((n, meta))) => {
                let from = meta.remote;
                let ok = match locked {
                    Some(l) => l == from,
                    // Before the server spoke only its address counts: the
                    // port is its new TID.
                    None => from.ip() == server.ip(),
                };
                if !ok {
                    stranger = Some(from);
                }
                if let Some(p) = buf.get(..n) {
                    client.handle_packet(net.now(), fs, ok, p);
                }
                if locked.is_none() && client.is_tid_locked() {
                    locked = Some(from);
                }
            }
            embassy_futures::select::Either::First(Err(
                UdpError::Truncated(_) | UdpError::NoBuffer,
            )) => {}
            embassy_futures::select::Either::First(Err(e)) => {
                if let Some(c) = result {
                    return c;
                }
                return Err(ClientDriverError::Socket(e));
            }
            embassy_futures::select::Either::Second(()) => {
                client.handle_timeout(net.now(), fs);
            }
        }
    }
}

/// Downloads `filename` from `server` into `handle` (opened for writing in
/// `fs`); see [`run_client`].
#[allow(clippy::too_many_arguments, reason = "mirrors Client::get plus the IO")]
pub async fn get<Net: Network, F: FileSystem>(
    net: &Net,
    server: SocketAddr,
    config: crate::ClientConfig,
    filename: &[u8],
    mode: Mode,
    fs: &mut F,
    handle: F::Handle,
    buf: &mut [u8],
) -> Result<u64, ClientDriverError> {
    let client = Client::get(net.now(), config, filename, mode, handle)
        .map_err(|_| ClientDriverError::BadFilename)?;
    run_client(net, server, fs, client, buf).await
}

/// Uploads `handle` (opened for reading in `fs`, `size` bytes if known) to
/// `filename` on `server`; see [`run_client`].
#[allow(clippy::too_many_arguments, reason = "mirrors Client::put plus the IO")]
pub async fn put<Net: Network, F: FileSystem>(
    net: &Net,
    server: SocketAddr,
    config: crate::ClientConfig,
    filename: &[u8],
    mode: Mode,
    fs: &mut F,
    handle: F::Handle,
    size: Option<u64>,
    buf: &mut [u8],
) -> Result<u64, ClientDriverError> {
    let client = Client::put(net.now(), config, filename, mode, handle, size)
        .map_err(|_| ClientDriverError::BadFilename)?;
    run_client(net, server, fs, client, buf).await
}
