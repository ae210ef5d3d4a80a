//! The mDNS querier core: one-shot and continuous queries (`browse`) with a
//! small fixed cache that honours TTLs (RFC 6762 5, 7.1, 10).
//!
//! # Call order
//!
//! [`Querier::browse`] / [`Querier::query`] add a question; feed every
//! datagram received on port 5353 to [`Querier::handle_packet`]; call
//! [`Querier::poll_transmit`] after every input and whenever
//! [`Querier::poll_timeout`] passes, sending each datagram to
//! [`crate::responder::MDNS_DEST`]; drain [`Querier::poll_event`].
//!
//! A continuous query is sent at once, then after 1 s, 2 s, 4 s … up to one
//! hour (RFC 6762 5.2), each time listing the cached answers with more than
//! half their TTL left (known-answer suppression); a record it found is
//! asked for again at 80, 85, 90 and 95 % of its TTL so a live service never
//! drops out of the cache. A one-shot query is sent
//! up to three times, 1 s apart, until something answers it. Records with
//! TTL 0 (goodbyes) leave the cache after one second; the cache-flush bit
//! replaces older records of the same name and type (RFC 6762 10.2).

use petrel_netcore::time::{Duration, Instant};

use crate::name::Name;
use crate::records::canonical_rdata;
use crate::wire::{CLASS_IN, Reader, Section, WireError, WriteData, Writer, rtype};

/// Longest cached rdata (longer records are not cached).
pub const MAX_RDATA: usize = 256;
const MAX_INTERVAL: Duration = Duration::from_secs(3600);
const ONE_SHOT_TRIES: u8 = 3;

/// A cached record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    /// Owner name.
    pub name: Name,
    /// Type.
    pub rtype: u16,
    /// Canonical (uncompressed) rdata.
    pub rdata: heapless::Vec<u8, MAX_RDATA>,
    /// TTL as received, seconds.
    pub ttl: u32,
    /// When it was received.
    pub received: Instant,
    /// When it leaves the cache.
    pub expires: Instant,
    /// Refresh queries sent for it so far (at 80, 85, 90, 95 % of its TTL).
    refreshes: u8,
}

impl CacheEntry {
    /// The PTR target, if this is a PTR.
    pub fn ptr_target(&self) -> Option<Name> {
        if self.rtype != rtype::PTR {
            return None;
        }
        Name::parse(&self.rdata, 0).ok().map(|(n, _)| n)
    }

    /// `(port, target)` if this is an SRV.
    pub fn srv(&self) -> Option<(u16, Name)> {
        if self.rtype != rtype::SRV {
            return None;
        }
        let p = self.rdata.get(4..6)?;
        let (t, _) = Name::parse(&self.rdata, 6).ok()?;
        Some((u16::from_be_bytes([p[0], p[1]]), t))
    }

    /// The address if this is an A record.
    pub fn a(&self) -> Option<core::net::Ipv4Addr> {
        let b: [u8; 4] = self.rdata.as_slice().try_into().ok()?;
        (self.rtype == rtype::A).then(|| core::net::Ipv4Addr::from(b))
    }

    /// When the next refresh query is due (RFC 6762 5.2), if any is left.
    fn refresh_at(&self) -> Option<Instant> {
        if self.refreshes >= 4 || self.ttl == 0 {
            return None;
        }
        let pct = 80 + 5 * u64::from(self.refreshes);
        let ms = u64::from(self.ttl) * 10 * pct;
        Some(self.received + Duration::from_millis(ms))
    }

    /// Seconds left at `now`.
    pub fn remaining(&self, now: Instant) -> u32 {
        u32::try_from(self.expires.saturating_duration_since(now).as_secs()).unwrap_or(u32::MAX)
    }
}

/// What a query learned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryEvent {
    /// A new record answers query `query` (for a PTR browse: `name` is the
    /// instance found).
    Added {
        /// The query id.
        query: usize,
        /// The PTR target, or the record's owner for other types.
        name: Name,
        /// The record type.
        rtype: u16,
    },
    /// A record that answered `query` expired or said goodbye.
    Removed {
        /// The query id.
        query: usize,
        /// As in `Added`.
        name: Name,
        /// The record type.
        rtype: u16,
    },
    /// A one-shot query got no answer after its retries.
    NoAnswer {
        /// The query id.
        query: usize,
    },
}

#[derive(Clone, Debug)]
struct Query {
    name: Name,
    qtype: u16,
    continuous: bool,
    next: Instant,
    interval: Duration,
    sent: u8,
    answered: bool,
}

/// Querier errors.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// All `Q` query slots are in use.
    Full,
    /// The name is not a valid domain name.
    BadName,
}

impl core::fmt::Display for QueryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            QueryError::Full => "no free query slot",
            QueryError::BadName => "bad name",
        })
    }
}

/// Up to `Q` queries and `C` cached records.
#[derive(Debug)]
pub struct Querier<const Q: usize, const C: usize> {
    queries: heapless::Vec<Option<Query>, Q>,
    cache: heapless::Vec<CacheEntry, C>,
    events: heapless::Deque<QueryEvent, 8>,
}

