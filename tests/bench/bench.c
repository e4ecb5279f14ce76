/* Relay latency and throughput: the same timed client against the fixture server directly,
 * through the trivial relay (the physical limit of one extra process hop) and through
 * mcpcage, side by side in one run, first with the scheduler free, then with the whole
 * process tree pinned to one CPU.
 *
 *     bench --fixture PATH --relay PATH [--mcpcage PATH] [--trips N] [--warmup N]
 *           [--big N] [--big-bytes N] [--rounds N] [--only pinned|unpinned]
 *
 * Every configuration is started once per phase and kept open; the round trips are done in
 * rounds that rotate through the configurations, so drift of the machine (another build,
 * frequency scaling) spreads over all of them instead of biasing one. It prints figures and
 * ratios against the targets, and never fails on a target: a benchmark measures. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"

#define MAX_CONFIGS 9
#define TARGET_ADDED_US 5.0
#define TARGET_THROUGHPUT 0.90

struct config {
        const char *label;
        const char *argv[16];
        struct child c;
        struct line_reader r;
        bool alive;
        char why[200];
        uint64_t next_id;
        uint64_t *rtt;          /* ns per small round trip */
        size_t n_rtt;
        double *mbps;           /* 10^6 bytes/s per big result */
        size_t n_mbps;
        uint64_t cpu_trips_ns;  /* CPU time of our child (the relay, or the server when direct) */
        uint64_t cpu_big_ns;    /* over the recorded round trips / big results */
};

struct settings {
        const char *fixture, *relay, *mcpcage;
        size_t trips, warmup, big, big_bytes, rounds;
        const char *only;
};

static struct config configs[MAX_CONFIGS];
static size_t n_configs;

/* The rows of the inspection comparisons, or SIZE_MAX when absent: the argument rules cost
 * at most TARGET_ADDED_US more per round trip than inspection off (issue 6), and all
 * inspection on (those rules and the content guards) at most that over the trivial relay
 * (issue 9). */
static size_t row_inspect_off = SIZE_MAX, row_args_only = SIZE_MAX, row_rules_on = SIZE_MAX;

/* All three run with --isolation none, so the differences are the inspection alone. `inspection off`
 * keeps the tool rule "*" (allow), the default's method rule and pin, and the audit record,
 * but no redaction or injection scan. It does not extend default: lists concatenate, so the
 * default's redaction catalogue would stay on (as it did in this row until 2026-12-06);
 * `argument rules` adds every kind of argument rule to the echo call (scopes, a path, a
 * command, a URL, a per-tool rate and the global call limit), still without redaction or
 * injection scan; `all rules on` the same rules with the secrets and PII catalogues and the
 * injection scan (flag). */
/* The default's method rule and pin, without its content guards. */
#define NO_CONTENT_GUARDS \
        "\"methods\": {\"server\": {\"deny\": [\"sampling/createMessage\"]}}, " \
        "\"pin\": {\"on_change\": \"warn\"}, \"redact\": {\"results\": []}, " \
        "\"injection\": {\"action\": \"off\"}"
#define ARGUMENT_RULES \
        "\"scopes\": [\"bench:run\"], " \
        "\"tools\": {\"echo\": {\"scopes\": [\"bench:run\"], \"paths\": {\"/path\": \"read\"}, " \
        "\"commands\": {\"/command\": {\"allow\": [\"ls\", \"cat\"], \"deny\": [\"\\\\brm\\\\s+-rf\\\\b\"]}}, " \
        "\"urls\": {\"/url\": {\"allow\": [\"https://*.example.com/**\"]}}, \"rate\": \"100000/s\"}, " \
        "\"big\": \"allow\", \"*\": \"deny\"}, " \
        "\"paths\": {\"read\": [\"/tmp\"], \"deny\": [\"**/.env\", \"**/id_*\"]}, " \
        "\"limits\": {\"calls\": \"1000000/s\"}"
static const char POLICY_INSPECT_OFF[] =
        "{\"version\": 1, \"mcp\": {\"tools\": {\"*\": \"allow\"}, " NO_CONTENT_GUARDS "}}\n";
static const char POLICY_ARGS_ONLY[] =
        "{\"version\": 1, \"mcp\": {" ARGUMENT_RULES ", " NO_CONTENT_GUARDS "}}\n";
