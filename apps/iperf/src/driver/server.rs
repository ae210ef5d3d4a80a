//! The iPerf 2 server driver: TCP sessions (with `-d`/`-r` reverse tests)
//! and UDP tests on one port. See the module docs of [`crate::driver`].
//!
//! # Structure
//!
//! One future: `select(acceptor, join_array(workers), udp_loop)`. The
//! acceptor hands each accepted stream to an idle worker through a mailbox;
//! a worker measures its session and, for `-d`, runs the reverse sender
//! beside the receiver (`join`), for `-r` after it. No future is ever
//! cancelled half-way except reads, writes and sleeps, which are
//! cancel-safe on every netcore backend.

use core::cell::Cell;
use core::net::SocketAddr;

#[cfg(feature = "reverse")]
use embassy_futures::join::join;
use embassy_futures::join::join_array;
use embassy_futures::select::{Either, Either3, select, select3};
use petrel_netcore::socket::{TcpListener, TcpStream, UdpSocket};
use petrel_netcore::time::Duration;
use petrel_netcore::{Network, TcpError, UdpError};

use super::{Direction, Mailbox, receive, sleep_opt};
#[cfg(feature = "reverse")]
use super::{cap_amount, connect_and_send};
use crate::report::Report;
#[cfg(feature = "reverse")]
use crate::tcp::TcpClientConfig;
use crate::tcp::{TcpEvent, TcpServerSession};
use crate::udp::{UdpEvent, UdpServer};
use crate::wire::{Amount, ClientHeader, HeaderError, ReverseMode, ServerReport};

/// Server policy. Every field has a documented default.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Interval reports per session (None: only summaries). Default 1 s.
    pub interval: Option<Duration>,
    /// Run the `-d`/`-r` reverse tests clients ask for. Default true;
    /// without the crate feature `reverse` they are never run.
    pub reverse: bool,
    /// Longest reverse test, whatever the header asks. Default 60 s.
    pub max_reverse: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            interval: Some(Duration::from_secs(1)),
            reverse: true,
            max_reverse: Duration::from_secs(60),
        }
    }
}

impl ServerConfig {
    /// With interval reports every `every` (None: off).
    pub fn with_interval(mut self, every: Option<Duration>) -> Self {
        self.interval = every;
        self
    }
    /// Allows or forbids reverse tests.
    pub fn with_reverse(mut self, on: bool) -> Self {
        self.reverse = on;
        self
    }
}

/// What the server reports to the board.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A TCP client connected; `id` numbers its reports.
    Accepted {
        /// Session number.
        id: u16,
        /// The client.
        peer: Option<SocketAddr>,
    },
    /// A TCP client was turned away: every worker is busy.
    Busy {
        /// The client.
        peer: Option<SocketAddr>,
    },
    /// The stream's first bytes: the client's header or why there is none.
    Header {
        /// Session number.
        id: u16,
        /// The parsed header.
        header: Result<ClientHeader, HeaderError>,
    },
    /// A header that claims to be one but carries nonsense: the connection
    /// was closed.
    Refused {
        /// Session number.
        id: u16,
        /// Why.
        error: HeaderError,
    },
    /// An interval report.
    Interval {
        /// Bytes received or (reverse test) sent.
        dir: Direction,
        /// The report (its `id` is the session's).
        report: Report,
    },
    /// A test's summary.
    Finished {
        /// Bytes received or (reverse test) sent.
        dir: Direction,
        /// The summary.
        report: Report,
    },
    /// A reverse test starts: connecting to the client.
    ReverseStarted {
        /// Session number.
        id: u16,
        /// `-d` or `-r`.
        mode: ReverseMode,
        /// Where to.
        to: SocketAddr,
        /// What is sent (after the cap).
        amount: Amount,
    },
    /// A TCP session or reverse test failed.
    TcpFailed {
        /// Session number.
        id: u16,
        /// Why.
        error: TcpError,
    },
    /// A UDP test started.
    UdpStarted {
        /// The client.
        peer: SocketAddr,
    },
    /// A UDP test ended (its first FIN arrived); the report was sent back.
    UdpFinished {
        /// The client.
        peer: SocketAddr,
        /// What the server measured.
        report: ServerReport,
    },
}

