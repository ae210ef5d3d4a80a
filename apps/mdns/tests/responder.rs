//! Responder scenarios in virtual time: probing → announcing timing,
//! conflict → rename, the simultaneous-probe tiebreak, answers (delays,
//! known answers, QU, legacy unicast, NSEC) and goodbyes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use common::{Row, decode};
use petrel_mdns::responder::MDNS_DEST;
use petrel_mdns::wire::{FLAG_QR, Section, WriteData, Writer, rtype};
use petrel_mdns::{Event, Name, Owner, Responder, ResponderConfig, ServiceSpec};
use petrel_netcore::time::{Duration, Instant};

const ADDR: &str = "198.51.100.2";
const TXT: &[u8] = b"\x06path=/";

fn spec() -> ServiceSpec<'static> {
    ServiceSpec {
        instance: "Petrel dashboard",
        service_type: "_http._tcp",
        subtypes: &["_printer"],
        port: 8080,
        txt: TXT,
    }
}

fn peer() -> SocketAddr {
    "198.51.100.1:5353".parse().unwrap()
}

/// A sent datagram with its time.
struct Sent {
    at: Instant,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// Runs the responder's timers from `now` until `until`, collecting output.
fn run<const S: usize, const P: usize, const R: usize, const L: usize>(
    r: &mut Responder<'static, S, P, R, L>,
    now: &mut Instant,
    until: Instant,
) -> Vec<Sent> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1500];
    for _ in 0..1000 {
        while let Some(t) = r.poll_transmit(*now, &mut buf) {
            out.push(Sent {
                at: *now,
                to: t.to,
                bytes: buf[..t.len].to_vec(),
            });
        }
        match r.poll_timeout() {
            Some(t) if t.max(*now) <= until => *now = t.max(*now),
            _ => break,
        }
    }
    *now = until;
    out
}

/// Sends what is due at `now` only.
fn run_now(r: &mut Responder<'static, 4>, now: Instant) -> Vec<Sent> {
    let mut t = now;
    run(r, &mut t, now)
}

fn events<const S: usize, const P: usize, const R: usize, const L: usize>(
    r: &mut Responder<'static, S, P, R, L>,
) -> Vec<Event> {
    std::iter::from_fn(|| r.poll_event()).collect()
}

fn new_responder() -> (Responder<'static, 4>, Instant) {
    new_responder_sized()
}

fn new_responder_sized<const S: usize, const P: usize, const R: usize, const L: usize>()
-> (Responder<'static, S, P, R, L>, Instant) {
    let mut r = Responder::new(ResponderConfig::default(), "petrel", 42).unwrap();
    let now = Instant::from_secs(100);
    r.add_service(now, spec()).unwrap();
    r.set_address(now, Some(ADDR.parse().unwrap()));
    (r, now)
}

fn claimed() -> (Responder<'static, 4>, Instant) {
    claimed_sized()
}

/// [`claimed`] with the responder's queue sizes chosen by the caller.
fn claimed_sized<const S: usize, const P: usize, const R: usize, const L: usize>()
-> (Responder<'static, S, P, R, L>, Instant) {
    let (mut r, mut now) = new_responder_sized();
    let until = now + Duration::from_secs(5);
    run(&mut r, &mut now, until);
    assert!(r.host_claimed() && r.service_claimed(0));
    events(&mut r);
    (r, now)
}

fn query(qs: &[(&str, u16, bool)], known: &[(&str, u16, u32, &str)], id: u16) -> Vec<u8> {
    let mut buf = [0u8; 1500];
    let mut w = Writer::new(&mut buf, id, 0).unwrap();
    for (n, t, qu) in qs {
        w.question(&Name::from_dotted(n).unwrap(), *t, *qu).unwrap();
    }
    for (n, t, ttl, target) in known {
        let target = Name::from_dotted(target).unwrap();
        w.record(
            Section::Answer,
            &Name::from_dotted(n).unwrap(),
            *t,
            false,
            *ttl,
            &WriteData::Ptr(&target),
        )
        .unwrap();
    }
    let n = w.finish();
    buf[..n].to_vec()
}