static const char POLICY_RULES_ON[] =
        "{\"version\": 1, \"extends\": [\"default\"], \"mcp\": {" ARGUMENT_RULES ", "
        "\"redact\": {\"results\": [\"secrets\", \"pii\"]}, \"injection\": {\"action\": \"flag\"}}}\n";

static void fail(struct config *c, const char *what, const char *line, ssize_t len)
{
        if (!c->alive)
                return;
        c->alive = false;
        if (line && len > 0)
                snprintf(c->why, sizeof(c->why), "%s: %.*s", what, (int)(len > 120 ? 120 : len), line);
        else
                snprintf(c->why, sizeof(c->why), "%s: %s", what,
                         alarm_fired ? "no answer within 60 s" : errno ? strerror(errno) :
                         "end of output (the relay exited; its stderr is above)");
}

/* The first "id" value of a line as an unsigned integer (ours always are); UINT64_MAX when
 * there is none. mcpcage forwards our bytes, but a transformed message may be re-serialised
 * with blanks or another key order, so this does not assume a position. */
static uint64_t line_id(const char *line, size_t len)
{
        const char *k = memmem(line, len < 4096 ? len : 4096, "\"id\"", 4);
        if (!k)
                k = memmem(line, len, "\"id\"", 4);
        if (!k)
                return UINT64_MAX;
        const char *p = k + 4, *end = line + len;
        while (p < end && (*p == ' ' || *p == ':'))
                p++;
        if (p >= end || *p < '0' || *p > '9')
                return UINT64_MAX;
        return strtoull(p, NULL, 10);
}

static bool line_ok(const char *line, size_t len)
{
        size_t head = len < 4096 ? len : 4096;
        return memmem(line, len, "\"result\"", 8) && !memmem(line, head, "\"error\"", 7) &&
               !memmem(line, head, "\"isError\":true", 14);
}

/* Sends one request and reads lines until the response with its id; *ns is the time from
 * the write to the end of that line. Returns the response's length, or -1. */
static ssize_t call(struct config *c, const char *req, size_t n, uint64_t id,
                    const char **resp, uint64_t *ns)
{
        uint64_t t0 = now_ns();
        if (write_all(c->c.to, req, n) < 0) {
                fail(c, "write", NULL, 0);
                return -1;
        }
        for (;;) {
                errno = 0;
                ssize_t len = line_reader_next(&c->r, resp);
                if (len < 0) {
                        fail(c, "read", NULL, 0);
                        return -1;
                }
                if (line_id(*resp, (size_t)len) == id) {
                        *ns = now_ns() - t0;
                        return len;
                }
        }
}

static int request(struct config *c, const char *method, const char *params, const char **resp,
                   ssize_t *len, uint64_t *ns)
{
        char req[512];
        uint64_t id = ++c->next_id;
        int n = snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64 ",\"method\":\"%s\"%s%s}\n",
                         id, method, params ? ",\"params\":" : "", params ? params : "");
        *len = call(c, req, (size_t)n, id, resp, ns);
        if (*len < 0)
                return -1;
        if (!line_ok(*resp, (size_t)*len)) {
                fail(c, method, *resp, *len);
                return -1;
        }
        return 0;
}

