//! One control step of the host planner at the paper's Half-Cheetah settings (Appendix B,
//! C): ensemble 5 x (3 hidden layers of 350), K = 500 samples, H = 7, each sample through
//! every member (2 500 model rows a step, the compute of mbrl-lib's PETS with population 500
//! and 5 particles), 5 iterations; CEM (50 elites) and Eq. 4. The throughput criterion
//! prints is GFLOP/s of the matrix products (2 x MACs of the 3 hidden layers and the mean
//! head). Random weights: the compute of a trained model is the same.
//!
//! `cargo bench -p chi-host --bench planner [--features gemm-threads]`

#![allow(clippy::expect_used)] // A bench with broken set-up should stop loudly.

use std::hint::black_box;

use chi_embedded::budget::Unlimited;
use chi_embedded::bundle::testing::random_spec;
use chi_embedded::bundle::{Dims, Precision};
use chi_embedded::envs::half_cheetah::{ACT, HalfCheetahTask, OBS};
use chi_embedded::plan::Plan;
use chi_embedded::planner::{Planner, PlannerConfig, Propagation, Weighting};
use chi_embedded::rng::ChiRng;
use chi_host::host_nets::HostEnsemble;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const K: usize = 500;
const H: usize = 7;
const E: u32 = 5;
const WIDTH: usize = 350;
const ITERATIONS: u32 = 5;

fn planning_step(c: &mut Criterion) {
    let spec = random_spec(
        Dims {
            state: OBS as u32,
            action: ACT as u32,
            members: E,
            ensemble_hidden: WIDTH as u32,
            policy_hidden: 64,
            horizon: H as u32,
            samples: K as u32,
        },
        Precision::F32,
        1,
    );
    let mut ensemble = HostEnsemble::from_spec(&spec);
    let mut planner: Box<Planner<OBS, ACT, H, K>> = Box::new(Planner::new());
    let mut rng = ChiRng::new(0);
    let state = [0.1f32; OBS];
    let macs_per_row = (OBS + ACT) * WIDTH + 2 * WIDTH * WIDTH + WIDTH * OBS;
    let rows = K * E as usize * H * ITERATIONS as usize;
    let flop = 2 * (macs_per_row * rows) as u64;
    let mut group = c.benchmark_group(format!(
        "half-cheetah plan K={K} H={H} E={E}x3x{WIDTH} I={ITERATIONS}"
    ));
    group.sample_size(10);
    group.throughput(Throughput::Elements(flop));
    for (name, weighting) in [
        ("cem 50 elites", Weighting::Elites { count: 50 }),
        ("eq4", Weighting::Eq4 { temperature: 1.0 }),
    ] {
        let config = PlannerConfig {
            iterations: ITERATIONS,
            weighting,
            sigma_min: 0.02,
            propagation: Propagation::AllMembers,
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut plan = Plan::<ACT, H>::uninformed();
                planner.refine(
                    &config,
                    &mut ensemble,
                    &HalfCheetahTask,
                    black_box(&state),
                    &mut plan,
                    &mut rng,
                    &mut Unlimited,
                );
                plan.first_mean()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, planning_step);
criterion_main!(benches);
