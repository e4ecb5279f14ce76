/* The audit records the inspector writes (audit.md: call, server_request, security) and the
 * error lines it answers with. A record carries ids, names, sizes and sanitised arguments,
 * never message content. */
#include "inspect/inspector-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void answer_error(struct buf *out, const char *id_raw, size_t id_len, int code, const char *message)
{
        if (jsonrpc_append_error(out, id_raw, id_len, code, message, NULL) < 0)
                log_error("inspector: cannot build an error response (%s)", message);
}

/* Ids as hosts send them: a small integer, or a string without escapes. */
static bool plain_integer(const char *raw, size_t len)
{
        size_t i = len && raw[0] == '-';
        if (len - i == 0 || len - i > 18 ||     /* 18 digits always fit json_int_t */
            (raw[i] == '0' && len - i > 1))     /* not JSON: left to jansson */
                return false;
        for (; i < len; i++)
                if (raw[i] < '0' || raw[i] > '9')
                        return false;
        return true;
}

/* The id as its JSON value when jansson can hold it (1 stays 1, "1" stays "1"), else the
 * raw token as a string (integers beyond 64 bits). The token is one the reader validated,
 * so the common shapes are converted directly; json_loadb, for the rest, costs more than
 * the rest of a call record. */
static json_t *id_value(const char *raw, size_t len)
{
        if (plain_integer(raw, len)) {
                json_int_t n = 0;
                for (size_t i = raw[0] == '-'; i < len; i++)
                        n = n * 10 + (raw[i] - '0');
                return json_integer(raw[0] == '-' ? -n : n);
        }
        if (len >= 2 && raw[0] == '"' && raw[len - 1] == '"' && !memchr(raw, '\\', len))
                return json_stringn(raw + 1, len - 2);
        json_t *v = json_loadb(raw, len, JSON_DECODE_ANY, NULL);
        return v ? v : json_stringn(raw, len);
}

