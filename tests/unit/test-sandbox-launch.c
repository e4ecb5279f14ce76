/* launch_child() end to end: the server is a shell script that reports what it can see
 * and do; each check names the threats.md §1 row it proves. Every confined check has a
 * twin run with isolation "none" where the host allows the same thing, so each can fail.
 * Run as root, the whole suite runs again as nobody (dropped inside the test). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"
#include "policy/policy.h"
#include "sandbox/launch.h"

#define NOBODY 65534

static char dir[64];
static const char *who = "root";

struct run {
        int rc;                 /* launch_child's return */
        struct mc_error err;
        char out[16384];
        int status;             /* wait status */
        json_t *report;
};

static char *at(const char *rel)
{
        static char bufs[8][512];
        static int i;
        char *b = bufs[i++ % 8];
        snprintf(b, 512, "%s/%s", dir, rel);
        return b;
}

static void put(const char *rel, const char *text, mode_t mode)
{
        int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) < 0) {
                perror(rel);
                exit(2);
        }
        fchmod(fd, mode);
        close(fd);
}

static struct policy *load(const char *text)
{
        struct policy_env env = { 0 };
        struct mc_error err = { 0 };
        struct policy *p = NULL;
        if (policy_env_from_process(&env, &err) < 0)
                return NULL;
        if (text) {
                char body[8192], *o = body;
                for (const char *c = text; *c && o < body + sizeof(body) - 300; c++)
                        o += *c == '@' ? sprintf(o, "%s", dir) : (*o = *c, 1);
                *o = '\0';
                put("policy.json", body, 0644);
        }
        if (policy_load(text ? at("policy.json") : NULL, &env, &p, &err) < 0)
                printf("# policy: %s\n", err.msg);
        policy_env_clear(&env);
        return p;
}

