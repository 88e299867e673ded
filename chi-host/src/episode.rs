//! One closed-loop point-mass episode with the CHI controller, on the host.

use chi_embedded::budget::Unlimited;
use chi_embedded::dynamics::Reward;
use chi_embedded::envs::point_mass::{self, Geometry, PointMass};

/// What an episode did.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeReport {
    /// Sum of rewards.
    pub ret: f32,
    /// First step (1-based) at which the goal region was reached.
    pub first_success: Option<u32>,
    /// Closest distance to the goal.
    pub closest: f32,
    /// Final position.
    pub final_state: [f32; 2],
    /// Steps run.
    pub steps: u32,
    /// Steps on which the amortised proposal was confident enough to skip planning.
    pub early_exits: u32,
    /// Planner iterations over the episode.
    pub iterations: u32,
}

/// Anything that acts like the CHI controller on the point mass: lets one episode loop serve
/// every compiled size.
pub trait PointMassAgent {
    /// The action for `state` and whether planning was skipped, with the iterations run.
    fn act(&mut self, state: &[f32; 2]) -> ([f32; 2], bool, u32);
}

impl<
    R: Reward<2, 2>,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> PointMassAgent for chi_embedded::controller::Controller<'_, R, 2, 2, IN, E, HE, HP, H, K>
{
    fn act(&mut self, state: &[f32; 2]) -> ([f32; 2], bool, u32) {
        let d = chi_embedded::controller::Controller::act(self, state, &mut Unlimited);
        (d.action, d.early_exit, d.refinement.iterations)
    }
}

/// Runs `steps` steps from the start; the same loop as the firmware's self-test, so the
/// return is comparable bit for bit.
pub fn run(agent: &mut impl PointMassAgent, geometry: Geometry, steps: u32) -> EpisodeReport {
    let mut env = PointMass::new(geometry);
    let mut state = env.reset();
    let mut report = EpisodeReport {
        ret: 0.0,
        first_success: None,
        closest: point_mass::distance_to_goal(&state),
        final_state: state,
        steps,
        early_exits: 0,
        iterations: 0,
    };
    for step in 1..=steps {
        let (action, early, iterations) = agent.act(&state);
        let t = env.step(&action);
        state = t.state;
        report.ret += t.reward;
        report.closest = report.closest.min(point_mass::distance_to_goal(&state));
        report.early_exits += u32::from(early);
        report.iterations += iterations;
        if t.at_goal && report.first_success.is_none() {
            report.first_success = Some(step);
        }
    }
    report.final_state = state;
    report
}
