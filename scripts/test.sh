#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, builds the
# release and the ASan+UBSan builds, runs every test under ctest in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== release build"
scripts/build.sh build -DLAKESYNC_STRICT=ON
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 900)

echo "== ASan+UBSan build"
scripts/build.sh build-asan -DLAKESYNC_STRICT=ON -DLAKESYNC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j"$(nproc)" --timeout 900 -L 'unit|sanitize')
