//! Dense-layer kernels on the host: nanoseconds per layer and per multiply-accumulate (the
//! throughput is set in MACs, so criterion's "elem/s" is MACs per second).
//! Board figures (instructions per MAC under QEMU) come with the firmware bench.

#![allow(clippy::expect_used)] // A bench with broken set-up should stop loudly.

use std::hint::black_box;

use chi_embedded::nn::{DenseF32, DenseI8, QuantisedInput, quantise_rows};
use chi_embedded::rng::ChiRng;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn boxed<T: Copy + std::fmt::Debug, const N: usize>(v: T) -> Box<[T; N]> {
    vec![v; N].into_boxed_slice().try_into().expect("length N")
}

fn bench_size<const IN: usize, const OUT: usize>(c: &mut Criterion) {
    let mut rng = ChiRng::new(1);
    let mut w = boxed::<[f32; IN], OUT>([0.0; IN]);
    w.iter_mut()
        .flatten()
        .for_each(|v| *v = rng.normal() / (IN as f32).sqrt());
    let b: [f32; OUT] = std::array::from_fn(|_| 0.1 * rng.normal());
    let x: [f32; IN] = std::array::from_fn(|_| rng.normal());
    let (q, scales) = quantise_rows(w.as_flattened(), IN);
    let mut wq = boxed::<[i8; IN], OUT>([0; IN]);
    wq.iter_mut().flatten().zip(&q).for_each(|(d, s)| *d = *s);
    let scale: [f32; OUT] = scales.try_into().expect("OUT scales");

    let mut group = c.benchmark_group(format!("dense {IN}x{OUT}"));
    group.throughput(Throughput::Elements((IN * OUT) as u64));
    let mut y = [0.0f32; OUT];
    let f32_layer = DenseF32 {
        weights: &w,
        bias: &b,
    };
    group.bench_function("f32", |bench| {
        bench.iter(|| f32_layer.forward(black_box(&x), &mut y))
    });
    let i8_layer = DenseI8 {
        weights: &wq,
        scale: &scale,
        bias: &b,
    };
    group.bench_function("int8 (with input quantisation)", |bench| {
        bench.iter(|| i8_layer.forward(black_box(&x), &mut y))
    });
    let xq = QuantisedInput::new(&x);
    group.bench_function("int8 (pre-quantised input)", |bench| {
        bench.iter(|| i8_layer.forward_quantised(black_box(&xq), &mut y))
    });
    group.finish();
}

fn kernels(c: &mut Criterion) {
    bench_size::<32, 32>(c);
    bench_size::<64, 64>(c);
    bench_size::<350, 350>(c);
}

criterion_group!(benches, kernels);
criterion_main!(benches);
