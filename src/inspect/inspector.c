/* The inspector's life cycle and the entry points the relay calls. Each line goes through
 * one pipeline (framer -> classify -> decide -> answer/forward); the per-direction steps
 * are in from-host.c and from-server.c, the audit records in records.c. */
#include "inspect/confirm.h"
#include "inspect/inspector-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MESSAGE_BYTES (16u << 20)
/* the MCP SDKs' RequestTimeout */
#define CALL_TIMEOUT_CODE (-32001)

static int read_config(struct inspector *ins, const struct policy *p, struct mc_error *err)
{
        json_t *mode = policy_get(p, "/audit/arguments");
        if (mode && !json_is_null(mode)) {
                if (!json_is_string(mode) || args_mode_parse(json_string_value(mode), &ins->args_mode) < 0)
                        return mc_error_set(err, EINVAL, "policy %s: /audit/arguments: expected \"full\", "
                                            "\"sanitized\", \"shape\" or \"none\"", p->path);
        }
        ins->message_bytes = DEFAULT_MESSAGE_BYTES;
        json_t *mb = policy_get(p, "/mcp/limits/message_bytes");
        if (json_is_integer(mb) && json_integer_value(mb) > 0)
                ins->message_bytes = (uint64_t)json_integer_value(mb);
        else if (json_is_string(mb)) {
                if (policy_parse_size(json_string_value(mb), &ins->message_bytes) < 0 || !ins->message_bytes)
                        return mc_error_set(err, EINVAL, "policy %s: /mcp/limits/message_bytes: not a size",
                                            p->path);
        } else if (mb && !json_is_null(mb))
                return mc_error_set(err, EINVAL, "policy %s: /mcp/limits/message_bytes: not a size", p->path);
        return 0;
}

/* The redactor of the policy and the env.from_file values (compiled once per set). */
static int use_redactor(struct inspector *ins, const char *const *env_secrets, struct mc_error *err)
{
        struct redactor *r;
        int k = redactor_new(ins->policy->root, env_secrets, &r, err);
        if (k < 0)
                return mc_error_prefix(err, "policy %s: mcp.redact", ins->policy->path);
        unsigned *counts = calloc(redactor_n_kinds(r) + 1, sizeof(*counts));
        if (!counts) {
                redactor_free(r);
                return mc_error_set(err, ENOMEM, "inspector: out of memory");
        }
        if (ins->guards.redactor)
                redactor_free(ins->guards.redactor);
        free(ins->guards.counts);
        ins->guards.redactor = r;
        ins->guards.counts = counts;
        return 0;
}

static int open_pin(struct inspector *ins, const struct inspector_server *srv, struct mc_error *err)
{
        char key[PIN_HEX];
        _cleanup_free_ char *dir = pin_dir(srv->state_home);
        if (!dir || pin_key(ins->policy->sha256, srv->exe, srv->argv, key) < 0)
                return mc_error_set(err, ENOMEM, "inspector: out of memory");
        struct pin_origin o = { .dir = dir, .key = key, .server = srv->name,
                                .policy_sha256 = ins->policy->sha256, .exe = srv->exe, .argv = srv->argv };
        pin_session_free(ins->guards.pin);
        ins->guards.pin = NULL;
        int r = pin_session_open(&ins->guards.pin, &o, err);
        if (r < 0)
                return mc_error_prefix(err, "mcp.pin");
        log_debug("inspector: pin %.12s (%s)", key, dir);
        return 0;
}

/* The content guards: the injection patterns and the redaction set, with the server's
 * env.from_file values. They are built here, once the server is launched, so that mcpcage
 * builds them while the server starts: JIT-compiling the patterns and loading the anchor
 * database are most of the inspector's cost. Every policy value they read was checked when
 * the policy was loaded (validate.c); what can fail here is the machine (memory, the JIT). */
static int build_guards(struct inspector *ins, const char *const *env_secrets, struct mc_error *err)
{
        int r = 0;
        if (!ins->guards.built)
                r = guards_init(ins, err);
        if (r >= 0 && (!ins->guards.built || (env_secrets && env_secrets[0])))
                r = use_redactor(ins, env_secrets, err);
        if (r < 0)
                return r;
        ins->guards.built = true;
        return 0;
}

int inspector_set_server(struct inspector *ins, const struct inspector_server *srv, struct mc_error *err)
{
        free(ins->server_name);
        ins->server_name = srv->name ? strdup(srv->name) : NULL;
        int r = build_guards(ins, srv->env_secrets, err);
        if (r < 0)
                return r;
        if (!srv->state_home || !srv->exe || !srv->argv)
                return 0;
        return open_pin(ins, srv, err);
}

