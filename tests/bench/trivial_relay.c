/* The physical-limit reference for a relay: one extra process between host and server that
 * copies bytes both ways and does nothing else (poll on two fds, 64 KiB buffer, no parsing).
 * Whatever mcpcage costs above this is the price of framing, inspection and audit; what
 * this costs above the direct run is the price of any out-of-process relay at all: two
 * extra pipe copies and two extra wake-ups per message.
 *
 *     trivial_relay COMMAND [ARG...]
 *
 * Blocking writes are fine for the benchmark's request/response traffic; a real relay needs
 * non-blocking queues so a server that does not read cannot stall the other direction. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int copy_once(int from, int to, char *buf, size_t cap)
{
        ssize_t n = read(from, buf, cap);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -1;
        if (n == 0)
                return 0;
        for (ssize_t off = 0; off < n;) {
                ssize_t w = write(to, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -1;
                off += w;
        }
        return 1;
}

static pid_t spawn(char **argv, int *to_child, int *from_child)
{
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
                        _exit(125);
                execvp(argv[0], argv);
                dprintf(2, "trivial_relay: %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        *to_child = in[1];
        *from_child = out[0];
        return pid;
}

int main(int argc, char **argv)
{
        static char buf[65536];
        int to_child = -1, from_child = -1;
        if (argc < 2) {
                fprintf(stderr, "usage: trivial_relay COMMAND [ARG...]\n");
                return 125;
        }
        signal(SIGPIPE, SIG_IGN);
        pid_t pid = spawn(argv + 1, &to_child, &from_child);
        if (pid < 0) {
                perror("trivial_relay: spawn");
                return 125;
        }
        struct pollfd fds[2] = { { .fd = 0, .events = POLLIN },
                                 { .fd = from_child, .events = POLLIN } };
        while (fds[1].fd >= 0) {
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("trivial_relay: poll");
                        break;
                }
                if (fds[0].revents) {
                        /* Host EOF: pass it on as the server's stdin EOF, keep draining. */
                        if (copy_once(0, to_child, buf, sizeof(buf)) <= 0) {
                                close(to_child);
                                fds[0].fd = -1;
                        }
                }
                if (fds[1].revents && copy_once(from_child, 1, buf, sizeof(buf)) <= 0)
                        fds[1].fd = -1;
        }
        close(from_child);
        if (fds[0].fd >= 0)
                close(to_child);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 125;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
