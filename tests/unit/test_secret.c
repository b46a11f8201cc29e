#include <stdio.h>
#include <sys/stat.h>

#include "secret.h"
#include "testing.h"

static ls_secret_key test_key(void)
{
    ls_secret_key key;
    for (size_t i = 0; i < sizeof key.bytes; i++)
        key.bytes[i] = (unsigned char)i;
    return key;
}

TEST(seal_open_round_trip)
{
    ls_secret_key key = test_key();
    ls_error err = {0};
    ls_buf sealed, plain;
    ls_buf_init(&sealed, 4096);
    ls_buf_init(&plain, 4096);
    CHECK_OK(ls_secret_seal(&key, "data_source:a:password", "hunter2", 7, &sealed, &err), &err);
    CHECK_EQ_INT(sealed.len, 7 + LS_SECRET_SEAL_OVERHEAD);
    CHECK(memmem(sealed.data, sealed.len, "hunter2", 7) == NULL);
    CHECK_OK(ls_secret_open(&key, "data_source:a:password", sealed.data, sealed.len, &plain, &err),
             &err);
    CHECK_EQ_STR((char *)plain.data, "hunter2");

    /* Two seals of the same value differ (fresh nonce). */
    ls_buf again;
    ls_buf_init(&again, 4096);
    CHECK_OK(ls_secret_seal(&key, "data_source:a:password", "hunter2", 7, &again, &err), &err);
    CHECK(memcmp(again.data, sealed.data, sealed.len) != 0);
    ls_buf_cleanup(&again);
    ls_buf_cleanup(&sealed);
    ls_buf_cleanup(&plain);
}

TEST(open_refuses_other_aad_tamper_and_key)
{
    ls_secret_key key = test_key();
    ls_error err = {0};
    ls_buf sealed, plain;
    ls_buf_init(&sealed, 4096);
    ls_buf_init(&plain, 4096);
    CHECK_OK(ls_secret_seal(&key, "row:1", "secret", 6, &sealed, &err), &err);
    CHECK_EQ_INT(ls_secret_open(&key, "row:2", sealed.data, sealed.len, &plain, &err),
                 LS_ERR_FORMAT);
    CHECK_EQ_INT(plain.len, 0);
    ls_error_clear(&err);
    sealed.data[20] ^= 1;
    CHECK_EQ_INT(ls_secret_open(&key, "row:1", sealed.data, sealed.len, &plain, &err),
                 LS_ERR_FORMAT);
    sealed.data[20] ^= 1;
    ls_error_clear(&err);
    ls_secret_key other = test_key();
    other.bytes[0] ^= 0x80;
    CHECK_EQ_INT(ls_secret_open(&other, "row:1", sealed.data, sealed.len, &plain, &err),
                 LS_ERR_FORMAT);
    ls_error_clear(&err);
    CHECK_EQ_INT(ls_secret_open(&key, "row:1", sealed.data, 5, &plain, &err), LS_ERR_FORMAT);
    ls_buf_cleanup(&sealed);
    ls_buf_cleanup(&plain);
}

TEST(key_file_created_private_and_reloaded)
{
    char path[512];
    snprintf(path, sizeof path, "%s/secret.key", testing_tmpdir());
    ls_error err = {0};
    ls_secret_key a, b;
    CHECK_OK(ls_secret_key_load_or_create(path, &a, &err), &err);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_OK(ls_secret_key_load_or_create(path, &b, &err), &err);
    CHECK_EQ_MEM(a.bytes, b.bytes, sizeof a.bytes);

    CHECK(chmod(path, 0644) == 0);
    CHECK_EQ_INT(ls_secret_key_load_or_create(path, &b, &err), LS_ERR_PERMISSION);
}

TEST(key_file_malformed_refused)
{
    char path[512];
    snprintf(path, sizeof path, "%s/secret.key", testing_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("not hex at all\n", f);
    fclose(f);
    CHECK(chmod(path, 0600) == 0);
    ls_error err = {0};
    ls_secret_key key;
    CHECK_EQ_INT(ls_secret_key_load_or_create(path, &key, &err), LS_ERR_FORMAT);
}

TEST(tokens_are_random_and_hashed)
{
    char a[LS_SECRET_TOKEN_MAX], b[LS_SECRET_TOKEN_MAX];
    ls_error err = {0};
    CHECK_OK(ls_secret_token_new("lst_", a, sizeof a, &err), &err);
    CHECK_OK(ls_secret_token_new("lst_", b, sizeof b, &err), &err);
    CHECK_EQ_INT(strlen(a), 4 + 43);
    CHECK(strncmp(a, "lst_", 4) == 0);
    CHECK(strcmp(a, b) != 0);
    for (const char *p = a + 4; *p; p++)
        CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    char small[10];
    CHECK_EQ_INT(ls_secret_token_new("lst_", small, sizeof small, &err), LS_ERR_INTERNAL);

    char hash[LS_SECRET_HASH_HEX];
    ls_secret_hash("abc", hash);
    CHECK_EQ_STR(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(random_hex)
{
    char out[33];
    ls_error err = {0};
    CHECK_OK(ls_secret_random_hex(16, out, sizeof out, &err), &err);
    CHECK_EQ_INT(strlen(out), 32);
    CHECK_EQ_INT(ls_secret_random_hex(16, out, 32, &err), LS_ERR_INTERNAL);
}
