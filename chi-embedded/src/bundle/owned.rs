//! The writer's side of the format (feature `std`): owned weights, encoding to bytes, and
//! the way back from a decoded bundle. Kept next to the reader so the two cannot drift; the
//! round-trip tests pin them together.

use core::fmt;

use super::frame::{self, CRC32, MAGIC, PREFIX_LEN, VERSION};
use super::header::{Header, Precision};
use super::{Bundle, layout};
use crate::nn::{Dense, quantise_rows, smlad_order};

/// Bytes stored in `u32` words, so they start 4-byte aligned as in-place decoding needs.
#[derive(Clone, PartialEq, Eq)]
pub struct AlignedBytes {
    words: Vec<u32>,
    len: usize,
}

impl AlignedBytes {
    /// Copies `bytes` into aligned storage (e.g. a file just read).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut words = vec![0u32; bytes.len().div_ceil(4)];
        let view: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        for (d, s) in view.iter_mut().zip(bytes) {
            *d = *s;
        }
        Self {
            words,
            len: bytes.len(),
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice::<u32, u8>(&self.words)
            .get(..self.len)
            .unwrap_or_default()
    }

    /// Mutable bytes (tests corrupt bundles through this).
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::cast_slice_mut::<u32, u8>(&mut self.words)
            .get_mut(..self.len)
            .unwrap_or_default()
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for AlignedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AlignedBytes({} bytes)", self.len)
    }
}

/// Weights of one layer, row-major `[rows][cols]`.
#[derive(Clone, Debug, PartialEq)]
pub enum OwnedWeights {
    /// f32 weights.
    F32(Vec<f32>),
    /// int8 weights with one scale per row.
    I8 {
        /// Quantised weights.
        q: Vec<i8>,
        /// Row scales.
        scale: Vec<f32>,
    },
}

/// One dense layer, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedLayer {
    /// Outputs.
    pub rows: usize,
    /// Inputs.
    pub cols: usize,
    /// Weights.
    pub weights: OwnedWeights,
    /// Bias, one per row.
    pub bias: Vec<f32>,
}

impl OwnedLayer {
    /// An f32 layer.
    pub fn f32(rows: usize, cols: usize, weights: Vec<f32>, bias: Vec<f32>) -> Self {
        Self {
            rows,
            cols,
            weights: OwnedWeights::F32(weights),
            bias,
        }
    }

    /// The layer with zero-weight inputs appended up to `cols` (an f32 layer; int8 and
    /// wider layers stay as they are).
    pub fn with_cols(self, cols: usize) -> Self {
        match self.weights {
            OwnedWeights::F32(w) if cols > self.cols => {
                let old = self.cols.max(1);
                let weights = w
                    .chunks(old)
                    .flat_map(|row| {
                        row.iter()
                            .copied()
                            .chain(core::iter::repeat_n(0.0, cols - old))
                    })
                    .collect();
                Self {
                    cols,
                    weights: OwnedWeights::F32(weights),
                    ..self
                }
            }
            weights => Self { weights, ..self },
        }
    }

    /// The int8 version of an f32 layer (symmetric, one scale per row); int8 stays as is.
    pub fn quantised(&self) -> Self {
        match &self.weights {
            OwnedWeights::F32(w) => {
                let (q, scale) = quantise_rows(w, self.cols);
                Self {
                    weights: OwnedWeights::I8 { q, scale },
                    ..self.clone()
                }
            }
            OwnedWeights::I8 { .. } => self.clone(),
        }
    }

    /// The weights as f32 (int8 dequantised): what the layer multiplies by.
    pub fn dequantised(&self) -> Vec<f32> {
        match &self.weights {
            OwnedWeights::F32(w) => w.clone(),
            OwnedWeights::I8 { q, scale } => q
                .chunks(self.cols.max(1))
                .zip(scale)
                .flat_map(|(row, s)| row.iter().map(move |q| f32::from(*q) * s))
                .collect(),
        }
    }

    fn precision(&self) -> Precision {
        match self.weights {
            OwnedWeights::F32(_) => Precision::F32,
            OwnedWeights::I8 { .. } => Precision::I8,
        }
    }

    fn from_dense<const IN: usize, const OUT: usize>(layer: &Dense<'_, IN, OUT>) -> Self {
        match layer {
            Dense::F32(l) => Self::f32(OUT, IN, l.weights.as_flattened().to_vec(), l.bias.to_vec()),
            Dense::I8(l) => Self {
                rows: OUT,
                cols: IN,
                weights: OwnedWeights::I8 {
                    q: l.weights
                        .iter()
                        .flat_map(|row| {
                            let mut row = row.to_vec();
                            smlad_order(&mut row);
                            row
                        })
                        .collect(),
                    scale: l.scale.to_vec(),
                },
                bias: l.bias.to_vec(),
            },
        }
    }
}

/// An ensemble member's five layers: three hidden, mean head, log-variance head.
pub type OwnedMember = [OwnedLayer; 5];
/// The policy's four layers: two hidden, mean head, log-std head.
pub type OwnedPolicy = [OwnedLayer; 4];
/// The value network's three layers: two hidden, value head.
pub type OwnedValue = [OwnedLayer; 3];

