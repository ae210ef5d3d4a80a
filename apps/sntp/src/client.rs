//! The SNTP client core: server list, polling, on-wire checks, the clock
//! filter and the [`WallClock`].
//!
//! # Call order
//!
//! 1. [`Client::new`] with a [`Config`] and `now`; give it servers with
//!    [`Client::set_servers`] (configured) and
//!    [`Client::set_dhcp_servers`] (DHCP option 42). The two lists are
//!    merged, configured servers first; updating one never removes the other.
//! 2. Loop:
//!    - [`Client::poll_transmit`] until `None`: each result is one request
//!      to send to [`Transmit::to`] (send it at once: its transmit
//!      timestamp is `now`);
//!    - [`Client::poll_event`] until `None`;
//!    - sleep until [`Client::poll_timeout`] or a datagram arrives, then call
//!      [`Client::handle_timeout`] or [`Client::handle_packet`].
//!
//! # Unicast polling
//!
//! One request is outstanding at a time, sent to the current server. A
//! reply must come from that server's address, be mode 4, and echo our
//! transmit timestamp in its originate field (otherwise it is ignored: a
//! late duplicate or a spoof). Sanity checks then reject a version other
//! than 3 or 4, leap indicator 3 (unsynchronised), a stratum outside 1–15
//! and a zero transmit timestamp; a rejected reply is ignored like a lost
//! one, and the request times out.
//!
//! A silent server's request times out after the retry delay, which starts
//! at [`Config::retry_initial`] and doubles on each timeout up to the poll
//! interval; the next request goes to the next server in turn. A good reply
//! resets the delay. Each server keeps an 8-bit reachability register
//! (shifted left on each request, bit 0 set on a good reply).
//!
//! Kiss-o'-Death (stratum 0): `RATE` doubles that server's poll interval
//! (up to [`MAX_POLL`]) and the client moves on to the next server; `DENY`
//! and `RSTR` drop the server for good (until the list is set again) and
//! the next one is asked at once; other codes are unusable replies.
//!
//! # Filter and offset
//!
//! Offset and delay follow RFC 5905's on-wire protocol:
//! `offset = ((T2 - T1) + (T3 - T4)) / 2`, `delay = (T4 - T1) - (T3 - T2)`.
//! Each server keeps its last [`FILTER_LEN`] samples; the one with the least
//! delay, aged by 15 ppm per second as NTP's dispersion grows, wins (NTP's
//! clock filter). The winner sets the [`WallClock`] (see its slew-or-step
//! policy) and a [`Event::Synced`] is reported.
//!
//! # Broadcast mode
//!
//! With [`Config::broadcast`] the client never sends. It accepts mode-5
//! packets (from any sender, or only from the configured servers' addresses
//! when there are any) and takes `T3 + broadcast_delay` as the time of
//! arrival (RFC 4330 §5: a broadcast client cannot measure the delay).

use core::net::SocketAddr;

use heapless::{Deque, Vec};
use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::Timers;

use crate::clock::{Adjustment, WallClock};
use crate::wire::{KissCode, Leap, Mode, Packet, Repr, Timestamp, WireError};

/// Samples kept per server (NTP's clock filter stage count).
pub const FILTER_LEN: usize = 8;
/// The shortest poll interval accepted (RFC 4330 §10: no less than 15 s).
pub const MIN_POLL: Duration = Duration::from_secs(16);
/// The longest poll interval a `RATE` back-off reaches (NTP's maxpoll 2^17 s).
pub const MAX_POLL: Duration = Duration::from_secs(1 << 17);
/// Events kept until read by default (`Client`'s `E`); the oldest is
/// dropped beyond this.
pub const EVENT_QUEUE: usize = 8;

const POLL: usize = 0;
const RETRY: usize = 1;

