#!/usr/bin/env bash
# The README's run command: sets up and builds lakesync, then runs the demo on
# embedded defaults — a local test broker (librdkafka's mock cluster) with a
# topic fed with sample events, `lakesync serve` with SQLite and a file://
# warehouse, a data source and a running Iceberg job, all created through the
# REST API as a user would. Rows land in the table within seconds.
#
#   scripts/demo.sh            run until Ctrl-C
#   scripts/demo.sh --check    exit 0 once committed rows are visible (tests)
#
# The demo keeps its state in var/demo (LAKESYNC_DEMO_DIR) and starts it
# afresh each run: the test broker keeps its messages in memory only, so a
# table from an earlier run would hold offsets the new broker never had.
# LAKESYNC_LISTEN picks the address (default 127.0.0.1:8080; port 0 = any).
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

scripts/setup.sh
scripts/build.sh build >/dev/null

demo_dir=${LAKESYNC_DEMO_DIR:-var/demo}
listen=${LAKESYNC_LISTEN:-127.0.0.1:8080}
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for_line() { # file pattern seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: timed out waiting for '$2' in $1" >&2
  return 1
}

# 1. The broker, and a feeder producing ~20 sample events a second (the
# shape of the seed's example message, values quoted, plus a time and a price).
build/lakesync_testbroker --topic demo:4 > "$demo_dir/broker.out" 2> "$demo_dir/broker.log" &
pids+=($!)
wait_for_line "$demo_dir/broker.out" bootstrap 15
bootstrap=$(awk '/^bootstrap/ {print $2}' "$demo_dir/broker.out")

feed() {
  local i=0 names=(zhangle limei wangwu) oses=(android ios linux)
  while :; do
    for _ in $(seq 1 20); do
      i=$((i + 1))
      printf '{"name":"%s","age":%d,"price":%d.%02d,"ts":"%s","device":{"os":{"test":"lag","member":{"fa":"zhangsan","mo":"limei"}},"brand":"%s","version":"11.4.%d"}}\n' \
        "${names[i % 3]}" $((18 + i % 50)) $((i % 100)) $((i % 97)) "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" \
        "${oses[i % 3]}" $((i % 9))
    done
    sleep 1
  done
}
feed | kcat -P -b "$bootstrap" -t demo -X linger.ms=20 2> "$demo_dir/feeder.log" &
pids+=($!)

# 2. The server on embedded defaults.
build/lakesync serve --listen "$listen" --data-dir "$demo_dir/state" \
  > "$demo_dir/serve.out" 2> "$demo_dir/serve.log" &
pids+=($!)
wait_for_line "$demo_dir/serve.out" "listening on" 15
url=$(grep -o 'http://[^ ]*' "$demo_dir/serve.out" | tail -n 1)
token=$(cat "$demo_dir/state/admin.token")

api() { # method path [json]
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "$url$2" ${3:+-d "$3"}
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# 3. A data source, a job at parse level 2 partitioned by day, and start it.
source_id=$(api POST /api/v1/data-sources \
  "{\"type\":\"kafka\",\"bootstrap_servers\":\"$bootstrap\",\"topic\":\"demo\",\"message_format\":\"json\",\"description\":\"demo events\"}" \
  | json_field '["id"]')
group_id=$(api GET /api/v1/resource-groups | json_field '["items"][0]["id"]')
job=$(api POST /api/v1/jobs "{
  \"name\": \"demo_events\", \"data_source_id\": \"$source_id\",
  \"destination\": {\"type\": \"managed\", \"format\": \"iceberg\"},
  \"database\": \"demo\", \"table\": \"events\", \"parse_levels\": 2,
  \"fields\": [
    {\"source\": \"name\", \"name\": \"name\", \"type\": \"string\"},
    {\"source\": \"age\", \"name\": \"age\", \"type\": \"int\"},
    {\"source\": \"price\", \"name\": \"price\", \"type\": \"decimal(10,2)\"},
    {\"source\": \"ts\", \"name\": \"ts\", \"type\": \"timestamptz\"},
    {\"source\": \"device.os\", \"name\": \"device_os\", \"type\": \"string\"},
    {\"source\": \"device.brand\", \"name\": \"device_brand\", \"type\": \"string\"},
    {\"source\": \"device.version\", \"name\": \"device_version\", \"type\": \"string\"},
    {\"source\": \"__kafka_partition__\", \"name\": \"kafka_partition\", \"type\": \"int\"},
    {\"source\": \"__kafka_offset__\", \"name\": \"kafka_offset\", \"type\": \"bigint\"}],
  \"partition\": [{\"source\": \"ts\", \"transform\": \"day\", \"name\": \"ts_day\"}],
  \"sync\": {\"start\": {\"mode\": \"earliest\"}, \"resource_group_id\": \"$group_id\", \"acus\": 2},
  \"advanced\": {\"commit_interval_s\": 2}}")
job_id=$(echo "$job" | json_field '["id"]')
table_path=$(echo "$job" | json_field '["destination"]["path"]')
api POST "/api/v1/jobs/$job_id/start" >/dev/null

# 4. Wait for the first commit, then say where everything is.
rows=0
for _ in $(seq 1 120); do
  rows=$(api GET "/api/v1/jobs/$job_id/metrics" | json_field '["totals"]["rows"]')
  commits=$(api GET "/api/v1/jobs/$job_id/metrics" | json_field '["commits"]')
  [ "$commits" -gt 0 ] && [ "$rows" -gt 0 ] && break
  sleep 0.5
done
if [ "${commits:-0}" -eq 0 ]; then
  echo "demo: no commit within 60 s; see $demo_dir/serve.log" >&2
  exit 1
fi

cat <<EOF
lakesync demo is running.
  console        $url/   (admin token: $token)
  job            $url/api/v1/jobs/$job_id   ($rows rows committed so far, every 2 s)
  metrics        curl -H 'Authorization: Bearer $token' $url/api/v1/jobs/$job_id/metrics
  Iceberg table  ${table_path}  (metadata/version-hint.text points at the current metadata)
  query          DuckDB: SELECT * FROM read_parquet('${table_path#file://}data/**/*.parquet')
  logs           $demo_dir/serve.log
EOF

if $check_only; then
  echo "demo: check passed ($rows rows committed)"
  exit 0
fi
if command -v xdg-open >/dev/null 2>&1 && [ -n "${DISPLAY:-}" ]; then
  xdg-open "$url/" >/dev/null 2>&1 || true
fi
echo "Press Ctrl-C to stop the demo."
wait
