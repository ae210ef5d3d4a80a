//! The mDNS responder core (RFC 6762) with DNS-SD services (RFC 6763).
//!
//! # Call order
//!
//! 1. [`Responder::new`] with the host label and a seed for the random
//!    delays; [`Responder::add_service`] for each service.
//! 2. [`Responder::set_address`] with the interface address: probing starts
//!    (after a random 0–250 ms delay, three probes 250 ms apart), then
//!    announcing ([`ResponderConfig::announcements`] responses, 1 s, 2 s, …
//!    apart).
//! 3. For every datagram received on port 5353: [`Responder::handle_packet`].
//! 4. After every input, and whenever [`Responder::poll_timeout`] passes:
//!    call [`Responder::poll_transmit`] until it returns `None`, sending each
//!    datagram where its [`Transmit::to`] says; then drain
//!    [`Responder::poll_event`].
//! 5. [`Responder::remove_service`] and [`Responder::shutdown`] queue
//!    goodbyes (TTL 0); [`Responder::is_finished`] tells when a shut-down
//!    responder has sent everything.
//!
//! # Behaviour
//!
//! - Unique records (A, reverse PTR, SRV, TXT) carry the cache-flush bit and
//!   are answered at once; shared records (PTR) after 20–120 ms (400–500 ms
//!   when the query has TC set), aggregated into one response.
//! - A record is multicast at most once per second; a QU question gets a
//!   unicast reply when the record was multicast within a quarter of its TTL,
//!   a multicast one otherwise.
//! - Known answers listed by the querier with at least half our TTL are not
//!   repeated; a pending shared answer that another responder sends first is
//!   dropped (duplicate answer suppression).
//! - Queries from a port other than 5353 (legacy unicast, RFC 6762 6.7) get
//!   an immediate unicast reply with the query's ID and question, TTLs of at
//!   most 10 s and no cache-flush bits.
//! - A question for a name we own of a type we lack gets an NSEC record
//!   listing the types that exist; A and SRV answers carry the host NSEC as
//!   an additional record (so queriers do not wait for AAAA).
//! - A conflicting response renames the owner (`host-2`, `Name (2)`) and
//!   probes again; after 15 conflicts in 10 s the next probe waits 5 s. A
//!   simultaneous probe is settled by comparing the authority records
//!   (RFC 6762 8.2): the loser waits 1 s and probes again.
//!
//! One interface (one address) per responder; IPv4 only.

use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use petrel_netcore::time::{Duration, Instant};

use crate::name::Name;
use crate::records::{
    HOST_TTL, MAX_SUBTYPES, OTHER_TTL, Rec, ServiceSpec, bitmap, canonical_rdata, reverse_name,
    rtype_of,
};
use crate::wire::{
    CLASS_IN, FLAG_AA, FLAG_QR, FLAG_TC, Question, RData, Reader, Record, Section, WireError,
    Writer, rtype,
};

/// The mDNS port.
pub const MDNS_PORT: u16 = 5353;
/// The mDNS IPv4 group.
pub const MDNS_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
/// Where multicast mDNS goes.
pub const MDNS_DEST: SocketAddr = SocketAddr::V4(SocketAddrV4::new(MDNS_GROUP, MDNS_PORT));

const PROBES: u8 = 3;
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
const TIEBREAK_WAIT: Duration = Duration::from_secs(1);
const RATE_LIMIT: Duration = Duration::from_secs(1);
const CONFLICT_WINDOW: Duration = Duration::from_secs(10);
const CONFLICT_LIMIT: usize = 15;
const CONFLICT_WAIT: Duration = Duration::from_secs(5);
const LEGACY_TTL: u32 = 10;
/// Most questions looked at per query.
const MAX_QUESTIONS: usize = 8;
/// Longest rdata compared in a probe tiebreak (longer records are left out
/// of the comparison).
const CANON: usize = 300;

