//! The driver over host sockets: against chronyd on a loopback port, and
//! against a scripted fake server (a UDP socket answering crafted packets).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::rc::Rc;
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use petrel_interop::{Proc, free_udp_port, have};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::socket::{Network, UdpSocket};
use petrel_netcore::time::{Duration, Instant};
use petrel_netcore::timer::{Clock, Either, select};
use petrel_sntp::driver::{OnEvent, resolve_servers, run};
use petrel_sntp::wire::{Mode, Repr, Timestamp};
use petrel_sntp::{Client, Config, Event, KissCode, Reject};

fn unix_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

/// Runs a client on host sockets until `done(events)` or `limit`.
fn run_client(
    servers: &[&str],
    cfg: Config,
    limit: StdDuration,
    done: impl Fn(&[Event]) -> bool,
) -> (Vec<Event>, Option<(i64, i64)>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let net = OsNetwork::new();
        let mut addrs: heapless::Vec<SocketAddr, 4> = heapless::Vec::new();
        resolve_servers(&net, servers, &mut addrs, |n, e| panic!("{n}: {e}")).await;
        let mut sock = net.udp_bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let mut client: Client<4> = Client::new(cfg, net.now());
        client.set_servers(net.now(), &addrs).unwrap();
        let events = Rc::new(RefCell::new(Vec::new()));
        let wall = Rc::new(RefCell::new(None));
        let (ev, w) = (events.clone(), wall.clone());
        let mut control = OnEvent(move |now: Instant, c: &mut Client<4>, e: Event| {
            if matches!(e, Event::Synced { .. }) {
                let ours = c.wall_clock().unix_time(now).unwrap().micros;
                // Read the host clock right after ours.
                *w.borrow_mut() = Some((ours, unix_micros()));
            }
            ev.borrow_mut().push(e);
        });
        let mut buf = [0u8; 512];
        let deadline = net.now() + Duration::from(limit);
        let waiter = async {
            while net.now() < deadline && !done(&events.borrow()) {
                net.sleep(Duration::from_millis(20)).await;
            }
        };
        match select(
            run(&net, &mut sock, &mut client, &mut buf, &mut control),
            waiter,
        )
        .await
        {
            Either::First(e) => panic!("driver stopped: {e}"),
            Either::Second(()) => {}
        }
        let out = events.borrow().clone();
        (out, *wall.borrow())
    })
}

