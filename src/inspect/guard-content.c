/* The content guards on the message path (threats.md §3 "data flowing back into the
 * model"): redaction of secrets and personal data, and injection / invisible-text
 * detection, in one walk over the decoded string values of a response (jsonstr.h), so a
 * "\u0073k-" spelling hides nothing, a clean message leaves as the server wrote it, and a
 * changed one differs only inside the strings that changed. Request arguments get the
 * redaction of mcp.redact.arguments the same way. */
#include "inspect/inspector-internal.h"
#include "inspect/guards/jsonstr.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_FORBIDDEN 403

static int parse_action(const char *s, enum injection_action *a)
{
        static const char *const names[] = { "off", "flag", "strip", "block" };
        for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
                if (!strcmp(s, names[i])) {
                        *a = (enum injection_action)i;
                        return 0;
                }
        return -EINVAL;
}

int guards_init(struct inspector *ins, struct mc_error *err)
{
        struct guards *g = &ins->guards;
        json_t *action = policy_get(ins->policy, "/mcp/injection/action");
        g->action = INJECTION_OFF;
        if (action && parse_action(json_string_value(action), &g->action) < 0)
                return mc_error_set(err, EINVAL, "policy %s: /mcp/injection/action: expected off, flag, "
                                    "strip or block", ins->policy->path);
        json_t *pin = policy_get(ins->policy, "/mcp/pin/on_change");
        g->pin_block = json_is_string(pin) && !strcmp(json_string_value(pin), "block");
        g->pin_reported = json_object();
        if (!g->pin_reported)
                return mc_error_set(err, ENOMEM, "inspector: out of memory");
        if (g->action != INJECTION_OFF) {
                int r = injection_new(&g->injection, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void guards_free(struct guards *g)
{
        if (g->redactor)
                redactor_free(g->redactor);
        free(g->counts);
        injection_free(g->injection);
        pin_session_free(g->pin);
        json_decref(g->pin_reported);
        buf_free(&g->rewrite);
        buf_free(&g->scratch);
        buf_free(&g->stripped);
        *g = (struct guards){ 0 };
}

static struct redact_sel results_sel(struct inspector *ins, const struct inflight *e)
{
        struct redactor *r = ins->guards.redactor;
        struct redact_sel sel = { 0 };
        if (!r)
                return sel;
        sel = redactor_results(r);
        if (e->tool && !strcmp(e->method, "tools/call")) {
                const struct tool_rule *t = tool_rules_lookup(ins->rules.tools, e->tool, strlen(e->tool));
                struct mc_error err = { 0 };
                /* the policy layer validated the names; a failure keeps the full list */
                if (t && json_is_array(t->redact) && redactor_sel_list(r, t->redact, &sel, &err) < 0)
                        sel = redactor_results(r);
        }
        return sel;
}

/* Counts of this message added to the call record's and the session's. */
static void add_counts(struct inspector *ins, struct inflight *e)
{
        struct guards *g = &ins->guards;
        size_t n = redactor_n_kinds(g->redactor);
        uint64_t total = 0;
        for (size_t k = 0; k < n; k++)
                total += g->counts[k];
        if (!total)
                return;
        ins->stats.redactions += total;
        if (!e->redactions)
                e->redactions = json_object();
        for (size_t k = 0; e->redactions && k < n; k++) {
                if (!g->counts[k])
                        continue;
                const char *kind = redactor_kind_name(g->redactor, k);
                json_int_t had = json_integer_value(json_object_get(e->redactions, kind));
                json_object_set_new(e->redactions, kind, json_integer(had + (json_int_t)g->counts[k]));
        }
}

static void note_findings(struct findings *f, unsigned found, const struct jsonstr_iter *it)
{
        unsigned fresh = found & ~f->bits;
        if (!fresh)
                return;
        struct buf path = { 0 };
        if (jsonstr_path(it, &path) < 0 || buf_append(&path, "", 1) < 0)
                buf_free(&path);
        for (unsigned c = 0; c < INJ_N_CLASSES; c++)
                if (fresh & (1u << c))
                        guard_copy_pointer(f->at[c], GUARD_POINTER_MAX, path.data ? path.data : "?");
        f->bits |= fresh;
        buf_free(&path);
}

/* One string: redacted, then scanned (and stripped) as the model would read it. Returns
 * 1 when it changed (the new text in *text, *n), 0 when not, <0 on error. */
static int guard_string(struct inspector *ins, struct redact_sel sel, enum injection_context ctx,
                        struct findings *f, const struct jsonstr_iter *it, const char **text, size_t *n)
{
        struct guards *g = &ins->guards;
        int changed = 0;
        if (!redact_sel_empty(sel)) {
                buf_reset(&g->scratch);
                int r = redact_string(g->redactor, sel, *text, *n, &g->scratch, g->counts);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *text = g->scratch.data;
                        *n = g->scratch.len;
                        changed = 1;
                }
        }
        if (!g->injection)
                return changed;
        unsigned found;
        int r = injection_scan(g->injection, *text, *n, ctx, &found);
        if (r < 0)
                return r;
        note_findings(f, found, it);
        if (g->action == INJECTION_STRIP && (found & INJ_STRIPPABLE)) {
                buf_reset(&g->stripped);
                r = injection_strip(*text, *n, &g->stripped);
                if (r < 0)
                        return r;
                *text = g->stripped.data;
                *n = g->stripped.len;
                changed = 1;
        }
        return changed;
}

int guard_walk(struct inspector *ins, const char *msg, size_t len, const char *scope, struct redact_sel sel,
               enum injection_context ctx, struct findings *f, struct mc_error *err)
{
        struct guards *g = &ins->guards;
        struct jsonstr_iter it;
        const char *text;
        size_t n;
        buf_reset(&g->rewrite);
        if (g->counts)
                memset(g->counts, 0, redactor_n_kinds(g->redactor) * sizeof(*g->counts));
        int r = jsonstr_begin(&it, msg, len, scope, &g->rewrite, err);
        while (r >= 0 && (r = jsonstr_next(&it, &text, &n, err)) > 0) {
                r = guard_string(ins, sel, ctx, f, &it, &text, &n);
                if (r > 0)
                        r = jsonstr_replace(&it, text, n);
        }
        if (r >= 0)
                r = jsonstr_finish(&it);
        else if (!err->msg[0])
                mc_error_set(err, -r, "%s", r == -EIO ? "a pattern failed to run" : strerror(-r));
        jsonstr_end(&it);
        return r;
}

static const char *action_name(enum injection_action a)
{
        return a == INJECTION_BLOCK ? "block" : a == INJECTION_STRIP ? "strip" : "flag";
}

void guard_report(struct inspector *ins, struct inflight *e, const struct findings *f, const char *where)
{
        for (unsigned c = 0; c < INJ_N_CLASSES; c++) {
                if (!(f->bits & (1u << c)))
                        continue;
                const char *name = injection_class_name((enum injection_class)c);
                char flag[64];
                snprintf(flag, sizeof(flag), "injection:%s", name);
                if (e)
                        mark_call(e, flag);
                enum injection_action a = ins->guards.action;
                /* what strip cannot remove is only flagged */
                if (a == INJECTION_STRIP && !((1u << c) & INJ_STRIPPABLE))
                        a = INJECTION_FLAG;
                record_injection(ins, e, name, f->at[c], where, action_name(a));
        }
}

static void answer_blocked(const struct jsonrpc_msg *m, struct inflight *e, const struct findings *f,
                           struct verdict *v)
{
        char text[256];
        int n = snprintf(text, sizeof(text), "mcpcage: blocked: the %s result carried",
                         !strcmp(e->method, "tools/call") ? "tool" : e->method);
        for (unsigned c = 0; c < INJ_N_CLASSES && n > 0 && (size_t)n < sizeof(text); c++)
                if (f->bits & (1u << c))
                        n += snprintf(text + n, sizeof(text) - (size_t)n, " %s",
                                      injection_class_name((enum injection_class)c));
        if (n > 0 && (size_t)n < sizeof(text))
                snprintf(text + n, sizeof(text) - (size_t)n, " (mcp.injection.action block)");
        _cleanup_json_ json_t *res = NULL;
        if (!strcmp(e->method, "tools/call")) {
                res = json_pack("{s:[{s:s,s:s}],s:b}", "content", "type", "text", "text", text, "isError", 1);
                if (res && m->result_type.len)
                        json_object_set_new(res, "resultType", json_string("complete"));
        }
        int r = res ? jsonrpc_append_result(v->to_peer, e->id_raw, e->id_len, res)
                    : jsonrpc_append_error(v->to_peer, e->id_raw, e->id_len, CODE_FORBIDDEN, text, NULL);
        if (r < 0)
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: blocked");
}

bool guard_content(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, const char *scope,
                   struct verdict *v)
{
        struct guards *g = &ins->guards;
        struct redact_sel sel = results_sel(ins, e);
        if (redact_sel_empty(sel) && !g->injection)
                return true;
        struct findings f = { 0 };
        struct mc_error err = { 0 };
        int r = guard_walk(ins, m->buf, m->len, scope, sel, INJ_CONTENT, &f, &err);
        if (r < 0) {
                /* fail closed: what could not be checked does not reach the model */
                log_warn("inspector: %s response withheld: %s", e->method, err.msg);
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: the response could not be checked for secrets and injection; withheld");
                return false;
        }
        if (g->redactor)
                add_counts(ins, e);
        if (f.bits)
                guard_report(ins, e, &f, e->method);
        if (f.bits && g->action == INJECTION_BLOCK) {
                answer_blocked(m, e, &f, v);
                return false;
        }
        if (!r)
                return true;
        if (buf_append(v->to_peer, g->rewrite.data, g->rewrite.len) < 0 || buf_append(v->to_peer, "\n", 1) < 0) {
                buf_reset(v->to_peer);
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
        }
        return false;
}

bool guard_arguments(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, uint64_t now_ns,
                     struct verdict *v, bool *failed)
{
        struct guards *g = &ins->guards;
        *failed = false;
        if (!g->redactor || !m->p_arguments.len || redact_sel_empty(redactor_arguments(g->redactor)))
                return false;
        /* a request rewritten already (roots, confirmation) is redacted as rewritten */
        _cleanup_free_ char *src = v->to_peer->len ? strndup(v->to_peer->data, v->to_peer->len - 1) : NULL;
        size_t len = src ? v->to_peer->len - 1 : m->len;
        struct mc_error err = { 0 };
        memset(g->counts, 0, redactor_n_kinds(g->redactor) * sizeof(*g->counts));
        buf_reset(&g->rewrite);
        int r = redact_message(g->redactor, redactor_arguments(g->redactor), src ? src : m->buf, len,
                               "/params/arguments", &g->rewrite, g->counts, &err);
        if (r < 0) {
                struct rule_decision d;
                rule_deny(&d, "/mcp/redact/arguments", "the arguments cannot be checked for secrets");
                refuse_request(ins, m, e, !strcmp(e->method, "tools/call") ? 0 : CODE_FORBIDDEN, "tool_denied",
                               &d, 0, now_ns, v);
                *failed = true;
                return false;
        }
        add_counts(ins, e);
        if (!r)
                return false;
        buf_reset(v->to_peer);
        if (buf_append(v->to_peer, g->rewrite.data, g->rewrite.len) < 0 || buf_append(v->to_peer, "\n", 1) < 0) {
                buf_reset(v->to_peer);
                *failed = true;
                answer_error(v->to_sender, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
                return false;
        }
        return true;
}

json_t *guard_redact_for_audit(void *ctx, const char *s, size_t len)
{
        struct inspector *ins = ctx;
        struct redactor *r = ins->guards.redactor;
        struct redact_sel sel = { redactor_results(r).mask | redactor_arguments(r).mask };
        _cleanup_buf_ struct buf out = { 0 };
        /* counts belong to the forwarded message, not to the audit copy */
        int k = redact_string(r, sel, s, len, &out, NULL);
        if (k < 0)
                return json_string("[unchecked]"); /* never the raw value */
        return k > 0 ? json_stringn(out.data, out.len) : NULL;
}