/// Tunables, with the RFC's values as defaults.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ResponderConfig {
    /// Unsolicited announcements after probing (RFC 6762 8.3: at least 2).
    pub announcements: u8,
    /// TTL of host-name records (A, reverse PTR, SRV), seconds.
    pub host_ttl: u32,
    /// TTL of other records (PTR, TXT), seconds.
    pub other_ttl: u32,
}

impl Default for ResponderConfig {
    fn default() -> Self {
        ResponderConfig {
            announcements: 2,
            host_ttl: HOST_TTL,
            other_ttl: OTHER_TTL,
        }
    }
}

/// Whose name: the host's, or a service instance's.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// `host.local` (and its reverse PTR).
    Host,
    /// The service with this id (from [`Responder::add_service`]).
    Service(usize),
}

impl Owner {
    fn from_rec(rec: Rec) -> Owner {
        rec.owner().map_or(Owner::Host, Owner::Service)
    }
}

/// What happened, for the board's log and status.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Probing and announcing finished: the name is ours.
    Claimed(Owner),
    /// Another host holds the name: it was renamed (read the new name from
    /// [`Responder::host_name`] / [`Responder::service_instance`]) and is
    /// probed again.
    Renamed(Owner),
    /// A simultaneous probe for the same name won the tiebreak; we probe
    /// again in one second.
    LostTiebreak(Owner),
    /// Too many conflicts: probing is paused for 5 s.
    RateLimited,
    /// A shut-down responder has sent all its goodbyes.
    Finished,
}

/// Why a service or host name was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NameError {
    /// Empty, longer than 63 bytes, or (host names) not letters, digits and
    /// hyphens.
    BadLabel,
    /// The service type is not `_name._tcp` / `_name._udp`, or a subtype is
    /// not `_name`.
    BadServiceType,
    /// More subtypes than [`MAX_SUBTYPES`].
    TooManySubtypes,
    /// No free service slot.
    Full,
}

impl core::fmt::Display for NameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            NameError::BadLabel => "bad name label",
            NameError::BadServiceType => "service type must be _name._tcp or _name._udp",
            NameError::TooManySubtypes => "too many subtypes",
            NameError::Full => "no free service slot",
        })
    }
}

/// A datagram to send.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Bytes written at the start of the caller's buffer.
    pub len: usize,
    /// Where to send it ([`MDNS_DEST`] for multicast).
    pub to: SocketAddr,
}

/// Where a name stands in its claim.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Claim {
    /// Waiting for an address (host) or removed (service slot free).
    Idle,
    /// Sending probe `sent + 1` at `at`.
    Probing { sent: u8, at: Instant },
    /// Sending announcement `sent + 1` at `at`.
    Announcing { sent: u8, at: Instant },
    /// Ours.
    Established,
    /// Goodbye due.
    Leaving,
}

impl Claim {
    fn answers(self) -> bool {
        matches!(self, Claim::Announcing { .. } | Claim::Established)
    }
}

#[derive(Clone, Debug)]
struct Slot<'a> {
    spec: ServiceSpec<'a>,
    instance: heapless::String<63>,
    claim: Claim,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Pending {
    rec: Rec,
    at: Instant,
    to: SocketAddr,
}

#[derive(Clone, Debug)]
struct Legacy {
    to: SocketAddr,
    id: u16,
    questions: heapless::Vec<(Name, u16), 2>,
}

/// A record ready to be written (names built on demand; an empty TXT is
/// already the one empty string it goes out as).
struct Built<'t> {
    name: Name,
    rtype: u16,
    ttl: u32,
    data: RData<'t>,
}

/// The mDNS responder for one host name, one address and up to `S`
/// services. See the [module docs](self) for the call order.
///
/// `P` bounds the answers waiting for their (randomised or aggregated)
/// send time and `R` the records whose last multicast time is remembered
/// (RFC 6762 6: no record multicast twice within a second). The defaults
/// suit a host with a handful of services; a microcontroller with one
/// service can use 16 of each (about 3 KB less RAM). When a queue is full,
/// a further answer is dropped — the querier asks again — and the oldest
/// send time is forgotten.
///
/// `L` bounds the legacy unicast queries (RFC 6762 6.7: from a port other
/// than 5353, answered by unicast) queued between two [`poll_transmit`]s,
/// about 560 bytes each; a query beyond them gets no answer and the
/// resolver asks again. A microcontroller that sends each answer before it
/// reads the next datagram (the [`driver`](crate::driver)) needs 1.
///
/// [`poll_transmit`]: Responder::poll_transmit
#[derive(Debug)]
pub struct Responder<
    'a,
    const S: usize,
    const P: usize = 48,
    const R: usize = 64,
    const L: usize = 2,
