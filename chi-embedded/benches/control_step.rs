//! One full control step of the board's point-mass controller on the host (E = 2 members
//! of 3 x 32, policy 2 x 32, H = 7, K = 24, I = 4),
//! f32 and int8, planning on and early exit. The host reference is the board's code
//! compiled for x86, so these are the host's costs of exactly what the board computes.

#![allow(clippy::expect_used)] // A bench with broken set-up should stop loudly.

use std::hint::black_box;

use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::owned::AlignedBytes;
use chi_embedded::bundle::testing::{PolicyKind, point_mass_spec};
use chi_embedded::envs::point_mass::PointMassTask;

const E: usize = 2;
const HE: usize = 32;
const HP: usize = 32;
const H: usize = 7;
const K: usize = chi_embedded::bundle::testing::POINT_MASS_SAMPLES;
type Bundle<'a> = chi_embedded::bundle::Bundle<'a, 2, 2, 4, E, HE, HP, H, K>;
type Controller<'a> =
    chi_embedded::controller::BundleController<'a, PointMassTask, 2, 2, 4, E, HE, HP, H, K>;
use criterion::{Criterion, criterion_group, criterion_main};

fn bytes(kind: PolicyKind, int8: bool) -> AlignedBytes {
    let spec = point_mass_spec(HE, HP, kind);
    let spec = if int8 { spec.quantised() } else { spec };
    spec.encode().expect("reference bundle")
}

fn control_step(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("control step E={E} HE={HE} HP={HP} H={H} K={K}"));
    for (name, kind, int8) in [
        ("planning, f32", PolicyKind::Uncertain, false),
        ("planning, int8", PolicyKind::Uncertain, true),
        ("early exit, f32", PolicyKind::Confident, false),
    ] {
        let b = bytes(kind, int8);
        let bundle = Bundle::parse(b.as_bytes()).expect("decodes");
        let mut chi = Controller::from_bundle(&bundle, PointMassTask::default(), 0);
        let iterations = chi.config.planner.iterations;
        let state = [0.2f32, 0.3];
        group.bench_function(format!("{name} (I={iterations})"), |bench| {
            bench.iter(|| chi.act(black_box(&state), &mut Unlimited).action)
        });
    }
    group.finish();
}

criterion_group!(benches, control_step);
criterion_main!(benches);
