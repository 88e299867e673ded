//! Hardware in the loop: the environment runs on the host (the point mass, or Half-Cheetah in
//! MuJoCo), the controller on the board, and every action is checked against chi-embedded's
//! on the host for the same bundle and seed.

use anyhow::{Context, anyhow, bail};
use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Task;
use chi_embedded::bundle::frame::stored_crc;
use chi_embedded::envs::{self, point_mass::EpisodeSummary};
use chi_embedded::reference::{half_cheetah, point_mass};

use super::client::Client;
use crate::env::Env;

/// One episode controlled by the board.
#[derive(Clone, Debug)]
pub struct HilReport {
    /// Return as the host's environment counted it.
    pub ret: f32,
    /// Steps taken.
    pub steps: u32,
    /// CRC-32 of the bits of every action, in order (comparable with a self-test's).
    pub actions_crc: u32,
    /// The point-mass episode in full (goal, closest approach, final state); `None` for
    /// other tasks.
    pub point_mass: Option<EpisodeSummary>,
    /// SysTick ticks of each decision on the board.
    pub ticks: Vec<u32>,
    /// Planner iterations of each decision.
    pub iterations: Vec<u8>,
    /// Steps whose action differed (in any bit) from the host's controller.
    pub mismatches: usize,
    /// The first difference: step, board action, host action.
    pub first_mismatch: Option<(u32, Vec<f32>, Vec<f32>)>,
}

impl HilReport {
    /// Mean ticks a decision took.
    pub fn mean_ticks(&self) -> f64 {
        self.ticks.iter().map(|t| f64::from(*t)).sum::<f64>() / self.ticks.len().max(1) as f64
    }
}

/// Says hello and checks that the board runs `bundle` (through its CRC).
fn check_board(client: &mut Client, bundle: &[u8]) -> anyhow::Result<()> {
    let info = client.hello(std::time::Duration::from_secs(20))?;
    let crc = stored_crc(bundle).ok_or_else(|| anyhow!("bundle too short"))?;
    if info.bundle_crc != crc {
        bail!(
            "the board runs bundle {:#010x}, not this one ({crc:#010x})",
            info.bundle_crc
        );
    }
    Ok(())
}

/// The board's decisions of an episode, each checked against the host's.
#[derive(Default)]
struct Checked {
    ticks: Vec<u32>,
    iterations: Vec<u8>,
    mismatches: usize,
    first_mismatch: Option<(u32, Vec<f32>, Vec<f32>)>,
    failure: Option<anyhow::Error>,
    step: u32,
}

impl Checked {
    /// The board's action in `state`, compared bit for bit with `want` (the host's). After a
    /// link failure the host's action stands in and the episode is reported as failed.
    fn act<const S: usize, const A: usize>(
        &mut self,
        client: &mut Client,
        state: &[f32; S],
        want: [f32; A],
    ) -> [f32; A] {
        self.step += 1;
        if self.failure.is_some() {
            return want;
        }
        let reply = match client.act(state) {
            Ok(reply) => reply,
            Err(e) => {
                self.failure = Some(e);
                return want;
            }
        };
        self.ticks.push(reply.ticks);
        self.iterations.push(reply.iterations);
        let Ok(got) = <[f32; A]>::try_from(reply.action.as_slice()) else {
            self.failure = Some(anyhow!(
                "the board sent {} action values, not {A}",
                reply.action.len()
            ));
            return want;
        };
        if got.map(f32::to_bits) != want.map(f32::to_bits) {
            self.mismatches += 1;
            self.first_mismatch
                .get_or_insert((self.step, got.to_vec(), want.to_vec()));
        }
        got
    }

    fn report(
        self,
        ret: f32,
        actions_crc: u32,
        point_mass: Option<EpisodeSummary>,
    ) -> anyhow::Result<HilReport> {
        if let Some(e) = self.failure {
            return Err(e.context(format!("at step {}", self.step)));
        }
        Ok(HilReport {
            ret,
            steps: self.step,
            actions_crc,
            point_mass,
            ticks: self.ticks,
            iterations: self.iterations,
            mismatches: self.mismatches,
            first_mismatch: self.first_mismatch,
        })
    }
}

/// Runs one point-mass episode of `steps` steps with the board's actions. `bundle` must be
/// the bundle the board runs (checked through its CRC): the host replays the same controller
/// beside it, seeded with `seed` on both sides.
pub fn point_mass_episode(
    client: &mut Client,
    bundle: &[u8],
    steps: u32,
    seed: u64,
) -> anyhow::Result<HilReport> {
    check_board(client, bundle)?;
    let parsed = point_mass::Bundle::parse(bundle).context("the host cannot decode the bundle")?;
    let Task::PointMass(geometry) = parsed.header.task else {
        bail!("the bundle is not for the point mass");
    };
    let mut host = point_mass::Controller::from_bundle(&parsed, point_mass::REWARD, seed);
    client.reset(seed)?;
    let mut checked = Checked::default();
    let summary = envs::point_mass::run_episode(geometry, steps, |state| {
        let want = host.act(state, &mut Unlimited).action;
        checked.act(client, state, want)
    });
    checked.report(summary.ret, summary.actions_crc, Some(summary))
}

/// Runs one Half-Cheetah episode in `env` (MuJoCo on the host) with the board's actions,
/// each checked against the host's controller for the same bundle and `seed`; the episode
/// starts from `env.reset(seed)` and ends when the environment truncates it.
pub fn half_cheetah_episode(
    client: &mut Client,
    bundle: &[u8],
    env: &mut impl Env<{ half_cheetah::S }, { half_cheetah::A }>,
    seed: u64,
) -> anyhow::Result<HilReport> {
    check_board(client, bundle)?;
    let parsed =
        half_cheetah::Bundle::parse(bundle).context("the host cannot decode the bundle")?;
    if parsed.header.task != Task::HalfCheetah {
        bail!("the bundle is not for Half-Cheetah");
    }
    let mut host = half_cheetah::Controller::from_bundle(&parsed, half_cheetah::REWARD, seed);
    client.reset(seed)?;
    let mut checked = Checked::default();
    let (mut ret, mut crc) = (0.0f32, chi_embedded::bundle::frame::CRC32.digest());
    let mut state = env.reset(seed);
    loop {
        let want = host.act(&state, &mut Unlimited).action;
        let action = checked.act(client, &state, want);
        for a in action {
            crc.update(&a.to_bits().to_le_bytes());
        }
        let step = env.step(&action);
        ret += step.reward;
        state = step.obs;
        if step.terminated || step.truncated || checked.failure.is_some() {
            break;
        }
    }
    checked.report(ret, crc.finalize(), None)
}
