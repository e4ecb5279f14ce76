/* audit-bench: cost of one audit record on the relay's hot path. Emits N typical `call`
 * records (the fields src/inspect/records.c builds for a small tools/call) through
 * audit_emit and prints ns per record, for: no sink (build + chain only), /dev/null, a tmpfs
 * file, and a tmpfs file with an HMAC key. The fields object is built inside the timed loop
 * (the caller pays for it too); a separate row times that construction alone, so the audit
 * layer's own share is the difference.
 *
 * Usage: audit-bench [--records N] [--dir TMPFS_DIR] [--only fields|nosink|devnull|tmpfs|hmac]
 * Time is this process's CPU time (wall time too, for the write() rows), so figures stay
 * comparable on a loaded machine. For stable before/after comparisons, run it under
 * `valgrind --tool=callgrind` with a small N and compare instructions per record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "util/cleanup.h"

static double cpu_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int set(json_t *o, const char *k, json_t *v)
{
        return v && json_object_set_new(o, k, v) == 0 ? 0 : -ENOMEM;
}

/* What record_call() passes for `tools/call echo {"text":"hello world"}` answered ok. */
static json_t *call_fields(unsigned long i, json_t *arguments)
{
        json_t *f = json_object();
        if (!f || set(f, "id", json_integer((json_int_t)i)) < 0 ||
            set(f, "method", json_string("tools/call")) < 0 ||
            set(f, "tool", json_string("echo")) < 0 ||
            set(f, "arguments", json_incref(arguments)) < 0 ||
            set(f, "decision", json_string("allow")) < 0 ||
            set(f, "rule", json_string("/mcp/tools/allow/0")) < 0 ||
            set(f, "status", json_string("ok")) < 0 ||
            set(f, "duration_ms", json_integer(0)) < 0 ||
            set(f, "request_bytes", json_integer(97)) < 0 ||
            set(f, "response_bytes", json_integer(124)) < 0 ||
            set(f, "redactions", json_object()) < 0 || set(f, "flags", json_array()) < 0) {
                fprintf(stderr, "audit-bench: out of memory\n");
                exit(1);
        }
        return f;
}

static void row(const char *name, const char *file, const char *key_file, unsigned long n,
                json_t *arguments)
{
        struct audit_config cfg = { .file = file, .key_file = key_file, .server = "everything" };
        struct mc_error err = { 0 };
        struct audit *a = NULL;
        if (audit_open(&a, &cfg, &err) < 0) {
                fprintf(stderr, "audit-bench: %s\n", err.msg);
                exit(1);
        }
        for (unsigned long i = 0; i < n / 10; i++) /* warm-up: caches, allocator, page cache */
                audit_emit(a, "call", call_fields(i, arguments));
        double c0 = cpu_s(), w0 = wall_s();
        unsigned long failed = 0;
        for (unsigned long i = 0; i < n; i++)
                failed += audit_emit(a, "call", call_fields(i, arguments)) < 0;
        double c1 = cpu_s(), w1 = wall_s();
        audit_close(a);
        printf("%-28s %10.0f %10.0f %8lu\n", name, (c1 - c0) * 1e9 / (double)n,
               (w1 - w0) * 1e9 / (double)n, failed);
}

static void fields_only(unsigned long n, json_t *arguments)
{
        double c0 = cpu_s(), w0 = wall_s();
        for (unsigned long i = 0; i < n; i++)
                json_decref(call_fields(i, arguments));
        double c1 = cpu_s(), w1 = wall_s();
        printf("%-28s %10.0f %10.0f %8s\n", "fields object only", (c1 - c0) * 1e9 / (double)n,
               (w1 - w0) * 1e9 / (double)n, "-");
}

int main(int argc, char **argv)
{
        unsigned long n = 200000;
        const char *dir = "/dev/shm";
        const char *only = NULL;
        for (int i = 1; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--records"))
                        n = strtoul(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "--dir"))
                        dir = argv[i + 1];
                else if (!strcmp(argv[i], "--only"))
                        only = argv[i + 1];
        }
        if (n == 0) {
                fprintf(stderr, "usage: audit-bench [--records N] [--dir TMPFS_DIR] "
                                "[--only fields|nosink|devnull|tmpfs|hmac]\n");
                return 2;
        }
        char file[4096], key_file[4096];
        snprintf(file, sizeof(file), "%s/audit-bench-%d.jsonl", dir, (int)getpid());
        snprintf(key_file, sizeof(key_file), "%s/audit-bench-%d.key", dir, (int)getpid());
        int kfd = open(key_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (kfd < 0 || write(kfd, "0123456789abcdef0123456789abcdef\n", 33) != 33) {
                fprintf(stderr, "audit-bench: cannot write %s: %s\n", key_file, strerror(errno));
                return 1;
        }
        close(kfd);
        _cleanup_json_ json_t *arguments = json_pack("{s:s}", "text", "hello world");

        printf("audit-bench: %lu call records per row\n", n);
        printf("%-28s %10s %10s %8s\n", "row", "cpu ns/rec", "wall ns/rec", "failed");
#define WANT(name) (!only || !strcmp(only, name))
        if (WANT("fields"))
                fields_only(n, arguments);
        if (WANT("nosink"))
                row("no sink (build+chain)", NULL, NULL, n, arguments);
        if (WANT("devnull"))
                row("/dev/null", "/dev/null", NULL, n, arguments);
        if (WANT("tmpfs"))
                row("tmpfs file", file, NULL, n, arguments);
        unlink(file);
        if (WANT("hmac"))
                row("tmpfs file, HMAC key", file, key_file, n, arguments);
        unlink(file);
        unlink(key_file);
        return 0;
}
