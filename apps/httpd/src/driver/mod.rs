//! The async driver (feature `driver`): serves HTTP on any altcp
//! [`Listener`] (plain TCP, or TLS through an [`Upgrade`]) with up to `N`
//! connections at once from one future — no spawning, no heap.
//!
//! One acceptor and `N` workers run joined together. The acceptor hands each
//! new stream to a free worker. When all [`Config::max_connections`] are
//! busy, a connection that idles between requests (a browser's spare
//! keep-alive) is closed to make room; when none idles, the new client gets
//! `503 Service Unavailable` and is closed at once.
//! Each worker runs one connection at a time: it upgrades the stream (the
//! TLS handshake for HTTPS, so a slow handshake never blocks accepting),
//! then serves requests until the connection ends, within the idle and
//! request timeouts.
//!
//! `buf` is cut into `N` equal chunks, one per connection: one part
//! receives (request heads and buffered body bytes), the other builds
//! responses ([`Config::tx_buffer`](crate::Config::tx_buffer) bytes, or
//! half).
//!
//! ```no_run
//! # async fn f<N: petrel_netcore::Network>(net: &N, h: &impl petrel_httpd::driver::Handler) {
//! use petrel_altcp::TcpAcceptor;
//! use petrel_httpd::driver::{serve, Plain};
//! use petrel_httpd::fs::StaticFs;
//! use petrel_netcore::ListenConfig;
//!
//! static FS: StaticFs = StaticFs::new(&[]);
//! let l = net.tcp_listen("0.0.0.0:80".parse().unwrap(), ListenConfig::default()).await.unwrap();
//! let mut buf = [0u8; 4 * 4096];
//! let err = serve::<_, _, _, _, 4>(&mut TcpAcceptor::new(l), &Plain, net, h, &FS,
//!     &Default::default(), &mut buf).await;
//! # }
//! ```
//!
//! Memory: a connection's state is one future nested as deep as the
//! handler's awaits go, so its hot paths are written to keep it small (see
//! BENCHMARKS.md for the QEMU firmware's numbers). They are `async` blocks
//! returned by plain functions rather than `async fn`s, because an
//! `async fn` keeps a second copy of every argument for its whole life, and
//! the writes return the stream's future itself (see `Exchange::write_tx`).
// The `async` blocks above are deliberate: not `async fn`.
#![allow(clippy::manual_async_fn)]

mod conn;
pub mod download;
mod exchange;
mod websocket;

use core::cell::Cell;
use core::fmt;
use core::future::poll_fn;
use core::net::SocketAddr;
use core::pin::{Pin, pin};
use core::task::{Poll, Waker};

use embassy_futures::select::{Either, select, select_slice};
use petrel_altcp::{Listener, Stream};
use petrel_netcore::TcpError;
use petrel_netcore::time::Duration;
use petrel_netcore::timer::{Clock, with_timeout};

pub use conn::{ConnState, control_state_bytes, serve_connection};
pub use exchange::{BodyError, ChunkedWriter, Exchange, PartSink, SseStream};
pub use websocket::{Message, WebSocket};

use crate::Config;
use crate::fs::StaticFs;
use crate::router::Route;
use crate::ssi::{Insert, Ssi, write_resumable};

/// Why a handler or the driver gave up on a request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The stream failed (reset, TLS alert…).
    Io(petrel_altcp::Error),
    /// The peer closed the connection.
    Closed,
    /// The peer was silent for longer than the idle timeout.
    TimedOut,
    /// The request body is malformed (400 if no response was sent).
    BadBody(BodyError),
    /// The request body is larger than allowed (413).
    BodyTooLarge,
    /// A response head did not fit the connection's buffer.
    Overflow,
    /// The handler failed on its own account (500).
    Handler(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Closed => f.write_str("peer closed the connection"),
            Error::TimedOut => f.write_str("peer timed out"),
            Error::BadBody(e) => write!(f, "bad request body: {e}"),
            Error::BodyTooLarge => f.write_str("request body too large"),
            Error::Overflow => f.write_str("response does not fit the buffer"),
            Error::Handler(why) => write!(f, "handler failed: {why}"),
        }
    }
}

