//! The responder's output side: probes, announcements, answers, legacy
//! replies and goodbyes, written into the caller's buffer.

use petrel_netcore::time::{Duration, Instant};

use super::*;

impl<'a, const S: usize, const P: usize, const R: usize, const L: usize> Responder<'a, S, P, R, L> {
    // ---- output ------------------------------------------------------------

    /// Writes the next datagram due at `now` into `buf` (1500 bytes is
    /// enough for everything but very large TXT records, which need as much
    /// as they are long). Call until `None`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(t) = self.transmit_goodbyes(buf) {
            return Some(t);
        }
        if self.addr.is_none() || self.shutting_down {
            return None;
        }
        if let Some(t) = self.transmit_legacy(buf) {
            return Some(t);
        }
        if let Some(t) = self.transmit_probes(now, buf) {
            return Some(t);
        }
        if let Some(t) = self.transmit_announcements(now, buf) {
            return Some(t);
        }
        self.transmit_answers(now, buf)
    }

    /// The owners (at most 8, host first) in `phase` whose next step is due
    /// at `now`, with the probes or announcements sent so far.
    fn due(&self, now: Instant, phase: Phase) -> heapless::Vec<(Owner, u8), 8> {
        let mut v = heapless::Vec::new();
        for i in 0..=self.services.len() {
            let o = match i.checked_sub(1) {
                None => Owner::Host,
                Some(i) => Owner::Service(i),
            };
            let sent = match (self.claim(o), phase) {
                (Claim::Probing { sent, at }, Phase::Probing)
                | (Claim::Announcing { sent, at }, Phase::Announcing)
                    if at <= now =>
                {
                    sent
                }
                (Claim::Leaving, Phase::Leaving) => 0,
                _ => continue,
            };
            let _ = v.push((o, sent));
        }
        v
    }

    fn write_rec(
        &self,
        w: &mut Writer<'_>,
        section: Section,
        rec: Rec,
        mode: Mode,
    ) -> Result<(), WireError> {
        let b = self.build(rec).ok_or(WireError::BadRData)?;
        let (ttl, flush) = match mode {
            Mode::Normal => (b.ttl, rec.unique()),
            Mode::Goodbye => (0, false),
            Mode::Legacy => (b.ttl.min(LEGACY_TTL), false),
        };
        w.rdata_record(section, &b.name, b.rtype, flush, ttl, &b.data)
    }

    fn transmit_goodbyes(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        let leaving = self.due(Instant::ZERO, Phase::Leaving);
        if leaving.is_empty() {
            return None;
        }
        let mut w = Writer::new(buf, 0, FLAG_QR | FLAG_AA).ok()?;
        let mut done: heapless::Vec<Owner, 8> = heapless::Vec::new();
        for (owner, _) in leaving {
            let mut recs: heapless::Vec<Rec, 16> = heapless::Vec::new();
            self.owner_recs(owner, &mut |r| {
                let _ = recs.push(r);
            });
            let mark = w.counts();
            let mut ok = true;
            for rec in &recs {
                ok &= self
                    .write_rec(&mut w, Section::Answer, *rec, Mode::Goodbye)
                    .is_ok();
            }
            // A partly written owner is finished in the next datagram
            // unless nothing at all fitted (give up on that one).
            if ok || w.counts() == mark {
                let _ = done.push(owner);
            }
            if !ok {
                break;
            }
        }
        for o in &done {
            self.set_claim(*o, Claim::Idle);
        }
        self.retain_pending(&|_, p| !done.contains(&Owner::from_rec(p.rec)));
        self.check_finished();
        if w.counts()[1] == 0 {
            return None;
        }
        Some(Transmit {
            len: w.finish(),
            to: MDNS_DEST,
        })
    }

    fn transmit_legacy(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        if self.legacy.is_empty() {
            return None;
        }
        let l = self.legacy.remove(0);
        let mut w = Writer::new(buf, l.id, FLAG_QR | FLAG_AA).ok()?;
        for (name, qtype) in &l.questions {
            w.question(name, *qtype, false).ok()?;
        }
        let mut answered: heapless::Vec<Rec, 16> = heapless::Vec::new();
        for (name, qtype) in &l.questions {
            self.answers_for(name, *qtype, &mut |rec| {
                if !answered.contains(&rec) {
                    let _ = answered.push(rec);
                }
            });
        }
        for rec in &answered {
            let _ = self.write_rec(&mut w, Section::Answer, *rec, Mode::Legacy);
        }
        self.additionals(&mut w, &answered, Mode::Legacy);
        Some(Transmit {
            len: w.finish(),
            to: l.to,
        })
    }

    /// Adds the RFC 6763 12 additional records for `answers`.
    fn additionals(&self, w: &mut Writer<'_>, answers: &[Rec], mode: Mode) {
        let mut extra: heapless::Vec<Rec, 24> = heapless::Vec::new();
        let add = |r: Rec, extra: &mut heapless::Vec<Rec, 24>| {
            if !answers.contains(&r) && !extra.contains(&r) {
                let _ = extra.push(r);
            }
        };
        for rec in answers {
            match *rec {
                Rec::Ptr(i) | Rec::SubPtr(i, _) => {
                    add(Rec::Srv(i), &mut extra);
                    add(Rec::Txt(i), &mut extra);
                    add(Rec::HostA, &mut extra);
                    add(Rec::HostNsec, &mut extra);
                }
                Rec::Srv(_) | Rec::HostA => {
                    add(Rec::HostA, &mut extra);
                    add(Rec::HostNsec, &mut extra);
                }
                _ => {}
            }
        }
        for rec in extra {
            if !self.host_claim.answers() && rec.owner().is_none() {
                continue;
            }
            let _ = self.write_rec(w, Section::Additional, rec, mode);
        }
    }

    fn transmit_probes(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.paused_until.is_some_and(|t| now < t) {
            return None;
        }
        self.paused_until = None;
        let due = self.due(now, Phase::Probing);
        let mut probing: heapless::Vec<(Owner, u8), 8> = heapless::Vec::new();
        for (o, sent) in due {
            if sent >= PROBES {
                // Probing is over: announce.
                self.set_claim(o, Claim::Announcing { sent: 0, at: now });
                if o == Owner::Host && self.host_renamed {
                    // The SRV targets changed: re-announce the services.
                    self.host_renamed = false;
                    for s in self.services.iter_mut() {
                        if s.claim == Claim::Established {
                            s.claim = Claim::Announcing { sent: 0, at: now };
                        }
                    }
                }
            } else {
                let _ = probing.push((o, sent));
            }
        }
        if probing.is_empty() {
            return None;
        }
        let mut w = Writer::new(buf, 0, 0).ok()?;
        for (o, sent) in &probing {
            let name = match o {
                Owner::Host => self.host_fqdn(),
                Owner::Service(i) => self.instance_name(*i),
            };
            // The first probe asks for a unicast reply (RFC 6762 8.1).
            w.question(&name, rtype::ANY, *sent == 0).ok()?;
            if *o == Owner::Host {
                // Also ask for A: some responders (python-zeroconf up to at
                // least 0.154) answer A but never ANY for a host name.
                w.question(&name, rtype::A, *sent == 0).ok()?;
            }
        }
        for (o, _) in &probing {
            let mut recs: heapless::Vec<Rec, 4> = heapless::Vec::new();
            self.probe_recs(*o, &mut |r| {
                let _ = recs.push(r);
            });
            for rec in recs {
                let _ = self.write_rec(&mut w, Section::Authority, rec, Mode::Normal);
            }
        }
        for (o, sent) in probing {
            self.set_claim(
                o,
                Claim::Probing {
                    sent: sent + 1,
                    at: now + PROBE_INTERVAL,
                },
            );
        }
        Some(Transmit {
            len: w.finish(),
            to: MDNS_DEST,
        })
    }

    fn transmit_announcements(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let due = self.due(now, Phase::Announcing);
        if due.is_empty() {
            return None;
        }
        let mut w = Writer::new(buf, 0, FLAG_QR | FLAG_AA).ok()?;
        let mut all: heapless::Vec<Rec, 24> = heapless::Vec::new();
        for (o, _) in &due {
            self.owner_recs(*o, &mut |r| {
                let _ = all.push(r);
            });
        }
        for rec in &all {
            if self
                .write_rec(&mut w, Section::Answer, *rec, Mode::Normal)
                .is_ok()
            {
                self.note_multicast(*rec, now);
            }
        }
        for (o, sent) in due {
            let sent = sent + 1;
            if sent >= self.config.announcements {
                self.set_claim(o, Claim::Established);
                let _ = self.events.push_back(Event::Claimed(o));
            } else {
                // 1 s, then doubling (RFC 6762 8.3).
                let gap = Duration::from_secs(1u64 << (sent - 1).min(3));
                self.set_claim(
                    o,
                    Claim::Announcing {
                        sent,
                        at: now + gap,
                    },
                );
            }
        }
        Some(Transmit {
            len: w.finish(),
            to: MDNS_DEST,
        })
    }

    fn transmit_answers(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        // The earliest due answer picks the destination; everything due for
        // it goes along.
        let mut first: Option<Pending> = None;
        for p in &self.pending {
            if p.at <= now && first.is_none_or(|f| p.at < f.at) {
                first = Some(*p);
            }
        }
        let to = first?.to;
        let mut w = Writer::new(buf, 0, FLAG_QR | FLAG_AA).ok()?;
        let mut due: heapless::Vec<Rec, 48> = heapless::Vec::new();
        for p in &self.pending {
            if p.at <= now && p.to == to {
                let _ = due.push(p.rec);
            }
        }
        let mut written: heapless::Vec<Rec, 48> = heapless::Vec::new();
        for rec in &due {
            match self.write_rec(&mut w, Section::Answer, *rec, Mode::Normal) {
                Ok(()) => {
                    let _ = written.push(*rec);
                }
                Err(WireError::BufferFull) if !written.is_empty() => break,
                // Does not fit even alone, or vanished: drop it.
                Err(_) => {
                    let _ = written.push(*rec);
                }
            }
        }
        self.retain_pending(&|_, p| !(p.to == to && written.contains(&p.rec)));
        if to == MDNS_DEST {
            for rec in &written {
                self.note_multicast(*rec, now);
            }
        }
        written.retain(|r| !r.is_nsec());
        self.additionals(&mut w, &written, Mode::Normal);
        if w.counts()[1] == 0 {
            return None;
        }
        Some(Transmit {
            len: w.finish(),
            to,
        })
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    Normal,
    Goodbye,
    Legacy,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    Probing,
    Announcing,
    Leaving,
}
