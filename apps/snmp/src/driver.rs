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
use crate::usm::SecurityLevel;
use crate::value::Value;

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
    /// An SNMPv3 Trap from this engine (a user of the agent's table).
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
            enterprise: crate::mib2::PETREL_SYS_OBJECT_ID,
            agent_addr: [0; 4],
            cold_start: true,
            inform: InformConfig::default(),
            send_timeout: Duration::from_millis(100),
        }
    }
}

/// A standard notification (SNMPv2-MIB snmpTraps).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// coldStart: the agent (re)started with its configuration reset.
    ColdStart,
    /// warmStart: the agent restarted keeping its configuration.
    WarmStart,
    /// authenticationFailure: a request failed authentication.
    AuthenticationFailure,
}

impl Notification {
    fn oid(self) -> Oid {
        match self {
            Notification::ColdStart => trap::COLD_START,
            Notification::WarmStart => trap::WARM_START,
            Notification::AuthenticationFailure => trap::AUTHENTICATION_FAILURE,
        }
    }

    fn generic(self) -> GenericTrap {
        match self {
            Notification::ColdStart => GenericTrap::ColdStart,
            Notification::WarmStart => GenericTrap::WarmStart,
            Notification::AuthenticationFailure => GenericTrap::AuthenticationFailure,
        }
    }
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
        mut on_event: E,
    ) -> UdpError
    where
        Net: Network,
        M: Mib + ?Sized,
        E: FnMut(DriverEvent),
    {
        self.agent_events(net, sock, mib, response, &mut on_event)
            .await;
        if self.config.cold_start {
            self.notify(
                net,
                sock,
                mib,
                Notification::ColdStart,
                response,
                &mut on_event,
            )
            .await;
        }
        loop {
            self.service_informs(net, sock, &mut on_event).await;
            let received = match self.informs.poll_timeout() {
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
            self.agent_events(net, sock, mib, response, &mut on_event)
                .await;
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
                        mib.get(&SNMP_ENABLE_AUTHEN_TRAPS_0, &mut scratch),
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

    /// Sends `notification` to every destination (informs are queued and
    /// sent by the retry machine). Never waits for a reply.
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
            match mib.get(&SYS_UPTIME_0, &mut scratch) {
                Ok(Value::TimeTicks(t)) => t,
                _ => 0,
            }
        };
        let trap_oid = notification.oid();
        for target in self.config.targets {
            let id = self.next_id();
            let to = target.addr;
            let encoded = match target.kind {
                TrapKind::V1 { community } => trap::encode_trap_v1(
                    community,
                    &self.config.enterprise,
                    self.config.agent_addr,
                    notification.generic(),
                    uptime,
                    &[],
                    buf,
                )
                .ok(),
                TrapKind::V2c { community, inform } => {
                    let kind = if inform {
                        NotificationKind::Inform
                    } else {
                        NotificationKind::Trap
                    };
                    trap::encode_v2c_notification(community, kind, id, uptime, &trap_oid, &[], buf)
                        .ok()
                }
                TrapKind::V3 { user, level } => self
                    .agent
                    .encode_v3_trap(
                        net.now(),
                        user,
                        level,
                        id.unsigned_abs(),
                        id,
                        uptime,
                        &trap_oid,
                        &[],
                        buf,
                    )
                    .ok(),
            };
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
