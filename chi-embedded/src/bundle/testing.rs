//! Bundles with known contents (feature `std`): networks built by hand so that what they
//! compute is known exactly, and random ones for format tests. Used by the tests, the
//! benches, the crate example and the host's end-to-end tests.
#![allow(clippy::expect_used, clippy::indexing_slicing)] // Fixed, hand-built specs: failing to build one is a bug here, not bad input.

use super::header::{Dims, Header, Precision};
use super::owned::{AlignedBytes, BundleSpec, OwnedLayer};
use crate::controller_config::ControllerConfig;
use crate::ensemble::LogVarBounds;
use crate::envs::half_cheetah::HalfCheetahTask;
use crate::envs::point_mass::{GOAL, MAX_STEP, PointMassTask};
use crate::habit::HabitConfig;
use crate::nn::Activation;
use crate::planner::{PlannerConfig, Propagation, Weighting};
use crate::policy::LogStdBounds;
use crate::rng::ChiRng;
use crate::task::Task;

/// Planner samples `K` of the synthetic point-mass bundles: the board's point-mass `K`.
pub const POINT_MASS_SAMPLES: usize = 24;
/// Members, horizon and samples of the synthetic point-mass bundles.
pub const POINT_MASS_DIMS: (u32, u32, u32) = (2, 7, POINT_MASS_SAMPLES as u32);

/// The controller settings of the synthetic point-mass bundles.
pub const POINT_MASS_CONTROLLER: ControllerConfig = ControllerConfig {
    planner: PlannerConfig {
        iterations: 4,
        weighting: Weighting::Eq4 { temperature: 0.05 },
        sigma_min: 0.02,
        propagation: Propagation::AllMembers,
    },
    early_exit_sigma: 0.05,
    habit: HabitConfig::OFF,
};

/// What the hand-built policy believes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Heads straight for the goal, with tiny spread (a converged policy).
    Confident,
    /// Mean action zero, wide spread (an untrained policy).
    Uncertain,
    /// Heads *away* from the goal, with a fairly wide spread.
    Wrong,
}

impl PolicyKind {
    /// Gain `k` of the mean `u = k (g - s)` and the constant log-std.
    fn gain_and_log_std(self) -> (f32, f32) {
        match self {
            Self::Confident => (3.0, -4.0),
            Self::Uncertain => (0.0, 1.5),
            Self::Wrong => (-3.0, 1.0),
        }
    }
}

/// A header for the point mass with the given widths.
pub fn point_mass_header(ensemble_hidden: u32, policy_hidden: u32, precision: Precision) -> Header {
    let (members, horizon, samples) = POINT_MASS_DIMS;
    Header {
        dims: Dims {
            state: 2,
            action: 2,
            members,
            ensemble_hidden,
            policy_hidden,
            horizon,
            samples,
        },
        precision,
        ensemble_activation: Activation::Relu,
        policy_activation: Activation::Relu,
        log_var_bounds: LogVarBounds {
            min: -10.0,
            max: 0.5,
        },
        log_std_bounds: LogStdBounds {
            min: -5.0,
            max: 2.0,
        },
        controller: POINT_MASS_CONTROLLER,
        task: PointMassTask::default().record(),
        terminal_value: None,
        seed: 0,
    }
}

fn zeros(n: usize) -> Vec<f32> {
    vec![0.0; n]
}

/// `rows x cols` identity on the leading square block.
fn identity(rows: usize, cols: usize) -> Vec<f32> {
    (0..rows * cols)
        .map(|i| if i / cols == i % cols { 1.0 } else { 0.0 })
        .collect()
}

