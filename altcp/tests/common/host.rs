//! Host-side helpers shared by the interop tests: a child process and a
//! temporary directory, both cleaned up on drop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use petrel_altcp::tls::{ServerConfig, TlsAcceptor};
use petrel_altcp::{Error, Listener, Stream, TcpAcceptor};
use petrel_interop::free_port;
use petrel_netcore::os::OsNetwork;
use petrel_netcore::{ListenConfig, Network};

/// How long the interop tests wait for a peer or a report.
pub const WAIT: StdDuration = StdDuration::from_secs(10);

/// A child process killed on drop.
pub struct Peer(pub Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory under the system temp dir, named for `tag`.
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("petrel-tls-{}-{tag}-{n}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    /// Writes `text` to `name` inside it and returns the path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the test server does with a connection.
#[derive(Copy, Clone)]
pub enum Mode {
    /// Echo until close_notify.
    Echo,
    /// Answer one HTTP request with "hello", then close (close_notify).
    Http,
}

/// Our TLS server on 127.0.0.1 in a thread of its own (OsNetwork); every
/// accept failure and session end is reported on the returned channel.
pub fn start_server(cfg: ServerConfig, mode: Mode) -> (u16, mpsc::Receiver<Result<usize, Error>>) {
    let port = free_port();
    let (tx, rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let net = OsNetwork::new();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let l = net.tcp_listen(addr, ListenConfig::default()).await.unwrap();
            ready_tx.send(()).unwrap();
            let mut acc = TlsAcceptor::new(TcpAcceptor::new(l), cfg, net);
            loop {
                match acc.accept().await {
                    Ok(s) => {
                        tokio::task::spawn_local(session(s, mode, tx.clone()));
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            }
        });
    });
    ready_rx.recv_timeout(WAIT).unwrap();
    (port, rx)
}

/// Serves one connection as `mode` says and reports how it ended.
pub async fn session(mut s: impl Stream, mode: Mode, tx: mpsc::Sender<Result<usize, Error>>) {
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    let end = match mode {
        Mode::Echo => loop {
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
        },
        Mode::Http => {
            let mut req = Vec::new();
            loop {
                match s.read(&mut buf).await {
                    Ok(0) => break Ok(req.len()),
                    Ok(n) => {
                        req.extend_from_slice(&buf[..n]);
                        if req.windows(4).any(|w| w == b"\r\n\r\n") {
                            let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
                            break s.write_all(resp).await.map(|_| req.len());
                        }
                    }
                    Err(e) => break Err(e),
                }
            }
        }
    };
    let ok = end.is_ok();
    let _ = tx.send(end);
    if ok {
        let _ = s.close().await;
    }
}

/// The server's next report, within [`WAIT`].
pub fn next_result(rx: &mpsc::Receiver<Result<usize, Error>>) -> Result<usize, Error> {
    rx.recv_timeout(WAIT).expect("server reported nothing")
}