fn rows(s: &Sent) -> Vec<Row> {
    decode(&s.bytes).2
}

#[test]
fn probing_then_announcing_timing() {
    let (mut r, mut now) = new_responder();
    let start = now;
    let sent = run(&mut r, &mut now, start + Duration::from_secs(5));
    let probes: Vec<&Sent> = sent
        .iter()
        .filter(|s| !decode(&s.bytes).0.is_response())
        .collect();
    assert_eq!(probes.len(), 3, "three probes");
    // The first after a random 0–250 ms delay, then 250 ms apart.
    assert!(probes[0].at - start <= Duration::from_millis(250));
    assert_eq!(probes[1].at - probes[0].at, Duration::from_millis(250));
    assert_eq!(probes[2].at - probes[1].at, Duration::from_millis(250));
    for (i, p) in probes.iter().enumerate() {
        assert_eq!(p.to, MDNS_DEST);
        let (h, qs, rs) = decode(&p.bytes);
        assert_eq!(h.nscount as usize, rs.len());
        let names: Vec<(String, u16)> = qs.iter().map(|q| (q.name.to_string(), q.qtype)).collect();
        assert_eq!(
            names,
            [
                ("petrel.local".into(), rtype::ANY),
                ("petrel.local".into(), rtype::A),
                ("Petrel dashboard._http._tcp.local".into(), rtype::ANY)
            ]
        );
        assert_eq!(qs[0].unicast_response, i == 0, "QU on the first probe only");
        let auth: Vec<(String, u16)> = rs.iter().map(|r| (r.name.clone(), r.rtype)).collect();
        assert!(auth.contains(&("petrel.local".into(), rtype::A)));
        assert!(auth.contains(&("Petrel dashboard._http._tcp.local".into(), rtype::SRV)));
        assert!(rs.iter().all(|r| r.section == Section::Authority));
    }
    let announces: Vec<&Sent> = sent
        .iter()
        .filter(|s| decode(&s.bytes).0.is_response())
        .collect();
    assert_eq!(announces.len(), 2, "two announcements");
    assert_eq!(announces[0].at - probes[2].at, Duration::from_millis(250));
    assert_eq!(announces[1].at - announces[0].at, Duration::from_secs(1));
    let a = rows(announces[0]);
    let find = |name: &str, t: u16| a.iter().find(|r| r.name == name && r.rtype == t).unwrap();
    assert!(find("petrel.local", rtype::A).flush);
    assert_eq!(find("petrel.local", rtype::A).data, ADDR);
    assert!(find("2.100.51.198.in-addr.arpa", rtype::PTR).flush);
    assert!(
        !find("_http._tcp.local", rtype::PTR).flush,
        "shared PTR has no cache-flush"
    );
    assert_eq!(find("_http._tcp.local", rtype::PTR).ttl, 4500);
    assert_eq!(
        find("Petrel dashboard._http._tcp.local", rtype::SRV).data,
        "8080 petrel.local"
    );
    assert_eq!(
        find("Petrel dashboard._http._tcp.local", rtype::TXT).data,
        "\u{6}path=/"
    );
    assert_eq!(
        find("_printer._sub._http._tcp.local", rtype::PTR).data,
        "Petrel dashboard._http._tcp.local"
    );
    assert_eq!(
        find("_services._dns-sd._udp.local", rtype::PTR).data,
        "_http._tcp.local"
    );
    let ev = events(&mut r);
    assert!(ev.contains(&Event::Claimed(Owner::Host)));
    assert!(ev.contains(&Event::Claimed(Owner::Service(0))));
    // Nothing more is sent without queries.
    assert!(run(&mut r, &mut now, start + Duration::from_secs(60)).is_empty());
}

fn response(recs: &[(&str, u16, &[u8])]) -> Vec<u8> {
    let mut buf = [0u8; 1500];
    let mut w = Writer::new(&mut buf, 0, FLAG_QR | 0x0400).unwrap();
    for (n, t, data) in recs {
        let name = Name::from_dotted(n).unwrap();
        let d = match *t {
            rtype::A => WriteData::A(<[u8; 4]>::try_from(*data).unwrap().into()),
            _ => WriteData::Txt(data),
        };
        w.record(Section::Answer, &name, *t, true, 120, &d).unwrap();
    }
    let n = w.finish();
    buf[..n].to_vec()
}

