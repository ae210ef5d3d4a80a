//! MIB-2 from the live network stack: [`Mib2`] implements [`Mib`] over any
//! netcore [`Network`].
//!
//! Served (all values read from the stack at request time, nothing cached
//! but the writable strings):
//!
//! | group | objects |
//! |---|---|
//! | system (RFC 3418) | sysDescr, sysObjectID, sysUpTime, sysContact, sysName, sysLocation (writable), sysServices, sysORLastChange |
//! | interfaces (RFC 2863) | ifNumber, ifTable (columns 1–22) |
//! | ifMIB (RFC 2863) | ifXTable: ifName, 32/64-bit multicast/broadcast/HC counters, ifHighSpeed, ifAlias (writable) … |
//! | ip (RFC 1213) | the 19 scalars, ipAddrTable |
//! | tcp (RFC 1213, RFC 4022) | scalars incl. tcpCurrEstab and tcpHCIn/OutSegs, tcpConnTable, tcpConnectionTable, tcpListenerTable |
//! | udp (RFC 1213, RFC 4113) | scalars incl. udpHCIn/OutDatagrams, udpTable, udpEndpointTable |
//! | snmp (RFC 3418) | every counter, snmpEnableAuthenTraps (writable) |
//! | SNMPv3 | snmpEngine, snmpMPDStats, snmpUnknownContexts, usmStats |
//!
//! The `snmp`, engine and USM values come from the agent through
//! [`Mib::handle_agent_state`] before every request.
//!
//! sysObjectID defaults to [`PETREL_SYS_OBJECT_ID`], under
//! [`PETREL_ENTERPRISE`] = 1.3.6.1.4.1.32473, where PETREL-MIB lives too.
//! **32473 is the number RFC 5612 reserves for documentation and
//! examples**: Petrel has no IANA Private Enterprise Number of its own; a
//! product must use its own.
//!
//! GetNext walks a static sorted list of object types; inside a table it
//! finds the successor by one pass over the backend's rows per column
//! (`for_each_*`), keeping the smallest index above the request, so rows
//! come out in strictly increasing OID order whatever order the backend
//! lists them in, with no heap and no row storage.
//!
//! Set is two-phase: [`Mib::test_set`] checks type, length and value of
//! every varbind before anything changes; the first commit snapshots the
//! writable state, and an undo restores the snapshot.

mod nodes;
mod tables;

use petrel_netcore::socket::Network;
use petrel_netcore::time::Instant;

use crate::agent::{AgentState, Mib, SetOutcome};
use crate::oid::Oid;
use crate::pdu::ErrorStatus;
use crate::stats::{SnmpStats, UsmStats};
use crate::usm::MAX_ENGINE_ID_LEN;
use crate::value::{Value, VarBind};
use nodes::{Group, Kind, NODES, c32, g32, int};
use tables::Find;

/// Petrel's enterprise arc, 1.3.6.1.4.1.32473 (PETREL-MIB's petrelMIB) —
/// RFC 5612's documentation number, not an IANA assignment of Petrel's
/// own; a product moves to its own.
pub const PETREL_ENTERPRISE: &[u32] = &[1, 3, 6, 1, 4, 1, 32473];

/// The default sysObjectID: PETREL-MIB's petrelAgent
/// (petrelMIB.4.1 = petrelProducts.1).
pub const PETREL_SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 4, 1, 32473, 4, 1];

/// Longest sysContact, sysName and sysLocation (DisplayString SIZE(0..255)).
pub const SYS_STRING_LEN: usize = 255;
/// Longest ifAlias (RFC 2863: SIZE(0..64)).
pub const IF_ALIAS_LEN: usize = 64;
/// How many interfaces may carry a non-empty ifAlias.
pub const MAX_IF_ALIASES: usize = 8;

