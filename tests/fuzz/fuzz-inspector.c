/* fuzz-inspector: a whole inspector (audit records written to /dev/null) fed a session of
 * lines from both sides, as the relay feeds it, once under the built-in default policy and
 * once under a fixture that adds every kind of mcp rule (tools, scopes, path, command and URL
 * arguments, methods, limits: fixtures/policies/inspector.json). Each input line
 * starts with a byte saying where it comes from: 'H' the host, 'S' the server, 'O'/'o' the
 * head of an oversize line from the host/server, 'T' a minute passes (timers); any other
 * byte: odd = server, even = host.
 *
 * Checked after every line (threats.md §4):
 *  - everything mcpcage writes itself is whole, valid JSON-RPC lines;
 *  - a forwarded line is one the strict reader accepts;
 *  - ids: a request is forwarded only under an id not already in flight that way, and a
 *    response only for a request forwarded the other way and still open (no spoofed or
 *    repeated answers), modelled here with a set per direction;
 *  - a request from the host is never dropped silently: forwarded, or answered;
 *  - at the end, drain answers exactly the host requests still open. */
#include "fuzz.h"
#include "inspect/guards/redact.h"
#include "inspect/inspector.h"
#include "inspect/jsonrpc.h"
#include "util/log.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

static struct policy *policies[2];
static struct audit *audit;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        const char *tmp = fuzz_tempdir("inspector");
        struct policy_env env = {
                .home = fuzz_path(tmp, "home"), .user = strdup("fuzz"), .uid = strdup("1000"),
                .cwd = fuzz_path(tmp, "home"), .tmpdir = strdup(tmp),
                .xdg_config_home = fuzz_path(tmp, "home/.config"),
                .xdg_state_home = fuzz_path(tmp, "home/.local/state"),
                .xdg_cache_home = fuzz_path(tmp, "home/.cache"),
                .xdg_runtime_dir = fuzz_path(tmp, "run"),
        };
        struct mc_error err = { 0 };
        FUZZ_CHECK(policy_load(NULL, &env, &policies[0], &err) == 0, "the built-in policy: %s", err.msg);
        char *rules = fuzz_fixture("policies/inspector.json");
        FUZZ_CHECK(policy_load(rules, &env, &policies[1], &err) == 0, "%s: %s", rules, err.msg);
        free(rules);
        policy_env_clear(&env);
        /* Every input builds a whole inspector; the compiled redaction anchors come from the
         * cache after the first, as in a real session, so the time goes to the inputs. */
        char *cache = fuzz_path(tmp, "home/.cache/mcpcage/hyperscan");
        redactor_cache_dir(cache);
        free(cache);
        struct audit_config ac = { .file = "/dev/null", .server = "fuzz" };
        FUZZ_CHECK(audit_open(&audit, &ac, &err) == 0, "audit_open: %s", err.msg);
        log_set_level(LOG_QUIET);
        return 0;
}

/* ---- the id model: the keys of requests forwarded one way and not yet answered ---- */

#define MODEL_MAX 8192

struct idset {
        char *key[MODEL_MAX];
        size_t len[MODEL_MAX];
        size_t n;
};

static struct idset open_host, open_server; /* host requests at the server; and back */

/* The key of an id token, made without the code under test: jansson decodes strings; an
 * integer is its digits (-0 is 0). NULL for a null or absent id. */
static char *id_key(const char *tok, size_t tlen, size_t *klen)
{
        if (!tlen || tok[0] == 'n')
                return NULL;
        char *k;
        if (tok[0] == '"') {
                json_t *s = json_loadb(tok, tlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
                FUZZ_CHECK(json_is_string(s), "an id token jansson cannot read as a string");
                *klen = json_string_length(s) + 2;
                k = malloc(*klen);
                FUZZ_CHECK(k, "out of memory");
                memcpy(k, "s:", 2);
                memcpy(k + 2, json_string_value(s), *klen - 2);
                json_decref(s);
                return k;
        }
        if (tlen == 2 && !memcmp(tok, "-0", 2))
                tok++, tlen--;
        *klen = tlen + 2;
        k = malloc(*klen);
        FUZZ_CHECK(k, "out of memory");
        memcpy(k, "i:", 2);
        memcpy(k + 2, tok, tlen);
        return k;
}

static ssize_t idset_find(const struct idset *s, const char *k, size_t kl)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->len[i] == kl && !memcmp(s->key[i], k, kl))
                        return (ssize_t)i;
        return -1;
}

