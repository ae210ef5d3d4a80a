//! One request/response exchange: the request, its body (streamed, with
//! `Expect: 100-continue`, chunked decoding, limits, back-pressure) and the
//! response writers (whole, chunked, SSE, WebSocket).

use core::fmt;
use core::future::Future;

use petrel_altcp::Stream;
use petrel_netcore::time::Duration;
use petrel_netcore::timer::{Clock, Elapsed, map, with_deadline, with_timeout};

use super::Error;
use crate::Config;
use crate::chunked::{ChunkError, ChunkedDecoder};
use crate::form::{self, Pairs};
use crate::multipart::{self, Event, Multipart, MultipartError, PartHeaders};
use crate::request::{Framing, Method, Request};
use crate::response::{self, HeadWriter, StatusCode};
use crate::router::Params;

/// A malformed request body.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// Broken chunked framing.
    Chunked(ChunkError),
    /// Broken multipart body.
    Multipart(MultipartError),
    /// The body ended before its `Content-Length`.
    Truncated,
    /// A urlencoded form with bad escapes.
    Form,
    /// Not the content type the route expects.
    ContentType,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Chunked(e) => write!(f, "{e}"),
            BodyError::Multipart(e) => write!(f, "{e}"),
            BodyError::Truncated => f.write_str("body shorter than Content-Length"),
            BodyError::Form => f.write_str("bad form encoding"),
            BodyError::ContentType => f.write_str("unexpected content type"),
        }
    }
}

/// Where the request body stands (all offsets into the receive buffer
/// after the head). Decoded body bytes sit at `dec_start..dec_end`, raw
/// bytes not yet decoded at `raw_start..raw_end` (`dec_end <= raw_start`).
#[derive(Copy, Clone, Debug)]
pub(crate) struct BodyState {
    mode: BodyMode,
    /// Content-Length bytes not yet decoded.
    left: u64,
    /// Decoded bytes delivered so far (for `max_body` on chunked bodies).
    total: u64,
    dec_start: u32,
    dec_end: u32,
    pub(crate) raw_start: u32,
    pub(crate) raw_end: u32,
    /// All body bytes have been decoded.
    pub(crate) done: bool,
}

impl BodyState {
    pub(crate) fn new(framing: Framing, buffered: usize) -> Self {
        let buffered = u32::try_from(buffered).unwrap_or(u32::MAX);
        BodyState {
            mode: match framing {
                Framing::None => BodyMode::None,
                Framing::Length(_) => BodyMode::Length,
                Framing::Chunked => BodyMode::Chunked(ChunkedDecoder::new()),
            },
            left: match framing {
                Framing::Length(n) => n,
                _ => 0,
            },
            total: 0,
            dec_start: 0,
            dec_end: 0,
            raw_start: 0,
            raw_end: buffered,
            done: framing == Framing::None,
        }
    }
}

/// How the body is delimited, with the chunked decoder's state only where
/// there is one (the framing and a decoder side by side would be 16 bytes
/// more in every connection's future).
#[derive(Copy, Clone, Debug)]
enum BodyMode {
    None,
    Length,
    Chunked(ChunkedDecoder),
}

/// Per-exchange flags.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Flags {
    pub(crate) responded: bool,
    pub(crate) keep_alive: bool,
    pub(crate) continue_sent: bool,
    pub(crate) status: u16,
}

/// A request being handled, with its connection.
///
/// Read the body with [`read`](Exchange::read), [`read_to_end`](Exchange::read_to_end),
/// [`read_form`](Exchange::read_form) or [`read_multipart`](Exchange::read_multipart);
/// answer with one of the `respond*` methods, [`chunked`](Exchange::chunked),
/// [`sse`](Exchange::sse) or [`websocket`](Exchange::websocket).
pub struct Exchange<'a, S, C> {
    pub(crate) stream: &'a mut S,
    pub(crate) clock: &'a C,
    pub(crate) cfg: &'a Config,
    pub(crate) req: Request<'a>,
    pub(crate) params: Params<'a>,
    pub(crate) rest: &'a mut [u8],
    pub(crate) tx: &'a mut [u8],
    pub(crate) body: BodyState,
    pub(crate) flags: Flags,
    /// The `Date` of responses in Unix seconds, 0 without a clock (an
    /// `Option<u64>` would be 8 bytes more in every connection's future).
    pub(crate) date: u64,
}

