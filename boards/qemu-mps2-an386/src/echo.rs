//! TCP and UDP echo (RFC 862) as embassy tasks, written against netcore's
//! traits only.
//!
//! The host's `boards/host/src/echo.rs` has the same per-connection loop but
//! leans on tokio (a semaphore, `spawn_local`, a heap buffer). Here one
//! acceptor task accepts only while fewer than [`TCP_WORKERS`] connections
//! are open, and hands each connection to a task from a fixed pool; while
//! the pool is busy, further clients wait in the listener's backlog, exactly
//! like the host's "accept only when a slot is free".
//!
//! (A pool of workers taking turns on the listener behind an
//! `embassy_sync::mutex::Mutex` looks simpler but spins: that mutex keeps a
//! single waker, and two waiters wake each other forever.)

use core::net::SocketAddr;
use core::sync::atomic::{AtomicUsize, Ordering};

use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use petrel_netcore::smol::{SmolTcpListener, SmolTcpStream, SmolUdpSocket};
use petrel_netcore::{Clock, Duration, TcpError, TcpListener, TcpStream, UdpError, UdpSocket};

use crate::Net;

/// Connections served at once.
pub(crate) const TCP_WORKERS: usize = 1;
/// Per-connection copy buffer (the socket's send buffer is 1 KiB).
const TCP_BUF: usize = 512;
/// The largest datagram echoed whole (one Ethernet frame's worth).
const UDP_BUF: usize = 1472;
/// Back-off when the TCP pool is exhausted.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Open connections.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// Raised when a connection task ends (one waiter: the acceptor).
static SLOT_FREED: Signal<CriticalSectionRawMutex, ()> = Signal::new();

/// Accepts TCP echo clients while a connection task is free.
#[embassy_executor::task]
pub(crate) async fn tcp_acceptor(
    spawner: Spawner,
    net: Net,
    mut listener: SmolTcpListener<'static>,
) {
    loop {
        while ACTIVE.load(Ordering::Acquire) >= TCP_WORKERS {
            SLOT_FREED.wait().await;
        }
        match listener.accept().await {
            Ok(stream) => match tcp_connection(stream) {
                Ok(token) => {
                    ACTIVE.fetch_add(1, Ordering::AcqRel);
                    spawner.spawn(token);
                }
                // Cannot happen while ACTIVE < TCP_WORKERS; the stream was
                // dropped, which closes it.
                Err(e) => crate::log!("echo tcp: no connection task: {}", e),
            },
            Err(TcpError::NoBuffer) => net.sleep(ACCEPT_BACKOFF).await,
            Err(e) => {
                crate::log!("echo tcp: accept failed: {}", e);
                net.sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// One echo connection.
#[embassy_executor::task(pool_size = TCP_WORKERS)]
async fn tcp_connection(stream: SmolTcpStream<'static>) {
    echo_connection(stream).await;
    ACTIVE.fetch_sub(1, Ordering::AcqRel);
    SLOT_FREED.signal(());
}

/// Echoes one client until it closes or fails. Errors come from the peer
/// (reset, timeout) and end only this connection.
async fn echo_connection<S: TcpStream>(mut stream: S) {
    let mut buf = [0u8; TCP_BUF];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let Some(data) = buf.get(..n) else { break };
        if stream.write_all(data).await.is_err() {
            stream.abort();
            return;
        }
    }
    let _ = stream.close().await;
}

/// UDP echo: every datagram goes back to its sender.
#[embassy_executor::task]
pub(crate) async fn udp_echo(mut socket: SmolUdpSocket<'static>) {
    let mut buf = [0u8; UDP_BUF];
    loop {
        let (n, meta) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            // Too large to echo whole, or a transient shortage: skip it.
            Err(UdpError::Truncated(_)) | Err(UdpError::NoBuffer) => continue,
            Err(e) => {
                crate::log!("echo udp: receive failed: {}; stopping", e);
                return;
            }
        };
        let Some(data) = buf.get(..n) else { continue };
        // A reply that cannot go out is the client's loss.
        let _ = socket.send_to(data, meta.remote).await;
    }
}

/// Logs "echo tcp listening on ADDR:7"-style start lines.
pub(crate) fn log_listening(proto: &str, addr: SocketAddr) {
    crate::log!("echo {} listening on {}", proto, crate::Addr(addr));
}
