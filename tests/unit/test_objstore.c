/*
 * objstore: URI and key rules, the ListObjectsV2 XML reader, the retry
 * schedule, and the file:// backend end to end (atomic writes, create-if-
 * absent races between processes, paging, path refusal), and the s3
 * backend's stop deadline against a listener that never answers. The rest
 * of the s3/oss backend is driven against s3rver by
 * tests/e2e/objstore_*.test.mjs.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "objstore.h"
#include "objstore_internal.h"
#include "testing.h"

static ls_error err;

static ls_objstore *open_file_store(const char *sub, uint32_t page_size)
{
    char uri[1024];
    snprintf(uri, sizeof uri, "file://%s/%s", testing_tmpdir(), sub);
    ls_objstore_options o;
    ls_objstore_options_init(&o);
    o.list_page_size = page_size;
    ls_objstore *store = NULL;
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_open(uri, &o, &store, &err), &err);
    CHECK(ls_objstore_get_kind(store) == LS_OBJSTORE_FILE);
    return store;
}

TEST(key_rules)
{
    const char *good[] = {"a", "a/b.parquet", "dir with space/ключ.json", "x/.hidden", "a..b/c",
                          "metadata/v1.metadata.json"};
    const char *bad[] = {"", "/abs", "a//b", "a/", "..", "../x", "a/../b", "a/..", "./a", "a/./b",
                         "a\nb", "tab\there"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ls_error_clear(&err);
        CHECK_OK(ls_objstore_key_check(good[i], &err), &err);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_objstore_key_check(bad[i], &err), LS_ERR_INVALID);
        CHECK_EQ_STR(err.field, "key");
    }
    char long_key[LS_OBJSTORE_KEY_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_key_check(long_key, &err), LS_ERR_INVALID);
}

TEST(root_uri_parsing)
{
    ls_objstore_config cfg;
    memset(&cfg, 0, sizeof cfg);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_parse_root("s3://bucket-1/warehouse/db/", &cfg, &err), &err);
    CHECK(cfg.kind == LS_OBJSTORE_S3);
    CHECK_EQ_STR(cfg.bucket, "bucket-1");
    CHECK_EQ_STR(cfg.root_prefix, "warehouse/db/");
    ls_objstore_config_cleanup(&cfg);

    CHECK_OK(ls_objstore_parse_root("oss://b", &cfg, &err), &err);
    CHECK(cfg.kind == LS_OBJSTORE_OSS);
    CHECK_EQ_STR(cfg.bucket, "b");
    CHECK_EQ_STR(cfg.root_prefix, "");
    ls_objstore_config_cleanup(&cfg);

    CHECK_OK(ls_objstore_parse_root("file:///var/wh", &cfg, &err), &err);
    CHECK(cfg.kind == LS_OBJSTORE_FILE);
    CHECK_EQ_STR(cfg.root_path, "/var/wh");
    ls_objstore_config_cleanup(&cfg);

    const char *bad[] = {"", "gs://bucket/x", "s3://", "s3:///x", "s3://b/../x", "s3://b/a//c",
                         "s3://bad bucket/x", "file://"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_objstore_parse_root(bad[i], &cfg, &err), LS_ERR_INVALID);
        ls_objstore_config_cleanup(&cfg);
    }
}

TEST(object_uri_split)
{
    char *root, *key;
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_uri_split("s3://b/dir/a b.txt", &root, &key, &err), &err);
    CHECK_EQ_STR(root, "s3://b");
    CHECK_EQ_STR(key, "dir/a b.txt");
    free(root);
    free(key);
    CHECK_OK(ls_objstore_uri_split("oss://b/k", &root, &key, &err), &err);
    CHECK_EQ_STR(root, "oss://b");
    CHECK_EQ_STR(key, "k");
    free(root);
    free(key);
    CHECK_OK(ls_objstore_uri_split("file:///tmp/x/y", &root, &key, &err), &err);
    CHECK_EQ_STR(root, "file:///");
    CHECK_EQ_STR(key, "tmp/x/y");
    free(root);
    free(key);
    CHECK_EQ_INT(ls_objstore_uri_split("s3://bucket", &root, &key, &err), LS_ERR_INVALID);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_uri_split("file://relative", &root, &key, &err), LS_ERR_INVALID);
}

TEST(remote_open_needs_credentials)
{
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    ls_objstore *store = NULL;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_open("s3://bucket", NULL, &store, &err), LS_ERR_UNAUTHENTICATED);
    CHECK(store == NULL);
    /* The message names the variables, never a value. */
    CHECK(strstr(err.message, "AWS_ACCESS_KEY_ID") != NULL);

    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret-that-must-not-leak", 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_open("s3://bucket/prefix", NULL, &store, &err), &err);
    CHECK(ls_objstore_get_kind(store) == LS_OBJSTORE_S3);
    ls_objstore_free(store);

    /* oss needs a region; the "oss-" form is accepted. */
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_open("oss://bucket", NULL, &store, &err), LS_ERR_INVALID);
    ls_objstore_options o;
    ls_objstore_options_init(&o);
    o.region = "oss-cn-hangzhou";
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_open("oss://bucket", &o, &store, &err), &err);
    ls_objstore_free(store);

    o.part_size_bytes = 1024 * 1024; /* below the 5 MiB S3 minimum */
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_open("s3://bucket", &o, &store, &err), LS_ERR_INVALID);
    CHECK_EQ_STR(err.field, "part_size_bytes");
    o.part_size_bytes = 0;
    o.endpoint = "ftp://host";
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_open("s3://bucket", &o, &store, &err), LS_ERR_INVALID);
    o.endpoint = "http://host:9000/path";
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_open("s3://bucket", &o, &store, &err), LS_ERR_INVALID);
}

