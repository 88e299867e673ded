//! Self-test: one closed-loop episode of a task the board simulates itself, reported in one
//! line the host parses. The sampler is seeded with the bundle's seed, the plant's start
//! with seed 0, as the host's `chi run` does.

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
        chi.act(s, &mut Unlimited).action
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