impl<const Q: usize, const C: usize> Default for Querier<Q, C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const Q: usize, const C: usize> Querier<Q, C> {
    /// An idle querier with an empty cache.
    pub fn new() -> Self {
        Querier {
            queries: heapless::Vec::new(),
            cache: heapless::Vec::new(),
            events: heapless::Deque::new(),
        }
    }

    fn add(&mut self, q: Query) -> Result<usize, QueryError> {
        if let Some(i) = self.queries.iter().position(Option::is_none) {
            if let Some(s) = self.queries.get_mut(i) {
                *s = Some(q);
            }
            return Ok(i);
        }
        self.queries.push(Some(q)).map_err(|_| QueryError::Full)?;
        Ok(self.queries.len() - 1)
    }

    /// Starts a continuous search for `service_type` (`_http._tcp`) in
    /// `.local`. Returns the query id.
    pub fn browse(&mut self, now: Instant, service_type: &str) -> Result<usize, QueryError> {
        let mut name = Name::from_dotted(service_type).map_err(|_| QueryError::BadName)?;
        name.push_label(b"local").map_err(|_| QueryError::BadName)?;
        self.add(Query {
            name,
            qtype: rtype::PTR,
            continuous: true,
            next: now,
            interval: Duration::from_secs(1),
            sent: 0,
            answered: false,
        })
    }

    /// Asks once (retrying up to three times until answered) for `qtype`
    /// records of `name`.
    pub fn query(&mut self, now: Instant, name: &Name, qtype: u16) -> Result<usize, QueryError> {
        self.add(Query {
            name: name.clone(),
            qtype,
            continuous: false,
            next: now,
            interval: Duration::from_secs(1),
            sent: 0,
            answered: false,
        })
    }

    /// Stops query `id`.
    pub fn stop(&mut self, id: usize) {
        if let Some(q) = self.queries.get_mut(id) {
            *q = None;
        }
    }

    /// The cached records.
    pub fn cache(&self) -> impl Iterator<Item = &CacheEntry> {
        self.cache.iter()
    }

