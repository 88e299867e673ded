//! chi firmware, point-mass self-test: decode the bundle compiled into flash, then run one
//! closed-loop episode of the point mass on the board itself and report over semihosting.
//!
//! A bundle that does not decode (corrupt, or built for other sizes) is reported and the
//! firmware refuses to act: it exits with failure instead of controlling anything.
#![no_std]
#![no_main]

use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Task;
use chi_embedded::envs::point_mass::{self, GoalReward};
use chi_embedded::reference::point_mass::{Bundle, Controller};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

/// Steps of the self-test episode (the host's `chi run` default too).
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
            exit(debug::EXIT_FAILURE)
        }
    };
    let Task::PointMass(geometry) = bundle.header.task else {
        hprintln!("chi: bundle is not for the point mass; the self-test cannot run it");
        exit(debug::EXIT_FAILURE)
    };
    let mut chi = Controller::from_bundle(&bundle, GoalReward, bundle.header.seed);
    let summary = point_mass::run_episode(geometry, EPISODE_STEPS, |s| {
        chi.act(s, &mut Unlimited).action
    });
    // One line the host parses: f32 Display prints the shortest text that reads back to the
    // same bits, so the host can compare exactly.
    hprintln!(
        "chi: selftest steps {} return {} first_success {} final_state {} {} actions_crc {:#010x}",
        summary.steps,
        summary.ret,
        summary.first_success.unwrap_or(0),
        summary.final_state[0],
        summary.final_state[1],
        summary.actions_crc
    );
    exit(debug::EXIT_SUCCESS)
}

/// Ends the run: under QEMU (or a debugger) semihosting reports `code` to the host; on a
/// board without one the core sleeps.
fn exit(code: debug::ExitStatus) -> ! {
    debug::exit(code);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(debug::EXIT_FAILURE)
}
