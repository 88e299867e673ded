//! Dense layers whose weights are borrowed in place from a bundle's bytes (flash on the
//! board): nothing is copied into RAM. Two precisions: f32, and int8 with one symmetric scale
//! per output row, an f32 bias and i32 accumulation.

mod activation;
mod dense;
mod dense_f32;
mod dense_i8;
#[cfg(feature = "cortex-m4")]
mod m4;
mod trunk;

pub use activation::Activation;
pub use dense::Dense;
pub use dense_f32::DenseF32;
#[cfg(any(test, feature = "std"))]
pub use dense_i8::quantise_rows;
pub use dense_i8::{DenseI8, QuantisedInput, smlad_order};
pub use trunk::hidden_two;
