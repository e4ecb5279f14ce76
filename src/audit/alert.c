/* Delivering security records beyond the log: audit.alert (a command, no shell, the record
 * on its stdin) and audit.syslog, without ever blocking the relay.
 *
 * Why a helper process: the relay confines itself after start-up (seccomp, Landlock, no new
 * privileges) and from then on must not fork or exec, or a compromised relay could too. So
 * audit_open forks ONE helper while forking is still allowed; the relay only ever write()s
 * records into a pipe, and the helper, outside that confinement, spawns the command per
 * record and talks to syslog. syslog(3) goes through the helper too because it blocks when
 * the syslog daemon is slow, and the relay must not wait for it. The helper is detached
 * (double fork, own session) so it never shows up in the relay's waitpid(), survives a
 * Ctrl-C aimed at mcpcage long enough to deliver what is queued, and exits when the pipe
 * closes (mcpcage closed the log or died).
 *
 * Why drop: the write end is non-blocking. When the helper falls behind (a slow or hung
 * alert command) the pipe fills; the relay then drops the alert, counts it and says so once
 * on stderr. The record itself is in the log either way. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

/* A hung alert command is killed after this long, so the queue keeps moving. */
#define ALERT_TIMEOUT_MS 10000

static int wait_child(pid_t pid)
{
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return status;
}

static int wait_alert(pid_t pid)
{
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int r;
                while ((r = poll(&p, 1, ALERT_TIMEOUT_MS)) < 0 && errno == EINTR)
                        ;
                if (r == 0) {
                        log_error("audit.alert: command still running after %d ms; killed",
                                  ALERT_TIMEOUT_MS);
                        kill(pid, SIGKILL);
                }
        }
        return wait_child(pid);
}

/* In the helper: one alert command, the record on its stdin, its stdout discarded (the
 * helper's stdout is /dev/null, never the protocol stream). */
static void run_alert(char *const *argv, const char *line, size_t len)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                log_error("audit.alert: pipe: %s", strerror(errno));
                return;
        }
        pid_t pid = fork();
        if (pid < 0) {
                log_error("audit.alert: fork: %s", strerror(errno));
                close(p[0]);
                close(p[1]);
                return;
        }
        if (pid == 0) {
                if (dup2(p[0], STDIN_FILENO) < 0)
                        _exit(127);
                signal(SIGPIPE, SIG_DFL);
                execvp(argv[0], argv);
                log_error("audit.alert: cannot run %s: %s", argv[0], strerror(errno));
                _exit(127);
        }
        close(p[0]);
        const char *q = line;
        while (len > 0) {
                ssize_t n = write(p[1], q, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;  /* the command does not read its stdin: its business */
                q += n;
                len -= (size_t)n;
        }
        close(p[1]);
        int status = wait_alert(pid);
        if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
                log_error("audit.alert: %s exited with status %d", argv[0], WEXITSTATUS(status));
        else if (status >= 0 && WIFSIGNALED(status))
                log_error("audit.alert: %s killed by signal %d", argv[0], WTERMSIG(status));
}

static void helper_signals(void)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
}

/* The helper: stdin is the record pipe, stdout /dev/null, stderr mcpcage's; nothing else of
 * mcpcage's stays open (not the audit file, not the host's pipes). */
static void to_syslog(const char *line, size_t len)
{
        _cleanup_json_ json_t *rec = json_loadb(line, len, 0, NULL);
        sink_syslog_send(json_string_value(json_object_get(rec, "severity")), line, len);
}

static _Noreturn void helper_main(int rfd, char *const *argv, bool syslog)
{
        setsid();
        helper_signals();
        if (syslog)
                sink_syslog_open();
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(rfd, STDIN_FILENO) < 0)
                _exit(1);
        close_range(3, ~0U, 0);
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) > 0) {
                if (syslog)
                        to_syslog(line, (size_t)n - 1);
                if (argv && argv[0])
                        run_alert(argv, line, (size_t)n);
        }
        free(line);
        _exit(0);
}

int alert_start(struct audit_alert *al, char *const *argv, bool syslog, struct mc_error *err)
{
        *al = (struct audit_alert){ .fd = -1 };
        if ((!argv || !argv[0]) && !syslog)
                return 0;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "audit.alert: cannot create the helper's pipe");
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return mc_error_errno(err, e, "audit.alert: cannot fork the helper");
        }
        if (pid == 0) {
                pid_t helper = fork();
                if (helper == 0)
                        helper_main(p[0], argv, syslog);
                _exit(helper < 0 ? 1 : 0);
        }
        close(p[0]);
        _cleanup_close_ int wfd = p[1];
        int status = wait_child(pid);
        if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return mc_error_set(err, ECHILD, "audit.alert: the helper could not be started");
        if (fcntl(wfd, F_SETFL, O_NONBLOCK) < 0)
                return mc_error_errno(err, errno, "audit.alert: cannot make the helper's pipe non-blocking");
        al->fd = TAKE_FD(wfd);
        return 0;
}

static void count_drop(struct audit_alert *al, const char *why)
{
        al->dropped++;
        if (!al->said_dropped)
                log_error("audit.alert: %s; dropping alerts and syslog messages (the records stay in "
                          "the audit log)", why);
        al->said_dropped = true;
}

/* write() with SIGPIPE held back: a dead helper must not kill the relay, and the library
 * does not change the process's signal dispositions behind its caller's back. */
static ssize_t write_nosigpipe(int fd, const char *line, size_t len)
{
        sigset_t pipe_set, old;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        bool was_pending = sigismember(&pending, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
        ssize_t n;
        while ((n = write(fd, line, len)) < 0 && errno == EINTR)
                ;
        int e = errno;
        if (n < 0 && e == EPIPE && !was_pending) {
                const struct timespec zero = { 0, 0 };
                while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                        ;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = e;
        return n;
}

void alert_send(struct audit_alert *al, const char *line, size_t len)
{
        if (al->fd < 0)
                return;
        /* Up to PIPE_BUF bytes a pipe write is all or nothing; a longer one could land half
         * and corrupt the helper's framing. Security records are far shorter. */
        if (len > PIPE_BUF) {
                count_drop(al, "a security record is longer than PIPE_BUF");
                return;
        }
        ssize_t n = write_nosigpipe(al->fd, line, len);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                count_drop(al, "alerts fall behind (the helper's queue is full)");
        } else if (n < 0) {
                count_drop(al, "the alert helper is gone");
                close(al->fd);
                al->fd = -1;
        }
}

void alert_stop(struct audit_alert *al)
{
        if (al->dropped)
                log_error("audit.alert: %llu alert(s) dropped in this session",
                          (unsigned long long)al->dropped);
        if (al->fd >= 0)
                close(al->fd);
        *al = (struct audit_alert){ .fd = -1 };
}
