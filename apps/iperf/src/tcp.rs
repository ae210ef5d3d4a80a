//! iPerf 2 over TCP: the server's per-connection session and the client.
//!
//! # Call order
//!
//! Server ([`TcpServerSession`]): create on accept; feed every received chunk
//! to `handle_data`; call `handle_timeout` at `poll_timeout`; call
//! `handle_close` when the client closes; drain `poll_event` after each call.
//! A [`TcpEvent::Reverse`] asks the driver to connect back to the client and
//! run a [`TcpClient`] with the given amount.
//!
//! Client ([`TcpClient`]): after connecting, loop: `poll_transmit(now, buf)`
//! gives bytes to write; tell the core how many the socket took with
//! `handle_sent`; wait for writability or `poll_timeout`, then
//! `handle_timeout`. When `is_done`, close the socket.

use petrel_netcore::time::{Duration, Instant};

use crate::report::Report;
use crate::wire::{
    Amount, BASE_HEADER_LEN, ClientHeader, EXT_HEADER_LEN, HeaderError, ReverseMode,
};

const HDR_MAX: usize = BASE_HEADER_LEN + EXT_HEADER_LEN;
const EVENTS: usize = 8;

/// What a TCP session reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TcpEvent {
    /// The stream's first bytes were read: the client's header, or the
    /// reason there is none (a headerless client still gets measured).
    Started {
        /// The parsed header.
        header: Result<ClientHeader, HeaderError>,
    },
    /// Connect to the client's `port` and send for `amount` (`-d` at once,
    /// `-r` after this test).
    Reverse {
        /// Simultaneous (`-d`) or afterwards (`-r`).
        mode: ReverseMode,
        /// The client's listening port (`mPort`).
        port: u16,
        /// What to send.
        amount: Amount,
    },
    /// An interval report.
    Interval(Report),
    /// The summary, once the stream ended.
    Finished(Report),
}

/// Interval reporting shared by server and client.
#[derive(Debug, Clone)]
struct Intervals {
    id: u16,
    start: Instant,
    every: Option<Duration>,
    next: Option<Instant>,
    last_at: Instant,
    last_bytes: u64,
}

impl Intervals {
    fn new(id: u16, now: Instant, every: Option<Duration>) -> Self {
        let every = every.filter(|d| *d > Duration::ZERO);
        Intervals {
            id,
            start: now,
            every,
            next: every.map(|d| now + d),
            last_at: now,
            last_bytes: 0,
        }
    }
    /// One due interval report, if any.
    fn due(&mut self, now: Instant, bytes: u64) -> Option<Report> {
        let (every, next) = (self.every?, self.next?);
        if now < next {
            return None;
        }
        let r = Report {
            id: self.id,
            start: self.last_at - self.start,
            end: next - self.start,
            bytes: bytes - self.last_bytes,
        };
        self.last_at = next;
        self.last_bytes = bytes;
        // After a long stall, skip missed intervals instead of looping.
        self.next = Some(if next + every <= now {
            now + every
        } else {
            next + every
        });
        Some(r)
    }
    fn summary(&self, now: Instant, bytes: u64) -> Report {
        Report {
            id: self.id,
            start: Duration::ZERO,
            end: now - self.start,
            bytes,
        }
    }
}

/// The server side of one TCP test connection.
#[derive(Debug)]
pub struct TcpServerSession {
    bytes: u64,
    hdr: heapless::Vec<u8, HDR_MAX>,
    header: Option<ClientHeader>,
    header_done: bool,
    intervals: Intervals,
    events: heapless::Deque<TcpEvent, EVENTS>,
    finished: bool,
}

impl TcpServerSession {
    /// A session accepted at `now`, numbered `id`, reporting every `interval`.
    pub fn new(now: Instant, id: u16, interval: Option<Duration>) -> Self {
        TcpServerSession {
            bytes: 0,
            hdr: heapless::Vec::new(),
            header: None,
            header_done: false,
            intervals: Intervals::new(id, now, interval),
            events: heapless::Deque::new(),
            finished: false,
        }
    }

