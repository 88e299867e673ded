//! Clock set-up of a real STM32F405/F407 board: 8 MHz HSE crystal -> PLL -> 168 MHz core,
//! APB2 84 MHz (USART1), APB1 42 MHz, flash at 5 wait states with caches.
//!
//! QEMU does not model the RCC: waiting for HSE or PLL lock would hang there, so the `qemu`
//! build never calls this and runs on the reset clock (QEMU times SysTick at 168 MHz anyway).
//! Untested here (no board on this machine); it follows RM0090 section 6.

#[cfg(feature = "board")]
use core::ptr::{read_volatile, write_volatile};

/// RCC registers (RM0090 6.3).
#[cfg(feature = "board")]
mod rcc {
    pub const BASE: usize = 0x4002_3800;
    pub const CR: *mut u32 = BASE as *mut u32;
    pub const PLLCFGR: *mut u32 = (BASE + 0x04) as *mut u32;
    pub const CFGR: *mut u32 = (BASE + 0x08) as *mut u32;
    pub const HSEON: u32 = 1 << 16;
    pub const HSERDY: u32 = 1 << 17;
    pub const PLLON: u32 = 1 << 24;
    pub const PLLRDY: u32 = 1 << 25;
}

/// FLASH_ACR: latency 5 WS, prefetch, instruction and data caches.
#[cfg(feature = "board")]
const FLASH_ACR: *mut u32 = 0x4002_3C00 as *mut u32;

/// APB2 clock after [`init`] (USART1's kernel clock).
#[cfg(feature = "board")]
pub const APB2_HZ: u32 = 84_000_000;

/// Switches the core to 168 MHz from the 8 MHz crystal.
#[cfg(feature = "board")]
pub fn init() {
    // SAFETY: single-threaded start-up code writing documented RCC/FLASH registers.
    unsafe {
        write_volatile(rcc::CR, read_volatile(rcc::CR) | rcc::HSEON);
        while read_volatile(rcc::CR) & rcc::HSERDY == 0 {}
        write_volatile(FLASH_ACR, 5 | (1 << 8) | (1 << 9) | (1 << 10));
        // PLLM 8, PLLN 336, PLLP 2 (bits 00), PLLSRC HSE, PLLQ 7: 8/8*336/2 = 168 MHz.
        write_volatile(rcc::PLLCFGR, 8 | (336 << 6) | (1 << 22) | (7 << 24));
        write_volatile(rcc::CR, read_volatile(rcc::CR) | rcc::PLLON);
        while read_volatile(rcc::CR) & rcc::PLLRDY == 0 {}
        // AHB /1, APB1 /4, APB2 /2, system clock from the PLL.
        write_volatile(rcc::CFGR, (0b101 << 10) | (0b100 << 13) | 0b10);
        while (read_volatile(rcc::CFGR) >> 2) & 0b11 != 0b10 {}
    }
}

/// USART1's kernel clock: 84 MHz on a board after [`init`], the 16 MHz HSI otherwise.
pub const fn apb2_hz() -> u32 {
    #[cfg(feature = "board")]
    {
        APB2_HZ
    }
    #[cfg(not(feature = "board"))]
    {
        16_000_000
    }
}
