#!/usr/bin/env bash
# Scanner vs jansson on 1M reference messages (~280 B each), single thread.
# Usage: bench/jsonscan.sh [build_dir] [message_count] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --target bench_jsonscan -j"$(nproc)" >/dev/null
"$build_dir/bench_jsonscan" "${2:-1000000}" "${3:-3}"
