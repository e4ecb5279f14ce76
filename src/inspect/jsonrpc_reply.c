/* Lines mcpcage writes itself (errors and results under a request's id). jansson writes the
 * parts mcpcage made up; the id goes in as the raw token the peer sent, byte for byte, so a
 * big integer or an escaped string id comes back exactly as it left. */
#include "inspect/jsonrpc.h"
#include "util/buf.h"
#include "util/cleanup.h"

#include <errno.h>

static int dump_to_buf(const char *p, size_t n, void *data)
{
        return buf_append(data, p, n) < 0 ? -1 : 0;
}

static int append_line(struct buf *out, const char *id_raw, size_t id_len, const char *member,
                       json_t *value)
{
        size_t mark = out->len;
        int r = buf_append_str(out, "{\"jsonrpc\":\"2.0\",\"id\":");
        if (r >= 0)
                r = id_raw ? buf_append(out, id_raw, id_len) : buf_append_str(out, "null");
        if (r >= 0)
                r = buf_printf(out, ",\"%s\":", member);
        if (r >= 0 && json_dump_callback(value, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = buf_append_str(out, "}\n");
        if (r < 0)
                out->len = mark; /* never leave half a line queued */
        return r;
}

int jsonrpc_append_error(struct buf *out, const char *id_raw, size_t id_len, int code,
                         const char *message, json_t *data)
{
        _cleanup_json_ json_t *err = json_object();
        json_t *msg = json_string(message);
        if (!err || !msg) {
                json_decref(msg);
                /* json_string() refuses invalid UTF-8: a caller bug, never peer bytes */
                return err ? -EINVAL : -ENOMEM;
        }
        if (json_object_set_new(err, "code", json_integer(code)) < 0 ||
            json_object_set_new(err, "message", msg) < 0 ||
            (data && json_object_set(err, "data", data) < 0))
                return -ENOMEM;
        return append_line(out, id_raw, id_len, "error", err);
}

int jsonrpc_append_result(struct buf *out, const char *id_raw, size_t id_len, json_t *result)
{
        if (!result)
                return -EINVAL;
        return append_line(out, id_raw, id_len, "result", result);
}

int jsonrpc_append_request(struct buf *out, const char *id_raw, size_t id_len, const char *method,
                           json_t *params)
{
        _cleanup_json_ json_t *m = json_string(method);
        if (!m || !params)
                return -EINVAL;
        size_t mark = out->len;
        int r = buf_append_str(out, "{\"jsonrpc\":\"2.0\",\"id\":");
        if (r >= 0)
                r = buf_append(out, id_raw, id_len);
        if (r >= 0)
                r = buf_append_str(out, ",\"method\":");
        if (r >= 0 && json_dump_callback(m, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = buf_append_str(out, ",\"params\":");
        if (r >= 0 && json_dump_callback(params, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = buf_append_str(out, "}\n");
        if (r < 0)
                out->len = mark;
        return r;
}
