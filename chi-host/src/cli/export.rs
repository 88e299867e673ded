//! `chi export`: a trained run as f32 and int8 bundles for the board.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chi_embedded::bundle::Precision;
use chi_embedded::bundle::owned::BundleSpec;
use chi_embedded::cost::{StepCost, period_cycles};
use chi_embedded::habit::HabitConfig;
use chi_embedded::planner::Propagation;
use chi_embedded::task::Task;
use chi_host::tasks::Visitor;
use chi_host::train::Run;
use chi_host::world::World;

#[derive(clap::Args)]
pub struct Args {
    /// The run directory (OUT/<agent>-seed<N> of `chi train`).
    #[arg(long)]
    run: PathBuf,
    /// Planner samples K the bundles declare (default: the run's `board.samples`).
    #[arg(long)]
    samples: Option<u32>,
    /// Directory for bundle-f32.chib and bundle-int8.chib (default: the run's).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Planner iterations I the board runs (default: the run's `board.iterations`).
    #[arg(long)]
    iterations: Option<u32>,
    /// Propagate each planner sample through one ensemble member (cycling through them)
    /// instead of all: 1/E of the cost (default: the run's `board.one_per_sample`).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    one_per_sample: Option<bool>,
    /// The habitual exit the board runs with, `AGREE,TRUST,CHECK` (skip planning after
    /// TRUST planned steps in a row moved the executed action by less than AGREE of the
    /// policy's sigma, planning one step in CHECK to check) or `off` (default: the run's).
    #[arg(long, value_name = "AGREE,TRUST,CHECK", value_parser = super::parse_habit)]
    habit: Option<HabitConfig>,
    /// Skip the closed-loop check of the int8 bundle against the f32 one (it builds the
    /// board's controller for the host twice).
    #[arg(long)]
    no_check: bool,
}

impl Args {
    pub fn run(self) -> Result<()> {
        super::on_run(&self.run.clone(), self)
    }
}

impl Visitor for Args {
    type Out = Result<()>;

    fn visit<const S: usize, const A: usize, W: World<S, A>>(self) -> Result<()> {
        let run = Run::<S, A, W>::reopen(&self.run)?;
        let board = run.config().board;
        let out = self.out.clone().unwrap_or_else(|| self.run.clone());
        std::fs::create_dir_all(&out)?;
        let mut spec = run
            .spec(self.samples.unwrap_or(board.samples))?
            .with_padded_ensemble_input();
        let planner = &mut spec.header.controller.planner;
        planner.iterations = self.iterations.unwrap_or(board.iterations);
        if planner.iterations == 0 {
            bail!("--iterations must be at least 1 (early exit already skips planning)");
        }
        if self.one_per_sample.unwrap_or(board.one_per_sample) {
            planner.propagation = Propagation::OnePerSample;
        } else {
            planner.propagation = Propagation::AllMembers;
        }
        if let Some(habit) = self.habit {
            spec.header.controller.habit = habit;
        }
        let period = <W::Task as Task<S, A>>::CONTROL_PERIOD;
        fit_period(
            &mut spec,
            period,
            (self.iterations.is_some(), self.samples.is_some()),
        )?;
        let int8 = spec.quantised();
        let (bf, bq) = (spec.encode()?, int8.encode()?);
        let (pf, pq) = (out.join("bundle-f32.chib"), out.join("bundle-int8.chib"));
        chi_host::atomic_file::write(&pf, bf.as_bytes())?;
        chi_host::atomic_file::write(&pq, bq.as_bytes())?;
        let p = spec.header.controller.planner;
        println!(
            "{} after {} episodes (the board plans with K = {}, I = {}, {:?}):",
            self.run.display(),
            run.episodes_done(),
            spec.header.dims.samples,
            p.iterations,
            p.propagation
        );
        println!(
            "  {} ({} bytes)\n  {} ({} bytes)\n",
            pf.display(),
            bf.len(),
            pq.display(),
            bq.len()
        );
        for (name, s) in [("f32", &spec), ("int8", &int8)] {
            let cost = StepCost::of(&s.header);
            let iterations = s.header.controller.planner.iterations;
            println!(
                "  {name}: about {:.2} M cycles a step on the STM32F405 ({:.2} M amortised + {iterations} x {:.2} M planning; chi_embedded::cost), {:.1} steps/s at 168 MHz against the task's {:.0}",
                cost.with_iterations(iterations) / 1e6,
                cost.amortise / 1e6,
                cost.iteration / 1e6,
                chi_embedded::cost::CORE_HZ / cost.with_iterations(iterations),
                1.0 / period
            );
        }
        print!("{}", chi_host::export::quantisation_table(&spec, &int8));
        if self.no_check {
            return Ok(());
        }
        let mut env = run.env()?;
        let c = chi_host::export::int8_check(&pf, &pq, &mut env)?;
        println!(
            "\nint8 against f32 on the board's kernels (host twins), one episode: mean |a_int8 - a_f32| {:.4} (max {:.4}) in the f32 controller's states;\n  \
             episode return f32 {:.3}, int8 {:.3}",
            c.mean_action_diff, c.max_action_diff, c.return_f32, c.return_int8
        );
        Ok(())
    }
}

