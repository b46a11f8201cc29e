# kafka: sampling the latest messages of a topic (adapter over librdkafka).
lakesync_module(kafka MAIN SOURCES
  server/kafka_sample.c
  DEPS ls_json PkgConfig::RDKAFKA)

lakesync_unit_test(kafka_sample SOURCES tests/unit/test_kafka_sample.c
  DEPS ls_kafka PkgConfig::RDKAFKA)

# The test broker (librdkafka's mock cluster as a process) for e2e tests,
# benchmarks and demos. Built with everything, never installed.
add_executable(lakesync_testbroker tests/tools/testbroker.c)
target_link_libraries(lakesync_testbroker PRIVATE PkgConfig::RDKAFKA)

# The API's sample and schema-inference routes live with this module's code
# (server/api_schema.c); they join the api library from here so the api
# module file needs no change, and bring ls_kafka along.
target_sources(ls_api PRIVATE server/api_schema.c)
target_link_libraries(ls_api PUBLIC ls_kafka)
