/* Unit tests of the audit layer (audit.md): record shape and chain, HMAC keys, the file
 * sink (modes, reopen, a full disk), `audit verify` against each kind of tampering, and the
 * alert helper (delivery, and dropping rather than blocking when it falls behind). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* White-box where the public API cannot show it (the alert queue's drop counter). */
#include "audit/audit-internal.h"
#include "refcrypto.h"
#include "tap.h"

static char tmp[] = "/tmp/test-audit-XXXXXX";

static char *path_in_tmp(const char *name)
{
        char *p;
        if (asprintf(&p, "%s/%s", tmp, name) < 0)
                abort();
        return p;
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *data = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&data, &len);
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                fwrite(chunk, 1, n, m);
        fclose(f);
        fclose(m);
        return data;
}

static void spit(const char *path, const char *data, mode_t mode)
{
        unlink(path);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
                abort();
        fchmod(fd, mode);
        close(fd);
}

/* Lines of a file, without newlines; returns the count. */
static size_t lines_of(const char *path, char ***out)
{
        _cleanup_free_ char *data = slurp(path);
        size_t n = 0;
        char **v = calloc(4096, sizeof(*v));
        for (char *save = NULL, *l = data ? strtok_r(data, "\n", &save) : NULL; l && n < 4095;
             l = strtok_r(NULL, "\n", &save))
                v[n++] = strdup(l);
        *out = v;
        return n;
}

static void hex_digest(const unsigned char *key, size_t key_len, const char *data, char out[65])
{
        ref_hex_digest(key, key_len, data, strlen(data), out);
}

static struct audit *open_or_die(const char *file, const char *key_file, char *const *alert)
{
        struct audit_config cfg = { .file = file, .key_file = key_file, .server = "everything",
                                    .alert = alert };
        struct mc_error err = { 0 };
        struct audit *a = NULL;
        if (audit_open(&a, &cfg, &err) < 0) {
                printf("# audit_open: %s\n", err.msg);
                exit(1);
        }
        return a;
}

static json_t *obj(const char *text)
{
        return json_loads(text, 0, NULL);
}

/* A session of five records as the relay writes them. */
static void write_session(struct audit *a)
{
        audit_emit(a, "session_start", obj("{\"pid\":42,\"uid\":1000,\"user\":\"alice\","
                                           "\"command\":[\"node\",\"server.js\"]}"));
        audit_emit(a, "call", obj("{\"id\":1,\"method\":\"tools/call\",\"tool\":\"echo\","
                                  "\"decision\":\"allow\",\"status\":\"ok\"}"));
        audit_security(a, "tool_denied", "warning", "tool 'rm' is not allowed", "2", "rm");
        audit_emit(a, "call", obj("{\"id\":3,\"method\":\"tools/list\",\"decision\":\"allow\"}"));
        audit_emit(a, "session_end", obj("{\"exit\":0,\"reason\":\"host_closed\",\"calls\":3}"));
}

static void test_records(void)
{
        _cleanup_free_ char *dir = path_in_tmp("state/mcpcage");
        _cleanup_free_ char *file = path_in_tmp("state/mcpcage/audit.jsonl");
        struct audit *a = open_or_die(file, NULL, NULL);
        write_session(a);
        audit_close(a);

        struct stat st;
        tap_ok(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "missing directories created 0700");
        tap_ok(stat(file, &st) == 0 && (st.st_mode & 07777) == 0600, "audit file created 0600");

        char **lines;
        size_t n = lines_of(file, &lines);
        tap_ok(n == 5, "five records, one per line (got %zu)", n);
        regex_t ts_re;
        regcomp(&ts_re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                REG_EXTENDED | REG_NOSUB);
        bool head_ok = true, chain_ok = true, ts_ok = true;
        char want_prev[65] = "";
        const char *session = NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *r = json_loads(lines[i], JSON_REJECT_DUPLICATES, NULL);
                const char *keys[] = { "v", "ts", "session", "seq", "server", "event", "prev" };
                void *it = json_object_iter(r);
                for (size_t k = 0; k < ARRAY_SIZE(keys); k++, it = json_object_iter_next(r, it))
                        head_ok = head_ok && it && !strcmp(json_object_iter_key(it), keys[k]);
                head_ok = head_ok && json_integer_value(json_object_get(r, "v")) == 1 &&
                          json_integer_value(json_object_get(r, "seq")) == (json_int_t)i &&
                          !strcmp(json_string_value(json_object_get(r, "server")), "everything");
                const char *s = json_string_value(json_object_get(r, "session"));
                head_ok = head_ok && s && strlen(s) == 32 && (!session || !strcmp(s, session));
                session = session ? session : strdup(s);
                ts_ok = ts_ok && regexec(&ts_re, json_string_value(json_object_get(r, "ts")), 0, NULL, 0) == 0;
                chain_ok = chain_ok && !strcmp(json_string_value(json_object_get(r, "prev")), want_prev);
                hex_digest(NULL, 0, lines[i], want_prev);
                json_decref(r);
        }
        regfree(&ts_re);
        tap_ok(head_ok, "head fields v, ts, session, seq, server, event, prev in that order");
        tap_ok(ts_ok, "ts is RFC 3339 UTC with milliseconds");
        tap_ok(chain_ok, "prev is \"\" at seq 0, then SHA-256 of the previous line");
        tap_ok(n >= 2 && strstr(lines[1], "\"prev\":\"") &&
               strstr(lines[1], ",\"id\":1,\"method\":\"tools/call\",\"tool\":\"echo\","),
               "caller fields follow in insertion order, compact");
        tap_ok(n >= 3 && strstr(lines[2], "\"event\":\"security\"") &&
               strstr(lines[2], "\"kind\":\"tool_denied\",\"severity\":\"warning\","
                                "\"detail\":\"tool 'rm' is not allowed\",\"id\":2,\"tool\":\"rm\""),
               "audit_security writes kind, severity, detail, id (as JSON), tool");
        for (size_t i = 0; i < n; i++)
                free(lines[i]);
        free(lines);
        free((char *)session);
}

