//! What a training episode did: one row of a run's metrics.csv.

use crate::config::AgentKind;

/// What one episode did (one CSV row).
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeMetrics {
    /// 0-based episode.
    pub episode: u32,
    /// Environment steps so far, this episode included.
    pub env_steps: u64,
    /// Return of the episode (with training noise).
    pub ret: f32,
    /// First step inside the goal region, 0 if never.
    pub first_success: u32,
    /// Closest distance to the goal.
    pub closest: f32,
    /// Mean over steps of the RMS distance between amortised and final plan means.
    pub plan_shift: f32,
    /// Mean over steps of KL(amortised || final posterior).
    pub plan_kl: f32,
    /// Mean std of the amortised first action.
    pub amortised_std: f32,
    /// Fraction of steps that exited early.
    pub early_exit: f32,
    /// Mean planner iterations per step.
    pub iterations: f32,
    /// Ensemble NLL after the refit that followed the episode.
    pub model_nll: f32,
    /// Mean SAC losses over the episode.
    pub critic_loss: f32,
    /// Mean actor loss.
    pub actor_loss: f32,
    /// Seconds the episode took (acting and learning).
    pub seconds: f32,
}

pub(super) const CSV_HEADER: &str = "agent,seed,episode,env_steps,return,first_success,closest,plan_shift,plan_kl,amortised_std,early_exit,iterations,model_nll,critic_loss,actor_loss,seconds";

impl EpisodeMetrics {
    pub(super) fn csv(&self, agent: AgentKind, seed: u64) -> String {
        format!(
            "{},{seed},{},{},{:.5},{},{:.5},{:.5},{:.5},{:.5},{:.4},{:.3},{:.5},{:.5},{:.5},{:.3}",
            agent.name(),
            self.episode,
            self.env_steps,
            self.ret,
            self.first_success,
            self.closest,
            self.plan_shift,
            self.plan_kl,
            self.amortised_std,
            self.early_exit,
            self.iterations,
            self.model_nll,
            self.critic_loss,
            self.actor_loss,
            self.seconds
        )
    }
}
