//! Reads tensors off the payload in place, validating each once at load.

use bytemuck::Pod;

use super::error::{BundleError, Item, Location, Network, Problem};
use super::header::Precision;
use crate::nn::{Dense, DenseF32, DenseI8};

pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
    precision: Precision,
    network: Network,
    member: u16,
}

fn check_finite(values: &[f32], at: Location) -> Result<(), BundleError> {
    match values.iter().all(|v| v.is_finite()) {
        true => Ok(()),
        false => Err(BundleError::Tensor {
            at,
            problem: Problem::NonFinite,
        }),
    }
}

fn check_positive(values: &[f32], at: Location) -> Result<(), BundleError> {
    check_finite(values, at)?;
    match values.iter().all(|v| *v > 0.0) {
        true => Ok(()),
        false => Err(BundleError::Tensor {
            at,
            problem: Problem::NotPositive,
        }),
    }
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(payload: &'a [u8], precision: Precision) -> Self {
        Self {
            rest: payload,
            precision,
            network: Network::Ensemble,
            member: 0,
        }
    }

    pub(crate) fn at(&mut self, network: Network, member: u16) {
        self.network = network;
        self.member = member;
    }

    fn location(&self, item: Item) -> Location {
        Location {
            network: self.network,
            member: self.member,
            item,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        let short = BundleError::PayloadLength {
            expected: n,
            found: self.rest.len(),
        };
        let (head, tail) = self.rest.split_at_checked(n).ok_or(short)?;
        self.rest = tail;
        Ok(head)
    }

    /// A `T` borrowed in place; alignment is guaranteed by the frame (bundle 4-aligned,
    /// payload 16-aligned, every tensor a multiple of 4 bytes), and checked again here.
    fn borrow<T: Pod>(&mut self) -> Result<&'a T, BundleError> {
        let bytes = self.take(core::mem::size_of::<T>())?;
        bytemuck::try_from_bytes(bytes).map_err(|_| BundleError::Misaligned)
    }

    pub(crate) fn finite<const N: usize>(
        &mut self,
        item: Item,
    ) -> Result<&'a [f32; N], BundleError> {
        let v: &[f32; N] = self.borrow()?;
        check_finite(v, self.location(item))?;
        Ok(v)
    }

    pub(crate) fn positive<const N: usize>(
        &mut self,
        item: Item,
    ) -> Result<&'a [f32; N], BundleError> {
        let v: &[f32; N] = self.borrow()?;
        check_positive(v, self.location(item))?;
        Ok(v)
    }

    /// Layer `index` of the current network, in the bundle's precision.
    pub(crate) fn dense<const IN: usize, const OUT: usize>(
        &mut self,
        index: u8,
    ) -> Result<Dense<'a, IN, OUT>, BundleError> {
        match self.precision {
            Precision::F32 => {
                let weights: &[[f32; IN]; OUT] = self.borrow()?;
                check_finite(weights.as_flattened(), self.location(Item::Weights(index)))?;
                let bias = self.finite::<OUT>(Item::Bias(index))?;
                Ok(Dense::F32(DenseF32 { weights, bias }))
            }
            Precision::I8 => {
                let weights: &[[i8; IN]; OUT] = self.borrow()?;
                let pad = (IN * OUT).next_multiple_of(4) - IN * OUT;
                if self.take(pad)?.iter().any(|b| *b != 0) {
                    let at = self.location(Item::Padding(index));
                    return Err(BundleError::Tensor {
                        at,
                        problem: Problem::NonZero,
                    });
                }
                let scale = self.positive::<OUT>(Item::Scale(index))?;
                let bias = self.finite::<OUT>(Item::Bias(index))?;
                Ok(Dense::I8(DenseI8 {
                    weights,
                    scale,
                    bias,
                }))
            }
        }
    }
}
