//! Cuts a byte stream into frames at zero bytes, in a fixed buffer.

use super::message::ErrorKind;

/// Collects the bytes of one frame until its zero. A frame longer than `N` is dropped whole
/// (reported once, at its zero), so a flood of garbage never grows anything and the next
/// frame starts clean.
pub struct FrameReader<const N: usize> {
    buf: [u8; N],
    len: usize,
    overflowed: bool,
}

impl<const N: usize> Default for FrameReader<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameReader<N> {
    /// An empty reader.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            overflowed: false,
        }
    }

    /// Takes one byte. At a zero it returns the frame collected since the previous zero
    /// (without the zero), or [`ErrorKind::Oversized`] if it did not fit. Zeros with nothing
    /// before them (idle line, a host flushing the board's reader) return nothing.
    pub fn push(&mut self, byte: u8) -> Option<Result<&mut [u8], ErrorKind>> {
        if byte != 0 {
            match self.buf.get_mut(self.len) {
                Some(slot) if !self.overflowed => {
                    *slot = byte;
                    self.len += 1;
                }
                _ => self.overflowed = true,
            }
            return None;
        }
        let (len, overflowed) = (self.len, self.overflowed);
        self.len = 0;
        self.overflowed = false;
        if overflowed {
            return Some(Err(ErrorKind::Oversized));
        }
        if len == 0 {
            return None;
        }
        self.buf.get_mut(..len).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames<const N: usize>(
        reader: &mut FrameReader<N>,
        bytes: &[u8],
    ) -> Vec<Result<Vec<u8>, ErrorKind>> {
        bytes
            .iter()
            .filter_map(|b| reader.push(*b).map(|r| r.map(|f| f.to_vec())))
            .collect()
    }

    #[test]
    fn splits_at_zeros_and_skips_idle_zeros() {
        let mut r = FrameReader::<4>::new();
        let got = frames(&mut r, &[0, 0, 1, 2, 0, 0, 3, 0]);
        assert_eq!(got, vec![Ok(vec![1, 2]), Ok(vec![3])]);
    }

    #[test]
    fn an_oversized_frame_is_reported_once_and_the_next_is_read() {
        let mut r = FrameReader::<4>::new();
        let got = frames(&mut r, &[1, 2, 3, 4, 5, 6, 7, 0, 9, 9, 9, 9, 0]);
        assert_eq!(got, vec![Err(ErrorKind::Oversized), Ok(vec![9, 9, 9, 9])]);
    }
}
