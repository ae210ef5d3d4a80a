//! The async drivers (feature `driver`): the iPerf 2 server (TCP and UDP on
//! one port) and client over netcore's sockets and [`Clock`].
//!
//! They never spawn and need no `Send`: the server is one future that joins
//! a fixed array of `S` session workers (`S` is a const generic) with the
//! TCP acceptor and the UDP loop. A board runs it on any executor.
//!
//! - [`server::serve`]: accepts up to `S` TCP sessions at once (more are
//!   closed at once), measures each, logs interval and summary reports, and
//!   runs the `-d`/`-r` reverse test by connecting back to the client's
//!   address on the port its header names; serves UDP tests on the same
//!   port with a server report for each FIN.
//! - [`client`]: [`client::tcp`] (with `-d`/`-r`: it also accepts the
//!   server's reverse connection) and [`client::udp`].
//!
//! Every report is handed to the caller's `on_event` (an `Fn`, shared by
//! the concurrent parts), so the board decides where lines go.

use core::cell::Cell;
use core::future::{pending, poll_fn};
#[cfg(feature = "reverse")]
use core::net::SocketAddr;
use core::task::{Poll, Waker};

use embassy_futures::select::{Either, select};
use petrel_netcore::socket::TcpStream;
use petrel_netcore::time::Instant;
use petrel_netcore::timer::Clock;
#[cfg(feature = "reverse")]
use petrel_netcore::{ConnectConfig, time::Duration};
use petrel_netcore::{Network, TcpError};

use crate::report::Report;
#[cfg(feature = "reverse")]
use crate::tcp::TcpClientConfig;
use crate::tcp::{TcpClient, TcpEvent};
#[cfg(feature = "reverse")]
use crate::wire::Amount;

pub mod client;
pub mod server;

/// Which way a report's bytes went, seen from this side.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bytes received.
    Receive,
    /// Bytes sent.
    Send,
}

/// A one-item hand-over between two parts of one task: `put` wakes the
/// part waiting in `take`; `close` makes `take` return `None`.
struct Mailbox<T> {
    item: Cell<Option<T>>,
    closed: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl<T> Mailbox<T> {
    const fn new() -> Self {
        Mailbox {
            item: Cell::new(None),
            closed: Cell::new(false),
            waker: Cell::new(None),
        }
    }

    fn wake(&self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    fn put(&self, v: T) {
        self.item.set(Some(v));
        self.wake();
    }

    fn close(&self) {
        self.closed.set(true);
        self.wake();
    }

    async fn take(&self) -> Option<T> {
        poll_fn(|cx| {
            if let Some(v) = self.item.take() {
                return Poll::Ready(Some(v));
            }
            if self.closed.get() {
                return Poll::Ready(None);
            }
            self.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        })
        .await
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_opt<C: Clock>(clock: &C, deadline: Option<Instant>) {
    match deadline {
        Some(d) => clock.sleep_until(d).await,
        None => pending().await,
    }
}

/// The receiving half of a test: reads `stream` to its end, feeding a
/// [`crate::TcpServerSession`]; `on_core_event` sees every core event.
/// Returns the summary, or the read error after which it stopped.
async fn receive<Net, St, F>(
    net: &Net,
    stream: &mut St,
    session: &mut crate::TcpServerSession,
    buf: &mut [u8],
    mut on_core_event: F,
) -> Result<(), TcpError>
where
    Net: Network,
    St: TcpStream,
    F: FnMut(TcpEvent) -> bool,
{
    loop {
        let deadline = session.poll_timeout();
        let woke = select(stream.read(buf), sleep_opt(net, deadline)).await;
        let now = net.now();
        let r = match woke {
            Either::First(Ok(0)) => {
                session.handle_close(now);
                Ok(true)
            }
            Either::First(Ok(n)) => {
                session.handle_data(now, buf.get(..n).unwrap_or(&[]));
                Ok(false)
            }
            Either::First(Err(e)) => {
                session.handle_close(now);
                Err(e)
            }
            Either::Second(()) => {
                session.handle_timeout(now);
                Ok(false)
            }
        };
        while let Some(e) = session.poll_event() {
            if !on_core_event(e) {
                // The event handler refused the stream.
                return Err(TcpError::Reset);
            }
        }
        match r {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The sending half of a test: writes `client`'s stream to `stream` until
/// the test is over; `on_report` sees interval and summary reports.
async fn send<Net, St, F>(
    net: &Net,
    stream: &mut St,
    client: &mut TcpClient,
    buf: &mut [u8],
    mut on_report: F,
) -> Result<(), TcpError>
where
    Net: Network,
    St: TcpStream,
    F: FnMut(Report, bool),
{
    let mut result = Ok(());
    loop {
        let now = net.now();
        client.handle_timeout(now);
        let n = client.poll_transmit(now, buf);
        while let Some(e) = client.poll_event() {
            match e {
                TcpEvent::Interval(r) => on_report(r, false),
                TcpEvent::Finished(r) => on_report(r, true),
                _ => {}
            }
        }
        let Some(n) = n else { break };
        let data = buf.get(..n).unwrap_or(&[]);
        match select(stream.write(data), sleep_opt(net, client.poll_timeout())).await {
            Either::First(Ok(m)) => client.handle_sent(net.now(), m),
            Either::First(Err(e)) => {
                result = Err(e);
                break;
            }
            Either::Second(()) => {}
        }
    }
    result
}

/// How often a refused reverse connection is tried again, and how far
/// apart: iperf 2 opens its `-L` listener only after its own connection
/// is up, so a server that answers the header at once can find nobody
/// listening yet (seen under load). One second in all.
#[cfg(feature = "reverse")]
const REVERSE_RETRIES: u32 = 5;
#[cfg(feature = "reverse")]
const REVERSE_RETRY_GAP: Duration = Duration::from_millis(200);

/// Connects to `to` and sends for `amount` without a header (the server's
/// side of the reverse tests `-d`/`-r`). A refused connection is tried
/// again [`REVERSE_RETRIES`] times, [`REVERSE_RETRY_GAP`] apart.
#[cfg(feature = "reverse")]
async fn connect_and_send<Net, F>(
    net: &Net,
    to: SocketAddr,
    config: TcpClientConfig,
    id: u16,
    buf: &mut [u8],
    on_report: F,
) -> Result<(), TcpError>
where
    Net: Network,
    F: FnMut(Report, bool),
{
    let mut retries = REVERSE_RETRIES;
    let mut stream = loop {
        match net.tcp_connect(to, ConnectConfig::default()).await {
            Ok(s) => break s,
            Err(TcpError::Refused) if retries > 0 => {
                retries -= 1;
                net.sleep(REVERSE_RETRY_GAP).await;
            }
            Err(e) => return Err(e),
        }
    };
    let mut client = TcpClient::new(net.now(), id, config);
    let r = send(net, &mut stream, &mut client, buf, on_report).await;
    match r {
        Ok(()) => stream.close().await,
        Err(e) => {
            stream.abort();
            Err(e)
        }
    }
}

/// Caps a peer-requested amount: a time at `max`, bytes at what `max`
/// allows at 10 Gbit/s (a hostile header cannot make us send for days).
#[cfg(feature = "reverse")]
fn cap_amount(amount: Amount, max: Duration) -> Amount {
    let max_centis = u32::try_from(max.as_millis() / 10).unwrap_or(u32::MAX);
    match amount {
        Amount::Time { centis } => Amount::Time {
            centis: centis.min(max_centis),
        },
        Amount::Bytes(b) => Amount::Bytes(b.min(max.as_micros().saturating_mul(1250))),
    }
}
