# Sourced by the bench scripts. bench_build BUILD_DIR TARGET...: configures
# BUILD_DIR, builds the targets plus lakesync unless LAKESYNC_BIN names the
# binary under test, and sets $bin to that binary's absolute path.
# BENCH_CMAKE_ARGS (optional) are passed to the configure step.
bench_build() {
  local build_dir=$1
  shift
  local targets=("$@")
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" ${BENCH_CMAKE_ARGS:-} >/dev/null
  [ -n "${LAKESYNC_BIN:-}" ] || targets+=(lakesync)
  cmake --build "$build_dir" --target "${targets[@]}" -j"$(nproc)" >/dev/null
  bin=$(realpath "${LAKESYNC_BIN:-$build_dir/lakesync}")
}
