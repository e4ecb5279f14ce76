/* Starting the server process: pipes for its stdio, fork, exec. The exec status comes back
 * over a close-on-exec pipe: EOF means execve succeeded, an errno means it did not, which
 * is how a shell tells 127 (not found) from 126 (found, not runnable). */
#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd >= 0)
                return fd;
#endif
        (void)pid;
        return -1;
}

/* The forked child, before exec: nothing here can be recovered, so every failure writes its
 * errno to the status pipe and exits. Only async-signal-safe calls. */
static _Noreturn void child_exec(const struct launch_config *cfg, int in_r, int out_w, int err_w,
                                 int status_w, pid_t parent)
{
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        signal(s, SIG_DFL);
        /* Never outlive mcpcage; the getppid() re-check closes the race with a parent that
         * died before the prctl. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);
        if (dup2(in_r, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
            dup2(err_w, STDERR_FILENO) < 0) {
                int e = errno;
                (void)!write(status_w, &e, sizeof(e));
                _exit(126);
        }
        if (cfg->envp)
                execvpe(cfg->argv[0], cfg->argv, cfg->envp);
        else
                execvp(cfg->argv[0], cfg->argv);
        int e = errno;
        (void)!write(status_w, &e, sizeof(e));
        _exit(e == ENOENT ? 127 : 126);
}

int launch_child(const struct launch_config *cfg, struct child *out, struct mc_error *err)
{
        int in[2], outp[2], errp[2], status[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the server's stdin pipe");
        _cleanup_close_ int in_r = in[0], in_w = in[1];
        if (pipe2(outp, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the server's stdout pipe");
        _cleanup_close_ int out_r = outp[0], out_w = outp[1];
        if (pipe2(errp, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the server's stderr pipe");
        _cleanup_close_ int err_r = errp[0], err_w = errp[1];
        if (pipe2(status, O_CLOEXEC) < 0)
                return mc_error_errno(err, errno, "creating the exec status pipe");
        _cleanup_close_ int status_r = status[0], status_w = status[1];

        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0)
                return mc_error_errno(err, errno, "fork");
        if (pid == 0)
                child_exec(cfg, in_r, out_w, err_w, status_w, parent);

        closep(&status_w);
        status_w = -1;
        int child_errno = 0;
        ssize_t n;
        do
                n = read(status_r, &child_errno, sizeof(child_errno));
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(child_errno)) {
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return mc_error_errno(err, child_errno, "cannot run %s", cfg->argv[0]);
        }

        out->pid = pid;
        out->pidfd = open_pidfd(pid);
        out->stdin_fd = TAKE_FD(in_w);
        out->stdout_fd = TAKE_FD(out_r);
        out->stderr_fd = TAKE_FD(err_r);
        return 0;
}

void child_close_fds(struct child *c)
{
        closep(&c->pidfd);
        closep(&c->stdin_fd);
        closep(&c->stdout_fd);
        closep(&c->stderr_fd);
        c->pidfd = c->stdin_fd = c->stdout_fd = c->stderr_fd = -1;
}
