#include "sandbox/clone.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* struct clone_args of <linux/sched.h>, version 0 (64 bytes). */
struct clone_args_v0 {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

pid_t sandbox_clone(unsigned long flags, int *pidfd)
{
        *pidfd = -1;
#ifdef SYS_clone3
        struct clone_args_v0 args = {
                .flags = flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)pidfd,
                .exit_signal = SIGCHLD,
        };
        long r = syscall(SYS_clone3, &args, sizeof(args));
        if (r >= 0 || (errno != ENOSYS && errno != E2BIG))
                return (pid_t)r;
        *pidfd = -1;
#endif
        /* No stack given: the child runs on a copy of ours, as after fork(). */
#if defined(__s390__) || defined(__CRIS__)
        return (pid_t)syscall(SYS_clone, 0, flags | SIGCHLD, NULL, NULL, 0);
#else
        return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
#endif
}
