/* Starting the server. Today: fork + exec with pipes and an exec-status pipe (so "not found"
 * and "not runnable" become 127/126 as in a shell). The confinement issue grows this into
 * clone() with namespaces; the interface stays. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "policy/policy.h"
#include "util/error.h"

struct launch_config {
        char *const *argv;              /* argv[0] looked up on PATH like execvp */
        const struct policy *policy;    /* effective policy (for later sandbox steps) */
        char *const *envp;              /* environment for the child (NULL = inherit) */
};

struct child {
        pid_t pid;
        int pidfd;      /* -1 when pidfd_open is unavailable */
        int stdin_fd;   /* write end: host -> server */
        int stdout_fd;  /* read end: server -> host */
        int stderr_fd;  /* read end: server's stderr */
};

/* On exec failure returns -ENOENT (127) or -EACCES/-ENOEXEC (126) with err filled, after
 * reaping the failed child. */
int launch_child(const struct launch_config *cfg, struct child *out, struct mc_error *err);
void child_close_fds(struct child *c);
