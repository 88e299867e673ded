//! The sizes the targets compile the decoder and controller for: the synthetic point-mass
//! bundles' (two members of width 8, policy width 8, horizon 7, 24 samples), small enough
//! that a control step costs microseconds and the fuzzer keeps its pace.

use chi_embedded::bundle::Bundle;
use chi_embedded::bundle::testing::POINT_MASS_SAMPLES;
use chi_embedded::controller::BundleController;
use chi_embedded::envs::point_mass::PointMassTask;

/// Ensemble width.
pub const HE: usize = 8;
/// Policy width.
pub const HP: usize = 8;
const K: usize = POINT_MASS_SAMPLES;

/// A bundle of these sizes.
pub type Board<'a> = Bundle<'a, 2, 2, 4, 2, HE, HP, 7, K>;
/// Its controller.
pub type BoardChi<'a> = BundleController<'a, PointMassTask, 2, 2, 4, 2, HE, HP, 7, K>;
