//! The `[mdns]` service: Petrel's mDNS/DNS-SD responder on port 5353.
//!
//! The host name defaults to the device name (made a valid DNS label); the
//! services advertised default to what this `petrel` actually runs: the
//! dashboard (`_http._tcp`, TXT `path=/`), HTTPS, SNMP and iPerf when they
//! are enabled. The claimed name (after any automatic rename) goes to the
//! shared status; on shutdown goodbyes (TTL 0) are sent before the service
//! returns.
//!
//! On the host's own sockets port 5353 is usually taken by avahi-daemon or
//! systemd-resolved (netcore's host backend binds without `SO_REUSEADDR`),
//! and multicast would go out on the machine's real LAN: the responder is
//! meant for `petrel --tap` (Petrel's own stack) or a dedicated machine.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use log::{info, warn};
use petrel_mdns::driver::{self, Note};
use petrel_mdns::{Event, Owner, QueryEvent, Responder, ResponderConfig, ServiceSpec};
use petrel_netcore::Network;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::services::ServiceError;
use crate::status::{ServiceState, Status};

/// Most services advertised at once.
const MAX_SERVICES: usize = 8;

/// `[mdns]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct MdnsConfig {
    /// Whether the responder runs (off by default: it multicasts on the
    /// link).
    pub(crate) enabled: bool,
    /// The host label (`petrel` → `petrel.local`); default: the device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) host: Option<String>,
    /// The instance name of the default services; default: the device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) instance: Option<String>,
    /// The address to advertise; default: the stack's address (`--tap`) or
    /// the host's address toward the mDNS group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<Ipv4Addr>,
    /// The services to advertise; default: those this petrel runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) services: Option<Vec<MdnsService>>,
}

/// One `[[mdns.services]]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct MdnsService {
    /// Instance name; default `mdns.instance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) instance: Option<String>,
    /// Service type, `_name._tcp` or `_name._udp`.
    #[serde(rename = "type")]
    pub(crate) service_type: String,
    /// Port.
    pub(crate) port: u16,
    /// TXT strings (`key=value`).
    pub(crate) txt: Vec<String>,
    /// Subtypes (`_printer`).
    pub(crate) subtypes: Vec<String>,
}

impl MdnsConfig {
    /// Checks the host label and the service list.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if let Some(h) = &self.host
            && (h.is_empty()
                || h.len() > 63
                || h.starts_with('-')
                || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err((
                "mdns.host",
                "must be 1-63 letters, digits or hyphens (one DNS label)",
            ));
        }
        if let Some(i) = &self.instance
            && (i.is_empty() || i.len() > 63)
        {
            return Err(("mdns.instance", "must be 1-63 bytes"));
        }
        let Some(services) = &self.services else {
            return Ok(());
        };
        if services.len() > MAX_SERVICES {
            return Err(("mdns.services", "at most 8 services"));
        }
        for s in services {
            let ok = match s.service_type.split_once('.') {
                Some((n, p)) => {
                    n.starts_with('_')
                        && n.len() >= 2
                        && n.len() <= 16
                        && matches!(p, "_tcp" | "_udp")
                }
                None => false,
            };
            if !ok {
                return Err(("mdns.services.type", "must be _name._tcp or _name._udp"));
            }
            if s.port == 0 {
                return Err(("mdns.services.port", "port 0 is not allowed"));
            }
            if s.txt.iter().any(|t| t.len() > 255) {
                return Err(("mdns.services.txt", "each string at most 255 bytes"));
            }
            if s.subtypes.len() > petrel_mdns::records::MAX_SUBTYPES
                || !s
                    .subtypes
                    .iter()
                    .all(|t| t.starts_with('_') && t.len() <= 63)
            {
                return Err(("mdns.services.subtypes", "at most 4, each starting with _"));
            }
            if s.instance
                .as_ref()
                .is_some_and(|i| i.is_empty() || i.len() > 63)
            {
                return Err(("mdns.services.instance", "must be 1-63 bytes"));
            }
        }
        Ok(())
    }
}

/// The device name as a DNS label: invalid characters become hyphens.
fn host_label(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63)
        .collect();
    while s.starts_with('-') {
        s.remove(0);
    }
    if s.is_empty() { "petrel".into() } else { s }
}

