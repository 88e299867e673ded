//! candle variables with seeded initialisation, for the candle trainers the tests check
//! chi's against: every weight drawn from [`ChiRng`] in the order [`crate::mlp::Mlp::seeded`]
//! draws (PyTorch's default for linear layers, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`), so
//! both start from the same weights.

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use candle_nn::Linear;
use chi_embedded::bundle::owned::OwnedLayer;
use chi_embedded::rng::ChiRng;

/// Named variables of one network (or a group trained by one optimiser).
#[derive(Default)]
pub struct Params {
    vars: Vec<(String, Var)>,
}

/// A linear layer together with its variables, so it can be exported.
#[derive(Clone)]
pub struct Dense {
    /// The candle layer (weights `out x in`).
    pub layer: Linear,
    weight: Var,
    bias: Var,
}

impl Dense {
    /// The layer's weights as the bundle stores them (row-major, f32).
    pub fn owned(&self) -> Result<OwnedLayer> {
        let (rows, cols) = self.weight.dims2()?;
        Ok(OwnedLayer::f32(
            rows,
            cols,
            self.weight.flatten_all()?.to_vec1()?,
            self.bias.to_vec1()?,
        ))
    }

    /// Rows `range` of the layer (a head split off a combined output layer).
    pub fn owned_rows(&self, range: std::ops::Range<usize>) -> Result<OwnedLayer> {
        let w = self.weight.narrow(0, range.start, range.len())?;
        let b = self.bias.narrow(0, range.start, range.len())?;
        let (rows, cols) = w.dims2()?;
        Ok(OwnedLayer::f32(
            rows,
            cols,
            w.flatten_all()?.to_vec1()?,
            b.to_vec1()?,
        ))
    }
}

impl Params {
    /// A linear layer `inputs -> outputs`, initialised from `rng`.
    pub fn linear(
        &mut self,
        name: &str,
        inputs: usize,
        outputs: usize,
        rng: &mut ChiRng,
    ) -> Result<Dense> {
        let bound = 1.0 / (inputs as f32).sqrt();
        let mut draw =
            |n: usize| -> Vec<f32> { (0..n).map(|_| bound * rng.symmetric_uniform()).collect() };
        let weight = Var::from_tensor(&Tensor::from_vec(
            draw(inputs * outputs),
            (outputs, inputs),
            &Device::Cpu,
        )?)?;
        let bias = Var::from_tensor(&Tensor::from_vec(draw(outputs), outputs, &Device::Cpu)?)?;
        self.vars.push((format!("{name}.weight"), weight.clone()));
        self.vars.push((format!("{name}.bias"), bias.clone()));
        let layer = Linear::new(weight.as_tensor().clone(), Some(bias.as_tensor().clone()));
        Ok(Dense {
            layer,
            weight,
            bias,
        })
    }

    /// All variables, for an optimiser.
    pub fn vars(&self) -> Vec<Var> {
        self.vars.iter().map(|(_, v)| v.clone()).collect()
    }

    /// `self <- tau * source + (1 - tau) * self`, variable by variable (target networks).
    pub fn blend_from(&self, source: &Params, tau: f64) -> Result<()> {
        for ((_, t), (_, s)) in self.vars.iter().zip(&source.vars) {
            t.set(&((s.as_tensor() * tau)? + (t.as_tensor() * (1.0 - tau))?)?)?;
        }
        Ok(())
    }
}
