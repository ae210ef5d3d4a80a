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
//! `buf` is cut into `N + 1` equal chunks: one per transfer (its receive
//! and transmit buffer) and one for requests. A chunk of
//! `max_blksize + 4` bytes lets every granted block size through; with a
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

/// Smallest chunk: a request with options fits (RFC 2347 keeps requests
/// under 512 bytes; some clients send a little more).
const MIN_CHUNK: usize = 600;

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
    let chunk = (buf.len() / (N + 1)).max(1);
    let mut config: ServerConfig = *server.config();
    config.max_transfers = config.max_transfers.min(N);
    let fit = u16::try_from(chunk.saturating_sub(HEADER_LEN)).unwrap_or(u16::MAX);
    config.max_blksize = config.max_blksize.min(fit);
    let server = Server::new(config);
    if chunk < MIN_CHUNK || N == 0 {
        return UdpError::NoBuffer;
    }
    let (req_buf, slot_bufs) = buf.split_at_mut(chunk);
    let mut slots: [Option<Slot<Net::UdpSocket, F::Handle>>; N] = core::array::from_fn(|_| None);
    let bind_ip = match listen.local_addr().ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ip => ip,
    };
    loop {
        // Timeouts first: retransmissions and give-ups.
        let now = net.now();
        for (i, (entry, b)) in slots
            .iter_mut()
            .zip(slot_bufs.chunks_mut(chunk))
            .enumerate()
        {
            if let Some(s) = entry.as_mut()
                && s.transfer.poll_timeout().is_some_and(|t| t <= now)
            {
                s.transfer.handle_timeout(now, fs);
                flush(net, fs, entry, i, b, &mut on_event).await;
            }
        }
        let deadline = slots
            .iter()
            .flatten()
            .filter_map(|s| s.transfer.poll_timeout())
            .min();

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
                // A transfer that is only dallying (its upload is complete,
                // see `Transfer::is_dallying`) does not count: an accepted
                // request may take its slot, so "put, then get at once"
                // works with one slot. Otherwise, with every slot busy the
                // core refuses (max_transfers <= N).
                let active = slots
                    .iter()
                    .flatten()
                    .filter(|s| !s.transfer.is_dallying())
                    .count();
                let mut reply = [0u8; 128];
                let now = net.now();
                // Matched by reference: the transfer is moved out of the
                // decision only after the socket's `await` (a by-value match
                // would keep the decision and the transfer both in this
                // future's state, two copies of a `Transfer`).
                let mut decision = server.handle_request(now, fs, active, packet, &mut reply);
                match &mut decision {
                    Decision::Ignore => on_event(ServerEvent::Dropped { peer }),
                    &mut Decision::Refuse { len, code } => {
                        if let Some(r) = reply.get(..len)
                            && let Err(error) = listen.send_to(r, peer).await
                        {
                            on_event(ServerEvent::SocketError { addr: peer, error });
                        }
                        on_event(ServerEvent::Refused { peer, code });
                    }
                    Decision::Accept(transfer) => {
                        let free = match slots.iter().position(Option::is_none) {
                            Some(i) => i,
                            None => {
                                let Some(i) = slots.iter().position(|s| {
                                    s.as_ref().is_some_and(|s| s.transfer.is_dallying())
                                }) else {
                                    transfer.abort(fs);
                                    continue;
                                };
                                if let (Some(entry), Some(b)) =
                                    (slots.get_mut(i), slot_bufs.chunks_mut(chunk).nth(i))
                                {
                                    if let Some(s) = entry.as_mut() {
                                        s.transfer.abort(fs);
                                    }
                                    flush(net, fs, entry, i, b, &mut on_event).await;
                                }
                                i
                            }
                        };
                        let sock = match net.udp_bind(SocketAddr::new(bind_ip, 0)).await {
                            Ok(s) => s,
                            Err(error) => {
                                transfer.abort(fs);
                                on_event(ServerEvent::SocketError {
                                    addr: SocketAddr::new(bind_ip, 0),
                                    error,
                                });
                                let r = Repr::Error {
                                    code: ErrorCode::NotDefined,
                                    message: b"out of sockets",
                                };
                                if let Ok(len) = r.emit(&mut reply)
                                    && let Some(r) = reply.get(..len)
                                {
                                    let _ = listen.send_to(r, peer).await;
                                }
                                continue;
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
                                slot: free,
                                peer,
                                kind,
                                filename,
                                mode,
                                params: transfer.params(),
                                local: sock.local_addr(),
                            });
                        }
                        let (entry, b) =
                            match (slots.get_mut(free), slot_bufs.chunks_mut(chunk).nth(free)) {
                                (Some(e), Some(b)) => (e, b),
                                _ => {
                                    transfer.abort(fs);
                                    continue;
                                }
                            };
                        let Decision::Accept(transfer) =
                            core::mem::replace(&mut decision, Decision::Ignore)
                        else {
                            continue;
                        };
                        *entry = Some(Slot {
                            sock,
                            peer,
                            stranger: None,
                            transfer,
                            started: now,
                        });
                        flush(net, fs, entry, free, b, &mut on_event).await;
                    }
                }
            }
            Wake::Slot(i, result) => {
                let (Some(entry), Some(b)) = (slots.get_mut(i), slot_bufs.chunks_mut(chunk).nth(i))
                else {
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
                flush(net, fs, entry, i, b, &mut on_event).await;
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