#[test]
fn conflict_during_probing_renames_host_and_service() {
    let (mut r, mut now) = new_responder();
    let first = run(
        &mut r,
        &mut now,
        Instant::from_secs(100) + Duration::from_millis(300),
    );
    assert!(!first.is_empty());
    // Another host answers for both names.
    let msg = response(&[
        ("petrel.local", rtype::A, &[198, 51, 100, 1]),
        ("Petrel dashboard._http._tcp.local", rtype::TXT, b"\x03x=1"),
    ]);
    r.handle_packet(now, &msg, peer()).unwrap();
    assert_eq!(r.host_name(), "petrel-2");
    assert_eq!(r.service_instance(0), Some("Petrel dashboard (2)"));
    let ev = events(&mut r);
    assert!(ev.contains(&Event::Renamed(Owner::Host)));
    assert!(ev.contains(&Event::Renamed(Owner::Service(0))));
    let until = now + Duration::from_secs(5);
    let sent = run(&mut r, &mut now, until);
    let probes: Vec<_> = sent
        .iter()
        .filter(|s| !decode(&s.bytes).0.is_response())
        .collect();
    assert_eq!(probes.len(), 3, "probing starts over");
    assert_eq!(
        decode(&probes[0].bytes).1[0].name.to_string(),
        "petrel-2.local"
    );
    assert!(r.host_claimed());
    let ann = rows(
        sent.iter()
            .find(|s| decode(&s.bytes).0.is_response())
            .unwrap(),
    );
    assert!(
        ann.iter()
            .any(|x| x.name == "petrel-2.local" && x.data == ADDR)
    );
    assert!(
        ann.iter()
            .any(|x| x.rtype == rtype::SRV && x.data == "8080 petrel-2.local")
    );
    // Our own announcement coming back is not a conflict.
    r.handle_packet(now, &sent.last().unwrap().bytes, peer())
        .unwrap();
    assert_eq!(r.host_name(), "petrel-2");
}

#[test]
fn conflict_after_claim_renames_and_reannounces() {
    let (mut r, mut now) = claimed();
    let msg = response(&[("petrel.local", rtype::A, &[198, 51, 100, 7])]);
    r.handle_packet(now, &msg, peer()).unwrap();
    assert_eq!(r.host_name(), "petrel-2");
    let until = now + Duration::from_secs(5);
    run(&mut r, &mut now, until);
    assert!(r.host_claimed());
    // A record with the same data (another responder repeating our A) is no
    // conflict.
    let same = response(&[("petrel-2.local", rtype::A, &[198, 51, 100, 2])]);
    r.handle_packet(now, &same, peer()).unwrap();
    assert_eq!(r.host_name(), "petrel-2");
}

#[test]
fn conflict_rate_limit_pauses_probing() {
    let (mut r, mut now) = new_responder();
    let mut paused = false;
    for i in 0..15 {
        now += Duration::from_millis(100);
        let host = format!("{}.local", r.host_name());
        let msg = response(&[(&host, rtype::A, &[10, 0, 0, i])]);
        r.handle_packet(now, &msg, peer()).unwrap();
        paused |= events(&mut r).contains(&Event::RateLimited);
    }
    assert!(paused, "15 conflicts within 10 s");
    assert_eq!(r.host_name(), "petrel-16");
    let t = r.poll_timeout().unwrap();
    assert!(t >= now + Duration::from_secs(5), "next probe waits 5 s");
    let mut buf = [0u8; 1500];
    assert!(
        r.poll_transmit(now + Duration::from_secs(4), &mut buf)
            .is_none()
    );
    assert!(
        r.poll_transmit(now + Duration::from_secs(5), &mut buf)
            .is_some()
    );
}