/// Everything a bundle holds, owned: what the exporter fills in.
#[derive(Clone, Debug, PartialEq)]
pub struct BundleSpec {
    /// Header.
    pub header: Header,
    /// Ensemble input mean, `IN` ([`super::ensemble_input`]; see
    /// [`Self::with_padded_ensemble_input`]).
    pub ensemble_input_mean: Vec<f32>,
    /// Ensemble input reciprocal std, `IN`.
    pub ensemble_input_inv_std: Vec<f32>,
    /// Mean of the state change, `S`.
    pub ensemble_output_mean: Vec<f32>,
    /// Std of the state change, `S`.
    pub ensemble_output_std: Vec<f32>,
    /// `E` members.
    pub members: Vec<OwnedMember>,
    /// Policy input mean, `S`.
    pub policy_input_mean: Vec<f32>,
    /// Policy input reciprocal std, `S`.
    pub policy_input_inv_std: Vec<f32>,
    /// Policy layers.
    pub policy: OwnedPolicy,
    /// Value-network layers, present exactly when the header has a terminal-value weight.
    pub value: Option<OwnedValue>,
}

/// Why a spec could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write bundle: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

fn put_f32s(out: &mut Vec<u8>, values: &[f32]) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

impl BundleSpec {
    /// The spec with the ensemble's input padded to [`super::ensemble_input`]: mean 0 and
    /// reciprocal std 1 for the padding (the zeros the board feeds it normalise to zero)
    /// and zero-weight columns in every member's first layer. What a trainer's ensemble
    /// of `S + A` inputs exports; a spec already padded stays as it is.
    pub fn with_padded_ensemble_input(mut self) -> Self {
        let d = &self.header.dims;
        let input = super::ensemble_input(d.state as usize, d.action as usize);
        for (v, fill) in [
            (&mut self.ensemble_input_mean, 0.0),
            (&mut self.ensemble_input_inv_std, 1.0),
        ] {
            if v.len() < input {
                v.resize(input, fill);
            }
        }
        for member in &mut self.members {
            let [first, ..] = member;
            *first = first.clone().with_cols(input);
        }
        self
    }

    /// The same spec with every layer quantised to int8.
    pub fn quantised(&self) -> Self {
        let mut spec = self.clone();
        spec.header.precision = Precision::I8;
        spec.members
            .iter_mut()
            .flatten()
            .chain(spec.policy.iter_mut())
            .chain(spec.value.iter_mut().flatten())
            .for_each(|l| *l = l.quantised());
        spec
    }

    /// Checks every shape against the header and every layer against its precision.
    fn check(&self) -> Result<(), EncodeError> {
        let d = &self.header.dims;
        let (s, a, he, hp) = (
            d.state as usize,
            d.action as usize,
            d.ensemble_hidden as usize,
            d.policy_hidden as usize,
        );
        let input = super::ensemble_input(s, a);
        let err = |m: String| Err(EncodeError(m));
        let vectors = [
            ("ensemble input mean", &self.ensemble_input_mean, input),
            ("ensemble input 1/std", &self.ensemble_input_inv_std, input),
            ("ensemble output mean", &self.ensemble_output_mean, s),
            ("ensemble output std", &self.ensemble_output_std, s),
            ("policy input mean", &self.policy_input_mean, s),
            ("policy input 1/std", &self.policy_input_inv_std, s),
        ];
        for (name, v, n) in vectors {
            if v.len() != n {
                return err(format!("{name} has {} values, dims need {n}", v.len()));
            }
        }
        if self.members.len() != d.members as usize {
            return err(format!(
                "{} members, dims say {}",
                self.members.len(),
                d.members
            ));
        }
        if self.value.is_some() != self.header.terminal_value.is_some() {
            return err(format!(
                "value network {}, header terminal value {:?}",
                if self.value.is_some() {
                    "present"
                } else {
                    "absent"
                },
                self.header.terminal_value
            ));
        }
        let member_shapes = [(he, input), (he, he), (he, he), (s, he), (s, he)];
        let policy_shapes = [(hp, s), (hp, hp), (a, hp), (a, hp)];
        let value_shapes = [(hp, s), (hp, hp), (1, hp)];
        let layers = self
            .members
            .iter()
            .enumerate()
            .flat_map(|(e, m)| {
                m.iter()
                    .zip(member_shapes)
                    .enumerate()
                    .map(move |(i, l)| (format!("member {e} layer {i}"), l))
            })
            .chain(
                self.policy
                    .iter()
                    .zip(policy_shapes)
                    .enumerate()
                    .map(|(i, l)| (format!("policy layer {i}"), l)),
            )
            .chain(
                self.value
                    .iter()
                    .flatten()
                    .zip(value_shapes)
                    .enumerate()
                    .map(|(i, l)| (format!("value layer {i}"), l)),
            );
        for (name, (layer, (rows, cols))) in layers {
            let n = match &layer.weights {
                OwnedWeights::F32(w) => w.len(),
                OwnedWeights::I8 { q, scale } if scale.len() == rows => q.len(),
                OwnedWeights::I8 { scale, .. } => {
                    return err(format!(
                        "{name} has {} row scales, needs {rows}",
                        scale.len()
                    ));
                }
            };
            if (layer.rows, layer.cols) != (rows, cols)
                || n != rows * cols
                || layer.bias.len() != rows
            {
                return err(format!(
                    "{name} is {}x{} with {n} weights and {} biases, dims need {rows}x{cols}",
                    layer.rows,
                    layer.cols,
                    layer.bias.len()
                ));
            }
            if layer.precision() != self.header.precision {
                return err(format!(
                    "{name} is {:?} but the header says {:?}",
                    layer.precision(),
                    self.header.precision
                ));
            }
        }
        Ok(())
    }

