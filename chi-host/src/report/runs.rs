//! A task directory's runs read into numbers: each run's returns and the steps at which its
//! episodes ended (its metrics.csv), and each run's noise-free return where the directory was
//! evaluated (its eval.csv).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::train::{MetricsTable, run_label};

/// One run's returns, episode by episode.
#[derive(Clone, Debug)]
pub struct RunReturns {
    /// Where it was read.
    pub dir: PathBuf,
    /// The agent (`chi`, `sac`, `cem`, ...).
    pub agent: String,
    /// Return of each episode.
    pub returns: Vec<f64>,
    /// Environment steps taken when each episode ended.
    pub ends: Vec<u64>,
}

/// Every run below `dir` (its subdirectories that hold a metrics.csv).
pub fn read_runs(dir: &Path) -> Result<Vec<RunReturns>> {
    let runs = MetricsTable::read_all(dir)?
        .iter()
        .map(read_run)
        .collect::<Result<Vec<_>>>()?;
    if runs.is_empty() {
        bail!(
            "{} holds no runs (directories with a metrics.csv)",
            dir.display()
        );
    }
    Ok(runs)
}

fn read_run(table: &MetricsTable) -> Result<RunReturns> {
    let csv = table.path().display();
    let returns: Vec<f64> = table.column("return")?;
    let ends: Vec<u64> = table.column("env_steps")?;
    if let Some(i) = returns.iter().position(|r| !r.is_finite()) {
        bail!("{csv} line {}: the return is {}", i + 2, returns[i]);
    }
    if let Some(i) = ends.windows(2).position(|w| w[1] <= w[0]) {
        bail!(
            "{csv} line {}: env_steps {} does not exceed the episode before's",
            i + 3,
            ends[i + 1]
        );
    }
    let Some(agent) = table.label()? else {
        bail!("{csv} has no finished episode");
    };
    Ok(RunReturns {
        dir: table
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        agent,
        returns,
        ends,
    })
}

/// The noise-free returns of the runs in `dir` as `experiments/evaluate.sh` writes them to
/// `dir/eval.csv` (a row a run: its directory, agent and `eval_return_mean`, the mean over
/// noise-free episodes of the agent as trained), by the runs' labels ([`run_label`]); `None`
/// if there is no such file. Training returns carry the exploration noise, which on some
/// tasks (Reacher's control cost) is most of them.
pub fn read_noise_free(dir: &Path) -> Result<Option<BTreeMap<String, Vec<f64>>>> {
    let path = dir.join("eval.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let table = MetricsTable::read(&path)?;
    let agents: Vec<String> = table.column("agent")?;
    // Labelled as the runs' metrics are: by the run's directory where it names one.
    let runs: Vec<String> = if table.has("run") {
        table.column("run")?
    } else {
        Vec::new()
    };
    let returns: Vec<f64> = table.column("eval_return_mean")?;
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (i, (agent, r)) in agents.into_iter().zip(returns).enumerate() {
        if !r.is_finite() {
            bail!("{} line {}: the return is {r}", path.display(), i + 2);
        }
        let label = runs
            .get(i)
            .and_then(|run| run_label(run))
            .map_or(agent, str::to_string);
        out.entry(label).or_default().push(r);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metrics_file_whose_steps_go_back_is_refused() {
        let dir = std::env::temp_dir().join(format!("chi-report-steps-{}", std::process::id()));
        let run = dir.join("chi-seed0");
        std::fs::create_dir_all(&run).unwrap();
        let header = "agent,seed,episode,env_steps,return";
        std::fs::write(
            run.join("metrics.csv"),
            format!("{header}\nchi,0,0,10,1.0\nchi,0,1,25,2.0\n"),
        )
        .unwrap();
        let runs = read_runs(&dir).unwrap();
        assert_eq!(runs[0].ends, [10, 25]);
        std::fs::write(
            run.join("metrics.csv"),
            format!("{header}\nchi,0,0,10,1.0\nchi,0,1,10,2.0\n"),
        )
        .unwrap();
        let err = format!("{:#}", read_runs(&dir).unwrap_err());
        assert!(
            err.contains("line 3: env_steps 10 does not exceed"),
            "{err}"
        );
        std::fs::write(
            run.join("metrics.csv"),
            format!("{header}\nchi,0,0,ten,1.0\n"),
        )
        .unwrap();
        let err = format!("{:#}", read_runs(&dir).unwrap_err());
        assert!(err.contains("env_steps 'ten' is not a number"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
