//! TCP and UDP echo (RFC 862), written against altcp's `Listener`/`Stream`
//! and netcore's UDP trait, so the same code runs over the host's sockets,
//! over the smoltcp stack, and inside TLS (the `[https]` TLS echo).

use std::future::Future;
use std::sync::Arc;

use log::{debug, warn};
use petrel_altcp::{self as altcp, Listener, Stream, TcpAcceptor};
use petrel_netcore::{Clock, Duration, Network, TcpError, UdpError, UdpSocket};
use tokio::sync::Semaphore;

/// The per-connection buffer of TCP echo.
const TCP_BUF: usize = 2048;
/// The UDP receive buffer: the largest datagram that is echoed whole.
const UDP_BUF: usize = 65_535;
/// How long to wait before accepting again when the host is out of sockets.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves echo on an altcp `listener` (plain TCP, or TLS around it) until
/// accepting fails for good, with at most `max_connections` clients at once
/// (more wait in the backlog). Each client runs in its own local task, which
/// first runs `upgrade` on the accepted stream (identity for plain TCP, the
/// TLS handshake for TLS) so a slow handshake never delays other clients.
pub(crate) async fn serve_stream<C, L, U, F, S>(
    clock: C,
    service: &'static str,
    mut listener: L,
    upgrade: U,
    max_connections: usize,
) -> Result<(), altcp::Error>
where
    C: Clock,
    L: Listener,
    L::Stream: 'static,
    U: Fn(L::Stream) -> F,
    F: Future<Output = Result<S, altcp::Error>> + 'static,
    S: Stream + 'static,
{
    let slots = Arc::new(Semaphore::new(max_connections.max(1)));
    loop {
        // Only accept when a slot is free, so excess clients queue in the
        // backlog instead of being accepted and starved.
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        match listener.accept().await {
            Ok(stream) => {
                let ready = upgrade(stream);
                tokio::task::spawn_local(async move {
                    // `upgrade` logs its own failures.
                    if let Ok(stream) = ready.await {
                        echo_connection(service, stream).await;
                    }
                    drop(permit);
                });
            }
            // Out of descriptors or memory: the condition passes when
            // other clients leave.
            Err(altcp::Error::Tcp(TcpError::NoBuffer)) => {
                warn!("{service}: cannot accept: {}", TcpError::NoBuffer);
                clock.sleep(ACCEPT_BACKOFF).await;
            }
            // A layer's handshake failed (already logged): next client.
            Err(altcp::Error::Tls(_)) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Serves plain TCP echo on a netcore listener; see [`serve_stream`].
pub(crate) async fn serve_tcp<N>(
    net: N,
    listener: N::TcpListener,
    max_connections: usize,
) -> Result<(), altcp::Error>
where
    N: Network,
    N::TcpStream: 'static,
{
    let plain = |s| async move { Ok(s) };
    serve_stream(
        net,
        "echo tcp",
        TcpAcceptor::new(listener),
        plain,
        max_connections,
    )
    .await
}

/// Echoes one client until it closes or fails.
async fn echo_connection<S: Stream>(service: &'static str, mut stream: S) {
    let peer = stream.peer_addr();
    let mut buf = [0u8; TCP_BUF];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                debug!("{service}: {peer:?}: {e}");
                return;
            }
        };
        let Some(data) = buf.get(..n) else { break };
        if let Err(e) = stream.write_all(data).await {
            debug!("{service}: {peer:?}: {e}");
            return;
        }
    }
    if let Err(e) = stream.close().await {
        debug!("{service}: {peer:?}: close: {e}");
    }
}

/// Serves UDP echo on `socket` until receiving fails for good.
pub(crate) async fn serve_udp<S: UdpSocket>(mut socket: S) -> Result<(), UdpError> {
    let mut buf = vec![0u8; UDP_BUF];
    loop {
        let (n, meta) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(UdpError::Truncated(len)) => {
                debug!("echo udp: dropped a datagram of {len} bytes (too large)");
                continue;
            }
            Err(UdpError::NoBuffer) => continue,
            Err(e) => return Err(e),
        };
        let Some(data) = buf.get(..n) else { continue };
        match socket.send_to(data, meta.remote).await {
            Ok(()) => {}
            // A reply that cannot go out is the client's loss, not a
            // reason to stop serving.
            Err(e) => debug!("echo udp: reply to {}: {e}", meta.remote),
        }
    }
}
