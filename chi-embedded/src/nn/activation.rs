use serde::{Deserialize, Serialize};

/// The hidden-layer non-linearity of a network, chosen by the trainer and carried in the
/// bundle header so the board evaluates exactly what was trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Activation {
    /// max(0, x): SAC's usual choice, and the cheapest on the board.
    Relu,
    /// x * sigmoid(x) (swish): PETS-style ensembles.
    Silu,
    /// tanh(x).
    Tanh,
}

impl Activation {
    /// Applies the non-linearity in place, through `libm` so every target agrees bit for bit.
    pub fn apply(self, xs: &mut [f32]) {
        match self {
            Self::Relu => xs
                .iter_mut()
                .for_each(|x| *x = if *x > 0.0 { *x } else { 0.0 }),
            Self::Silu => xs.iter_mut().for_each(|x| *x /= 1.0 + libm::expf(-*x)),
            Self::Tanh => xs.iter_mut().for_each(|x| *x = libm::tanhf(*x)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_match_their_definitions() {
        let xs = [-3.0f32, -0.5, 0.0, 0.25, 4.0];
        for act in [Activation::Relu, Activation::Silu, Activation::Tanh] {
            let mut ys = xs;
            act.apply(&mut ys);
            for (x, y) in xs.iter().zip(ys) {
                let x = f64::from(*x);
                let want = match act {
                    Activation::Relu => x.max(0.0),
                    Activation::Silu => x / (1.0 + (-x).exp()),
                    Activation::Tanh => x.tanh(),
                };
                assert!(
                    (f64::from(y) - want).abs() < 1e-6,
                    "{act:?}({x}) = {y}, want {want}"
                );
            }
        }
    }

    #[test]
    fn relu_maps_nan_to_zero() {
        // NaN > 0 is false: a NaN that reached a hidden layer stops there.
        let mut xs = [f32::NAN];
        Activation::Relu.apply(&mut xs);
        assert_eq!(xs[0], 0.0);
    }
}
