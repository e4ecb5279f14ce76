/* The kill switch (policy.md mcp.kill_switch): while its file exists, or from SIGUSR1 until
 * SIGUSR2, no tool runs. The file is checked with one stat() per tools/call, not with an
 * inotify watch: the switch must work when its directory does not exist yet (a watch
 * needs one) and when a security team points it at a path on a network file system
 * (inotify does not see remote changes); a stat of a missing path costs well under a
 * microsecond, which is nothing next to a tool call. */
#include "inspect/inspector-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool kill_switch_on(const struct inspect_rules *r, char *why, size_t size)
{
        if (r->killed) {
                snprintf(why, size, "the kill switch is on (SIGUSR1; SIGUSR2 turns it off)");
                return true;
        }
        if (!r->kill_path)
                return false;
        struct stat st;
        if (stat(r->kill_path, &st) == 0) {
                snprintf(why, size, "the kill switch is on (%s exists; `mcpcage kill off` removes it)",
                         r->kill_path);
                return true;
        }
        if (errno == ENOENT || errno == ENOTDIR)
                return false;
        /* fail closed: a switch that cannot be read might be on */
        snprintf(why, size, "the kill switch %s cannot be checked (%s)", r->kill_path, strerror(errno));
        return true;
}

void inspector_set_kill(struct inspector *ins, bool on)
{
        if (ins->rules.killed == on)
                return;
        ins->rules.killed = on;
        record_security(ins, "kill_switch", on ? "critical" : "info",
                        on ? "kill switch turned on by SIGUSR1: every tools/call is refused"
                           : "kill switch turned off by SIGUSR2", NULL, (struct span){ 0 }, NULL);
}
