# control_client: the worker's HTTP client of the control plane (/internal/v1).
# An adapter: the only worker-side module that includes curl.h.
lakesync_module(control_client SOURCES
  server/control_client.c
  DEPS ls_util PkgConfig::CURL PkgConfig::JANSSON)

lakesync_unit_test(control_client SOURCES tests/unit/test_control_client.c
  DEPS ls_control_client Threads::Threads)
