//! A flood of hostile frames on the board's link, interleaved with valid requests: the board
//! must answer every frame, in order, exactly as its twin on the host does.
//!
//! The same byte stream goes to the board and to the twin, which runs the same server and
//! controller on the host. Every reply is compared, decoded, with the twin's (the board's
//! SysTick count aside), so a valid request's action is checked bit for bit and a hostile
//! frame's error by kind; and every valid request's reply must carry its sequence number, so
//! a reply lost, doubled or out of order is caught even where the twin agreed.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chi_embedded::bundle::frame::CRC32;
use chi_embedded::link::{self, FrameReader, MAX_FRAME, MAX_VALUES, Request, Response, Values};
use chi_embedded::rng::ChiRng;

use super::client::Client;

/// How a hostile frame is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hostile {
    /// Random bytes, zeros among them, so frames are split and glued at random.
    RandomBytes,
    /// More bytes than a frame holds.
    Oversized,
    /// A COBS code byte that points past the frame's end.
    BadCobs,
    /// A valid request with one bit flipped under the COBS encoding.
    BadCrc,
    /// Random bytes behind a correct CRC: postcard must refuse them.
    RandomBody,
    /// An `Act` whose state has the wrong number of values.
    WrongLength,
    /// An `Act` of the right length holding NaN or infinite values; a valid request the
    /// board must clean and act on as the twin does.
    NonFinite,
}

impl Hostile {
    const ALL: [Self; 7] = [
        Self::RandomBytes,
        Self::Oversized,
        Self::BadCobs,
        Self::BadCrc,
        Self::RandomBody,
        Self::WrongLength,
        Self::NonFinite,
    ];

    /// How often each kind is sent, in hundredths. The link takes about 10 KB/s in QEMU
    /// (its USART model takes one byte at a time, as a board's at 115200 baud), so long
    /// frames are rarer; a non-finite state costs a whole control step, so it is rarer still.
    const WEIGHTS: [u32; 7] = [25, 1, 18, 18, 23, 14, 1];

    fn pick(roll: u32) -> Self {
        let mut left = roll % 100;
        for (kind, w) in Self::ALL.into_iter().zip(Self::WEIGHTS) {
            if left < w {
                return kind;
            }
            left -= w;
        }
        Self::RandomBytes
    }

    fn name(self) -> &'static str {
        match self {
            Self::RandomBytes => "random bytes",
            Self::Oversized => "oversized",
            Self::BadCobs => "bad COBS",
            Self::BadCrc => "bad CRC",
            Self::RandomBody => "valid CRC, random body",
            Self::WrongLength => "wrong state length",
            Self::NonFinite => "NaN or infinite state",
        }
    }
}

const _: () = {
    let (mut i, mut sum) = (0, 0);
    while i < Hostile::WEIGHTS.len() {
        sum += Hostile::WEIGHTS[i];
        i += 1;
    }
    assert!(sum == 100, "the weights are hundredths");
};

/// What a flood sent and got back.
#[derive(Debug, Default)]
pub struct FloodReport {
    /// Hostile frames sent, by kind.
    pub hostile: BTreeMap<&'static str, u64>,
    /// Valid requests sent (`Act`, `Reset`, `Hello`), each answered as the twin answered it.
    pub valid: u64,
    /// Replies the board sent, every one equal to the twin's.
    pub replies: u64,
    /// Error replies, by what the board said was wrong.
    pub errors: BTreeMap<String, u64>,
    /// Bytes sent to the board.
    pub bytes: u64,
}

impl FloodReport {
    /// Hostile frames sent in all.
    pub fn hostile_total(&self) -> u64 {
        self.hostile.values().sum()
    }
}

/// The bytes of one batch and what its replies must be.
struct Batch {
    bytes: Vec<u8>,
    /// Replies the batch calls for, as the board's frame reader cuts it.
    replies: usize,
    /// Reply index within the batch and sequence number of every valid request in it.
    valid: Vec<(usize, u32)>,
}

/// Makes the stream: hostile frames of every kind, one valid request among every few.
struct Generator {
    rng: ChiRng,
    state_len: usize,
    seq: u32,
}

impl Generator {
    fn below(&mut self, n: u32) -> u32 {
        self.rng.next_u32() % n.max(1)
    }

