//! `chi report`: interval estimates over runs, per task directory.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chi_host::report::{self, CSV_HEADER, Settings};

#[derive(clap::Args)]
pub struct Args {
    /// Directories of runs (`<label>-seed<N>` below each), one task each. Runs are summarised
    /// by label, so a variant (`chi-nocf-seed0`) is an agent of its own beside `chi`. Where a
    /// directory holds an `eval.csv` (`experiments/evaluate.sh`'s), its noise-free returns are
    /// a third score.
    #[arg(long, num_args = 1.., required = true)]
    runs: Vec<PathBuf>,
    /// Episodes at the end whose mean return is a run's final return.
    #[arg(long, default_value_t = 10)]
    last: usize,
    /// Compare the first N environment steps of each run instead of every episode (for tasks
    /// whose episodes end early, where runs of as many episodes have taken different
    /// numbers of steps).
    #[arg(long, value_name = "N")]
    steps: Option<u64>,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 50_000)]
    reps: usize,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also write every estimate as CSV here.
    #[arg(long)]
    csv: Option<PathBuf>,
}

impl Args {
    pub fn run(self) -> Result<()> {
        if self.last == 0 {
            anyhow::bail!("--last must be at least 1");
        }
        let settings = Settings {
            last: self.last,
            budget: self
                .steps
                .map_or(report::Budget::Episodes, report::Budget::Steps),
            reps: self.reps,
            seed: self.seed,
        };
        let (mut md, mut csv) = (String::new(), format!("{CSV_HEADER}\n"));
        for dir in &self.runs {
            let runs = report::read_runs(dir)?;
            let mut scores = report::task_scores(dir, &runs, settings.last, settings.budget)?;
            scores.noise_free = report::read_noise_free(dir)?.unwrap_or_default();
            let r = report::report(scores, settings)
                .with_context(|| format!("the report of {}", dir.display()))?;
            md.push_str(&r.markdown(settings));
            md.push('\n');
            csv.push_str(&r.csv_rows());
        }
        print!("{md}");
        if let Some(path) = &self.markdown {
            chi_host::atomic_file::write(path, md.as_bytes())?;
        }
        if let Some(path) = &self.csv {
            chi_host::atomic_file::write(path, csv.as_bytes())?;
        }
        Ok(())
    }
}