fn probe_from_other(addr: [u8; 4]) -> Vec<u8> {
    let mut buf = [0u8; 1500];
    let mut w = Writer::new(&mut buf, 0, 0).unwrap();
    let n = Name::from_dotted("petrel.local").unwrap();
    w.question(&n, rtype::ANY, true).unwrap();
    w.record(
        Section::Authority,
        &n,
        rtype::A,
        false,
        120,
        &WriteData::A(addr.into()),
    )
    .unwrap();
    let len = w.finish();
    buf[..len].to_vec()
}

#[test]
fn simultaneous_probe_tiebreak() {
    // We propose 198.51.100.2. A peer proposing .9 (greater) wins.
    let (mut r, mut now) = new_responder();
    run(
        &mut r,
        &mut now,
        Instant::from_secs(100) + Duration::from_millis(300),
    );
    r.handle_packet(now, &probe_from_other([198, 51, 100, 9]), peer())
        .unwrap();
    assert!(events(&mut r).contains(&Event::LostTiebreak(Owner::Host)));
    assert_eq!(r.host_name(), "petrel", "a lost tiebreak is not a rename");
    let until = now + Duration::from_secs(5);
    let sent = run(&mut r, &mut now, until);
    let host_probe = sent
        .iter()
        .find(|s| {
            let (h, qs, _) = decode(&s.bytes);
            !h.is_response() && qs.iter().any(|q| q.name.to_string() == "petrel.local")
        })
        .unwrap();
    assert!(host_probe.at >= until - Duration::from_secs(5) + Duration::from_secs(1));

    // A peer proposing .1 (smaller) loses: we carry on undisturbed.
    let (mut r, mut now) = new_responder();
    run(
        &mut r,
        &mut now,
        Instant::from_secs(100) + Duration::from_millis(300),
    );
    r.handle_packet(now, &probe_from_other([198, 51, 100, 1]), peer())
        .unwrap();
    assert!(events(&mut r).is_empty());
    let until = now + Duration::from_secs(3);
    run(&mut r, &mut now, until);
    assert!(r.host_claimed());
    // Our own probe (identical records) is not a tiebreak loss either.
    let (mut r, mut now) = new_responder();
    run(
        &mut r,
        &mut now,
        Instant::from_secs(100) + Duration::from_millis(300),
    );
    r.handle_packet(now, &probe_from_other([198, 51, 100, 2]), peer())
        .unwrap();
    assert!(events(&mut r).is_empty());
}

#[test]
fn established_name_is_defended_against_a_probe() {
    let (mut r, mut now) = claimed();
    now += Duration::from_secs(2);
    r.handle_packet(now, &probe_from_other([198, 51, 100, 9]), peer())
        .unwrap();
    let sent = run_now(&mut r, now);
    assert_eq!(sent.len(), 1, "answered at once");
    assert!(
        rows(&sent[0])
            .iter()
            .any(|x| x.rtype == rtype::A && x.data == ADDR)
    );
}

#[test]
fn shared_answer_delay_additionals_and_rate_limit() {
    let (mut r, mut now) = claimed();
    now += Duration::from_secs(2);
    let t0 = now;
    r.handle_packet(
        now,
        &query(&[("_http._tcp.local", rtype::PTR, false)], &[], 0),
        peer(),
    )
    .unwrap();
    let mut buf = [0u8; 1500];
    assert!(
        r.poll_transmit(now, &mut buf).is_none(),
        "shared answers wait"
    );
    let sent = run(&mut r, &mut now, t0 + Duration::from_millis(200));
    assert_eq!(sent.len(), 1);
    let d = sent[0].at - t0;
    assert!(
        d >= Duration::from_millis(20) && d <= Duration::from_millis(120),
        "{d:?}"
    );
    let (h, _, rs) = decode(&sent[0].bytes);
    assert_eq!(h.ancount, 1);
    assert_eq!(rs[0].data, "Petrel dashboard._http._tcp.local");
    let add: Vec<u16> = rs
        .iter()
        .filter(|x| x.section == Section::Additional)
        .map(|x| x.rtype)
        .collect();
    assert!(add.contains(&rtype::SRV) && add.contains(&rtype::TXT) && add.contains(&rtype::A));
    assert!(add.contains(&rtype::NSEC));
    // Asked again within a second: not repeated on multicast.
    r.handle_packet(
        now,
        &query(&[("_http._tcp.local", rtype::PTR, false)], &[], 0),
        peer(),
    )
    .unwrap();
    assert!(run(&mut r, &mut now, t0 + Duration::from_millis(600)).is_empty());
    // After a second it is answered again.
    r.handle_packet(
        now + Duration::from_secs(1),
        &query(&[("_http._tcp.local", rtype::PTR, false)], &[], 0),
        peer(),
    )
    .unwrap();
    assert_eq!(run(&mut r, &mut now, t0 + Duration::from_secs(3)).len(), 1);
}

