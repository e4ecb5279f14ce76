#include "sandbox/fds.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sandbox/sync.h"
#include "util/cleanup.h"

void fds_close_from(int first)
{
        if (close_range((unsigned)first, ~0U, 0) == 0)
                return;
        /* Before Linux 5.9: every possible descriptor. */
        struct rlimit rl;
        int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
                  rl.rlim_max < 1048576 ? (int)rl.rlim_max : 1048576;
        for (int fd = first; fd < max; fd++)
                close(fd);
}

void fds_arrange(int in_r, int out_w, int err_w, int sync, int ruleset, int init_exe)
{
        /* want[i] lands on descriptor i */
        const int want[] = { in_r, out_w, err_w, sync, ruleset, init_exe };
        enum { N = ARRAY_SIZE(want) };
        int tmp[N];
        /* Lift every one above the targets first, so no dup3 overwrites another source. */
        for (int i = 0; i < N; i++) {
                tmp[i] = want[i] < 0 ? -1 : fcntl(want[i], F_DUPFD_CLOEXEC, 10);
                if (want[i] >= 0 && tmp[i] < 0)
                        die_errno(errno, "arranging the server's file descriptors");
        }
        for (int i = 0; i < N; i++)
                if (tmp[i] >= 0 && dup3(tmp[i], i, i < 3 ? 0 : O_CLOEXEC) < 0)
                        die_errno(errno, "arranging the server's file descriptors");
        sync_child_init(FD_SYNC);
        if (ruleset < 0)
                close(FD_RULESET);
        fds_close_from(init_exe >= 0 ? FD_INIT_EXE + 1 : FD_INIT_EXE);
}
