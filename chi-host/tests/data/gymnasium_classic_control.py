# Reference values for chi's classic-control tasks (chi-host/tests/classic_control.rs), from
# gymnasium 1.4.0's Pendulum-v1 and CartPoleEnv and dm_control's reward tolerance:
#   python3 -m venv /tmp/refenv && /tmp/refenv/bin/pip install gymnasium==1.4.0 numpy dm_control
#   /tmp/refenv/bin/python chi-host/tests/data/gymnasium_classic_control.py > chi-host/tests/data/classic_control.csv
# Each row: task, case, step, the action chi applies (in [-1, 1]), the observation after the
# step as chi lays it out, and the reward of the step.
import math
import numpy as np
import gymnasium as gym
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
from dm_control.utils import rewards

def row(task, case, step, action, obs, reward):
    print(",".join([task, str(case), str(step), "%.9g" % action] + ["%.9g" % v for v in obs] + ["%.9g" % reward]))

print("task,case,step,action,obs...,reward")

# Pendulum-v1: from set states, a fixed torque sequence; chi's action is torque / 2.
env = gym.make("Pendulum-v1").unwrapped
env.reset(seed=0)
starts = [(math.pi, 0.0), (0.3, -0.5), (-2.5, 0.9), (0.0, 7.5)]
for case, (th, thdot) in enumerate(starts):
    env.state = np.array([th, thdot])
    obs0 = env._get_obs()
    row("pendulum", case, 0, 0.0, obs0, 0.0)
    for t in range(1, 31):
        a = math.sin(0.37 * t + case)
        obs, reward, *_ = env.step(np.array([2.0 * a]))
        row("pendulum", case, t, a, obs, reward)

# Cart-pole: gymnasium's Euler equations with a force of 10 a N (force_mag = |10 a|, the
# discrete action giving its sign), two Euler steps a decision; reward of dm_control's
# cartpole swingup (smooth) on the state reached.
def swingup_reward(x, cos, th_dot, a):
    upright = (cos + 1) / 2
    centered = (1 + rewards.tolerance(x, margin=2)) / 2
    small_control = (4 + rewards.tolerance(a, margin=1, value_at_margin=0, sigmoid="quadratic")) / 5
    small_velocity = (1 + rewards.tolerance(th_dot, margin=5)) / 2
    return upright * small_control * small_velocity * centered

env = CartPoleEnv()
env.reset(seed=0)
starts = [(0.0, 0.0, math.pi, 0.0), (0.1, -0.2, math.pi - 0.05, 0.3), (-0.5, 0.4, 0.2, -1.0)]
for case, (x, x_dot, th, th_dot) in enumerate(starts):
    env.state = np.array([x, x_dot, th, th_dot])
    obs = [x, math.cos(th), math.sin(th), x_dot, th_dot]
    row("cartpole-swingup", case, 0, 0.0, obs, 0.0)
    for t in range(1, 21):
        a = 0.9 * math.sin(0.5 * t + 2 * case)
        env.force_mag = abs(10.0 * a)
        for _ in range(2):
            env.steps_beyond_terminated = None
            env.step(1 if a > 0 else 0)
        x, x_dot, th, th_dot = env.state
        obs = [x, math.cos(th), math.sin(th), x_dot, th_dot]
        row("cartpole-swingup", case, t, a, obs, swingup_reward(x, math.cos(th), th_dot, a))
