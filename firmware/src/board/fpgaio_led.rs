//! LED 0 of the MPS2 boards' FPGA I/O block (its LED0 register, bit 0), as an embedded-hal
//! `OutputPin`: the status LED of the MPS2 chips. QEMU models the register (its
//! `mps2_fpgaio_write` trace event shows each change).

use core::convert::Infallible;
use core::ptr::{read_volatile, write_volatile};

use embedded_hal::digital::{ErrorType, OutputPin};

/// LED 0 of the FPGA I/O block at `BASE`.
pub struct FpgaioLed<const BASE: usize>;

impl<const BASE: usize> FpgaioLed<BASE> {
    /// The LED0 register, at the block's start.
    const LED0: *mut u32 = BASE as *mut u32;

    fn update(bit: bool) {
        // SAFETY: the FPGA I/O block's LED register, which only this driver writes.
        unsafe {
            let leds = read_volatile(Self::LED0);
            write_volatile(Self::LED0, (leds & !1) | u32::from(bit));
        }
    }
}

impl<const BASE: usize> ErrorType for FpgaioLed<BASE> {
    type Error = Infallible;
}

impl<const BASE: usize> OutputPin for FpgaioLed<BASE> {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Self::update(false);
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        Self::update(true);
        Ok(())
    }
}
