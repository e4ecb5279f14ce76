/* The call record's fields written directly (record_call_members) are byte for byte what
 * the audit log writes for the same fields as a jansson object (record_call_fields), for
 * every shape an id, a name or the sanitised arguments can take; and where only jansson can
 * write a value, the direct path declines (-EAGAIN) instead of writing something else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/inspector-internal.h"
#include "tap.h"

/* The members as the audit log writes them: the compact dump without its braces. */
static char *via_jansson(const struct inflight *e, const char *status, size_t resp, uint64_t ms)
{
        json_t *f = record_call_fields(e, status, resp, ms);
        char *text = f ? json_dumps(f, JSON_COMPACT) : NULL;
        json_decref(f);
        if (!text)
                return NULL;
        size_t n = strlen(text);
        memmove(text, text + 1, n - 2);
        text[n - 2] = '\0';
        return text;
}

static void check(const char *what, const char *id, const char *method, const char *tool, const char *uri,
                  const char *arguments, const char *rule, const char *reason, unsigned flags, bool marks)
{
        struct inflight e = { .id_raw = (char *)id, .id_len = strlen(id), .method = (char *)method,
                              .tool = (char *)tool, .uri = (char *)uri, .rule = (char *)rule,
                              .reason = (char *)reason, .flags = flags, .request_bytes = 97 };
        e.arguments = arguments ? json_loads(arguments, JSON_DECODE_ANY, NULL) : NULL;
        if (marks) {
                e.redactions = json_pack("{s:i,s:i}", "aws_key", 2, "email", 1);
                e.marks = json_pack("[s]", "injection:hidden_unicode");
        }
        struct buf b = { 0 };
        char *want = via_jansson(&e, "ok", 124, 7);
        int r = record_call_members(&b, &e, "ok", 124, 7);
        if (r == 0 && buf_append(&b, "", 1) < 0)
                r = -ENOMEM;
        if (r == 0)
                tap_is_str(b.data, want, what);
        else
                tap_ok(false, "%s: declined (%d)", what, r);
        buf_free(&b);
        free(want);
        json_decref(e.arguments);
        json_decref(e.redactions);
        json_decref(e.marks);
}

int main(void)
{
        check("integer id", "1", "tools/call", "echo", NULL, "{\"text\":\"hi\"}", NULL, NULL, 0, false);
        check("negative id", "-42", "tools/call", "echo", NULL, NULL, "/mcp/tools/allow/0", NULL, 0, false);
        check("-0 prints as 0", "-0", "ping", NULL, NULL, NULL, NULL, NULL, 0, false);
        check("string id", "\"a-1\"", "resources/read", NULL, "file:///tmp/x", NULL, NULL, NULL, 0, false);
        check("string id with escapes", "\"a\\u0041\\n\"", "tools/list", NULL, NULL, NULL, NULL, NULL, 0, false);
        check("id beyond 64 bits", "123456789012345678901234567890", "ping", NULL, NULL, NULL, NULL, NULL, 0,
              false);
        check("real id", "1.5e3", "ping", NULL, NULL, NULL, NULL, NULL, 0, false);
        check("denied, with reason", "7", "tools/call", "rm", NULL, "{\"path\":\"/etc/shadow\",\"n\":[1,true,null]}",
              "/mcp/tools/deny/0", "tool \"rm\" is denied\t(policy)", INFLIGHT_DENIED, false);
        check("UTF-8 and control characters", "8", "tools/call", "\xc3\xa9\xe2\x80\xa8\x01", NULL,
              "{\"t\":\"\\u00e9\\ud83d\\ude00\\u001f/\"}", NULL, NULL, 0, false);
        check("redactions and flags", "9", "tools/call", "fetch", NULL, "{}", NULL, NULL, 0, true);
        check("real argument", "10", "tools/call", "add", NULL, "{\"a\":0.1,\"b\":-2.5e-7}", NULL, NULL, 0, false);

        /* a name that is not UTF-8: jansson refuses it, so the direct path must not write it */
        struct inflight bad = { .id_raw = (char *)"1", .id_len = 1, .method = (char *)"tools/call",
                                .tool = (char *)"\xff\xfe" };
        struct buf b = { 0 };
        tap_ok(record_call_members(&b, &bad, "ok", 0, 0) == -EAGAIN, "a name that is not UTF-8 is declined");
        buf_free(&b);
        return tap_done();
}