/// A service to advertise, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Advert {
    instance: String,
    service_type: String,
    port: u16,
    txt: Vec<u8>,
    subtypes: Vec<String>,
}

fn txt_bytes(strings: &[String]) -> Vec<u8> {
    let mut v = Vec::new();
    for s in strings {
        // Lengths were validated (<= 255).
        v.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
        v.extend_from_slice(s.as_bytes().get(..255).unwrap_or(s.as_bytes()));
    }
    v
}

/// What gets advertised under `cfg`.
fn adverts(cfg: &Config) -> Vec<Advert> {
    let instance = cfg
        .mdns
        .instance
        .clone()
        .unwrap_or_else(|| cfg.device.name.chars().take(63).collect());
    if let Some(list) = &cfg.mdns.services {
        return list
            .iter()
            .map(|s| Advert {
                instance: s.instance.clone().unwrap_or_else(|| instance.clone()),
                service_type: s.service_type.clone(),
                port: s.port,
                txt: txt_bytes(&s.txt),
                subtypes: s.subtypes.clone(),
            })
            .collect();
    }
    let mut v = Vec::new();
    let mut add = |t: &str, port: u16, txt: &[&str]| {
        v.push(Advert {
            instance: instance.clone(),
            service_type: t.into(),
            port,
            txt: txt_bytes(&txt.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            subtypes: Vec::new(),
        })
    };
    if cfg.http.enabled {
        add("_http._tcp", cfg.http.listen.port(), &["path=/"]);
    }
    if cfg.https.enabled {
        add("_https._tcp", cfg.https.listen.port(), &["path=/"]);
    }
    if cfg.snmp.enabled {
        add("_snmp._udp", cfg.snmp.listen.port(), &[]);
    }
    if cfg.iperf.enabled {
        add("_iperf._tcp", cfg.iperf.listen.port(), &[]);
    }
    v
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32)
}

/// Binds port 5353 and returns the responder's future.
pub(crate) async fn start<N>(
    net: N,
    cfg: &Config,
    status: Arc<Status>,
) -> Result<impl Future<Output = Result<(), (&'static str, String)>> + use<N>, ServiceError>
where
    N: Network + 'static,
    N::UdpSocket: 'static,
{
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 5353));
    let mut socket = driver::bind(&net)
        .await
        .map_err(|error| ServiceError::Bind {
            service: "mdns",
            addr,
            error,
        })?;
    let host = cfg
        .mdns
        .host
        .clone()
        .unwrap_or_else(|| host_label(&cfg.device.name));
    let adverts = adverts(cfg);
    // On host sockets this is the address the kernel sends multicast
    // from; a smoltcp stack (TAP) knows its address, or gets one from DHCP
    // later.
    let ip = cfg.mdns.address.or_else(|| net.ipv4_addr());
    let list: Vec<String> = adverts
        .iter()
        .map(|a| format!("{}:{}", a.service_type, a.port))
        .collect();
    info!(
        "mdns responding on {addr} as {host}.local ({}), services: {}",
        ip.map_or_else(|| "waiting for an address".into(), |a| a.to_string()),
        if list.is_empty() {
            "none".into()
        } else {
            list.join(", ")
        }
    );
    status.set_service(
        "mdns",
        ServiceState::Starting,
        format!("probing {host}.local"),
    );
    Ok(async move {
        // With DHCP the address comes later: probe once there is one.
        let mut ip = ip;
        let waiting = status.shutdown_signal();
        while ip.is_none() {
            if *waiting.borrow() {
                return Ok(());
            }
            net.sleep(petrel_netcore::Duration::from_millis(500)).await;
            ip = net.ipv4_addr();
        }
        let subtypes: Vec<Vec<&str>> = adverts
            .iter()
            .map(|a| a.subtypes.iter().map(String::as_str).collect())
            .collect();
        let mut responder: Responder<'_, MAX_SERVICES> =
            Responder::new(ResponderConfig::default(), &host, seed())
                .map_err(|e| ("mdns", format!("host name {host:?}: {e}")))?;
        let now = net.now();
        for (a, subs) in adverts.iter().zip(&subtypes) {
            let spec = ServiceSpec {
                instance: &a.instance,
                service_type: &a.service_type,
                subtypes: subs,
                port: a.port,
                txt: &a.txt,
            };
            if let Err(e) = responder.add_service(now, spec) {
                warn!("mdns: cannot advertise {}: {e}", a.service_type);
            }
        }
        responder.set_address(now, ip);
        let mut rx = status.shutdown_signal();
        let stop = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let mut buf = vec![0u8; 9000];
        let count = adverts.len();
        let mut notify = |note: Note, r: &Responder<'_, MAX_SERVICES>| {
            on_note(note, r, &status, count);
        };
        driver::run(
            &net,
            &mut socket,
            &mut responder,
            None::<&mut petrel_mdns::Querier<0, 0>>,
            &mut buf,
            stop,
            &mut notify,
        )
        .await
        .map_err(|e| ("mdns", e.to_string()))
    })
}

