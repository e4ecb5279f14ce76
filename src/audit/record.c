/* Building one audit record: the fixed head of audit.md (v, ts, session, seq, server, event,
 * prev) followed by the caller's fields, serialised compactly in insertion order so the
 * bytes that are hashed are exactly the bytes that are written. */
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
        for (size_t i = 0; i < ARRAY_SIZE(reserved_keys); i++)
                if (!strcmp(key, reserved_keys[i]))
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

/* RFC 3339, UTC, milliseconds: 2026-11-22T10:15:03.123Z */
static int format_ts(const struct audit *a, char out[static 32])
{
        struct timespec now = a->fixed_now;
        struct tm tm;
        if (!a->clock_fixed && clock_gettime(CLOCK_REALTIME, &now) < 0)
                return -errno;
        if (!gmtime_r(&now.tv_sec, &tm))
                return -EOVERFLOW;
        size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0)
                return -EOVERFLOW;
        snprintf(out + n, 32 - n, ".%03ldZ", now.tv_nsec / 1000000L);
        return 0;
}

void audit_fix_clock(struct audit *a, const struct timespec *now)
{
        a->clock_fixed = now != NULL;
        if (now)
                a->fixed_now = *now;
}

static int set_new(json_t *obj, const char *key, json_t *value)
{
        if (!value || json_object_set_new(obj, key, value) < 0)
                return -ENOMEM;
        return 0;
}

static int build_head(const struct audit *a, const char *event, json_t *rec)
{
        char ts[32];
        int r = format_ts(a, ts);
        if (r < 0)
                return r;
        if (set_new(rec, "v", json_integer(1)) < 0 ||
            set_new(rec, "ts", json_string(ts)) < 0 ||
            set_new(rec, "session", json_string(a->session)) < 0 ||
            set_new(rec, "seq", json_integer((json_int_t)a->seq)) < 0 ||
            set_new(rec, "server", json_string(a->server)) < 0 ||
            set_new(rec, "event", json_string(event)) < 0 ||
            set_new(rec, "prev", json_string(a->prev)) < 0)
                return -ENOMEM;
        return 0;
}

int record_build(const struct audit *a, const char *event, json_t *fields, char **line)
{
        _cleanup_json_ json_t *owned = fields;
        _cleanup_json_ json_t *rec = json_object();
        if (!rec)
                return -ENOMEM;
        int r = build_head(a, event, rec);
        if (r < 0)
                return r;
        if (owned && !json_is_object(owned)) {
                log_error("audit: fields of a '%s' record are not a JSON object; record not written", event);
                return -EINVAL;
        }
        const char *key;
        json_t *value;
        json_object_foreach(owned, key, value) {
                /* A caller overwriting seq or prev would forge the chain; it is a bug. */
                if (record_reserved_key(key)) {
                        log_error("audit: a '%s' record may not set the field '%s'; record not written",
                                  event, key);
                        return -EINVAL;
                }
                if (json_object_set(rec, key, value) < 0)
                        return -ENOMEM;
        }
        /* Compact, UTF-8 as given, no newline anywhere: one record is one line. */
        *line = json_dumps(rec, JSON_COMPACT);
        return *line ? 0 : -ENOMEM;
}
