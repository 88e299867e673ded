//! The STM32F405's independent watchdog (IWDG, RM0090 section 19), on the board build only:
//! clocked by the 32 kHz LSI, so it runs whatever the main clock does, and once started
//! nothing but a reset stops it. The serial reader feeds it while it waits for the host;
//! a decision never does, so a step stuck in a loop starves it and the chip resets.

use core::ptr::write_volatile;

const KR: *mut u32 = 0x4000_3000 as *mut u32;
const PR: *mut u32 = 0x4000_3004 as *mut u32;
const RLR: *mut u32 = 0x4000_3008 as *mut u32;
const START: u32 = 0xCCCC;
const UNLOCK: u32 = 0x5555;
const FEED: u32 = 0xAAAA;

/// Starts the watchdog with a timeout of about `millis` (at most 4095): LSI 32 kHz / 32.
pub fn start(millis: u32) {
    // SAFETY: documented IWDG key, prescaler and reload writes, at start-up.
    unsafe {
        write_volatile(KR, START);
        write_volatile(KR, UNLOCK);
        write_volatile(PR, 0b011); // divide by 32: about 1 ms a count
        write_volatile(RLR, millis.clamp(1, 0x0FFF));
        write_volatile(KR, FEED);
    }
}

/// Restarts the countdown.
pub fn feed() {
    // SAFETY: the documented refresh key.
    unsafe { write_volatile(KR, FEED) };
}
