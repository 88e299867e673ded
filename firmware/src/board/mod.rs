//! What is specific to a chip: its serial port, status LED, the rate SysTick counts at, and
//! its bring-up. The rest of the firmware sees only `embedded_io::{Read, Write}`, [`status`],
//! [`ticks`], [`Delay`] and [`TICK_HZ`]; build.rs picks the chip from the cargo features
//! (`chip` cfg) with its memory layout, so another chip is one file here, one line below and
//! one in build.rs. The STM32F405 stands on stm32f4xx-hal; the MPS2 boards, which have no
//! HAL, on the two small drivers beside it.

#[cfg(not(chip = "stm32f405"))]
mod cmsdk_uart;
#[cfg(not(chip = "stm32f405"))]
mod fpgaio_led;
#[cfg(not(chip = "stm32f405"))]
#[macro_use]
mod mps2;
mod serial;
#[cfg_attr(not(chip = "stm32f405"), allow(dead_code))]
mod shared;
mod systick;

#[cfg_attr(chip = "stm32f405", path = "stm32f405/mod.rs")]
#[cfg_attr(chip = "mps2-an500", path = "mps2_an500.rs")]
#[cfg_attr(chip = "mps2-an505", path = "mps2_an505.rs")]
mod chip;

#[cfg_attr(not(feature = "hil"), allow(unused_imports))]
pub use chip::{Serial, TICK_HZ, serial_errors, status};
// Used by the bench and by a board's self-test, which runs in real time.
#[cfg_attr(
    not(any(all(feature = "board", feature = "selftest"), feature = "bench")),
    allow(unused_imports)
)]
pub use systick::{Delay, ticks};

/// The QEMU machine the image is built for, NUL-padded, under a symbol the host reads from
/// the ELF to start QEMU with the right machine and CPU (`chi_host::firmware::machine`).
#[unsafe(no_mangle)]
#[used]
static CHI_QEMU_MACHINE: [u8; 32] = padded(chip::QEMU_MACHINE);

const fn padded(name: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() && i < out.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// A device interrupt (`irqn` from the vector): the chip's handler, or, for one the firmware
/// never enabled, masked so it cannot fire again.
pub fn interrupt(irqn: i16) {
    if chip::interrupt(irqn) {
        return;
    }
    if let Ok(n) = u16::try_from(irqn) {
        cortex_m::peripheral::NVIC::mask(Irq(n));
    }
}

/// A device interrupt by number, for cortex-m's NVIC calls (no device crate names them here).
#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: `number` is the device interrupt number the value was made with.
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// Unmasks device interrupt `irq` (a driver's last step of start-up, when what its handler
/// fills is ready).
fn unmask(irq: u16) {
    // SAFETY: the drivers unmask only their own receive interrupt, whose handler touches
    // nothing but its ring and registers, so no critical section is broken.
    unsafe { cortex_m::peripheral::NVIC::unmask(Irq(irq)) };
}

/// Brings the chip up: its clocks, status LED and serial port, then the tick counter.
/// `None` if the chip's peripherals were taken before or its clock cannot make `baud`.
pub fn init(mut core: cortex_m::Peripherals, baud: u32) -> Option<Serial> {
    let serial = chip::init(baud)?;
    systick::start(&mut core.SYST);
    Some(serial)
}
