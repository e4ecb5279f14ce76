/* The setup channel between mcpcage and its child: a SOCK_SEQPACKET pair, close-on-exec in
 * the child. The parent releases the child with one byte once the maps are written; the
 * child answers with at most one message: why setup failed, why execve() failed, or that
 * the user namespace it got is unusable (and hands descriptors over: the seccomp listener,
 * the network namespace's listeners). End of file without a message means the server's
 * execve() succeeded: every copy of the child's end closes at exec, init's when it execs
 * mcpcage-init and the server's at its own, and nobody else holds one. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

enum sync_kind {
        SYNC_SETUP_FAILED = 1,  /* text: one line naming the step, the path and the reason */
        SYNC_EXEC_FAILED,       /* err: execve()'s errno (127/126 as a shell); text: the path */
        SYNC_NS_UNUSABLE,       /* the namespace was created without its capabilities */
        SYNC_LISTENER,          /* init hands over the server's seccomp listener (fd attached) */
        SYNC_NET_LISTENER,      /* a listening socket of the network namespace (fd attached,
                                 * err: its index, net_plan_listener order) */
};

struct sync_msg {
        int kind;
        int err;
        char text[MC_ERROR_MAX];
        int fd;                 /* received with SYNC_LISTENER, else -1 */
};

/* ---- child side (after clone, before exec): no allocation, async-signal-safe enough ---- */
void sync_child_init(int fd);
/* Blocks for the parent's release; returns false when the parent is gone. */
bool sync_child_wait_release(void);
/* Is the parent still there (its end of the socket still open)? */
bool sync_child_parent_alive(void);
/* init: the seccomp listener to mcpcage (SCM_RIGHTS); dies when it cannot. */
void sync_child_send_listener(int fd);
/* Any descriptor with its kind and an index (sent in err); dies when it cannot. */
void sync_child_send_fd(int kind, int index, int fd);

/* Report and _exit(125). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same with ": strerror(e)" appended. */
_Noreturn void die_errno(int e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* execve() failed: report errno, _exit(127) for ENOENT else 126. */
_Noreturn void die_exec(int e, const char *path);
/* The user namespace is there but mounting is refused (AppArmor's restriction). */
_Noreturn void die_ns_unusable(int e, const char *what);

/* ---- parent side ---- */
int sync_release(int fd, struct mc_error *err);
/* 0 on end of file (exec succeeded), 1 with *msg filled (msg->fd: a received descriptor,
 * close-on-exec, or -1), or -errno. */
int sync_read(int fd, struct sync_msg *msg);
