//! USART1 (PA9 TX, PA10 RX) as an `embedded_io` byte stream, on the HAL's serial driver. QEMU's
//! netduinoplus2 models its registers and bridges it to a host chardev (`-serial`), a board
//! wires it to a USB-serial adapter or the debug probe's VCP.
//!
//! Reception is interrupt-driven: a control step computes for milliseconds while bytes keep
//! arriving (at 115200 baud one every 87 us), and a polled receiver would lose all but the
//! first. The receive interrupt moves each byte into a ring (`chi_embedded::link::rx`) and
//! counts overruns, framing and noise errors, which are never read as data (the HAL reads
//! and discards the byte that came with an error); the link's reader takes bytes from the
//! ring when it is ready. The interrupt preempts a decision for a few dozen cycles a byte
//! and touches none of its state. Transmission stays polled: the firmware has nothing else
//! to do while it answers.

use chi_embedded::link::rx::{LineStatus, RxRing, SerialErrors};
use embedded_hal_nb::serial::{Read, Write};
use stm32f4xx_hal::gpio::{PA9, PA10};
use stm32f4xx_hal::pac::{self, USART1};
use stm32f4xx_hal::prelude::*;
use stm32f4xx_hal::rcc::Rcc;
use stm32f4xx_hal::serial::{self, Rx, Tx};

use crate::board::serial::{Port, RX_BYTES};
use crate::board::shared::Shared;

/// What arrives while the controller computes.
static RX: RxRing<RX_BYTES> = RxRing::new();

/// The receiving half, which only the interrupt reads.
static RECEIVER: Shared<Rx<USART1>> = Shared::new();

/// USART1, 8N1: the transmitting half (the receiving half belongs to the interrupt).
pub struct Usart1 {
    tx: Tx<USART1>,
}

impl Usart1 {
    /// USART1 at `baud` with its receive interrupt on; `None` if the clock cannot make the
    /// baud rate.
    pub(super) fn new(usart: USART1, pins: (PA9, PA10), baud: u32, rcc: &mut Rcc) -> Option<Self> {
        let config = serial::Config::default().baudrate(baud.bps());
        let port: serial::Serial<USART1> = serial::Serial::new(usart, pins, config, rcc).ok()?;
        let (tx, mut rx) = port.split();
        rx.listen();
        RECEIVER.put(rx);
        // Unmasked last, when the receiver and the ring it fills are ready.
        crate::board::unmask(pac::Interrupt::USART1 as u16);
        Some(Self { tx })
    }
}

/// The receive interrupt: every byte the USART holds into the ring, every error counted.
pub(super) fn on_receive() {
    RECEIVER.with(|rx| {
        loop {
            match rx.read() {
                Ok(byte) => RX.push(byte, LineStatus::default()),
                Err(nb::Error::WouldBlock) => break,
                Err(nb::Error::Other(e)) => RX.lost(LineStatus {
                    overrun: e == serial::Error::Overrun,
                    framing: matches!(e, serial::Error::FrameFormat | serial::Error::Parity),
                    noise: e == serial::Error::Noise,
                }),
            }
        }
    });
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
        // Writing a byte has no error on this USART: only waiting for room.
        let _ = nb::block!(self.tx.write(byte));
    }
}
