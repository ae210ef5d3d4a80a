//! The async driver (feature `driver`): runs a [`Responder`] on a netcore
//! [`UdpSocket`] bound to port 137 until a stop signal, then releases the
//! names.

use core::future::{Future, pending};
use core::net::SocketAddr;
use core::pin::pin;

use petrel_netcore::UdpError;
use petrel_netcore::socket::{UdpMeta, UdpSocket};
use petrel_netcore::timer::{Clock, Either, select};

use crate::responder::{Destination, Event, Responder};

/// Runs `responder` on `sock` (bound to port 137 on the address the names
/// are for; broadcasts are enabled here) until `stop` completes, then sends
/// the name releases and returns `Ok`. Broadcasts go to `broadcast` (the
/// subnet broadcast address, port 137). `buf` holds one datagram (576
/// bytes). Returns the error if receiving fails for good.
pub async fn run<C: Clock, U: UdpSocket>(
    clock: &C,
    sock: &mut U,
    responder: &mut Responder,
    broadcast: SocketAddr,
    buf: &mut [u8],
    stop: impl Future<Output = ()>,
    mut on_event: impl FnMut(Event),
) -> Result<(), UdpError> {
    sock.set_broadcast(true)?;
    let mut stop = pin!(stop);
    loop {
        responder.handle_timeout(clock.now());
        flush(sock, responder, broadcast, buf).await;
        while let Some(e) = responder.poll_event() {
            on_event(e);
        }
        let deadline = responder.poll_timeout();
        let timer = async {
            match deadline {
                Some(at) => clock.sleep_until(at).await,
                None => pending().await,
            }
        };
        let got: Option<Result<(usize, UdpMeta), UdpError>> =
            match select(select(sock.recv_from(buf), stop.as_mut()), timer).await {
                Either::First(Either::First(r)) => Some(r),
                Either::First(Either::Second(())) => {
                    responder.release();
                    flush(sock, responder, broadcast, buf).await;
                    while let Some(e) = responder.poll_event() {
                        on_event(e);
                    }
                    return Ok(());
                }
                Either::Second(()) => None,
            };
        match got {
            Some(Ok((n, meta))) => {
                responder.handle_packet(
                    meta.remote,
                    meta.interface_addr,
                    buf.get(..n).unwrap_or_default(),
                );
            }
            // Longer than any name service packet we answer: drop it.
            Some(Err(UdpError::Truncated(_))) => {}
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
}

async fn flush<U: UdpSocket>(
    sock: &mut U,
    responder: &mut Responder,
    broadcast: SocketAddr,
    buf: &mut [u8],
) {
    while let Some(tx) = responder.poll_transmit(buf) {
        let to = match tx.to {
            Destination::Broadcast => broadcast,
            Destination::Unicast(a) => a,
        };
        // A lost answer is retried by the peer; a lost registration is
        // sent three times anyway.
        let _ = sock
            .send_to(buf.get(..tx.len).unwrap_or_default(), to)
            .await;
    }
}
