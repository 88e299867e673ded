//! `chi export`: a trained run as f32 and int8 bundles for the board.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chi_embedded::planner::Propagation;
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
        let mut spec = run.spec(self.samples.unwrap_or(board.samples))?;
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