fn on_note(note: Note, r: &Responder<'_, MAX_SERVICES>, status: &Status, count: usize) {
    let host = format!("{}.local", r.host_name());
    match note {
        Note::Responder(Event::Claimed(Owner::Host)) => {
            info!("mdns: claimed {host}");
            status.set_mdns_name(&host);
            status.set_service(
                "mdns",
                ServiceState::Running,
                format!("{host}, {count} services"),
            );
        }
        Note::Responder(Event::Claimed(Owner::Service(i))) => {
            info!(
                "mdns: advertising \"{}\"",
                r.service_instance(i).unwrap_or("?")
            );
        }
        Note::Responder(Event::Renamed(Owner::Host)) => {
            warn!("mdns: name conflict, renamed to {host}");
            status.set_service(
                "mdns",
                ServiceState::Starting,
                format!("probing {host} after a conflict"),
            );
        }
        Note::Responder(Event::Renamed(Owner::Service(i))) => {
            warn!(
                "mdns: service name conflict, renamed to \"{}\"",
                r.service_instance(i).unwrap_or("?")
            );
        }
        Note::Responder(Event::RateLimited) => {
            warn!("mdns: too many name conflicts, waiting 5 s");
        }
        Note::Responder(Event::Finished) => info!("mdns: goodbyes sent"),
        Note::Responder(_) | Note::Query(QueryEvent::NoAnswer { .. }) => {}
        Note::Query(_) => {}
        Note::Malformed { from, error } => {
            log::debug!("mdns: ignored a malformed datagram from {from}: {error}");
        }
        Note::SendFailed(e) => warn!("mdns: send failed: {e}"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_labels_from_device_names() {
        assert_eq!(host_label("petrel"), "petrel");
        assert_eq!(host_label("Lab Box #1"), "Lab-Box--1");
        assert_eq!(host_label("--x"), "x");
        assert_eq!(host_label("äö"), "petrel");
        assert_eq!(host_label(&"a".repeat(80)).len(), 63);
    }

    #[test]
    fn default_adverts_follow_enabled_services() {
        let mut c = Config::default();
        c.https.enabled = false;
        c.iperf.enabled = false;
        let a = adverts(&c);
        let types: Vec<&str> = a.iter().map(|a| a.service_type.as_str()).collect();
        assert_eq!(types, ["_http._tcp", "_snmp._udp"]);
        assert_eq!(a[0].txt, b"\x06path=/");
        assert_eq!(a[0].port, c.http.listen.port());
        assert_eq!(a[0].instance, "petrel");
        c.snmp.enabled = false;
        c.http.enabled = false;
        assert!(adverts(&c).is_empty());
    }

    #[test]
    fn config_section_parses_and_validates() {
        let text = "[mdns]\nenabled = true\nhost = \"lab\"\n[[mdns.services]]\ntype = \"_ipp._tcp\"\nport = 631\ntxt = [\"rp=x\"]\nsubtypes = [\"_universal\"]\n";
        let c = Config::parse(text, "x.toml").unwrap();
        assert!(c.mdns.enabled);
        assert_eq!(c.mdns.host.as_deref(), Some("lab"));
        let a = adverts(&c);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].txt, b"\x04rp=x");
        let bad = Config::parse("[mdns]\nhost = \"a b\"\n", "x.toml").unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("mdns.host"));
        let bad =
            Config::parse("[[mdns.services]]\ntype = \"http\"\nport = 80\n", "x.toml").unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("mdns.services.type"));
    }
}