    fn nonzero_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.rng.next_u32() as u8).max(1)).collect()
    }

    fn state(&mut self) -> Values {
        let mut v = Values::new();
        for _ in 0..self.state_len {
            // The state is whatever the host sends; the controller's normaliser and
            // sanitiser handle its scale.
            let _ = v.push(self.rng.symmetric_uniform() * 2.0);
        }
        v
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn valid_request(&mut self) -> Request {
        match self.below(40) {
            0 => Request::Hello,
            1 => Request::Reset {
                seq: self.next_seq(),
                seed: u64::from(self.rng.next_u32()),
            },
            2 => Request::ActCapped {
                seq: self.next_seq(),
                state: self.state(),
                iterations: self.below(4) as u8,
            },
            _ => Request::Act {
                seq: self.next_seq(),
                state: self.state(),
            },
        }
    }

    /// One hostile frame's bytes, ending in its zero.
    fn hostile(&mut self, kind: Hostile) -> anyhow::Result<Vec<u8>> {
        let mut bytes = match kind {
            Hostile::RandomBytes => {
                let n = 1 + self.below(24) as usize;
                let mut b: Vec<u8> = (0..n).map(|_| self.rng.next_u32() as u8).collect();
                // Mostly nonzero bytes, so most frames are long enough to be interesting.
                for x in &mut b {
                    if *x == 0 && self.below(4) != 0 {
                        *x = 1;
                    }
                }
                b
            }
            Hostile::Oversized => {
                let n = MAX_FRAME + 1 + self.below(MAX_FRAME as u32) as usize;
                self.nonzero_bytes(n)
            }
            Hostile::BadCobs => {
                let n = 1 + self.below(16) as usize;
                let mut b = self.nonzero_bytes(n);
                // The first code byte claims more bytes than follow.
                b[0] = (n as u8).saturating_add(1 + self.below(20) as u8).max(2);
                b
            }
            Hostile::BadCrc => {
                let request = self.valid_request();
                let raw = raw_with_crc(&request)?;
                let mut raw = raw;
                let bit = self.below(raw.len() as u32 * 8) as usize;
                raw[bit / 8] ^= 1 << (bit % 8);
                cobs_frame(&raw)?
            }
            Hostile::RandomBody => {
                let n = self.below(24) as usize;
                let mut raw: Vec<u8> = (0..n).map(|_| self.rng.next_u32() as u8).collect();
                let crc = CRC32.checksum(&raw).to_le_bytes();
                raw.extend(crc);
                cobs_frame(&raw)?
            }
            Hostile::WrongLength => {
                // Mostly near the right length, now and then up to the most a frame holds.
                let most = if self.below(8) == 0 {
                    MAX_VALUES
                } else {
                    2 * self.state_len
                };
                let mut len = self.below(most as u32 + 1) as usize;
                if len == self.state_len {
                    len = (len + 1) % (MAX_VALUES + 1);
                }
                let mut state = Values::new();
                for _ in 0..len {
                    let _ = state.push(self.rng.symmetric_uniform());
                }
                let seq = self.next_seq();
                frame(&Request::Act { seq, state })?
            }
            Hostile::NonFinite => {
                let mut state = self.state();
                let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, -0.0];
                for _ in 0..=self.below(self.state_len as u32) {
                    let i = self.below(self.state_len as u32) as usize;
                    let s = specials[self.below(specials.len() as u32) as usize];
                    if let Some(x) = state.get_mut(i) {
                        *x = s;
                    }
                }
                let seq = self.next_seq();
                frame(&Request::Act { seq, state })?
            }
        };
        if bytes.last() != Some(&0) {
            bytes.push(0);
        }
        Ok(bytes)
    }

    /// `hostile` hostile frames with valid requests among them (one in `every` on average,
    /// at least one a batch), and what they call for.
    fn batch(
        &mut self,
        hostile: u64,
        every: u32,
        report: &mut FloodReport,
    ) -> anyhow::Result<Batch> {
        let mut batch = Batch {
            bytes: Vec::new(),
            replies: 0,
            valid: Vec::new(),
        };
        let mut reader = FrameReader::<MAX_FRAME>::new();
        let mut push = |batch: &mut Batch, bytes: &[u8]| {
            for b in bytes {
                if reader.push(*b).is_some() {
                    batch.replies += 1;
                }
            }
            batch.bytes.extend_from_slice(bytes);
        };
        let mut sent_valid = false;
        for i in 0..hostile {
            if self.below(every) == 0 || (!sent_valid && i + 1 == hostile) {
                let request = self.valid_request();
                let seq = match &request {
                    Request::Hello => None,
                    Request::Reset { seq, .. }
                    | Request::Act { seq, .. }
                    | Request::ActCapped { seq, .. } => Some(*seq),
                };
                let at = batch.replies;
                push(&mut batch, &frame(&request)?);
                if let Some(seq) = seq {
                    batch.valid.push((at, seq));
                }
                report.valid += 1;
                sent_valid = true;
            }
            let kind = Hostile::pick(self.rng.next_u32());
            let bytes = self.hostile(kind)?;
            push(&mut batch, &bytes);
            *report.hostile.entry(kind.name()).or_default() += 1;
        }
        Ok(batch)
    }
}

/// `message`'s postcard bytes and CRC, before COBS.
fn raw_with_crc(message: &Request) -> anyhow::Result<Vec<u8>> {
    let mut buf = [0u8; MAX_FRAME];
    let body = postcard::to_slice(message, &mut buf).map_err(|e| anyhow!("postcard: {e}"))?;
    let mut raw = body.to_vec();
    raw.extend(CRC32.checksum(body).to_le_bytes());
    Ok(raw)
}

fn cobs_frame(raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = vec![0u8; cobs::max_encoding_length(raw.len()) + 1];
    let n = cobs::try_encode(raw, &mut out).map_err(|e| anyhow!("COBS: {e:?}"))?;
    out.truncate(n);
    out.push(0);
    Ok(out)
}

