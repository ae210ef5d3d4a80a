//! iPerf 2 over UDP (2.1 format): the server's per-client sessions with loss,
//! out-of-order and jitter accounting, and the paced client.
//!
//! # Call order
//!
//! Server ([`UdpServer`]): for every datagram on the server port call
//! `handle_datagram(now, from, bytes)`; then send everything `poll_transmit`
//! gives (a server report to `from` for each FIN datagram); drain
//! `poll_event`; call `handle_timeout` at `poll_timeout` (it forgets finished
//! sessions).
//!
//! Client ([`UdpClient`]): at `poll_timeout` (the next datagram's send time)
//! call `poll_transmit(now, buf)` until `None` and send each datagram; feed
//! replies to `handle_datagram`; drain `poll_event`.

use petrel_netcore::time::{Duration, Instant};

use crate::wire::{
    Amount, ClientHeader, HEADER_EXTEND, HEADER_LEN_BIT, HEADER_SEQNO64B, ReverseMode,
    ServerReport, UDP_HEADER_LEN, UdpHeader,
};

/// One client's UDP test, as the server sees it.
#[derive(Debug, Clone, Default)]
pub struct UdpSession {
    start: Option<Instant>,
    last_rx: Instant,
    bytes: u64,
    max_seq: u64,
    lost: u64,
    out_of_order: u64,
    jitter16: u64,
    prev_transit: Option<i64>,
    fin_at: Option<Instant>,
    /// FIN datagram (id, tv) to answer, one report per FIN.
    owed: Option<UdpHeader>,
}

impl UdpSession {
    /// Accounts one datagram; returns true when it was a FIN.
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) -> bool {
        let Some(h) = UdpHeader::parse(bytes) else {
            return false;
        };
        let fin = h.id < 0;
        if fin {
            self.owed = Some(h);
            if self.fin_at.is_some() {
                // A retried FIN: answer again, count nothing.
                return true;
            }
            self.fin_at = Some(now);
        } else if self.fin_at.is_some() {
            // A new test from the same address and port.
            *self = UdpSession::default();
        }
        if self.start.is_none() {
            self.start = Some(now);
        }
        self.last_rx = now;
        self.bytes = self.bytes.saturating_add(bytes.len() as u64);
        let seq = h.id.unsigned_abs();
        let next = self.max_seq.saturating_add(1);
        if seq >= next {
            self.lost = self.lost.saturating_add(seq - next);
            self.max_seq = seq;
        } else {
            // It was counted as lost when the gap was seen.
            self.out_of_order = self.out_of_order.saturating_add(1);
            self.lost = self.lost.saturating_sub(1);
        }
        // RFC 1889 jitter: J += (|D| - J) / 16, kept as 16 * J in µs.
        let transit = (now.as_micros() as i64).wrapping_sub(h.sent_micros() as i64);
        if let Some(prev) = self.prev_transit {
            let d = transit.wrapping_sub(prev).unsigned_abs();
            self.jitter16 = self
                .jitter16
                .saturating_add(d)
                .saturating_sub(self.jitter16 / 16);
        }
        self.prev_transit = Some(transit);
        fin
    }

    /// The report so far.
    pub fn report(&self) -> ServerReport {
        ServerReport {
            total_len: self.bytes,
            stop_micros: self.start.map_or(0, |s| (self.last_rx - s).as_micros()),
            errors: self.lost,
            out_of_order: self.out_of_order,
            datagrams: self.max_seq,
            jitter_micros: self.jitter16 / 16,
        }
    }

    /// Writes a report datagram (the FIN's header echoed, then the report)
    /// for each FIN received since the last call.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        let h = self.owed.take()?;
        let n = h.emit(buf)?;
        let m = self.report().emit(buf.get_mut(n..)?)?;
        Some(n + m)
    }
}

/// What the UDP server reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UdpEvent {
    /// A new client started a test.
    Started,
    /// A client's test ended (its first FIN arrived).
    Finished(ServerReport),
}

/// Sessions keyed by the peer's address `A`, at most `N` at once.
#[derive(Debug)]
pub struct UdpServer<A, const N: usize> {
    sessions: heapless::Vec<(A, UdpSession), N>,
    events: heapless::Deque<(A, UdpEvent), 8>,
    /// How long a finished session is kept to answer FIN retries. Default 10 s.
    pub linger: Duration,
}

impl<A: Copy + Eq, const N: usize> Default for UdpServer<A, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: Copy + Eq, const N: usize> UdpServer<A, N> {
    /// An empty server.
    pub fn new() -> Self {
        UdpServer {
            sessions: heapless::Vec::new(),
            events: heapless::Deque::new(),
            linger: Duration::from_secs(10),
        }
    }

