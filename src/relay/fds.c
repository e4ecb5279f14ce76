#include "relay/fds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 MiB: an 8 MiB result crosses in 8 reads instead of 128; pipe-max-size is 1 MiB by
 * default, so an unprivileged user gets it too. */
#define RELAY_PIPE_SIZE (1024 * 1024)

int fd_set_nonblock(int fd, struct fd_flags *ff)
{
        *ff = (struct fd_flags){ .fd = fd, .saved = -1 };
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return -errno;
        if (fl & O_NONBLOCK)
                return 0;
        if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        ff->saved = fl;
        return 0;
}

void fd_restore(struct fd_flags *ff)
{
        if (ff->saved >= 0)
                (void)fcntl(ff->fd, F_SETFL, ff->saved);
        ff->saved = -1;
}

int fd_open_passthrough(int fd, struct fd_flags *ff)
{
        *ff = (struct fd_flags){ .fd = fd, .saved = -1 };
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
                return fd; /* never blocks */
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                int nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_APPEND);
                if (nfd >= 0)
                        return nfd;
        }
        int r = fd_set_nonblock(fd, ff);
        if (r < 0)
                return r;
        return fd;
}

void fd_grow_pipe(int fd)
{
        (void)fcntl(fd, F_SETPIPE_SZ, RELAY_PIPE_SIZE);
}