static void config_start(struct config *c)
{
        const char *resp;
        ssize_t len;
        uint64_t ns;
        static const char initialized[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
        c->alive = true;
        c->why[0] = '\0';
        c->next_id = 0;
        errno = 0;
        int r = child_spawn((char *const *)c->argv, &c->c);
        if (r < 0) {
                errno = -r;
                fail(c, "spawn", NULL, 0);
                return;
        }
        if (line_reader_init(&c->r, c->c.from, 1u << 20) < 0) {
                fail(c, "line reader", NULL, 0);
                return;
        }
        alarm_arm(60);
        if (request(c, "initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                    "\"clientInfo\":{\"name\":\"mcpcage-bench\",\"version\":\"1\"}}", &resp, &len, &ns) == 0 &&
            write_all(c->c.to, initialized, sizeof(initialized) - 1) == 0)
                request(c, "tools/list", NULL, &resp, &len, &ns);
        alarm_arm(0);
}

static void config_stop(struct config *c)
{
        if (c->c.pid > 0)
                child_finish(&c->c, 5000);
        line_reader_free(&c->r);
}

static void run_trips(struct config *c, size_t n, bool record)
{
        /* every row sends the same call; the rules-on policy checks each argument by its kind */
        static const char params[] = "{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\","
                                     "\"path\":\"/tmp/bench-notes/a.txt\",\"command\":\"ls -l\","
                                     "\"url\":\"https://api.example.com/v1/items\"}}";
        uint64_t cpu0 = proc_cpu_ns(c->c.pid);
        alarm_arm(60);
        for (size_t i = 0; i < n && c->alive; i++) {
                const char *resp;
                ssize_t len;
                uint64_t ns;
                if (request(c, "tools/call", params, &resp, &len, &ns) < 0)
                        break;
                if (record)
                        c->rtt[c->n_rtt++] = ns;
        }
        alarm_arm(0);
        if (record && c->alive)
                c->cpu_trips_ns += proc_cpu_ns(c->c.pid) - cpu0;
}

static void run_big(struct config *c, size_t bytes, bool record)
{
        char params[128];
        const char *resp;
        ssize_t len;
        uint64_t ns;
        snprintf(params, sizeof(params), "{\"name\":\"big\",\"arguments\":{\"bytes\":%zu}}", bytes);
        uint64_t cpu0 = proc_cpu_ns(c->c.pid);
        alarm_arm(60);
        if (c->alive && request(c, "tools/call", params, &resp, &len, &ns) == 0 && record) {
                c->mbps[c->n_mbps++] = (double)len * 1e3 / (double)ns;
                c->cpu_big_ns += proc_cpu_ns(c->c.pid) - cpu0;
        }
        alarm_arm(0);
}

static void measure(const struct settings *s)
{
        for (size_t i = 0; i < n_configs; i++) {
                config_start(&configs[i]);
                run_trips(&configs[i], s->warmup, false);
                run_big(&configs[i], s->big_bytes, false);
        }
        size_t per_round = s->trips / s->rounds;
        for (size_t r = 0; r < s->rounds; r++)
                for (size_t i = 0; i < n_configs; i++)
                        run_trips(&configs[i], per_round, true);
        for (size_t b = 0; b < s->big; b++)
                for (size_t i = 0; i < n_configs; i++)
                        run_big(&configs[i], s->big_bytes, true);
        for (size_t i = 0; i < n_configs; i++)
                config_stop(&configs[i]);
}

struct summary {
        bool ok;
        double p50, p99, mbps;
        double cpu_us_trip, cpu_ms_big;
};

static struct summary summarise(struct config *c)
{
        struct summary m = { .ok = c->n_rtt > 0 && c->n_mbps > 0 };
        m.p50 = (double)percentile_u64(c->rtt, c->n_rtt, 0.50) / 1e3;
        m.p99 = (double)percentile_u64(c->rtt, c->n_rtt, 0.99) / 1e3;
        m.mbps = median_double(c->mbps, c->n_mbps);
        m.cpu_us_trip = c->n_rtt ? (double)c->cpu_trips_ns / 1e3 / (double)c->n_rtt : 0;
        m.cpu_ms_big = c->n_mbps ? (double)c->cpu_big_ns / 1e6 / (double)c->n_mbps : 0;
        return m;
}

static void print_ratio(const char *label, struct summary m, const char *ref_label,
                        struct summary ref, bool targets)
{
        double added = m.p50 - ref.p50, ratio = m.mbps / ref.mbps;
        printf("  %-36s vs %-13s %+6.1f us/trip (x%.2f), throughput x%.2f, CPU %+6.1f us/trip %+6.2f ms/big",
               label, ref_label, added, m.p50 / ref.p50, ratio, m.cpu_us_trip - ref.cpu_us_trip,
               m.cpu_ms_big - ref.cpu_ms_big);
        if (targets)
                printf("   [targets: <= +%.0f us %s, >= x%.2f %s]", TARGET_ADDED_US,
                       added <= TARGET_ADDED_US ? "met" : "MISSED", TARGET_THROUGHPUT,
                       ratio >= TARGET_THROUGHPUT ? "met" : "MISSED");
        printf("\n");
}

static void report(const char *phase, const struct settings *s)
{
        struct summary sum[MAX_CONFIGS];
        printf("\n== %s: %zu small round trips (after %zu warm-up), %zu x %zu-byte results ==\n",
               phase, s->trips, s->warmup, s->big, s->big_bytes);
        printf("  %-36s %8s %9s %13s %14s %13s\n", "configuration", "p50 us", "p99 us", "big p50 MB/s",
               "CPU us/trip", "CPU ms/big");
        for (size_t i = 0; i < n_configs; i++) {
                sum[i] = summarise(&configs[i]);
                if (!sum[i].ok) {
                        printf("  %-36s   not measured: %s\n", configs[i].label,
                               configs[i].why[0] ? configs[i].why : "no samples");
                        continue;
                }
                printf("  %-36s %8.1f %9.1f %13.0f %14.1f %13.2f%s%s\n", configs[i].label, sum[i].p50,
                       sum[i].p99, sum[i].mbps, sum[i].cpu_us_trip, sum[i].cpu_ms_big, configs[i].why[0] ? "   (stopped early: " : "", configs[i].why[0] ? "see below)" : "");
                if (configs[i].why[0])
                        printf("      %s\n", configs[i].why);
        }
        if (!sum[0].ok || !sum[1].ok)
                return;
        printf("  CPU = CPU time of the process the client talks to (the server itself when direct,\n"
               "  else the relay without the server), per recorded round trip / big result.\n");
        printf("  ratios (p50 latency; median throughput; CPU difference):\n");
        print_ratio(configs[1].label, sum[1], "direct", sum[0], false);
        for (size_t i = 2; i < n_configs; i++) {
                if (!sum[i].ok)
                        continue;
                print_ratio(configs[i].label, sum[i], "direct", sum[0], false);
                print_ratio(configs[i].label, sum[i], "trivial relay", sum[1], true);
        }
        if (row_args_only < n_configs && sum[row_args_only].ok && sum[row_inspect_off].ok) {
                double added = sum[row_args_only].p50 - sum[row_inspect_off].p50;
                print_ratio(configs[row_args_only].label, sum[row_args_only], "insp. off", sum[row_inspect_off], false);
                printf("  argument rules vs inspection off: %+.1f us per round trip   [target: <= +%.0f us %s]\n",
                       added, TARGET_ADDED_US, added <= TARGET_ADDED_US ? "met" : "MISSED");
        }
        if (row_rules_on < n_configs && sum[row_rules_on].ok && sum[row_inspect_off].ok) {
                print_ratio(configs[row_rules_on].label, sum[row_rules_on], "insp. off", sum[row_inspect_off], false);
                double added = sum[row_rules_on].p50 - sum[1].p50;
                printf("  all rules on vs the trivial relay: %+.1f us per round trip   [target: <= +%.0f us %s]\n",
                       added, TARGET_ADDED_US, added <= TARGET_ADDED_US ? "met" : "MISSED");
        }
}

static void add_config(const char *label, const char *const argv[])
{
        struct config *c = &configs[n_configs++];
        c->label = label;
        for (size_t i = 0; argv[i]; i++)
                c->argv[i] = argv[i];
}

static void setup_configs(const struct settings *s, const char *ro_dir, const char *state)
{
        const char *fx = s->fixture, *m = s->mcpcage;
        add_config("direct", (const char *[]){ fx, NULL });
        add_config("trivial relay", (const char *[]){ s->relay, fx, NULL });
        if (!m)
                return;
        add_config("mcpcage --isolation none", (const char *[]){ m, "-q", "--isolation", "none", "--", fx, NULL });
        add_config("mcpcage none, --audit-log /dev/null",
                   (const char *[]){ m, "-q", "--isolation", "none", "--audit-log", "/dev/null", "--", fx, NULL });
        if (bench_write_policy(state, "bench-inspect-off", POLICY_INSPECT_OFF) &&
            bench_write_policy(state, "bench-args-only", POLICY_ARGS_ONLY) &&
            bench_write_policy(state, "bench-rules-on", POLICY_RULES_ON)) {
                row_inspect_off = n_configs;
                add_config("mcpcage none, inspection off", (const char *[]){ m, "-q", "--isolation", "none",
                           "--policy", "bench-inspect-off", "--", fx, NULL });
                row_args_only = n_configs;
                add_config("mcpcage none, argument rules", (const char *[]){ m, "-q", "--isolation", "none",
                           "--policy", "bench-args-only", "--", fx, NULL });
                row_rules_on = n_configs;
                add_config("mcpcage none, all rules on", (const char *[]){ m, "-q", "--isolation", "none",
                           "--policy", "bench-rules-on", "--", fx, NULL });
        } else {
                printf("(cannot write the bench policies under %s: inspection rows left out)\n", state);
        }
        /* The default policy hides $HOME and /tmp behind a tmpfs; a build tree there would make
         * the fixture invisible inside the sandbox, so only then is it bound read-only. */
        if (ro_dir)
                add_config("mcpcage (default policy, --ro build)",
                           (const char *[]){ m, "-q", "--ro", ro_dir, "--", fx, NULL });
        else
                add_config("mcpcage (default policy)", (const char *[]){ m, "-q", "--", fx, NULL });
}

static int parse(int argc, char **argv, struct settings *s)
{
        static const struct option opts[] = {
                { "fixture", required_argument, NULL, 'f' }, { "relay", required_argument, NULL, 'r' },
                { "mcpcage", required_argument, NULL, 'm' }, { "trips", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, 'w' }, { "big", required_argument, NULL, 'b' },
                { "big-bytes", required_argument, NULL, 'B' }, { "rounds", required_argument, NULL, 'R' },
                { "only", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
        };
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'f': s->fixture = optarg; break;
                case 'r': s->relay = optarg; break;
                case 'm': s->mcpcage = optarg; break;
                case 'n': s->trips = strtoul(optarg, NULL, 10); break;
                case 'w': s->warmup = strtoul(optarg, NULL, 10); break;
                case 'b': s->big = strtoul(optarg, NULL, 10); break;
                case 'B': s->big_bytes = strtoul(optarg, NULL, 10); break;
                case 'R': s->rounds = strtoul(optarg, NULL, 10); break;
                case 'o': s->only = optarg; break;
                default: return -1;
                }
        }
        if (!s->fixture || !s->relay || s->rounds == 0 || s->trips < s->rounds || s->big == 0)
                return -1;
        return 0;
}

