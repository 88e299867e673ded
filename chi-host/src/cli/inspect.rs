//! `chi inspect`: what a bundle holds, and whether the firmware can be built for it.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// The bundle file.
    bundle: PathBuf,
}

impl Args {
    pub fn run(self) -> Result<()> {
        let super::BundleFile { bytes, header, .. } = super::BundleFile::read(&self.bundle)?;
        let d = header.dims;
        println!(
            "bundle '{}': {} bytes, format version {}, valid",
            self.bundle.display(),
            bytes.len(),
            chi_embedded::bundle::frame::VERSION
        );
        let task = header.task;
        let builtin = chi_embedded::envs::builtin(task.name());
        let params = match builtin {
            Some(b) if b.param_names.len() == task.params().len() => b
                .param_names
                .iter()
                .zip(task.params())
                .map(|(n, v)| format!("{n} = {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            _ => format!("{:?}", task.params()),
        };
        println!(
            "  task        {} (version {}){}",
            task.name(),
            task.version,
            if params.is_empty() {
                String::new()
            } else {
                format!(": {params}")
            }
        );
        println!("  precision   {:?}", header.precision);
        println!(
            "  sizes       S={} A={} E={} HE={} HP={} H={} K={}",
            d.state, d.action, d.members, d.ensemble_hidden, d.policy_hidden, d.horizon, d.samples
        );
        println!(
            "  ensemble    {:?}, log-variance bounds {:?}",
            header.ensemble_activation, header.log_var_bounds
        );
        println!(
            "  policy      {:?}, log-std bounds {:?}",
            header.policy_activation, header.log_std_bounds
        );
        println!("  controller  {:?}", header.controller);
        match header.terminal_value {
            Some(w) => println!(
                "  value       {hp} -> {hp} -> 1 past the horizon, weight {w}",
                hp = header.dims.policy_hidden
            ),
            None => println!("  value       none (the planner scores the H rewards alone)"),
        }
        println!("  seed        {}", header.seed);
        let generated = chi_embedded::codegen::generate(bytes.as_bytes());
        match (builtin, generated) {
            (Some(b), Ok(g)) => println!(
                "  firmware    builds from this bundle: task built in ({}), planner scratch {:.1} KB on the stack, {:.1} KB of tensors in flash",
                b.type_path,
                g.planner_bytes as f64 / 1024.0,
                bytes.len() as f64 / 1024.0
            ),
            (None, Ok(_)) => println!(
                "  firmware    needs a binary of your own naming the task type (not built into chi-embedded)"
            ),
            (_, Err(e)) => println!("  firmware    cannot be built for it: {e}"),
        }
        Ok(())
    }
}
