//! # chi-embedded
//!
//! *Control as Hybrid Inference* (Tschantz et al.) for microcontrollers: `no_std`, no heap,
//! every size a compile-time constant, weights read in place from a flash-resident bundle.
//!
//! Each control step has two phases (paper Section 3, Algorithm 1):
//! 1. **amortised**: the SAC policy is rolled through the learned ensemble for `H` steps,
//!    giving a time-dependent diagonal Gaussian `q(a_{t:T}) = N(mu, diag sigma^2)`
//!    ([`controller::Controller::amortise`]);
//! 2. **iterative**: `I` mirror-descent updates of Eq. 4 refine that Gaussian with `K`
//!    sampled action sequences ([`planner::Planner::refine`]); the first mean action is
//!    executed. A bundle may add a value network past the horizon to each sequence's `H`
//!    rewards (the paper's Section 5 suggestion, [`value`]).
//!
//! ```
//! use chi_embedded::bundle::{testing, Bundle};
//! use chi_embedded::budget::Unlimited;
//! use chi_embedded::controller::BundleController;
//! use chi_embedded::envs::point_mass::PointMassTask;
//!
//! // A bundle normally comes from `chi export`; here a tiny synthetic one.
//! let bytes = testing::point_mass_bundle::<8, 8>(testing::PolicyKind::Uncertain);
//! const K: usize = testing::POINT_MASS_SAMPLES;
//! let bundle = Bundle::<2, 2, 4, 2, 8, 8, 7, K>::parse(bytes.as_bytes()).unwrap();
//! // The controller is built for a task type; the bundle must record that task.
//! let task: PointMassTask = bundle.task()?;
//! let mut chi = BundleController::<_, 2, 2, 4, 2, 8, 8, 7, K>::from_bundle(&bundle, task, 7);
//! let decision = chi.act(&[0.0, 0.0], &mut Unlimited);
//! assert!(decision.action.iter().all(|a| a.abs() <= 1.0));
//! # Ok::<(), chi_embedded::bundle::BundleError>(())
//! ```
//!
//! ## In your own firmware
//!
//! Without chi's link or firmware (`firmware/` serves the controller over a UART): the bundle
//! in flash, the controller built in place once, and a step every control period, paced to
//! it so that planning stops with the best plan so far when the period runs out. The board's
//! parts are the three functions at the top (a tick counter at the core clock, such as
//! SysTick's; the plant's sensors; its actuators); here they are stand-ins so that the
//! example runs on the host.
//!
//! ```
//! use chi_embedded::budget::Pacer;
//! use chi_embedded::bundle::{testing, Bundle};
//! use chi_embedded::controller::BundleController;
//! use chi_embedded::envs::point_mass::PointMassTask;
//! use chi_embedded::task::Task;
//! # use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
//! # static NOW: AtomicU64 = AtomicU64::new(0);
//! fn ticks() -> u64 { NOW.fetch_add(1_000, Relaxed) } // SysTick at 168 MHz on a board
//! fn read_state() -> [f32; 2] { [0.1, 0.2] }
//! fn apply(action: [f32; 2]) { assert!(action.iter().all(|a| a.abs() <= 1.0)) }
//!
//! // On a board the bundle is flashed with the code, 16-byte aligned:
//! //   #[repr(C, align(16))] struct Aligned<T: ?Sized>(T);
//! //   static BUNDLE: &Aligned<[u8]> = &Aligned(*include_bytes!("bundle-int8.chib"));
//! let bytes = testing::point_mass_bundle::<8, 8>(testing::PolicyKind::Uncertain);
//! const K: usize = testing::POINT_MASS_SAMPLES;
//! // Checks the CRC, the sizes against these and the task against the type; never panics.
//! let bundle = Bundle::<2, 2, 4, 2, 8, 8, 7, K>::parse(bytes.as_bytes())?;
//! let task: PointMassTask = bundle.task()?;
//! // The planner's scratch (tens of KB) is built where it stays, never copied.
//! let mut slot = core::mem::MaybeUninit::uninit();
//! let chi = BundleController::<_, 2, 2, 4, 2, 8, 8, 7, K>::from_bundle_in(
//!     &mut slot, &bundle, task, bundle.header.seed,
//! );
//! let period = (PointMassTask::CONTROL_PERIOD * 168e6) as u64; // ticks
//! let mut pacer = Pacer::new(period);
//! let mut next = ticks();
//! for _ in 0..3 { // `loop` on a board
//!     while ticks() < next {} // or sleep until a timer's interrupt
//!     next += period;
//!     let decision = chi.act(&read_state(), &mut pacer.step(ticks));
//!     apply(decision.action);
//! }
//! # Ok::<(), chi_embedded::bundle::BundleError>(())
//! ```
//!
//! Determinism: the host reference controller *is* this crate compiled for x86. Every
//! transcendental comes from `libm`, every sum runs in a fixed order and no multiply-add is
//! fused, so one bundle, seed and state sequence give the same actions bit for bit on the
//! board and on the host.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![warn(missing_docs)]

#[cfg(all(
    feature = "cortex-m4",
    not(all(target_arch = "arm", target_abi = "eabihf"))
))]
compile_error!("feature `cortex-m4` is for Cortex-M4F targets (thumbv7em-none-eabihf) only");

#[cfg(target_endian = "big")]
compile_error!("bundles are little-endian and read in place; big-endian targets are not supported");

pub mod budget;
pub mod bundle;
pub mod checksum;
#[cfg(feature = "std")]
pub mod codegen;
pub mod controller;
pub mod controller_config;
pub mod cost;
pub mod dynamics;
pub mod ensemble;
pub mod envs;
pub mod episode;
pub mod habit;
pub mod link;
pub mod nn;
pub mod normaliser;
pub mod plan;
pub mod planner;
pub mod policy;
pub mod rng;
pub mod sanitise;
pub mod task;
pub mod value;
#[cfg(feature = "nalgebra")]
pub mod vector;