#[test]
fn known_answer_suppression() {
    let (mut r, mut now) = claimed();
    now += Duration::from_secs(5);
    let inst = "Petrel dashboard._http._tcp.local";
    let q = query(
        &[("_http._tcp.local", rtype::PTR, false)],
        &[("_http._tcp.local", rtype::PTR, 4000, inst)],
        0,
    );
    r.handle_packet(now, &q, peer()).unwrap();
    let until = now + Duration::from_secs(1);
    assert!(
        run(&mut r, &mut now, until).is_empty(),
        "known with > half TTL"
    );
    let q = query(
        &[("_http._tcp.local", rtype::PTR, false)],
        &[("_http._tcp.local", rtype::PTR, 2000, inst)],
        0,
    );
    r.handle_packet(now, &q, peer()).unwrap();
    let until = now + Duration::from_secs(1);
    assert_eq!(
        run(&mut r, &mut now, until).len(),
        1,
        "known with < half TTL"
    );
}

#[test]
fn unique_answers_are_immediate_and_qu_goes_unicast_when_recent() {
    let (mut r, mut now) = claimed();
    now += Duration::from_millis(1500);
    // Recently multicast (the announcement 0.5 s ago): QU → unicast.
    let from: SocketAddr = "198.51.100.1:5353".parse().unwrap();
    r.handle_packet(
        now,
        &query(&[("petrel.local", rtype::A, true)], &[], 0),
        from,
    )
    .unwrap();
    let sent = run_now(&mut r, now);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, from);
    assert!(
        rows(&sent[0])
            .iter()
            .any(|x| x.rtype == rtype::A && x.flush)
    );
    // Plain question: multicast at once (unique record).
    now += Duration::from_secs(2);
    r.handle_packet(
        now,
        &query(&[("petrel.local", rtype::A, false)], &[], 0),
        from,
    )
    .unwrap();
    let sent = run_now(&mut r, now);
    assert_eq!((sent.len(), sent[0].to), (1, MDNS_DEST));
    // Names are case-insensitive.
    now += Duration::from_secs(2);
    r.handle_packet(
        now,
        &query(&[("PETREL.Local", rtype::A, false)], &[], 0),
        from,
    )
    .unwrap();
    assert_eq!(run_now(&mut r, now).len(), 1);
}

#[test]
fn legacy_unicast_reply() {
    let (mut r, mut now) = claimed();
    now += Duration::from_secs(3);
    let from: SocketAddr = "198.51.100.1:40000".parse().unwrap();
    r.handle_packet(
        now,
        &query(&[("petrel.local", rtype::A, false)], &[], 0x1234),
        from,
    )
    .unwrap();
    let sent = run_now(&mut r, now);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, from);
    let (h, qs, rs) = decode(&sent[0].bytes);
    assert_eq!(h.id, 0x1234);
    assert!(h.is_response());
    assert_eq!(qs.len(), 1, "question echoed");
    assert_eq!(qs[0].name.to_string(), "petrel.local");
    assert!(rs.iter().all(|x| !x.flush && x.ttl <= 10));
    assert!(
        rs.iter()
            .any(|x| x.rtype == rtype::A && x.data == ADDR && x.section == Section::Answer)
    );
    // A legacy query for a name we do not own gets nothing.
    r.handle_packet(
        now,
        &query(&[("other.local", rtype::A, false)], &[], 9),
        from,
    )
    .unwrap();
    assert!(run_now(&mut r, now).is_empty());
}

