//! `chi bench`: the firmware's cost in QEMU under `-icount shift=0`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use chi_host::firmware::bench::{BenchReport, Cycles};
use chi_host::firmware::cycles::{Plugin, Site, span};
use chi_host::firmware::machine::Machine;
use chi_host::firmware::profile;
use chi_host::firmware::{self, qemu};

#[derive(clap::Args)]
pub struct Args {
    /// The bundle to build the bench firmware with.
    bundle: PathBuf,
    /// Run in QEMU (the only way here; a board would need a probe and RTT).
    #[arg(long, required = true)]
    qemu: bool,
    /// Functions to list in the profile of a control step (where its modelled cycles go).
    #[arg(long, default_value_t = 14, value_name = "N")]
    profile: usize,
    /// The QEMU machine (chip) to run on. The cycle model describes the STM32F405
    /// (netduinoplus2) only; the others report QEMU instructions.
    #[arg(long, value_enum, default_value_t)]
    machine: Machine,
}

impl Args {
    pub fn run(self) -> Result<()> {
        let header = super::BundleFile::read(&self.bundle)?.header;
        let work = super::WorkDir::new()?;
        let elf = work.join(&format!("chi-bench-{}.elf", self.machine));
        eprintln!(
            "chi: building the bench firmware for {} with {}",
            self.machine,
            self.bundle.display()
        );
        firmware::build::build_for(
            self.machine,
            &self.bundle,
            firmware::build::Job::Bench,
            None,
            &elf,
        )?;
        if self.machine != Machine::Netduinoplus2 {
            return self.instructions_only(&elf);
        }
        let plugin = Plugin::new(&elf, work.join("chi-bench.cycles"))?.profiling(span::ACT);
        let run = qemu::run(
            &elf,
            qemu::Clock::Modelled(&plugin),
            Duration::from_secs(600),
        )?;
        if run.code != Some(0) {
            bail!("the bench firmware failed: {:?}", run.log);
        }
        let marks = plugin.read()?;
        let r = BenchReport::parse_modelled(&run.log, &marks)?;
        println!(
            "firmware bench (QEMU netduinoplus2, -icount shift=0; cycles from chi's model of the STM32F405 at 168 MHz), bundle {}",
            self.bundle.display()
        );
        let Some(cycles) = &r.cycles else {
            bail!("the bench ran without the cycle model");
        };
        println!(
            "  {:<34} {:>6} {:>13} {:>9} {:>16}",
            "dense kernel", "", "instr/MAC", "cyc/MAC", "cyc/MAC (in RAM)"
        );
        for (k, c) in r.kernels.iter().zip(&cycles.kernels) {
            println!(
                "  {:<34} {:>6} {:>13.2} {:>9.2} {:>16.2}",
                k.name,
                k.precision,
                k.instructions_per_mac,
                c.cycles as f64 / k.macs,
                c.cycles_with_data_in_ram() as f64 / k.macs
            );
        }
        print_step(&r);
        print_cycles(cycles);
        // The task's control period is the budget of a step.
        let task = header.task.name();
        let Some(period) = chi_embedded::envs::builtin(task).map(|b| b.control_period) else {
            bail!("no control period known for task {task}");
        };
        let rate = 1.0 / f64::from(period);
        let budget = firmware::CORE_HZ / rate;
        println!(
            "  worst step at 168 MHz: {:.1} steps/s (task {task}: {rate:.0} a second, at most {:.2} M instructions)",
            r.steps_per_second(),
            budget / 1e6
        );
        if let Some(k) = r.samples_within(budget) {
            println!(
                "  planner samples K that fit {:.2} M instructions a step: about {k}",
                budget / 1e6
            );
        }
        println!(
            "  worst step at 168 MHz in modelled cycles: {:.1} steps/s (weights in SRAM: {:.1})",
            cycles.steps_per_second(),
            firmware::CORE_HZ / cycles.worst_step().cycles_with_data_in_ram().max(1) as f64
        );
        println!("  stack: {} of {} bytes used", r.stack.0, r.stack.1);
        print_profile(&elf, &marks.profile, cycles.steps.len(), self.profile)?;
        if !cycles.unknown.is_empty() {
            println!(
                "  the model timed these mnemonics as one cycle (not in its tables): {:?}",
                cycles.unknown
            );
        }
        Ok(())
    }
}

