/* The policy applied to what the host asks (threats.md §2): the method deny list, then per
 * method: tools/call through the tool rules (hidden -> "Unknown tool", visible but refused
 * -> a result the model can read, a tool that changed since it was pinned, kill switch,
 * rate limits, confirmation by the user), mcp.redact.arguments, resources/read
 * of file:// URIs held to the read roots, and roots the host hands back inside a retried
 * request's inputResponses. Only the requests a rule needs look at are parsed with
 * jansson; everything else is decided on the reader's spans. */
#include "inspect/confirm.h"
#include "inspect/inspector-internal.h"
#include "inspect/jsonbuild.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CODE_FORBIDDEN 403
#define CODE_RATE_LIMITED 429

json_t *request_arguments(struct inspector *ins, const struct jsonrpc_msg *m, bool *unreadable)
{
        if (ins->args.msg != m) {
                request_arguments_clear(ins);
                ins->args.msg = m;
                if (m->p_arguments.len) {
                        ins->args.tree = json_build_validated(m->buf + m->p_arguments.off,
                                                              m->p_arguments.len, false);
                        ins->args.unreadable = !ins->args.tree;
                }
        }
        *unreadable = ins->args.unreadable;
        return ins->args.tree;
}

void request_arguments_clear(struct inspector *ins)
{
        json_decref(ins->args.tree);
        ins->args.tree = NULL;
        ins->args.msg = NULL;
        ins->args.unreadable = false;
}

static bool reads_arguments(const struct tool_rule *t)
{
        return t->action == TOOL_CHECK &&
               (json_object_size(t->paths) || t->commands || t->urls);
}

bool tool_reads_arguments(const struct inspector *ins, const char *tool)
{
        const struct tool_rule *t = tool_rules_lookup(ins->rules.tools, tool, strlen(tool));
        return t && reads_arguments(t);
}

static const char *deny_kind(const struct rule_decision *d)
{
        if (strstr(d->rule, "/scopes"))
                return "scope_denied";
        if (strstr(d->rule, "/paths"))
                return "path_denied";
        return "tool_denied";
}

static bool rate_allows(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                        const struct tool_rule *t, uint64_t now_ns, struct verdict *v)
{
        struct rule_decision d;
        uint64_t retry = 0, now_ms = now_ns / 1000000;
        struct rate_bucket *b = rules_tool_bucket(&ins->rules, t);
        if (b) {
                rate_check(b, now_ms, t->rate_pointer, &d, &retry);
                if (!d.allow) {
                        refuse_request(ins, m, e, CODE_RATE_LIMITED, "rate_limited", &d, retry, now_ns, v);
                        return false;
                }
        }
        if (ins->rules.has_calls_limit) {
                rate_check(&ins->rules.calls, now_ms, "/mcp/limits/calls", &d, &retry);
                if (!d.allow) {
                        refuse_request(ins, m, e, CODE_RATE_LIMITED, "rate_limited", &d, retry, now_ns, v);
                        return false;
                }
        }
        return true;
}

static bool decide_tool_call(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                             uint64_t now_ns, struct verdict *v, bool *rewritten)
{
        struct rule_decision d;
        const char *name = e->tool ? e->tool : "";
        const struct tool_rule *t = tool_rules_lookup(ins->rules.tools, name, strlen(name));
        /* a hidden tool is answered exactly like one that does not exist */
        if (!t || t->action == TOOL_DENY) {
                tool_check_call(t, ins->rules.scopes, ins->rules.paths, NULL, &d);
                refuse_request(ins, m, e, JSONRPC_INVALID_PARAMS, "tool_denied", &d, 0, now_ns, v);
                return false;
        }
        /* threats.md §3 "rug pull": a tool that changed since it was pinned does not exist
         * for the model until the user approves the change */
        if (guard_pin_hides_tool(ins, name)) {
                rule_deny(&d, "/mcp/pin/on_change", "tool %s changed since it was pinned", name);
                refuse_request(ins, m, e, JSONRPC_INVALID_PARAMS, "tool_denied", &d, 0, now_ns, v);
                return false;
        }
        char why[RULE_REASON_MAX];
        if (kill_switch_on(&ins->rules, why, sizeof(why))) {
                rule_deny(&d, "/mcp/kill_switch", "%s", why);
                refuse_request(ins, m, e, 0, "kill_switch", &d, 0, now_ns, v);
                return false;
        }
        bool unreadable = false;
        json_t *args = reads_arguments(t) ? request_arguments(ins, m, &unreadable) : NULL;
        if (unreadable)
                rule_deny(&d, t->pointer, "the arguments cannot be checked (a value mcpcage cannot read)");
        else
                tool_check_call(t, ins->rules.scopes, ins->rules.paths, args, &d);
        if (!d.allow) {
                refuse_request(ins, m, e, 0, deny_kind(&d), &d, 0, now_ns, v);
                return false;
        }
        char rule[RULE_POINTER_MAX];
        memcpy(rule, d.rule, sizeof(rule));
        if (!rate_allows(ins, m, e, t, now_ns, v))
                return false;
        if (t->confirm && confirm_call(ins, m, e, t, now_ns, v, rewritten) == CONFIRM_ANSWERED)
                return false;
        e->rule = strdup(rule);
        return true;
}

