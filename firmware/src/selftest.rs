//! Self-test: one closed-loop point-mass episode simulated on the board, reported in one line
//! the host parses. The sampler is seeded with the bundle's seed, as the host's `chi run`.

use crate::task::{Bundle, Controller, REWARD};
use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Task;
use chi_embedded::envs::point_mass;

use crate::{board, exit, stack};

/// Steps of the self-test episode (the host's `chi run` default too).
pub const EPISODE_STEPS: u32 = 60;

pub fn run(bundle: &Bundle<'static>) -> ! {
    let Task::PointMass(geometry) = bundle.header.task else {
        defmt::println!("chi: bundle is not for the point mass; the self-test cannot run it");
        exit::fail()
    };
    let mut chi = Controller::from_bundle(bundle, REWARD, bundle.header.seed);
    let start = board::ticks();
    let summary = point_mass::run_episode(geometry, EPISODE_STEPS, |s| {
        chi.act(s, &mut Unlimited).action
    });
    let ticks = board::ticks() - start;
    // f32 values travel as bits and the host prints the shortest text that reads back to
    // the same bits, so the host can compare exactly.
    defmt::println!(
        "chi: selftest steps {=u32} return {=f32} first_success {=u32} final_state {=f32} {=f32} actions_crc {=u32:#x} ticks {=u64} stack {=usize}",
        summary.steps,
        summary.ret,
        summary.first_success.unwrap_or(0),
        summary.final_state[0],
        summary.final_state[1],
        summary.actions_crc,
        ticks,
        stack::high_water()
    );
    exit::success()
}
