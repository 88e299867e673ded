//! chi firmware: the CHI controller of a weight bundle compiled into flash, on a Cortex-M4F
//! (STM32F405 class).
//!
//! One image does one job, chosen by a cargo feature:
//! - `hil`: serves actions over USART1 with the link protocol (`chi_embedded::link`); the
//!   host runs the environment (`chi hil`).
//! - `selftest`: runs one point-mass episode on the board itself and reports it.
//!
//! The task is the point mass, or Half-Cheetah with feature `cheetah` ([`task`]).
//! - `bench`: measures kernels and control steps in SysTick ticks, and the stack used.
//!
//! Every job starts by decoding the bundle; one that does not decode (corrupt, or built for
//! other sizes) is reported and the firmware refuses to act.
#![no_std]
#![no_main]

#[cfg(not(any(feature = "qemu", feature = "board")))]
compile_error!("choose where the firmware runs: feature `qemu` or `board`");
#[cfg(all(feature = "qemu", feature = "board"))]
compile_error!("features `qemu` and `board` exclude each other");
#[cfg(not(any(feature = "selftest", feature = "hil", feature = "bench")))]
compile_error!("choose the firmware's job: feature `selftest`, `hil` or `bench`");
#[cfg(any(
    all(feature = "selftest", feature = "hil"),
    all(feature = "selftest", feature = "bench"),
    all(feature = "hil", feature = "bench")
))]
compile_error!(
    "features `selftest`, `hil` and `bench` exclude each other (use --no-default-features)"
);

#[cfg(all(feature = "cheetah", feature = "selftest"))]
compile_error!(
    "the self-test simulates the point mass; Half-Cheetah (`cheetah`) runs hil or bench"
);

#[cfg(feature = "board")]
use defmt_rtt as _;
#[cfg(feature = "qemu")]
use defmt_semihosting as _;

mod board;
mod bundle;
mod exit;
mod stack;
mod task;

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "hil")]
mod hil;
#[cfg(feature = "selftest")]
mod selftest;

use cortex_m_rt::entry;

/// USART1 speed of the link.
pub const BAUD: u32 = 115_200;

/// Control steps the bench times (one self-test episode's worth).
#[cfg(feature = "bench")]
pub const BENCH_STEPS: u32 = 60;

#[entry]
fn main() -> ! {
    stack::paint();
    let Some(core) = cortex_m::Peripherals::take() else {
        exit::fail()
    };
    #[allow(unused_variables)]
    let serial = board::init(core, BAUD);
    let bundle = match bundle::load() {
        Ok(b) => b,
        Err(e) => {
            defmt::println!("chi: bundle refused: {}", defmt::Display2Format(&e));
            exit::fail()
        }
    };
    #[cfg(feature = "selftest")]
    selftest::run(&bundle);
    #[cfg(feature = "bench")]
    bench::run(&bundle);
    #[cfg(feature = "hil")]
    hil::run(&bundle, serial);
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    defmt::println!("chi: panic");
    exit::fail()
}
