/* The audit handle: one session's chain (session id, seq, prev) over the sinks (the file or
 * stderr; the helper that feeds the alert command and syslog). Every record goes through
 * audit_emit, so the chain has a single writer per session and the bytes hashed are the
 * bytes written. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"

/* Keep security records short: they travel through the alert pipe (PIPE_BUF) and syslog. */
#define DETAIL_MAX 1024
/* The line buffer is kept between records up to this size. */
#define LINE_KEEP_MAX (64 * 1024)

static void audit_freep(struct audit **a) { audit_close(*a); }

int audit_open(struct audit **out, const struct audit_config *cfg, struct mc_error *err)
{
        __attribute__((cleanup(audit_freep))) struct audit *a = calloc(1, sizeof(*a));
        if (!a)
                return mc_error_set(err, ENOMEM, "audit: out of memory");
        a->sink.fd = -1;
        a->alert.fd = -1;
        a->server = strdup(cfg->server ? cfg->server : "");
        if (!a->server)
                return mc_error_set(err, ENOMEM, "audit: out of memory");
        a->server_json = record_server_json(a->server);
        a->server_json_len = a->server_json ? strlen(a->server_json) : 0;
        if (!a->server_json)
                log_error("audit: the server name is not UTF-8: no audit record can be written; "
                          "give a UTF-8 --name");
        int r = record_session_id(a->session, err);
        if (r < 0)
                return r;
        if (cfg->key_file) {
                r = key_load(&a->key, cfg->key_file, err);
                if (r < 0)
                        return r;
        }
        r = chain_init(&a->chain, &a->key, err);
        if (r < 0)
                return mc_error_prefix(err, "audit: the record chain");
        /* The MAC context holds its own copy of the key: keep just that one. */
        key_clear(&a->key);
        r = sink_open(&a->sink, cfg->file, err);
        if (r < 0)
                return r;
        r = alert_start(&a->alert, cfg->alert, cfg->syslog, err);
        if (r < 0)
                return r;
        *out = TAKE_PTR(a);
        return 0;
}

void audit_close(struct audit *a)
{
        if (!a)
                return;
        audit_flush(a);
        alert_stop(&a->alert);
        sink_close(&a->sink);
        chain_free(&a->chain);
        key_clear(&a->key);
        buf_free(&a->line);
        buf_free(&a->batch);
        buf_free(&a->held_members);
        free(a->server_json);
        free(a->server);
        free(a);
}

int audit_reopen(struct audit *a, struct mc_error *err)
{
        if (!a)
                return 0;
        return sink_reopen(&a->sink, err);
}

const char *audit_session_id(const struct audit *a)
{
        return a ? a->session : "";
}

/* One record into a->line: built (from `fields`, or from `members` when not NULL),
 * chained, newline-terminated. The chain advances even if the write later fails (see
 * audit_emit). Steals `fields`. */
static int build_line(struct audit *a, const char *event, json_t *fields, const char *members, size_t len)
{
        int r = members ? record_build_members(a, event, members, len) : record_build(a, event, fields);
        if (r < 0)
                return r;
        struct buf *line = &a->line;
        char next_prev[AUDIT_DIGEST_HEX + 1];
        r = chain_digest(&a->chain, line->data, line->len, next_prev);
        if (r < 0) {
                log_error("audit: cannot hash a record: %s", strerror(-r));
                return r;
        }
        if (line_putc(line, '\n') < 0)
                return -ENOMEM;
        /* The record counts as written even if the disk refuses it: the next one chains to it,
         * so `audit verify` shows the lost record instead of a silently shorter log. */
        memcpy(a->prev, next_prev, sizeof(a->prev));
        a->seq++;
        return 0;
}

/* One huge record (a big argument list) should not pin its buffer for the session. */
static void trim(struct buf *b)
{
        if (b->cap > LINE_KEEP_MAX)
                buf_free(b);
}

/* The unheld path: whatever is held was emitted first, then this record in one write(). */
static int emit_now(struct audit *a, const char *event, json_t *fields, const char *members, size_t len)
{
        (void)audit_flush(a);
        int r = build_line(a, event, fields, members, len);
        if (r < 0)
                return r;
        r = sink_write(&a->sink, a->line.data, a->line.len, 1);
        if (!strcmp(event, "security"))
                alert_send(&a->alert, a->line.data, a->line.len);
        trim(&a->line);
        return r;
}

