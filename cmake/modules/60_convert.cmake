# convert: `lakesync convert`, NDJSON file -> Parquet file with a job's field
# mapping (the JSON scanner feeding the Parquet writer; jansson reads only the
# mapping file).
lakesync_module(convert MAIN SOURCES
  server/convert.c
  DEPS ls_parquet ls_json PkgConfig::JANSSON)

# Deterministic reference NDJSON for bench/convert.sh (not built by default).
add_executable(bench_gen_reference EXCLUDE_FROM_ALL bench/gen_reference.c)
