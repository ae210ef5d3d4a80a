//! TFTP server on udp/69 (feature `tftp`): `petrel-tftp`'s driver over a
//! board file system, [`BoardFs`].
//!
//! - Read-only files that cost no RAM: `hello.txt` (a constant in flash) and
//!   `test.bin`, 64 KiB *generated on read* from its offset
//!   ([`test_bin_byte`]), so it costs neither RAM nor flash. The test script
//!   computes the same bytes to compare.
//! - Uploads go to a [`RamFs`] of [`RAM_FILES`] slots of [`RAM_FILE_MAX`]
//!   bytes each (an upload replaces a file of the same name only when it
//!   completes, so one slot must be free for it). A `RamFs` holding
//!   `test.bin` itself would need 64 KiB of RAM per slot; that is why the
//!   baked files live outside it. Uploading onto a baked name is an access
//!   violation; larger files get "disk full".
//! - [`MAX_TRANSFERS`] transfers at once, each on its own socket (RFC 1350
//!   TID); further requests get ERROR 0 from the core.

use core::net::Ipv4Addr;

use petrel_netcore::{Network, UdpSocket};
use petrel_tftp::driver::{self, ServerEvent};
use petrel_tftp::fs::RamHandle;
use petrel_tftp::wire::RequestKind;
use petrel_tftp::{Event, FileSystem, FsError, Mode, RamFs, Server, ServerConfig};
use static_cell::ConstStaticCell;

use crate::{Addr, Net};

/// The port (RFC 1350).
pub(crate) const PORT: u16 = 69;
/// Transfers at once (and transfer sockets used from the UDP pool).
pub(crate) const MAX_TRANSFERS: usize = 1;
/// UDP sockets the service takes: port 69 plus one per transfer.
pub(crate) const UDP_SOCKETS: usize = 1 + MAX_TRANSFERS;
/// Upload slots in RAM.
pub(crate) const RAM_FILES: usize = 2;
/// Largest upload, bytes.
pub(crate) const RAM_FILE_MAX: usize = 2 * 1024;
/// Largest block size granted: an Ethernet frame's worth (1500 - 20 - 8 - 4).
const MAX_BLKSIZE: u16 = 1468;
/// Driver buffer: requests, then one whole DATA packet per transfer.
const BUF_LEN: usize = driver::server_buf_len(MAX_TRANSFERS, MAX_BLKSIZE);
/// Length of the generated `test.bin`.
pub(crate) const TEST_BIN_LEN: usize = 64 * 1024;
/// Contents of `hello.txt`.
const HELLO: &[u8] = b"hello from petrel on qemu mps2-an386\n";

/// Byte `i` of `test.bin`: the top byte of a multiplicative hash of the
/// offset, so a misplaced or repeated block shows (a short period would not).
/// The test computes `((i * 2654435761) & 0xffffffff) >> 24`.
pub(crate) fn test_bin_byte(i: usize) -> u8 {
    ((i as u32).wrapping_mul(2_654_435_761) >> 24) as u8
}

/// The baked, read-only files.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rom {
    Hello,
    TestBin,
}

impl Rom {
    fn find(name: &[u8]) -> Option<Rom> {
        match name {
            b"hello.txt" => Some(Rom::Hello),
            b"test.bin" => Some(Rom::TestBin),
            _ => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Rom::Hello => HELLO.len(),
            Rom::TestBin => TEST_BIN_LEN,
        }
    }

    fn read_at(self, offset: u64, buf: &mut [u8]) -> usize {
        let len = self.len();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
        let n = (len - start).min(buf.len());
        let Some(out) = buf.get_mut(..n) else {
            return 0;
        };
        match self {
            Rom::Hello => {
                if let Some(src) = HELLO.get(start..start + n) {
                    out.copy_from_slice(src);
                }
            }
            Rom::TestBin => {
                for (k, b) in out.iter_mut().enumerate() {
                    *b = test_bin_byte(start + k);
                }
            }
        }
        n
    }
}

/// The upload store's type.
type Uploads = RamFs<RAM_FILES, RAM_FILE_MAX>;

/// An open file of [`BoardFs`].
#[derive(Debug)]
pub(crate) enum BoardHandle {
    /// A baked file being read.
    Rom(Rom),
    /// A file in the upload store.
    Ram(RamHandle),
}

/// Baked read-only files in front of a [`RamFs`] for uploads.
pub(crate) struct BoardFs {
    ram: &'static mut Uploads,
}

impl FileSystem for BoardFs {
    type Handle = BoardHandle;