int inspector_new(struct inspector **out, const struct policy *p, struct audit *a,
                  struct mc_error *err)
{
        if (!p)
                return mc_error_set(err, EINVAL, "inspector: no policy");
        struct inspector *ins = calloc(1, sizeof(*ins));
        if (!ins)
                return mc_error_set(err, ENOMEM, "inspector: out of memory");
        ins->policy = p;
        ins->audit = a;
        ins->host.name = "host";
        ins->server.name = "server";
        int r = read_config(ins, p, err);
        if (r >= 0)
                r = rules_compile(&ins->rules, p, err);
        if (r >= 0 && confirm_table_new(&ins->confirm) < 0)
                r = mc_error_set(err, ENOMEM, "inspector: out of memory");
        if (r >= 0 && (idtable_new(&ins->host.inflight, IDTABLE_DEFAULT_MAX) < 0 ||
                       idtable_new(&ins->server.inflight, IDTABLE_DEFAULT_MAX) < 0))
                r = mc_error_set(err, ENOMEM, "inspector: out of memory");
        if (r < 0) {
                inspector_free(ins);
                return r;
        }
        *out = ins;
        return 0;
}

static void direction_clear(struct direction *d)
{
        idtable_free(d->inflight);
        idring_clear(&d->answered);
        idring_clear(&d->cancelled);
}

void inspector_free(struct inspector *ins)
{
        if (!ins)
                return;
        direction_clear(&ins->host);
        direction_clear(&ins->server);
        rules_free(&ins->rules);
        guards_free(&ins->guards);
        confirm_table_free(ins->confirm);
        request_arguments_clear(ins);
        free(ins->server_name);
        buf_free(&ins->to_peer);
        buf_free(&ins->to_sender);
        buf_free(&ins->record);
        free(ins);
}

void verdict_begin(struct inspector *ins, struct verdict *v)
{
        /* inspector.h: inspector_set_server comes before the first line. Without the
         * content guards nothing may pass, so a caller that forgot it stops here. */
        if (!ins->guards.built) {
                log_error("inspector: a line before inspector_set_server (the content guards "
                          "are not built)");
                abort();
        }
        buf_reset(&ins->to_peer);
        buf_reset(&ins->to_sender);
        v->forward = false;
        v->to_peer = &ins->to_peer;
        v->to_sender = &ins->to_sender;
}

/* Blank lines (some servers print them between messages) carry no message: nothing to
 * answer, nothing to forward, nothing worth an alert. */
bool line_is_blank(const char *line, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
                        return false;
        return true;
}

void inspect_from_host(struct inspector *ins, const char *line, size_t len, uint64_t now_ns,
                       struct verdict *v)
{
        verdict_begin(ins, v);
        if (!line_is_blank(line, len))
                host_line(ins, line, len, now_ns, v);
}

void inspect_from_server(struct inspector *ins, const char *line, size_t len, uint64_t now_ns,
                         struct verdict *v)
{
        verdict_begin(ins, v);
        if (!line_is_blank(line, len))
                server_line(ins, line, len, now_ns, v);
}

/* The server's answer to a host request was too big to pass: the host still gets an
 * answer under its id (design.md: a refusal is never a silent drop), and a later answer to
 * that id is dropped as already answered. */
static void answer_oversize_response(struct inspector *ins, const char *head, struct span id,
                                     uint64_t now_ns, struct verdict *v)
{
        char *key;
        size_t key_len;
        if (!id.len || jsonrpc_id_key(head + id.off, id.len, &key, &key_len) < 0)
                return;
        struct inflight *e = idtable_find(ins->host.inflight, key, key_len);
        if (e && !(e->flags & INFLIGHT_ANSWERED)) {
                e = idtable_remove(ins->host.inflight, key, key_len);
                char msg[128];
                snprintf(msg, sizeof(msg), "mcpcage: the server's answer exceeds "
                         "mcp.limits.message_bytes (%llu bytes)",
                         (unsigned long long)ins->message_bytes);
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, msg);
                record_call(ins, e, "error", 0, now_ns);
                idring_add(&ins->host.answered, e->key, e->key_len);
                inflight_free(e);
        }
        free(key);
}

