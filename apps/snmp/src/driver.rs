//! The async driver (feature `driver`): the agent core on a netcore
//! [`UdpSocket`], with notifications to configured trap destinations.
//!
//! [`Driver::run`] is one future that runs on any executor and never
//! spawns. It loops: receive a datagram; if it acknowledges a pending
//! inform, retire the inform; otherwise [`Agent::handle_request`] it
//! against the MIB and send the response; then act on the agent's events
//! (authenticationFailure traps, engineBoots to persist) and on inform
//! retry deadlines. It sends coldStart to every destination when it starts.
//!
//! Notifications never wait for a reply inline: traps are fire-and-forget,
//! informs are retried by the core's [`InformSender`] from the same loop,
//! and every notification send is bounded by [`DriverConfig::send_timeout`],
//! so an unreachable destination cannot stall requests.
//!
//! The board persists snmpEngineBoots when it sees
//! [`DriverEvent::PersistEngineBoots`] (the first one arrives at start).
//!
//! Notifications use the agent's socket (so managers see them from the
//! agent's address); inform acknowledgements come back to it.

use core::net::SocketAddr;

use petrel_netcore::UdpError;
use petrel_netcore::socket::{Network, UdpSocket};
use petrel_netcore::time::Duration;
use petrel_netcore::timer::{Either, select, with_timeout};

use crate::agent::{Agent, DropReason, Event, MIB_SCRATCH_LEN, Mib, Outcome};
use crate::mib2::SNMP_ENABLE_AUTHEN_TRAPS_0;
use crate::oid::Oid;
use crate::trap::{
    self, GenericTrap, InformConfig, InformEvent, InformSender, NotificationKind, SYS_UPTIME_0,
};
#[cfg(feature = "v3")]
use crate::usm::SecurityLevel;
use crate::value::{Value, VarBind};

/// How to send to one destination.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TrapKind<'a> {
    /// An SNMPv1 Trap-PDU.
    V1 {
        /// The community.
        community: &'a [u8],
    },
    /// An SNMPv2c Trap, or an InformRequest retried until acknowledged.
    V2c {
        /// The community.
        community: &'a [u8],
        /// Send informs instead of traps.
        inform: bool,
    },
    /// An SNMPv3 Trap from this engine (a user of the agent's table;
    /// feature `v3`).
    #[cfg(feature = "v3")]
    V3 {
        /// The USM user.
        user: &'a [u8],
        /// The security level.
        level: SecurityLevel,
    },
}

/// A notification destination (snmpTargetAddr + snmpTargetParams).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TrapTarget<'a> {
    /// The manager's address (usually port 162).
    pub addr: SocketAddr,
    /// Version and credentials.
    pub kind: TrapKind<'a>,
}

/// [`Driver`] settings.
#[derive(Copy, Clone, Debug)]
pub struct DriverConfig<'a> {
    /// Notification destinations.
    pub targets: &'a [TrapTarget<'a>],
    /// The SNMPv1 Trap-PDU `enterprise` (sysObjectID, RFC 3584 3.2).
    pub enterprise: Oid,
    /// The SNMPv1 Trap-PDU `agent-addr`.
    pub agent_addr: [u8; 4],
    /// Send coldStart when [`Driver::run`] starts.
    pub cold_start: bool,
    /// Inform timeout and retries.
    pub inform: InformConfig,
    /// Longest wait for socket buffer space when sending a notification
    /// (default 100 ms); past it the notification is dropped.
    pub send_timeout: Duration,
}

impl Default for DriverConfig<'_> {
    fn default() -> Self {
        DriverConfig {
            targets: &[],
            enterprise: Oid::new(crate::mib2::PETREL_SYS_OBJECT_ID),
            agent_addr: [0; 4],
            cold_start: true,
            inform: InformConfig::default(),
            send_timeout: Duration::from_millis(100),
        }
    }
}

/// Most objects a [`Notification::Defined`] carries.
pub const MAX_NOTIFICATION_OBJECTS: usize = 4;

