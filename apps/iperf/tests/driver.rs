//! The async drivers end to end over the simulated link (two smoltcp
//! stacks, virtual time): our client against our server, TCP with the `-d`
//! and `-r` reverse tests, and UDP with a server report.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::cell::RefCell;
use std::net::SocketAddr;

use embassy_futures::join::join;
use embassy_futures::select::{Either, select};
use embedded_io_async::Read;
use petrel_iperf::driver::Direction;
use petrel_iperf::driver::client::{self, ClientEvent};
use petrel_iperf::driver::server::{self, ServerConfig, ServerEvent};
use petrel_iperf::{Amount, ReverseMode, TcpClientConfig, UdpClientConfig};
use petrel_netcore::sim::{self, ADDR_A, ADDR_B, SimConfig, SimStack};
use petrel_netcore::time::Duration;
use petrel_netcore::timer::{Clock, with_timeout};
use petrel_netcore::{ListenConfig, Network, TcpListener};

const PORT: u16 = 5001;

/// Runs our server on `b` beside `test`; returns the test's output and the
/// server's events.
async fn with_server<T>(
    b: &SimStack,
    test: impl core::future::Future<Output = T>,
) -> (T, Vec<ServerEvent>) {
    let addr = SocketAddr::new(ADDR_B.into(), PORT);
    let mut l = b.tcp_listen(addr, ListenConfig::default()).await.unwrap();
    let mut u = b.udp_bind(addr).await.unwrap();
    let mut tcp_buf = vec![0u8; 4 * 8192];
    let mut udp_buf = vec![0u8; 2048];
    let log = RefCell::new(Vec::new());
    let on_event = |e| log.borrow_mut().push(e);
    let serve = server::serve::<_, _, 2>(
        b,
        &mut l,
        &mut u,
        ServerConfig::default(),
        &mut tcp_buf,
        &mut udp_buf,
        &on_event,
    );
    match select(serve, test).await {
        Either::First(e) => panic!("server stopped: {e}"),
        Either::Second(t) => (t, log.borrow().clone()),
    }
}

fn finished(events: &[ServerEvent], dir: Direction) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Finished { dir: d, report } if *d == dir => Some(report.bytes),
            _ => None,
        })
        .collect()
}

#[test]
fn tcp_with_dual_and_tradeoff_reverse_tests() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(3));
        let server = SocketAddr::new(ADDR_B.into(), PORT);
        let seen = RefCell::new(Vec::new());
        let on_event = |e: ClientEvent| seen.borrow_mut().push(e);
        let (r, events) = with_server(&b, async {
            let mut tx = vec![0u8; 8192];
            let mut rx = vec![0u8; 8192];
            let plain = TcpClientConfig::new(Amount::secs(1));
            client::tcp(&a, server, plain, None, &mut tx, &mut rx, &on_event).await?;
            for (mode, port) in [(ReverseMode::Dual, 6001), (ReverseMode::Tradeoff, 6002)] {
                let mut l = a
                    .tcp_listen(
                        SocketAddr::new(ADDR_A.into(), port),
                        ListenConfig::default(),
                    )
                    .await
                    .unwrap();
                let cfg = TcpClientConfig::new(Amount::secs(1)).with_reverse(mode, port);
                client::tcp(&a, server, cfg, Some(&mut l), &mut tx, &mut rx, &on_event).await?;
            }
            Ok::<_, client::ClientError>(())
        })
        .await;
        r.unwrap();
        let received = finished(&events, Direction::Receive);
        let sent = finished(&events, Direction::Send);
        assert_eq!(received.len(), 3, "{events:#?}");
        assert_eq!(sent.len(), 2, "{events:#?}");
        assert!(
            received.iter().chain(&sent).all(|&b| b > 100_000),
            "{events:#?}"
        );
        // What the server sent back is what our client measured.
        let client_rx: Vec<u64> = seen
            .borrow()
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Finished {
                    dir: Direction::Receive,
                    report,
                } => Some(report.bytes),
                _ => None,
            })
            .collect();
        assert_eq!(client_rx, sent);
    });
}

/// iperf 2 opens its `-L` listener only after its own connection is up, so
/// the server's reverse connection can be refused at first: it is tried
/// again (here the listener appears 500 ms after the header).
#[test]
fn a_refused_reverse_connection_is_tried_again() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(5));
        let server = SocketAddr::new(ADDR_B.into(), PORT);
        let (got, events) = with_server(&b, async {
            let mut tx = vec![0u8; 8192];
            let mut rx = vec![0u8; 8192];
            // A `-d` header naming port 6003, with nobody listening there yet.
            let cfg = TcpClientConfig::new(Amount::secs(1)).with_reverse(ReverseMode::Dual, 6003);
            let late_listener = async {
                a.sleep(Duration::from_millis(500)).await;
                let at = SocketAddr::new(ADDR_A.into(), 6003);
                let mut l = a.tcp_listen(at, ListenConfig::default()).await.unwrap();
                let Ok(Ok(mut s)) = with_timeout(&a, Duration::from_secs(3), l.accept()).await
                else {
                    return 0;
                };
                let mut buf = [0u8; 4096];
                let mut n = 0u64;
                while let Ok(k @ 1..) = s.read(&mut buf).await {
                    n += k as u64;
                }
                n
            };
            let on_event = |_: ClientEvent| {};
            let (sent, got) = join(
                client::tcp(&a, server, cfg, None, &mut tx, &mut rx, &on_event),
                late_listener,
            )
            .await;
            sent.unwrap();
            got
        })
        .await;
        assert!(got > 100_000, "reverse bytes received: {got}; {events:#?}");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ServerEvent::TcpFailed { .. })),
            "{events:#?}"
        );
        assert_eq!(finished(&events, Direction::Send).len(), 1, "{events:#?}");
    });
}

#[test]
fn udp_test_gets_the_server_report() {
    sim::block_on(async {
        let (a, b, _link) = sim::pair(SimConfig::default().seed(8));
        let server = SocketAddr::new(ADDR_B.into(), PORT);
        let (r, events) = with_server(&b, async {
            let mut buf = vec![0u8; 2048];
            let cfg = UdpClientConfig::new(Amount::secs(1), 2_000_000);
            client::udp(&a, server, cfg, &mut buf, &|_| {}).await
        })
        .await;
        let report = r.unwrap().expect("server report");
        assert!(report.datagrams > 100, "{report:?}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ServerEvent::UdpFinished { .. })),
            "{events:#?}"
        );
    });
}
