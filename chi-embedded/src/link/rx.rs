//! Serial reception that loses nothing while the controller computes: the UART's receive
//! interrupt pushes each byte into a ring buffer and counts the line's errors; the link's
//! reader pops bytes when it is ready. A byte that arrives with a framing or noise error is
//! counted and dropped, never read as data; an overrun (a byte the UART lost before the
//! interrupt ran) and a full ring are counted too, and the board reports all four in its
//! `Info` reply.
//!
//! Sizing: at 115200 baud 8N1 a line carries 11 520 bytes a second, so a ring of `N` bytes
//! holds what arrives during a step of `N / 11 520` s (4096 bytes: 0.36 s, longer than
//! Half-Cheetah's 0.2 s period; at 921 600 baud, 44 ms). The host sends a frame at a time
//! and waits for the reply, so the ring overflows only when a host pipelines more than it
//! holds.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// The line's errors since the board started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SerialErrors {
    /// Bytes the UART lost because the previous one was not read in time.
    pub overrun: u32,
    /// Bytes received with a framing error (no stop bit), dropped.
    pub framing: u32,
    /// Bytes received with noise on the line, dropped.
    pub noise: u32,
    /// Bytes dropped because the ring was full.
    pub dropped: u32,
}

impl SerialErrors {
    /// Whether nothing was lost.
    pub fn none(&self) -> bool {
        *self == Self::default()
    }
}

/// What the UART said of a received byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineStatus {
    /// An overrun happened before this byte.
    pub overrun: bool,
    /// The byte has a framing error.
    pub framing: bool,
    /// The byte has a noise error.
    pub noise: bool,
}

/// A single-producer, single-consumer ring of `N` bytes (one slot stays free to tell full
/// from empty): the receive interrupt is the producer, the link's reader the consumer. A
/// `static` of it is shared between the two without a lock: each index is written by one
/// side only, and a slot is published by the release store of `head` after it is written.
pub struct RxRing<const N: usize> {
    slots: UnsafeCell<[u8; N]>,
    /// Next slot the producer writes.
    head: AtomicUsize,
    /// Next slot the consumer reads.
    tail: AtomicUsize,
    overrun: AtomicU32,
    framing: AtomicU32,
    noise: AtomicU32,
    dropped: AtomicU32,
}

// SAFETY: the producer only writes the slot at `head` and then publishes it; the consumer
// only reads slots in [tail, head) and then releases them. With one producer and one
// consumer (the caller's promise, see `push` and `pop`) no slot is written while read.
unsafe impl<const N: usize> Sync for RxRing<N> {}

impl<const N: usize> RxRing<N> {
    /// An empty ring with no errors counted.
    pub const fn new() -> Self {
        Self {
            slots: UnsafeCell::new([0; N]),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            overrun: AtomicU32::new(0),
            framing: AtomicU32::new(0),
            noise: AtomicU32::new(0),
            dropped: AtomicU32::new(0),
        }
    }

    fn count(counter: &AtomicU32) {
        // Load and store, not fetch_add: only the producer writes the counters, and the
        // Cortex-M0 class has no atomic read-modify-write.
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }

    /// The producer's side: one received byte and what the UART said of it. Call from one
    /// place only (the receive interrupt).
    pub fn push(&self, byte: u8, status: LineStatus) {
        if status.overrun {
            Self::count(&self.overrun);
        }
        if status.framing {
            Self::count(&self.framing);
            return;
        }
        if status.noise {
            Self::count(&self.noise);
            return;
        }
        let head = self.head.load(Ordering::Relaxed);
        let next = if head + 1 >= N { 0 } else { head + 1 };
        if next == self.tail.load(Ordering::Acquire) {
            Self::count(&self.dropped);
            return;
        }
        // SAFETY: `head` is the producer's slot: the consumer reads only up to `head`, which
        // is published below, after the write.
        unsafe {
            let slots = &mut *self.slots.get();
            if let Some(slot) = slots.get_mut(head) {
                *slot = byte;
            }
        }
        self.head.store(next, Ordering::Release);
    }

    /// The producer's side for a byte the UART driver discarded with its error (a HAL that
    /// reads the data register to clear the error and returns only the error): counted, as
    /// [`RxRing::push`] counts one, and nothing stored.
    pub fn lost(&self, status: LineStatus) {
        for (flag, counter) in [
            (status.overrun, &self.overrun),
            (status.framing, &self.framing),
            (status.noise, &self.noise),
        ] {
            if flag {
                Self::count(counter);
            }
        }
    }

    /// The consumer's side: the oldest byte, if any. Call from one place only (the reader).
    pub fn pop(&self) -> Option<u8> {
        let tail = self.tail.load(Ordering::Relaxed);
        if tail == self.head.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: `tail` is before `head`, so the producer wrote and published this slot and
        // does not write it again before `tail` moves past it below.
        let byte = unsafe { (*self.slots.get()).get(tail).copied().unwrap_or(0) };
        let next = if tail + 1 >= N { 0 } else { tail + 1 };
        self.tail.store(next, Ordering::Release);
        Some(byte)
    }

