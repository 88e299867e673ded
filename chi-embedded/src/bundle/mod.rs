//! The weight bundle: one file that carries a trained policy and ensemble to the board.
//!
//! A bundle is a fixed 16-byte prefix, a versioned postcard [`Header`] (sizes,
//! hyper-parameters, task), a 16-aligned payload of f32 or int8 tensors read *in place*
//! (flash on the board: nothing is copied), and a CRC-32 ([`frame`]). The payload order is
//! derived from the header ([`layout`]). Decoding checks everything once, at load, and
//! returns a typed [`BundleError`]; a bundle built for other sizes is refused with the size
//! that differs. After that, evaluation cannot fail.

mod cursor;
pub mod error;
pub mod frame;
pub mod header;
pub mod layout;
#[cfg(any(test, feature = "std"))]
pub mod owned;
#[cfg(any(test, feature = "std"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use error::{BundleError, Dim, Item, Location, Network, Problem};

/// The ensemble's input width `IN` for `state` and `action` sizes: `S + A`, padded with
/// zero inputs to a multiple of 8 from 8 up. The M4's int8 kernels take rows of whole
/// 8-byte blocks, 4-aligned; without the padding Half-Cheetah's 17 + 6 = 23 inputs sent
/// every member's first layer to the portable kernel, a fifth of a board step. Below 8
/// the layer is small and padding would double it.
/// Sizes past `usize` (only a corrupt header's) give `usize::MAX`, which no check accepts.
pub const fn ensemble_input(state: usize, action: usize) -> usize {
    match checked_ensemble_input(state, action) {
        Some(n) => n,
        None => usize::MAX,
    }
}

/// [`ensemble_input`], `None` where it overflows.
pub const fn checked_ensemble_input(state: usize, action: usize) -> Option<usize> {
    match state.checked_add(action) {
        Some(n) if n < 8 => Some(n),
        Some(n) => n.checked_next_multiple_of(8),
        None => None,
    }
}
pub use header::{Dims, Header, Precision};

use cursor::Cursor;

use crate::ensemble::{Ensemble, Member};
use crate::normaliser::{InputNormaliser, OutputScaling};
use crate::policy::Policy;
use crate::task::Task;
use crate::value::Value;

/// A decoded bundle: header and the networks, borrowing the bundle's bytes.
///
/// The const parameters are the compiled sizes: `S` state, `A` action, `IN` =
/// [`ensemble_input`]`(S, A)`
/// ensemble input, `E` members, `HE` ensemble width, `HP` policy width, `H` horizon, `K`
/// planner samples.
#[derive(Clone, Debug)]
pub struct Bundle<
    'a,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> {
    /// Sizes, hyper-parameters and task.
    pub header: Header,
    /// The dynamics ensemble.
    pub ensemble: Ensemble<'a, S, A, IN, E, HE>,
    /// The policy.
    pub policy: Policy<'a, S, A, HP>,
    /// The value past the horizon, if the header has a weight for one.
    pub value: Option<Value<'a, S, HP>>,
}

/// Decodes and validates the header without knowing the compiled sizes: for tools that
/// report what a bundle holds before choosing how to run it.
pub fn inspect(bytes: &[u8]) -> Result<Header, BundleError> {
    let frame = frame::split(bytes)?;
    let (header, rest) =
        postcard::take_from_bytes::<Header>(frame.header).map_err(|_| BundleError::Header)?;
    if !rest.is_empty() {
        return Err(BundleError::Header);
    }
    header.validate()?;
    let expected = layout::payload_len(
        &header.dims,
        header.precision,
        header.terminal_value.is_some(),
    )
    .unwrap_or(usize::MAX);
    if frame.payload.len() != expected {
        return Err(BundleError::PayloadLength {
            expected,
            found: frame.payload.len(),
        });
    }
    Ok(header)
}

impl<
    'a,
    const S: usize,
    const A: usize,
    const IN: usize,
    const E: usize,
    const HE: usize,
    const HP: usize,
    const H: usize,
    const K: usize,
> Bundle<'a, S, A, IN, E, HE, HP, H, K>
{
    const SIZES_VALID: () = assert!(
        S > 0 && A > 0 && IN == ensemble_input(S, A) && E > 0 && HE > 0 && HP > 0 && H > 0 && K > 0,
        "sizes must be positive and IN must be ensemble_input(S, A)"
    );

    /// Decodes `bytes` (4-byte aligned) into networks that borrow them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BundleError> {
        let () = Self::SIZES_VALID;
        let header = inspect(bytes)?;
        header.dims.check([S, A, E, HE, HP, H, K])?;
        let frame = frame::split(bytes)?;
        let mut cur = Cursor::new(frame.payload, header.precision);

        let input = InputNormaliser {
            mean: cur.finite(Item::InputMean)?,
            inv_std: cur.positive(Item::InputInvStd)?,
        };
        let output = OutputScaling {
            mean: cur.finite(Item::OutputMean)?,
            std: cur.positive(Item::OutputStd)?,
        };
        let mut members = heapless::Vec::new();
        for e in 0..E {
            cur.at(Network::Ensemble, u16::try_from(e).unwrap_or(u16::MAX));
            let member = Member {
                hidden: (cur.dense(0)?, cur.dense(1)?, cur.dense(2)?),
                mean: cur.dense(3)?,
                log_var: cur.dense(4)?,
            };
            if members.push(member).is_err() {
                break;
            }
        }
        let ensemble = Ensemble {
            members,
            input,
            output,
            activation: header.ensemble_activation,
            log_var_bounds: header.log_var_bounds,
        };

        cur.at(Network::Policy, 0);
        let policy = Policy {
            input: InputNormaliser {
                mean: cur.finite(Item::InputMean)?,
                inv_std: cur.positive(Item::InputInvStd)?,
            },
            hidden: (cur.dense(0)?, cur.dense(1)?),
            mean: cur.dense(2)?,
            log_std: cur.dense(3)?,
            activation: header.policy_activation,
            log_std_bounds: header.log_std_bounds,
        };
        let value = match header.terminal_value {
            Some(weight) => {
                cur.at(Network::Value, 0);
                Some(Value {
                    input: policy.input,
                    hidden: (cur.dense(0)?, cur.dense(1)?),
                    head: cur.dense(2)?,
                    activation: header.policy_activation,
                    weight,
                })
            }
            None => None,
        };
        if cur.remaining() != 0 {
            return Err(BundleError::PayloadLength {
                expected: frame.payload.len() - cur.remaining(),
                found: frame.payload.len(),
            });
        }
        Ok(Self {
            header,
            ensemble,
            policy,
            value,
        })
    }

    /// The task the bundle was trained on, as the task type `T` the controller is built for;
    /// refused if the bundle names another task, another version of it, or parameters `T`
    /// does not accept.
    pub fn task<T: Task<S, A>>(&self) -> Result<T, BundleError> {
        T::from_record(&self.header.task).map_err(BundleError::Task)
    }
}