impl From<petrel_altcp::Error> for Error {
    fn from(e: petrel_altcp::Error) -> Self {
        Error::Io(e)
    }
}

impl From<crate::response::Overflow> for Error {
    fn from(_: crate::response::Overflow) -> Self {
        Error::Overflow
    }
}

/// The outcome of Basic auth on a route (see [`Handler::authorize`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Go ahead.
    Allowed,
    /// No or wrong credentials: 401 with `WWW-Authenticate`.
    Unauthorized,
    /// Known user without the right: 403.
    Forbidden,
}

/// What the server reports for logs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A request was answered.
    Request {
        /// The client.
        peer: Option<SocketAddr>,
        /// Method.
        method: crate::Method,
        /// Status sent.
        status: u16,
    },
    /// A request head was refused (400/408/413/414/431/501).
    Refused {
        /// The client.
        peer: Option<SocketAddr>,
        /// Status sent.
        status: u16,
    },
    /// All connection slots were busy: a client got 503.
    Busy {
        /// The client turned away.
        peer: Option<SocketAddr>,
    },
    /// Accepting or upgrading (TLS) a connection failed.
    AcceptFailed(petrel_altcp::Error),
}

/// The application: routes, their handlers, SSI inserts, auth, clock.
///
/// Methods take `&self` because all connections share one handler; keep
/// mutable state in `Cell`/`RefCell` (single-threaded executor).
pub trait Handler {
    /// What a route's `id` is (usually a small `Copy` enum).
    type Route: Copy;

    /// The route table, tried in order before static files.
    fn routes(&self) -> &[Route<Self::Route>] {
        &[]
    }

    /// Handles a request for `route`. Must respond through `ex` (a handler
    /// that returns without responding gets `500`). An `Err` closes the
    /// connection after a 400/413/500 if nothing was sent yet.
    async fn call<S: Stream, C: Clock>(
        &self,
        route: Self::Route,
        ex: &mut Exchange<'_, S, C>,
    ) -> Result<(), Error> {
        let _ = route;
        ex.respond_error(crate::StatusCode::NOT_FOUND).await
    }

    /// Checks Basic-auth credentials (`None` if the client sent none) for
    /// a route marked [`Route::with_auth`].
    fn authorize(&self, route: Self::Route, credentials: Option<(&str, &str)>) -> Auth {
        let _ = (route, credentials);
        Auth::Unauthorized
    }

    /// The realm in `WWW-Authenticate`.
    fn realm(&self) -> &str {
        "petrel"
    }

    /// The SSI insert for `<!--#tag arg-->`; see [`Ssi::insert`]. The
    /// default writes `<!-- unknown tag NAME -->`.
    fn ssi(&self, tag: &str, arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
        let _ = arg;
        let mut text = [0u8; 96];
        let mut c = crate::response::Cursor::new(&mut text);
        c.put(b"<!-- unknown tag ");
        c.put(tag.as_bytes().get(..60).unwrap_or(tag.as_bytes()));
        c.put(b" -->");
        let n = c.len();
        write_resumable(text.get(..n).unwrap_or(&[]), state, out)
    }

    /// The wall-clock time in Unix seconds, for `Date` headers (`None`:
    /// no `Date`, as RFC 9110 allows for a server without a clock).
    fn unix_time(&self) -> Option<u64> {
        None
    }

    /// Called for log-worthy events.
    fn on_event(&self, event: ServerEvent) {
        let _ = event;
    }
}

/// Adapts a [`Handler`] to [`Ssi`].
struct SsiOf<'a, H>(&'a H);

impl<H: Handler> Ssi for SsiOf<'_, H> {
    fn insert(&self, tag: &str, arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
        self.0.ssi(tag, arg, state, out)
    }
}

