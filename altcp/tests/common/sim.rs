//! Simulated-link helpers shared by the TLS tests: a TLS echo server on
//! host b that logs how each session ended, and an interleaved echo
//! client.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use embedded_io_async::{Read, Write};
use petrel_altcp::tls::{ServerConfig, TlsAcceptor};
use petrel_altcp::{Error, Listener, Stream, Tcp, TcpAcceptor};
use petrel_netcore::sim::{ADDR_B, SimStack, TokioClock};
use petrel_netcore::timer::with_timeout;
use petrel_netcore::{Clock, ConnectConfig, Duration, ListenConfig, Network};

/// How each accept and each session ended (bytes echoed, or the error).
pub type Log = Rc<RefCell<Vec<Result<usize, Error>>>>;

/// Host b's address, port `port`.
pub fn addr_b(port: u16) -> SocketAddr {
    SocketAddr::new(ADDR_B.into(), port)
}

/// A TLS echo server on host b: every accept result and every session's
/// end (bytes echoed, or the error) goes to the returned log.
pub fn spawn_tls_echo(net: SimStack, port: u16, cfg: ServerConfig) -> Log {
    let log: Log = Rc::default();
    let log2 = log.clone();
    tokio::task::spawn_local(async move {
        let l = net
            .tcp_listen(addr_b(port), ListenConfig::with_backlog(4))
            .await
            .unwrap();
        let mut acc = TlsAcceptor::new(TcpAcceptor::new(l), cfg, TokioClock::new());
        loop {
            match acc.accept().await {
                Ok(mut s) => {
                    let log = log2.clone();
                    tokio::task::spawn_local(async move {
                        let mut buf = vec![0u8; 4096];
                        let mut total = 0;
                        let end = loop {
                            match s.read(&mut buf).await {
                                Ok(0) => break Ok(total),
                                Ok(n) => {
                                    total += n;
                                    if let Err(e) = s.write_all(&buf[..n]).await {
                                        break Err(e);
                                    }
                                }
                                Err(e) => break Err(e),
                            }
                        };
                        let ok = end.is_ok();
                        log.borrow_mut().push(end);
                        if ok {
                            let _ = s.close().await;
                        }
                    });
                }
                Err(e) => log2.borrow_mut().push(Err(e)),
            }
        }
    });
    log
}

/// Sends `data` and reads the echo, interleaving (both operations are
/// cancel-safe, so timing them out is harmless).
pub async fn echo_through(clock: &impl Clock, s: &mut impl Stream, data: &[u8]) -> Vec<u8> {
    let mut got = Vec::with_capacity(data.len());
    let mut sent = 0;
    let mut buf = vec![0u8; 8192];
    let mut rounds = 0u32;
    while got.len() < data.len() {
        rounds += 1;
        assert!(rounds < 1_000_000, "echo did not finish");
        if sent < data.len() {
            let chunk = &data[sent..(sent + 4096).min(data.len())];
            match with_timeout(clock, Duration::from_millis(5), s.write(chunk)).await {
                Ok(Ok(n)) => sent += n,
                Ok(Err(e)) => panic!("write: {e}"),
                Err(_) => {}
            }
        }
        if sent == data.len() {
            s.flush().await.unwrap();
        }
        let wait = if sent < data.len() {
            Duration::from_micros(200)
        } else {
            Duration::from_secs(120)
        };
        match with_timeout(clock, wait, s.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("eof after {} bytes", got.len()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("read: {e}"),
            Err(_) if sent < data.len() => {}
            Err(_) => panic!("echo stalled at {} of {}", got.len(), data.len()),
        }
    }
    got
}

/// A TCP connection from `a` to host b.
pub async fn tcp_to_b(a: &SimStack, port: u16) -> Tcp<<SimStack as Network>::TcpStream> {
    Tcp::new(
        a.tcp_connect(addr_b(port), ConnectConfig::default())
            .await
            .unwrap(),
    )
}
