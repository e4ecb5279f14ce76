/* JSON-RPC 2.0 classification on top of the validating scan (jsonscan.c): which kind of
 * message a line is, where its members are, and its id as a key compared by JSON value.
 * Nothing here re-serialises a message: what passes is forwarded as the original bytes. */
#include "inspect/jsonrpc.h"
#include "inspect/jsonscan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_JSONRPC, T_ID, T_METHOD, T_PARAMS, T_RESULT, T_ERROR, T_N };
enum { P_META, P_NAME, P_ARGUMENTS, P_URI, P_REQUEST_ID, P_INPUT_RESPONSES, P_N };
enum { R_IS_ERROR, R_RESULT_TYPE, R_N };
enum { E_CODE, E_MESSAGE, E_N };

static const char *const top_names[T_N] = { "jsonrpc", "id", "method", "params", "result", "error" };
static const char *const params_names[P_N] = { "_meta", "name", "arguments", "uri", "requestId",
                                                "inputResponses" };
static const char *const result_names[R_N] = { "isError", "resultType" };
static const char *const error_names[E_N] = { "code", "message" };

struct members {
        struct jv root, top[T_N], params[P_N], result[R_N], error[E_N];
};

static struct span span_of(const struct jv *v)
{
        return v->type == JV_NONE ? (struct span){ 0 } : (struct span){ v->off, v->len };
}

static bool is_integer_token(const char *t, size_t len)
{
        size_t i = t[0] == '-' ? 1 : 0;
        if (i >= len || t[i] < '0' || t[i] > '9' || (t[i] == '0' && len - i > 1))
                return false;
        for (; i < len; i++)
                if (t[i] < '0' || t[i] > '9')
                        return false;
        return true;
}

int jsonrpc_id_key(const char *tok, size_t len, char **key, size_t *key_len)
{
        if (len && tok[0] == '"') {
                struct jv v;
                size_t end;
                if (!json_scan_string_at(tok, len, 0, &v, &end) || end != len)
                        return -EINVAL;
                char *k = malloc(v.declen + 3);
                if (!k)
                        return -ENOMEM;
                k[0] = 's';
                k[1] = ':';
                json_str_decode(tok + 1, len - 2, k + 2);
                k[v.declen + 2] = '\0';
                *key = k;
                *key_len = v.declen + 2;
                return 0;
        }
        if (!len || !is_integer_token(tok, len))
                return -EINVAL;
        /* -0 and 0 are one JSON value */
        if (len == 2 && tok[0] == '-' && tok[1] == '0')
                tok++, len--;
        char *k = malloc(len + 3);
        if (!k)
                return -ENOMEM;
        memcpy(k, "i:", 2);
        memcpy(k + 2, tok, len);
        k[len + 2] = '\0';
        *key = k;
        *key_len = len + 2;
        return 0;
}

__attribute__((format(printf, 4, 5)))
static int invalid(struct jsonrpc_fault *f, const char *buf, const struct jv *id, const char *fmt, ...)
{
        va_list ap;
        f->code = JSONRPC_INVALID_REQUEST;
        va_start(ap, fmt);
        vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
        va_end(ap);
        (void)buf;
        if (id && (id->type == JV_STRING || id->type == JV_INT)) {
                f->id_type = id->type == JV_STRING ? ID_STRING : ID_INT;
                f->id = span_of(id);
        }
        return -EBADMSG;
}

static int check_error_object(struct jsonrpc_fault *f, const char *buf, const struct members *mb)
{
        const struct jv *id = &mb->top[T_ID];
        if (mb->top[T_ERROR].type != JV_OBJECT)
                return invalid(f, buf, id, "\"error\" must be an object");
        if (mb->error[E_CODE].type != JV_INT)
                return invalid(f, buf, id, "\"error.code\" must be an integer");
        if (mb->error[E_MESSAGE].type != JV_STRING)
                return invalid(f, buf, id, "\"error.message\" must be a string");
        return 0;
}

/* Which of the four message kinds, or -EBADMSG with a -32600 fault. */
static int classify(const char *buf, const struct members *mb, enum msg_kind *kind,
                    struct jsonrpc_fault *f)
{
        const struct jv *t = mb->top, *id = &mb->top[T_ID];

        if (mb->root.type == JV_ARRAY)
                return invalid(f, buf, NULL, "batches are not supported");
        if (mb->root.type != JV_OBJECT)
                return invalid(f, buf, NULL, "a message must be a JSON object");
        if (!json_str_is(buf, &t[T_JSONRPC], "2.0"))
                return invalid(f, buf, id, "\"jsonrpc\" must be \"2.0\"");
        if (id->type != JV_NONE && id->type != JV_STRING && id->type != JV_INT && id->type != JV_NULL)
                return invalid(f, buf, NULL, "\"id\" must be a string, an integer or null");

