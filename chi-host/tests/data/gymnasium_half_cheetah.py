# The reference values of chi-host/src/envs/half_cheetah.rs tests, from gymnasium 1.4.0 and
# MuJoCo 3.17.0 (Python):
#   python3 -m venv /tmp/gymenv && /tmp/gymenv/bin/pip install mujoco==3.17.0 gymnasium==1.4.0 imageio packaging
#   /tmp/gymenv/bin/python chi-host/tests/data/gymnasium_half_cheetah.py
import gymnasium as gym, numpy as np, math
env = gym.make('HalfCheetah-v5', reset_noise_scale=0.0)
obs,_ = env.reset(seed=0)
print("dt", env.unwrapped.dt, "frame_skip", env.unwrapped.frame_skip)
print("obs0", list(obs))
r = 0.0
for _ in range(4):
    obs, rew, term, trunc, info = env.step(np.zeros(6))
    r += rew
print("zero_reward %.17g" % r)
print("zero_obs", ", ".join("%.17g" % v for v in obs))
obs,_ = env.reset(seed=0)
rs = []
for t in range(5):
    a = np.array([math.sin(0.7*t + j) for j in range(6)])
    rr = 0.0
    for _ in range(4):
        obs, rew, *_ = env.step(a)
        rr += rew
    rs.append(rr)
print("seq_rewards", ", ".join("%.17g" % v for v in rs))
print("seq_obs", ", ".join("%.17g" % v for v in obs))
