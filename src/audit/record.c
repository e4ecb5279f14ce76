/* Building one audit record: the fixed head of audit.md (v, ts, session, seq, server, event,
 * prev) followed by the caller's fields, serialised compactly in insertion order so the
 * bytes that are hashed are exactly the bytes that are written.
 *
 * A record is built for every relayed call, so this is the relay's hot path. The head's
 * values are all known shapes (digits, hex, a timestamp, two JSON strings escaped by jansson
 * ahead of time) and are written straight into one reused buffer; the caller's fields follow
 * in the same buffer (record-json.c). The bytes are those of json_dumps over the whole
 * record (tests/unit/test-audit.c pins them). */
#include "audit/audit-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/log.h"

static const char *const reserved_keys[] = { "v", "ts", "session", "seq", "server", "event", "prev" };

bool record_reserved_key(const char *key)
{
        /* Checked for every field of every record: most keys differ in the first byte. */
        for (size_t i = 0; i < ARRAY_SIZE(reserved_keys); i++)
                if (key[0] == reserved_keys[i][0] && !strcmp(key, reserved_keys[i]))
                        return true;
        return false;
}

int record_session_id(char out[static AUDIT_SESSION_HEX + 1], struct mc_error *err)
{
        unsigned char raw[AUDIT_SESSION_HEX / 2];
        size_t got = 0;
        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return mc_error_errno(err, errno, "audit: cannot draw a random session id");
                got += (size_t)n;
        }
        hex_encode(out, raw, sizeof(raw));
        return 0;
}

void audit_fix_clock(struct audit *a, const struct timespec *now)
{
        a->clock.fixed = now != NULL;
        if (now)
                a->clock.fixed_now = *now;
}

/* RFC 3339, UTC, milliseconds (truncated): 2026-11-22T10:15:03.123Z. gmtime_r and strftime
 * run when the second changes (or the clock steps), not for every record. Returns the
 * length. */
static int format_ts(struct audit_clock *c, char out[static 40])
{
        struct timespec now = c->fixed_now;
        if (!c->fixed && clock_gettime(CLOCK_REALTIME, &now) < 0)
                return -errno;
        if (!c->cached || now.tv_sec != c->sec) {
                struct tm tm;
                c->cached = false;
                if (!gmtime_r(&now.tv_sec, &tm))
                        return -EOVERFLOW;
                c->date_len = strftime(c->date, sizeof(c->date), "%Y-%m-%dT%H:%M:%S", &tm);
                if (c->date_len == 0)
                        return -EOVERFLOW;
                c->sec = now.tv_sec;
                c->cached = true;
        }
        unsigned ms = (unsigned)(now.tv_nsec / 1000000L) % 1000;
        char *p = mempcpy(out, c->date, c->date_len);
        *p++ = '.';
        *p++ = (char)('0' + ms / 100);
        *p++ = (char)('0' + ms / 10 % 10);
        *p++ = (char)('0' + ms % 10);
        *p++ = 'Z';
        return (int)(p - out);
}

/* Decimal, as jansson prints a json_int_t (seq never reaches 2^63). */
static size_t format_u64(char out[static 24], uint64_t v)
{
        char tmp[24];
        size_t n = 0;
        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        for (size_t i = 0; i < n; i++)
                out[i] = tmp[n - 1 - i];
        return n;
}

/* A JSON string token for s as jansson writes it (quotes, escapes, UTF-8 as is), or NULL
 * when s is not UTF-8. */
static char *json_token(const char *s)
{
        _cleanup_json_ json_t *v = json_string(s);
        return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
}

char *record_server_json(const char *server)
{
        return json_token(server);
}

/* Event names are code constants like "call": printable ASCII that jansson writes as is.
 * Anything else takes jansson's escaping. */
static int append_event(struct buf *b, const char *event)
{
        const char *p = event;
        while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
                p++;
        if (!*p) {
                if (line_putc(b, '"') < 0 || line_put(b, event, (size_t)(p - event)) < 0 ||
                    line_putc(b, '"') < 0)
                        return -ENOMEM;
                return 0;
        }
        _cleanup_free_ char *token = json_token(event);
        return token ? line_put(b, token, strlen(token)) : -ENOMEM;
}

