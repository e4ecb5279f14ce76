/* Steady relay memory: a flood of small tools/call round trips (10^6 by default, 64 in
 * flight) through the relay, sampling the relay process's VmRSS every tenth of the run and
 * its VmHWM at the end. A relay with bounded queues and an in-flight table that forgets
 * answered requests stays flat; growth between the first and the last sample is a leak or
 * an unbounded structure.
 *
 *     rss --fixture PATH --relay PATH [--mcpcage PATH] [--messages N] [--window N]
 *
 * The trivial relay is measured too, as the floor of what a process that relays costs.
 * RSS is split into anonymous memory (heap, queues, tables: what a leak grows) and file
 * pages (the mapped code of the binary and its libraries, shared with other processes).
 * mcpcage drops the pages only its start touched RESIDENCY_DELAY_MS into the session
 * (src/relay/residency.h), so the flood begins a little after that: every sample is of the
 * relay's steady state, not of its start. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "relay/residency.h"

#include "benchlib.h"

#define TARGET_RSS_KB 4096
#define SAMPLES 10

struct flood {
        long rss_kb[SAMPLES];
        long hwm_kb, anon_kb, file_kb;
        double msgs_per_s;
        size_t done;
        char why[200];
};

static const char call_fmt[] =
        "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":\"tools/call\","
        "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}\n";

static int handshake(struct child *c, struct line_reader *r)
{
        static const char init[] =
                "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcpcage-bench\",\"version\":\"1\"}}}\n"
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
        const char *line;
        if (write_all(c->to, init, sizeof(init) - 1) < 0)
                return -1;
        ssize_t n = line_reader_next(r, &line);
        return n > 0 && memmem(line, (size_t)n, "\"result\"", 8) ? 0 : -1;
}

/* Keeps `window` requests in flight: tops the window up with one write, then reads what
 * has come back and counts the lines. Responses are small and the window bounded, so the
 * blocking write cannot meet a full pipe in the other direction. */
static void flood_run(struct child *c, struct line_reader *r, size_t total, size_t window,
                      struct flood *f)
{
        char *batch = malloc(window * 160);
        uint64_t sent = 0, received = 0, t0 = now_ns();
        size_t next_sample = total / SAMPLES, k = 0;
        if (!batch)
                return;
        alarm_arm(60);
        while (received < total) {
                size_t len = 0;
                while (sent < total && sent - received < window)
                        len += (size_t)sprintf(batch + len, call_fmt, ++sent);
                if (len && write_all(c->to, batch, len) < 0) {
                        snprintf(f->why, sizeof(f->why), "write: %s", strerror(errno));
                        break;
                }
                const char *line;
                ssize_t n = line_reader_next(r, &line);
                if (n < 0) {
                        snprintf(f->why, sizeof(f->why), "read: %s", alarm_fired ? "no answer within 60 s" :
                                 errno ? strerror(errno) : "relay closed its output");
                        break;
                }
                if (!memmem(line, (size_t)n, "\"result\"", 8) || memmem(line, (size_t)n, "\"isError\":true", 14)) {
                        snprintf(f->why, sizeof(f->why), "unexpected answer: %.120s", line);
                        break;
                }
                received++;
                if (received == next_sample && k < SAMPLES) {
                        f->rss_kb[k++] = proc_status_kb(c->pid, "VmRSS");
                        next_sample += total / SAMPLES;
                        alarm_arm(60);
                }
        }
        alarm_arm(0);
        f->done = received;
        f->hwm_kb = proc_status_kb(c->pid, "VmHWM");
        f->anon_kb = proc_status_kb(c->pid, "RssAnon");
        f->file_kb = proc_status_kb(c->pid, "RssFile");
        f->msgs_per_s = (double)received * 1e9 / (double)(now_ns() - t0);
        free(batch);
}