    fn put_layer(out: &mut Vec<u8>, layer: &OwnedLayer) {
        match &layer.weights {
            OwnedWeights::F32(w) => put_f32s(out, w),
            OwnedWeights::I8 { q, scale } => {
                for row in q.chunks(layer.cols.max(1)) {
                    let mut row = row.to_vec();
                    smlad_order(&mut row);
                    out.extend(row.iter().map(|v| v.to_le_bytes()[0]));
                }
                out.resize(out.len().next_multiple_of(4), 0);
                put_f32s(out, scale);
            }
        }
        put_f32s(out, &layer.bias);
    }

    /// Writes the bundle: prefix, postcard header, padding, payload, CRC.
    pub fn encode(&self) -> Result<AlignedBytes, EncodeError> {
        self.check()?;
        let header = postcard::to_slice(&self.header, &mut [0u8; 512])
            .map_err(|e| EncodeError(format!("header: {e}")))?
            .to_vec();
        let mut payload = Vec::new();
        put_f32s(&mut payload, &self.ensemble_input_mean);
        put_f32s(&mut payload, &self.ensemble_input_inv_std);
        put_f32s(&mut payload, &self.ensemble_output_mean);
        put_f32s(&mut payload, &self.ensemble_output_std);
        for layer in self.members.iter().flatten() {
            Self::put_layer(&mut payload, layer);
        }
        put_f32s(&mut payload, &self.policy_input_mean);
        put_f32s(&mut payload, &self.policy_input_inv_std);
        for layer in self.policy.iter().chain(self.value.iter().flatten()) {
            Self::put_layer(&mut payload, layer);
        }
        let expected = layout::payload_len(
            &self.header.dims,
            self.header.precision,
            self.header.terminal_value.is_some(),
        );
        if expected != Some(payload.len()) {
            return Err(EncodeError(format!(
                "payload is {} bytes, layout says {expected:?}",
                payload.len()
            )));
        }
        let too_big = |what| EncodeError(format!("{what} exceeds 4 GiB"));
        let mut out = Vec::with_capacity(PREFIX_LEN + header.len() + payload.len() + 32);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(
            &u32::try_from(header.len())
                .map_err(|_| too_big("header"))?
                .to_le_bytes(),
        );
        out.extend_from_slice(
            &u32::try_from(payload.len())
                .map_err(|_| too_big("payload"))?
                .to_le_bytes(),
        );
        out.extend_from_slice(&header);
        let start = frame::payload_offset(header.len()).ok_or_else(|| too_big("bundle"))?;
        out.resize(start, 0);
        out.extend_from_slice(&payload);
        let crc = CRC32.checksum(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(AlignedBytes::from_bytes(&out))
    }
}

impl<
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> Bundle<'_, S, A, IN, E, HE, HP, H, K>
{
    /// Copies the decoded bundle back into an owned spec (the inverse of
    /// [`BundleSpec::encode`] followed by [`Bundle::parse`]).
    pub fn to_spec(&self) -> BundleSpec {
        let e = &self.ensemble;
        let p = &self.policy;
        BundleSpec {
            header: self.header,
            ensemble_input_mean: e.input.mean.to_vec(),
            ensemble_input_inv_std: e.input.inv_std.to_vec(),
            ensemble_output_mean: e.output.mean.to_vec(),
            ensemble_output_std: e.output.std.to_vec(),
            members: e
                .members
                .iter()
                .map(|m| {
                    [
                        OwnedLayer::from_dense(&m.hidden.0),
                        OwnedLayer::from_dense(&m.hidden.1),
                        OwnedLayer::from_dense(&m.hidden.2),
                        OwnedLayer::from_dense(&m.mean),
                        OwnedLayer::from_dense(&m.log_var),
                    ]
                })
                .collect(),
            policy_input_mean: p.input.mean.to_vec(),
            policy_input_inv_std: p.input.inv_std.to_vec(),
            policy: [
                OwnedLayer::from_dense(&p.hidden.0),
                OwnedLayer::from_dense(&p.hidden.1),
                OwnedLayer::from_dense(&p.mean),
                OwnedLayer::from_dense(&p.log_std),
            ],
            value: self.value.as_ref().map(|v| {
                [
                    OwnedLayer::from_dense(&v.hidden.0),
                    OwnedLayer::from_dense(&v.hidden.1),
                    OwnedLayer::from_dense(&v.head),
                ]
            }),
        }
    }
}
