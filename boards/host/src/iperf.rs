//! `[iperf]`: the iPerf 2 server (TCP and UDP on one port), and the
//! `petrel iperf -c HOST` client subcommand.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use log::{info, warn};
use petrel_iperf::driver::Direction;
use petrel_iperf::driver::client::{self, ClientEvent};
use petrel_iperf::driver::server::{self, ServerConfig, ServerEvent};
use petrel_iperf::report::{Bytes, Rate};
use petrel_iperf::{Amount, ReverseMode, TcpClientConfig, UdpClientConfig};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::{Duration, ListenConfig, Network, TcpListener};
use serde::{Deserialize, Serialize};

use crate::services::ServiceError;

/// Session workers compiled into the server; `max_sessions` may not exceed it.
pub(crate) const MAX_SESSIONS: usize = 8;
/// Receive and send buffer of each worker.
const TCP_CHUNK: usize = 128 * 1024;

/// `[iperf]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct IperfConfig {
    /// Whether the service runs.
    pub(crate) enabled: bool,
    /// The address and port (TCP and UDP) it listens on.
    pub(crate) listen: SocketAddr,
    /// TCP tests at once (1..=8); more are turned away.
    pub(crate) max_sessions: usize,
    /// Interval reports in the log every this many seconds (0: off).
    pub(crate) interval_secs: u32,
    /// Run the `-d`/`-r` reverse tests clients ask for.
    pub(crate) reverse: bool,
    /// Longest reverse test in seconds, whatever the client asks.
    pub(crate) max_reverse_secs: u32,
}

impl Default for IperfConfig {
    fn default() -> Self {
        IperfConfig {
            // Off unless asked for: it lets anyone saturate the link.
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 5001)),
            max_sessions: 4,
            interval_secs: 1,
            reverse: true,
            max_reverse_secs: 60,
        }
    }
}

impl IperfConfig {
    /// Checks the limits; returns the offending field and why.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(1..=MAX_SESSIONS).contains(&self.max_sessions) {
            return Err(("iperf.max_sessions", "must be 1..=8"));
        }
        if self.max_reverse_secs == 0 {
            return Err(("iperf.max_reverse_secs", "must be at least 1"));
        }
        Ok(())
    }
}

/// Listens (TCP and UDP), logs the start line, and returns the server's
/// future (it ends only if accepting or receiving fails for good).
pub(crate) async fn start<N>(
    net: N,
    cfg: &IperfConfig,
) -> Result<impl Future<Output = Result<(), (&'static str, String)>> + use<N>, ServiceError>
where
    N: Network + 'static,
    N::TcpListener: 'static,
    N::UdpSocket: 'static,
{
    let addr = cfg.listen;
    let backlog = u8::try_from(cfg.max_sessions * 2).unwrap_or(u8::MAX);
    let mut listener = crate::services::listen_tcp(&net, "iperf tcp", addr, backlog).await?;
    let mut socket = crate::services::bind_udp(&net, "iperf udp", addr).await?;
    info!("iperf listening on {} (tcp+udp)", listener.local_addr());
    let interval = (cfg.interval_secs > 0).then(|| Duration::from_secs(cfg.interval_secs.into()));
    let mut sc = ServerConfig::default()
        .with_interval(interval)
        .with_reverse(cfg.reverse);
    sc.max_reverse = Duration::from_secs(cfg.max_reverse_secs.into());
    let sessions = cfg.max_sessions;
    Ok(async move {
        // Workers beyond `max_sessions` get no buffer share worth having:
        // the table is sized for MAX_SESSIONS, the memory for `sessions`.
        let mut tcp_buf = vec![0u8; 2 * TCP_CHUNK * sessions];
        let mut udp_buf = vec![0u8; 65_536];
        let e = match sessions {
            1 => {
                server::serve::<N, _, 1>(
                    &net,
                    &mut listener,
                    &mut socket,
                    sc,
                    &mut tcp_buf,
                    &mut udp_buf,
                    &log_event,
                )
                .await
            }
            2 => {
                server::serve::<N, _, 2>(
                    &net,
                    &mut listener,
                    &mut socket,
                    sc,
                    &mut tcp_buf,
                    &mut udp_buf,
                    &log_event,
                )
                .await
            }
            3 | 4 => {
                tcp_buf.resize(2 * TCP_CHUNK * 4, 0);
                server::serve::<N, _, 4>(
                    &net,
                    &mut listener,
                    &mut socket,
                    sc,
                    &mut tcp_buf,
                    &mut udp_buf,
                    &log_event,
                )
                .await
            }
            _ => {
                tcp_buf.resize(2 * TCP_CHUNK * MAX_SESSIONS, 0);
                server::serve::<N, _, MAX_SESSIONS>(
                    &net,
                    &mut listener,
                    &mut socket,
                    sc,
                    &mut tcp_buf,
                    &mut udp_buf,
                    &log_event,
                )
                .await
            }
        };
        Err(("iperf", e.to_string()))
    })
}

fn dir_word(dir: Direction) -> &'static str {
    match dir {
        Direction::Receive => "received",
        Direction::Send => "sent",
    }
}

