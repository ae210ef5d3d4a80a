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
use crate::response::{self, StatusCode};
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

    /// Completes when `signal` is kicked; never without a signal.
    fn kicked(signal: Option<&Self>) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| match signal {
            Some(s) if s.kick.get() => Poll::Ready(()),
            Some(s) => {
                s.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
            None => Poll::Pending,
        })
    }
}

/// Writes an error response when there is no request to answer (the head
/// was refused or never came): the webroot's [`error_page`] if it has one
/// stored as is (the client's `Accept-Encoding` is unknown, so a page
/// stored only gzipped is not used), else a small text body, built in the
/// connection's transmit buffer. The connection closes after it.
async fn send_error<S: Stream, C: Clock>(
    stream: &mut S,
    tx: &mut [u8],
    clock: &C,
    cfg: &Config,
    fs: &StaticFs,
    status: StatusCode,
) {
    let page = error_page(fs, status).filter(|p| p.gzip_only_body().is_none());
    let (head, body) = match page {
        Some(p) => {
            let mut w = response::HeadWriter::new(tx, status);
            w.header("Content-Type", p.mime);
            w.header_with("Content-Length", |c| c.decimal(p.body.len() as u64));
            w.header("Connection", "close");
            (w.finish(), p.body)
        }
        None => (response::error_response(tx, status, b"", false), &[][..]),
    };
    let Ok(n) = head else {
        return;
    };
    let _ = with_deadline(clock, clock.now() + cfg.idle_timeout, async {
        embedded_io_async::Write::write_all(stream, tx.get(..n).unwrap_or(&[])).await?;
        embedded_io_async::Write::write_all(stream, body).await
    })
    .await;
}

/// Tells the handler about a refused head and answers it with `status`.
#[allow(clippy::too_many_arguments)]
async fn refuse<S: Stream, C: Clock, H: Handler>(
    stream: &mut S,
    tx: &mut [u8],
    clock: &C,
    cfg: &Config,
    handler: &H,
    fs: &StaticFs,
    status: StatusCode,
) {
    handler.on_event(ServerEvent::Refused {
        peer: stream.peer_addr(),
        status: status.0,
    });
    send_error(stream, tx, clock, cfg, fs, status).await;
}

/// Serves requests on one connection until it should close: what each
/// worker of [`serve`](super::serve) runs, public for boards that manage
/// connections themselves (and for fuzzing). `mem` is split in two: the
/// receive buffer (request heads, body bytes) and the transmit buffer
/// ([`Config::tx_buffer`] bytes, or half).
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

