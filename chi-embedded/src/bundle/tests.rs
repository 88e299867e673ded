use proptest::prelude::*;

use super::owned::{AlignedBytes, BundleSpec, OwnedWeights};
use super::testing::{self, PolicyKind, random_spec};
use super::*;

type Small<'a> = Bundle<'a, 2, 2, 4, 2, 8, 8, 7, { testing::POINT_MASS_SAMPLES }>;

fn small_dims() -> Dims {
    Dims {
        state: 2,
        action: 2,
        members: 2,
        ensemble_hidden: 8,
        policy_hidden: 8,
        horizon: 7,
        samples: testing::POINT_MASS_SAMPLES as u32,
    }
}

fn small(precision: Precision, seed: u64) -> (BundleSpec, AlignedBytes) {
    let spec = random_spec(small_dims(), precision, seed);
    let bytes = spec.encode().unwrap();
    (spec, bytes)
}

#[test]
fn round_trips_exactly_in_both_precisions() {
    for precision in [Precision::F32, Precision::I8] {
        let (spec, bytes) = small(precision, 1);
        let bundle = Small::parse(bytes.as_bytes()).unwrap();
        let back = bundle.to_spec();
        assert_eq!(back, spec);
        assert_eq!(
            back.encode().unwrap(),
            bytes,
            "re-encoding gives the same bytes"
        );
        assert_eq!(inspect(bytes.as_bytes()).unwrap(), spec.header);
    }
}

#[test]
fn weights_are_borrowed_in_place() {
    let (_, bytes) = small(Precision::F32, 2);
    let range = bytes.as_bytes().as_ptr_range();
    let bundle = Small::parse(bytes.as_bytes()).unwrap();
    let Dense::F32(l) = bundle.policy.hidden.0 else {
        panic!("f32 bundle")
    };
    assert!(range.contains(&(l.weights.as_ptr() as *const u8)));
}
use crate::nn::Dense;

#[test]
fn every_single_bit_flip_is_refused() {
    for precision in [Precision::F32, Precision::I8] {
        let (_, bytes) = small(precision, 3);
        let mut copy = bytes.clone();
        let n = copy.len();
        for byte in 0..n {
            for bit in 0..8 {
                copy.as_bytes_mut()[byte] ^= 1 << bit;
                let refused = Small::parse(copy.as_bytes()).is_err();
                assert!(refused, "flip of bit {bit} in byte {byte}/{n} accepted");
                copy.as_bytes_mut()[byte] ^= 1 << bit;
            }
        }
        assert!(
            Small::parse(copy.as_bytes()).is_ok(),
            "restored bundle parses"
        );
    }
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let (_, bytes) = small(Precision::I8, 4);
    let full = bytes.as_bytes();
    for len in 0..full.len() {
        let cut = AlignedBytes::from_bytes(&full[..len]);
        let err = Small::parse(cut.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                BundleError::TooShort { .. } | BundleError::LengthMismatch { .. }
            ),
            "length {len}: {err}"
        );
    }
    let mut longer = full.to_vec();
    longer.push(0);
    let err = Small::parse(AlignedBytes::from_bytes(&longer).as_bytes()).unwrap_err();
    assert!(matches!(err, BundleError::LengthMismatch { .. }), "{err}");
}

#[test]
fn other_sizes_are_refused_naming_the_size() {
    let cases = [
        (
            Dims {
                ensemble_hidden: 16,
                ..small_dims()
            },
            Dim::EnsembleHidden,
            "ensemble hidden width (HE) = 16",
            "compiled for 8",
        ),
        (
            Dims {
                members: 3,
                ..small_dims()
            },
            Dim::Members,
            "ensemble members (E) = 3",
            "compiled for 2",
        ),
        (
            Dims {
                samples: 64,
                ..small_dims()
            },
            Dim::Samples,
            "planner samples (K) = 64",
            "compiled for 24",
        ),
        (
            Dims {
                state: 3,
                ..small_dims()
            },
            Dim::State,
            "state dimension (S) = 3",
            "compiled for 2",
        ),
    ];
    for (dims, dim, says, compiled) in cases {
        let bytes = random_spec(dims, Precision::F32, 5).encode().unwrap();
        assert!(
            inspect(bytes.as_bytes()).is_ok(),
            "the bundle itself is valid"
        );
        let err = Small::parse(bytes.as_bytes()).unwrap_err();
        assert!(
            matches!(err, BundleError::Dimension { dim: d, .. } if d == dim),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains(says) && msg.contains(compiled), "{msg}");
    }
}

#[test]
fn non_finite_and_non_positive_tensors_are_refused_naming_the_tensor() {
    let (mut spec, _) = small(Precision::F32, 6);
    if let OwnedWeights::F32(w) = &mut spec.members[1][2].weights {
        w[5] = f32::NAN;
    }
    let bytes = spec.encode().unwrap();
    let err = Small::parse(bytes.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ensemble member 1 layer 2 weights holds a NaN or infinite value"
    );

    let (mut spec, _) = small(Precision::I8, 6);
    if let OwnedWeights::I8 { scale, .. } = &mut spec.policy[3].weights {
        scale[1] = 0.0;
    }
    let err = Small::parse(spec.encode().unwrap().as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy layer 3 row scales holds a value that must be positive"
    );

    let (mut spec, _) = small(Precision::F32, 6);
    spec.ensemble_output_std[0] = -1.0;
    let err = Small::parse(spec.encode().unwrap().as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("ensemble member 0 output std"),
        "{err}"
    );
}

