//! `[snmp]`: the SNMP agent (v1, v2c, v3) serving MIB-2 from the stack it
//! runs on, with traps and informs to configured managers.
//!
//! ```toml
//! [snmp]
//! listen = "127.0.0.1:1161"
//! sys_contact = "ops@example.invalid"
//! [[snmp.communities]]
//! name = "public"
//! access = "ro"            # or "rw"; optional view = "NAME"
//! [[snmp.users]]
//! name = "alice"
//! auth = "SHA-256"         # MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512
//! auth_password = "maplesyrup"
//! privacy = "AES"          # DES, AES, AES-192, AES-256, AES-192C, AES-256C
//! priv_password = "maplesyrup"
//! [[snmp.traps]]
//! target = "127.0.0.1:162"
//! version = "v2c"          # v1, v2c (inform = true for informs), v3 (user = …)
//! [[snmp.views]]
//! name = "sys"
//! include = ["1.3.6.1.2.1.1"]
//! ```
//!
//! snmpEngineBoots is kept in `snmp-engine-boots` in the state directory
//! (next to the config file, or `./petrel-state/`).
//!
//! Beside MIB-2 the agent serves PETREL-MIB (`mibs/PETREL-MIB.mib`, under
//! `enterprises.32473`) from the handlers in `snmp_board.rs`, compiled by
//! the MIB compiler into `petrel_mibs::petrel_mib`.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use log::{debug, info, warn};
use petrel_mibs::petrel_mib;
use petrel_netcore::{Network, UdpSocket};
use petrel_snmp::Oid;
use petrel_snmp::agent::{Access, Agent, AgentConfig, Community, Mount, View, ViewEntry};
use petrel_snmp::driver::{Driver, DriverConfig, DriverEvent, Notification, TrapKind, TrapTarget};
use petrel_snmp::mib2::{Mib2, Mib2Config, PETREL_SYS_OBJECT_ID};
use petrel_snmp::usm::crypto::{AuthProtocol, PrivProtocol};
use petrel_snmp::usm::{Engine, Secret, SecurityLevel, UserConfig};
use serde::{Deserialize, Serialize};

use crate::services::ServiceError;
use crate::status::Status;

#[path = "snmp_board.rs"]
mod board;

/// USM users compiled into the agent; `snmp.users` may not list more.
pub(crate) const MAX_USERS: usize = 32;
/// Shortest USM password (RFC 3414 11.2).
const MIN_PASSWORD: usize = 8;

/// `[snmp]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SnmpConfig {
    /// Whether the agent runs.
    pub(crate) enabled: bool,
    /// The address and port it listens on.
    pub(crate) listen: SocketAddr,
    /// snmpEngineID in hex (5 to 32 octets); default: Petrel's enterprise
    /// format with the device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) engine_id: Option<String>,
    /// Initial sysContact.
    pub(crate) sys_contact: String,
    /// Initial sysLocation.
    pub(crate) sys_location: String,
    /// Largest response in octets (484..=65507).
    pub(crate) max_message_size: usize,
    /// v1/v2c communities.
    pub(crate) communities: Vec<CommunityToml>,
    /// SNMPv3 USM users.
    pub(crate) users: Vec<UserToml>,
    /// Notification destinations.
    pub(crate) traps: Vec<TrapToml>,
    /// Named views for communities and users.
    pub(crate) views: Vec<ViewToml>,
}

impl Default for SnmpConfig {
    fn default() -> Self {
        SnmpConfig {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 1161)),
            engine_id: None,
            sys_contact: String::new(),
            sys_location: String::new(),
            max_message_size: 1472,
            communities: vec![CommunityToml {
                name: "public".into(),
                access: AccessMode::Ro,
                view: None,
            }],
            users: Vec::new(),
            traps: Vec::new(),
            views: Vec::new(),
        }
    }
}

/// Read-only or read-write.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AccessMode {
    /// Get, GetNext, GetBulk.
    #[default]
    Ro,
    /// Also Set.
    Rw,
}

/// `[[snmp.communities]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommunityToml {
    /// The community string.
    pub(crate) name: String,
    /// What it may do.
    #[serde(default)]
    pub(crate) access: AccessMode,
    /// A view name from `snmp.views` (default: everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) view: Option<String>,
}

