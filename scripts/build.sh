#!/usr/bin/env bash
# Configures and builds into build/ (or the directory given as $1; extra
# arguments go to cmake, e.g. -DLAKESYNC_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
