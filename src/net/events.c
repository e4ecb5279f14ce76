#include "net/events.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <jansson.h>

#include "util/cleanup.h"

bool net_events_full(const struct net_events *e)
{
        return e->q.len + NET_EVENT_LINE_MAX > NET_EVENTS_MAX;
}

int net_events_push(struct net_events *e, const struct net_event *ev)
{
        if (net_events_full(e))
                return -ENOBUFS;
        /* A refusal is decided by the list as a whole: nothing in it admits the destination. */
        char rule[32] = "/network/allow";
        if (ev->rule >= 0)
                snprintf(rule, sizeof(rule), "/network/allow/%d", ev->rule);
        _cleanup_json_ json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s*, s:I, s:I, s:I}",
                                             "via", ev->via, "dest", ev->dest, "addr", ev->addr ? ev->addr : "",
                                             "port", ev->port, "decision", ev->allowed ? "allow" : "deny",
                                             "rule", rule, "reason", ev->reason,
                                             "bytes_in", (json_int_t)ev->bytes_in,
                                             "bytes_out", (json_int_t)ev->bytes_out,
                                             "duration_ms", (json_int_t)ev->duration_ms);
        if (!o)
                return -ENOMEM;
        _cleanup_free_ char *line = json_dumps(o, JSON_COMPACT);
        if (!line)
                return -ENOMEM;
        size_t n = strlen(line);
        if (n + 1 > NET_EVENT_LINE_MAX)
                return -E2BIG;
        if (buf_append(&e->q, line, n) < 0 || buf_append(&e->q, "\n", 1) < 0)
                return -ENOMEM;
        return 0;
}

int net_events_flush(struct net_events *e)
{
        while (e->q.len) {
                ssize_t w = send(e->fd, e->q.data, e->q.len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return 0;
                if (w <= 0)
                        return w < 0 ? -errno : -EPIPE;
                buf_consume(&e->q, (size_t)w);
        }
        return 0;
}
