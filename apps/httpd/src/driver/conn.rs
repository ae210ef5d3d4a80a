//! One connection: read a head (timeouts, limits), dispatch (routes, then
//! static files), finish the body, keep the leftover bytes of pipelined
//! requests, repeat.

use core::cell::Cell;
use core::future::poll_fn;
use core::task::{Poll, Waker};

use embassy_futures::select::{Either, select};
use petrel_altcp::Stream;
use petrel_netcore::time::Instant;
use petrel_netcore::timer::{Clock, with_deadline};

use super::exchange::{BodyState, Exchange, Flags};
use super::{Auth, Error, Handler, ServerEvent, SsiOf};
use crate::Config;
use crate::fs::StaticFs;
use crate::request::{Method, MethodSet, RequestHead, parse_head};
use crate::response::{self, Cursor, StatusCode};
use crate::router::{self, Found};
use crate::ssi::{Piece, SsiExpander};
use crate::static_file;

/// The control state a connection keeps between reads: what the ≤ 512 B
/// per-connection budget covers (buffers are counted separately).
#[derive(Copy, Clone, Debug)]
pub struct ConnState {
    /// Bytes of the receive buffer in use (a partial or pipelined head).
    pub filled: usize,
    /// When the current head must be complete (408), or the idle deadline.
    pub deadline: Instant,
}

/// The control state of one connection while it serves a request: the
/// [`ConnState`], the parsed [`RequestHead`], the body decoder, the
/// response flags and an SSI cursor. This is what FEATURES.md's
/// "≤ 512 B per HTTP connection" budget counts (buffers are separate).
pub const fn control_state_bytes() -> usize {
    core::mem::size_of::<ConnState>()
        + core::mem::size_of::<RequestHead>()
        + core::mem::size_of::<BodyState>()
        + core::mem::size_of::<Flags>()
        + core::mem::size_of::<SsiExpander>()
}

