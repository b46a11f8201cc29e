/* Paimon storage over ls_objstore (paimon_objstore.h). */
#include "paimon_objstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ls_code storage_read(void *ctx, const char *path, ls_buf *out, ls_error *err)
{
    return ls_objstore_get(ctx, path, out, err);
}

/* Names directly under dir: the store lists keys by prefix, so deeper keys
 * are skipped. */
static ls_code storage_list(void *ctx, const char *dir, ls_buf *names, ls_error *err)
{
    char prefix[LS_OBJSTORE_KEY_MAX + 2];
    ls_objstore_list_page page = {0};
    char *token = NULL;
    ls_code rc = LS_OK;
    int n = snprintf(prefix, sizeof prefix, "%s/", dir);
    if (n < 0 || (size_t)n >= sizeof prefix)
        return ls_error_set(err, LS_ERR_INVALID, "directory name too long");
    do {
        rc = ls_objstore_list(ctx, prefix, token, &page, err);
        free(token);
        token = NULL;
        for (size_t i = 0; !rc && i < page.count; i++) {
            const char *name = page.entries[i].key + n;
            if (strncmp(page.entries[i].key, prefix, (size_t)n) != 0 || !*name || strchr(name, '/'))
                continue;
            rc = ls_buf_append(names, name, strlen(name) + 1, err);
        }
        if (!rc) {
            token = page.next_token;
            page.next_token = NULL;
        }
    } while (!rc && token);
    free(token);
    ls_objstore_list_page_cleanup(&page);
    return rc;
}

ls_paimon_storage ls_paimon_storage_for_objstore(ls_objstore *store)
{
    return (ls_paimon_storage){.read = storage_read, .list = storage_list, .ctx = store};
}