        if (t[T_METHOD].type != JV_NONE) {
                if (t[T_METHOD].type != JV_STRING)
                        return invalid(f, buf, id, "\"method\" must be a string");
                /* a NUL would end the name for a C comparison but not for the server */
                if (t[T_METHOD].nul)
                        return invalid(f, buf, id, "\"method\" contains U+0000");
                if (t[T_RESULT].type != JV_NONE || t[T_ERROR].type != JV_NONE)
                        return invalid(f, buf, id, "a message cannot be a request and a response");
                if (t[T_PARAMS].type != JV_NONE && t[T_PARAMS].type != JV_OBJECT &&
                    t[T_PARAMS].type != JV_ARRAY)
                        return invalid(f, buf, id, "\"params\" must be an object or an array");
                if (id->type == JV_NULL)
                        return invalid(f, buf, NULL, "a request id must not be null");
                *kind = id->type == JV_NONE ? MSG_NOTIFICATION : MSG_REQUEST;
                return 0;
        }
        if (t[T_RESULT].type != JV_NONE && t[T_ERROR].type != JV_NONE)
                return invalid(f, buf, id, "a response cannot have both \"result\" and \"error\"");
        if (t[T_RESULT].type == JV_NONE && t[T_ERROR].type == JV_NONE)
                return invalid(f, buf, id, "neither \"method\", \"result\" nor \"error\"");
        if (id->type == JV_NONE)
                return invalid(f, buf, NULL, "a response needs an \"id\"");
        if (t[T_RESULT].type != JV_NONE) {
                if (id->type == JV_NULL)
                        return invalid(f, buf, NULL, "a result response id must not be null");
                *kind = MSG_RESULT;
                return 0;
        }
        int r = check_error_object(f, buf, mb);
        if (r < 0)
                return r;
        *kind = MSG_ERROR;
        return 0;
}

static int fill_msg(struct jsonrpc_msg *m, const struct members *mb)
{
        const struct jv *t = mb->top;
        const struct jv *id = &t[T_ID];
        m->id_type = id->type == JV_STRING ? ID_STRING : id->type == JV_INT ? ID_INT :
                     id->type == JV_NULL ? ID_NULL : ID_NONE;
        m->id = span_of(id);
        if (m->id_type == ID_STRING || m->id_type == ID_INT) {
                int r = jsonrpc_id_key(m->buf + id->off, id->len, &m->id_key, &m->id_key_len);
                if (r < 0)
                        return r;
        }
        if (t[T_METHOD].type == JV_STRING) {
                const struct jv *mv = &t[T_METHOD];
                m->method = malloc(mv->declen + 1);
                if (!m->method)
                        return -ENOMEM;
                json_str_decode(m->buf + mv->off + 1, mv->len - 2, m->method);
                m->method[mv->declen] = '\0';
        }
        m->params = span_of(&t[T_PARAMS]);
        m->result = span_of(&t[T_RESULT]);
        m->error = span_of(&t[T_ERROR]);
        m->meta = span_of(&mb->params[P_META]);
        m->p_name = span_of(&mb->params[P_NAME]);
        m->p_arguments = span_of(&mb->params[P_ARGUMENTS]);
        m->p_uri = span_of(&mb->params[P_URI]);
        m->p_request_id = span_of(&mb->params[P_REQUEST_ID]);
        m->p_input_responses = span_of(&mb->params[P_INPUT_RESPONSES]);
        m->result_type = span_of(&mb->result[R_RESULT_TYPE]);
        m->result_is_error = mb->result[R_IS_ERROR].type == JV_TRUE;
        return 0;
}

static void set_fault_id(struct jsonrpc_fault *f, const char *buf, size_t len, const struct members *mb,
                         bool ambiguous)
{
        const struct jv *id = &mb->top[T_ID];
        if (ambiguous)
                return;
        if (id->type == JV_STRING || id->type == JV_INT) {
                f->id_type = id->type == JV_STRING ? ID_STRING : ID_INT;
                f->id = span_of(id);
                return;
        }
        enum id_type t;
        struct span s;
        if (jsonrpc_recover_id(buf, len, &t, &s) && t != ID_NULL) {
                f->id_type = t;
                f->id = s;
        }
}

int jsonrpc_parse(const char *buf, size_t len, struct jsonrpc_msg *m, struct jsonrpc_fault *f)
{
        struct members mb;
        struct jscan_fault sf;
        memset(&mb, 0, sizeof(mb));
        struct jwatch wp = { P_N, params_names, mb.params, NULL };
        struct jwatch wr = { R_N, result_names, mb.result, NULL };
        struct jwatch we = { E_N, error_names, mb.error, NULL };
        struct jwatch *children[T_N] = { NULL, NULL, NULL, &wp, &wr, &we };
        struct jwatch wt = { T_N, top_names, mb.top, children };

        memset(m, 0, sizeof(*m));
        m->buf = buf;
        m->len = len;
        f->code = 0;
        f->reason[0] = '\0';
        f->id_type = ID_NONE;
        f->id = (struct span){ 0 };

        int r = json_scan(buf, len, &wt, &mb.root, &sf);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                f->code = sf.code;
                memcpy(f->reason, sf.reason, sizeof(f->reason));
                set_fault_id(f, buf, len, &mb, sf.dup_top_id);
                return -EBADMSG;
        }
        if (mb.root.type != JV_OBJECT) {
                /* children are recorded for the top-level object only */
                memset(mb.top, 0, sizeof(mb.top));
        }
        r = classify(buf, &mb, &m->kind, f);
        if (r < 0)
                return r;
        r = fill_msg(m, &mb);
        if (r < 0) {
                jsonrpc_msg_clear(m);
                return r;
        }
        return 0;
}

void jsonrpc_msg_clear(struct jsonrpc_msg *m)
{
        free(m->id_key);
        free(m->method);
        m->id_key = m->method = NULL;
        m->id_key_len = 0;
}
