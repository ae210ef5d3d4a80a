//! The storage a TFTP server or client reads from and writes to.
//!
//! [`FileSystem`] is synchronous and sans-IO friendly: every call returns at
//! once with data or an error. Path policy (which names exist, which may be
//! written) belongs to the implementation; the protocol core only maps its
//! [`FsError`]s to TFTP error codes. [`RamFs`] keeps a few files in fixed
//! buffers, for boards and tests.

use core::fmt;

use crate::wire::{ErrorCode, Mode};

/// A file-system failure, mapped to a TFTP error code by [`FsError::code`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FsError {
    /// No such file (error 1).
    NotFound,
    /// The name or operation is not allowed (error 2).
    AccessViolation,
    /// No room for the data (error 3).
    DiskFull,
    /// The file exists and may not be replaced (error 6).
    FileExists,
    /// Too many files open at once (error 0).
    Busy,
    /// Any other storage failure (error 0).
    Io,
}

impl FsError {
    /// The TFTP error code reported to the peer.
    pub const fn code(self) -> ErrorCode {
        match self {
            FsError::NotFound => ErrorCode::FileNotFound,
            FsError::AccessViolation => ErrorCode::AccessViolation,
            FsError::DiskFull => ErrorCode::DiskFull,
            FsError::FileExists => ErrorCode::FileExists,
            FsError::Busy | FsError::Io => ErrorCode::NotDefined,
        }
    }

    /// A short message for the ERROR packet.
    pub const fn message(self) -> &'static str {
        match self {
            FsError::NotFound => "file not found",
            FsError::AccessViolation => "access violation",
            FsError::DiskFull => "disk full",
            FsError::FileExists => "file exists",
            FsError::Busy => "too many open files",
            FsError::Io => "i/o error",
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Storage for TFTP transfers.
///
/// Reads are positional so a transfer can rewind on retransmission; writes are
/// sequential appends and become visible only at [`FileSystem::close`];
/// [`FileSystem::abort`] discards a partial upload.
pub trait FileSystem {
    /// An open file.
    type Handle;

    /// Opens `name` for reading. Returns the handle and the size in bytes, if
    /// known (it answers the `tsize` option).
    fn open_read(
        &mut self,
        name: &[u8],
        mode: Mode,
    ) -> Result<(Self::Handle, Option<u64>), FsError>;

    /// Reads at `offset` into `buf`. Must fill `buf` unless the end of the file
    /// is reached; returns the number of bytes read (0 at or past the end).
    fn read_at(
        &mut self,
        handle: &mut Self::Handle,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError>;

    /// Creates or replaces `name` for writing. `size` is the client's `tsize`,
    /// if sent, so the implementation can refuse with [`FsError::DiskFull`]
    /// before any data flows.
    fn open_write(
        &mut self,
        name: &[u8],
        mode: Mode,
        size: Option<u64>,
    ) -> Result<Self::Handle, FsError>;

    /// Appends `data` to a file opened for writing.
    fn write(&mut self, handle: &mut Self::Handle, data: &[u8]) -> Result<(), FsError>;

    /// Finishes a transfer: a written file becomes visible.
    fn close(&mut self, handle: Self::Handle) -> Result<(), FsError>;

    /// Abandons a transfer: a partially written file is discarded.
    fn abort(&mut self, handle: Self::Handle);
}

/// Longest file name [`RamFs`] stores.
pub const RAMFS_NAME_MAX: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SlotState {
    Free,
    /// Being uploaded; invisible to readers until closed.
    Writing,
    Ready,
}

#[derive(Clone)]
struct Slot<const MAX: usize> {
    state: SlotState,
    name: heapless::Vec<u8, RAMFS_NAME_MAX>,
    data: [u8; MAX],
    len: usize,
}

/// A handle into a [`RamFs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RamHandle {
    slot: usize,
    writing: bool,
}

/// Up to `N` files of at most `MAX` bytes each, in fixed buffers.
///
/// An upload goes to a free slot and replaces the old file of the same name
/// only when it completes, so an aborted upload leaves the old file intact
/// (one slot must be free to accept an upload).
pub struct RamFs<const N: usize, const MAX: usize> {
    slots: [Slot<MAX>; N],
    /// Refuse every write with [`FsError::AccessViolation`].
    pub read_only: bool,
    /// Whether an upload may replace an existing file (else [`FsError::FileExists`]).
    pub overwrite: bool,
}

impl<const MAX: usize> Slot<MAX> {
    const EMPTY: Self = Slot {
        state: SlotState::Free,
        name: heapless::Vec::new(),
        data: [0; MAX],
        len: 0,
    };
}

impl<const N: usize, const MAX: usize> Default for RamFs<N, MAX> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const MAX: usize> RamFs<N, MAX> {
    /// An empty, writable file system that allows overwriting.
    ///
    /// `const`, so a board can put one in a `static` (in `.bss`, no copy
    /// through the stack at boot).
    pub const fn new() -> Self {
        RamFs {
            slots: [const { Slot::<MAX>::EMPTY }; N],
            read_only: false,
            overwrite: true,
        }
    }

    fn find(&self, name: &[u8]) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.state == SlotState::Ready && s.name.as_slice() == name)
    }