    fn push(&mut self, e: TcpEvent) {
        // Full queue: the oldest interval line is the least useful.
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    /// Bytes received so far (the header counts, as in iperf).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The client's header, once parsed.
    pub fn header(&self) -> Option<&ClientHeader> {
        self.header.as_ref()
    }

    /// Feeds received stream bytes.
    pub fn handle_data(&mut self, now: Instant, data: &[u8]) {
        if self.finished {
            return;
        }
        self.bytes = self.bytes.saturating_add(data.len() as u64);
        if !self.header_done {
            let room = HDR_MAX - self.hdr.len();
            let _ = self
                .hdr
                .extend_from_slice(data.get(..room.min(data.len())).unwrap_or(&[]));
            self.try_header(false);
        }
        self.handle_timeout(now);
    }

    fn try_header(&mut self, at_end: bool) {
        let Some(flags) = self
            .hdr
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            if at_end {
                self.header_done = true;
                self.push(TcpEvent::Started {
                    header: Err(HeaderError::Truncated),
                });
            }
            return;
        };
        let need = ClientHeader::needed(flags);
        if self.hdr.len() < need && !at_end {
            return;
        }
        self.header_done = true;
        let parsed = ClientHeader::parse(&self.hdr);
        self.push(TcpEvent::Started { header: parsed });
        if let Ok(h) = parsed {
            self.header = Some(h);
            if h.reverse() == ReverseMode::Dual {
                self.push(TcpEvent::Reverse {
                    mode: ReverseMode::Dual,
                    port: h.port,
                    amount: h.amount,
                });
            }
        }
    }

    /// The client closed the stream: the summary (and a `-r` reverse request).
    pub fn handle_close(&mut self, now: Instant) {
        if self.finished {
            return;
        }
        if !self.header_done {
            self.try_header(true);
        }
        self.finished = true;
        let s = self.intervals.summary(now, self.bytes);
        self.push(TcpEvent::Finished(s));
        if let Some(h) = self.header
            && h.reverse() == ReverseMode::Tradeoff
        {
            self.push(TcpEvent::Reverse {
                mode: ReverseMode::Tradeoff,
                port: h.port,
                amount: h.amount,
            });
        }
    }

    /// Emits due interval reports.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.finished {
            return;
        }
        if let Some(r) = self.intervals.due(now, self.bytes) {
            self.push(TcpEvent::Interval(r));
        }
    }

    /// The next interval deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            None
        } else {
            self.intervals.next
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<TcpEvent> {
        self.events.pop_front()
    }

    /// Whether the client closed the stream.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// What a [`TcpClient`] runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpClientConfig {
    /// Duration or byte count. Default 10 s.
    pub amount: Amount,
    /// Ask the server for a reverse test. Default none.
    pub reverse: ReverseMode,
    /// Our listening port for the reverse test (`mPort`). Default 5001.
    pub listen_port: u16,
    /// Interval reports. Default none.
    pub interval: Option<Duration>,
    /// Send the 2.1 header (off for the server's own reverse connection,
    /// where iperf sends none). Default true.
    pub send_header: bool,
}

impl Default for TcpClientConfig {
    fn default() -> Self {
        TcpClientConfig {
            amount: Amount::secs(10),
            reverse: ReverseMode::None,
            listen_port: 5001,
            interval: None,
            send_header: true,
        }
    }
}

impl TcpClientConfig {
    /// A test of `amount`.
    pub fn new(amount: Amount) -> Self {
        TcpClientConfig {
            amount,
            ..Self::default()
        }
    }
    /// With a reverse test request.
    pub fn with_reverse(mut self, mode: ReverseMode, listen_port: u16) -> Self {
        self.reverse = mode;
        self.listen_port = listen_port;
        self
    }
    /// With interval reports.
    pub fn with_interval(mut self, every: Duration) -> Self {
        self.interval = Some(every);
        self
    }
    /// Without the header.
    pub fn without_header(mut self) -> Self {
        self.send_header = false;
        self
    }
}

