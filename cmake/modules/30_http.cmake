# http: the libmicrohttpd server (server/http_server.h). The only module that
# includes microhttpd.h.
lakesync_module(http MAIN SOURCES server/http_server.c DEPS ls_util PkgConfig::MHD)

lakesync_unit_test(http SOURCES tests/unit/test_http.c DEPS ls_http)
