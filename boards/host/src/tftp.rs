//! `[tftp]`: the TFTP server over a directory of the host ([`HostFs`]).

use std::fs::File;
use std::future::Future;
use std::io::{BufWriter, ErrorKind, Write};
use std::net::SocketAddr;
use std::os::unix::fs::FileExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use log::{debug, info, warn};
use petrel_netcore::{Network, UdpSocket};
use petrel_tftp::driver::{self, ServerEvent};
use petrel_tftp::{Event, FileSystem, FsError, Mode, Server, ServerConfig};
use serde::{Deserialize, Serialize};

use crate::services::ServiceError;

/// Transfer slots compiled into the server; `max_transfers` may not exceed it.
pub(crate) const MAX_SLOTS: usize = 16;

/// `[tftp]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TftpConfig {
    /// Whether the service runs.
    pub(crate) enabled: bool,
    /// The address and port the server listens on.
    pub(crate) listen: SocketAddr,
    /// The directory served; created if missing.
    pub(crate) root: PathBuf,
    /// Accept uploads (WRQ). Off: every upload is an access violation.
    pub(crate) write: bool,
    /// Whether an upload may replace an existing file (else error 6).
    pub(crate) overwrite: bool,
    /// Transfers at once (1..=16); more are refused with error 0.
    pub(crate) max_transfers: usize,
    /// Largest `blksize` granted (8..=65464).
    pub(crate) max_blksize: u16,
    /// Largest `windowsize` granted (1..=32).
    pub(crate) max_windowsize: u16,
    /// Longest file name accepted.
    pub(crate) max_filename_len: usize,
}

impl Default for TftpConfig {
    fn default() -> Self {
        TftpConfig {
            // On by default, read-only, on loopback (the defaults).
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 6969)),
            // Relative to the state directory (the config file's directory,
            // or ./petrel-state without one).
            root: PathBuf::from("tftp-root"),
            write: false,
            overwrite: false,
            max_transfers: 4,
            max_blksize: 1468,
            max_windowsize: 16,
            max_filename_len: 255,
        }
    }
}

impl TftpConfig {
    /// Checks the limits; returns the offending field and why.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(1..=MAX_SLOTS).contains(&self.max_transfers) {
            return Err(("tftp.max_transfers", "must be 1..=16"));
        }
        if !(8..=65464).contains(&self.max_blksize) {
            return Err(("tftp.max_blksize", "must be 8..=65464"));
        }
        if !(1..=32).contains(&self.max_windowsize) {
            return Err(("tftp.max_windowsize", "must be 1..=32"));
        }
        if self.max_filename_len == 0 {
            return Err(("tftp.max_filename_len", "must be at least 1"));
        }
        if self.root.as_os_str().is_empty() {
            return Err(("tftp.root", "must not be empty"));
        }
        Ok(())
    }
}

/// An open file of [`HostFs`].
#[derive(Debug)]
pub(crate) enum HostHandle {
    /// A file being read.
    Read(File),
    /// An upload: written to `tmp`, moved to `dest` on close.
    Write {
        /// The temporary file's writer.
        file: BufWriter<File>,
        /// The temporary file.
        tmp: PathBuf,
        /// Where it goes.
        dest: PathBuf,
    },
}

/// The TFTP [`FileSystem`] over one directory of the host.
///
/// Names are relative to the root: absolute names, `..` components and
/// names whose canonical path leaves the root (a symlink out) are access
/// violations. Uploads go to a hidden temporary file next to the target and
/// appear under their name only when complete.
#[derive(Debug)]
pub(crate) struct HostFs {
    root: PathBuf,
    write: bool,
    overwrite: bool,
    max_name: usize,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Maps an I/O error to the TFTP error the peer sees.
fn io_error(e: &std::io::Error) -> FsError {
    // ENOSPC and EDQUOT on Linux.
    if matches!(e.raw_os_error(), Some(28 | 122)) || e.kind() == ErrorKind::StorageFull {
        return FsError::DiskFull;
    }
    match e.kind() {
        ErrorKind::NotFound => FsError::NotFound,
        ErrorKind::PermissionDenied => FsError::AccessViolation,
        ErrorKind::AlreadyExists => FsError::FileExists,
        _ => FsError::Io,
    }
}

impl HostFs {
    /// Serves `root` (created if missing).
    pub(crate) fn new(
        root: &Path,
        write: bool,
        overwrite: bool,
        max_name: usize,
    ) -> std::io::Result<HostFs> {
        std::fs::create_dir_all(root)?;
        Ok(HostFs {
            root: root.canonicalize()?,
            write,
            overwrite,
            max_name,
        })
    }

    /// The relative path a request names, if it may name anything.
    fn relative(&self, name: &[u8]) -> Result<PathBuf, FsError> {
        if name.is_empty() || name.len() > self.max_name {
            return Err(FsError::AccessViolation);
        }
        let name = std::str::from_utf8(name).map_err(|_| FsError::AccessViolation)?;
        let path = Path::new(name);
        let mut rel = PathBuf::new();
        for c in path.components() {
            match c {
                Component::Normal(p) => rel.push(p),
                Component::CurDir => {}
                // Absolute names and `..` never leave the root.
                Component::RootDir | Component::ParentDir | Component::Prefix(_) => {
                    return Err(FsError::AccessViolation);
                }
            }
        }
        if rel.as_os_str().is_empty() {
            return Err(FsError::AccessViolation);
        }
        Ok(rel)
    }

