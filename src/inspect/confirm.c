/* Confirmation by elicitation (confirm.h): the pending questions, the two eras' ways of
 * asking, and what the answer does to the call. */
#include "inspect/confirm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "inspect/guards/pin.h"
#include "util/cleanup.h"
#include "util/hex.h"
#include "util/log.h"

#define ID_PREFIX "mcpcage-confirm-"
#define STATE_PREFIX "mcpcage-confirm."
#define INPUT_KEY "mcpcage_confirm"
#define REMEMBERED 16
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"

struct pending {
        bool used;
        char token[64];         /* legacy: our request id's text; modern: our requestState */
        char *call_key;         /* legacy: the held call's in-flight key */
        size_t call_key_len;
        char *line;             /* legacy: the held call's bytes */
        size_t line_len;
        char *tool;             /* modern: what was asked about */
        char args_hash[PIN_HEX];
        uint64_t deadline_ns;
};

struct confirm_table {
        struct pending p[CONFIRM_MAX_PENDING];
        char states[REMEMBERED][PIN_HEX]; /* hashes of server requestStates of confirmed calls */
        size_t next_state;
};

int confirm_table_new(struct confirm_table **out)
{
        *out = calloc(1, sizeof(**out));
        return *out ? 0 : -ENOMEM;
}

static void pending_clear(struct pending *p)
{
        free(p->call_key);
        free(p->line);
        free(p->tool);
        *p = (struct pending){ 0 };
}

void confirm_table_free(struct confirm_table *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < CONFIRM_MAX_PENDING; i++)
                pending_clear(&t->p[i]);
        free(t);
}

uint64_t confirm_next_deadline(const struct confirm_table *t)
{
        uint64_t next = 0;
        for (size_t i = 0; t && i < CONFIRM_MAX_PENDING; i++)
                if (t->p[i].used && (!next || t->p[i].deadline_ns < next))
                        next = t->p[i].deadline_ns;
        return next;
}

static struct pending *pending_new(struct confirm_table *t, const char *prefix)
{
        unsigned char rnd[16];
        for (size_t i = 0; i < CONFIRM_MAX_PENDING; i++) {
                struct pending *p = &t->p[i];
                if (p->used)
                        continue;
                /* 128 bits from the kernel's CSPRNG; getrandom(2) does not return short for
                 * 256 bytes or fewer once the pool is initialised, and waits until it is. */
                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return NULL;
                size_t n = strlen(prefix);
                if (n + 2 * sizeof(rnd) >= sizeof(p->token))
                        return NULL;
                memcpy(p->token, prefix, n);
                hex_encode(p->token + n, rnd, sizeof(rnd));
                p->used = true;
                return p;
        }
        return NULL;
}

static struct pending *pending_find(struct confirm_table *t, const char *token)
{
        for (size_t i = 0; token && i < CONFIRM_MAX_PENDING; i++)
                if (t->p[i].used && !strcmp(t->p[i].token, token))
                        return &t->p[i];
        return NULL;
}

static uint64_t timeout_ns(const struct inspector *ins)
{
        return ins->rules.call_timeout_ns ? ins->rules.call_timeout_ns : CONFIRM_DEFAULT_TIMEOUT_NS;
}

/* What the user is asked: which server, which tool, the arguments as the audit log would
 * show them (secret-named values hashed, long strings cut). */