    fn push(&mut self, e: (A, UdpEvent)) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    /// The session of `from`, if any.
    pub fn session(&self, from: A) -> Option<&UdpSession> {
        self.sessions
            .iter()
            .find(|(a, _)| *a == from)
            .map(|(_, s)| s)
    }

    /// Feeds one datagram from `from`. A new peer when the table is full
    /// replaces a finished session, or is ignored.
    pub fn handle_datagram(&mut self, now: Instant, from: A, bytes: &[u8]) {
        if UdpHeader::parse(bytes).is_none() {
            return;
        }
        let idx = match self.sessions.iter().position(|(a, _)| *a == from) {
            Some(i) => i,
            None => {
                if self.sessions.is_full() {
                    match self.sessions.iter().position(|(_, s)| s.fin_at.is_some()) {
                        Some(i) => {
                            self.sessions.swap_remove(i);
                        }
                        None => return,
                    }
                }
                if self.sessions.push((from, UdpSession::default())).is_err() {
                    return;
                }
                self.push((from, UdpEvent::Started));
                self.sessions.len() - 1
            }
        };
        let Some((_, s)) = self.sessions.get_mut(idx) else {
            return;
        };
        let first_fin = s.fin_at.is_none();
        if s.handle_datagram(now, bytes) && first_fin {
            let r = s.report();
            self.push((from, UdpEvent::Finished(r)));
        }
    }

    /// The next report datagram and its destination.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<(A, usize)> {
        self.sessions
            .iter_mut()
            .find_map(|(a, s)| s.poll_transmit(buf).map(|n| (*a, n)))
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<(A, UdpEvent)> {
        self.events.pop_front()
    }

    /// When a finished session is next due to be forgotten.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sessions
            .iter()
            .filter_map(|(_, s)| s.fin_at)
            .min()
            .map(|t| t + self.linger)
    }

    /// Forgets sessions that finished more than `linger` ago.
    pub fn handle_timeout(&mut self, now: Instant) {
        let linger = self.linger;
        self.sessions
            .retain(|(_, s)| s.fin_at.is_none_or(|t| t + linger > now));
    }
}

/// What a [`UdpClient`] sends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UdpClientConfig {
    /// Target rate in bits per second. Default 1 048 576 (iperf's `-b 1M`).
    pub rate_bps: u64,
    /// Datagram size in bytes (at least 16 + 60). Default 1470.
    pub datagram_len: usize,
    /// Duration or byte count. Default 10 s.
    pub amount: Amount,
    /// FIN attempts before giving up on the server report. Default 10.
    pub fin_retries: u8,
    /// Time between FIN attempts. Default 250 ms.
    pub fin_interval: Duration,
}

impl Default for UdpClientConfig {
    fn default() -> Self {
        UdpClientConfig {
            rate_bps: 1 << 20,
            datagram_len: 1470,
            amount: Amount::secs(10),
            fin_retries: 10,
            fin_interval: Duration::from_millis(250),
        }
    }
}

impl UdpClientConfig {
    /// A test of `amount` at `rate_bps`.
    pub fn new(amount: Amount, rate_bps: u64) -> Self {
        UdpClientConfig {
            amount,
            rate_bps,
            ..Self::default()
        }
    }
}

/// What the UDP client reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UdpClientEvent {
    /// The server's report arrived.
    ServerReport(ServerReport),
    /// FIN retries exhausted without a report.
    NoServerReport,
}

/// The client's states, named for what they wait for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum UdpClientState {
    /// Sending datagrams; the next is due at `at`.
    Sending,
    /// FIN sent `tries` times; waiting for the server report.
    ExpectReport {
        tries: u8,
        at: Instant,
    },
    Done,
}

/// A paced UDP sender with 64-bit sequence numbers.
#[derive(Debug)]
pub struct UdpClient {
    config: UdpClientConfig,
    header: ClientHeader,
    start: Instant,
    next_id: i64,
    sent_bytes: u64,
    state: UdpClientState,
    event: Option<UdpClientEvent>,
}