> {
    config: ResponderConfig,
    rng: u64,
    host: heapless::String<63>,
    addr: Option<Ipv4Addr>,
    host_claim: Claim,
    host_renamed: bool,
    services: heapless::Vec<Slot<'a>, S>,
    pending: heapless::Vec<Pending, P>,
    legacy: heapless::Vec<Legacy, L>,
    sent: heapless::Vec<(Rec, Instant), R>,
    conflicts: heapless::Deque<Instant, CONFLICT_LIMIT>,
    paused_until: Option<Instant>,
    events: heapless::Deque<Event, 8>,
    shutting_down: bool,
    finished: bool,
}

fn valid_host_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
}

fn valid_service_label(s: &[u8]) -> bool {
    s.len() >= 2 && s.len() <= 16 && s.first() == Some(&b'_')
}

fn valid_service_type(t: &str) -> bool {
    let (name, proto) = split_type(t);
    valid_service_label(name) && matches!(proto, b"_tcp" | b"_udp")
}

/// `_name._proto` at its first dot (a byte search: less flash than
/// `str::split_once`); both empty without a dot.
fn split_type(t: &str) -> (&[u8], &[u8]) {
    let b = t.as_bytes();
    match b.iter().position(|&c| c == b'.') {
        Some(i) => (b.get(..i).unwrap_or(&[]), b.get(i + 1..).unwrap_or(&[])),
        None => (&[], &[]),
    }
}

/// The next name after a conflict: `host` → `host-2` → `host-3` (hyphen
/// form, host names) or `Name` → `Name (2)` (instance names). Byte-level
/// (no `core` number parsing, string search or formatting: 0.5 KB less
/// flash on a Cortex-M).
fn next_name(cur: &str, instance: bool) -> heapless::String<63> {
    let bytes = cur.as_bytes();
    let (base, n) = if instance {
        // `… (N)`: the last " (" before a final ")".
        let numbered = bytes.strip_suffix(b")").and_then(|s| {
            let at = s.windows(2).rposition(|w| w == b" (")?;
            Some((cur.get(..at)?, counter(s.get(at + 2..)?)?))
        });
        numbered.unwrap_or((cur, 1))
    } else {
        let numbered = bytes.iter().rposition(|&c| c == b'-').and_then(|at| {
            let n = counter(bytes.get(at + 1..)?)?;
            Some((cur.get(..at).filter(|b| !b.is_empty())?, n))
        });
        numbered.unwrap_or((cur, 1))
    };
    let mut digits = [0u8; 20];
    let number = petrel_netcore::small::format_decimal(u64::from(n) + 1, &mut digits);
    let (open, close) = if instance { (" (", ")") } else { ("-", "") };
    let suffix_len = open.len() + number.len() + close.len();
    // Cut the base so the result stays within 63 bytes, on a char boundary.
    let mut keep = base.len().min(63 - suffix_len);
    while !base.is_char_boundary(keep) {
        keep -= 1;
    }
    let mut out = heapless::String::new();
    for part in [base.get(..keep).unwrap_or(""), open, number, close] {
        let _ = out.push_str(part);
    }
    out
}

/// A rename counter: ASCII digits only, from 2 to `u32::MAX - 1` (at the
/// top a counter is not one: the name gets a new `-2`, never wraps).
fn counter(d: &[u8]) -> Option<u32> {
    let n = u32::try_from(petrel_netcore::small::decimal(d)?).ok()?;
    (2..u32::MAX).contains(&n).then_some(n)
}

