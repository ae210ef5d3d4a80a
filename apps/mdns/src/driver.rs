//! The async driver (feature `driver`): runs a [`Responder`] (and
//! optionally a [`Querier`]) over one netcore [`UdpSocket`] bound to port
//! 5353 and joined to 224.0.0.251.
//!
//! It runs on any executor and never spawns. One buffer serves both
//! directions (a datagram is fully handled before the next is written); 1500
//! bytes covers Ethernet-sized mDNS messages, a larger buffer allows larger
//! TXT records. [`run`] returns once the `stop` future has completed and all
//! goodbyes are sent.

use core::future::{Future, pending};
use core::net::{Ipv4Addr, SocketAddr};
use core::pin::pin;

use embassy_futures::select::{Either, Either3, select, select3};
use petrel_netcore::UdpError;
use petrel_netcore::socket::{Network, UdpSocket};
use petrel_netcore::time::Instant;
use petrel_netcore::timer::Clock;

use crate::querier::{Querier, QueryEvent};
use crate::responder::{Event, MDNS_DEST, MDNS_GROUP, MDNS_PORT, Responder};
use crate::wire::WireError;

/// What the driver reports to the board (for its log and status).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
// A querier event carries a name (up to 255 bytes); notes are handed to the
// callback by value one at a time, never stored, and there is no heap to box
// into.
#[allow(clippy::large_enum_variant)]
pub enum Note {
    /// A responder event.
    Responder(Event),
    /// A querier event.
    Query(QueryEvent),
    /// A datagram that could not be parsed (ignored).
    Malformed {
        /// Its sender.
        from: SocketAddr,
        /// Why.
        error: WireError,
    },
    /// A datagram could not be sent (the driver carries on).
    SendFailed(UdpError),
}

/// Binds `0.0.0.0:5353` on `net` and joins the mDNS group.
pub async fn bind<N: Network>(net: &N) -> Result<N::UdpSocket, UdpError> {
    let mut s = net
        .udp_bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, MDNS_PORT)))
        .await?;
    s.join_multicast(MDNS_GROUP).await?;
    Ok(s)
}

/// Runs `responder` (and `querier`, if given) until `stop` completes, then
/// sends the goodbyes and returns. `notify` sees every event with the
/// responder (to read the claimed names).
///
/// `querier` is `Some(&mut querier)`, `None`, or [`NoQuerier`]: a board
/// that only answers (like the QEMU firmware) passes `NoQuerier`, and the
/// querier's code is left out (about 2.5 KB of flash), which `None` cannot
/// do, as it is a choice made at run time.
///
/// The responder's address is taken from each datagram's
/// [`UdpMeta::interface_addr`](petrel_netcore::socket::UdpMeta) when the
/// backend reports it; set it with [`Responder::set_address`] before calling
/// to start probing at once.
pub async fn run<C, U, const S: usize, const P: usize, const R: usize, const L: usize>(
    clock: &C,
    socket: &mut U,
    responder: &mut Responder<'_, S, P, R, L>,
    mut querier: impl MaybeQuerier,
    buf: &mut [u8],
    stop: impl Future<Output = ()>,
    notify: &mut dyn FnMut(Note, &Responder<'_, S, P, R, L>),
) -> Result<(), UdpError>
where
    C: Clock,
    U: UdpSocket,
{
    let mut stop = pin!(stop);
    let mut stopped = false;
    loop {
        let now = clock.now();
        while let Some(tx) = responder.poll_transmit(now, buf) {
            if let Some(d) = buf.get(..tx.len)
                && let Err(e) = socket.send_to(d, tx.to).await
            {
                notify(Note::SendFailed(e), responder);
            }
        }
        while let Some(n) = querier.poll_transmit(now, buf) {
            if let Some(d) = buf.get(..n)
                && let Err(e) = socket.send_to(d, MDNS_DEST).await
            {
                notify(Note::SendFailed(e), responder);
            }
        }
        while let Some(e) = querier.poll_event() {
            notify(Note::Query(e), responder);
        }
        while let Some(e) = responder.poll_event() {
            notify(Note::Responder(e), responder);
        }
        if responder.is_finished() {
            return Ok(());
        }
        let deadline = [responder.poll_timeout(), querier.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let sleep = async {
            match deadline {
                Some(t) => clock.sleep_until(t).await,
                None => pending().await,
            }
        };
        let received = if stopped {
            match select(socket.recv_from(buf), sleep).await {
                Either::First(r) => Some(r),
                Either::Second(()) => None,
            }
        } else {
            match select3(socket.recv_from(buf), sleep, stop.as_mut()).await {
                Either3::First(r) => Some(r),
                Either3::Second(()) => None,
                Either3::Third(()) => {
                    stopped = true;
                    responder.shutdown();
                    None
                }
            }
        };
        let now: Instant = clock.now();
        match received {
            None => {}
            Some(Ok((n, meta))) => {
                if let Some(a) = meta.interface_addr
                    && responder.address() != Some(a)
                    && !stopped
                {
                    responder.set_address(now, Some(a));
                }
                let msg = buf.get(..n).unwrap_or(&[]);
                if let Err(error) = responder.handle_packet(now, msg, meta.remote) {
                    notify(
                        Note::Malformed {
                            from: meta.remote,
                            error,
                        },
                        responder,
                    );
                } else {
                    querier.handle_packet(now, msg);
                }
            }
            // Longer than our buffer: not something we can answer.
            Some(Err(UdpError::Truncated(_))) => {}
            Some(Err(e)) => return Err(e),
        }
    }
}

/// The querier side of [`run`]: `Option<&mut Querier>` or [`NoQuerier`]
/// (sealed: the driver's own hooks).
pub trait MaybeQuerier: sealed::Sealed {
    #[doc(hidden)]
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize>;
    #[doc(hidden)]
    fn poll_event(&mut self) -> Option<QueryEvent>;
    #[doc(hidden)]
    fn poll_timeout(&self) -> Option<Instant>;
    #[doc(hidden)]
    fn handle_packet(&mut self, now: Instant, msg: &[u8]);
}

mod sealed {
    pub trait Sealed {}
    impl<const Q: usize, const K: usize> Sealed for Option<&mut crate::Querier<Q, K>> {}
    impl Sealed for super::NoQuerier {}
}

impl<const Q: usize, const K: usize> MaybeQuerier for Option<&mut Querier<Q, K>> {
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.as_deref_mut()?.poll_transmit(now, buf)
    }
    fn poll_event(&mut self) -> Option<QueryEvent> {
        self.as_deref_mut()?.poll_event()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.as_deref()?.poll_timeout()
    }
    fn handle_packet(&mut self, now: Instant, msg: &[u8]) {
        if let Some(q) = self.as_deref_mut() {
            let _ = q.handle_packet(now, msg);
        }
    }
}

/// No querier at all, for [`run`]: every hook is a constant, so the
/// querier's code folds away.
#[derive(Copy, Clone, Debug, Default)]
pub struct NoQuerier;

impl MaybeQuerier for NoQuerier {
    fn poll_transmit(&mut self, _: Instant, _: &mut [u8]) -> Option<usize> {
        None
    }
    fn poll_event(&mut self) -> Option<QueryEvent> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_packet(&mut self, _: Instant, _: &[u8]) {}
}