    /// `path`, canonical, if it is inside the root.
    fn inside(&self, path: &Path) -> Result<PathBuf, FsError> {
        let canon = path.canonicalize().map_err(|e| io_error(&e))?;
        if canon.starts_with(&self.root) {
            Ok(canon)
        } else {
            Err(FsError::AccessViolation)
        }
    }
}

impl FileSystem for HostFs {
    type Handle = HostHandle;

    fn open_read(
        &mut self,
        name: &[u8],
        _mode: Mode,
    ) -> Result<(HostHandle, Option<u64>), FsError> {
        let path = self.inside(&self.root.join(self.relative(name)?))?;
        let file = File::open(&path).map_err(|e| io_error(&e))?;
        let meta = file.metadata().map_err(|e| io_error(&e))?;
        if !meta.is_file() {
            return Err(FsError::AccessViolation);
        }
        Ok((HostHandle::Read(file), Some(meta.len())))
    }

    fn read_at(
        &mut self,
        handle: &mut HostHandle,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError> {
        let HostHandle::Read(file) = handle else {
            return Err(FsError::Io);
        };
        let mut filled = 0;
        while filled < buf.len() {
            let Some(rest) = buf.get_mut(filled..) else {
                break;
            };
            match file.read_at(rest, offset + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
        }
        Ok(filled)
    }

    fn open_write(
        &mut self,
        name: &[u8],
        _mode: Mode,
        _size: Option<u64>,
    ) -> Result<HostHandle, FsError> {
        if !self.write {
            return Err(FsError::AccessViolation);
        }
        let rel = self.relative(name)?;
        let file_name = rel.file_name().ok_or(FsError::AccessViolation)?.to_owned();
        let parent = self.root.join(rel.parent().unwrap_or(Path::new("")));
        let dir = self.inside(&parent)?;
        let dest = dir.join(&file_name);
        if let Ok(meta) = std::fs::symlink_metadata(&dest) {
            if !self.overwrite {
                return Err(FsError::FileExists);
            }
            if !meta.is_file() {
                return Err(FsError::AccessViolation);
            }
        }
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(&file_name);
        tmp_name.push(format!(".petrel-{}-{n}.part", std::process::id()));
        let tmp = dir.join(tmp_name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_error(&e))?;
        Ok(HostHandle::Write {
            file: BufWriter::with_capacity(64 * 1024, file),
            tmp,
            dest,
        })
    }

    fn write(&mut self, handle: &mut HostHandle, data: &[u8]) -> Result<(), FsError> {
        match handle {
            HostHandle::Write { file, .. } => file.write_all(data).map_err(|e| io_error(&e)),
            HostHandle::Read(_) => Err(FsError::AccessViolation),
        }
    }

    fn close(&mut self, handle: HostHandle) -> Result<(), FsError> {
        let HostHandle::Write { file, tmp, dest } = handle else {
            return Ok(());
        };
        let result = match file.into_inner() {
            Ok(f) => f.sync_all().map_err(|e| io_error(&e)),
            Err(e) => Err(io_error(e.error())),
        }
        .and_then(|()| {
            if self.overwrite {
                std::fs::rename(&tmp, &dest).map_err(|e| io_error(&e))
            } else {
                // A link fails if the name appeared meanwhile: never clobber.
                std::fs::hard_link(&tmp, &dest).map_err(|e| io_error(&e))
            }
        });
        let _ = std::fs::remove_file(&tmp);
        result
    }

    fn abort(&mut self, handle: HostHandle) {
        if let HostHandle::Write { file, tmp, .. } = handle {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// Binds the server socket, logs the start line, and returns the server's
/// future (it ends only if receiving fails for good).
pub(crate) async fn start<N>(
    net: N,
    cfg: &crate::tftp::TftpConfig,
) -> Result<impl Future<Output = Result<(), (&'static str, String)>> + use<N>, ServiceError>
where
    N: Network + 'static,
    N::UdpSocket: 'static,
{
    let fs =
        HostFs::new(&cfg.root, cfg.write, cfg.overwrite, cfg.max_filename_len).map_err(|e| {
            ServiceError::Failed {
                service: "tftp",
                reason: format!("root {}: {e}", cfg.root.display()),
            }
        })?;
    let addr = cfg.listen;
    let mut socket = crate::services::bind_udp(&net, "tftp", addr).await?;
    info!(
        "tftp listening on {} (root {}, {})",
        socket.local_addr(),
        cfg.root.display(),
        if cfg.write { "read-write" } else { "read-only" }
    );
    let mut sc = ServerConfig::default();
    sc.max_transfers = cfg.max_transfers;
    sc.allow_write = cfg.write;
    sc.max_blksize = cfg.max_blksize;
    sc.max_window = cfg.max_windowsize;
    sc.max_filename_len = cfg.max_filename_len;
    let server = Server::new(sc);
    // Every slot takes RFC 1350's 512-byte blocks even when a smaller
    // `blksize` is the most the option may grant.
    let buf_len = driver::server_buf_len(MAX_SLOTS, cfg.max_blksize.max(512));
    Ok(async move {
        let mut fs = fs;
        let mut buf = vec![0u8; buf_len];
        let error = driver::serve::<N, HostFs, _, MAX_SLOTS>(
            &net,
            &mut socket,
            &server,
            &mut fs,
            &mut buf,
            log_event,
        )
        .await;
        Err(("tftp", error.to_string()))
    })
}

/// One log line per transfer start and end.
fn log_event(e: ServerEvent<'_>) {
    match e {
        ServerEvent::Started {
            slot,
            peer,
            kind,
            filename,
            params,
            ..
        } => info!(
            "tftp [{slot}] {peer}: {kind:?} {} (blksize {}, windowsize {})",
            String::from_utf8_lossy(filename),
            params.blksize,
            params.window
        ),
        ServerEvent::Refused { peer, code } => info!("tftp {peer}: refused: {code}"),
        ServerEvent::Dropped { peer } => debug!("tftp {peer}: request dropped"),
        ServerEvent::Finished {
            slot,
            peer,
            outcome,
            elapsed,
        } => match outcome {
            Event::Completed { bytes } => {
                let secs = elapsed.as_micros().max(1) as f64 / 1e6;
                info!(
                    "tftp [{slot}] {peer}: done, {bytes} bytes in {secs:.3} s ({:.2} MB/s)",
                    bytes as f64 / secs / 1e6
                );
            }
            Event::Failed { error } => info!("tftp [{slot}] {peer}: failed: {error}"),
            other => info!("tftp [{slot}] {peer}: {other:?}"),
        },
        ServerEvent::SocketError { addr, error } => warn!("tftp {addr}: socket: {error}"),
        other => debug!("tftp: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("petrel-hostfs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn paths_stay_inside_the_root() {
        let d = tmpdir("paths");
        let root = d.join("root");
        let mut fs = HostFs::new(&root, true, false, 64).unwrap();
        std::fs::write(root.join("a"), b"hello").unwrap();
        std::fs::write(d.join("secret"), b"no").unwrap();
        std::os::unix::fs::symlink(d.join("secret"), root.join("link")).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        let (mut h, size) = fs.open_read(b"a", Mode::Octet).unwrap();
        assert_eq!(size, Some(5));
        let mut b = [0u8; 8];
        assert_eq!(fs.read_at(&mut h, 1, &mut b).unwrap(), 4);
        assert_eq!(&b[..4], b"ello");
        for bad in [
            &b"../secret"[..],
            b"/etc/passwd",
            b"sub/../../secret",
            b"link",
            b"",
            b".",
        ] {
            assert_eq!(
                fs.open_read(bad, Mode::Octet).unwrap_err(),
                FsError::AccessViolation,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            fs.open_read(b"sub", Mode::Octet).unwrap_err(),
            FsError::AccessViolation
        );
        assert_eq!(
            fs.open_read(b"missing", Mode::Octet).unwrap_err(),
            FsError::NotFound
        );
        assert_eq!(
            fs.open_read(&[b'x'; 65], Mode::Octet).unwrap_err(),
            FsError::AccessViolation
        );
        assert_eq!(
            fs.open_write(b"../up", Mode::Octet, None).unwrap_err(),
            FsError::AccessViolation
        );
        assert_eq!(
            fs.open_write(b"link", Mode::Octet, None).unwrap_err(),
            FsError::FileExists
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn uploads_appear_on_close_and_vanish_on_abort() {
        let d = tmpdir("write");
        let mut fs = HostFs::new(&d, true, false, 255).unwrap();
        let mut h = fs.open_write(b"new", Mode::Octet, None).unwrap();
        fs.write(&mut h, b"data").unwrap();
        assert!(!d.join("new").exists());
        fs.close(h).unwrap();
        assert_eq!(std::fs::read(d.join("new")).unwrap(), b"data");
        assert_eq!(
            fs.open_write(b"new", Mode::Octet, None).unwrap_err(),
            FsError::FileExists
        );
        let mut h = fs.open_write(b"gone", Mode::Octet, None).unwrap();
        fs.write(&mut h, b"partial").unwrap();
        fs.abort(h);
        assert!(!d.join("gone").exists());
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            1,
            "no temp files left"
        );

        let mut fs = HostFs::new(&d, true, true, 255).unwrap();
        let mut h = fs.open_write(b"new", Mode::Octet, None).unwrap();
        fs.write(&mut h, b"v2").unwrap();
        fs.close(h).unwrap();
        assert_eq!(std::fs::read(d.join("new")).unwrap(), b"v2");

        let mut ro = HostFs::new(&d, false, true, 255).unwrap();
        assert_eq!(
            ro.open_write(b"x", Mode::Octet, None).unwrap_err(),
            FsError::AccessViolation
        );
        assert_eq!(
            io_error(&std::io::Error::from_raw_os_error(28)),
            FsError::DiskFull
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
