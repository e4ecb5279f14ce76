/* clone() with namespace flags, returning like fork(): clone3 (with a pidfd, so the child
 * can never be confused with a recycled pid), else the classic clone. */
#pragma once

#include <sys/types.h>

/* 0 in the child, the pid in the parent (and *pidfd, or -1), -1 with errno on failure. */
pid_t sandbox_clone(unsigned long flags, int *pidfd);
