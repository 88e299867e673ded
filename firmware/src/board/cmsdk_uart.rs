//! Arm's CMSDK APB UART, the serial port of the MPS2 boards' FPGA images (and of many
//! Cortex-M33 and M55 parts built from Arm's subsystems), as an `embedded_io` byte stream,
//! polled like the STM32's USART: a received byte is read only when the data register holds
//! one, and an overrun is cleared, never read as data.

use core::convert::Infallible;
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicU32, Ordering};

use chi_embedded::link::rx::SerialErrors;

/// Receive overruns seen (the only error this UART reports).
static OVERRUNS: AtomicU32 = AtomicU32::new(0);

/// The line's errors so far (polled: QEMU holds a byte until it is read, so only a real
/// UART could overrun).
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub fn errors() -> SerialErrors {
    SerialErrors {
        overrun: OVERRUNS.load(Ordering::Relaxed),
        ..SerialErrors::default()
    }
}

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const STATE_RX_OVERRUN: u32 = 1 << 3;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;

/// The boards with this UART enable no device interrupt (it is polled).
pub fn no_interrupt(_irqn: i16) -> bool {
    false
}

/// A CMSDK UART at `BASE`, 8N1.
pub struct CmsdkUart<const BASE: usize> {
    _private: (),
}

impl<const BASE: usize> CmsdkUart<BASE> {
    fn register(offset: usize) -> *mut u32 {
        (BASE + offset) as *mut u32
    }

    /// Enables the UART at `baud` from its APB clock `pclk_hz` (the divider is at least
    /// 16, the smallest the UART accepts).
    pub(super) fn new(pclk_hz: u32, baud: u32) -> Self {
        let div = (pclk_hz / baud.max(1)).max(16);
        // SAFETY: start-up code, before anything else touches this UART's registers.
        unsafe {
            write_volatile(Self::register(BAUDDIV), div);
            write_volatile(Self::register(CTRL), CTRL_TX_EN | CTRL_RX_EN);
        }
        Self { _private: () }
    }

    fn state(&self) -> u32 {
        // SAFETY: a read of the UART's status register; this is its only owner.
        unsafe { read_volatile(Self::register(STATE)) }
    }

    fn read_byte(&mut self) -> u8 {
        loop {
            let state = self.state();
            if state & STATE_RX_OVERRUN != 0 {
                // Write one to clear; the byte that overran is lost, not invented.
                // SAFETY: as above.
                unsafe { write_volatile(Self::register(STATE), STATE_RX_OVERRUN) };
                OVERRUNS.store(
                    OVERRUNS.load(Ordering::Relaxed).wrapping_add(1),
                    Ordering::Relaxed,
                );
            }
            if state & STATE_RX_FULL != 0 {
                // SAFETY: as above; reading DATA empties the receive buffer.
                return unsafe { read_volatile(Self::register(DATA)) } as u8;
            }
        }
    }

    fn write_byte(&mut self, byte: u8) {
        while self.state() & STATE_TX_FULL != 0 {}
        // SAFETY: as above.
        unsafe { write_volatile(Self::register(DATA), u32::from(byte)) };
    }
}

impl<const BASE: usize> embedded_io::ErrorType for CmsdkUart<BASE> {
    type Error = Infallible;
}

impl<const BASE: usize> embedded_io::Read for CmsdkUart<BASE> {
    /// Blocks for the first byte, then takes whatever else is already there.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut n = 0;
        for slot in buf.iter_mut() {
            if n > 0 && self.state() & STATE_RX_FULL == 0 {
                break;
            }
            *slot = self.read_byte();
            n += 1;
        }
        Ok(n)
    }
}

impl<const BASE: usize> embedded_io::Write for CmsdkUart<BASE> {
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