static const char list_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b</Name><Prefix>wh/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>wh/a &amp; b.txt</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
    "<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<!-- a comment --><Contents><Key>wh/&lt;x&gt;/&#233;&#x4E2D;.json</Key><Size>0</Size>"
    "<Owner><ID>1</ID></Owner></Contents>"
    "<Contents><Key><![CDATA[wh/cdata&raw]]></Key><Size>18446744073709551615</Size></Contents>"
    "<NextContinuationToken>tok+/=&amp;1</NextContinuationToken>"
    "</ListBucketResult>";

TEST(list_xml_with_escapes)
{
    ls_objstore_list_page page = {0};
    bool truncated = false;
    char *token = NULL;
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_parse_list_xml(list_xml, strlen(list_xml), "wh/", &page, &truncated,
                                        &token, &err),
             &err);
    CHECK_EQ_INT(page.count, 3);
    CHECK_EQ_STR(page.entries[0].key, "a & b.txt");
    CHECK_EQ_INT(page.entries[0].size_bytes, 12);
    CHECK_EQ_INT(page.entries[0].modified_ms, 1767225600000LL); /* 2026-01-01T00:00:00Z */
    CHECK_EQ_STR(page.entries[1].key, "<x>/\xc3\xa9\xe4\xb8\xad.json");
    CHECK_EQ_INT(page.entries[1].size_bytes, 0);
    CHECK_EQ_INT(page.entries[1].modified_ms, 0); /* not listed: unknown */
    CHECK_EQ_STR(page.entries[2].key, "cdata&raw");
    CHECK(page.entries[2].size_bytes == UINT64_MAX);
    CHECK(truncated);
    CHECK_EQ_STR(token, "tok+/=&1");
    free(token);
    ls_objstore_list_page_cleanup(&page);
    CHECK(page.entries == NULL && page.count == 0);
    ls_objstore_list_page_cleanup(&page); /* twice is fine */
}

TEST(iso8601_times_as_s3_lists_them)
{
    static const char *t[] = {"2026-11-23T22:29:30.123Z", "1970-01-01T00:00:00Z",
                              "2024-02-29T23:59:59.5Z", "2026-11-23 22:29:30Z", "2026-13-01T00:00:00Z"};
    CHECK_EQ_INT(ls_objstore_parse_iso8601_ms(t[0], strlen(t[0])), 1795472970123LL);
    CHECK_EQ_INT(ls_objstore_parse_iso8601_ms(t[1], strlen(t[1])), 0);
    CHECK_EQ_INT(ls_objstore_parse_iso8601_ms(t[2], strlen(t[2])), 1709251199500LL);
    CHECK_EQ_INT(ls_objstore_parse_iso8601_ms(t[3], strlen(t[3])), 0);
    CHECK_EQ_INT(ls_objstore_parse_iso8601_ms(t[4], strlen(t[4])), 0);
}

