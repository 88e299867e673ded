//! Which point-mass walls stop a 7-step planner that knows the true dynamics?
//!
//! The paper does not give its wall (Appendix D.1); DESIGN.md asks for one that blocks the
//! straight line and traps a short-horizon planner, so that only CHI's policy, whose critic
//! sees past the horizon, finds the way. This sweeps the opening's centre and, for each, runs
//! chi-embedded's planner alone (a fresh uninformed plan every step, as CEM-MPC uses it) with
//! the *true* model: the best any model-based agent of this horizon could do. With training
//! noise on (as the agents explore) it also counts how many of `--trials` noisy episodes pass
//! the wall at all: a wall that no noisy episode passes is one no agent can learn about.
//!
//! ```sh
//! cargo run --release -p chi-host --example wall_sweep -- [--steps 60] [--trials 20] [--noise 0.3]
//! ```
//! Prints one CSV row per (opening centre, planner).

use chi_embedded::budget::Unlimited;
use chi_embedded::envs::point_mass::{self, Geometry, PointMassTask, TrueDynamics};
use chi_embedded::episode;
use chi_embedded::plan::Plan;
use chi_embedded::planner::{Planner, PlannerConfig};
use chi_embedded::rng::ChiRng;
use chi_host::config::{CemConfig, ChiConfig};

const H: usize = 7;
const K: usize = 500;

struct Args {
    steps: u32,
    trials: u32,
    noise: f32,
    width: f32,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        steps: 60,
        trials: 20,
        noise: 0.3,
        width: 0.1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--steps" => args.steps = value.parse().map_err(|e| bad(&e))?,
            "--trials" => args.trials = value.parse().map_err(|e| bad(&e))?,
            "--noise" => args.noise = value.parse().map_err(|e| bad(&e))?,
            "--width" => args.width = value.parse().map_err(|e| bad(&e))?,
            _ => {
                return Err(format!(
                    "unknown flag {flag} (--steps, --trials, --noise, --width)"
                ));
            }
        }
    }
    Ok(args)
}

/// One closed-loop episode of the planner alone, through the one episode loop the agents'
/// evaluation uses; `noise` is added to each executed action as in training. Returns
/// (return, passed the wall, first step at the goal).
fn episode(
    planner: &mut Planner<2, 2, H, K>,
    config: &PlannerConfig,
    geometry: Geometry,
    steps: u32,
    noise: f32,
    rng: &mut ChiRng,
) -> (f32, bool, Option<u32>) {
    let mut passed = false;
    let (mut step, mut first_success) = (0, None);
    let task = PointMassTask { geometry };
    let e = episode::run(&task, 0, steps, |s| {
        passed |= s[0] > geometry.wall_x;
        if first_success.is_none() && point_mass::distance_to_goal(s) < point_mass::GOAL_RADIUS {
            first_success = Some(step);
        }
        step += 1;
        let mut plan = Plan::<2, H>::uninformed();
        planner.refine(
            config,
            &mut TrueDynamics(geometry),
            &task,
            s,
            &mut plan,
            rng,
            &mut Unlimited,
        );
        plan.first_mean()
            .map(|a| (a + noise * rng.normal()).clamp(-1.0, 1.0))
    });
    passed |= e.final_state[0] > geometry.wall_x;
    if first_success.is_none()
        && point_mass::distance_to_goal(&e.final_state) < point_mass::GOAL_RADIUS
    {
        first_success = Some(e.steps);
    }
    (e.ret, passed, first_success)
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wall_sweep: {e}");
            std::process::exit(2);
        }
    };
    // The agents' own planners (chi_host::config): CHI's Eq. 4, CEM-MPC's elites.
    let planners = [
        ("eq4", ChiConfig::default().planner),
        ("cem", CemConfig::default().planner),
    ];
    let mut planner = Box::new(Planner::<2, 2, H, K>::new());
    println!(
        "opening_centre,planner,return_noise_free,goal_step_noise_free,noisy_passed,noisy_reached,noisy_return_mean"
    );
    for centre in (3..=18).map(|i| i as f32 * 0.05) {
        let geometry = Geometry {
            opening_centre: centre,
            opening_width: args.width,
            ..Geometry::default()
        };
        for (name, config) in &planners {
            let mut rng = ChiRng::new(7);
            let (ret, _, success) =
                episode(&mut planner, config, geometry, args.steps, 0.0, &mut rng);
            let (mut passed, mut reached, mut total) = (0, 0, 0.0);
            for trial in 0..args.trials {
                let mut rng = ChiRng::new(1000 + u64::from(trial));
                let (r, p, s) = episode(
                    &mut planner,
                    config,
                    geometry,
                    args.steps,
                    args.noise,
                    &mut rng,
                );
                passed += u32::from(p);
                reached += u32::from(s.is_some());
                total += r;
            }
            let goal = success.map_or("never".to_string(), |t| t.to_string());
            println!(
                "{centre:.2},{name},{ret:.2},{goal},{passed}/{n},{reached}/{n},{:.2}",
                total / args.trials.max(1) as f32,
                n = args.trials
            );
        }
    }
}
