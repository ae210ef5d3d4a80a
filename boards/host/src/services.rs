//! Starting the configured services on any netcore [`Network`].

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use log::info;
use petrel_netcore::{ListenConfig, Network, TcpError, TcpListener, UdpError, UdpSocket};

use crate::config::Config;
use crate::echo;
use crate::status::{ServiceState, Status};

/// Why the services could not start or stopped.
#[derive(Debug)]
pub(crate) enum ServiceError {
    /// A TCP service could not listen.
    Listen {
        /// The service ("echo tcp").
        service: &'static str,
        /// The address it wanted.
        addr: SocketAddr,
        /// Why.
        error: TcpError,
    },
    /// A UDP service could not bind.
    Bind {
        /// The service ("echo udp").
        service: &'static str,
        /// The address it wanted.
        addr: SocketAddr,
        /// Why.
        error: UdpError,
    },
    /// The HTTPS service's certificate, key or CA is unusable.
    Tls(crate::https::TlsSetupError),
    /// A configuration value that only turns out bad when used (a CA file
    /// that cannot be read); exit code 2 like any configuration error.
    Config {
        /// The field at fault ("mqtt.ca_file").
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A running service failed for good.
    Failed {
        /// The service.
        service: &'static str,
        /// Why.
        reason: String,
    },
}

/// A hint for the one error the OS reports for a privileged port.
fn hint(addr: SocketAddr, invalid: bool) -> &'static str {
    if invalid && addr.port() < 1024 {
        " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
    } else {
        ""
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::Listen {
                service,
                addr,
                error,
            } => {
                let hint = hint(*addr, *error == TcpError::InvalidAddress);
                write!(f, "{service}: cannot listen on {addr}: {error}{hint}")
            }
            ServiceError::Bind {
                service,
                addr,
                error,
            } => {
                let hint = hint(*addr, *error == UdpError::InvalidAddress);
                write!(f, "{service}: cannot listen on {addr}: {error}{hint}")
            }
            ServiceError::Tls(e) => write!(f, "{e}"),
            ServiceError::Config { field, message } => write!(f, "{field}: {message}"),
            ServiceError::Failed { service, reason } => write!(f, "{service}: stopped: {reason}"),
        }
    }
}

impl ServiceError {
    /// The process exit code: 2 for a configuration at fault (a bad
    /// certificate or key file), 1 otherwise.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            ServiceError::Tls(e) if e.usage => crate::EXIT_USAGE,
            ServiceError::Config { .. } => crate::EXIT_USAGE,
            _ => crate::EXIT_FAILURE,
        }
    }
}

impl std::error::Error for ServiceError {}

/// Binds a service's UDP socket, naming the service and address on failure.
pub(crate) async fn bind_udp<N: Network>(
    net: &N,
    service: &'static str,
    addr: SocketAddr,
) -> Result<N::UdpSocket, ServiceError> {
    net.udp_bind(addr)
        .await
        .map_err(|error| ServiceError::Bind {
            service,
            addr,
            error,
        })
}

/// Opens a service's TCP listener, naming the service and address on failure.
pub(crate) async fn listen_tcp<N: Network>(
    net: &N,
    service: &'static str,
    addr: SocketAddr,
    backlog: u8,
) -> Result<N::TcpListener, ServiceError> {
    net.tcp_listen(addr, ListenConfig::with_backlog(backlog))
        .await
        .map_err(|error| ServiceError::Listen {
            service,
            addr,
            error,
        })
}

