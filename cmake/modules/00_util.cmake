# util: errors, buffers, logging, the stop deadline. Depends on libc only.
lakesync_module(util MAIN SOURCES
  server/util/error.c
  server/util/buf.c
  server/util/log.c
  server/util/mapped_file.c
  server/util/sink.c
  server/util/stop_clock.c
  server/util/text.c
  server/util/thread.c)
target_link_libraries(ls_util PUBLIC Threads::Threads)

lakesync_unit_test(util SOURCES tests/unit/test_util.c DEPS ls_util)
