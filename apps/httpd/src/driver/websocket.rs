//! The WebSocket message API over an upgraded exchange.

use petrel_altcp::Stream;
use petrel_netcore::timer::Clock;

use super::Error;
use super::exchange::{BodyError, Exchange};
use crate::response::StatusCode;
use crate::ws::{self, FrameHeader, Opcode};

/// A received message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Message<'b> {
    /// A text message (validated UTF-8), reassembled from its fragments.
    Text(&'b str),
    /// A binary message, reassembled.
    Binary(&'b [u8]),
    /// The peer closed (with its status code, if any); the close reply has
    /// been sent.
    Close(Option<u16>),
}

/// An open WebSocket; see [`Exchange::websocket`].
pub struct WebSocket<'e, 'a, S, C> {
    ex: &'e mut Exchange<'a, S, C>,
    /// Buffered incoming bytes in `ex.rest[start..end]`.
    start: usize,
    end: usize,
    closed: bool,
}

impl<'a, S: Stream, C: Clock> Exchange<'a, S, C> {
    /// Accepts a WebSocket upgrade (RFC 6455): checks the request, sends
    /// `101 Switching Protocols`. A request that is not a valid upgrade is
    /// answered with 400 and an error is returned.
    pub async fn websocket(&mut self) -> Result<WebSocket<'_, 'a, S, C>, Error> {
        let key = match ws::check_upgrade(&self.req) {
            Ok(k) => k,
            Err(_) => {
                self.respond_error_with(StatusCode::BAD_REQUEST, b"Sec-WebSocket-Version: 13\r\n")
                    .await?;
                return Err(Error::BadBody(BodyError::ContentType));
            }
        };
        let mut accept = [0u8; 28];
        ws::accept_key(key, &mut accept);
        self.flags.responded = true;
        self.flags.status = 101;
        self.flags.keep_alive = false;
        let mut w = self.head_writer(StatusCode::SWITCHING_PROTOCOLS);
        w.header("Upgrade", "websocket");
        w.header("Connection", "Upgrade");
        w.header(
            "Sec-WebSocket-Accept",
            core::str::from_utf8(&accept).unwrap_or(""),
        );
        let n = w.finish()?;
        let head = self.tx.get(..n).unwrap_or(&[]);
        self.stream.write_all(head).await?;
        let (start, end) = (self.body.raw_start as usize, self.body.raw_end as usize);
        Ok(WebSocket {
            ex: self,
            start,
            end,
            closed: false,
        })
    }
}

impl<S: Stream, C: Clock> WebSocket<'_, '_, S, C> {
    /// Makes at least `n` buffered bytes available.
    async fn ensure(&mut self, n: usize) -> Result<(), Error> {
        // Bounded: each round reads at least one byte or fails.
        while self.end - self.start < n {
            if self.start > 0 {
                self.ex.rest.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let Some(space) = self.ex.rest.get_mut(self.end..).filter(|s| !s.is_empty()) else {
                return Err(Error::Overflow);
            };
            match self.ex.stream.read(space).await? {
                0 => return Err(Error::Closed),
                k => self.end += k,
            }
        }
        Ok(())
    }

    async fn send_frame(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), Error> {
        let h = FrameHeader {
            fin: true,
            opcode,
            mask: None,
            len: payload.len() as u64,
        };
        let mut hb = [0u8; 14];
        let n = h.emit(&mut hb);
        let total = n + payload.len();
        if let Some(dst) = self.ex.tx.get_mut(..total) {
            dst[..n].copy_from_slice(&hb[..n]);
            dst[n..].copy_from_slice(payload);
            let data = self.ex.tx.get(..total).unwrap_or(&[]);
            self.ex.stream.write_all(data).await?;
        } else {
            self.ex.stream.write_all(hb.get(..n).unwrap_or(&[])).await?;
            self.ex.stream.write_all(payload).await?;
        }
        Ok(())
    }

    /// Sends a text message.
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send_frame(Opcode::Text, text.as_bytes()).await
    }

    /// Sends a binary message.
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_frame(Opcode::Binary, data).await
    }

    /// Sends a close frame with `code` (1000 = normal).
    pub async fn close(&mut self, code: u16) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.send_frame(Opcode::Close, &code.to_be_bytes()).await
    }

    /// Receives the next message into `buf`, answering pings and closes on
    /// the way. A message larger than `buf` closes with 1009; a protocol
    /// error closes with 1002 (both return an error).
    pub async fn recv<'b>(&mut self, buf: &'b mut [u8]) -> Result<Message<'b>, Error> {
        let mut len = 0usize;
        let mut kind: Option<Opcode> = None;
        // Bounded by the peer's frames; each round consumes a frame.
        loop {
            self.ensure(2).await?;
            let (h, hl) = loop {
                let avail = self.ex.rest.get(self.start..self.end).unwrap_or(&[]);
                match FrameHeader::parse(avail) {
                    Ok(Some(x)) => break x,
                    Ok(None) => {
                        let have = self.end - self.start;
                        self.ensure(have + 1).await?;
                    }
                    Err(_) => return Err(self.fail(1002).await),
                }
            };
            self.start += hl;
            let Some(mask) = h.mask else {
                return Err(self.fail(1002).await);
            };
            if h.opcode.is_control() {
                let n = h.len as usize; // ≤ 125, checked by parse
                self.ensure(n).await?;
                let mut ctl = [0u8; 125];
                let src = self.ex.rest.get(self.start..self.start + n).unwrap_or(&[]);
                let ctl = ctl.get_mut(..n).unwrap_or(&mut []);
                ctl.copy_from_slice(src);
                ws::apply_mask(ctl, mask, 0);
                self.start += n;
                match h.opcode {
                    Opcode::Ping => self.send_frame(Opcode::Pong, ctl).await?,
                    Opcode::Close => {
                        let code = ctl.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                        self.close(code.unwrap_or(1000)).await?;
                        return Ok(Message::Close(code));
                    }
                    _ => {}
                }
                continue;
            }
            match (h.opcode, kind) {
                (Opcode::Continuation, Some(_)) => {}
                (Opcode::Text | Opcode::Binary, None) => kind = Some(h.opcode),
                _ => return Err(self.fail(1002).await),
            }
            if (len as u64).saturating_add(h.len) > buf.len() as u64 {
                return Err(self.fail(1009).await);
            }
            let mut left = h.len as usize;
            let mut off = 0u64;
            while left > 0 {
                self.ensure(1).await?;
                let take = left.min(self.end - self.start);
                let src = self
                    .ex
                    .rest
                    .get(self.start..self.start + take)
                    .unwrap_or(&[]);
                let dst = buf.get_mut(len..len + take).unwrap_or(&mut []);
                dst.copy_from_slice(src);
                ws::apply_mask(dst, mask, off);
                self.start += take;
                len += take;
                off += take as u64;
                left -= take;
            }
            if h.fin {
                let data = buf.get(..len).unwrap_or(&[]);
                return match kind {
                    Some(Opcode::Text) => match core::str::from_utf8(data) {
                        Ok(t) => Ok(Message::Text(t)),
                        Err(_) => Err(self.fail(1007).await),
                    },
                    _ => Ok(Message::Binary(data)),
                };
            }
        }
    }

    /// Closes with `code` after a peer error and returns the error.
    async fn fail(&mut self, code: u16) -> Error {
        let _ = self.close(code).await;
        Error::Handler("WebSocket protocol error")
    }
}
