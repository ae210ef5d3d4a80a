//! The client core against scripted servers on a virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use petrel_netcore::time::{Duration, Instant};
use petrel_sntp::client::{MAX_POLL, MIN_POLL};
use petrel_sntp::wire::{Leap, Mode, Repr, Timestamp};
use petrel_sntp::{Adjustment, Client, Config, Event, KissCode, Reject, Source};

const UNIX_2024: i64 = 1_704_067_200_000_000;

fn addr(n: u8) -> SocketAddr {
    SocketAddr::from(([198, 51, 100, n], 123))
}

/// Drives the client to its next request; returns (when, to, request).
fn next_request(c: &mut Client<4>, now: &mut Instant) -> (SocketAddr, Repr) {
    for _ in 0..100 {
        c.handle_timeout(*now);
        let mut buf = [0u8; 48];
        if let Some(tx) = c.poll_transmit(*now, &mut buf) {
            assert_eq!(tx.len, 48);
            return (tx.to, Repr::parse_bytes(&buf).unwrap());
        }
        *now = c.poll_timeout().expect("a deadline while waiting to send");
    }
    panic!("no request")
}

/// A server reply to `req` whose clock reads `server_unix` on receipt and
/// `server_unix + 100 µs` on transmit.
fn reply(req: &Repr, server_unix: i64) -> Vec<u8> {
    let mut r = Repr::client_request(Timestamp::from_unix_micros(server_unix + 100));
    r.mode = Mode::Server;
    r.version = 4;
    r.stratum = 2;
    r.reference_id = [127, 127, 1, 0];
    r.originate = req.transmit;
    r.receive = Timestamp::from_unix_micros(server_unix);
    let mut b = vec![0u8; 48];
    r.emit(&mut b).unwrap();
    b
}

fn kod(req: &Repr, code: &[u8; 4]) -> Vec<u8> {
    let mut r = Repr::client_request(Timestamp::ZERO);
    r.mode = Mode::Server;
    r.stratum = 0;
    r.leap = Leap::Unsynchronised;
    r.reference_id = *code;
    r.originate = req.transmit;
    let mut b = vec![0u8; 48];
    r.emit(&mut b).unwrap();
    b
}

fn events(c: &mut Client<4>) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn synced(ev: &[Event]) -> Option<(SocketAddr, i64, u64, Adjustment)> {
    ev.iter().find_map(|e| match e {
        Event::Synced {
            server,
            offset_us,
            delay_us,
            adjustment,
            ..
        } => Some((*server, *offset_us, *delay_us, *adjustment)),
        _ => None,
    })
}

#[test]
fn offset_and_delay_are_round_trip_compensated() {
    let mut now = Instant::from_secs(10);
    let mut c: Client<4> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1)]).unwrap();
    let (to, req) = next_request(&mut c, &mut now);
    assert_eq!(to, addr(1));
    assert_eq!(req.mode, Mode::Client);
    assert_ne!(req.transmit, Timestamp::ZERO);
    // Before the first sync our clock reads boot as 1970: T1 = 10 s.
    let t1 = 10_000_000i64;
    // 4 ms out, 100 µs in the server, 6 ms back: delay 10 ms; the server's
    // clock is UNIX_2024 at T2, i.e. offset = ((T2-T1)+(T3-T4))/2.
    let t2 = UNIX_2024;
    now += Duration::from_micros(10_100);
    c.handle_packet(now, to, &reply(&req, t2));
    let (server, offset, delay, adj) = synced(&events(&mut c)).unwrap();
    assert_eq!(server, addr(1));
    assert_eq!(delay, 10_000);
    let t4 = t1 + 10_100;
    let expected = ((t2 - t1) + (t2 + 100 - t4)) / 2;
    assert!((offset - expected).abs() <= 1, "{offset} vs {expected}");
    assert_eq!(adj, Adjustment::Step);
    let wall = c.wall_clock().unix_time(now).unwrap().micros;
    // Server time at T4 is T3 plus the return trip (6 ms if symmetric: 5 ms).
    assert!((wall - (t2 + 100 + 5_000)).abs() <= 1, "{}", wall - t2);
    assert_eq!(c.servers()[0].reach, 1);
    assert_eq!(c.servers()[0].samples(), 1);
    // The next poll is a poll interval later.
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(1024)));
}

