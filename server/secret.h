/*
 * Secrets at rest and bearer tokens (OpenSSL; the only module that uses it
 * for these).
 *
 * Sealing: AES-256-GCM with a fresh 96-bit random nonce per value. A sealed
 * value is  version byte (1) | nonce (12) | ciphertext | tag (16).  The
 * caller passes associated data naming where the value lives (for example
 * "data_source:<id>:password"), so a sealed value copied into another row does
 * not open. The key lives in <data dir>/secret.key, 64 hex characters, mode
 * 0600, created on first start. Losing the key loses the stored secrets, not
 * the rest of the state.
 *
 * Tokens: random 256-bit values written "<prefix>" + 43 base64url characters;
 * only their SHA-256 (hex) is stored.
 *
 * Nothing here logs; callers must never log plaintexts or tokens either.
 */
#ifndef LAKESYNC_SECRET_H
#define LAKESYNC_SECRET_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define LS_SECRET_KEY_BYTES 32
#define LS_SECRET_SEAL_OVERHEAD (1 + 12 + 16)
#define LS_SECRET_HASH_HEX 65 /* 64 hex digits and a NUL */
#define LS_SECRET_TOKEN_MAX 96

typedef struct ls_secret_key {
    unsigned char bytes[LS_SECRET_KEY_BYTES];
} ls_secret_key;

/* Reads the key file at path, or creates it (mode 0600, exclusive) with a
 * random key when it does not exist. LS_ERR_FORMAT when the file is not 64 hex
 * characters; LS_ERR_IO on system errors. */
ls_code ls_secret_key_load_or_create(const char *path, ls_secret_key *out,
                                     ls_error *err) LS_MUST_USE;

/* Overwrites the key in memory. */
void ls_secret_key_wipe(ls_secret_key *key);

/* Encrypts len bytes of plain, appending the sealed value to out. */
ls_code ls_secret_seal(const ls_secret_key *key, const char *aad, const void *plain, size_t len,
                       ls_buf *out, ls_error *err) LS_MUST_USE;

/* Decrypts a sealed value, appending the plaintext to out. LS_ERR_FORMAT when
 * the value is malformed, was sealed with another key or other aad, or was
 * tampered with. */
ls_code ls_secret_open(const ls_secret_key *key, const char *aad, const void *sealed, size_t len,
                       ls_buf *out, ls_error *err) LS_MUST_USE;

/* Writes prefix followed by a random 256-bit token in base64url into out. */
ls_code ls_secret_token_new(const char *prefix, char *out, size_t out_size,
                            ls_error *err) LS_MUST_USE;

/* Writes the SHA-256 of text as 64 lower-case hex digits and a NUL. */
void ls_secret_hash(const char *text, char out[LS_SECRET_HASH_HEX]);

/* Writes 2 * nbytes random hex digits and a NUL into out (out_size >
 * 2 * nbytes); for identifiers and etags. */
ls_code ls_secret_random_hex(size_t nbytes, char *out, size_t out_size, ls_error *err) LS_MUST_USE;

#endif
