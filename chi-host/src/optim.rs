//! Adam with decoupled weight decay (AdamW), with its state in the open so a checkpoint
//! holds it: a resumed run then continues exactly as an uninterrupted one. (candle's own
//! AdamW keeps its moments private.)
//!
//! The update runs as one pass over each variable's floats instead of a dozen candle ops,
//! each of which allocated a fresh tensor: on Half-Cheetah at the paper's sizes those ops
//! were ~40% of a CHI run's time (perf, episode 27). Every float is still rounded as the
//! candle ops rounded it (`x * mul + add` for each scalar op, in f32), so runs match those
//! made before, bit for bit (tested below against the op-by-op form).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use candle_core::{Device, Tensor, Var};

use crate::mlp::Mlp;

/// One AdamW step of the floats `w` with gradient `g` and moments `m`, `v`, in place:
/// `corrections` are `1 - beta^t` of both moments, `decay` is `1 - lr wd`.
pub fn adam_update(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    corrections: [f64; 2],
    lr: f64,
    decay: f64,
) {
    let [c1, c2] = corrections;
    for (((w, g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        // m = m b1 + g (1 - b1); v = v b2 + g^2 (1 - b2);
        // w = w (1 - lr wd) - lr (m / c1) / (sqrt(v / c2) + eps).
        *m = affine(*m, BETA1, 0.0) + affine(*g, 1.0 - BETA1, 0.0);
        *v = affine(*v, BETA2, 0.0) + affine(*g * *g, 1.0 - BETA2, 0.0);
        let update = affine(*m, 1.0 / c1, 0.0) / affine(affine(*v, 1.0 / c2, 0.0).sqrt(), 1.0, EPS);
        *w = affine(*w, decay, 0.0) - affine(update, lr, 0.0);
    }
}

/// `1 - beta^t` for both moments at step `t`.
pub fn corrections(step: u64) -> [f64; 2] {
    let t = step as i32;
    [1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t)]
}

/// AdamW over a fixed set of variables.
pub struct Adam {
    vars: Vec<Var>,
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    step: u64,
    learning_rate: f64,
    weight_decay: f64,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// candle's scalar op on a tensor (`t * mul + add` with both cast to f32).
fn affine(x: f32, mul: f64, add: f64) -> f32 {
    x * mul as f32 + add as f32
}

impl Adam {
    /// An optimiser for `vars` (the usual betas 0.9, 0.999 and epsilon 1e-8).
    pub fn new(vars: Vec<Var>, learning_rate: f64, weight_decay: f64) -> Result<Self> {
        let zeros: Vec<Vec<f32>> = vars.iter().map(|v| vec![0.0; v.elem_count()]).collect();
        Ok(Self {
            vars,
            first: zeros.clone(),
            second: zeros,
            step: 0,
            learning_rate,
            weight_decay,
        })
    }

    /// Back-propagates `loss` and takes one step.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step += 1;
        let [c1, c2] = corrections(self.step);
        let (lr, decay) = (
            self.learning_rate,
            1.0 - self.learning_rate * self.weight_decay,
        );
        for ((var, m), v) in self.vars.iter().zip(&mut self.first).zip(&mut self.second) {
            let Some(g) = grads.get(var) else { continue };
            let g = g.flatten_all()?.to_vec1::<f32>()?;
            let mut w = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
            if g.len() != w.len() || m.len() != w.len() {
                bail!(
                    "gradient of {} values for a variable of {}",
                    g.len(),
                    w.len()
                );
            }
            adam_update(&mut w, &g, m, v, [c1, c2], lr, decay);
            var.set(&Tensor::from_vec(w, var.shape(), &Device::Cpu)?)?;
        }
        Ok(())
    }

    /// Writes the moments and the step count.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for (i, ((m, v), var)) in self
            .first
            .iter()
            .zip(&self.second)
            .zip(&self.vars)
            .enumerate()
        {
            let tensor = |x: &Vec<f32>| Tensor::from_slice(x, var.shape(), &Device::Cpu);
            map.insert(format!("m{i}"), tensor(m)?);
            map.insert(format!("v{i}"), tensor(v)?);
        }
        map.insert(
            "step".into(),
            Tensor::new(&[self.step as f64], &Device::Cpu)?,
        );
        candle_core::safetensors::save(&map, path)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Restores what [`Adam::save`] wrote.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let map = candle_core::safetensors::load(path, &Device::Cpu)
            .with_context(|| format!("reading {}", path.display()))?;
        let get = |k: &str| {
            map.get(k)
                .with_context(|| format!("{} lacks '{k}'", path.display()))
        };
        let mut state = Vec::with_capacity(self.vars.len());
        for (i, var) in self.vars.iter().enumerate() {
            let (lm, lv) = (get(&format!("m{i}"))?, get(&format!("v{i}"))?);
            if lm.dims() != var.dims() || lv.dims() != var.dims() {
                bail!("{}: optimiser state {i} has another shape", path.display());
            }
            let floats = |t: &Tensor| -> Result<Vec<f32>> {
                t.flatten_all()?
                    .to_vec1::<f32>()
                    .with_context(|| format!("{}: optimiser state {i}", path.display()))
            };
            state.push((floats(lm)?, floats(lv)?));
        }
        (self.first, self.second) = state.into_iter().unzip();
        self.step = get("step")?
            .to_vec1::<f64>()?
            .first()
            .copied()
            .unwrap_or(0.0) as u64;
        Ok(())
    }
}

