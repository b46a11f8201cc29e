# supervisor: runs, restarts and stops the worker processes of started jobs.
lakesync_module(supervisor MAIN SOURCES
  server/supervisor.c
  DEPS ls_util)

lakesync_unit_test(supervisor SOURCES tests/unit/test_supervisor.c DEPS ls_supervisor)
