/* Security records also to syslog (audit.syslog), for hosts that collect syslog centrally.
 * Called only in the alert helper (alert.c), never in the relay: syslog(3) blocks when the
 * daemon is slow. A file of its own because <syslog.h> defines LOG_DEBUG/LOG_INFO, which
 * util/log.h also names. */
#include "audit/audit-internal.h"

#include <string.h>
#include <syslog.h>

void sink_syslog_open(void)
{
        openlog("mcpcage", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void sink_syslog_send(const char *severity, const char *line, size_t len)
{
        int prio = LOG_NOTICE;
        if (severity && !strcmp(severity, "critical"))
                prio = LOG_CRIT;
        else if (severity && !strcmp(severity, "warning"))
                prio = LOG_WARNING;
        syslog(prio, "%.*s", (int)len, line);
}
