//! The replay buffer `D = {(s, a, r, s')}` (paper Section 3): a ring of fixed capacity,
//! stored flat so batches copy straight into tensors.

use anyhow::{Result, bail};
use chi_embedded::rng::ChiRng;

/// A batch of transitions, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// `n x S` states.
    pub obs: Vec<f32>,
    /// `n x A` actions.
    pub actions: Vec<f32>,
    /// `n` rewards.
    pub rewards: Vec<f32>,
    /// `n x S` next states.
    pub next_obs: Vec<f32>,
    /// `n` flags: 1 where the next state is terminal.
    pub done: Vec<f32>,
    /// Rows.
    pub len: usize,
}

/// Transitions of `s_dim`-dimensional states and `a_dim`-dimensional actions.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayBuffer {
    s_dim: usize,
    a_dim: usize,
    capacity: usize,
    data: Batch,
    next: usize,
}

impl ReplayBuffer {
    /// An empty buffer holding at most `capacity` transitions (the oldest go first).
    pub fn new(s_dim: usize, a_dim: usize, capacity: usize) -> Self {
        Self {
            s_dim,
            a_dim,
            capacity: capacity.max(1),
            data: Batch::default(),
            next: 0,
        }
    }

    /// Transitions held.
    pub fn len(&self) -> usize {
        self.data.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.data.len == 0
    }

    /// State and action widths.
    pub fn dims(&self) -> (usize, usize) {
        (self.s_dim, self.a_dim)
    }

    /// Adds one transition. Slices of the wrong width are a bug in the caller.
    pub fn push(&mut self, s: &[f32], a: &[f32], r: f32, s_next: &[f32], done: bool) {
        assert!(
            s.len() == self.s_dim && s_next.len() == self.s_dim && a.len() == self.a_dim,
            "transition widths"
        );
        let d = &mut self.data;
        if d.len < self.capacity {
            d.obs.extend_from_slice(s);
            d.actions.extend_from_slice(a);
            d.rewards.push(r);
            d.next_obs.extend_from_slice(s_next);
            d.done.push(f32::from(u8::from(done)));
            d.len += 1;
        } else {
            let i = self.next;
            d.obs[i * self.s_dim..(i + 1) * self.s_dim].copy_from_slice(s);
            d.actions[i * self.a_dim..(i + 1) * self.a_dim].copy_from_slice(a);
            d.rewards[i] = r;
            d.next_obs[i * self.s_dim..(i + 1) * self.s_dim].copy_from_slice(s_next);
            d.done[i] = f32::from(u8::from(done));
        }
        self.next = (self.next + 1) % self.capacity;
    }

    /// The transitions at `indices`.
    pub fn gather(&self, indices: &[usize]) -> Batch {
        let (sd, ad, d) = (self.s_dim, self.a_dim, &self.data);
        let mut b = Batch {
            len: indices.len(),
            ..Batch::default()
        };
        for &i in indices {
            b.obs.extend_from_slice(&d.obs[i * sd..(i + 1) * sd]);
            b.actions
                .extend_from_slice(&d.actions[i * ad..(i + 1) * ad]);
            b.rewards.push(d.rewards[i]);
            b.next_obs
                .extend_from_slice(&d.next_obs[i * sd..(i + 1) * sd]);
            b.done.push(d.done[i]);
        }
        b
    }

    /// `n` transitions drawn uniformly with replacement.
    pub fn sample(&self, n: usize, rng: &mut ChiRng) -> Batch {
        let len = self.len().max(1) as u64;
        let idx: Vec<usize> = (0..n)
            .map(|_| ((u64::from(rng.next_u32()) * len) >> 32) as usize)
            .collect();
        self.gather(&idx)
    }

    /// Everything held, in insertion order of the slots.
    pub fn all(&self) -> &Batch {
        &self.data
    }