    /// Adds or replaces a file directly (board setup, tests).
    pub fn insert(&mut self, name: &[u8], data: &[u8]) -> Result<(), FsError> {
        if data.len() > MAX {
            return Err(FsError::DiskFull);
        }
        let name = heapless::Vec::from_slice(name).map_err(|_| FsError::AccessViolation)?;
        let idx = match self.find(&name) {
            Some(i) => i,
            None => self
                .slots
                .iter()
                .position(|s| s.state == SlotState::Free)
                .ok_or(FsError::DiskFull)?,
        };
        let slot = self.slots.get_mut(idx).ok_or(FsError::Io)?;
        slot.state = SlotState::Ready;
        slot.name = name;
        slot.data
            .get_mut(..data.len())
            .ok_or(FsError::DiskFull)?
            .copy_from_slice(data);
        slot.len = data.len();
        Ok(())
    }

    /// The contents of a complete file.
    pub fn file(&self, name: &[u8]) -> Option<&[u8]> {
        let s = self.slots.get(self.find(name)?)?;
        s.data.get(..s.len)
    }

    /// Removes a file; returns whether it existed.
    pub fn remove(&mut self, name: &[u8]) -> bool {
        match self.find(name).and_then(|i| self.slots.get_mut(i)) {
            Some(s) => {
                s.state = SlotState::Free;
                true
            }
            None => false,
        }
    }
}

impl<const N: usize, const MAX: usize> FileSystem for RamFs<N, MAX> {
    type Handle = RamHandle;

    fn open_read(&mut self, name: &[u8], _mode: Mode) -> Result<(RamHandle, Option<u64>), FsError> {
        let slot = self.find(name).ok_or(FsError::NotFound)?;
        let len = self.slots.get(slot).map_or(0, |s| s.len);
        Ok((
            RamHandle {
                slot,
                writing: false,
            },
            Some(len as u64),
        ))
    }