impl Args {
    /// The bench on a machine the cycle model does not describe: QEMU instructions.
    fn instructions_only(&self, elf: &std::path::Path) -> Result<()> {
        let run = qemu::run(elf, qemu::Clock::Instructions, Duration::from_secs(600))?;
        if run.code != Some(0) {
            bail!("the bench firmware failed: {:?}", run.log);
        }
        let r = BenchReport::parse(&run.log, self.machine)?;
        println!(
            "firmware bench (QEMU {} ({}), -icount shift=0: instructions, not cycles), bundle {}",
            self.machine,
            self.machine.cpu(),
            self.bundle.display()
        );
        for k in &r.kernels {
            println!(
                "  {:<34} {:>6} {:>8.2} instructions a MAC",
                k.name, k.precision, k.instructions_per_mac
            );
        }
        print_step(&r);
        println!("  stack: {} of {} bytes used", r.stack.0, r.stack.1);
        Ok(())
    }
}

/// The control step's instructions (QEMU's count).
fn print_step(r: &BenchReport) {
    println!(
        "  control step: mean {:.0}, worst {:.0} instructions (amortised phase {:.0}); {} of {} steps planned, K = {}",
        r.step_instructions,
        r.worst_step_instructions,
        r.amortise_instructions,
        r.planned_steps,
        r.steps,
        r.samples
    );
}

/// The `rows` functions a control step spends most of its modelled cycles in.
fn print_profile(elf: &std::path::Path, sites: &[Site], steps: usize, rows: usize) -> Result<()> {
    let functions = profile::by_function(elf, sites)?;
    let total: u64 = functions.iter().map(|f| f.cycles).sum();
    let steps = steps.max(1) as f64;
    println!(
        "  where a control step's modelled cycles go (chi's innermost function, inlined calls included):"
    );
    for f in functions.iter().take(rows) {
        println!(
            "    {:>5.1}% {:>10.0} cycles {:>9.0} instructions a step  {}",
            100.0 * f.cycles as f64 / total.max(1) as f64,
            f.cycles as f64 / steps,
            f.instructions as f64 / steps,
            f.function
        );
    }
    let rest: u64 = functions.iter().skip(rows).map(|f| f.cycles).sum();
    println!(
        "    {:>5.1}% {:>10.0} cycles a step in {} other functions",
        100.0 * rest as f64 / total.max(1) as f64,
        rest as f64 / steps,
        functions.len().saturating_sub(rows)
    );
    Ok(())
}

/// The step's modelled cycles by cause: what the core does itself and what it waits for.
fn print_cycles(cycles: &Cycles) {
    let step = Cycles::mean(&cycles.steps);
    let amortise = Cycles::mean(&cycles.amortise);
    let worst = cycles.worst_step();
    println!(
        "  control step in modelled cycles: mean {:.0} ({:.2} a instruction), worst {:.0}; amortised phase {:.0}",
        step.cycles,
        step.sum.cycles_per_instruction(),
        worst.cycles,
        amortise.cycles
    );
    let n = cycles.steps.len().max(1) as f64;
    let s = step.sum;
    let share = |v: u64| 100.0 * v as f64 / s.cycles.max(1) as f64;
    for (cause, v) in [
        ("core at zero wait states", s.core),
        ("pipeline refills (taken branches)", s.refill),
        ("exception entries", s.exception),
        ("instruction fetch from flash", s.fetch),
        ("data from flash (weights in place)", s.data),
        ("literal pools in flash", s.literal),
        ("peripherals", s.peripheral),
    ] {
        println!(
            "    {cause:<36} {:>12.0} cycles a step ({:>5.1}%)",
            v as f64 / n,
            share(v)
        );
    }
}