TEST(list_xml_last_page_and_empty)
{
    const char *xml = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                      "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>";
    ls_objstore_list_page page = {0};
    bool truncated = true;
    char *token = NULL;
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_parse_list_xml(xml, strlen(xml), "", &page, &truncated, &token, &err),
             &err);
    CHECK(!truncated);
    CHECK(token == NULL);
    CHECK_EQ_INT(page.count, 1);
    ls_objstore_list_page_cleanup(&page);
    const char *empty = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    CHECK_OK(ls_objstore_parse_list_xml(empty, strlen(empty), "", &page, &truncated, &token, &err),
             &err);
    CHECK_EQ_INT(page.count, 0);
}

TEST(list_xml_refuses_malformed)
{
    const char *bad[] = {
        "",
        "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>", /* no Size */
        "<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a &bogus; b</Key><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a &#0; b</Key><Size>1</Size></Contents></ListBucketResult>",
        "<!DOCTYPE x [<!ENTITY e \"boom\">]><ListBucketResult></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* no token */
        "<ListBucketResult><Contents><Key>other/a</Key><Size>1</Size></Contents></ListBucketResult>",
        "<Error><Code>AccessDenied</Code></Error>",
        "<ListBucketResult><a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q>"
        "</q></p></o></n></m></l></k></j></i></h></g></f></e></d></c></b></a></ListBucketResult>",
        "<ListBucketResult>",
        "<ListBucketResult></ListBucketResult><ListBucketResult></ListBucketResult>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_objstore_list_page page = {0};
        bool truncated;
        char *token = NULL;
        ls_error_clear(&err);
        ls_code rc = ls_objstore_parse_list_xml(bad[i], strlen(bad[i]), i == 8 ? "wh/" : "",
                                                &page, &truncated, &token, &err);
        if (rc != LS_ERR_FORMAT)
            testing_fail(__FILE__, __LINE__, "case %zu gave %d, expected LS_ERR_FORMAT", i, rc);
        CHECK(token == NULL);
        ls_objstore_list_page_cleanup(&page);
    }
}

TEST(error_and_upload_id_xml)
{
    const char *e = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                    "<Message>Please reduce &amp; retry</Message><RequestId>1</RequestId></Error>";
    char code[64], message[128];
    ls_objstore_parse_error_xml(e, strlen(e), code, sizeof code, message, sizeof message);
    CHECK_EQ_STR(code, "SlowDown");
    CHECK_EQ_STR(message, "Please reduce & retry");
    ls_objstore_parse_error_xml("garbage", 7, code, sizeof code, message, sizeof message);
    CHECK_EQ_STR(code, "");
    const char *c = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                    "<UploadId>VXBsb2FkSWQ</UploadId></InitiateMultipartUploadResult>";
    char id[64];
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_xml_find_text(c, strlen(c), "UploadId", id, sizeof id, &err), &err);
    CHECK_EQ_STR(id, "VXBsb2FkSWQ");
    CHECK_EQ_INT(ls_objstore_xml_find_text(c, strlen(c), "Nope", id, sizeof id, &err),
                 LS_ERR_FORMAT);
    ls_buf b;
    ls_buf_init(&b, 256);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_xml_escape(&b, "\"e<t>&'", &err), &err);
    CHECK_EQ_STR((char *)b.data, "&quot;e&lt;t&gt;&amp;&apos;");
    ls_buf_cleanup(&b);
}

