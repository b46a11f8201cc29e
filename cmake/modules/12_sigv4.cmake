# sigv4: AWS Signature Version 4 and the hashes it needs. Pure (OpenSSL only).
lakesync_module(sigv4 SOURCES
  server/sigv4.c
  DEPS ls_util PkgConfig::OPENSSL)

lakesync_unit_test(sigv4 SOURCES tests/unit/test_sigv4.c DEPS ls_sigv4)