/// The share of the period a fitted step may use: the cost model was within 6% of the
/// cycle model on bundles it was not fitted to, and a step that overruns its estimate
/// loses its last iteration to the board's pacing.
const PERIOD_SHARE: f64 = 0.9;

/// Fits the int8 bundle's step (what the board runs) into nine tenths of the task's
/// `period` on the STM32F405 by the cost model ([`StepCost`]): unless asked for
/// (`given`: iterations, samples), as many iterations as fit, down to one, then as few
/// samples as make one fit. What is asked for and does not fit is exported with a warning
/// (the board paces its steps, so it stops planning in time); an amortised phase that alone
/// outlasts the period is refused, saying what it costs.
fn fit_period(spec: &mut BundleSpec, period: f32, given: (bool, bool)) -> Result<()> {
    let budget = PERIOD_SHARE * period_cycles(period);
    // The int8 bundle's header is this one's with its precision: no need to quantise.
    let cost = |spec: &BundleSpec| {
        let mut header = spec.header;
        header.precision = Precision::I8;
        StepCost::of(&header)
    };
    let first = cost(spec);
    let Some(mut fit) = first.iterations_within(budget) else {
        bail!(
            "the board cannot act within the task's {:.1} ms period: its amortised phase alone is about {:.2} M cycles at 168 MHz ({:.2} M allowed); train smaller networks (the board preset) or a shorter horizon",
            period * 1e3,
            first.amortise / 1e6,
            budget / 1e6
        );
    };
    let (iterations_given, samples_given) = given;
    let wanted = spec.header.controller.planner.iterations;
    if wanted > fit && !iterations_given && fit > 0 {
        eprintln!(
            "chi: {wanted} iterations would take about {:.2} M cycles a step on the board, over {:.2} M (nine tenths of the task's period): exporting {fit}",
            first.with_iterations(wanted) / 1e6,
            budget / 1e6
        );
        spec.header.controller.planner.iterations = fit;
    }
    // The iterations the samples must make room for: the ones asked for, else one.
    let needed = if iterations_given { wanted } else { 1 };
    if fit < needed && !samples_given {
        // Fewer samples: the rollouts' cost is proportional to K. Whole shares of the
        // members, at least one each.
        let dims = spec.header.dims;
        let members = dims.members.max(1);
        let room = (budget - first.amortise) / (first.iteration.max(1.0) * f64::from(needed));
        let k = ((f64::from(dims.samples) * room) as u32 / members) * members;
        if k >= members.max(2) {
            eprintln!(
                "chi: {needed} iteration(s) of K = {} would take about {:.2} M cycles a step on the board, over {:.2} M: exporting K = {k}",
                dims.samples,
                first.with_iterations(needed) / 1e6,
                budget / 1e6
            );
            spec.header.dims.samples = k;
            fit = cost(spec).iterations_within(budget).unwrap_or(0);
        }
    }
    let now = spec.header.controller.planner.iterations;
    if now > fit {
        eprintln!(
            "chi: warning: {now} iterations take about {:.2} M cycles a step on the board, over {:.2} M (nine tenths of the task's period); the board stops planning when its period runs out (after about {fit})",
            cost(spec).with_iterations(now) / 1e6,
            budget / 1e6
        );
    }
    Ok(())
}
