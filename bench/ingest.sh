#!/usr/bin/env bash
# End-to-end ingest: 1M reference messages (~276 B, bench_gen_reference) in a
# 128-partition topic on the test broker, produced with kcat; then, in the
# same run, kcat consuming the whole topic raw (timed) and `lakesync serve`
# running a job per ACU figure (file:// managed warehouse, parse level 2,
# commit every 1 s, earliest), each timed from POST /start until the
# committed table's lakesync.offsets cover every message. Prints rows/s of
# both, the ratios (target >= 0.8x kcat), whether more ACUs ingest faster,
# and the workers' peak RSS (VmHWM sampled from /proc). Also times kcat as a
# consumer-group member (-G), the fairer peer on this mock broker.
#
# Usage: bench/ingest.sh [build_dir] [message_count] [acus...]   (default: build 1000000 2 8)
# env LAKESYNC_BIN overrides the binary. Needs kcat and tests/node_modules
# (scripts/setup.sh). A few minutes on 2 cores; not a ctest test.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
count=${2:-1000000}
shift $(($# < 2 ? $# : 2))
acus=("$@")
[ ${#acus[@]} -gt 0 ] || acus=(2 8)
partitions=128
topic=reference

# shellcheck source=bench/lib.sh
. bench/lib.sh
BENCH_CMAKE_ARGS=-DCMAKE_BUILD_TYPE=RelWithDebInfo bench_build "$build_dir" bench_gen_reference lakesync_testbroker

work=$(mktemp -d)  # under $TMPDIR, removed on exit
broker_pid=
cleanup() {
  [ -z "$broker_pid" ] || kill "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build_dir/bench_gen_reference" "$count" > "$work/in.ndjson"
input_bytes=$(stat -c %s "$work/in.ndjson")
echo "input: $count messages, $input_bytes bytes, topic $topic with $partitions partitions"

"$build_dir/lakesync_testbroker" --topic "$topic:$partitions" > "$work/broker.out" &
broker_pid=$!
for _ in $(seq 100); do
  grep -q '^bootstrap ' "$work/broker.out" && break
  sleep 0.1
done
bootstrap=$(awk '/^bootstrap /{print $2; exit}' "$work/broker.out")
[ -n "$bootstrap" ] || { echo "the test broker did not start" >&2; exit 1; }

start=$(date +%s.%N)
kcat -P -b "$bootstrap" -t "$topic" -X linger.ms=50 -X sticky.partitioning.linger.ms=0 \
  -X batch.num.messages=10000 -X queue.buffering.max.messages=1000000 < "$work/in.ndjson"
end=$(date +%s.%N)
echo "produced in $(echo "$end - $start" | bc -l | xargs printf '%.2f') s (kcat -P)"

# The mock keeps about 5 MiB per partition: check nothing was dropped.
held=$(kcat -C -b "$bootstrap" -t "$topic" -e -o beginning -q -f '%o\n' | wc -l)
[ "$held" -eq "$count" ] || { echo "the broker holds $held of $count messages" >&2; exit 1; }

# CPU seconds (user + system) the broker has used so far: the mock serves
# both consumers, so its share tells whether it is the bottleneck.
broker_cpu() {
  awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$broker_pid/stat"
}

cpu0=$(broker_cpu)
start=$(date +%s.%N)
kcat -C -e -o beginning -q -b "$bootstrap" -t "$topic" > /dev/null
end=$(date +%s.%N)
cpu1=$(broker_cpu)
kcat_seconds=$(echo "$end - $start" | bc -l)
awk -v n="$count" -v s="$kcat_seconds" -v b="$input_bytes" -v c="$(echo "$cpu1 - $cpu0" | bc -l)" 'BEGIN {
  printf "kcat raw consume: %.2f s  %8.0f rows/s  %.0f MB/s  (broker CPU %.2f s)\n", s, n / s, b / s / 1e6, c }'

# The same through a consumer group (what a worker is): librdkafka's group
# consumer reads this mock much slower than an assigned one, so this is the
# ceiling a worker can reach here. Timed from start, group join included,
# like the jobs below.
start=$(date +%s.%N)
kcat -G "bench-$$" -X session.timeout.ms=6000 -X auto.offset.reset=earliest -e -q \
  -b "$bootstrap" "$topic" > /dev/null
end=$(date +%s.%N)
kcat_group_seconds=$(echo "$end - $start" | bc -l)
awk -v n="$count" -v s="$kcat_group_seconds" 'BEGIN {
  printf "kcat group consume (-G, join included): %.2f s  %8.0f rows/s\n", s, n / s }'

cpu2=$(broker_cpu)
(cd tests && LAKESYNC_BIN=$bin node ../bench/ingest_job.mjs "$bootstrap" "$topic" "$count" \
  "$kcat_seconds" "$kcat_group_seconds" "$work" "${acus[@]}")
echo "broker CPU during the lakesync jobs (all of them): $(echo "$(broker_cpu) - $cpu2" | bc -l | xargs printf '%.2f') s"