static void test_security_ids(void)
{
        _cleanup_free_ char *file = path_in_tmp("ids.jsonl");
        struct audit *a = open_or_die(file, NULL, NULL);
        audit_security(a, "spoofed_response", "critical", "x", "\"7\"", NULL);
        audit_security(a, "malformed_message", "warning", "x", "{not json", NULL);
        audit_security(a, "kill_switch", "info", "x", NULL, NULL);
        tap_ok(audit_emit(a, "call", obj("{\"seq\":99}")) == -EINVAL,
               "a caller cannot set the chain's own fields");
#if JANSSON_VERSION_HEX >= 0x020e00      /* keys holding NUL: jansson >= 2.14 */
        json_t *nul_key = json_object();
        json_object_setn_new(nul_key, "id\0x", 4, json_integer(1));
        tap_ok(audit_emit(a, "call", nul_key) == -EINVAL, "nor a field whose name holds a NUL");
#else
        tap_skip("jansson < 2.14 has no keys holding NUL", "nor a field whose name holds a NUL");
#endif
        audit_close(a);
        char **l;
        size_t n = lines_of(file, &l);
        tap_ok(n == 3 && strstr(l[0], "\"id\":\"7\"") != NULL, "a string id stays a string");
        tap_ok(n == 3 && strstr(l[1], "\"id\":\"{not json\"") != NULL, "an unparsable id is kept as text");
        tap_ok(n == 3 && !strstr(l[2], "\"id\"") && !strstr(l[2], "\"tool\""), "no id or tool when none applies");
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

/* The exact bytes of records, pinned: a fixed clock and session id make a record
 * deterministic, so any change to the serialiser (field order, escaping, number format, the
 * timestamp, the chain) shows here before it reaches a SIEM parser or `audit verify` of an
 * older mcpcage. */
#define GOLDEN_SESSION "0123456789abcdef0123456789abcdef"

static const char *const golden_plain[] = {
        "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.123Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":0,\"server\":\"everything\","
        "\"event\":\"session_start\",\"prev\":\"\",\"pid\":42,\"user\":\"al\\\"ice\\\\\","
        "\"command\":[\"node\",\"a/b.js\",\"tab\\there\\nnl\",\"\\u0001\\u001F\177\","
        "\"\303\251\342\200\250\360\237\230\200\"],\"policy\":{\"name\":\"default\","
        "\"sha256\":\"ab\"},\"sandbox\":{},\"flags\":[],\"n\":null,\"t\":true,\"f\":false,"
        "\"big\":9223372036854775807,\"neg\":-5,\"half\":1.5,\"tenth\":0.10000000000000001,"
        "\"exp\":1.0000000000000001e300}",
        "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.999Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":1,\"server\":\"everything\","
        "\"event\":\"call\","
        "\"prev\":\"34d64f8a16973a55d88db3a5736f09ea3718641d1b406c2ac98abfd37529b901\",\"id\":1,"
        "\"method\":\"tools/call\",\"tool\":\"echo\",\"arguments\":{\"text\":\"hello world\"},"
        "\"decision\":\"allow\",\"rule\":\"/mcp/tools/allow/0\",\"status\":\"ok\","
        "\"duration_ms\":0,\"request_bytes\":97,\"response_bytes\":124,\"redactions\":{},"
        "\"flags\":[]}",
        "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.999Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":2,\"server\":\"everything\","
        "\"event\":\"security\","
        "\"prev\":\"9ca95ec52f67d75c151a129679fbd05429b5248b9e18846b192994b70a5b4fd8\","
        "\"kind\":\"tool_denied\",\"severity\":\"warning\","
        "\"detail\":\"tool \\\"rm\\\" is not allowed\",\"id\":\"7\",\"tool\":\"rm\"}",
        "{\"v\":1,\"ts\":\"2026-12-31T23:59:59.999Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":3,\"server\":\"everything\","
        "\"event\":\"session_end\","
        "\"prev\":\"059d9ba61954bc69b83c96ed17e2f79297184f3f545e37782d56c81eaad8bed1\"}",
        "{\"v\":1,\"ts\":\"2027-01-01T00:00:00.000Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":4,\"server\":\"everything\","
        "\"event\":\"call\","
        "\"prev\":\"af3a22d19c7ffa9fd6ece48571d6051f26eb73835db9fea7d74b3d2fe30e7fc1\"}",
        "{\"v\":1,\"ts\":\"2027-01-01T00:00:00.000Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":5,\"server\":\"everything\","
        "\"event\":\"call\","
        "\"prev\":\"6908eac642eab20e255eb8f44ba86d38bb1bed44ae9235325e27321a4d493403\","
        "\"id\":\"x\"}",
        "{\"v\":1,\"ts\":\"2026-12-31T23:59:59.500Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":6,\"server\":\"everything\","
        "\"event\":\"server_request\","
        "\"prev\":\"9e4dcc336184f41201e35c3a131edaa1f49a8254fe672df1c8c70c279048e6f5\",\"id\":2,"
        "\"method\":\"sampling/createMessage\"}",
};

static const char *const golden_keyed[] = {
        "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.007Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":0,"
        "\"server\":\"ev\\\"il\\\\srv/\303\251\\u0001\\ttab\",\"event\":\"call\",\"prev\":\"\","
        "\"id\":1,\"method\":\"tools/list\"}",
        "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.007Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":1,"
        "\"server\":\"ev\\\"il\\\\srv/\303\251\\u0001\\ttab\",\"event\":\"call\","
        "\"prev\":\"caea4d14edc621d93af3faf6f3f6fc42bc97be267c19e096eebbf5e927dc05e0\",\"id\":2,"
        "\"method\":\"tools/list\"}",
        "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.007Z\","
        "\"session\":\"0123456789abcdef0123456789abcdef\",\"seq\":2,"
        "\"server\":\"ev\\\"il\\\\srv/\303\251\\u0001\\ttab\",\"event\":\"session_end\","
        "\"prev\":\"b889f3563feca9ae4280d545c5408b48453fb495c3ee96639e11bc29c2383b4a\","
        "\"exit\":0}",
};

static void fix_session(struct audit *a)
{
        memcpy(a->session, GOLDEN_SESSION, sizeof(a->session));
}

static void fix_clock(struct audit *a, time_t sec, long nsec)
{
        audit_fix_clock(a, &(struct timespec){ .tv_sec = sec, .tv_nsec = nsec });
}

/* Each line of `file` against `want`, one TAP line each; prints what was written on failure. */
static void check_golden(const char *file, const char *const *want, size_t n_want, const char *what)
{
        char **l;
        size_t n = lines_of(file, &l);
        tap_ok(n == n_want, "golden %s: %zu records (got %zu)", what, n_want, n);
        for (size_t i = 0; i < n_want || i < n; i++) {
                char name[128];
                snprintf(name, sizeof(name), "golden %s: record %zu byte for byte", what, i);
                tap_is_str(i < n ? l[i] : NULL, i < n_want ? want[i] : NULL, name);
        }
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

static void test_golden_plain(void)
{
        _cleanup_free_ char *file = path_in_tmp("golden.jsonl");
        struct audit *a = open_or_die(file, NULL, NULL);
        fix_session(a);
        fix_clock(a, 1795342503, 123456789);    /* 2026-11-22T10:15:03.123456789Z */
        /* Every kind of JSON value and every escape jansson makes. */
        audit_emit(a, "session_start",
                   obj("{\"pid\":42,\"user\":\"al\\\"ice\\\\\",\"command\":[\"node\",\"a/b.js\","
                       "\"tab\\there\\nnl\",\"\\u0001\\u001f\\u007f\",\"\\u00e9\\u2028\\ud83d\\ude00\"],"
                       "\"policy\":{\"name\":\"default\",\"sha256\":\"ab\"},\"sandbox\":{},\"flags\":[],"
                       "\"n\":null,\"t\":true,\"f\":false,\"big\":9223372036854775807,\"neg\":-5,"
                       "\"half\":1.5,\"tenth\":0.1,\"exp\":1e300}"));
        /* Milliseconds are truncated, never rounded up into the next second. */
        fix_clock(a, 1795342503, 999999999);
        audit_emit(a, "call", obj("{\"id\":1,\"method\":\"tools/call\",\"tool\":\"echo\","
                                  "\"arguments\":{\"text\":\"hello world\"},\"decision\":\"allow\","
                                  "\"rule\":\"/mcp/tools/allow/0\",\"status\":\"ok\",\"duration_ms\":0,"
                                  "\"request_bytes\":97,\"response_bytes\":124,\"redactions\":{},"
                                  "\"flags\":[]}"));
        audit_security(a, "tool_denied", "warning", "tool \"rm\" is not allowed", "\"7\"", "rm");
        /* New year: every part of the date changes with the second. */
        fix_clock(a, 1798761599, 999000000);
        audit_emit(a, "session_end", NULL);
        fix_clock(a, 1798761600, 0);
        audit_emit(a, "call", json_object());
        fix_clock(a, 1798761600, 999999);
        audit_emit(a, "call", obj("{\"id\":\"x\"}"));
        /* The clock stepped back (NTP): the record says so rather than repeat a stale date. */
        fix_clock(a, 1798761599, 500000000);
        audit_emit(a, "server_request", obj("{\"id\":2,\"method\":\"sampling/createMessage\"}"));
        audit_close(a);
        check_golden(file, golden_plain, ARRAY_SIZE(golden_plain), "plain chain");
}

static size_t count_lines(const char *path)
{
        _cleanup_free_ char *text = slurp(path);
        size_t n = 0;
        for (char *p = text; p && *p; p++)
                n += *p == '\n';
        return n;
}

/* audit_hold: the relay's records wait for audit_flush, then go out in one write, byte for
 * byte what an unheld session writes, in the order they were emitted. */
static void held_session(const char *file, bool hold)
{
        struct audit *a = open_or_die(file, NULL, NULL);
        fix_session(a);
        fix_clock(a, 1795342503, 123456789);
        audit_hold(a, hold);
        audit_emit(a, "call", obj("{\"id\":1,\"method\":\"tools/call\",\"tool\":\"echo\"}"));
        audit_security(a, "tool_denied", "warning", "tool \"rm\" is not allowed", "\"7\"", "rm");
        struct stat st;
        if (hold)
                tap_ok(stat(file, &st) == 0 && st.st_size == 0, "held records are not written before audit_flush");
        tap_ok(audit_flush(a) == 0, "audit_flush %s", hold ? "writes the held records" : "with nothing held");
        if (hold)
                tap_ok(count_lines(file) == 2, "after audit_flush both held records are in the log");
        audit_emit(a, "server_request", obj("{\"id\":2,\"method\":\"sampling/createMessage\"}"));
        /* a record with an event name too long to hold goes out at once, after the held one */
        audit_emit(a, "an_event_name_longer_than_a_held_one", obj("{\"n\":1}"));
        if (hold)
                tap_ok(count_lines(file) == 4, "an unheld record flushes what is held first");
        for (int i = 0; i < AUDIT_HOLD_MAX; i++)
                audit_emit(a, "call", obj("{\"id\":3}"));
        if (hold)
                tap_ok(count_lines(file) == 4 + AUDIT_HOLD_MAX, "AUDIT_HOLD_MAX held records flush themselves");
        audit_emit(a, "session_end", NULL);
        audit_close(a);
}

static void test_hold(void)
{
        _cleanup_free_ char *plain = path_in_tmp("unheld.jsonl");
        _cleanup_free_ char *held = path_in_tmp("held.jsonl");
        held_session(plain, false);
        held_session(held, true);
        _cleanup_free_ char *want = slurp(plain);
        _cleanup_free_ char *got = slurp(held);
        tap_ok(count_lines(held) == 5 + AUDIT_HOLD_MAX, "audit_close writes what is still held");
        tap_is_str(got, want, "held records are byte for byte the unheld ones, in order");
}

/* HMAC chain, and a server name that needs escaping (it comes from --name or the command). */
static void test_golden_keyed(void)
{
        _cleanup_free_ char *key = path_in_tmp("golden.key");
        _cleanup_free_ char *file = path_in_tmp("golden-keyed.jsonl");
        spit(key, "0123456789abcdef0123456789abcdef\n", 0600);
        struct audit_config cfg = { .file = file, .key_file = key,
                                    .server = "ev\"il\\srv/\303\251\001\ttab" };
        struct mc_error err = { 0 };
        struct audit *a = NULL;
        if (!tap_ok(audit_open(&a, &cfg, &err) == 0, "golden keyed: open (%s)", err.msg))
                return;
        fix_session(a);
        fix_clock(a, 1795342503, 7000000);
        audit_emit(a, "call", obj("{\"id\":1,\"method\":\"tools/list\"}"));
        audit_emit(a, "call", obj("{\"id\":2,\"method\":\"tools/list\"}"));
        audit_emit(a, "session_end", obj("{\"exit\":0}"));
        audit_close(a);
        check_golden(file, golden_keyed, ARRAY_SIZE(golden_keyed), "keyed chain");
}

/* A record far larger than any buffer kept between records, then a small one after it. */
static void test_golden_large(void)
{
        _cleanup_free_ char *file = path_in_tmp("golden-large.jsonl");
        struct audit *a = open_or_die(file, NULL, NULL);
        fix_session(a);
        fix_clock(a, 1795342503, 123456789);
        size_t big = 300000;
        _cleanup_free_ char *blob = malloc(big + 1);
        memset(blob, 'x', big);
        blob[big] = '\0';
        audit_emit(a, "call", json_pack("{s:s}", "blob", blob));
        audit_emit(a, "call", json_pack("{s:i}", "id", 3));
        audit_close(a);
        const char *head = "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.123Z\",\"session\":\"" GOLDEN_SESSION
                           "\",\"seq\":0,\"server\":\"everything\",\"event\":\"call\",\"prev\":\"\",\"blob\":\"";
        _cleanup_free_ char *want0 = NULL;
        if (asprintf(&want0, "%s%s\"}", head, blob) < 0)
                abort();
        char prev[65];
        hex_digest(NULL, 0, want0, prev);
        _cleanup_free_ char *want1 = NULL;
        if (asprintf(&want1, "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.123Z\",\"session\":\"" GOLDEN_SESSION
                             "\",\"seq\":1,\"server\":\"everything\",\"event\":\"call\",\"prev\":\"%s\",\"id\":3}",
                     prev) < 0)
                abort();
        _cleanup_free_ char *data = slurp(file);
        _cleanup_free_ char *want = NULL;
        if (asprintf(&want, "%s\n%s\n", want0, want1) < 0)
                abort();
        tap_ok(data && !strcmp(data, want), "golden: a 300 kB record and the next one, byte for byte");
}

/* record-json.c against jansson itself: the same bytes as json_dumpb(JSON_COMPACT|JSON_EMBED)
 * for every kind of value, every byte below 0x80, UTF-8 of each length, and random trees;
 * -EAGAIN (jansson decides) for what only jansson may judge. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static json_t *random_string(void)
{
        static const char *const pieces[] = { "\303\251", "\342\202\254", "\360\237\230\200",
                                              "\357\277\277", "\364\217\277\277", "/", "\\", "\"" };
        char s[64];
        size_t n = 0, len = rng() % 12;
        while (n < len && n + 4 < sizeof(s)) {
                if (rng() % 3 == 0) {
                        const char *p = pieces[rng() % ARRAY_SIZE(pieces)];
                        memcpy(s + n, p, strlen(p));
                        n += strlen(p);
                } else {
                        s[n++] = (char)(rng() % 0x80);  /* NUL and every control byte too */
                }
        }
        return json_stringn(s, n);
}

