/* What the server says about itself, checked before the model reads it: tools/list (tools
 * the policy hides removed, descriptions scanned for tool poisoning, each tool compared
 * with its pin: threats.md §2 and §3 "rug pull", "tool poisoning") and the identity in
 * initialize / server/discover (serverInfo and instructions pinned, instructions scanned).
 * String-level changes (strip) go through the byte-exact rewriter; jansson re-serialises
 * only when a tool is withheld or the instructions removed. */
#include "inspect/inspector-internal.h"
#include "inspect/guards/jsonstr.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_SERVER_INFO "io.modelcontextprotocol/serverInfo"

enum drop { KEEP, DROP_POLICY, DROP_INJECTION, DROP_PIN };

bool guard_pin_hides_tool(struct inspector *ins, const char *name)
{
        return ins->guards.pin && ins->guards.pin_block && !pin_tool_callable(ins->guards.pin, name);
}

/* One pin_changed record per thing per session (a host may list tools many times). */
static void report_pin(struct inspector *ins, const char *what, const char *detail, const char *tool)
{
        if (json_object_get(ins->guards.pin_reported, what))
                return;
        json_object_set_new(ins->guards.pin_reported, what, json_true());
        record_pin_changed(ins, what, detail, tool);
}

static void pin_tool(struct inspector *ins, const char *name, json_t *tool, enum drop *drop)
{
        struct guards *g = &ins->guards;
        enum pin_status st = pin_observe_tool(g->pin, name, tool);
        if (st == PIN_SAME)
                return;
        char what[300], detail[400];
        snprintf(what, sizeof(what), "tool:%s", name);
        snprintf(detail, sizeof(detail), "tool %.200s %s since the pin of %s; %s (review: mcpcage pin list)",
                 name, st == PIN_NEW ? "is new" : "changed", pin_created(g->pin),
                 g->pin_block ? "withheld (mcp.pin.on_change block)" : "passed (mcp.pin.on_change warn)");
        report_pin(ins, what, detail, name);
        if (g->pin_block)
                *drop = DROP_PIN;
}

/* The index of the tool a "/result/tools/<i>/..." pointer is in. */
static size_t tool_index(const struct jsonstr_iter *it)
{
        struct buf path = { 0 };
        size_t i = SIZE_MAX;
        if (jsonstr_path(it, &path) == 0 && buf_append(&path, "", 1) == 0 &&
            !strncmp(path.data, "/result/tools/", 14))
                i = strtoul(path.data + 14, NULL, 10);
        buf_free(&path);
        return i;
}

/* Descriptions and every other string of each tool: findings per tool (bits[i]); under
 * strip the rewritten message is in ins->guards.rewrite (returns 1). */
static int scan_tools(struct inspector *ins, const struct jsonrpc_msg *m, size_t n, unsigned *bits,
                      struct findings *f)
{
        struct guards *g = &ins->guards;
        struct jsonstr_iter it;
        struct mc_error err = { 0 };
        const char *text;
        size_t len;
        buf_reset(&g->rewrite);
        int r = jsonstr_begin(&it, m->buf, m->len, "/result/tools", &g->rewrite, &err);
        while (r >= 0 && (r = jsonstr_next(&it, &text, &len, &err)) > 0) {
                unsigned found;
                r = injection_scan(g->injection, text, len, INJ_DESCRIPTION, &found);
                if (r < 0 || !found)
                        continue;
                size_t i = tool_index(&it);
                if (i < n)
                        bits[i] |= found;
                if (found & ~f->bits) {
                        struct buf path = { 0 };
                        if (jsonstr_path(&it, &path) == 0 && buf_append(&path, "", 1) == 0)
                                for (unsigned c = 0; c < INJ_N_CLASSES; c++)
                                        if ((found & ~f->bits) & (1u << c))
                                                guard_copy_pointer(f->at[c], GUARD_POINTER_MAX, path.data);
                        buf_free(&path);
                        f->bits |= found;
                }
                if (g->action == INJECTION_STRIP && (found & INJ_STRIPPABLE)) {
                        buf_reset(&g->stripped);
                        r = injection_strip(text, len, &g->stripped);
                        if (r > 0)
                                r = jsonstr_replace(&it, g->stripped.data, g->stripped.len);
                }
        }
        if (r >= 0)
                r = jsonstr_finish(&it);
        jsonstr_end(&it);
        return r;
}

