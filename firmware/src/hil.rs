//! Hardware in the loop: serve the controller over the link's UART (USART1 on the
//! STM32F405). The host sends states, the board answers with actions (`chi_embedded::link`),
//! timing each decision with SysTick and keeping each within the task's control period:
//! planning stops with the best plan so far when another unit of work would not end in
//! time, and the reply says how many iterations ran, so the host can replay the step.

use chi_embedded::budget::Pacer;
use chi_embedded::cost::period_cycles;
use chi_embedded::habit::HabitConfig;
use chi_embedded::link::{ControllerHandler, Info, Server};
use chi_embedded::task::Task;

use crate::board::Serial;
use crate::marks::{self, Span};
use crate::sizes::{A, Bundle, Controller, S};
use crate::{board, bundle, exit};

include!(concat!(env!("OUT_DIR"), "/deadline.rs"));

/// The deadline of a step in ticks: the build's, or the task's control period in SysTick
/// ticks (the core clock on a board, [`board::TICK_HZ`]). Under QEMU with `-icount shift=0`
/// an instruction is a nanosecond of virtual time (on the F405 0.168 ticks), so the task's
/// period allows far more work in QEMU than on a board: tests that want a tight deadline
/// there set `CHI_DEADLINE_TICKS`.
fn period_ticks<T: Task<S, A>>() -> u64 {
    // A bundle whose amortised phase alone outlasts the period could never act in time (the
    // planner's iterations are paced, the amortised phase is not): refused when the
    // firmware is compiled for the task.
    const {
        assert!(
            crate::sizes::AMORTISE_CYCLES <= period_cycles(T::CONTROL_PERIOD),
            "the bundle's amortised phase alone does not fit the task's control period on a 168 MHz Cortex-M4 (chi_embedded::cost): export smaller networks or a shorter horizon"
        );
    }
    DEADLINE_TICKS.unwrap_or((f64::from(T::CONTROL_PERIOD) * board::TICK_HZ) as u64)
}

pub fn run<T: Task<S, A>>(
    bundle: &Bundle<'static>,
    chi: &mut Controller<'static, T>,
    mut serial: Serial,
) -> ! {
    let info = Info::new(&bundle.header, bundle::bytes(), env!("CARGO_PKG_VERSION"));
    // One planned step before serving measures the longest unit of planning work, so the
    // first real step is paced too; then the controller starts as the bundle declares.
    let mut pacer = Pacer::new(period_ticks::<T>());
    let config = chi.config;
    chi.config.early_exit_sigma = 0.0;
    chi.config.habit = HabitConfig::OFF;
    let _ = chi.act(&[0.0; S], &mut pacer.step(board::ticks));
    chi.config = config;
    chi.reseed(bundle.header.seed);
    defmt::println!(
        "chi: hil steps paced to {=u64} ticks (longest unit of planning {=u64})",
        pacer.period(),
        pacer.longest_unit()
    );
    let mut handler = ControllerHandler::new(chi, info, decision_clock)
        .paced(pacer, board::ticks)
        .reporting(board::serial_errors);
    defmt::println!(
        "chi: hil serving on the link's UART at {=u32} baud",
        crate::BAUD
    );
    let mut server = Server::new();
    // The UART never fails (its error type is Infallible), so serve only returns on a bug.
    let _ = server.serve(&mut serial, &mut handler);
    exit::fail()
}

/// The handler's clock, which it reads exactly twice around each decision: odd reads begin
/// one (the status LED lit, so a scope shows each step's time, and [`Span::Act`] marked for
/// the cycle model), even reads end it.
fn decision_clock() -> u64 {
    use core::sync::atomic::{AtomicBool, Ordering};
    static IN_DECISION: AtomicBool = AtomicBool::new(false);
    if IN_DECISION.fetch_xor(true, Ordering::Relaxed) {
        let t = board::ticks();
        marks::end(Span::Act);
        board::status(false);
        t
    } else {
        board::status(true);
        marks::begin(Span::Act);
        board::ticks()
    }
}
