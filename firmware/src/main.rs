//! chi firmware, point-mass self-test: decode the bundle compiled into flash, then run one
//! closed-loop episode of the point mass on the board itself and report over semihosting.
//!
//! A bundle that does not decode (corrupt, or built for other sizes) is reported and the
//! firmware refuses to act: it exits with failure instead of controlling anything.
#![no_std]
#![no_main]

use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Task;
use chi_embedded::envs::point_mass::{GoalReward, PointMass};
use chi_embedded::reference::point_mass::{Bundle, Controller};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

/// Steps of the self-test episode.
const EPISODE_STEPS: u32 = 60;

/// Forces the 16-byte alignment the bundle needs to be read in place.
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);

static BUNDLE: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/bundle.chib")));

#[entry]
fn main() -> ! {
    let bundle = match Bundle::parse(&BUNDLE.0) {
        Ok(b) => b,
        Err(e) => {
            hprintln!("chi: bundle refused: {}", e);
            debug::exit(debug::EXIT_FAILURE);
            loop {}
        }
    };
    let Task::PointMass(geometry) = bundle.header.task else {
        hprintln!("chi: bundle is not for the point mass; the self-test cannot run it");
        debug::exit(debug::EXIT_FAILURE);
        loop {}
    };
    let mut chi = Controller::from_bundle(&bundle, GoalReward, bundle.header.seed);
    let mut env = PointMass::new(geometry);
    let mut state = env.reset();
    let (mut ret, mut reached) = (0.0f32, false);
    for _ in 0..EPISODE_STEPS {
        let decision = chi.act(&state, &mut Unlimited);
        let t = env.step(&decision.action);
        state = t.state;
        ret += t.reward;
        reached |= t.at_goal;
    }
    hprintln!("chi: selftest return {} reached_goal {} final_state {:?}", ret, reached, state);
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}