static void run_phase(const char *name, const struct settings *s)
{
        for (size_t i = 0; i < n_configs; i++) {
                struct config *c = &configs[i];
                free(c->rtt);
                free(c->mbps);
                c->rtt = calloc(s->trips, sizeof(*c->rtt));
                c->mbps = calloc(s->big, sizeof(*c->mbps));
                c->n_rtt = c->n_mbps = 0;
                c->cpu_trips_ns = c->cpu_big_ns = 0;
                if (!c->rtt || !c->mbps) {
                        fprintf(stderr, "bench: out of memory\n");
                        exit(1);
                }
        }
        measure(s);
        report(name, s);
        fflush(stdout);
}

int main(int argc, char **argv)
{
        struct settings s = { .trips = 20000, .warmup = 2000, .big = 30, .big_bytes = 8u << 20, .rounds = 20 };
        if (parse(argc, argv, &s) < 0) {
                fprintf(stderr, "usage: bench --fixture PATH --relay PATH [--mcpcage PATH] [--trips N] "
                                "[--warmup N] [--big N] [--big-bytes N] [--rounds N] [--only pinned|unpinned]\n");
                return 2;
        }
        char *fixture = fixture_realpath("bench", s.fixture);
        if (!fixture)
                return 2;
        s.fixture = fixture;
        alarm_install();
        char *state = bench_state_create();
        if (!state) {
                perror("bench: private XDG directories");
                return 1;
        }
        char *fixture_dir = hidden_dir_of(fixture);
        setup_configs(&s, fixture_dir, state);
        if (!s.mcpcage)
                printf("mcpcage not built: measuring direct and trivial relay only\n");
        printf("relay benchmark: %d CPUs available; targets vs the trivial relay: added <= %.0f us per "
               "round trip (p50), big-result throughput >= x%.2f\n", cpu_count(), TARGET_ADDED_US, TARGET_THROUGHPUT);
        print_load("at start");
        if (!s.only || !strcmp(s.only, "unpinned"))
                run_phase("unpinned (scheduler free)", &s);
        if (!s.only || !strcmp(s.only, "pinned")) {
                if (cpu_pin(0) < 0)
                        printf("\n(cannot pin to CPU 0: %s; pinned phase skipped)\n", strerror(errno));
                else
                        run_phase("pinned (client, relay and server all on CPU 0)", &s);
                cpu_unpin();
        }
        print_load("at end");
        for (size_t i = 0; i < n_configs; i++) {
                free(configs[i].rtt);
                free(configs[i].mbps);
        }
        free(fixture_dir);
        free(fixture);
        bench_state_remove(state);
        return 0;
}
