//! AdamW over candle variables, its moments in the open and every float rounded as candle's
//! scalar ops round (`x * mul + add` in f32): the optimiser of the candle trainers the tests
//! check chi's against (`sac::reference`, `ensemble_trainer::reference`), and the same
//! arithmetic as [`crate::optim::adam_update`], which it calls.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use candle_core::{Device, Tensor, Var};

use crate::optim::{BETA1, BETA2, EPS, adam_update, corrections};

/// AdamW over a fixed set of candle variables.
pub struct Adam {
    vars: Vec<Var>,
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    step: u64,
    learning_rate: f64,
    weight_decay: f64,
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
