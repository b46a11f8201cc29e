# objstore: object storage (file://, s3://, oss://) and the `lakesync storage`
# command. The only module that includes curl.h (objstore_s3.c).
lakesync_module(objstore MAIN SOURCES
  server/objstore.c
  server/objstore_xml.c
  server/objstore_file.c
  server/objstore_s3.c
  server/storage_cli.c
  DEPS ls_sigv4 PkgConfig::CURL Threads::Threads)

lakesync_unit_test(objstore SOURCES tests/unit/test_objstore.c DEPS ls_objstore)
