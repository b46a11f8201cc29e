/* Health and the OpenAPI document. */
#include <string.h>

#include "api_handlers.h"
#include "store_embed.h"

/* api/openapi.yaml, embedded by cmake/modules/40_api.cmake. */
extern const ls_embedded_file ls_embedded_api_docs[];

ls_code api_health_get(ls_api_request *req, ls_error *err)
{
    return api_reply_json(req, 200,
                          json_pack("{s:s,s:s}", "status", "ok", "version", LAKESYNC_VERSION), err);
}

ls_code api_openapi_get(ls_api_request *req, ls_error *err)
{
    const ls_embedded_file *doc = &ls_embedded_api_docs[0];
    ls_buf_reset(&req->response->body);
    ls_code rc = ls_buf_append(&req->response->body, doc->data, doc->len, err);
    if (rc)
        return rc;
    req->response->status = 200;
    req->response->content_type = "application/yaml";
    return LS_OK;
}
