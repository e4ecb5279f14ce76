/* Redaction of one JSON-RPC message: every string value below a scope, through the
 * rewriter of jsonstr.h, so escapes cannot hide a token and a clean message is forwarded
 * as the server wrote it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "inspect/guards/jsonstr.h"
#include "inspect/guards/redact.h"

/* With the whole message in scope, the envelope (jsonrpc, id, method) is never rewritten:
 * a redacted id would no longer answer its request (the redact fuzzer's find). */
static bool is_envelope(const struct jsonstr_iter *it, struct buf *path)
{
        buf_reset(path);
        if (jsonstr_path(it, path) < 0)
                return false;
        static const char *const names[] = { "/jsonrpc", "/id", "/method" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (path->len == strlen(names[i]) && !memcmp(path->data, names[i], path->len))
                        return true;
        return false;
}

int redact_message(struct redactor *r, struct redact_sel sel, const char *msg, size_t len,
                   const char *scope, struct buf *out, unsigned *counts, struct mc_error *err)
{
        if (redact_sel_empty(sel))
                return 0;
        struct jsonstr_iter it;
        int rc = jsonstr_begin(&it, msg, len, scope, out, err);
        struct buf scratch = { 0 };
        const char *text;
        size_t n;
        while (rc >= 0 && (rc = jsonstr_next(&it, &text, &n, err)) > 0) {
                if (!scope[0] && is_envelope(&it, &scratch))
                        continue;
                buf_reset(&scratch);
                rc = redact_string(r, sel, text, n, &scratch, counts);
                if (rc > 0)
                        rc = jsonstr_replace(&it, scratch.data, scratch.len);
        }
        if (rc >= 0)
                rc = jsonstr_finish(&it);
        else if (rc == -EIO)
                mc_error_set(err, EIO, "redaction: a pattern failed to run on %s (refusing "
                             "to forward what could not be checked)", scope[0] ? scope : "the message");
        else if (rc == -ENOMEM || rc == -EINVAL)
                mc_error_set(err, -rc, "redaction of %s: %s", scope[0] ? scope : "the message",
                             rc == -ENOMEM ? "out of memory" : "malformed string escape");
        buf_free(&scratch);
        jsonstr_end(&it);
        return rc;
}
