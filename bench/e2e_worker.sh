#!/usr/bin/env bash
# End to end: `lakesync worker` ingesting the reference messages (default 1M,
# ~276 B, 128 partitions, file:// destination, zstd) from the test broker,
# committing through the control-plane double of tests/e2e/lib, against kcat
# consuming the same topic raw, in the same run. Prints both rates, the
# ratio (target >= 0.8x kcat), the worker's peak RSS (target < 256 MiB) and
# the commit-to-visible freshness figures the double observed.
#
# Usage: bench/e2e_worker.sh [build_dir] [message_count] [commit_interval_ms]
# LAKESYNC_BENCH_PARTITION=day partitions the table by day(event_time) (28
# day partitions) instead of writing it unpartitioned.
# Needs kcat and tests/node_modules (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
count=${2:-1000000}
interval_ms=${3:-300000}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets="bench_gen_reference lakesync_worker_broker"
[ -n "${LAKESYNC_BIN:-}" ] || targets="$targets lakesync"
# shellcheck disable=SC2086
cmake --build "$build_dir" --target $targets -j"$(nproc)" >/dev/null
if grep -q lakesync_testbroker "$build_dir/Makefile" 2>/dev/null; then
  cmake --build "$build_dir" --target lakesync_testbroker -j"$(nproc)" >/dev/null || true
fi
work=$(mktemp -d)  # under $TMPDIR, removed on exit
trap 'rm -rf "$work"' EXIT
"$build_dir/bench_gen_reference" "$count" > "$work/in.ndjson"
cd tests
LAKESYNC_BIN=${LAKESYNC_BIN:-$(cd .. && pwd)/$build_dir/lakesync} \
LAKESYNC_BUILD_DIR=$(cd .. && pwd)/$build_dir \
  node ../bench/e2e_worker.mjs "$work/in.ndjson" "$count" "$interval_ms" "$work"
