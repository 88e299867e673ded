//! The controller at nalgebra's fixed-size vectors (feature `nalgebra`): most Rust robotics
//! code keeps its state in `SVector`s, and a firmware built on it calls chi without copying
//! components by hand. The kernels stay on arrays; these are conversions at the edge, and
//! the action is the one [`Controller::act`] gives, bit for bit.
//!
//! ```
//! use chi_embedded::budget::Unlimited;
//! use chi_embedded::bundle::Bundle;
//! use chi_embedded::bundle::testing::{PolicyKind, point_mass_bundle};
//! use chi_embedded::controller::BundleController;
//! use chi_embedded::envs::point_mass::PointMassTask;
//! use nalgebra::Vector2;
//!
//! let bytes = point_mass_bundle::<8, 8>(PolicyKind::Confident);
//! let bundle = Bundle::<2, 2, 4, 2, 8, 8, 7, 24>::parse(bytes.as_bytes()).unwrap();
//! let mut chi: BundleController<'_, PointMassTask, 2, 2, 4, 2, 8, 8, 7, 24> =
//!     BundleController::from_bundle(&bundle, PointMassTask::default(), 7);
//! let state = Vector2::new(0.1, 0.2);
//! let action: Vector2<f32> = chi.act_vector(&state, &mut Unlimited);
//! assert!(action.iter().all(|a| a.abs() <= 1.0));
//! ```

use nalgebra::SVector;

use crate::budget::Budget;
use crate::controller::{Controller, Decision};
use crate::dynamics::{Dynamics, Reward};
use crate::policy::AmortisedPolicy;

impl<
    P: AmortisedPolicy<S, A>,
    D: Dynamics<S, A>,
    R: Reward<S, A>,
    const S: usize,
    const A: usize,
    const H: usize,
    const K: usize,
> Controller<P, D, R, S, A, H, K>
{
    /// [`Controller::act`] on an nalgebra state; the action as an nalgebra vector.
    pub fn act_vector<B: Budget>(
        &mut self,
        state: &SVector<f32, S>,
        budget: &mut B,
    ) -> SVector<f32, A> {
        self.decide_vector(state, budget).action_vector()
    }

    /// [`Controller::act`] on an nalgebra state, the whole decision.
    pub fn decide_vector<B: Budget>(
        &mut self,
        state: &SVector<f32, S>,
        budget: &mut B,
    ) -> Decision<S, A, H> {
        let state: [f32; S] = (*state).into();
        self.act(&state, budget)
    }
}

impl<const S: usize, const A: usize, const H: usize> Decision<S, A, H> {
    /// The action to execute, as an nalgebra vector.
    pub fn action_vector(&self) -> SVector<f32, A> {
        SVector::from(self.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Unlimited;
    use crate::bundle::testing::{POINT_MASS_SAMPLES, PolicyKind, point_mass_bundle};
    use crate::controller::BundleController;
    use crate::envs::point_mass::PointMassTask;

    const K: usize = POINT_MASS_SAMPLES;
    type Chi<'a> = BundleController<'a, PointMassTask, 2, 2, 4, 2, 16, 16, 7, K>;

    /// The same controller on arrays and on vectors, reseeded alike, acts alike bit for bit
    /// over a stretch of states (planning on every step: an uncertain policy).
    #[test]
    fn vectors_act_exactly_as_arrays() {
        let bytes = point_mass_bundle::<16, 16>(PolicyKind::Uncertain);
        let bundle = crate::bundle::Bundle::parse(bytes.as_bytes()).unwrap();
        let (mut on_arrays, mut on_vectors): (Chi, Chi) = (
            Chi::from_bundle(&bundle, PointMassTask::default(), 3),
            Chi::from_bundle(&bundle, PointMassTask::default(), 3),
        );
        for i in 0..10 {
            let s = [0.1 * i as f32, 0.05 * i as f32];
            let want = on_arrays.act(&s, &mut Unlimited);
            let got = on_vectors.act_vector(&SVector::from(s), &mut Unlimited);
            assert!(want.refinement.iterations > 0);
            assert_eq!(
                got.iter().map(|a| a.to_bits()).collect::<Vec<_>>(),
                want.action.map(f32::to_bits).to_vec()
            );
        }
    }
}
