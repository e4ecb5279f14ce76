/* Helpers shared by the benchmark programs: spawning a process tree on pipes, a line reader
 * for the timed client, clocks, percentiles, CPU pinning and a private XDG state directory
 * so a benchmark never writes into the user's real audit log or pin store. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct child {
        pid_t pid;
        int to;         /* our end of the child's stdin */
        int from;       /* our end of the child's stdout */
};

/* Starts argv[0] (a path, no PATH lookup) with stdin/stdout on pipes; stderr is inherited.
 * Returns 0 or a negative errno. */
int child_spawn(char *const argv[], struct child *c);
/* Closes the child's stdin, waits up to grace_ms for it to exit, then SIGKILLs it.
 * Returns the wait status, or -1 when it had to be killed. */
int child_finish(struct child *c, int grace_ms);

/* A reader of newline-terminated lines that grows to hold one whole line (an 8 MiB result
 * is one line) and scans each byte once. */
struct line_reader {
        int fd;
        char *buf;
        size_t cap, start, end, scanned;
};

int line_reader_init(struct line_reader *r, int fd, size_t cap);
void line_reader_free(struct line_reader *r);
/* Points *line at the next line (without '\n', valid until the next call). Returns its
 * length, or -1 on EOF/error (errno set; EINTR when the alarm fired). */
ssize_t line_reader_next(struct line_reader *r, const char **line);

int write_all(int fd, const void *p, size_t n);
uint64_t now_ns(void);

/* Sorts v in place and returns the value at fraction q (0..1) by nearest rank. */
uint64_t percentile_u64(uint64_t *v, size_t n, double q);
double median_double(double *v, size_t n);

/* Pins the calling process (and so everything it starts later) to one CPU, or restores the
 * mask it had at the first call. */
int cpu_pin(int cpu);
int cpu_unpin(void);
int cpu_count(void);

/* Points XDG_STATE_HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR and XDG_CACHE_HOME at a fresh
 * directory under /tmp, so mcpcage's default audit log, pins, kill switch and anchor cache
 * stay private to the run (the first mcpcage run of each policy fills the cache).
 * Returns the directory (free it with bench_state_remove), or NULL. */
char *bench_state_create(void);
void bench_state_remove(char *dir);
/* Writes BODY as policy NAME under the private XDG_CONFIG_HOME of bench_state_create's
 * directory STATE, where `mcpcage --policy NAME` finds it. False when it cannot. */
bool bench_write_policy(const char *state, const char *name, const char *body);

/* A SIGALRM that interrupts blocking reads (no SA_RESTART), so a relay that stops answering
 * fails its configuration instead of hanging the benchmark. */
void alarm_install(void);
/* Starts a fresh timeout of `seconds` (0 cancels it). */
void alarm_arm(unsigned seconds);
extern volatile int alarm_fired;

/* Reads "VmRSS" / "VmHWM" (kB) of pid from /proc; -1 when unreadable. */
long proc_status_kb(pid_t pid, const char *key);

/* CPU time pid has run so far (ns, /proc/PID/schedstat), 0 when unreadable. Unlike wall
 * time it hardly depends on what else the machine runs, so it shows the relay's own cost. */
uint64_t proc_cpu_ns(pid_t pid);

/* Prints /proc/loadavg: other work on the machine is the first suspect for noisy figures. */
void print_load(const char *when);

/* The fixture's path made absolute (malloc'd), because the default policy's sandbox has its
 * own working directory where a relative one would not be found; NULL, said on stderr as
 * "prog: path: reason", when it cannot be resolved. */
char *fixture_realpath(const char *prog, const char *path);

/* The directory of the absolute path exe when it lies under $HOME or /tmp, which mcpcage's
 * default policy hides behind a tmpfs each (a build directory under /tmp is common), for
 * `--ro` (malloc'd); NULL when it is visible inside the sandbox as it is. */
char *hidden_dir_of(const char *exe);