static void drain(int fd, char *buf, size_t size)
{
        size_t len = strlen(buf);
        ssize_t n;
        while ((n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
}

/* Runs the script under the policy; kill_after_ms > 0 sends SIGTERM to mcpcage's child. */
static void launch(struct run *r, struct policy *p, const char *script, int kill_after_ms)
{
        char a0[] = "/bin/sh", a1[] = "-c";
        char *argv[] = { a0, a1, (char *)script, NULL };
        struct launch_config lc = { .argv = argv, .policy = p, .init_exe = MCPCAGE_TEST_INIT_EXE };
        struct child ch;
        memset(r, 0, sizeof(*r));
        r->rc = launch_child(&lc, &ch, &r->err);
        if (r->rc < 0)
                return;
        close(ch.stdin_fd);
        ch.stdin_fd = -1;
        if (kill_after_ms) {
                struct timespec ts = { 0, kill_after_ms * 1000000L };
                nanosleep(&ts, NULL);
                kill(ch.pid, SIGTERM);
        }
        drain(ch.stdout_fd, r->out, sizeof(r->out));
        drain(ch.stderr_fd, r->out, sizeof(r->out));
        while (waitpid(ch.pid, &r->status, 0) < 0 && errno == EINTR)
                ;
        r->report = json_incref(ch.sandbox);
        child_close_fds(&ch);
}

static bool has(const struct run *r, const char *needle)
{
        return r->rc == 0 && strstr(r->out, needle) != NULL;
}

static void show(const struct run *r)
{
        if (r->rc < 0)
                printf("#   launch: %d %s\n", r->rc, r->err.msg);
        else
                printf("#   output: %.3000s\n", r->out);
}

#define CHECK(cond, r, ...) do { if (!tap_ok((cond), __VA_ARGS__)) show(r); } while (0)

static const char DEFAULT_SCRIPT[] =
        "echo uid=$(id -u); grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status;"
        "echo pid=$$; echo host=$(hostname); echo init=$(cat /proc/1/comm);"
        "test -d /proc/%d && echo host-pid=visible;"
        "echo fds=$(ls /proc/self/fd | tr '\\n' ,);"
        "cat /etc/shadow >/dev/null 2>&1 || echo shadow=refused;"
        "touch /usr/mcpcage-probe 2>/dev/null || echo usr=refused;"
        "touch /mcpcage-probe 2>/dev/null || echo root=refused;"
        "cat \"$HOME/.ssh/id_rsa\" 2>/dev/null || echo sshkey=refused;"
        "env | grep -q SECRET_TOKEN && echo env=leaked || echo env=clean;"
        "test -z \"$(ls -A /run)\" && echo run=empty;";

/* threats.md §1: the process and environment rows under the built-in default policy. */
static void test_default_policy(void)
{
        mkdir(at("home"), 0755);
        mkdir(at("home/.ssh"), 0755);
        put("home/.ssh/id_rsa", "PRIVATE KEY\n", 0644);
        setenv("HOME", at("home"), 1);
        setenv("SECRET_TOKEN", "hunter2", 1);
        char script[sizeof(DEFAULT_SCRIPT) + 16];
        snprintf(script, sizeof(script), DEFAULT_SCRIPT, (int)getpid());
        int leak = open("/dev/null", O_RDONLY);     /* no O_CLOEXEC: an fd mcpcage has */
        struct policy *p = load(NULL);
        struct run r;
        launch(&r, p, script, 0);
        CHECK(r.rc == 0 && WIFEXITED(r.status), &r, "[%s] default policy: the server runs", who);
        CHECK(has(&r, "uid=65534"), &r, "[%s] the server is never root (root runs it as nobody)", who);
        CHECK(has(&r, "CapEff:\t0000000000000000") && has(&r, "CapBnd:\t0000000000000000") &&
              has(&r, "CapAmb:\t0000000000000000"), &r, "[%s] no capabilities, empty bounding and ambient sets", who);
        CHECK(has(&r, "NoNewPrivs:\t1"), &r, "[%s] no_new_privs (setuid binaries gain nothing)", who);
        CHECK(has(&r, "pid=2\n") && has(&r, "init=mcpcage-init") && !has(&r, "host-pid=visible"), &r,
              "[%s] its own pid namespace: mcpcage's init is 1, no host process is visible", who);
        CHECK(has(&r, "host=mcpcage"), &r, "[%s] its own uts namespace", who);
        CHECK(has(&r, "fds=0,1,2,3,"), &r, "[%s] only 0/1/2 inherited (3 is ls's own directory)", who);
        CHECK(has(&r, "shadow=refused"), &r, "[%s] /etc/shadow unreadable", who);
        CHECK(has(&r, "usr=refused") && has(&r, "root=refused"), &r, "[%s] / and /usr read-only", who);
        CHECK(has(&r, "sshkey=refused"), &r, "[%s] ~/.ssh hidden", who);
        CHECK(has(&r, "env=clean"), &r, "[%s] the host's secrets in env do not pass", who);
        CHECK(has(&r, "run=empty"), &r, "[%s] /run (host sockets) hidden", who);
        const char *iso = json_string_value(json_object_get(r.report, "isolation"));
        tap_is_str(iso, "namespaces", "session_start.sandbox.isolation");
        json_decref(r.report);

        /* The same script unconfined: each refusal above is something the host allows. */
        struct policy_env env = { 0 };
        struct mc_error err = { 0 };
        struct policy_cli cli = { .isolation = "none" };
        policy_env_from_process(&env, &err);
        policy_apply_cli(p, &cli, &env, &err);
        policy_env_clear(&env);
        launch(&r, p, script, 0);
        CHECK(!has(&r, "pid=2\n") && has(&r, "host-pid=visible") && has(&r, "env=leaked") &&
              !has(&r, "sshkey=refused") && !has(&r, "run=empty"), &r,
              "[%s] isolation none: processes, env, ~/.ssh and /run are the host's", who);
        FILE *direct = popen("ls /proc/self/fd | tr '\\n' ,", "r");
        char fds[256] = "";
        if (direct) {
                (void)!fgets(fds, sizeof(fds), direct);
                pclose(direct);
        }
        tap_ok(strcmp(fds, "0,1,2,3,") != 0, "[%s] started directly, the command inherits mcpcage's fd (%s)", who, fds);
        CHECK(geteuid() != 0 || (!has(&r, "shadow=refused") && !has(&r, "NoNewPrivs:\t1")), &r,
              "[%s] isolation none: root reads /etc/shadow, no no_new_privs", who);
        json_decref(r.report);
        policy_free(p);
        close(leak);
        unsetenv("SECRET_TOKEN");
}

/* The filesystem rows: read-only, read-write, links, outside paths, masks, tmpfs bounds. */
static void test_filesystem(void)
{
        mkdir(at("ro"), 0755);
        mkdir(at("rw"), 0777);
        mkdir(at("outside"), 0755);
        put("ro/file", "ro-content\n", 0644);
        put("ro/.env", "TOKEN=x\n", 0644);
        put("outside/secret", "outside\n", 0644);
        chmod(at("rw"), 0777);
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\", \"read_only\":[\"/usr\", \"?/lib\","
                "\"?/lib64\", \"?/bin\", \"@/ro\"], \"read_write\":[\"@/rw\"], \"tmpfs\":[\"/tmp\"], \"mask\":[\"@/ro/.env\"]},"
                "\"limits\":{\"memory\":\"16M\", \"open_files\":64, \"file_size\":\"1M\"}}");
        char script[8192];
        snprintf(script, sizeof(script),
                 "cat %1$s/ro/file; echo x > %1$s/ro/new 2>/dev/null || echo ro-write=refused;"
                 "echo y > %1$s/rw/new && echo rw-write=ok;"
                 "cat %1$s/outside/secret 2>/dev/null || echo outside=refused;"
                 "cat %1$s/ro/.env 2>/dev/null || echo mask=refused;"
                 "echo z > %1$s/rw/../ro/x 2>/dev/null || echo dotdot=refused;"
                 "ln -s %1$s/outside/secret %1$s/rw/l && (echo z > %1$s/rw/l) 2>/dev/null || echo symlink=refused;"
                 "ln %1$s/ro/file %1$s/rw/hard 2>/dev/null || echo hardlink=refused;"
                 "echo z > /proc/self/root%1$s/outside/secret 2>/dev/null || echo procroot=refused;"
                 "ls / | tr '\\n' ' '; echo;"
                 "dd if=/dev/zero of=/tmp/fill bs=65536 count=64 2>/dev/null || echo tmpfs=full;"
                 "grep -E 'Max (open files|file size)' /proc/self/limits | tr -s ' ';",
                 dir);
        struct run r;
        launch(&r, p, script, 0);
        CHECK(has(&r, "ro-content") && has(&r, "ro-write=refused"), &r, "[%s] read_only: readable, not writable", who);
        CHECK(has(&r, "rw-write=ok"), &r, "[%s] read_write: writable", who);
        CHECK(has(&r, "outside=refused"), &r, "[%s] a file outside the lists does not exist", who);
        CHECK(has(&r, "mask=refused"), &r, "[%s] a masked file cannot be read", who);
        CHECK(has(&r, "dotdot=refused") && has(&r, "symlink=refused") && has(&r, "hardlink=refused") &&
              has(&r, "procroot=refused"), &r, "[%s] no write outside the rw list via .., a planted symlink, a hard link, "
              "/proc/self/root", who);
        CHECK(has(&r, "tmpfs=full"), &r, "[%s] /tmp is a tmpfs bounded by limits.memory", who);
        CHECK(has(&r, "Max open files 64 64") && has(&r, "Max file size 1048576 1048576"), &r,
              "[%s] limits.open_files and limits.file_size", who);
        json_decref(r.report);
        unlink(at("rw/new"));
        unlink(at("rw/l"));
        policy_free(p);

        p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\", \"read_only\":[\"@/missing\"]}}");
        launch(&r, p, "true", 0);
        CHECK(r.rc == -ECANCELED && strstr(r.err.msg, "missing") && strstr(r.err.msg, "read_only/0"), &r,
              "[%s] a path that cannot be mounted is an error naming it (exit 125)", who);
        policy_free(p);
}