impl UdpClient {
    /// A client starting at `now`, telling the server `listen_port`.
    pub fn new(now: Instant, config: UdpClientConfig, listen_port: u16) -> Self {
        let mut header = ClientHeader::new(config.amount, ReverseMode::None, listen_port);
        // As iperf 2.1.8 sends it for `-u`: extended, 64-bit ids (0x48010098).
        header.flags = HEADER_EXTEND | HEADER_SEQNO64B | HEADER_LEN_BIT | 0x98;
        let mut config = config;
        config.datagram_len = config.datagram_len.max(UDP_HEADER_LEN + header.wire_len());
        config.rate_bps = config.rate_bps.max(1);
        UdpClient {
            config,
            header,
            start: now,
            next_id: 1,
            sent_bytes: 0,
            state: UdpClientState::Sending,
            event: None,
        }
    }

    /// Datagrams sent (FINs excluded).
    pub fn datagrams(&self) -> u64 {
        self.next_id.unsigned_abs().saturating_sub(1)
    }

    /// Bytes sent (FINs excluded).
    pub fn bytes(&self) -> u64 {
        self.sent_bytes
    }

    fn due_at(&self, n: i64) -> Instant {
        // Computed from the count, so pacing never drifts.
        let bits =
            u128::from(n.unsigned_abs().saturating_sub(1)) * (self.config.datagram_len as u128) * 8;
        let us = bits * 1_000_000 / u128::from(self.config.rate_bps);
        self.start + Duration::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }

    fn over(&self, now: Instant) -> bool {
        match self.config.amount {
            Amount::Bytes(b) => self.sent_bytes >= b,
            Amount::Time { centis } => {
                now >= self.start + Duration::from_millis(u64::from(centis) * 10)
            }
        }
    }

    /// When `poll_transmit` has the next datagram.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            UdpClientState::Sending => Some(self.due_at(self.next_id)),
            UdpClientState::ExpectReport { at, .. } => Some(at),
            UdpClientState::Done => None,
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<UdpClientEvent> {
        self.event.take()
    }

    /// Whether the client is finished.
    pub fn is_done(&self) -> bool {
        self.state == UdpClientState::Done
    }

    fn write(&self, now: Instant, id: i64, buf: &mut [u8]) -> Option<usize> {
        let len = self.config.datagram_len;
        let dst = buf.get_mut(..len)?;
        dst.fill(0);
        let us = now.as_micros();
        let h = UdpHeader {
            id,
            tv_sec: (us / 1_000_000) as u32,
            tv_usec: (us % 1_000_000) as u32,
        };
        h.emit(dst)?;
        self.header.emit(dst.get_mut(UDP_HEADER_LEN..)?)?;
        Some(len)
    }

    /// The next datagram if one is due at `now` (a data datagram while
    /// sending, then the FIN, repeated until the report comes).
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        match self.state {
            UdpClientState::Sending => {
                if self.over(now) {
                    self.state = UdpClientState::ExpectReport { tries: 0, at: now };
                    return self.poll_transmit(now, buf);
                }
                if now < self.due_at(self.next_id) {
                    return None;
                }
                let n = self.write(now, self.next_id, buf)?;
                self.next_id = self.next_id.saturating_add(1);
                self.sent_bytes = self.sent_bytes.saturating_add(n as u64);
                Some(n)
            }
            UdpClientState::ExpectReport { tries, at } => {
                if now < at {
                    return None;
                }
                if tries >= self.config.fin_retries {
                    self.state = UdpClientState::Done;
                    self.event = Some(UdpClientEvent::NoServerReport);
                    return None;
                }
                self.state = UdpClientState::ExpectReport {
                    tries: tries + 1,
                    at: now + self.config.fin_interval,
                };
                self.write(now, -self.next_id, buf)
            }
            UdpClientState::Done => None,
        }
    }

    /// Feeds a datagram from the server; a server report ends the test.
    pub fn handle_datagram(&mut self, _now: Instant, bytes: &[u8]) {
        if !matches!(self.state, UdpClientState::ExpectReport { .. }) {
            return;
        }
        let Some(h) = UdpHeader::parse(bytes) else {
            return;
        };
        // iperf 2.1.8 answers the FIN with a zeroed datagram header (our own
        // server echoes the FIN's negative id); a data id is not a report.
        if h.id > 0 {
            return;
        }
        // iperf 2.1.8 also bounces later FINs back unchanged: our own client
        // header where a report would be is not a report.
        let own = self.header.flags.to_be_bytes();
        if bytes.get(UDP_HEADER_LEN..UDP_HEADER_LEN + 4) == Some(&own[..]) {
            return;
        }
        if let Some(r) = bytes.get(UDP_HEADER_LEN..).and_then(ServerReport::parse) {
            self.state = UdpClientState::Done;
            self.event = Some(UdpClientEvent::ServerReport(r));
        }
    }
}
