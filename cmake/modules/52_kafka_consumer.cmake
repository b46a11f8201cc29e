# kafka_consumer: the worker's consumer-group member (adapter over librdkafka).
lakesync_module(kafka_consumer MAIN SOURCES
  server/kafka_consumer.c
  DEPS ls_util PkgConfig::RDKAFKA)

lakesync_unit_test(kafka_consumer SOURCES tests/unit/test_kafka_consumer.c
  DEPS ls_kafka_consumer PkgConfig::RDKAFKA)