/// Lets the acceptor reclaim a connection that sits idle between requests
/// when every slot is taken (a browser's spare keep-alive connections must
/// not lock new clients out).
#[derive(Default)]
pub(crate) struct IdleSignal {
    /// The connection waits for a new request and has no bytes of it yet.
    pub(crate) idle: Cell<bool>,
    /// The acceptor asks the connection to close.
    kick: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl IdleSignal {
    /// Asks the connection to close if it is (still) idle.
    pub(crate) fn kick(&self) {
        self.kick.set(true);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Forgets a kick (a new connection starts, or the acceptor gave up).
    pub(crate) fn reset(&self) {
        self.kick.set(false);
        self.idle.set(false);
    }

    async fn kicked(&self) {
        poll_fn(|cx| {
            if self.kick.get() {
                Poll::Ready(())
            } else {
                self.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await
    }
}

/// Writes a small error response straight from a stack buffer.
async fn send_error<S: Stream, C: Clock>(
    stream: &mut S,
    clock: &C,
    cfg: &Config,
    status: StatusCode,
    extra: &[u8],
) {
    let mut buf = [0u8; 256];
    if let Ok(n) = response::error_response(&mut buf, status, extra, false) {
        let _ = with_deadline(
            clock,
            clock.now() + cfg.idle_timeout,
            embedded_io_async::Write::write_all(stream, buf.get(..n).unwrap_or(&[])),
        )
        .await;
    }
}

/// Serves requests on one connection until it should close: what each
/// worker of [`serve`](super::serve) runs, public for boards that manage
/// connections themselves (and for fuzzing). `mem` is split in half: the
/// receive buffer (request heads, body bytes) and the transmit buffer.
/// Returns whether to close gracefully (`true`) or abort (the stream
/// failed).
pub async fn serve_connection<S, C, H>(
    stream: &mut S,
    mem: &mut [u8],
    clock: &C,
    handler: &H,
    fs: &StaticFs,
    config: &Config,
) -> bool
where
    S: Stream,
    C: Clock,
    H: Handler,
{
    serve_connection_with(stream, mem, clock, handler, fs, config, None).await
}

/// [`serve_connection`], reclaimable through `signal` while idle.
pub(crate) async fn serve_connection_with<S, C, H>(
    stream: &mut S,
    mem: &mut [u8],
    clock: &C,
    handler: &H,
    fs: &StaticFs,
    config: &Config,
    signal: Option<&IdleSignal>,
) -> bool
where
    S: Stream,
    C: Clock,
    H: Handler,
{
    let half = mem.len() / 2;
    let (rx, tx) = mem.split_at_mut(half);
    let mut cfg = *config;
    cfg.max_header_bytes = cfg.max_header_bytes.min(rx.len());
    let peer = stream.peer_addr();
    let mut st = ConnState {
        filled: 0,
        deadline: clock.now() + cfg.idle_timeout,
    };
    loop {
        // 1. A complete head (pipelined bytes may already hold one).
        let head = loop {
            let got = match rx.get_mut(..st.filled) {
                Some(b) if !b.is_empty() => parse_head(b, &cfg),
                _ => Ok(None),
            };
            match got {
                Ok(Some(h)) => break h,
                Ok(None) => {}
                Err(e) => {
                    let status = e.status();
                    handler.on_event(ServerEvent::Refused {
                        peer,
                        status: status.0,
                    });
                    send_error(stream, clock, &cfg, status, b"").await;
                    return true;
                }
            }
            let Some(space) = rx.get_mut(st.filled..).filter(|s| !s.is_empty()) else {
                send_error(stream, clock, &cfg, StatusCode::HEADERS_TOO_LARGE, b"").await;
                return true;
            };
            let read = with_deadline(clock, st.deadline, stream.read(space));
            let got = match signal.filter(|_| st.filled == 0) {
                Some(sig) => {
                    sig.idle.set(true);
                    let r = select(read, sig.kicked()).await;
                    sig.idle.set(false);
                    match r {
                        Either::First(r) => r,
                        // Reclaimed for a new client: close quietly, as
                        // for an idle timeout.
                        Either::Second(()) => return true,
                    }
                }
                None => read.await,
            };
            match got {
                Ok(Ok(0)) => return true,
                Ok(Ok(n)) => {
                    if st.filled == 0 {
                        st.deadline = clock.now() + cfg.request_timeout;
                    }
                    st.filled += n;
                }
                Ok(Err(_)) => return false,
                Err(_) => {
                    if st.filled > 0 {
                        handler.on_event(ServerEvent::Refused {
                            peer,
                            status: StatusCode::REQUEST_TIMEOUT.0,
                        });
                        send_error(stream, clock, &cfg, StatusCode::REQUEST_TIMEOUT, b"").await;
                    }
                    return true;
                }
            }
        };

        // 2. Serve it.
        let (head_bytes, rest) = rx.split_at_mut(head.len.min(half));
        let buffered = st.filled.saturating_sub(head.len);
        let req = head.view(head_bytes);
        let mut ex = Exchange {
            stream: &mut *stream,
            clock,
            cfg: &cfg,
            req,
            params: router::Params::empty(),
            rest,
            tx: &mut *tx,
            body: BodyState::new(head.framing, buffered),
            flags: Flags {
                responded: false,
                keep_alive: head.keep_alive,
                continue_sent: false,
                status: 0,
            },
            date: handler.unix_time(),
        };
        let result = dispatch(&mut ex, handler, fs).await;
        let mut keep = ex.flags.keep_alive;
        match result {
            Ok(()) => {}
            Err(e) => {
                keep = false;
                if !ex.flags.responded {
                    let status = match e {
                        Error::BadBody(_) => Some(StatusCode::BAD_REQUEST),
                        Error::BodyTooLarge => Some(StatusCode::CONTENT_TOO_LARGE),
                        Error::Handler(_) | Error::Overflow => {
                            Some(StatusCode::INTERNAL_SERVER_ERROR)
                        }
                        _ => None,
                    };
                    if let Some(s) = status {
                        ex.flags.keep_alive = false;
                        let _ = ex.respond_error(s).await;
                    }
                }
            }
        }
        if ex.flags.responded {
            handler.on_event(ServerEvent::Request {
                peer,
                method: head.method,
                status: ex.flags.status,
            });
        }
        if keep && !ex.body.done {
            keep =
                (ex.flags.continue_sent || !head.expect_continue) && ex.drain(cfg.max_drain).await;
        }
        if !keep {
            return true;
        }
        // 3. Keep pipelined bytes for the next round.
        let (a, b) = (ex.body.raw_start as usize, ex.body.raw_end as usize);
        let base = head.len.min(half);
        rx.copy_within(base + a..base + b, 0);
        st.filled = b - a;
        st.deadline = clock.now()
            + if st.filled > 0 {
                cfg.request_timeout
            } else {
                cfg.idle_timeout
            };
    }
}

/// Routes first, then static files.
async fn dispatch<S: Stream, C: Clock, H: Handler>(
    ex: &mut Exchange<'_, S, C>,
    handler: &H,
    fs: &StaticFs,
) -> Result<(), Error> {
    let req = *ex.request();
    let method = req.method();
    let path = req.path();
    if path == "*" {
        return ex
            .respond_with(
                StatusCode::NO_CONTENT,
                "",
                b"Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n",
                b"",
            )
            .await;
    }
    match router::find(handler.routes(), method, path) {
        Found::Route(route, params) => {
            if route.auth {
                let mut cred_buf = [0u8; 192];
                let creds = req
                    .header("authorization")
                    .and_then(|h| router::basic_credentials(h, &mut cred_buf));
                match handler.authorize(route.id, creds) {
                    Auth::Allowed => {}
                    Auth::Unauthorized => {
                        let mut extra = [0u8; 128];
                        let mut c = Cursor::new(&mut extra);
                        c.put(b"WWW-Authenticate: Basic realm=\"");
                        c.put(handler.realm().as_bytes());
                        c.put(b"\", charset=\"UTF-8\"\r\n");
                        let n = c.len();
                        return ex
                            .respond_error_with(
                                StatusCode::UNAUTHORIZED,
                                extra.get(..n).unwrap_or(&[]),
                            )
                            .await;
                    }
                    Auth::Forbidden => return ex.respond_error(StatusCode::FORBIDDEN).await,
                }
            }
            ex.params = params;
            let r = handler.call(route.id, ex).await;
            if r.is_ok() && !ex.responded() {
                return ex.respond_error(StatusCode::INTERNAL_SERVER_ERROR).await;
            }
            r
        }
        Found::MethodNotAllowed(allowed) => method_not_allowed(ex, method, allowed).await,
        Found::NotFound => {
            let Some(file) = static_file::resolve(fs, path) else {
                return not_found(ex, fs).await;
            };
            let allowed = MethodSet::GET.with(Method::Options);
            if !matches!(method, Method::Get | Method::Head) {
                return method_not_allowed(ex, method, allowed).await;
            }
            serve_file(ex, handler, file).await
        }
    }
}

async fn method_not_allowed<S: Stream, C: Clock>(
    ex: &mut Exchange<'_, S, C>,
    method: Method,
    allowed: MethodSet,
) -> Result<(), Error> {
    let mut extra = [0u8; 96];
    let mut c = Cursor::new(&mut extra);
    c.put(b"Allow: ");
    let _ = static_file::write_allow(&mut c, allowed);
    c.put(b"\r\n");
    let n = c.len();
    let extra = extra.get(..n).unwrap_or(&[]);
    if method == Method::Options {
        ex.respond_with(StatusCode::NO_CONTENT, "", extra, b"")
            .await
    } else {
        ex.respond_error_with(StatusCode::METHOD_NOT_ALLOWED, extra)
            .await
    }
}

/// 404, with `/404.html` as the body when the webroot has one (stored only
/// gzipped: sent gzipped when gzip is acceptable, else the plain 404).
async fn not_found<S: Stream, C: Clock>(
    ex: &mut Exchange<'_, S, C>,
    fs: &StaticFs,
) -> Result<(), Error> {
    const GZIP: &[u8] = b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
    const VARY: &[u8] = b"Vary: Accept-Encoding\r\n";
    let page = fs.lookup("/404.html").filter(|p| !p.is_ssi());
    let send = page.and_then(|p| match p.gzip_only_body() {
        None => Some((p.mime, &b""[..], p.body)),
        Some(gz) if ex.request().gzip_acceptable() => Some((p.mime, GZIP, gz)),
        Some(_) => None,
    });
    match send {
        Some((mime, extra, body)) => {
            ex.respond_with(StatusCode::NOT_FOUND, mime, extra, body)
                .await
        }
        // No page, or one the client cannot take (only gzipped).
        None => {
            let extra = if page.is_some() { VARY } else { b"" };
            ex.respond_error_with(StatusCode::NOT_FOUND, extra).await
        }
    }
}

/// Sends a static file (GET/HEAD): 200/206/304/416, or an SSI page.
async fn serve_file<S: Stream, C: Clock, H: Handler>(
    ex: &mut Exchange<'_, S, C>,
    handler: &H,
    file: &'static crate::fs::StaticFile,
) -> Result<(), Error> {
    let plan = static_file::plan(file, ex.request());
    if plan.ssi {
        return serve_ssi(ex, handler, file).await;
    }
    ex.flags.responded = true;
    ex.flags.status = plan.status.0;
    let minor = ex.request().head().minor_version;
    let keep = ex.flags.keep_alive;
    let mut date = [0u8; 29];
    let date_s = match ex.date {
        Some(t) => {
            crate::date::format_imf(t, &mut date);
            core::str::from_utf8(&date).unwrap_or("")
        }
        None => "",
    };
    let n = static_file::write_head(ex.tx, file, &plan, minor, keep, date_s)?;
    let body = if ex.request().method() == Method::Head {
        &[][..]
    } else {
        plan.body
    };
    ex.write_head_and_body(n, body).await
}

/// Sends an SSI page: static pieces and inserts as chunks.
async fn serve_ssi<S: Stream, C: Clock, H: Handler>(
    ex: &mut Exchange<'_, S, C>,
    handler: &H,
    file: &'static crate::fs::StaticFile,
) -> Result<(), Error> {
    let extra = b"Cache-Control: no-cache\r\n";
    let mut w = ex.chunked(StatusCode::OK, file.mime, extra).await?;
    let mut exp = SsiExpander::new();
    let ssi = SsiOf(handler);
    // Inserts longer than this come in several pieces (`Insert::More`):
    // every byte here is per connection, in the worker's future.
    let mut scratch = [0u8; 256];
    // Bounded: every piece advances the page; an insert's pieces are
    // bounded by the handler (each `More` must carry bytes).
    loop {
        match exp.next(file, &ssi, &mut scratch) {
            Piece::Static(s) => w.write(s).await?,
            Piece::Generated(n) => w.write(scratch.get(..n).unwrap_or(&[])).await?,
            Piece::End => break,
        }
    }
    w.finish().await
}
