# Sourced by the experiment scripts, from the repository's root: `chi=$(chi_bin [mujoco])`
# gives the chi to run: $CHI_BIN when set, else target/release/chi, built first. The build
# has MuJoCo when the caller's task needs it or MuJoCo is set up (.cache/mujoco): every script
# replaces the one target/release/chi, and a build without it would break a Half-Cheetah or
# MuJoCo-suite run that a concurrent script starts later.
chi_bin() {
  if [ -n "${CHI_BIN:-}" ]; then
    echo "$CHI_BIN"
    return
  fi
  local features=()
  if [ "${1:-}" = mujoco ] || [ -d .cache/mujoco ]; then features=(--features mujoco); fi
  cargo build --quiet --release -p chi-host "${features[@]}" >&2
  echo ./target/release/chi
}
