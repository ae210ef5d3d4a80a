//! The querier: continuous browse timing, the cache and its TTLs, known
//! answers, goodbyes; and a browse answered by our own responder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{decode, hex};
use petrel_mdns::wire::rtype;
use petrel_mdns::{Name, Querier, QueryEvent, Responder, ResponderConfig, ServiceSpec};
use petrel_netcore::time::{Duration, Instant};

/// python-zeroconf's response for `web._http._tcp.local` (see tests/wire.rs).
const ZC_RESPONSE: &str = "000084000000000500000000055f68747470045f746370056c6f63616c00000c000100001194000603776562c00cc0280021800100000078000b000000000050027a63c017c0280010800100001194000706706174683d2fc04000018001000000780004c6336401c040002f8001000000780005c040000140";

fn inst() -> Name {
    Name::from_dotted("web._http._tcp.local").unwrap()
}

#[test]
fn browse_intervals_cache_known_answers_and_goodbye() {
    let mut q: Querier<2, 16> = Querier::new();
    let t0 = Instant::from_secs(10);
    let id = q.browse(t0, "_http._tcp").unwrap();
    let mut buf = [0u8; 1500];
    let mut sent_at = Vec::new();
    let mut now = t0;
    for _ in 0..5 {
        let n = q.poll_transmit(now, &mut buf).unwrap();
        let (h, qs, _) = decode(&buf[..n]);
        assert!(!h.is_response());
        assert_eq!(qs[0].name.to_string(), "_http._tcp.local");
        assert_eq!(qs[0].qtype, rtype::PTR);
        sent_at.push(now - t0);
        assert!(q.poll_transmit(now, &mut buf).is_none());
        now = q.poll_timeout().unwrap();
    }
    let secs: Vec<u64> = sent_at.iter().map(|d| d.as_secs()).collect();
    assert_eq!(secs, [0, 1, 3, 7, 15], "intervals double");

    q.handle_packet(now, &hex(ZC_RESPONSE)).unwrap();
    assert_eq!(
        q.poll_event(),
        Some(QueryEvent::Added {
            query: id,
            name: inst(),
            rtype: rtype::PTR
        })
    );
    // SRV and A are cached too.
    let name = inst();
    let srv = q.lookup(&name, rtype::SRV).next().unwrap();
    assert_eq!(
        srv.srv(),
        Some((80, Name::from_dotted("zc.local").unwrap()))
    );
    let host = Name::from_dotted("zc.local").unwrap();
    assert_eq!(
        q.lookup(&host, rtype::A).next().unwrap().a(),
        Some([198, 51, 100, 1].into())
    );

    // The next query lists the PTR as a known answer.
    now = q.poll_timeout().unwrap();
    let n = q.poll_transmit(now, &mut buf).unwrap();
    let (h, _, rows) = decode(&buf[..n]);
    assert_eq!(h.ancount, 1);
    assert_eq!(rows[0].data, "web._http._tcp.local");

    // Goodbye: TTL 0 → removed one second later.
    let mut bye = hex(ZC_RESPONSE);
    // The PTR's TTL field (first record): bytes 34..38.
    bye[34..38].copy_from_slice(&[0, 0, 0, 0]);
    q.handle_packet(now, &bye).unwrap();
    assert!(q.poll_event().is_none());
    q.poll_transmit(now + Duration::from_millis(999), &mut buf);
    assert!(q.poll_event().is_none());
    q.poll_transmit(now + Duration::from_secs(1), &mut buf);
    assert_eq!(
        q.poll_event(),
        Some(QueryEvent::Removed {
            query: id,
            name: inst(),
            rtype: rtype::PTR
        })
    );
}

#[test]
fn records_expire_with_their_ttl_and_cache_is_bounded() {
    let mut q: Querier<1, 3> = Querier::new();
    let t0 = Instant::from_secs(0);
    q.handle_packet(t0, &hex(ZC_RESPONSE)).unwrap();
    assert_eq!(q.cache().count(), 3, "5 records, room for 3");
    let mut buf = [0u8; 512];
    q.poll_transmit(t0 + Duration::from_secs(119), &mut buf);
    let before = q.cache().count();
    q.poll_transmit(t0 + Duration::from_secs(121), &mut buf);
    assert!(q.cache().count() < before, "120 s records gone");
    assert!(q.cache().all(|e| e.ttl == 4500));
}

