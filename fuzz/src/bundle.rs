//! The bundle decoder: on arbitrary bytes, and on bundles with a valid frame and CRC around
//! arbitrary header fields and tensors (what a bit flip never reaches: the CRC refuses it).

use arbitrary::{Arbitrary, Unstructured};
use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::owned::{AlignedBytes, BundleSpec, OwnedWeights};
use chi_embedded::bundle::testing::{self, PolicyKind};
use chi_embedded::bundle::{self, Precision};
use chi_embedded::envs::point_mass::PointMassTask;
use chi_embedded::habit::HabitConfig;
use chi_embedded::nn::Activation;
use chi_embedded::planner::{Propagation, Weighting};

use crate::board::{Board, BoardChi, HE, HP};

/// Decodes `bytes` as a bundle; if it decodes, runs one control step in `state`.
pub fn bundle_bytes(data: &[u8]) {
    let bytes = AlignedBytes::from_bytes(data);
    let _ = bundle::inspect(bytes.as_bytes());
    if let Ok(b) = Board::parse(bytes.as_bytes()) {
        step(&b, [0.3, -0.2], 7);
    }
}

/// A decoded bundle must give a controller that acts sanely in any state.
fn step(bundle: &Board<'_>, state: [f32; 2], seed: u64) {
    let Ok(task) = bundle.task::<PointMassTask>() else {
        return;
    };
    let mut chi = BoardChi::from_bundle(bundle, task, seed);
    // Iterations are the bundle's, at most 1000: each costs microseconds at these sizes.
    // Three steps, so the habitual exit's record is used as well as kept.
    for _ in 0..3 {
        let d = chi.act(&state, &mut Unlimited);
        check(&d);
    }
}

fn check(d: &chi_embedded::controller::Decision<2, 2, 7>) {
    assert!(
        d.action.iter().all(|a| a.is_finite() && a.abs() <= 1.0),
        "action {:?} from a bundle that decoded",
        d.action
    );
    assert!(
        d.posterior
            .std
            .iter()
            .flatten()
            .all(|s| s.is_finite() && *s > 0.0),
        "posterior std {:?}",
        d.posterior.std
    );
}

/// What a structure-aware input sets: every header field a user's exporter could get wrong,
/// and values poured over every tensor.
#[derive(Arbitrary, Debug)]
struct Fields {
    int8: bool,
    activations: (u8, u8),
    log_var_bounds: (f32, f32),
    log_std_bounds: (f32, f32),
    iterations: u16,
    temperature: f32,
    elites: Option<u32>,
    sigma_min: f32,
    early_exit_sigma: f32,
    habit: (f32, u16, u16),
    one_per_sample: bool,
    terminal_value: Option<(f32, f32)>,
    /// A dimension (by index) set to another value: a bundle for other sizes.
    wrong_dim: Option<(u8, u32)>,
    /// Poured cyclically over every normaliser, weight and bias when not empty.
    values: Vec<f32>,
    /// Poured over the int8 row scales when not empty.
    scales: Vec<f32>,
    state: [f32; 2],
    seed: u64,
}

fn activation(code: u8) -> Activation {
    match code % 3 {
        0 => Activation::Relu,
        1 => Activation::Silu,
        _ => Activation::Tanh,
    }
}

fn pour(target: &mut [f32], values: &[f32], at: &mut usize) {
    if values.is_empty() {
        return;
    }
    for x in target {
        *x = values[*at % values.len()];
        *at += 1;
    }
}