    /// The buffer as a checkpoint stores it: the count (u64), every state, action, reward,
    /// next state and done flag (f32, little-endian, column by column), then the slot the
    /// next transition overwrites (u64), so a resumed run that has filled its ring replaces
    /// the same transitions as one that never stopped.
    pub fn encode(&self) -> Vec<u8> {
        let d = &self.data;
        let floats = d.obs.len() * 2 + d.actions.len() + 2 * d.len;
        let mut out = Vec::with_capacity(16 + 4 * floats);
        out.extend_from_slice(&(d.len as u64).to_le_bytes());
        for v in d
            .obs
            .iter()
            .chain(&d.actions)
            .chain(&d.rewards)
            .chain(&d.next_obs)
            .chain(&d.done)
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.next as u64).to_le_bytes());
        out
    }

    /// Reads what [`Self::encode`] wrote for the same widths, into a buffer of `capacity`
    /// (files of earlier versions end without the write position: their rings had not
    /// wrapped, so it follows from the count). `origin` names the file in errors.
    pub fn decode(
        bytes: &[u8],
        s_dim: usize,
        a_dim: usize,
        capacity: usize,
        origin: &std::path::Path,
    ) -> Result<Self> {
        let at = origin.display();
        let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
            bail!("{at} is truncated (no transition count)");
        };
        let len = u64::from_le_bytes(*len);
        let row = 2 * s_dim + a_dim + 2;
        let Some(value_bytes) = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_mul(4 * row))
        else {
            bail!("{at} claims {len} transitions, more than memory can hold");
        };
        let (values, next) = match rest.len().checked_sub(value_bytes) {
            Some(0) => (rest, None),
            Some(8) => {
                let (values, tail) = rest.split_at(value_bytes);
                let next = tail.first_chunk::<8>().map(|b| u64::from_le_bytes(*b));
                (values, next)
            }
            _ => bail!(
                "{at} holds {} bytes after its count, not {len} transitions of {s_dim} states and {a_dim} actions",
                rest.len()
            ),
        };
        let len = len as usize;
        if len > capacity.max(1) {
            bail!("{at} holds {len} transitions, more than the run's replay capacity {capacity}");
        }
        let values: Vec<f32> = values
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let (obs, rest) = values.split_at(s_dim * len);
        let (actions, rest) = rest.split_at(a_dim * len);
        let (rewards, rest) = rest.split_at(len);
        let (next_obs, done) = rest.split_at(s_dim * len);
        if let Some(d) = done.iter().find(|d| **d != 0.0 && **d != 1.0) {
            bail!("{at} has a done flag of {d}, not 0 or 1");
        }
        let mut b = Self::new(s_dim, a_dim, capacity);
        b.data = Batch {
            obs: obs.to_vec(),
            actions: actions.to_vec(),
            rewards: rewards.to_vec(),
            next_obs: next_obs.to_vec(),
            done: done.to_vec(),
            len,
        };
        b.next = match next {
            None => len % b.capacity,
            Some(n) if n < b.capacity as u64 && (len == b.capacity || n == len as u64) => {
                n as usize
            }
            Some(n) => bail!("{at} has its next slot at {n}, outside its {len} transitions"),
        };
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_ring_resumes_where_it_was() {
        let path = std::path::Path::new("replay.bin");
        let mut b = ReplayBuffer::new(2, 1, 3);
        for i in 0..5 {
            let x = i as f32;
            b.push(&[x, x], &[x], x, &[x + 1.0, x + 1.0], i % 2 == 0);
        }
        let mut back = ReplayBuffer::decode(&b.encode(), 2, 1, 3, path).unwrap();
        assert_eq!(back, b);
        b.push(&[9.0, 9.0], &[9.0], 9.0, &[9.0, 9.0], false);
        back.push(&[9.0, 9.0], &[9.0], 9.0, &[9.0, 9.0], false);
        assert_eq!(back, b, "the next push overwrites the same slot");
        // Files without the write position (earlier versions) read too.
        let mut short = ReplayBuffer::new(2, 1, 10);
        short.push(&[1.0, 2.0], &[3.0], 4.0, &[5.0, 6.0], true);
        let bytes = short.encode();
        let old = ReplayBuffer::decode(&bytes[..bytes.len() - 8], 2, 1, 10, path).unwrap();
        assert_eq!(old, short);
    }

    #[test]
    fn corrupt_replay_files_are_refused_by_name() {
        let path = std::path::Path::new("runs/x/replay.bin");
        let mut b = ReplayBuffer::new(2, 1, 4);
        b.push(&[1.0, 2.0], &[3.0], 4.0, &[5.0, 6.0], false);
        let good = b.encode();
        let cases: [(&str, Vec<u8>); 5] = [
            ("truncated", good[..3].to_vec()),
            ("shortened", good[..good.len() - 9].to_vec()),
            ("huge count", {
                let mut g = good.clone();
                g[..8].copy_from_slice(&u64::MAX.to_le_bytes());
                g
            }),
            ("over capacity", {
                let mut big = ReplayBuffer::new(2, 1, 9);
                for _ in 0..6 {
                    big.push(&[1.0, 2.0], &[3.0], 4.0, &[5.0, 6.0], false);
                }
                big.encode()
            }),
            ("bad flag", {
                let mut g = good.clone();
                let at = g.len() - 12;
                g[at..at + 4].copy_from_slice(&0.5f32.to_le_bytes());
                g
            }),
        ];
        for (name, bytes) in cases {
            let e = ReplayBuffer::decode(&bytes, 2, 1, 4, path).unwrap_err();
            assert!(e.to_string().contains("runs/x/replay.bin"), "{name}: {e}");
        }
    }

    #[test]
    fn ring_keeps_the_newest_and_sampling_is_seeded() {
        let mut b = ReplayBuffer::new(2, 1, 3);
        for i in 0..5 {
            let x = i as f32;
            b.push(&[x, x], &[x], x, &[x + 1.0, x + 1.0], false);
        }
        assert_eq!(b.len(), 3);
        let mut rewards = b.all().rewards.clone();
        rewards.sort_by(f32::total_cmp);
        assert_eq!(rewards, vec![2.0, 3.0, 4.0]);
        let s1 = b.sample(8, &mut ChiRng::new(1));
        let s2 = b.sample(8, &mut ChiRng::new(1));
        assert_eq!(s1, s2);
        assert_eq!(s1.len, 8);
        assert!(s1.rewards.iter().all(|r| [2.0, 3.0, 4.0].contains(r)));
        let g = b.gather(&[0]);
        assert_eq!(g.next_obs, vec![g.obs[0] + 1.0, g.obs[1] + 1.0]);
    }
}