    fn open_read(
        &mut self,
        name: &[u8],
        mode: Mode,
    ) -> Result<(BoardHandle, Option<u64>), FsError> {
        if let Some(rom) = Rom::find(name) {
            return Ok((BoardHandle::Rom(rom), Some(rom.len() as u64)));
        }
        let (h, size) = self.ram.open_read(name, mode)?;
        Ok((BoardHandle::Ram(h), size))
    }

    fn read_at(
        &mut self,
        handle: &mut BoardHandle,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError> {
        match handle {
            BoardHandle::Rom(rom) => Ok(rom.read_at(offset, buf)),
            BoardHandle::Ram(h) => self.ram.read_at(h, offset, buf),
        }
    }

    fn open_write(
        &mut self,
        name: &[u8],
        mode: Mode,
        size: Option<u64>,
    ) -> Result<BoardHandle, FsError> {
        if Rom::find(name).is_some() {
            return Err(FsError::AccessViolation);
        }
        self.ram.open_write(name, mode, size).map(BoardHandle::Ram)
    }

    fn write(&mut self, handle: &mut BoardHandle, data: &[u8]) -> Result<(), FsError> {
        match handle {
            BoardHandle::Rom(_) => Err(FsError::AccessViolation),
            BoardHandle::Ram(h) => self.ram.write(h, data),
        }
    }

    fn close(&mut self, handle: BoardHandle) -> Result<(), FsError> {
        match handle {
            BoardHandle::Rom(_) => Ok(()),
            BoardHandle::Ram(h) => self.ram.close(h),
        }
    }

    fn abort(&mut self, handle: BoardHandle) {
        if let BoardHandle::Ram(h) = handle {
            self.ram.abort(h);
        }
    }
}

/// The upload store, all zero bytes so that it lands in `.bss` (a `true`
/// field would move all of it to `.data`, an 8 KiB image in flash):
/// `overwrite` is switched on when the server starts.
static UPLOADS: ConstStaticCell<Uploads> = ConstStaticCell::new({
    let mut fs = Uploads::new();
    fs.overwrite = false;
    fs
});
static BUF: ConstStaticCell<[u8; BUF_LEN]> = ConstStaticCell::new([0; BUF_LEN]);

/// The TFTP server; ends only if receiving on port 69 fails for good.
#[embassy_executor::task]
pub(crate) async fn serve(net: Net, mut socket: <Net as Network>::UdpSocket, shown: Ipv4Addr) {
    let ram = UPLOADS.take();
    ram.overwrite = true;
    let mut fs = BoardFs { ram };
    let mut cfg = ServerConfig::default();
    cfg.max_transfers = MAX_TRANSFERS;
    cfg.allow_write = true;
    cfg.max_blksize = MAX_BLKSIZE;
    cfg.max_window = 4;
    cfg.max_filename_len = petrel_tftp::fs::RAMFS_NAME_MAX;
    let server = Server::new(cfg);
    crate::log!(
        "tftp listening on {}:{} (hello.txt, test.bin {} B read-only; uploads: {} x {} B in RAM; {} transfers)",
        shown,
        socket.local_addr().port(),
        TEST_BIN_LEN,
        RAM_FILES,
        RAM_FILE_MAX,
        MAX_TRANSFERS
    );
    let error = driver::serve::<Net, BoardFs, _, MAX_TRANSFERS>(
        &net,
        &mut socket,
        &server,
        &mut fs,
        BUF.take(),
        log_event,
    )
    .await;
    crate::log!("tftp: stopped: {}", error);
}

fn kind_word(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Read => "Read",
        RequestKind::Write => "Write",
    }
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
        } => crate::log!(
            "tftp [{}] {}: {} {} (blksize {}, windowsize {})",
            slot,
            Addr(peer),
            kind_word(kind),
            core::str::from_utf8(filename).unwrap_or("<not utf-8>"),
            params.blksize,
            params.window
        ),
        ServerEvent::Refused { peer, code } => {
            crate::log!("tftp {}: refused: {}", Addr(peer), code)
        }
        ServerEvent::Finished {
            slot,
            peer,
            outcome,
            elapsed,
        } => match outcome {
            Event::Completed { bytes } => crate::log!(
                "tftp [{}] {}: done, {} bytes in {} ms",
                slot,
                Addr(peer),
                bytes,
                elapsed.as_millis()
            ),
            Event::Failed { error } => {
                crate::log!("tftp [{}] {}: failed: {}", slot, Addr(peer), error)
            }
            _ => crate::log!("tftp [{}] {}: ended", slot, Addr(peer)),
        },
        ServerEvent::SocketError { addr, error } => {
            crate::log!("tftp {}: socket: {}", Addr(addr), error)
        }
        // Retries of a request already being served.
        _ => {}
    }
}
