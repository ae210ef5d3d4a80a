//! TCP and UDP echo (RFC 862), written against netcore's traits so the same
//! code runs over the host's sockets and over the smoltcp stack.

use std::sync::Arc;

use log::{debug, warn};
use petrel_netcore::{Duration, Network, TcpError, TcpListener, TcpStream, UdpError, UdpSocket};
use tokio::sync::Semaphore;

/// The per-connection buffer of TCP echo.
const TCP_BUF: usize = 2048;
/// The UDP receive buffer: the largest datagram that is echoed whole.
const UDP_BUF: usize = 65_535;
/// How long to wait before accepting again when the host is out of sockets.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves TCP echo on `listener` until accepting fails for good, with at
/// most `max_connections` clients at once (more wait in the backlog). Each
/// client runs in its own local task.
pub(crate) async fn serve_tcp<N>(
    net: N,
    mut listener: N::TcpListener,
    max_connections: usize,
) -> Result<(), TcpError>
where
    N: Network,
    N::TcpStream: 'static,
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
                tokio::task::spawn_local(async move {
                    echo_connection(stream).await;
                    drop(permit);
                });
            }
            // Out of descriptors or memory: the condition passes when
            // other clients leave.
            Err(TcpError::NoBuffer) => {
                warn!("echo tcp: cannot accept: {}", TcpError::NoBuffer);
                net.sleep(ACCEPT_BACKOFF).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Echoes one client until it closes or fails.
async fn echo_connection<S: TcpStream>(mut stream: S) {
    let peer = stream.peer_addr();
    let mut buf = [0u8; TCP_BUF];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                debug!("echo tcp: {peer:?}: {e}");
                return;
            }
        };
        let Some(data) = buf.get(..n) else { break };
        if let Err(e) = stream.write_all(data).await {
            debug!("echo tcp: {peer:?}: {e}");
            return;
        }
    }
    if let Err(e) = stream.close().await {
        debug!("echo tcp: {peer:?}: close: {e}");
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