    /// The cached records named `name` of type `rtype`.
    pub fn lookup<'s>(
        &'s self,
        name: &'s Name,
        rtype: u16,
    ) -> impl Iterator<Item = &'s CacheEntry> + 's {
        self.cache
            .iter()
            .filter(move |e| e.rtype == rtype && e.name == *name)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<QueryEvent> {
        self.events.pop_front()
    }

    /// When [`Querier::poll_transmit`] has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let q = self.queries.iter().flatten().map(|q| q.next);
        let c = self.cache.iter().map(|e| e.expires);
        let r = self.cache.iter().filter_map(|e| self.refresh_of(e));
        q.chain(c).chain(r).min()
    }

    /// When `e` needs a refresh query: only records a continuous query is
    /// interested in.
    fn refresh_of(&self, e: &CacheEntry) -> Option<Instant> {
        let wanted = self
            .queries
            .iter()
            .flatten()
            .any(|q| q.continuous && Self::matches(q, &e.name, e.rtype));
        if wanted { e.refresh_at() } else { None }
    }

    fn matches(q: &Query, name: &Name, t: u16) -> bool {
        (q.qtype == t || q.qtype == rtype::ANY) && q.name == *name
    }

    fn event_name(e: &CacheEntry) -> Name {
        e.ptr_target().unwrap_or_else(|| e.name.clone())
    }

    fn notify(&mut self, e: &CacheEntry, added: bool) {
        for (i, q) in self.queries.iter_mut().enumerate() {
            let Some(q) = q else { continue };
            if !Self::matches(q, &e.name, e.rtype) {
                continue;
            }
            q.answered = true;
            let (name, rtype) = (Self::event_name(e), e.rtype);
            let ev = if added {
                QueryEvent::Added {
                    query: i,
                    name,
                    rtype,
                }
            } else {
                QueryEvent::Removed {
                    query: i,
                    name,
                    rtype,
                }
            };
            if self.events.is_full() {
                self.events.pop_front();
            }
            let _ = self.events.push_back(ev);
        }
    }

    /// Feeds a received datagram (responses are cached; queries ignored).
    pub fn handle_packet(&mut self, now: Instant, msg: &[u8]) -> Result<(), WireError> {
        let mut reader = Reader::new(msg)?;
        let h = reader.header();
        if !h.is_response() || h.opcode() != 0 || h.rcode() != 0 {
            return Ok(());
        }
        while let Some(r) = reader.record() {
            let (sec, r) = r?;
            if sec == Section::Authority || r.class != CLASS_IN {
                continue;
            }
            if !matches!(
                r.rtype,
                rtype::A | rtype::PTR | rtype::SRV | rtype::TXT | rtype::AAAA
            ) {
                continue;
            }
            // Malformed rdata is skipped, the rest of the message is used.
            if r.rtype != rtype::AAAA && r.data().is_err() {
                continue;
            }
            let mut buf = [0u8; MAX_RDATA];
            let Some(n) = r.data().ok().and_then(|d| canonical_rdata(&d, &mut buf)) else {
                continue;
            };
            let rdata = buf.get(..n).unwrap_or(&[]);
            let expires = if r.ttl == 0 {
                now + Duration::from_secs(1)
            } else {
                now + Duration::from_secs(u64::from(r.ttl))
            };
            if r.cache_flush {
                // RFC 6762 10.2: records of this set older than 1 s go.
                let old = self.cache.iter().enumerate().find_map(|(i, e)| {
                    (e.name == r.name
                        && e.rtype == r.rtype
                        && e.rdata.as_slice() != rdata
                        && now.saturating_duration_since(e.received) > Duration::from_secs(1))
                    .then_some(i)
                });
                if let Some(i) = old
                    && let Some(e) = self.cache.get_mut(i)
                {
                    e.expires = e.expires.min(now + Duration::from_secs(1));
                }
            }
            let existing = self.cache.iter().position(|e| {
                e.name == r.name && e.rtype == r.rtype && e.rdata.as_slice() == rdata
            });
            match existing {
                Some(i) => {
                    if let Some(e) = self.cache.get_mut(i) {
                        e.ttl = r.ttl;
                        e.received = now;
                        e.expires = expires;
                        e.refreshes = 0;
                    }
                }
                None if r.ttl > 0 => {
                    let entry = CacheEntry {
                        name: r.name.clone(),
                        rtype: r.rtype,
                        rdata: heapless::Vec::from_slice(rdata).unwrap_or_default(),
                        ttl: r.ttl,
                        received: now,
                        expires,
                        refreshes: 0,
                    };
                    if self.cache.is_full()
                        && let Some(i) = self
                            .cache
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, e)| e.expires)
                            .map(|(i, _)| i)
                    {
                        self.cache.swap_remove(i);
                    }
                    self.notify(&entry, true);
                    let _ = self.cache.push(entry);
                }
                None => {}
            }
        }
        Ok(())
    }

    fn expire(&mut self, now: Instant) {
        while let Some(i) = self.cache.iter().position(|e| e.expires <= now) {
            let e = self.cache.swap_remove(i);
            self.notify(&e, false);
        }
    }

    /// Expires cache entries and writes the next due query into `buf`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.expire(now);
        // Records near the end of their TTL: ask again now (RFC 6762 5.2).
        for i in 0..self.cache.len() {
            let due = self
                .cache
                .get(i)
                .and_then(|e| self.refresh_of(e))
                .is_some_and(|t| t <= now);
            if !due {
                continue;
            }
            if let Some(e) = self.cache.get_mut(i) {
                e.refreshes += 1;
                let (name, rtype) = (e.name.clone(), e.rtype);
                for q in self.queries.iter_mut().flatten() {
                    if q.continuous && Self::matches(q, &name, rtype) {
                        q.next = q.next.min(now);
                    }
                }
            }
        }
        let (i, q) = self
            .queries
            .iter()
            .enumerate()
            .find_map(|(i, q)| q.as_ref().filter(|q| q.next <= now).map(|q| (i, q.clone())))?;
        if !q.continuous && (q.answered || q.sent >= ONE_SHOT_TRIES) {
            if !q.answered {
                let _ = self.events.push_back(QueryEvent::NoAnswer { query: i });
            }
            self.stop(i);
            return None;
        }
        let mut w = Writer::new(buf, 0, 0).ok()?;
        w.question(&q.name, q.qtype, false).ok()?;
        for e in self.cache.iter() {
            if !Self::matches(&q, &e.name, e.rtype) || e.remaining(now) <= e.ttl / 2 {
                continue;
            }
            let ptr = e.ptr_target();
            let srv = e.srv();
            let data = match (e.rtype, &ptr, &srv, e.a()) {
                (rtype::PTR, Some(t), _, _) => WriteData::Ptr(t),
                (rtype::SRV, _, Some((port, t)), _) => WriteData::Srv {
                    priority: u16::from_be_bytes([
                        e.rdata.first().copied().unwrap_or(0),
                        e.rdata.get(1).copied().unwrap_or(0),
                    ]),
                    weight: u16::from_be_bytes([
                        e.rdata.get(2).copied().unwrap_or(0),
                        e.rdata.get(3).copied().unwrap_or(0),
                    ]),
                    port: *port,
                    target: t,
                },
                (rtype::A, _, _, Some(a)) => WriteData::A(a),
                (rtype::TXT, _, _, _) => WriteData::Txt(&e.rdata),
                _ => continue,
            };
            // A known answer that does not fit is left out (RFC 6762 7.2
            // would continue in a TC packet).
            let _ = w.record(
                Section::Answer,
                &e.name,
                e.rtype,
                false,
                e.remaining(now),
                &data,
            );
        }
        if let Some(Some(s)) = self.queries.get_mut(i) {
            s.sent = s.sent.saturating_add(1);
            s.next = now + s.interval;
            if s.continuous {
                s.interval = (s.interval + s.interval).min(MAX_INTERVAL);
            }
        }
        Some(w.finish())
    }
}
