//! A Cortex-M33 (the RP2350, nRF5340 and STM32U5 class): QEMU's `mps2-an505`, Arm's MPS2
//! board with the AN505 FPGA image (the IoT Kit subsystem, TrustZone). The firmware stays
//! in the Secure state it boots in and uses the Secure aliases: code in SSRAM1 at
//! 0x1000_0000, RAM in SSRAM2/3 at 0x3800_0000, UART0 at 0x5020_0000 (the memory and
//! peripheral protection controllers let Secure accesses through after reset).

use super::cmsdk_uart::CmsdkUart;

/// UART0, Secure alias.
pub type Serial = CmsdkUart<0x5020_0000>;

/// SysTick ticks a second: QEMU counts the core clock at the board's 20 MHz SYSCLK.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub const TICK_HZ: f64 = 20e6;

/// QEMU's model of the board.
pub const QEMU_MACHINE: &str = "mps2-an505";

/// The line's errors so far (the MPS2 UARTs are polled: QEMU holds a byte until it is read).
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub fn serial_errors() -> chi_embedded::link::rx::SerialErrors {
    super::cmsdk_uart::errors()
}

/// No device interrupt is enabled on these boards.
pub fn interrupt(_irqn: i16) -> bool {
    false
}

/// UART0 at `baud`.
pub fn init(baud: u32) -> Serial {
    Serial::new(20_000_000, baud)
}
