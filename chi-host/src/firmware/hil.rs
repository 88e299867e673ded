//! Hardware in the loop: the point mass runs on the host, the controller on the board, and
//! every action is checked against chi-embedded's on the host for the same bundle and seed.

use anyhow::{Context, anyhow, bail};
use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Task;
use chi_embedded::bundle::frame::stored_crc;
use chi_embedded::envs::point_mass::{self, EpisodeSummary, GoalReward};
use chi_embedded::reference::point_mass::{Bundle, Controller};

use super::client::Client;

/// One episode controlled by the board.
#[derive(Clone, Debug)]
pub struct HilReport {
    /// The episode as the host's environment saw it.
    pub summary: EpisodeSummary,
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

/// Runs one point-mass episode of `steps` steps with the board's actions. `bundle` must be
/// the bundle the board runs (checked through its CRC): the host replays the same controller
/// beside it, seeded with `seed` on both sides.
pub fn point_mass_episode(
    client: &mut Client,
    bundle: &[u8],
    steps: u32,
    seed: u64,
) -> anyhow::Result<HilReport> {
    let info = client.hello(std::time::Duration::from_secs(20))?;
    let crc = stored_crc(bundle).ok_or_else(|| anyhow!("bundle too short"))?;
    if info.bundle_crc != crc {
        bail!(
            "the board runs bundle {:#010x}, not this one ({crc:#010x})",
            info.bundle_crc
        );
    }
    let parsed = Bundle::parse(bundle).context("the host cannot decode the bundle")?;
    let Task::PointMass(geometry) = parsed.header.task else {
        bail!("the bundle is not for the point mass");
    };
    let mut host = Controller::from_bundle(&parsed, GoalReward, seed);
    client.reset(seed)?;

    let (mut ticks, mut iterations) = (Vec::new(), Vec::new());
    let (mut mismatches, mut first_mismatch) = (0, None);
    let mut failure = None;
    let mut step = 0u32;
    let summary = point_mass::run_episode(geometry, steps, |state| {
        step += 1;
        let want = host.act(state, &mut Unlimited).action;
        if failure.is_some() {
            return want;
        }
        match client.act(state) {
            Ok(reply) => {
                ticks.push(reply.ticks);
                iterations.push(reply.iterations);
                let got: [f32; 2] = match reply.action.as_slice().try_into() {
                    Ok(a) => a,
                    Err(_) => {
                        failure = Some(anyhow!(
                            "the board sent {} action values",
                            reply.action.len()
                        ));
                        return want;
                    }
                };
                if got.map(f32::to_bits) != want.map(f32::to_bits) {
                    mismatches += 1;
                    first_mismatch.get_or_insert((step, got.to_vec(), want.to_vec()));
                }
                got
            }
            Err(e) => {
                failure = Some(e);
                want
            }
        }
    });
    if let Some(e) = failure {
        return Err(e.context(format!("at step {step}")));
    }
    Ok(HilReport {
        summary,
        ticks,
        iterations,
        mismatches,
        first_mismatch,
    })
}