static void test_exec_errors(void)
{
        mkdir(at("bin"), 0755);
        put("bin/tool", "#!/bin/sh\necho tool\n", 0755);
        put("bin/noexec", "#!/bin/sh\n", 0644);
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\"}}");
        char a0[] = "no-such-command-xyz";
        char *argv[] = { a0, NULL };
        struct launch_config lc = { .argv = argv, .policy = p, .init_exe = MCPCAGE_TEST_INIT_EXE };
        struct child ch;
        struct mc_error err = { 0 };
        int r = launch_child(&lc, &ch, &err);
        if (!tap_ok(r == -ENOENT, "[%s] command not found: ENOENT (127)", who))
                printf("#   %d %s\n", r, err.msg);
        argv[0] = at("bin/tool");
        r = launch_child(&lc, &ch, &err);
        tap_ok(r == -ENOENT && strstr(err.msg, "bin/tool"), "[%s] found on the host but not in the view: ENOENT (127)", who);
        printf("# %s\n", err.msg);
        argv[0] = at("bin/noexec");
        tap_ok(launch_child(&lc, &ch, &err) == -EACCES, "[%s] not executable: EACCES (126)", who);
        policy_free(p);
}

/* Process hygiene: signals reach the server through init; nothing outlives the sandbox. */
static void test_processes(void)
{
        struct policy *p = load(NULL);
        struct run r;
        launch(&r, p, "trap 'exit 42' TERM; while :; do sleep 0.02; done", 300);
        CHECK(r.rc == 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 42, &r,
              "[%s] SIGTERM to mcpcage's child reaches the server; its status comes back", who);
        json_decref(r.report);
        launch(&r, p, "setsid sh -c 'exec sleep 31.4159' >/dev/null 2>&1 & echo started", 0);
        bool gone = false;
        for (int i = 0; i < 50 && !gone; i++) {
                gone = system("grep -qa '31[.]4159' /proc/[0-9]*/cmdline 2>/dev/null") != 0;
                if (!gone)
                        usleep(20000);
        }
        CHECK(has(&r, "started") && gone, &r, "[%s] a double-forked, setsid'd child dies with the sandbox", who);
        json_decref(r.report);
        policy_free(p);
}

