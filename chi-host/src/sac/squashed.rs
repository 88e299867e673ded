//! The tanh-squashed Gaussian of SAC's actor: a reparameterised sample
//! `a = tanh(mean + exp(log_std) eps)`, its log-density with the change of variables through
//! tanh, and the gradient of a loss `L(a) + c sum(log_prob)` back to the actor's outputs.

/// `ln sqrt(2 pi)`.
const HALF_LOG_2PI: f32 = 0.918_938_5;

/// A batch of samples.
pub(super) struct Sample {
    /// `tanh(u)`, `n x A`.
    pub action: Vec<f32>,
    /// `log pi(a | s)` of each row.
    pub log_prob: Vec<f32>,
}

/// Samples for the rows of `mean` and `log_std` (clamped already) with noise `eps`, all
/// `n x a_dim`.
pub(super) fn sample(mean: &[f32], log_std: &[f32], eps: &[f32], a_dim: usize) -> Sample {
    let action: Vec<f32> = mean
        .iter()
        .zip(log_std)
        .zip(eps)
        .map(|((m, ls), e)| (m + ls.exp() * e).tanh())
        .collect();
    let log_prob = action
        .chunks_exact(a_dim)
        .zip(log_std.chunks_exact(a_dim))
        .zip(eps.chunks_exact(a_dim))
        .map(|((a, ls), e)| {
            a.iter()
                .zip(ls)
                .zip(e)
                .map(|((a, ls), e)| {
                    let gauss = e * e * -0.5 - ls - HALF_LOG_2PI;
                    // Change of variables through tanh: - log(1 - tanh(u)^2).
                    gauss - (-(a * a) + 1.0 + 1e-6).ln()
                })
                .sum()
        })
        .collect();
    Sample { action, log_prob }
}

/// The gradient at the actor's output rows `[mean, raw log_std]` (`n x 2 a_dim`) of a loss
/// whose gradient at the actions is `d_action` and which adds `log_prob_weight` times each
/// row's log-density. `inside` says where the raw log-std lay within its bounds (the clamp
/// passes the gradient only there).
pub(super) fn backward(
    s: &Sample,
    log_std: &[f32],
    eps: &[f32],
    inside: &[bool],
    d_action: &[f32],
    log_prob_weight: f32,
    a_dim: usize,
) -> Vec<f32> {
    let rows = s.action.len() / a_dim;
    let mut out = vec![0.0; rows * 2 * a_dim];
    for (r, row) in out.chunks_exact_mut(2 * a_dim).enumerate() {
        let (d_mean, d_log_std) = row.split_at_mut(a_dim);
        for j in 0..a_dim {
            let k = r * a_dim + j;
            let a = s.action[k];
            // d log_prob / d a through the tanh correction: 2a / (1 - a^2 + 1e-6).
            let da = d_action[k] + log_prob_weight * 2.0 * a / (-(a * a) + 1.0 + 1e-6);
            let du = da * (1.0 - a * a);
            d_mean[j] = du;
            let d_ls = du * log_std[k].exp() * eps[k] - log_prob_weight;
            d_log_std[j] = if inside[k] { d_ls } else { 0.0 };
        }
    }
    out
}
