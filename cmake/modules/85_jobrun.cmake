# jobrun: running jobs — start/stop, table creation, the server side of the
# worker protocol. Joins the supervisor, the committer and the store.
lakesync_module(jobrun MAIN SOURCES
  server/jobrun.c
  DEPS ls_supervisor ls_committer ls_schema_evolve ls_secret ls_json ls_kafka ls_store PkgConfig::JANSSON Threads::Threads)