/// The sending side of a TCP test. The stream's content depends only on its
/// offset (header, then iperf's `0123456789` pattern), so a short write just
/// means the next `poll_transmit` resumes where the socket stopped.
#[derive(Debug)]
pub struct TcpClient {
    config: TcpClientConfig,
    hdr: [u8; HDR_MAX],
    hdr_len: usize,
    sent: u64,
    end: Option<Instant>,
    intervals: Intervals,
    events: heapless::Deque<TcpEvent, EVENTS>,
    done: bool,
}

impl TcpClient {
    /// A client whose connection was established at `now`.
    pub fn new(now: Instant, id: u16, config: TcpClientConfig) -> Self {
        let mut hdr = [0u8; HDR_MAX];
        let hdr_len = if config.send_header {
            ClientHeader::new(config.amount, config.reverse, config.listen_port)
                .emit(&mut hdr)
                .unwrap_or(0)
        } else {
            0
        };
        let end = match config.amount {
            Amount::Time { centis } => Some(now + Duration::from_millis(u64::from(centis) * 10)),
            Amount::Bytes(_) => None,
        };
        TcpClient {
            config,
            hdr,
            hdr_len,
            sent: 0,
            end,
            intervals: Intervals::new(id, now, config.interval),
            events: heapless::Deque::new(),
            done: false,
        }
    }

    /// Bytes sent (accepted by the socket) so far.
    pub fn bytes(&self) -> u64 {
        self.sent
    }

    /// Whether the test is over (close the socket).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Fills `buf` with the next stream bytes; `None` once the test is over.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.check_end(now);
        if self.done {
            return None;
        }
        let mut len = buf.len();
        if let Amount::Bytes(total) = self.config.amount {
            len = len.min(usize::try_from(total.saturating_sub(self.sent)).unwrap_or(usize::MAX));
        }
        let out = buf.get_mut(..len).unwrap_or(&mut []);
        // The header's part first, then the pattern, whole runs at a time.
        let in_hdr = usize::try_from(self.sent)
            .ok()
            .filter(|&s| s < self.hdr_len)
            .map_or(0, |s| (self.hdr_len - s).min(len));
        let (head, body) = out.split_at_mut(in_hdr);
        let from = usize::try_from(self.sent).unwrap_or(0);
        if let Some(src) = self.hdr.get(from..from + in_hdr) {
            head.copy_from_slice(src);
        }
        const DIGITS: &[u8; 20] = b"01234567890123456789";
        let phase = ((self.sent + in_hdr as u64) % 10) as usize;
        let run = DIGITS.get(phase..phase + 10).unwrap_or(b"0123456789");
        for c in body.chunks_mut(10) {
            for (d, s) in c.iter_mut().zip(run) {
                *d = *s;
            }
        }
        (len > 0).then_some(len)
    }

    /// The socket accepted `n` of the bytes from `poll_transmit`.
    pub fn handle_sent(&mut self, now: Instant, n: usize) {
        self.sent = self.sent.saturating_add(n as u64);
        self.handle_timeout(now);
    }

    fn check_end(&mut self, now: Instant) {
        if self.done {
            return;
        }
        let over = match self.config.amount {
            Amount::Bytes(total) => self.sent >= total,
            Amount::Time { .. } => self.end.is_some_and(|e| now >= e),
        };
        if over {
            self.done = true;
            let s = self.intervals.summary(now, self.sent);
            if self.events.is_full() {
                self.events.pop_front();
            }
            let _ = self.events.push_back(TcpEvent::Finished(s));
        }
    }

    /// Interval reports and the end of a timed test.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.done {
            return;
        }
        if let Some(r) = self.intervals.due(now, self.sent) {
            if self.events.is_full() {
                self.events.pop_front();
            }
            let _ = self.events.push_back(TcpEvent::Interval(r));
        }
        self.check_end(now);
    }

    /// The next deadline (interval or end of test).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done {
            return None;
        }
        [self.intervals.next, self.end].into_iter().flatten().min()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<TcpEvent> {
        self.events.pop_front()
    }
}
