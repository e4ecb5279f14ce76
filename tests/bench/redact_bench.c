/* redact-bench: redaction throughput on the benign corpus with every catalogue on
 * (secrets, pii, secrets-broad), as plain strings and as JSON-RPC results through the
 * string rewriter. Prints MB/s (10^6 bytes per second) and the number of redactions,
 * which must be 0 on this corpus. Usage: redact-bench [corpus-dir] [seconds] [-v|catalogues]
 * where catalogues is a comma-separated subset (secrets,pii,secrets-broad) to see each one's
 * share of the cost. Time is this process's CPU time, so the figure is the throughput of
 * one core even on a loaded machine. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect/guards/jsonstr.h"
#include "inspect/guards/redact.h"
#include "policy/policy.h"
#include "util/cleanup.h"

#ifndef BENIGN_DIR
#define BENIGN_DIR "tests/corpus/benign"
#endif

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_dir(const char *dir, struct buf *all, size_t *offs, size_t *n_files)
{
        DIR *d = opendir(dir);
        if (!d)
                return -1;
        struct dirent *e;
        while ((e = readdir(d)) && *n_files < 63) {
                if (e->d_name[0] == '.')
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                _cleanup_fclose_ FILE *f = fopen(path, "r");
                char chunk[65536];
                size_t got;
                while (f && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
                        buf_append(all, chunk, got);
                offs[++*n_files] = all->len;
        }
        closedir(d);
        return 0;
}

/* -v: the lines that were changed, to see a false positive in its context */
static void show_hits(const struct buf *out)
{
        const char *p = out->data, *end = out->data + out->len;
        while ((p = memmem(p, (size_t)(end - p), "[REDACTED:", 10))) {
                const char *ls = p, *le = p;
                while (ls > out->data && ls[-1] != '\n' && p - ls < 100)
                        ls--;
                while (le < end && *le != '\n' && le - p < 100)
                        le++;
                fprintf(stderr, "  %.*s\n", (int)(le - ls), ls);
                p = le;
        }
}

int main(int argc, char **argv)
{
        const char *dir = argc > 1 ? argv[1] : BENIGN_DIR;
        double secs = argc > 2 ? atof(argv[2]) : 2.0;
        bool verbose = argc > 3 && !strcmp(argv[3], "-v");
        _cleanup_buf_ struct buf all = { 0 };
        size_t offs[64] = { 0 }, n = 0;
        if (load_dir(dir, &all, offs, &n) < 0 || !all.len) {
                fprintf(stderr, "redact-bench: cannot read %s\n", dir);
                return 1;
        }
        _cleanup_json_ json_t *pol = json_pack("{s:{s:{s:[sss],s:[],s:{},s:[]}}}", "mcp", "redact",
                                               "results", "secrets", "pii", "secrets-broad",
                                               "arguments", "custom", "allow");
        if (argc > 3 && !verbose) {
                json_t *list = json_array();
                _cleanup_free_ char *cats = strdup(argv[3]);
                for (char *save = NULL, *c = strtok_r(cats, ",", &save); c; c = strtok_r(NULL, ",", &save))
                        json_array_append_new(list, json_string(c));
                json_object_set_new(json_pointer_get(pol, "/mcp/redact"), "results", list);
        }
        struct mc_error err = { 0 };
        _cleanup_redactor_ struct redactor *r = NULL;
        if (redactor_new(pol, NULL, &r, &err) < 0) {
                fprintf(stderr, "redact-bench: %s\n", err.msg);
                return 1;
        }
        struct redact_sel sel = redactor_results(r);
        unsigned *counts = calloc(redactor_n_kinds(r), sizeof(unsigned));
        _cleanup_buf_ struct buf out = { 0 }, msgs = { 0 };
        size_t moffs[64] = { 0 };
        for (size_t i = 0; i < n; i++) {
                buf_append_str(&msgs, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":");
                jsonstr_encode(all.data + offs[i], offs[i + 1] - offs[i], &msgs);
                buf_append_str(&msgs, "}],\"isError\":false}}");
                moffs[i + 1] = msgs.len;
        }
        double bytes = 0, t0 = now_s(), t = 0;
        unsigned long passes = 0;
        while ((t = now_s() - t0) < secs) {
                for (size_t i = 0; i < n; i++) {
                        buf_reset(&out);
                        if (redact_string(r, sel, all.data + offs[i], offs[i + 1] - offs[i], &out, counts) > 0 && verbose && !passes)
                                show_hits(&out);
                }
                bytes += (double)all.len;
                passes++;
        }
        unsigned total = 0;
        for (size_t k = 0; k < redactor_n_kinds(r); k++) {
                if (counts[k])
                        printf("redactions %s %u\n", redactor_kind_name(r, k), counts[k] / (unsigned)passes);
                total += counts[k];
        }
        printf("redact_string: %.0f MB/s over %zu bytes (%lu passes), %u redactions per pass\n",
               bytes / t / 1e6, all.len, passes, total / (unsigned)passes);
        memset(counts, 0, redactor_n_kinds(r) * sizeof(unsigned));
        bytes = 0;
        passes = 0;
        t0 = now_s();
        while ((t = now_s() - t0) < secs) {
                for (size_t i = 0; i < n; i++) {
                        buf_reset(&out);
                        redact_message(r, sel, msgs.data + moffs[i], moffs[i + 1] - moffs[i], "/result",
                                       &out, counts, &err);
                }
                bytes += (double)msgs.len;
                passes++;
        }
        total = 0;
        for (size_t k = 0; k < redactor_n_kinds(r); k++)
                total += counts[k];
        printf("redact_message: %.0f MB/s over %zu bytes of JSON (%lu passes), %u redactions per pass\n",
               bytes / t / 1e6, msgs.len, passes, total / (unsigned)passes);
        free(counts);
        return 0;
}
