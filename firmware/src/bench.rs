//! Cost bench: SysTick ticks of the dense kernels and of control steps, and the stack used.
//! Run under QEMU with `-icount shift=0` (`chi bench --qemu`), a tick is 1/0.168 instructions;
//! on a board it is a core cycle. The host turns the lines into a table.

use chi_embedded::budget::Unlimited;
use chi_embedded::nn::{Dense, QuantisedInput};
use core::hint::black_box;

use chi_embedded::task::Task;

use crate::marks::{self, Span};
use crate::sizes::{A, Bundle, Controller, K, S};
use crate::{board, exit, stack};

/// Repetitions of each kernel, enough that the loop around it is noise.
const REPS: u32 = 200;

pub fn run<T: Task<S, A>>(
    bundle: &Bundle<'static>,
    chi: &mut Controller<'static, T>,
    task: T,
) -> ! {
    let Some(member) = bundle.ensemble.members.first() else {
        exit::fail()
    };
    kernel("ensemble_hidden", &member.hidden.1);
    kernel("policy_hidden", &bundle.policy.hidden.1);
    delay();

    let mut states = BenchStates::new(task);
    let (mut total, mut worst, mut amortise, mut planned) = (0u64, 0u64, 0u64, 0u32);
    let mut iterations = 0u32;
    for _ in 0..crate::BENCH_STEPS {
        let state = states.state();
        marks::begin(Span::Amortise);
        let t0 = board::ticks();
        black_box(chi.amortise(&state));
        let t1 = board::ticks();
        marks::end(Span::Amortise);
        board::status(true);
        marks::begin(Span::Act);
        let t2 = board::ticks();
        let decision = chi.act(&state, &mut Unlimited);
        let t3 = board::ticks();
        marks::end(Span::Act);
        board::status(false);
        amortise += t1 - t0;
        total += t3 - t2;
        worst = worst.max(t3 - t2);
        planned += u32::from(decision.refinement.iterations > 0);
        iterations += decision.refinement.iterations;
        states.step(&decision.action);
    }
    defmt::println!(
        "chi: bench steps {=u32} ticks {=u64} worst {=u64} amortise {=u64} planned {=u32} iterations {=u32} samples {=u32}",
        crate::BENCH_STEPS,
        total,
        worst,
        amortise,
        planned,
        iterations,
        K as u32
    );
    defmt::println!(
        "chi: bench stack {=usize} of {=usize}",
        stack::high_water(),
        stack::capacity()
    );
    exit::success()
}

/// Times embedded-hal's `DelayNs` on the board's tick counter: the host checks that a 1 ms
/// delay lasts 1 ms, rounded up to a tick.
fn delay() {
    use embedded_hal::delay::DelayNs;
    const NS: u32 = 1_000_000;
    let start = board::ticks();
    board::Delay.delay_ns(NS);
    let waited = board::ticks() - start;
    defmt::println!("chi: bench delay ns {=u32} ticks {=u64}", NS, waited);
}

fn kernel<const IN: usize, const OUT: usize>(name: &str, layer: &Dense<'_, IN, OUT>) {
    let precision = match layer {
        Dense::F32(_) => "f32",
        Dense::I8(_) => "i8",
    };
    let mut x = [0.0f32; IN];
    // Inputs of both signs and several magnitudes, as a hidden layer sees.
    for (i, v) in x.iter_mut().enumerate() {
        *v = ((i % 7) as f32 - 3.0) * 0.25;
    }
    let mut y = [0.0f32; OUT];
    let ticks = repeated(|| layer.forward(black_box(&x), black_box(&mut y)));
    defmt::println!(
        "chi: bench kernel {=str} {=str} macs {=u32} reps {=u32} ticks {=u64}",
        name,
        precision,
        (IN * OUT) as u32,
        REPS,
        ticks
    );
    // Four samples through the layer at once, as the planner pushes its samples through a
    // member (each its own input, so each is quantised on its own).
    let xs: [[f32; IN]; 4] = core::array::from_fn(|b| x.map(|v| v * (1.0 + 0.5 * b as f32)));
    let mut ys = [[0.0f32; OUT]; 4];
    let ticks = repeated(|| layer.forward_batch(black_box(&xs), black_box(&mut ys)));
    defmt::println!(
        "chi: bench kernel {=str}_batch4 {=str} macs {=u32} reps {=u32} ticks {=u64}",
        name,
        precision,
        (4 * IN * OUT) as u32,
        REPS,
        ticks
    );
    // The int8 MAC kernel alone, its input already quantised (the lines above include
    // quantising each f32 input, once per layer call).
    if let Dense::I8(layer) = layer {
        let q = QuantisedInput::new(&x);
        let ticks = repeated(|| layer.forward_quantised(black_box(&q), black_box(&mut y)));
        defmt::println!(
            "chi: bench kernel {=str}_prequantised {=str} macs {=u32} reps {=u32} ticks {=u64}",
            name,
            precision,
            (IN * OUT) as u32,
            REPS,
            ticks
        );
        let qs = xs.each_ref().map(QuantisedInput::new);
        let ticks = repeated(|| layer.forward_quantised4(black_box(&qs), black_box(&mut ys)));
        defmt::println!(
            "chi: bench kernel {=str}_batch4_prequantised {=str} macs {=u32} reps {=u32} ticks {=u64}",
            name,
            precision,
            (4 * IN * OUT) as u32,
            REPS,
            ticks
        );
    }
}

/// SysTick ticks of `REPS` calls of `f`.
fn repeated(mut f: impl FnMut()) -> u64 {
    marks::begin(Span::Kernel);
    let t0 = board::ticks();
    for _ in 0..REPS {
        f();
    }
    let ticks = board::ticks() - t0;
    marks::end(Span::Kernel);
    ticks
}

/// States for the bench to act in, and what moves them on: the task's own dynamics where the
/// board simulates it; otherwise (MuJoCo's physics lives on the host) a fixed smooth
/// trajectory, since a control step's cost does not depend on the state's values (the early
/// exit aside, which an untrained or uncertain policy does not take).
struct BenchStates<T> {
    task: T,
    state: [f32; S],
    t: f32,
}

impl<T: Task<S, A>> BenchStates<T> {
    fn new(task: T) -> Self {
        let state = if T::SIMULATED {
            task.initial_state(0)
        } else {
            [0.0; S]
        };
        Self {
            task,
            state,
            t: 0.0,
        }
    }

    fn state(&self) -> [f32; S] {
        self.state
    }

    fn step(&mut self, action: &[f32; A]) {
        if T::SIMULATED {
            self.state = self.task.transition(&self.state, action);
            return;
        }
        self.t += 0.2;
        for (i, s) in self.state.iter_mut().enumerate() {
            *s = 0.5 * libm::sinf(self.t + i as f32);
        }
    }
}
