#!/usr/bin/env bash
# Metrics polls: object-store requests that N polls of GET /jobs/{id}/metrics
# make on an Iceberg and a Paimon table in S3 (s3rver behind a counting
# proxy), against the same number of GET .../files, which reads the table on
# every request (the peer: what each metrics poll cost before its table
# figures were remembered per catalog pointer). Also the first poll after a
# further commit (the pointer moved: one read) and the polls after it.
#
# Usage: bench/metrics_polls.sh [build_dir] [polls] [commits]
#        (default: build 30 8)
# env LAKESYNC_BIN overrides the binary. Needs tests/node_modules
# (scripts/setup.sh). About 30 s; not a ctest test.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
polls=${2:-30}
commits=${3:-8}

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_build "$build_dir" lakesync_testbroker

cd tests
LAKESYNC_BIN=$bin LAKESYNC_BUILD_DIR=$(realpath "../$build_dir") \
  node ../bench/metrics_polls.mjs "$polls" "$commits"
