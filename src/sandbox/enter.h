/* The child's side, from clone() to the server's execve(): the ordered list of steps. */
#pragma once

#include "sandbox/setup.h"

struct child_pipes {
        int in_r, out_w, err_w;         /* the server's stdin, stdout, stderr */
        int sync;                       /* the child's end of the setup channel */
};

/* Runs in the child right after clone(); never returns. */
_Noreturn void sandbox_enter(const struct sandbox_setup *s, const struct child_pipes *p);

/* isolation none (no cgroup, no network programs, nothing the parent does before the
 * server may run): starts the server sharing mcpcage's memory until its execve()
 * (CLONE_VM|CLONE_VFORK) and returns once it has exec'd or failed, which it reports over
 * the setup channel as a forked child does. The pid, or -1 with errno; *pidfd: its pidfd,
 * or -1. */
pid_t sandbox_spawn_unconfined(const struct sandbox_setup *s, const struct child_pipes *p, int *pidfd);
