#!/usr/bin/env bash
# Run the whole test suite N times, optionally beside K busy-loops (a stand-in for a loaded CI
# machine), and print how often each test failed. Use it before calling a change flake-free.
#
#   scripts/soak_tests.sh 5            # five runs on this checkout
#   scripts/soak_tests.sh 2 --busy 1   # two runs, one core kept busy meanwhile
#   scripts/soak_tests.sh 3 -- tests/tts   # extra arguments after -- go to pytest
#   scripts/soak_tests.sh 5 --fresh        # each run is CI's: a fresh clone of HEAD, `bash .ci/run`
#
# Exit status: 0 when every run passed, 1 otherwise. Logs: $SOAK_DIR (default /tmp/insideout-soak-*).
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $0 N [--busy K] [--fresh] [-- pytest args...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
runs=$1; shift
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage
busy=0
fresh=0
pytest_args=(tests)
while [ $# -gt 0 ]; do
  case "$1" in
    --busy) [[ "${2:-}" =~ ^[0-9]+$ ]] || usage; busy=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --) shift; pytest_args=("$@"); break ;;
    *) usage ;;
  esac
done

dir=${SOAK_DIR:-$(mktemp -d /tmp/insideout-soak-XXXX)}
mkdir -p "$dir"
if [ "$fresh" = 0 ]; then
  scripts/setup.sh >/dev/null && (set +u; source scripts/env.sh && scripts/fetch_test_data.sh >/dev/null) || {
    echo "soak: set-up failed (run scripts/setup.sh and scripts/fetch_test_data.sh to see why)" >&2; exit 1; }
fi

busy_pids=()
stop_busy() { [ ${#busy_pids[@]} -gt 0 ] && kill "${busy_pids[@]}" 2>/dev/null; busy_pids=(); }
trap stop_busy EXIT
for _ in $(seq 1 "$busy"); do
  python3 -c "while True: pass" &
  busy_pids+=($!)
done

echo "soak: $runs run(s) of $([ "$fresh" = 1 ] && echo "a fresh clone's .ci/run" || echo "pytest ${pytest_args[*]}"), $busy busy-loop(s); load before: $(cut -d' ' -f1-3 /proc/loadavg); logs in $dir"
failed_runs=0
for i in $(seq 1 "$runs"); do
  started=$(date +%s)
  if [ "$fresh" = 1 ]; then
    # As CI does it: a fresh clone of what is committed, set up and tested by .ci/run.
    rm -rf "$dir/clone" && git clone -q . "$dir/clone" && (cd "$dir/clone" && CI=true bash .ci/run) \
      > "$dir/run$i.log" 2>&1
  else
    # shellcheck disable=SC1091
    (set +u; source scripts/env.sh && python -m pytest -p no:cacheprovider -q -rfE "${pytest_args[@]}") \
      > "$dir/run$i.log" 2>&1
  fi
  code=$?
  # pytest's closing line, with (make test) or without (-q) its ===== frame.
  summary=$(grep -E "^=* ?[0-9]+ (passed|failed|error).* in " "$dir/run$i.log" | tail -1 | tr -d '=')
  printf 'run %d: exit %d, %ss,%s\n' "$i" "$code" "$(( $(date +%s) - started ))" "${summary:- no summary}"
  [ "$code" -eq 0 ] || failed_runs=$((failed_runs + 1))
done
stop_busy

echo
echo "failures per test over $runs run(s):"
if grep -hE "^(FAILED|ERROR) " "$dir"/run*.log | sed -E 's/ - .*//' | sort | uniq -c | sort -rn | grep .; then
  :
else
  echo "  none"
fi
echo "runs with a failure: $failed_runs of $runs"
[ "$failed_runs" -eq 0 ]