static bool is_file_uri(const char *uri)
{
        return uri && !strncasecmp(uri, "file:", 5);
}

/* Requests that hand the model content from the server: held while the kill switch is on. */
static bool stopped_by_kill_switch(const char *method)
{
        return !strcmp(method, "resources/read") || !strcmp(method, "prompts/get") ||
               !strcmp(method, "completion/complete");
}

static bool decide_other(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                         uint64_t now_ns, struct verdict *v)
{
        struct rule_decision d;
        char why[RULE_REASON_MAX];
        if (stopped_by_kill_switch(e->method) && kill_switch_on(&ins->rules, why, sizeof(why))) {
                rule_deny(&d, "/mcp/kill_switch", "%s", why);
                refuse_request(ins, m, e, CODE_FORBIDDEN, "kill_switch", &d, 0, now_ns, v);
                return false;
        }
        /* threats.md §2 "resources/read of file:///etc/shadow": a file resource is a path
         * argument in all but name; with no roots configured no path rule applies */
        if (!strcmp(e->method, "resources/read") && is_file_uri(e->uri) &&
            !path_rules_empty(ins->rules.paths)) {
                path_check(ins->rules.paths, e->uri, strlen(e->uri), PATH_READ, &d);
                if (!d.allow) {
                        refuse_request(ins, m, e, CODE_FORBIDDEN, "path_denied", &d, 0, now_ns, v);
                        return false;
                }
                e->rule = strdup(d.rule);
        }
        return true;
}

/* 2026-07-28: a retried request carries the host's answers to the server's inputRequests;
 * a roots/list answer in there is filtered like a legacy roots/list response. */