/// sysContact.0
pub const SYS_CONTACT_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
/// sysName.0
pub const SYS_NAME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
/// sysLocation.0
pub const SYS_LOCATION_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
/// snmpEnableAuthenTraps.0
pub const SNMP_ENABLE_AUTHEN_TRAPS_0: &[u32] = &[1, 3, 6, 1, 2, 1, 11, 30, 0];
/// ifAlias (append the ifIndex).
pub const IF_ALIAS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18];

/// [`Mib2`] settings: the `system` group's initial values.
#[derive(Copy, Clone, Debug)]
pub struct Mib2Config<'a> {
    /// sysDescr.
    pub descr: &'a [u8],
    /// sysObjectID.
    pub object_id: Oid,
    /// Initial sysContact (cut to the [`Mib2`]'s `S` bytes).
    pub contact: &'a [u8],
    /// Initial sysName.
    pub name: &'a [u8],
    /// Initial sysLocation.
    pub location: &'a [u8],
    /// sysServices: the sum of 2^(layer-1); default 72 (transport and
    /// application, a host).
    pub services: u8,
    /// Initial snmpEnableAuthenTraps.
    pub enable_authen_traps: bool,
}

impl Default for Mib2Config<'_> {
    fn default() -> Self {
        Mib2Config {
            descr: b"Petrel network services",
            object_id: Oid::new(PETREL_SYS_OBJECT_ID),
            contact: b"",
            name: b"petrel",
            location: b"",
            services: 72,
            enable_authen_traps: true,
        }
    }
}

type Alias = heapless::Vec<u8, IF_ALIAS_LEN>;

/// Everything Set can change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Writable<const S: usize, const A: usize> {
    contact: heapless::Vec<u8, S>,
    name: heapless::Vec<u8, S>,
    location: heapless::Vec<u8, S>,
    aliases: heapless::Vec<(u32, Alias), A>,
    authen_traps: bool,
}

impl<const S: usize, const A: usize> Writable<S, A> {
    fn alias(&self, if_index: u32) -> &[u8] {
        self.aliases
            .iter()
            .find(|(i, _)| *i == if_index)
            .map_or(&[][..], |(_, a)| a.as_slice())
    }
}

/// The agent's counters as of the current request.
#[derive(Clone, Debug, Default)]
struct AgentSnapshot {
    stats: SnmpStats,
    usm: UsmStats,
    engine_id: heapless::Vec<u8, MAX_ENGINE_ID_LEN>,
    boots: u32,
    time: u32,
    max_size: u32,
}

/// A writable object.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Target {
    Contact,
    Name,
    Location,
    AuthenTraps,
    Alias(u32),
}

/// MIB-2 over the network stack `N` (see the module docs). `N` is usually
/// a cheap handle (`OsNetwork`, `&Stack`).
///
/// `S` is the room for each of sysContact, sysName and sysLocation
/// (default [`SYS_STRING_LEN`], the DisplayString maximum) and `A` how many
/// interfaces may carry an ifAlias (default [`MAX_IF_ALIASES`]): the
/// writable state and the copy taken for a Set's undo are `2 × (3 × S +
/// A × 72)` bytes, so a microcontroller picks smaller ones (a Set of a
/// longer string gets `wrongLength`, one alias too many
/// `resourceUnavailable`):
///
/// ```
/// use petrel_snmp::mib2::{Mib2, Mib2Config};
/// # fn f(net: petrel_netcore::os::OsNetwork) {
/// // 64-byte system strings, one ifAlias.
/// let mib: Mib2<'_, _, 64, 1> = Mib2::sized(net, Mib2Config::default());
/// # let _ = mib; }
/// ```
#[derive(Debug)]
pub struct Mib2<'c, N, const S: usize = SYS_STRING_LEN, const A: usize = MAX_IF_ALIASES> {
    net: N,
    config: Mib2Config<'c>,
    start: Instant,
    writable: Writable<S, A>,
    /// The writable state before the first commit of the running Set.
    snapshot: Option<Writable<S, A>>,
    agent: AgentSnapshot,
}