#[test]
fn bad_originate_and_strangers_are_ignored() {
    let mut now = Instant::ZERO;
    let mut c: Client<4> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1)]).unwrap();
    let (to, req) = next_request(&mut c, &mut now);
    let mut forged = req;
    forged.transmit = Timestamp(req.transmit.0 ^ 1);
    c.handle_packet(now, to, &reply(&forged, UNIX_2024));
    c.handle_packet(now, addr(9), &reply(&req, UNIX_2024));
    let ev = events(&mut c);
    assert_eq!(
        ev,
        vec![
            Event::Rejected {
                from: to,
                reason: Reject::Originate
            },
            Event::Rejected {
                from: addr(9),
                reason: Reject::Unexpected
            }
        ]
    );
    assert!(!c.wall_clock().is_synced());
    // The genuine reply is still accepted; a duplicate of it is not.
    c.handle_packet(now, to, &reply(&req, UNIX_2024));
    assert!(synced(&events(&mut c)).is_some());
    c.handle_packet(now, to, &reply(&req, UNIX_2024));
    assert_eq!(
        events(&mut c),
        vec![Event::Rejected {
            from: to,
            reason: Reject::Unexpected
        }]
    );
}

#[test]
fn sanity_checks_reject_bad_replies() {
    type Spoil = fn(&mut Repr);
    let cases: [(Spoil, Reject); 6] = [
        (|r| r.mode = Mode::Broadcast, Reject::Mode(Mode::Broadcast)),
        (|r| r.version = 2, Reject::Version(2)),
        (|r| r.stratum = 16, Reject::Stratum(16)),
        (|r| r.leap = Leap::Unsynchronised, Reject::Unsynchronised),
        (|r| r.transmit = Timestamp::ZERO, Reject::ZeroTransmit),
        (
            |r| {
                r.stratum = 0;
                r.reference_id = *b"INIT";
            },
            Reject::Kiss(KissCode::Other(*b"INIT")),
        ),
    ];
    for (spoil, reason) in cases {
        let mut now = Instant::ZERO;
        let mut c: Client<4> = Client::new(Config::default(), now);
        c.set_servers(now, &[addr(1)]).unwrap();
        let (to, req) = next_request(&mut c, &mut now);
        let mut r = Repr::parse_bytes(&reply(&req, UNIX_2024)).unwrap();
        spoil(&mut r);
        let mut b = [0u8; 48];
        r.emit(&mut b).unwrap();
        c.handle_packet(now, to, &b);
        assert_eq!(events(&mut c), vec![Event::Rejected { from: to, reason }]);
        assert!(!c.wall_clock().is_synced());
        // Unusable: the request is still outstanding and times out.
        assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(2)));
    }
}

#[test]
fn silent_servers_are_retried_with_growing_delay_in_turn() {
    let mut now = Instant::ZERO;
    let cfg = Config {
        poll_interval: Duration::from_secs(64),
        ..Config::default()
    };
    let mut c: Client<4> = Client::new(cfg, now);
    c.set_servers(now, &[addr(1), addr(2)]).unwrap();
    let mut sends = Vec::new();
    for _ in 0..8 {
        let (to, _) = next_request(&mut c, &mut now);
        sends.push((now.as_secs(), to));
        now = c.poll_timeout().unwrap();
    }
    // 2, 4, 8, 16, 32 s, then capped at the 64 s poll interval; servers
    // alternate.
    let times: Vec<u64> = sends.iter().map(|s| s.0).collect();
    assert_eq!(times, vec![0, 2, 6, 14, 30, 62, 126, 190]);
    let who: Vec<u8> = sends
        .iter()
        .map(|s| match s.1.ip() {
            std::net::IpAddr::V4(a) => a.octets()[3],
            _ => 0,
        })
        .collect();
    assert_eq!(who, vec![1, 2, 1, 2, 1, 2, 1, 2]);
    let ev = events(&mut c);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Timeout { next_retry, .. } if *next_retry == Duration::from_secs(64)
    )));
    // Four unanswered polls each: reach 0.
    assert!(c.servers().iter().all(|s| s.reach == 0));
    // A reply resets the back-off.
    c.handle_timeout(now);
    let (to, req) = next_request(&mut c, &mut now);
    c.handle_packet(now, to, &reply(&req, UNIX_2024));
    assert!(synced(&events(&mut c)).is_some());
    assert_eq!(c.servers().iter().find(|s| s.addr == to).unwrap().reach, 1);
    let (_, _) = next_request(&mut c, &mut now);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(2)));
}

