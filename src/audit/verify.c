/* `mcpcage audit verify [--strict] [--key FILE] FILE...`: read a JSONL audit log that any
 * number of mcpcage processes appended to, split it into sessions and check each session's
 * chain: seq from 0 without gaps or duplicates, in file order, every `prev` the digest of
 * the record before it. Problems are printed to stdout, one line each, with the line number
 * and session, then a summary. Several FILEs (rotated parts, oldest first) are read as one
 * log. Exit 0 intact, 1 broken, 125 usage or unreadable input. */
#include "audit/audit-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "util/log.h"

/* A line is known by its ordinal over all FILEs read, 1-based; loc() names file and line. */
struct vrec {
        size_t line;
        uint64_t seq;
        bool start, end;
        char prev[AUDIT_DIGEST_HEX + 1];
        char hash[AUDIT_DIGEST_HEX + 1];        /* digest of this record's line */
};

struct vsession {
        char id[AUDIT_SESSION_HEX + 1];
        struct vrec *recs;                      /* in file order */
        size_t n, cap;
};

struct problem {
        size_t line, order;
        bool warning;
        char *text;
};

struct verify {
        struct audit_key key;
        struct audit_chain chain;
        bool strict;
        json_t *index;                          /* session id -> index into sessions */
        struct vsession *sessions;
        size_t n_sessions, cap_sessions, records;
        struct problem *problems;
        size_t n_problems, cap_problems, errors;
        char **files;                           /* as given, read in this order */
        size_t n_files, *first_line;            /* first_line[i]: ordinal of file i's line 1 */
        size_t lines;                           /* lines read so far, over all files */
};

struct loc { char text[320]; };

/* "line 12", or "audit.jsonl.1 line 12" when several files are checked as one log. */
static struct loc loc(const struct verify *v, size_t ordinal)
{
        struct loc l;
        size_t f = 0;
        while (f + 1 < v->n_files && v->first_line[f + 1] <= ordinal)
                f++;
        size_t line = ordinal - (v->n_files ? v->first_line[f] : 1) + 1;
        if (v->n_files > 1)
                snprintf(l.text, sizeof(l.text), "%s line %zu", v->files[f], line);
        else
                snprintf(l.text, sizeof(l.text), "line %zu", line);
        return l;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
        if (need <= *cap)
                return p;
        size_t n = *cap ? *cap * 2 : 16;
        void *q = reallocarray(p, n, size);
        if (!q) {
                log_error("audit verify: out of memory");
                exit(EXIT_MCPCAGE_ERROR);
        }
        *cap = n;
        return q;
}

__attribute__((format(printf, 4, 5)))
static void report(struct verify *v, size_t line, bool warning, const char *fmt, ...)
{
        v->problems = grow(v->problems, &v->cap_problems, v->n_problems + 1, sizeof(*v->problems));
        struct problem *p = &v->problems[v->n_problems];
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&p->text, fmt, ap);
        va_end(ap);
        if (r < 0) {
                log_error("audit verify: out of memory");
                exit(EXIT_MCPCAGE_ERROR);
        }
        p->line = line;
        p->order = v->n_problems++;
        p->warning = warning && !v->strict;
        if (!p->warning)
                v->errors++;
}

