/* The child's side, from clone() to the server's execve(): the ordered list of steps. */
#pragma once

#include "sandbox/setup.h"

struct child_pipes {
        int in_r, out_w, err_w;         /* the server's stdin, stdout, stderr */
        int sync;                       /* the child's end of the setup channel */
        int init_exe;                   /* mcpcage-init (O_PATH), or -1 for isolation none */
};

/* Starts the child sharing mcpcage's memory until init's execve() of mcpcage-init, or with
 * isolation none until the server's own execve(); see the comment at the definition for how
 * the two keep out of each other's way. The pid, or -1 with errno; *pidfd: its pidfd, or -1. */
pid_t sandbox_spawn(const struct sandbox_setup *s, const struct child_pipes *p, int *pidfd);

/* Once the child has left mcpcage's memory: the server's execve() errno if its seccomp
 * filter kept it from reporting the failure over the setup channel, else 0. */
int sandbox_server_exec_errno(void);