static int set(json_t *o, const char *k, json_t *v)
{
        return v && json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

static int set_opt_str(json_t *o, const char *k, const char *s)
{
        return s ? set(o, k, json_string(s)) : 0;
}

#define PUT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

/* The id as record_call's id_value would print it, for the common shapes: a small integer
 * (as its value: "-0" prints 0) or a string without escapes (printed as sent). */
static int put_id(struct buf *b, const char *raw, size_t len)
{
        if (plain_integer(raw, len)) {
                json_int_t n = 0;
                for (size_t i = raw[0] == '-'; i < len; i++)
                        n = n * 10 + (raw[i] - '0');
                return audit_json_integer(b, raw[0] == '-' ? -n : n);
        }
        if (len >= 2 && raw[0] == '"' && raw[len - 1] == '"' && !memchr(raw, '\\', len))
                return audit_json_string(b, raw + 1, len - 2);
        _cleanup_json_ json_t *v = id_value(raw, len);
        return v ? audit_json_value(b, v) : -ENOMEM;
}

static int put_str(struct buf *b, const char *key, size_t key_len, const char *s)
{
        if (buf_append(b, key, key_len) < 0)
                return -ENOMEM;
        return audit_json_string(b, s, strlen(s));
}

static int put_int(struct buf *b, const char *key, size_t key_len, uint64_t v)
{
        if (buf_append(b, key, key_len) < 0)
                return -ENOMEM;
        return audit_json_integer(b, (json_int_t)v);
}

#define KEY(lit) (lit), sizeof(lit) - 1

/* The call record's fields straight into ins->record, as the json_t below would serialise
 * (tests/unit/test-inspector.c compares the two): building and walking a jansson object per
 * call was the largest part of a small call's cost in the relay. -EAGAIN: a value only
 * jansson can write (a name that is not UTF-8); then the caller builds the object. */
int record_call_members(struct buf *b, const struct inflight *e, const char *status,
                        size_t response_bytes, uint64_t ms)
{
        buf_reset(b);
        int r = PUT(b, "\"id\":") < 0 ? -ENOMEM : put_id(b, e->id_raw, e->id_len);
        if (r >= 0)
                r = put_str(b, KEY(",\"method\":"), e->method);
        if (r >= 0 && e->tool)
                r = put_str(b, KEY(",\"tool\":"), e->tool);
        if (r >= 0 && e->uri)
                r = put_str(b, KEY(",\"uri\":"), e->uri);
        if (r >= 0 && e->arguments)
                r = PUT(b, ",\"arguments\":") < 0 ? -ENOMEM : audit_json_value(b, e->arguments);
        if (r >= 0)
                r = put_str(b, KEY(",\"decision\":"), e->flags & INFLIGHT_DENIED ? "deny" : "allow");
        if (r >= 0)
                r = put_str(b, KEY(",\"rule\":"), e->rule ? e->rule : RULE_DEFAULT);
        if (r >= 0 && e->reason)
                r = put_str(b, KEY(",\"reason\":"), e->reason);
        if (r >= 0)
                r = put_str(b, KEY(",\"status\":"), status);
        if (r >= 0)
                r = put_int(b, KEY(",\"duration_ms\":"), ms);
        if (r >= 0)
                r = put_int(b, KEY(",\"request_bytes\":"), e->request_bytes);
        if (r >= 0)
                r = put_int(b, KEY(",\"response_bytes\":"), response_bytes);
        if (r >= 0)
                r = PUT(b, ",\"redactions\":") < 0 ? -ENOMEM
                    : e->redactions ? audit_json_value(b, e->redactions) : PUT(b, "{}");
        if (r >= 0)
                r = PUT(b, ",\"flags\":") < 0 ? -ENOMEM : e->marks ? audit_json_value(b, e->marks) : PUT(b, "[]");
        return r < 0 ? r : 0;
}

json_t *record_call_fields(const struct inflight *e, const char *status, size_t response_bytes, uint64_t ms)
{
        _cleanup_json_ json_t *f = json_object();
        if (!f || set(f, "id", id_value(e->id_raw, e->id_len)) < 0 ||
            set(f, "method", json_string(e->method)) < 0 ||
            set_opt_str(f, "tool", e->tool) < 0 || set_opt_str(f, "uri", e->uri) < 0 ||
            (e->arguments && set(f, "arguments", json_incref(e->arguments)) < 0) ||
            set(f, "decision", json_string(e->flags & INFLIGHT_DENIED ? "deny" : "allow")) < 0 ||
            set(f, "rule", json_string(e->rule ? e->rule : RULE_DEFAULT)) < 0 ||
            set_opt_str(f, "reason", e->reason) < 0 ||
            set(f, "status", json_string(status)) < 0 ||
            set(f, "duration_ms", json_integer((json_int_t)ms)) < 0 ||
            set(f, "request_bytes", json_integer((json_int_t)e->request_bytes)) < 0 ||
            set(f, "response_bytes", json_integer((json_int_t)response_bytes)) < 0 ||
            set(f, "redactions", e->redactions ? json_incref(e->redactions) : json_object()) < 0 ||
            set(f, "flags", e->marks ? json_incref(e->marks) : json_array()) < 0)
                return NULL;
        return TAKE_PTR(f);
}

void record_call(struct inspector *ins, const struct inflight *e, const char *status,
                 size_t response_bytes, uint64_t now_ns)
{
        ins->stats.calls++;
        if (!ins->audit)
                return;
        uint64_t ms = now_ns > e->start_ns ? (now_ns - e->start_ns) / 1000000 : 0;
        int r = record_call_members(&ins->record, e, status, response_bytes, ms);
        if (r == 0) {
                r = audit_emit_members(ins->audit, "call", ins->record.data, ins->record.len);
        } else {
                json_t *f = record_call_fields(e, status, response_bytes, ms);
                if (!f) {
                        log_error("inspector: out of memory building a call record");
                        return;
                }
                r = audit_emit(ins->audit, "call", f);
        }
        if (ins->record.cap > 64 * 1024)
                buf_free(&ins->record);
        if (r < 0)
                log_debug("inspector: call record not written: %s", strerror(-r));
}

void record_server_request(struct inspector *ins, const struct inflight *e, const char *decision)
{
        record_server_request_of(ins, e->id_raw, e->id_len, e->method, decision, e->rule, NULL);
}

void record_server_request_of(struct inspector *ins, const char *id_raw, size_t id_len, const char *method,
                              const char *decision, const char *rule, const char *carried_by)
{
        if (!ins->audit)
                return;
        _cleanup_json_ json_t *f = json_object();
        if (!f || set(f, "id", id_value(id_raw, id_len)) < 0 ||
            set(f, "method", json_string(method)) < 0 ||
            set(f, "decision", json_string(decision)) < 0 ||
            set(f, "rule", json_string(rule ? rule : RULE_DEFAULT)) < 0 ||
            set_opt_str(f, "carried_by", carried_by) < 0) {
                log_error("inspector: out of memory building a server_request record");
                return;
        }
        audit_emit(ins->audit, "server_request", TAKE_PTR(f));
}

void record_security(struct inspector *ins, const char *kind, const char *severity, const char *detail,
                     const char *buf, struct span id, const char *tool)
{
        log_debug("inspector: %s: %s", kind, detail);
        if (!ins->audit)
                return;
        _cleanup_free_ char *id_raw = id.len ? strndup(buf + id.off, id.len) : NULL;
        audit_security(ins->audit, kind, severity, detail, id_raw, tool);
}

void mark_call(struct inflight *e, const char *flag)
{
        if (!e->marks)
                e->marks = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(e->marks, i, v)
                if (!strcmp(json_string_value(v), flag))
                        return;
        if (e->marks)
                json_array_append_new(e->marks, json_string(flag));
}

/* A security record with the fields of the guards: where (JSON pointer) and what class,
 * never the content. */
static void emit_guard_security(struct inspector *ins, const char *kind, const char *detail,
                                const struct inflight *e, const char *tool, json_t *extra)
{
        _cleanup_json_ json_t *more = extra;
        log_debug("inspector: %s: %s", kind, detail);
        if (!ins->audit)
                return;
        _cleanup_json_ json_t *f = json_pack("{s:s, s:s, s:s}", "kind", kind, "severity", "warning",
                                             "detail", detail);
        if (!f || (e && set(f, "id", id_value(e->id_raw, e->id_len)) < 0) ||
            set_opt_str(f, "tool", tool) < 0 || (more && json_object_update(f, more) < 0)) {
                log_error("inspector: out of memory building a %s record", kind);
                return;
        }
        audit_emit(ins->audit, "security", TAKE_PTR(f));
}

void record_injection(struct inspector *ins, const struct inflight *e, const char *cls, const char *pointer,
                      const char *where, const char *action)
{
        char detail[200];
        snprintf(detail, sizeof(detail), "%s in the %s response (%s)", cls, where,
                 !strcmp(action, "block") ? "blocked" : !strcmp(action, "strip") ? "stripped" : "flagged");
        emit_guard_security(ins, "injection", detail, e, e ? e->tool : NULL,
                            json_pack("{s:s, s:s, s:s}", "class", cls, "pointer", pointer, "action", action));
}

void record_pin_changed(struct inspector *ins, const char *what, const char *detail, const char *tool)
{
        emit_guard_security(ins, "pin_changed", detail, NULL, tool, json_pack("{s:s}", "changed", what));
}