/// Client settings.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Time between successful polls (at least [`MIN_POLL`]). Default 1024 s.
    pub poll_interval: Duration,
    /// The first retry delay when a server is silent; doubles up to the poll
    /// interval. Default 2 s.
    pub retry_initial: Duration,
    /// Listen for broadcasts (mode 5) instead of polling. Default off.
    pub broadcast: bool,
    /// Broadcast mode: the assumed one-way delay added to the server's
    /// transmit time. Default 0.
    pub broadcast_delay: Duration,
    /// Corrections larger than this step the clock, smaller ones slew.
    /// Default 128 ms.
    pub step_threshold: Duration,
    /// Seed for the random low bits of our transmit timestamps (makes
    /// replies harder to spoof). Any value; give a different one per boot.
    pub random_seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            poll_interval: Duration::from_secs(1024),
            retry_initial: Duration::from_secs(2),
            broadcast: false,
            broadcast_delay: Duration::ZERO,
            step_threshold: crate::clock::DEFAULT_STEP_THRESHOLD,
            random_seed: 0x5eed,
        }
    }
}

/// Where a server came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The board's configuration.
    Configured,
    /// DHCP option 42.
    Dhcp,
    /// Heard broadcasting (broadcast mode with no configured servers).
    Broadcast,
}

/// One accepted measurement.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Sample {
    /// Our monotonic time of arrival (T4).
    at: Instant,
    /// The server's Unix time at `at`, microseconds.
    unix: i64,
    /// Round-trip delay, microseconds.
    delay: u64,
    stratum: u8,
    leap: Leap,
}

/// A server's state as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Its address.
    pub addr: SocketAddr,
    /// Where it came from.
    pub source: Source,
    /// Reachability register: bit 0 is the latest poll (1 = answered).
    pub reach: u8,
    /// `Some(code)` once a `DENY`/`RSTR` dropped it.
    pub dropped: Option<KissCode>,
    /// Its poll interval after `RATE` back-offs (zero: none so far).
    pub rate_poll: Duration,
    /// Not polled before this (a `RATE` back-off).
    next_allowed: Instant,
    filter: [Option<Sample>; FILTER_LEN],
    filter_next: usize,
}

impl Server {
    fn new(addr: SocketAddr, source: Source) -> Server {
        Server {
            addr,
            source,
            reach: 0,
            dropped: None,
            rate_poll: Duration::ZERO,
            next_allowed: Instant::ZERO,
            filter: [None; FILTER_LEN],
            filter_next: 0,
        }
    }

    /// The best sample at `now`: least delay plus 15 ppm of its age.
    fn best(&self, now: Instant) -> Option<Sample> {
        self.filter
            .iter()
            .flatten()
            .min_by_key(|s| s.delay + (now - s.at).as_micros() * 15 / 1_000_000)
            .copied()
    }

    fn push(&mut self, s: Sample) {
        if let Some(slot) = self.filter.get_mut(self.filter_next % FILTER_LEN) {
            *slot = Some(s);
        }
        self.filter_next = (self.filter_next + 1) % FILTER_LEN;
    }

    /// How many samples the filter holds.
    pub fn samples(&self) -> usize {
        self.filter.iter().flatten().count()
    }
}

/// Why a received packet was not used.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reject {
    /// Not an NTP packet.
    Malformed(WireError),
    /// No request to that address is outstanding (or a duplicate reply).
    Unexpected,
    /// The originate timestamp is not our transmit timestamp (bogus).
    Originate,
    /// Wrong mode (not 4 in unicast, not 5 in broadcast mode).
    Mode(Mode),
    /// Version other than 3 or 4.
    Version(u8),
    /// Stratum outside 1–15.
    Stratum(u8),
    /// Leap indicator 3: the server is not synchronised.
    Unsynchronised,
    /// Transmit timestamp zero.
    ZeroTransmit,
    /// A Kiss-o'-Death code other than RATE, DENY, RSTR.
    Kiss(KissCode),
}