#[test]
fn syncs_to_chronyd_on_loopback() {
    if !have("chronyd") {
        eprintln!("chronyd not installed: skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("petrel-sntp-chrony-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_udp_port();
    let conf = dir.join("chrony.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\ncmdport 0\n\
             pidfile {d}/chronyd.pid\ndriftfile {d}/drift\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let mut chrony = Proc::spawn(
        std::process::Command::new("chronyd")
            .args(["-x", "-d", "-f"])
            .arg(&conf),
    )
    .unwrap();
    chrony
        .wait_for_output("chronyd version", StdDuration::from_secs(5))
        .unwrap();
    let server = format!("127.0.0.1:{port}");
    let (events, wall) = run_client(
        &[&server],
        Config::default(),
        StdDuration::from_secs(15),
        |ev| ev.iter().any(|e| matches!(e, Event::Synced { .. })),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let synced = events
        .iter()
        .find_map(|e| match e {
            Event::Synced {
                delay_us, stratum, ..
            } => Some((*delay_us, *stratum)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no sync: {events:?}\nchronyd: {}", chrony.output()));
    // chronyd with `local stratum 8` serves stratum 8.
    assert_eq!(synced.1, 8);
    // Same machine, same clock: our wall clock agrees with the host's to a
    // few milliseconds.
    let (ours, host) = wall.unwrap();
    assert!(
        (ours - host).abs() < 5_000,
        "ours {ours} host {host}: {} µs apart",
        ours - host
    );
}

/// A scripted NTP server on a loopback socket: answers each request with
/// what `script` makes of it (None: stay silent).
fn fake_server(script: impl Fn(usize, &Repr) -> Option<Vec<Repr>> + Send + 'static) -> SocketAddr {
    let sock = StdUdp::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(StdDuration::from_secs(20)))
        .unwrap();
    let addr = sock.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        for n in 0..50 {
            let Ok((len, from)) = sock.recv_from(&mut buf) else {
                return;
            };
            let Ok(req) = Repr::parse_bytes(&buf[..len]) else {
                continue;
            };
            for r in script(n, &req).unwrap_or_default() {
                let mut out = [0u8; 48];
                r.emit(&mut out).unwrap();
                let _ = sock.send_to(&out, from);
            }
        }
    });
    addr
}

fn good(req: &Repr) -> Repr {
    let now = Timestamp::from_unix_micros(unix_micros());
    let mut r = Repr::client_request(now);
    r.mode = Mode::Server;
    r.stratum = 1;
    r.reference_id = *b"GPS\0";
    r.originate = req.transmit;
    r.receive = now;
    r
}

#[test]
fn kod_deny_drops_the_server_and_the_next_one_is_used() {
    let deny = fake_server(|_, req| {
        let mut r = good(req);
        r.stratum = 0;
        r.reference_id = *b"DENY";
        Some(vec![r])
    });
    // The second server first sends a reply with a wrong originate (a
    // spoof), then the genuine one.
    let ok = fake_server(|_, req| {
        let mut bogus = good(req);
        bogus.originate = Timestamp(req.transmit.0.wrapping_add(1));
        Some(vec![bogus, good(req)])
    });
    let (events, wall) = run_client(
        &[&deny.to_string(), &ok.to_string()],
        Config::default(),
        StdDuration::from_secs(10),
        |ev| ev.iter().any(|e| matches!(e, Event::Synced { .. })),
    );
    let dropped = events
        .iter()
        .position(|e| matches!(e, Event::ServerDropped { server, code: KissCode::Deny } if *server == deny))
        .unwrap_or_else(|| panic!("{events:?}"));
    let bogus = events
        .iter()
        .position(
            |e| matches!(e, Event::Rejected { from, reason: Reject::Originate } if *from == ok),
        )
        .unwrap_or_else(|| panic!("{events:?}"));
    let synced = events
        .iter()
        .position(|e| matches!(e, Event::Synced { server, stratum: 1, .. } if *server == ok))
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(dropped < bogus && bogus < synced, "{events:?}");
    let (ours, host) = wall.unwrap();
    assert!((ours - host).abs() < 5_000, "{} µs", ours - host);
}

#[test]
fn a_silent_server_is_retried_then_a_rate_limited_one_backs_off() {
    // Silent for the first two requests, then KoD RATE, then good.
    let srv = fake_server(|n, req| match n {
        0 | 1 => None,
        2 => {
            let mut r = good(req);
            r.stratum = 0;
            r.reference_id = *b"RATE";
            Some(vec![r])
        }
        _ => Some(vec![good(req)]),
    });
    let cfg = Config {
        retry_initial: Duration::from_millis(200),
        poll_interval: Duration::from_secs(16),
        ..Config::default()
    };
    let (events, _) = run_client(&[&srv.to_string()], cfg, StdDuration::from_secs(4), |ev| {
        ev.iter().any(|e| matches!(e, Event::RateLimited { .. }))
    });
    let retries: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            Event::Timeout { next_retry, .. } => Some(*next_retry),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        vec![Duration::from_millis(400), Duration::from_millis(800)],
        "{events:?}"
    );
    assert!(events.contains(&Event::RateLimited {
        server: srv,
        poll: Duration::from_secs(32)
    }));
}

#[test]
fn hostile_datagrams_do_not_stop_the_driver() {
    let srv = fake_server(|_, req| Some(vec![good(req)]));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let net = OsNetwork::new();
        let mut sock = net.udp_bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let me = sock.local_addr();
        // Garbage from a stranger before anything else.
        let junk = StdUdp::bind("127.0.0.1:0").unwrap();
        for len in [0usize, 1, 47, 48, 400, 1400] {
            junk.send_to(&vec![0xff; len], me).unwrap();
        }
        let mut client: Client<4> = Client::new(Config::default(), net.now());
        client.set_servers(net.now(), &[srv]).unwrap();
        let synced = Rc::new(RefCell::new(0usize));
        let rejected = Rc::new(RefCell::new(0usize));
        let (s, r) = (synced.clone(), rejected.clone());
        let mut control = OnEvent(move |_: Instant, _: &mut Client<4>, e: Event| match e {
            Event::Synced { .. } => *s.borrow_mut() += 1,
            Event::Rejected { .. } => *r.borrow_mut() += 1,
            _ => {}
        });
        let mut buf = [0u8; 512];
        let deadline = net.now() + Duration::from_secs(5);
        let waiter = async {
            while net.now() < deadline && *synced.borrow() == 0 {
                net.sleep(Duration::from_millis(20)).await;
            }
        };
        let _ = select(
            run(&net, &mut sock, &mut client, &mut buf, &mut control),
            waiter,
        )
        .await;
        assert_eq!(*synced.borrow(), 1);
        // 1400 bytes is larger than the buffer: dropped by the driver; the
        // others reach the core and are rejected.
        assert!(*rejected.borrow() >= 4, "{}", rejected.borrow());
    });
}