static json_t *random_value(int depth)
{
        switch (rng() % (depth > 4 ? 6 : 8)) {
        case 0: return json_null();
        case 1: return rng() % 2 ? json_true() : json_false();
        case 2: {
                static const json_int_t edge[] = { 0, -1, 1, INT64_MAX, INT64_MIN, 1000000007 };
                return json_integer(rng() % 2 ? edge[rng() % ARRAY_SIZE(edge)] : (json_int_t)rng());
        }
        case 3: return json_real((double)(int64_t)rng() / (double)(rng() % 1000 + 1));
        case 4:
        case 5: return random_string();
        case 6: {
                json_t *a = json_array();
                for (uint64_t i = rng() % 4; i > 0; i--)
                        json_array_append_new(a, random_value(depth + 1));
                return a;
        }
        default: {
                json_t *o = json_object();
                for (uint64_t i = rng() % 4; i > 0; i--) {
                        json_t *k = random_string();
#if JANSSON_VERSION_HEX >= 0x020e00
                        json_object_setn_new(o, json_string_value(k), json_string_length(k),
                                             random_value(depth + 1));
#else
                        json_object_set_new(o, json_string_value(k), random_value(depth + 1));
#endif
                        json_decref(k);
                }
                return o;
        }
        }
}

/* The fast serialiser's bytes, or NULL when it declines. */
static char *fast_members(const json_t *obj, int *rc)
{
        struct buf b = { 0 };
        *rc = record_json_members(&b, obj);
        if (*rc < 0 || buf_append(&b, "", 1) < 0) {
                buf_free(&b);
                return NULL;
        }
        return b.data;
}