impl core::fmt::Display for Reject {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Reject::Malformed(e) => write!(f, "malformed: {e}"),
            Reject::Unexpected => f.write_str("no request outstanding to that server"),
            Reject::Originate => f.write_str("originate timestamp does not match our request"),
            Reject::Mode(m) => write!(f, "wrong mode {}", m.bits()),
            Reject::Version(v) => write!(f, "unsupported version {v}"),
            Reject::Stratum(s) => write!(f, "stratum {s} out of range"),
            Reject::Unsynchronised => f.write_str("server unsynchronised (leap 3)"),
            Reject::ZeroTransmit => f.write_str("zero transmit timestamp"),
            Reject::Kiss(k) => write!(f, "kiss-o'-death {k}"),
        }
    }
}

/// What the client reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The clock was set from a good sample.
    Synced {
        /// The server whose filtered sample won.
        server: SocketAddr,
        /// Server clock minus our clock before the correction, microseconds.
        offset_us: i64,
        /// Round-trip delay of the winning sample, microseconds.
        delay_us: u64,
        /// The server's stratum.
        stratum: u8,
        /// The server's leap indicator.
        leap: Leap,
        /// Whether the clock was stepped or is being slewed.
        adjustment: Adjustment,
    },
    /// A packet was ignored.
    Rejected {
        /// The sender.
        from: SocketAddr,
        /// Why.
        reason: Reject,
    },
    /// A server did not answer in time.
    Timeout {
        /// The silent server.
        server: SocketAddr,
        /// The next request's wait for a reply.
        next_retry: Duration,
    },
    /// `RATE`: this server is now polled no more often than `poll`.
    RateLimited {
        /// The server.
        server: SocketAddr,
        /// Its new poll interval.
        poll: Duration,
    },
    /// `DENY` or `RSTR`: the server is no longer used.
    ServerDropped {
        /// The server.
        server: SocketAddr,
        /// The kiss code.
        code: KissCode,
    },
    /// Every server has been dropped (or none is configured).
    NoServers,
}

/// A request to send.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub to: SocketAddr,
    /// Bytes written at the start of the buffer.
    pub len: usize,
}

/// The server list was full: the addresses past capacity were left out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Full;

impl core::fmt::Display for Full {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SNTP server list full")
    }
}

#[derive(Copy, Clone, Debug)]
struct Outstanding {
    addr: SocketAddr,
    xmit: Timestamp,
    /// T1 as our Unix estimate.
    t1: i64,
}

/// The SNTP client for up to `N` servers, keeping up to `E` events until
/// they are read ([`EVENT_QUEUE`] by default; the oldest is dropped beyond
/// that). A loop that reads them after every call, as
/// [`driver::run`](crate::driver::run) does, needs only a few: a timeout
/// reports one per silent server, a packet at most two.
#[derive(Clone, Debug)]
pub struct Client<const N: usize, const E: usize = EVENT_QUEUE> {
    config: Config,
    servers: Vec<Server, N>,
    current: usize,
    outstanding: Option<Outstanding>,
    want_send: Option<usize>,
    timers: Timers<2>,
    retry: Duration,
    clock: WallClock,
    events: Deque<Event, E>,
    rng: u64,
    reported_none: bool,
    last_sync: Option<Instant>,
}