/// Starts every enabled service that exists in this build on `net`, logs one
/// line per service, and runs until one fails.
///
/// Binding errors are returned before anything is served. Must run inside a
/// tokio `LocalSet` (TCP clients are served by local tasks).
pub(crate) async fn run_services<N>(
    net: N,
    cfg: &Config,
    status: &Arc<Status>,
) -> Result<(), ServiceError>
where
    N: Network + Clone + 'static,
    N::TcpStream: 'static,
    N::TcpListener: 'static,
    N::UdpSocket: 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    if cfg.echo.enabled {
        let addr = cfg.echo.tcp;
        let backlog = u8::try_from(cfg.echo.max_connections).unwrap_or(u8::MAX);
        let listener = listen_tcp(&net, "echo tcp", addr, backlog).await?;
        info!("echo tcp listening on {}", listener.local_addr());

        let addr = cfg.echo.udp;
        let socket = bind_udp(&net, "echo udp", addr).await?;
        info!("echo udp listening on {}", socket.local_addr());
        status.set_service(
            "echo",
            ServiceState::Running,
            format!("tcp {}, udp {}", listener.local_addr(), socket.local_addr()),
        );

        let max = usize::from(cfg.echo.max_connections);
        let tcp_net = net.clone();
        tasks.spawn_local(async move {
            echo::serve_tcp(tcp_net, listener, max)
                .await
                .map_err(|e| ("echo tcp", e.to_string()))
        });
        tasks.spawn_local(async move {
            echo::serve_udp(socket)
                .await
                .map_err(|e| ("echo udp", e.to_string()))
        });
    }
    if cfg.https.enabled {
        let tls = crate::https::server_config(&cfg.https, &cfg.state_dir(), &cfg.device.name)
            .map_err(ServiceError::Tls)?;
        tasks.spawn_local(crate::http::start_tls(net.clone(), cfg, status, tls).await?);
    }
    if cfg.http.enabled {
        tasks.spawn_local(crate::http::start(net.clone(), cfg, status).await?);
    }
    if cfg.tftp.enabled {
        // A relative root is relative to the state directory, like the
        // HTTPS certificate paths.
        let mut tftp = cfg.tftp.clone();
        if tftp.root.is_relative() {
            tftp.root = cfg.state_dir().join(&tftp.root);
        }
        tasks.spawn_local(crate::tftp::start(net.clone(), &tftp).await?);
        status.set_service("tftp", ServiceState::Running, cfg.tftp.listen.to_string());
    }
    if cfg.iperf.enabled {
        tasks.spawn_local(crate::iperf::start(net.clone(), &cfg.iperf).await?);
        status.set_service("iperf", ServiceState::Running, cfg.iperf.listen.to_string());
    }
    if cfg.snmp.enabled {
        tasks.spawn_local(crate::snmp::start(net.clone(), cfg, status.clone()).await?);
        status.set_service("snmp", ServiceState::Running, cfg.snmp.listen.to_string());
    }
    if cfg.mdns.enabled {
        tasks.spawn_local(crate::mdns::start(net.clone(), cfg, status.clone()).await?);
    }
    if cfg.mqtt.enabled {
        let tls = crate::mqtt::tls_config(cfg)?;
        let (mqtt_net, mqtt_cfg, mqtt_status) = (net.clone(), cfg.clone(), status.clone());
        status.set_service("mqtt", ServiceState::Starting, cfg.mqtt.broker.clone());
        tasks.spawn_local(async move {
            crate::mqtt::run(mqtt_net, &mqtt_cfg, tls, mqtt_status)
                .await
                .map_err(|e| ("mqtt", e))
        });
    }
    if cfg.sntp.enabled {
        tasks.spawn_local(crate::sntp::start(net.clone(), &cfg.sntp, status.clone()).await?);
    }
    if cfg.netbios.enabled {
        let device = cfg.device.name.clone();
        tasks.spawn_local(
            crate::netbios::start(net.clone(), &cfg.netbios, &device, status.clone()).await?,
        );
    }
    if tasks.is_empty() {
        info!("no services enabled");
        core::future::pending::<()>().await;
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err((service, reason))) => return Err(ServiceError::Failed { service, reason }),
            Err(e) => {
                return Err(ServiceError::Failed {
                    service: "task",
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(())
}
