//! `chi sweep`: a grid of runs from a TOML file, run here or as a SLURM array job.

use std::path::PathBuf;
use std::process::{Child, Command};

use anyhow::{Context, Result, bail};
use chi_host::sweep::{self, RunCommand, Slurm, Sweep};

#[derive(clap::Args)]
pub struct Args {
    /// The sweep (`chi_host::sweep` documents the format).
    file: PathBuf,
    /// Print the commands, one a line, and run nothing.
    #[arg(long, conflicts_with = "slurm")]
    list: bool,
    /// Runs at once on this machine.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Instead of running: write DIR/commands.txt and DIR/sweep.sbatch, a SLURM array job
    /// with one task a run (submit it with `sbatch DIR/sweep.sbatch`).
    #[arg(long, value_name = "DIR")]
    slurm: Option<PathBuf>,
    /// SLURM partition.
    #[arg(long, requires = "slurm")]
    partition: Option<String>,
    /// SLURM time limit of each run.
    #[arg(long, default_value = "04:00:00")]
    time: String,
    /// CPUs of each run (also its RAYON_NUM_THREADS).
    #[arg(long, default_value_t = 1)]
    cpus: u32,
    /// Most array tasks at once.
    #[arg(long, requires = "slurm")]
    at_once: Option<u32>,
}

impl Args {
    pub fn run(self) -> Result<()> {
        let sweep = Sweep::read(&self.file)?;
        let commands = sweep.commands();
        let chi = std::env::current_exe().context("where this chi is")?;
        if self.list {
            print!("{}", sweep::command_lines(&chi, &commands));
            return Ok(());
        }
        if let Some(dir) = &self.slurm {
            std::fs::create_dir_all(dir.join("logs"))
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let dir = std::path::absolute(dir)?;
            let file = dir.join("commands.txt");
            chi_host::atomic_file::write(&file, sweep::command_lines(&chi, &commands).as_bytes())?;
            let slurm = Slurm {
                partition: self.partition,
                time: self.time,
                cpus: self.cpus,
                at_once: self.at_once,
            };
            let script = dir.join("sweep.sbatch");
            let text = sweep::sbatch_script(&slurm, commands.len(), &file, &dir.join("logs"));
            chi_host::atomic_file::write(&script, text.as_bytes())?;
            println!(
                "{} runs: sbatch {} (commands in {})",
                commands.len(),
                script.display(),
                file.display()
            );
            return Ok(());
        }
        run_here(&chi, &commands, self.jobs.max(1))
    }
}

/// Runs the commands `jobs` at a time, each one's output in OUT/<agent>-seed<N>.log.
fn run_here(chi: &std::path::Path, commands: &[RunCommand], jobs: usize) -> Result<()> {
    let mut running: Vec<(usize, Child)> = Vec::new();
    let mut failed = Vec::new();
    let mut next = 0;
    while next < commands.len() || !running.is_empty() {
        while running.len() < jobs && next < commands.len() {
            let c = &commands[next];
            std::fs::create_dir_all(&c.out)?;
            let log = c.out.join(format!("sweep-run-{next}.log"));
            let file = std::fs::File::create(&log)
                .with_context(|| format!("cannot create {}", log.display()))?;
            eprintln!(
                "chi sweep: run {} of {}: chi {}",
                next + 1,
                commands.len(),
                c.args.join(" ")
            );
            let child = Command::new(chi)
                .args(&c.args)
                .stdout(file.try_clone()?)
                .stderr(file)
                .spawn()
                .with_context(|| format!("cannot start {}", chi.display()))?;
            running.push((next, child));
            next += 1;
        }
        let mut still = Vec::new();
        for (i, mut child) in running {
            match child.try_wait()? {
                Some(status) if !status.success() => failed.push(i),
                Some(_) => {}
                None => still.push((i, child)),
            }
        }
        running = still;
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    if !failed.is_empty() {
        let which: Vec<String> = failed
            .iter()
            .map(|i| {
                format!(
                    "run {} ({})",
                    i + 1,
                    commands[*i]
                        .out
                        .join(format!("sweep-run-{i}.log"))
                        .display()
                )
            })
            .collect();
        bail!(
            "{} of {} runs failed: {}",
            failed.len(),
            commands.len(),
            which.join(", ")
        );
    }
    eprintln!("chi sweep: all {} runs done", commands.len());
    Ok(())
}