#[test]
fn bad_hyper_parameters_are_refused() {
    let (mut spec, _) = small(Precision::F32, 7);
    spec.header.controller.planner.weighting = crate::planner::Weighting::Eq4 { temperature: 0.0 };
    let err = Small::parse(spec.encode().unwrap().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("temperature"), "{err}");
    spec.header.controller.planner.weighting = crate::planner::Weighting::Elites { count: 33 };
    let err = Small::parse(spec.encode().unwrap().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("elites"), "{err}");
}

#[test]
fn a_bundle_for_another_task_or_with_bad_task_parameters_is_refused_by_the_task() {
    use crate::envs::pendulum::PendulumTask;
    use crate::envs::point_mass::PointMassTask;
    use crate::task::{Task, TaskRecord};
    let (mut spec, _) = small(Precision::F32, 7);
    spec.header.task = TaskRecord::new("point-mass", 1, &[2.0, 0.4, 0.1]).unwrap();
    let bytes = spec.encode().unwrap();
    let bundle = Small::parse(bytes.as_bytes()).unwrap();
    let err = bundle.task::<PointMassTask>().unwrap_err();
    assert!(err.to_string().contains("wall_x"), "{err}");
    spec.header.task = PendulumTask::default().record();
    let bytes = spec.encode().unwrap();
    let err = Small::parse(bytes.as_bytes())
        .unwrap()
        .task::<PointMassTask>()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bundle was trained on task 'pendulum', this controller is built for 'point-mass'"
    );
    spec.header.task = TaskRecord::new("point-mass", 2, &[0.5, 0.4, 0.1]).unwrap();
    let bytes = spec.encode().unwrap();
    let err = Small::parse(bytes.as_bytes())
        .unwrap()
        .task::<PointMassTask>()
        .unwrap_err();
    assert!(err.to_string().contains("version 2"), "{err}");
}

#[test]
fn misaligned_bytes_are_refused_not_copied() {
    let (_, bytes) = small(Precision::F32, 8);
    let mut buf = vec![0u32; bytes.len() / 4 + 2];
    let raw: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
    raw[1..1 + bytes.len()].copy_from_slice(bytes.as_bytes());
    assert_eq!(
        Small::parse(&raw[1..1 + bytes.len()]).unwrap_err(),
        BundleError::Misaligned
    );
}

#[test]
fn writer_refuses_inconsistent_specs() {
    let (mut spec, _) = small(Precision::F32, 9);
    spec.policy[1].bias.pop();
    assert!(spec.encode().unwrap_err().0.contains("policy layer 1"));
    let (spec, _) = small(Precision::F32, 9);
    let mut mixed = spec.clone();
    mixed.members[0][0] = mixed.members[0][0].quantised();
    assert!(mixed.encode().unwrap_err().0.contains("header says F32"));
}

/// A random value network, as the exporter adds one.
fn with_random_value(spec: &mut BundleSpec, weight: f32, seed: u64) {
    let other = random_spec(small_dims(), Precision::F32, seed);
    let [l0, l1, _, _] = other.policy;
    let mut head = other.members[0][3].clone();
    head.rows = 1;
    head.bias.truncate(1);
    if let OwnedWeights::F32(w) = &mut head.weights {
        w.truncate(8);
    }
    spec.value = Some([l0, l1, head]);
    spec.header.terminal_value = Some(weight);
    if spec.header.precision == Precision::I8 {
        *spec = spec.quantised();
    }
}

#[test]
fn value_network_round_trips_and_is_checked_like_the_others() {
    for precision in [Precision::F32, Precision::I8] {
        let (mut spec, plain) = small(precision, 11);
        with_random_value(&mut spec, 0.93, 12);
        let bytes = spec.encode().unwrap();
        assert!(bytes.len() > plain.len());
        let bundle = Small::parse(bytes.as_bytes()).unwrap();
        assert_eq!(bundle.header.terminal_value, Some(0.93));
        assert_eq!(bundle.to_spec(), spec);
        assert!(Small::parse(plain.as_bytes()).unwrap().value.is_none());
    }
    let (mut spec, _) = small(Precision::F32, 11);
    with_random_value(&mut spec, 0.93, 12);
    if let Some(value) = &mut spec.value {
        value[2].bias[0] = f32::INFINITY;
    }
    let err = Small::parse(spec.encode().unwrap().as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value network layer 2 bias holds a NaN or infinite value"
    );
    for weight in [0.0, -0.5, 1.5, f32::NAN] {
        let (mut spec, _) = small(Precision::F32, 11);
        with_random_value(&mut spec, weight, 12);
        let err = Small::parse(spec.encode().unwrap().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("terminal-value weight"), "{err}");
    }
    // A header that promises a value the payload lacks (or the reverse) is refused by the
    // writer, and by the reader as a payload of the wrong length.
    let (mut spec, _) = small(Precision::F32, 11);
    spec.header.terminal_value = Some(0.9);
    assert!(
        spec.encode()
            .unwrap_err()
            .0
            .contains("value network absent")
    );
    let (mut spec, _) = small(Precision::F32, 11);
    with_random_value(&mut spec, 0.9, 12);
    spec.value = None;
    assert!(
        spec.encode()
            .unwrap_err()
            .0
            .contains("value network absent")
    );
}