    fn read_at(
        &mut self,
        h: &mut RamHandle,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, FsError> {
        let s = self.slots.get(h.slot).ok_or(FsError::Io)?;
        let data = s.data.get(..s.len).ok_or(FsError::Io)?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let src = data.get(start..).unwrap_or(&[]);
        let n = src.len().min(buf.len());
        if let (Some(d), Some(s)) = (buf.get_mut(..n), src.get(..n)) {
            d.copy_from_slice(s);
        }
        Ok(n)
    }

    fn open_write(
        &mut self,
        name: &[u8],
        _mode: Mode,
        size: Option<u64>,
    ) -> Result<RamHandle, FsError> {
        if self.read_only {
            return Err(FsError::AccessViolation);
        }
        let name = heapless::Vec::from_slice(name).map_err(|_| FsError::AccessViolation)?;
        if !self.overwrite && self.find(&name).is_some() {
            return Err(FsError::FileExists);
        }
        if size.is_some_and(|s| s > MAX as u64) {
            return Err(FsError::DiskFull);
        }
        let slot = self
            .slots
            .iter()
            .position(|s| s.state == SlotState::Free)
            .ok_or(FsError::DiskFull)?;
        let s = self.slots.get_mut(slot).ok_or(FsError::Io)?;
        s.state = SlotState::Writing;
        s.name = name;
        s.len = 0;
        Ok(RamHandle {
            slot,
            writing: true,
        })
    }

    fn write(&mut self, h: &mut RamHandle, data: &[u8]) -> Result<(), FsError> {
        let s = self.slots.get_mut(h.slot).ok_or(FsError::Io)?;
        if !h.writing || s.state != SlotState::Writing {
            return Err(FsError::AccessViolation);
        }
        let end = s.len.checked_add(data.len()).ok_or(FsError::DiskFull)?;
        s.data
            .get_mut(s.len..end)
            .ok_or(FsError::DiskFull)?
            .copy_from_slice(data);
        s.len = end;
        Ok(())
    }

    fn close(&mut self, h: RamHandle) -> Result<(), FsError> {
        if !h.writing {
            return Ok(());
        }
        let name = match self.slots.get(h.slot) {
            Some(s) if s.state == SlotState::Writing => s.name.clone(),
            _ => return Err(FsError::Io),
        };
        if let Some(old) = self.find(&name).and_then(|i| self.slots.get_mut(i)) {
            old.state = SlotState::Free;
        }
        if let Some(s) = self.slots.get_mut(h.slot) {
            s.state = SlotState::Ready;
        }
        Ok(())
    }

    fn abort(&mut self, h: RamHandle) {
        if let Some(s) = self.slots.get_mut(h.slot)
            && h.writing
            && s.state == SlotState::Writing
        {
            s.state = SlotState::Free;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_abort_close() {
        let mut fs: RamFs<3, 64> = RamFs::new();
        fs.insert(b"a", b"hello").unwrap();
        let (mut h, size) = fs.open_read(b"a", Mode::Octet).unwrap();
        assert_eq!(size, Some(5));
        let mut buf = [0u8; 3];
        assert_eq!(fs.read_at(&mut h, 3, &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"lo");
        assert_eq!(fs.read_at(&mut h, 99, &mut buf).unwrap(), 0);

        // An aborted upload leaves the old file in place.
        let mut w = fs.open_write(b"a", Mode::Octet, None).unwrap();
        fs.write(&mut w, b"new").unwrap();
        fs.abort(w);
        assert_eq!(fs.file(b"a"), Some(&b"hello"[..]));

        let mut w = fs.open_write(b"a", Mode::Octet, Some(3)).unwrap();
        fs.write(&mut w, b"new").unwrap();
        assert_eq!(fs.file(b"a"), Some(&b"hello"[..]));
        fs.close(w).unwrap();
        assert_eq!(fs.file(b"a"), Some(&b"new"[..]));

        assert_eq!(
            fs.open_write(b"b", Mode::Octet, Some(65)).unwrap_err(),
            FsError::DiskFull
        );
        let mut w = fs.open_write(b"b", Mode::Octet, None).unwrap();
        assert_eq!(fs.write(&mut w, &[0; 65]).unwrap_err(), FsError::DiskFull);
        fs.abort(w);
        assert_eq!(
            fs.open_read(b"b", Mode::Octet).unwrap_err(),
            FsError::NotFound
        );

        fs.overwrite = false;
        assert_eq!(
            fs.open_write(b"a", Mode::Octet, None).unwrap_err(),
            FsError::FileExists
        );
        fs.read_only = true;
        assert_eq!(
            fs.open_write(b"c", Mode::Octet, None).unwrap_err(),
            FsError::AccessViolation
        );
        assert!(fs.remove(b"a"));
        assert_eq!(FsError::NotFound.code(), ErrorCode::FileNotFound);
        assert_eq!(FsError::FileExists.code(), ErrorCode::FileExists);
    }
}
