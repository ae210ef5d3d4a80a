//! The NetBIOS name service responder core (a B-node, RFC 1001 §15,
//! RFC 1002 §4–5).
//!
//! # What it does
//!
//! - **Registration**: on [`Responder::new`] the device's name is claimed
//!   with suffixes 0x00 (workstation) and 0x20 (server): a broadcast NAME
//!   REGISTRATION REQUEST per name, three times 250 ms apart. A NEGATIVE
//!   NAME REGISTRATION RESPONSE to one of them is a conflict
//!   ([`Event::Conflict`]): that name is no longer answered or defended. After
//!   three unanswered requests a NAME OVERWRITE DEMAND is broadcast and the
//!   name is ours ([`Event::Registered`]); a negative response that arrives
//!   later (a slow owner) still takes it away.
//! - **Queries**: an NB query (0x20) for our name with suffix 0x00 or 0x20,
//!   in any letter case, is answered with a positive response carrying the
//!   address of the interface the query arrived on. A unicast (non-broadcast)
//!   query for another name gets a negative response (NAM_ERR); broadcast
//!   queries for other names are ignored, as every other node does.
//! - **Node status** (NBSTAT, 0x21) for `*` or our name: the name table
//!   (our names, flagged active or in conflict, and the workgroup as a group
//!   name when configured) and the MAC address.
//! - **Defence**: a registration request for one of our registered names
//!   from another address gets a negative registration response with
//!   ACT_ERR (RFC 1002 §4.2.6) and an [`Event::Defended`].
//! - **Release**: [`Responder::release`] broadcasts a NAME RELEASE REQUEST
//!   for each name we hold; afterwards nothing is answered.
//!
//! Scoped names (a NetBIOS scope after the name) are not ours: the empty
//! scope only. Every other opcode, every response we did not ask for and
//! every malformed packet is ignored with an [`Event::Ignored`].
//!
//! # Call order
//!
//! Like every Petrel core: [`Responder::handle_packet`] /
//! [`Responder::handle_timeout`] in, then [`Responder::poll_transmit`] until
//! `None` (each datagram goes to [`Destination`]), [`Responder::poll_event`]
//! until `None`, and sleep until [`Responder::poll_timeout`].

use core::net::{Ipv4Addr, SocketAddr};

use heapless::Deque;
use petrel_netcore::time::{Duration, Instant};

use crate::wire::{
    CLASS_IN, FLAG_AA, FLAG_BROADCAST, FLAG_RA, FLAG_RD, FLAG_RESPONSE, Header, NbName, Opcode,
    RCODE_ACT_ERR, RCODE_NAM_ERR, Repr, TYPE_NB, TYPE_NBSTAT, WireError, Writer,
};

/// Registration requests per name (RFC 1002 BCAST_REQ_RETRY_COUNT).
pub const REGISTRATION_TRIES: u8 = 3;
/// Time between them (BCAST_REQ_RETRY_TIMEOUT).
pub const REGISTRATION_INTERVAL: Duration = Duration::from_millis(250);
/// Queued datagrams; beyond this, answers are dropped (the peer retries).
pub const TX_QUEUE: usize = 8;
/// Queued events; the oldest is dropped beyond this.
pub const EVENT_QUEUE: usize = 8;

/// The suffixes we register: workstation (0x00) and server (0x20).
pub const SUFFIXES: [u8; 2] = [0x00, 0x20];

/// Responder settings.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Our NetBIOS name (upper-cased, truncated to 15 bytes).
    pub name: NbName,
    /// The workgroup, listed as a group name in node status (not
    /// registered); `None` to leave it out.
    pub workgroup: Option<NbName>,
    /// Our primary address: put in registrations and releases, and in
    /// answers when the interface of a query is unknown.
    pub addr: Ipv4Addr,
    /// The MAC address for node status.
    pub mac: [u8; 6],
    /// TTL of our names in answers and registrations, seconds. Default
    /// 300 000 (Samba's).
    pub ttl: u32,
    /// Seed of the transaction IDs of our requests.
    pub random_seed: u16,
}