/// Turns an accepted stream into the stream HTTP is spoken on: identity for
/// plain TCP ([`Plain`]), the TLS handshake for HTTPS.
pub trait Upgrade<T: Stream> {
    /// The upgraded stream.
    type Stream: Stream;
    /// Upgrades `stream` (bounded in time by the implementation).
    async fn upgrade(&self, stream: T) -> Result<Self::Stream, petrel_altcp::Error>;
    /// Turns a client away when every slot is busy. The default aborts.
    async fn reject(&self, stream: T) {
        stream.abort();
    }
}

/// Plain HTTP: no upgrade; busy clients get a real `503` response.
#[derive(Copy, Clone, Debug, Default)]
pub struct Plain;

impl<T: Stream> Upgrade<T> for Plain {
    type Stream = T;
    async fn upgrade(&self, stream: T) -> Result<T, petrel_altcp::Error> {
        Ok(stream)
    }
    async fn reject(&self, mut stream: T) {
        let mut buf = [0u8; 160];
        if let Ok(n) = crate::response::error_response(
            &mut buf,
            crate::StatusCode::SERVICE_UNAVAILABLE,
            b"Retry-After: 1\r\n",
            false,
        ) {
            let _ = stream.write_all(buf.get(..n).unwrap_or(&[])).await;
        }
        let _ = stream.close().await;
    }
}

