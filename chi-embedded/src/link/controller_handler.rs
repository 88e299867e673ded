//! The [`Handler`] the firmware serves: a CHI controller behind the link.

use super::MAX_VALUES;
use super::message::{ActionReply, ErrorKind, Info, Values};
use super::rx::SerialErrors;
use super::server::Handler;
use crate::budget::{Pacer, Unlimited};
use crate::controller::Controller;
use crate::dynamics::{Dynamics, Reward};
use crate::policy::AmortisedPolicy;

/// Serves a controller: checks each state's length against the compiled `S`, acts (within
/// its period when paced), and times the decision with `clock` (a free-running tick
/// counter; the firmware passes SysTick's, tests a constant).
pub struct ControllerHandler<
    'c,
    P,
    D,
    R,
    const S: usize,
    const A: usize,
    const H: usize,
    const K: usize,
> {
    controller: &'c mut Controller<P, D, R, S, A, H, K>,
    info: Info,
    clock: fn() -> u64,
    pacer: Option<(Pacer, fn() -> u64)>,
    serial_errors: Option<fn() -> SerialErrors>,
}

impl<
    'c,
    P: AmortisedPolicy<S, A>,
    D: Dynamics<S, A>,
    R: Reward<S, A>,
    const S: usize,
    const A: usize,
    const H: usize,
    const K: usize,
> ControllerHandler<'c, P, D, R, S, A, H, K>
{
    const FITS: () = assert!(
        S <= MAX_VALUES && A <= MAX_VALUES,
        "states and actions must fit a link message"
    );

    /// Serves `controller`, introducing itself with `info`.
    pub fn new(
        controller: &'c mut Controller<P, D, R, S, A, H, K>,
        info: Info,
        clock: fn() -> u64,
    ) -> Self {
        let () = Self::FITS;
        Self {
            controller,
            info,
            clock,
            pacer: None,
            serial_errors: None,
        }
    }

    /// Reports the serial line's errors from `errors` in every `Info` reply (the firmware
    /// passes its UART's counts).
    #[must_use]
    pub fn reporting(mut self, errors: fn() -> SerialErrors) -> Self {
        self.serial_errors = Some(errors);
        self
    }

    /// Every step within `pacer`'s period on `ticks` (the same counter as the handler's
    /// clock, read without the firmware's marks): planning stops with the best plan so far
    /// when another unit of work would not end in time.
    #[must_use]
    pub fn paced(mut self, pacer: Pacer, ticks: fn() -> u64) -> Self {
        self.pacer = Some((pacer, ticks));
        self
    }
}

impl<
    P: AmortisedPolicy<S, A>,
    D: Dynamics<S, A>,
    R: Reward<S, A>,
    const S: usize,
    const A: usize,
    const H: usize,
    const K: usize,
> Handler for ControllerHandler<'_, P, D, R, S, A, H, K>
{
    fn info(&self) -> Info {
        let mut info = self.info.clone();
        if let Some(errors) = self.serial_errors {
            info.serial = errors();
        }
        info
    }

    fn reset(&mut self, seed: u64) {
        self.controller.reseed(seed);
    }

    fn act(&mut self, seq: u32, state: &[f32], cap: Option<u8>) -> Result<ActionReply, ErrorKind> {
        let Ok(state) = <&[f32; S]>::try_from(state) else {
            return Err(ErrorKind::StateLength {
                expected: u8::try_from(S).unwrap_or(u8::MAX),
                got: u8::try_from(state.len()).unwrap_or(u8::MAX),
            });
        };
        let declared = self.controller.config.planner.iterations;
        if let Some(cap) = cap {
            self.controller.config.planner.iterations = declared.min(u32::from(cap));
        }
        let clock = self.clock;
        let start = clock();
        let decision = match &mut self.pacer {
            Some((pacer, ticks)) => self.controller.act(state, &mut pacer.step(*ticks)),
            None => self.controller.act(state, &mut Unlimited),
        };
        let ticks = clock().wrapping_sub(start);
        self.controller.config.planner.iterations = declared;
        let mut action = Values::new();
        for a in decision.action {
            // A <= MAX_VALUES is checked at compile time (FITS); push cannot fail.
            let _ = action.push(a);
        }
        Ok(ActionReply {
            seq,
            action,
            iterations: u8::try_from(decision.refinement.iterations).unwrap_or(u8::MAX),
            state_sanitised: decision.state_sanitised,
            ticks: u32::try_from(ticks).unwrap_or(u32::MAX),
        })
    }
}
