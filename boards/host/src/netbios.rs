//! `[netbios]`: the NetBIOS name service responder. Registers the device
//! name at start, answers Windows name lookups, defends the name, and
//! releases it on shutdown.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use log::{debug, info, warn};
use petrel_netbios::driver::run;
use petrel_netbios::{Event, NbName, Responder};
use petrel_netcore::{Network, UdpSocket};
use serde::{Deserialize, Serialize};

use crate::services::ServiceError;
use crate::status::{ServiceState, Status};

/// `[netbios]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct NetbiosConfig {
    /// Whether the responder runs.
    pub(crate) enabled: bool,
    /// The NetBIOS name (at most 15 characters); empty: the device name,
    /// upper-cased and cut to 15.
    pub(crate) name: String,
    /// The workgroup shown in node status (empty: none).
    pub(crate) workgroup: String,
    /// Where to listen. Port 137 is what Windows and Samba use; on host
    /// sockets it needs root or CAP_NET_BIND_SERVICE.
    pub(crate) listen: SocketAddr,
    /// Where registrations and releases are broadcast; unset: the subnet
    /// broadcast address of the interface, port 137.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) broadcast: Option<SocketAddr>,
}

impl Default for NetbiosConfig {
    fn default() -> Self {
        NetbiosConfig {
            enabled: false,
            name: String::new(),
            workgroup: "WORKGROUP".into(),
            listen: SocketAddr::from(([0, 0, 0, 0], 137)),
            broadcast: None,
        }
    }
}

impl NetbiosConfig {
    /// Checks what the types cannot.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.name.len() > 15 {
            return Err(("netbios.name", "at most 15 characters"));
        }
        if self.workgroup.len() > 15 {
            return Err(("netbios.workgroup", "at most 15 characters"));
        }
        if !self.name.is_ascii() || self.name.contains(['.', '*', ' ']) {
            return Err(("netbios.name", "ASCII without '.', '*' or spaces"));
        }
        if self.listen.port() == 0 {
            return Err(("netbios.listen", "port 0 is not allowed"));
        }
        Ok(())
    }

    /// The name to register: `name`, or the device name upper-cased and cut
    /// to 15 bytes at a character boundary (non-ASCII dropped).
    pub(crate) fn effective_name(&self, device: &str) -> String {
        let src = if self.name.is_empty() {
            device
        } else {
            &self.name
        };
        src.chars()
            .filter(|c| c.is_ascii_graphic() && *c != '.' && *c != '*')
            .map(|c| c.to_ascii_uppercase())
            .take(15)
            .collect()
    }
}

/// The interface address, prefix and MAC that `listen` is on: the
/// configured address, or the stack's address, or the first non-loopback
/// IPv4 interface.
fn interface<N: Network>(net: &N, listen: SocketAddr) -> (Ipv4Addr, u8, [u8; 6]) {
    let wanted = match listen.ip() {
        std::net::IpAddr::V4(a) if !a.is_unspecified() => Some(a),
        _ => net.ipv4_addr(),
    };
    let mut found: Option<(Ipv4Addr, u8, [u8; 6])> = None;
    net.for_each_interface(&mut |i| {
        if let Some((a, p)) = i.ipv4 {
            let better = match wanted {
                Some(w) => a == w,
                None => !a.is_loopback() && found.is_none(),
            };
            if better {
                found = Some((a, p, i.mac));
            }
        }
    });
    found.unwrap_or((
        wanted.unwrap_or(Ipv4Addr::LOCALHOST),
        32,
        [0x02, 0, 0, 0, 0, 1],
    ))
}

/// The directed broadcast address of `addr/prefix`.
fn subnet_broadcast(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    if prefix >= 32 {
        return Ipv4Addr::BROADCAST;
    }
    let mask = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    Ipv4Addr::from(u32::from(addr) | mask)
}

