//! What is specific to the STM32F405: clocks, the USART, the tick counter. The rest of the
//! firmware sees only `embedded_io::{Read, Write}` and [`ticks`], so another chip is a new
//! version of this module.

pub mod clock;
pub mod systick;
pub mod usart;

pub use systick::ticks;
pub use usart::Usart1;

/// Brings the chip up: clocks (board only), the tick counter, USART1 at `baud`.
pub fn init(mut core: cortex_m::Peripherals, baud: u32) -> Usart1 {
    #[cfg(feature = "board")]
    clock::init();
    systick::start(&mut core.SYST);
    Usart1::new(baud)
}
