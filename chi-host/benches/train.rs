//! Training's cost on the host, at the sizes chi trains: one SAC update (critic step, actor
//! step, target blend; and the value network's steps where CHI uses it), one ensemble
//! minibatch step, one ensemble refit after an episode, and one whole training episode of
//! each agent. The throughput criterion prints is GFLOP/s of the matrix products, counted as
//! `../shared/peers/cleanrl-sac` counts them (2 x the MACs of every product a framework runs, weight gradients of the critics in the
//! actor step included), so the figures compare with CleanRL's and RLtools' directly.
//!
//! `RAYON_NUM_THREADS=1 cargo bench -p chi-host --bench train` (and `=2`): candle's products
//! use that many threads.

#![allow(clippy::expect_used)] // A bench with broken set-up should stop loudly.

use std::hint::black_box;

use chi_embedded::rng::ChiRng;
use chi_host::ensemble_trainer::{EnsembleConfig, EnsembleTrainer};
use chi_host::replay::ReplayBuffer;
use chi_host::sac::{Sac, SacConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Random transitions of `s` states and `a` actions.
fn buffer(s: usize, a: usize, n: usize) -> ReplayBuffer {
    let mut rng = ChiRng::new(7);
    let mut b = ReplayBuffer::new(s, a, n);
    for _ in 0..n {
        let obs: Vec<f32> = (0..s).map(|_| rng.normal()).collect();
        let act: Vec<f32> = (0..a).map(|_| rng.symmetric_uniform()).collect();
        let next: Vec<f32> = obs.iter().map(|x| x + 0.1 * rng.normal()).collect();
        b.push(&obs, &act, rng.normal(), &next, false);
    }
    b
}

/// FLOP of one SAC update (critic step, actor step) at batch `n`, as the CleanRL harness
/// counts them.
fn sac_flop(s: usize, a: usize, critic: usize, actor: usize, n: usize) -> u64 {
    let (q1, q2, q3) = ((s + a) * critic, critic * critic, critic);
    let fq = q1 + q2 + q3;
    let (a1, a2, a3) = (s * actor, actor * actor, actor * 2 * a);
    let fa = a1 + a2 + a3;
    let critic_step = fa + 2 * fq + 2 * fq + 2 * (fq + q2 + q3);
    let actor_step = fa + 2 * fq + 2 * 2 * fq + (fa + a2 + a3);
    2 * (n * (critic_step + actor_step)) as u64
}

/// One SAC size: name, observations, actions, critic width, actor width, batch, value net.
const SAC_SIZES: [(&str, usize, usize, usize, usize, usize, bool); 5] = [
    ("point mass 2/2, 256, batch 256", 2, 2, 256, 256, 256, false),
    (
        "half-cheetah 17/6, 256, batch 256",
        17,
        6,
        256,
        256,
        256,
        false,
    ),
    (
        "pendulum 3/1, 64, batch 100 (RLtools')",
        3,
        1,
        64,
        64,
        100,
        false,
    ),
    (
        "pendulum 3/1, 256, batch 256 (CleanRL's)",
        3,
        1,
        256,
        256,
        256,
        false,
    ),
    (
        "point mass board: critics 256, actor 32, value, batch 256",
        2,
        2,
        256,
        32,
        256,
        true,
    ),
];

fn sac_update(c: &mut Criterion) {
    let mut group = c.benchmark_group("sac update");
    group.sample_size(20);
    for (name, s, a, critic, actor, batch, value) in SAC_SIZES {
        let config = SacConfig {
            critic_hidden: critic,
            actor_hidden: actor,
            batch,
            ..SacConfig::default()
        };
        let mut sac = Sac::new(config, s, a, 1).expect("SAC");
        if value {
            sac.add_value(1).expect("value network");
        }
        let data = buffer(s, a, 10_000);
        let mut rng = ChiRng::new(3);
        let batches: Vec<_> = (0..16).map(|_| data.sample(batch, &mut rng)).collect();
        // The value network's steps are not in the count: its FLOPs are a few per cent.
        group.throughput(Throughput::Elements(sac_flop(s, a, critic, actor, batch)));
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % batches.len();
                black_box(sac.update(&batches[i], &mut rng).expect("update"))
            })
        });
    }
    group.finish();
}

/// FLOP of one ensemble minibatch step: forward and backward (weights and inputs of every
/// layer past the first) of `e` members of three hidden layers on `n` rows each.
fn ensemble_flop(s: usize, a: usize, e: usize, h: usize, n: usize) -> u64 {
    let (l1, l2, out) = ((s + a) * h, h * h, h * 2 * s);
    let forward = l1 + 2 * l2 + out;
    let backward = 2 * forward - l1;
    2 * (e * n * (forward + backward)) as u64
}

/// One ensemble size: name, observations, actions, members, width, minibatch, transitions.
const ENSEMBLE_SIZES: [(&str, usize, usize, usize, usize, usize, usize); 2] = [
    (
        "half-cheetah paper: 5 x 3 x 350, batch 50, 10k transitions",
        17,
        6,
        5,
        350,
        50,
        10_000,
    ),
    (
        "point mass board: 2 x 3 x 32, batch 50, 6k transitions",
        2,
        2,
        2,
        32,
        50,
        6_000,
    ),
];

