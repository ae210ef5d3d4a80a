//! The `petrel` configuration file: TOML, every section optional.
//!
//! The defaults work on a fresh machine without root: every service listens
//! on 127.0.0.1 on an unprivileged port. Unknown sections and fields are
//! errors (a typo must not silently leave a default in place), and every error
//! names the file and the field.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    /// The device's identity.
    pub(crate) device: DeviceConfig,
    /// The HTTP server.
    pub(crate) http: HttpConfig,
    /// The HTTPS server.
    pub(crate) https: HttpsConfig,
    /// The SNMP agent.
    pub(crate) snmp: SnmpConfig,
    /// The TFTP server.
    pub(crate) tftp: TftpConfig,
    /// The iPerf 2 server.
    pub(crate) iperf: IperfConfig,
    /// TCP and UDP echo (RFC 862).
    pub(crate) echo: EchoConfig,
    /// The MQTT client.
    pub(crate) mqtt: MqttConfig,
    /// The mDNS/DNS-SD responder.
    pub(crate) mdns: MdnsConfig,
    /// The NetBIOS name service.
    pub(crate) netbios: NetbiosConfig,
    /// The SNTP client.
    pub(crate) sntp: SntpConfig,
    /// Where files the device creates (the generated HTTPS certificate)
    /// live: the config file's directory, or `./petrel-state` without one.
    #[serde(skip)]
    pub(crate) state_dir: Option<PathBuf>,
}

/// `[device]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct DeviceConfig {
    /// The device's name (host name, sysName, NetBIOS name).
    pub(crate) name: String,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        DeviceConfig {
            name: "petrel".into(),
        }
    }
}

/// `[https]`: the HTTP server over TLS (limits from `[http]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct HttpsConfig {
    /// Whether the service runs.
    pub(crate) enabled: bool,
    /// The address and port it listens on.
    pub(crate) listen: SocketAddr,
    /// The certificate chain (PEM, leaf first). Relative paths are relative
    /// to the config file. Without `cert` and `key`, a self-signed
    /// certificate is generated on first start next to the config file (or
    /// in `./petrel-state/`) and reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cert: Option<PathBuf>,
    /// The private key of `cert` (PEM: PKCS#8, SEC1 or PKCS#1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<PathBuf>,
    /// CA certificates (PEM) that client certificates must chain to: turns
    /// on mutual TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_ca: Option<PathBuf>,
    /// With `client_ca`: `"required"` (default) or `"optional"`.
    pub(crate) client_auth: ClientAuthMode,
}

impl Default for HttpsConfig {
    fn default() -> Self {
        HttpsConfig {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            cert: None,
            key: None,
            client_ca: None,
            client_auth: ClientAuthMode::Required,
        }
    }
}

/// Whether clients must present a certificate (with `https.client_ca`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClientAuthMode {
    /// A client without a trusted certificate is refused.
    #[default]
    Required,
    /// A client may present one; an untrusted one is still refused.
    Optional,
}
pub(crate) use crate::http::HttpConfig;
pub(crate) use crate::iperf::IperfConfig;
pub(crate) use crate::mdns::MdnsConfig;
pub(crate) use crate::mqtt::MqttConfig;
pub(crate) use crate::netbios::NetbiosConfig;
pub(crate) use crate::snmp::SnmpConfig;
pub(crate) use crate::sntp::SntpConfig;
pub(crate) use crate::tftp::TftpConfig;

/// `[echo]`: TCP and UDP echo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct EchoConfig {
    /// Whether the echo services run.
    pub(crate) enabled: bool,
    /// The TCP echo listening address.
    pub(crate) tcp: SocketAddr,
    /// The UDP echo address.
    pub(crate) udp: SocketAddr,
    /// How many TCP clients are served at once; more wait in the backlog.
    pub(crate) max_connections: u16,
}

impl Default for EchoConfig {
    fn default() -> Self {
        EchoConfig {
            enabled: true,
            tcp: SocketAddr::from(([127, 0, 0, 1], 7007)),
            udp: SocketAddr::from(([127, 0, 0, 1], 7007)),
            max_connections: 16,
        }
    }
}

