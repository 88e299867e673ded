//! The host end of the link: requests out, replies in, over any byte stream (QEMU's TCP
//! bridge or a board's serial port).

use std::io::{Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chi_embedded::link::{self, ActionReply, Info, MAX_FRAME, Request, Response, Values};

/// A link to a board. Bytes are read on a thread into a channel so that every wait has a
/// timeout, whatever the stream.
pub struct Client {
    writer: Box<dyn Write + Send>,
    bytes: Receiver<Vec<u8>>,
    pending: Vec<u8>,
    /// How long one reply may take.
    pub timeout: Duration,
    seq: u32,
}

impl Client {
    /// A client writing to `writer` and reading from `reader`.
    pub fn new(reader: impl Read + Send + 'static, writer: impl Write + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = reader;
            let mut buf = [0u8; 512];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Self {
            writer: Box::new(writer),
            bytes: rx,
            pending: Vec::new(),
            timeout: Duration::from_secs(10),
            seq: 0,
        }
    }

    /// Sends raw bytes (tests send broken frames with it).
    pub fn send_raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(bytes)?;
        self.writer.flush()?;
        Ok(())
    }

    /// Sends one request.
    pub fn send(&mut self, request: &Request) -> anyhow::Result<()> {
        let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_FRAME + 4]);
        let frame = link::encode(request, &mut scratch, &mut out)
            .map_err(|e| anyhow!("encoding {request:?}: {e}"))?;
        let frame = frame.to_vec();
        self.send_raw(&frame)
    }

    /// The next reply, within `timeout`.
    pub fn receive(&mut self, timeout: Duration) -> anyhow::Result<Response> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == 0) {
                let mut frame: Vec<u8> = self.pending.drain(..=end).collect();
                frame.pop();
                if frame.is_empty() {
                    continue;
                }
                return link::decode::<Response>(&mut frame)
                    .map_err(|e| anyhow!("the board's reply did not decode: {e}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.bytes.recv_timeout(left) {
                Ok(chunk) => self.pending.extend(chunk),
                Err(RecvTimeoutError::Timeout) => {
                    bail!("no reply from the board within {timeout:?}")
                }
                Err(RecvTimeoutError::Disconnected) => bail!("the board's stream closed"),
            }
        }
    }

    /// Says hello until the board answers (a UART drops what arrives before the board
    /// enabled it) and returns who it is.
    pub fn hello(&mut self, within: Duration) -> anyhow::Result<Info> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            // A zero first ends whatever partial frame the board may hold.
            self.send_raw(&[0])?;
            self.send(&Request::Hello)?;
            match self.receive(Duration::from_millis(500)) {
                Ok(Response::Info(info)) => {
                    if info.protocol != link::PROTOCOL_VERSION {
                        bail!(
                            "the board speaks link protocol {}, this host {}",
                            info.protocol,
                            link::PROTOCOL_VERSION
                        );
                    }
                    return Ok(info);
                }
                Ok(_) | Err(_) => continue,
            }
        }
        bail!("the board did not answer hello within {within:?}")
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// The reply to request `seq`. Stale replies are passed over: the `Info` of a hello
    /// the board answered after we had already sent it again (a loaded host or a slow boot
    /// makes the first answer miss its 500 ms), and answers to earlier requests.
    fn reply_to(&mut self, seq: u32) -> anyhow::Result<Response> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = self.receive(left)?;
            let answered = match &reply {
                Response::Info(_) => None,
                Response::Ready { seq } => Some(*seq),
                Response::Action(a) => Some(a.seq),
                Response::Error { seq, .. } => *seq,
            };
            // An error without a sequence number answers a frame that arrived broken: ours.
            let stale = match (&reply, answered) {
                (Response::Error { seq: None, .. }, _) => false,
                (_, Some(s)) => s != seq,
                (_, None) => true,
            };
            if !stale {
                return Ok(reply);
            }
        }
    }

    /// Reseeds the board's controller.
    pub fn reset(&mut self, seed: u64) -> anyhow::Result<()> {
        let seq = self.next_seq();
        self.send(&Request::Reset { seq, seed })?;
        match self.reply_to(seq)? {
            Response::Ready { seq: s } if s == seq => Ok(()),
            other => bail!("reset {seq}: unexpected reply {other:?}"),
        }
    }

    /// The board's action for `state`.
    pub fn act(&mut self, state: &[f32]) -> anyhow::Result<ActionReply> {
        self.act_within(state, None)
    }

    /// [`Client::act`] with at most `iterations` planner iterations when given: how a twin
    /// replays a board's step that its deadline cut short.
    pub fn act_within(
        &mut self,
        state: &[f32],
        iterations: Option<u8>,
    ) -> anyhow::Result<ActionReply> {
        let seq = self.next_seq();
        let state = Values::from_slice(state)
            .map_err(|_| anyhow!("a state has at most {} values", link::MAX_VALUES))?;
        self.send(&match iterations {
            None => Request::Act { seq, state },
            Some(iterations) => Request::ActCapped {
                seq,
                state,
                iterations,
            },
        })?;
        match self.reply_to(seq).with_context(|| format!("act {seq}"))? {
            Response::Action(reply) if reply.seq == seq => Ok(reply),
            Response::Error { seq: s, kind } => {
                bail!("the board refused act {seq} ({s:?}): {kind}")
            }
            other => bail!("act {seq}: unexpected reply {other:?}"),
        }
    }
}