impl Config {
    /// A config for `name` at `addr` with MAC `mac` and the defaults.
    pub fn new(name: &str, addr: Ipv4Addr, mac: [u8; 6]) -> Config {
        Config {
            name: NbName::new(name.as_bytes(), 0),
            workgroup: None,
            addr,
            mac,
            ttl: 300_000,
            random_seed: 0x4e42,
        }
    }
}

/// Where a datagram goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The subnet broadcast address, port 137.
    Broadcast,
    /// Back to a peer.
    Unicast(SocketAddr),
}

/// A datagram to send.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub to: Destination,
    /// Bytes written at the start of the buffer.
    pub len: usize,
}

/// Why a packet was not answered.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ignore {
    /// Not a name service packet.
    Malformed(WireError),
    /// An opcode we do not serve, or a response nobody asked for.
    Opcode(Opcode),
    /// A question for a name that is not ours (or in a scope).
    NotOurs,
    /// A question type other than NB and NBSTAT, or class other than IN.
    Type(u16),
    /// The transmit queue was full.
    Busy,
    /// We have released our names.
    Released,
}

/// What the responder reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A name is ours: three registration requests went unanswered.
    Registered {
        /// The name (with its suffix).
        name: NbName,
    },
    /// Another node owns our name: it answered our registration with a
    /// negative response. The name is given up.
    Conflict {
        /// The name.
        name: NbName,
        /// The node that objected.
        by: SocketAddr,
        /// The owner's address when the response names one other than
        /// ours (Samba echoes our request's record instead).
        owner: Option<Ipv4Addr>,
        /// The RCODE it sent (usually ACT_ERR, 6).
        rcode: u8,
    },
    /// Another node tried to register our name; it was refused.
    Defended {
        /// The name.
        name: NbName,
        /// The node.
        from: SocketAddr,
    },
    /// A name query was answered.
    Answered {
        /// The querier.
        from: SocketAddr,
        /// Positive (ours) or negative (a unicast query for another name).
        positive: bool,
        /// The address we gave.
        addr: Ipv4Addr,
    },
    /// A node status query was answered.
    StatusSent {
        /// The querier.
        from: SocketAddr,
    },
    /// A packet was not answered.
    Ignored {
        /// The sender.
        from: SocketAddr,
        /// Why.
        reason: Ignore,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum NameState {
    /// Registration requests sent so far; waiting for objections.
    Registering {
        sent: u8,
        id: u16,
    },
    /// Send the overwrite demand, then registered.
    Overwrite {
        id: u16,
    },
    Registered,
    Conflict,
    /// Send the release request.
    Releasing {
        id: u16,
    },
    Released,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Pending {
    /// Registration request (or overwrite demand, `rd = false`) for name `i`.
    Register {
        i: usize,
        id: u16,
        rd: bool,
    },
    Release {
        i: usize,
        id: u16,
    },
    Positive {
        to: SocketAddr,
        id: u16,
        rd: bool,
        name: NbName,
        addr: Ipv4Addr,
    },
    Negative {
        to: SocketAddr,
        id: u16,
        rd: bool,
        name: NbName,
    },
    Status {
        to: SocketAddr,
        id: u16,
        name: NbName,
    },
    Defend {
        to: SocketAddr,
        id: u16,
        name: NbName,
    },
}

/// The NetBIOS name service responder.
#[derive(Clone, Debug)]
pub struct Responder {
    config: Config,
    names: [(NbName, NameState); 2],
    next_id: u16,
    /// The transaction ID of each name's registration: a negative response
    /// to it is a conflict even when it arrives after we took the name.
    reg_ids: [u16; 2],
    timer: Option<Instant>,
    tx: Deque<Pending, TX_QUEUE>,
    events: Deque<Event, EVENT_QUEUE>,
}

impl Responder {
    /// A responder that starts registering its names at `now`.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut r = Responder {
            config,
            names: SUFFIXES.map(|s| {
                let mut n = config.name;
                n.bytes[15] = s;
                n.scoped = false;
                (n, NameState::Registered)
            }),
            next_id: config.random_seed,
            reg_ids: [0; 2],
            timer: Some(now),
            tx: Deque::new(),
            events: Deque::new(),
        };
        for k in 0..r.names.len() {
            let id = r.id();
            if let Some(e) = r.names.get_mut(k) {
                e.1 = NameState::Registering { sent: 0, id };
            }
            if let Some(slot) = r.reg_ids.get_mut(k) {
                *slot = id;
            }
        }
        r
    }

    fn id(&mut self) -> u16 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Changes the primary address (a new DHCP lease).
    pub fn set_addr(&mut self, addr: Ipv4Addr) {
        self.config.addr = addr;
    }

    /// Whether name `suffix` is registered (ours and not in conflict).
    pub fn is_registered(&self, suffix: u8) -> bool {
        self.names
            .iter()
            .any(|(n, s)| n.suffix() == suffix && *s == NameState::Registered)
    }

    /// Whether the release has been sent for every name.
    pub fn is_released(&self) -> bool {
        self.names
            .iter()
            .all(|(_, s)| matches!(s, NameState::Released | NameState::Conflict))
            && self
                .tx
                .iter()
                .all(|p| !matches!(p, Pending::Release { .. }))
    }

    /// Whether name `i` is one we answer for.
    fn holds(&self, i: usize) -> bool {
        matches!(
            self.names.get(i).map(|e| e.1),
            Some(
                NameState::Registering { .. } | NameState::Overwrite { .. } | NameState::Registered
            )
        )
    }

    /// Gives up our names: queues a release request for each one we hold.
    /// Nothing is answered afterwards.
    pub fn release(&mut self) {
        for i in 0..self.names.len() {
            if self.holds(i) {
                let id = self.id();
                if let Some(e) = self.names.get_mut(i) {
                    e.1 = NameState::Releasing { id };
                }
            } else if let Some(e) = self.names.get_mut(i)
                && e.1 != NameState::Conflict
            {
                e.1 = NameState::Released;
            }
        }
        // Answers still queued are moot; the releases take their place.
        self.tx.clear();
        for i in 0..self.names.len() {
            if let Some((_, NameState::Releasing { id })) = self.names.get(i).copied() {
                let _ = self.tx.push_back(Pending::Release { i, id });
                if let Some(e) = self.names.get_mut(i) {
                    e.1 = NameState::Released;
                }
            }
        }
        self.timer = None;
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn event(&mut self, e: Event) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    fn queue(&mut self, p: Pending, from: SocketAddr) {
        if self.tx.push_back(p).is_err() {
            self.event(Event::Ignored {
                from,
                reason: Ignore::Busy,
            });
        }
    }

    /// Handles the registration timer.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timer.is_none_or(|t| t > now) {
            return;
        }
        self.timer = None;
        let mut again = false;
        for i in 0..self.names.len() {
            let Some((name, state)) = self.names.get(i).copied() else {
                continue;
            };
            match state {
                NameState::Registering { sent, id } if sent < REGISTRATION_TRIES => {
                    let _ = self.tx.push_back(Pending::Register { i, id, rd: true });
                    self.set_state(i, NameState::Registering { sent: sent + 1, id });
                    again = true;
                }
                NameState::Registering { id, .. } => {
                    let _ = self.tx.push_back(Pending::Register { i, id, rd: false });
                    self.set_state(i, NameState::Overwrite { id });
                }
                NameState::Overwrite { .. } => {}
                _ => {}
            }
            if let Some((_, NameState::Overwrite { .. })) = self.names.get(i) {
                self.set_state(i, NameState::Registered);
                self.event(Event::Registered { name });
            }
        }
        if again {
            self.timer = Some(now + REGISTRATION_INTERVAL);
        }
    }

    fn set_state(&mut self, i: usize, s: NameState) {
        if let Some(e) = self.names.get_mut(i) {
            e.1 = s;
        }
    }

    /// Handles a datagram from `from` that arrived on the interface whose
    /// address is `iface` (`None`: unknown, the primary address is used).
    pub fn handle_packet(&mut self, from: SocketAddr, iface: Option<Ipv4Addr>, bytes: &[u8]) {
        let ignore = |reason| Event::Ignored { from, reason };
        let repr = match Repr::parse(bytes) {
            Ok(r) => r,
            Err(e) => return self.event(ignore(Ignore::Malformed(e))),
        };
        if self
            .names
            .iter()
            .all(|(_, s)| *s == NameState::Released || *s == NameState::Conflict)
            && self.names.iter().any(|(_, s)| *s == NameState::Released)
        {
            return self.event(ignore(Ignore::Released));
        }
        let h = repr.header;
        match (h.opcode(), h.is_response()) {
            (Opcode::Query, false) => self.query(from, iface, &repr),
            (Opcode::Registration, false) => self.registration(from, &repr),
            (Opcode::Registration, true) => self.registration_response(from, &repr),
            (op, _) => self.event(ignore(Ignore::Opcode(op))),
        }
    }

    /// Index of the held name equal to `name` (case-insensitive, suffix).
    fn ours(&self, name: &NbName) -> Option<usize> {
        if name.scoped {
            return None;
        }
        (0..self.names.len()).find(|i| {
            self.holds(*i)
                && self
                    .names
                    .get(*i)
                    .is_some_and(|(n, _)| n.same_name(name) && n.suffix() == name.suffix())
        })
    }

    fn query(&mut self, from: SocketAddr, iface: Option<Ipv4Addr>, repr: &Repr) {
        let ignore = |reason| Event::Ignored { from, reason };
        let Some(q) = repr.question else {
            return self.event(ignore(Ignore::NotOurs));
        };
        let h = repr.header;
        let rd = h.flags & FLAG_RD != 0;
        if q.qclass != CLASS_IN {
            return self.event(ignore(Ignore::Type(q.qclass)));
        }
        match q.qtype {
            TYPE_NB => {
                if self.ours(&q.name).is_some() {
                    let addr = iface.unwrap_or(self.config.addr);
                    self.queue(
                        Pending::Positive {
                            to: from,
                            id: h.id,
                            rd,
                            name: q.name,
                            addr,
                        },
                        from,
                    );
                    self.event(Event::Answered {
                        from,
                        positive: true,
                        addr,
                    });
                } else if !h.broadcast() && !q.name.scoped {
                    self.queue(
                        Pending::Negative {
                            to: from,
                            id: h.id,
                            rd,
                            name: q.name,
                        },
                        from,
                    );
                    self.event(Event::Answered {
                        from,
                        positive: false,
                        addr: self.config.addr,
                    });
                } else {
                    self.event(ignore(Ignore::NotOurs));
                }
            }
            TYPE_NBSTAT => {
                let for_us = !q.name.scoped
                    && (q.name.is_wildcard()
                        || self.names.iter().any(|(n, _)| n.same_name(&q.name)));
                if for_us {
                    self.queue(
                        Pending::Status {
                            to: from,
                            id: h.id,
                            name: q.name,
                        },
                        from,
                    );
                    self.event(Event::StatusSent { from });
                } else {
                    self.event(ignore(Ignore::NotOurs));
                }
            }
            t => self.event(ignore(Ignore::Type(t))),
        }
    }

    fn registration(&mut self, from: SocketAddr, repr: &Repr) {
        let Some(q) = repr.question else {
            return self.event(Event::Ignored {
                from,
                reason: Ignore::NotOurs,
            });
        };
        // Our own broadcast coming back (host sockets loop broadcasts).
        let claimed = repr
            .record
            .and_then(|r| r.nb)
            .map(|(_, a)| Ipv4Addr::from(a));
        let from_us = claimed == Some(self.config.addr)
            && self.names.iter().any(|(_, s)| {
                matches!(s, NameState::Registering { id, .. } | NameState::Overwrite { id } if *id == repr.header.id)
            });
        match self.ours(&q.name) {
            Some(i)
                if !from_us
                    && self
                        .names
                        .get(i)
                        .is_some_and(|e| e.1 == NameState::Registered) =>
            {
                self.queue(
                    Pending::Defend {
                        to: from,
                        id: repr.header.id,
                        name: q.name,
                    },
                    from,
                );
                self.event(Event::Defended { name: q.name, from });
            }
            _ => self.event(Event::Ignored {
                from,
                reason: Ignore::NotOurs,
            }),
        }
    }

    fn registration_response(&mut self, from: SocketAddr, repr: &Repr) {
        let h = repr.header;
        let hit = (0..self.names.len()).find(|i| {
            self.reg_ids.get(*i) == Some(&h.id)
                && matches!(
                    self.names.get(*i),
                    Some((
                        _,
                        NameState::Registering { .. }
                            | NameState::Overwrite { .. }
                            | NameState::Registered
                    ))
                )
        });
        match hit {
            Some(i) if h.rcode() != 0 => {
                let name = self.names.get(i).map(|e| e.0).unwrap_or(self.config.name);
                self.set_state(i, NameState::Conflict);
                if !(0..self.names.len())
                    .any(|k| matches!(self.names.get(k), Some((_, NameState::Registering { .. }))))
                {
                    self.timer = None;
                }
                self.event(Event::Conflict {
                    name,
                    by: from,
                    // Samba echoes our own record: only a different
                    // address names the owner.
                    owner: repr
                        .record
                        .and_then(|r| r.nb)
                        .map(|(_, a)| Ipv4Addr::from(a))
                        .filter(|a| *a != self.config.addr),
                    rcode: h.rcode(),
                });
            }
            _ => self.event(Event::Ignored {
                from,
                reason: Ignore::Opcode(Opcode::Registration),
            }),
        }
    }

    /// The next datagram to send, written into `buf` (576 bytes is always
    /// enough).
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        // Bounded: each iteration pops one entry.
        while let Some(p) = self.tx.pop_front() {
            if let Ok(t) = self.emit(p, buf) {
                return Some(t);
            }
        }
        None
    }

    fn nb_rdata(&self, w: &mut Writer<'_>, addr: Ipv4Addr) -> Result<(), WireError> {
        w.u16(6)?;
        // NB_FLAGS: unique name, B-node (ONT 00).
        w.u16(0)?;
        w.bytes(&addr.octets())
    }

    fn emit(&self, p: Pending, buf: &mut [u8]) -> Result<Transmit, WireError> {
        let mut w = Writer::new(buf);
        let header = |id, flags, qd, an, ar| Header {
            id,
            flags,
            qdcount: qd,
            ancount: an,
            nscount: 0,
            arcount: ar,
        };
        let to = match p {
            Pending::Register { i, id, rd } => {
                let name = self
                    .names
                    .get(i)
                    .map(|e| e.0)
                    .ok_or(WireError::BufferTooSmall)?;
                let mut flags = (u16::from(Opcode::Registration.bits()) << 11) | FLAG_BROADCAST;
                if rd {
                    flags |= FLAG_RD;
                }
                self.request(&mut w, header(id, flags, 1, 0, 1), &name, self.config.ttl)?;
                Destination::Broadcast
            }
            Pending::Release { i, id } => {
                let name = self
                    .names
                    .get(i)
                    .map(|e| e.0)
                    .ok_or(WireError::BufferTooSmall)?;
                let flags = (u16::from(Opcode::Release.bits()) << 11) | FLAG_BROADCAST;
                self.request(&mut w, header(id, flags, 1, 0, 1), &name, 0)?;
                Destination::Broadcast
            }
            Pending::Positive {
                to,
                id,
                rd,
                name,
                addr,
            } => {
                let flags = FLAG_RESPONSE | FLAG_AA | if rd { FLAG_RD } else { 0 };
                w.header(&header(id, flags, 0, 1, 0))?;
                w.name(&name)?;
                w.u16(TYPE_NB)?;
                w.u16(CLASS_IN)?;
                w.u32(self.config.ttl)?;
                self.nb_rdata(&mut w, addr)?;
                Destination::Unicast(to)
            }
            Pending::Negative { to, id, rd, name } => {
                let flags = FLAG_RESPONSE
                    | FLAG_AA
                    | if rd { FLAG_RD } else { 0 }
                    | u16::from(RCODE_NAM_ERR);
                w.header(&header(id, flags, 0, 1, 0))?;
                w.name(&name)?;
                w.u16(TYPE_NB)?;
                w.u16(CLASS_IN)?;
                w.u32(0)?;
                w.u16(0)?;
                Destination::Unicast(to)
            }
            Pending::Defend { to, id, name } => {
                // RFC 1002 §4.2.6: R, opcode 5, AA, RD, RA, RCODE ACT_ERR;
                // the answer names the owner (us).
                let flags = FLAG_RESPONSE
                    | (u16::from(Opcode::Registration.bits()) << 11)
                    | FLAG_AA
                    | FLAG_RD
                    | FLAG_RA
                    | u16::from(RCODE_ACT_ERR);
                w.header(&header(id, flags, 0, 1, 0))?;
                w.name(&name)?;
                w.u16(TYPE_NB)?;
                w.u16(CLASS_IN)?;
                w.u32(0)?;
                self.nb_rdata(&mut w, self.config.addr)?;
                Destination::Unicast(to)
            }
            Pending::Status { to, id, name } => {
                w.header(&header(id, FLAG_RESPONSE | FLAG_AA, 0, 1, 0))?;
                w.name(&name)?;
                w.u16(TYPE_NBSTAT)?;
                w.u16(CLASS_IN)?;
                w.u32(0)?;
                self.status_rdata(&mut w)?;
                Destination::Unicast(to)
            }
        };
        Ok(Transmit { to, len: w.len() })
    }

    fn request(
        &self,
        w: &mut Writer<'_>,
        h: Header,
        name: &NbName,
        ttl: u32,
    ) -> Result<(), WireError> {
        w.header(&h)?;
        w.name(name)?;
        w.u16(TYPE_NB)?;
        w.u16(CLASS_IN)?;
        // The additional record's name points at the question (offset 12).
        w.u16(0xc00c)?;
        w.u16(TYPE_NB)?;
        w.u16(CLASS_IN)?;
        w.u32(ttl)?;
        self.nb_rdata(w, self.config.addr)
    }

    fn status_rdata(&self, w: &mut Writer<'_>) -> Result<(), WireError> {
        // NAME_FLAGS: ACT for names we hold, CNF for names in conflict,
        // G for the workgroup (a group name); released names are left out.
        const ACT: u16 = 0x0400;
        const CNF: u16 = 0x0800;
        const GROUP: u16 = 0x8000;
        let mut table: heapless::Vec<(NbName, u16), 3> = heapless::Vec::new();
        for (i, (n, s)) in self.names.iter().enumerate() {
            let flags = match s {
                NameState::Conflict => CNF,
                _ if self.holds(i) => ACT,
                _ => continue,
            };
            let _ = table.push((*n, flags));
        }
        if let Some(g) = self.config.workgroup {
            let _ = table.push((g, GROUP | ACT));
        }
        let count = table.len();
        // NUM_NAMES + 18 bytes per name + 46 bytes of statistics.
        let rdlen = 1 + 18 * count + 46;
        w.u16(u16::try_from(rdlen).unwrap_or(u16::MAX))?;
        w.bytes(&[u8::try_from(count).unwrap_or(0)])?;
        for (n, flags) in &table {
            w.bytes(&n.bytes)?;
            w.u16(*flags)?;
        }
        // STATISTICS: UNIT_ID (the MAC), then 40 bytes of counters we do
        // not keep (zero, as Samba sends).
        w.bytes(&self.config.mac)?;
        w.bytes(&[0u8; 40])
    }
}