/// Copies `src` into `scratch` (cut to fit) and returns it as a string.
fn copy_into<'a>(scratch: &'a mut [u8], src: &[u8]) -> Value<'a> {
    let n = src.len().min(scratch.len());
    match (scratch.get_mut(..n), src.get(..n)) {
        (Some(dst), Some(src)) => {
            dst.copy_from_slice(src);
            Value::OctetString(dst)
        }
        _ => Value::OctetString(&[]),
    }
}

fn cut<const L: usize>(s: &[u8]) -> heapless::Vec<u8, L> {
    heapless::Vec::from_slice(s.get(..s.len().min(L)).unwrap_or(&[])).unwrap_or_default()
}

/// DisplayString (RFC 2579): NVT ASCII, printable characters plus CR, LF,
/// TAB, BS, FF and BEL.
fn is_display_string(s: &[u8]) -> bool {
    s.iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\r' | b'\n' | b'\t' | 7 | 8 | 12))
}

impl<'c, N: Network> Mib2<'c, N> {
    /// MIB-2 over `net` with the default room for the writable objects
    /// (see [`Mib2::sized`] for less); sysUpTime counts from now.
    pub fn new(net: N, config: Mib2Config<'c>) -> Self {
        Self::sized(net, config)
    }
}

impl<'c, N: Network, const S: usize, const A: usize> Mib2<'c, N, S, A> {
    /// MIB-2 over `net` with room for `S`-byte system strings and `A`
    /// ifAliases (the type's parameters); sysUpTime counts from now.
    pub fn sized(net: N, config: Mib2Config<'c>) -> Self {
        let start = net.now();
        Mib2 {
            writable: Writable {
                contact: cut(config.contact),
                name: cut(config.name),
                location: cut(config.location),
                aliases: heapless::Vec::new(),
                authen_traps: config.enable_authen_traps,
            },
            net,
            config,
            start,
            snapshot: None,
            agent: AgentSnapshot::default(),
        }
    }

    /// The network stack.
    pub fn net(&self) -> &N {
        &self.net
    }

    /// sysUpTime now, in hundredths of a second (wraps after 497 days).
    pub fn uptime(&self) -> u32 {
        ((self.net.now() - self.start).as_millis() / 10) as u32
    }

    /// The current sysContact.
    pub fn contact(&self) -> &[u8] {
        &self.writable.contact
    }

    /// The current sysName.
    pub fn name(&self) -> &[u8] {
        &self.writable.name
    }

    /// The current sysLocation.
    pub fn location(&self) -> &[u8] {
        &self.writable.location
    }

    /// The ifAlias of `if_index` (empty if none was set).
    pub fn alias(&self, if_index: u32) -> &[u8] {
        self.writable.alias(if_index)
    }

    /// snmpEnableAuthenTraps: whether authenticationFailure traps are sent.
    pub fn authen_traps_enabled(&self) -> bool {
        self.writable.authen_traps
    }