/// Authentication protocol for `name` (net-snmp's spelling).
fn auth_protocol(name: &str) -> Option<AuthProtocol> {
    Some(match name.to_ascii_uppercase().as_str() {
        "MD5" => AuthProtocol::HmacMd5,
        "SHA" | "SHA1" | "SHA-1" => AuthProtocol::HmacSha1,
        "SHA-224" | "SHA224" => AuthProtocol::HmacSha224,
        "SHA-256" | "SHA256" => AuthProtocol::HmacSha256,
        "SHA-384" | "SHA384" => AuthProtocol::HmacSha384,
        "SHA-512" | "SHA512" => AuthProtocol::HmacSha512,
        _ => return None,
    })
}

/// Privacy protocol for `name` (net-snmp's spelling; the `C` forms are the
/// Reeder key extension).
fn priv_protocol(name: &str) -> Option<PrivProtocol> {
    Some(match name.to_ascii_uppercase().as_str() {
        "DES" => PrivProtocol::Des,
        "AES" | "AES128" | "AES-128" => PrivProtocol::Aes128,
        "AES192" | "AES-192" => PrivProtocol::Aes192,
        "AES256" | "AES-256" => PrivProtocol::Aes256,
        "AES192C" | "AES-192C" | "AES-192-C" => PrivProtocol::Aes192Reeder,
        "AES256C" | "AES-256C" | "AES-256-C" => PrivProtocol::Aes256Reeder,
        _ => return None,
    })
}

/// A security level by its SNMP name.
fn level(name: &str) -> Option<SecurityLevel> {
    Some(match name {
        "noAuthNoPriv" => SecurityLevel::NoAuthNoPriv,
        "authNoPriv" => SecurityLevel::AuthNoPriv,
        "authPriv" => SecurityLevel::AuthPriv,
        _ => return None,
    })
}

/// `[[snmp.users]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserToml {
    /// usmUserName.
    pub(crate) name: String,
    /// Authentication protocol (none: noAuthNoPriv only): MD5, SHA,
    /// SHA-224, SHA-256, SHA-384 or SHA-512.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth: Option<String>,
    /// Its password (at least 8 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auth_password: Option<String>,
    /// Privacy protocol (needs `auth`): DES, AES, AES-192, AES-256,
    /// AES-192C or AES-256C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) privacy: Option<String>,
    /// Its password (default: `auth_password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) priv_password: Option<String>,
    /// What the user may do.
    #[serde(default)]
    pub(crate) access: AccessMode,
    /// A view name from `snmp.views` (default: everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) view: Option<String>,
    /// Lowest level accepted (default: authNoPriv with `auth`, else
    /// noAuthNoPriv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_level: Option<String>,
}

/// Notification versions.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TrapVersion {
    /// SNMPv1 Trap-PDU.
    V1,
    /// SNMPv2c Trap or Inform.
    #[default]
    V2c,
    /// SNMPv3 Trap.
    V3,
}

/// `[[snmp.traps]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrapToml {
    /// The manager's address.
    pub(crate) target: SocketAddr,
    /// The version.
    #[serde(default)]
    pub(crate) version: TrapVersion,
    /// v1/v2c community (default "public").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) community: Option<String>,
    /// v2c: send informs (retried until acknowledged).
    #[serde(default)]
    pub(crate) inform: bool,
    /// v3: a user from `snmp.users`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    /// v3: the level (default: the strongest the user's keys allow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<String>,
}

/// `[[snmp.views]]`: included and excluded subtrees (numeric OIDs); the
/// longest matching subtree decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ViewToml {
    /// The view's name.
    pub(crate) name: String,
    /// Subtrees in the view.
    #[serde(default)]
    pub(crate) include: Vec<String>,
    /// Subtrees cut out of included ones.
    #[serde(default)]
    pub(crate) exclude: Vec<String>,
}

type Invalid = (&'static str, &'static str);

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

impl UserToml {
    fn max_level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            _ => SecurityLevel::NoAuthNoPriv,
        }
    }

    fn priv_password(&self) -> Option<&str> {
        self.priv_password
            .as_deref()
            .or(self.auth_password.as_deref())
    }
}