impl<'a, const S: usize, const P: usize, const R: usize, const L: usize> Responder<'a, S, P, R, L> {
    /// A responder for `host` (one label: `petrel` answers `petrel.local`).
    /// `seed` feeds the random delays (use a hardware RNG or the MAC).
    pub fn new(config: ResponderConfig, host: &str, seed: u64) -> Result<Self, NameError> {
        if !valid_host_label(host) {
            return Err(NameError::BadLabel);
        }
        let mut h = heapless::String::new();
        h.push_str(host).map_err(|_| NameError::BadLabel)?;
        Ok(Responder {
            config,
            rng: seed | 1,
            host: h,
            addr: None,
            host_claim: Claim::Idle,
            host_renamed: false,
            services: heapless::Vec::new(),
            pending: heapless::Vec::new(),
            legacy: heapless::Vec::new(),
            sent: heapless::Vec::new(),
            conflicts: heapless::Deque::new(),
            paused_until: None,
            events: heapless::Deque::new(),
            shutting_down: false,
            finished: false,
        })
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn rand_ms(&mut self, lo: u64, hi: u64) -> Duration {
        let span = hi.saturating_sub(lo) + 1;
        Duration::from_millis(lo + self.rand() % span)
    }

    /// The host label currently claimed or being claimed (`petrel-2` after a
    /// rename).
    pub fn host_name(&self) -> &str {
        &self.host
    }

    /// The interface address in use.
    pub fn address(&self) -> Option<Ipv4Addr> {
        self.addr
    }

    /// Whether the host name is claimed (probing and announcing done).
    pub fn host_claimed(&self) -> bool {
        self.host_claim == Claim::Established
    }

    /// The instance label of service `id`, if it exists.
    pub fn service_instance(&self, id: usize) -> Option<&str> {
        self.services
            .get(id)
            .filter(|s| s.claim != Claim::Idle)
            .map(|s| s.instance.as_str())
    }

    /// Whether service `id` is claimed.
    pub fn service_claimed(&self, id: usize) -> bool {
        self.services
            .get(id)
            .is_some_and(|s| s.claim == Claim::Established)
    }

    /// Sets (or changes, or with `None` drops) the interface address. A new
    /// address starts probing of the host name and of every service.
    pub fn set_address(&mut self, now: Instant, addr: Option<Ipv4Addr>) {
        if self.addr == addr || self.shutting_down {
            return;
        }
        self.addr = addr;
        self.pending.clear();
        self.sent.clear();
        if addr.is_none() {
            self.host_claim = Claim::Idle;
            return;
        }
        let at = now + self.rand_ms(0, 250);
        self.host_claim = Claim::Probing { sent: 0, at };
        for s in self.services.iter_mut() {
            if s.claim != Claim::Idle {
                s.claim = Claim::Probing { sent: 0, at };
            }
        }
    }

    /// Adds a service; probing starts at once if the address is known.
    /// Returns its id.
    pub fn add_service(&mut self, now: Instant, spec: ServiceSpec<'a>) -> Result<usize, NameError> {
        if spec.instance.is_empty() || spec.instance.len() > 63 {
            return Err(NameError::BadLabel);
        }
        if !valid_service_type(spec.service_type)
            || !spec
                .subtypes
                .iter()
                .all(|s| valid_service_label(s.as_bytes()))
        {
            return Err(NameError::BadServiceType);
        }
        if spec.subtypes.len() > MAX_SUBTYPES {
            return Err(NameError::TooManySubtypes);
        }
        let mut instance = heapless::String::new();
        instance
            .push_str(spec.instance)
            .map_err(|_| NameError::BadLabel)?;
        let claim = if self.addr.is_some() {
            Claim::Probing {
                sent: 0,
                at: now + self.rand_ms(0, 250),
            }
        } else {
            Claim::Probing {
                sent: 0,
                at: Instant::ZERO,
            }
        };
        let slot = Slot {
            spec,
            instance,
            claim,
        };
        if let Some(i) = self.services.iter().position(|s| s.claim == Claim::Idle) {
            if let Some(s) = self.services.get_mut(i) {
                *s = slot;
            }
            return Ok(i);
        }
        self.services.push(slot).map_err(|_| NameError::Full)?;
        Ok(self.services.len() - 1)
    }

    /// Removes service `id`: goodbyes (TTL 0) go out if it was announced.
    pub fn remove_service(&mut self, id: usize) {
        if let Some(s) = self.services.get_mut(id) {
            s.claim = if s.claim.answers() {
                Claim::Leaving
            } else {
                Claim::Idle
            };
        }
        self.retain_pending(&|_, p| p.rec.owner() != Some(id));
    }

    /// Stops answering and queues goodbyes for everything announced.
    pub fn shutdown(&mut self) {
        self.shutting_down = true;
        self.pending.clear();
        self.legacy.clear();
        let leave = |c: &mut Claim| {
            *c = if c.answers() {
                Claim::Leaving
            } else {
                Claim::Idle
            }
        };
        leave(&mut self.host_claim);
        for s in self.services.iter_mut() {
            leave(&mut s.claim);
        }
        self.check_finished();
    }

    /// Whether a shut-down responder has sent all its goodbyes.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn check_finished(&mut self) {
        if self.shutting_down
            && !self.finished
            && self.host_claim != Claim::Leaving
            && self.services.iter().all(|s| s.claim != Claim::Leaving)
        {
            self.finished = true;
            let _ = self.events.push_back(Event::Finished);
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest time [`Responder::poll_transmit`] has something to do
    /// (a time in the past means at once).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        let pause = self.paused_until.unwrap_or(Instant::ZERO);
        let mut claim = |c: Claim| match c {
            Claim::Probing { at, .. } => consider(at.max(pause)),
            Claim::Announcing { at, .. } => consider(at),
            Claim::Leaving => consider(Instant::ZERO),
            _ => {}
        };
        if self.addr.is_some() {
            claim(self.host_claim);
            for s in &self.services {
                claim(s.claim);
            }
        } else if self.host_claim == Claim::Leaving {
            claim(self.host_claim);
        }
        for p in &self.pending {
            consider(p.at);
        }
        if !self.legacy.is_empty() {
            consider(Instant::ZERO);
        }
        next
    }

    // ---- names and records ----------------------------------------------

    fn host_fqdn(&self) -> Name {
        let mut n = Name::root();
        let _ = n.push_label(self.host.as_bytes());
        let _ = n.push_label(b"local");
        n
    }

    fn type_name(&self, i: usize) -> Name {
        let mut n = Name::root();
        if let Some(s) = self.services.get(i) {
            let (a, b) = split_type(s.spec.service_type);
            let _ = n.push_label(a);
            let _ = n.push_label(b);
            let _ = n.push_label(b"local");
        }
        n
    }

    fn instance_name(&self, i: usize) -> Name {
        let t = self.type_name(i);
        let label = self.services.get(i).map_or("", |s| s.instance.as_str());
        Name::join(label.as_bytes(), &t).unwrap_or(t)
    }

    fn enum_name() -> Name {
        let mut n = Name::root();
        for l in [&b"_services"[..], b"_dns-sd", b"_udp", b"local"] {
            let _ = n.push_label(l);
        }
        n
    }

    fn sub_name(&self, i: usize, j: usize) -> Name {
        let t = self.type_name(i);
        let sub = self
            .services
            .get(i)
            .and_then(|s| s.spec.subtypes.get(j))
            .copied()
            .unwrap_or("_");
        let mut n = Name::root();
        let _ = n.push_label(sub.as_bytes());
        let _ = n.push_label(b"_sub");
        let _ = n.append(&t);
        n
    }

    /// Whether service `i` is the first live one of its type (so the
    /// enumeration PTR is given once per type).
    fn first_of_type(&self, i: usize) -> bool {
        let Some(me) = self.services.get(i) else {
            return false;
        };
        !self.services.iter().take(i).any(|s| {
            s.claim.answers()
                && s.spec
                    .service_type
                    .eq_ignore_ascii_case(me.spec.service_type)
        })
    }

    fn build(&self, rec: Rec) -> Option<Built<'a>> {
        let addr = self.addr?;
        let name = match rec {
            Rec::HostA | Rec::HostNsec => self.host_fqdn(),
            Rec::HostReverse | Rec::ReverseNsec => reverse_name(addr),
            Rec::Enum(_) => Self::enum_name(),
            Rec::Ptr(i) => self.type_name(i),
            Rec::SubPtr(i, j) => self.sub_name(i, j),
            Rec::Srv(i) | Rec::Txt(i) | Rec::InstanceNsec(i) => self.instance_name(i),
        };
        // An mDNS NSEC names its owner as the next name.
        let nsec = |types: &[u16]| RData::Nsec {
            next: name.clone(),
            types: bitmap(types),
        };
        let data = match rec {
            Rec::HostA => RData::A(addr),
            Rec::HostReverse => RData::Ptr(self.host_fqdn()),
            Rec::HostNsec => nsec(&[rtype::A]),
            Rec::ReverseNsec => nsec(&[rtype::PTR]),
            Rec::Enum(i) => RData::Ptr(self.type_name(i)),
            Rec::Ptr(i) | Rec::SubPtr(i, _) => RData::Ptr(self.instance_name(i)),
            Rec::Srv(i) => RData::Srv {
                priority: 0,
                weight: 0,
                port: self.services.get(i)?.spec.port,
                target: self.host_fqdn(),
            },
            Rec::Txt(i) => {
                let t = self.services.get(i)?.spec.txt;
                RData::Txt(if t.is_empty() { &[0] } else { t })
            }
            Rec::InstanceNsec(_) => nsec(&[rtype::TXT, rtype::SRV]),
        };
        // TXT is unique but not about the host name (RFC 6762 10).
        let ttl = if rec.unique() && !matches!(rec, Rec::Txt(_)) {
            self.config.host_ttl
        } else {
            self.config.other_ttl
        };
        Some(Built {
            name,
            rtype: rtype_of(rec),
            ttl,
            data,
        })
    }

