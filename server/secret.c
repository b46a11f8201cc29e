#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_VERSION 1
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define KEY_HEX_LEN (2 * LS_SECRET_KEY_BYTES)
#define TOKEN_RANDOM_BYTES 32

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static ls_code key_read(int fd, const char *path, ls_secret_key *out, ls_error *err)
{
    char text[KEY_HEX_LEN + 2];
    ssize_t n = read(fd, text, sizeof text);
    if (n < 0)
        return ls_error_set(err, LS_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    size_t len = (size_t)n;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    ls_code rc = LS_OK;
    if (len != KEY_HEX_LEN) {
        rc = ls_error_set(err, LS_ERR_FORMAT, "%s must hold %d hex digits", path, KEY_HEX_LEN);
        goto out;
    }
    for (size_t i = 0; i < LS_SECRET_KEY_BYTES; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            rc = ls_error_set(err, LS_ERR_FORMAT, "%s must hold %d hex digits", path, KEY_HEX_LEN);
            goto out;
        }
        out->bytes[i] = (unsigned char)(hi << 4 | lo);
    }
out:
    OPENSSL_cleanse(text, sizeof text);
    return rc;
}

static ls_code key_create(const char *path, ls_secret_key *out, ls_error *err)
{
    char text[KEY_HEX_LEN + 1];
    if (RAND_bytes(out->bytes, LS_SECRET_KEY_BYTES) != 1)
        return ls_error_set(err, LS_ERR_INTERNAL, "the system random generator failed");
    for (size_t i = 0; i < LS_SECRET_KEY_BYTES; i++) {
        text[2 * i] = hex_digits[out->bytes[i] >> 4];
        text[2 * i + 1] = hex_digits[out->bytes[i] & 15];
    }
    text[KEY_HEX_LEN] = '\n';
    ls_code rc = LS_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = ls_error_set(err, LS_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if (write(fd, text, sizeof text) != (ssize_t)sizeof text || fsync(fd) != 0) {
        rc = ls_error_set(err, LS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        goto out;
    }
    close(fd);
out:
    OPENSSL_cleanse(text, sizeof text);
    return rc;
}

ls_code ls_secret_key_load_or_create(const char *path, ls_secret_key *out, ls_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return key_create(path, out, err);
    if (fd < 0)
        return ls_error_set(err, LS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    ls_code rc = LS_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ls_error_set(err, LS_ERR_IO, "%s is not a regular file", path);
        goto out;
    }
    /* A key readable by others is a leak already; refusing makes it visible. */
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        rc = ls_error_set(err, LS_ERR_PERMISSION,
                          "%s is accessible by group or others; chmod 600 it", path);
        goto out;
    }
    rc = key_read(fd, path, out, err);
out:
    close(fd);
    return rc;
}

void ls_secret_key_wipe(ls_secret_key *key)
{
    OPENSSL_cleanse(key->bytes, sizeof key->bytes);
}

/* Runs AES-256-GCM in either direction over in, writing to out (same
 * length). tag is written when encrypting and checked when decrypting. */
static ls_code gcm_run(const ls_secret_key *key, int encrypt, const unsigned char *nonce,
                       const char *aad, const unsigned char *in, size_t len, unsigned char *out,
                       unsigned char *tag, ls_error *err)
{
    ls_code rc = LS_OK;
    int n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return ls_error_set(err, LS_ERR_NOMEM, "out of memory in the cipher");
    if (len > (size_t)INT32_MAX ||
        EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, nonce, encrypt) != 1 ||
        EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
        EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1) {
        rc = ls_error_set(err, LS_ERR_INTERNAL, "the cipher failed");
        goto out;
    }
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) != 1) {
        rc = ls_error_set(err, LS_ERR_INTERNAL, "the cipher failed");
        goto out;
    }
    if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1) {
        rc = ls_error_set(err, LS_ERR_FORMAT,
                          "a stored secret does not decrypt (wrong key or tampered value)");
        goto out;
    }
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) != 1)
        rc = ls_error_set(err, LS_ERR_INTERNAL, "the cipher failed");
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

