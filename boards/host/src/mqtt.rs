//! `[mqtt]`: the MQTT client. Publishes telemetry on a schedule to
//! `<prefix>/telemetry`, listens for commands on `<prefix>/cmd/#`, logs each
//! one and answers `ping` with `pong` on `<prefix>/reply`.
//!
//! A command is the topic level after `cmd/` (`<prefix>/cmd/ping`) or, on
//! `<prefix>/cmd` itself, the payload.

use std::fmt::Write as _;

use log::{info, warn};
use petrel_mqtt::codec::{Properties, QoS, SubscriptionOptions, Version};
use petrel_mqtt::driver::{
    self, BackoffConfig, DriverConfig, DriverEvent, Handler, IoBuffers, PlainTcp, Shared,
};
use petrel_mqtt::{Buffers, Client, Config as ClientConfig, Event};
use petrel_netcore::Network;
use petrel_netcore::time::{Duration, Instant};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::status::ServiceState;

/// The system's CA bundle on Debian, used for `mqtts://` without `ca_file`.
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// `mqtts://`: TLS (certificate and host-name verification, SNI) through
/// altcp's rustls layer over the TCP stream the driver opened.
pub(crate) struct MqttTls<C: petrel_netcore::Clock>(petrel_altcp::tls::TlsConnector<C>);

impl<N: Network> driver::Connector<N::TcpStream> for MqttTls<N> {
    type Stream = petrel_altcp::tls::ClientTlsStream<petrel_altcp::Tcp<N::TcpStream>>;
    async fn connect(
        &self,
        tcp: petrel_altcp::Tcp<N::TcpStream>,
        server_name: &str,
    ) -> Result<Self::Stream, petrel_altcp::Error> {
        self.0.connect(tcp, server_name).await
    }
}

/// The TLS client configuration for `mqtts://` (`None` for `mqtt://`),
/// loaded at start-up so a bad CA file stops `petrel` with exit code 2.
pub(crate) fn tls_config(
    cfg: &Config,
) -> Result<Option<petrel_altcp::tls::ClientConfig>, crate::services::ServiceError> {
    use petrel_altcp::tls;
    let m = &cfg.mqtt;
    let Ok(url) = parse_broker(&m.broker) else {
        return Ok(None); // validated at load time; plain TCP never gets here
    };
    if !url.tls {
        return Ok(None);
    }
    let path = if m.ca_file.is_empty() {
        std::path::PathBuf::from(SYSTEM_ROOTS)
    } else {
        let p = std::path::PathBuf::from(&m.ca_file);
        if p.is_relative() {
            cfg.state_dir().join(p)
        } else {
            p
        }
    };
    let bad = |message: String| crate::services::ServiceError::Config {
        field: "mqtt.ca_file",
        message: format!("{}: {message}", path.display()),
    };
    let pem = std::fs::read(&path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let certs = tls::pem::certs(&pem).map_err(|e| bad(format!("no usable certificate: {e}")))?;
    let roots = tls::root_store(&certs).map_err(|e| bad(format!("{e}")))?;
    let config = tls::ClientConfig::builder(tls::ring_provider())
        .roots(roots)
        .build()
        .map_err(|e| bad(format!("{e}")))?;
    Ok(Some(config))
}

/// `[mqtt]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct MqttConfig {
    /// Whether the client runs.
    pub(crate) enabled: bool,
    /// `mqtt://host[:port]` (default port 1883) or `mqtts://host[:port]` (8883).
    pub(crate) broker: String,
    /// Client identifier; empty: the device name.
    pub(crate) client_id: String,
    /// User name; empty: none.
    pub(crate) username: String,
    /// Password; empty: none.
    pub(crate) password: String,
    /// CA certificate file (PEM) for `mqtts://`, relative to the state
    /// directory; empty: the system bundle (`/etc/ssl/certs/ca-certificates.crt`).
    pub(crate) ca_file: String,
    /// Protocol version: "3.1.1" or "5".
    pub(crate) version: String,
    /// Topic prefix; empty: `petrel/<device name>`.
    pub(crate) topic_prefix: String,
    /// Seconds between telemetry messages.
    pub(crate) interval: u64,
    /// Keep alive in seconds (0: off).
    pub(crate) keepalive: u16,
    /// Start a new session on every connection (off: the broker keeps our
    /// subscriptions and queued messages).
    pub(crate) clean_session: bool,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            enabled: false,
            broker: "mqtt://127.0.0.1:1883".into(),
            client_id: String::new(),
            username: String::new(),
            password: String::new(),
            ca_file: String::new(),
            version: "3.1.1".into(),
            topic_prefix: String::new(),
            interval: 60,
            keepalive: 60,
            clean_session: true,
        }
    }
}