static bool idset_take(struct idset *s, const char *k, size_t kl)
{
        ssize_t i = k ? idset_find(s, k, kl) : -1;
        if (i < 0)
                return false;
        free(s->key[i]);
        s->n--;
        s->key[i] = s->key[s->n];
        s->len[i] = s->len[s->n];
        return true;
}

static void idset_clear(struct idset *s)
{
        while (s->n)
                free(s->key[--s->n]);
}

/* ---- checks ---- */

static char *msg_key(const struct jsonrpc_msg *m, struct span id, size_t *kl)
{
        return id_key(m->buf + id.off, id.len, kl);
}

/* Every line mcpcage wrote must be a valid message. Its responses are counted and, when
 * answered is given (timeouts, drain), close the requests they answer. An answer to a line
 * (a duplicate id, an oversize head) closes nothing: the request first sent under that id
 * is still at the peer. */
static void check_lines(const struct buf *b, struct idset *answered, size_t *responses)
{
        size_t i = 0;
        while (b && i < b->len) {
                const char *nl = memchr(b->data + i, '\n', b->len - i);
                FUZZ_CHECK(nl, "a line written without its newline");
                size_t len = (size_t)(nl - (b->data + i));
                struct jsonrpc_msg m;
                struct jsonrpc_fault f;
                FUZZ_CHECK(jsonrpc_parse(b->data + i, len, &m, &f) == 0,
                           "mcpcage wrote a line it cannot read (%s): %.*s", f.reason, (int)len, b->data + i);
                json_t *j = json_loadb(b->data + i, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL |
                                       JSON_DECODE_INT_AS_REAL, NULL);
                FUZZ_CHECK(json_is_object(j), "mcpcage wrote a line jansson cannot read");
                json_decref(j);
                if (m.kind == MSG_RESULT || m.kind == MSG_ERROR) {
                        size_t kl;
                        char *k = msg_key(&m, m.id, &kl);
                        if (answered)
                                idset_take(answered, k, kl);
                        free(k);
                        if (responses)
                                (*responses)++;
                }
                jsonrpc_msg_clear(&m);
                i += len + 1;
        }
}

static void model_forward(bool from_host, const struct jsonrpc_msg *m)
{
        struct idset *mine = from_host ? &open_host : &open_server;     /* its requests */
        struct idset *theirs = from_host ? &open_server : &open_host;   /* what it may answer */
        size_t kl = 0;
        char *k;
        switch (m->kind) {
        case MSG_REQUEST:
                k = msg_key(m, m->id, &kl);
                FUZZ_CHECK(k && idset_find(mine, k, kl) < 0, "a request forwarded under an id in flight");
                FUZZ_CHECK(mine->n < MODEL_MAX, "model full");
                mine->key[mine->n] = k;
                mine->len[mine->n++] = kl;
                break;
        case MSG_NOTIFICATION:
                if (!strcmp(m->method, "notifications/cancelled") && m->p_request_id.len) {
                        k = msg_key(m, m->p_request_id, &kl);
                        idset_take(mine, k, kl);
                        free(k);
                }
                break;
        case MSG_RESULT:
        case MSG_ERROR:
                k = msg_key(m, m->id, &kl);
                FUZZ_CHECK(idset_take(theirs, k, kl), "a response forwarded for no open request from the %s",
                           from_host ? "server" : "host");
                free(k);
                break;
        default:
                FUZZ_CHECK(false, "kind %d", m->kind);
        }
}

static bool blank(const char *line, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                        return false;
        return true;
}

/* Lines mcpcage queues to the peer in place of (or besides) the original: a rewritten
 * request or response, a cancellation. They obey the same id rules as forwarded lines.
 * Returns how many requests it held. */