void inspect_oversize(struct inspector *ins, bool from_host, const char *head, size_t head_len,
                      uint64_t now_ns, struct verdict *v)
{
        enum id_type t = ID_NONE;
        struct span id = { 0 };
        char detail[128];
        verdict_begin(ins, v);
        if (!jsonrpc_recover_id(head, head_len, &t, &id) || t == ID_NULL)
                id = (struct span){ 0 };
        snprintf(detail, sizeof(detail), "a message from the %s exceeds mcp.limits.message_bytes "
                 "(%llu bytes)", from_host ? "host" : "server", (unsigned long long)ins->message_bytes);
        record_security(ins, "oversize_message", "warning", detail, head, id, NULL);
        if (!from_host) {
                answer_oversize_response(ins, head, id, now_ns, v);
                return;
        }
        char msg[96];
        snprintf(msg, sizeof(msg), "message exceeds mcp.limits.message_bytes (%llu bytes)",
                 (unsigned long long)ins->message_bytes);
        answer_error(v->to_sender, id.len ? head + id.off : NULL, id.len, JSONRPC_INVALID_REQUEST, msg);
        if (!id.len)
                return;
        /* the server never sees it: a later cancel for this id must not reach it either */
        char *key;
        size_t key_len;
        if (jsonrpc_id_key(head + id.off, id.len, &key, &key_len) == 0) {
                if (!idtable_find(ins->host.inflight, key, key_len))
                        idring_add(&ins->host.answered, key, key_len);
                free(key);
        }
}

uint64_t inspector_next_deadline(const struct inspector *ins)
{
        uint64_t calls = ins->deadlines.head ? ins->deadlines.head->deadline_ns : 0;
        uint64_t confirms = confirm_next_deadline(ins->confirm);
        if (!calls || (confirms && confirms < calls))
                return confirms;
        return calls;
}

/* mcp.limits.call_timeout: the host gets an error under the request's id, the server a
 * notifications/cancelled so it can stop working, and its late answer is dropped quietly
 * (the id goes to the cancelled ring) instead of reaching the host a second time. */
static void time_out(struct inspector *ins, struct inflight *e, uint64_t now_ns, struct verdict *v)
{
        char msg[128];
        snprintf(msg, sizeof(msg), "mcpcage: the server did not answer within mcp.limits.call_timeout (%llu ms)",
                 (unsigned long long)(ins->rules.call_timeout_ns / 1000000));
        answer_error(v->to_sender, e->id_raw, e->id_len, CALL_TIMEOUT_CODE, msg);
        if (buf_printf(v->to_peer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                       "\"params\":{\"requestId\":%s,\"reason\":\"mcpcage: call_timeout\"}}\n",
                       e->id_raw) < 0)
                log_error("inspector: out of memory cancelling a timed-out request");
        record_call(ins, e, "timeout", 0, now_ns);
        idring_add(&ins->host.cancelled, e->key, e->key_len);
}

void inspector_tick(struct inspector *ins, uint64_t now_ns, struct verdict *v)
{
        verdict_begin(ins, v);
        while (ins->deadlines.head && ins->deadlines.head->deadline_ns <= now_ns) {
                struct inflight *e = ins->deadlines.head;
                deadline_unlink(e);
                e = idtable_remove(ins->host.inflight, e->key, e->key_len);
                if (!e)
                        continue;
                time_out(ins, e, now_ns, v);
                inflight_free(e);
        }
        confirm_tick(ins, now_ns, v);
}

void inspector_drain(struct inspector *ins, const char *reason, uint64_t now_ns,
                     struct buf *to_host)
{
        const char *msg = reason ? reason : "mcpcage: server exited before answering";
        size_t n = 0;
        struct inflight **all = idtable_take_all(ins->host.inflight, &n);
        if (!all && idtable_count(ins->host.inflight))
                log_error("inspector: out of memory draining %zu requests",
                          idtable_count(ins->host.inflight));
        for (size_t i = 0; i < n; i++) {
                struct inflight *e = all[i];
                if (!(e->flags & INFLIGHT_ANSWERED)) {
                        answer_error(to_host, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, msg);
                        record_call(ins, e, "error", 0, now_ns);
                }
                inflight_free(e);
        }
        free(all);
        /* the server's own requests die with it: nobody is left to answer */
        all = idtable_take_all(ins->server.inflight, &n);
        for (size_t i = 0; i < n; i++)
                inflight_free(all[i]);
        free(all);
}

void inspector_get_stats(const struct inspector *ins, struct inspector_stats *st)
{
        *st = ins->stats;
}