/// Why the server stopped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ServeError {
    /// Accepting failed for good.
    Tcp(TcpError),
    /// Receiving UDP failed for good.
    Udp(UdpError),
    /// The buffer is too small for the workers.
    BufferTooSmall,
}

impl core::fmt::Display for ServeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ServeError::Tcp(e) => write!(f, "tcp: {e}"),
            ServeError::Udp(e) => write!(f, "udp: {e}"),
            ServeError::BufferTooSmall => f.write_str("buffer too small"),
        }
    }
}

/// What every session needs besides its buffers.
struct Ctx<'a, E> {
    config: ServerConfig,
    /// The listener's address (never the target of a reverse test).
    #[cfg(feature = "reverse")]
    own: SocketAddr,
    on_event: &'a E,
}

/// Smallest buffer per worker half.
const MIN_CHUNK: usize = 1024;
/// How many chunks of [`serve`]'s `tcp_buf` each worker takes: receive, and
/// send for reverse tests when the crate feature `reverse` is on.
pub const TCP_CHUNKS_PER_WORKER: usize = if cfg!(feature = "reverse") { 2 } else { 1 };

/// How long to wait before accepting again when out of sockets.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Runs the server: TCP on `listener` with `S` workers and UDP on `udp`,
/// until accepting or receiving fails for good.
///
/// `tcp_buf` is cut into equal chunks, each worker's receive buffer (larger
/// reads mean fewer wake-ups) and, with the crate feature `reverse`, its
/// send buffer: `2 * S` chunks with the feature, `S` without
/// ([`TCP_CHUNKS_PER_WORKER`]). `udp_buf` receives datagrams (65 536 bytes
/// take any). `on_event` sees every report.
pub async fn serve<Net, E, const S: usize>(
    net: &Net,
    listener: &mut Net::TcpListener,
    udp: &mut Net::UdpSocket,
    config: ServerConfig,
    tcp_buf: &mut [u8],
    udp_buf: &mut [u8],
    on_event: &E,
) -> ServeError
where
    Net: Network,
    E: Fn(ServerEvent),
{
    let chunk = tcp_buf.len() / (TCP_CHUNKS_PER_WORKER * S).max(1);
    if chunk < MIN_CHUNK || S == 0 || udp_buf.len() < 128 {
        return ServeError::BufferTooSmall;
    }
    #[cfg(feature = "reverse")]
    let own = listener.local_addr();
    let boxes: [Mailbox<(Net::TcpStream, u16)>; S] = core::array::from_fn(|_| Mailbox::new());
    let busy: [Cell<bool>; S] = core::array::from_fn(|_| Cell::new(false));
    let mut chunks = tcp_buf.chunks_mut(chunk);
    let workers: [_; S] = core::array::from_fn(|i| {
        let rx = chunks.next().unwrap_or(&mut []);
        let tx = match TCP_CHUNKS_PER_WORKER {
            2 => chunks.next().unwrap_or(&mut []),
            _ => &mut [],
        };
        worker(
            net,
            &boxes,
            &busy,
            i,
            rx,
            tx,
            Ctx {
                config,
                #[cfg(feature = "reverse")]
                own,
                on_event,
            },
        )
    });
    let acceptor = async {
        let mut next_id: u16 = 0;
        loop {
            match listener.accept().await {
                Ok(stream) => {
                    let peer = stream.peer_addr();
                    match busy.iter().position(|b| !b.get()) {
                        Some(i) => {
                            next_id = next_id.wrapping_add(1).max(1);
                            if let (Some(b), Some(m)) = (busy.get(i), boxes.get(i)) {
                                b.set(true);
                                on_event(ServerEvent::Accepted { id: next_id, peer });
                                m.put((stream, next_id));
                            }
                        }
                        None => {
                            on_event(ServerEvent::Busy { peer });
                            stream.abort();
                        }
                    }
                }
                Err(TcpError::NoBuffer) => net.sleep(ACCEPT_BACKOFF).await,
                Err(e) => return e,
            }
        }
    };
    match select3(
        acceptor,
        join_array(workers),
        serve_udp::<Net, E, S>(net, udp, udp_buf, on_event),
    )
    .await
    {
        Either3::First(e) => ServeError::Tcp(e),
        Either3::Second(_) => ServeError::BufferTooSmall,
        Either3::Third(e) => ServeError::Udp(e),
    }
}

