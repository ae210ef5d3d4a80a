//! The executor loop: embassy-executor's raw executor, asleep in `wfi`
//! whenever no task is ready.
//!
//! embassy's own Cortex-M thread executor idles with `wfe`, which QEMU (7.2)
//! implements as a plain yield, so an idle firmware would spin at 100 % of a
//! host core. `wfi` really halts the emulated core until an interrupt, on
//! QEMU and on silicon alike. The wake-up protocol is race-free: the pender
//! sets a flag; the loop checks it with interrupts masked and only then
//! executes `wfi`, which still returns on an interrupt that became pending
//! while masked.

use core::sync::atomic::{AtomicBool, Ordering};

use embassy_executor::{Spawner, raw};

/// Set when a task was woken and the executor must poll again.
static PENDING: AtomicBool = AtomicBool::new(false);
/// Executor polls since boot (a busy firmware shows up here).
pub(crate) static POLLS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
/// Times the loop went to sleep.
pub(crate) static SLEEPS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Called by embassy-executor (from tasks or interrupts) when a task becomes
/// ready.
#[allow(unsafe_code)]
// SAFETY: `__pender` is the symbol embassy-executor declares (with this
// Rust-ABI signature) for exactly this purpose when no platform feature
// provides one; nothing else in the program exports it.
#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    PENDING.store(true, Ordering::Release);
}

/// A thread-mode executor that sleeps with `wfi`.
pub(crate) struct WfiExecutor {
    inner: raw::Executor,
}

impl WfiExecutor {
    /// A new executor (place it in a `static` to run it).
    pub(crate) fn new() -> Self {
        WfiExecutor {
            inner: raw::Executor::new(core::ptr::null_mut()),
        }
    }

    /// Calls `init` with a spawner, then runs the tasks forever.
    pub(crate) fn run(&'static mut self, init: impl FnOnce(Spawner)) -> ! {
        init(self.inner.spawner());
        loop {
            #[allow(unsafe_code)]
            // SAFETY: `poll` must not run re-entrantly or concurrently; it is
            // only ever called here, in thread mode, by this one loop (no
            // interrupt handler polls the executor).
            unsafe {
                self.inner.poll()
            };
            POLLS.fetch_add(1, Ordering::Relaxed);
            cortex_m::interrupt::free(|_| {
                if !PENDING.swap(false, Ordering::AcqRel) {
                    SLEEPS.fetch_add(1, Ordering::Relaxed);
                    cortex_m::asm::wfi();
                }
            });
        }
    }
}
