//! The bench firmware under chi's cycle model of the STM32F405 (a QEMU plugin): the model
//! times everything the firmware executes, its spans agree with the firmware's own SysTick
//! count, and the step cost the bundle's header predicts (`chi_embedded::cost`, fitted to
//! other bundles) is close to what the model counts. Its profile of a control step accounts
//! for the step's cycles and names where they go.

use std::time::Duration;

use chi_e2e::{Job, build_with, tmp};
use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec, with_distance_value};
use chi_embedded::cost::StepCost;
use chi_embedded::planner::Propagation;
use chi_host::firmware::bench::{BenchReport, Cycles};
use chi_host::firmware::cycles::{Plugin, span};
use chi_host::firmware::profile;
use chi_host::firmware::qemu::{self, Clock};

#[test]
fn the_cycle_model_times_the_bench_and_the_cost_estimate_follows_it() {
    // A bundle of none of the shapes the cost model was fitted to: 16 samples, each through
    // one member, two iterations, a value past the horizon.
    let mut spec = with_distance_value(point_mass_spec(32, 32, PolicyKind::Uncertain), 1.0, 0.5);
    spec.header.dims.samples = 16;
    spec.header.controller.planner.iterations = 2;
    spec.header.controller.planner.propagation = Propagation::OnePerSample;
    let spec = spec.quantised();
    let bytes = spec.encode().unwrap();
    let elf = build_with("bench-cost-i8", bytes.as_bytes(), Job::Bench);
    let plugin = Plugin::new(&elf, tmp("bench-cost-i8.cycles"))
        .unwrap()
        .profiling(span::ACT);
    let run = qemu::run(&elf, Clock::Modelled(&plugin), Duration::from_secs(600)).unwrap();
    assert_eq!(run.code, Some(0), "{:?}", run.log);
    let marks = plugin.read().unwrap();
    let report = BenchReport::parse_modelled(&run.log, &marks).unwrap();
    let cycles = report.cycles.as_ref().unwrap();
    assert!(
        cycles.unknown.is_empty(),
        "mnemonics the model has no timing for: {:?}",
        cycles.unknown
    );
    assert_eq!(
        report.planned_steps, report.steps,
        "the planner runs every step"
    );
    // embedded-hal's DelayNs on the tick counter lasts what it is asked, to within a tick
    // and the loop's last pass.
    let (asked, lasted) = report.delay;
    assert!(
        lasted >= asked && lasted < asked * 1.001,
        "a delay of {asked} s lasted {lasted} s"
    );
    let step = Cycles::mean(&cycles.steps);
    // The model's instructions in the marked spans are the ones SysTick counted (QEMU's
    // -icount: 0.168 ticks an instruction), to within the marks' own few instructions.
    let span_instructions = step.sum.instructions as f64 / cycles.steps.len() as f64;
    let relative = (span_instructions - report.step_instructions).abs() / report.step_instructions;
    assert!(
        relative < 0.01,
        "spans {span_instructions} against SysTick's {} instructions",
        report.step_instructions
    );
    // A Cortex-M4 reading weights from flash takes more than a cycle an instruction.
    assert!(
        step.cycles > 1.2 * span_instructions,
        "{} cycles for {span_instructions} instructions",
        step.cycles
    );
    let estimate = StepCost::of(&spec.header).with_iterations(2);
    let error = (estimate - step.cycles) / step.cycles;
    eprintln!(
        "step: {span_instructions:.0} instructions, {:.0} modelled cycles, {estimate:.0} estimated ({:+.1}%)",
        step.cycles,
        100.0 * error
    );
    assert!(
        error.abs() < 0.1,
        "cost model {estimate:.0} against the cycle model's {:.0} cycles a step ({:+.1}%)",
        step.cycles,
        100.0 * error
    );

    // The profile charges every cycle of the steps to an instruction (a few cycles at
    // each span's edges aside), and the debug information names chi's functions.
    let functions = profile::by_function(&elf, &marks.profile).unwrap();
    let profiled: u64 = functions.iter().map(|f| f.cycles).sum();
    let spans: u64 = cycles.steps.iter().map(|c| c.cycles).sum();
    let relative = (profiled as f64 - spans as f64).abs() / spans as f64;
    assert!(
        relative < 1e-3,
        "profile {profiled} cycles against the steps' {spans}"
    );
    let top: Vec<&str> = functions
        .iter()
        .take(5)
        .map(|f| f.function.as_str())
        .collect();
    eprintln!("hottest functions: {top:?}");
    assert!(
        top.iter().any(|f| f.starts_with("chi_embedded::nn::")),
        "the dense layers are among the hottest five: {top:?}"
    );
}
