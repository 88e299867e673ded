#!/usr/bin/env bash
# CleanRL's SAC on the MuJoCo suite's two tasks, beside chi's agents: CleanRL's own
# sac_continuous_action.py (vendored unmodified in ../shared/peers/cleanrl-sac; PyTorch on
# one CPU thread) on gymnasium 0.29.1's Reacher-v4 and Hopper-v4 for 10 000 steps, the
# steps chi's runs take (Hopper to 30 000: SAC alone is cheap enough to go on, and its
# first 10 000 steps are the same run). Every setting is CleanRL's default but the random steps
# before learning, 1 000 (its default 5 000 is half of Reacher's budget; the Pendulum
# comparison used 1 000 too) and, as CleanRL's default, alpha tuned.
#
# Its episodes are written as <out>/<task>/cleanrl-sac-seed<N>/metrics.csv (agent cleanrl-sac,
# env_steps, return), so `chi report` and `chi plot` take them with chi's runs. The v4 tasks
# are the v5 ones chi runs but for what gymnasium changed in v5 (Reacher's observation drops
# a coordinate that is always 0; Hopper's healthy reward is no longer paid on the step that
# falls): close, not the same.
#
#   experiments/cleanrl-mujoco.sh ["0 1 2"] [runs]
# Needs python3 and the package registries: the peer's setup.sh builds its venv
# (CLEANRL_VENV, default /tmp/cleanrl-venv; about 2 minutes, 5.6 GB) and MuJoCo 2.3.7, the
# version of gymnasium 0.29's time, is added to it. A run already written is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-0 1 2}
out=${2:-runs}
peer=$(cd "${CLEANRL_PEER:-../shared/peers/cleanrl-sac}" && pwd)
venv=${CLEANRL_VENV:-/tmp/cleanrl-venv}
CLEANRL_VENV=$venv bash "$peer/setup.sh" >&2
"$venv/bin/python" -m pip install -q "mujoco==2.3.7" "imageio>=2.14.1" >&2
for task in reacher:Reacher-v4:10000 hopper:Hopper-v4:30000; do
  IFS=: read -r name id steps <<< "$task"
  for seed in $seeds; do
    dir=$out/$name/cleanrl-sac-seed$seed
    [ -f "$dir/metrics.csv" ] && continue
    mkdir -p "$dir"
    echo "CleanRL SAC $id seed $seed -> $dir" >&2
    (cd "$dir" && OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH="$peer/vendor" \
      "$venv/bin/python" "$peer/vendor/cleanrl/sac_continuous_action.py" --env-id "$id" \
      --total-timesteps "$steps" --learning-starts 1000 --no-cuda --seed "$seed" > cleanrl.log 2>&1)
    # CleanRL prints "global_step=G, episodic_return=[R]" when an episode ends at step G
    # (0-based), so G + 1 steps have been taken.
    awk -v seed="$seed" 'BEGIN { print "agent,seed,episode,env_steps,return" }
      /^global_step=[0-9]+, episodic_return=/ {
        split($0, f, /[=,\[\] ]+/); print "cleanrl-sac," seed "," n++ "," f[2] + 1 "," f[4]
      }' "$dir/cleanrl.log" > "$dir/metrics.csv.part"
    mv "$dir/metrics.csv.part" "$dir/metrics.csv"
  done
done
