//! Self-test: one closed-loop episode of a task the board simulates itself, reported in one
//! line the host parses. The sampler is seeded with the bundle's seed, the plant's start
//! with seed 0, as the host's `chi run` does. The status LED is lit while each decision
//! computes; on a board each step then waits out the task's control period, so the episode
//! runs in real time (in QEMU it runs flat out: its time is virtual).

use chi_embedded::budget::Unlimited;
use chi_embedded::episode;
use chi_embedded::task::Task;

use crate::sizes::{A, Controller, S};
use crate::{board, exit, stack};

pub fn run<T: Task<S, A>>(chi: &mut Controller<'static, T>, task: T) -> ! {
    if !T::SIMULATED {
        defmt::println!(
            "chi: the board cannot simulate task {=str}; its self-test needs a task with no_std dynamics",
            T::NAME
        );
        exit::fail()
    }
    let start = board::ticks();
    let e = episode::run(&task, 0, T::EPISODE_STEPS, |s| {
        #[cfg(feature = "board")]
        let begun = board::ticks();
        board::status(true);
        let action = chi.act(s, &mut Unlimited).action;
        board::status(false);
        #[cfg(feature = "board")]
        hold_period::<T>(begun);
        action
    });
    let ticks = board::ticks() - start;
    // f32 values travel as bits and the host prints the shortest text that reads back to
    // the same bits, so the host can compare exactly.
    defmt::println!(
        "chi: selftest steps {=u32} return {=f32} terminated {=bool} actions_crc {=u32:#x} ticks {=u64} stack {=usize} final_state {=[?]}",
        e.steps,
        e.ret,
        e.terminated,
        e.actions_crc,
        ticks,
        stack::high_water(),
        &e.final_state[..]
    );
    exit::success()
}

/// Waits until one control period of `T` has passed since tick `begun`.
#[cfg(feature = "board")]
fn hold_period<T: Task<S, A>>(begun: u64) {
    use embedded_hal::delay::DelayNs;
    let period_ns = f64::from(T::CONTROL_PERIOD) * 1e9;
    let spent_ns = (board::ticks() - begun) as f64 * 1e9 / board::TICK_HZ;
    let left = (period_ns - spent_ns).max(0.0);
    board::Delay.delay_ns(left.min(f64::from(u32::MAX)) as u32);
}
