/* Sandbox start overhead: the wall time to start and finish /bin/true bare (fork+exec),
 * under mcpcage with each isolation mode, and under bubblewrap with a comparable set of
 * namespaces. Runs are interleaved (one of each configuration per round) so machine drift
 * spreads evenly; the figure is the median, and the added time over the bare run.
 *
 *     start [--mcpcage PATH] [--runs N]
 *
 * mcpcage gets /dev/null as stdin, so the relay sees EOF at once and the run ends when the
 * command does. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"

#define MAX_CONFIGS 10

struct config {
        const char *label;
        const char *argv[40];
        bool ok;
        char why[300];
        uint64_t *ns;
        size_t n;
        bool cold;      /* XDG_CACHE_HOME where nothing can be stored: compiled every run */
};

static struct config configs[MAX_CONFIGS];
static size_t n_configs;
static char **cold_env;

/* environ with XDG_CACHE_HOME below /dev/null, where no directory can be created. */
static char **make_cold_env(void)
{
        size_t n = 0;
        while (environ[n])
                n++;
        char **env = calloc(n + 2, sizeof(*env));
        size_t k = 0;
        for (size_t i = 0; env && i < n; i++)
                if (strncmp(environ[i], "XDG_CACHE_HOME=", 15) != 0)
                        env[k++] = environ[i];
        if (env)
                env[k] = (char *)"XDG_CACHE_HOME=/dev/null/mcpcage-bench";
        return env;
}

/* One run with stdin and stdout on /dev/null; stderr to errfd. Returns the wait status
 * and the elapsed time, or -1 when it could not start. */
static int run_once(const struct config *c, int errfd, uint64_t *ns)
{
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, errfd, 2);
        pid_t pid;
        int status = -1;
        uint64_t t0 = now_ns();
        int r = posix_spawnp(&pid, c->argv[0], &fa, NULL, (char *const *)c->argv,
                             c->cold ? cold_env : environ);
        alarm_arm(30);
        if (r == 0)
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        if (alarm_fired) {
                                /* A run that hangs is a failed run, not a hung benchmark. */
                                kill(pid, SIGKILL);
                                alarm_fired = 0;
                        }
        alarm_arm(0);
        *ns = now_ns() - t0;
        posix_spawn_file_actions_destroy(&fa);
        return r == 0 ? status : -1;
}

/* A first run with stderr captured, so a configuration that cannot work here (no bwrap,
 * user namespaces refused, a sandbox layer not built yet) is reported with its reason. */
static void probe(struct config *c)
{
        char path[] = "/tmp/mcpcage-bench-err-XXXXXX";
        int fd = mkstemp(path);
        uint64_t ns;
        c->ok = false;
        if (fd < 0) {
                snprintf(c->why, sizeof(c->why), "mkstemp: %s", strerror(errno));
                return;
        }
        unlink(path);
        int status = run_once(c, fd, &ns);
        if (status == 0) {
                c->ok = true;
        } else {
                char err[200] = "";
                ssize_t n = pread(fd, err, sizeof(err) - 1, 0);
                err[n > 0 ? n : 0] = '\0';
                err[strcspn(err, "\n")] = '\0';
                snprintf(c->why, sizeof(c->why), "%s %d: %s", status < 0 ? "cannot start, status" :
                         WIFEXITED(status) ? "exit" : "signal",
                         status < 0 ? status : WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), err);
        }
        close(fd);
}

static void add(const char *label, const char *const argv[])
{
        struct config *c = &configs[n_configs++];
        c->label = label;
        for (size_t i = 0; argv[i]; i++)
                c->argv[i] = argv[i];
}

/* Policies that take one layer off the default (bench_write_policy, under the bench's
 * private XDG_CONFIG_HOME): the difference to the default row is that layer's start cost. */