/// One log line per report.
fn log_event(e: ServerEvent) {
    match e {
        ServerEvent::Accepted { id, peer } => match peer {
            Some(p) => info!("iperf [{id:>3}] tcp connection from {p}"),
            None => info!("iperf [{id:>3}] tcp connection"),
        },
        ServerEvent::Busy { peer } => warn!("iperf: all sessions busy, turned away {peer:?}"),
        ServerEvent::Header { id, header } => match header {
            Ok(h) => log::debug!("iperf [{id:>3}] header {h:?}"),
            Err(e) => info!("iperf [{id:>3}] no client header ({e}): measuring anyway"),
        },
        ServerEvent::Refused { id, error } => {
            warn!("iperf [{id:>3}] bad client header: {error}: connection closed")
        }
        ServerEvent::Interval { dir, report } => info!("iperf {report} ({})", dir_word(dir)),
        ServerEvent::Finished { dir, report } => info!(
            "iperf {report} (summary, {} {} bytes)",
            dir_word(dir),
            report.bytes
        ),
        ServerEvent::ReverseStarted {
            id,
            mode,
            to,
            amount,
        } => info!("iperf [{id:>3}] reverse test ({mode:?}) to {to}, {amount:?}"),
        ServerEvent::TcpFailed { id, error } => warn!("iperf [{id:>3}] tcp: {error}"),
        ServerEvent::UdpStarted { peer } => info!("iperf udp test from {peer}"),
        ServerEvent::UdpFinished { peer, report } => {
            let secs = report.stop_micros as f64 / 1e6;
            let rate = if report.stop_micros > 0 {
                (report.total_len as f64 * 8.0 / secs) as u64
            } else {
                0
            };
            info!(
                "iperf udp {peer}: {secs:.4} sec  {}  {}  {:.3} ms  {}/{} lost, {} out of order (summary, received {} bytes)",
                Bytes(report.total_len),
                Rate(rate),
                report.jitter_micros as f64 / 1000.0,
                report.errors,
                report.datagrams,
                report.out_of_order,
                report.total_len
            );
        }
        other => info!("iperf: {other:?}"),
    }
}

/// `petrel iperf -c HOST …`: an iPerf 2 client.
#[derive(Debug, Clone, Args)]
pub(crate) struct IperfArgs {
    /// The server to test against.
    #[arg(short = 'c', long = "client", value_name = "HOST")]
    pub(crate) host: String,
    /// The server's port.
    #[arg(short = 'p', long, default_value_t = 5001)]
    pub(crate) port: u16,
    /// Test duration in seconds.
    #[arg(
        short = 't',
        long = "time",
        value_name = "SECS",
        conflicts_with = "num"
    )]
    pub(crate) time: Option<f64>,
    /// Bytes to send instead of a duration (suffix K, M, G: powers of 1024).
    #[arg(short = 'n', long = "num", value_name = "BYTES", value_parser = parse_bytes)]
    pub(crate) num: Option<u64>,
    /// Interval reports every this many seconds.
    #[arg(short = 'i', long, value_name = "SECS")]
    pub(crate) interval: Option<f64>,
    /// UDP instead of TCP.
    #[arg(short = 'u', long)]
    pub(crate) udp: bool,
    /// UDP rate in bits/s (suffix K, M, G: powers of 1000).
    #[arg(short = 'b', long, value_name = "RATE", value_parser = parse_rate, requires = "udp")]
    pub(crate) bandwidth: Option<u64>,
    /// Dual test: the server sends back at the same time.
    #[arg(short = 'd', long, conflicts_with_all = ["tradeoff", "udp"])]
    pub(crate) dualtest: bool,
    /// Tradeoff test: the server sends back afterwards.
    #[arg(short = 'r', long, conflicts_with = "udp")]
    pub(crate) tradeoff: bool,
    /// Our port for the server's reverse connection (default: the server's).
    #[arg(short = 'L', long, value_name = "PORT")]
    pub(crate) listenport: Option<u16>,
}

fn split_suffix(s: &str) -> Result<(f64, char), String> {
    let s = s.trim();
    let (num, suffix) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_uppercase()),
        _ => (s, ' '),
    };
    let v: f64 = num.parse().map_err(|_| format!("`{s}`: not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("`{s}`: must be a positive number"));
    }
    Ok((v, suffix))
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    let (v, suffix) = split_suffix(s)?;
    let mult = match suffix {
        ' ' => 1.0,
        'K' => 1024.0,
        'M' => 1024.0 * 1024.0,
        'G' => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("`{s}`: unknown suffix (K, M, G)")),
    };
    Ok((v * mult) as u64)
}

fn parse_rate(s: &str) -> Result<u64, String> {
    let (v, suffix) = split_suffix(s)?;
    let mult = match suffix {
        ' ' => 1.0,
        'K' => 1e3,
        'M' => 1e6,
        'G' => 1e9,
        _ => return Err(format!("`{s}`: unknown suffix (K, M, G)")),
    };
    Ok((v * mult) as u64)
}

