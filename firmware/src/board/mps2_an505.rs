//! A Cortex-M33 (the RP2350, nRF5340 and STM32U5 class): QEMU's `mps2-an505`, Arm's MPS2
//! board with the AN505 FPGA image (the IoT Kit subsystem, TrustZone). The firmware stays
//! in the Secure state it boots in and uses the Secure aliases: code in SSRAM1 at
//! 0x1000_0000, RAM in SSRAM2/3 at 0x3800_0000, UART0 at 0x5020_0000 (the memory and
//! peripheral protection controllers let Secure accesses through after reset).

use super::cmsdk_uart::CmsdkUart;
pub use super::cmsdk_uart::errors as serial_errors;

/// UART0, Secure alias.
type Uart0 = CmsdkUart<0x5020_0000>;

/// The link's serial port: UART0.
pub type Serial = super::serial::Serial<Uart0>;

/// SysTick ticks a second: QEMU counts the core clock at the board's 20 MHz SYSCLK.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub const TICK_HZ: f64 = 20e6;

/// UART0's receive interrupt (QEMU's wiring of the board).
const UART0_RX_IRQ: u16 = 32;

/// A device interrupt: UART0's receive.
pub fn interrupt(irqn: i16) -> bool {
    if irqn == UART0_RX_IRQ as i16 {
        Uart0::on_receive();
        return true;
    }
    false
}

/// QEMU's model of the board.
pub const QEMU_MACHINE: &str = "mps2-an505";

/// UART0 at `baud`.
pub fn init(baud: u32) -> Serial {
    super::serial::Serial(Uart0::new(20_000_000, baud, UART0_RX_IRQ))
}