/// A parsed broker URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BrokerUrl {
    /// `mqtts://`.
    pub(crate) tls: bool,
    /// Host name or address.
    pub(crate) host: String,
    /// Port.
    pub(crate) port: u16,
}

/// Parses `mqtt://host[:port]` / `mqtts://host[:port]` (IPv6 in brackets).
pub(crate) fn parse_broker(url: &str) -> Result<BrokerUrl, &'static str> {
    const SYNTAX: &str = "must be mqtt://host[:port] or mqtts://host[:port]";
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else {
        return Err(SYNTAX);
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(SYNTAX);
    }
    let default_port = if tls { 8883 } else { 1883 };
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let (h, after) = r.split_once(']').ok_or(SYNTAX)?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or(SYNTAX)?)),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host.contains(['[', ']']) {
        return Err(SYNTAX);
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err("port must be 1..=65535"),
            Ok(p) => p,
        },
    };
    Ok(BrokerUrl {
        tls,
        host: host.into(),
        port,
    })
}

impl MqttConfig {
    /// Checks the fields; returns the offending one and why.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        parse_broker(&self.broker).map_err(|m| ("mqtt.broker", m))?;
        if !matches!(self.version.as_str(), "3.1.1" | "5") {
            return Err(("mqtt.version", "must be \"3.1.1\" or \"5\""));
        }
        if self.interval == 0 {
            return Err(("mqtt.interval", "must be at least 1 second"));
        }
        if self.client_id.len() > 65_535 {
            return Err(("mqtt.client_id", "too long"));
        }
        if self.topic_prefix.contains(['+', '#']) {
            return Err(("mqtt.topic_prefix", "must not contain wildcards"));
        }
        Ok(())
    }

    /// The topic prefix for device `device`.
    pub(crate) fn prefix(&self, device: &str) -> String {
        if self.topic_prefix.is_empty() {
            format!("petrel/{device}")
        } else {
            self.topic_prefix.trim_end_matches('/').to_string()
        }
    }
}

const INFLIGHT: usize = 16;
const SUBS: usize = 4;
const ALIASES: usize = 4;

/// The petrel side of the driver: telemetry on schedule, commands, pong.
struct Petrel<N> {
    net: N,
    started: Instant,
    interval: Duration,
    next_telemetry: Instant,
    prefix: String,
    telemetry_topic: String,
    reply_topic: String,
    services: String,
    device: String,
    connected: bool,
    pongs: u32,
    status: std::sync::Arc<crate::status::Status>,
    broker: String,
}

