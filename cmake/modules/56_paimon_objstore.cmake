# paimon_objstore: Paimon table storage over ls_objstore, the adapter between
# the pure Paimon format code and object storage (committer and API share it).
lakesync_module(paimon_objstore MAIN SOURCES
  server/paimon_objstore.c
  DEPS ls_paimon ls_objstore)