    fn scalar(&self, group: Group, arc: u32) -> Option<Value<'_>> {
        Some(match group {
            Group::System => match arc {
                1 => Value::OctetString(self.config.descr),
                2 => Value::ObjectId(self.config.object_id),
                3 => Value::TimeTicks(self.uptime()),
                4 => Value::OctetString(&self.writable.contact),
                5 => Value::OctetString(&self.writable.name),
                6 => Value::OctetString(&self.writable.location),
                7 => Value::Integer(i32::from(self.config.services)),
                8 => Value::TimeTicks(0),
                _ => return None,
            },
            Group::Interfaces => int(self.if_count()),
            Group::Ip => self.ip_scalar(arc)?,
            Group::Tcp => self.tcp_scalar(arc)?,
            Group::Udp => {
                let u = self.net.udp_stats();
                match arc {
                    1 => c32(u.in_datagrams),
                    2 => c32(u.no_ports),
                    3 => c32(u.in_errors),
                    4 => c32(u.out_datagrams),
                    8 => Value::Counter64(u.in_datagrams),
                    9 => Value::Counter64(u.out_datagrams),
                    _ => return None,
                }
            }
            Group::Snmp if arc == 30 => {
                Value::Integer(if self.writable.authen_traps { 1 } else { 2 })
            }
            Group::Snmp => Value::Counter32(snmp_counter(&self.agent.stats, arc)?),
            Group::Engine => match arc {
                1 => Value::OctetString(&self.agent.engine_id),
                2 => int(u64::from(self.agent.boots)),
                3 => int(u64::from(self.agent.time)),
                4 => int(u64::from(self.agent.max_size)),
                _ => return None,
            },
            Group::Mpd => Value::Counter32(match arc {
                1 => self.agent.stats.unknown_security_models,
                2 => self.agent.stats.invalid_msgs,
                3 => self.agent.stats.unknown_pdu_handlers,
                _ => return None,
            }),
            Group::Target => Value::Counter32(match arc {
                5 => self.agent.stats.unknown_contexts,
                _ => 0,
            }),
            Group::Usm => {
                let u = &self.agent.usm;
                Value::Counter32(match arc {
                    1 => u.unsupported_sec_levels,
                    2 => u.not_in_time_windows,
                    3 => u.unknown_user_names,
                    4 => u.unknown_engine_ids,
                    5 => u.wrong_digests,
                    6 => u.decryption_errors,
                    _ => return None,
                })
            }
        })
    }

    fn ip_scalar(&self, arc: u32) -> Option<Value<'static>> {
        let ip = self.net.ip_stats();
        Some(match arc {
            // ipForwarding: notForwarding(2) — a host, not a router.
            1 => Value::Integer(2),
            2 => Value::Integer(if ip.default_ttl == 0 {
                64
            } else {
                i32::from(ip.default_ttl)
            }),
            3 => c32(ip.in_receives),
            4 => c32(ip.in_hdr_errors),
            5 => c32(ip.in_addr_errors),
            7 => c32(ip.in_unknown_protos),
            8 => c32(ip.in_discards),
            9 => c32(ip.in_delivers),
            10 => c32(ip.out_requests),
            11 => c32(ip.out_discards),
            12 => c32(ip.out_no_routes),
            // ipReasmTimeout, seconds.
            13 => Value::Integer(60),
            // Forwarding, reassembly and fragmentation are not counted.
            6 | 14..=19 => Value::Counter32(0),
            _ => return None,
        })
    }

    fn tcp_scalar(&self, arc: u32) -> Option<Value<'static>> {
        let t = self.net.tcp_stats();
        Some(match arc {
            // tcpRtoAlgorithm: rfc2988(5) (RFC 6298 timers).
            1 => Value::Integer(5),
            2 => Value::Integer(1000),
            3 => Value::Integer(60_000),
            // tcpMaxConn: -1, dynamic.
            4 => Value::Integer(-1),
            5 => c32(t.active_opens),
            6 => c32(t.passive_opens),
            7 => c32(t.attempt_fails),
            8 => c32(t.estab_resets),
            9 => g32(t.curr_estab),
            10 => c32(t.in_segs),
            11 => c32(t.out_segs),
            12 => c32(t.retrans_segs),
            14 => c32(t.in_errs),
            15 => c32(t.out_rsts),
            17 => Value::Counter64(t.in_segs),
            18 => Value::Counter64(t.out_segs),
            _ => return None,
        })
    }

    /// The writable object `oid` names, if any.
    fn target(oid: &Oid) -> Option<Target> {
        if oid.as_slice() == SYS_CONTACT_0 {
            Some(Target::Contact)
        } else if oid.as_slice() == SYS_NAME_0 {
            Some(Target::Name)
        } else if oid.as_slice() == SYS_LOCATION_0 {
            Some(Target::Location)
        } else if oid.as_slice() == SNMP_ENABLE_AUTHEN_TRAPS_0 {
            Some(Target::AuthenTraps)
        } else {
            match oid.as_slice().strip_prefix(IF_ALIAS) {
                Some(&[i]) => Some(Target::Alias(i)),
                _ => None,
            }
        }
    }

    fn check(&self, target: Target, value: &Value<'_>) -> Result<(), ErrorStatus> {
        match (target, value) {
            (Target::AuthenTraps, Value::Integer(v)) => {
                if matches!(v, 1 | 2) {
                    Ok(())
                } else {
                    Err(ErrorStatus::WrongValue)
                }
            }
            (Target::AuthenTraps, _) => Err(ErrorStatus::WrongType),
            (Target::Alias(i), Value::OctetString(s)) => {
                if s.len() > IF_ALIAS_LEN {
                    return Err(ErrorStatus::WrongLength);
                }
                if !self.if_exists(i) {
                    return Err(ErrorStatus::NoCreation);
                }
                let known = self.writable.aliases.iter().any(|(j, _)| *j == i);
                if !known && !s.is_empty() && self.writable.aliases.is_full() {
                    return Err(ErrorStatus::ResourceUnavailable);
                }
                Ok(())
            }
            (_, Value::OctetString(s)) => {
                if s.len() > S {
                    Err(ErrorStatus::WrongLength)
                } else if !is_display_string(s) {
                    Err(ErrorStatus::WrongValue)
                } else {
                    Ok(())
                }
            }
            _ => Err(ErrorStatus::WrongType),
        }
    }
}