#[test]
fn kod_rate_backs_off_that_server() {
    let mut now = Instant::ZERO;
    let cfg = Config {
        poll_interval: Duration::from_secs(64),
        ..Config::default()
    };
    let mut c: Client<4> = Client::new(cfg, now);
    c.set_servers(now, &[addr(1)]).unwrap();
    let (to, req) = next_request(&mut c, &mut now);
    c.handle_packet(now, to, &kod(&req, b"RATE"));
    assert_eq!(
        events(&mut c),
        vec![Event::RateLimited {
            server: to,
            poll: Duration::from_secs(128)
        }]
    );
    // The only server: nothing is sent before 128 s.
    let t0 = now;
    let (to2, req) = next_request(&mut c, &mut now);
    assert_eq!((to2, now - t0), (to, Duration::from_secs(128)));
    c.handle_packet(now, to, &kod(&req, b"RATE"));
    assert!(events(&mut c).contains(&Event::RateLimited {
        server: to,
        poll: Duration::from_secs(256)
    }));
    // A good reply keeps the longer poll for that server.
    let (_, req) = next_request(&mut c, &mut now);
    c.handle_packet(now, to, &reply(&req, UNIX_2024));
    assert!(synced(&events(&mut c)).is_some());
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(256)));
    // Capped.
    let mut now = Instant::ZERO;
    let mut c: Client<4> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1)]).unwrap();
    for _ in 0..20 {
        let (to, req) = next_request(&mut c, &mut now);
        c.handle_packet(now, to, &kod(&req, b"RATE"));
    }
    assert_eq!(c.servers()[0].rate_poll, MAX_POLL);
}

#[test]
fn kod_rate_moves_on_to_another_server_at_once() {
    let mut now = Instant::ZERO;
    let mut c: Client<4> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1), addr(2)]).unwrap();
    let (to, req) = next_request(&mut c, &mut now);
    assert_eq!(to, addr(1));
    c.handle_packet(now, to, &kod(&req, b"RATE"));
    let t0 = now;
    let (to, _) = next_request(&mut c, &mut now);
    assert_eq!((to, now), (addr(2), t0));
}

#[test]
fn kod_deny_and_rstr_drop_the_server_and_use_the_next() {
    for code in [b"DENY", b"RSTR"] {
        let mut now = Instant::ZERO;
        let mut c: Client<4> = Client::new(Config::default(), now);
        c.set_servers(now, &[addr(1), addr(2)]).unwrap();
        let (to, req) = next_request(&mut c, &mut now);
        assert_eq!(to, addr(1));
        c.handle_packet(now, to, &kod(&req, code));
        let ev = events(&mut c);
        assert!(matches!(
            ev[..],
            [Event::ServerDropped { server, code: KissCode::Deny | KissCode::Rstr }] if server == addr(1)
        ));
        let t0 = now;
        let (to, req) = next_request(&mut c, &mut now);
        assert_eq!((to, now), (addr(2), t0), "next server asked at once");
        // The next server never goes back to the dropped one, even on
        // timeouts.
        c.handle_packet(now, to, &kod(&req, code));
        assert!(events(&mut c).contains(&Event::NoServers));
        assert_eq!(c.poll_timeout(), None);
        // Setting the list again revives them.
        c.set_servers(now, &[addr(3)]).unwrap();
        let (to, _) = next_request(&mut c, &mut now);
        assert_eq!(to, addr(3));
    }
}

