//! What Arm's MPS2 boards share, whatever their FPGA image: UART0 is a CMSDK APB UART, LED 0
//! of the FPGA I/O block is the status LED, everything runs at the image's SYSCLK, and QEMU
//! models each board as a machine of that name. A board's file gives the numbers.

/// The items a chip file provides (`Serial`, `TICK_HZ`, `QEMU_MACHINE`, `init`, `interrupt`,
/// `status`, `serial_errors`) for an MPS2 board: its QEMU machine, SYSCLK, UART0's base and
/// receive interrupt, and the FPGA I/O block's base.
macro_rules! mps2_board {
    (
        machine: $machine:literal,
        sysclk_hz: $hz:literal,
        uart0: $uart:literal,
        uart0_rx_irq: $irq:literal,
        fpgaio: $fpgaio:literal $(,)?
    ) => {
        use embedded_hal::digital::OutputPin;

        use super::cmsdk_uart::CmsdkUart;
        pub use super::cmsdk_uart::errors as serial_errors;
        use super::fpgaio_led::FpgaioLed;

        /// UART0.
        type Uart0 = CmsdkUart<$uart>;

        /// The link's serial port: UART0.
        pub type Serial = super::serial::Serial<Uart0>;

        /// SysTick ticks a second: QEMU counts the core clock at the board's SYSCLK.
        pub const TICK_HZ: f64 = $hz as f64;

        /// QEMU's model of the board.
        pub const QEMU_MACHINE: &str = $machine;

        /// A device interrupt: UART0's receive.
        pub fn interrupt(irqn: i16) -> bool {
            if irqn == $irq {
                Uart0::on_receive();
                return true;
            }
            false
        }

        /// UART0 at `baud`.
        pub fn init(baud: u32) -> Option<Serial> {
            Some(super::serial::Serial(Uart0::new($hz, baud, $irq)))
        }

        /// Lights the status LED (LED 0 of the FPGA I/O block) or puts it out.
        pub fn status(on: bool) {
            let _ = FpgaioLed::<$fpgaio>.set_state(on.into());
        }
    };
}
