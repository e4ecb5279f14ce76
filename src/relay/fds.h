/* The host's fds as the loop needs them: non-blocking, with their flags restored at the end
 * (they may be shared with a terminal or a parent shell). */
#pragma once

#include <stdbool.h>

struct fd_flags {
        int fd;
        int saved;      /* F_GETFL before we touched it, -1 when untouched */
};

/* Make fd non-blocking, remembering its flags in *ff. 0 or -errno. */
int fd_set_nonblock(int fd, struct fd_flags *ff);
void fd_restore(struct fd_flags *ff);

/* An fd for passing the server's stderr through without ever blocking the relay. For a pipe
 * or terminal this is a fresh open file description of the same object (so O_NONBLOCK does
 * not leak into the description our own log lines and the parent shell use); otherwise fd
 * itself, made non-blocking via *ff. Returns the fd to use (to close when != fd), or -errno. */
int fd_open_passthrough(int fd, struct fd_flags *ff);

/* Larger pipe buffers to the server: fewer wakeups and syscalls for big results. Best effort. */
void fd_grow_pipe(int fd);