/// AdamW over the layers of some [`Mlp`]s (one optimiser for both critics, say), its moments
/// in the open like [`Adam`]'s and saved in the same format: moment `i` belongs to the `i`-th
/// tensor in the order weight, bias of each layer, network by network.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpAdam {
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    step: u64,
    learning_rate: f64,
    weight_decay: f64,
}

impl MlpAdam {
    /// An optimiser for `nets`, moments zero.
    pub fn new(nets: &[&Mlp], learning_rate: f64, weight_decay: f64) -> Self {
        let zeros: Vec<Vec<f32>> = nets
            .iter()
            .flat_map(|n| &n.layers)
            .flat_map(|l| [vec![0.0; l.weight.len()], vec![0.0; l.bias.len()]])
            .collect();
        Self {
            first: zeros.clone(),
            second: zeros,
            step: 0,
            learning_rate,
            weight_decay,
        }
    }

    /// One step of every layer of `nets` (the networks it was made for, in that order) with
    /// their accumulated gradients, which are consumed.
    pub fn step(&mut self, nets: &mut [&mut Mlp]) {
        self.step += 1;
        let c = corrections(self.step);
        let (lr, decay) = (
            self.learning_rate,
            1.0 - self.learning_rate * self.weight_decay,
        );
        // Moment i belongs to tensor i whether or not it has a gradient this step; one
        // without is left alone, as candle's optimisers leave a variable no loss reached.
        let mut moments = self.first.iter_mut().zip(&mut self.second);
        for layer in nets.iter_mut().flat_map(|n| n.layers.iter_mut()) {
            let pair = [moments.next(), moments.next()];
            let Some(tensors) = layer.take_gradients() else {
                continue;
            };
            for ((w, g), moment) in tensors.into_iter().zip(pair) {
                if let Some((m, v)) = moment {
                    adam_update(w, g, m, v, c, lr, decay);
                }
            }
        }
    }