/// A worker's mailbox.
struct Slot<T> {
    stream: Cell<Option<T>>,
    waker: Cell<Option<Waker>>,
    busy: Cell<bool>,
    /// Whether its connection is idle between requests, and the kick.
    idle: conn::IdleSignal,
    /// The acceptor waiting for this slot to become free.
    free_waker: Cell<Option<Waker>>,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot {
            stream: Cell::new(None),
            waker: Cell::new(None),
            busy: Cell::new(false),
            idle: conn::IdleSignal::default(),
            free_waker: Cell::new(None),
        }
    }

    fn hand_over(&self, stream: T) {
        self.busy.set(true);
        self.idle.reset();
        self.stream.set(Some(stream));
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    async fn freed(&self) {
        poll_fn(|cx| {
            if self.busy.get() {
                self.free_waker.set(Some(cx.waker().clone()));
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await
    }
}

/// How long rejecting a busy client may take.
const REJECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause before accepting again when the stack is out of sockets.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves HTTP on `listener` until accepting fails for good (the error is
/// returned). See the module docs for `buf` and `N`.
pub async fn serve<L, U, C, H, const N: usize>(
    listener: &mut L,
    upgrade: &U,
    clock: &C,
    handler: &H,
    fs: &StaticFs,
    config: &Config,
    buf: &mut [u8],
) -> petrel_altcp::Error
where
    L: Listener,
    U: Upgrade<L::Stream>,
    C: Clock,
    H: Handler,
{
    let slots: [Slot<L::Stream>; N] = core::array::from_fn(|_| Slot::new());
    // Built in place and polled through a pinned slice, never moved: every
    // move of the `N` worker futures (kilobytes each) would be a temporary
    // in this future's poll function, whose stack frame — probed page by
    // page on every wake — would grow by the size of all of them.
    let mut workers = pin!(workers::<L::Stream, U, C, H, N>(
        &slots, buf, upgrade, clock, handler, fs, config
    ));
    let workers: Pin<&mut [_]> = workers.as_mut();
    let max = config.max_connections.clamp(1, N.max(1));
    let acceptor = async {
        loop {
            let stream = match listener.accept().await {
                Ok(s) => s,
                Err(petrel_altcp::Error::Tcp(TcpError::NoBuffer)) => {
                    clock.sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
                Err(e @ petrel_altcp::Error::Tls(_)) => {
                    handler.on_event(ServerEvent::AcceptFailed(e));
                    continue;
                }
                Err(e) => return e,
            };
            if let Some(slot) = slots.iter().take(max).find(|s| !s.busy.get()) {
                slot.hand_over(stream);
                continue;
            }
            // All busy: reclaim a connection that idles between requests.
            if let Some(slot) = slots.iter().take(max).find(|s| s.idle.idle.get()) {
                slot.idle.kick();
                if with_timeout(clock, REJECT_TIMEOUT, slot.freed())
                    .await
                    .is_ok()
                {
                    slot.hand_over(stream);
                    continue;
                }
                slot.idle.reset();
            }
            handler.on_event(ServerEvent::Busy {
                peer: stream.peer_addr(),
            });
            let _ = with_timeout(clock, REJECT_TIMEOUT, upgrade.reject(stream)).await;
        }
    };
    match select(acceptor, select_slice(workers)).await {
        Either::First(e) => e,
        // Workers never finish; keep the type checker honest.
        Either::Second(_) => petrel_altcp::Error::Tcp(TcpError::InvalidState),
    }
}

/// The `N` workers, one per slot, each with its chunk of `buf`. Not inlined:
/// its temporaries stay out of the frame of the server's poll function.
#[inline(never)]
fn workers<'a, T, U, C, H, const N: usize>(
    slots: &'a [Slot<T>; N],
    buf: &'a mut [u8],
    upgrade: &'a U,
    clock: &'a C,
    handler: &'a H,
    fs: &'a StaticFs,
    config: &'a Config,
) -> [impl Future<Output = ()> + 'a; N]
where
    T: Stream,
    U: Upgrade<T>,
    C: Clock,
    H: Handler,
{
    let chunk = (buf.len() / N.max(1)).max(1);
    let mut chunks = buf.chunks_mut(chunk);
    core::array::from_fn(|i| {
        let mem: &mut [u8] = chunks.next().unwrap_or_default();
        worker(slots.get(i), mem, upgrade, clock, handler, fs, config)
    })
}

/// One connection slot: waits for a stream, serves it, repeats.
///
/// An `async` block, not an `async fn`: the block uses its captures in
/// place, where an `async fn` would keep a second copy of every argument
/// in the connection's future (here and in the functions it awaits).
fn worker<'a, T, U, C, H>(
    slot: Option<&'a Slot<T>>,
    mem: &'a mut [u8],
    upgrade: &'a U,
    clock: &'a C,
    handler: &'a H,
    fs: &'a StaticFs,
    config: &'a Config,
) -> impl Future<Output = ()> + 'a
where
    T: Stream,
    U: Upgrade<T>,
    C: Clock,
    H: Handler,
{
    async move {
        let Some(slot) = slot else {
            return core::future::pending().await;
        };
        loop {
            // Polled on every wake of the server while idle: keep the stored
            // waker when it is the same one (no clone, no drop).
            let stream = poll_fn(|cx| match slot.stream.take() {
                Some(s) => Poll::Ready(s),
                None => {
                    let w = match slot.waker.take() {
                        Some(w) if w.will_wake(cx.waker()) => w,
                        _ => cx.waker().clone(),
                    };
                    slot.waker.set(Some(w));
                    Poll::Pending
                }
            })
            .await;
            // Not matched in place: the match would keep the `Result` beside
            // the stream for the whole connection.
            let upgraded = upgrade.upgrade(stream).await;
            if let Ok(mut s) = upgraded {
                let close = conn::serve_connection_with(
                    &mut s,
                    mem,
                    clock,
                    handler,
                    fs,
                    config,
                    Some(&slot.idle),
                )
                .await;
                if close {
                    let _ = with_timeout(clock, config.idle_timeout, s.close()).await;
                } else {
                    s.abort();
                }
            } else if let Err(e) = upgraded {
                handler.on_event(ServerEvent::AcceptFailed(e));
            }
            slot.idle.reset();
            slot.busy.set(false);
            if let Some(w) = slot.free_waker.take() {
                w.wake();
            }
        }
    }
}