TEST(backoff_schedule)
{
    /* Caps double from the base and stop at the maximum. */
    uint32_t want[] = {0, 100, 200, 400, 800, 1600, 3200, 5000, 5000};
    for (uint32_t n = 0; n < sizeof want / sizeof want[0]; n++)
        CHECK_EQ_INT(ls_objstore_backoff_cap_ms(100, 5000, n), want[n]);
    CHECK_EQ_INT(ls_objstore_backoff_cap_ms(100, 5000, 4000000000u), 5000);
    CHECK_EQ_INT(ls_objstore_backoff_cap_ms(7, 7, 1), 7);
    /* Full jitter: uniform in [0, cap], both ends reachable. */
    CHECK_EQ_INT(ls_objstore_backoff_delay_ms(100, 5000, 3, 0), 0);
    CHECK_EQ_INT(ls_objstore_backoff_delay_ms(100, 5000, 3, 400), 400);
    CHECK_EQ_INT(ls_objstore_backoff_delay_ms(100, 5000, 3, 401), 0);
    CHECK_EQ_INT(ls_objstore_backoff_delay_ms(100, 5000, 3, UINT32_MAX), UINT32_MAX % 401);
    for (uint32_t r = 0; r < 100000; r += 7)
        CHECK(ls_objstore_backoff_delay_ms(50, 1000, 9, r * 2654435761u) <= 1000);
    /* The sum of caps bounds the time spent sleeping. */
    uint64_t total = 0;
    for (uint32_t n = 1; n < 6; n++)
        total += ls_objstore_backoff_cap_ms(100, 5000, n);
    CHECK_EQ_INT(total, 100 + 200 + 400 + 800 + 1600);
}

TEST(retryable_statuses)
{
    long yes[] = {500, 502, 503, 504, 429, 408, 599};
    long no[] = {200, 204, 301, 400, 401, 403, 404, 409, 412, 416, 600};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(ls_objstore_http_status_retryable(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK(!ls_objstore_http_status_retryable(no[i]));
}

TEST(file_put_get_head_range_delete)
{
    ls_objstore *s = open_file_store("store", 0);
    const char *key = "db/t/data/part 1 ü.parquet";
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_put(s, key, "hello world", 11, &err), &err);
    ls_buf b;
    ls_buf_init(&b, 1024);
    CHECK_OK(ls_objstore_get(s, key, &b, &err), &err);
    CHECK_EQ_INT(b.len, 11);
    CHECK_EQ_MEM(b.data, "hello world", 11);
    ls_buf_reset(&b);
    CHECK_OK(ls_objstore_get_range(s, key, 6, 100, &b, &err), &err);
    CHECK_EQ_STR((char *)b.data, "world");
    ls_buf_reset(&b);
    CHECK_OK(ls_objstore_get_range(s, key, 11, 5, &b, &err), &err);
    CHECK_EQ_INT(b.len, 0);
    ls_objstore_info info;
    CHECK_OK(ls_objstore_head(s, key, &info, &err), &err);
    CHECK_EQ_INT(info.size_bytes, 11);
    CHECK(info.etag[0] != '\0');
    /* Replace: the new content wins, nothing else is left in the directory. */
    CHECK_OK(ls_objstore_put(s, key, "bye", 3, &err), &err);
    ls_buf_reset(&b);
    CHECK_OK(ls_objstore_get(s, key, &b, &err), &err);
    CHECK_EQ_STR((char *)b.data, "bye");
    /* The cap is honoured. */
    ls_buf small;
    ls_buf_init(&small, 2);
    CHECK_EQ_INT(ls_objstore_get(s, key, &small, &err), LS_ERR_TOO_LARGE);
    ls_buf_cleanup(&small);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_delete(s, key, &err), &err);
    CHECK_OK(ls_objstore_delete(s, key, &err), &err); /* missing: still fine */
    CHECK_OK(ls_objstore_delete(s, "never/was/here", &err), &err);
    CHECK_EQ_INT(ls_objstore_get(s, key, &b, &err), LS_ERR_NOT_FOUND);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_head(s, key, &info, &err), LS_ERR_NOT_FOUND);
    ls_objstore_counters c;
    ls_objstore_counters_read(s, &c);
    CHECK_EQ_INT(c.put_requests, 2);
    CHECK_EQ_INT(c.get_requests, 6);
    CHECK_EQ_INT(c.bytes_up, 14);
    CHECK_EQ_INT(c.bytes_down, 11 + 5 + 3);
    CHECK_EQ_INT(c.errors, 3);
    CHECK_EQ_INT(c.delete_requests, 3);
    ls_buf_cleanup(&b);
    ls_objstore_free(s);
}