#[test]
fn dhcp_servers_merge_with_configured_ones() {
    let mut now = Instant::ZERO;
    let mut c: Client<4> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1)]).unwrap();
    c.set_dhcp_servers(now, &[addr(1), addr(5), addr(6)])
        .unwrap();
    let list: Vec<_> = c.servers().iter().map(|s| (s.addr, s.source)).collect();
    assert_eq!(
        list,
        vec![
            (addr(1), Source::Configured),
            (addr(5), Source::Dhcp),
            (addr(6), Source::Dhcp)
        ]
    );
    // A new lease replaces the DHCP ones only.
    c.set_dhcp_servers(now, &[addr(7)]).unwrap();
    let list: Vec<_> = c.servers().iter().map(|s| s.addr).collect();
    assert_eq!(list, vec![addr(1), addr(7)]);
    // Reconfiguring keeps the DHCP ones and a kept server's state.
    let (to, req) = next_request(&mut c, &mut now);
    c.handle_packet(now, to, &reply(&req, UNIX_2024));
    c.set_servers(now, &[addr(2), addr(1)]).unwrap();
    let list: Vec<_> = c.servers().iter().map(|s| (s.addr, s.reach)).collect();
    assert_eq!(list, vec![(addr(2), 0), (addr(1), 1), (addr(7), 0)]);
    assert!(
        c.set_dhcp_servers(now, &[addr(8), addr(9), addr(10)])
            .is_err()
    );
    assert_eq!(c.servers().len(), 4);
}

#[test]
fn the_filter_picks_the_least_delayed_sample() {
    let mut now = Instant::ZERO;
    let cfg = Config {
        poll_interval: MIN_POLL,
        ..Config::default()
    };
    let mut c: Client<4> = Client::new(cfg, now);
    c.set_servers(now, &[addr(1)]).unwrap();
    // Round trips of 5, 50, 80 ms: the first sample keeps winning.
    let mut delays = Vec::new();
    for rtt in [5_000u64, 50_000, 80_000] {
        let (to, req) = next_request(&mut c, &mut now);
        now += Duration::from_micros(rtt + 100);
        // The server's clock: boot + a fixed 1000 s offset.
        let t2 = i64::try_from(now.as_micros()).unwrap() + 1_000_000_000;
        c.handle_packet(now, to, &reply(&req, t2));
        let (_, _, delay, _) = synced(&events(&mut c)).unwrap();
        delays.push(delay);
    }
    assert_eq!(delays, vec![5_000, 5_000, 5_000]);
    assert_eq!(c.servers()[0].samples(), 3);
    assert_eq!(c.servers()[0].reach, 0b111);
}

#[test]
fn poll_interval_changes_at_runtime() {
    let mut now = Instant::ZERO;
    let mut c: Client<4> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1)]).unwrap();
    let (to, req) = next_request(&mut c, &mut now);
    c.handle_packet(now, to, &reply(&req, UNIX_2024));
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(1024)));
    c.set_poll_interval(now, Duration::from_secs(60));
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(60)));
    c.set_poll_interval(now, Duration::from_secs(1));
    assert_eq!(c.config().poll_interval, MIN_POLL);
    assert_eq!(c.poll_timeout(), Some(now + MIN_POLL));
}