int audit_emit(struct audit *a, const char *event, json_t *fields)
{
        _cleanup_json_ json_t *owned = fields;
        if (!a)
                return 0;
        if (a->hold && strlen(event) < AUDIT_EVENT_MAX) {
                struct audit_held *h = &a->held[a->n_held++];
                strcpy(h->event, event);
                h->fields = TAKE_PTR(owned);
                h->members = false;
                return a->n_held == AUDIT_HOLD_MAX ? audit_flush(a) : 0;
        }
        return emit_now(a, event, TAKE_PTR(owned), NULL, 0);
}

int audit_emit_members(struct audit *a, const char *event, const char *members, size_t len)
{
        if (!a)
                return 0;
        if (a->hold && strlen(event) < AUDIT_EVENT_MAX) {
                size_t off = a->held_members.len;
                if (buf_append(&a->held_members, members, len) < 0)
                        return -ENOMEM;
                struct audit_held *h = &a->held[a->n_held++];
                *h = (struct audit_held){ .members = true, .off = off, .len = len };
                strcpy(h->event, event);
                return a->n_held == AUDIT_HOLD_MAX ? audit_flush(a) : 0;
        }
        return emit_now(a, event, NULL, members ? members : "", len);
}

void audit_hold(struct audit *a, bool on)
{
        if (!a)
                return;
        if (!on)
                audit_flush(a);
        a->hold = on;
}

/* The held records in the order they were emitted: one write() for all of them (each line
 * whole: O_APPEND appends the write as one unit), then the alerts of the security ones. */
int audit_flush(struct audit *a)
{
        if (!a || a->n_held == 0)
                return 0;
        size_t n = a->n_held, n_alerts = 0, records = 0;
        size_t alert_off[AUDIT_HOLD_MAX], alert_len[AUDIT_HOLD_MAX];
        int r = 0;
        a->n_held = 0;
        buf_reset(&a->batch);
        for (size_t i = 0; i < n; i++) {
                struct audit_held *h = &a->held[i];
                const char *members = !h->members ? NULL : h->len ? a->held_members.data + h->off : "";
                int k = build_line(a, h->event, TAKE_PTR(h->fields), members, h->len);
                if (k >= 0 && !strcmp(h->event, "security")) {
                        alert_off[n_alerts] = a->batch.len;
                        alert_len[n_alerts++] = a->line.len;
                }
                if (k >= 0 && buf_append(&a->batch, a->line.data, a->line.len) < 0)
                        k = -ENOMEM;
                if (k < 0)
                        r = k;
                else
                        records++;
        }
        if (a->batch.len) {
                int w = sink_write(&a->sink, a->batch.data, a->batch.len, records);
                if (w < 0)
                        r = w;
        }
        for (size_t i = 0; i < n_alerts; i++)
                alert_send(&a->alert, a->batch.data + alert_off[i], alert_len[i]);
        buf_reset(&a->held_members);
        trim(&a->line);
        trim(&a->batch);
        trim(&a->held_members);
        return r;
}

/* The detail comes from code, but may quote what a server sent: cap it (keeping UTF-8
 * whole) and, if it is not UTF-8 at all, replace the offending bytes rather than lose the
 * record. */
static json_t *detail_value(const char *detail)
{
        size_t len = strlen(detail);
        if (len > DETAIL_MAX) {
                len = DETAIL_MAX;
                while (len > 0 && ((unsigned char)detail[len] & 0xC0) == 0x80)
                        len--;
        }
        json_t *v = json_stringn(detail, len);
        if (v)
                return v;
        _cleanup_free_ char *copy = strndup(detail, len);
        if (!copy)
                return NULL;
        for (char *p = copy; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        *p = '?';
        return json_string(copy);
}

/* The id as the host sent it: its JSON value when it parses (1 stays 1, "1" stays "1"),
 * else the raw text as a string, so even a malformed id is on record. */
static json_t *id_value(const char *id_raw)
{
        json_t *v = json_loads(id_raw, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        return v ? v : detail_value(id_raw);
}

static int add(json_t *obj, const char *key, json_t *value)
{
        if (!value || json_object_set_new(obj, key, value) < 0)
                return -ENOMEM;
        return 0;
}

int audit_security(struct audit *a, const char *kind, const char *severity, const char *detail,
                   const char *id_raw, const char *tool)
{
        if (!a)
                return 0;
        _cleanup_json_ json_t *f = json_object();
        if (!f ||
            add(f, "kind", json_string(kind)) < 0 ||
            add(f, "severity", json_string(severity)) < 0 ||
            add(f, "detail", detail_value(detail ? detail : "")) < 0 ||
            (id_raw && add(f, "id", id_value(id_raw)) < 0) ||
            (tool && add(f, "tool", detail_value(tool)) < 0)) {
                log_error("audit: out of memory building a '%s' security record", kind);
                return -ENOMEM;
        }
        return audit_emit(a, "security", TAKE_PTR(f));
}