TEST(file_refuses_escaping_paths)
{
    ls_objstore *s = open_file_store("jail", 0);
    const char *bad[] = {"../outside", "a/../../outside", "/etc/passwd", "a/./b", ".."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error_clear(&err);
        CHECK_EQ_INT(ls_objstore_put(s, bad[i], "x", 1, &err), LS_ERR_INVALID);
        CHECK(strstr(err.message, "refused") || strstr(err.message, "relative") ||
              strstr(err.message, "segment"));
    }
    char outside[1024];
    snprintf(outside, sizeof outside, "%s/outside", testing_tmpdir());
    CHECK(access(outside, F_OK) != 0);
    /* A symlink planted inside the root cannot carry writes outside it. */
    char link_path[1024], target[1024];
    snprintf(target, sizeof target, "%s/elsewhere", testing_tmpdir());
    CHECK(mkdir(target, 0755) == 0);
    snprintf(link_path, sizeof link_path, "%s/jail/escape", testing_tmpdir());
    CHECK(symlink(target, link_path) == 0);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_put(s, "escape/x", "x", 1, &err), LS_ERR_PERMISSION);
    ls_buf b;
    ls_buf_init(&b, 16);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_get(s, "escape/x", &b, &err), LS_ERR_PERMISSION);
    char escaped[1100];
    snprintf(escaped, sizeof escaped, "%s/x", target);
    CHECK(access(escaped, F_OK) != 0);
    /* Nor can it make mkdir -p create directories outside. */
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_put(s, "escape/newdir/deeper/x", "x", 1, &err), LS_ERR_PERMISSION);
    snprintf(escaped, sizeof escaped, "%s/newdir", target);
    CHECK(access(escaped, F_OK) != 0);
    ls_objstore_upload *up = NULL;
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_upload_begin(s, "escape/y", &up, &err), LS_ERR_PERMISSION);
    CHECK(up == NULL);
    ls_objstore_free(s);
}

TEST(file_create_if_absent)
{
    ls_objstore *s = open_file_store("cia", 0);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_put_if_absent(s, "snapshot/snapshot-1", "first", 5, &err), &err);
    CHECK_EQ_INT(ls_objstore_put_if_absent(s, "snapshot/snapshot-1", "second", 6, &err),
                 LS_ERR_CONFLICT);
    ls_buf b;
    ls_buf_init(&b, 64);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_get(s, "snapshot/snapshot-1", &b, &err), &err);
    CHECK_EQ_STR((char *)b.data, "first");
    /* No temp files are left behind by the refused attempt. */
    ls_objstore_list_page page = {0};
    CHECK_OK(ls_objstore_list(s, "", NULL, &page, &err), &err);
    CHECK_EQ_INT(page.count, 1);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/cia/snapshot", testing_tmpdir());
    int entries = 0;
    DIR *d = opendir(dir);
    CHECK(d);
    for (struct dirent *de; (de = readdir(d));)
        entries += de->d_name[0] != '.';
    closedir(d);
    CHECK_EQ_INT(entries, 1);
    ls_objstore_list_page_cleanup(&page);
    ls_buf_cleanup(&b);
    ls_objstore_free(s);
}

