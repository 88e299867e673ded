//! The independent watchdog (IWDG), on the board build only: clocked by the 32 kHz LSI, so it
//! runs whatever the main clock does, and once started nothing but a reset stops it. The
//! serial reader feeds it while it waits for the host; a decision never does, so a step
//! stuck in a loop starves it and the chip resets.

use stm32f4xx_hal::pac::IWDG;
use stm32f4xx_hal::prelude::*;
use stm32f4xx_hal::watchdog::IndependentWatchdog;

use crate::board::shared::Shared;

static DOG: Shared<IndependentWatchdog> = Shared::new();

/// Starts the watchdog with a timeout of `millis`.
pub fn start(iwdg: IWDG, millis: u32) {
    let mut dog = IndependentWatchdog::new(iwdg);
    dog.start(millis.millis());
    DOG.put(dog);
}

/// Restarts the countdown.
pub fn feed() {
    DOG.with(IndependentWatchdog::feed);
}