    /// Calls `f` with every record of `owner` (NSEC excluded).
    fn owner_recs(&self, owner: Owner, f: &mut dyn FnMut(Rec)) {
        match owner {
            Owner::Host => {
                f(Rec::HostA);
                f(Rec::HostReverse);
            }
            Owner::Service(i) => {
                let Some(s) = self.services.get(i) else {
                    return;
                };
                f(Rec::Srv(i));
                f(Rec::Txt(i));
                f(Rec::Ptr(i));
                for j in 0..s.spec.subtypes.len() {
                    f(Rec::SubPtr(i, j));
                }
                if self.first_of_type(i) || s.claim == Claim::Leaving {
                    f(Rec::Enum(i));
                }
            }
        }
    }

    fn claim(&self, owner: Owner) -> Claim {
        match owner {
            Owner::Host => self.host_claim,
            Owner::Service(i) => self.services.get(i).map_or(Claim::Idle, |s| s.claim),
        }
    }

    fn set_claim(&mut self, owner: Owner, c: Claim) {
        match owner {
            Owner::Host => self.host_claim = c,
            Owner::Service(i) => {
                if let Some(s) = self.services.get_mut(i) {
                    s.claim = c;
                }
            }
        }
    }

    /// The owner whose unique name is `name` (host name or instance name).
    fn unique_owner(&self, name: &Name) -> Option<Owner> {
        if *name == self.host_fqdn() {
            return Some(Owner::Host);
        }
        (0..self.services.len())
            .find(|&i| {
                self.claim(Owner::Service(i)) != Claim::Idle && *name == self.instance_name(i)
            })
            .map(Owner::Service)
    }

