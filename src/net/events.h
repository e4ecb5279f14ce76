/* The proxy's reports to the relay: one JSON object per line on a socketpair, one per
 * connection decided (a refusal at once, an allowed connection when it ends, with its
 * byte counts). The relay owns the audit chain and turns each line into a `connection`
 * record (audit.md), and a refusal also into `security` network_refused. The queue is
 * bounded: while it is full the proxy refuses new connections instead of serving them
 * unaudited (fail closed). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

#define NET_EVENTS_MAX (256 * 1024)
#define NET_EVENT_LINE_MAX 2048

struct net_event {
        const char *via;        /* "proxy" or "forward 127.0.0.1:5432" */
        const char *dest;       /* the name or address as asked */
        const char *addr;       /* what it resolved to ("" when not resolved) */
        int port;
        bool allowed;
        int rule;               /* index into network.allow, or -1 */
        const char *reason;     /* refusal or failure, or NULL */
        uint64_t bytes_in, bytes_out, duration_ms;
};

struct net_events {
        int fd;
        struct buf q;
};

/* Queues one line; 0, or -ENOBUFS when the queue is full (the event is lost: callers
 * check net_events_full() before they accept work that will need one). */
int net_events_push(struct net_events *e, const struct net_event *ev);
bool net_events_full(const struct net_events *e);
/* Writes what the socket takes now. 0, or -errno when the relay is gone. */
int net_events_flush(struct net_events *e);