#[test]
fn reverse_and_nsec_negative_answers() {
    let (mut r, mut now) = claimed();
    now += Duration::from_secs(3);
    r.handle_packet(
        now,
        &query(&[("2.100.51.198.in-addr.arpa", rtype::PTR, false)], &[], 0),
        peer(),
    )
    .unwrap();
    let sent = run_now(&mut r, now);
    assert_eq!(rows(&sent[0])[0].data, "petrel.local");
    now += Duration::from_secs(2);
    r.handle_packet(
        now,
        &query(&[("petrel.local", rtype::AAAA, false)], &[], 0),
        peer(),
    )
    .unwrap();
    let sent = run_now(&mut r, now);
    assert_eq!(sent.len(), 1);
    let rs = rows(&sent[0]);
    assert_eq!(rs[0].rtype, rtype::NSEC);
    assert_eq!(rs[0].data, "petrel.local [1]", "only A exists");
    now += Duration::from_secs(2);
    r.handle_packet(
        now,
        &query(
            &[("Petrel dashboard._http._tcp.local", rtype::AAAA, false)],
            &[],
            0,
        ),
        peer(),
    )
    .unwrap();
    let rs = rows(&run_now(&mut r, now)[0]);
    assert_eq!(rs[0].data, "Petrel dashboard._http._tcp.local [16 33]");
}

#[test]
fn services_enumeration_and_subtypes() {
    let (mut r, mut now) = claimed();
    r.add_service(
        now,
        ServiceSpec {
            instance: "Petrel",
            service_type: "_snmp._udp",
            subtypes: &[],
            port: 161,
            txt: b"",
        },
    )
    .unwrap();
    let until = now + Duration::from_secs(5);
    run(&mut r, &mut now, until);
    assert!(r.service_claimed(1));
    r.handle_packet(
        now,
        &query(
            &[("_services._dns-sd._udp.local", rtype::PTR, false)],
            &[],
            0,
        ),
        peer(),
    )
    .unwrap();
    let until = now + Duration::from_millis(200);
    let sent = run(&mut r, &mut now, until);
    let mut types: Vec<String> = rows(&sent[0])
        .into_iter()
        .filter(|x| x.section == Section::Answer)
        .map(|x| x.data)
        .collect();
    types.sort();
    assert_eq!(types, ["_http._tcp.local", "_snmp._udp.local"]);
    now += Duration::from_secs(2);
    r.handle_packet(
        now,
        &query(
            &[("_printer._sub._http._tcp.local", rtype::PTR, false)],
            &[],
            0,
        ),
        peer(),
    )
    .unwrap();
    let until = now + Duration::from_millis(200);
    let sent = run(&mut r, &mut now, until);
    assert_eq!(rows(&sent[0])[0].data, "Petrel dashboard._http._tcp.local");
}

#[test]
fn large_txt_fits_a_packet() {
    let txt: &'static [u8] = {
        let mut v = Vec::new();
        for i in 0..10 {
            v.push(120u8);
            v.extend(std::iter::repeat_n(b'a' + i, 120));
        }
        Box::leak(v.into_boxed_slice())
    };
    let mut r: Responder<'static, 4> =
        Responder::new(ResponderConfig::default(), "petrel", 1).unwrap();
    let mut now = Instant::from_secs(1);
    r.add_service(now, ServiceSpec { txt, ..spec() }).unwrap();
    r.set_address(now, Some(ADDR.parse().unwrap()));
    let until = now + Duration::from_secs(5);
    let sent = run(&mut r, &mut now, until);
    assert!(r.service_claimed(0));
    // Our own announcement heard back (a looped multicast) with its
    // 1210-byte TXT is recognised as ours, not a conflict.
    for s in &sent {
        r.handle_packet(now, &s.bytes, peer()).unwrap();
    }
    assert_eq!(r.service_instance(0), Some("Petrel dashboard"));
    assert!(
        events(&mut r)
            .iter()
            .all(|e| !matches!(e, Event::Renamed(_)))
    );
    r.handle_packet(
        now,
        &query(
            &[("Petrel dashboard._http._tcp.local", rtype::TXT, false)],
            &[],
            0,
        ),
        peer(),
    )
    .unwrap();
    let sent = run_now(&mut r, now);
    // (The looped probes also got answers; the first one's QU answer went
    // unicast.)
    let txts: Vec<Row> = sent
        .iter()
        .filter(|s| s.to == MDNS_DEST)
        .flat_map(rows)
        .filter(|x| x.rtype == rtype::TXT)
        .collect();
    assert_eq!(txts.len(), 1);
    assert_eq!(txts[0].data.as_bytes(), txt);
}