fn frame(request: &Request) -> anyhow::Result<Vec<u8>> {
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + 4]);
    Ok(link::encode(request, &mut scratch, &mut out)
        .map_err(|e| anyhow!("encoding {request:?}: {e}"))?
        .to_vec())
}

/// The reply with the board's timing left out, which the twin does not measure.
fn untimed(reply: Response) -> Response {
    match reply {
        Response::Action(mut a) => {
            a.ticks = 0;
            Response::Action(a)
        }
        other => other,
    }
}

fn sequence_of(reply: &Response) -> Option<u32> {
    match reply {
        Response::Ready { seq } => Some(*seq),
        Response::Action(a) => Some(a.seq),
        Response::Error { seq, .. } => *seq,
        Response::Info(_) => None,
    }
}

/// Sends `hostile` hostile frames with valid requests among them (one in `every`, on
/// average) to `board` and `twin`, in batches of `per_batch` hostile frames, and checks every
/// reply. The two must run the same bundle, from the same seed; `state_len` is its state's
/// length. `progress` is called after each batch with the hostile frames sent so far.
pub fn flood(
    board: &mut Client,
    twin: &mut Client,
    state_len: usize,
    hostile: u64,
    every: u32,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<FloodReport> {
    const PER_BATCH: u64 = 256;
    let mut generator = Generator {
        rng: ChiRng::new(seed),
        state_len,
        seq: 0x4000_0000,
    };
    let mut report = FloodReport::default();
    let timeout = Duration::from_secs(30);
    let mut sent = 0u64;
    while sent < hostile {
        let n = PER_BATCH.min(hostile - sent);
        let batch = generator.batch(n, every, &mut report)?;
        board.send_raw(&batch.bytes)?;
        twin.send_raw(&batch.bytes)?;
        report.bytes += batch.bytes.len() as u64;
        let mut valid = batch.valid.iter().peekable();
        for i in 0..batch.replies {
            let frame_no = report.replies;
            let got = board
                .receive(timeout)
                .with_context(|| format!("the board's reply to frame {frame_no} of the flood"))?;
            let want = twin
                .receive(timeout)
                .with_context(|| format!("the twin's reply to frame {frame_no} of the flood"))?;
            let (got, want) = (untimed(got), untimed(want));
            if got != want {
                bail!(
                    "reply {frame_no} of the flood: the board answered {got:?}, its twin {want:?}"
                );
            }
            if let Some((_, seq)) = valid.next_if(|(at, _)| *at == i)
                && sequence_of(&got) != Some(*seq)
            {
                bail!("valid request {seq} got the reply {got:?}, not its own");
            }
            if let Response::Error { kind, .. } = &got {
                *report.errors.entry(format!("{kind:?}")).or_default() += 1;
            }
            report.replies += 1;
        }
        if let Some((_, seq)) = valid.next() {
            bail!("valid request {seq} was not answered");
        }
        sent += n;
        progress(sent);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Generator {
        Generator {
            rng: ChiRng::new(3),
            state_len: 2,
            seq: 0,
        }
    }

    #[test]
    fn every_hostile_kind_is_refused_by_the_decoder_it_targets() {
        let mut g = generator();
        for _ in 0..200 {
            for kind in Hostile::ALL {
                let bytes = g.hostile(kind).unwrap();
                let (last, body) = bytes.split_last().unwrap();
                assert_eq!(*last, 0);
                let decoded = link::decode::<Request>(&mut body.to_vec());
                match kind {
                    Hostile::Oversized => assert!(body.len() > MAX_FRAME),
                    Hostile::BadCobs | Hostile::BadCrc => assert!(decoded.is_err(), "{kind:?}"),
                    Hostile::WrongLength => match decoded {
                        Ok(Request::Act { state, .. }) => assert_ne!(state.len(), 2),
                        other => panic!("{other:?}"),
                    },
                    Hostile::NonFinite => match decoded {
                        Ok(Request::Act { state, .. }) => assert_eq!(state.len(), 2),
                        other => panic!("{other:?}"),
                    },
                    Hostile::RandomBytes | Hostile::RandomBody => {}
                }
            }
        }
    }

    #[test]
    fn a_batch_counts_its_replies_as_the_board_cuts_frames() {
        let mut g = generator();
        let mut report = FloodReport::default();
        let batch = g.batch(2000, 8, &mut report).unwrap();
        let mut reader = FrameReader::<MAX_FRAME>::new();
        let frames = batch
            .bytes
            .iter()
            .filter(|b| reader.push(**b).is_some())
            .count();
        assert_eq!(frames, batch.replies);
        assert!(batch.replies >= 2000, "random bytes split into more frames");
        assert!(!batch.valid.is_empty());
        assert_eq!(report.hostile_total(), 2000);
        let mean = batch.bytes.len() as f64 / 2000.0;
        assert!(mean < 40.0, "{mean} bytes a hostile frame");
        assert_eq!(
            report.hostile.len(),
            Hostile::ALL.len(),
            "every kind is sent"
        );
    }
}
