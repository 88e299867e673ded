# Fixtures of chi-host/src/envs/mujoco's tasks, from gymnasium 1.4.0's v5 environments on
# MuJoCo 3.17.0 (Python): for each task, a start state (the model's rest state plus a fixed
# offset), then a fixed action sequence, every step's observation, reward, reward terms and
# termination, until the episode ends or the sequence does.
#   python3 -m venv /tmp/gymenv && /tmp/gymenv/bin/pip install mujoco==3.17.0 gymnasium==1.4.0
#   /tmp/gymenv/bin/python chi-host/tests/data/gymnasium_mujoco.py chi-host/tests/data
# Actions are chi's, in [-1, 1]; gymnasium gets them scaled to each actuator's control range
# (a symmetric range [-h, h] as a * h, which keeps a range of [-1, 1] exact).
import json, math, os, sys
import gymnasium as gym
import numpy as np

out = sys.argv[1]
TASKS = {
    # id: (file, steps, action amplitude)
    "Hopper-v5": ("gymnasium_hopper.json", 80, 1.0),
    "Walker2d-v5": ("gymnasium_walker2d.json", 80, 1.0),
    "Reacher-v5": ("gymnasium_reacher.json", 50, 1.0),
    "InvertedPendulum-v5": ("gymnasium_inverted_pendulum.json", 80, 0.05),
}
for env_id, (name, steps, amplitude) in TASKS.items():
    env = gym.make(env_id)
    u = env.unwrapped
    env.reset(seed=0)
    nq, nv, nu = u.model.nq, u.model.nv, u.model.nu
    qpos0 = u.init_qpos + np.array([0.01 * math.sin(1.0 + i) for i in range(nq)])
    qvel0 = u.init_qvel + np.array([0.1 * math.cos(2.0 + i) for i in range(nv)])
    if env_id == "Reacher-v5":
        qpos0[-2:] = [0.1, -0.12]  # the target
        qvel0[-2:] = 0.0
    u.set_state(qpos0, qvel0)
    low, high = u.model.actuator_ctrlrange[:, 0], u.model.actuator_ctrlrange[:, 1]
    record = {
        "id": env_id,
        "dt": u.dt,
        "frame_skip": u.frame_skip,
        "init_qpos": list(u.init_qpos),
        "init_qvel": list(u.init_qvel),
        "qpos0": list(qpos0),
        "qvel0": list(qvel0),
        "obs0": list(u._get_obs()),
        "actions": [],
        "obs": [],
        "rewards": [],
        "terms": [],
        "terminated": [],
    }
    for t in range(steps):
        a = [amplitude * math.sin(0.9 * t + 1.7 * j) for j in range(nu)]
        a_np = np.array(a)
        scaled = np.where(low == -high, a_np * high, low + (a_np + 1.0) * 0.5 * (high - low))
        obs, reward, terminated, truncated, info = env.step(scaled)
        record["actions"].append(a)
        record["obs"].append(list(obs))
        record["rewards"].append(float(reward))
        record["terms"].append({k: float(v) for k, v in info.items() if k.startswith("reward_") or k == "x_velocity"})
        record["terminated"].append(bool(terminated))
        if terminated:
            break
    with open(os.path.join(out, name), "w") as f:
        json.dump(record, f, indent=0)
    print(env_id, "steps", len(record["rewards"]), "terminated", record["terminated"][-1], "dt", u.dt)