#[test]
fn goodbyes_on_removal_and_shutdown() {
    let (mut r, mut now) = claimed();
    r.add_service(
        now,
        ServiceSpec {
            instance: "Other",
            service_type: "_snmp._udp",
            subtypes: &[],
            port: 161,
            txt: b"",
        },
    )
    .unwrap();
    let until = now + Duration::from_secs(5);
    run(&mut r, &mut now, until);
    r.remove_service(1);
    let sent = run_now(&mut r, now);
    assert_eq!(sent.len(), 1);
    let rs = rows(&sent[0]);
    assert!(rs.iter().all(|x| x.ttl == 0));
    assert!(
        rs.iter()
            .any(|x| x.name == "_snmp._udp.local" && x.rtype == rtype::PTR)
    );
    assert!(rs.iter().all(|x| !x.name.contains("dashboard")));
    // Removed: no longer answered.
    now += Duration::from_secs(2);
    r.handle_packet(
        now,
        &query(&[("_snmp._udp.local", rtype::PTR, false)], &[], 0),
        peer(),
    )
    .unwrap();
    let until = now + Duration::from_secs(1);
    assert!(run(&mut r, &mut now, until).is_empty());

    r.shutdown();
    let sent = run_now(&mut r, now);
    assert_eq!(sent.len(), 1);
    let rs = rows(&sent[0]);
    assert!(rs.iter().all(|x| x.ttl == 0));
    for (n, t) in [
        ("petrel.local", rtype::A),
        ("_http._tcp.local", rtype::PTR),
        ("Petrel dashboard._http._tcp.local", rtype::SRV),
    ] {
        assert!(rs.iter().any(|x| x.name == n && x.rtype == t), "{n}");
    }
    assert!(r.is_finished());
    assert!(events(&mut r).contains(&Event::Finished));
    // Nothing is answered after shutdown.
    r.handle_packet(
        now,
        &query(&[("petrel.local", rtype::A, false)], &[], 0),
        peer(),
    )
    .unwrap();
    let until = now + Duration::from_secs(1);
    assert!(run(&mut r, &mut now, until).is_empty());
}

#[test]
fn legacy_queue_of_one_answers_one_query_per_drain() {
    // A microcontroller's responder: one service, small queues, `L` = 1.
    let (mut r, now) = claimed_sized::<1, 16, 16, 1>();
    let mut buf = [0u8; 1500];
    let a: SocketAddr = "198.51.100.1:40000".parse().unwrap();
    let b: SocketAddr = "198.51.100.3:40001".parse().unwrap();
    let q = |id| query(&[("petrel.local", rtype::A, false)], &[], id);
    // Two legacy queries before the next transmit: the queue holds one.
    r.handle_packet(now, &q(1), a).unwrap();
    r.handle_packet(now, &q(2), b).unwrap();
    let mut sent = Vec::new();
    while let Some(t) = r.poll_transmit(now, &mut buf) {
        sent.push((t.to, decode(&buf[..t.len]).0.id));
    }
    assert_eq!(
        sent,
        vec![(a, 1)],
        "the second waits for the resolver's retry"
    );
    // Its retry, after the first answer went out, is answered.
    r.handle_packet(now, &q(3), b).unwrap();
    let t = r.poll_transmit(now, &mut buf).unwrap();
    assert_eq!((t.to, decode(&buf[..t.len]).0.id), (b, 3));
}
