//! A Cortex-M7 (the STM32F7/H7 class): QEMU's `mps2-an500`, Arm's MPS2 board with the AN500
//! FPGA image. Code in ZBT SSRAM1 at 0, RAM in SSRAM2/3 at 0x2000_0000, UART0 carries the
//! link; everything runs at the 25 MHz SYSCLK.

use super::cmsdk_uart::CmsdkUart;
pub use super::cmsdk_uart::errors as serial_errors;

/// UART0.
type Uart0 = CmsdkUart<0x4000_4000>;

/// The link's serial port: UART0.
pub type Serial = super::serial::Serial<Uart0>;

/// SysTick ticks a second: QEMU counts the core clock at the board's 25 MHz SYSCLK.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub const TICK_HZ: f64 = 25e6;

/// UART0's receive interrupt (QEMU's wiring of the board).
const UART0_RX_IRQ: u16 = 0;

/// A device interrupt: UART0's receive.
pub fn interrupt(irqn: i16) -> bool {
    if irqn == UART0_RX_IRQ as i16 {
        Uart0::on_receive();
        return true;
    }
    false
}

/// QEMU's model of the board.
pub const QEMU_MACHINE: &str = "mps2-an500";

/// UART0 at `baud`.
pub fn init(baud: u32) -> Serial {
    super::serial::Serial(Uart0::new(25_000_000, baud, UART0_RX_IRQ))
}
