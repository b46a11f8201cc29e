# secret: AES-256-GCM sealing of stored secrets, bearer tokens and their
# hashes (server/secret.h), with OpenSSL.
lakesync_module(secret MAIN SOURCES server/secret.c DEPS ls_util PkgConfig::OPENSSL)

lakesync_unit_test(secret SOURCES tests/unit/test_secret.c DEPS ls_secret)