static json_t *elicitation_params(struct inspector *ins, const struct jsonrpc_msg *m, const char *tool)
{
        _cleanup_json_ json_t *args = m->p_arguments.len
                ? sanitize_arguments(m->buf + m->p_arguments.off, m->p_arguments.len, ARGS_SANITIZED, NULL)
                : NULL;
        _cleanup_free_ char *text = args ? json_dumps(args, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        char msg[1400];
        snprintf(msg, sizeof(msg), "mcpcage: the server \"%.100s\" wants to run the tool \"%.100s\" "
                 "with the arguments %.1000s%s. Allow this call?", ins->server_name ? ins->server_name : "?",
                 tool, text ? text : "{}", text && strlen(text) > 1000 ? "…" : "");
        return json_pack("{s:s, s:{s:s, s:{s:{s:s, s:s, s:s, s:b}}, s:[s]}}", "message", msg,
                         "requestedSchema", "type", "object", "properties", "approve", "type", "boolean",
                         "title", "Allow this call", "description",
                         "Run this tool call (mcpcage asks because the policy says confirm: true)",
                         "default", 0, "required", "approve");
}

static void refuse(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                   const struct tool_rule *t, const char *kind, const char *why, uint64_t now_ns,
                   struct verdict *v)
{
        struct rule_decision d;
        char at[RULE_POINTER_MAX];
        rule_format(at, sizeof(at), "%s/confirm", t->pointer);
        rule_deny(&d, at, "%s", why);
        refuse_request(ins, m, e, 0, kind, &d, 0, now_ns, v);
}

/* The user's answer in an ElicitResult: only "accept" with approve true lets the call go. */
static bool accepted(json_t *answer, const char **why)
{
        const char *action = json_string_value(json_object_get(answer, "action"));
        *why = "the user declined the call";
        if (action && !strcmp(action, "cancel"))
                *why = "the user cancelled the confirmation";
        if (!action || strcmp(action, "accept"))
                return false;
        return json_is_true(json_object_get(json_object_get(answer, "content"), "approve"));
}

static bool has_elicitation_meta(const struct jsonrpc_msg *m)
{
        _cleanup_json_ json_t *meta = json_loadb(m->buf + m->meta.off, m->meta.len, JSON_DECODE_ANY, NULL);
        return json_object_get(json_object_get(meta, META_CAPS), "elicitation") != NULL;
}

static int args_hash(json_t *params, char hex[PIN_HEX])
{
        json_t *a = json_object_get(params, "arguments");
        _cleanup_json_ json_t *none = a ? NULL : json_object();
        return pin_hash_json(a ? a : none, hex);
}

static bool state_remembered(struct confirm_table *t, const char *state)
{
        char hex[PIN_HEX];
        _cleanup_json_ json_t *s = json_string(state);
        if (!s || pin_hash_json(s, hex) < 0)
                return false;
        for (size_t i = 0; i < REMEMBERED; i++)
                if (!strcmp(t->states[i], hex))
                        return true;
        return false;
}

/* 2026-07-28: ask in a result, or recognise the retry that carries the answer. */
static enum confirm_outcome confirm_modern(struct inspector *ins, const struct jsonrpc_msg *m,
                                           struct inflight *e, const struct tool_rule *t, uint64_t now_ns,
                                           struct verdict *v, bool *rewritten)
{
        _cleanup_json_ json_t *params = json_loadb(m->buf + m->params.off, m->params.len,
                                                   JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        const char *state = json_string_value(json_object_get(params, "requestState"));
        char hex[PIN_HEX];
        if (!params || args_hash(params, hex) < 0) {
                refuse(ins, m, e, t, "tool_denied", "the call cannot be read to ask for confirmation", now_ns, v);
                return CONFIRM_ANSWERED;
        }
        if (state && state_remembered(ins->confirm, state))
                return CONFIRM_FORWARD; /* the server's own follow-up of a confirmed call */
        struct pending *p = state && !strncmp(state, STATE_PREFIX, strlen(STATE_PREFIX))
                ? pending_find(ins->confirm, state) : NULL;
        if (p) {
                const char *why;
                json_t *answer = json_object_get(json_object_get(params, "inputResponses"), INPUT_KEY);
                bool same = !strcmp(p->tool, e->tool ? e->tool : "") && !strcmp(p->args_hash, hex);
                bool late = now_ns > p->deadline_ns;
                pending_clear(p);
                if (!same || late) {
                        refuse(ins, m, e, t, "confirm_declined", !same ? "the confirmed call and this one differ "
                               "(tool or arguments changed after the user was asked)"
                               : "the confirmation came too late", now_ns, v);
                        return CONFIRM_ANSWERED;
                }
                if (!accepted(answer, &why)) {
                        refuse(ins, m, e, t, "confirm_declined", why, now_ns, v);
                        return CONFIRM_ANSWERED;
                }
                /* the server never sees mcpcage's own question and answer */
                json_object_del(params, "requestState");
                json_t *responses = json_object_get(params, "inputResponses");
                json_object_del(responses, INPUT_KEY);
                if (responses && !json_object_size(responses))
                        json_object_del(params, "inputResponses");
                if (jsonrpc_append_request(v->to_peer, e->id_raw, e->id_len, e->method, params) < 0) {
                        refuse(ins, m, e, t, "tool_denied", "out of memory", now_ns, v);
                        return CONFIRM_ANSWERED;
                }
                e->flags |= INFLIGHT_CONFIRMED;
                *rewritten = true;
                return CONFIRM_FORWARD;
        }
        if (!has_elicitation_meta(m)) {
                refuse(ins, m, e, t, "tool_denied", "this tool needs the user's confirmation and the host "
                       "did not declare the elicitation capability", now_ns, v);
                return CONFIRM_ANSWERED;
        }
        p = pending_new(ins->confirm, STATE_PREFIX);
        _cleanup_json_ json_t *ask = elicitation_params(ins, m, e->tool ? e->tool : "");
        _cleanup_json_ json_t *res = p && ask
                ? json_pack("{s:s, s:{s:{s:s, s:O}}, s:s}", "resultType", "input_required", "inputRequests",
                            INPUT_KEY, "method", "elicitation/create", "params", ask, "requestState", p->token)
                : NULL;
        if (p && res) {
                p->tool = strdup(e->tool ? e->tool : "");
                memcpy(p->args_hash, hex, sizeof(hex));
                p->deadline_ns = now_ns + timeout_ns(ins);
        }
        if (!res || !p->tool || jsonrpc_append_result(v->to_sender, e->id_raw, e->id_len, res) < 0) {
                if (p)
                        pending_clear(p);
                refuse(ins, m, e, t, "tool_denied", "too many confirmations are waiting", now_ns, v);
                return CONFIRM_ANSWERED;
        }
        return CONFIRM_ANSWERED;
}

/* Legacy era: hold the call, ask the host under an id of mcpcage's own. */
static enum confirm_outcome confirm_legacy(struct inspector *ins, const struct jsonrpc_msg *m,
                                           struct inflight *e, const struct tool_rule *t, uint64_t now_ns,
                                           struct verdict *v)
{
        if (!ins->host_elicitation) {
                refuse(ins, m, e, t, "tool_denied", "this tool needs the user's confirmation and the host "
                       "did not declare the elicitation capability", now_ns, v);
                return CONFIRM_ANSWERED;
        }
        struct pending *p = pending_new(ins->confirm, ID_PREFIX);
        _cleanup_json_ json_t *ask = elicitation_params(ins, m, e->tool ? e->tool : "");
        char id[80];
        if (p) {
                snprintf(id, sizeof(id), "\"%s\"", p->token);
                p->call_key = malloc(e->key_len + 1);
        }
        if (!p || !ask || !p->call_key ||
            jsonrpc_append_request(v->to_sender, id, strlen(id), "elicitation/create", ask) < 0) {
                if (p)
                        pending_clear(p);
                refuse(ins, m, e, t, "tool_denied", "too many confirmations are waiting", now_ns, v);
                return CONFIRM_ANSWERED;
        }
        memcpy(p->call_key, e->key, e->key_len);
        p->call_key_len = e->key_len;
        p->deadline_ns = now_ns + timeout_ns(ins);
        e->flags |= INFLIGHT_HELD;
        return CONFIRM_HELD;
}

enum confirm_outcome confirm_call(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                                  const struct tool_rule *t, uint64_t now_ns, struct verdict *v,
                                  bool *rewritten)
{
        bool modern = m->meta.len && memmem(m->buf + m->meta.off, m->meta.len, "2026-07-28", 10);
        return modern ? confirm_modern(ins, m, e, t, now_ns, v, rewritten)
                      : confirm_legacy(ins, m, e, t, now_ns, v);
}

int confirm_hold(struct inspector *ins, const struct inflight *e, const char *line, size_t len)
{
        for (size_t i = 0; i < CONFIRM_MAX_PENDING; i++) {
                struct pending *p = &ins->confirm->p[i];
                if (!p->used || !p->call_key || p->call_key_len != e->key_len ||
                    memcmp(p->call_key, e->key, e->key_len))
                        continue;
                free(p->line);
                p->line = malloc(len + 1);
                if (!p->line) {
                        pending_clear(p);
                        return -ENOMEM;
                }
                memcpy(p->line, line, len);
                p->line[len] = '\n';
                p->line_len = len + 1;
                return 0;
        }
        return -ENOENT;
}

/* The held call's end: forwarded, or refused under its own id. */
static void settle(struct inspector *ins, struct pending *p, bool accept, const char *why, uint64_t now_ns,
                   struct verdict *v)
{
        struct inflight *e = idtable_find(ins->host.inflight, p->call_key, p->call_key_len);
        if (!e || !(e->flags & INFLIGHT_HELD)) {
                pending_clear(p); /* cancelled or drained meanwhile */
                return;
        }
        if (accept) {
                if (buf_append(v->to_peer, p->line, p->line_len) == 0) {
                        e->flags = (e->flags & ~INFLIGHT_HELD) | INFLIGHT_FORWARDED | INFLIGHT_CONFIRMED;
                        if (ins->rules.call_timeout_ns)
                                deadline_link(&ins->deadlines, e, now_ns + ins->rules.call_timeout_ns);
                        pending_clear(p);
                        return;
                }
                why = "out of memory";
        }
        e = idtable_remove(ins->host.inflight, p->call_key, p->call_key_len);
        const struct tool_rule *t = tool_rules_lookup(ins->rules.tools, e->tool ? e->tool : "",
                                                      strlen(e->tool ? e->tool : ""));
        struct rule_decision d;
        char at[RULE_POINTER_MAX];
        rule_format(at, sizeof(at), "%s/confirm", t ? t->pointer : "/mcp/tools");
        rule_deny(&d, at, "%s", why);
        size_t mark = v->to_sender->len;
        if (append_refusal(v->to_sender, e, 0, &d, 0, false) < 0)
                answer_error(v->to_sender, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: denied");
        deny_entry(ins, e, &d);
        record_call(ins, e, "denied", v->to_sender->len - mark, now_ns);
        struct span id = { 0, e->id_len };
        record_security(ins, "confirm_declined", "warning", why, e->id_raw, id, e->tool);
        idring_add(&ins->host.answered, e->key, e->key_len);
        inflight_free(e);
        pending_clear(p);
}

bool confirm_host_response(struct inspector *ins, const struct jsonrpc_msg *m, uint64_t now_ns,
                           struct verdict *v)
{
        if (!m->id_key || m->id_type != ID_STRING || strncmp(m->id_key, "s:" ID_PREFIX, strlen("s:" ID_PREFIX)))
                return false;
        struct pending *p = pending_find(ins->confirm, m->id_key + 2);
        if (!p)
                return false;
        const char *why = "the host could not ask the user (elicitation failed)";
        bool ok = false;
        if (m->kind == MSG_RESULT) {
                _cleanup_json_ json_t *res = json_loadb(m->buf + m->result.off, m->result.len,
                                                        JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
                ok = accepted(res, &why);
        }
        settle(ins, p, ok, why, now_ns, v);
        return true;
}

void confirm_tick(struct inspector *ins, uint64_t now_ns, struct verdict *v)
{
        for (size_t i = 0; i < CONFIRM_MAX_PENDING; i++) {
                struct pending *p = &ins->confirm->p[i];
                if (!p->used || p->deadline_ns > now_ns)
                        continue;
                if (!p->call_key) {
                        pending_clear(p); /* modern: the retry never came; nothing is held */
                        continue;
                }
                if (buf_printf(v->to_sender, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                               "\"params\":{\"requestId\":\"%s\",\"reason\":\"mcpcage: no answer in time\"}}\n",
                               p->token) < 0)
                        log_error("inspector: out of memory cancelling a confirmation");
                settle(ins, p, false, "the user did not answer the confirmation in time", now_ns, v);
        }
}

void confirm_remember_state(struct inspector *ins, const struct inflight *e, json_t *result)
{
        json_t *state = json_object_get(result, "requestState");
        char hex[PIN_HEX];
        if (!(e->flags & INFLIGHT_CONFIRMED) || !json_is_string(state) || pin_hash_json(state, hex) < 0)
                return;
        struct confirm_table *t = ins->confirm;
        memcpy(t->states[t->next_state], hex, sizeof(hex));
        t->next_state = (t->next_state + 1) % REMEMBERED;
}

void confirm_note_initialize(struct inspector *ins, const struct jsonrpc_msg *m)
{
        _cleanup_json_ json_t *params = json_loadb(m->buf + m->params.off, m->params.len,
                                                   JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        ins->host_elicitation = json_object_get(json_object_get(params, "capabilities"), "elicitation") != NULL;
}