ls_code ls_secret_seal(const ls_secret_key *key, const char *aad, const void *plain, size_t len,
                       ls_buf *out, ls_error *err)
{
    size_t start = out->len;
    ls_code rc = ls_buf_reserve(out, len + LS_SECRET_SEAL_OVERHEAD, err);
    if (rc)
        return rc;
    unsigned char *p = out->data + start;
    p[0] = SEAL_VERSION;
    if (RAND_bytes(p + 1, NONCE_BYTES) != 1)
        return ls_error_set(err, LS_ERR_INTERNAL, "the system random generator failed");
    rc = gcm_run(key, 1, p + 1, aad, plain, len, p + 1 + NONCE_BYTES, p + 1 + NONCE_BYTES + len,
                 err);
    if (rc)
        return rc;
    out->len = start + len + LS_SECRET_SEAL_OVERHEAD;
    out->data[out->len] = 0;
    return LS_OK;
}

ls_code ls_secret_open(const ls_secret_key *key, const char *aad, const void *sealed, size_t len,
                       ls_buf *out, ls_error *err)
{
    const unsigned char *p = sealed;
    if (len < LS_SECRET_SEAL_OVERHEAD || p[0] != SEAL_VERSION)
        return ls_error_set(err, LS_ERR_FORMAT, "a stored secret is malformed");
    size_t plain_len = len - LS_SECRET_SEAL_OVERHEAD;
    size_t start = out->len;
    ls_code rc = ls_buf_reserve(out, plain_len, err);
    if (rc)
        return rc;
    unsigned char tag[TAG_BYTES];
    memcpy(tag, p + 1 + NONCE_BYTES + plain_len, TAG_BYTES);
    rc = gcm_run(key, 0, p + 1, aad, p + 1 + NONCE_BYTES, plain_len, out->data + start, tag, err);
    if (rc) {
        OPENSSL_cleanse(out->data + start, plain_len);
        return rc;
    }
    out->len = start + plain_len;
    out->data[out->len] = 0;
    return LS_OK;
}

ls_code ls_secret_token_new(const char *prefix, char *out, size_t out_size, ls_error *err)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char random[TOKEN_RANDOM_BYTES];
    size_t prefix_len = strlen(prefix);
    /* 256 bits in 6-bit characters: 43 characters. */
    size_t chars = (TOKEN_RANDOM_BYTES * 8 + 5) / 6;
    if (prefix_len + chars + 1 > out_size)
        return ls_error_set(err, LS_ERR_INTERNAL, "token buffer too small");
    if (RAND_bytes(random, sizeof random) != 1)
        return ls_error_set(err, LS_ERR_INTERNAL, "the system random generator failed");
    memcpy(out, prefix, prefix_len);
    for (size_t i = 0; i < chars; i++) {
        size_t bit = i * 6;
        unsigned v = (unsigned)random[bit / 8] << 8;
        if (bit / 8 + 1 < sizeof random)
            v |= random[bit / 8 + 1];
        out[prefix_len + i] = alphabet[(v >> (10 - bit % 8)) & 63];
    }
    out[prefix_len + chars] = '\0';
    OPENSSL_cleanse(random, sizeof random);
    return LS_OK;
}

void ls_secret_hash(const char *text, char out[LS_SECRET_HASH_HEX])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), digest);
    for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex_digits[digest[i] >> 4];
        out[2 * i + 1] = hex_digits[digest[i] & 15];
    }
    out[2 * SHA256_DIGEST_LENGTH] = '\0';
}

ls_code ls_secret_random_hex(size_t nbytes, char *out, size_t out_size, ls_error *err)
{
    unsigned char random[64];
    if (nbytes > sizeof random || out_size <= 2 * nbytes)
        return ls_error_set(err, LS_ERR_INTERNAL, "random hex request too large");
    if (RAND_bytes(random, (int)nbytes) != 1)
        return ls_error_set(err, LS_ERR_INTERNAL, "the system random generator failed");
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex_digits[random[i] >> 4];
        out[2 * i + 1] = hex_digits[random[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return LS_OK;
}
