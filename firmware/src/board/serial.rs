//! A UART behind `embedded_io`, the same on every chip: reception from the ring the port's
//! receive interrupt fills (`chi_embedded::link::rx`), transmission a byte at a time.

use core::convert::Infallible;

use chi_embedded::link::rx::RxRing;

/// Bytes of a receive ring: 0.36 s of a saturated line at 115200 baud (longer than
/// Half-Cheetah's 0.2 s period), 44 ms at 921600.
pub const RX_BYTES: usize = 4096;

/// What a chip's UART driver provides.
pub trait Port {
    /// The ring its receive interrupt fills.
    fn ring() -> &'static RxRing<RX_BYTES>;
    /// Called while the reader waits for the host (the only time it waits).
    fn wait();
    /// Sends one byte, waiting for room.
    fn write_byte(&mut self, byte: u8);
}

/// The link's serial port: a chip's UART driver.
pub struct Serial<P>(pub P);

impl<P: Port> embedded_io::ErrorType for Serial<P> {
    type Error = Infallible;
}

impl<P: Port> embedded_io::Read for Serial<P> {
    /// Waits for the first byte, then takes whatever else the ring holds.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut n = 0;
        for slot in buf.iter_mut() {
            let byte = loop {
                match P::ring().pop() {
                    Some(b) => break Some(b),
                    None if n > 0 => break None,
                    None => P::wait(),
                }
            };
            let Some(byte) = byte else { break };
            *slot = byte;
            n += 1;
        }
        Ok(n)
    }
}

impl<P: Port> embedded_io::Write for Serial<P> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for b in buf {
            self.0.write_byte(*b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
