//! The STM32F405 (Cortex-M4F at 168 MHz) on stm32f4xx-hal: QEMU's netduinoplus2, or a real
//! board (feature `board`). USART1 carries the link, PC1 is the status LED.
//!
//! The board build targets the Adafruit Feather STM32F405 Express (12 MHz crystal, red LED
//! on PC1, USART1 on the TX/RX pins); another F405/F407 board changes [`HSE_HZ`] and
//! [`Led`]'s pin.

mod usart;
#[cfg(feature = "board")]
mod watchdog;

use stm32f4xx_hal::gpio::{Output, PC1};
use stm32f4xx_hal::pac;
use stm32f4xx_hal::prelude::*;
use stm32f4xx_hal::rcc::Config;

use super::shared::Shared;

pub use usart::errors as serial_errors;

/// The link's serial port: USART1.
pub type Serial = super::serial::Serial<usart::Usart1>;

/// The core clock on a board: the HAL derives the PLL from the crystal.
const SYSCLK_HZ: u32 = 168_000_000;

/// The board's crystal.
#[cfg(feature = "board")]
const HSE_HZ: u32 = 12_000_000;

/// SysTick ticks a second: the core clock on a board. QEMU's netduinoplus2 counts SysTick
/// at 168 MHz of virtual time whatever the RCC says (it does not model the RCC), and
/// `-icount shift=0` advances that time 1 ns an instruction.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub const TICK_HZ: f64 = SYSCLK_HZ as f64;

/// QEMU's model of the chip.
pub const QEMU_MACHINE: &str = "netduinoplus2";

/// The status LED, lit while a decision computes (a scope on it shows each step's time).
type Led = PC1<Output>;

static LED: Shared<Led> = Shared::new();

/// A device interrupt: USART1's receive; any other is masked (none is enabled).
pub fn interrupt(irqn: i16) -> bool {
    if irqn == pac::Interrupt::USART1 as i16 {
        usart::on_receive();
        return true;
    }
    false
}

/// The clocks: on a board the crystal through the PLL to 168 MHz. QEMU's RCC reads as zeros,
/// so waiting for the crystal or the PLL to lock would never end: there the HAL keeps the
/// 16 MHz HSI, which waits on nothing (QEMU's USART ignores the baud rate anyway).
fn clocks() -> Config {
    #[cfg(feature = "board")]
    {
        Config::hse(HSE_HZ.Hz()).sysclk(SYSCLK_HZ.Hz())
    }
    #[cfg(not(feature = "board"))]
    {
        Config::hsi()
    }
}

/// Clocks, the status LED, USART1 at `baud`, and on a board the watchdog. `None` if the
/// device peripherals were already taken or the baud rate cannot be made from the clock.
pub fn init(baud: u32) -> Option<Serial> {
    let dp = pac::Peripherals::take()?;
    let mut rcc = dp.RCC.freeze(clocks());
    let gpioa = dp.GPIOA.split(&mut rcc);
    let gpioc = dp.GPIOC.split(&mut rcc);
    LED.put(gpioc.pc1.into_push_pull_output());
    // A step of the slowest task is 0.2 s; a second without the reader feeding it means a
    // decision is stuck.
    #[cfg(feature = "board")]
    watchdog::start(dp.IWDG, 1000);
    let usart = usart::Usart1::new(dp.USART1, (gpioa.pa9, gpioa.pa10), baud, &mut rcc)?;
    Some(super::serial::Serial(usart))
}

/// Lights the status LED (`on`) or puts it out.
pub fn status(on: bool) {
    LED.with(|led| led.set_state(on.into()));
}
