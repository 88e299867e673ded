//! A Cortex-M33 (the RP2350, nRF5340 and STM32U5 class): QEMU's `mps2-an505`, Arm's MPS2
//! board with the AN505 FPGA image (the IoT Kit subsystem, TrustZone). The firmware stays
//! in the Secure state it boots in and uses the Secure aliases: code in SSRAM1 at
//! 0x1000_0000, RAM in SSRAM2/3 at 0x3800_0000, UART0 at 0x5020_0000, the FPGA I/O block at
//! 0x5030_2000 (the memory and peripheral protection controllers let Secure accesses through
//! after reset). Everything runs at the 20 MHz SYSCLK.

mps2_board! {
    machine: "mps2-an505",
    sysclk_hz: 20_000_000,
    uart0: 0x5020_0000,
    uart0_rx_irq: 32,
    fpgaio: 0x5030_2000,
}
