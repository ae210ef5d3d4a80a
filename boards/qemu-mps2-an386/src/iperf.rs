//! iPerf 2 server on tcp+udp/5001 (feature `iperf`): `petrel-iperf`'s
//! driver with one TCP session at a time ([`SESSIONS`]); a second client
//! while one runs is accepted from the backlog and closed at once ("all
//! sessions busy"). UDP tests (`iperf -u`) are served on the same port.
//!
//! Reverse tests (`-r`/`-d`) are off: they would need one more TCP socket
//! from the pool for the connection back to the client; the client's
//! request is ignored and only the forward test runs. Only summaries are
//! logged (no interval reports: each semihosting line stalls the CPU).

use core::net::Ipv4Addr;

use petrel_iperf::driver::Direction;
use petrel_iperf::driver::server::{self, ServerConfig, ServerEvent, TCP_CHUNKS_PER_WORKER};
use petrel_iperf::report::{Bytes, Rate};
use petrel_netcore::Network;
use static_cell::ConstStaticCell;

use crate::{Addr, Net};

/// TCP sessions at once.
pub(crate) const SESSIONS: usize = 1;
/// The listener's backlog: a socket in LISTEN while the session runs.
pub(crate) const BACKLOG: u8 = 1;
/// Each session's receive buffer (reads of up to this size; the
/// socket's own receive window is larger, see `TCP_RESERVED` in main.rs).
const TCP_CHUNK: usize = 1024;
/// The UDP receive buffer: a whole datagram (iperf sends 1470 bytes).
const UDP_BUF: usize = 1536;
/// The port, TCP and UDP.
pub(crate) const PORT: u16 = 5001;

/// Receive chunks only: petrel-iperf is built without `reverse`, so a
/// session needs no send buffer.
static TCP_BUF: ConstStaticCell<[u8; TCP_CHUNKS_PER_WORKER * TCP_CHUNK * SESSIONS]> =
    ConstStaticCell::new([0; TCP_CHUNKS_PER_WORKER * TCP_CHUNK * SESSIONS]);
static UDP_BUF_MEM: ConstStaticCell<[u8; UDP_BUF]> = ConstStaticCell::new([0; UDP_BUF]);

/// The iPerf server; ends only if accepting or receiving fails for good.
#[embassy_executor::task]
pub(crate) async fn serve(
    net: Net,
    mut listener: <Net as Network>::TcpListener,
    mut udp: <Net as Network>::UdpSocket,
    shown: Ipv4Addr,
) {
    crate::log!(
        "iperf listening on {}:{} (tcp+udp; {} tcp session at a time, no reverse tests)",
        shown,
        PORT,
        SESSIONS
    );
    let config = ServerConfig::default()
        .with_interval(None)
        .with_reverse(false);
    let error = server::serve::<Net, _, SESSIONS>(
        &net,
        &mut listener,
        &mut udp,
        config,
        TCP_BUF.take(),
        UDP_BUF_MEM.take(),
        &log_event,
    )
    .await;
    crate::log!("iperf: stopped: {}", error);
}

fn dir_word(dir: Direction) -> &'static str {
    match dir {
        Direction::Receive => "received",
        Direction::Send => "sent",
    }
}

/// One log line per connection and summary.
fn log_event(e: ServerEvent) {
    match e {
        ServerEvent::Accepted { id, peer } => match peer {
            Some(p) => crate::log!("iperf [{}] tcp connection from {}", id, Addr(p)),
            None => crate::log!("iperf [{}] tcp connection", id),
        },
        ServerEvent::Busy { peer } => match peer {
            Some(p) => crate::log!("iperf: session busy, turned away {}", Addr(p)),
            None => crate::log!("iperf: session busy, turned a client away"),
        },
        ServerEvent::Refused { id, error } => {
            crate::log!(
                "iperf [{}] bad client header: {}: connection closed",
                id,
                error
            )
        }
        ServerEvent::Finished { dir, report } => crate::log!(
            "iperf {} (summary, {} {} bytes)",
            report,
            dir_word(dir),
            report.bytes
        ),
        ServerEvent::TcpFailed { id, error } => crate::log!("iperf [{}] tcp: {}", id, error),
        ServerEvent::UdpStarted { peer } => crate::log!("iperf udp test from {}", Addr(peer)),
        ServerEvent::UdpFinished { peer, report } => {
            let rate = report
                .total_len
                .saturating_mul(8_000_000)
                .checked_div(report.stop_micros)
                .unwrap_or(0);
            crate::log!(
                "iperf udp {}: {} ms  {}  {}  jitter {} us  {}/{} lost, {} out of order",
                Addr(peer),
                report.stop_micros / 1000,
                Bytes(report.total_len),
                Rate(rate),
                report.jitter_micros,
                report.errors,
                report.datagrams,
                report.out_of_order
            );
        }
        // Headers, intervals (off) and reverse tests (off).
        _ => {}
    }
}