/// One session slot: waits for a stream, measures it, runs its reverse
/// test, and waits again. Never returns.
#[allow(clippy::too_many_arguments, reason = "the worker's whole context")]
async fn worker<Net, E, const S: usize>(
    net: &Net,
    boxes: &[Mailbox<(Net::TcpStream, u16)>; S],
    busy: &[Cell<bool>; S],
    index: usize,
    rx: &mut [u8],
    tx: &mut [u8],
    ctx: Ctx<'_, E>,
) where
    Net: Network,
    E: Fn(ServerEvent),
{
    let (Some(mailbox), Some(busy)) = (boxes.get(index), busy.get(index)) else {
        return core::future::pending().await;
    };
    loop {
        let Some((stream, id)) = mailbox.take().await else {
            continue;
        };
        session(net, stream, id, rx, tx, &ctx).await;
        busy.set(false);
    }
}

/// Measures one TCP test and runs the reverse test it asks for.
async fn session<Net, E>(
    net: &Net,
    mut stream: Net::TcpStream,
    id: u16,
    rx: &mut [u8],
    tx: &mut [u8],
    ctx: &Ctx<'_, E>,
) where
    Net: Network,
    E: Fn(ServerEvent),
{
    let (config, on_event) = (ctx.config, ctx.on_event);
    #[cfg(feature = "reverse")]
    let peer_ip = stream.peer_addr().map(|a| a.ip());
    let mut core = TcpServerSession::new(net.now(), id, config.interval);
    let dual: Mailbox<(u16, Amount)> = Mailbox::new();
    let tradeoff: Cell<Option<(u16, Amount)>> = Cell::new(None);
    let refused = Cell::new(false);

    let receiving = async {
        let r = receive(net, &mut stream, &mut core, rx, |e| match e {
            TcpEvent::Started { header } => {
                on_event(ServerEvent::Header { id, header });
                match header {
                    // It claims to be a header but is nonsense: refuse.
                    Err(error @ (HeaderError::BadThreads(_) | HeaderError::BadPort(_))) => {
                        on_event(ServerEvent::Refused { id, error });
                        refused.set(true);
                        false
                    }
                    // No header (plain data) is still measured.
                    _ => true,
                }
            }
            TcpEvent::Reverse { mode, port, amount } => {
                match mode {
                    ReverseMode::Dual => dual.put((port, amount)),
                    _ => tradeoff.set(Some((port, amount))),
                }
                true
            }
            TcpEvent::Interval(report) => {
                on_event(ServerEvent::Interval {
                    dir: Direction::Receive,
                    report,
                });
                true
            }
            TcpEvent::Finished(report) => {
                on_event(ServerEvent::Finished {
                    dir: Direction::Receive,
                    report,
                });
                true
            }
        })
        .await;
        dual.close();
        if let Err(error) = r
            && !refused.get()
        {
            on_event(ServerEvent::TcpFailed { id, error });
        }
    };
    #[cfg(not(feature = "reverse"))]
    {
        // Built without reverse tests: a request for one is not run.
        let _ = tx;
        receiving.await;
    }
    #[cfg(feature = "reverse")]
    let tx_ref = &mut *tx;
    #[cfg(feature = "reverse")]
    let reversing = async {
        if let Some((port, amount)) = dual.take().await
            && config.reverse
            && let Some(ip) = peer_ip
        {
            reverse(
                net,
                SocketAddr::new(ip, port),
                ReverseMode::Dual,
                amount,
                id,
                tx_ref,
                ctx,
            )
            .await;
        }
    };
    #[cfg(feature = "reverse")]
    join(receiving, reversing).await;
    if refused.get() {
        stream.abort();
    } else {
        // The client closed its side; the result of closing ours is moot.
        let _ = stream.close().await;
    }
    #[cfg(feature = "reverse")]
    if let Some((port, amount)) = tradeoff.get()
        && config.reverse
        && let Some(ip) = peer_ip
    {
        reverse(
            net,
            SocketAddr::new(ip, port),
            ReverseMode::Tradeoff,
            amount,
            id,
            tx,
            ctx,
        )
        .await;
    }
}