fn spec_of(f: &Fields) -> BundleSpec {
    let mut spec = testing::point_mass_spec(HE, HP, PolicyKind::Uncertain);
    if let Some((gain, weight)) = f.terminal_value {
        spec = testing::with_distance_value(spec, gain, weight);
    }
    let h = &mut spec.header;
    (h.ensemble_activation, h.policy_activation) =
        (activation(f.activations.0), activation(f.activations.1));
    (h.log_var_bounds.min, h.log_var_bounds.max) = f.log_var_bounds;
    (h.log_std_bounds.min, h.log_std_bounds.max) = f.log_std_bounds;
    let p = &mut h.controller.planner;
    p.iterations = u32::from(f.iterations);
    p.weighting = match f.elites {
        Some(count) => Weighting::Elites { count },
        None => Weighting::Eq4 {
            temperature: f.temperature,
        },
    };
    p.sigma_min = f.sigma_min;
    p.propagation = if f.one_per_sample {
        Propagation::OnePerSample
    } else {
        Propagation::AllMembers
    };
    h.controller.early_exit_sigma = f.early_exit_sigma;
    let (agree_sigmas, trust_after, check_every) = f.habit;
    h.controller.habit = HabitConfig {
        agree_sigmas,
        trust_after,
        check_every,
    };
    h.seed = f.seed;
    if let Some((which, value)) = f.wrong_dim {
        let d = &mut h.dims;
        let dim = match which % 7 {
            0 => &mut d.state,
            1 => &mut d.action,
            2 => &mut d.members,
            3 => &mut d.ensemble_hidden,
            4 => &mut d.policy_hidden,
            5 => &mut d.horizon,
            _ => &mut d.samples,
        };
        *dim = value;
    }
    let at = &mut 0;
    for v in [
        &mut spec.ensemble_input_mean,
        &mut spec.ensemble_input_inv_std,
        &mut spec.ensemble_output_mean,
        &mut spec.ensemble_output_std,
        &mut spec.policy_input_mean,
        &mut spec.policy_input_inv_std,
    ] {
        pour(v, &f.values, at);
    }
    if f.int8 {
        spec = spec.quantised();
    }
    let layers = spec
        .members
        .iter_mut()
        .flatten()
        .chain(&mut spec.policy)
        .chain(spec.value.iter_mut().flatten());
    let scale_at = &mut 0;
    for layer in layers {
        match &mut layer.weights {
            OwnedWeights::F32(w) => pour(w, &f.values, at),
            OwnedWeights::I8 { scale, .. } => pour(scale, &f.scales, scale_at),
        }
        pour(&mut layer.bias, &f.values, at);
    }
    spec
}

/// A bundle with a valid frame and CRC around arbitrary fields: decoded, and stepped once if
/// it decodes. A bundle that decodes must also read back as the spec it was written from.
pub fn bundle_fields(data: &[u8]) {
    let Ok(fields) = Fields::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let spec = spec_of(&fields);
    let Ok(bytes) = spec.encode() else {
        return;
    };
    match Board::parse(bytes.as_bytes()) {
        Ok(b) => {
            assert_eq!(
                b.header.precision,
                if fields.int8 {
                    Precision::I8
                } else {
                    Precision::F32
                }
            );
            let back = b.to_spec().encode().map(|r| r.as_bytes().to_vec());
            assert_eq!(back.ok().as_deref(), Some(bytes.as_bytes()), "read back");
            step(&b, fields.state, fields.seed);
        }
        Err(e) => {
            // Every refusal has a message a user can act on.
            assert!(!e.to_string().is_empty());
        }
    }
}

/// Valid bundles in both precisions, with and without a value network.
pub fn seeds_bytes() -> Vec<Vec<u8>> {
    let f32 = testing::point_mass_spec(HE, HP, PolicyKind::Uncertain);
    let valued = testing::with_distance_value(f32.clone(), 1.0, 0.5);
    [
        f32.clone(),
        f32.quantised(),
        valued.clone(),
        valued.quantised(),
    ]
    .iter()
    .filter_map(|s| s.encode().ok())
    .map(|b| b.as_bytes().to_vec())
    .collect()
}

/// Inputs of a few kinds for the structured target (arbitrary reads them as fields).
pub fn seeds_fields() -> Vec<Vec<u8>> {
    (0u8..4)
        .map(|k| {
            (0..200u32)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(k * 64))
                .collect()
        })
        .collect()
}