/// [`serve_connection`], reclaimable through `signal` while idle. An
/// `async` block, not an `async fn`, so the arguments are kept once (see
/// `worker`).
pub(crate) fn serve_connection_with<'a, S, C, H>(
    stream: &'a mut S,
    mem: &'a mut [u8],
    clock: &'a C,
    handler: &'a H,
    fs: &'a StaticFs,
    cfg: &'a Config,
    signal: Option<&'a IdleSignal>,
) -> impl Future<Output = bool> + 'a
where
    S: Stream,
    C: Clock,
    H: Handler,
{
    async move {
        // A head that fills `rx` is refused (431) whatever the configured limit.
        let rx_len = cfg.rx_len(mem.len());
        let (rx, tx) = mem.split_at_mut(rx_len);
        let mut st = ConnState {
            filled: 0,
            deadline: clock.now() + cfg.idle_timeout,
        };
        loop {
            // 1. A complete head (pipelined bytes may already hold one), or
            // the status it is refused with.
            let head = loop {
                let got = match rx.get_mut(..st.filled) {
                    Some(b) if !b.is_empty() => parse_head(b, cfg),
                    _ => Ok(None),
                };
                match got {
                    Ok(Some(h)) => break Ok(h),
                    Ok(None) => {}
                    Err(e) => break Err(e.status()),
                }
                let Some(space) = rx.get_mut(st.filled..).filter(|s| !s.is_empty()) else {
                    break Err(StatusCode::HEADERS_TOO_LARGE);
                };
                let read = with_deadline(clock, st.deadline, stream.read(space));
                // One await for both: without a signal to watch (or with
                // bytes of a head already in), only the read can finish.
                let sig = signal.filter(|_| st.filled == 0);
                if let Some(sig) = sig {
                    sig.idle.set(true);
                }
                let r = select(read, IdleSignal::kicked(sig)).await;
                if let Some(sig) = sig {
                    sig.idle.set(false);
                }
                let got = match r {
                    Either::First(r) => r,
                    // Reclaimed for a new client: close quietly, as for an
                    // idle timeout.
                    Either::Second(()) => return true,
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
                    Err(_) if st.filled > 0 => break Err(StatusCode::REQUEST_TIMEOUT),
                    Err(_) => return true,
                }
            };
            let head = match head {
                Ok(h) => h,
                Err(status) => {
                    // One await for every refusal keeps the future small.
                    refuse(stream, tx, clock, cfg, handler, fs, status).await;
                    return true;
                }
            };

            // 2. Serve it.
            let (head_bytes, rest) = rx.split_at_mut(head.len.min(rx_len));
            let buffered = st.filled.saturating_sub(head.len);
            let req = head.view(head_bytes);
            let mut ex = Exchange {
                stream: &mut *stream,
                clock,
                cfg,
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
                date: handler.unix_time().unwrap_or(0),
            };
            // An error closes the connection (after the error page the
            // handler's error asks for, sent by `dispatch`).
            let mut keep = dispatch(&mut ex, handler, fs).await.is_ok() && ex.flags.keep_alive;
            if ex.flags.responded {
                handler.on_event(ServerEvent::Request {
                    peer: ex.peer_addr(),
                    method: head.method,
                    status: ex.flags.status,
                });
            }
            if keep && !ex.body.done {
                keep = (ex.flags.continue_sent || !head.expect_continue)
                    && ex.drain(cfg.max_drain).await;
            }
            if !keep {
                return true;
            }
            // 3. Keep pipelined bytes for the next round.
            let (a, b) = (ex.body.raw_start as usize, ex.body.raw_end as usize);
            let base = head.len.min(rx_len);
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
}

/// Answers one request as [`route`] decides.
fn dispatch<S: Stream, C: Clock, H: Handler>(
    ex: &mut Exchange<'_, S, C>,
    handler: &H,
    fs: &StaticFs,
) -> impl Future<Output = Result<(), Error>> {
    async move {
        // Decided before any await: the request's path and view are not
        // kept in the connection's future while the answer is sent. Every
        // answer but the handler's and SSI is a head (and body) built here
        // and sent by the one `send` at the end.
        // The handler failed before responding: its error page is sent,
        // and the request still fails (the connection closes).
        let mut failed = false;
        // `Err`: the webroot's error page for that status.
        let answer = match route(ex, handler, fs) {
            Plan::Call(id) => {
                let r = handler.call(id, ex).await;
                if ex.responded() {
                    return r;
                }
                match r {
                    // A handler that did not respond.
                    Ok(()) => Ok((
                        ex.prepare_error_fn(StatusCode::INTERNAL_SERVER_ERROR, |_| {}),
                        &[][..],
                    )),
                    Err(e) => {
                        let status = match e {
                            Error::BadBody(_) => StatusCode::BAD_REQUEST,
                            Error::BodyTooLarge => StatusCode::CONTENT_TOO_LARGE,
                            Error::Handler(_) | Error::Overflow => {
                                StatusCode::INTERNAL_SERVER_ERROR
                            }
                            _ => return r,
                        };
                        failed = true;
                        ex.flags.keep_alive = false;
                        Err(status)
                    }
                }
            }
            Plan::Unauthorized => Ok((
                ex.prepare_error_fn(StatusCode::UNAUTHORIZED, |w| {
                    w.raw(b"WWW-Authenticate: Basic realm=\"");
                    w.raw(handler.realm().as_bytes());
                    w.raw(b"\", charset=\"UTF-8\"\r\n");
                }),
                &[][..],
            )),
            Plan::Forbidden => Ok((ex.prepare_error_fn(StatusCode::FORBIDDEN, |_| {}), &[][..])),
            Plan::MethodNotAllowed(method, allowed) => Ok(method_not_allowed(ex, method, allowed)),
            Plan::NotFound => Err(StatusCode::NOT_FOUND),
            Plan::File(file) if file.is_ssi() => return serve_ssi(ex, handler, file).await,
            Plan::File(file) => Ok(file_response(ex, file)?),
        };
        let (n, body) = match answer {
            Ok(a) => a,
            Err(status) => error_page_response(ex, fs, status),
        };
        let r = ex.send(n, body).await;
        if failed {
            return Err(Error::Closed);
        }
        r
    }
}

/// What [`dispatch`] does with a request.
enum Plan<R> {
    /// The handler's route (its parameters are in the exchange).
    Call(R),
    Unauthorized,
    Forbidden,
    /// 405 with `Allow`, or 204 with `Allow` for `OPTIONS` (also `*`).
    MethodNotAllowed(Method, MethodSet),
    NotFound,
    File(&'static crate::fs::StaticFile),
}

/// Routes first (with Basic authentication), then static files.
fn route<S: Stream, C: Clock, H: Handler>(
    ex: &mut Exchange<'_, S, C>,
    handler: &H,
    fs: &StaticFs,
) -> Plan<H::Route> {
    let req = *ex.request();
    let method = req.method();
    let path = req.path();
    if path == "*" {
        // `OPTIONS *`: what the server can do at all.
        let all = MethodSet::GET
            .union(MethodSet::POST)
            .with(Method::Put)
            .with(Method::Delete)
            .with(Method::Options);
        return Plan::MethodNotAllowed(Method::Options, all);
    }
    match router::find(handler.routes(), method, path) {
        Found::Route(route, params) => {
            if route.auth {
                // The credentials are decoded into the transmit buffer: no
                // response has been started, and none needs them.
                let creds = req
                    .header("authorization")
                    .and_then(|h| router::basic_credentials(h, ex.tx));
                match handler.authorize(route.id, creds) {
                    Auth::Allowed => {}
                    Auth::Unauthorized => return Plan::Unauthorized,
                    Auth::Forbidden => return Plan::Forbidden,
                }
            }
            ex.params = params;
            Plan::Call(route.id)
        }
        Found::MethodNotAllowed(allowed) => Plan::MethodNotAllowed(method, allowed),
        Found::NotFound => match static_file::resolve(fs, path) {
            None => Plan::NotFound,
            Some(_) if !matches!(method, Method::Get | Method::Head) => {
                Plan::MethodNotAllowed(method, MethodSet::GET.with(Method::Options))
            }
            Some(file) => Plan::File(file),
        },
    }
}

/// A `405` (or `204` for `OPTIONS`) with the `Allow` header: what to send.
fn method_not_allowed<S: Stream, C: Clock>(
    ex: &mut Exchange<'_, S, C>,
    method: Method,
    allowed: MethodSet,
) -> (Option<usize>, &'static [u8]) {
    let allow = |w: &mut response::HeadWriter<'_>| {
        w.raw(b"Allow: ");
        let _ = static_file::write_allow(w, allowed);
        w.raw(b"\r\n");
    };
    if method == Method::Options {
        ex.prepare_fn(StatusCode::NO_CONTENT, "", allow, b"")
    } else {
        (
            ex.prepare_error_fn(StatusCode::METHOD_NOT_ALLOWED, allow),
            &[],
        )
    }
}

/// The webroot's page for the server's own `status` responses,
/// `/<code>.html` (`/404.html`, `/400.html`, `/501.html`…, as lwIP's
/// httpd), if it has one that is not SSI.
fn error_page(fs: &StaticFs, status: StatusCode) -> Option<&'static crate::fs::StaticFile> {
    let mut path = [0u8; 16];
    let mut c = response::Cursor::new(&mut path);
    c.put(b"/");
    c.decimal(u64::from(status.0));
    c.put(b".html");
    let n = c.finish().ok()?;
    let path = core::str::from_utf8(path.get(..n)?).ok()?;
    fs.lookup(path).filter(|p| !p.is_ssi())
}

/// An error response to a parsed request, with [`error_page`] as the body
/// when there is one (stored only gzipped: sent gzipped when gzip is
/// acceptable, else the plain text body).
fn error_page_response<S: Stream, C: Clock>(
    ex: &mut Exchange<'_, S, C>,
    fs: &StaticFs,
    status: StatusCode,
) -> (Option<usize>, &'static [u8]) {
    const GZIP: &[u8] = b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
    const VARY: &[u8] = b"Vary: Accept-Encoding\r\n";
    let page = error_page(fs, status);
    let send = page.and_then(|p| match p.gzip_only_body() {
        None => Some((p.mime, &b""[..], p.body)),
        Some(gz) if ex.request().gzip_acceptable() => Some((p.mime, GZIP, gz)),
        Some(_) => None,
    });
    match send {
        Some((mime, extra, body)) => ex.prepare_fn(
            status,
            mime,
            |w| {
                w.raw(extra);
            },
            body,
        ),
        // No page, or one the client cannot take (only gzipped).
        None => {
            let extra = if page.is_some() { VARY } else { b"" };
            (
                ex.prepare_error_fn(status, |w| {
                    w.raw(extra);
                }),
                &[],
            )
        }
    }
}

/// A static file (GET/HEAD, not SSI): 200/206/304/416, its head built in
/// the transmit buffer and the body to send after it.
fn file_response<S: Stream, C: Clock>(
    ex: &mut Exchange<'_, S, C>,
    file: &'static crate::fs::StaticFile,
) -> Result<(Option<usize>, &'static [u8]), Error> {
    let plan = static_file::plan(file, ex.request());
    ex.flags.responded = true;
    ex.flags.status = plan.status.0;
    let minor = ex.request().head().minor_version;
    let keep = ex.flags.keep_alive;
    let mut date = [0u8; 29];
    let date_s = match ex.date() {
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
    Ok((Some(n), body))
}

/// The least free buffer an SSI insert is written into; with less the
/// buffered chunks are sent first.
const MIN_INSERT_ROOM: usize = 64;

/// Sends an SSI page: static pieces and inserts as chunks.
fn serve_ssi<S: Stream, C: Clock, H: Handler>(
    ex: &mut Exchange<'_, S, C>,
    handler: &H,
    file: &'static crate::fs::StaticFile,
) -> impl Future<Output = Result<(), Error>> {
    async move {
        let extra = b"Cache-Control: no-cache\r\n";
        let mut w = ex.body_writer(StatusCode::OK, file.mime, extra, None)?;
        let mut exp = SsiExpander::new();
        let ssi = SsiOf(handler);
        // Inserts are written straight into the free part of the transmit
        // buffer, as chunks; one that does not fit comes in several pieces
        // (`Insert::More`). Static pieces are sent from the file.
        // Bounded: every piece advances the page; an insert's pieces are
        // bounded by the handler (each `More` must carry bytes).
        // No body for HEAD: `write_with` would not call back, so nothing
        // would advance.
        while !w.head_only() {
            // An insert is written by `build`; a static piece or the end is
            // handed out to be dealt with here.
            let mut other = None;
            w.write_with(|buf| {
                if buf.len() < MIN_INSERT_ROOM {
                    // Flush first (an insert given no room would end empty).
                    return Err(response::Overflow);
                }
                match exp.next(file, &ssi, buf) {
                    Piece::Generated(n) => Ok(n),
                    p => {
                        other = Some(p);
                        Ok(0)
                    }
                }
            })
            .await?;
            match other {
                Some(Piece::Static(s)) => w.write(s).await?,
                Some(Piece::End) => break,
                _ => {}
            }
        }
        w.finish().await
    }
}
