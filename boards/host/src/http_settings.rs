//! The dashboard's settings (device name, MQTT broker, SNTP servers):
//! validation, `<state_dir>/settings.toml`, and applying it at start.

use log::{info, warn};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The settings file in the state directory.
pub(crate) const SETTINGS_FILE: &str = "settings.toml";
/// What the dashboard's settings form edits; saved to
/// `<state_dir>/settings.toml` and applied over the config at start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// The device name.
    pub(crate) device_name: String,
    /// `mqtt://host[:port]`, `mqtts://…`, or empty (MQTT off).
    pub(crate) mqtt_broker: String,
    /// Comma-separated SNTP servers (at most 4), may be empty.
    pub(crate) sntp_servers: String,
}

impl Settings {
    pub(super) fn from_config(cfg: &Config) -> Settings {
        Settings {
            device_name: cfg.device.name.clone(),
            mqtt_broker: if cfg.mqtt.enabled {
                cfg.mqtt.broker.clone()
            } else {
                String::new()
            },
            sntp_servers: cfg.sntp.servers.join(", "),
        }
    }
}

pub(super) fn label_ok(l: &str) -> bool {
    (1..=63).contains(&l.len())
        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

/// A host name or IPv4 address, optionally with `:port`.
pub(super) fn host_ok(h: &str) -> bool {
    let (host, port) = match h.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (h, None),
    };
    if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
        return false;
    }
    !host.is_empty() && host.len() <= 253 && host.split('.').all(label_ok)
}

/// Validates a submitted form: the settings, or one message per bad field.
pub(super) fn validate_settings(
    device_name: &str,
    mqtt_broker: &str,
    sntp_servers: &str,
) -> Result<Settings, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let name = device_name.trim();
    if !label_ok(name) {
        errors.push((
            "device_name",
            "1 to 63 letters, digits or '-', not starting or ending with '-'",
        ));
    }
    let broker = mqtt_broker.trim();
    if !broker.is_empty() {
        let rest = broker
            .strip_prefix("mqtt://")
            .or_else(|| broker.strip_prefix("mqtts://"));
        if !rest.is_some_and(host_ok) {
            errors.push((
                "mqtt_broker",
                "empty, or mqtt://host[:port] or mqtts://host[:port]",
            ));
        }
    }
    let servers: Vec<&str> = sntp_servers
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if servers.len() > 4 || !servers.iter().all(|s| host_ok(s)) {
        errors.push((
            "sntp_servers",
            "up to 4 comma-separated host names or IPv4 addresses",
        ));
    }
    if errors.is_empty() {
        Ok(Settings {
            device_name: name.to_string(),
            mqtt_broker: broker.to_string(),
            sntp_servers: servers.join(", "),
        })
    } else {
        Err(errors)
    }
}

/// Applies `<state_dir>/settings.toml` (saved by the dashboard) over
/// `cfg`. A missing file is fine; a broken one is logged and ignored.
pub(crate) fn apply_saved_settings(cfg: &mut Config) {
    let path = cfg.state_dir().join(SETTINGS_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let s: Settings = match toml::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            warn!("{}: ignored: {}", path.display(), e.message());
            return;
        }
    };
    if validate_settings(&s.device_name, &s.mqtt_broker, &s.sntp_servers).is_err() {
        warn!("{}: ignored: invalid values", path.display());
        return;
    }
    cfg.device.name = s.device_name;
    if s.mqtt_broker.is_empty() {
        cfg.mqtt.enabled = false;
    } else {
        cfg.mqtt.broker = s.mqtt_broker;
    }
    cfg.sntp.servers = s
        .sntp_servers
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect();
    info!("applied saved settings from {}", path.display());
}
