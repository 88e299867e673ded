//! The networks' forward pass and every gradient against candle's autograd and finite
//! differences.

use super::*;
use candle_core::{Device, Tensor, Var};

fn random(n: usize, rng: &mut ChiRng) -> Vec<f32> {
    (0..n).map(|_| rng.normal()).collect()
}

fn random_mlp(widths: &[usize], rng: &mut ChiRng) -> Mlp {
    Mlp::new(
        widths
            .windows(2)
            .map(|w| {
                let s = 1.0 / (w[0] as f32).sqrt();
                let weight = random(w[0] * w[1], rng).iter().map(|v| v * s).collect();
                Layer::new(w[0], w[1], weight, random(w[1], rng))
            })
            .collect(),
    )
}

/// The same network and loss through candle's autograd: output, input gradient and
/// every layer's weight and bias gradients, for the loss `sum(output * probe)`.
#[allow(clippy::type_complexity)]
fn candle_reference(
    mlp: &Mlp,
    x: &[f32],
    n: usize,
    probe: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<(Vec<f32>, Vec<f32>)>) {
    let cpu = &Device::Cpu;
    let xv = Var::from_slice(x, (n, mlp.inputs()), cpu).unwrap();
    let vars: Vec<(Var, Var)> = mlp
        .layers
        .iter()
        .map(|l| {
            (
                Var::from_slice(&l.weight, (l.outputs, l.inputs), cpu).unwrap(),
                Var::from_slice(&l.bias, l.outputs, cpu).unwrap(),
            )
        })
        .collect();
    let mut h = xv.as_tensor().clone();
    for (i, (w, b)) in vars.iter().enumerate() {
        h = h.matmul(&w.as_tensor().t().unwrap()).unwrap();
        h = h.broadcast_add(b.as_tensor()).unwrap();
        if i + 1 < vars.len() {
            h = match mlp.activation {
                Activation::Relu => h.relu(),
                Activation::Silu => h.silu(),
                Activation::Tanh => h.tanh(),
            }
            .unwrap();
        }
    }
    let p = Tensor::from_slice(probe, (n, mlp.outputs()), cpu).unwrap();
    let loss = (&h * &p).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    (
        flat(&h),
        flat(grads.get(xv.as_tensor()).unwrap()),
        vars.iter()
            .map(|(w, b)| {
                (
                    flat(grads.get(w.as_tensor()).unwrap()),
                    flat(grads.get(b.as_tensor()).unwrap()),
                )
            })
            .collect(),
    )
}

fn assert_close(what: &str, got: &[f32], want: &[f32], tolerance: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let scale = w.abs().max(1.0);
        assert!(
            (g - w).abs() <= tolerance * scale,
            "{what}[{i}]: {g} against candle's {w}"
        );
    }
}

/// Relative to the larger of the value and 1: products of a few hundred terms in
/// another order differ by a few ulps of their largest partial sums.
const TOLERANCE: f32 = 1e-5;

/// Every activation, and a layer alone (no activation at all), at widths as chi trains
/// them, odd batches and widths that are not multiples of a vector.
#[test]
fn forward_and_every_gradient_match_candles_autograd() {
    let mut rng = ChiRng::new(11);
    for (widths, n, activation) in [
        (vec![4, 256, 256, 1], 37, Activation::Relu),
        (vec![17, 64, 64, 12], 50, Activation::Relu),
        (vec![23, 350, 350, 350, 34], 9, Activation::Silu),
        (vec![6, 40, 40, 8], 13, Activation::Tanh),
        (vec![3, 5], 1, Activation::Silu),
    ] {
        let mut mlp = random_mlp(&widths, &mut rng);
        mlp.activation = activation;
        let x = random(n * widths[0], &mut rng);
        let probe = random(n * widths[widths.len() - 1], &mut rng);
        let (out, dx, layer_grads) = candle_reference(&mlp, &x, n, &probe);
        assert_close("output", mlp.forward(&x, n), &out, TOLERANCE);
        assert_eq!(mlp.infer(&x, n), mlp.output(), "infer is forward");
        mlp.zero_grad();
        let got_dx = mlp.backward(&probe, true, true).unwrap().to_vec();
        assert_close("input gradient", &got_dx, &dx, TOLERANCE);
        for (l, (layer, (dw, db))) in mlp.layers.iter().zip(&layer_grads).enumerate() {
            let (weight_grad, bias_grad) = layer.gradients().unwrap();
            assert_close(
                &format!("layer {l} weight gradient"),
                weight_grad,
                dw,
                TOLERANCE,
            );
            assert_close(
                &format!("layer {l} bias gradient"),
                bias_grad,
                db,
                TOLERANCE,
            );
        }
    }
}

#[test]
fn gradients_accumulate_until_zeroed_and_input_gradient_is_optional() {
    let mut rng = ChiRng::new(5);
    let mut mlp = random_mlp(&[3, 8, 2], &mut rng);
    let x = random(4 * 3, &mut rng);
    let probe = random(4 * 2, &mut rng);
    mlp.forward(&x, 4);
    assert!(mlp.backward(&probe, false, true).is_none());
    let once = mlp.layers[0].gradients().unwrap().0.to_vec();
    mlp.forward(&x, 4);
    mlp.backward(&probe, false, true);
    let twice: Vec<f32> = once.iter().map(|v| 2.0 * v).collect();
    assert_close(
        "accumulated",
        mlp.layers[0].gradients().unwrap().0,
        &twice,
        1e-6,
    );
    mlp.zero_grad();
    assert!(mlp.layers.iter().all(|l| l.gradients().is_none()));
}

/// Central finite differences in f64 arithmetic of the loss agree with the analytic
/// gradient: a check that does not trust candle either.
#[test]
fn weight_gradient_matches_finite_differences() {
    let mut rng = ChiRng::new(3);
    let mut mlp = random_mlp(&[3, 6, 6, 2], &mut rng);
    let (n, x) = (5, random(5 * 3, &mut rng));
    let probe = random(n * 2, &mut rng);
    let loss = |m: &mut Mlp| -> f64 {
        m.forward(&x, n)
            .iter()
            .zip(&probe)
            .map(|(o, p)| f64::from(*o) * f64::from(*p))
            .sum()
    };
    mlp.zero_grad();
    mlp.forward(&x, n);
    mlp.backward(&probe, false, true);
    let analytic = mlp.layers[1].gradients().unwrap().0.to_vec();
    let h = 1e-2f32;
    for (j, want) in analytic.iter().enumerate() {
        let mut up = mlp.clone();
        up.layers[1].weight[j] += h;
        let mut down = mlp.clone();
        down.layers[1].weight[j] -= h;
        let numeric = (loss(&mut up) - loss(&mut down)) / f64::from(2.0 * h);
        assert!(
            (numeric as f32 - want).abs() < 2e-3 * want.abs().max(1.0),
            "weight {j}: finite difference {numeric}, analytic {want}"
        );
    }
}
