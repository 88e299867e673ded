//! Export: a trained run's networks as weight bundles for the board, in f32 and int8, with
//! what quantisation costs: per-layer weight error, and the int8 controller against the f32
//! one on the board's own kernels (their twins on the host).

use std::fmt::Write as _;

use std::path::Path;

use anyhow::Result;
use chi_embedded::bundle::owned::{BundleSpec, OwnedLayer};

use crate::bundle_file;
use crate::env::Env;
use crate::firmware::hil;
use crate::firmware::twin::Twin;

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
    /// Mean over the f32 controller's episode of `|a_int8 - a_f32|` (per component), the
    /// int8 controller fed the same states in the same order.
    pub mean_action_diff: f32,
    /// Largest such difference.
    pub max_action_diff: f32,
    /// Episode return with the f32 bundle.
    pub return_f32: f32,
    /// Episode return with the int8 bundle.
    pub return_int8: f32,
}

/// Compares the two bundles on the board's kernels (their twins on the host), with the
/// same planner seed (the f32 bundle's) and environment start `env.reset(0)`.
pub fn int8_check<const S: usize, const A: usize>(
    f32_bundle: &Path,
    int8_bundle: &Path,
    env: &mut impl Env<S, A>,
) -> Result<Int8Check> {
    let (bf, bq) = (
        bundle_file::read(f32_bundle)?,
        bundle_file::read(int8_bundle)?,
    );
    let seed = chi_embedded::bundle::inspect(bf.as_bytes())?.seed;
    let mut tf = Twin::start(f32_bundle)?;
    let mut tq = Twin::start(int8_bundle)?;
    let f = hil::episode(
        &mut tf.client,
        Some((&mut tq.client, bq.as_bytes())),
        bf.as_bytes(),
        env,
        seed,
    )?;
    let q = hil::episode(&mut tq.client, None, bq.as_bytes(), env, seed)?;
    Ok(Int8Check {
        mean_action_diff: f.mean_difference,
        max_action_diff: f.max_difference,
        return_f32: f.ret,
        return_int8: q.ret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec};

    #[test]
    fn int8_of_a_hand_built_bundle_acts_like_f32() {
        use chi_embedded::envs::point_mass::PointMassTask;
        let spec = point_mass_spec(32, 32, PolicyKind::Uncertain);
        let table = quantisation_table(&spec, &spec.quantised());
        assert!(table.lines().count() == 1 + 2 * 5 + 4, "{table}");
        let dir = std::env::temp_dir().join(format!("chi-int8-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (pf, pq) = (dir.join("f32.chib"), dir.join("int8.chib"));
        std::fs::write(&pf, spec.encode().unwrap().as_bytes()).unwrap();
        std::fs::write(&pq, spec.quantised().encode().unwrap().as_bytes()).unwrap();
        let mut env = crate::envs::simulated::Simulated::new(PointMassTask::default(), 60);
        let check = int8_check(&pf, &pq, &mut env).unwrap();
        assert!(check.mean_action_diff < 0.05, "{check:?}");
        assert!(
            check.max_action_diff > 0.0,
            "int8 rounds somewhere: {check:?}"
        );
        assert!(
            (check.return_f32 - check.return_int8).abs() < 0.05 * check.return_f32.abs().max(1.0),
            "{check:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
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
