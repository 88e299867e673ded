//! Export: a trained run's networks as weight bundles for the board, in f32 and int8, with
//! what quantisation costs: per-layer weight error, and the int8 controller against the f32
//! one on the board's own kernels.

use std::fmt::Write as _;

use anyhow::Result;
use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::Task;
use chi_embedded::bundle::owned::{AlignedBytes, BundleSpec, OwnedLayer};
use chi_embedded::envs::point_mass::{self, GoalReward};
use chi_embedded::reference::point_mass::{self as reference, Bundle, Controller};

/// Relative RMS error `||W - W_q|| / ||W||` of one layer's int8 weights.
pub fn weight_error(f32_layer: &OwnedLayer, int8_layer: &OwnedLayer) -> f32 {
    let (w, q) = (f32_layer.dequantised(), int8_layer.dequantised());
    let err: f64 = w
        .iter()
        .zip(&q)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum();
    let norm: f64 = w.iter().map(|a| f64::from(*a).powi(2)).sum();
    if norm > 0.0 {
        (err / norm).sqrt() as f32
    } else {
        0.0
    }
}

/// The table of per-layer weight errors, one row a layer.
pub fn quantisation_table(f32_spec: &BundleSpec, int8_spec: &BundleSpec) -> String {
    let mut t = String::from("layer                      shape      rel. RMS weight error\n");
    let names = [
        "hidden 0",
        "hidden 1",
        "hidden 2",
        "mean head",
        "log-var head",
    ];
    for (e, (m, q)) in f32_spec.members.iter().zip(&int8_spec.members).enumerate() {
        for ((l, lq), name) in m.iter().zip(q).zip(names) {
            let _ = writeln!(
                t,
                "ensemble {e} {name:<14} {:>4}x{:<4}  {:.4}",
                l.rows,
                l.cols,
                weight_error(l, lq)
            );
        }
    }
    let policy = ["hidden 0", "hidden 1", "mean head", "log-std head"];
    let value = ["hidden 0", "hidden 1", "value head"];
    let rows = f32_spec
        .policy
        .iter()
        .zip(&int8_spec.policy)
        .zip(policy)
        .map(|(pair, name)| ("policy", pair, name))
        .chain(
            f32_spec
                .value
                .iter()
                .flatten()
                .zip(int8_spec.value.iter().flatten())
                .zip(value)
                .map(|(pair, name)| ("value", pair, name)),
        );
    for (network, (l, lq), name) in rows {
        let _ = writeln!(
            t,
            "{network:<10} {name:<14} {:>4}x{:<4}  {:.4}",
            l.rows,
            l.cols,
            weight_error(l, lq)
        );
    }
    t
}

/// How the int8 controller compares with the f32 one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Int8Check {
    /// Mean over a 21 x 21 grid of `[0, 1]^2` of `|a_int8 - a_f32|` (per component).
    pub mean_action_diff: f32,
    /// Largest such difference.
    pub max_action_diff: f32,
    /// Episode return with the f32 bundle.
    pub return_f32: f32,
    /// Episode return with the int8 bundle.
    pub return_int8: f32,
    /// First success step with each (0 if none).
    pub success: (u32, u32),
}

/// Compares the two bundles on the board's kernels (the compiled reference sizes), with the
/// same planner seed. `None` when the bundles are not of the reference sizes.
pub fn int8_check(
    f32_bytes: &AlignedBytes,
    int8_bytes: &AlignedBytes,
    steps: u32,
) -> Result<Option<Int8Check>> {
    let (Ok(bf), Ok(bq)) = (
        Bundle::parse(f32_bytes.as_bytes()),
        Bundle::parse(int8_bytes.as_bytes()),
    ) else {
        return Ok(None);
    };
    let Task::PointMass(geometry) = bf.header.task else {
        return Ok(None);
    };
    let seed = bf.header.seed;
    let (mut sum, mut max, mut n) = (0.0f32, 0.0f32, 0u32);
    let mut cf = Controller::from_bundle(&bf, GoalReward, seed);
    let mut cq = Controller::from_bundle(&bq, GoalReward, seed);
    for i in 0..=20 {
        for j in 0..=20 {
            let s = [i as f32 / 20.0, j as f32 / 20.0];
            cf.reseed(seed);
            cq.reseed(seed);
            let (af, aq) = (
                cf.act(&s, &mut Unlimited).action,
                cq.act(&s, &mut Unlimited).action,
            );
            for (x, y) in af.iter().zip(aq) {
                let d = (x - y).abs();
                sum += d;
                max = max.max(d);
                n += 1;
            }
        }
    }
    let episode = |bundle: &Bundle<'_>| {
        let mut c = Controller::from_bundle(bundle, GoalReward, seed);
        point_mass::run_episode(geometry, steps, |s| c.act(s, &mut Unlimited).action)
    };
    let (ef, eq) = (episode(&bf), episode(&bq));
    Ok(Some(Int8Check {
        mean_action_diff: sum / n.max(1) as f32,
        max_action_diff: max,
        return_f32: ef.ret,
        return_int8: eq.ret,
        success: (ef.first_success.unwrap_or(0), eq.first_success.unwrap_or(0)),
    }))
}

/// The sizes the board compiles, for messages.
pub fn reference_sizes() -> String {
    format!(
        "E={} HE={} HP={} H={} K={}",
        reference::E,
        reference::HE,
        reference::HP,
        reference::H,
        reference::K
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec};

    #[test]
    fn int8_of_a_hand_built_bundle_acts_like_f32() {
        let spec = point_mass_spec(reference::HE, reference::HP, PolicyKind::Uncertain);
        let (bf, bq) = (spec.encode().unwrap(), spec.quantised().encode().unwrap());
        let table = quantisation_table(&spec, &spec.quantised());
        assert!(table.lines().count() == 1 + 2 * 5 + 4, "{table}");
        let check = int8_check(&bf, &bq, 60).unwrap().expect("reference sizes");
        assert!(check.mean_action_diff < 0.05, "{check:?}");
        assert!(
            (check.return_f32 - check.return_int8).abs() < 0.05 * check.return_f32.abs().max(1.0),
            "{check:?}"
        );
        // Not the reference sizes: no check, no error.
        let small = point_mass_spec(8, 8, PolicyKind::Uncertain);
        assert!(
            int8_check(
                &small.encode().unwrap(),
                &small.quantised().encode().unwrap(),
                60
            )
            .unwrap()
            .is_none()
        );
    }

    #[test]
    fn weight_error_is_zero_for_f32_and_small_for_int8() {
        let spec = point_mass_spec(16, 8, PolicyKind::Wrong);
        let l = &spec.members[0][1];
        assert_eq!(weight_error(l, l), 0.0);
        let e = weight_error(l, &l.quantised());
        assert!(e < 0.01, "{e}");
    }
}