/* The Landlock fallback, forced (isolation "landlock"), and what require does. */
static void test_landlock(void)
{
        struct policy *p = load("{\"version\":1, \"isolation\":\"landlock\", \"filesystem\":{\"root\":\"empty\","
                "\"read_only\":[\"/usr\", \"?/lib\", \"?/lib64\", \"?/bin\", \"/etc\", \"@/ro\"], \"read_write\":[\"@/rw\"]}}");
        char script[4096];
        snprintf(script, sizeof(script),
                 "cat %1$s/ro/file; echo x > %1$s/ro/new 2>/dev/null || echo ro-write=refused;"
                 "echo y > %1$s/rw/new && echo rw-write=ok;"
                 "cat %1$s/outside/secret 2>/dev/null || echo outside=refused;"
                 "grep NoNewPrivs /proc/self/status; kill -0 $PPID 2>/dev/null || echo signal=refused", dir);
        struct run r;
        launch(&r, p, script, 0);
        CHECK(has(&r, "ro-content") && has(&r, "ro-write=refused") && has(&r, "rw-write=ok") &&
              has(&r, "outside=refused"), &r, "[%s] landlock: read on read_only, write on read_write, nothing else", who);
        CHECK(has(&r, "NoNewPrivs:\t1"), &r, "[%s] landlock: no_new_privs", who);
        CHECK(has(&r, "signal=refused"), &r, "[%s] landlock: no signal to processes outside (scope, ABI 6)", who);
        const char *iso = json_string_value(json_object_get(r.report, "isolation"));
        tap_ok(iso && !strcmp(iso, "landlock") && json_array_size(json_object_get(r.report, "degraded")) > 0,
               "[%s] landlock: reported as such, with the degraded reasons", who);
        json_decref(r.report);
        unlink(at("rw/new"));
        policy_free(p);
        p = load("{\"version\":1, \"isolation\":\"landlock\", \"require\":[\"namespaces\"]}");
        tap_ok(p == NULL || (launch(&r, p, "true", 0), r.rc == -ECANCELED && strstr(r.err.msg, "namespaces")),
               "[%s] require namespaces refuses to start rather than fall back", who);
        policy_free(p);
}

/* "auto" falls back to Landlock when user namespaces are refused, at clone() (a sysctl)
 * or at the first mount (AppArmor); "namespaces" refuses to start. Test hooks. */
