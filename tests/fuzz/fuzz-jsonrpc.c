/* fuzz-jsonrpc: the JSON-RPC reader on one line, as the inspector calls it for every line
 * from either side, checked against jansson (threats.md §4: no parser differential may
 * hide a call). A line mcpcage accepts must be one jansson (JSON_REJECT_DUPLICATES) reads
 * too, with the same members: the method, the id and the spans a rule will parse must be
 * exactly what the server's parser sees. The scanner may be stricter than jansson (depth 64,
 * one-pass UTF-8 rules); it must never be laxer. The documented exceptions: "\u0000" in
 * strings (read with JSON_ALLOW_NUL; names holding it are refused later) and numbers
 * outside jansson's range (big integer ids pass losslessly; jansson cannot hold them).
 *
 * A refused line must come with a code, a printable reason and, when an id was recovered,
 * a valid id token, because the answer to the host is built from exactly those: the answer
 * must itself parse. */
#include "fuzz.h"
#include "inspect/jsonbuild.h"
#include "inspect/jsonrpc.h"
#include "util/buf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define JFLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* jansson's reading, or NULL when it refuses only for a number it cannot hold. Once a
 * line needed JSON_DECODE_INT_AS_REAL, its member spans are read the same way. */
static int extra_flags;

static json_t *jansson_read(const uint8_t *data, size_t size, int flags)
{
        json_error_t e;
        json_t *v = json_loadb((const char *)data, size, flags | extra_flags, &e);
        if (v)
                return v;
        if (json_error_code(&e) == json_error_numeric_overflow) {
                extra_flags = JSON_DECODE_INT_AS_REAL;
                v = json_loadb((const char *)data, size, flags | extra_flags, &e);
                if (v || json_error_code(&e) == json_error_numeric_overflow)
                        return v;
        }
        FUZZ_CHECK(false, "mcpcage accepted a line jansson refuses: %s (%s at byte %d)", e.text,
                   e.source, e.position);
        return NULL;
}

/* A member span must hold exactly the value jansson has under that key. */
static void same_member(const uint8_t *data, struct span s, json_t *obj, const char *key)
{
        json_t *want = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        FUZZ_CHECK(!s.len == !want, "member \"%s\": span %zu bytes, jansson %s", key, s.len,
                   want ? "has it" : "has none");
        if (!want)
                return;
        json_t *got = jansson_read(data + s.off, s.len, JFLAGS | JSON_DECODE_ANY);
        if (got) /* NULL: a number beyond jansson, compared as text by the id check below */
                FUZZ_CHECK(json_equal(got, want), "member \"%s\": span holds another value", key);
        json_decref(got);
}

static void check_id_token(const char *tok, size_t len, enum id_type type)
{
        char *key = NULL;
        size_t key_len;
        switch (type) {
        case ID_NULL:
                FUZZ_CHECK(len == 4 && !memcmp(tok, "null", 4), "null id span is not `null`");
                break;
        case ID_STRING:
        case ID_INT:
                FUZZ_CHECK(jsonrpc_id_key(tok, len, &key, &key_len) == 0, "id token is not valid");
                FUZZ_CHECK(key[0] == (type == ID_STRING ? 's' : 'i'), "id key of the wrong type");
                free(key);
                break;
        case ID_NONE:
        default:
                break;
        }
}

/* The answer mcpcage would send: it must be one line jansson and mcpcage both read. */
static void check_answer(const char *id, size_t id_len, int code, const char *reason)
{
        struct buf b = { 0 };
        FUZZ_CHECK(jsonrpc_append_error(&b, id, id_len, code, reason, NULL) == 0,
                   "no answer could be built for reason \"%s\"", reason);
        FUZZ_CHECK(b.len > 1 && b.data[b.len - 1] == '\n' && !memchr(b.data, '\n', b.len - 1),
                   "the answer is not one line");
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        FUZZ_CHECK(jsonrpc_parse(b.data, b.len - 1, &m, &f) == 0 && m.kind == MSG_ERROR,
                   "mcpcage cannot read its own answer: %s", f.reason);
        FUZZ_CHECK(!id || (m.id.len == id_len && !memcmp(b.data + m.id.off, id, id_len)),
                   "the answer's id is not the request's token");
        jsonrpc_msg_clear(&m);
        json_decref(jansson_read((const uint8_t *)b.data, b.len - 1, JFLAGS));
        buf_free(&b);
}

