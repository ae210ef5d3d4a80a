//! The log: defmt frames over semihosting, decoded on the host.
//!
//! Every `defmt::info!` (and the other levels) becomes one frame: an index
//! into the format strings, which stay in the ELF's `.defmt` section and
//! never reach flash, and the arguments in binary. The host decodes with
//! `defmt-print -e FIRMWARE.elf` (`tools/run.sh`, the `cargo run` runner,
//! and `test.sh` do this), so a line reads as before:
//! `[1.234] http listening on 198.51.100.2:80 …`. Against `core::fmt` on the
//! device this saves about 30 KB of flash: the formatting code, the format
//! strings and the `Display` text of every logged error.
//!
//! A frame is gathered in [`FRAME`] and written with one semihosting
//! `SYS_WRITE` (a trap into QEMU per frame, not per argument). Frames longer
//! than the buffer are written in pieces. Logging holds a critical section
//! from `acquire` to `release`, so frames from interrupt handlers and tasks
//! never interleave.

#![allow(unsafe_code)]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_semihosting::hio;

defmt::timestamp!("{=u64:ms}", embassy_time::Instant::now().as_millis());

/// The logger defmt writes through (see the module docs).
#[defmt::global_logger]
struct SemihostingLogger;

/// Bytes of a frame gathered before a `SYS_WRITE`; most lines fit.
const FRAME_CAP: usize = 96;

/// The encoder and the frame's bytes, used only between `acquire` and
/// `release`.
struct State {
    encoder: defmt::Encoder,
    restore: critical_section::RestoreState,
    out: Out,
}

/// Encoded bytes on their way to the host.
struct Out {
    stdout: Option<hio::HostStream>,
    len: usize,
    buf: [u8; FRAME_CAP],
}

/// [`State`] behind the logger's lock (a critical section and [`TAKEN`]).
struct Frame(UnsafeCell<State>);

// SAFETY: the state is only touched between `acquire` and `release`, which
// hold a critical section (single core: no other context runs) and set
// `TAKEN`, so there is never more than one reference to it.
unsafe impl Sync for Frame {}

static FRAME: Frame = Frame(UnsafeCell::new(State {
    encoder: defmt::Encoder::new(),
    restore: critical_section::RestoreState::invalid(),
    out: Out {
        stdout: None,
        len: 0,
        buf: [0; FRAME_CAP],
    },
}));
/// Set while a frame is being written.
static TAKEN: AtomicBool = AtomicBool::new(false);

impl Out {
    /// Sends what is gathered to the host.
    fn send(&mut self) {
        if self.len == 0 {
            return;
        }
        if self.stdout.is_none() {
            self.stdout = hio::hstdout().ok();
        }
        if let Some(out) = self.stdout.as_mut() {
            // A failed write loses this piece of the log; nothing better to do.
            let _ = out.write_all(&self.buf[..self.len]);
        }
        self.len = 0;
    }

    /// Appends encoded bytes, sending whenever the buffer fills.
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = bytes.len().min(FRAME_CAP - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
            if self.len == FRAME_CAP {
                self.send();
            }
        }
    }
}

/// The state, for the frame being written.
///
/// # Safety
/// Only between `acquire` and `release` (see [`Frame`]).
unsafe fn state() -> &'static mut State {
    // SAFETY: the caller holds the logger (see `Frame`'s Sync note).
    unsafe { &mut *FRAME.0.get() }
}

// SAFETY: `acquire` takes a critical section and the `TAKEN` flag, which
// `release` gives back; `write`, `flush` and `release` are only called
// between them (defmt's contract), so frames never interleave.
unsafe impl defmt::Logger for SemihostingLogger {
    fn acquire() {
        // SAFETY: paired with the `release` in `Logger::release`.
        let restore = unsafe { critical_section::acquire() };
        if TAKEN.swap(true, Ordering::Relaxed) {
            // Logging from inside a `Format` impl, which defmt forbids; a
            // second reference to the state would be undefined behaviour.
            #[allow(clippy::panic)]
            {
                panic!("defmt logger taken reentrantly")
            }
        }
        // SAFETY: we now hold the logger.
        let s = unsafe { state() };
        s.restore = restore;
        s.encoder.start_frame(|b| s.out.push(b));
    }

    unsafe fn flush() {
        // SAFETY: defmt calls this only while we hold the logger.
        unsafe { state() }.out.send();
    }

    unsafe fn release() {
        // SAFETY: defmt calls this only while we hold the logger.
        let s = unsafe { state() };
        s.encoder.end_frame(|b| s.out.push(b));
        s.out.send();
        let restore = s.restore;
        TAKEN.store(false, Ordering::Relaxed);
        // SAFETY: paired with the `acquire` in `Logger::acquire`.
        unsafe { critical_section::release(restore) };
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: defmt calls this only while we hold the logger.
        let s = unsafe { state() };
        s.encoder.write(bytes, |b| s.out.push(b));
    }
}