/// Connects back to the client and sends (capped) `amount`.
#[cfg(feature = "reverse")]
#[allow(
    clippy::too_many_arguments,
    reason = "the reverse test's whole context"
)]
async fn reverse<Net, E>(
    net: &Net,
    to: SocketAddr,
    mode: ReverseMode,
    amount: Amount,
    id: u16,
    buf: &mut [u8],
    ctx: &Ctx<'_, E>,
) where
    Net: Network,
    E: Fn(ServerEvent),
{
    let (config, on_event) = (ctx.config, ctx.on_event);
    // Connecting back to our own listener would test us against ourselves
    // (a client on this host whose reverse listener could not bind).
    if to == ctx.own || (to.port() == ctx.own.port() && ctx.own.ip().is_unspecified()) {
        on_event(ServerEvent::TcpFailed {
            id,
            error: TcpError::Refused,
        });
        return;
    }
    let amount = cap_amount(amount, config.max_reverse);
    on_event(ServerEvent::ReverseStarted {
        id,
        mode,
        to,
        amount,
    });
    let mut cfg = TcpClientConfig::new(amount).without_header();
    cfg.interval = config.interval;
    let r = connect_and_send(net, to, cfg, id, buf, |report, last| {
        let dir = Direction::Send;
        on_event(if last {
            ServerEvent::Finished { dir, report }
        } else {
            ServerEvent::Interval { dir, report }
        });
    })
    .await;
    if let Err(error) = r {
        on_event(ServerEvent::TcpFailed { id, error });
    }
}

/// The UDP half: one [`UdpServer`] over `socket`, up to `S` clients.
async fn serve_udp<Net, E, const S: usize>(
    net: &Net,
    socket: &mut Net::UdpSocket,
    buf: &mut [u8],
    on_event: &E,
) -> UdpError
where
    Net: Network,
    E: Fn(ServerEvent),
{
    let mut server: UdpServer<SocketAddr, S> = UdpServer::new();
    let mut out = [0u8; 128];
    loop {
        let deadline = server.poll_timeout();
        let woke = select(socket.recv_from(buf), sleep_opt(net, deadline)).await;
        let now = net.now();
        match woke {
            Either::First(Ok((n, meta))) => {
                server.handle_datagram(now, meta.remote, buf.get(..n).unwrap_or(&[]));
            }
            Either::First(Err(UdpError::Truncated(_) | UdpError::NoBuffer)) => {}
            Either::First(Err(e)) => return e,
            Either::Second(()) => server.handle_timeout(now),
        }
        while let Some((to, n)) = server.poll_transmit(&mut out) {
            if let Some(d) = out.get(..n) {
                // A lost report is re-sent for the client's next FIN.
                let _ = socket.send_to(d, to).await;
            }
        }
        while let Some((peer, e)) = server.poll_event() {
            match e {
                UdpEvent::Started => on_event(ServerEvent::UdpStarted { peer }),
                UdpEvent::Finished(report) => on_event(ServerEvent::UdpFinished { peer, report }),
            }
        }
    }
}
