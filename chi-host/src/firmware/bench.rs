//! The bench job's report: kernel and control-step cost, stack, and what they mean at the
//! F405's 168 MHz.

use anyhow::Context;

use super::CORE_HZ;
use super::cycles::{Counts, Marks};
use super::log::{line, number};
use super::machine::Machine;

/// The spans the bench marks (`firmware/src/marks.rs`).
use super::cycles::span;

/// One kernel's cost.
#[derive(Clone, Debug)]
pub struct KernelCost {
    /// Which layer.
    pub name: String,
    /// `f32` or `i8`.
    pub precision: String,
    /// Instructions per multiply-accumulate (bias, scale and loop included).
    pub instructions_per_mac: f64,
    /// Multiply-accumulates of one repetition.
    pub macs: f64,
}

/// What `chi bench --qemu` measures.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// The dense kernels.
    pub kernels: Vec<KernelCost>,
    /// Mean instructions of a control step.
    pub step_instructions: f64,
    /// The slowest step.
    pub worst_step_instructions: f64,
    /// Mean instructions of the amortised phase alone.
    pub amortise_instructions: f64,
    /// Steps that ran the planner, of all steps.
    pub planned_steps: u32,
    /// Steps timed.
    pub steps: u32,
    /// Planner iterations summed over steps.
    pub iterations: u32,
    /// Planner samples `K` of the build.
    pub samples: u32,
    /// Stack bytes used at most, of those available.
    pub stack: (u64, u64),
    /// The cycle model's costs, where it ran.
    pub cycles: Option<Cycles>,
    /// The firmware's `DelayNs` timed: seconds asked and seconds it lasted by the tick
    /// counter.
    pub delay: (f64, f64),
}

/// What the cycle model says of the bench's spans.
#[derive(Clone, Debug)]
pub struct Cycles {
    /// Each kernel's repetitions, in the order of [`BenchReport::kernels`].
    pub kernels: Vec<Counts>,
    /// Each step's amortised phase.
    pub amortise: Vec<Counts>,
    /// Each whole step.
    pub steps: Vec<Counts>,
    /// Mnemonics the model did not know.
    pub unknown: Vec<(String, u64)>,
}

impl Cycles {
    /// The model's spans of a bench with `kernels` kernel lines and `steps` steps.
    pub fn from_marks(marks: &Marks, kernels: usize, steps: u32) -> anyhow::Result<Self> {
        let c = Self {
            kernels: marks.span(span::KERNEL).to_vec(),
            amortise: marks.span(span::AMORTISE).to_vec(),
            steps: marks.span(span::ACT).to_vec(),
            unknown: marks.unknown.clone(),
        };
        let steps = steps as usize;
        if c.kernels.len() != kernels || c.amortise.len() != steps || c.steps.len() != steps {
            anyhow::bail!(
                "the cycle model marked {} kernels, {} amortised phases and {} steps; the bench \
                 reported {kernels} kernels and {steps} steps",
                c.kernels.len(),
                c.amortise.len(),
                c.steps.len()
            );
        }
        Ok(c)
    }

    /// The mean of `spans`' counts, each cause apart.
    pub fn mean(spans: &[Counts]) -> Mean {
        let sum = Counts::sum(spans);
        let n = spans.len().max(1) as f64;
        Mean {
            cycles: sum.cycles as f64 / n,
            sum,
        }
    }

    /// The step with the most modelled cycles.
    pub fn worst_step(&self) -> Counts {
        self.steps
            .iter()
            .copied()
            .max_by_key(|c| c.cycles)
            .unwrap_or_default()
    }

    /// Control steps a second at 168 MHz, at the worst step's modelled cycles.
    pub fn steps_per_second(&self) -> f64 {
        CORE_HZ / (self.worst_step().cycles.max(1) as f64)
    }
}

/// Mean counts over spans.
#[derive(Clone, Copy, Debug)]
pub struct Mean {
    /// Modelled cycles a span.
    pub cycles: f64,
    /// The spans' total, by cause.
    pub sum: Counts,
}

impl BenchReport {
    /// Reads the bench's log of a run on QEMU's `machine` (whose tick rate turns ticks into
    /// instructions).
    pub fn parse(log: &[String], machine: Machine) -> anyhow::Result<Self> {
        let instructions = |ticks: u64| machine.instructions(ticks);
        let mut kernels = Vec::new();
        for l in log.iter().filter(|l| l.starts_with("chi: bench kernel ")) {
            let macs: f64 = number(l, "macs", 1)?;
            let reps: f64 = number(l, "reps", 1)?;
            let ticks: u64 = number(l, "ticks", 1)?;
            let mut words = l.split_whitespace().skip(3);
            kernels.push(KernelCost {
                name: words.next().unwrap_or("?").to_string(),
                precision: words.next().unwrap_or("?").to_string(),
                instructions_per_mac: instructions(ticks) / (macs * reps),
                macs: macs * reps,
            });
        }
        let s = line(log, "chi: bench steps ")?;
        let steps: u32 = number(s, "steps", 1)?;
        let per = |t: u64| instructions(t) / f64::from(steps.max(1));
        let stack = line(log, "chi: bench stack ")?;
        let delay = line(log, "chi: bench delay ")?;
        let report: anyhow::Result<Self> = Ok(Self {
            kernels,
            step_instructions: per(number(s, "ticks", 1)?),
            worst_step_instructions: instructions(number(s, "worst", 1)?),
            amortise_instructions: per(number(s, "amortise", 1)?),
            planned_steps: number(s, "planned", 1)?,
            steps,
            iterations: number(s, "iterations", 1)?,
            samples: number(s, "samples", 1)?,
            stack: (number(stack, "stack", 1)?, number(stack, "of", 1)?),
            cycles: None,
            delay: (
                number::<f64>(delay, "ns", 1)? * 1e-9,
                number::<f64>(delay, "ticks", 1)? / machine.tick_hz(),
            ),
        });
        report.context("reading the bench report")
    }

    /// Reads the bench's log and the cycle model's marks of the same run (the STM32F405's).
    pub fn parse_modelled(log: &[String], marks: &Marks) -> anyhow::Result<Self> {
        let mut r = Self::parse(log, Machine::Netduinoplus2)?;
        r.cycles = Some(Cycles::from_marks(marks, r.kernels.len(), r.steps)?);
        Ok(r)
    }

    /// Control steps per second at 168 MHz, taking one instruction a cycle (a bound on the
    /// rate: a Cortex-M4 needs more than a cycle for many instructions; see [`Cycles`]).
    pub fn steps_per_second(&self) -> f64 {
        CORE_HZ / self.worst_step_instructions.max(1.0)
    }

    /// Planner samples that fit a control period of `budget` instructions, from the
    /// measured cost: the amortised phase is fixed, the planner's cost grows with `K`.
    pub fn samples_within(&self, budget: f64) -> Option<u64> {
        if self.iterations == 0 {
            return None;
        }
        let planner = (self.step_instructions - self.amortise_instructions).max(0.0)
            * f64::from(self.steps)
            / f64::from(self.planned_steps.max(1));
        let per_sample = planner / f64::from(self.samples.max(1));
        let room = budget - self.amortise_instructions;
        (per_sample > 0.0 && room > 0.0).then(|| (room / per_sample) as u64)
    }
}
