#!/usr/bin/env bash
# Freshness: how long from a message's produce until it is visible in a
# committed snapshot, for a job with commit_interval_s = 1 (target: p99 under
# 2 s). bench/freshness.mjs starts the test broker with a fresh topic and
# `lakesync serve` with one job, produces messages stamped with their produce
# time at a steady rate with kcat (one producer per partition), polls the
# snapshots API and prints p50 / p99 / max and whether the target is met. The
# yardstick is the target itself (1 s of commit interval plus the commit),
# not another tool: nothing else here commits Iceberg snapshots.
#
# Usage: bench/freshness.sh [build_dir] [rate_per_s] [seconds] [partitions]
#        (default: build 500 30 4)
# env LAKESYNC_BIN overrides the binary. Needs kcat and tests/node_modules
# (scripts/setup.sh). About a minute; not a ctest test.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
rate=${2:-500}
seconds=${3:-30}
partitions=${4:-4}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build_dir" lakesync_testbroker

cd tests
LAKESYNC_BIN=$bin LAKESYNC_BUILD_DIR=$(realpath "../$build_dir") \
  node ../bench/freshness.mjs "$partitions" "$rate" "$seconds"
