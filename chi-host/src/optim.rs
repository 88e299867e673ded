//! Adam with decoupled weight decay (AdamW), with its state in the open so a checkpoint
//! holds it: a resumed run then continues exactly as an uninterrupted one. (candle's own
//! AdamW keeps its moments private.)

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use candle_core::{Device, Tensor, Var};

/// AdamW over a fixed set of variables.
pub struct Adam {
    vars: Vec<Var>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    step: u64,
    learning_rate: f64,
    weight_decay: f64,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

impl Adam {
    /// An optimiser for `vars` (the usual betas 0.9, 0.999 and epsilon 1e-8).
    pub fn new(vars: Vec<Var>, learning_rate: f64, weight_decay: f64) -> Result<Self> {
        let zeros = |v: &Var| v.zeros_like();
        let first = vars.iter().map(zeros).collect::<candle_core::Result<_>>()?;
        let second = vars.iter().map(zeros).collect::<candle_core::Result<_>>()?;
        Ok(Self {
            vars,
            first,
            second,
            step: 0,
            learning_rate,
            weight_decay,
        })
    }

    /// Back-propagates `loss` and takes one step.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step += 1;
        let t = self.step as i32;
        let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
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

    /// Writes the moments and the step count.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut map = HashMap::new();
        for (i, (m, v)) in self.first.iter().zip(&self.second).enumerate() {
            map.insert(format!("m{i}"), m.clone());
            map.insert(format!("v{i}"), v.clone());
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
        for (i, (m, v)) in self.first.iter_mut().zip(&mut self.second).enumerate() {
            let (lm, lv) = (get(&format!("m{i}"))?, get(&format!("v{i}"))?);
            if lm.dims() != m.dims() || lv.dims() != v.dims() {
                bail!("{}: optimiser state {i} has another shape", path.display());
            }
            *m = lm.clone();
            *v = lv.clone();
        }
        self.step = get("step")?
            .to_vec1::<f64>()?
            .first()
            .copied()
            .unwrap_or(0.0) as u64;
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
}