static size_t model_to_peer(bool from_host, const struct buf *b)
{
        size_t i = 0, requests = 0;
        while (b && i < b->len) {
                const char *nl = memchr(b->data + i, '\n', b->len - i);
                size_t len = (size_t)(nl - (b->data + i));
                struct jsonrpc_msg m;
                struct jsonrpc_fault f;
                if (jsonrpc_parse(b->data + i, len, &m, &f) == 0) { /* check_lines vouched for it */
                        model_forward(from_host, &m);
                        requests += m.kind == MSG_REQUEST;
                        jsonrpc_msg_clear(&m);
                }
                i += len + 1;
        }
        return requests;
}

static void check_verdict(bool from_host, const char *line, size_t len, const struct verdict *v)
{
        size_t answers = 0;
        check_lines(v->to_sender, NULL, &answers);
        check_lines(v->to_peer, NULL, NULL);

        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        int r = jsonrpc_parse(line, len, &m, &f);
        if (v->forward) {
                FUZZ_CHECK(r == 0, "forwarded a line the reader refuses (%s)", f.reason);
                model_forward(from_host, &m);
        }
        size_t rewritten = model_to_peer(from_host, v->to_peer);
        if (from_host && r == 0 && m.kind == MSG_REQUEST)
                FUZZ_CHECK(v->forward || rewritten || answers,
                           "a request from the host was neither forwarded nor answered");
        if (from_host && r < 0 && !blank(line, len))
                FUZZ_CHECK(answers, "a malformed line from the host was not answered (%s)", f.reason);
        if (r == 0)
                jsonrpc_msg_clear(&m);
}

/* ---- the session ---- */

static void run_line(struct inspector *ins, uint8_t op, const char *line, size_t len, uint64_t *clock)
{
        struct verdict v;
        *clock += 5000000;
        switch (op) {
        case 'O':
        case 'o':
                inspect_oversize(ins, op == 'O', line, len < 4096 ? len : 4096, *clock, &v);
                FUZZ_CHECK(!v.forward, "an oversize line forwarded");
                check_lines(v.to_sender, NULL, NULL);
                /* an oversize answer from the server still ends the host request it names:
                 * the host gets an error for it instead */
                check_lines(v.to_peer, op == 'o' ? &open_host : NULL, NULL);
                return;
        case 'T':
                *clock += 60ULL * 1000000000ULL;
                inspector_tick(ins, *clock, &v);
                FUZZ_CHECK(!v.forward, "a tick forwarded a line");
                check_lines(v.to_sender, &open_host, NULL);   /* timed-out host requests */
                check_lines(v.to_peer, NULL, NULL);
                model_to_peer(true, v.to_peer);               /* their cancellations */
                return;
        default: {
                bool from_host = op == 'H' || (op != 'S' && !(op & 1));
                if (from_host)
                        inspect_from_host(ins, line, len, *clock, &v);
                else
                        inspect_from_server(ins, line, len, *clock, &v);
                check_verdict(from_host, line, len, &v);
        }
        }
}

static void run_session(const struct policy *policy, const uint8_t *data, size_t size)
{
        struct inspector *ins;
        struct mc_error err = { 0 };
        FUZZ_CHECK(inspector_new(&ins, policy, audit, &err) == 0, "inspector_new (%s): %s", policy->name,
                   err.msg);
        FUZZ_CHECK(inspector_set_server(ins, &(struct inspector_server){ .name = "fuzz" }, &err) == 0,
                   "inspector_set_server (%s): %s", policy->name, err.msg);
        uint64_t clock = 1000000000ULL;
        const char *p = (const char *)data, *end = p + size;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *stop = nl ? nl : end;
                if (stop > p)
                        run_line(ins, (uint8_t)p[0], p + 1, (size_t)(stop - p - 1), &clock);
                p = stop + 1;
        }

        struct buf out = { 0 };
        size_t answers = 0, open = open_host.n;
        inspector_drain(ins, NULL, clock, &out);
        check_lines(&out, &open_host, &answers);
        FUZZ_CHECK(answers == open && open_host.n == 0,
                   "drain answered %zu lines for %zu open host requests (%zu left)", answers, open,
                   open_host.n);
        buf_free(&out);
        inspector_free(ins);
        idset_clear(&open_host);
        idset_clear(&open_server);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
                run_session(policies[i], data, size);
        return 0;
}