impl<N: Network> Petrel<N> {
    fn command(&mut self, topic: &str, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload);
        let cmd_root = format!("{}/cmd", self.prefix);
        let name = match topic.strip_prefix(&cmd_root) {
            Some("") => text.trim().to_string(),
            Some(rest) => rest.trim_start_matches('/').to_string(),
            None => return,
        };
        info!("mqtt command {name:?} on {topic}: {text}");
        if name == "ping" {
            self.pongs = self.pongs.saturating_add(1);
        }
    }

    fn telemetry(&self, now: Instant) -> String {
        let mut j = String::with_capacity(512);
        let uptime = (now - self.started).as_secs();
        let _ = write!(
            j,
            "{{\"device\":{},\"uptime_s\":{uptime},\"interfaces\":[",
            json_str(&self.device)
        );
        let mut first = true;
        self.net.for_each_interface(&mut |i| {
            let c = &i.counters;
            let _ = write!(
                j,
                "{}{{\"name\":{},\"up\":{},\"in_octets\":{},\"out_octets\":{},\"in_ucast\":{},\"out_ucast\":{},\"in_errors\":{},\"out_errors\":{}}}",
                if first { "" } else { "," },
                json_str(&i.name),
                i.up,
                c.in_octets,
                c.out_octets,
                c.in_ucast,
                c.out_ucast,
                c.in_errors,
                c.out_errors
            );
            first = false;
        });
        let t = self.net.tcp_stats();
        let u = self.net.udp_stats();
        let _ = write!(
            j,
            "],\"tcp\":{{\"active_opens\":{},\"passive_opens\":{},\"attempt_fails\":{},\"curr_estab\":{},\"in_segs\":{},\"out_segs\":{},\"retrans_segs\":{}}},\"udp\":{{\"in_datagrams\":{},\"out_datagrams\":{},\"no_ports\":{},\"in_errors\":{}}},\"services\":{}}}",
            t.active_opens,
            t.passive_opens,
            t.attempt_fails,
            t.curr_estab,
            t.in_segs,
            t.out_segs,
            t.retrans_segs,
            u.in_datagrams,
            u.out_datagrams,
            u.no_ports,
            u.in_errors,
            self.services
        );
        j
    }
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl<N: Network, const I: usize, const S: usize, const A: usize> Handler<I, S, A> for Petrel<N> {
    fn on_event(&mut self, _now: Instant, event: &DriverEvent<'_>) {
        match event {
            DriverEvent::Mqtt(Event::Connected { session_present }) => {
                info!("mqtt connected (session present: {session_present})");
                self.connected = true;
                self.status
                    .set_service("mqtt", ServiceState::Connected, self.broker.clone());
            }
            DriverEvent::Mqtt(Event::ConnectionLost(r)) => {
                warn!("mqtt connection lost: {r}");
                self.connected = false;
                self.status.set_service(
                    "mqtt",
                    ServiceState::Disconnected,
                    format!("{}: connection lost: {r}", self.broker),
                );
            }
            DriverEvent::ConnectFailed { cause, retry_in } => {
                warn!(
                    "mqtt connect failed: {cause}; retry in {} ms",
                    retry_in.as_millis()
                );
                self.status.set_service(
                    "mqtt",
                    ServiceState::Disconnected,
                    format!("{}: {cause}", self.broker),
                );
            }
            DriverEvent::Mqtt(Event::Publish(m)) => self.command(m.topic, m.payload),
            DriverEvent::Mqtt(Event::PublishStart { message, len }) => {
                warn!(
                    "mqtt command on {} too large ({len} bytes), ignored",
                    message.topic
                );
            }
            _ => {}
        }
    }

    fn poll(&mut self, now: Instant, client: &mut Client<'_, I, S, A>) -> Option<Instant> {
        if !self.connected {
            // Nothing to send until the connection is up (the driver calls
            // again after the event).
            return None;
        }
        while self.pongs > 0 {
            match client.publish(
                now,
                &self.reply_topic,
                b"pong",
                QoS::AtLeastOnce,
                false,
                Properties::EMPTY,
            ) {
                Ok(_) => self.pongs -= 1,
                Err(e) => {
                    warn!("mqtt cannot queue pong: {e}");
                    break;
                }
            }
        }
        if now >= self.next_telemetry {
            let body = self.telemetry(now);
            if let Err(e) = client.publish(
                now,
                &self.telemetry_topic,
                body.as_bytes(),
                QoS::AtMostOnce,
                false,
                Properties::EMPTY,
            ) {
                warn!("mqtt cannot queue telemetry: {e}");
            }
            // Fixed rate, no drift; skip missed slots after a long outage.
            self.next_telemetry += self.interval;
            if self.next_telemetry <= now {
                self.next_telemetry = now + self.interval;
            }
        }
        Some(self.next_telemetry)
    }
}