impl SnmpConfig {
    /// Checks what the types cannot; returns the offending field and why.
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        if let Some(id) = &self.engine_id {
            match parse_hex(id) {
                Some(b) if (5..=32).contains(&b.len()) => {}
                _ => return Err(("snmp.engine_id", "must be 5 to 32 octets in hex")),
            }
        }
        if !(484..=65507).contains(&self.max_message_size) {
            return Err(("snmp.max_message_size", "must be 484..=65507"));
        }
        let view_ok = |v: &Option<String>| {
            v.as_ref()
                .is_none_or(|n| self.views.iter().any(|w| &w.name == n))
        };
        for v in &self.views {
            if v.name.is_empty() {
                return Err(("snmp.views.name", "must not be empty"));
            }
            if v.include.iter().any(|o| o.parse::<Oid>().is_err()) {
                return Err(("snmp.views.include", "not a numeric OID"));
            }
            if v.exclude.iter().any(|o| o.parse::<Oid>().is_err()) {
                return Err(("snmp.views.exclude", "not a numeric OID"));
            }
        }
        for c in &self.communities {
            if c.name.is_empty() {
                return Err(("snmp.communities.name", "must not be empty"));
            }
            if !view_ok(&c.view) {
                return Err(("snmp.communities.view", "no view with this name"));
            }
        }
        if self.users.len() > MAX_USERS {
            return Err(("snmp.users", "at most 32 users"));
        }
        for u in &self.users {
            if u.name.is_empty() || u.name.len() > 32 {
                return Err(("snmp.users.name", "must have 1 to 32 characters"));
            }
            if !view_ok(&u.view) {
                return Err(("snmp.users.view", "no view with this name"));
            }
            if u.auth
                .as_deref()
                .is_some_and(|a| auth_protocol(a).is_none())
            {
                return Err((
                    "snmp.users.auth",
                    "unknown protocol (MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512)",
                ));
            }
            if u.privacy
                .as_deref()
                .is_some_and(|p| priv_protocol(p).is_none())
            {
                return Err((
                    "snmp.users.privacy",
                    "unknown protocol (DES, AES, AES-192, AES-256, AES-192C, AES-256C)",
                ));
            }
            if u.auth.is_some() {
                match &u.auth_password {
                    None => return Err(("snmp.users.auth_password", "missing")),
                    Some(p) if p.len() < MIN_PASSWORD => {
                        return Err((
                            "snmp.users.auth_password",
                            "must have at least 8 characters",
                        ));
                    }
                    Some(_) => {}
                }
            } else if u.auth_password.is_some() {
                return Err(("snmp.users.auth", "auth_password given without auth"));
            }
            if u.privacy.is_some() {
                if u.auth.is_none() {
                    return Err(("snmp.users.privacy", "privacy needs auth"));
                }
                if u.priv_password().is_none_or(|p| p.len() < MIN_PASSWORD) {
                    return Err((
                        "snmp.users.priv_password",
                        "must have at least 8 characters",
                    ));
                }
            } else if u.priv_password.is_some() {
                return Err(("snmp.users.privacy", "priv_password given without privacy"));
            }
            let min = u.min_level.as_deref().map(level);
            if min.is_some_and(|l| l.is_none()) {
                return Err((
                    "snmp.users.min_level",
                    "noAuthNoPriv, authNoPriv or authPriv",
                ));
            }
            if min.flatten().is_some_and(|l| l > u.max_level()) {
                return Err(("snmp.users.min_level", "higher than the user's keys allow"));
            }
        }
        for t in &self.traps {
            if t.target.port() == 0 {
                return Err(("snmp.traps.target", "port 0 is not allowed"));
            }
            match t.version {
                TrapVersion::V3 => {
                    let Some(u) = t
                        .user
                        .as_ref()
                        .and_then(|n| self.users.iter().find(|u| &u.name == n))
                    else {
                        return Err(("snmp.traps.user", "v3 needs a user from snmp.users"));
                    };
                    let l = t.level.as_deref().map(level);
                    if l.is_some_and(|l| l.is_none()) {
                        return Err(("snmp.traps.level", "noAuthNoPriv, authNoPriv or authPriv"));
                    }
                    if l.flatten().is_some_and(|l| l > u.max_level()) {
                        return Err(("snmp.traps.level", "higher than the user's keys allow"));
                    }
                }
                _ if t.inform && t.version == TrapVersion::V1 => {
                    return Err(("snmp.traps.inform", "informs need v2c"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// snmpEngineID: configured, or 0x80 + enterprise 32473 (0x7ed9,
    /// PETREL-MIB's) + format 4 (text) + the device name (RFC 3411
    /// SnmpEngineID).
    fn engine_id(&self, device: &str) -> Vec<u8> {
        if let Some(id) = self.engine_id.as_deref().and_then(parse_hex) {
            return id;
        }
        let mut id = vec![0x80, 0x00, 0x7e, 0xd9, 0x04];
        id.extend(device.bytes().take(27));
        if id.len() < 6 {
            id.push(b'p');
        }
        id
    }
}

fn boots_file(state_dir: &Path) -> PathBuf {
    state_dir.join("snmp-engine-boots")
}

fn load_boots(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn store_boots(path: &Path, boots: u32) {
    let tmp = path.with_extension("tmp");
    let r = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
        .and_then(|()| std::fs::write(&tmp, format!("{boots}\n")))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = r {
        warn!("snmp: cannot store engineBoots in {}: {e}", path.display());
    }
}

fn view_entries(v: &ViewToml) -> Vec<ViewEntry> {
    let parse = |s: &String, included| {
        s.parse::<Oid>()
            .ok()
            .map(|subtree| ViewEntry { subtree, included })
    };
    v.include
        .iter()
        .filter_map(|s| parse(s, true))
        .chain(v.exclude.iter().filter_map(|s| parse(s, false)))
        .collect()
}

/// Binds the agent's socket and returns the future that serves it.
pub(crate) async fn start<N>(
    net: N,
    cfg: &crate::config::Config,
    status: Arc<Status>,
) -> Result<impl Future<Output = Result<(), (&'static str, String)>> + use<N>, ServiceError>
where
    N: Network + Clone + 'static,
    N::UdpSocket: 'static,
{
    let snmp = cfg.snmp.clone();
    let device = cfg.device.name.clone();
    let boots_path = boots_file(&cfg.state_dir());
    let addr = snmp.listen;
    let socket = crate::services::bind_udp(&net, "snmp", addr).await?;
    info!("snmp listening on {} (v1, v2c, v3)", socket.local_addr());
    Ok(async move {
        let mut socket = socket;
        serve(net, &mut socket, &snmp, &device, &boots_path, status).await
    })
}

async fn serve<N>(
    net: N,
    socket: &mut N::UdpSocket,
    snmp: &SnmpConfig,
    device: &str,
    boots_path: &Path,
    status: Arc<Status>,
) -> Result<(), (&'static str, String)>
where
    N: Network + Clone,
{
    let fail = |m: String| ("snmp", m);
    let views: Vec<(String, Vec<ViewEntry>)> = snmp
        .views
        .iter()
        .map(|v| (v.name.clone(), view_entries(v)))
        .collect();
    let view = |name: &Option<String>| -> View<'_> {
        match name {
            None => View::All,
            Some(n) => views
                .iter()
                .find(|(v, _)| v == n)
                .map_or(View::Nothing, |(_, e)| View::Subtrees(e)),
        }
    };
    let access = |a: AccessMode| match a {
        AccessMode::Ro => Access::ReadOnly,
        AccessMode::Rw => Access::ReadWrite,
    };
    let communities: Vec<Community<'_>> = snmp
        .communities
        .iter()
        .map(|c| Community {
            name: c.name.as_bytes(),
            access: access(c.access),
            read_view: view(&c.view),
            write_view: view(&c.view),
        })
        .collect();
    let agent_config = AgentConfig {
        communities: &communities,
        max_message_size: snmp.max_message_size,
        ..AgentConfig::default()
    };
    let engine_id = snmp.engine_id(device);
    let engine = Engine::new(&engine_id, load_boots(boots_path), net.now());
    let mut agent: Agent<'_, MAX_USERS> = Agent::new(agent_config, engine);
    agent.seed_salt(seed());
    for u in &snmp.users {
        let min_level = u
            .min_level
            .as_deref()
            .and_then(level)
            .unwrap_or(if u.auth.is_some() {
                SecurityLevel::AuthNoPriv
            } else {
                SecurityLevel::NoAuthNoPriv
            });
        let auth = u
            .auth
            .as_deref()
            .and_then(auth_protocol)
            .zip(u.auth_password.as_deref())
            .map(|(a, p)| (a, Secret::Password(p.as_bytes())));
        let privacy = u
            .privacy
            .as_deref()
            .and_then(priv_protocol)
            .zip(u.priv_password())
            .map(|(p, pw)| (p, Secret::Password(pw.as_bytes())));
        agent
            .add_user(&UserConfig {
                name: u.name.as_bytes(),
                auth,
                privacy,
                min_level,
                access: access(u.access),
                read_view: view(&u.view),
                write_view: view(&u.view),
            })
            .map_err(|e| fail(format!("user {}: {e}", u.name)))?;
    }
    let targets: Vec<TrapTarget<'_>> = snmp
        .traps
        .iter()
        .filter_map(|t| {
            let community = t.community.as_deref().unwrap_or("public").as_bytes();
            let kind = match t.version {
                TrapVersion::V1 => TrapKind::V1 { community },
                TrapVersion::V2c => TrapKind::V2c {
                    community,
                    inform: t.inform,
                },
                TrapVersion::V3 => {
                    let user = snmp
                        .users
                        .iter()
                        .find(|u| Some(&u.name) == t.user.as_ref())?;
                    TrapKind::V3 {
                        user: user.name.as_bytes(),
                        level: t
                            .level
                            .as_deref()
                            .and_then(level)
                            .unwrap_or(user.max_level()),
                    }
                }
            };
            Some(TrapTarget {
                addr: t.target,
                kind,
            })
        })
        .collect();
    let agent_addr = match snmp.listen.ip() {
        IpAddr::V4(a) if !a.is_unspecified() => a.octets(),
        _ => [127, 0, 0, 1],
    };
    let descr = format!(
        "Petrel {} SNMP agent on {} ({})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let mib2 = Mib2::new(
        net.clone(),
        Mib2Config {
            descr: descr.as_bytes(),
            object_id: petrel_snmp::Oid::new(PETREL_SYS_OBJECT_ID),
            contact: snmp.sys_contact.as_bytes(),
            name: device.as_bytes(),
            location: snmp.sys_location.as_bytes(),
            ..Mib2Config::default()
        },
    );
    let petrel = petrel_mib::mib(board::HostBoard::new(status));
    let mut mib = Mount::new(mib2, Oid::new(petrel_mib::MODULE_OID), petrel);
    let mut driver: Driver<'_, MAX_USERS> = Driver::new(
        agent,
        DriverConfig {
            targets: &targets,
            enterprise: petrel_snmp::Oid::new(PETREL_SYS_OBJECT_ID),
            agent_addr,
            ..DriverConfig::default()
        },
    );
    let mut request = vec![0u8; 65536];
    let mut response = vec![0u8; 65536];
    let mut alarm = board::TemperatureAlarm::new();
    let error = driver
        .run_with(
            &net,
            socket,
            &mut mib,
            &mut request,
            &mut response,
            |e| on_event(e, boots_path),
            petrel_netcore::Duration::from_secs(1),
            |mib, _now| temperature_alarm(mib, &mut alarm),
        )
        .await;
    Err(fail(format!("receive failed: {error}")))
}

/// petrelTemperatureAlarm when the temperature rises above its threshold
/// (both read through the MIB, as a manager would see them).
fn temperature_alarm<M: petrel_snmp::agent::Mib + ?Sized>(
    mib: &M,
    alarm: &mut board::TemperatureAlarm,
) -> Option<Notification> {
    let read = |object: &[u32]| {
        let mut scratch = [0u8; 16];
        let oid = Oid::new(object).child(&[0])?;
        match mib.get(&oid, &mut scratch) {
            Ok(petrel_snmp::Value::Integer(v)) => Some(v),
            _ => None,
        }
    };
    let temperature = read(petrel_mib::oids::PETREL_TEMPERATURE)?;
    let threshold = read(petrel_mib::oids::PETREL_TEMPERATURE_THRESHOLD)?;
    if !alarm.update(temperature, threshold) {
        return None;
    }
    info!(
        "snmp: temperature {} above the threshold {} (tenths of a degree C): petrelTemperatureAlarm",
        temperature, threshold
    );
    Some(Notification::Defined {
        oid: petrel_mib::oids::PETREL_TEMPERATURE_ALARM,
        objects: petrel_mib::oids::PETREL_TEMPERATURE_ALARM_OBJECTS,
    })
}

/// A notification's name for the log.
fn notification_name(n: Notification) -> String {
    match n {
        Notification::Defined { oid, .. } if oid == petrel_mib::oids::PETREL_TEMPERATURE_ALARM => {
            "petrelTemperatureAlarm".to_string()
        }
        Notification::Defined { oid, .. } => Oid::new(oid).to_string(),
        other => format!("{other:?}"),
    }
}

fn on_event(e: DriverEvent, boots_path: &Path) {
    match e {
        DriverEvent::PersistEngineBoots(b) => store_boots(boots_path, b),
        DriverEvent::Dropped { peer, reason } => debug!("snmp: {peer}: {reason}"),
        DriverEvent::Notified { to, notification } => {
            info!("snmp: sent {} to {to}", notification_name(notification));
        }
        DriverEvent::InformAcknowledged { from, request_id } => {
            info!("snmp: inform {request_id} acknowledged by {from}");
        }
        other => warn!("snmp: {other:?}"),
    }
}

/// A privacy-salt seed that differs across starts.
fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ u64::from(std::process::id()).rotate_left(32)
}
