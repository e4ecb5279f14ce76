/* fuzz-redact: redaction of one message the reader accepted (threats.md §3), with the
 * redactor compiled from fixtures/policies/redact.json (every catalogue, a custom pattern,
 * allow entries) and one env.from_file secret. A rewritten message is forwarded in place of
 * the original, so it must be a message the reader accepts, with the same kind, id and
 * method, every key and every value outside the scope unchanged, and every changed string
 * carrying a "[REDACTED:" marker; with the results selection the env secret survives in no
 * string under the scope.
 *
 * Every string the rewriter hands out must also be what the scalar decoder (jsonstr_decode)
 * reads from its token: the rewriter decodes 32 bytes a step with AVX2 where it can.
 *
 * Input: byte 0 bits 0-1 pick the scope ("", /result, /params/arguments, /error), bit 2 the
 * arguments selection instead of results; the rest is the message line. */
#include "fuzz.h"
#include "inspect/guards/jsonstr.h"
#include "inspect/guards/redact.h"
#include "inspect/jsonrpc.h"
#include "policy/policy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ENV_SECRET "fuzz-env-secret-0123456789"

static struct redactor *redactor;
static const char *const scopes[4] = { "", "/result", "/params/arguments", "/error" };

/* The harness owns the redactor for the whole run: freed at exit, so memcheck's leak
 * check (meson test --setup valgrind) sees every block released, Hyperscan's scratch among
 * them (it keeps only an interior pointer to that block, which reads as "possibly lost"). */
static void free_redactor(void)
{
        redactor_free(redactor);
        redactor = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        const char *tmp = fuzz_tempdir("redact");
        struct policy_env env = {
                .home = fuzz_path(tmp, "home"), .user = strdup("fuzz"), .uid = strdup("1000"),
                .cwd = fuzz_path(tmp, "home"), .tmpdir = strdup(tmp),
                .xdg_config_home = fuzz_path(tmp, "home/.config"),
                .xdg_state_home = fuzz_path(tmp, "home/.local/state"),
                .xdg_cache_home = fuzz_path(tmp, "home/.cache"),
                .xdg_runtime_dir = fuzz_path(tmp, "run"),
        };
        struct policy *p = NULL;
        struct mc_error err = { 0 };
        char *path = fuzz_fixture("policies/redact.json");
        FUZZ_CHECK(policy_load(path, &env, &p, &err) == 0, "%s: %s", path, err.msg);
        free(path);
        policy_env_clear(&env);
        static const char *const secrets[] = { ENV_SECRET, NULL };
        FUZZ_CHECK(redactor_new(p->root, secrets, &redactor, &err) == 0, "redactor_new: %s", err.msg);
        atexit(free_redactor);
        policy_free(p);
        return 0;
}

static json_t *read_json(const char *s, size_t n)
{
        int flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
        json_t *v = json_loadb(s, n, flags, NULL);
        return v ? v : json_loadb(s, n, flags | JSON_DECODE_INT_AS_REAL, NULL);
}

static bool has_secret(const char *s, size_t n)
{
        return memmem(s, n, ENV_SECRET, strlen(ENV_SECRET)) != NULL;
}

/* Same shape and keys; strings may differ only by redaction inside the scope. */
static void same_shape(json_t *a, json_t *b, bool in_scope, bool results, const char *where)
{
        FUZZ_CHECK(json_typeof(a) == json_typeof(b), "type changed at %s", where);
        const char *k;
        json_t *v;
        size_t i;
        switch (json_typeof(a)) {
        case JSON_OBJECT:
                FUZZ_CHECK(json_object_size(a) == json_object_size(b), "keys changed at %s", where);
                json_object_foreach(a, k, v) {
                        json_t *w = json_object_get(b, k);
                        FUZZ_CHECK(w, "key \"%s\" lost at %s", k, where);
                        same_shape(v, w, in_scope, results, where);
                }
                break;
        case JSON_ARRAY:
                FUZZ_CHECK(json_array_size(a) == json_array_size(b), "array length changed at %s", where);
                json_array_foreach(a, i, v)
                        same_shape(v, json_array_get(b, i), in_scope, results, where);
                break;
        case JSON_STRING:
                if (!in_scope) {
                        FUZZ_CHECK(json_equal(a, b), "a string outside the scope %s changed", where);
                        break;
                }
                if (!json_equal(a, b))
                        FUZZ_CHECK(memmem(json_string_value(b), json_string_length(b), "[REDACTED:", 10),
                                   "a string under %s changed without a marker", where);
                FUZZ_CHECK(!results || !has_secret(json_string_value(b), json_string_length(b)),
                           "the env secret survived under %s", where);
                break;
        default:
                FUZZ_CHECK(json_equal(a, b), "a scalar changed at %s", where);
        }
}

