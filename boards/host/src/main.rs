//! # petrel — every Petrel service on a PC
//!
//! Runs the services over the host's own sockets (no root needed), or over
//! Petrel's smoltcp stack on a Linux TAP device (`--tap`).
//!
//! ```text
//! petrel [--config FILE] [--print-default-config] [--log-level LEVEL]
//!        [--tap IFNAME --ip ADDR/PREFIX [--gw ADDR] | --tap IFNAME --dhcp]
//! petrel iperf -c HOST [-p PORT] [-t SECS | -n BYTES] [-i SECS] [-u -b RATE] [-d] [-r]
//! ```
//!
//! Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM) or
//! `--print-default-config`; 1 when a service cannot start or fails; 2 for a
//! bad command line or configuration.

mod cli;
mod config;
mod config_path;
mod echo;
mod http;
mod https;
mod iperf;
mod mdns;
mod mqtt;
mod netbios;
mod services;
mod snmp;
mod sntp;
mod status;
mod tap;
mod tftp;

use std::process::ExitCode;

use clap::Parser;
use log::{LevelFilter, info};
use petrel_netcore::os::OsNetwork;
use petrel_netcore::smol::IpConfig;

use crate::cli::Cli;
use crate::config::Config;

/// Exit code for a bad command line or configuration (as clap's own).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code for a service that cannot start or fails.
pub(crate) const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_level);
    if let Some(cli::Command::Iperf(args)) = &cli.command {
        return iperf::client_main(args);
    }

    if cli.print_default_config {
        return match Config::default_toml() {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(
                EXIT_FAILURE,
                &format!("cannot print the default config: {e}"),
            ),
        };
    }

    let mut config = match &cli.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => return fail(EXIT_USAGE, &e.to_string()),
        },
        None => Config::default(),
    };

    // Settings saved by the dashboard apply over the file.
    http::apply_saved_settings(&mut config);

    if let Some(only) = &cli.only
        && let Err(e) = config.restrict_to(only)
    {
        return fail(EXIT_USAGE, &e);
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(EXIT_FAILURE, &format!("cannot start the runtime: {e}")),
    };
    let local = tokio::task::LocalSet::new();
    match &cli.tap {
        Some(ifname) => {
            let ip = match (cli.ip, cli.dhcp) {
                (Some(c), _) => IpConfig::Static {
                    addr: c.addr,
                    prefix: c.prefix,
                    gateway: cli.gw,
                    dns: cli.gw,
                },
                (None, _) => IpConfig::Dhcp,
            };
            local.block_on(&runtime, tap::run_tap(ifname, ip, &config))
        }
        None => local.block_on(&runtime, run(OsNetwork::new(), &config)),
    }
}

/// Runs the services on `net` until a signal (exit 0) or a failure (exit 1).
pub(crate) async fn run<N>(net: N, config: &Config) -> ExitCode
where
    N: petrel_netcore::Network + Clone + 'static,
    N::TcpStream: 'static,
    N::TcpListener: 'static,
    N::UdpSocket: 'static,
{
    use tokio::signal::unix::{SignalKind, signal};
    // Installed before any service starts, so a signal sent as soon as the
    // "listening" lines appear is never fatal.
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            return fail(
                EXIT_FAILURE,
                &format!("cannot install signal handlers: {e}"),
            );
        }
    };
    let status = status::Status::new(&config.device.name);
    // Its own task: this future is polled on every wake of the LocalSet (any
    // socket event of any service), and the poll function of
    // `run_services` has a frame of hundreds of KB (the service futures it
    // starts), probed page by page on each poll. As a task it runs only when
    // a service ends.
    let services = tokio::task::spawn_local({
        let (config, status) = (config.clone(), status.clone());
        async move { services::run_services(net, &config, &status).await }
    });
    tokio::pin!(services);
    tokio::select! {
        result = &mut services => return match result {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(e)) => fail(e.exit_code(), &e.to_string()),
            Err(e) => fail(EXIT_FAILURE, &format!("services: {e}")),
        },
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    // Services that say goodbye (mDNS, NetBIOS, MQTT) watch this signal;
    // give them a moment to send it, then stop regardless.
    info!("shutting down");
    status.begin_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, &mut services).await;
    ExitCode::SUCCESS
}

/// How long services get to say goodbye after SIGINT/SIGTERM.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// Prints a one-line error and returns the exit code.
pub(crate) fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("petrel: {message}");
    ExitCode::from(code)
}

/// Logs to stderr at `level`; without `--log-level`, `RUST_LOG` (if set)
/// overrides the default `info`.
fn init_logging(level: Option<LevelFilter>) {
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level.unwrap_or(LevelFilter::Info));
    if level.is_none()
        && let Ok(spec) = std::env::var("RUST_LOG")
    {
        builder.parse_filters(&spec);
    }
    builder.target(env_logger::Target::Stderr);
    let logger = builder.build();
    let max = logger.filter();
    // The ring keeps recent lines for the dashboard, then env_logger prints.
    if log::set_boxed_logger(Box::new(status::RingLogger::new(logger))).is_ok() {
        log::set_max_level(max);
    }
}
