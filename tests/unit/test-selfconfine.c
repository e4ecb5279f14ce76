/* The relay's self-confinement (relay/selfconfine.h) on its own: each check runs in a
 * forked child that confines itself, since confinement cannot be undone. What the relay
 * still needs works (the audit log appended and created anew, a pin written by rename,
 * /proc read, its parent signalled); what an exploited parser would try fails (a file
 * outside, execve, socket, executable memory, kill(-1)). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "relay/selfconfine.h"
#include "sandbox/landlock.h"
#include "tap.h"

static char tmp[] = "/tmp/test-selfconfine-XXXXXX";

static void path(char *out, size_t n, const char *rel)
{
        snprintf(out, n, "%s/%s", tmp, rel);
}

static void make_file(const char *rel, const char *text)
{
        char p[512];
        path(p, sizeof(p), rel);
        FILE *f = fopen(p, "w");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static int open_errno(const char *rel, int flags)
{
        char p[512];
        path(p, sizeof(p), rel);
        int fd = open(p, flags | O_CLOEXEC, 0600);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

/* In a child: confine, run body, report its result (0 ok, else a check number) as the exit
 * status; stderr into err. */
typedef int (*body_fn)(void);

static int confined(body_fn body, char *err, size_t n)
{
        int p[2];
        if (pipe(p) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], STDERR_FILENO);
                close(p[0]);
                char audit[512], state[512];
                path(audit, sizeof(audit), "audit/audit.jsonl");
                path(state, sizeof(state), "state");
                struct selfconfine_config cfg = { .audit_file = audit, .state_home = state, .host_err = -1 };
                struct selfconfine sc;
                struct mc_error e = { 0 };
                if (selfconfine_prepare(&cfg, &sc, &e) < 0 || selfconfine_apply(&sc, &e) < 0) {
                        fprintf(stderr, "%s\n", e.msg);
                        _exit(100);
                }
                _exit(body());
        }
        close(p[1]);
        ssize_t got = read(p[0], err, n - 1);
        err[got > 0 ? got : 0] = '\0';
        err[strcspn(err, "\n")] = '\0';
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

static int needed_paths(void)
{
        char a[512], b[512];
        /* created anew, as after logrotate renamed it (SIGHUP) */
        if (open_errno("audit/audit.jsonl", O_WRONLY | O_APPEND | O_CREAT) != 0)
                return 1;
        /* appended to, never read back */
        if (open_errno("audit/audit.jsonl.1", O_RDONLY) != EACCES)
                return 2;
        if (open_errno("state/mcpcage/pins/.tmp", O_WRONLY | O_CREAT | O_EXCL) != 0)
                return 3;
        path(a, sizeof(a), "state/mcpcage/pins/.tmp");
        path(b, sizeof(b), "state/mcpcage/pins/k.json");
        if (rename(a, b) < 0 || open_errno("state/mcpcage/pins/k.json", O_RDONLY) != 0)
                return 4;
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 5;
        close(fd);
        if (kill(getppid(), 0) < 0)
                return 6;
        return 0;
}