/// Binds port 137 (or the configured one), logs the start line, and
/// returns the responder's future: it ends after the names were released
/// on shutdown, or if receiving fails for good.
pub(crate) async fn start<N>(
    net: N,
    cfg: &NetbiosConfig,
    device_name: &str,
    status: Arc<Status>,
) -> Result<impl Future<Output = Result<(), (&'static str, String)>> + use<N>, ServiceError>
where
    N: Network + 'static,
    N::UdpSocket: 'static,
{
    let addr = cfg.listen;
    let mut socket = crate::services::bind_udp(&net, "netbios", addr).await?;
    let name = cfg.effective_name(device_name);
    if name.is_empty() {
        return Err(ServiceError::Config {
            field: "netbios.name",
            message: "the device name gives an empty NetBIOS name".into(),
        });
    }
    let (ip, prefix, mac) = interface(&net, addr);
    let broadcast = cfg.broadcast.unwrap_or(SocketAddr::from((
        subnet_broadcast(ip, prefix),
        petrel_netbios::wire::PORT,
    )));
    let mut config = petrel_netbios::Config::new(&name, ip, mac);
    if !cfg.workgroup.is_empty() {
        config.workgroup = Some(NbName::new(cfg.workgroup.as_bytes(), 0x00));
    }
    config.random_seed = std::process::id() as u16;
    info!(
        "netbios listening on {} (name {name}, address {ip}, broadcasts to {broadcast})",
        socket.local_addr()
    );
    status.set_service(
        "netbios",
        ServiceState::Starting,
        format!("registering {name}"),
    );
    let mut stop = status.shutdown_signal();
    Ok(async move {
        let mut responder = Responder::new(config, net.now());
        let mut buf = [0u8; 576];
        let stop = async move {
            // Ends when shutdown begins (or the sender is gone).
            let _ = stop.wait_for(|v| *v).await;
        };
        let name2 = name.clone();
        // The suffixes we hold, for the shutdown log line.
        let held = std::cell::RefCell::new(Vec::<u8>::new());
        let on_event = |e: Event| match e {
            Event::Registered { name: n } => {
                held.borrow_mut().push(n.suffix());
                info!(
                    "netbios: registered {}<{:02x}>",
                    String::from_utf8_lossy(n.name()),
                    n.suffix()
                );
                status.set_service("netbios", ServiceState::Running, format!("{name2} at {ip}"));
            }
            Event::Conflict {
                name: n,
                by,
                owner,
                rcode,
            } => {
                held.borrow_mut().retain(|s| *s != n.suffix());
                let owner = owner.map_or_else(|| by.ip().to_string(), |o| o.to_string());
                warn!(
                    "netbios: name conflict: {}<{:02x}> is owned by {owner} (refused by {by}, rcode {rcode}); not answering for it",
                    String::from_utf8_lossy(n.name()),
                    n.suffix()
                );
                status.set_service(
                    "netbios",
                    ServiceState::Failed,
                    format!("name conflict: {name2} owned by {owner}"),
                );
            }
            Event::Defended { name: n, from } => info!(
                "netbios: refused {from} registering our name {}<{:02x}>",
                String::from_utf8_lossy(n.name()),
                n.suffix()
            ),
            Event::Answered {
                from,
                positive,
                addr,
            } => debug!("netbios: {from}: answered ({positive}, {addr})"),
            Event::StatusSent { from } => debug!("netbios: {from}: node status"),
            Event::Ignored { from, reason } => debug!("netbios: {from}: ignored: {reason:?}"),
            other => debug!("netbios: {other:?}"),
        };
        let r = run(
            &net,
            &mut socket,
            &mut responder,
            broadcast,
            &mut buf,
            stop,
            on_event,
        )
        .await;
        match r {
            Ok(()) => {
                if !held.borrow().is_empty() {
                    info!("netbios: released {name}");
                }
                Ok(())
            }
            Err(e) => Err(("netbios", e.to_string())),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_broadcasts() {
        let c = NetbiosConfig::default();
        assert_eq!(c.effective_name("petrel"), "PETREL");
        assert_eq!(
            c.effective_name("a-very-long-device-name.lan"),
            "A-VERY-LONG-DEV"
        );
        assert_eq!(c.effective_name("é-x"), "-X");
        assert_eq!(
            subnet_broadcast(Ipv4Addr::new(198, 51, 100, 2), 24),
            Ipv4Addr::new(198, 51, 100, 255)
        );
        assert_eq!(
            subnet_broadcast(Ipv4Addr::new(10, 1, 2, 3), 0),
            Ipv4Addr::BROADCAST
        );
        assert_eq!(
            subnet_broadcast(Ipv4Addr::new(10, 1, 2, 3), 32),
            Ipv4Addr::BROADCAST
        );
        let bad = NetbiosConfig {
            name: "X".repeat(16),
            ..NetbiosConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