static void setup(const char *m, const char *state)
{
        add("bare fork+exec", (const char *[]){ "/bin/true", NULL });
        if (m) {
                add("mcpcage --isolation none", (const char *[]){ m, "-q", "--isolation", "none", "--", "/bin/true", NULL });
                cold_env = make_cold_env();
                if (cold_env) {
                        add("  none, no anchor cache", (const char *[]){ m, "-q", "--isolation", "none", "--",
                            "/bin/true", NULL });
                        configs[n_configs - 1].cold = true;
                }
                add("mcpcage --isolation landlock", (const char *[]){ m, "-q", "--isolation", "landlock", "--", "/bin/true", NULL });
                add("mcpcage (default: namespaces)", (const char *[]){ m, "-q", "--", "/bin/true", NULL });
                if (bench_write_policy(state, "bench-no-seccomp", "{\"version\": 1, \"extends\": [\"default\"], "
                                 "\"seccomp\": {\"profile\": \"none\"}}\n"))
                        add("  default, seccomp none", (const char *[]){ m, "-q", "--policy", "bench-no-seccomp",
                            "--", "/bin/true", NULL });
                if (bench_write_policy(state, "bench-strict", "{\"version\": 1, \"extends\": [\"default\"], "
                                 "\"seccomp\": {\"profile\": \"strict\"}}\n"))
                        add("  default, seccomp strict", (const char *[]){ m, "-q", "--policy", "bench-strict",
                            "--", "/bin/true", NULL });
                if (bench_write_policy(state, "bench-no-cgroup", "{\"version\": 1, \"extends\": [\"default\"], "
                                 "\"limits\": {\"memory\": null, \"pids\": null}}\n"))
                        add("  default, no limits (no cgroup)", (const char *[]){ m, "-q", "--policy",
                            "bench-no-cgroup", "--", "/bin/true", NULL });
        }
        add("bwrap --unshare-all", (const char *[]){ "bwrap", "--unshare-all", "--die-with-parent",
            "--ro-bind", "/usr", "/usr", "--ro-bind", "/lib", "/lib", "--ro-bind", "/lib64", "/lib64",
            "--ro-bind", "/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "/bin/true", NULL });
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

/* The filters' size as mcpcage doctor reports it (compiled once per launch). */
static void print_filter_size(const char *m)
{
        char cmd[600], line[512];
        snprintf(cmd, sizeof(cmd), "'%s' doctor 2>/dev/null", m);
        FILE *p = popen(cmd, "r");
        while (p && fgets(line, sizeof(line), p)) {
                char *f = strstr(line, "profile default");
                if (!strncmp(line, "seccomp", 7) && f) {
                        f[strcspn(f, ";\n")] = '\0';
                        printf("seccomp filter: %s\n", f);
                }
        }
        if (p)
                pclose(p);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "mcpcage", required_argument, NULL, 'm' }, { "runs", required_argument, NULL, 'n' },
                { NULL, 0, NULL, 0 },
        };
        const char *m = NULL;
        size_t runs = 200;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'm')
                        m = optarg;
                else if (c == 'n' && (runs = strtoul(optarg, NULL, 10)) > 0)
                        ;
                else {
                        fprintf(stderr, "usage: start [--mcpcage PATH] [--runs N]\n");
                        return 2;
                }
        }
        alarm_install();
        char *state = bench_state_create();
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (!state || devnull < 0) {
                perror("start: setup");
                return 1;
        }
        setup(m, state);
        for (size_t i = 0; i < n_configs; i++) {
                probe(&configs[i]);
                configs[i].ns = calloc(runs, sizeof(uint64_t));
                if (!configs[i].ns)
                        return 1;
        }
        print_load("at start");
        for (size_t r = 0; r < runs; r++)
                for (size_t i = 0; i < n_configs; i++) {
                        struct config *k = &configs[i];
                        uint64_t ns;
                        if (k->ok && run_once(k, devnull, &ns) == 0)
                                k->ns[k->n++] = ns;
                }
        printf("start overhead: /bin/true, %zu interleaved runs each%s\n", runs,
               m ? "" : " (mcpcage not built: bare and bwrap only)");
        printf("  %-32s %10s %10s %16s\n", "configuration", "p50 ms", "p90 ms", "added p50 ms");
        double bare = configs[0].ok ? ms(percentile_u64(configs[0].ns, configs[0].n, 0.5)) : 0;
        for (size_t i = 0; i < n_configs; i++) {
                struct config *k = &configs[i];
                if (!k->ok || k->n == 0) {
                        printf("  %-32s   not measured: %s\n", k->label, k->why[0] ? k->why : "every run failed");
                        continue;
                }
                double p50 = ms(percentile_u64(k->ns, k->n, 0.5)), p90 = ms(percentile_u64(k->ns, k->n, 0.9));
                printf("  %-32s %10.2f %10.2f %+16.2f", k->label, p50, p90, p50 - bare);
                if (k->n < runs)
                        printf("   (%zu of %zu runs failed)", runs - k->n, runs);
                printf("\n");
                free(k->ns);
        }
        if (m)
                print_filter_size(m);
        print_load("at end");
        close(devnull);
        bench_state_remove(state);
        return 0;
}
