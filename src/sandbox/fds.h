/* File descriptors of the child (threats.md §1 "inherit an fd from mcpcage or the host":
 * only 0/1/2 exist in the server). Child side; failures die. */
#pragma once

#define FD_SYNC 3       /* the setup channel, close-on-exec */
#define FD_RULESET 4    /* the Landlock ruleset built by the parent, or closed */
#define FD_INIT_EXE 5   /* mcpcage-init, close-on-exec (O_PATH), or closed */
#define FD_INIT_GO 6    /* init, for mcpcage-init: the server waits for a byte (enter.c) */

/* The server's pipes onto 0/1/2, the sync socket onto FD_SYNC, the ruleset (or -1) onto
 * FD_RULESET, mcpcage-init (or -1) onto FD_INIT_EXE, and every other descriptor closed,
 * whatever mcpcage had open. */
void fds_arrange(int in_r, int out_w, int err_w, int sync, int ruleset, int init_exe);

/* Closes every descriptor >= first. */
void fds_close_from(int first);
