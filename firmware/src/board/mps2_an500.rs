//! A Cortex-M7 (the STM32F7/H7 class): QEMU's `mps2-an500`, Arm's MPS2 board with the AN500
//! FPGA image. Code in ZBT SSRAM1 at 0, RAM in SSRAM2/3 at 0x2000_0000, UART0 carries the
//! link (its receive interrupt is QEMU's wiring); everything runs at the 25 MHz SYSCLK.

mps2_board! {
    machine: "mps2-an500",
    sysclk_hz: 25_000_000,
    uart0: 0x4000_4000,
    uart0_rx_irq: 0,
    fpgaio: 0x4002_8000,
}