fn print_event(e: ClientEvent) {
    match e {
        ClientEvent::Connected { local, remote } => match local {
            Some(l) => println!("[  1] local {l} connected with {remote}"),
            None => println!("[  1] connected with {remote}"),
        },
        ClientEvent::ReverseAccepted { peer } => match peer {
            Some(p) => println!("[  2] reverse connection from {p}"),
            None => println!("[  2] reverse connection"),
        },
        ClientEvent::Interval { dir, report } => println!("{report} ({})", dir_word(dir)),
        ClientEvent::Finished { dir, report } => {
            println!(
                "{report} (summary, {} {} bytes)",
                dir_word(dir),
                report.bytes
            )
        }
        ClientEvent::ServerReport(r) => {
            let secs = r.stop_micros as f64 / 1e6;
            let rate = if r.stop_micros > 0 {
                (r.total_len as f64 * 8.0 / secs) as u64
            } else {
                0
            };
            println!("[  1] Server Report:");
            println!(
                "[  1] 0.0000-{secs:.4} sec  {}  {}  {:.3} ms  {}/{} ({:.2}%)",
                Bytes(r.total_len),
                Rate(rate),
                r.jitter_micros as f64 / 1000.0,
                r.errors,
                r.datagrams,
                if r.datagrams > 0 {
                    r.errors as f64 * 100.0 / r.datagrams as f64
                } else {
                    0.0
                }
            );
        }
        ClientEvent::NoServerReport => {
            println!("[  1] WARNING: did not receive ack of last datagram")
        }
        other => println!("{other:?}"),
    }
}

/// Runs `petrel iperf -c …`; exit 0 when the test ran, 1 when it failed.
pub(crate) fn client_main(args: &IperfArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return crate::fail(
                crate::EXIT_FAILURE,
                &format!("cannot start the runtime: {e}"),
            );
        }
    };
    match runtime.block_on(run_client(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => crate::fail(crate::EXIT_FAILURE, &format!("iperf: {e}")),
    }
}

async fn run_client(args: &IperfArgs) -> Result<(), String> {
    let net = OsNetwork::new();
    let ip = net
        .resolve(&args.host)
        .await
        .map_err(|e| format!("{}: {e}", args.host))?;
    let server = SocketAddr::new(ip, args.port);
    let amount = match (args.num, args.time) {
        (Some(n), _) => Amount::Bytes(n),
        (None, Some(t)) => Amount::Time {
            centis: (t * 100.0).clamp(1.0, f64::from(i32::MAX)) as u32,
        },
        (None, None) => Amount::secs(10),
    };
    let interval = args
        .interval
        .filter(|i| *i > 0.0)
        .map(|i| Duration::from_micros((i * 1e6) as u64));
    if args.udp {
        println!("Client connecting to {}, UDP port {}", args.host, args.port);
        let mut cfg = UdpClientConfig::new(amount, args.bandwidth.unwrap_or(1 << 20));
        cfg.datagram_len = 1470;
        let mut buf = vec![0u8; 65_536];
        client::udp(&net, server, cfg, &mut buf, &print_event)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    println!("Client connecting to {}, TCP port {}", args.host, args.port);
    let mode = if args.dualtest {
        ReverseMode::Dual
    } else if args.tradeoff {
        ReverseMode::Tradeoff
    } else {
        ReverseMode::None
    };
    let listen_port = args.listenport.unwrap_or(args.port);
    let mut cfg = TcpClientConfig::new(amount).with_reverse(mode, listen_port);
    if let Some(i) = interval {
        cfg = cfg.with_interval(i);
    }
    let mut listener = if mode == ReverseMode::None {
        None
    } else {
        let any = SocketAddr::new(std::net::Ipv4Addr::UNSPECIFIED.into(), listen_port);
        Some(
            net.tcp_listen(any, ListenConfig::with_backlog(2))
                .await
                .map_err(|e| format!("listen on {any} for the reverse test: {e}"))?,
        )
    };
    let mut tx = vec![0u8; TCP_CHUNK];
    let mut rx = vec![0u8; TCP_CHUNK];
    client::tcp(
        &net,
        server,
        cfg,
        listener.as_mut(),
        &mut tx,
        &mut rx,
        &print_event,
    )
    .await
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates() {
        assert_eq!(parse_bytes("5G").unwrap(), 5 << 30);
        assert_eq!(parse_bytes("10M").unwrap(), 10 << 20);
        assert_eq!(parse_bytes("1500").unwrap(), 1500);
        assert_eq!(parse_rate("50M").unwrap(), 50_000_000);
        assert_eq!(parse_rate("1.5k").unwrap(), 1_500);
        assert!(parse_rate("5X").is_err());
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("").is_err());
    }

    #[test]
    fn defaults_validate() {
        assert!(IperfConfig::default().validate().is_ok());
        let bad = IperfConfig {
            max_sessions: 9,
            ..IperfConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