TEST(file_create_if_absent_race)
{
    /* Sixteen processes race to create the same snapshot: exactly one wins
     * and the object holds the winner's bytes in full. */
    enum { RACERS = 16 };
    char root[1024];
    snprintf(root, sizeof root, "file://%s/race", testing_tmpdir());
    pid_t pids[RACERS];
    for (int i = 0; i < RACERS; i++) {
        pids[i] = fork();
        CHECK(pids[i] >= 0);
        if (pids[i] == 0) {
            ls_objstore *s = NULL;
            ls_error e;
            ls_error_clear(&e);
            if (ls_objstore_open(root, NULL, &s, &e) != LS_OK)
                _exit(3);
            char body[4096];
            memset(body, 'a' + i, sizeof body);
            ls_code rc = ls_objstore_put_if_absent(s, "snap/snapshot-7", body, sizeof body, &e);
            ls_objstore_free(s);
            _exit(rc == LS_OK ? 0 : rc == LS_ERR_CONFLICT ? 1 : 2);
        }
    }
    int winners = 0, losers = 0, winner = -1;
    for (int i = 0; i < RACERS; i++) {
        int status;
        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
        CHECK(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0) {
            winners++;
            winner = i;
        } else {
            CHECK_EQ_INT(WEXITSTATUS(status), 1);
            losers++;
        }
    }
    CHECK_EQ_INT(winners, 1);
    CHECK_EQ_INT(losers, RACERS - 1);
    ls_objstore *s = open_file_store("race", 0);
    ls_buf b;
    ls_buf_init(&b, 8192);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_get(s, "snap/snapshot-7", &b, &err), &err);
    CHECK_EQ_INT(b.len, 4096);
    for (size_t i = 0; i < b.len; i++)
        CHECK(b.data[i] == 'a' + winner);
    ls_buf_cleanup(&b);
    ls_objstore_free(s);
}

TEST(file_list_pages)
{
    ls_objstore *s = open_file_store("list", 7);
    char key[64];
    ls_error_clear(&err);
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof key, "t/data/f%03d", i);
        CHECK_OK(ls_objstore_put(s, key, key, strlen(key), &err), &err);
    }
    CHECK_OK(ls_objstore_put(s, "t/metadata/v1.json", "{}", 2, &err), &err);
    CHECK_OK(ls_objstore_put(s, "u/other", "x", 1, &err), &err);
    ls_objstore_list_page page = {0};
    char *token = NULL;
    int seen = 0, pages = 0;
    do {
        CHECK_OK(ls_objstore_list(s, "t/data/", token, &page, &err), &err);
        pages++;
        for (size_t i = 0; i < page.count; i++) {
            snprintf(key, sizeof key, "t/data/f%03d", seen);
            CHECK_EQ_STR(page.entries[i].key, key);
            CHECK_EQ_INT(page.entries[i].size_bytes, strlen(key));
            CHECK(page.entries[i].modified_ms > 1700000000000LL); /* the file's mtime */
            seen++;
        }
        free(token);
        token = page.next_token;
        page.next_token = NULL;
    } while (token);
    CHECK_EQ_INT(seen, 50);
    CHECK_EQ_INT(pages, 8);
    CHECK_OK(ls_objstore_list(s, "", NULL, &page, &err), &err);
    CHECK_EQ_INT(page.count, 7);
    CHECK_OK(ls_objstore_list(s, "t/meta", NULL, &page, &err), &err);
    CHECK_EQ_INT(page.count, 1);
    CHECK_EQ_STR(page.entries[0].key, "t/metadata/v1.json");
    CHECK_OK(ls_objstore_list(s, "nothing/", NULL, &page, &err), &err);
    CHECK_EQ_INT(page.count, 0);
    CHECK(page.next_token == NULL);
    CHECK_EQ_INT(ls_objstore_list(s, "../", NULL, &page, &err), LS_ERR_INVALID);
    ls_objstore_list_page_cleanup(&page);
    ls_objstore_free(s);
}

