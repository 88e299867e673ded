//! MuJoCo Half-Cheetah as the paper runs it (Appendix D.2); the physics is MuJoCo's, on the
//! host ([`crate::envs::half_cheetah`]).

use anyhow::Result;
use chi_embedded::envs::half_cheetah::HalfCheetahTask;
use chi_embedded::planner::Weighting;

use crate::config::{BoardPlanner, Preset, TrainConfig};
use crate::envs::half_cheetah::{ACT, HalfCheetah as Env, OBS};
use crate::world::World;

/// Half-Cheetah.
pub struct HalfCheetah;

impl World<OBS, ACT> for HalfCheetah {
    type Task = HalfCheetahTask;
    type Env = Env;

    /// The paper's networks and `K`, `H`; 100 agent steps an episode. Returns here are in
    /// units of 4 x velocity per step (tens over a horizon), so the Eq. 4 temperature is
    /// scaled up from the point mass's.
    ///
    /// Each planner sample rolls through one ensemble member (PETS' TS1 propagation), for
    /// CHI and CEM-MPC alike: at 5 x (3 x 350) running every sample through every member
    /// cost ~75 s an episode on one core (a 100-episode run ~2 h), one member per sample
    /// ~15-35 s, and it is what the board runs. The paper does not say which it used.
    ///
    /// The board preset: ensemble 3 x (3 x 64), actor 2 x 64, and 128 samples of one Eq. 4
    /// iteration on the board, about 22 M instructions within the 0.2 s period (33.6 M at
    /// 168 MHz).
    fn preset(preset: Preset) -> TrainConfig {
        let mut c = TrainConfig::paper(100).one_member_a_sample();
        c.episodes = 100;
        c.chi.planner.weighting = Weighting::Eq4 { temperature: 1.0 };
        c.board = BoardPlanner {
            samples: 128,
            iterations: 1,
            one_per_sample: true,
        };
        match preset {
            Preset::Paper => c,
            Preset::Board => c.with_board_networks(3, 64, 64),
        }
    }

    fn env(_task: &HalfCheetahTask, _config: &TrainConfig) -> Result<Env> {
        Env::open()
    }
}