/// A notification: a standard one (SNMPv2-MIB snmpTraps) or one a MIB
/// module defines.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// coldStart: the agent (re)started with its configuration reset.
    ColdStart,
    /// warmStart: the agent restarted keeping its configuration.
    WarmStart,
    /// authenticationFailure: a request failed authentication.
    AuthenticationFailure,
    /// A NOTIFICATION-TYPE of a MIB module (e.g. the `petrel-mibs` constants
    /// `oids::PETREL_TEMPERATURE_ALARM` and
    /// `oids::PETREL_TEMPERATURE_ALARM_OBJECTS`). The driver reads the
    /// `.0` instance of each scalar object of the OBJECTS clause from the
    /// MIB when it sends, so the values are the ones a manager would read.
    /// SNMPv1 destinations get an enterpriseSpecific Trap-PDU translated as
    /// RFC 3584 3.2 says: specific-trap is the last sub-identifier, the
    /// enterprise is the OID without it (and without a `0` before it).
    Defined {
        /// snmpTrapOID.0: the NOTIFICATION-TYPE's OID.
        oid: &'static [u32],
        /// Its OBJECTS (scalars; at most [`MAX_NOTIFICATION_OBJECTS`]).
        objects: &'static [&'static [u32]],
    },
}

impl Notification {
    fn oid(self) -> Oid {
        match self {
            Notification::ColdStart => Oid::new(trap::COLD_START),
            Notification::WarmStart => Oid::new(trap::WARM_START),
            Notification::AuthenticationFailure => Oid::new(trap::AUTHENTICATION_FAILURE),
            Notification::Defined { oid, .. } => Oid::new(oid),
        }
    }

    /// The SNMPv1 generic and specific trap, and the enterprise to send
    /// instead of the configured one (RFC 3584 3.2).
    fn v1(self) -> (GenericTrap, Option<Oid>) {
        match self {
            Notification::ColdStart => (GenericTrap::ColdStart, None),
            Notification::WarmStart => (GenericTrap::WarmStart, None),
            Notification::AuthenticationFailure => (GenericTrap::AuthenticationFailure, None),
            Notification::Defined { oid, .. } => {
                let (specific, rest) = oid.split_last().unwrap_or((&0, &[]));
                let enterprise = match rest.split_last() {
                    Some((0, prefix)) => prefix,
                    _ => rest,
                };
                (
                    GenericTrap::EnterpriseSpecific(i32::try_from(*specific).unwrap_or(i32::MAX)),
                    Some(Oid::new(enterprise)),
                )
            }
        }
    }
}

/// The `.0` instances of a notification's objects with their values, read
/// from `mib` into `scratch`; `None` if one cannot be read or there are
/// too many.
fn notification_varbinds<'s, M: Mib + ?Sized>(
    notification: Notification,
    mib: &'s M,
    scratch: &'s mut [[u8; MIB_SCRATCH_LEN]; MAX_NOTIFICATION_OBJECTS],
) -> Option<heapless::Vec<VarBind<'s>, MAX_NOTIFICATION_OBJECTS>> {
    let mut vbs = heapless::Vec::new();
    let Notification::Defined { objects, .. } = notification else {
        return Some(vbs);
    };
    if objects.len() > MAX_NOTIFICATION_OBJECTS {
        return None;
    }
    for (object, s) in objects.iter().zip(scratch.iter_mut()) {
        let name = Oid::from_slice(object)?.child(&[0])?;
        let value = mib.get(&name, s).ok()?;
        if value.is_exception() {
            return None;
        }
        vbs.push(VarBind { name, value }).ok()?;
    }
    Some(vbs)
}

/// What the driver reports to the board (for its log and its storage).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DriverEvent {
    /// Store this snmpEngineBoots value; pass it to `Engine::new` next time.
    PersistEngineBoots(u32),
    /// A request was not answered.
    Dropped {
        /// The sender.
        peer: SocketAddr,
        /// Why.
        reason: DropReason,
    },
    /// A notification was sent (an inform: its first transmission).
    Notified {
        /// The destination.
        to: SocketAddr,
        /// Which.
        notification: Notification,
    },
    /// A notification could not be built or queued.
    NotifyFailed {
        /// The destination.
        to: SocketAddr,
        /// Which.
        notification: Notification,
    },
    /// An inform was acknowledged.
    InformAcknowledged {
        /// The manager.
        from: SocketAddr,
        /// Its request-id.
        request_id: i32,
    },
    /// An inform got no acknowledgement after every retry.
    InformTimedOut {
        /// Its request-id.
        request_id: i32,
    },
    /// Sending failed or timed out (`error` is `None` for a timeout).
    SendFailed {
        /// The destination.
        to: SocketAddr,
        /// The socket error, if any.
        error: Option<UdpError>,
    },
}

