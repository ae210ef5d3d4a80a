//! The `[http]` service (and the HTTP server inside `[https]`): the
//! dashboard from `petrel_webroot::WEBROOT`, its SSI values, and the JSON
//! API of the dashboard contract (`/api/status`, `/api/events` (SSE),
//! `/api/settings`), plus `POST /api/upload` (a firmware-update style
//! multipart upload that reports each file's size and SHA-256) and
//! `GET /api/download?bytes=N` (a generated download for speed tests).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use log::{debug, info, warn};
use petrel_altcp::{self as altcp, Listener, Stream, Tcp, TcpAcceptor};
use petrel_httpd::StatusCode;
use petrel_httpd::driver::{
    self, Auth, Error, Exchange, Handler, PartSink, Plain, ServerEvent, Upgrade, download,
};
use petrel_httpd::multipart::PartHeaders;
use petrel_httpd::request::MethodSet;
use petrel_httpd::response::write_html_escaped;
use petrel_httpd::router::Route;
use petrel_httpd::ssi::{Insert, write_resumable};
use petrel_netcore::stats::TcpState;
use petrel_netcore::{Clock, Duration, Network, TcpListener, TcpStream};
use serde::{Deserialize, Serialize};
use sha2::Digest;

#[path = "http_json.rs"]
mod json;
#[path = "http_settings.rs"]
mod settings;

use json::*;
pub(crate) use settings::Settings;
pub(crate) use settings::apply_saved_settings;
use settings::{SETTINGS_FILE, validate_settings};

use crate::config::Config;
use crate::services::ServiceError;
use crate::status::{ServiceState, Status, unix_ms};

/// Connection slots compiled in; `http.max_connections` picks how many
/// are used.
pub(crate) const SLOTS: usize = 64;
/// Connection slots of the HTTPS server (each TLS slot's future is about
/// 12 KB, built on the stack once at start).
pub(crate) const TLS_SLOTS: usize = 16;
/// Memory per connection: half receive buffer, half transmit buffer.
const CONN_MEM: usize = 16 * 1024;

/// `[http]`: the HTTP server and its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct HttpConfig {
    /// Whether the service runs.
    pub(crate) enabled: bool,
    /// The address and port it listens on.
    pub(crate) listen: SocketAddr,
    /// Clients served at once (1 to 64; HTTPS at most 16); more get `503`
    /// (HTTPS: closed) at once.
    pub(crate) max_connections: u16,
    /// Seconds a connection may stay idle between requests.
    pub(crate) idle_timeout: u64,
    /// Seconds a client has to send a whole request head (then `408`).
    pub(crate) request_timeout: u64,
    /// Largest request body in bytes (then `413`).
    pub(crate) max_body: u64,
    /// With `password`: Basic-auth user for `POST /api/settings` and
    /// `POST /api/upload`. Without them those are open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    /// The password of `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let core = petrel_httpd::Config::default();
        HttpConfig {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_connections: 16,
            idle_timeout: core.idle_timeout.as_secs(),
            request_timeout: core.request_timeout.as_secs(),
            max_body: 16 << 20,
            user: None,
            password: None,
        }
    }
}

impl HttpConfig {
    /// Checks the limits.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.max_connections == 0 || usize::from(self.max_connections) > SLOTS {
            return Err(("http.max_connections", "must be 1 to 64"));
        }
        if self.idle_timeout == 0 {
            return Err(("http.idle_timeout", "must be at least 1 second"));
        }
        if self.request_timeout == 0 {
            return Err(("http.request_timeout", "must be at least 1 second"));
        }
        if self.user.is_some() != self.password.is_some() {
            return Err(("http.user", "http.user and http.password go together"));
        }
        Ok(())
    }

    /// The server core's limits.
    fn limits(&self) -> petrel_httpd::Config {
        petrel_httpd::Config {
            max_connections: usize::from(self.max_connections),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
            max_body: self.max_body,
            ..petrel_httpd::Config::default()
        }
    }
}

// ---- the application ------------------------------------------------------------

/// Route ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    Status,
    Events,
    SettingsGet,
    SettingsPost,
    Upload,
    Download,
}

/// `/api/download`'s pattern block: 261 periods, just under 64 KiB, so each
/// write hands the kernel a large piece.
static DOWNLOAD_BLOCK: [u8; 261 * download::PERIOD] = download::pattern();

