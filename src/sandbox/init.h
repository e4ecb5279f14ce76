/* mcpcage's own init: what stays behind the server in the child. In the pid namespace it is
 * pid 1: it reaps every zombie (orphans come to it), forwards SIGTERM, SIGINT and SIGHUP to
 * the server (pid 1 ignores signals it has no handler for, so a plain server would never
 * see mcpcage's shutdown), and exits with the server's status, which ends the namespace and
 * everything left in it. Without a pid namespace (the Landlock fallback) it is a child
 * subreaper and kills what the server left behind before it exits (threats.md §1 "outlive
 * mcpcage (double fork, setsid)"). */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Sent to init by the kernel when mcpcage dies (fallback mode: init must clean up, so not
 * SIGKILL). */
#define INIT_PARENT_GONE_SIGNAL (SIGRTMIN + 1)

/* Blocks the signals init waits for; call before forking the server (which restores mask
 * and dispositions itself). */
void init_block_signals(bool fallback);

/* Never returns: waits, forwards, reaps, exits like the server did. */
_Noreturn void init_run(pid_t server, bool fallback);