    /// Calls `f` with each record that answers `(name, qtype)`, or the NSEC
    /// when we own the name but not the type.
    fn answers_for(&self, name: &Name, qtype: u16, f: &mut dyn FnMut(Rec)) {
        if self.addr.is_none() || self.shutting_down {
            return;
        }
        let mut owned_name: Option<Rec> = None;
        let mut any = false;
        let mut check = |rec: Rec, owned_nsec: Option<Rec>, this: &Self| {
            let Some(b) = this.build(rec) else { return };
            if b.name != *name {
                return;
            }
            if owned_nsec.is_some() {
                owned_name = owned_nsec;
            }
            if qtype == rtype::ANY || qtype == b.rtype {
                any = true;
                f(rec);
            }
        };
        if self.host_claim.answers() {
            check(Rec::HostA, Some(Rec::HostNsec), self);
            check(Rec::HostReverse, Some(Rec::ReverseNsec), self);
        }
        for i in 0..self.services.len() {
            let Some(s) = self.services.get(i) else {
                continue;
            };
            if !s.claim.answers() {
                continue;
            }
            check(Rec::Srv(i), Some(Rec::InstanceNsec(i)), self);
            check(Rec::Txt(i), Some(Rec::InstanceNsec(i)), self);
            check(Rec::Ptr(i), None, self);
            for j in 0..s.spec.subtypes.len() {
                check(Rec::SubPtr(i, j), None, self);
            }
            if self.first_of_type(i) {
                check(Rec::Enum(i), None, self);
            }
        }
        if !any && let Some(nsec) = owned_name {
            f(nsec);
        }
    }