/// A point-mass bundle spec whose networks are exact ReLU constructions (`relu(x) -
/// relu(-x) = x`): the ensemble predicts free-space motion `delta s = g a` (member 0 with
/// `g = MAX_STEP`, member 1 ten per cent slower, so they disagree a little and know nothing
/// of the wall), and the policy is `u = k (goal - s)` with a constant log-std, per `kind`.
/// Needs `ensemble_hidden >= 8` and `policy_hidden >= 4`.
pub fn point_mass_spec(
    ensemble_hidden: usize,
    policy_hidden: usize,
    kind: PolicyKind,
) -> BundleSpec {
    let (he, hp) = (ensemble_hidden, policy_hidden);
    assert!(
        he >= 8 && hp >= 4,
        "the exact ReLU construction needs HE >= 8 and HP >= 4"
    );
    let header = point_mass_header(he as u32, hp as u32, Precision::F32);
    // Layer 0: h = relu([x; -x]) for x = [s, a].
    let mut w0 = zeros(he * 4);
    for i in 0..4 {
        w0[i * 4 + i] = 1.0;
        w0[(i + 4) * 4 + i] = -1.0;
    }
    let member = |gain: f32| {
        let mut mean = zeros(2 * he);
        for d in 0..2 {
            mean[d * he + 2 + d] = gain;
            mean[d * he + 6 + d] = -gain;
        }
        [
            OwnedLayer::f32(he, 4, w0.clone(), zeros(he)),
            OwnedLayer::f32(he, he, identity(he, he), zeros(he)),
            OwnedLayer::f32(he, he, identity(he, he), zeros(he)),
            OwnedLayer::f32(2, he, mean, zeros(2)),
            OwnedLayer::f32(2, he, zeros(2 * he), vec![-4.0; 2]),
        ]
    };
    let (k, log_std) = kind.gain_and_log_std();
    // Policy layer 0: h = relu([g - s; s - g]).
    let mut p0 = zeros(hp * 2);
    let mut b0 = zeros(hp);
    for d in 0..2 {
        p0[d * 2 + d] = -1.0;
        p0[(d + 2) * 2 + d] = 1.0;
        b0[d] = GOAL[d];
        b0[d + 2] = -GOAL[d];
    }
    let mut mean = zeros(2 * hp);
    for d in 0..2 {
        mean[d * hp + d] = k;
        mean[d * hp + d + 2] = -k;
    }
    BundleSpec {
        header,
        ensemble_input_mean: zeros(4),
        ensemble_input_inv_std: vec![1.0; 4],
        ensemble_output_mean: zeros(2),
        ensemble_output_std: vec![1.0; 2],
        members: vec![member(MAX_STEP), member(0.9 * MAX_STEP)],
        policy_input_mean: zeros(2),
        policy_input_inv_std: vec![1.0; 2],
        policy: [
            OwnedLayer::f32(hp, 2, p0, b0),
            OwnedLayer::f32(hp, hp, identity(hp, hp), zeros(hp)),
            OwnedLayer::f32(2, hp, mean, zeros(2)),
            OwnedLayer::f32(2, hp, zeros(2 * hp), vec![log_std; 2]),
        ],
        value: None,
    }
}

/// `spec` (of [`point_mass_spec`]) with a value network past the horizon that is exactly
/// `V(s) = -gain |goal - s|_1` (the policy's first-layer construction, summed), weighted by
/// `weight`. A negative `gain` makes a value that prizes distance from the goal.
pub fn with_distance_value(mut spec: BundleSpec, gain: f32, weight: f32) -> BundleSpec {
    let hp = spec.header.dims.policy_hidden as usize;
    let mut head = zeros(hp);
    head[..4].fill(-gain);
    spec.value = Some([
        spec.policy[0].clone(),
        OwnedLayer::f32(hp, hp, identity(hp, hp), zeros(hp)),
        OwnedLayer::f32(1, hp, head, zeros(1)),
    ]);
    spec.header.terminal_value = Some(weight);
    spec
}

/// [`point_mass_spec`] encoded, for `Bundle::<2, 2, 4, 2, HE, HP, 7, K>` (`K` =
/// [`POINT_MASS_SAMPLES`]).
pub fn point_mass_bundle<const HE: usize, const HP: usize>(kind: PolicyKind) -> AlignedBytes {
    point_mass_spec(HE, HP, kind)
        .encode()
        .expect("hand-built spec encodes")
}