TEST(file_streaming_upload_commit_and_abort)
{
    ls_objstore *s = open_file_store("stream", 0);
    ls_objstore_upload *up = NULL;
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_upload_begin(s, "big/file.bin", &up, &err), &err);
    ls_sink *sink = ls_objstore_upload_sink(up);
    uint8_t chunk[65536];
    for (int i = 0; i < 40; i++) {
        memset(chunk, i, sizeof chunk);
        CHECK_OK(ls_sink_write(sink, chunk, sizeof chunk, &err), &err);
    }
    CHECK_EQ_INT(sink->bytes_written, 40 * 65536);
    /* Not visible before commit. */
    ls_objstore_info info;
    CHECK_EQ_INT(ls_objstore_head(s, "big/file.bin", &info, &err), LS_ERR_NOT_FOUND);
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_upload_commit(up, &err), &err);
    CHECK_OK(ls_objstore_head(s, "big/file.bin", &info, &err), &err);
    CHECK_EQ_INT(info.size_bytes, 40 * 65536);
    ls_buf b;
    ls_buf_init(&b, 1 << 20);
    CHECK_OK(ls_objstore_get_range(s, "big/file.bin", 65536 * 39 + 10, 5, &b, &err), &err);
    CHECK_EQ_INT(b.len, 5);
    CHECK(b.data[0] == 39 && b.data[4] == 39);

    CHECK_OK(ls_objstore_upload_begin(s, "big/aborted.bin", &up, &err), &err);
    CHECK_OK(ls_sink_write(ls_objstore_upload_sink(up), "partial", 7, &err), &err);
    ls_objstore_upload_abort(up);
    CHECK_EQ_INT(ls_objstore_head(s, "big/aborted.bin", &info, &err), LS_ERR_NOT_FOUND);
    ls_error_clear(&err);
    ls_objstore_list_page page = {0};
    CHECK_OK(ls_objstore_list(s, "", NULL, &page, &err), &err);
    CHECK_EQ_INT(page.count, 1);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/stream/big", testing_tmpdir());
    int entries = 0;
    DIR *d = opendir(dir);
    CHECK(d);
    for (struct dirent *de; (de = readdir(d));)
        entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    CHECK_EQ_INT(entries, 1); /* the temp file of the aborted upload is gone */
    ls_objstore_list_page_cleanup(&page);
    ls_buf_cleanup(&b);
    ls_objstore_free(s);
}

typedef struct thread_arg {
    ls_objstore *store;
    int index;
    int failures;
} thread_arg;

static void *hammer(void *p)
{
    thread_arg *a = p;
    char key[64], body[100];
    memset(body, 'x', sizeof body);
    for (int i = 0; i < 50; i++) {
        ls_error e;
        ls_error_clear(&e);
        snprintf(key, sizeof key, "t%d/k%d", a->index, i);
        if (ls_objstore_put(a->store, key, body, sizeof body, &e) != LS_OK)
            a->failures++;
        ls_buf b;
        ls_buf_init(&b, 1024);
        if (ls_objstore_get(a->store, key, &b, &e) != LS_OK || b.len != sizeof body)
            a->failures++;
        ls_buf_cleanup(&b);
    }
    return NULL;
}