    /// Whether our record `rec` has the same name, type and rdata as the
    /// received `r`.
    fn same_record(&self, rec: Rec, r: &Record<'_>) -> bool {
        let Some(b) = self.build(rec) else {
            return false;
        };
        if b.rtype != r.rtype || b.name != r.name || r.class != CLASS_IN {
            return false;
        }
        // Compared field by field (names case-insensitively), so rdata of
        // any length needs no scratch buffer.
        r.data().is_ok_and(|x| x == b.data)
    }
}

mod input;
mod output;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames() {
        assert_eq!(next_name("petrel", false).as_str(), "petrel-2");
        assert_eq!(next_name("petrel-02", false).as_str(), "petrel-3");
        assert_eq!(next_name("petrel-", false).as_str(), "petrel--2");
        assert_eq!(next_name("-5", false).as_str(), "-5-2");
        assert_eq!(next_name("x-4294967294", false).as_str(), "x-4294967295");
        assert_eq!(next_name("x-4294967295", false).as_str(), "x-4294967295-2");
        assert_eq!(
            next_name("x-99999999999", false).as_str(),
            "x-99999999999-2"
        );
        assert_eq!(next_name("Web (9)", true).as_str(), "Web (10)");
        assert_eq!(next_name("Web (1)", true).as_str(), "Web (1) (2)");
        assert_eq!(next_name("Web (x)", true).as_str(), "Web (x) (2)");
        assert_eq!(next_name("Web ()", true).as_str(), "Web () (2)");
        assert_eq!(next_name("(3)", true).as_str(), "(3) (2)");
        assert_eq!(next_name(" (3)", true).as_str(), " (4)");
        assert_eq!(next_name("petrel-2", false).as_str(), "petrel-3");
        assert_eq!(next_name("petrel-9", false).as_str(), "petrel-10");
        assert_eq!(next_name("my-box", false).as_str(), "my-box-2");
        assert_eq!(next_name("box-1", false).as_str(), "box-1-2");
        assert_eq!(next_name("Web", true).as_str(), "Web (2)");
        assert_eq!(next_name("Web (2)", true).as_str(), "Web (3)");
        let long = "a".repeat(63);
        assert_eq!(next_name(&long, false).len(), 63);
        assert!(next_name(&long, false).ends_with("-2"));
        let uni = "é".repeat(31); // 62 bytes
        assert!(next_name(&uni, true).ends_with(" (2)"));
    }

    #[test]
    fn service_type_validation() {
        assert!(valid_service_type("_http._tcp"));
        assert!(valid_service_type("_snmp._udp"));
        assert!(!valid_service_type("http._tcp"));
        assert!(!valid_service_type("_http._sctp"));
        assert!(!valid_service_type("_http"));
        assert!(valid_host_label("petrel-1"));
        assert!(!valid_host_label("pet rel"));
        assert!(!valid_host_label("-x"));
    }
}