fn ensemble(c: &mut Criterion) {
    let mut group = c.benchmark_group("ensemble");
    group.sample_size(10);
    for (name, s, a, e, h, batch, n) in ENSEMBLE_SIZES {
        let data = buffer(s, a, n);
        // One epoch over one minibatch's worth of rows is one minibatch step.
        let step = EnsembleConfig {
            members: e,
            hidden: h,
            batch,
            epochs: 1,
            ..EnsembleConfig::default()
        };
        let mut trainer = EnsembleTrainer::new(step, s, a, 1).expect("ensemble");
        let one_batch = buffer(s, a, batch);
        let mut rng = ChiRng::new(5);
        group.throughput(Throughput::Elements(ensemble_flop(s, a, e, h, batch)));
        group.bench_function(format!("minibatch step, {name}"), |b| {
            b.iter(|| black_box(trainer.fit(&one_batch, &mut rng).expect("fit")))
        });
        // A refit after an episode: every epoch over everything gathered.
        let refit = EnsembleConfig {
            members: e,
            hidden: h,
            batch,
            ..EnsembleConfig::default()
        };
        let mut trainer = EnsembleTrainer::new(refit, s, a, 1).expect("ensemble");
        let steps = refit.epochs * n.div_ceil(batch);
        group.throughput(Throughput::Elements(
            ensemble_flop(s, a, e, h, batch) * steps as u64,
        ));
        group.bench_function(format!("refit ({} epochs), {name}", refit.epochs), |b| {
            b.iter(|| black_box(trainer.fit(&data, &mut rng).expect("fit")))
        });
    }
    group.finish();
}

/// Copies the files of `from` into `to` (a run directory and its checkpoint).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("bench directory");
    for entry in std::fs::read_dir(from).expect("run directory") {
        let entry = entry.expect("run directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// One whole training episode of each agent on Pendulum-v1 at the board preset (200 steps:
/// acting, the updates, the refit, the CSV row and the checkpoint), the third of its run:
/// every sample starts from a copy of the same two-episode run.
fn episode(c: &mut Criterion) {
    use chi_host::config::{AgentKind, Preset};
    use chi_host::tasks::pendulum::Pendulum;
    use chi_host::train::Run;
    use chi_host::world::World;
    let mut group = c.benchmark_group("training episode, pendulum, board preset");
    group.sample_size(10);
    let root = std::env::temp_dir().join(format!("chi-bench-episode-{}", std::process::id()));
    for agent in [AgentKind::Chi, AgentKind::Sac, AgentKind::Cem] {
        let base = root.join(format!("{}-base", agent.name()));
        let mut run: Run<3, 1, Pendulum> =
            Run::open(agent, 0, Pendulum::preset(Preset::Board), &base).expect("run");
        for _ in 0..2 {
            run.episode().expect("episode");
        }
        let mut n = 0;
        group.bench_function(agent.name(), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    let dir = root.join(format!("{}-{n}", agent.name()));
                    copy_dir(&base, &dir);
                    Run::<3, 1, Pendulum>::reopen(&dir).expect("reopen")
                },
                |mut run| black_box(run.episode().expect("episode")),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

/// FLOP of `fma_chains`: 12 chains of `rounds` fused multiply-adds on 16 floats.
const PEAK_ROUNDS: usize = 1_000_000;

/// The core's f32 peak as a yardstick for the figures above: twelve independent chains of
/// AVX-512 fused multiply-adds (enough to cover the FMA latency on both of a core's FMA
/// pipes), no memory traffic. Run with `RAYON_NUM_THREADS=2` it runs one copy a thread,
/// the machine's peak.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma_chains(rounds: usize) -> f32 {
    use std::arch::x86_64::*;
    let (b, c) = (
        _mm512_set1_ps(black_box(0.999_999_9)),
        _mm512_set1_ps(black_box(1e-7)),
    );
    let mut acc = [_mm512_set1_ps(black_box(1.0)); 12];
    for _ in 0..rounds {
        for a in &mut acc {
            *a = _mm512_fmadd_ps(*a, b, c);
        }
    }
    acc.iter().map(|a| _mm512_reduce_add_ps(*a)).sum()
}

fn peak(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        let threads = rayon::current_num_threads();
        let mut group = c.benchmark_group("f32 peak");
        group.sample_size(10);
        group.throughput(Throughput::Elements(
            (threads * PEAK_ROUNDS * 12 * 16 * 2) as u64,
        ));
        group.bench_function(format!("AVX-512 FMA, {threads} thread(s)"), |b| {
            b.iter(|| {
                rayon::broadcast(|_| {
                    // SAFETY: the CPU has AVX-512F, checked above.
                    black_box(unsafe { fma_chains(black_box(PEAK_ROUNDS)) })
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, peak, sac_update, ensemble, episode);
criterion_main!(benches);