static void check_accepted(const uint8_t *data, size_t size, const struct jsonrpc_msg *m)
{
        json_t *root = jansson_read(data, size, JFLAGS);
        if (!root)
                return;
        FUZZ_CHECK(json_is_object(root), "accepted a line that is not an object");
        json_t *method = json_object_get(root, "method");
        FUZZ_CHECK(!m->method == !method, "method present for one reader only");
        if (method)
                FUZZ_CHECK(json_is_string(method) && !strcmp(json_string_value(method), m->method) &&
                           json_string_length(method) == strlen(m->method), "method differs");
        FUZZ_CHECK(json_is_string(json_object_get(root, "jsonrpc")) &&
                   !strcmp(json_string_value(json_object_get(root, "jsonrpc")), "2.0"),
                   "accepted without \"jsonrpc\":\"2.0\"");
        struct span id = m->id;
        FUZZ_CHECK(!id.len == !json_object_get(root, "id"), "id present for one reader only");
        same_member(data, m->id, root, "id");
        same_member(data, m->params, root, "params");
        same_member(data, m->result, root, "result");
        same_member(data, m->error, root, "error");
        json_t *params = json_object_get(root, "params");
        same_member(data, m->p_name, params, "name");
        same_member(data, m->p_arguments, params, "arguments");
        same_member(data, m->p_uri, params, "uri");
        same_member(data, m->meta, params, "_meta");
        same_member(data, m->p_request_id, params, "requestId");
        json_t *result = json_object_get(root, "result");
        same_member(data, m->result_type, result, "resultType");
        FUZZ_CHECK(m->result_is_error == json_is_true(json_is_object(result) ?
                                                      json_object_get(result, "isError") : NULL),
                   "isError differs");
        json_decref(root);

        check_id_token((const char *)data + id.off, id.len, m->id_type);
        if (m->id_key) {
                char *key;
                size_t key_len;
                FUZZ_CHECK(jsonrpc_id_key((const char *)data + id.off, id.len, &key, &key_len) == 0 &&
                           key_len == m->id_key_len && !memcmp(key, m->id_key, key_len),
                           "id key differs from jsonrpc_id_key of the token");
                free(key);
        }
        bool has_id = m->id_type == ID_STRING || m->id_type == ID_INT;
        check_answer(has_id ? (const char *)data + id.off : NULL, has_id ? id.len : 0,
                     JSONRPC_INVALID_REQUEST, "denied");
}

static void check_refused(const uint8_t *data, size_t size, const struct jsonrpc_fault *f)
{
        FUZZ_CHECK(f->code == JSONRPC_PARSE_ERROR || f->code == JSONRPC_INVALID_REQUEST,
                   "fault code %d", f->code);
        size_t rl = strnlen(f->reason, sizeof(f->reason));
        FUZZ_CHECK(rl > 0 && rl < sizeof(f->reason), "fault without a reason");
        for (size_t i = 0; i < rl; i++) /* it is logged and audited: structure, never content */
                FUZZ_CHECK(f->reason[i] >= 0x20 && f->reason[i] < 0x7f,
                           "non-printable byte 0x%02x in the reason \"%s\"", (unsigned char)f->reason[i],
                           f->reason);
        const char *id = NULL;
        if (f->id_type != ID_NONE) {
                FUZZ_CHECK(f->id_type != ID_NULL, "a null id recovered for a refused line");
                FUZZ_CHECK(f->id.len && f->id.off + f->id.len <= size, "recovered id out of bounds");
                id = (const char *)data + f->id.off;
                check_id_token(id, f->id.len, f->id_type);
        }
        check_answer(id, id ? f->id.len : 0, f->code, f->reason);
}

/* The arguments of a call are turned into a jansson value by json_build_validated(), not
 * by json_loadb: on an accepted line both must give the same value (as its dump: types,
 * member order and reals to the last bit), or both refuse, in both number modes. */
static void same_build(const uint8_t *data, size_t size)
{
        for (int real = 0; real < 2; real++) {
                size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | (real ? JSON_DECODE_INT_AS_REAL : 0);
                json_t *want = json_loadb((const char *)data, size, flags, NULL);
                json_t *got = json_build_validated((const char *)data, size, real);
                const size_t dump = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
                char *w = want ? json_dumps(want, dump) : NULL;
                char *g = got ? json_dumps(got, dump) : NULL;
                FUZZ_CHECK((!w && !g) || (w && g && strcmp(w, g) == 0),
                           "built value differs from jansson's (int_as_real %d): %s vs %s", real,
                           g ? g : "(refused)", w ? w : "(refused)");
                free(w), free(g);
                json_decref(want), json_decref(got);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        extra_flags = 0;
        int r = jsonrpc_parse((const char *)data, size, &m, &f);
        FUZZ_CHECK(r == 0 || r == -EBADMSG, "jsonrpc_parse returned %d", r);
        if (r == 0) {
                FUZZ_CHECK(m.kind <= MSG_ERROR, "kind %d", m.kind);
                FUZZ_CHECK((m.kind == MSG_REQUEST || m.kind == MSG_NOTIFICATION) == !!m.method,
                           "a method for a response or none for a request");
                FUZZ_CHECK((m.kind == MSG_NOTIFICATION) == (m.id_type == ID_NONE),
                           "kind %d with id type %d", m.kind, m.id_type);
                check_accepted(data, size, &m);
                same_build(data, size);
                jsonrpc_msg_clear(&m);
        } else {
                check_refused(data, size, &f);
        }

        enum id_type t;
        struct span s;
        if (jsonrpc_recover_id((const char *)data, size, &t, &s)) {
                FUZZ_CHECK(s.len && s.off + s.len <= size, "recovered id out of bounds");
                check_id_token((const char *)data + s.off, s.len, t);
        }
        return 0;
}