/* The scope's member replaced by null, so what lies outside it can be compared. */
static void blank_scope(json_t *root, const char *scope)
{
        const char *last = strrchr(scope, '/');
        char *up = strndup(scope, (size_t)(last - scope));
        FUZZ_CHECK(up, "out of memory");
        json_t *parent = up[0] ? json_pointer_get(root, up) : root;
        free(up);
        if (json_is_object(parent))
                json_object_set_new(parent, last + 1, json_null());
}

static void compare(json_t *before, json_t *after, const char *scope, bool results)
{
        json_t *sb = scope[0] ? json_pointer_get(before, scope) : before;
        json_t *sa = scope[0] ? json_pointer_get(after, scope) : after;
        FUZZ_CHECK(!sb == !sa, "the scope %s appeared or vanished", scope);
        if (sb && !scope[0] && json_is_object(sb)) {
                /* the whole message: the envelope must come back untouched (a redacted id
                 * would no longer answer its request), the rest is held to the scope rules */
                json_t *b2 = json_deep_copy(sb), *a2 = json_deep_copy(sa);
                FUZZ_CHECK(b2 && a2, "out of memory");
                static const char *const envelope[] = { "jsonrpc", "id", "method" };
                for (size_t i = 0; i < sizeof(envelope) / sizeof(envelope[0]); i++) {
                        json_t *x = json_object_get(b2, envelope[i]), *y = json_object_get(a2, envelope[i]);
                        FUZZ_CHECK(!x == !y && (!x || json_equal(x, y)), "the envelope member %s changed",
                                   envelope[i]);
                        json_object_del(b2, envelope[i]);
                        json_object_del(a2, envelope[i]);
                }
                same_shape(b2, a2, true, results, scope);
                json_decref(b2);
                json_decref(a2);
                return;
        }
        if (sb)
                same_shape(sb, sa, true, results, scope);
        if (!scope[0])
                return;
        json_t *b2 = json_deep_copy(before), *a2 = json_deep_copy(after);
        FUZZ_CHECK(b2 && a2, "out of memory");
        blank_scope(b2, scope);
        blank_scope(a2, scope);
        same_shape(b2, a2, false, results, "outside the scope");
        json_decref(b2);
        json_decref(a2);
}

static void decoders_agree(const char *msg, size_t len)
{
        struct jsonstr_iter it;
        struct buf out = { 0 }, ref = { 0 };
        struct mc_error err = { 0 };
        const char *text;
        size_t n;
        int rc = jsonstr_begin(&it, msg, len, "", &out, &err);
        while (rc >= 0 && (rc = jsonstr_next(&it, &text, &n, &err)) > 0) {
                buf_reset(&ref);
                FUZZ_CHECK(jsonstr_decode(msg + it.str_start + 1, it.str_end - it.str_start - 2, &ref) == 0,
                           "the string at byte %zu is refused by jsonstr_decode", it.str_start);
                FUZZ_CHECK(ref.len == n && !memcmp(ref.data, text, n),
                           "the walk decodes the string at byte %zu otherwise than jsonstr_decode", it.str_start);
        }
        jsonstr_end(&it);
        buf_free(&out);
        buf_free(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        const char *scope = scopes[data[0] & 3];
        bool results = !(data[0] & 4);
        const char *msg = (const char *)data + 1;
        size_t len = size - 1;
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        if (jsonrpc_parse(msg, len, &m, &f) < 0) /* only messages the reader accepted */
                return 0;
        decoders_agree(msg, len);
        json_t *before = read_json(msg, len);

        struct buf out = { 0 };
        struct mc_error err = { 0 };
        struct redact_sel sel = results ? redactor_results(redactor) : redactor_arguments(redactor);
        int r = redact_message(redactor, sel, msg, len, scope, &out, NULL, &err);
        FUZZ_CHECK(r == 0 || r == 1 || err.msg[0], "redact_message failed (%d) without a message", r);
        if (r == 0) {
                FUZZ_CHECK(out.len == 0, "nothing redacted but output written");
                if (before && results) { /* the env secret would have been redacted */
                        json_t *copy = json_deep_copy(before);
                        compare(before, copy, scope, true);
                        json_decref(copy);
                }
        } else if (r == 1) {
                struct jsonrpc_msg m2;
                FUZZ_CHECK(jsonrpc_parse(out.data, out.len, &m2, &f) == 0,
                           "the rewritten message is refused by the reader: %s", f.reason);
                FUZZ_CHECK(m2.kind == m.kind && m2.id.len == m.id.len &&
                           !memcmp(out.data + m2.id.off, msg + m.id.off, m.id.len) &&
                           !m2.method == !m.method && (!m.method || !strcmp(m.method, m2.method)),
                           "the rewritten message has another kind, id or method");
                jsonrpc_msg_clear(&m2);
                json_t *after = read_json(out.data, out.len);
                FUZZ_CHECK(!before == !after, "jansson reads only one of the two messages");
                if (before)
                        compare(before, after, scope, results);
                json_decref(after);
        }
        json_decref(before);
        buf_free(&out);
        jsonrpc_msg_clear(&m);
        return 0;
}
