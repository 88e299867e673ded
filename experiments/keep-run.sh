# Sourced by the report scripts: keep_run RUN DEST copies a finished run's record (its
# metrics.csv, and the run.toml that says what it trained on, which the figures' titles
# read; runs of other programs have none) into DEST, the committed copy `chi report` reads.
keep_run() {
  mkdir -p "$2"
  cp "$1/metrics.csv" "$2/metrics.csv"
  [ ! -f "$1/run.toml" ] || cp "$1/run.toml" "$2/run.toml"
}
