//! Figure 1 (a-c) of the paper: at the start of an episode, the amortised proposal (its
//! expected states and per-step action spread) against the final posterior's expected path,
//! early, midway and late in learning. The trainer records one snapshot per CHI episode in
//! `figure1.csv`; `chi plot` draws three of them.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Planning horizon of the snapshots (the point mass's H).
pub const H: usize = 7;

/// One decision, as Figure 1 draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Episode (0-based).
    pub episode: u32,
    /// The state the decision was made in.
    pub state: [f32; 2],
    /// Amortised means and stds of the H actions.
    pub amortised_mean: [[f32; 2]; H],
    /// Amortised action stds.
    pub amortised_std: [[f32; 2]; H],
    /// Expected states of the amortised rollout.
    pub amortised_states: [[f32; 2]; H],
    /// Posterior means.
    pub posterior_mean: [[f32; 2]; H],
    /// Posterior stds.
    pub posterior_std: [[f32; 2]; H],
    /// Expected states of following the posterior means.
    pub posterior_states: [[f32; 2]; H],
}

const FILE: &str = "figure1.csv";
const HEADER: &str = "episode,h,state_x,state_y,amortised_mean_x,amortised_mean_y,amortised_std_x,amortised_std_y,amortised_state_x,amortised_state_y,posterior_mean_x,posterior_mean_y,posterior_std_x,posterior_std_y,posterior_state_x,posterior_state_y";

/// Appends `s` to the run's `figure1.csv` (created with its header when missing).
pub fn append(dir: &Path, s: &Snapshot) -> Result<()> {
    let path = dir.join(FILE);
    let mut text = String::new();
    if !path.exists() {
        text.push_str(HEADER);
        text.push('\n');
    }
    for h in 0..H {
        let fields = [
            s.state,
            s.amortised_mean[h],
            s.amortised_std[h],
            s.amortised_states[h],
            s.posterior_mean[h],
            s.posterior_std[h],
            s.posterior_states[h],
        ];
        write!(text, "{},{h}", s.episode)?;
        for [x, y] in fields {
            write!(text, ",{x},{y}")?;
        }
        text.push('\n');
    }
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Drops snapshots of episodes at or after `episodes_done` (written before a kill that came
/// ahead of the checkpoint), so a resumed run records each episode once.
pub fn truncate(dir: &Path, episodes_done: u32) -> Result<()> {
    let path = dir.join(FILE);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(());
    };
    let keep: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, line)| {
            *i == 0
                || line
                    .split(',')
                    .next()
                    .and_then(|e| e.parse::<u32>().ok())
                    .is_some_and(|e| e < episodes_done)
        })
        .map(|(_, l)| l)
        .collect();
    fs::write(&path, keep.join("\n") + "\n")?;
    Ok(())
}

/// Reads a run's snapshots, in episode order.
pub fn load(dir: &Path) -> Result<Vec<Snapshot>> {
    let path = dir.join(FILE);
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut out: Vec<Snapshot> = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let v: Vec<f32> = line
            .split(',')
            .map(|f| f.parse::<f32>())
            .collect::<Result<_, _>>()
            .with_context(|| format!("{}:{}: not numbers", path.display(), n + 1))?;
        let [episode, h, rest @ ..] = v.as_slice() else {
            bail!("{}:{}: too few fields", path.display(), n + 1);
        };
        let &[
            sx,
            sy,
            amx,
            amy,
            asx,
            asy,
            atx,
            aty,
            pmx,
            pmy,
            psx,
            psy,
            ptx,
            pty,
        ] = rest
        else {
            bail!("{}:{}: expected 16 fields", path.display(), n + 1);
        };
        let (episode, h) = (*episode as u32, *h as usize);
        if h >= H {
            bail!("{}:{}: step {h} beyond the horizon", path.display(), n + 1);
        }
        if h == 0 {
            out.push(Snapshot {
                episode,
                state: [sx, sy],
                amortised_mean: [[0.0; 2]; H],
                amortised_std: [[0.0; 2]; H],
                amortised_states: [[0.0; 2]; H],
                posterior_mean: [[0.0; 2]; H],
                posterior_std: [[0.0; 2]; H],
                posterior_states: [[0.0; 2]; H],
            });
        }
        let Some(s) = out.last_mut().filter(|s| s.episode == episode) else {
            bail!(
                "{}:{}: a snapshot must start at step 0",
                path.display(),
                n + 1
            );
        };
        s.amortised_mean[h] = [amx, amy];
        s.amortised_std[h] = [asx, asy];
        s.amortised_states[h] = [atx, aty];
        s.posterior_mean[h] = [pmx, pmy];
        s.posterior_std[h] = [psx, psy];
        s.posterior_states[h] = [ptx, pty];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(episode: u32) -> Snapshot {
        let f = episode as f32;
        Snapshot {
            episode,
            state: [0.0, f],
            amortised_mean: [[0.5, -0.25 * f]; H],
            amortised_std: [[0.9, 0.8]; H],
            amortised_states: [[0.1, 0.2]; H],
            posterior_mean: [[0.75, 0.5]; H],
            posterior_std: [[0.1, 0.3]; H],
            posterior_states: [[0.3, 0.4]; H],
        }
    }

    #[test]
    fn snapshots_round_trip_and_truncate_to_the_checkpoint() {
        let dir = std::env::temp_dir().join(format!("chi-figure1-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for e in 0..3 {
            append(&dir, &snapshot(e)).unwrap();
        }
        assert_eq!(
            load(&dir).unwrap(),
            vec![snapshot(0), snapshot(1), snapshot(2)]
        );
        truncate(&dir, 2).unwrap();
        assert_eq!(load(&dir).unwrap(), vec![snapshot(0), snapshot(1)]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