static ROUTES_OPEN: [Route<Api>; 6] = [
    Route::new(MethodSet::GET, "/api/status", Api::Status),
    Route::new(MethodSet::GET, "/api/events", Api::Events),
    Route::new(MethodSet::GET, "/api/settings", Api::SettingsGet),
    Route::new(MethodSet::POST, "/api/settings", Api::SettingsPost),
    Route::new(MethodSet::POST, "/api/upload", Api::Upload),
    Route::new(MethodSet::GET, "/api/download", Api::Download),
];
static ROUTES_AUTH: [Route<Api>; 6] = [
    Route::new(MethodSet::GET, "/api/status", Api::Status),
    Route::new(MethodSet::GET, "/api/events", Api::Events),
    Route::new(MethodSet::GET, "/api/settings", Api::SettingsGet),
    Route::new(MethodSet::POST, "/api/settings", Api::SettingsPost).with_auth(),
    Route::new(MethodSet::POST, "/api/upload", Api::Upload).with_auth(),
    Route::new(MethodSet::GET, "/api/download", Api::Download),
];

/// The dashboard's handler: live values from [`Status`] and the network.
pub(crate) struct HostApp<N> {
    net: N,
    status: Arc<Status>,
    /// The settings at start, until the first save (the current ones live
    /// in [`Status`], shared with the other listener).
    initial_settings: Settings,
    state_dir: PathBuf,
    auth: Option<(String, String)>,
    service: &'static str,
    /// The listening address: the `ip` SSI value when it is a specific
    /// address.
    listen: SocketAddr,
    /// The `ip` SSI value and when it was looked up.
    ip_cache: RefCell<(Option<std::time::Instant>, String)>,
}

impl<N: Network> HostApp<N> {
    pub(crate) fn new(net: N, cfg: &Config, status: Arc<Status>, service: &'static str) -> Self {
        HostApp {
            net,
            status,
            initial_settings: Settings::from_config(cfg),
            state_dir: cfg.state_dir(),
            auth: cfg.http.user.clone().zip(cfg.http.password.clone()),
            service,
            ip_cache: RefCell::new((None, String::new())),
            listen: if service == "https" {
                cfg.https.listen
            } else {
                cfg.http.listen
            },
        }
    }
}

