//! `chi plot`: learning curves and Figure 1.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Directory holding <agent>-seed<N> runs.
    #[arg(long, default_value = "runs")]
    runs: PathBuf,
    /// Where the figures go.
    #[arg(long, default_value = "figures")]
    out: PathBuf,
}

impl Args {
    pub fn run(self) -> Result<()> {
        for file in chi_host::plot::figures(&self.runs, &self.out)? {
            println!("{}", file.display());
        }
        Ok(())
    }
}