impl<const N: usize, const E: usize> Client<N, E> {
    /// A client with no servers yet. In unicast mode the first request goes
    /// out as soon as a server is set.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut clock = WallClock::new();
        clock.step_threshold = config.step_threshold;
        let mut c = Client {
            config,
            servers: Vec::new(),
            current: 0,
            outstanding: None,
            want_send: None,
            timers: Timers::new(),
            retry: config.retry_initial,
            clock,
            events: Deque::new(),
            rng: config.random_seed | 1,
            reported_none: false,
            last_sync: None,
        };
        c.config.poll_interval = c.config.poll_interval.max(MIN_POLL).min(MAX_POLL);
        if !c.config.broadcast {
            c.timers.set(POLL, now);
        }
        c
    }

    /// The settings in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The wall clock (copy it to read the time elsewhere).
    pub fn wall_clock(&self) -> WallClock {
        self.clock
    }

    /// Sets the wall clock from another source (a battery-backed RTC, the
    /// host's clock) before the first sync, so that offsets are reported
    /// against it. No event; the next sync corrects it by the usual policy.
    pub fn seed_clock(&mut self, now: Instant, unix_micros: i64) {
        self.clock.correct(now, unix_micros);
    }

    /// The servers, configured first, then DHCP-learned.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// When the clock was last set.
    pub fn last_sync(&self) -> Option<Instant> {
        self.last_sync
    }

    /// Replaces the configured servers, keeping DHCP-learned ones (and the
    /// state of servers present before and after).
    pub fn set_servers(&mut self, now: Instant, addrs: &[SocketAddr]) -> Result<(), Full> {
        self.merge(now, addrs, Source::Configured)
    }

    /// Replaces the DHCP-learned servers (option 42), keeping configured ones.
    /// An address that is also configured stays a configured server.
    pub fn set_dhcp_servers(&mut self, now: Instant, addrs: &[SocketAddr]) -> Result<(), Full> {
        self.merge(now, addrs, Source::Dhcp)
    }

    fn merge(&mut self, now: Instant, addrs: &[SocketAddr], source: Source) -> Result<(), Full> {
        let old = core::mem::take(&mut self.servers);
        let current = old.get(self.current).map(|s| s.addr);
        let mut full = false;
        let mut add = |list: &mut Vec<Server, N>, addr: SocketAddr, src: Source| {
            if list.iter().any(|s| s.addr == addr) {
                return;
            }
            let mut s = old
                .iter()
                .find(|s| s.addr == addr)
                .cloned()
                .unwrap_or_else(|| Server::new(addr, src));
            s.source = src;
            if list.push(s).is_err() {
                full = true;
            }
        };
        let mut list = Vec::new();
        // Configured first (the new list or the kept ones), then the rest
        // (DHCP's new list or the kept ones). One loop, so `add` is inlined
        // once.
        for configured in [true, false] {
            let pass = if configured {
                Source::Configured
            } else {
                Source::Dhcp
            };
            let new = source == pass;
            let n = if new { addrs.len() } else { old.len() };
            for i in 0..n {
                let (addr, src) = if new {
                    match addrs.get(i) {
                        Some(a) => (*a, pass),
                        None => continue,
                    }
                } else {
                    match old.get(i) {
                        Some(s) if (s.source == Source::Configured) == configured => {
                            (s.addr, s.source)
                        }
                        _ => continue,
                    }
                };
                add(&mut list, addr, src);
            }
        }
        self.servers = list;
        self.current = current
            .and_then(|a| self.servers.iter().position(|s| s.addr == a))
            .unwrap_or(0);
        if let Some(o) = self.outstanding
            && !self.servers.iter().any(|s| s.addr == o.addr)
        {
            self.outstanding = None;
            self.timers.clear(RETRY);
        }
        self.reported_none = false;
        if !self.config.broadcast && self.outstanding.is_none() && !self.timers.is_armed(POLL) {
            self.timers.set(POLL, now);
        }
        if full { Err(Full) } else { Ok(()) }
    }

    /// Changes the poll interval (clamped to [`MIN_POLL`]..[`MAX_POLL`]).
    /// Takes effect at once: the next poll is no later than `now + interval`.
    pub fn set_poll_interval(&mut self, now: Instant, interval: Duration) {
        self.config.poll_interval = interval.max(MIN_POLL).min(MAX_POLL);
        if self.outstanding.is_none()
            && let Some(at) = self.timers.deadline(POLL)
        {
            self.timers
                .set(POLL, at.min(now + self.config.poll_interval));
        }
    }

    /// The earliest time [`Client::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn event(&mut self, e: Event) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    fn poll_of(&self, i: usize) -> Duration {
        self.servers.get(i).map_or(self.config.poll_interval, |s| {
            s.rate_poll.max(self.config.poll_interval)
        })
    }

    fn usable(&self) -> impl Iterator<Item = (usize, &Server)> {
        self.servers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.dropped.is_none())
    }

    /// Schedules the next request: to the current server or the next one in
    /// turn that is not rate-limited at `now`.
    fn schedule(&mut self, now: Instant) {
        let n = self.servers.len();
        let start = self.current;
        let pick = (0..n).map(|k| (start + k) % n).find(|i| {
            self.servers
                .get(*i)
                .is_some_and(|s| s.dropped.is_none() && s.next_allowed <= now)
        });
        match pick {
            Some(i) => {
                self.current = i;
                self.want_send = Some(i);
            }
            None => match self.usable().map(|(_, s)| s.next_allowed).min() {
                Some(at) => self.timers.set(POLL, at),
                None => {
                    if !self.reported_none {
                        self.reported_none = true;
                        self.event(Event::NoServers);
                    }
                }
            },
        }
    }

    fn advance(&mut self) {
        if !self.servers.is_empty() {
            self.current = (self.current + 1) % self.servers.len();
        }
    }

    /// Handles expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(id) = self.timers.take_expired(now) {
            match id {
                RETRY => {
                    if let Some(o) = self.outstanding.take() {
                        self.retry = (self.retry.saturating_mul(2)).min(self.config.poll_interval);
                        self.event(Event::Timeout {
                            server: o.addr,
                            next_retry: self.retry,
                        });
                        self.advance();
                        self.schedule(now);
                    }
                }
                _ => {
                    if self.outstanding.is_none() && !self.config.broadcast {
                        self.schedule(now);
                    }
                }
            }
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64: unpredictable enough to make blind spoofing costly.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// The next request to send, written into `buf` (at least 48 bytes).
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let i = self.want_send?;
        let addr = self.servers.get(i)?.addr;
        let t1 = self.clock.local_micros(now);
        // Below one microsecond the fraction carries random bits.
        let xmit = Timestamp(Timestamp::from_unix_micros(t1).0 ^ (self.random() & 0xfff));
        let len = Repr::client_request(xmit).emit(buf).ok()?;
        self.want_send = None;
        if let Some(s) = self.servers.get_mut(i) {
            s.reach <<= 1;
        }
        self.outstanding = Some(Outstanding { addr, xmit, t1 });
        self.timers.set(RETRY, now + self.retry);
        self.timers.clear(POLL);
        Some(Transmit { to: addr, len })
    }

    fn sanity(r: &Repr) -> Result<(), Reject> {
        if !(3..=4).contains(&r.version) {
            return Err(Reject::Version(r.version));
        }
        if r.leap == Leap::Unsynchronised {
            return Err(Reject::Unsynchronised);
        }
        if !(1..=15).contains(&r.stratum) {
            return Err(Reject::Stratum(r.stratum));
        }
        if r.transmit == Timestamp::ZERO {
            return Err(Reject::ZeroTransmit);
        }
        Ok(())
    }

    /// Handles a datagram from `from`.
    pub fn handle_packet(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        let r = match Packet::new_checked(bytes) {
            Ok(p) => Repr::parse(&p),
            Err(e) => {
                return self.event(Event::Rejected {
                    from,
                    reason: Reject::Malformed(e),
                });
            }
        };
        let result = if self.config.broadcast {
            self.handle_broadcast(now, from, &r)
        } else {
            self.handle_reply(now, from, &r)
        };
        if let Err(reason) = result {
            self.event(Event::Rejected { from, reason });
        }
    }

    fn handle_reply(&mut self, now: Instant, from: SocketAddr, r: &Repr) -> Result<(), Reject> {
        let o = self
            .outstanding
            .filter(|o| o.addr == from)
            .ok_or(Reject::Unexpected)?;
        let i = self
            .servers
            .iter()
            .position(|s| s.addr == from)
            .ok_or(Reject::Unexpected)?;
        if r.mode != Mode::Server {
            return Err(Reject::Mode(r.mode));
        }
        if r.originate != o.xmit {
            return Err(Reject::Originate);
        }
        match r.kiss_code() {
            Some(KissCode::Rate) => {
                let poll = self.poll_of(i).saturating_mul(2).min(MAX_POLL);
                if let Some(s) = self.servers.get_mut(i) {
                    s.rate_poll = poll;
                    s.next_allowed = now + poll;
                }
                self.event(Event::RateLimited { server: from, poll });
                self.finish_request();
                self.advance();
                self.schedule(now);
                return Ok(());
            }
            Some(code @ (KissCode::Deny | KissCode::Rstr)) => {
                if let Some(s) = self.servers.get_mut(i) {
                    s.dropped = Some(code);
                }
                self.event(Event::ServerDropped { server: from, code });
                self.finish_request();
                self.advance();
                self.schedule(now);
                return Ok(());
            }
            Some(code) => return Err(Reject::Kiss(code)),
            None => {}
        }
        Self::sanity(r)?;
        let t1 = o.t1;
        let t2 = r.receive.to_unix_micros();
        let t3 = r.transmit.to_unix_micros();
        let t4 = self.clock.local_micros(now);
        let offset = (t2.saturating_sub(t1))
            .saturating_add(t3.saturating_sub(t4))
            .div_euclid(2);
        let delay = (t4.saturating_sub(t1)).saturating_sub(t3.saturating_sub(t2));
        let sample = Sample {
            at: now,
            unix: t4.saturating_add(offset),
            delay: u64::try_from(delay).unwrap_or(0),
            stratum: r.stratum,
            leap: r.leap,
        };
        self.finish_request();
        self.retry = self.config.retry_initial;
        self.current = i;
        let poll = self.poll_of(i);
        if let Some(s) = self.servers.get_mut(i) {
            s.reach |= 1;
            s.next_allowed = now + poll;
            s.push(sample);
        }
        self.timers.set(POLL, now + poll);
        self.sync(now, i);
        Ok(())
    }

    fn finish_request(&mut self) {
        self.outstanding = None;
        self.timers.clear(RETRY);
    }

    fn handle_broadcast(&mut self, now: Instant, from: SocketAddr, r: &Repr) -> Result<(), Reject> {
        if r.mode != Mode::Broadcast {
            return Err(Reject::Mode(r.mode));
        }
        let configured = self.servers.iter().any(|s| s.source != Source::Broadcast);
        let i = match self.servers.iter().position(|s| s.addr.ip() == from.ip()) {
            Some(i) => i,
            None if !configured => {
                // A full list ignores further broadcasters.
                self.servers
                    .push(Server::new(from, Source::Broadcast))
                    .map_err(|_| Reject::Unexpected)?;
                self.servers.len().saturating_sub(1)
            }
            None => return Err(Reject::Unexpected),
        };
        if let Some(code) = r.kiss_code() {
            return Err(Reject::Kiss(code));
        }
        Self::sanity(r)?;
        let delay = self.config.broadcast_delay.as_micros();
        let unix = r
            .transmit
            .to_unix_micros()
            .saturating_add(i64::try_from(delay).unwrap_or(0));
        if let Some(s) = self.servers.get_mut(i) {
            s.reach = (s.reach << 1) | 1;
            s.push(Sample {
                at: now,
                unix,
                delay,
                stratum: r.stratum,
                leap: r.leap,
            });
        }
        self.sync(now, i);
        Ok(())
    }

    fn sync(&mut self, now: Instant, i: usize) {
        let Some(server) = self.servers.get(i) else {
            return;
        };
        let Some(best) = server.best(now) else { return };
        let addr = server.addr;
        let age = i64::try_from((now - best.at).as_micros()).unwrap_or(i64::MAX);
        let target = best.unix.saturating_add(age);
        let before = self.clock.local_micros(now);
        let adjustment = self.clock.correct(now, target);
        self.last_sync = Some(now);
        self.event(Event::Synced {
            server: addr,
            offset_us: target.saturating_sub(before),
            delay_us: best.delay,
            stratum: best.stratum,
            leap: best.leap,
            adjustment,
        });
    }
}