/// "3d 04:05:06".
fn uptime_text(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// "2026-11-25 12:00:00Z".
fn utc_text(unix_ms: u64) -> String {
    petrel_netcore::time::DateTime::from_unix(unix_ms / 1000).to_string()
}

impl<N: Network> HostApp<N> {
    fn interfaces(&self) -> Vec<IfJson> {
        let mut v = Vec::new();
        self.net.for_each_interface(&mut |i| {
            let c = &i.counters;
            v.push(IfJson {
                index: i.index,
                name: i.name.as_str().to_string(),
                ipv4: i.ipv4.map(|(a, p)| format!("{a}/{p}")),
                mac: petrel_netcore::stats::Mac(i.mac).to_string(),
                mtu: i.mtu,
                up: i.up,
                speed_bps: i.speed_bps,
                rx_bytes: c.in_octets,
                tx_bytes: c.out_octets,
                rx_packets: c.in_ucast + c.in_mcast + c.in_bcast,
                tx_packets: c.out_ucast + c.out_mcast + c.out_bcast,
                rx_errors: c.in_errors,
                tx_errors: c.out_errors,
                rx_discards: c.in_discards,
                tx_discards: c.out_discards,
            });
        });
        v
    }

    fn status_json(&self) -> Vec<u8> {
        let now = unix_ms();
        let name = self.status.device_name();
        let sync = self.status.time_sync();
        let mdns = self.status.mdns_name();
        let services = self.status.services();
        let logs = self.status.recent_logs();
        let mut conns = ConnectionsJson {
            tcp: Vec::new(),
            tcp_listeners: Vec::new(),
            udp: Vec::new(),
        };
        let mut other = Vec::new();
        self.net.for_each_tcp_connection(&mut |c| {
            if c.state == TcpState::Listen {
                if conns.tcp_listeners.len() < MAX_ROWS {
                    conns.tcp_listeners.push(LocalJson {
                        local: c.local.to_string(),
                    });
                }
            } else if c.state.is_established() || other.len() < MAX_ROWS {
                let row = TcpJson {
                    local: c.local.to_string(),
                    remote: c.remote.to_string(),
                    state: state_name(c.state),
                };
                if c.state.is_established() {
                    conns.tcp.push(row);
                } else {
                    other.push(row);
                }
            }
        });
        // Established connections first: on a busy host hundreds of
        // TIME-WAIT rows would otherwise crowd them out of the cut.
        conns.tcp.truncate(MAX_ROWS);
        conns
            .tcp
            .extend(other.into_iter().take(MAX_ROWS - conns.tcp.len()));
        self.net.for_each_udp_endpoint(&mut |u| {
            if conns.udp.len() < MAX_ROWS {
                conns.udp.push(LocalJson {
                    local: u.local.to_string(),
                });
            }
        });
        let doc = StatusJson {
            device: DeviceJson {
                name: &name,
                version: env!("CARGO_PKG_VERSION"),
                build: BUILD,
                uptime_s: self.status.uptime().as_secs(),
                ip: self.ip_text(),
            },
            time: TimeJson {
                now_unix_ms: now,
                synced: sync.is_some(),
                server: sync.as_ref().map(|s| s.server.as_str()),
                offset_us: sync.as_ref().map(|s| s.offset_us),
                delay_us: sync.as_ref().map(|s| s.delay_us),
                stratum: sync.as_ref().map(|s| s.stratum),
                leap: sync.as_ref().map(|s| s.leap),
                last_sync_unix_ms: sync.as_ref().map(|s| s.at_unix_ms),
            },
            mdns: mdns.as_deref().map(|n| MdnsJson { name: n }),
            interfaces: self.interfaces(),
            connections: conns,
            services: services
                .iter()
                .map(|s| ServiceJson {
                    name: s.name,
                    state: s.state.as_str(),
                    detail: &s.detail,
                })
                .collect(),
            log: logs
                .iter()
                .map(|l| LogJson {
                    unix_ms: l.unix_ms,
                    level: l.level,
                    message: &l.message,
                })
                .collect(),
        };
        to_json(&doc)
    }

    fn stats_json(&self) -> Vec<u8> {
        let mut s = StatsJson {
            unix_ms: unix_ms(),
            uptime_s: self.status.uptime().as_secs(),
            rx_bytes: 0,
            tx_bytes: 0,
            rx_packets: 0,
            tx_packets: 0,
            tcp_connections: 0,
        };
        for i in self.interfaces() {
            s.rx_bytes += i.rx_bytes;
            s.tx_bytes += i.tx_bytes;
            s.rx_packets += i.rx_packets;
            s.tx_packets += i.tx_packets;
        }
        let mut n = 0u64;
        self.net
            .for_each_tcp_connection(&mut |c| n += u64::from(c.state.is_established()));
        s.tcp_connections = n.max(self.net.tcp_stats().curr_estab);
        to_json(&s)
    }

    /// The address the service is reachable on: the listening address if
    /// it is a specific one, else the stack's (on host sockets: the host's
    /// primary) address, else loopback.
    fn first_ipv4(&self) -> String {
        match self.listen.ip() {
            std::net::IpAddr::V4(a) if !a.is_unspecified() => a,
            _ => self
                .net
                .ipv4_addr()
                .unwrap_or(std::net::Ipv4Addr::LOCALHOST),
        }
        .to_string()
    }

    /// The current settings (shared by the HTTP and HTTPS listeners).
    fn settings(&self) -> Settings {
        self.status
            .settings_or_init(|| self.initial_settings.clone())
    }

    /// [`Self::first_ipv4`], looked up again at most every few seconds
    /// (listing interfaces costs system calls on the host backend).
    fn ip_text(&self) -> String {
        let mut cache = self.ip_cache.borrow_mut();
        if cache
            .0
            .is_none_or(|at| at.elapsed() > std::time::Duration::from_secs(5))
        {
            *cache = (Some(std::time::Instant::now()), self.first_ipv4());
        }
        cache.1.clone()
    }

    fn ssi_text(&self, tag: &str) -> String {
        match tag {
            "device_name" => self.status.device_name(),
            "version" => env!("CARGO_PKG_VERSION").to_string(),
            "build" => BUILD.to_string(),
            "uptime" => uptime_text(self.status.uptime().as_secs()),
            "mdns_name" => self.status.mdns_name().unwrap_or_else(|| "-".to_string()),
            "time" => match self.status.time_sync() {
                Some(_) => utc_text(unix_ms()),
                None => "not synced".to_string(),
            },
            "ip" => self.ip_text(),
            other => format!("<!-- unknown tag {} -->", other.replace("--", "")),
        }
    }

    async fn events<S: Stream, C: Clock>(&self, ex: &mut Exchange<'_, S, C>) -> Result<(), Error> {
        let mut last_log = unix_ms();
        let mut sse = ex.sse().await?;
        // Bounded by the client: its FIN or reset (seen while waiting) or a
        // failed write ends it.
        loop {
            let stats = self.stats_json();
            sse.send(Some("stats"), std::str::from_utf8(&stats).unwrap_or("{}"))
                .await?;
            let since = last_log;
            for l in self
                .status
                .recent_logs()
                .iter()
                .filter(|l| l.unix_ms > since)
            {
                let j = to_json(&LogJson {
                    unix_ms: l.unix_ms,
                    level: l.level,
                    message: &l.message,
                });
                sse.send(Some("log"), std::str::from_utf8(&j).unwrap_or("{}"))
                    .await?;
                last_log = l.unix_ms;
            }
            sse.wait(Duration::from_secs(1)).await?;
        }
    }

    async fn post_settings<S: Stream, C: Clock>(
        &self,
        ex: &mut Exchange<'_, S, C>,
    ) -> Result<(), Error> {
        let mut buf = [0u8; 2048];
        let form = ex.read_form(&mut buf).await?;
        let got = validate_settings(
            form.get("device_name").unwrap_or(""),
            form.get("mqtt_broker").unwrap_or(""),
            form.get("sntp_servers").unwrap_or(""),
        );
        let new = match got {
            Ok(s) => s,
            Err(errors) => {
                let mut body = String::from("{\"ok\":false,\"errors\":{");
                for (i, (field, msg)) in errors.iter().enumerate() {
                    if i > 0 {
                        body.push(',');
                    }
                    let _ = write!(body, "\"{field}\":\"{}\"", msg.replace('"', "\\\""));
                }
                body.push_str("}}");
                return ex
                    .respond_with(
                        StatusCode::UNPROCESSABLE_CONTENT,
                        "application/json",
                        b"Cache-Control: no-store\r\n",
                        body.as_bytes(),
                    )
                    .await;
            }
        };
        let old = self.settings();
        let restart = new.mqtt_broker != old.mqtt_broker || new.sntp_servers != old.sntp_servers;
        let path = self.state_dir.join(SETTINGS_FILE);
        let text = toml::to_string(&new).unwrap_or_default();
        let saved =
            std::fs::create_dir_all(&self.state_dir).and_then(|()| std::fs::write(&path, text));
        if let Err(e) = saved {
            warn!(
                "{}: cannot save settings to {}: {e}",
                self.service,
                path.display()
            );
            return ex.respond_error(StatusCode::INTERNAL_SERVER_ERROR).await;
        }
        if new.device_name != old.device_name {
            self.status.set_device_name(&new.device_name);
        }
        info!(
            "{}: settings saved to {} (restart needed: {restart})",
            self.service,
            path.display()
        );
        self.status.set_settings(new);
        let body = format!("{{\"ok\":true,\"restart_needed\":{restart}}}");
        ex.respond_with(
            StatusCode::OK,
            "application/json",
            b"Cache-Control: no-store\r\n",
            body.as_bytes(),
        )
        .await
    }
}

/// Hashes uploaded file parts (a firmware-update style upload).
struct HashSink {
    files: Vec<(String, u64, String)>,
    current: Option<(String, u64, sha2::Sha256)>,
}

impl PartSink for HashSink {
    async fn part(&mut self, h: &PartHeaders<'_>) -> Result<(), Error> {
        self.current = Some((
            h.filename.unwrap_or(h.name).to_string(),
            0,
            sha2::Sha256::new(),
        ));
        Ok(())
    }
    async fn data(&mut self, d: &[u8]) -> Result<(), Error> {
        if let Some((_, n, h)) = &mut self.current {
            *n += d.len() as u64;
            h.update(d);
        }
        Ok(())
    }
    async fn end_part(&mut self) -> Result<(), Error> {
        if let Some((name, n, h)) = self.current.take() {
            let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            self.files.push((name, n, hex));
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct UploadJson<'a> {
    name: &'a str,
    size: u64,
    sha256: &'a str,
}

/// "release" or "debug".
const BUILD: &str = if cfg!(debug_assertions) {
    "debug"
} else {
    "release"
};

impl<N: Network> Handler for HostApp<N> {
    type Route = Api;

    fn routes(&self) -> &[Route<Api>] {
        if self.auth.is_some() {
            &ROUTES_AUTH
        } else {
            &ROUTES_OPEN
        }
    }

    async fn call<S: Stream, C: Clock>(
        &self,
        route: Api,
        ex: &mut Exchange<'_, S, C>,
    ) -> Result<(), Error> {
        const NO_STORE: &[u8] = b"Cache-Control: no-store\r\n";
        match route {
            Api::Status => {
                let body = self.status_json();
                ex.respond_with(StatusCode::OK, "application/json", NO_STORE, &body)
                    .await
            }
            Api::Events => self.events(ex).await,
            Api::SettingsGet => {
                let body = to_json(&self.settings());
                ex.respond_with(StatusCode::OK, "application/json", NO_STORE, &body)
                    .await
            }
            Api::SettingsPost => self.post_settings(ex).await,
            Api::Download => download::serve(ex, &DOWNLOAD_BLOCK).await,
            Api::Upload => {
                let mut sink = HashSink {
                    files: Vec::new(),
                    current: None,
                };
                ex.read_multipart(&mut sink).await?;
                let files: Vec<UploadJson<'_>> = sink
                    .files
                    .iter()
                    .map(|(name, size, sha)| UploadJson {
                        name,
                        size: *size,
                        sha256: sha,
                    })
                    .collect();
                for f in &files {
                    info!(
                        "{}: upload {} ({} bytes, SHA-256 {})",
                        self.service, f.name, f.size, f.sha256
                    );
                }
                let body = to_json(&files);
                ex.respond_with(StatusCode::OK, "application/json", NO_STORE, &body)
                    .await
            }
        }
    }

    fn authorize(&self, _route: Api, credentials: Option<(&str, &str)>) -> Auth {
        match (&self.auth, credentials) {
            (None, _) => Auth::Allowed,
            (Some((u, p)), Some((cu, cp)))
                if petrel_httpd::router::constant_time_eq(u.as_bytes(), cu.as_bytes())
                    && petrel_httpd::router::constant_time_eq(p.as_bytes(), cp.as_bytes()) =>
            {
                Auth::Allowed
            }
            _ => Auth::Unauthorized,
        }
    }

    fn ssi(&self, tag: &str, _arg: &str, state: &mut u32, out: &mut [u8]) -> Insert {
        let raw = self.ssi_text(tag);
        let text = if raw.starts_with("<!--") {
            raw
        } else {
            let mut esc = String::new();
            let _ = write_html_escaped(&mut esc, &raw);
            esc
        };
        write_resumable(text.as_bytes(), state, out)
    }

    fn unix_time(&self) -> Option<u64> {
        Some(unix_ms() / 1000)
    }

    fn on_event(&self, e: ServerEvent) {
        match e {
            ServerEvent::Request {
                peer,
                method,
                status,
            } => {
                debug!("{}: {peer:?} {method} -> {status}", self.service);
            }
            ServerEvent::Refused { peer, status } => {
                debug!("{}: {peer:?} refused with {status}", self.service)
            }
            ServerEvent::Busy { peer } => debug!(
                "{}: {peer:?} turned away (503): all slots busy",
                self.service
            ),
            ServerEvent::AcceptFailed(err) => debug!("{}: accept: {err}", self.service),
            _ => {}
        }
    }
}

// ---- services --------------------------------------------------------------------

/// The HTTPS upgrade: the TLS handshake in the connection's own slot.
pub(crate) struct TlsUpgrade<C> {
    pub(crate) config: altcp::tls::ServerConfig,
    pub(crate) clock: C,
}

impl<S: TcpStream, C: Clock> Upgrade<Tcp<S>> for TlsUpgrade<C> {
    type Stream = altcp::tls::ServerTlsStream<Tcp<S>>;
    async fn upgrade(&self, mut s: Tcp<S>) -> Result<Self::Stream, altcp::Error> {
        s.get_mut().set_nodelay(true);
        let peer = s.peer_addr();
        let r = altcp::tls::accept(s, &self.config, &self.clock).await;
        if let Err(e) = &r {
            altcp::tls::log_failure(peer, e);
        }
        r
    }
}

/// Plain HTTP with Nagle's algorithm off: the server writes whole
/// responses, so nothing is gained by holding back a response's last
/// segment until the previous one is acknowledged.
pub(crate) struct NoDelay;

impl<S: TcpStream> Upgrade<Tcp<S>> for NoDelay {
    type Stream = Tcp<S>;
    async fn upgrade(&self, mut s: Tcp<S>) -> Result<Tcp<S>, altcp::Error> {
        s.get_mut().set_nodelay(true);
        Ok(s)
    }
    async fn reject(&self, s: Tcp<S>) {
        Upgrade::<Tcp<S>>::reject(&Plain, s).await;
    }
}

/// Serves HTTP on `listener` through `upgrade` until accepting fails.
async fn run<N, L, U, const SLOTS_N: usize>(
    net: N,
    mut listener: L,
    upgrade: U,
    app: HostApp<N>,
    limits: petrel_httpd::Config,
) -> Result<(), String>
where
    N: Network,
    L: Listener,
    U: Upgrade<L::Stream>,
{
    let mut mem = vec![0u8; SLOTS_N * CONN_MEM];
    let fs = &petrel_webroot::WEBROOT;
    let e = driver::serve::<_, _, _, _, SLOTS_N>(
        &mut listener,
        &upgrade,
        &net,
        &app,
        fs,
        &limits,
        &mut mem,
    )
    .await;
    Err(e.to_string())
}

/// Binds `[http]` and returns the service future.
pub(crate) async fn start<N>(
    net: N,
    cfg: &Config,
    status: &Arc<Status>,
) -> Result<
    impl std::future::Future<Output = Result<(), (&'static str, String)>> + use<N>,
    ServiceError,
>
where
    N: Network + Clone + 'static,
{
    let addr = cfg.http.listen;
    let backlog = u8::try_from(cfg.http.max_connections)
        .unwrap_or(u8::MAX)
        .max(8);
    let listener = crate::services::listen_tcp(&net, "http", addr, backlog).await?;
    let local = listener.local_addr();
    info!("http listening on {local}");
    status.set_service("http", ServiceState::Running, local.to_string());
    let app = HostApp::new(net.clone(), cfg, status.clone(), "http");
    let limits = cfg.http.limits();
    // Boxed: the server future holds every connection slot's state, too
    // large to move around on the stack.
    let server = Box::pin(run::<_, _, _, SLOTS>(
        net,
        TcpAcceptor::new(listener),
        NoDelay,
        app,
        limits,
    ));
    Ok(async move { server.await.map_err(|e| ("http", e)) })
}

/// Binds `[https]` (the same server over TLS) and returns the service
/// future. Limits come from `[http]`.
pub(crate) async fn start_tls<N>(
    net: N,
    cfg: &Config,
    status: &Arc<Status>,
    tls: altcp::tls::ServerConfig,
) -> Result<
    impl std::future::Future<Output = Result<(), (&'static str, String)>> + use<N>,
    ServiceError,
>
where
    N: Network + Clone + 'static,
{
    let addr = cfg.https.listen;
    let listener = crate::services::listen_tcp(&net, "https", addr, 8).await?;
    let local = listener.local_addr();
    info!("https listening on {local}");
    status.set_service("https", ServiceState::Running, local.to_string());
    let app = HostApp::new(net.clone(), cfg, status.clone(), "https");
    let limits = cfg.http.limits();
    let upgrade = TlsUpgrade {
        config: tls,
        clock: net.clone(),
    };
    // Boxed: the server future holds every connection slot's state, too
    // large to move around on the stack.
    let server = Box::pin(run::<_, _, _, TLS_SLOTS>(
        net,
        TcpAcceptor::new(listener),
        upgrade,
        app,
        limits,
    ));
    Ok(async move { server.await.map_err(|e| ("https", e)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_validation() {
        assert!(
            validate_settings(
                "petrel-1",
                "mqtt://127.0.0.1:1883",
                "pool.example, 127.0.0.1"
            )
            .is_ok()
        );
        assert!(validate_settings("dev", "", "").is_ok());
        let e = validate_settings("-bad", "http://x", "a,b,c,d,e").unwrap_err();
        let fields: Vec<_> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["device_name", "mqtt_broker", "sntp_servers"]);
        assert!(validate_settings("", "mqtts://h:0", "x..y").is_err());
        assert!(validate_settings(&"a".repeat(64), "", "").is_err());
    }

    #[test]
    fn texts() {
        assert_eq!(
            uptime_text(3 * 86_400 + 4 * 3600 + 5 * 60 + 6),
            "3d 04:05:06"
        );
        assert_eq!(uptime_text(61), "00:01:01");
        assert_eq!(utc_text(1_764_072_000_000), "2025-11-25 12:00:00Z");
    }
}