static bool filter_input_responses(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                                   uint64_t now_ns, struct verdict *v, bool *rewritten)
{
        if (!m->p_input_responses.len || path_rules_empty(ins->rules.paths))
                return true;
        struct rule_decision d;
        _cleanup_json_ json_t *params = json_loadb(m->buf + m->params.off, m->params.len,
                                                   JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        json_t *responses = json_object_get(params, "inputResponses"), *r;
        const char *key;
        int removed = 0;
        json_object_foreach(responses, key, r) {
                int k = json_is_object(r) ? filter_roots_value(ins, r) : 0;
                if (k < 0) {
                        removed = -1;
                        break;
                }
                removed += k;
        }
        if (!params || removed < 0) {
                rule_deny(&d, "/mcp/paths", "the roots in inputResponses cannot be checked");
                refuse_request(ins, m, e, CODE_FORBIDDEN, "path_denied", &d, 0, now_ns, v);
                return false;
        }
        if (!removed)
                return true;
        if (jsonrpc_append_request(v->to_peer, e->id_raw, e->id_len, e->method, params) < 0) {
                rule_deny(&d, "/mcp/paths", "the filtered roots cannot be written (out of memory)");
                refuse_request(ins, m, e, JSONRPC_INTERNAL_ERROR, "path_denied", &d, 0, now_ns, v);
                return false;
        }
        *rewritten = true;
        return true;
}

bool decide_host_request(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                         uint64_t now_ns, struct verdict *v, bool *rewritten)
{
        struct rule_decision d;
        *rewritten = false;
        method_check(ins->rules.methods, METHOD_FROM_HOST, e->method, &d);
        if (!d.allow) {
                refuse_request(ins, m, e, CODE_FORBIDDEN, "method_denied", &d, 0, now_ns, v);
                return false;
        }
        if (!strcmp(e->method, "initialize"))
                confirm_note_initialize(ins, m);
        bool ok = !strcmp(e->method, "tools/call") ? decide_tool_call(ins, m, e, now_ns, v, rewritten)
                                                     : decide_other(ins, m, e, now_ns, v);
        /* a confirmed 2026-07-28 retry was rewritten without its inputResponses already */
        if (!ok || (!*rewritten && !filter_input_responses(ins, m, e, now_ns, v, rewritten)))
                return false;
        bool failed;
        if (guard_arguments(ins, m, e, now_ns, v, &failed))
                *rewritten = true;
        else if (failed)
                return false;
        if (e->flags & INFLIGHT_HELD) {
                /* the call waits for the user; what is forwarded then is what is held now */
                if (confirm_hold(ins, e, *rewritten ? v->to_peer->data : m->buf,
                                 *rewritten ? v->to_peer->len - 1 : m->len) < 0) {
                        rule_deny(&d, "/mcp/tools", "out of memory holding the call for confirmation");
                        refuse_request(ins, m, e, JSONRPC_INTERNAL_ERROR, "tool_denied", &d, 0, now_ns, v);
                        return false;
                }
                buf_reset(v->to_peer);
                *rewritten = false;
        }
        return true;
}

/* The answer a refusal gets under the request's id (design.md "How a refusal is answered"). */
int append_refusal(struct buf *out, const struct inflight *e, int code, const struct rule_decision *d,
                   uint64_t retry_ms, bool modern)
{
        char text[RULE_REASON_MAX + 32];
        if (code == 0) {
                snprintf(text, sizeof(text), "mcpcage: denied: %s", d->reason);
                _cleanup_json_ json_t *res = json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text",
                                                       "text", text, "isError", 1);
                if (res && modern)
                        json_object_set_new(res, "resultType", json_string("complete"));
                return res ? jsonrpc_append_result(out, e->id_raw, e->id_len, res) : -ENOMEM;
        }
        if (code == JSONRPC_INVALID_PARAMS) {
                /* no data: nothing may tell a hidden tool from a missing one */
                snprintf(text, sizeof(text), "Unknown tool: %.200s", e->tool ? e->tool : "");
                return jsonrpc_append_error(out, e->id_raw, e->id_len, code, text, NULL);
        }
        snprintf(text, sizeof(text), "mcpcage: %s: %s", code == CODE_RATE_LIMITED ? "rate limited" : "denied",
                 d->reason);
        _cleanup_json_ json_t *data = json_pack("{s:s,s:s}", "rule", d->rule, "reason", d->reason);
        if (data && code == CODE_RATE_LIMITED)
                json_object_set_new(data, "retry_after_ms", json_integer((json_int_t)retry_ms));
        return data ? jsonrpc_append_error(out, e->id_raw, e->id_len, code, text, data) : -ENOMEM;
}

void refuse_request(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, int code,
                    const char *kind, const struct rule_decision *d, uint64_t retry_ms,
                    uint64_t now_ns, struct verdict *v)
{
        size_t mark = v->to_sender->len;
        /* the 2026-07-28 era's results carry resultType */
        bool modern = m->meta.len && memmem(m->buf + m->meta.off, m->meta.len, "2026-07-28", 10);
        if (append_refusal(v->to_sender, e, code, d, retry_ms, modern) < 0) {
                log_error("inspector: cannot build the refusal of %s (%s)", e->method, d->reason);
                answer_error(v->to_sender, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: denied");
        }
        deny_entry(ins, e, d);
        inflight_settle_arguments(ins, e, false);
        record_call(ins, e, "denied", v->to_sender->len - mark, now_ns);
        record_security(ins, kind, "warning", d->reason, m->buf, m->id, e->tool);
}

void deny_entry(struct inspector *ins, struct inflight *e, const struct rule_decision *d)
{
        free(e->rule);
        free(e->reason);
        e->rule = strdup(d->rule);
        e->reason = strdup(d->reason);
        e->flags |= INFLIGHT_DENIED;
        ins->stats.denied++;
}
