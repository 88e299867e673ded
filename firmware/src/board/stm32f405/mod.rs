//! The STM32F405 (Cortex-M4F at 168 MHz): QEMU's netduinoplus2, or a real board (feature
//! `board`: clocks from the 8 MHz crystal). USART1 carries the link.

mod clock;
mod usart;
#[cfg(feature = "board")]
mod watchdog;

pub use usart::errors as serial_errors;

/// The link's serial port: USART1.
pub type Serial = super::serial::Serial<usart::Usart1>;

/// SysTick ticks a second: the core clock on a board. QEMU's netduinoplus2 counts SysTick
/// at 168 MHz of virtual time, which `-icount shift=0` advances 1 ns an instruction.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub const TICK_HZ: f64 = 168e6;

/// QEMU's model of the chip.
pub const QEMU_MACHINE: &str = "netduinoplus2";

/// A device interrupt: USART1's receive; any other is masked (none is enabled).
pub fn interrupt(irqn: i16) -> bool {
    if irqn == usart::USART1_IRQ as i16 {
        usart::on_receive();
        return true;
    }
    false
}

/// Clocks (board only) and USART1 at `baud`.
pub fn init(baud: u32) -> Serial {
    #[cfg(feature = "board")]
    clock::init();
    // A step of the slowest task is 0.2 s; a second without the reader feeding it means a
    // decision is stuck.
    #[cfg(feature = "board")]
    watchdog::start(1000);
    super::serial::Serial(usart::Usart1::new(baud))
}
