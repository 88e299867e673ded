use super::{DenseF32, DenseI8};

/// A dense layer of either precision, as the bundle says it was exported.
///
/// One enum rather than a type parameter: a bundle chooses f32 or int8 at load time, and the
/// match costs one branch per layer against hundreds of MACs.
#[derive(Clone, Copy, Debug)]
pub enum Dense<'a, const IN: usize, const OUT: usize> {
    /// f32 weights.
    F32(DenseF32<'a, IN, OUT>),
    /// int8 weights with per-row scales.
    I8(DenseI8<'a, IN, OUT>),
}

impl<const IN: usize, const OUT: usize> Dense<'_, IN, OUT> {
    /// `y = W x + b`.
    pub fn forward(&self, x: &[f32; IN], y: &mut [f32; OUT]) {
        match self {
            Self::F32(layer) => layer.forward(x, y),
            Self::I8(layer) => layer.forward(x, y),
        }
    }

    /// `ys[n] = W xs[n] + b` for each pair of a batch, giving exactly what [`Self::forward`]
    /// gives each sample. int8 layers on the M4 share their weight loads across the batch
    /// (the planner's samples); f32 layers gain nothing from it and take one sample at a time.
    pub fn forward_batch(&self, xs: &[[f32; IN]], ys: &mut [[f32; OUT]]) {
        match self {
            Self::F32(layer) => {
                for (x, y) in xs.iter().zip(ys) {
                    layer.forward(x, y);
                }
            }
            Self::I8(layer) => layer.forward_batch(xs, ys),
        }
    }

    /// The same layer applied and returned by value, for small outputs.
    pub fn apply(&self, x: &[f32; IN]) -> [f32; OUT] {
        let mut y = [0.0; OUT];
        self.forward(x, &mut y);
        y
    }
}
