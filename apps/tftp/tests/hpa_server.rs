//! Our client driver (host backend) against tftp-hpa's daemon `in.tftpd`,
//! run in the foreground on a fresh loopback port
//! (`apt-get install -y tftpd-hpa`; skipped when missing).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::process::Command;
use std::time::Duration;

use petrel_interop::{Proc, free_udp_port, have};
use petrel_netcore::os::OsNetwork;
use petrel_tftp::driver::{self, ClientDriverError};
use petrel_tftp::{ClientConfig, ErrorCode, FileSystem, FsError, Mode, TransferError};

/// One in-memory file to send, or the bytes received.
struct OneFile {
    data: Vec<u8>,
}

impl FileSystem for OneFile {
    type Handle = ();
    fn open_read(&mut self, _: &[u8], _: Mode) -> Result<((), Option<u64>), FsError> {
        Ok(((), Some(self.data.len() as u64)))
    }
    fn read_at(&mut self, _: &mut (), off: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let off = (off as usize).min(self.data.len());
        let n = (self.data.len() - off).min(buf.len());
        buf[..n].copy_from_slice(&self.data[off..off + n]);
        Ok(n)
    }
    fn open_write(&mut self, _: &[u8], _: Mode, _: Option<u64>) -> Result<(), FsError> {
        Ok(())
    }
    fn write(&mut self, _: &mut (), data: &[u8]) -> Result<(), FsError> {
        self.data.extend_from_slice(data);
        Ok(())
    }
    fn close(&mut self, _: ()) -> Result<(), FsError> {
        Ok(())
    }
    fn abort(&mut self, _: ()) {}
}

fn random(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn our_client_gets_and_puts_against_in_tftpd() {
    if !have("in.tftpd") {
        eprintln!("in.tftpd missing (apt-get install -y tftpd-hpa): skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("petrel-intftpd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = random(3 << 20);
    std::fs::write(dir.join("f.bin"), &data).unwrap();
    let port = free_udp_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new("in.tftpd");
    // Foreground (-L), this address only, chrooted to DIR, uploads may
    // create files (-c); as root it must be told to stay root.
    cmd.args(["-L", "-a", &addr, "-c", "-s"]).arg(&dir);
    if petrel_interop::can_make_namespaces() {
        cmd.args(["-u", "root"]);
    }
    let _server = Proc::spawn(&mut cmd).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = addr.parse().unwrap();
    rt.block_on(async {
        let net = OsNetwork::new();
        let mut buf = vec![0u8; 4096];
        for cfg in [
            ClientConfig::default(),
            ClientConfig::plain(),
            ClientConfig::default()
                .with_blksize(1428)
                .with_windowsize(8),
        ] {
            let mut fs = OneFile { data: Vec::new() };
            let n = driver::get(
                &net,
                server,
                cfg,
                b"f.bin",
                Mode::Octet,
                &mut fs,
                (),
                &mut buf,
            )
            .await
            .unwrap();
            assert_eq!(n, data.len() as u64);
            assert!(fs.data == data, "get {cfg:?}: content differs");
        }
        let up = random(1 << 20);
        let mut fs = OneFile { data: up.clone() };
        let n = driver::put(
            &net,
            server,
            ClientConfig::default(),
            b"up.bin",
            Mode::Octet,
            &mut fs,
            (),
            Some(up.len() as u64),
            &mut buf,
        )
        .await
        .unwrap();
        assert_eq!(n, up.len() as u64);
        let mut fs = OneFile { data: Vec::new() };
        let e = driver::get(
            &net,
            server,
            ClientConfig::default(),
            b"missing",
            Mode::Octet,
            &mut fs,
            (),
            &mut buf,
        )
        .await
        .unwrap_err();
        assert_eq!(
            e,
            ClientDriverError::Transfer(TransferError::Peer(ErrorCode::FileNotFound))
        );
    });
    assert!(std::fs::read(dir.join("up.bin")).unwrap() == random(1 << 20));
    let _ = std::fs::remove_dir_all(&dir);
}
