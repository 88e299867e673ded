//! The replay buffer `D = {(s, a, r, s')}` (paper Section 3): a ring of fixed capacity,
//! stored flat so batches copy straight into tensors.

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
