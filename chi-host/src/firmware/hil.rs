//! Hardware in the loop: the environment runs on the host, the controller on the board, and
//! every action is checked against a reference controller for the same bundle and seed (the
//! board's twin on the host, [`super::twin`]), for any task.

use anyhow::{anyhow, bail};
use chi_embedded::bundle::frame::stored_crc;
use chi_embedded::checksum::CRC32;

use super::client::Client;
use crate::env::{Env, Step};
use crate::rollout::{Driver, rollout};

/// One episode controlled by the board.
#[derive(Clone, Debug)]
pub struct HilReport {
    /// Return as the host's environment counted it.
    pub ret: f32,
    /// Steps taken.
    pub steps: u32,
    /// Whether the environment ended the episode before its time limit.
    pub terminated: bool,
    /// CRC-32 of the bits of every action, in order (comparable with a self-test's).
    pub actions_crc: u32,
    /// Every state the board acted in, then the last one.
    pub states: Vec<Vec<f32>>,
    /// SysTick ticks of each decision on the board.
    pub ticks: Vec<u32>,
    /// Planner iterations of each decision.
    pub iterations: Vec<u8>,
    /// Steps whose action differed (in any bit) from the reference's.
    pub mismatches: usize,
    /// The first difference: step, board action, reference action.
    pub first_mismatch: Option<(u32, Vec<f32>, Vec<f32>)>,
    /// Mean over steps and components of `|board - reference|`.
    pub mean_difference: f32,
    /// Largest such difference.
    pub max_difference: f32,
}

impl HilReport {
    /// Mean ticks a decision took.
    pub fn mean_ticks(&self) -> f64 {
        self.ticks.iter().map(|t| f64::from(*t)).sum::<f64>() / self.ticks.len().max(1) as f64
    }
}

/// Says hello and checks that the other end runs `bundle` (through its CRC).
pub fn check_runs(client: &mut Client, bundle: &[u8], who: &str) -> anyhow::Result<()> {
    let info = client.hello(std::time::Duration::from_secs(20))?;
    let crc = stored_crc(bundle).ok_or_else(|| anyhow!("bundle too short"))?;
    if info.bundle_crc != crc {
        bail!(
            "the {who} runs bundle {:#010x}, not this one ({crc:#010x})",
            info.bundle_crc
        );
    }
    Ok(())
}

fn action<const A: usize>(
    client: &mut Client,
    state: &[f32],
    iterations: Option<u8>,
) -> anyhow::Result<([f32; A], u32, u8)> {
    let reply = client.act_within(state, iterations)?;
    let got = <[f32; A]>::try_from(reply.action.as_slice())
        .map_err(|_| anyhow!("{} action values, not {A}", reply.action.len()))?;
    Ok((got, reply.ticks, reply.iterations))
}

/// Runs one episode of `env` from `env.reset(seed)` with `board`'s actions until the
/// environment ends it. `bundle` is what the board runs (checked through its CRC); the
/// `reference`, given the same bundle (or, to compare two bundles, another one) and the same
/// planner seed, is asked for its action in every state the board acts in.
pub fn episode<const S: usize, const A: usize>(
    board: &mut Client,
    mut reference: Option<(&mut Client, &[u8])>,
    bundle: &[u8],
    env: &mut impl Env<S, A>,
    seed: u64,
) -> anyhow::Result<HilReport> {
    check_runs(board, bundle, "board")?;
    board.reset(seed)?;
    if let Some((r, bytes)) = reference.as_mut() {
        check_runs(r, bytes, "reference")?;
        r.reset(seed)?;
    }
    let mut hil = Hil {
        board,
        reference: reference.map(|(r, _)| r),
        report: HilReport {
            ret: 0.0,
            steps: 0,
            terminated: false,
            actions_crc: 0,
            states: Vec::new(),
            ticks: Vec::new(),
            iterations: Vec::new(),
            mismatches: 0,
            first_mismatch: None,
            mean_difference: 0.0,
            max_difference: 0.0,
        },
        action_bytes: Vec::new(),
        difference: 0.0,
    };
    let outcome = rollout(env, seed, &mut hil)?;
    let Hil {
        mut report,
        action_bytes,
        difference,
        ..
    } = hil;
    report.ret = outcome.ret;
    report.steps = outcome.steps;
    report.terminated = outcome.terminated;
    report.actions_crc = CRC32.checksum(&action_bytes);
    report.mean_difference = (difference / f64::from(report.steps * A as u32).max(1.0)) as f32;
    Ok(report)
}

/// An episode driven by the board, each action checked against the reference's.
struct Hil<'c> {
    board: &'c mut Client,
    reference: Option<&'c mut Client>,
    report: HilReport,
    /// The bits of every action, in order, for the episode's CRC.
    action_bytes: Vec<u8>,
    difference: f64,
}

impl<const S: usize, const A: usize> Driver<S, A> for Hil<'_> {
    fn act(&mut self, step: u32, state: &[f32; S]) -> anyhow::Result<[f32; A]> {
        let (got, ticks, iterations) = action::<A>(self.board, state, None)
            .map_err(|e| e.context(format!("the board at step {step}")))?;
        let report = &mut self.report;
        report.ticks.push(ticks);
        report.iterations.push(iterations);
        if let Some(r) = self.reference.as_mut() {
            // Asked for the iterations the board completed: a board paced to its period
            // may stop planning early, and then acts as a controller of that many does.
            let (want, _, _) = action::<A>(r, state, Some(iterations))
                .map_err(|e| e.context(format!("the reference at step {step}")))?;
            if got.map(f32::to_bits) != want.map(f32::to_bits) {
                report.mismatches += 1;
                report
                    .first_mismatch
                    .get_or_insert((step, got.to_vec(), want.to_vec()));
            }
            for (g, w) in got.iter().zip(&want) {
                let d = (g - w).abs();
                self.difference += f64::from(d);
                report.max_difference = report.max_difference.max(d);
            }
        }
        for a in got {
            self.action_bytes.extend(a.to_bits().to_le_bytes());
        }
        Ok(got)
    }

    fn observe(
        &mut self,
        _step: u32,
        state: &[f32; S],
        _action: &[f32; A],
        outcome: &Step<S>,
    ) -> anyhow::Result<()> {
        if self.report.states.is_empty() {
            self.report.states.push(state.to_vec());
        }
        self.report.states.push(outcome.obs.to_vec());
        Ok(())
    }
}