static int append_head(struct audit *a, const char *event, struct buf *b)
{
        char ts[40], seq[24];
        int ts_len = format_ts(&a->clock, ts);
        if (ts_len < 0)
                return ts_len;
        size_t seq_len = format_u64(seq, a->seq);
        if (line_puts(b, "{\"v\":1,\"ts\":\"") < 0 || line_put(b, ts, (size_t)ts_len) < 0 ||
            line_puts(b, "\",\"session\":\"") < 0 || line_put(b, a->session, strlen(a->session)) < 0 ||
            line_puts(b, "\",\"seq\":") < 0 || line_put(b, seq, seq_len) < 0 ||
            line_puts(b, ",\"server\":") < 0 || line_put(b, a->server_json, a->server_json_len) < 0 ||
            line_puts(b, ",\"event\":") < 0 || append_event(b, event) < 0 ||
            line_puts(b, ",\"prev\":\"") < 0 || line_put(b, a->prev, strlen(a->prev)) < 0 ||
            line_putc(b, '"') < 0)
                return -ENOMEM;
        return 0;
}

/* The fields continue the head's object: written without their own braces, straight into
 * the line buffer; when the fast serialiser declines a value, jansson dumps them all
 * (JSON_EMBED), grown once if the first attempt did not fit. */
static int append_fields(struct buf *b, const json_t *fields)
{
        if (!fields || json_object_size(fields) == 0)
                return line_putc(b, '}');
        if (line_putc(b, ',') < 0)
                return -ENOMEM;
        size_t mark = b->len;
        int r = record_json_members(b, fields);
        if (r != -EAGAIN)
                return r < 0 ? r : line_putc(b, '}');
        b->len = mark;
        if (buf_reserve(b, 256) < 0)
                return -ENOMEM;
        size_t avail = b->cap - b->len;
        size_t n = json_dumpb(fields, b->data + b->len, avail, JSON_COMPACT | JSON_EMBED);
        if (n == 0)
                return -ENOMEM;
        if (n > avail) {
                if (buf_reserve(b, n) < 0)
                        return -ENOMEM;
                if (json_dumpb(fields, b->data + b->len, n, JSON_COMPACT | JSON_EMBED) != n)
                        return -EIO;
        }
        b->len += n;
        return line_putc(b, '}');
}

int record_build(struct audit *a, const char *event, json_t *fields)
{
        _cleanup_json_ json_t *owned = fields;
        if (owned && !json_is_object(owned)) {
                log_error("audit: fields of a '%s' record are not a JSON object; record not written", event);
                return -EINVAL;
        }
        for (void *it = json_object_iter(owned); it; it = json_object_iter_next(owned, it)) {
                const char *key = json_object_iter_key(it);
                /* A caller overwriting seq or prev would forge the chain; it is a bug. So is a
                 * field name with a NUL in it (only json_object_setn makes one): readers would
                 * disagree on where the name ends. */
                if (record_reserved_key(key) || strlen(key) != record_key_len(it)) {
                        log_error("audit: a '%s' record may not set the field '%s'; record not written",
                                  event, key);
                        return -EINVAL;
                }
        }
        if (!a->server_json)
                return -EILSEQ;
        /* Compact, UTF-8 as given, no newline anywhere: one record is one line. */
        buf_reset(&a->line);
        int r = append_head(a, event, &a->line);
        if (r < 0)
                return r;
        return append_fields(&a->line, owned);
}

int record_build_members(struct audit *a, const char *event, const char *members, size_t len)
{
        if (!a->server_json)
                return -EILSEQ;
        buf_reset(&a->line);
        int r = append_head(a, event, &a->line);
        if (r < 0)
                return r;
        if (len && (line_putc(&a->line, ',') < 0 || line_put(&a->line, members, len) < 0))
                return -ENOMEM;
        return line_putc(&a->line, '}');
}