static bool is_hex(const char *s, size_t len)
{
        if (strlen(s) != len)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* The head every record carries (audit.md); anything else on the line is the event's. */
static const char *parse_head(json_t *o, struct vrec *r, const char **session)
{
        json_t *v = json_object_get(o, "v"), *seq = json_object_get(o, "seq");
        json_t *s = json_object_get(o, "session"), *prev = json_object_get(o, "prev");
        json_t *event = json_object_get(o, "event");
        if (!json_is_integer(v) || json_integer_value(v) != 1)
                return "\"v\" is not 1";
        if (!json_is_string(s) || !is_hex(json_string_value(s), AUDIT_SESSION_HEX))
                return "\"session\" is not 32 hex digits";
        if (!json_is_integer(seq) || json_integer_value(seq) < 0)
                return "\"seq\" is not a non-negative integer";
        if (!json_is_string(event))
                return "\"event\" is not a string";
        if (!json_is_string(prev) || (json_string_length(prev) != 0 &&
                                      !is_hex(json_string_value(prev), AUDIT_DIGEST_HEX)))
                return "\"prev\" is neither \"\" nor 64 hex digits";
        *session = json_string_value(s);
        r->seq = (uint64_t)json_integer_value(seq);
        r->start = !strcmp(json_string_value(event), "session_start");
        r->end = !strcmp(json_string_value(event), "session_end");
        snprintf(r->prev, sizeof(r->prev), "%s", json_string_value(prev));
        return NULL;
}

static struct vsession *session_of(struct verify *v, const char *id)
{
        json_t *idx = json_object_get(v->index, id);
        if (idx)
                return &v->sessions[json_integer_value(idx)];
        v->sessions = grow(v->sessions, &v->cap_sessions, v->n_sessions + 1, sizeof(*v->sessions));
        struct vsession *s = &v->sessions[v->n_sessions];
        *s = (struct vsession){ 0 };
        snprintf(s->id, sizeof(s->id), "%s", id);
        if (json_object_set_new(v->index, id, json_integer((json_int_t)v->n_sessions)) < 0) {
                log_error("audit verify: out of memory");
                exit(EXIT_MCPCAGE_ERROR);
        }
        v->n_sessions++;
        return s;
}

static void read_line(struct verify *v, size_t lineno, const char *line, size_t len)
{
        json_error_t jerr;
        /* Duplicate keys are refused: a second "seq" or "prev" that one reader sees and
         * another does not is a way to hide an edit. */
        _cleanup_json_ json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!o) {
                report(v, lineno, false, "not JSON: %s", jerr.text);
                return;
        }
        if (!json_is_object(o)) {
                report(v, lineno, false, "not a JSON object");
                return;
        }
        struct vrec r = { .line = lineno };
        const char *session = NULL;
        const char *why = parse_head(o, &r, &session);
        if (why) {
                report(v, lineno, false, "not an audit record: %s", why);
                return;
        }
        if (chain_digest(&v->chain, line, len, r.hash) < 0) {
                log_error("audit verify: cannot compute SHA-256");
                exit(EXIT_MCPCAGE_ERROR);
        }
        struct vsession *s = session_of(v, session);
        s->recs = grow(s->recs, &s->cap, s->n + 1, sizeof(*s->recs));
        s->recs[s->n++] = r;
        v->records++;
}

static int read_stream(struct verify *v, FILE *f)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        errno = 0;
        while ((n = getline(&line, &cap, f)) >= 0) {
                size_t len = (size_t)n;
                if (len > 0 && line[len - 1] == '\n')
                        len--;
                read_line(v, ++v->lines, line, len);
                errno = 0;
        }
        int e = ferror(f) ? (errno ? errno : EIO) : 0;
        free(line);
        return -e;
}

static int by_seq(const void *a, const void *b)
{
        const struct vrec *x = *(const struct vrec *const *)a, *y = *(const struct vrec *const *)b;
        if (x->seq != y->seq)
                return x->seq < y->seq ? -1 : 1;
        return x->line < y->line ? -1 : x->line > y->line;
}

/* Order: records must appear in the file as they were written. A swap shows as a seq
 * lower than the one before it; gaps are the next check's business. */
static void check_order(struct verify *v, const struct vsession *s)
{
        for (size_t i = 1; i < s->n; i++) {
                const struct vrec *r = &s->recs[i], *p = &s->recs[i - 1];
                if (r->seq < p->seq)
                        report(v, r->line, false,
                               "session %s: seq %" PRIu64 " comes after seq %" PRIu64
                               " (%s): records reordered", s->id, r->seq, p->seq, loc(v, p->line).text);
        }
}

/* Does sorted[i]'s prev name one of the records of the seq before it? With a duplicated
 * seq only the duplicate is reported, not the chain again. */
static bool chains_to(struct vrec **sorted, size_t i)
{
        for (size_t j = i; j-- > 0 && sorted[j]->seq + 1 == sorted[i]->seq;)
                if (!strcmp(sorted[i]->prev, sorted[j]->hash))
                        return true;
        return false;
}