static int outside(void)
{
        if (open_errno("secret", O_RDONLY) != EACCES)
                return 1;
        if (open_errno("new-file", O_WRONLY | O_CREAT) != EACCES)
                return 2;
        if (open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
                return 3;
        /* /proc is readable for a violation's pid, but not another process's memory, nor
         * (as an ordinary user; root is let read it by this kernel) its environment:
         * Landlock refuses ptrace-class access to processes outside the relay's domain */
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/mem", (int)getppid());
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                return 4;
        snprintf(p, sizeof(p), "/proc/%d/environ", (int)getppid());
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (geteuid() != 0 && fd >= 0)
                return 5;
        if (fd >= 0)
                close(fd);
        return 0;
}

static int do_exec(void)
{
        char *const argv[] = { (char *)"true", NULL };
        execve("/bin/true", argv, environ);
        return 1;
}

static int do_socket(void)
{
        return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 1 : 2;
}

static int do_exec_memory(void)
{
        void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? 2 : 1;
}

static int do_kill_all(void)
{
        return kill(-1, 0) < 0 && errno == EPERM ? 3 : 1;
}

static void trapped(body_fn body, const char *name)
{
        char err[1024];
        int rc = confined(body, err, sizeof(err));
        char want[64];
        snprintf(want, sizeof(want), "(%s), which its self-confinement refuses", name);
        tap_ok(rc == 125 && strstr(err, want), "%s traps: exit %d, stderr %s", name, rc, err);
}

int main(void)
{
        if (!mkdtemp(tmp))
                return 1;
        char d[512];
        path(d, sizeof(d), "audit");
        mkdir(d, 0700);
        path(d, sizeof(d), "state");
        mkdir(d, 0700);
        make_file("secret", "id_rsa\n");
        make_file("audit/audit.jsonl.1", "rotated\n");
        if (landlock_abi() < 1) {
                tap_skip("Landlock is not available on this kernel", "self-confinement");
                return tap_done();
        }

        char err[1024];
        struct selfconfine sc;
        struct mc_error e = { 0 };
        char audit[512], state[512];
        path(audit, sizeof(audit), "audit/audit.jsonl");
        path(state, sizeof(state), "state");
        struct selfconfine_config cfg = { .audit_file = audit, .state_home = state, .host_err = -1 };
        tap_ok(selfconfine_prepare(&cfg, &sc, &e) == 0, "prepare: %s", e.msg);
        tap_ok(sc.filter && sc.n_syscalls > 40 && sc.landlock && json_array_size(sc.degraded) == 0,
               "both prepared: %zu syscalls, Landlock ABI %d, %zu rules", sc.n_syscalls, sc.landlock_abi,
               sc.n_rules);
        path(d, sizeof(d), "state/mcpcage/pins");
        struct stat st;
        tap_ok(stat(d, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
               "the pins directory exists (0700) so it can be granted");
        json_t *j = selfconfine_json(&sc);
        tap_is_str(json_string_value(json_object_get(j, "seccomp")), "allow-list", "session_start.relay.seccomp");
        tap_ok(json_integer_value(json_object_get(j, "landlock_rules")) == (json_int_t)sc.n_rules,
               "session_start.relay.landlock_rules");
        json_decref(j);
        selfconfine_clear(&sc);

        int rc = confined(needed_paths, err, sizeof(err));
        tap_ok(rc == 0, "what the relay still needs works (failed check %d; %s)", rc, err);
        rc = confined(outside, err, sizeof(err));
        tap_ok(rc == 0, "files outside the rules are refused with EACCES (failed check %d; %s)", rc, err);
        trapped(do_exec, "execve");
        trapped(do_socket, "socket");
        trapped(do_exec_memory, "mmap");
#if MCPCAGE_SANITIZE || defined(__SANITIZE_ADDRESS__)
        rc = confined(do_kill_all, err, sizeof(err));
        tap_ok(rc == 3, "kill(-1) refused (EPERM in sanitizer builds): %d %s", rc, err);
#else
        trapped(do_kill_all, "kill");
#endif
        /* unconfined, the same attempts succeed: the checks above can fail */
        tap_ok(open_errno("secret", O_RDONLY) == 0, "unconfined, the secret is readable");
        pid_t kid = fork();
        if (kid == 0) {
                pause();
                _exit(0);
        }
        char mem[64];
        snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)kid);
        int mfd = open(mem, O_RDONLY | O_CLOEXEC);
        tap_ok(mfd >= 0, "unconfined, another process's memory can be opened (%s)", strerror(errno));
        if (mfd >= 0)
                close(mfd);
        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
        tap_ok(do_socket() == 1, "unconfined, socket() works");
        tap_ok(do_exec_memory() == 1, "unconfined, executable memory can be mapped");

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", tmp);
        return tap_done();
}
