//! The async driver (feature `driver`): runs a [`Client`] over a netcore
//! [`UdpSocket`] and a [`Clock`].
//!
//! The board binds the socket (any port for unicast polling; the broadcast
//! port, usually 123, in broadcast mode), turns server names into addresses
//! with [`resolve_servers`], and calls [`run`]. `run` never spawns and ends
//! only when receiving fails for good. The board sees every event and may
//! change the client (poll interval, DHCP-learned servers) through its
//! [`Control`].

use core::future::pending;
use core::net::SocketAddr;

use petrel_netcore::UdpError;
use petrel_netcore::socket::{Network, UdpSocket};
use petrel_netcore::time::Instant;
use petrel_netcore::timer::{Clock, Either, select};

use crate::client::{Client, EVENT_QUEUE, Event};
use crate::wire::PORT;

/// The board's side of [`run`]: event reports and runtime changes.
pub trait Control<const S: usize, const E: usize = EVENT_QUEUE> {
    /// Called for each event the client reports.
    fn on_event(&mut self, now: Instant, client: &mut Client<S, E>, event: Event);
    /// Completes when the board has a change for the client; never, by
    /// default.
    async fn changed(&mut self) {
        pending::<()>().await
    }
    /// Applies the change [`Control::changed`] announced (for example
    /// [`Client::set_poll_interval`] or [`Client::set_dhcp_servers`]).
    fn apply(&mut self, now: Instant, client: &mut Client<S, E>) {
        let _ = (now, client);
    }
}

/// A [`Control`] that only calls a closure for each event.
pub struct OnEvent<F>(pub F);

impl<const S: usize, const E: usize, F: FnMut(Instant, &mut Client<S, E>, Event)> Control<S, E>
    for OnEvent<F>
{
    fn on_event(&mut self, now: Instant, client: &mut Client<S, E>, event: Event) {
        (self.0)(now, client, event)
    }
}

/// Resolves `names` (host names or address literals, each optionally with
/// `:port`; port 123 otherwise) into `out`. Names that do not resolve are
/// reported to `on_error` and skipped; returns how many resolved.
pub async fn resolve_servers<N: Network, const S: usize>(
    net: &N,
    names: &[&str],
    out: &mut heapless::Vec<SocketAddr, S>,
    mut on_error: impl FnMut(&str, petrel_netcore::DnsError),
) -> usize {
    let mut n = 0;
    for name in names {
        let (host, port) = split_port(name);
        match net.resolve(host).await {
            Ok(ip) => {
                let addr = SocketAddr::new(ip, port);
                if !out.contains(&addr) && out.push(addr).is_ok() {
                    n += 1;
                }
            }
            Err(e) => on_error(name, e),
        }
    }
    n
}

/// `host:port` → (`host`, port); a bare host or an IPv6 literal gets 123.
fn split_port(s: &str) -> (&str, u16) {
    if let Ok(a) = s.parse::<SocketAddr>() {
        // An address with a port: keep the IP part as text.
        if let Some((h, _)) = s.rsplit_once(':') {
            return (h.trim_start_matches('[').trim_end_matches(']'), a.port());
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, port),
            Err(_) => (s, PORT),
        },
        _ => (s, PORT),
    }
}

enum Wake {
    Packet(Result<(usize, petrel_netcore::socket::UdpMeta), UdpError>),
    Timer,
    Control,
}

/// Runs `client` on `sock` until receiving fails for good; returns that
/// error. `buf` holds one datagram (48 bytes is enough; larger packets with
/// extension fields are dropped, so give 512 bytes).
pub async fn run<C: Clock, U: UdpSocket, const S: usize, const E: usize>(
    clock: &C,
    sock: &mut U,
    client: &mut Client<S, E>,
    buf: &mut [u8],
    control: &mut impl Control<S, E>,
) -> UdpError {
    loop {
        let now = clock.now();
        client.handle_timeout(now);
        while let Some(tx) = client.poll_transmit(clock.now(), buf) {
            let data = buf.get(..tx.len).unwrap_or_default();
            // A failed send is a lost request: the retry timer handles it.
            let _ = sock.send_to(data, tx.to).await;
        }
        while let Some(e) = client.poll_event() {
            control.on_event(clock.now(), client, e);
        }
        let deadline = client.poll_timeout();
        let wake = {
            let timer = async {
                match deadline {
                    Some(at) => clock.sleep_until(at).await,
                    None => pending().await,
                }
            };
            let io = select(sock.recv_from(buf), control.changed());
            match select(io, timer).await {
                Either::First(Either::First(r)) => Wake::Packet(r),
                Either::First(Either::Second(())) => Wake::Control,
                Either::Second(()) => Wake::Timer,
            }
        };
        let now = clock.now();
        match wake {
            Wake::Packet(Ok((n, meta))) => {
                client.handle_packet(now, meta.remote, buf.get(..n).unwrap_or_default());
            }
            Wake::Packet(Err(UdpError::Truncated(_))) => {
                // Longer than `buf` (and with no sender known): dropped.
            }
            Wake::Packet(Err(e)) => return e,
            Wake::Timer => client.handle_timeout(now),
            Wake::Control => control.apply(now, client),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_split() {
        assert_eq!(split_port("pool.ntp.org"), ("pool.ntp.org", 123));
        assert_eq!(split_port("127.0.0.1:11123"), ("127.0.0.1", 11123));
        assert_eq!(split_port("ntp:99"), ("ntp", 99));
        assert_eq!(split_port("::1"), ("::1", 123));
        assert_eq!(split_port("[::1]:5"), ("::1", 5));
        assert_eq!(split_port("host:x"), ("host:x", 123));
    }
}
