//! The responder's input side: queries (answers, probes, the tiebreak)
//! and responses (conflicts, duplicate-answer suppression).

use core::net::SocketAddr;

use petrel_netcore::time::{Duration, Instant};

use super::*;

impl<'a, const S: usize, const P: usize, const R: usize, const L: usize> Responder<'a, S, P, R, L> {
    // ---- input -------------------------------------------------------------

    /// Handles one datagram received on port 5353 from `src`. Malformed
    /// messages are reported (for the log) and otherwise ignored.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        msg: &[u8],
        src: SocketAddr,
    ) -> Result<(), WireError> {
        let reader = Reader::new(msg)?;
        let h = reader.header();
        // RFC 6762 18.3 / 18.11: other opcodes and error responses are
        // silently ignored.
        if h.opcode() != 0 || h.rcode() != 0 {
            return Ok(());
        }
        if h.is_response() {
            // Responses from other ports are not mDNS (RFC 6762 6).
            if src.port() != MDNS_PORT {
                return Ok(());
            }
            self.handle_response(now, reader)
        } else {
            self.handle_query(now, reader, src)
        }
    }

    fn handle_query(
        &mut self,
        now: Instant,
        mut reader: Reader<'_>,
        src: SocketAddr,
    ) -> Result<(), WireError> {
        let h = reader.header();
        let legacy = src.port() != MDNS_PORT;
        let mut questions: heapless::Vec<Question, MAX_QUESTIONS> = heapless::Vec::new();
        while let Some(q) = reader.question() {
            let q = q?;
            if q.qclass == CLASS_IN || q.qclass == 255 {
                let _ = questions.push(q);
            }
        }
        // Probes from others for names we are probing: tiebreak.
        if h.nscount > 0 && !legacy {
            for q in &questions {
                if let Some(owner) = self.unique_owner(&q.name)
                    && matches!(self.claim(owner), Claim::Probing { .. })
                {
                    self.tiebreak(now, owner, &q.name, reader.clone());
                }
            }
        }
        if legacy {
            let mut qs = heapless::Vec::new();
            for q in questions.iter().take(2) {
                let mut any = false;
                self.answers_for(&q.name, q.qtype, &mut |_| any = true);
                if any {
                    let _ = qs.push((q.name.clone(), q.qtype));
                }
            }
            if !qs.is_empty() && !self.legacy.is_full() {
                let _ = self.legacy.push(Legacy {
                    to: src,
                    id: h.id,
                    questions: qs,
                });
            }
            return Ok(());
        }
        let mut cands: heapless::Vec<(Rec, bool), 32> = heapless::Vec::new();
        for q in &questions {
            self.answers_for(&q.name, q.qtype, &mut |rec| {
                if !cands.iter().any(|(r, _)| *r == rec) {
                    let _ = cands.push((rec, q.unicast_response));
                }
            });
        }
        if cands.is_empty() {
            return Ok(());
        }
        // Known-answer suppression (RFC 6762 7.1).
        while let Some(r) = reader.record() {
            let Ok((Section::Answer, r)) = r else { break };
            let mut i = 0;
            while let Some(&(rec, _)) = cands.get(i) {
                let ttl = self.build(rec).map_or(0, |b| b.ttl);
                if self.same_record(rec, &r) && r.ttl >= ttl / 2 {
                    cands.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        // One delay for all shared answers of this query, so they travel
        // together.
        let shared_delay = if h.flags & FLAG_TC != 0 {
            self.rand_ms(400, 500)
        } else {
            self.rand_ms(20, 120)
        };
        for (rec, qu) in cands {
            let ttl = self.build(rec).map_or(0, |b| b.ttl);
            let last = self.last_multicast(rec);
            let recent = |d: Duration| last.is_some_and(|t| now.saturating_duration_since(t) < d);
            if qu && recent(Duration::from_secs(u64::from(ttl / 4))) {
                self.schedule(rec, now, src);
                continue;
            }
            // Rate limit: once per second on multicast (RFC 6762 6); a
            // probe defence may come after 250 ms.
            let limit = if h.nscount > 0 {
                Duration::from_millis(250)
            } else {
                RATE_LIMIT
            };
            if recent(limit) {
                continue;
            }
            let delay = if rec.unique() && h.flags & FLAG_TC == 0 {
                Duration::from_micros(0)
            } else {
                shared_delay
            };
            self.schedule(rec, now + delay, MDNS_DEST);
        }
        Ok(())
    }

    /// Keeps the pending answers for which `keep` holds (in order).
    pub(super) fn retain_pending(&mut self, keep: &dyn Fn(&Self, &Pending) -> bool) {
        let mut i = 0;
        while let Some(p) = self.pending.get(i).copied() {
            if keep(self, &p) {
                i += 1;
            } else {
                self.pending.remove(i);
            }
        }
    }

    fn last_multicast(&self, rec: Rec) -> Option<Instant> {
        self.sent.iter().find(|(r, _)| *r == rec).map(|(_, t)| *t)
    }

    fn schedule(&mut self, rec: Rec, at: Instant, to: SocketAddr) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.rec == rec && p.to == to) {
            p.at = p.at.min(at);
            return;
        }
        let _ = self.pending.push(Pending { rec, at, to });
    }

    pub(super) fn note_multicast(&mut self, rec: Rec, now: Instant) {
        // The entry of `rec`, else the oldest one (the first of the oldest)
        // when the list is full.
        let mut oldest: Option<(usize, Instant)> = None;
        for (i, e) in self.sent.iter_mut().enumerate() {
            if e.0 == rec {
                e.1 = now;
                return;
            }
            if oldest.is_none_or(|(_, t)| e.1 < t) {
                oldest = Some((i, e.1));
            }
        }
        if self.sent.is_full()
            && let Some((i, _)) = oldest
        {
            // Forget the oldest entry.
            self.sent.swap_remove(i);
        }
        let _ = self.sent.push((rec, now));
    }

    /// RFC 6762 8.2: compare our proposed records with theirs; the
    /// lexicographically later set wins.
    fn tiebreak(&mut self, now: Instant, owner: Owner, name: &Name, mut reader: Reader<'_>) {
        // Theirs: authority records named `name`, canonical, sorted.
        let mut theirs = CanonSet::new();
        while let Some(r) = reader.record() {
            let Ok((sec, r)) = r else { return };
            if sec != Section::Authority || r.name != *name {
                continue;
            }
            if let Ok(d) = r.data() {
                push_canon(&mut theirs, r.class, r.rtype, &d);
            }
        }
        if theirs.is_empty() {
            return;
        }
        let mut ours = CanonSet::new();
        let mut recs: heapless::Vec<Rec, 4> = heapless::Vec::new();
        self.probe_recs(owner, &mut |r| {
            let _ = recs.push(r);
        });
        for rec in recs {
            if let Some(b) = self.build(rec) {
                push_canon(&mut ours, CLASS_IN, b.rtype, &b.data);
            }
        }
        petrel_netcore::small::sort_by(&mut theirs, Ord::cmp);
        petrel_netcore::small::sort_by(&mut ours, Ord::cmp);
        if ours < theirs {
            self.set_claim(
                owner,
                Claim::Probing {
                    sent: 0,
                    at: now + TIEBREAK_WAIT,
                },
            );
            let _ = self.events.push_back(Event::LostTiebreak(owner));
        }
    }

    /// The unique records proposed in a probe for `owner`.
    pub(super) fn probe_recs(&self, owner: Owner, f: &mut dyn FnMut(Rec)) {
        match owner {
            Owner::Host => f(Rec::HostA),
            Owner::Service(i) => {
                f(Rec::Srv(i));
                f(Rec::Txt(i));
            }
        }
    }

    fn handle_response(&mut self, now: Instant, mut reader: Reader<'_>) -> Result<(), WireError> {
        let mut conflicted: heapless::Vec<Owner, 4> = heapless::Vec::new();
        while let Some(r) = reader.record() {
            let (_, r) = r?;
            if r.class != CLASS_IN || r.rtype == rtype::NSEC {
                continue;
            }
            if let Some(owner) = self.unique_owner(&r.name) {
                let claim = self.claim(owner);
                let mut ours_same_type = false;
                let mut identical = false;
                self.owner_recs(owner, &mut |rec| {
                    if rec.unique() && rtype_of(rec) == r.rtype {
                        ours_same_type = true;
                        identical |= self.same_record(rec, &r);
                    }
                });
                let conflict = match claim {
                    // Any record under a name being probed is a conflict
                    // unless it is one of ours (RFC 6762 8.1).
                    Claim::Probing { .. } => !identical,
                    Claim::Announcing { .. } | Claim::Established => {
                        ours_same_type && !identical && r.ttl > 0
                    }
                    _ => false,
                };
                if conflict && !conflicted.contains(&owner) {
                    let _ = conflicted.push(owner);
                }
            }
            // Duplicate answer suppression (RFC 6762 7.4).
            self.retain_pending(&|this, p| {
                let ttl = this.build(p.rec).map_or(0, |b| b.ttl);
                p.to != MDNS_DEST
                    || p.rec.unique()
                    || !this.same_record(p.rec, &r)
                    || r.ttl < ttl / 2
            });
        }
        if !conflicted.is_empty() {
            // Renamed names are probed together.
            let at = now + self.rand_ms(0, 250);
            for owner in conflicted {
                self.conflict(now, owner, at);
            }
        }
        Ok(())
    }

    fn conflict(&mut self, now: Instant, owner: Owner, mut at: Instant) {
        while self
            .conflicts
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > CONFLICT_WINDOW)
        {
            self.conflicts.pop_front();
        }
        if self.conflicts.is_full() {
            self.conflicts.pop_front();
        }
        let _ = self.conflicts.push_back(now);
        if self.conflicts.len() >= CONFLICT_LIMIT {
            self.paused_until = Some(now + CONFLICT_WAIT);
            at = now + CONFLICT_WAIT;
            let _ = self.events.push_back(Event::RateLimited);
        }
        match owner {
            Owner::Host => {
                self.host = next_name(&self.host, false);
                self.host_renamed = true;
            }
            Owner::Service(i) => {
                if let Some(s) = self.services.get_mut(i) {
                    s.instance = next_name(&s.instance, true);
                }
            }
        }
        self.retain_pending(&|_, p| Owner::from_rec(p.rec) != owner);
        self.set_claim(owner, Claim::Probing { sent: 0, at });
        let _ = self.events.push_back(Event::Renamed(owner));
    }
}

/// Records of one side of a tiebreak: class, type, canonical rdata.
type CanonSet = heapless::Vec<(u16, u16, heapless::Vec<u8, CANON>), 4>;

/// Adds a record to `set` (left out when its rdata is longer than
/// [`CANON`] or the set is full).
fn push_canon(set: &mut CanonSet, class: u16, rtype: u16, data: &RData<'_>) {
    let mut v = heapless::Vec::new();
    let _ = v.resize(CANON, 0);
    if let Some(n) = canonical_rdata(data, &mut v) {
        v.truncate(n);
        let _ = set.push((class, rtype, v));
    }
}