impl<'a, S: Stream, C: Clock> Exchange<'a, S, C> {
    /// The request.
    pub fn request(&self) -> &Request<'a> {
        &self.req
    }
    /// A path parameter of the matched route (`{name}`).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.get(name)
    }
    /// A decoded query parameter.
    pub fn query(&self, name: &str) -> Option<&'a str> {
        self.req.query_param(name)
    }
    /// The clock (for handlers that wait: SSE, WebSocket).
    pub fn clock(&self) -> &'a C {
        self.clock
    }
    /// The time for the `Date` header, if the handler has a clock.
    pub(crate) fn date(&self) -> Option<u64> {
        (self.date != 0).then_some(self.date)
    }
    /// The client's address.
    pub fn peer_addr(&self) -> Option<core::net::SocketAddr> {
        self.stream.peer_addr()
    }
    /// Whether a response has been started.
    pub fn responded(&self) -> bool {
        self.flags.responded
    }
    /// Closes the connection after this response.
    pub fn close_after(&mut self) {
        self.flags.keep_alive = false;
    }

    // The writes return their future directly ([`timed`] around the
    // stream's own), not through an `async fn`: every response path awaits
    // one, and each `async fn` layer would add a copy of its arguments to
    // the connection's future.
    pub(crate) fn write_all<'s>(
        &'s mut self,
        data: &'s [u8],
    ) -> impl Future<Output = Result<(), Error>> + 's {
        self.write_part(0, data)
    }

    /// Sends `tx[..n]` when `n > 0`, else `data`: one future type for
    /// both, so a caller sending several pieces awaits it at one place.
    pub(crate) fn write_part<'s>(
        &'s mut self,
        n: usize,
        data: &'s [u8],
    ) -> impl Future<Output = Result<(), Error>> + 's {
        let data = match n {
            0 => data,
            n => self.tx.get(..n).unwrap_or(&[]),
        };
        timed(
            self.clock,
            self.cfg.idle_timeout,
            self.stream.write_all(data),
        )
    }

    /// Sends `tx[..n]`.
    pub(crate) fn write_tx(&mut self, n: usize) -> impl Future<Output = Result<(), Error>> + '_ {
        self.write_part(n, &[])
    }

    // ---- request body ---------------------------------------------------

    /// Makes decoded body bytes available; `false` at the end of the body.
    async fn fill(&mut self) -> Result<bool, Error> {
        if self.body.dec_end > self.body.dec_start {
            return Ok(true);
        }
        self.more::<true>().await
    }

    /// Reads from the socket into the free end of the receive buffer.
    /// `CONTINUE`: send `100 Continue` first if the client waits for it
    /// (`false` where it cannot: the response has gone out).
    async fn read_raw<const CONTINUE: bool>(&mut self) -> Result<(), Error> {
        if CONTINUE
            && self.req.head().expect_continue
            && !self.flags.continue_sent
            && !self.flags.responded
        {
            self.flags.continue_sent = true;
            self.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let from = self.body.raw_end as usize;
        let Some(space) = self.rest.get_mut(from..).filter(|s| !s.is_empty()) else {
            return Err(Error::Overflow);
        };
        let n = timed(self.clock, self.cfg.idle_timeout, self.stream.read(space)).await?;
        if n == 0 {
            return Err(Error::BadBody(BodyError::Truncated));
        }
        self.body.raw_end += n as u32;
        Ok(())
    }

    /// Decodes more body bytes into the window (beyond those already
    /// there), reading from the socket as needed; `false` if the body
    /// ended without adding any.
    async fn more<const CONTINUE: bool>(&mut self) -> Result<bool, Error> {
        let before = self.body.dec_end - self.body.dec_start;
        // Bounded by the body: each round reads from the socket.
        loop {
            self.compact();
            self.decode()?;
            if self.body.dec_end - self.body.dec_start > before {
                return Ok(true);
            }
            if self.body.done {
                return Ok(false);
            }
            self.read_raw::<CONTINUE>().await?;
        }
    }

    /// Moves the decoded window to offset 0 and the raw bytes right after.
    fn compact(&mut self) {
        let b = &mut self.body;
        let dec = (b.dec_start as usize)..(b.dec_end as usize);
        let dlen = dec.len();
        if dec.start > 0 {
            self.rest.copy_within(dec, 0);
        }
        let raw = (b.raw_start as usize)..(b.raw_end as usize);
        let rlen = raw.len();
        if raw.start > dlen {
            self.rest.copy_within(raw, dlen);
        }
        b.dec_start = 0;
        b.dec_end = dlen as u32;
        b.raw_start = dlen as u32;
        b.raw_end = (dlen + rlen) as u32;
    }

    /// Decodes raw bytes into the decoded window.
    fn decode(&mut self) -> Result<(), Error> {
        let b = &mut self.body;
        match &mut b.mode {
            BodyMode::None => b.done = true,
            BodyMode::Length => {
                let avail = u64::from(b.raw_end - b.raw_start);
                let take = avail.min(b.left) as u32;
                // Raw bytes start right at dec_end after `compact`.
                if b.raw_start != b.dec_end {
                    let r = (b.raw_start as usize)..((b.raw_start + take) as usize);
                    self.rest.copy_within(r, b.dec_end as usize);
                }
                b.dec_end += take;
                b.raw_start += take;
                b.left -= u64::from(take);
                b.total += u64::from(take);
                b.done = b.left == 0;
            }
            BodyMode::Chunked(chunked) => {
                // Bounded by the raw bytes: each step consumes some.
                while b.raw_start < b.raw_end && !chunked.is_done() {
                    let raw = self
                        .rest
                        .get(b.raw_start as usize..b.raw_end as usize)
                        .unwrap_or(&[]);
                    let step = chunked
                        .decode(raw)
                        .map_err(|e| Error::BadBody(BodyError::Chunked(e)))?;
                    let data_len = step.data.len();
                    let consumed = step.consumed;
                    if data_len > 0 {
                        // Data is always the tail of what the step consumed.
                        let from = b.raw_start as usize + consumed - data_len;
                        self.rest
                            .copy_within(from..from + data_len, b.dec_end as usize);
                        b.dec_end += data_len as u32;
                        b.total += data_len as u64;
                    }
                    b.raw_start += consumed as u32;
                    if consumed == 0 {
                        break;
                    }
                }
                if b.total > self.cfg.max_body {
                    return Err(Error::BodyTooLarge);
                }
                b.done = chunked.is_done();
            }
        }
        Ok(())
    }

    /// Reads body bytes into `buf`; `Ok(0)` at the end of the body. The
    /// socket is read only when `buf` wants more: a slow reader slows the
    /// client (TCP flow control), nothing piles up in RAM.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() || !self.fill().await? {
            return Ok(0);
        }
        let b = &mut self.body;
        let n = ((b.dec_end - b.dec_start) as usize).min(buf.len());
        let src = self
            .rest
            .get(b.dec_start as usize..b.dec_start as usize + n)
            .unwrap_or(&[]);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(src);
        }
        b.dec_start += n as u32;
        Ok(n)
    }

    /// Reads the whole body into `buf`; [`Error::BodyTooLarge`] if it does
    /// not fit.
    pub async fn read_to_end(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut n = 0;
        loop {
            let Some(space) = buf.get_mut(n..) else {
                return Err(Error::BodyTooLarge);
            };
            if space.is_empty() {
                let mut probe = [0u8; 1];
                return match self.read(&mut probe).await? {
                    0 => Ok(n),
                    _ => Err(Error::BodyTooLarge),
                };
            }
            match self.read(space).await? {
                0 => return Ok(n),
                k => n += k,
            }
        }
    }

    /// Reads an `application/x-www-form-urlencoded` body into `buf` and
    /// decodes it.
    pub async fn read_form<'b>(&mut self, buf: &'b mut [u8]) -> Result<Pairs<'b>, Error> {
        let ct = self.req.header("content-type").unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim_ascii();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(Error::BadBody(BodyError::ContentType));
        }
        let n = self.read_to_end(buf).await?;
        let data = buf.get_mut(..n).unwrap_or(&mut []);
        let m = form::decode_form_in_place(data).map_err(|_| Error::BadBody(BodyError::Form))?;
        Ok(Pairs::new(data.get(..m).unwrap_or(&[])))
    }

    /// Streams a `multipart/form-data` body to `sink`. The socket is read
    /// only after the sink has taken the previous piece, so a slow sink
    /// slows the upload instead of buffering it.
    pub async fn read_multipart<K: PartSink>(&mut self, sink: &mut K) -> Result<(), Error> {
        let ct = self.req.header("content-type").unwrap_or("");
        let boundary = multipart::boundary_from_content_type(ct)
            .ok_or(Error::BadBody(BodyError::ContentType))?;
        let mut mp =
            Multipart::new(boundary).map_err(|e| Error::BadBody(BodyError::Multipart(e)))?;
        let bad = |e| Error::BadBody(BodyError::Multipart(e));
        // Bounded by the body: every round consumes bytes or reads more.
        loop {
            let (start, end) = (self.body.dec_start as usize, self.body.dec_end as usize);
            let window = self.rest.get(start..end).unwrap_or(&[]);
            let (used, ev) = mp.next(window).map_err(bad)?;
            let need_more = match ev {
                Event::Part(h) => {
                    sink.part(&h).await?;
                    false
                }
                Event::Data(d) => {
                    sink.data(d).await?;
                    false
                }
                Event::PartEnd => {
                    sink.end_part().await?;
                    false
                }
                Event::End => {
                    self.body.dec_start = self.body.dec_end;
                    // Discard the epilogue.
                    while self.fill().await? {
                        self.body.dec_start = self.body.dec_end;
                    }
                    return Ok(());
                }
                Event::NeedMore => true,
            };
            self.body.dec_start += used as u32;
            if need_more {
                // Keep the undecided bytes; make room and read more.
                let pending = self.body.dec_end - self.body.dec_start;
                self.compact();
                if pending as usize >= self.rest.len() {
                    return Err(bad(MultipartError::BadPartHeader));
                }
                if !self.more::<true>().await? {
                    return Err(bad(mp.finish().err().unwrap_or(MultipartError::Truncated)));
                }
            }
        }
    }

    /// Reads and discards the rest of the body, up to `max`; `false` if
    /// more remains (the connection must then close).
    pub(crate) fn drain(&mut self, max: u64) -> impl Future<Output = bool> {
        async move {
            let mut seen = 0u64;
            loop {
                self.body.dec_start = self.body.dec_end;
                if self.body.done {
                    return true;
                }
                if seen > max {
                    return false;
                }
                let before = self.body.total;
                // The window was just emptied: `fill` would go to `more`.
                // No `100 Continue`: the connection drains only after a
                // response, and not when the client still waits for one.
                match self.more::<false>().await {
                    Ok(true) => seen += self.body.total - before,
                    Ok(false) => return true,
                    Err(_) => return false,
                }
            }
        }
    }

    // ---- responses -------------------------------------------------------

    fn head_only(&self) -> bool {
        self.req.method() == Method::Head
    }

    /// Starts a response head in the transmit buffer with `Date`.
    pub(crate) fn head_writer(&mut self, status: StatusCode) -> HeadWriter<'_> {
        let mut date = [0u8; 29];
        let has_date = self
            .date()
            .map(|t| crate::date::format_imf(t, &mut date))
            .is_some();
        let mut w = HeadWriter::new(self.tx, status);
        if has_date {
            w.header("Date", core::str::from_utf8(&date).unwrap_or(""));
        }
        w
    }

    /// Adds the `Connection` header this exchange needs.
    fn connection_header(w: &mut HeadWriter<'_>, keep_alive: bool, minor: u8) {
        if !keep_alive {
            w.header("Connection", "close");
        } else if minor == 0 {
            w.header("Connection", "keep-alive");
        }
    }

    fn begin(&mut self, status: StatusCode) {
        self.flags.responded = true;
        self.flags.status = status.0;
        // A body the client was told to hold back (100-continue) will not
        // come: the connection cannot be reused safely.
        if self.req.head().expect_continue && !self.flags.continue_sent && !self.body.done {
            self.flags.keep_alive = false;
        }
    }

    /// Builds a whole head in the transmit buffer (status line, `Date`,
    /// `Content-Type` unless empty, `Content-Length: len` unless the status
    /// has no body, the lines `extra` adds, `Connection`); returns its
    /// length.
    fn head(
        &mut self,
        status: StatusCode,
        content_type: &str,
        len: usize,
        extra: impl FnOnce(&mut HeadWriter<'_>),
    ) -> Result<usize, Error> {
        self.begin(status);
        let (keep, minor) = (self.flags.keep_alive, self.req.head().minor_version);
        let mut w = self.head_writer(status);
        if !content_type.is_empty() {
            w.header("Content-Type", content_type);
        }
        if !status.bodyless() {
            w.header_with("Content-Length", |c| c.decimal(len as u64));
        }
        extra(&mut w);
        Self::connection_header(&mut w, keep, minor);
        Ok(w.finish()?)
    }

    /// Responds with a complete body and extra header lines (each
    /// `Name: value\r\n`). HEAD gets the same head without the body.
    ///
    /// The head is built in the transmit buffer when this is called; the
    /// returned future sends it (await it at once).
    pub fn respond_with<'s>(
        &'s mut self,
        status: StatusCode,
        content_type: &str,
        extra: &[u8],
        body: &'s [u8],
    ) -> impl Future<Output = Result<(), Error>> + 's {
        self.respond_fn(
            status,
            content_type,
            |w| {
                w.raw(extra);
            },
            body,
        )
    }

    /// [`respond_with`](Self::respond_with) with header lines written by
    /// `extra` straight into the head.
    pub(crate) fn respond_fn<'s>(
        &'s mut self,
        status: StatusCode,
        content_type: &str,
        extra: impl FnOnce(&mut HeadWriter<'_>),
        body: &'s [u8],
    ) -> impl Future<Output = Result<(), Error>> + 's {
        let (n, body) = self.prepare_fn(status, content_type, extra, body);
        self.send(n, body)
    }

    /// What [`respond_fn`](Self::respond_fn) sends: the head built in the
    /// transmit buffer (its length, `None` if it did not fit) and the body
    /// to follow it (none for HEAD and bodyless statuses).
    pub(crate) fn prepare_fn<'s>(
        &mut self,
        status: StatusCode,
        content_type: &str,
        extra: impl FnOnce(&mut HeadWriter<'_>),
        body: &'s [u8],
    ) -> (Option<usize>, &'s [u8]) {
        let n = self.head(status, content_type, body.len(), extra).ok();
        let send_body = !self.head_only() && !status.bodyless();
        (n, if send_body { body } else { &[] })
    }

    /// Sends the head in `tx[..n]` (`None`: it did not fit, an
    /// [`Error::Overflow`]) and `body`: the head and as much of the body as
    /// fits go out in one write (no small head segment for Nagle to hold
    /// back), the rest straight from `body`. The one `async fn` under every
    /// `respond*`.
    pub(crate) fn send(
        &mut self,
        n: Option<usize>,
        body: &[u8],
    ) -> impl Future<Output = Result<(), Error>> {
        async move {
            let n = n.ok_or(Error::Overflow)?;
            let room = self.tx.len().saturating_sub(n).min(body.len());
            let (first, rest) = body.split_at(room);
            if let Some(dst) = self.tx.get_mut(n..n + room) {
                dst.copy_from_slice(first);
            }
            self.write_tx(n + room).await?;
            if !rest.is_empty() {
                self.write_all(rest).await?;
            }
            Ok(())
        }
    }

    /// Responds with a complete body; see [`respond_with`](Self::respond_with).
    pub fn respond<'s>(
        &'s mut self,
        status: StatusCode,
        content_type: &str,
        body: &'s [u8],
    ) -> impl Future<Output = Result<(), Error>> + 's {
        self.respond_with(status, content_type, b"", body)
    }

    /// Responds with JSON written by `write` into the free part of the
    /// transmit buffer (e.g. `|b| serde_json_core::to_slice(&v, b).ok()`),
    /// with `Cache-Control: no-store`. `None` from `write` is a 500.
    pub async fn respond_json(
        &mut self,
        status: StatusCode,
        write: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<(), Error> {
        // The JSON is built at the end of the buffer, the head in front.
        const HEAD_ROOM: usize = 256;
        let len = self.tx.len();
        let Some(space) = self.tx.get_mut(HEAD_ROOM.min(len)..) else {
            return Err(Error::Overflow);
        };
        let Some(n) = write(space) else {
            return self.respond_error(StatusCode::INTERNAL_SERVER_ERROR).await;
        };
        self.begin(status);
        let (keep, minor) = (self.flags.keep_alive, self.req.head().minor_version);
        let mut hdr = [0u8; HEAD_ROOM];
        let mut w = HeadWriter::new(&mut hdr, status);
        if let Some(t) = self.date() {
            let mut d = [0u8; 29];
            crate::date::format_imf(t, &mut d);
            w.header("Date", core::str::from_utf8(&d).unwrap_or(""));
        }
        w.header("Content-Type", "application/json");
        w.header("Cache-Control", "no-store");
        w.header_with("Content-Length", |c| c.decimal(n as u64));
        Self::connection_header(&mut w, keep, minor);
        let h = w.finish()?;
        // Put the head right before the JSON and send both at once.
        let start = HEAD_ROOM.min(len) - h;
        if let (Some(dst), Some(src)) = (self.tx.get_mut(start..start + h), hdr.get(..h)) {
            dst.copy_from_slice(src);
        }
        let end = if self.head_only() {
            HEAD_ROOM
        } else {
            HEAD_ROOM + n
        };
        let data = self.tx.get(start..end).unwrap_or(&[]);
        timed(
            self.clock,
            self.cfg.idle_timeout,
            self.stream.write_all(data),
        )
        .await
    }

    /// Responds with the standard small error body for `status`; like
    /// [`respond_with`](Self::respond_with), the response is built when this
    /// is called.
    pub fn respond_error(
        &mut self,
        status: StatusCode,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        self.respond_error_fn(status, |_| {})
    }

    /// Responds with an error body and extra header lines (`Allow`,
    /// `WWW-Authenticate`…).
    pub fn respond_error_with<'s>(
        &'s mut self,
        status: StatusCode,
        extra: &[u8],
    ) -> impl Future<Output = Result<(), Error>> + 's {
        self.respond_error_fn(status, |w| {
            w.raw(extra);
        })
    }

    /// The standard error response with header lines written by `extra`:
    /// head and body (`<code> <reason>\n`) are built in the transmit buffer
    /// and leave in one write, so the connection's future holds no copy.
    pub(crate) fn respond_error_fn(
        &mut self,
        status: StatusCode,
        extra: impl FnOnce(&mut HeadWriter<'_>),
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        let n = self.prepare_error_fn(status, extra);
        self.send(n, &[])
    }

    /// What [`respond_error_fn`](Self::respond_error_fn) sends: head and
    /// body built in the transmit buffer, their length (`None` if they did
    /// not fit).
    pub(crate) fn prepare_error_fn(
        &mut self,
        status: StatusCode,
        extra: impl FnOnce(&mut HeadWriter<'_>),
    ) -> Option<usize> {
        let mut body = [0u8; 48];
        let len = response::status_body(status, &mut body);
        let head_only = self.head_only();
        self.head(status, "text/plain; charset=utf-8", len, extra)
            .ok()
            .and_then(|n| {
                let mut c = response::Cursor::new(self.tx.get_mut(n..).unwrap_or(&mut []));
                if !head_only {
                    c.put(body.get(..len).unwrap_or(&[]));
                }
                c.finish().ok().map(|b| n + b)
            })
    }

    /// Starts a chunked response (HTTP/1.1) or a close-delimited one
    /// (HTTP/1.0); write the body through the returned writer and call
    /// [`ChunkedWriter::finish`].
    pub async fn chunked(
        &mut self,
        status: StatusCode,
        content_type: &str,
        extra: &[u8],
    ) -> Result<ChunkedWriter<'_, 'a, S, C>, Error> {
        self.body_writer(status, content_type, extra, None)
    }

    /// Starts a response of `len` body bytes (`Content-Length`) to be
    /// written in pieces through the returned writer, for bodies too large
    /// for memory (a generated download, a file read in blocks). The
    /// connection stays reusable. Writing more than `len` bytes is an
    /// error; [`ChunkedWriter::finish`] before `len` bytes is an error that
    /// closes the connection (the client sees a short body).
    pub async fn sized(
        &mut self,
        status: StatusCode,
        content_type: &str,
        extra: &[u8],
        len: u64,
    ) -> Result<ChunkedWriter<'_, 'a, S, C>, Error> {
        self.body_writer(status, content_type, extra, Some(len))
    }

    /// The head of a body sent in pieces, left in the buffer for the first
    /// of them: `Content-Length: len`, or without a length chunked
    /// (HTTP/1.1) or close-delimited (HTTP/1.0).
    pub(crate) fn body_writer(
        &mut self,
        status: StatusCode,
        content_type: &str,
        extra: &[u8],
        len: Option<u64>,
    ) -> Result<ChunkedWriter<'_, 'a, S, C>, Error> {
        self.begin(status);
        let minor = self.req.head().minor_version;
        let chunked = len.is_none() && minor >= 1;
        if len.is_none() && minor == 0 {
            self.flags.keep_alive = false;
        }
        let keep = self.flags.keep_alive;
        let mut w = self.head_writer(status);
        w.header("Content-Type", content_type);
        match len {
            Some(len) => {
                w.header_with("Content-Length", |c| c.decimal(len));
            }
            None if chunked => {
                w.header("Transfer-Encoding", "chunked");
            }
            None => {}
        }
        w.raw(extra);
        Self::connection_header(&mut w, keep, minor);
        let n = w.finish()?;
        let head_only = self.head_only();
        Ok(ChunkedWriter {
            ex: self,
            chunked,
            head_only,
            pos: n,
            left: len,
        })
    }

    /// Starts a Server-Sent Events stream (`text/event-stream`).
    pub async fn sse(&mut self) -> Result<SseStream<'_, 'a, S, C>, Error> {
        let w = self.body_writer(
            StatusCode::OK,
            "text/event-stream",
            b"Cache-Control: no-store\r\n",
            None,
        )?;
        Ok(SseStream { w })
    }
}

/// A response body sent in pieces: chunked or close-delimited (see
/// [`Exchange::chunked`]), or of a length announced up front (see
/// [`Exchange::sized`]).
///
/// Chunks are gathered in the transmit buffer and sent when it is full, on
/// [`flush`](ChunkedWriter::flush) and on [`finish`](ChunkedWriter::finish),
/// so a page of many small pieces leaves in few segments.
pub struct ChunkedWriter<'e, 'a, S, C> {
    pub(crate) ex: &'e mut Exchange<'a, S, C>,
    chunked: bool,
    head_only: bool,
    /// Bytes waiting in `ex.tx`.
    pos: usize,
    /// Body bytes still owed by a [`Exchange::sized`] response.
    left: Option<u64>,
}

/// Runs a stream operation under `d` (the idle timeout), its outcome as an
/// httpd [`Error`]: the future is the stream's own and the deadline, no
/// `async fn` layer around them.
fn timed<C: Clock, T>(
    clock: &C,
    d: Duration,
    op: impl Future<Output = Result<T, petrel_altcp::Error>>,
) -> impl Future<Output = Result<T, Error>> {
    map(with_timeout(clock, d, op), |r| match r {
        Ok(r) => r.map_err(Error::Io),
        Err(Elapsed) => Err(Error::TimedOut),
    })
}

/// Writing past a sized response's `Content-Length`.
const TOO_LONG: Error = Error::Handler("body longer than its Content-Length");

/// Chunk-size line of a chunk built in place: 8 hex digits and CRLF.
const SIZE_LINE: usize = 10;

impl<S: Stream, C: Clock> ChunkedWriter<'_, '_, S, C> {
    /// Sends what is buffered.
    pub fn flush(&mut self) -> impl Future<Output = Result<(), Error>> + '_ {
        // Nothing buffered is a write of nothing, done at the first poll.
        let n = core::mem::take(&mut self.pos);
        self.ex.write_tx(n)
    }

    /// Appends `data` as one chunk (empty data adds nothing).
    pub fn write(&mut self, data: &[u8]) -> impl Future<Output = Result<(), Error>> {
        async move {
            if data.is_empty() || self.head_only {
                return Ok(());
            }
            let mut too_long = false;
            if let Some(left) = self.left {
                match left.checked_sub(data.len() as u64) {
                    Some(left) => self.left = Some(left),
                    None => {
                        // What was promised still goes out; the connection closes.
                        self.ex.flags.keep_alive = false;
                        too_long = true;
                    }
                }
            }
            let frame = if self.chunked { SIZE_LINE + 2 } else { 0 };
            let cap = self.ex.tx.len();
            // Larger than the buffer: straight from the caller's memory,
            // after its chunk-size line (built in the buffer, empty then).
            let direct = data.len() + frame > cap;
            // What goes out, in order, through one await: the buffered
            // chunks when there is no room (0), then for a direct write the
            // chunk-size line (1), the data (2) and its CRLF (3).
            let mut step = if too_long || self.pos + data.len() + frame > cap {
                0
            } else {
                1
            };
            loop {
                if step == 1 {
                    if too_long {
                        return Err(TOO_LONG);
                    }
                    if !direct {
                        self.append(data);
                        return Ok(());
                    }
                    if !self.chunked {
                        step = 2;
                    }
                }
                let (n, part): (usize, &[u8]) = match step {
                    0 => (core::mem::take(&mut self.pos), &[]),
                    1 => (response::chunk_header(data.len(), self.ex.tx)?, &[]),
                    2 => (0, data),
                    3 if self.chunked => (0, b"\r\n"),
                    _ => return Ok(()),
                };
                self.ex.write_part(n, part).await?;
                step += 1;
            }
        }
    }

    /// Copies a chunk that fits into the buffer at `pos`.
    fn append(&mut self, data: &[u8]) {
        let mut c = response::Cursor::new(self.ex.tx.get_mut(self.pos..).unwrap_or(&mut []));
        if self.chunked {
            c.hex(data.len() as u64, 8);
            c.put(b"\r\n");
            c.put(data);
            c.put(b"\r\n");
        } else {
            c.put(data);
        }
        self.pos += c.len();
    }

    /// Builds a chunk in place: `build` writes into the free buffer space
    /// and returns the length (an [`Overflow`](crate::response::Overflow)
    /// with an empty buffer is an error). After an `Overflow` with chunks
    /// waiting, they are sent and `build` is called again with the whole
    /// buffer.
    pub fn write_with(
        &mut self,
        mut build: impl FnMut(&mut [u8]) -> Result<usize, crate::response::Overflow>,
    ) -> impl Future<Output = Result<(), Error>> {
        async move {
            if self.head_only || self.build_chunk(&mut build, true)? {
                return Ok(());
            }
            self.flush().await?;
            self.build_chunk(&mut build, false).map(|_| ())
        }
    }

    /// One attempt of [`write_with`](Self::write_with): `Ok(false)` when
    /// `build` overflowed, `may_retry` and chunks are waiting to be sent.
    fn build_chunk(
        &mut self,
        build: &mut dyn FnMut(&mut [u8]) -> Result<usize, crate::response::Overflow>,
        may_retry: bool,
    ) -> Result<bool, Error> {
        let (pre, post) = if self.chunked { (SIZE_LINE, 2) } else { (0, 0) };
        let len = self.ex.tx.len();
        let start = (self.pos + pre).min(len);
        let mut end = len.saturating_sub(post).max(start);
        if let Some(left) = self.left {
            // A sized body: never more than is still owed.
            end = end.min(start.saturating_add(usize::try_from(left).unwrap_or(usize::MAX)));
        }
        match build(self.ex.tx.get_mut(start..end).unwrap_or(&mut [])) {
            Ok(0) => Ok(true),
            Ok(n) => {
                if let Some(left) = &mut self.left {
                    *left = left.checked_sub(n as u64).ok_or(TOO_LONG)?;
                }
                if self.chunked {
                    let mut c =
                        response::Cursor::new(self.ex.tx.get_mut(self.pos..).unwrap_or(&mut []));
                    c.hex(n as u64, 8);
                    c.put(b"\r\n");
                    if let Some(t) = self.ex.tx.get_mut(start + n..start + n + 2) {
                        t.copy_from_slice(b"\r\n");
                    }
                }
                self.pos = start + n + post;
                Ok(true)
            }
            Err(_) if may_retry && self.pos > 0 => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The request was HEAD: writes are dropped (`write_with` does not
    /// call its builder).
    pub(crate) fn head_only(&self) -> bool {
        self.head_only
    }

    /// Bytes a [`Exchange::sized`] body still owes (`None` for chunked and
    /// close-delimited bodies).
    pub fn remaining(&self) -> Option<u64> {
        self.left
    }

    /// Ends the body (the last chunk) and sends everything buffered.
    pub fn finish(mut self) -> impl Future<Output = Result<(), Error>> {
        async move {
            // A sized body cut short: the client waits for bytes that will
            // not come, so what was written goes out and the connection closes.
            let short = self.left.is_some_and(|l| l > 0) && !self.head_only;
            if short {
                self.ex.flags.keep_alive = false;
            }
            // The last chunk is still to be added (after a flush when it does
            // not fit); one flush await serves both rounds.
            let mut last = self.chunked && !self.head_only && !short;
            loop {
                if last
                    && (self.pos == 0 || self.pos + response::LAST_CHUNK.len() <= self.ex.tx.len())
                {
                    let mut c =
                        response::Cursor::new(self.ex.tx.get_mut(self.pos..).unwrap_or(&mut []));
                    c.put(response::LAST_CHUNK);
                    self.pos += c.len();
                    last = false;
                }
                self.flush().await?;
                if !last {
                    break;
                }
            }
            if short {
                return Err(Error::Handler("body shorter than its Content-Length"));
            }
            Ok(())
        }
    }
}

/// A Server-Sent Events stream; see [`Exchange::sse`].
pub struct SseStream<'e, 'a, S, C> {
    w: ChunkedWriter<'e, 'a, S, C>,
}

impl<S: Stream, C: Clock> SseStream<'_, '_, S, C> {
    /// Sends one event (`event:` line when `event` is given, `data:` lines).
    /// Fails when the client has gone.
    pub fn send(
        &mut self,
        event: Option<&str>,
        data: &str,
    ) -> impl Future<Output = Result<(), Error>> {
        async move {
            self.w
                .write_with(|buf| crate::sse::write_event(buf, event, data))
                .await?;
            self.w.flush().await
        }
    }

    /// Sends one event whose data `build` writes straight into the
    /// connection's transmit buffer (see [`crate::sse::write_event_with`]:
    /// one line of data). `build` may be called twice, the second time
    /// with more room. Fails when the client has gone.
    ///
    /// ```no_run
    /// # use core::fmt::Write;
    /// # use petrel_altcp::Stream;
    /// # use petrel_httpd::driver::{Error, Exchange};
    /// # use petrel_httpd::response::Cursor;
    /// # use petrel_netcore::{time::Duration, timer::Clock};
    /// async fn uptime<S: Stream, C: Clock>(ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
    ///     let mut sse = ex.sse().await?;
    ///     loop {
    ///         let secs = sse.clock().now().as_secs();
    ///         sse.send_with(Some("uptime"), |b| {
    ///             let mut c = Cursor::new(b);
    ///             let _ = write!(c, "{secs}");
    ///             c.finish()
    ///         })
    ///         .await?;
    ///         sse.wait(Duration::from_secs(1)).await?;
    ///     }
    /// }
    /// ```
    pub fn send_with(
        &mut self,
        event: Option<&str>,
        mut build: impl FnMut(&mut [u8]) -> Result<usize, crate::response::Overflow>,
    ) -> impl Future<Output = Result<(), Error>> {
        async move {
            let mut f = |buf: &mut [u8]| crate::sse::write_event_with(buf, event, &mut build);
            let mut may_retry = true;
            loop {
                // Done unless `build` overflowed with chunks waiting: they
                // are sent, then `build` gets the whole buffer.
                let built = self.w.head_only || self.w.build_chunk(&mut f, may_retry)?;
                self.w.flush().await?;
                if built {
                    return Ok(());
                }
                may_retry = false;
            }
        }
    }

    /// Sends a comment that keeps the stream alive through idle proxies.
    pub fn keepalive(&mut self) -> impl Future<Output = Result<(), Error>> {
        async move {
            self.w.write(crate::sse::KEEPALIVE_COMMENT).await?;
            self.w.flush().await
        }
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        self.w.ex.clock
    }

    /// Waits `d` between events, watching the connection meanwhile: fails
    /// with [`Error::Closed`] as soon as the client closes its side (or
    /// [`Error::Io`] if it resets), so a stream whose client has gone frees
    /// its connection slot at once instead of at the next failed write.
    /// Bytes the client sends on the stream are read and ignored.
    ///
    /// ```no_run
    /// # use petrel_altcp::Stream;
    /// # use petrel_httpd::driver::{Error, Exchange};
    /// # use petrel_netcore::{time::Duration, timer::Clock};
    /// async fn ticks<S: Stream, C: Clock>(ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
    ///     let mut sse = ex.sse().await?;
    ///     loop {
    ///         sse.send(Some("tick"), "{}").await?;
    ///         sse.wait(Duration::from_secs(1)).await?;
    ///     }
    /// }
    /// ```
    pub fn wait(&mut self, d: Duration) -> impl Future<Output = Result<(), Error>> {
        async move {
            let ex = &mut *self.w.ex;
            let deadline = ex.clock.now() + d;
            let mut scratch = [0u8; 16];
            loop {
                // `read` is cancel-safe: losing the race to the deadline loses no bytes.
                match with_deadline(ex.clock, deadline, ex.stream.read(&mut scratch)).await {
                    Err(_) => return Ok(()),
                    Ok(Ok(0)) => return Err(Error::Closed),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Err(Error::Io(e)),
                }
            }
        }
    }

    /// Ends the stream.
    pub fn finish(self) -> impl Future<Output = Result<(), Error>> {
        async move { self.w.finish().await }
    }
}

/// Where multipart parts go; see [`Exchange::read_multipart`]. Each method
/// is awaited before the next bytes are read from the client.
pub trait PartSink {
    /// A part starts.
    async fn part(&mut self, headers: &PartHeaders<'_>) -> Result<(), Error>;
    /// Body bytes of the current part.
    async fn data(&mut self, data: &[u8]) -> Result<(), Error>;
    /// The current part ended.
    async fn end_part(&mut self) -> Result<(), Error>;
}