/// Runs the MQTT client until it fails for good (a configuration the client
/// cannot encode); connection problems are retried forever.
pub(crate) async fn run<N: Network + Clone>(
    net: N,
    cfg: &Config,
    tls: Option<petrel_altcp::tls::ClientConfig>,
    status: std::sync::Arc<crate::status::Status>,
) -> Result<(), String> {
    let driver_net = net.clone();
    let m = &cfg.mqtt;
    let url = parse_broker(&m.broker).map_err(|e| format!("mqtt.broker: {e}"))?;
    let prefix = m.prefix(&cfg.device.name);
    let client_id = if m.client_id.is_empty() {
        cfg.device.name.clone()
    } else {
        m.client_id.clone()
    };
    let config = ClientConfig {
        version: if m.version == "5" {
            Version::V5
        } else {
            Version::V311
        },
        client_id: &client_id,
        keep_alive: m.keepalive,
        clean_start: m.clean_session,
        // MQTT 5: keep a persistent session for a day.
        session_expiry: if m.clean_session { 0 } else { 86_400 },
        username: (!m.username.is_empty()).then_some(m.username.as_str()),
        password: (!m.password.is_empty()).then_some(m.password.as_bytes()),
        max_packet_size: 64 * 1024,
        ..ClientConfig::default()
    };
    let (mut rx, mut outbox, mut subs, mut aliases) = (
        vec![0u8; 4096],
        vec![0u8; 16 * 1024],
        [0u8; 256],
        [0u8; 256],
    );
    let client: Client<'_, INFLIGHT, SUBS, ALIASES> = Client::new(
        config,
        Buffers {
            rx: &mut rx,
            outbox: &mut outbox,
            subs: &mut subs,
            aliases: &mut aliases,
        },
    );
    let shared = Shared::new(client);
    let filter = format!("{prefix}/cmd/#");
    shared
        .handle()
        .subscribe(&[(filter.as_str(), SubscriptionOptions::qos(QoS::AtLeastOnce))])
        .map_err(|e| format!("cannot subscribe to {filter}: {e}"))?;

    let services = format!(
        "{{\"echo\":{},\"http\":{},\"https\":{},\"snmp\":{},\"tftp\":{},\"iperf\":{},\"mdns\":{},\"netbios\":{},\"mqtt\":true}}",
        cfg.echo.enabled,
        cfg.http.enabled,
        cfg.https.enabled,
        cfg.snmp.enabled,
        cfg.tftp.enabled,
        cfg.iperf.enabled,
        cfg.mdns.enabled,
        cfg.netbios.enabled
    );
    let now = net.now();
    // The TLS layer times its handshake on the same clock as the rest.
    let tls_clock = net.clone();
    let mut handler = Petrel {
        started: now,
        interval: Duration::from_secs(m.interval),
        next_telemetry: now,
        telemetry_topic: format!("{prefix}/telemetry"),
        reply_topic: format!("{prefix}/reply"),
        prefix,
        services,
        device: cfg.device.name.clone(),
        connected: false,
        pongs: 0,
        status,
        broker: m.broker.clone(),
        net,
    };
    let dcfg = DriverConfig {
        host: &url.host,
        port: url.port,
        connect_timeout: Duration::from_secs(10),
        backoff: BackoffConfig {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            jitter_percent: 50,
            seed: seed(&client_id),
        },
    };
    info!(
        "mqtt connecting to {} as {client_id:?} (MQTT {})",
        m.broker, m.version
    );
    let (mut read, mut write) = ([0u8; 2048], [0u8; 2048]);
    let io = IoBuffers {
        read: &mut read,
        write: &mut write,
    };
    match tls {
        Some(tls) => {
            let connector = MqttTls(petrel_altcp::tls::TlsConnector::new(tls, tls_clock));
            driver::run(&driver_net, &connector, &shared, &dcfg, io, &mut handler).await
        }
        None => driver::run(&driver_net, &PlainTcp, &shared, &dcfg, io, &mut handler).await,
    }
    .map_err(|e| format!("mqtt: {e}"))
}

/// A per-device jitter seed: the client id and the process id, so two
/// devices (or two runs) do not retry in step.
fn seed(client_id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(std::process::id());
    for b in client_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let u = parse_broker("mqtt://broker.local").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port),
            (false, "broker.local", 1883)
        );
        let u = parse_broker("mqtts://10.0.0.1:8884/").unwrap();
        assert_eq!((u.tls, u.host.as_str(), u.port), (true, "10.0.0.1", 8884));
        let u = parse_broker("mqtt://[::1]:1999").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 1999));
        for bad in [
            "http://x",
            "mqtt://",
            "mqtt://h:0",
            "mqtt://h:99999",
            "mqtt://h/x",
            "h:1883",
            "mqtt://u@h",
        ] {
            assert!(parse_broker(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_defaults_to_device_name() {
        let c = MqttConfig::default();
        assert_eq!(c.prefix("dev1"), "petrel/dev1");
        let c = MqttConfig {
            topic_prefix: "site/a/".into(),
            ..MqttConfig::default()
        };
        assert_eq!(c.prefix("dev1"), "site/a");
        assert_eq!(json_str("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
