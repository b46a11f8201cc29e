# worker: `lakesync worker`, consume -> scan -> Parquet files -> fenced commits
# through the server (docs/worker-protocol.md).
lakesync_module(worker MAIN SOURCES
  server/worker.c
  server/worker_commit.c
  server/worker_evolve.c
  server/worker_files.c
  server/worker_dlq.c
  server/worker_pipeline.c
  server/worker_route.c
  server/worker_spec.c
  DEPS ls_kafka_consumer ls_json ls_schema_evolve ls_parquet ls_objstore ls_control_client ls_iceberg ls_paimon
       PkgConfig::JANSSON PkgConfig::CURL)

lakesync_unit_test(worker SOURCES tests/unit/test_worker.c DEPS ls_worker)
lakesync_unit_test(worker_pipeline SOURCES tests/unit/test_worker_pipeline.c DEPS ls_worker ls_parquet_reader)

# A test tool: librdkafka's mock cluster as a standalone broker for the
# worker's end-to-end test (tests/e2e/worker_protocol.test.mjs).
add_executable(lakesync_worker_broker tests/tools/worker_broker.c)
target_link_libraries(lakesync_worker_broker PRIVATE PkgConfig::RDKAFKA)
