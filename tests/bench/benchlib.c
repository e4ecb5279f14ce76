/* Shared benchmark plumbing; see benchlib.h. */
#include "benchlib.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int child_spawn(char *const argv[], struct child *c)
{
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(out, O_CLOEXEC) < 0) {
                int e = -errno;
                close(in[0]);
                close(in[1]);
                return e;
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = -errno;
                close(in[0]); close(in[1]); close(out[0]); close(out[1]);
                return e;
        }
        if (pid == 0) {
                if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
                        _exit(125);
                signal(SIGPIPE, SIG_DFL);
                execv(argv[0], argv);
                dprintf(2, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        c->pid = pid;
        c->to = in[1];
        c->from = out[0];
        return 0;
}

int child_finish(struct child *c, int grace_ms)
{
        if (c->to >= 0)
                close(c->to);
        c->to = -1;
        int status = -1;
        for (int waited = 0; c->pid > 0; waited++) {
                pid_t r = waitpid(c->pid, &status, WNOHANG);
                if (r == c->pid || (r < 0 && errno != EINTR))
                        break;
                if (waited >= grace_ms) {
                        kill(c->pid, SIGKILL);
                        waitpid(c->pid, NULL, 0);
                        status = -1;
                        break;
                }
                usleep(1000);
        }
        c->pid = 0;
        if (c->from >= 0)
                close(c->from);
        c->from = -1;
        return status;
}

int line_reader_init(struct line_reader *r, int fd, size_t cap)
{
        /* line_reader_room() relies on a doubling always freeing 64 KiB. */
        *r = (struct line_reader){ .fd = fd, .cap = cap < 131072 ? 131072 : cap };
        r->buf = malloc(r->cap);
        return r->buf ? 0 : -ENOMEM;
}

void line_reader_free(struct line_reader *r)
{
        free(r->buf);
        r->buf = NULL;
}

/* Makes room for at least one more read of 64 KiB: first by moving the unread bytes to the
 * front, then by doubling. */
static int line_reader_room(struct line_reader *r)
{
        if (r->start > 0) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->scanned -= r->start;
                r->start = 0;
        }
        if (r->cap - r->end >= 65536)
                return 0;
        char *p = realloc(r->buf, r->cap * 2);
        if (!p)
                return -ENOMEM;
        r->buf = p;
        r->cap *= 2;
        return 0;
}

ssize_t line_reader_next(struct line_reader *r, const char **line)
{
        for (;;) {
                char *nl = memchr(r->buf + r->scanned, '\n', r->end - r->scanned);
                if (nl) {
                        *line = r->buf + r->start;
                        size_t len = (size_t)(nl - (r->buf + r->start));
                        r->start = r->scanned = (size_t)(nl - r->buf) + 1;
                        return (ssize_t)len;
                }
                r->scanned = r->end;
                if (r->cap - r->end < 65536 && line_reader_room(r) < 0)
                        return -1;
                ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
                if (n < 0 && errno == EINTR && !alarm_fired)
                        continue;
                if (n <= 0)
                        return -1;
                r->end += (size_t)n;
        }
}

int write_all(int fd, const void *p, size_t n)
{
        const char *s = p;
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w < 0 && errno == EINTR && !alarm_fired)
                        continue;
                if (w < 0)
                        return -errno;
                s += w;
                n -= (size_t)w;
        }
        return 0;
}

uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

uint64_t percentile_u64(uint64_t *v, size_t n, double q)
{
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_u64);
        size_t i = (size_t)(q * (double)n);
        return v[i >= n ? n - 1 : i];
}

double median_double(double *v, size_t n)
{
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static cpu_set_t saved_mask;
static bool saved_mask_valid;

int cpu_pin(int cpu)
{
        if (!saved_mask_valid) {
                if (sched_getaffinity(0, sizeof(saved_mask), &saved_mask) < 0)
                        return -errno;
                saved_mask_valid = true;
        }
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

int cpu_unpin(void)
{
        if (!saved_mask_valid)
                return 0;
        return sched_setaffinity(0, sizeof(saved_mask), &saved_mask) < 0 ? -errno : 0;
}

int cpu_count(void)
{
        cpu_set_t set;
        if (saved_mask_valid)
                return CPU_COUNT(&saved_mask);
        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                return 1;
        return CPU_COUNT(&set);
}

char *bench_state_create(void)
{
        char tmpl[] = "/tmp/mcpcage-bench-XXXXXX";
        if (!mkdtemp(tmpl))
                return NULL;
        static const char *const vars[][2] = {
                { "XDG_STATE_HOME", "state" },
                { "XDG_CONFIG_HOME", "config" },
                { "XDG_RUNTIME_DIR", "run" },
                { "XDG_CACHE_HOME", "cache" },
        };
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
                char path[256];
                snprintf(path, sizeof(path), "%s/%s", tmpl, vars[i][1]);
                if (mkdir(path, 0700) < 0 || setenv(vars[i][0], path, 1) < 0)
                        return NULL;
        }
        return strdup(tmpl);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st; (void)flag; (void)ftw;
        remove(path);
        return 0;
}

bool bench_write_policy(const char *state, const char *name, const char *body)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/config/mcpcage", state);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/config/mcpcage/policies", state);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/config/mcpcage/policies/%s.json", state, name);
        FILE *f = fopen(path, "w");
        if (!f)
                return false;
        fputs(body, f);
        return fclose(f) == 0;
}

void bench_state_remove(char *dir)
{
        if (dir)
                nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
}

volatile int alarm_fired;

static void on_alarm(int sig)
{
        (void)sig;
        alarm_fired = 1;
}

void alarm_install(void)
{
        struct sigaction sa = { .sa_handler = on_alarm };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

void alarm_arm(unsigned seconds)
{
        alarm(0);
        alarm_fired = 0;
        alarm(seconds);
}

long proc_status_kb(pid_t pid, const char *key)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        long kb = -1;
        size_t klen = strlen(key);
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, key, klen) && line[klen] == ':') {
                        kb = strtol(line + klen + 1, NULL, 10);
                        break;
                }
        fclose(f);
        return kb;
}

static bool path_under(const char *path, const char *dir)
{
        size_t n = dir ? strlen(dir) : 0;
        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (n <= 1)
                return false;
        return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static bool path_hidden_by_default(const char *path)
{
        return path_under(path, getenv("HOME")) || path_under(path, "/tmp");
}

char *fixture_realpath(const char *prog, const char *path)
{
        char *abs = realpath(path, NULL);
        if (!abs)
                fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return abs;
}

char *hidden_dir_of(const char *exe)
{
        char *dir = strdup(exe), *slash = dir ? strrchr(dir, '/') : NULL;
        if (slash && slash != dir) {
                *slash = '\0';
                if (path_hidden_by_default(dir))
                        return dir;
        }
        free(dir);
        return NULL;
}

void print_load(const char *when)
{
        char buf[128] = "";
        FILE *f = fopen("/proc/loadavg", "re");
        if (f) {
                if (!fgets(buf, sizeof(buf), f))
                        buf[0] = '\0';
                fclose(f);
        }
        buf[strcspn(buf, "\n")] = '\0';
        printf("load average %s: %s\n", when, buf[0] ? buf : "unknown");
}

uint64_t proc_cpu_ns(pid_t pid)
{
        char path[64];
        unsigned long long ns = 0;
        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%llu", &ns) != 1)
                ns = 0;
        fclose(f);
        return ns;
}