#[test]
fn the_hand_built_value_is_the_weighted_distance_to_the_goal() {
    use crate::envs::point_mass::GOAL;
    use crate::value::StateValue;
    let spec = testing::with_distance_value(
        testing::point_mass_spec(8, 8, PolicyKind::Confident),
        2.0,
        0.5,
    );
    let bytes = spec.encode().unwrap();
    let bundle = Small::parse(bytes.as_bytes()).unwrap();
    let value = bundle.value.unwrap();
    for s in [[0.0f32, 0.0], [0.3, 0.8], GOAL, [1.0, -0.2]] {
        let d = (GOAL[0] - s[0]).abs() + (GOAL[1] - s[1]).abs();
        assert!((value.value(&s) + 0.5 * 2.0 * d).abs() < 1e-6, "{s:?}");
    }
}

#[test]
fn hand_built_bundles_decode() {
    for kind in [
        PolicyKind::Confident,
        PolicyKind::Uncertain,
        PolicyKind::Wrong,
    ] {
        let bytes = testing::point_mass_bundle::<8, 8>(kind);
        assert!(Small::parse(bytes.as_bytes()).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoder_never_panics_on_random_bytes(raw in prop::collection::vec(any::<u8>(), 0..600)) {
        let bytes = AlignedBytes::from_bytes(&raw);
        let _ = Small::parse(bytes.as_bytes());
        let _ = inspect(bytes.as_bytes());
    }

    #[test]
    fn decoder_never_panics_on_random_bytes_behind_a_valid_prefix(
        tail in prop::collection::vec(any::<u8>(), 0..600), header_len in 0u32..200, payload_len in 0u32..600,
    ) {
        let mut raw = Vec::new();
        raw.extend_from_slice(&frame::MAGIC);
        raw.extend_from_slice(&frame::VERSION.to_le_bytes());
        raw.extend_from_slice(&[0, 0]);
        raw.extend_from_slice(&header_len.to_le_bytes());
        raw.extend_from_slice(&payload_len.to_le_bytes());
        raw.extend_from_slice(&tail);
        let bytes = AlignedBytes::from_bytes(&raw);
        prop_assert!(Small::parse(bytes.as_bytes()).is_err());
    }

    #[test]
    fn random_edits_with_a_fixed_up_crc_never_panic(
        seed in 0u64..1000, edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        // Corruption that the CRC cannot see: exercises every check behind it.
        let (_, bytes) = small(if seed % 2 == 0 { Precision::F32 } else { Precision::I8 }, seed);
        let mut raw = bytes.as_bytes().to_vec();
        let body = raw.len() - 4;
        for (at, v) in edits {
            raw[at % body] = v;
        }
        let crc = frame::CRC32.checksum(&raw[..body]);
        raw[body..].copy_from_slice(&crc.to_le_bytes());
        let _ = Small::parse(AlignedBytes::from_bytes(&raw).as_bytes());
    }

    #[test]
    fn random_specs_round_trip(seed in any::<u64>(), i8 in any::<bool>()) {
        let precision = if i8 { Precision::I8 } else { Precision::F32 };
        let (spec, bytes) = small(precision, seed);
        let back = Small::parse(bytes.as_bytes()).unwrap().to_spec();
        prop_assert_eq!(back, spec);
    }
}

/// The planner's batched prediction (four samples at a time, then a tail) gives each sample
/// exactly what one-at-a-time prediction gives; on the board the batch takes the M4's
/// four-lane int8 kernel, and the QEMU end-to-end tests hold it to these same numbers.
#[test]
fn batched_prediction_equals_one_sample_at_a_time() {
    use crate::dynamics::Dynamics;
    for precision in [Precision::F32, Precision::I8] {
        let (_, bytes) = small(precision, 11);
        let mut bundle = Small::parse(bytes.as_bytes()).unwrap();
        let states: [[f32; 2]; 7] =
            core::array::from_fn(|k| [0.1 * k as f32, 0.9 - 0.13 * k as f32]);
        let actions: [[f32; 2]; 7] =
            core::array::from_fn(|k| [0.3 - 0.1 * k as f32, 0.05 * k as f32]);
        for member in 0..3 {
            let mut next = [[f32::NAN; 2]; 7];
            bundle
                .ensemble
                .predict(member, &states, &actions, &mut next);
            for k in 0..7 {
                let one = bundle
                    .ensemble
                    .predict_next(member, &states[k], &actions[k]);
                assert_eq!(
                    next[k].map(f32::to_bits),
                    one.map(f32::to_bits),
                    "{precision:?} member {member} sample {k}"
                );
            }
        }
    }
}
