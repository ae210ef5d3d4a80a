//! Time: an embassy-time driver over the LAN9118's 25 MHz FREE_RUN counter
//! (the monotonic clock) and SysTick (the alarm), and netcore's [`Clock`]
//! over embassy-time.
//!
//! - `now`: FREE_RUN extended from 32 to 64 bits in software (it wraps every
//!   171.8 s) and divided down to embassy's 1 MHz tick, so an embassy tick is
//!   exactly a netcore microsecond.
//! - Alarm: SysTick, one-shot in spirit: each interrupt wakes the expired
//!   timers and reprograms the reload for the next deadline, capped at
//!   [`MAX_SLEEP_US`] so the 32-bit extension never misses a wrap. With no
//!   timer pending the CPU still wakes every cap, which a real board would
//!   avoid with a low-power timer.
//! - SysTick counts the core clock, whose rate is measured against FREE_RUN
//!   at boot ([`init`]) instead of being assumed.

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use critical_section::{CriticalSection, Mutex};
use embassy_time_queue_utils::Queue;
use petrel_netcore::{Clock, Instant};

use crate::lan9118::{FREE_RUN_HZ, free_run};

/// FREE_RUN ticks per microsecond.
const TICKS_PER_US: u64 = (FREE_RUN_HZ / 1_000_000) as u64;
/// The longest SysTick sleep, microseconds (well under FREE_RUN's wrap and
/// under SysTick's 24-bit reach at 25 MHz).
const MAX_SLEEP_US: u64 = 500_000;
/// SysTick's reload register is 24 bits wide.
const SYST_MAX_RELOAD: u32 = 0x00FF_FFFF;

struct State {
    /// High 32 bits of the extended counter and the last raw value seen.
    high: u32,
    last: u32,
    /// The core clock in Hz as measured at boot (0 until [`init`]).
    core_hz: u32,
    syst: Option<SYST>,
    queue: Queue,
}

struct Driver {
    state: Mutex<RefCell<State>>,
    started: Mutex<Cell<bool>>,
}

impl Driver {
    fn now_cs(&self, cs: CriticalSection<'_>) -> u64 {
        // FREE_RUN restarts when the LAN9118 is reset, which the driver does
        // once, before `init`: until then time stands at zero.
        if !self.started.borrow(cs).get() {
            return 0;
        }
        let mut s = self.state.borrow_ref_mut(cs);
        let raw = free_run();
        if raw < s.last {
            s.high = s.high.wrapping_add(1);
        }
        s.last = raw;
        ((u64::from(s.high) << 32) | u64::from(raw)) / TICKS_PER_US
    }

    /// Wakes what has expired and programs SysTick for the next deadline.
    fn service(&self, cs: CriticalSection<'_>) {
        if !self.started.borrow(cs).get() {
            return;
        }
        let now = self.now_cs(cs);
        let mut s = self.state.borrow_ref_mut(cs);
        let next = s.queue.next_expiration(now);
        let sleep_us = next.saturating_sub(now).clamp(1, MAX_SLEEP_US);
        let cycles =
            (sleep_us * u64::from(s.core_hz) / 1_000_000).clamp(1, u64::from(SYST_MAX_RELOAD));
        if let Some(syst) = s.syst.as_mut() {
            syst.disable_counter();
            syst.set_reload(cycles as u32);
            syst.clear_current();
            syst.enable_counter();
        }
    }
}

impl embassy_time_driver::Driver for Driver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.now_cs(cs))
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let changed = self.state.borrow_ref_mut(cs).queue.schedule_wake(at, waker);
            if changed {
                self.service(cs);
            }
        })
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: Driver = Driver {
    state: Mutex::new(RefCell::new(State {
        high: 0,
        last: 0,
        core_hz: 0,
        syst: None,
        queue: Queue::new(),
    })),
    started: Mutex::new(Cell::new(false)),
});

/// Measures the core clock against FREE_RUN (10 ms), then hands SysTick to
/// the driver and starts its interrupt. Returns the measured rate in Hz.
///
/// Call after `Lan9118::init`: the chip's soft reset restarts FREE_RUN.
pub(crate) fn init(mut syst: SYST) -> u32 {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(SYST_MAX_RELOAD);
    syst.clear_current();
    syst.enable_counter();
    let window = FREE_RUN_HZ / 100;
    let t0 = free_run();
    let c0 = SYST::get_current();
    // Bounded: FREE_RUN advances in virtual time whatever the CPU does; the
    // count limit only guards against a stopped counter.
    let mut spins = 0u32;
    while free_run().wrapping_sub(t0) < window && spins < 50_000_000 {
        spins += 1;
    }
    let c1 = SYST::get_current();
    let elapsed_ticks = free_run().wrapping_sub(t0);
    // SysTick counts down; 10 ms at up to 1.6 GHz fits in 24 bits.
    let cycles = c0.wrapping_sub(c1) & SYST_MAX_RELOAD;
    let core_hz = if elapsed_ticks == 0 {
        FREE_RUN_HZ
    } else {
        (u64::from(cycles) * u64::from(FREE_RUN_HZ) / u64::from(elapsed_ticks)) as u32
    };
    let core_hz = if core_hz == 0 { FREE_RUN_HZ } else { core_hz };
    syst.disable_counter();
    syst.enable_interrupt();
    critical_section::with(|cs| {
        {
            let mut s = DRIVER.state.borrow_ref_mut(cs);
            s.core_hz = core_hz;
            s.syst = Some(syst);
            s.last = free_run();
        }
        DRIVER.started.borrow(cs).set(true);
        DRIVER.service(cs);
    });
    core_hz
}

/// The SysTick interrupt: wake expired timers, re-arm.
#[cortex_m_rt::exception]
fn SysTick() {
    critical_section::with(|cs| DRIVER.service(cs));
}

/// netcore's clock over embassy-time (1 tick = 1 µs).
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct BoardClock;

impl Clock for BoardClock {
    fn now(&self) -> Instant {
        Instant::from_micros(embassy_time::Instant::now().as_micros())
    }

    // embassy's `Timer` itself (16 bytes), not an `async fn` around it.
    fn sleep_until(&self, deadline: Instant) -> impl core::future::Future<Output = ()> {
        embassy_time::Timer::at(embassy_time::Instant::from_micros(deadline.as_micros()))
    }
}
