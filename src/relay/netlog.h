/* The proxy's event lines (net/events.h) turned into audit records by the relay, which owns
 * the audit chain: one `connection` record per line, and for a refusal also a `security`
 * record of kind network_refused (audit.md). A line that is not what the proxy writes is
 * dropped: the proxy faces the server's requests, so its output is checked, not trusted. */
#pragma once

#include <stddef.h>

#include "audit/audit.h"
#include "net/events.h"

struct netlog {
        int fd;
        size_t len;
        char buf[2 * NET_EVENT_LINE_MAX];
};

/* Reads what the socket has, emits a record per complete line. 1 at end of file (the
 * proxy is gone), 0, or -errno. a may be NULL (no audit). */
int netlog_read(struct netlog *n, struct audit *a);