/// The agent, its notification state and its destinations.
///
/// `USERS`: USM users; `SLOTS`: informs pending at once; `LEN`: largest
/// inform.
#[derive(Debug)]
pub struct Driver<'a, const USERS: usize = 4, const SLOTS: usize = 4, const LEN: usize = 484> {
    agent: Agent<'a, USERS>,
    config: DriverConfig<'a>,
    informs: InformSender<SLOTS, LEN>,
    /// Destination of each pending inform, by request-id.
    pending: [Option<(i32, SocketAddr)>; SLOTS],
    next_id: i32,
}

impl<'a, const USERS: usize, const SLOTS: usize, const LEN: usize> Driver<'a, USERS, SLOTS, LEN> {
    /// A driver for `agent`.
    pub fn new(agent: Agent<'a, USERS>, config: DriverConfig<'a>) -> Self {
        let seed = agent.engine().boots();
        Driver {
            agent,
            informs: InformSender::new(config.inform),
            config,
            pending: [None; SLOTS],
            // Request-ids differ across reboots (boots in the high bits).
            next_id: i32::try_from((seed & 0x7fff) << 16).unwrap_or(0),
        }
    }

    /// The agent.
    pub fn agent(&self) -> &Agent<'a, USERS> {
        &self.agent
    }

    /// The agent, mutably (to add users before [`Driver::run`]).
    pub fn agent_mut(&mut self) -> &mut Agent<'a, USERS> {
        &mut self.agent
    }

    /// Informs not yet acknowledged or timed out.
    pub fn pending_informs(&self) -> usize {
        self.informs.pending()
    }

    fn next_id(&mut self) -> i32 {
        self.next_id = self.next_id.wrapping_add(1) & 0x7fff_ffff;
        self.next_id
    }

    /// Serves requests on `sock` until receiving fails for good (the error
    /// is returned). `request` and `response` are the datagram buffers
    /// (1500 octets fit one Ethernet frame; requests that do not fit are
    /// dropped); `response` also holds outgoing notifications.
    pub async fn run<Net, M, E>(
        &mut self,
        net: &Net,
        sock: &mut Net::UdpSocket,
        mib: &mut M,
        request: &mut [u8],
        response: &mut [u8],
        on_event: E,
    ) -> UdpError
    where
        Net: Network,
        M: Mib + ?Sized,
        E: FnMut(DriverEvent),
    {
        self.run_inner(net, sock, mib, request, response, on_event, None, |_, _| {
            None
        })
        .await
    }

    /// [`Driver::run`], plus `on_tick` every `tick`: it looks at the MIB
    /// (a temperature against its threshold, a door contact…) and returns
    /// a notification to send to every destination, or `None`. This is how
    /// a board sends its own MIB's notifications (see
    /// [`Notification::Defined`]) from the driver's single loop.
    #[allow(clippy::too_many_arguments)]
    pub async fn run_with<Net, M, E, T>(
        &mut self,
        net: &Net,
        sock: &mut Net::UdpSocket,
        mib: &mut M,
        request: &mut [u8],
        response: &mut [u8],
        on_event: E,
        tick: Duration,
        on_tick: T,
    ) -> UdpError
    where
        Net: Network,
        M: Mib + ?Sized,
        E: FnMut(DriverEvent),
        T: FnMut(&M, petrel_netcore::time::Instant) -> Option<Notification>,
    {
        self.run_inner(
            net,
            sock,
            mib,
            request,
            response,
            on_event,
            Some(tick),
            on_tick,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_inner<Net, M, E, T>(
        &mut self,
        net: &Net,
        sock: &mut Net::UdpSocket,
        mib: &mut M,
        request: &mut [u8],
        response: &mut [u8],
        mut on_event: E,
        tick: Option<Duration>,
        mut on_tick: T,
    ) -> UdpError
    where
        Net: Network,
        M: Mib + ?Sized,
        E: FnMut(DriverEvent),
        T: FnMut(&M, petrel_netcore::time::Instant) -> Option<Notification>,
    {
        let mut next_tick = tick.map(|t| net.now() + t);
        let mut cold_start = self.config.cold_start;
        loop {
            // The agent's events from the last request (one `await` site
            // for both: this future stays smaller).
            self.agent_events(net, sock, mib, response, &mut on_event)
                .await;
            self.service_informs(net, sock, &mut on_event).await;
            // The coldStart first, then the board's ticks (one `await`
            // site for both; a tick due with the coldStart waits for the
            // next turn, which comes at once).
            let now = net.now();
            let mut notification = None;
            if cold_start {
                cold_start = false;
                notification = Some(Notification::ColdStart);
            } else if let (Some(t), Some(at)) = (tick, next_tick)
                && now >= at
            {
                next_tick = Some(now + t);
                notification = on_tick(mib, now);
            }
            if let Some(n) = notification {
                self.notify(net, sock, mib, n, response, &mut on_event)
                    .await;
            }
            let wake = match (self.informs.poll_timeout(), next_tick) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let received = match wake {
                Some(at) => match select(sock.recv_from(request), net.sleep_until(at)).await {
                    Either::First(r) => Some(r),
                    Either::Second(()) => None,
                },
                None => Some(sock.recv_from(request).await),
            };
            let (n, meta) = match received {
                None => continue,
                Some(Ok(r)) => r,
                Some(Err(UdpError::Truncated(_) | UdpError::NoBuffer)) => {
                    // An oversized request: nothing sensible to answer.
                    continue;
                }
                Some(Err(e)) => return e,
            };
            let peer = meta.remote;
            let Some(data) = request.get_mut(..n) else {
                continue;
            };
            if self.informs.pending() > 0
                && let Some(request_id) = self.informs.handle_response(data)
            {
                self.forget(request_id);
                on_event(DriverEvent::InformAcknowledged {
                    from: peer,
                    request_id,
                });
                while self.informs.poll_event().is_some() {}
                continue;
            }
            let now = net.now();
            match self.agent.handle_request(now, data, response, mib) {
                Outcome::Respond(len) => {
                    let out = response.get(..len).unwrap_or(&[]);
                    if let Err(error) = sock.send_to(out, peer).await {
                        on_event(DriverEvent::SendFailed {
                            to: peer,
                            error: Some(error),
                        });
                    }
                }
                Outcome::Drop(reason) => on_event(DriverEvent::Dropped { peer, reason }),
            }
        }
    }

    fn forget(&mut self, request_id: i32) {
        for p in self.pending.iter_mut() {
            if p.is_some_and(|(id, _)| id == request_id) {
                *p = None;
            }
        }
    }

    /// Acts on the agent's queued events.
    async fn agent_events<Net, M, E>(
        &mut self,
        net: &Net,
        sock: &mut Net::UdpSocket,
        mib: &mut M,
        buf: &mut [u8],
        on_event: &mut E,
    ) where
        Net: Network,
        M: Mib + ?Sized,
        E: FnMut(DriverEvent),
    {
        // Bounded: the agent's queue holds at most 8 events.
        for _ in 0..16 {
            let Some(e) = self.agent.poll_event() else {
                break;
            };
            match e {
                Event::PersistEngineBoots(b) => on_event(DriverEvent::PersistEngineBoots(b)),
                Event::AuthenticationFailure { .. } => {
                    let mut scratch = [0u8; 16];
                    let enabled = !matches!(
                        mib.get(&Oid::new(SNMP_ENABLE_AUTHEN_TRAPS_0), &mut scratch),
                        Ok(Value::Integer(2))
                    );
                    if enabled {
                        self.notify(
                            net,
                            sock,
                            mib,
                            Notification::AuthenticationFailure,
                            buf,
                            on_event,
                        )
                        .await;
                    }
                }
            }
        }
    }

    /// Sends due informs and reports timeouts.
    async fn service_informs<Net, E>(
        &mut self,
        net: &Net,
        sock: &mut Net::UdpSocket,
        on_event: &mut E,
    ) where
        Net: Network,
        E: FnMut(DriverEvent),
    {
        self.informs.handle_timeout(net.now());
        for _ in 0..SLOTS {
            let now = net.now();
            let Some((id, bytes)) = self.informs.poll_transmit_with_id(now) else {
                break;
            };
            let to = self
                .pending
                .iter()
                .flatten()
                .find(|(i, _)| *i == id)
                .map(|(_, a)| *a);
            let Some(to) = to else { continue };
            let timeout = self.config.send_timeout;
            match with_timeout(net, timeout, sock.send_to(bytes, to)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => on_event(DriverEvent::SendFailed {
                    to,
                    error: Some(error),
                }),
                Err(_) => on_event(DriverEvent::SendFailed { to, error: None }),
            }
        }
        while let Some(e) = self.informs.poll_event() {
            if let InformEvent::TimedOut { request_id } = e {
                self.forget(request_id);
                on_event(DriverEvent::InformTimedOut { request_id });
            }
        }
    }

    /// Encodes `notification` for `target` into `buf` (not async: the
    /// varbind scratch lives on the stack only while encoding, not in the
    /// driver's future).
    #[allow(clippy::too_many_arguments)]
    fn encode<M: Mib + ?Sized>(
        &mut self,
        now: petrel_netcore::time::Instant,
        target: &TrapTarget<'_>,
        mib: &M,
        notification: Notification,
        id: i32,
        uptime: u32,
        buf: &mut [u8],
    ) -> Option<usize> {
        // Only v3 messages carry the engine time.
        #[cfg(not(feature = "v3"))]
        let _ = now;
        let mut scratch = [[0u8; MIB_SCRATCH_LEN]; MAX_NOTIFICATION_OBJECTS];
        let vbs = notification_varbinds(notification, mib, &mut scratch)?;
        let trap_oid = notification.oid();
        match target.kind {
            TrapKind::V1 { community } => {
                let (generic, enterprise) = notification.v1();
                trap::encode_trap_v1(
                    community,
                    enterprise.as_ref().unwrap_or(&self.config.enterprise),
                    self.config.agent_addr,
                    generic,
                    uptime,
                    &vbs,
                    buf,
                )
                .ok()
            }
            TrapKind::V2c { community, inform } => {
                let kind = if inform {
                    NotificationKind::Inform
                } else {
                    NotificationKind::Trap
                };
                trap::encode_v2c_notification(community, kind, id, uptime, &trap_oid, &vbs, buf)
                    .ok()
            }
            #[cfg(feature = "v3")]
            TrapKind::V3 { user, level } => self
                .agent
                .encode_v3_trap(
                    now,
                    user,
                    level,
                    id.unsigned_abs(),
                    id,
                    uptime,
                    &trap_oid,
                    &vbs,
                    buf,
                )
                .ok(),
        }
    }

    /// Sends `notification` to every destination (informs are queued and
    /// sent by the retry machine). Never waits for a reply. A
    /// [`Notification::Defined`] whose objects cannot be read from `mib`
    /// is reported as [`DriverEvent::NotifyFailed`].
    pub async fn notify<Net, M, E>(
        &mut self,
        net: &Net,
        sock: &mut Net::UdpSocket,
        mib: &M,
        notification: Notification,
        buf: &mut [u8],
        on_event: &mut E,
    ) where
        Net: Network,
        M: Mib + ?Sized,
        E: FnMut(DriverEvent),
    {
        let uptime = {
            let mut scratch = [0u8; MIB_SCRATCH_LEN];
            match mib.get(&Oid::new(SYS_UPTIME_0), &mut scratch) {
                Ok(Value::TimeTicks(t)) => t,
                _ => 0,
            }
        };
        for target in self.config.targets {
            let id = self.next_id();
            let to = target.addr;
            let encoded = self.encode(net.now(), target, mib, notification, id, uptime, buf);
            let Some(bytes) = encoded.and_then(|n| buf.get(..n)) else {
                on_event(DriverEvent::NotifyFailed { to, notification });
                continue;
            };
            if let TrapKind::V2c { inform: true, .. } = target.kind {
                let slot = self.pending.iter_mut().find(|p| p.is_none());
                match (slot, self.informs.send(id, bytes)) {
                    (Some(slot), Ok(())) => {
                        *slot = Some((id, to));
                        on_event(DriverEvent::Notified { to, notification });
                    }
                    _ => on_event(DriverEvent::NotifyFailed { to, notification }),
                }
                continue;
            }
            let timeout = self.config.send_timeout;
            match with_timeout(net, timeout, sock.send_to(bytes, to)).await {
                Ok(Ok(())) => on_event(DriverEvent::Notified { to, notification }),
                Ok(Err(error)) => on_event(DriverEvent::SendFailed {
                    to,
                    error: Some(error),
                }),
                Err(_) => on_event(DriverEvent::SendFailed { to, error: None }),
            }
        }
        self.service_informs(net, sock, on_event).await;
    }
}
