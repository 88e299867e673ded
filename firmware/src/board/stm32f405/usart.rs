//! USART1 (PA9 TX, PA10 RX, AF7) as an `embedded_io` byte stream. QEMU's netduinoplus2 models
//! its registers and bridges it to a host chardev (`-serial`), a board wires it to a
//! USB-serial adapter or the debug probe's VCP.
//!
//! Reception is interrupt-driven: a control step computes for milliseconds while bytes keep
//! arriving (at 115200 baud one every 87 us), and a polled receiver would lose all but the
//! first. The receive interrupt moves each byte into a ring (`chi_embedded::link::rx`) and
//! counts overruns, framing and noise errors, which are never read as data; the link's
//! reader takes bytes from the ring when it is ready. The interrupt preempts a decision
//! for a few dozen cycles a byte and touches none of its state. Transmission stays polled:
//! the firmware has nothing else to do while it answers.

use core::ptr::{read_volatile, write_volatile};

use chi_embedded::link::rx::{LineStatus, RxRing, SerialErrors};

use crate::board::serial::{Port, RX_BYTES};

const RCC_AHB1ENR: *mut u32 = 0x4002_3830 as *mut u32;
const RCC_APB2ENR: *mut u32 = 0x4002_3844 as *mut u32;
const GPIOA: usize = 0x4002_0000;
const GPIOA_MODER: *mut u32 = GPIOA as *mut u32;
const GPIOA_AFRH: *mut u32 = (GPIOA + 0x24) as *mut u32;
const USART1: usize = 0x4001_1000;
const SR: *mut u32 = USART1 as *mut u32;
const DR: *mut u32 = (USART1 + 0x04) as *mut u32;
const BRR: *mut u32 = (USART1 + 0x08) as *mut u32;
const CR1: *mut u32 = (USART1 + 0x0C) as *mut u32;
const SR_FE: u32 = 1 << 1;
const SR_NE: u32 = 1 << 2;
const SR_ORE: u32 = 1 << 3;
const SR_RXNE: u32 = 1 << 5;
const SR_TXE: u32 = 1 << 7;
const CR1_UE: u32 = 1 << 13;
const CR1_RXNEIE: u32 = 1 << 5;
const CR1_TE: u32 = 1 << 3;
const CR1_RE: u32 = 1 << 2;
/// USART1's interrupt number (RM0090 table 61).
pub(super) const USART1_IRQ: u16 = 37;

/// What arrives while the controller computes.
static RX: RxRing<RX_BYTES> = RxRing::new();

/// USART1, 8N1. Only one exists: [`crate::board::init`] makes it.
pub struct Usart1 {
    _private: (),
}

impl Usart1 {
    pub(super) fn new(baud: u32) -> Self {
        let div = super::clock::apb2_hz().div_ceil(baud.max(1));
        // SAFETY: start-up code, before anything else touches these registers; the receive
        // interrupt is unmasked last, when the ring it fills is ready.
        unsafe {
            write_volatile(RCC_AHB1ENR, read_volatile(RCC_AHB1ENR) | 1); // GPIOA
            write_volatile(RCC_APB2ENR, read_volatile(RCC_APB2ENR) | (1 << 4)); // USART1
            // PA9, PA10: alternate function 7.
            let moder = read_volatile(GPIOA_MODER) & !(0b1111 << 18);
            write_volatile(GPIOA_MODER, moder | (0b1010 << 18));
            let afrh = read_volatile(GPIOA_AFRH) & !(0xFF << 4);
            write_volatile(GPIOA_AFRH, afrh | (0x77 << 4));
            write_volatile(BRR, div & 0xFFFF);
            write_volatile(CR1, CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE);
        }
        crate::board::unmask(USART1_IRQ);
        Self { _private: () }
    }
}

/// The receive interrupt: reads the status, then the byte (which clears RXNE and, after the
/// status read, the error flags) into the ring.
pub(super) fn on_receive() {
    // SAFETY: reads of USART1's status and data registers; only this handler reads DR.
    let (sr, dr) = unsafe { (read_volatile(SR), read_volatile(DR)) };
    if sr & (SR_RXNE | SR_ORE) != 0 {
        RX.push(
            dr as u8,
            LineStatus {
                overrun: sr & SR_ORE != 0,
                framing: sr & SR_FE != 0,
                noise: sr & SR_NE != 0,
            },
        );
    }
}

/// The line's errors so far.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub fn errors() -> SerialErrors {
    RX.errors()
}

impl Port for Usart1 {
    fn ring() -> &'static RxRing<RX_BYTES> {
        &RX
    }

    /// Waiting for the host is not a stuck decision: feeds the watchdog (board build).
    fn wait() {
        #[cfg(feature = "board")]
        super::watchdog::feed();
        core::hint::spin_loop();
    }

    fn write_byte(&mut self, byte: u8) {
        // SAFETY: USART1's status and data registers; the interrupt reads DR only.
        unsafe {
            while read_volatile(SR) & SR_TXE == 0 {}
            write_volatile(DR, u32::from(byte));
        }
    }
}