TEST(counters_are_exact_across_threads)
{
    enum { THREADS = 8 };
    ls_objstore *s = open_file_store("threads", 0);
    pthread_t tids[THREADS];
    thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (thread_arg){.store = s, .index = i};
        CHECK(pthread_create(&tids[i], NULL, hammer, &args[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(tids[i], NULL) == 0);
        CHECK_EQ_INT(args[i].failures, 0);
    }
    ls_objstore_counters c;
    ls_objstore_counters_read(s, &c);
    CHECK_EQ_INT(c.put_requests, THREADS * 50);
    CHECK_EQ_INT(c.get_requests, THREADS * 50);
    CHECK_EQ_INT(c.bytes_up, THREADS * 50 * 100);
    CHECK_EQ_INT(c.bytes_down, THREADS * 50 * 100);
    CHECK_EQ_INT(c.errors, 0);
    ls_objstore_free(s);
}

/* ---- the stop deadline (s3) ---- */

static void *stop_later(void *clock)
{
    usleep(300 * 1000);
    ls_stop_clock_begin(clock); /* as the worker's SIGTERM handler does, mid-request */
    return NULL;
}

/* A store whose endpoint accepts connections (the kernel's backlog) and
 * never answers: every request stalls until something cuts it off. o holds
 * the caller's options; the endpoint and credentials are filled in. */
static ls_objstore *silent_s3_store_with(int *listen_fd, ls_objstore_options *o)
{
    *listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(*listen_fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(*listen_fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(*listen_fd, 16) == 0);
    socklen_t len = sizeof addr;
    CHECK(getsockname(*listen_fd, (struct sockaddr *)&addr, &len) == 0);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", ntohs(addr.sin_port));
    o->endpoint = endpoint;
    o->region = "us-east-1";
    o->access_key_id = "AKIDTEST";
    o->secret_access_key = "secret";
    ls_objstore *store = NULL;
    ls_error_clear(&err);
    CHECK_OK(ls_objstore_open("s3://bucket", o, &store, &err), &err);
    return store;
}

static ls_objstore *silent_s3_store(int *listen_fd, ls_stop_clock *clock)
{
    ls_objstore_options o;
    ls_objstore_options_init(&o);
    o.request_timeout_ms = 20000; /* far past the deadline */
    o.retry_base_delay_ms = 10;
    o.stop = clock;
    return silent_s3_store_with(listen_fd, &o);
}

/* A request the endpoint takes and never answers fails after the stall
 * timeout, not the request timeout, and is retried like any timeout (seen
 * in CI: an API thread's GET through a proxy that never answered held the
 * thread, and the test's request, for the 300 s request timeout). */
TEST(s3_a_stalled_request_ends_at_the_stall_timeout)
{
    ls_objstore_options o;
    ls_objstore_options_init(&o);
    o.request_timeout_ms = 60000;
    o.stall_timeout_ms = 1000;
    o.max_attempts = 2;
    o.retry_base_delay_ms = 10;
    int fd = -1;
    ls_objstore *store = silent_s3_store_with(&fd, &o);
    uint64_t started = ls_stop_clock_now_ms();
    ls_buf out;
    ls_buf_init(&out, 1 << 20);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_get(store, "snapshot/LATEST", &out, &err), LS_ERR_UNAVAILABLE);
    uint64_t took = ls_stop_clock_now_ms() - started;
    CHECK(took >= 1500);  /* two attempts of about a second each */
    CHECK(took < 15000); /* far from the 60 s request timeout */
    ls_objstore_counters c;
    ls_objstore_counters_read(store, &c);
    CHECK_EQ_INT(c.get_requests, 2);
    ls_buf_cleanup(&out);
    ls_objstore_free(store);
    close(fd);
}

/* A PUT in flight when the stop begins is cut off by the deadline (at the
 * last look at the clock before it), not after its 20 s timeout and
 * retries; a request after it fails at once. (Aborting a multipart upload
 * past the deadline: e2e.objstore_faults.) */
TEST(s3_stop_deadline_cuts_requests_short)
{
    ls_stop_clock clock;
    ls_stop_clock_init(&clock, NULL, 1500, 400);
    int fd = -1;
    ls_objstore *store = silent_s3_store(&fd, &clock);
    pthread_t thread;
    uint64_t started = ls_stop_clock_now_ms();
    pthread_create(&thread, NULL, stop_later, &clock);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_objstore_put(store, "data/a.parquet", "abc", 3, &err), LS_ERR_UNAVAILABLE);
    uint64_t ended = ls_stop_clock_now_ms();
    pthread_join(thread, NULL);
    CHECK(strstr(err.message, "PUT data/a.parquet: cut off at the deadline") != NULL);
    uint64_t deadline = ls_stop_clock_deadline(&clock);
    CHECK(ended - started >= 300);
    CHECK(ended <= deadline + 100); /* never past it (slack for a loaded box) */
    ls_objstore_counters c;
    ls_objstore_counters_read(store, &c);
    CHECK_EQ_INT(c.put_requests, 1); /* not retried */

    while (ls_stop_clock_left_ms(&clock, false) > 0)
        usleep(10 * 1000);
    ls_error_clear(&err);
    started = ls_stop_clock_now_ms();
    CHECK_EQ_INT(ls_objstore_delete(store, "data/a.parquet", &err), LS_ERR_UNAVAILABLE);
    CHECK(strstr(err.message, "the deadline has passed") != NULL);
    CHECK(ls_stop_clock_now_ms() - started < 200);
    ls_objstore_counters_read(store, &c);
    CHECK_EQ_INT(c.delete_requests, 0); /* none was sent */

    ls_objstore_free(store);
    close(fd);
}
