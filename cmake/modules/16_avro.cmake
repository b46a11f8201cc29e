# avro: Avro object container writer and schema-driven reader (pure format code).
lakesync_module(avro MAIN SOURCES
  server/avro_encode.c
  server/avro_codec.c
  server/avro_json.c
  server/avro_schema.c
  server/avro_writer.c
  server/avro_reader.c
  DEPS ls_util PkgConfig::ZSTD PkgConfig::ZLIB ${SNAPPY_LIBRARY})

lakesync_unit_test(avro SOURCES tests/unit/test_avro.c DEPS ls_avro)