    /// Writes the moments and the step count (the format of [`Adam::save`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for (i, (m, v)) in self.first.iter().zip(&self.second).enumerate() {
            let tensor = |x: &Vec<f32>| Tensor::from_slice(x, x.len(), &Device::Cpu);
            map.insert(format!("m{i}"), tensor(m)?);
            map.insert(format!("v{i}"), tensor(v)?);
        }
        map.insert(
            "step".into(),
            Tensor::new(&[self.step as f64], &Device::Cpu)?,
        );
        candle_core::safetensors::save(&map, path)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Restores what [`MlpAdam::save`] (or [`Adam::save`] for the same tensors) wrote.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let map = candle_core::safetensors::load(path, &Device::Cpu)
            .with_context(|| format!("reading {}", path.display()))?;
        let get = |k: &str| {
            map.get(k)
                .with_context(|| format!("{} lacks '{k}'", path.display()))
        };
        let floats = |k: &str, len: usize| -> Result<Vec<f32>> {
            let v = get(k)?
                .flatten_all()?
                .to_vec1::<f32>()
                .with_context(|| format!("{}: optimiser state {k}", path.display()))?;
            if v.len() != len {
                bail!("{}: optimiser state {k} has another shape", path.display());
            }
            Ok(v)
        };
        let mut first = Vec::with_capacity(self.first.len());
        let mut second = Vec::with_capacity(self.second.len());
        for (i, m) in self.first.iter().enumerate() {
            first.push(floats(&format!("m{i}"), m.len())?);
            second.push(floats(&format!("v{i}"), m.len())?);
        }
        let step = get("step")?
            .to_vec1::<f64>()?
            .first()
            .copied()
            .unwrap_or(0.0);
        (self.first, self.second, self.step) = (first, second, step as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_a_quadratic() {
        let x = Var::new(&[3.0f32, -2.0], &Device::Cpu).unwrap();
        let mut adam = Adam::new(vec![x.clone()], 0.1, 0.0).unwrap();
        for _ in 0..300 {
            let loss = (x.as_tensor() - 1.0)
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap();
            adam.backward_step(&loss).unwrap();
        }
        for v in x.to_vec1::<f32>().unwrap() {
            assert!((v - 1.0).abs() < 0.01, "{v}");
        }
    }

    /// The step as it was written before, one candle op at a time (each op allocates).
    struct OpByOp {
        vars: Vec<Var>,
        first: Vec<Tensor>,
        second: Vec<Tensor>,
        step: i32,
        learning_rate: f64,
        weight_decay: f64,
    }

    impl OpByOp {
        fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
            let grads = loss.backward()?;
            self.step += 1;
            let (c1, c2) = (1.0 - BETA1.powi(self.step), 1.0 - BETA2.powi(self.step));
            for ((var, m), v) in self.vars.iter().zip(&mut self.first).zip(&mut self.second) {
                let Some(g) = grads.get(var) else { continue };
                *m = ((&*m * BETA1)? + (g * (1.0 - BETA1))?)?;
                *v = ((&*v * BETA2)? + (g.sqr()? * (1.0 - BETA2))?)?;
                let update = ((&*m / c1)? / ((&*v / c2)?.sqrt()? + EPS)?)?;
                let decayed = (var.as_tensor() * (1.0 - self.learning_rate * self.weight_decay))?;
                var.set(&(decayed - (update * self.learning_rate)?)?)?;
            }
            Ok(())
        }
    }

    #[test]
    fn fused_step_rounds_exactly_as_the_candle_ops_did() {
        let start: Vec<f32> = (0..37)
            .map(|i| ((i * 7919) % 101) as f32 / 17.0 - 3.0)
            .collect();
        let target = Tensor::from_vec(
            (0..37).map(|i| (i as f32).sin()).collect(),
            37,
            &Device::Cpu,
        )
        .unwrap();
        let fused_var = Var::from_vec(start.clone(), 37, &Device::Cpu).unwrap();
        let old_var = Var::from_vec(start, 37, &Device::Cpu).unwrap();
        let mut fused = Adam::new(vec![fused_var.clone()], 3e-3, 1e-5).unwrap();
        let mut old = OpByOp {
            vars: vec![old_var.clone()],
            first: vec![old_var.zeros_like().unwrap()],
            second: vec![old_var.zeros_like().unwrap()],
            step: 0,
            learning_rate: 3e-3,
            weight_decay: 1e-5,
        };
        let loss = |x: &Var| {
            (x.as_tensor() - &target)
                .unwrap()
                .sqr()
                .unwrap()
                .exp()
                .unwrap()
                .sum_all()
                .unwrap()
        };
        for step in 0..50 {
            fused.backward_step(&loss(&fused_var)).unwrap();
            old.backward_step(&loss(&old_var)).unwrap();
            let (a, b) = (
                fused_var.to_vec1::<f32>().unwrap(),
                old_var.to_vec1::<f32>().unwrap(),
            );
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "step {step}");
        }
    }

    #[test]
    fn saved_state_restores_and_a_wrong_shape_is_refused() {
        let dir = std::env::temp_dir().join(format!("chi-adam-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("adam.safetensors");
        let x = Var::new(&[[3.0f32, -2.0], [0.5, 1.0]], &Device::Cpu).unwrap();
        let mut adam = Adam::new(vec![x.clone()], 0.1, 0.0).unwrap();
        adam.backward_step(&x.as_tensor().sqr().unwrap().sum_all().unwrap())
            .unwrap();
        adam.save(&path).unwrap();
        let mut back = Adam::new(vec![x.clone()], 0.1, 0.0).unwrap();
        back.load(&path).unwrap();
        assert_eq!(
            (back.first.clone(), back.second.clone(), back.step),
            (adam.first, adam.second, 1)
        );
        let y = Var::new(&[1.0f32, 2.0, 3.0], &Device::Cpu).unwrap();
        let mut other = Adam::new(vec![y], 0.1, 0.0).unwrap();
        assert!(other.load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
