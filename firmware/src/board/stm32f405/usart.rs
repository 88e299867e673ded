//! USART1 (PA9 TX, PA10 RX, AF7) as an `embedded_io` byte stream, polled. QEMU's
//! netduinoplus2 models its registers and bridges it to a host chardev (`-serial`), a board
//! wires it to a USB-serial adapter or the debug probe's VCP.
//!
//! Polled, not interrupt-driven: the firmware has nothing else to do while it waits for a
//! state, and the controller must not be interrupted mid-decision. QEMU holds back the next
//! byte until the data register is read, so nothing is lost there; on a board at 115200 baud
//! a byte takes 87 us, and the host sends the next frame only after the reply.

use core::convert::Infallible;
use core::ptr::{read_volatile, write_volatile};

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
const SR_RXNE: u32 = 1 << 5;
const SR_TXE: u32 = 1 << 7;
const SR_ORE: u32 = 1 << 3;
const CR1_UE: u32 = 1 << 13;
const CR1_TE: u32 = 1 << 3;
const CR1_RE: u32 = 1 << 2;

/// USART1, 8N1, polled. Only one exists: [`crate::board::init`] makes it.
pub struct Usart1 {
    _private: (),
}

impl Usart1 {
    pub(super) fn new(baud: u32) -> Self {
        let div = super::clock::apb2_hz().div_ceil(baud.max(1));
        // SAFETY: start-up code, before anything else touches these registers.
        unsafe {
            write_volatile(RCC_AHB1ENR, read_volatile(RCC_AHB1ENR) | 1); // GPIOA
            write_volatile(RCC_APB2ENR, read_volatile(RCC_APB2ENR) | (1 << 4)); // USART1
            // PA9, PA10: alternate function 7.
            let moder = read_volatile(GPIOA_MODER) & !(0b1111 << 18);
            write_volatile(GPIOA_MODER, moder | (0b1010 << 18));
            let afrh = read_volatile(GPIOA_AFRH) & !(0xFF << 4);
            write_volatile(GPIOA_AFRH, afrh | (0x77 << 4));
            write_volatile(BRR, div & 0xFFFF);
            write_volatile(CR1, CR1_UE | CR1_TE | CR1_RE);
        }
        Self { _private: () }
    }

    fn read_byte(&mut self) -> u8 {
        loop {
            // SAFETY: reads of USART1's status and data registers; this is its only owner.
            let sr = unsafe { read_volatile(SR) };
            if sr & (SR_RXNE | SR_ORE) != 0 {
                // Reading DR clears RXNE (and, after SR, an overrun).
                return unsafe { read_volatile(DR) } as u8;
            }
        }
    }

    fn ready_to_read(&self) -> bool {
        // SAFETY: as above.
        unsafe { read_volatile(SR) & SR_RXNE != 0 }
    }

    fn write_byte(&mut self, byte: u8) {
        // SAFETY: as above.
        unsafe {
            while read_volatile(SR) & SR_TXE == 0 {}
            write_volatile(DR, u32::from(byte));
        }
    }
}

impl embedded_io::ErrorType for Usart1 {
    type Error = Infallible;
}

impl embedded_io::Read for Usart1 {
    /// Blocks for the first byte, then takes whatever else is already there.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut n = 0;
        for slot in buf.iter_mut() {
            if n > 0 && !self.ready_to_read() {
                break;
            }
            *slot = self.read_byte();
            n += 1;
        }
        Ok(n)
    }
}

impl embedded_io::Write for Usart1 {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for b in buf {
            self.write_byte(*b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