    /// Bytes waiting.
    pub fn len(&self) -> usize {
        let (head, tail) = (
            self.head.load(Ordering::Acquire),
            self.tail.load(Ordering::Acquire),
        );
        if head >= tail {
            head - tail
        } else {
            N - tail + head
        }
    }

    /// Whether no byte is waiting.
    pub fn is_empty(&self) -> bool {
        self.tail.load(Ordering::Relaxed) == self.head.load(Ordering::Acquire)
    }

    /// The errors counted so far.
    pub fn errors(&self) -> SerialErrors {
        SerialErrors {
            overrun: self.overrun.load(Ordering::Relaxed),
            framing: self.framing.load(Ordering::Relaxed),
            noise: self.noise.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

impl<const N: usize> Default for RxRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{FrameReader, MAX_FRAME, Request, Values, decode, encode};

    fn act(seq: u32) -> Vec<u8> {
        let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + 4]);
        let request = Request::Act {
            seq,
            state: Values::from_slice(&[0.25, -0.5]).unwrap(),
        };
        encode(&request, &mut scratch, &mut out).unwrap().to_vec()
    }

    /// The wire delivers `per_step` bytes while the controller computes, then the reader
    /// drains the ring and decodes what it holds; returns the sequence numbers decoded.
    fn serve<const N: usize>(ring: &RxRing<N>, wire: &[u8], per_step: usize) -> Vec<u32> {
        let mut reader = FrameReader::<MAX_FRAME>::new();
        let mut seqs = Vec::new();
        for chunk in wire.chunks(per_step) {
            for b in chunk {
                ring.push(*b, LineStatus::default());
            }
            // The step is over: the reader takes everything that arrived meanwhile.
            while let Some(b) = ring.pop() {
                if let Some(Ok(frame)) = reader.push(b)
                    && let Ok(Request::Act { seq, .. }) = decode::<Request>(frame)
                {
                    seqs.push(seq);
                }
            }
        }
        seqs
    }

    #[test]
    fn a_long_step_loses_nothing_when_the_ring_holds_what_arrives() {
        // Ten frames pipelined; 0.2 s steps at 115200 baud deliver 2304 bytes each.
        let wire: Vec<u8> = (0..10).flat_map(act).collect();
        let ring = RxRing::<4096>::new();
        assert_eq!(serve(&ring, &wire, 2304), (0..10).collect::<Vec<_>>());
        assert!(ring.errors().none());
        // The same arrival into a ring smaller than a step's bytes: the overflow is counted,
        // the frames it cut are lost, the reader resynchronises and decodes the rest intact.
        let small = RxRing::<64>::new();
        let got = serve(&small, &wire, 2304);
        assert!(small.errors().dropped > 0);
        assert!(got.len() < 10, "{got:?}");
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
    }

    #[test]
    fn bad_bytes_are_counted_and_never_read_as_data() {
        let ring = RxRing::<16>::new();
        ring.push(1, LineStatus::default());
        ring.push(
            2,
            LineStatus {
                framing: true,
                ..LineStatus::default()
            },
        );
        ring.push(
            3,
            LineStatus {
                noise: true,
                ..LineStatus::default()
            },
        );
        ring.push(
            4,
            LineStatus {
                overrun: true,
                ..LineStatus::default()
            },
        );
        // A driver that discards the byte with its error (a HAL's) reports the error alone.
        ring.lost(LineStatus {
            overrun: true,
            framing: true,
            noise: true,
        });
        assert_eq!(ring.pop(), Some(1));
        assert_eq!(
            ring.pop(),
            Some(4),
            "an overrun loses the byte before, not this one"
        );
        assert_eq!(ring.pop(), None);
        assert_eq!(
            ring.errors(),
            SerialErrors {
                overrun: 2,
                framing: 2,
                noise: 2,
                dropped: 0
            }
        );
    }

    #[test]
    fn wraps_around_and_tells_full_from_empty() {
        let ring = RxRing::<4>::new();
        for round in 0..10u8 {
            for k in 0..3 {
                ring.push(round * 3 + k, LineStatus::default());
            }
            ring.push(255, LineStatus::default()); // the fourth does not fit
            for k in 0..3 {
                assert_eq!(ring.pop(), Some(round * 3 + k));
            }
            assert!(ring.is_empty());
        }
        assert_eq!(ring.errors().dropped, 10);
    }

    #[test]
    fn producer_and_consumer_on_two_threads_see_every_byte_in_order() {
        const BYTES: u32 = 200_000;
        let ring: &'static RxRing<64> = Box::leak(Box::new(RxRing::new()));
        let producer = std::thread::spawn(move || {
            for i in 0..BYTES {
                // A UART does not wait; this producer does, so no byte is dropped and the
                // consumer can check the order of all of them.
                while ring.len() >= 63 {
                    std::hint::spin_loop();
                }
                ring.push(i as u8, LineStatus::default());
            }
        });
        for i in 0..BYTES {
            let b = loop {
                if let Some(b) = ring.pop() {
                    break b;
                }
                std::hint::spin_loop();
            };
            assert_eq!(b, i as u8, "byte {i}");
        }
        producer.join().unwrap();
        assert!(ring.is_empty() && ring.errors().none());
    }
}