/* The result to filter: the rewritten message's when strings were stripped. */
static json_t *result_of(struct inspector *ins, const struct jsonrpc_msg *m, bool rewritten)
{
        const char *buf = rewritten ? ins->guards.rewrite.data : m->buf;
        size_t len = rewritten ? ins->guards.rewrite.len : m->len, start, end;
        if (jsonstr_locate(buf, len, "/result", &start, &end) != 1)
                return NULL;
        return json_loadb(buf + start, end - start, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

static bool send_filtered(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e,
                          const enum drop *drop, size_t n, bool rewritten, struct verdict *v)
{
        _cleanup_json_ json_t *res = result_of(ins, m, rewritten);
        json_t *tools = json_object_get(res, "tools");
        if (!res || json_array_size(tools) != n) {
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: the tools/list result cannot be checked against the policy");
                return false;
        }
        for (size_t i = n; i-- > 0;)
                if (drop[i] != KEEP)
                        json_array_remove(tools, i);
        if (jsonrpc_append_result(v->to_peer, e->id_raw, e->id_len, res) < 0)
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
        return false;
}

static bool forward_rewrite(struct inspector *ins, struct inflight *e, struct verdict *v)
{
        if (buf_append(v->to_peer, ins->guards.rewrite.data, ins->guards.rewrite.len) < 0 ||
            buf_append(v->to_peer, "\n", 1) < 0) {
                buf_reset(v->to_peer);
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
        }
        return false;
}

static void pin_all(struct inspector *ins, json_t *res, json_t *tools, enum drop *drop)
{
        struct guards *g = &ins->guards;
        size_t n = json_array_size(tools);
        for (size_t i = 0; i < n; i++) {
                const char *name = json_string_value(json_object_get(json_array_get(tools, i), "name"));
                if (drop[i] != DROP_POLICY && name)
                        pin_tool(ins, name, json_array_get(tools, i), &drop[i]);
        }
        /* a server that is not the one pinned: none of its tools reach the model */
        for (size_t i = 0; g->pin_block && pin_identity_changed(g->pin) && i < n; i++)
                if (drop[i] == KEEP)
                        drop[i] = DROP_PIN;
        struct mc_error err = { 0 };
        if (pin_commit(g->pin, !json_object_get(res, "nextCursor"), &err) < 0)
                log_warn("%s (the pin is not updated; this session is still checked)", err.msg);
}

bool guard_tools_list(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, struct verdict *v)
{
        struct guards *g = &ins->guards;
        if (!ins->rules.hides_tools && !g->pin && !g->injection)
                return true;
        _cleanup_json_ json_t *res = json_loadb(m->buf + m->result.off, m->result.len,
                                                JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        json_t *tools = json_object_get(res, "tools");
        if (!res || (tools && !json_is_array(tools))) {
                /* fail closed: a list that cannot be checked is not shown */
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: the tools/list result cannot be checked against the policy");
                record_security(ins, "tool_denied", "warning", "tools/list result unreadable; withheld",
                                m->buf, m->id, NULL);
                return false;
        }
        size_t n = json_array_size(tools), dropped = 0;
        _cleanup_free_ enum drop *drop = calloc(n + 1, sizeof(*drop));
        _cleanup_free_ unsigned *bits = calloc(n + 1, sizeof(*bits));
        if (!drop || !bits) {
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR, "mcpcage: out of memory");
                return false;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *name = json_object_get(json_array_get(tools, i), "name");
                if (!json_is_string(name) ||
                    !tool_visible(ins->rules.tools, json_string_value(name), json_string_length(name)))
                        drop[i] = DROP_POLICY;
        }
        struct findings f = { 0 };
        int rewritten = g->injection ? scan_tools(ins, m, n, bits, &f) : 0;
        if (rewritten < 0) {
                answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                             "mcpcage: the tools/list result cannot be checked for injection; withheld");
                return false;
        }
        if (f.bits)
                guard_report(ins, e, &f, "tools/list");
        for (size_t i = 0; g->action == INJECTION_BLOCK && i < n; i++)
                if (bits[i] && drop[i] == KEEP)
                        drop[i] = DROP_INJECTION; /* the poisoned tool is withheld, the rest pass */
        if (g->pin)
                pin_all(ins, res, tools, drop);
        for (size_t i = 0; i < n; i++)
                dropped += drop[i] != KEEP;
        if (dropped) {
                log_debug("inspector: %zu tool(s) withheld from tools/list", dropped);
                return send_filtered(ins, m, e, drop, n, rewritten > 0, v);
        }
        return rewritten > 0 ? forward_rewrite(ins, e, v) : true;
}

static json_t *server_info_of(json_t *res)
{
        json_t *si = json_object_get(res, "serverInfo");
        return si ? si : json_object_get(json_object_get(res, "_meta"), META_SERVER_INFO);
}

static void pin_identity(struct inspector *ins, json_t *res, bool *remove_instructions)
{
        struct guards *g = &ins->guards;
        unsigned bits = pin_observe_identity(g->pin, server_info_of(res), json_object_get(res, "instructions"));
        const char *what[] = { "server_info", "instructions" };
        for (unsigned k = 0; k < 2; k++) {
                if (!(bits & (1u << k)))
                        continue;
                char detail[300];
                snprintf(detail, sizeof(detail), "the server's %s changed since the pin of %s; %s (review: "
                         "mcpcage pin list)", k ? "instructions" : "serverInfo", pin_created(g->pin),
                         g->pin_block ? "every tool withheld (mcp.pin.on_change block)"
                                      : "passed (mcp.pin.on_change warn)");
                report_pin(ins, what[k], detail, NULL);
        }
        if (g->pin_block && (bits & PIN_CHANGED_INSTRUCTIONS))
                *remove_instructions = true; /* not what the user accepted */
}

bool guard_identity(struct inspector *ins, const struct jsonrpc_msg *m, struct inflight *e, struct verdict *v)
{
        struct guards *g = &ins->guards;
        if (!g->pin && !g->injection)
                return true;
        _cleanup_json_ json_t *res = json_loadb(m->buf + m->result.off, m->result.len,
                                                JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!json_is_object(res))
                return true; /* nothing to pin or scan: the host rejects it anyway */
        bool remove = false;
        if (g->pin)
                pin_identity(ins, res, &remove);
        struct findings f = { 0 };
        struct mc_error err = { 0 };
        int rewritten = 0;
        if (g->injection && json_is_string(json_object_get(res, "instructions"))) {
                rewritten = guard_walk(ins, m->buf, m->len, "/result/instructions", (struct redact_sel){ 0 },
                                       INJ_DESCRIPTION, &f, &err);
                if (rewritten < 0)
                        remove = true; /* cannot be checked: not shown */
                if (f.bits)
                        guard_report(ins, e, &f, e->method);
                if (f.bits && g->action == INJECTION_BLOCK)
                        remove = true;
        }
        if (remove) {
                json_object_del(res, "instructions");
                if (jsonrpc_append_result(v->to_peer, e->id_raw, e->id_len, res) < 0)
                        answer_error(v->to_peer, e->id_raw, e->id_len, JSONRPC_INTERNAL_ERROR,
                                     "mcpcage: out of memory");
                return false;
        }
        return rewritten > 0 ? forward_rewrite(ins, e, v) : true;
}