static void measure(const char *label, const char *const argv[], size_t total, size_t window)
{
        struct child c;
        struct line_reader r;
        struct flood f = { .done = 0 };
        int e = child_spawn((char *const *)argv, &c);
        if (e < 0) {
                printf("  %-30s not measured: spawn: %s\n", label, strerror(-e));
                return;
        }
        alarm_arm(60);
        if (line_reader_init(&r, c.from, 1u << 20) < 0 || handshake(&c, &r) < 0)
                snprintf(f.why, sizeof(f.why), "initialize failed (is the relay running?)");
        else {
                struct timespec settle = { .tv_sec = (RESIDENCY_DELAY_MS + 500) / 1000,
                                           .tv_nsec = (RESIDENCY_DELAY_MS + 500) % 1000 * 1000000L };
                nanosleep(&settle, NULL);
                flood_run(&c, &r, total, window, &f);
        }
        child_finish(&c, 5000);
        line_reader_free(&r);
        if (f.done < total / SAMPLES) {
                printf("  %-30s not measured: %s\n", label, f.why);
                return;
        }
        long first = f.rss_kb[0], last = f.rss_kb[0];
        for (size_t i = 0; i < SAMPLES && f.rss_kb[i] > 0; i++)
                last = f.rss_kb[i];
        printf("  %-30s %9ld %9ld %+7ld %9ld %9ld %9ld %10.0f  [<= %d kB, no growth: %s]\n", label,
               first, last, last - first, f.anon_kb, f.file_kb, f.hwm_kb, f.msgs_per_s, TARGET_RSS_KB,
               last <= TARGET_RSS_KB && last - first <= 64 ? "met" : "MISSED");
        if (f.why[0])
                printf("      stopped after %zu messages: %s\n", f.done, f.why);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "fixture", required_argument, NULL, 'f' }, { "relay", required_argument, NULL, 'r' },
                { "mcpcage", required_argument, NULL, 'm' }, { "messages", required_argument, NULL, 'n' },
                { "window", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 },
        };
        const char *fx = NULL, *relay = NULL, *m = NULL;
        size_t total = 1000000, window = 64;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'f': fx = optarg; break;
                case 'r': relay = optarg; break;
                case 'm': m = optarg; break;
                case 'n': total = strtoul(optarg, NULL, 10); break;
                case 'w': window = strtoul(optarg, NULL, 10); break;
                default: fx = NULL; break;
                }
        }
        if (!fx || !relay || total < SAMPLES || window == 0) {
                fprintf(stderr, "usage: rss --fixture PATH --relay PATH [--mcpcage PATH] [--messages N] [--window N]\n");
                return 2;
        }
        char *fixture = fixture_realpath("rss", fx);
        if (!fixture)
                return 2;
        fx = fixture;
        alarm_install();
        char *state = bench_state_create();
        if (!state) {
                perror("rss: private XDG directories");
                return 1;
        }
        print_load("at start");
        printf("relay memory: %zu small round trips, %zu in flight; RSS of the relay process in kB\n",
               total, window);
        printf("  %-30s %9s %9s %7s %9s %9s %9s %10s\n", "relay", "RSS@10%", "RSS@end", "growth", "anon@end",
               "file@end", "VmHWM", "msgs/s");
        measure("trivial relay", (const char *[]){ relay, fx, NULL }, total, window);
        if (m) {
                /* As in bench.c: a fixture under $HOME or /tmp is hidden by the default policy. */
                char *dir = hidden_dir_of(fx);
                measure("mcpcage --isolation none", (const char *[]){ m, "-q", "--isolation", "none", "--", fx, NULL },
                        total, window);
                measure("mcpcage (default policy)", dir ? (const char *[]){ m, "-q", "--ro", dir, "--", fx, NULL }
                                                        : (const char *[]){ m, "-q", "--", fx, NULL },
                        total, window);
                free(dir);
        } else {
                printf("  mcpcage not built: not measured\n");
        }
        print_load("at end");
        bench_state_remove(state);
        free(fixture);
        return 0;
}
