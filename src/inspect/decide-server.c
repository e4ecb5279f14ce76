/* The policy applied to what the server sends (threats.md §2): its own requests and
 * notifications against mcp.methods.server (a refused request is answered on the server's
 * stdin and the host never sees it), responses through the content guards (guard-tools.c,
 * guard-content.c), and, in the 2026-07-28 era, the requests a result carries in
 * inputRequests, held to the same method rules as if they had come on their own. */
#include "inspect/confirm.h"
#include "inspect/inspector-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CODE_FORBIDDEN 403

bool decide_server_message(struct inspector *ins, const struct jsonrpc_msg *m, struct verdict *v)
{
        struct rule_decision d;
        method_check(ins->rules.methods, METHOD_FROM_SERVER, m->method, &d);
        if (d.allow)
                return true;
        char text[RULE_REASON_MAX + 32];
        snprintf(text, sizeof(text), "mcpcage: denied: %s", d.reason);
        if (m->kind == MSG_REQUEST) {
                _cleanup_json_ json_t *data = json_pack("{s:s,s:s}", "rule", d.rule, "reason", d.reason);
                if (!data || jsonrpc_append_error(v->to_sender, m->buf + m->id.off, m->id.len,
                                                  CODE_FORBIDDEN, text, data) < 0)
                        answer_error(v->to_sender, m->buf + m->id.off, m->id.len, CODE_FORBIDDEN,
                                     "mcpcage: denied");
                _cleanup_free_ char *id = strndup(m->buf + m->id.off, m->id.len);
                if (id)
                        record_server_request_of(ins, id, m->id.len, m->method, "deny", d.rule, NULL);
        }
        ins->stats.denied++;
        record_security(ins, "method_denied", "warning", d.reason, m->buf, m->id, NULL);
        return false;
}

/* One embedded request: its method against mcp.methods.server, audited as a server_request. */
static void check_input_request(struct inspector *ins, const struct inflight *e, json_t *req,
                                struct rule_decision *d)
{
        const char *method = json_string_value(json_object_get(req, "method"));
        if (!method) {
                rule_deny(d, "/mcp/methods/server", "an inputRequests entry has no method");
                method = "(none)";
        } else {
                method_check(ins->rules.methods, METHOD_FROM_SERVER, method, d);
        }
        record_server_request_of(ins, e->id_raw, e->id_len, method, d->allow ? "allow" : "deny", d->rule,
                                 e->method);
}

/* The server is stateless in this era: refusing means answering the host's request in its
 * place (the isError result for tools/call, 403 otherwise); requestState is never read. */
static bool check_input_required(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                                 struct verdict *v)
{
        struct rule_decision d;
        _cleanup_json_ json_t *res = json_loadb(m->buf + m->result.off, m->result.len,
                                                JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        json_t *reqs = json_object_get(res, "inputRequests"), *req;
        const char *key;
        confirm_remember_state(ins, e, res);
        rule_allow(&d, "/mcp/methods/server");
        if (!res || (reqs && !json_is_object(reqs)))
                rule_deny(&d, "/mcp/methods/server", "the inputRequests cannot be checked");
        json_object_foreach(reqs, key, req) {
                check_input_request(ins, e, req, &d);
                if (!d.allow)
                        break;
        }
        if (d.allow)
                return true;
        if (append_refusal(v->to_peer, e, strcmp(e->method, "tools/call") ? CODE_FORBIDDEN : 0, &d, 0,
                           true) < 0)
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: denied");
        deny_entry(ins, e, &d);
        record_security(ins, "method_denied", "warning", d.reason, m->buf, m->id, e->tool);
        return false;
}

static bool is_input_required(const struct jsonrpc_msg *m)
{
        static const char want[] = "\"input_required\"";
        if (!m->result_type.len)
                return false;
        const char *t = m->buf + m->result_type.off;
        if (m->result_type.len == sizeof(want) - 1 && !memcmp(t, want, sizeof(want) - 1))
                return true;
        if (!memchr(t, '\\', m->result_type.len))
                return false;
        /* an escaped spelling means the same to the host */
        _cleanup_json_ json_t *s = json_loadb(t, m->result_type.len, JSON_DECODE_ANY, NULL);
        return json_is_string(s) && !strcmp(json_string_value(s), "input_required");
}

/* Content that reaches the model: results of the methods that hand it server text, and
 * every error (message and data). */
static bool carries_content(const char *method)
{
        return !strcmp(method, "tools/call") || !strcmp(method, "resources/read") ||
               !strcmp(method, "prompts/get");
}

bool transform_server_result(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                             struct verdict *v)
{
        if (m->kind == MSG_ERROR)
                return guard_content(ins, m, e, "/error", v);
        if (m->kind != MSG_RESULT)
                return true;
        if (is_input_required(m))
                return check_input_required(ins, m, e, v);
        if (!strcmp(e->method, "tools/list"))
                return guard_tools_list(ins, m, e, v);
        if (!strcmp(e->method, "initialize") || !strcmp(e->method, "server/discover"))
                return guard_identity(ins, m, e, v);
        if (carries_content(e->method))
                return guard_content(ins, m, e, "/result", v);
        return true;
}