/* On the records sorted by seq: duplicates (a record inserted, or copied), gaps (records
 * deleted) and the chain itself (a record edited, or forged without the key). */
static void check_chain(struct verify *v, const struct vsession *s, struct vrec **sorted)
{
        if (sorted[0]->seq == 1)
                report(v, sorted[0]->line, false,
                       "session %s: first record has seq 1: seq 0 missing (deleted)", s->id);
        else if (sorted[0]->seq > 1)
                report(v, sorted[0]->line, false,
                       "session %s: first record has seq %" PRIu64 ": seq 0..%" PRIu64
                       " missing (deleted)", s->id, sorted[0]->seq, sorted[0]->seq - 1);
        for (size_t i = 0; i < s->n; i++) {
                const struct vrec *r = sorted[i], *p = i ? sorted[i - 1] : NULL;
                if (r->seq == 0 && r->prev[0])
                        report(v, r->line, false, "session %s: seq 0 has a non-empty prev", s->id);
                if (r->seq == 0 && !r->start)
                        report(v, r->line, false, "session %s: seq 0 is not a session_start", s->id);
                if (!p)
                        continue;
                if (r->seq == p->seq) {
                        report(v, r->line, false,
                               "session %s: seq %" PRIu64 " appears twice (also %s): "
                               "record inserted or duplicated", s->id, r->seq, loc(v, p->line).text);
                } else if (r->seq == p->seq + 2) {
                        report(v, r->line, false,
                               "session %s: seq %" PRIu64 " missing between %s and %s: "
                               "record deleted", s->id, p->seq + 1, loc(v, p->line).text,
                               loc(v, r->line).text);
                } else if (r->seq > p->seq + 2) {
                        report(v, r->line, false,
                               "session %s: seq %" PRIu64 "..%" PRIu64 " missing between %s "
                               "and %s: records deleted", s->id, p->seq + 1, r->seq - 1,
                               loc(v, p->line).text, loc(v, r->line).text);
                } else if (!chains_to(sorted, i)) {
                        report(v, r->line, false,
                               "session %s: seq %" PRIu64 ": prev does not match the %s of seq %"
                               PRIu64 " (%s): one of them was edited, or this record was "
                               "inserted", s->id, r->seq, v->key.bytes ? "HMAC" : "SHA-256",
                               p->seq, loc(v, p->line).text);
                }
        }
}

/* session_end closes the chain: anything after it was added later. A session without one
 * may still be running or was cut off (a crash, a deleted tail): a warning, or with --strict
 * an error. */
static void check_end(struct verify *v, const struct vsession *s, struct vrec **sorted)
{
        const struct vrec *end = NULL;
        for (size_t i = 0; i < s->n; i++) {
                if (end && sorted[i]->seq > end->seq)
                        report(v, sorted[i]->line, false,
                               "session %s: seq %" PRIu64 " after session_end (%s): "
                               "record appended", s->id, sorted[i]->seq, loc(v, end->line).text);
                else if (sorted[i]->end && !end)
                        end = sorted[i];
        }
        if (!end)
                report(v, s->recs[s->n - 1].line, true,
                       "session %s: no session_end after %zu record(s) (still running, or cut off)",
                       s->id, s->n);
}

static void check_session(struct verify *v, const struct vsession *s)
{
        struct vrec **sorted = calloc(s->n, sizeof(*sorted));
        if (!sorted) {
                log_error("audit verify: out of memory");
                exit(EXIT_MCPCAGE_ERROR);
        }
        for (size_t i = 0; i < s->n; i++)
                sorted[i] = &s->recs[i];
        qsort(sorted, s->n, sizeof(*sorted), by_seq);
        check_order(v, s);
        check_chain(v, s, sorted);
        check_end(v, s, sorted);
        free(sorted);
}

