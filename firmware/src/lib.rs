//! chi firmware: the CHI controller of a weight bundle compiled into flash, on a Cortex-M4F
//! (the STM32F405, by default), a Cortex-M7 or a Cortex-M33 (`board`: one file a chip).
//!
//! The controller's sizes come from the bundle itself ([`sizes`], generated at build time),
//! so one source serves every bundle; the task is a type the binary names: the bundle's own
//! for chi's tasks (`src/main.rs`), or a task of the user's crate, whose binary calls
//! [`run`] with it.
//!
//! One image does one job, chosen by a cargo feature:
//! - `hil`: serves actions over the chip's UART (USART1 on the STM32F405) with the link
//!   protocol (`chi_embedded::link`); the host runs the environment (`chi hil`).
//! - `selftest`: runs one episode of a task the board can simulate and reports it.
//! - `bench`: measures kernels and control steps in SysTick ticks, and the stack used.
//!
//! Every job starts by decoding the bundle; one that does not decode (corrupt, or trained
//! on another task than the binary's) is reported and the firmware refuses to act.
#![no_std]

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

#[cfg(feature = "board")]
use defmt_rtt as _;
#[cfg(feature = "qemu")]
use defmt_semihosting as _;

mod board;
mod bundle;
mod exit;
#[cfg(any(feature = "bench", feature = "hil"))]
mod marks;
#[macro_use]
pub mod sizes;
mod stack;

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "hil")]
mod hil;
#[cfg(feature = "selftest")]
mod selftest;

use chi_embedded::task::Task;
use sizes::{A, S};

/// USART1 speed of the link.
pub const BAUD: u32 = 115_200;

/// Control steps the bench times (one point-mass episode's worth).
#[cfg(feature = "bench")]
pub const BENCH_STEPS: u32 = 60;

/// The firmware's job for task `T`: call it from the binary's entry point.
pub fn run<T: Task<S, A>>() -> ! {
    stack::paint();
    #[cfg(feature = "stack-overflow")]
    stack::overflow();
    let Some(core) = cortex_m::Peripherals::take() else {
        exit::fail()
    };
    let Some(serial) = board::init(core, BAUD) else {
        defmt::println!(
            "chi: the chip did not come up (peripherals taken, or no clock for the baud rate)"
        );
        exit::fail()
    };
    #[cfg(not(feature = "hil"))]
    let _ = serial;
    let bundle = match bundle::load() {
        Ok(b) => b,
        Err(e) => {
            defmt::println!("chi: bundle refused: {}", defmt::Display2Format(&e));
            exit::fail()
        }
    };
    let task = match bundle.task::<T>() {
        Ok(t) => t,
        Err(e) => {
            defmt::println!("chi: bundle refused: {}", defmt::Display2Format(&e));
            exit::fail()
        }
    };
    // The controller holds the planner's scratch (tens of KB at Half-Cheetah's sizes): it is
    // built in place in this frame and the jobs borrow it, so it is never copied.
    let mut slot = core::mem::MaybeUninit::uninit();
    let chi = sizes::Controller::<T>::from_bundle_in(&mut slot, &bundle, task, bundle.header.seed);
    #[cfg(feature = "selftest")]
    selftest::run(chi, task);
    #[cfg(feature = "bench")]
    bench::run(&bundle, chi, task);
    #[cfg(feature = "hil")]
    hil::run(&bundle, chi, serial);
}

/// Every device interrupt comes here (cortex-m-rt's default vector table): the chip's
/// module dispatches it.
#[cortex_m_rt::exception]
unsafe fn DefaultHandler(irqn: i16) {
    board::interrupt(irqn);
}

/// Reports where over defmt (semihosting in QEMU, RTT on a board) and halts.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    match info.location() {
        Some(at) => defmt::println!("chi: panic at {=str}:{=u32}", at.file(), at.line()),
        None => defmt::println!("chi: panic"),
    }
    exit::fail()
}
