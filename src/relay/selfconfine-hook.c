/* test_hooks builds only (meson -Dtest_hooks=true; never shipped): the relay, once confined,
 * does what a parser bug exploited by a hostile server would, so
 * tests/integration/test_selfconfine.py can prove each attempt fails, and that the same
 * attempts succeed when the confinement is switched off (MCPCAGE_TEST_NO_SELFCONFINE).
 *
 * MCPCAGE_TEST_RELAY_ESCAPE is a comma-separated list, tried in order:
 *   open     read $HOME/.ssh/id_rsa
 *   write    create $HOME/.bashrc-escape (a file the user never gave mcpcage)
 *   exec     execve /bin/sh -c 'echo ... >&2'
 *   fork     fork()
 *   connect  socket() and connect() to 127.0.0.1:$MCPCAGE_TEST_RELAY_ESCAPE_PORT
 * Each says on stderr "mcpcage: test hook: WHAT: succeeded|refused: REASON". A refused
 * syscall that traps ends mcpcage with the SIGSYS handler's line instead (selfconfine.c). */
#include "relay/selfconfine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

static void report(const char *what, int r)
{
        if (r >= 0)
                log_warn("test hook: %s: succeeded", what);
        else
                log_warn("test hook: %s: refused: %s", what, strerror(-r));
}

static int try_open(const char *home, const char *name, int flags)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", home, name);
        _cleanup_close_ int fd = open(path, flags | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        char b[64];
        if ((flags & O_ACCMODE) == O_RDONLY && read(fd, b, sizeof(b)) < 0)
                return -errno;
        return 0;
}

static int try_exec(void)
{
        char *const argv[] = { (char *)"sh", (char *)"-c",
                               (char *)"echo 'mcpcage: test hook: a shell runs in the relay' >&2", NULL };
        execve("/bin/sh", argv, environ);
        return -errno;
}

static int try_fork(void)
{
        pid_t p = fork();
        if (p < 0)
                return -errno;
        if (p == 0)
                _exit(0);
        while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
                ;
        return 0;
}

static int try_connect(void)
{
        const char *port = getenv("MCPCAGE_TEST_RELAY_ESCAPE_PORT");
        _cleanup_close_ int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port ? port : "9")),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
                return -errno;
        return 0;
}

void selfconfine_test_escape(void)
{
        const char *list = getenv("MCPCAGE_TEST_RELAY_ESCAPE");
        const char *home = getenv("HOME");
        if (!list || !home)
                return;
        _cleanup_free_ char *copy = strdup(list);
        char *save = NULL;
        for (char *w = copy ? strtok_r(copy, ",", &save) : NULL; w; w = strtok_r(NULL, ",", &save)) {
                if (!strcmp(w, "open"))
                        report("open ~/.ssh/id_rsa", try_open(home, ".ssh/id_rsa", O_RDONLY));
                else if (!strcmp(w, "write"))
                        report("create ~/.bashrc-escape", try_open(home, ".bashrc-escape",
                                                                   O_WRONLY | O_CREAT | O_EXCL));
                else if (!strcmp(w, "exec"))
                        report("execve /bin/sh", try_exec());
                else if (!strcmp(w, "fork"))
                        report("fork", try_fork());
                else if (!strcmp(w, "connect"))
                        report("connect 127.0.0.1", try_connect());
                else
                        log_warn("test hook: unknown escape %s", w);
        }
}
