#include "relay/netlog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "util/log.h"

static bool well_formed(json_t *o)
{
        json_t *rule = json_object_get(o, "rule"), *reason = json_object_get(o, "reason");
        return json_is_object(o) && json_is_string(json_object_get(o, "via")) &&
               json_is_string(json_object_get(o, "dest")) && json_is_string(json_object_get(o, "addr")) &&
               json_is_integer(json_object_get(o, "port")) && json_is_string(json_object_get(o, "decision")) &&
               json_is_string(rule) && (!reason || json_is_string(reason)) &&
               json_is_integer(json_object_get(o, "bytes_in")) && json_is_integer(json_object_get(o, "bytes_out")) &&
               json_is_integer(json_object_get(o, "duration_ms"));
}

static void emit_line(const char *line, size_t len, struct audit *a)
{
        json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
        if (!well_formed(o)) {
                log_debug("network proxy: dropping a malformed event line");
                json_decref(o);
                return;
        }
        bool refused = strcmp(json_string_value(json_object_get(o, "decision")), "allow") != 0;
        char detail[400];
        const char *reason = json_string_value(json_object_get(o, "reason"));
        if (refused)
                snprintf(detail, sizeof(detail), "%s to %s port %d refused: %s",
                         json_string_value(json_object_get(o, "via")), json_string_value(json_object_get(o, "dest")),
                         (int)json_integer_value(json_object_get(o, "port")),
                         reason ? reason : "not allowed");
        if (!a) {
                if (refused)
                        log_info("network: %s", detail);
                json_decref(o);
                return;
        }
        int r = audit_emit(a, "connection", o);
        if (r < 0)
                log_warn("audit: writing connection: %s", strerror(-r));
        if (refused && (r = audit_security(a, "network_refused", "warning", detail, NULL, NULL)) < 0)
                log_warn("audit: writing network_refused: %s", strerror(-r));
}

int netlog_read(struct netlog *n, struct audit *a)
{
        ssize_t got = read(n->fd, n->buf + n->len, sizeof(n->buf) - n->len);
        if (got < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (got == 0)
                return 1;
        n->len += (size_t)got;
        size_t start = 0;
        for (char *nl; (nl = memchr(n->buf + start, '\n', n->len - start)); start = (size_t)(nl - n->buf) + 1)
                emit_line(n->buf + start, (size_t)(nl - n->buf) - start, a);
        memmove(n->buf, n->buf + start, n->len - start);
        n->len -= start;
        /* The proxy never writes a line this long: drop it rather than wait for ever. */
        if (n->len == sizeof(n->buf))
                n->len = 0;
        return 0;
}
