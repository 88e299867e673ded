//! A 64-bit tick counter from SysTick at the core clock: the 24-bit down-counter plus an
//! interrupt counting its wraps. On a board a tick is a core cycle; under QEMU with
//! `-icount shift=0` it is 1/0.168 instructions, deterministic from run to run (DWT's cycle
//! counter reads 0 in QEMU, so it cannot be used).

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;

const RELOAD: u32 = 0x00FF_FFFF;

static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Starts SysTick free-running at the core clock with its wrap interrupt.
pub fn start(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Ticks since [`start`].
pub fn ticks() -> u64 {
    loop {
        let before = WRAPS.load(Ordering::Relaxed);
        let current = SYST::get_current();
        // A wrap between the two reads shows as a changed count: read again.
        if WRAPS.load(Ordering::Relaxed) == before {
            return (u64::from(before) << 24) | u64::from(RELOAD - current);
        }
    }
}

/// embedded-hal's `DelayNs` on the tick counter: busy-waits, and costs no timer of its own
/// (SysTick already counts). A delay lasts at least what it asks, rounded up to a tick.
#[derive(Clone, Copy, Default)]
#[cfg_attr(
    not(any(all(feature = "board", feature = "selftest"), feature = "bench")),
    allow(dead_code)
)]
pub struct Delay;

impl embedded_hal::delay::DelayNs for Delay {
    fn delay_ns(&mut self, ns: u32) {
        let hz = super::TICK_HZ as u64;
        let wait = (u64::from(ns) * hz).div_ceil(1_000_000_000);
        let start = ticks();
        while ticks().wrapping_sub(start) < wait {}
    }
}
