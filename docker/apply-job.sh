#!/bin/sh
# Applies a data source and a job through the REST API and starts the job, the
# way automation would: idempotent (re-running finds what exists by name and
# changes nothing), failing loudly on any refusal. POSIX sh and curl only.
#
# Environment: LAKESYNC_URL, LAKESYNC_TOKEN, KAFKA_BOOTSTRAP, KAFKA_TOPIC,
# optional JOB_NAME (default events_to_lake), DATABASE (lake), TABLE (events).
set -eu
url=${LAKESYNC_URL:?}
token=${LAKESYNC_TOKEN:?}
bootstrap=${KAFKA_BOOTSTRAP:?}
topic=${KAFKA_TOPIC:?}
job_name=${JOB_NAME:-events_to_lake}
source_name=${SOURCE_NAME:-${topic}_source}
database=${DATABASE:-lake}
table=${TABLE:-events}

api() { # method path [body] -> body on stdout; exits on HTTP errors
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "$url$2" ${3:+-d "$3"}
}

# The id of the resource named $2 under collection path $1 ("" when none).
# Without a JSON tool, ids are collected from the list and each resource is
# fetched and searched for the name. A nested member with the same "name"
# (a job field called like the job) would also match: keep names distinct.
id_named() {
  for id in $(api GET "$1?page_size=1000" | grep -o '"id":"[a-z]*_[0-9a-f]*"' | cut -d'"' -f4); do
    if api GET "$1/$id" | grep -q "^{.*\"name\":\"$2\""; then
      echo "$id"
      return 0
    fi
  done
}

source_id=$(id_named /api/v1/data-sources "$source_name")
if [ -z "$source_id" ]; then
  source_id=$(api POST /api/v1/data-sources \
    "{\"name\":\"$source_name\",\"type\":\"kafka\",\"bootstrap_servers\":\"$bootstrap\",\"topic\":\"$topic\",\"message_format\":\"json\"}" \
    | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  echo "created data source $source_id"
fi

group_id=$(id_named /api/v1/resource-groups default)

job_id=$(id_named /api/v1/jobs "$job_name")
if [ -z "$job_id" ]; then
  job_id=$(api POST /api/v1/jobs "{\"name\":\"$job_name\",\"data_source_id\":\"$source_id\",
    \"destination\":{\"type\":\"managed\",\"format\":\"iceberg\"},
    \"database\":\"$database\",\"table\":\"$table\",\"parse_levels\":2,
    \"fields\":[{\"source\":\"name\",\"name\":\"name\",\"type\":\"string\"},
                {\"source\":\"age\",\"name\":\"age\",\"type\":\"int\"},
                {\"source\":\"ts\",\"name\":\"ts\",\"type\":\"timestamptz\"},
                {\"source\":\"device.brand\",\"name\":\"device_brand\",\"type\":\"string\"},
                {\"source\":\"device.version\",\"name\":\"device_version\",\"type\":\"string\"}],
    \"partition\":[{\"source\":\"ts\",\"transform\":\"day\",\"name\":\"ts_day\"}],
    \"sync\":{\"start\":{\"mode\":\"earliest\"},\"resource_group_id\":\"$group_id\",\"acus\":2},
    \"advanced\":{\"commit_interval_s\":10}}" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -n 1)
  echo "created job $job_id"
fi

state=$(api GET "/api/v1/jobs/$job_id" | sed -n 's/.*"state":"\([^"]*\)".*/\1/p')
if [ "$state" = "stopped" ] || [ "$state" = "failed" ]; then
  api POST "/api/v1/jobs/$job_id/start" >/dev/null
  echo "started job $job_id"
else
  echo "job $job_id is $state"
fi