/// A spec of the given sizes with random weights (Gaussian, scaled by 1/sqrt(fan-in)),
/// random positive normalisers and the point-mass controller settings.
pub fn random_spec(dims: Dims, precision: Precision, seed: u64) -> BundleSpec {
    let mut rng = ChiRng::new(seed);
    let d = dims;
    let (s, a, he, hp) = (
        d.state as usize,
        d.action as usize,
        d.ensemble_hidden as usize,
        d.policy_hidden as usize,
    );
    let mut vec_of = |n: usize, scale: f32, offset: f32| -> Vec<f32> {
        (0..n).map(|_| offset + scale * rng.normal()).collect()
    };
    let mut layer = |rows: usize, cols: usize| {
        let k = 1.0 / (cols as f32).sqrt();
        OwnedLayer::f32(
            rows,
            cols,
            vec_of(rows * cols, k, 0.0),
            vec_of(rows, 0.1, 0.0),
        )
    };
    let members: Vec<_> = (0..d.members)
        .map(|_| {
            [
                layer(he, s + a),
                layer(he, he),
                layer(he, he),
                layer(s, he),
                layer(s, he),
            ]
        })
        .collect();
    let policy = [layer(hp, s), layer(hp, hp), layer(a, hp), layer(a, hp)];
    let mut positive = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| 1.0 + 0.5 * rng.symmetric_uniform())
            .collect()
    };
    let spec = BundleSpec {
        header: Header {
            dims,
            seed,
            ..point_mass_header(d.ensemble_hidden, d.policy_hidden, Precision::F32)
        },
        ensemble_input_mean: positive(s + a),
        ensemble_input_inv_std: positive(s + a),
        ensemble_output_mean: positive(s),
        ensemble_output_std: positive(s),
        members,
        policy_input_mean: positive(s),
        policy_input_inv_std: positive(s),
        policy,
        value: None,
    }
    .with_padded_ensemble_input();
    match precision {
        Precision::F32 => spec,
        Precision::I8 => spec.quantised(),
    }
}

/// The board's Half-Cheetah sizes: members, ensemble width, policy width, horizon, samples.
pub const HALF_CHEETAH_SIZES: (u32, u32, u32, u32, u32) = (3, 64, 64, 7, 128);

/// A bundle spec for `task` with random weights ([`random_spec`]) of the given sizes
/// (members, ensemble width, policy width, horizon, samples).
pub fn random_task_spec<T: Task<S, A>, const S: usize, const A: usize>(
    task: &T,
    (members, ensemble_hidden, policy_hidden, horizon, samples): (u32, u32, u32, u32, u32),
    precision: Precision,
    seed: u64,
) -> BundleSpec {
    let dims = Dims {
        state: S as u32,
        action: A as u32,
        members,
        ensemble_hidden,
        policy_hidden,
        horizon,
        samples,
    };
    let mut spec = random_spec(dims, Precision::F32, seed);
    spec.header.task = task.record();
    match precision {
        Precision::F32 => spec,
        Precision::I8 => spec.quantised(),
    }
}

/// A Half-Cheetah bundle of the board's sizes ([`HALF_CHEETAH_SIZES`]) with random weights,
/// and the board's planner: one Eq. 4 iteration, each sample through one member. The random
/// policy is far from confident, so the planner runs on every step: what the bench and the
/// end-to-end tests need before a trained run exists.
pub fn half_cheetah_spec(precision: Precision, seed: u64) -> BundleSpec {
    let mut spec = random_task_spec(&HalfCheetahTask, HALF_CHEETAH_SIZES, Precision::F32, seed);
    spec.header.controller = ControllerConfig {
        planner: PlannerConfig {
            iterations: 1,
            weighting: Weighting::Eq4 { temperature: 1.0 },
            sigma_min: 0.02,
            propagation: Propagation::OnePerSample,
        },
        early_exit_sigma: 0.05,
        habit: HabitConfig::OFF,
    };
    match precision {
        Precision::F32 => spec,
        Precision::I8 => spec.quantised(),
    }
}
