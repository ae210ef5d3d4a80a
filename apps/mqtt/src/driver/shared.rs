//! The client state shared between the driver and the application, and the
//! application's handle to it.

use core::cell::{Cell, RefCell};
use core::fmt;
use core::future::poll_fn;
use core::task::{Poll, Waker};

use petrel_netcore::time::Instant;

use crate::client::{Client, CommandError};
use crate::codec::{Properties, QoS, SubscriptionOptions};

/// What the application asked the driver to do with the connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    None,
    /// Send DISCONNECT, close, and return from `run`.
    Stop,
    /// Drop the connection with RST (no DISCONNECT: the broker publishes the
    /// will), then reconnect as after any loss.
    Abort,
}

/// Where the driver is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkState {
    /// Not running, or waiting to retry.
    Disconnected,
    /// Resolving, connecting, or waiting for CONNACK.
    Connecting,
    /// CONNACK accepted the session.
    Connected,
}

/// A [`Client`] plus what its driver and the application need to share it on
/// one executor: the client sits in a `RefCell` that the driver borrows only
/// between awaits, and commands wake the driver.
///
/// Create one per client (on the stack of the task that owns both, or in a
/// `static`), give `&Shared` to [`run`](super::run) and hand
/// [`MqttClient`] copies to the application.
pub struct Shared<'a, const MAX_INFLIGHT: usize, const MAX_SUBS: usize, const MAX_ALIASES: usize> {
    pub(crate) client: RefCell<Client<'a, MAX_INFLIGHT, MAX_SUBS, MAX_ALIASES>>,
    waker: Cell<Option<Waker>>,
    kicked: Cell<bool>,
    request: Cell<Request>,
    pub(crate) link: Cell<LinkState>,
    pub(crate) now: Cell<Instant>,
}

impl<'a, const I: usize, const S: usize, const A: usize> Shared<'a, I, S, A> {
    /// Wraps a (disconnected) client.
    pub fn new(client: Client<'a, I, S, A>) -> Self {
        Shared {
            client: RefCell::new(client),
            waker: Cell::new(None),
            kicked: Cell::new(false),
            request: Cell::new(Request::None),
            link: Cell::new(LinkState::Disconnected),
            now: Cell::new(Instant::ZERO),
        }
    }

    /// The application's handle.
    pub fn handle(&self) -> MqttClient<'_, 'a, I, S, A> {
        MqttClient { shared: self }
    }

    /// Wakes the driver so it transmits what was queued.
    pub(crate) fn kick(&self) {
        self.kicked.set(true);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Completes once [`Shared::kick`] was called since the last time.
    pub(crate) async fn kicked(&self) {
        poll_fn(|cx| {
            if self.kicked.replace(false) {
                Poll::Ready(())
            } else {
                self.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await
    }

    pub(crate) fn request(&self) -> Request {
        self.request.get()
    }

    pub(crate) fn clear_request(&self, r: Request) {
        if self.request.get() == r {
            self.request.set(Request::None);
        }
    }

    fn set_request(&self, r: Request) {
        // A stop wins over an abort.
        if self.request.get() != Request::Stop {
            self.request.set(r);
        }
        self.kick();
    }
}

/// Why a command through [`MqttClient`] was not queued.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ClientError {
    /// Called from inside a [`Handler`](super::Handler) callback, while the
    /// driver holds the client: use the `&mut Client` given to
    /// [`Handler::poll`](super::Handler::poll) instead.
    Busy,
    /// The client core refused the command.
    Command(CommandError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Busy => f.write_str("client busy (called from a driver callback)"),
            ClientError::Command(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl core::error::Error for ClientError {}

impl From<CommandError> for ClientError {
    fn from(e: CommandError) -> Self {
        ClientError::Command(e)
    }
}

/// The application's handle to a client whose driver runs in another future
/// on the same executor. Cheap to copy. Commands are queued in the client's
/// outbox (also while disconnected: they go out after the next CONNACK) and
/// wake the driver.
pub struct MqttClient<'s, 'a, const I: usize, const S: usize, const A: usize> {
    shared: &'s Shared<'a, I, S, A>,
}

impl<const I: usize, const S: usize, const A: usize> Clone for MqttClient<'_, '_, I, S, A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<const I: usize, const S: usize, const A: usize> Copy for MqttClient<'_, '_, I, S, A> {}

impl<'a, const I: usize, const S: usize, const A: usize> MqttClient<'_, 'a, I, S, A> {
    /// Runs `f` on the client core (any command or query), then wakes the
    /// driver. [`ClientError::Busy`] inside a driver callback.
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut Client<'a, I, S, A>, Instant) -> R,
    ) -> Result<R, ClientError> {
        let mut c = self
            .shared
            .client
            .try_borrow_mut()
            .map_err(|_| ClientError::Busy)?;
        let r = f(&mut c, self.shared.now.get());
        drop(c);
        self.shared.kick();
        Ok(r)
    }

    /// Queues a PUBLISH; returns its packet id for QoS 1/2.
    pub fn publish(
        &self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
    ) -> Result<Option<u16>, ClientError> {
        self.with(|c, now| c.publish(now, topic, payload, qos, retain, Properties::EMPTY))?
            .map_err(ClientError::Command)
    }

    /// Queues a SUBSCRIBE (remembered and re-sent after a reconnect without
    /// a session).
    pub fn subscribe(&self, topics: &[(&str, SubscriptionOptions)]) -> Result<u16, ClientError> {
        self.with(|c, now| c.subscribe(now, topics))?
            .map_err(ClientError::Command)
    }

    /// Queues an UNSUBSCRIBE.
    pub fn unsubscribe(&self, filters: &[&str]) -> Result<u16, ClientError> {
        self.with(|c, now| c.unsubscribe(now, filters))?
            .map_err(ClientError::Command)
    }

    /// Asks the driver to send DISCONNECT, close the connection and return
    /// from `run`. Works from callbacks too.
    pub fn disconnect(&self) {
        self.shared.set_request(Request::Stop);
    }

    /// Asks the driver to drop the connection at once with a TCP RST (the
    /// broker then publishes the will) and reconnect after the back-off.
    /// Works from callbacks too.
    pub fn abort(&self) {
        self.shared.set_request(Request::Abort);
    }

    /// Where the driver is.
    pub fn link_state(&self) -> LinkState {
        self.shared.link.get()
    }

    /// Whether the session is up.
    pub fn is_connected(&self) -> bool {
        self.link_state() == LinkState::Connected
    }
}
