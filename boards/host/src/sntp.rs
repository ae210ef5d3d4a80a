//! `[sntp]`: the SNTP client. Reports every sync to the shared [`Status`]
//! (dashboard, JSON API) and logs it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use log::{debug, info, warn};
use petrel_netcore::{Duration, Instant, Network, UdpSocket};
use petrel_sntp::driver::{Control, resolve_servers, run};
use petrel_sntp::{Adjustment, Client, Event};
use serde::{Deserialize, Serialize};

use crate::services::ServiceError;
use crate::status::{ServiceState, Status, TimeSync};

/// Servers the client keeps (configured and, later, DHCP-learned).
pub(crate) const MAX_SERVERS: usize = 8;

/// `[sntp]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SntpConfig {
    /// Whether the client runs. Off by default: it needs `servers` (or
    /// `broadcast`).
    pub(crate) enabled: bool,
    /// NTP servers: names or addresses, each optionally with `:port`
    /// (123 otherwise), tried in turn. Servers from DHCP option 42 (on
    /// `--tap --dhcp`) are added after these, never instead of them.
    pub(crate) servers: Vec<String>,
    /// The local address to bind: port 0 picks one for unicast polling; in
    /// broadcast mode the port broadcasts arrive on (123 usually).
    pub(crate) listen: SocketAddr,
    /// Seconds between polls of a working server (at least 16).
    pub(crate) poll_interval_secs: u64,
    /// Listen for broadcast (mode 5) packets instead of polling.
    pub(crate) broadcast: bool,
}

impl Default for SntpConfig {
    fn default() -> Self {
        SntpConfig {
            enabled: false,
            servers: Vec::new(),
            listen: SocketAddr::from(([0, 0, 0, 0], 0)),
            poll_interval_secs: 1024,
            broadcast: false,
        }
    }
}

impl SntpConfig {
    /// Checks what the types cannot.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.servers.len() > MAX_SERVERS {
            return Err(("sntp.servers", "at most 8 servers"));
        }
        if self.poll_interval_secs < 16 {
            return Err(("sntp.poll_interval_secs", "must be at least 16"));
        }
        if self.broadcast && self.listen.port() == 0 {
            return Err(("sntp.listen", "broadcast mode needs a port (123)"));
        }
        Ok(())
    }
}

/// How often the stack's DHCP-learned NTP servers are looked at.
const DHCP_CHECK: Duration = Duration::from_secs(5);

/// The board's side of the driver: logs, status, and the DHCP-learned
/// servers (option 42) merged into the client as leases change.
struct Reporter<N> {
    net: N,
    status: Arc<Status>,
    synced_once: bool,
    dhcp: heapless::Vec<std::net::Ipv4Addr, 4>,
}

impl<N: Network> Control<MAX_SERVERS> for Reporter<N> {
    async fn changed(&mut self) {
        loop {
            self.net.sleep(DHCP_CHECK).await;
            if self.net.ntp_servers() != self.dhcp {
                return;
            }
        }
    }