fn snmp_counter(s: &SnmpStats, arc: u32) -> Option<u32> {
    Some(match arc {
        1 => s.in_pkts,
        2 => s.out_pkts,
        3 => s.in_bad_versions,
        4 => s.in_bad_community_names,
        5 => s.in_bad_community_uses,
        6 => s.in_asn_parse_errs,
        8 => s.in_too_bigs,
        9 => s.in_no_such_names,
        10 => s.in_bad_values,
        11 => s.in_read_onlys,
        12 => s.in_gen_errs,
        13 => s.in_total_req_vars,
        14 => s.in_total_set_vars,
        15 => s.in_get_requests,
        16 => s.in_get_nexts,
        17 => s.in_set_requests,
        18 => s.in_get_responses,
        19 => s.in_traps,
        20 => s.out_too_bigs,
        21 => s.out_no_such_names,
        22 => s.out_bad_values,
        24 => s.out_gen_errs,
        // An agent sends no requests.
        25..=27 => 0,
        28 => s.out_get_responses,
        29 => s.out_traps,
        31 => s.silent_drops,
        32 => s.proxy_drops,
        _ => return None,
    })
}

impl<N: Network, const S: usize, const A: usize> Mib for Mib2<'_, N, S, A> {
    fn handle_agent_state(&mut self, state: &AgentState<'_>) {
        self.agent.stats = *state.stats;
        self.agent.usm = *state.usm_stats;
        if self.agent.engine_id.as_slice() != state.engine_id {
            self.agent.engine_id = cut(state.engine_id);
        }
        self.agent.boots = state.engine_boots;
        self.agent.time = state.engine_time;
        self.agent.max_size = u32::try_from(state.max_message_size).unwrap_or(u32::MAX);
    }

    fn get<'a>(&'a self, oid: &Oid, scratch: &'a mut [u8]) -> Result<Value<'a>, ErrorStatus> {
        let arcs = oid.as_slice();
        for node in NODES {
            for arc in node.arcs() {
                let key = node.key(arc);
                let Some(rest) = arcs.strip_prefix(key.as_slice()) else {
                    continue;
                };
                return Ok(match node.kind {
                    Kind::Scalar(g) if rest == [0] => {
                        self.scalar(g, arc).unwrap_or(Value::NoSuchObject)
                    }
                    Kind::Scalar(_) => Value::NoSuchInstance,
                    Kind::Table(t) => {
                        let Some((&col, idx)) = rest.split_first() else {
                            return Ok(Value::NoSuchObject);
                        };
                        if !t.columns().contains(&col) {
                            return Ok(Value::NoSuchObject);
                        }
                        match self.find_row(t, Find::Exact(idx)) {
                            Some((_, row)) => self
                                .column(t, col, &row, scratch)
                                .unwrap_or(Value::NoSuchInstance),
                            None => Value::NoSuchInstance,
                        }
                    }
                });
            }
        }
        Ok(Value::NoSuchObject)
    }

    fn get_next<'a>(
        &'a self,
        oid: &Oid,
        scratch: &'a mut [u8],
    ) -> Result<Option<(Oid, Value<'a>)>, ErrorStatus> {
        let req = oid.as_slice();
        for node in NODES {
            for arc in node.arcs() {
                let key = node.key(arc);
                // Skip nodes whose whole subtree lies at or before the
                // request.
                if !req.starts_with(&key) && req > key.as_slice() {
                    continue;
                }
                match node.kind {
                    Kind::Scalar(g) => {
                        let Some(mut inst) = Oid::from_slice(&key) else {
                            continue;
                        };
                        inst.push(0);
                        if inst.as_slice() > req {
                            if let Some(v) = self.scalar(g, arc) {
                                return Ok(Some((inst, v)));
                            }
                            return Ok(None);
                        }
                    }
                    Kind::Table(t) => {
                        for col in t.columns() {
                            let Some(col_oid) = Oid::from_slice(&key).and_then(|o| o.child(&[col]))
                            else {
                                continue;
                            };
                            let bound = match req.strip_prefix(col_oid.as_slice()) {
                                Some(rest) => Some(rest),
                                None if req < col_oid.as_slice() => None,
                                None => continue,
                            };
                            let Some((idx, row)) = self.find_row(t, Find::After(bound)) else {
                                continue;
                            };
                            let Some(name) = col_oid.child(&idx) else {
                                continue;
                            };
                            let value = self.column(t, col, &row, scratch);
                            return Ok(value.map(|v| (name, v)));
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    fn test_set(&mut self, _index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let target = Self::target(&vb.name).ok_or(ErrorStatus::NotWritable)?;
        self.check(target, &vb.value)
    }

    fn commit_set(&mut self, _index: usize, vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        let target = Self::target(&vb.name).ok_or(ErrorStatus::CommitFailed)?;
        if self.snapshot.is_none() {
            self.snapshot = Some(self.writable.clone());
        }
        let w = &mut self.writable;
        match (target, vb.value) {
            (Target::Contact, Value::OctetString(s)) => w.contact = cut(s),
            (Target::Name, Value::OctetString(s)) => w.name = cut(s),
            (Target::Location, Value::OctetString(s)) => w.location = cut(s),
            (Target::AuthenTraps, Value::Integer(v)) => w.authen_traps = v == 1,
            (Target::Alias(i), Value::OctetString(s)) => {
                w.aliases.retain(|(j, _)| *j != i);
                if !s.is_empty() {
                    w.aliases
                        .push((i, cut(s)))
                        .map_err(|_| ErrorStatus::ResourceUnavailable)?;
                }
            }
            _ => return Err(ErrorStatus::CommitFailed),
        }
        Ok(())
    }

    fn undo_set(&mut self, _index: usize, _vb: &VarBind<'_>) -> Result<(), ErrorStatus> {
        // The snapshot predates every commit of this Set: restoring it once
        // undoes them all; later undo calls find it gone and succeed.
        if let Some(s) = self.snapshot.take() {
            self.writable = s;
        }
        Ok(())
    }

    fn end_set(&mut self, outcome: SetOutcome) {
        // A commit that failed before any undo ran (the first varbind) may
        // have left a partial change: the snapshot puts it right.
        if let Some(s) = self.snapshot.take()
            && outcome != SetOutcome::Committed
        {
            self.writable = s;
        }
    }
}

#[cfg(test)]
mod tests;