static void test_refused_userns(void)
{
        if (!MCPCAGE_TEST_HOOKS) {
                tap_skip("built without -Dtest_hooks", "refused user namespaces");
                return;
        }
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"empty\"}}");
        static const char *const how[] = { "clone", "mount" };
        for (size_t i = 0; i < 2; i++) {
                setenv("MCPCAGE_TEST_REFUSE_USERNS", how[i], 1);
                struct run r;
                launch(&r, p, "grep NoNewPrivs /proc/self/status", 0);
                const char *iso = json_string_value(json_object_get(r.report, "isolation"));
                CHECK(has(&r, "NoNewPrivs:\t1") && iso && !strcmp(iso, "landlock") &&
                      json_object_get(r.report, "userns_refused"), &r,
                      "[%s] auto: user namespaces refused at %s -> the Landlock fallback, reported", who, how[i]);
                json_decref(r.report);
        }
        policy_free(p);
        p = load("{\"version\":1, \"isolation\":\"namespaces\"}");
        struct run r;
        launch(&r, p, "true", 0);
        CHECK(r.rc == -ECANCELED && strstr(r.err.msg, "refused"), &r,
              "[%s] isolation namespaces: refused user namespaces stop mcpcage (125)", who);
        unsetenv("MCPCAGE_TEST_REFUSE_USERNS");
        policy_free(p);
}

/* Read-only all the way down: a submount of a read-only bind is read-only too, with
 * mount_setattr and with the remount-each-submount fallback (test hook). Root only. */
static void test_submounts(void)
{
        if (geteuid() != 0 || !MCPCAGE_TEST_HOOKS) {
                tap_skip(geteuid() ? "needs root to make a submount" : "built without -Dtest_hooks", "submounts");
                return;
        }
        mkdir(at("tree"), 0755);
        mkdir(at("tree/sub"), 0755);
        if (mount("tmpfs", at("tree/sub"), "tmpfs", 0, "mode=0777") < 0) {
                tap_skip("cannot mount a tmpfs here", "submounts");
                return;
        }
        struct policy *p = load("{\"version\":1, \"filesystem\":{\"root\":\"host\", \"read_only\":[\"@/tree\"]}}");
        char script[512];
        snprintf(script, sizeof(script), "touch %s/tree/sub/x 2>/dev/null || echo sub=refused", dir);
        struct run r;
        launch(&r, p, script, 0);
        CHECK(has(&r, "sub=refused"), &r, "[%s] a submount of a read-only bind is read-only (mount_setattr)", who);
        json_decref(r.report);
        setenv("MCPCAGE_TEST_LEGACY_MOUNTS", "1", 1);
        launch(&r, p, script, 0);
        unsetenv("MCPCAGE_TEST_LEGACY_MOUNTS");
        CHECK(has(&r, "sub=refused"), &r, "[%s] the same with MS_REMOUNT on each submount (pre-5.12 kernels)", who);
        json_decref(r.report);
        umount2(at("tree/sub"), MNT_DETACH);
        policy_free(p);
}

static void suite(void)
{
        test_default_policy();
        test_filesystem();
        test_exec_errors();
        test_processes();
        test_landlock();
        test_refused_userns();
        test_submounts();
}

/* As root, the suite again as nobody: fork, drop, run, hand the counters back. */
static void as_nobody(void)
{
        int pipefd[2];
        if (pipe(pipefd) < 0)
                return;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                close(pipefd[0]);
                if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
                    setresuid(NOBODY, NOBODY, NOBODY) < 0)
                        _exit(3);
                who = "nobody";
                suite();
                fflush(stdout);
                int counts[2] = { tap_n, tap_failed };
                (void)!write(pipefd[1], counts, sizeof(counts));
                _exit(0);
        }
        close(pipefd[1]);
        int counts[2] = { tap_n, tap_failed + 1 };
        if (read(pipefd[0], counts, sizeof(counts)) != sizeof(counts))
                printf("# the nobody pass died\n");
        close(pipefd[0]);
        waitpid(pid, NULL, 0);
        tap_n = counts[0];
        tap_failed = counts[1];
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/test-sandbox-launch-XXXXXX");
        if (!mkdtemp(dir))
                return 2;
        chmod(dir, 0755);
        suite();
        if (geteuid() == 0) {
                char cmd[600];
                snprintf(cmd, sizeof(cmd), "rm -rf '%1$s'/* && chown -R %2$d:%2$d '%1$s'", dir, NOBODY);
                if (system(cmd) != 0)
                        printf("# could not prepare %s for nobody\n", dir);
                as_nobody();
        }
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", dir);
        return tap_done();
}