static char *jansson_members(const json_t *obj)
{
        size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT | JSON_EMBED);
        char *s = calloc(1, n + 1);
        if (n && json_dumpb(obj, s, n, JSON_COMPACT | JSON_EMBED) != n)
                abort();
        return s;
}

static void test_record_json(void)
{
        size_t same = 0, total = 20000;
        for (size_t i = 0; i < total; i++) {
                json_t *o = json_object();
                for (uint64_t k = rng() % 6 + 1; k > 0; k--) {
                        char key[16];
                        snprintf(key, sizeof(key), "k%llu", (unsigned long long)k);
                        json_object_set_new(o, key, random_value(0));
                }
                int rc;
                _cleanup_free_ char *fast = fast_members(o, &rc);
                _cleanup_free_ char *want = jansson_members(o);
                if (fast && !strcmp(fast, want))
                        same++;
                else if (total - same < 3)
                        printf("#   differs: fast %s\n#   jansson %s\n", fast ? fast : "(declined)", want);
                json_decref(o);
        }
        tap_ok(same == total, "record-json: %zu of %zu random trees byte for byte as json_dumpb", same, total);

        char bytes[0x80];
        for (int c = 0; c < 0x80; c++)
                bytes[c] = (char)c;
        json_t *o = json_object();
        json_object_set_new(o, "all", json_stringn(bytes, sizeof(bytes)));
        json_object_set_new(o, "k\001\"\\", json_string("\302\200\337\277\340\240\200\355\237\277"
                                                         "\356\200\200\360\220\200\200\364\217\277\277"));
        int rc;
        _cleanup_free_ char *fast = fast_members(o, &rc);
        _cleanup_free_ char *want = jansson_members(o);
        tap_is_str(fast, want, "record-json: every byte below 0x80, UTF-8 boundaries, escaped keys");
        json_decref(o);

        static const char *const invalid[] = { "\200", "\301\277", "\340\200\200", "\355\240\200",
                                               "\364\220\200\200", "\370\210\200\200\200", "\303" };
        bool declined = true;
        for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
                json_t *bad = json_object();
                json_object_set_new(bad, "s", json_string_nocheck(invalid[i]));
                _cleanup_free_ char *f = fast_members(bad, &rc);
                declined = declined && !f && rc == -EAGAIN && json_dumpb(bad, NULL, 0, JSON_COMPACT) == 0;
                json_decref(bad);
        }
        tap_ok(declined, "record-json: invalid UTF-8 (overlong, surrogate, > U+10FFFF, cut) is left to "
               "jansson, which refuses it");
}

