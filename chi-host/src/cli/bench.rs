//! `chi bench`: the firmware's cost in QEMU under `-icount shift=0`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use chi_host::firmware::{self, qemu};

#[derive(clap::Args)]
pub struct Args {
    /// The bundle to build the bench firmware with.
    bundle: PathBuf,
    /// Run in QEMU (the only way here; a board would need a probe and RTT).
    #[arg(long, required = true)]
    qemu: bool,
}

impl Args {
    pub fn run(self) -> Result<()> {
        let header = super::BundleFile::read(&self.bundle)?.header;
        let elf = super::work_dir().join("chi-bench.elf");
        eprintln!(
            "chi: building the bench firmware with {}",
            self.bundle.display()
        );
        firmware::build::build(&self.bundle, firmware::build::Job::Bench, &elf)?;
        let run = qemu::run(&elf, true, Duration::from_secs(300))?;
        if run.code != Some(0) {
            bail!("the bench firmware failed: {:?}", run.log);
        }
        let r = firmware::bench::BenchReport::parse(&run.log)?;
        println!(
            "firmware bench (QEMU netduinoplus2, -icount shift=0), bundle {}",
            self.bundle.display()
        );
        for k in &r.kernels {
            println!(
                "  dense {} ({}): {:.2} instructions per MAC",
                k.name, k.precision, k.instructions_per_mac
            );
        }
        println!(
            "  control step: mean {:.0}, worst {:.0} instructions (amortised phase {:.0}); {} of {} steps planned, K = {}",
            r.step_instructions,
            r.worst_step_instructions,
            r.amortise_instructions,
            r.planned_steps,
            r.steps,
            r.samples
        );
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
        println!("  stack: {} of {} bytes used", r.stack.0, r.stack.1);
        Ok(())
    }
}
