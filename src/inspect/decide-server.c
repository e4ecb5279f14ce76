/* The policy applied to what the server sends (threats.md §2): its own requests and
 * notifications against mcp.methods.server (a refused request is answered on the server's
 * stdin and the host never sees it), tools/list results with the hidden tools taken out,
 * and, in the 2026-07-28 era, the requests a result carries in inputRequests, held to the
 * same method rules as if they had come on their own. */
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

/* threats.md §2 "tools/call of a tool the policy denies or hides": the model never learns a
 * hidden tool exists. Each page is filtered on its own; nextCursor is kept, so a host that
 * follows it gets the next page filtered too. */
static bool filter_tools_list(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                              struct verdict *v)
{
        _cleanup_json_ json_t *res = json_loadb(m->buf + m->result.off, m->result.len,
                                                JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        json_t *tools = json_object_get(res, "tools");
        if (!res) {
                /* fail closed: a list that cannot be filtered is not shown */
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: the tools/list result cannot be checked against the policy");
                record_security(ins, "tool_denied", "warning", "tools/list result unreadable; withheld",
                                m->buf, m->id, NULL);
                return false;
        }
        size_t removed = 0;
        for (size_t i = 0; i < json_array_size(tools);) {
                json_t *name = json_object_get(json_array_get(tools, i), "name");
                if (json_is_string(name) &&
                    tool_visible(ins->rules.tools, json_string_value(name), json_string_length(name))) {
                        i++;
                        continue;
                }
                json_array_remove(tools, i);
                removed++;
        }
        if (!removed)
                return true;
        log_debug("inspector: %zu tool(s) hidden from tools/list", removed);
        if (jsonrpc_append_result(v->to_peer, e->id_raw, e->id_len, res) < 0)
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
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

bool transform_server_result(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                             struct verdict *v)
{
        if (m->kind != MSG_RESULT)
                return true;
        if (is_input_required(m))
                return check_input_required(ins, m, e, v);
        if (ins->rules.hides_tools && !strcmp(e->method, "tools/list"))
                return filter_tools_list(ins, m, e, v);
        return true;
}