/* What the fast serialiser declines still gets jansson's bytes or jansson's refusal. */
static void test_record_fallback(void)
{
        _cleanup_free_ char *file = path_in_tmp("fallback.jsonl");
        struct audit *a = open_or_die(file, NULL, NULL);
        fix_session(a);
        fix_clock(a, 1795342503, 123456789);
        json_t *deep = json_array(), *leaf = deep;
        for (int i = 0; i < 5000; i++) {
                json_t *next = json_array();
                json_array_append_new(leaf, next);
                leaf = next;
        }
        json_t *f = json_object();
        json_object_set_new(f, "deep", deep);
        json_object_set_new(f, "r", json_real(0.25));
        _cleanup_free_ char *want_fields = jansson_members(f);
        tap_ok(audit_emit(a, "call", f) == 0, "a tree deeper than the fast path is still written");
        json_t *bad = json_object();
        json_object_set_new(bad, "s", json_string_nocheck("\377"));
        tap_ok(audit_emit(a, "call", bad) == -ENOMEM, "invalid UTF-8 from a _nocheck string: not written, "
               "as jansson refuses it");
        json_t *x = json_object(), *y = json_object();
        json_object_set(x, "y", y);
        json_object_set(y, "x", x);
        tap_ok(audit_emit(a, "call", json_incref(x)) == -ENOMEM, "a cyclic tree (a caller bug): not written");
        json_object_del(y, "x");
        json_decref(x);
        json_decref(y);
        audit_emit(a, "session_end", NULL);
        audit_close(a);
        char **l;
        size_t n = lines_of(file, &l);
        _cleanup_free_ char *want0 = NULL;
        if (asprintf(&want0, "{\"v\":1,\"ts\":\"2026-11-22T10:15:03.123Z\",\"session\":\"" GOLDEN_SESSION
                             "\",\"seq\":0,\"server\":\"everything\",\"event\":\"call\",\"prev\":\"\",%s}",
                     want_fields) < 0)
                abort();
        tap_ok(n == 2 && !strcmp(l[0], want0), "the deep record is jansson's bytes");
        tap_ok(n == 2 && strstr(l[1], "\"seq\":1,") != NULL, "records not written take no seq");
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

/* Run `audit verify ARGS...` with its stdout captured (our stdout is the TAP stream). */
static int verify(char **out, const char *a1, const char *a2, const char *a3, const char *a4)
{
        char *argv[] = { (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
        int argc = 0;
        while (argv[argc])
                argc++;
        _cleanup_free_ char *cap = path_in_tmp("verify.out");
        fflush(stdout);
        int saved = dup(STDOUT_FILENO);
        int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        dup2(fd, STDOUT_FILENO);
        close(fd);
        int rc = audit_cmd_verify(argc, argv);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        char *text = slurp(cap);
        for (char *l = text; l && *l;) {   /* show the report as TAP diagnostics */
                char *nl = strchr(l, '\n');
                printf("#   | %.*s\n", nl ? (int)(nl - l) : (int)strlen(l), l);
                l = nl ? nl + 1 : l + strlen(l);
        }
        if (out)
                *out = text;
        else
                free(text);
        return rc;
}

static void write_lines(const char *path, char **lines, size_t n)
{
        FILE *f = fopen(path, "we");
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s\n", lines[i]);
        fclose(f);
}

static void test_verify_tampering(void)
{
        _cleanup_free_ char *good = path_in_tmp("good.jsonl");
        _cleanup_free_ char *bad = path_in_tmp("bad.jsonl");
        struct audit *a = open_or_die(good, NULL, NULL);
        write_session(a);
        audit_close(a);
        char **l, *out = NULL;
        size_t n = lines_of(good, &l);
        if (n != 5) {
                tap_ok(false, "a clean session to tamper with");
                return;
        }
        tap_ok(verify(&out, good, NULL, NULL, NULL) == 0 && strstr(out, "1 session, 5 records: OK"),
               "verify: an untouched session is OK");
        free(out);

        /* edited: the tool of record 1 (line 2) changed; its successor (line 3) no longer chains */
        char *orig = l[1];
        char *edited = strdup(orig);
        memcpy(strstr(edited, "\"echo\""), "\"ohce\"", 6);
        l[1] = edited;
        write_lines(bad, l, n);
        l[1] = orig;
        free(edited);
        tap_ok(verify(&out, bad, NULL, NULL, NULL) == 1 && strstr(out, "error: line 3:") &&
               strstr(out, "prev does not match") && strstr(out, "(line 2)") && strstr(out, "BROKEN"),
               "verify: an edited record is reported at line 3, naming line 2");
        free(out);

        /* deleted: line 3 gone */
        char *del[] = { l[0], l[1], l[3], l[4] };
        write_lines(bad, del, 4);
        tap_ok(verify(&out, bad, NULL, NULL, NULL) == 1 && strstr(out, "error: line 3:") && strstr(out, "seq 2 missing between line 2 and line 3"),
               "verify: a deleted record is reported as missing");
        free(out);

        /* reordered: lines 3 and 4 swapped */
        char *swap[] = { l[0], l[1], l[3], l[2], l[4] };
        write_lines(bad, swap, 5);
        tap_ok(verify(&out, bad, NULL, NULL, NULL) == 1 && strstr(out, "error: line 4:") &&
               strstr(out, "reordered"), "verify: reordered records are reported at line 4");
        free(out);

        /* inserted: a forged seq 2 that chains correctly to seq 1 (plain SHA-256) */
        char prev1[65];
        hex_digest(NULL, 0, l[1], prev1);
        char *forged;
        if (asprintf(&forged, "{\"v\":1,\"ts\":\"2026-01-01T00:00:00.000Z\",\"session\":\"%.32s\","
                     "\"seq\":2,\"server\":\"everything\",\"event\":\"call\",\"prev\":\"%s\"}",
                     strstr(l[0], "\"session\":\"") + 11, prev1) < 0)
                abort();
        char *ins[] = { l[0], l[1], forged, l[2], l[3], l[4] };
        write_lines(bad, ins, 6);
        tap_ok(verify(&out, bad, NULL, NULL, NULL) == 1 && strstr(out, "line 4:") &&
               strstr(out, "appears twice"), "verify: an inserted record is reported");
        free(out);
        free(forged);

        /* truncated: session_end lost */
        write_lines(bad, l, 4);
        tap_ok(verify(&out, bad, NULL, NULL, NULL) == 0 && strstr(out, "warning: line 4:") &&
               strstr(out, "no session_end") && strstr(out, ": OK"),
               "verify: a session without session_end is a warning");
        free(out);
        tap_ok(verify(&out, "--strict", bad, NULL, NULL) == 1 && strstr(out, "error: line 4:") &&
               strstr(out, "BROKEN"), "verify --strict: ... and an error");
        free(out);

        /* a line that is not a JSON object */
        char *junk[] = { l[0], l[1], (char *)"[1,2]", l[2], l[3], l[4] };
        write_lines(bad, junk, 6);
        tap_ok(verify(&out, bad, NULL, NULL, NULL) == 1 && strstr(out, "error: line 3: not a JSON object"),
               "verify: a line that is not a JSON object is an error");
        free(out);
        char *dup[] = { l[0], (char *)"{\"v\":1,\"v\":1}", l[1], l[2], l[3], l[4] };
        write_lines(bad, dup, 6);
        tap_ok(verify(NULL, bad, NULL, NULL, NULL) == 1, "verify: a line with duplicate keys is an error");

        /* appended after session_end */
        char *after[] = { l[0], l[1], l[2], l[3], l[4], l[4] };
        write_lines(bad, after, 6);
        tap_ok(verify(NULL, bad, NULL, NULL, NULL) == 1, "verify: a duplicated session_end is an error");
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

static void test_verify_usage(void)
{
        _cleanup_free_ char *missing = path_in_tmp("does-not-exist.jsonl");
        tap_ok(verify(NULL, NULL, NULL, NULL, NULL) == 125, "verify: no FILE is a usage error (125)");
        tap_ok(verify(NULL, missing, NULL, NULL, NULL) == 125, "verify: an unreadable file gives 125");
        tap_ok(verify(NULL, "--frobnicate", missing, NULL, NULL) == 125, "verify: an unknown option gives 125");
        tap_ok(verify(NULL, "--key", NULL, NULL, NULL) == 125, "verify: --key without FILE gives 125");
}

static void test_two_writers(void)
{
        _cleanup_free_ char *file = path_in_tmp("shared.jsonl");
        struct audit *a = open_or_die(file, NULL, NULL), *b = open_or_die(file, NULL, NULL);
        tap_ok(strcmp(audit_session_id(a), audit_session_id(b)) != 0, "two handles, two session ids");
        audit_emit(a, "session_start", obj("{\"pid\":1}"));
        audit_emit(b, "session_start", obj("{\"pid\":2}"));
        for (int i = 0; i < 20; i++) {
                audit_emit(i % 3 ? a : b, "call", obj("{\"method\":\"tools/list\"}"));
                if (i % 5 == 0)
                        audit_security(i % 2 ? a : b, "rate_limited", "info", "burst", "1", NULL);
        }
        audit_emit(b, "session_end", obj("{\"exit\":0}"));
        audit_emit(a, "session_end", obj("{\"exit\":0}"));
        audit_close(a);
        audit_close(b);
        char *out = NULL;
        tap_ok(verify(&out, file, NULL, NULL, NULL) == 0 && strstr(out, "2 sessions, 28 records: OK"),
               "verify: two interleaved sessions in one file are OK");
        free(out);
}

static void test_hmac(void)
{
        _cleanup_free_ char *key = path_in_tmp("audit.key");
        _cleanup_free_ char *file = path_in_tmp("hmac.jsonl");
        const char *secret = "0123456789abcdef0123456789abcdef";
        char *key_text;
        if (asprintf(&key_text, "%s\n", secret) < 0)
                abort();
        spit(key, key_text, 0600);
        free(key_text);
        struct audit *a = open_or_die(file, key, NULL);
        write_session(a);
        audit_close(a);
        char **l;
        size_t n = lines_of(file, &l);
        char want[65];
        hex_digest((const unsigned char *)secret, strlen(secret), n ? l[0] : "", want);
        tap_ok(n == 5 && strstr(l[1], want) != NULL,
               "with audit.key, prev is HMAC-SHA256 of the previous line (trailing newline not in the key)");
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
        char *out = NULL;
        tap_ok(verify(&out, "--key", key, file, NULL) == 0 && strstr(out, ": OK"),
               "verify --key accepts the HMAC chain");
        free(out);
        tap_ok(verify(NULL, file, NULL, NULL, NULL) == 1, "verify without the key reports the chain broken");
        _cleanup_free_ char *other = path_in_tmp("other.key");
        spit(other, "another key, long enough to use", 0400);
        tap_ok(verify(NULL, "--key", other, file, NULL) == 1, "verify with the wrong key reports it broken");
}

static void test_key_refused(void)
{
        _cleanup_free_ char *key = path_in_tmp("loose.key");
        _cleanup_free_ char *file = path_in_tmp("loose.jsonl");
        spit(key, "0123456789abcdef0123456789abcdef", 0644);
        struct audit_config cfg = { .file = file, .key_file = key, .server = "s" };
        struct mc_error err = { 0 };
        struct audit *a = NULL;
        int r = audit_open(&a, &cfg, &err);
        tap_ok(r < 0 && a == NULL && strstr(err.msg, key) && strstr(err.msg, "0644"),
               "a key file readable by others is refused, naming the file and mode");
        printf("#   %s\n", err.msg);
        spit(key, "0123456789abcdef0123456789abcdef", 0640);
        tap_ok(audit_open(&a, &cfg, &err) < 0, "a group-readable key file is refused");
        spit(key, "short\n", 0600);
        tap_ok(audit_open(&a, &cfg, &err) < 0 && strstr(err.msg, "too short"), "a short key is refused");
        if (geteuid() == 0) {
                spit(key, "0123456789abcdef0123456789abcdef", 0600);
                tap_ok(chown(key, 65534, 65534) == 0 && audit_open(&a, &cfg, &err) < 0 &&
                       strstr(err.msg, "owned by uid 65534"), "a key file owned by another user is refused");
        } else {
                tap_skip("needs root to chown", "a key file owned by another user is refused");
        }
        _cleanup_free_ char *none = path_in_tmp("no-such.key");
        cfg.key_file = none;
        tap_ok(audit_open(&a, &cfg, &err) < 0 && strstr(err.msg, none), "a missing key file is refused");
}

/* Four processes appending at once, records of a few KiB: one write() per record keeps
 * every line whole, so each session still verifies. */
static void test_concurrent_processes(void)
{
        _cleanup_free_ char *file = path_in_tmp("concurrent.jsonl");
        char big[3000];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        fflush(stdout);
        pid_t pids[4];
        for (int p = 0; p < 4; p++) {
                pids[p] = fork();
                if (pids[p] == 0) {
                        struct audit *a = open_or_die(file, NULL, NULL);
                        audit_emit(a, "session_start", NULL);
                        for (int i = 0; i < 300; i++)
                                audit_emit(a, "call", json_pack("{s:s}", "arguments", big));
                        audit_emit(a, "session_end", NULL);
                        audit_close(a);
                        /* _exit() runs no cleanup: free the child's copy, or valgrind
                         * reports it lost in every child */
                        free(TAKE_PTR(file));
                        _exit(0);
                }
        }
        for (int p = 0; p < 4; p++)
                waitpid(pids[p], NULL, 0);
        char *out = NULL;
        tap_ok(verify(&out, file, NULL, NULL, NULL) == 0 && strstr(out, "4 sessions, 1208 records: OK"),
               "four processes appending 3 KiB records at once: no torn lines, four intact chains");
        free(out);
}

static void test_reopen(void)
{
        _cleanup_free_ char *file = path_in_tmp("rotate.jsonl");
        _cleanup_free_ char *rotated = path_in_tmp("rotate.jsonl.1");
        struct audit *a = open_or_die(file, NULL, NULL);
        audit_emit(a, "session_start", NULL);
        rename(file, rotated);
        audit_emit(a, "call", NULL);
        struct mc_error err = { 0 };
        tap_ok(audit_reopen(a, &err) == 0, "audit_reopen succeeds");
        audit_emit(a, "session_end", NULL);
        audit_close(a);
        char **l1, **l2;
        size_t n1 = lines_of(rotated, &l1), n2 = lines_of(file, &l2);
        tap_ok(n1 == 2 && n2 == 1 && strstr(l2[0], "\"seq\":2,") && strstr(l2[0], "session_end"),
               "before reopen records go to the renamed file, after it to the new one");
        struct stat st;
        tap_ok(stat(file, &st) == 0 && (st.st_mode & 07777) == 0600, "the reopened file is 0600");
        char *out = NULL;
        tap_ok(verify(&out, rotated, file, NULL, NULL) == 0 && strstr(out, "1 session, 3 records: OK"),
               "verify: the rotated file and the new one, oldest first, are one intact chain");
        free(out);
        tap_ok(verify(&out, file, NULL, NULL, NULL) == 1 && strstr(out, "error: line 1:") &&
               strstr(out, "seq 0..1 missing"), "verify: the new file alone misses the session's start");
        free(out);
        char *want;
        if (asprintf(&want, "error: %s line 1: ", rotated) < 0)
                abort();
        tap_ok(verify(&out, file, rotated, NULL, NULL) == 1 && strstr(out, want) &&
               strstr(out, "reordered"), "verify: with several files, problems name file and line");
        free(want);
        free(out);
        for (size_t i = 0; i < n1; i++)
                free(l1[i]);
        for (size_t i = 0; i < n2; i++)
                free(l2[i]);
        free(l1);
        free(l2);
}

static void test_write_failure(void)
{
        struct audit *a = open_or_die("/dev/full", NULL, NULL);
        int r1 = audit_emit(a, "session_start", NULL);
        int r2 = audit_security(a, "oom", "critical", "x", NULL, NULL);
        tap_ok(r1 == -ENOSPC && r2 == -ENOSPC && audit_emit(a, "call", NULL) == -ENOSPC,
               "a full disk returns -ENOSPC and the caller carries on");
        audit_close(a);
        tap_ok(audit_emit(NULL, "call", NULL) == 0 && audit_security(NULL, "oom", "info", "", NULL, NULL) == 0,
               "a NULL handle (no audit) accepts records");
}

static void test_stderr_sink(void)
{
        _cleanup_free_ char *cap = path_in_tmp("stderr.out");
        int saved = dup(STDERR_FILENO);
        int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        dup2(fd, STDERR_FILENO);
        close(fd);
        struct audit *a = open_or_die("-", NULL, NULL);
        audit_emit(a, "session_start", NULL);
        audit_close(a);
        dup2(saved, STDERR_FILENO);
        close(saved);
        _cleanup_free_ char *text = slurp(cap);
        tap_ok(text && !strncmp(text, "{\"v\":1,", 7) && strstr(text, "session_start"),
               "\"-\" writes records to stderr (and stderr stays open)");
}

static bool wait_for(const char *path, const char *needle, int ms)
{
        for (int t = 0; t < ms; t += 20) {
                _cleanup_free_ char *text = slurp(path);
                if (text && strstr(text, needle))
                        return true;
                usleep(20000);
        }
        return false;
}


static void test_alert(void)
{
        _cleanup_free_ char *script = path_in_tmp("alert.sh");
        _cleanup_free_ char *got = path_in_tmp("alerts.jsonl");
        _cleanup_free_ char *file = path_in_tmp("alert-audit.jsonl");
        char *body;
        if (asprintf(&body, "#!/bin/sh\n[ \"$1\" = --json ] || exit 3\ncat >> '%s'\n", got) < 0)
                abort();
        spit(script, body, 0700);
        free(body);
        char *argv[] = { script, (char *)"--json", NULL };
        struct audit *a = open_or_die(file, NULL, argv);
        audit_emit(a, "call", obj("{\"method\":\"tools/list\"}"));
        audit_security(a, "injection", "critical", "hidden unicode in a tool result", "5", "fetch");
        audit_close(a);
        tap_ok(wait_for(got, "\"kind\":\"injection\"", 10000),
               "the alert command gets the security record on stdin, with its arguments");
        char **l;
        size_t n = lines_of(got, &l);
        _cleanup_free_ char *log = slurp(file);
        tap_ok(n == 1 && log && strstr(log, l[0]), "only security records are alerted, byte for byte as logged");
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

static void test_alert_full_pipe(void)
{
        _cleanup_free_ char *script = path_in_tmp("slow-alert.sh");
        _cleanup_free_ char *hold = path_in_tmp("hold");
        _cleanup_free_ char *count = path_in_tmp("count");
        _cleanup_free_ char *file = path_in_tmp("slow-audit.jsonl");
        char *body;
        if (asprintf(&body, "#!/bin/sh\nwhile [ -e '%s' ]; do sleep 0.05; done\ncat >/dev/null\n"
                     "echo x >> '%s'\n", hold, count) < 0)
                abort();
        spit(script, body, 0700);
        free(body);
        spit(hold, "", 0600);
        char *argv[] = { script, NULL };
        struct audit *a = open_or_die(file, NULL, argv);
        /* A one-page pipe fills after a dozen records instead of a few hundred. */
        fcntl(a->alert.fd, F_SETPIPE_SZ, 4096);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        const int sent = 200;
        bool all_ok = true;
        for (int i = 0; i < sent; i++)
                all_ok = all_ok && audit_security(a, "rate_limited", "info", "burst", "1", NULL) == 0;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        uint64_t dropped = a->alert.dropped;
        tap_ok(all_ok && secs < 2.0, "a stuck alert command does not block the relay (%d records in %.3f s)",
               sent, secs);
        tap_ok(dropped > 0 && dropped < (uint64_t)sent, "the full queue drops alerts and counts them (%llu dropped)",
               (unsigned long long)dropped);
        audit_close(a);
        tap_ok(count_lines(file) == (size_t)sent, "every record is still in the log");
        unlink(hold);
        size_t want = (size_t)sent - (size_t)dropped, have = 0;
        for (int t = 0; t < 30000 && (have = count_lines(count)) < want; t += 50)
                usleep(50000);
        tap_ok(have == want, "after the command unblocks, every queued alert runs (%zu of %zu)", have, want);
}

/* The helper must not inherit the host's pipes: if it held mcpcage's stdout, the host would
 * not see EOF when mcpcage exits while an alert is still running. */
static void test_alert_helper_fds(void)
{
        _cleanup_free_ char *script = path_in_tmp("hold-alert.sh");
        _cleanup_free_ char *hold = path_in_tmp("hold2");
        char *body;
        if (asprintf(&body, "#!/bin/sh\nwhile [ -e '%s' ]; do sleep 0.05; done\ncat >/dev/null\n", hold) < 0)
                abort();
        spit(script, body, 0700);
        free(body);
        spit(hold, "", 0600);
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], STDOUT_FILENO);
                char *argv[] = { script, NULL };
                char *file = path_in_tmp("fds.jsonl");
                struct audit *a = open_or_die(file, NULL, argv);
                audit_security(a, "oom", "critical", "x", NULL, NULL);
                audit_close(a);
                /* _exit() runs no cleanup: free the child's copies, or valgrind reports
                 * them lost */
                free(file);
                free(TAKE_PTR(script));
                free(TAKE_PTR(hold));
                _exit(0);
        }
        close(p[1]);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* EOF only once every holder of the write end is gone */
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        char c;
        ssize_t n = poll(&pfd, 1, 3000) == 1 ? read(p[0], &c, 1) : -1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        unlink(hold);
        close(p[0]);
        waitpid(pid, NULL, 0);
        tap_ok(n == 0 && t1.tv_sec - t0.tv_sec < 3,
               "the alert helper does not keep mcpcage's stdout open while an alert runs");
}

/* In a private mount namespace with a tmpfs /dev holding our own /dev/log: the child
 * exits 0 when the helper delivered the record to "syslog", 1 when not, 77 to skip. */
static int syslog_child(void)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0 ||
            mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)) < 0)
                return 77;
        int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
        if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return 77;
        struct audit_config cfg = { .file = NULL, .syslog = true, .server = "s" };
        struct mc_error err = { 0 };
        struct audit *a = NULL;
        if (audit_open(&a, &cfg, &err) < 0)
                return 1;
        audit_security(a, "seccomp_violation", "critical", "ptrace", NULL, NULL);
        audit_close(a);
        struct pollfd pfd = { .fd = sock, .events = POLLIN };
        char msg[2048] = "";
        if (poll(&pfd, 1, 5000) != 1 || recv(sock, msg, sizeof(msg) - 1, 0) <= 0)
                return 1;
        /* <82>: facility authpriv (10) * 8 + priority crit (2) */
        return !strncmp(msg, "<82>", 4) && strstr(msg, "mcpcage[") &&
               strstr(msg, "\"kind\":\"seccomp_violation\"") ? 0 : 1;
}

static void test_syslog(void)
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
                _exit(syslog_child());
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                tap_skip("cannot make a private /dev/log (needs root)", "security records reach syslog");
        else
                tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                       "security records reach syslog via the helper, authpriv.crit for critical");
}

static void cleanup_tmp(void)
{
        char *cmd;
        if (asprintf(&cmd, "rm -rf '%s'", tmp) >= 0 && system(cmd) != 0)
                printf("# could not remove %s\n", tmp);
        free(cmd);
}

int main(void)
{
        if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
        }
        test_records();
        test_security_ids();
        test_golden_plain();
        test_hold();
        test_golden_keyed();
        test_golden_large();
        test_record_json();
        test_record_fallback();
        test_hmac();
        test_key_refused();
        test_verify_tampering();
        test_verify_usage();
        test_two_writers();
        test_concurrent_processes();
        test_reopen();
        test_write_failure();
        test_stderr_sink();
        test_alert();
        test_alert_full_pipe();
        test_alert_helper_fds();
        test_syslog();
        cleanup_tmp();
        return tap_done();
}
