//! The task the image is built for: the point mass, or Half-Cheetah with feature `cheetah`.
//! Everything else in the firmware is written once over the sizes and reward re-exported
//! here (chi_embedded's reference configurations).

#[cfg(feature = "cheetah")]
pub use chi_embedded::reference::half_cheetah::*;
#[cfg(not(feature = "cheetah"))]
pub use chi_embedded::reference::point_mass::*;

/// States for the bench to act in, and what moves them on.
///
/// The point mass is simulated here, from its start, as the self-test does. Half-Cheetah's
/// physics is MuJoCo's, on the host, so the bench feeds the controller a fixed smooth
/// trajectory instead: a control step's cost does not depend on the state's values (the
/// early exit aside, which an untrained or uncertain policy does not take).
#[cfg(feature = "bench")]
pub struct BenchStates {
    #[cfg(not(feature = "cheetah"))]
    env: chi_embedded::envs::point_mass::PointMass,
    state: [f32; S],
    #[cfg(feature = "cheetah")]
    t: f32,
}

#[cfg(feature = "bench")]
impl BenchStates {
    /// The first state, or `None` if the bundle is for another task.
    pub fn new(bundle: &Bundle<'_>) -> Option<Self> {
        #[cfg(not(feature = "cheetah"))]
        {
            let chi_embedded::bundle::Task::PointMass(geometry) = bundle.header.task else {
                return None;
            };
            let mut env = chi_embedded::envs::point_mass::PointMass::new(geometry);
            let state = env.reset();
            Some(Self { env, state })
        }
        #[cfg(feature = "cheetah")]
        {
            if bundle.header.task != chi_embedded::bundle::Task::HalfCheetah {
                return None;
            }
            Some(Self {
                state: [0.0; S],
                t: 0.0,
            })
        }
    }

    /// The current state.
    pub fn state(&self) -> [f32; S] {
        self.state
    }

    /// Moves on after `action`.
    pub fn step(&mut self, action: &[f32; A]) {
        #[cfg(not(feature = "cheetah"))]
        {
            self.state = self.env.step(action).state;
        }
        #[cfg(feature = "cheetah")]
        {
            let _ = action;
            self.t += 0.2;
            for (i, s) in self.state.iter_mut().enumerate() {
                *s = 0.5 * libm::sinf(self.t + i as f32);
            }
        }
    }
}
