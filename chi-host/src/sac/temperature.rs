//! SAC's entropy temperature alpha: fixed (the paper's 0.2), or tuned so the policy's
//! entropy tracks a target (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and
//! Applications", Section 5), as most SAC implementations do by default.
//!
//! Why CHI wants the tuned one: with alpha fixed the policy keeps as much entropy as the
//! critics' spread allows, so on the point mass its first action's std stays near 0.47 and
//! the controller's early exit never fires. Tuned towards `-|A|` nats the policy narrows
//! wherever the task lets it, and the board skips planning there.

use std::path::Path;

use anyhow::{Result, bail};

use crate::optim::{adam_update, corrections};
use crate::tensor_file::{self, Named, TensorFile, Values};

/// The temperature and, when tuned, its one parameter `log alpha` with Adam's state.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Temperature {
    /// The paper's alpha, never changed.
    Fixed(f32),
    /// `log alpha`, stepped by Adam on `J = -log alpha E[log pi + target]` (the form
    /// softlearning and Stable-Baselines3 use: its gradient does not shrink with alpha).
    Tuned {
        target: f32,
        log_alpha: f32,
        moments: [f32; 2],
        step: u64,
        learning_rate: f64,
    },
}

impl Temperature {
    /// Fixed at `alpha`, or tuned from `alpha` towards `target` nats per state.
    pub(super) fn new(alpha: f64, target: Option<f64>, learning_rate: f64) -> Self {
        match target {
            None => Self::Fixed(alpha as f32),
            Some(target) => Self::Tuned {
                target: target as f32,
                log_alpha: (alpha as f32).ln(),
                moments: [0.0; 2],
                step: 0,
                learning_rate,
            },
        }
    }

    /// alpha now.
    pub(super) fn alpha(&self) -> f32 {
        match self {
            Self::Fixed(alpha) => *alpha,
            Self::Tuned { log_alpha, .. } => log_alpha.exp(),
        }
    }

    /// One Adam step of `log alpha` given the log-probabilities of the actor step's sample;
    /// nothing when fixed.
    pub(super) fn update(&mut self, log_probs: &[f32]) {
        let Self::Tuned {
            target,
            log_alpha,
            moments: [m, v],
            step,
            learning_rate,
        } = self
        else {
            return;
        };
        if log_probs.is_empty() {
            return;
        }
        let mean = log_probs.iter().sum::<f32>() / log_probs.len() as f32;
        let grad = -(mean + *target);
        *step += 1;
        let (mut w, mut mm, mut vv) = ([*log_alpha], [*m], [*v]);
        adam_update(
            &mut w,
            &[grad],
            &mut mm,
            &mut vv,
            corrections(*step),
            *learning_rate,
            1.0,
        );
        (*log_alpha, *m, *v) = (w[0], mm[0], vv[0]);
    }

    /// Writes a tuned temperature's state to `path` (a fixed one has none).
    pub(super) fn save(&self, path: &Path) -> Result<()> {
        let Self::Tuned {
            log_alpha,
            moments,
            step,
            ..
        } = self
        else {
            return Ok(());
        };
        let state = [*log_alpha, moments[0], moments[1]];
        let step = [*step as f64];
        tensor_file::write(
            path,
            &[
                Named {
                    name: "log_alpha_m_v".into(),
                    shape: vec![3],
                    values: Values::F32(&state),
                },
                Named {
                    name: "step".into(),
                    shape: vec![1],
                    values: Values::F64(&step),
                },
            ],
        )
    }

    /// Restores what [`Temperature::save`] wrote, when tuned.
    pub(super) fn load(&mut self, path: &Path) -> Result<()> {
        let Self::Tuned {
            log_alpha,
            moments,
            step,
            ..
        } = self
        else {
            return Ok(());
        };
        if !path.exists() {
            bail!(
                "{} is missing: the run tunes SAC's temperature (target_entropy is set), and a checkpoint of it holds its state",
                path.display()
            );
        }
        let file = TensorFile::read(path)?;
        let state = file.f32s_flat("log_alpha_m_v", 3)?;
        let s = file.f64_scalar("step")?;
        if !(s >= 0.0 && s.fract() == 0.0) {
            bail!("{}: step {s} is not a step count", path.display());
        }
        if !state.iter().all(|x| x.is_finite()) {
            bail!("{}: the temperature's state is not finite", path.display());
        }
        (*log_alpha, *moments, *step) = (state[0], [state[1], state[2]], s as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy whose entropy is below the target (log-probabilities high) raises alpha;
    /// one above it lowers alpha; a fixed temperature never moves.
    #[test]
    fn alpha_moves_towards_the_target_entropy() {
        let mut t = Temperature::new(0.2, Some(-2.0), 1e-2);
        for _ in 0..50 {
            t.update(&[3.0, 3.5]); // entropy about -3.25 < -2: too confident
        }
        assert!(t.alpha() > 0.2 * 1.4, "{}", t.alpha());
        let mut t = Temperature::new(0.2, Some(-2.0), 1e-2);
        for _ in 0..50 {
            t.update(&[-1.0, 0.0]); // entropy 0.5 > -2: too random
        }
        assert!(t.alpha() < 0.2 / 1.4, "{}", t.alpha());
        let mut fixed = Temperature::new(0.2, None, 1e-2);
        fixed.update(&[3.0]);
        assert_eq!(fixed.alpha(), 0.2);
    }

    /// The state round-trips through a file; a missing or corrupt file is refused by name.
    #[test]
    fn state_is_saved_and_restored() {
        let dir = std::env::temp_dir().join(format!("chi-temperature-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("temperature.safetensors");
        let mut t = Temperature::new(0.2, Some(-1.0), 3e-4);
        t.update(&[0.3, 0.1]);
        t.save(&path).unwrap();
        let mut back = Temperature::new(0.5, Some(-1.0), 3e-4);
        back.load(&path).unwrap();
        assert_eq!(back, t);
        std::fs::write(&path, b"not a tensor file").unwrap();
        let err = back.load(&path).unwrap_err().to_string();
        assert!(err.contains("temperature.safetensors"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let err = back.load(&path).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
