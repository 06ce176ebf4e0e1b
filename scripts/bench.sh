#!/usr/bin/env bash
# Run every benchmark script in benchmarks/ and print its numbers (run via `make bench`).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
benches=(benchmarks/bench_*.py)
if [ ${#benches[@]} -eq 0 ]; then
  echo "no benchmarks yet"
  exit 0
fi
for bench in "${benches[@]}"; do
  echo "=== $bench"
  python "$bench"
done