#[test]
fn one_shot_query_retries_then_gives_up() {
    let mut q: Querier<1, 4> = Querier::new();
    let mut now = Instant::from_secs(1);
    let id = q
        .query(now, &Name::from_dotted("nobody.local").unwrap(), rtype::A)
        .unwrap();
    let mut buf = [0u8; 512];
    let mut sends = 0;
    for _ in 0..10 {
        if q.poll_transmit(now, &mut buf).is_some() {
            sends += 1;
        }
        match q.poll_timeout() {
            Some(t) => now = t,
            None => break,
        }
    }
    assert_eq!(sends, 3);
    assert_eq!(q.poll_event(), Some(QueryEvent::NoAnswer { query: id }));
}

#[test]
fn browse_answered_by_our_responder() {
    let mut r: Responder<'static, 2> =
        Responder::new(ResponderConfig::default(), "petrel", 3).unwrap();
    let mut q: Querier<1, 8> = Querier::new();
    let mut now = Instant::from_secs(1);
    r.add_service(
        now,
        ServiceSpec {
            instance: "Dash",
            service_type: "_http._tcp",
            subtypes: &[],
            port: 80,
            txt: b"\x06path=/",
        },
    )
    .unwrap();
    r.set_address(now, Some([198, 51, 100, 2].into()));
    let peer = "198.51.100.1:5353".parse().unwrap();
    let mut buf = [0u8; 1500];
    let mut found = None;
    let id = q.browse(now, "_http._tcp").unwrap();
    for _ in 0..200 {
        while let Some(t) = r.poll_transmit(now, &mut buf) {
            q.handle_packet(now, &buf[..t.len]).unwrap();
        }
        while let Some(n) = q.poll_transmit(now, &mut buf) {
            r.handle_packet(now, &buf[..n], peer).unwrap();
        }
        if let Some(QueryEvent::Added { name, .. }) = q.poll_event() {
            found = Some(name);
            break;
        }
        now = [r.poll_timeout(), q.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap()
            .max(now);
    }
    let _ = id;
    assert_eq!(found.unwrap().to_string(), "Dash._http._tcp.local");
}

#[test]
fn browse_refreshes_records_before_they_expire() {
    use petrel_mdns::wire::{FLAG_AA, FLAG_QR, Section, WriteData, Writer};
    let mut q: Querier<1, 8> = Querier::new();
    let t0 = Instant::from_secs(1000);
    q.browse(t0, "_http._tcp").unwrap();
    let mut buf = [0u8; 1500];
    let mut now = t0;
    // Five queries (0, 1, 3, 7, 15 s), then an answer with a 100 s TTL.
    for _ in 0..5 {
        q.poll_transmit(now, &mut buf).unwrap();
        now = q.poll_timeout().unwrap();
    }
    let received = now - Duration::from_secs(5);
    let mut w = Writer::new(&mut buf, 0, FLAG_QR | FLAG_AA).unwrap();
    let svc = Name::from_dotted("_http._tcp.local").unwrap();
    w.record(
        Section::Answer,
        &svc,
        rtype::PTR,
        false,
        100,
        &WriteData::Ptr(&inst()),
    )
    .unwrap();
    let n = w.finish();
    let msg = buf[..n].to_vec();
    q.handle_packet(received, &msg).unwrap();
    let mut sent = Vec::new();
    now = received;
    for _ in 0..50 {
        let Some(t) = q.poll_timeout() else { break };
        if t > received + Duration::from_secs(101) {
            break;
        }
        now = t.max(now);
        if q.poll_transmit(now, &mut buf).is_some() {
            sent.push((now - received).as_secs());
        }
    }
    for at in [80, 85, 90, 95] {
        assert!(sent.contains(&at), "refresh at {at}% of the TTL: {sent:?}");
    }
    // Unanswered, the record expires at its TTL and the browse says so.
    q.poll_transmit(received + Duration::from_secs(100), &mut buf);
    let events: Vec<QueryEvent> = std::iter::from_fn(|| q.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, QueryEvent::Removed { name, .. } if *name == inst())),
        "{events:?}"
    );
}
