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

    /// The same layer applied and returned by value, for small outputs.
    pub fn apply(&self, x: &[f32; IN]) -> [f32; OUT] {
        let mut y = [0.0; OUT];
        self.forward(x, &mut y);
        y
    }
}
