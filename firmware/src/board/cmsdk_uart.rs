//! Arm's CMSDK APB UART, the serial port of the MPS2 boards' FPGA images (and of many
//! Cortex-M33 and M55 parts built from Arm's subsystems), as an `embedded_io` byte stream.
//! Reception is interrupt-driven, as on the STM32: the receive interrupt moves each byte into
//! a ring (`chi_embedded::link::rx`) and counts overruns, which the reader never sees as
//! data; transmission is polled.

use core::ptr::{read_volatile, write_volatile};

use chi_embedded::link::rx::{LineStatus, RxRing, SerialErrors};

use super::serial::{Port, RX_BYTES};

/// What arrives while the controller computes (a board has one such UART in use).
static RX: RxRing<RX_BYTES> = RxRing::new();

/// The line's errors so far.
#[cfg_attr(not(feature = "hil"), allow(dead_code))]
pub fn errors() -> SerialErrors {
    RX.errors()
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
const CTRL_RX_INT_EN: u32 = 1 << 3;
const INTCLEAR: usize = 0x0C;
const INT_RX: u32 = 1 << 1;

/// A CMSDK UART at `BASE`, 8N1.
pub struct CmsdkUart<const BASE: usize> {
    _private: (),
}

impl<const BASE: usize> CmsdkUart<BASE> {
    fn register(offset: usize) -> *mut u32 {
        (BASE + offset) as *mut u32
    }

    /// Enables the UART at `baud` from its APB clock `pclk_hz` (the divider is at least
    /// 16, the smallest the UART accepts), and its receive interrupt `rx_irq`.
    pub(super) fn new(pclk_hz: u32, baud: u32, rx_irq: u16) -> Self {
        let div = (pclk_hz / baud.max(1)).max(16);
        // SAFETY: start-up code, before anything else touches this UART's registers; the
        // interrupt is unmasked last, when the ring it fills is ready.
        unsafe {
            write_volatile(Self::register(BAUDDIV), div);
            write_volatile(
                Self::register(CTRL),
                CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INT_EN,
            );
        }
        super::unmask(rx_irq);
        Self { _private: () }
    }

    /// The receive interrupt: every waiting byte into the ring, an overrun counted and
    /// cleared. The interrupt is acknowledged first and the data register read until it is
    /// empty: reading it lets the next byte in at once (QEMU delivers it before the read
    /// returns), and acknowledging after that read would clear the new byte's interrupt and
    /// leave it stranded.
    pub(super) fn on_receive() {
        // SAFETY: the UART's registers; only this handler reads DATA or clears STATE's and
        // INTCLEAR's receive bits.
        unsafe {
            write_volatile(Self::register(INTCLEAR), INT_RX);
            loop {
                let state = read_volatile(Self::register(STATE));
                let overrun = state & STATE_RX_OVERRUN != 0;
                if overrun {
                    write_volatile(Self::register(STATE), STATE_RX_OVERRUN);
                }
                if state & STATE_RX_FULL == 0 {
                    break;
                }
                let byte = read_volatile(Self::register(DATA)) as u8;
                RX.push(
                    byte,
                    LineStatus {
                        overrun,
                        ..LineStatus::default()
                    },
                );
            }
        }
    }
}

impl<const BASE: usize> Port for CmsdkUart<BASE> {
    fn ring() -> &'static RxRing<RX_BYTES> {
        &RX
    }

    /// Asleep until an interrupt.
    fn wait() {
        cortex_m::asm::wfi();
    }

    fn write_byte(&mut self, byte: u8) {
        // SAFETY: reads of the UART's status register, then a write of its data register.
        unsafe {
            while read_volatile(Self::register(STATE)) & STATE_TX_FULL != 0 {}
            write_volatile(Self::register(DATA), u32::from(byte));
        }
    }
}