static int by_line(const void *a, const void *b)
{
        const struct problem *x = a, *y = b;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

static int print_results(struct verify *v)
{
        if (v->n_problems)
                qsort(v->problems, v->n_problems, sizeof(*v->problems), by_line);
        for (size_t i = 0; i < v->n_problems; i++)
                printf("%s: %s: %s\n", v->problems[i].warning ? "warning" : "error",
                       loc(v, v->problems[i].line).text, v->problems[i].text);
        printf("%zu session%s, %zu record%s: %s\n", v->n_sessions, v->n_sessions == 1 ? "" : "s",
               v->records, v->records == 1 ? "" : "s", v->errors ? "BROKEN" : "OK");
        if (fflush(stdout) != 0) {
                log_error("audit verify: cannot write the report: %s", strerror(errno));
                return EXIT_MCPCAGE_ERROR;
        }
        return v->errors ? 1 : 0;
}

static void verify_free(struct verify *v)
{
        for (size_t i = 0; i < v->n_sessions; i++)
                free(v->sessions[i].recs);
        for (size_t i = 0; i < v->n_problems; i++)
                free(v->problems[i].text);
        free(v->sessions);
        free(v->problems);
        free(v->files);
        free(v->first_line);
        json_decref(v->index);
        chain_free(&v->chain);
        key_clear(&v->key);
}

static int usage(const char *why)
{
        log_error("audit verify: %s", why);
        log_error("usage: mcpcage audit verify [--strict] [--key FILE] FILE...");
        return EXIT_MCPCAGE_ERROR;
}

/* argv holds the arguments after "verify" (no program name). */
static int parse_args(int argc, char **argv, struct verify *v, const char **key_file)
{
        bool options = true;
        v->files = calloc((size_t)argc + 1, sizeof(*v->files));
        v->first_line = calloc((size_t)argc + 1, sizeof(*v->first_line));
        if (!v->files || !v->first_line)
                return usage("out of memory");
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];
                if (options && !strcmp(a, "--")) {
                        options = false;
                } else if (options && !strcmp(a, "--strict")) {
                        v->strict = true;
                } else if (options && !strcmp(a, "--key")) {
                        if (++i >= argc)
                                return usage("--key needs a FILE");
                        *key_file = argv[i];
                } else if (options && !strncmp(a, "--key=", 6)) {
                        *key_file = a + 6;
                } else if (options && a[0] == '-' && a[1]) {
                        log_error("audit verify: unknown option '%s'", a);
                        return usage("see mcpcage-audit(5)");
                } else {
                        v->files[v->n_files++] = argv[i];
                }
        }
        if (!v->n_files)
                return usage("no FILE given");
        return 0;
}

/* Rotated files are checked together, oldest first, so a session that logrotate cut in two
 * is one chain again. */
static int read_file(struct verify *v, size_t i)
{
        const char *file = v->files[i];
        v->first_line[i] = v->lines + 1;
        bool use_stdin = !strcmp(file, "-");
        FILE *f = use_stdin ? stdin : fopen(file, "re");
        if (!f) {
                log_error("audit verify: cannot open %s: %s", file, strerror(errno));
                return EXIT_MCPCAGE_ERROR;
        }
        int r = read_stream(v, f);
        if (!use_stdin)
                fclose(f);
        if (r < 0) {
                log_error("audit verify: cannot read %s: %s", file, strerror(-r));
                return EXIT_MCPCAGE_ERROR;
        }
        return 0;
}

static int verify_run(struct verify *v, const char *key_file)
{
        struct mc_error err = { 0 };
        if (key_file && key_load(&v->key, key_file, &err) < 0) {
                log_error("audit verify: %s", err.msg);
                return EXIT_MCPCAGE_ERROR;
        }
        if (chain_init(&v->chain, &v->key, &err) < 0) {
                log_error("audit verify: %s", err.msg);
                return EXIT_MCPCAGE_ERROR;
        }
        for (size_t i = 0; i < v->n_files; i++)
                if (read_file(v, i) != 0)
                        return EXIT_MCPCAGE_ERROR;
        for (size_t i = 0; i < v->n_sessions; i++)
                check_session(v, &v->sessions[i]);
        return print_results(v);
}

int audit_cmd_verify(int argc, char **argv)
{
        struct verify v = { 0 };
        const char *key_file = NULL;
        int rc = parse_args(argc, argv, &v, &key_file);
        v.index = json_object();
        if (rc == 0 && !v.index)
                rc = usage("out of memory");
        if (rc == 0)
                rc = verify_run(&v, key_file);
        verify_free(&v);
        return rc;
}
