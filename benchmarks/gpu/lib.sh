# Shell functions of benchmarks/gpu/sweep.sh (sourced; tests/test_gpu_sweep.py runs them).

# wait_for_rows RUNS NAME: wait until job NAME has written RUNS/NAME.rows.json (status 0), or until
# it has ended without them (status 1). A job writes its rows first and then its line
# "[sweep Ns] NAME exit S" in RUNS/done.log, so both can appear between two polls: the exit line
# counts as a failure only when the rows are still missing after it. Polls every POLL_S (5) seconds.
wait_for_rows() {
  local runs=$1 name=$2
  while [ ! -f "$runs/$name.rows.json" ]; do
    if grep -q "^\[.*\] $name exit" "$runs/done.log" 2>/dev/null && [ ! -f "$runs/$name.rows.json" ]; then
      return 1
    fi
    sleep "${POLL_S:-5}"
  done
  return 0
}
