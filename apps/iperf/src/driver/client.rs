//! The iPerf 2 client driver: a TCP test (with the `-d`/`-r` reverse test
//! accepted on the caller's listener) and a paced UDP test.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use embassy_futures::join::join;
use embassy_futures::select::{Either, select};
use petrel_netcore::socket::{TcpListener, UdpSocket};
use petrel_netcore::time::Duration;
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{ConnectConfig, Network, TcpError, TcpStream, UdpError};

use super::{Direction, receive, send, sleep_opt};
use crate::report::Report;
use crate::tcp::{TcpClient, TcpClientConfig, TcpEvent, TcpServerSession};
use crate::udp::{UdpClient, UdpClientConfig, UdpClientEvent};
use crate::wire::{ReverseMode, ServerReport};

/// How long the client waits for the server's reverse connection.
const REVERSE_ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the client reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Connected to the server (TCP) or started sending (UDP).
    Connected {
        /// Our address.
        local: Option<SocketAddr>,
        /// The server.
        remote: SocketAddr,
    },
    /// The server's reverse connection arrived.
    ReverseAccepted {
        /// Where from.
        peer: Option<SocketAddr>,
    },
    /// An interval report.
    Interval {
        /// Sent (our test) or received (the reverse test).
        dir: Direction,
        /// The report.
        report: Report,
    },
    /// A summary.
    Finished {
        /// Sent (our test) or received (the reverse test).
        dir: Direction,
        /// The summary.
        report: Report,
    },
    /// The UDP server's report.
    ServerReport(ServerReport),
    /// The UDP server never answered the FIN.
    NoServerReport,
}

/// Why a test failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// Connecting, sending or receiving over TCP failed.
    Tcp(TcpError),
    /// The UDP socket failed.
    Udp(UdpError),
    /// The server's reverse connection did not come.
    NoReverseConnection,
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ClientError::Tcp(e) => write!(f, "tcp: {e}"),
            ClientError::Udp(e) => write!(f, "udp: {e}"),
            ClientError::NoReverseConnection => {
                f.write_str("the server did not connect back for the reverse test")
            }
        }
    }
}

/// Runs a TCP test against `server`. For `-d`/`-r`
/// (`config.reverse`), `reverse_listener` must listen on
/// `config.listen_port`: the server's reverse connection is accepted there
/// and measured (at once for `-d`, after our test for `-r`).
///
/// `tx` and `rx` are the send and receive buffers.
pub async fn tcp<Net, E>(
    net: &Net,
    server: SocketAddr,
    config: TcpClientConfig,
    reverse_listener: Option<&mut Net::TcpListener>,
    tx: &mut [u8],
    rx: &mut [u8],
    on_event: &E,
) -> Result<(), ClientError>
where
    Net: Network,
    E: Fn(ClientEvent),
{
    let mut stream = net
        .tcp_connect(server, ConnectConfig::default())
        .await
        .map_err(ClientError::Tcp)?;
    on_event(ClientEvent::Connected {
        local: stream.local_addr(),
        remote: server,
    });
    let interval = config.interval;
    let sending = async {
        let mut client = TcpClient::new(net.now(), 1, config);
        let r = send(net, &mut stream, &mut client, tx, |report, last| {
            let dir = Direction::Send;
            on_event(if last {
                ClientEvent::Finished { dir, report }
            } else {
                ClientEvent::Interval { dir, report }
            });
        })
        .await;
        match r {
            Ok(()) => stream.close().await,
            Err(e) => Err(e),
        }
        .map_err(ClientError::Tcp)
    };
    match (config.reverse, reverse_listener) {
        (ReverseMode::Dual, Some(l)) => {
            let (a, b) = join(sending, receive_reverse(net, l, interval, rx, on_event)).await;
            a.and(b)
        }
        (ReverseMode::Tradeoff, Some(l)) => {
            sending.await?;
            receive_reverse(net, l, interval, rx, on_event).await
        }
        _ => sending.await,
    }
}

/// Accepts the server's reverse connection and measures it.
async fn receive_reverse<Net, E>(
    net: &Net,
    listener: &mut Net::TcpListener,
    interval: Option<Duration>,
    buf: &mut [u8],
    on_event: &E,
) -> Result<(), ClientError>
where
    Net: Network,
    E: Fn(ClientEvent),
{
    let mut stream = match with_timeout(net, REVERSE_ACCEPT_TIMEOUT, listener.accept()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(ClientError::Tcp(e)),
        Err(_) => return Err(ClientError::NoReverseConnection),
    };
    on_event(ClientEvent::ReverseAccepted {
        peer: stream.peer_addr(),
    });
    let mut session = TcpServerSession::new(net.now(), 2, interval);
    let r = receive(net, &mut stream, &mut session, buf, |e| {
        let dir = Direction::Receive;
        match e {
            TcpEvent::Interval(report) => on_event(ClientEvent::Interval { dir, report }),
            TcpEvent::Finished(report) => on_event(ClientEvent::Finished { dir, report }),
            _ => {}
        }
        true
    })
    .await;
    let _ = stream.close().await;
    r.map_err(ClientError::Tcp)
}

/// Runs a UDP test against `server`: paced datagrams, then FINs until the
/// server's report arrives (returned) or the retries run out (`None`).
///
/// `buf` must hold `config.datagram_len` bytes.
pub async fn udp<Net, E>(
    net: &Net,
    server: SocketAddr,
    config: UdpClientConfig,
    buf: &mut [u8],
    on_event: &E,
) -> Result<Option<ServerReport>, ClientError>
where
    Net: Network,
    E: Fn(ClientEvent),
{
    let any = match server.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let mut sock = net
        .udp_bind(SocketAddr::new(any, 0))
        .await
        .map_err(ClientError::Udp)?;
    let start = net.now();
    let mut client = UdpClient::new(start, config, server.port());
    on_event(ClientEvent::Connected {
        local: Some(sock.local_addr()),
        remote: server,
    });
    let mut report = None;
    loop {
        let now = net.now();
        // Bounded: datagrams due at `now` (a burst after a late wake-up).
        for _ in 0..10_000 {
            let Some(n) = client.poll_transmit(now, buf) else {
                break;
            };
            if let Some(d) = buf.get(..n) {
                match sock.send_to(d, server).await {
                    // A full socket buffer drops the datagram, as a link would.
                    Ok(()) | Err(UdpError::NoBuffer) => {}
                    Err(e) => return Err(ClientError::Udp(e)),
                }
            }
        }
        while let Some(e) = client.poll_event() {
            match e {
                UdpClientEvent::ServerReport(r) => {
                    report = Some(r);
                    on_event(ClientEvent::ServerReport(r));
                }
                UdpClientEvent::NoServerReport => on_event(ClientEvent::NoServerReport),
            }
        }
        if client.is_done() {
            on_event(ClientEvent::Finished {
                dir: Direction::Send,
                report: Report {
                    id: 1,
                    start: Duration::ZERO,
                    end: report.map_or(net.now() - start, |r| Duration::from_micros(r.stop_micros)),
                    bytes: client.bytes(),
                },
            });
            return Ok(report);
        }
        let deadline = client.poll_timeout();
        match select(sock.recv_from(buf), sleep_opt(net, deadline)).await {
            Either::First(Ok((n, _))) => {
                client.handle_datagram(net.now(), buf.get(..n).unwrap_or(&[]));
            }
            Either::First(Err(UdpError::Truncated(_) | UdpError::NoBuffer)) => {}
            Either::First(Err(e)) => return Err(ClientError::Udp(e)),
            Either::Second(()) => {}
        }
    }
}
