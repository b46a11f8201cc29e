#!/usr/bin/env bash
# lakesync convert (1 thread, zstd) vs DuckDB COPY ... TO parquet (threads=1,
# zstd) on the same deterministic reference NDJSON, in the same run.
# Prints rows/s of both (wall and CPU time: CPU time is the steadier figure on
# a shared machine), the speed ratio, the output size ratio and
# lakesync's peak RSS.
#
# Usage: bench/convert.sh [build_dir] [line_count]   (env LAKESYNC_BIN=path/to/lakesync)
# Needs the lakesync binary in build_dir and tests/node_modules (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
lines=${2:-1000000}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# LAKESYNC_BIN overrides the binary (then only the generator is built).
if [ -z "${LAKESYNC_BIN:-}" ]; then
  cmake --build "$build_dir" --target lakesync -j"$(nproc)" >/dev/null
fi
cmake --build "$build_dir" --target bench_gen_reference -j"$(nproc)" >/dev/null
bin=${LAKESYNC_BIN:-$build_dir/lakesync}

work=$(mktemp -d)  # under $TMPDIR, removed on exit
trap 'rm -rf "$work"' EXIT
"$build_dir/bench_gen_reference" "$lines" > "$work/in.ndjson"
cat > "$work/fields.json" <<'JSON'
[{"source":"name","name":"name","type":"string"},
 {"source":"age","name":"age","type":"bigint"},
 {"source":"device.os.test","name":"device_os_test","type":"string"},
 {"source":"device.os.member.fa","name":"device_os_member_fa","type":"string"},
 {"source":"device.os.member.mo","name":"device_os_member_mo","type":"string"},
 {"source":"device.brand","name":"device_brand","type":"string"},
 {"source":"device.version","name":"device_version","type":"string"},
 {"source":"event_time","name":"event_time","type":"timestamptz"},
 {"source":"score","name":"score","type":"double"},
 {"source":"tags","name":"tags","type":"string"},
 {"source":"city","name":"city","type":"string"},
 {"source":"ip","name":"ip","type":"string"},
 {"source":"active","name":"active","type":"boolean"}]
JSON
input_bytes=$(stat -c %s "$work/in.ndjson")
echo "input: $lines lines, $input_bytes bytes"

# Warm the page cache for both.
cat "$work/in.ndjson" > /dev/null

# lakesync: wall time and peak RSS from GNU time when present, else from
# getrusage via python.
start=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "%M %U %S" -o "$work/rss" "$bin" convert --input "$work/in.ndjson" \
    --fields "$work/fields.json" --output "$work/lakesync.parquet" 2> "$work/stderr" \
    || { cat "$work/stderr"; exit 1; }
  read -r rss_kib ls_user ls_sys < <(tail -1 "$work/rss")
  ls_cpu=$(echo "$ls_user + $ls_sys" | bc -l)
else
  "$bin" convert --input "$work/in.ndjson" --fields "$work/fields.json" \
    --output "$work/lakesync.parquet" 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
  read -r rss_kib ls_cpu < <(python3 -c 'import resource; r = resource.getrusage(resource.RUSAGE_CHILDREN); print(r.ru_maxrss, r.ru_utime + r.ru_stime)')
fi
end=$(date +%s.%N)
ls_seconds=$(echo "$end - $start" | bc -l)

duck_line=$(node bench/convert_duckdb.mjs "$work/in.ndjson" "$work/duckdb.parquet")
duck_seconds=$(echo "$duck_line" | awk '{print $2}')
duck_cpu=$(echo "$duck_line" | awk '{print $6}')

ls_size=$(stat -c %s "$work/lakesync.parquet")
duck_size=$(stat -c %s "$work/duckdb.parquet")
awk -v n="$lines" -v ls="$ls_seconds" -v dk="$duck_seconds" -v lsz="$ls_size" -v dsz="$duck_size" \
    -v rss="$rss_kib" -v lc="$ls_cpu" -v dc="$duck_cpu" 'BEGIN {
  printf "lakesync convert: %.2f s wall  %.2f s cpu  %8.0f rows/s  %d bytes\n", ls, lc, n / ls, lsz;
  printf "duckdb COPY:      %.2f s wall  %.2f s cpu  %8.0f rows/s  %d bytes\n", dk, dc, n / dk, dsz;
  printf "speed ratio (lakesync/duckdb rows/s): %.2fx wall, %.2fx cpu   (target >= 2x)\n", dk / ls, dc / lc;
  printf "size ratio (lakesync/duckdb bytes):   %.3f   (target <= 1.1)\n", lsz / dsz;
  printf "lakesync peak RSS: %.1f MiB          (target < 256 MiB)\n", rss / 1024;
}'
