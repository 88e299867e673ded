//! One configuration for a training run: the paper's defaults, each with where it comes
//! from; any field can be overridden by a TOML file and the common ones by flags.

use std::path::Path;

use anyhow::{Context, Result};
use chi_embedded::envs::point_mass::Geometry;
use chi_embedded::planner::{PlannerConfig, Propagation, Weighting};
use serde::{Deserialize, Serialize};

use crate::ensemble_trainer::EnsembleConfig;
use crate::sac::SacConfig;

/// Which agent a run trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AgentKind {
    /// Control as hybrid inference: SAC's policy proposes, the Eq. 4 planner refines.
    Chi,
    /// Soft Actor-Critic alone (model-free).
    Sac,
    /// Model-predictive control by the cross-entropy method on the same learned ensemble
    /// (the paper's model-based baseline).
    Cem,
}

impl AgentKind {
    /// Lower-case name used in paths and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chi => "chi",
            Self::Sac => "sac",
            Self::Cem => "cem",
        }
    }
}

/// The CHI agent's own settings (the iterative phase and the training-time behaviour).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChiConfig {
    /// The iterative phase. `K` is compiled (`PLANNER_SAMPLES`, the paper's 500); horizon
    /// `H` = 7 likewise (paper Appendix C).
    pub planner: PlannerConfig,
    /// Early exit when the amortised first action's std is below this (paper Section 5).
    pub early_exit_sigma: f32,
    /// Std of the Gaussian noise added to executed actions while training (Appendix C: 0.3).
    pub action_noise: f32,
    /// Train SAC also on the planner's counterfactual rollouts (Appendix G: "crucial").
    pub counterfactual: bool,
    /// Counterfactual sequences drawn from the final posterior per step.
    pub counterfactual_per_step: usize,
}

impl Default for ChiConfig {
    fn default() -> Self {
        Self {
            planner: PlannerConfig {
                // The paper does not give I; 3 refits at K = 500 move an uncertain proposal
                // all the way (the controller's tests).
                iterations: 3,
                // W = exp(R / lambda): returns over 7 steps differ by ~0.1-1 on the point mass.
                weighting: Weighting::Eq4 { temperature: 0.05 },
                sigma_min: 0.02,
                propagation: Propagation::AllMembers,
            },
            early_exit_sigma: 0.05,
            action_noise: 0.3,
            counterfactual: true,
            counterfactual_per_step: 16,
        }
    }
}

/// The CEM-MPC baseline's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CemConfig {
    /// The planner with elite weighting, from the uninformed prior N(0, 1) every step. PETS'
    /// usual 5 iterations and 10% elites; `K` = 500 and `H` = 7 as for CHI (Appendix C).
    pub planner: PlannerConfig,
    /// Exploration noise while training, as for CHI (Appendix C: 0.3).
    pub action_noise: f32,
}

impl Default for CemConfig {
    fn default() -> Self {
        Self {
            planner: PlannerConfig {
                iterations: 5,
                weighting: Weighting::Elites { count: 50 },
                sigma_min: 0.02,
                propagation: Propagation::AllMembers,
            },
            action_noise: 0.3,
        }
    }
}

/// A training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Episodes to train.
    pub episodes: u32,
    /// Steps per episode.
    pub episode_steps: u32,
    /// Episodes of uniformly random actions before the agent acts (model-based agents need
    /// data for a first ensemble fit).
    pub random_episodes: u32,
    /// SAC gradient steps per environment step.
    pub updates_per_step: u32,
    /// Replay capacity.
    pub replay_capacity: usize,
    /// The wall of the point mass.
    pub geometry: Geometry,
    /// SAC (the amortised phase; also the SAC baseline).
    pub sac: SacConfig,
    /// The dynamics ensemble.
    pub ensemble: EnsembleConfig,
    /// CHI's planner and training behaviour.
    pub chi: ChiConfig,
    /// The CEM-MPC baseline.
    pub cem: CemConfig,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            episodes: 50,
            episode_steps: crate::envs::point_mass::EPISODE_STEPS,
            random_episodes: 1,
            updates_per_step: 2,
            replay_capacity: 100_000,
            geometry: Geometry::default(),
            sac: SacConfig::default(),
            ensemble: EnsembleConfig::default(),
            chi: ChiConfig::default(),
            cem: CemConfig::default(),
        }
    }
}

impl TrainConfig {
    /// The settings the board can run: ensemble 2 x (3 x 32), actor 2 x 32 (the reference
    /// point-mass sizes of chi-embedded), so the trained run exports straight to the
    /// firmware; fast enough for the README's main job.
    pub fn board() -> Self {
        let mut c = Self::default();
        c.ensemble.members = chi_embedded::reference::point_mass::E;
        c.ensemble.hidden = chi_embedded::reference::point_mass::HE;
        c.sac.actor_hidden = chi_embedded::reference::point_mass::HP;
        c
    }

    /// Reads overrides from a TOML file on top of `self` (unknown keys are errors).
    pub fn with_file(self, path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config '{}'", path.display()))?;
        let mut base = toml::Table::try_from(&self).context("config to TOML")?;
        let overrides: toml::Table =
            toml::from_str(&text).with_context(|| format!("config '{}'", path.display()))?;
        merge(&mut base, overrides);
        toml::Value::Table(base)
            .try_into()
            .with_context(|| format!("config '{}'", path.display()))
    }
}

fn merge(base: &mut toml::Table, overrides: toml::Table) {
    for (k, v) in overrides {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_defaults() {
        let c = TrainConfig::default();
        assert_eq!(
            (
                c.ensemble.members,
                c.ensemble.hidden,
                c.ensemble.epochs,
                c.ensemble.batch
            ),
            (5, 350, 10, 50)
        );
        assert_eq!((c.sac.critic_hidden, c.sac.alpha), (256, 0.2));
        assert_eq!(c.chi.action_noise, 0.3);
    }

    #[test]
    fn toml_overrides_nested_fields_and_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("chi-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "episodes = 7\n[ensemble]\nhidden = 64\n[geometry]\nopening_centre = 0.85\n",
        )
        .unwrap();
        let c = TrainConfig::default().with_file(&good).unwrap();
        assert_eq!(
            (c.episodes, c.ensemble.hidden, c.ensemble.members),
            (7, 64, 5)
        );
        assert_eq!(c.geometry.opening_centre, 0.85);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[ensemble]\nhiden = 64\n").unwrap();
        let err = format!("{:#}", TrainConfig::default().with_file(&bad).unwrap_err());
        assert!(err.contains("hiden"), "{err}");
    }
}