#[test]
fn broadcast_mode_listens_only() {
    let now = Instant::from_secs(3);
    let cfg = Config {
        broadcast: true,
        broadcast_delay: Duration::from_millis(1),
        ..Config::default()
    };
    let mut c: Client<4> = Client::new(cfg, now);
    let mut buf = [0u8; 48];
    c.handle_timeout(now);
    assert_eq!(c.poll_transmit(now, &mut buf), None);
    assert_eq!(c.poll_timeout(), None);
    let mut b = Repr::client_request(Timestamp::from_unix_micros(UNIX_2024));
    b.mode = Mode::Broadcast;
    b.stratum = 3;
    b.emit(&mut buf).unwrap();
    c.handle_packet(now, addr(1), &buf);
    let (server, _, delay, _) = synced(&events(&mut c)).unwrap();
    assert_eq!((server, delay), (addr(1), 1_000));
    assert_eq!(
        c.wall_clock().unix_time(now).unwrap().micros,
        UNIX_2024 + 1_000
    );
    assert_eq!(c.servers()[0].source, Source::Broadcast);
    // Unicast-style replies are not broadcasts.
    b.mode = Mode::Server;
    b.emit(&mut buf).unwrap();
    c.handle_packet(now, addr(1), &buf);
    assert!(matches!(
        events(&mut c)[..],
        [Event::Rejected {
            reason: Reject::Mode(Mode::Server),
            ..
        }]
    ));
    // With configured servers, other broadcasters are ignored.
    let mut c: Client<4> = Client::new(cfg, now);
    c.set_servers(now, &[addr(1)]).unwrap();
    b.mode = Mode::Broadcast;
    b.emit(&mut buf).unwrap();
    c.handle_packet(now, addr(2), &buf);
    assert!(matches!(
        events(&mut c)[..],
        [Event::Rejected {
            reason: Reject::Unexpected,
            ..
        }]
    ));
    c.handle_packet(now, SocketAddr::from(([198, 51, 100, 1], 5000)), &buf);
    assert!(synced(&events(&mut c)).is_some());
}

#[test]
fn small_offsets_slew_large_ones_step() {
    let mut now = Instant::ZERO;
    let cfg = Config {
        poll_interval: MIN_POLL,
        ..Config::default()
    };
    let mut c: Client<4> = Client::new(cfg, now);
    c.set_servers(now, &[addr(1)]).unwrap();
    let mut adjustments = Vec::new();
    for server_offset in [UNIX_2024, UNIX_2024 + 20_000, UNIX_2024 + 20_000 + 500_000] {
        let (to, req) = next_request(&mut c, &mut now);
        let t2 = i64::try_from(now.as_micros()).unwrap() + server_offset;
        c.handle_packet(now, to, &reply(&req, t2));
        let (_, _, _, adj) = synced(&events(&mut c)).unwrap();
        adjustments.push(adj);
    }
    assert_eq!(
        adjustments,
        vec![Adjustment::Step, Adjustment::Slew, Adjustment::Step]
    );
}

#[test]
fn a_seeded_clock_reports_offsets_against_the_seed() {
    let mut now = Instant::from_secs(50);
    let mut c: Client<4> = Client::new(Config::default(), now);
    // The board's RTC says UNIX_2024 - 3 ms.
    c.seed_clock(now, UNIX_2024 - 3_000);
    assert!(c.poll_event().is_none());
    c.set_servers(now, &[addr(1)]).unwrap();
    let (to, req) = next_request(&mut c, &mut now);
    // Zero delay, and the server's clock reads UNIX_2024 at that instant.
    c.handle_packet(now, to, &{
        let mut r = Repr::parse_bytes(&reply(&req, UNIX_2024)).unwrap();
        r.transmit = r.receive;
        let mut b = vec![0u8; 48];
        r.emit(&mut b).unwrap();
        b
    });
    let (_, offset, delay, adj) = synced(&events(&mut c)).unwrap();
    assert_eq!(delay, 0);
    assert!((offset - 3_000).abs() <= 1, "{offset}");
    assert_eq!(adj, Adjustment::Slew);
}

#[test]
fn a_small_event_queue_keeps_the_newest_events() {
    let now = Instant::ZERO;
    let mut c: Client<1, 2> = Client::new(Config::default(), now);
    c.set_servers(now, &[addr(1)]).unwrap();
    // Three strangers' packets: the first report is dropped for the last.
    for n in [7, 8, 9] {
        c.handle_packet(now, addr(n), &[0u8; 48]);
    }
    let ev: Vec<Event> = std::iter::from_fn(|| c.poll_event()).collect();
    let from: Vec<SocketAddr> = ev
        .iter()
        .map(|e| match e {
            Event::Rejected { from, .. } => *from,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(from, vec![addr(8), addr(9)]);
}