/// Why a configuration file was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigError {
    /// The file.
    pub(crate) file: String,
    /// The dotted key path of the offending field, when known.
    pub(crate) field: Option<String>,
    /// The 1-based line, when known.
    pub(crate) line: Option<usize>,
    /// What is wrong.
    pub(crate) message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}: ", self.file)?;
        match (&self.field, self.line) {
            (Some(field), Some(line)) => write!(f, "{field}: {} (line {line})", self.message),
            (Some(field), None) => write!(f, "{field}: {}", self.message),
            (None, Some(line)) => write!(f, "line {line}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates `path`.
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            field: None,
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        let mut config = Config::parse(&text, &file)?;
        config.state_dir = Some(match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        });
        Ok(config)
    }

    /// Turns off every service not named in `names` (`--only`). Returns the
    /// first unknown name as an error.
    pub(crate) fn restrict_to(&mut self, names: &[String]) -> Result<(), String> {
        const KNOWN: [&str; 10] = [
            "http", "https", "snmp", "tftp", "iperf", "echo", "mqtt", "mdns", "netbios", "sntp",
        ];
        if let Some(bad) = names.iter().find(|n| !KNOWN.contains(&n.as_str())) {
            return Err(format!(
                "--only: unknown service `{bad}` (known: {})",
                KNOWN.join(", ")
            ));
        }
        let on = |s: &str| names.iter().any(|n| n == s);
        self.http.enabled &= on("http");
        self.https.enabled &= on("https");
        self.snmp.enabled &= on("snmp");
        self.tftp.enabled &= on("tftp");
        self.iperf.enabled &= on("iperf");
        self.echo.enabled &= on("echo");
        self.mqtt.enabled &= on("mqtt");
        self.mdns.enabled &= on("mdns");
        self.netbios.enabled &= on("netbios");
        self.sntp.enabled &= on("sntp");
        Ok(())
    }

    /// See [`Config::state_dir`]: the config file's directory, or
    /// `./petrel-state`.
    pub(crate) fn state_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("petrel-state"))
    }

    /// Parses and validates a configuration text; `file` names it in errors.
    pub(crate) fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let pos = e.span().map(|s| s.start);
            ConfigError {
                file: file.into(),
                field: pos.and_then(|p| crate::config_path::key_path_at(text, p)),
                line: pos.map(|p| line_of(text, p)),
                // The message alone: toml's Display adds a multi-line excerpt.
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        config.validate().map_err(|(field, message)| ConfigError {
            file: file.into(),
            field: Some(field.into()),
            line: None,
            message: message.into(),
        })?;
        Ok(config)
    }

    /// Checks what the types cannot: ports and limits.
    fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        const PORT0: &str = "port 0 is not allowed";
        let listens = [
            ("http.listen", self.http.listen),
            ("https.listen", self.https.listen),
            ("snmp.listen", self.snmp.listen),
            ("tftp.listen", self.tftp.listen),
            ("iperf.listen", self.iperf.listen),
            ("echo.tcp", self.echo.tcp),
            ("echo.udp", self.echo.udp),
        ];
        if let Some((field, _)) = listens.iter().find(|(_, a)| a.port() == 0) {
            return Err((field, PORT0));
        }
        if self.device.name.is_empty() {
            return Err(("device.name", "must not be empty"));
        }
        self.http.validate()?;
        self.tftp.validate()?;
        self.iperf.validate()?;
        self.mdns.validate()?;
        self.mqtt.validate()?;
        self.snmp.validate()?;
        self.netbios.validate()?;
        self.sntp.validate()?;
        if self.echo.max_connections == 0 {
            return Err(("echo.max_connections", "must be at least 1"));
        }
        Ok(())
    }

    /// The default configuration as TOML (what `--print-default-config`
    /// prints).
    pub(crate) fn default_toml() -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(&Config::default())
    }
}

/// The 1-based line number of byte offset `pos` in `text`.
fn line_of(text: &str, pos: usize) -> usize {
    let end = pos.min(text.len());
    text.bytes().take(end).filter(|b| *b == b'\n').count() + 1
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

impl Config {
    /// The same configuration for a stack whose only address is `ip` (the
    /// TAP device): loopback listen addresses move to `ip`, other addresses
    /// stay as configured.
    pub(crate) fn rebound_to(&self, ip: std::net::Ipv4Addr) -> Config {
        let move_addr = |a: &mut SocketAddr| {
            if a.ip().is_loopback() {
                a.set_ip(ip.into());
            }
        };
        let mut c = self.clone();
        move_addr(&mut c.http.listen);
        move_addr(&mut c.https.listen);
        move_addr(&mut c.snmp.listen);
        move_addr(&mut c.tftp.listen);
        move_addr(&mut c.iperf.listen);
        move_addr(&mut c.echo.tcp);
        move_addr(&mut c.echo.udp);
        c
    }
}