    fn apply(&mut self, now: Instant, client: &mut Client<MAX_SERVERS>) {
        self.dhcp = self.net.ntp_servers();
        let addrs: Vec<SocketAddr> = self
            .dhcp
            .iter()
            .map(|a| SocketAddr::from((*a, petrel_sntp::wire::PORT)))
            .collect();
        info!(
            "sntp: servers from DHCP: [{}]",
            self.dhcp
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if client.set_dhcp_servers(now, &addrs).is_err() {
            warn!("sntp: server list full: some DHCP servers left out");
        }
    }

    fn on_event(&mut self, now: Instant, client: &mut Client<MAX_SERVERS>, event: Event) {
        match event {
            Event::Synced {
                server,
                offset_us,
                delay_us,
                stratum,
                leap,
                adjustment,
            } => {
                let how = match adjustment {
                    Adjustment::Step => "stepped",
                    Adjustment::Slew => "slewing",
                };
                let line = format!(
                    "{server} stratum {stratum}, offset {:+.3} ms, delay {:.3} ms",
                    offset_us as f64 / 1e3,
                    delay_us as f64 / 1e3
                );
                if !self.synced_once || adjustment == Adjustment::Step {
                    info!("sntp: synced to {line} ({how}, leap {})", leap.bits());
                } else {
                    debug!("sntp: synced to {line} ({how})");
                }
                self.synced_once = true;
                self.status
                    .set_service("sntp", ServiceState::Connected, line);
                let at_unix_ms = client
                    .wall_clock()
                    .unix_time(now)
                    .map_or(crate::status::unix_ms(), |t| {
                        u64::try_from(t.millis()).unwrap_or(0)
                    });
                self.status.set_time_sync(TimeSync {
                    server: server.to_string(),
                    offset_us,
                    delay_us,
                    stratum,
                    leap: leap.bits(),
                    at_unix_ms,
                });
            }
            Event::Timeout { server, next_retry } => {
                debug!(
                    "sntp: {server} did not answer; next wait {} ms",
                    next_retry.as_millis()
                );
                if client.servers().iter().all(|s| s.reach == 0) {
                    self.status.set_service(
                        "sntp",
                        ServiceState::Disconnected,
                        format!("no answer (last tried {server})"),
                    );
                }
            }
            Event::RateLimited { server, poll } => {
                warn!(
                    "sntp: {server} sent KoD RATE: polling it every {} s",
                    poll.as_secs()
                );
            }
            Event::ServerDropped { server, code } => {
                warn!("sntp: {server} sent KoD {code}: server dropped");
            }
            Event::NoServers => {
                warn!("sntp: no usable server (configured, or from DHCP option 42)");
                self.status.set_service(
                    "sntp",
                    ServiceState::Disconnected,
                    "no usable server".to_string(),
                );
            }
            Event::Rejected { from, reason } => debug!("sntp: {from}: ignored: {reason}"),
            other => debug!("sntp: {other:?}"),
        }
    }
}

/// Binds the socket, resolves the servers, logs the start line, and
/// returns the client's future (it ends only if receiving fails for good).
pub(crate) async fn start<N>(
    net: N,
    cfg: &SntpConfig,
    status: Arc<Status>,
) -> Result<impl Future<Output = Result<(), (&'static str, String)>> + use<N>, ServiceError>
where
    N: Network + Clone + 'static,
    N::UdpSocket: 'static,
{
    let addr = cfg.listen;
    let mut socket = crate::services::bind_udp(&net, "sntp", addr).await?;
    let config = petrel_sntp::Config {
        poll_interval: Duration::from_secs(cfg.poll_interval_secs),
        broadcast: cfg.broadcast,
        random_seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        ..petrel_sntp::Config::default()
    };
    let mode = if cfg.broadcast {
        "broadcast listen-only"
    } else {
        "unicast"
    };
    info!(
        "sntp on {} ({mode}, servers [{}], poll {} s)",
        socket.local_addr(),
        cfg.servers.join(", "),
        cfg.poll_interval_secs
    );
    status.set_service("sntp", ServiceState::Starting, cfg.servers.join(", "));
    let names = cfg.servers.clone();
    Ok(async move {
        let mut client: Client<MAX_SERVERS> = Client::new(config, net.now());
        // The host has a clock already: offsets are reported against it.
        let host_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(0));
        client.seed_clock(net.now(), host_us);
        // Names that do not resolve yet (no DNS on the TAP stack before
        // DHCP, a resolver hiccup) are tried again every 30 s.
        loop {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut addrs: heapless::Vec<SocketAddr, MAX_SERVERS> = heapless::Vec::new();
            resolve_servers(&net, &refs, &mut addrs, |n, e| {
                warn!("sntp: cannot resolve {n}: {e}")
            })
            .await;
            if !addrs.is_empty() || names.is_empty() {
                let _ = client.set_servers(net.now(), &addrs);
                break;
            }
            status.set_service("sntp", ServiceState::Disconnected, "no server resolved");
            net.sleep(Duration::from_secs(30)).await;
        }
        let mut buf = [0u8; 512];
        let mut reporter = Reporter {
            net,
            status,
            synced_once: false,
            dhcp: heapless::Vec::new(),
        };
        // A lease that came before we started.
        if !reporter.net.ntp_servers().is_empty() {
            reporter.apply(reporter.net.now(), &mut client);
        }
        let net = reporter.net.clone();
        let e = run(&net, &mut socket, &mut client, &mut buf, &mut reporter).await;
        Err(("sntp", e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn sntp_and_netbios_sections_parse_and_validate() {
        let c = Config::parse(
            "[sntp]\nenabled = true\nservers = [\"ntp.example.org\", \"198.51.100.1:11123\"]\n\
             poll_interval_secs = 64\n[netbios]\nenabled = true\nname = \"lab-1\"\n",
            "/x.toml",
        )
        .unwrap();
        assert_eq!(c.sntp.servers.len(), 2);
        assert_eq!(c.netbios.effective_name("ignored"), "LAB-1");
        let err = |t: &str| Config::parse(t, "/x.toml").unwrap_err().to_string();
        // No servers: allowed (DHCP option 42 may bring some).
        assert!(Config::parse("[sntp]\nenabled = true\n", "/x.toml").is_ok());
        assert!(
            err("[sntp]\nservers = [\"a\"]\npoll_interval_secs = 4\n")
                .contains("sntp.poll_interval_secs")
        );
        assert!(
            err("[sntp]\nenabled = true\nbroadcast = true\n").contains("sntp.listen"),
            "broadcast needs a port"
        );
        assert!(err("[netbios]\nname = \"sixteen-chars-xx\"\n").contains("netbios.name"));
        assert!(err("[netbios]\nlisten = \"0.0.0.0:0\"\n").contains("netbios.listen"));
        // Off by default, and the default config round-trips.
        let d = Config::default();
        assert!(!d.sntp.enabled && !d.netbios.enabled);
        let text = Config::default_toml().unwrap();
        assert_eq!(Config::parse(&text, "/d.toml").unwrap(), d);
    }
}
