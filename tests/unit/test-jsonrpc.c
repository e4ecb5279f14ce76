/* The JSON-RPC reader: valid messages of both protocol eras, every malformed class of
 * threats.md §4 (the corpus in tests/corpus/malformed, named CODE--ID--what.json), id keys
 * compared by value, the reply writers, and a speed figure printed as a diagnostic. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect/jsonrpc.h"
#include "inspect/jsonscan.h"
#include "tap.h"
#include "util/buf.h"
#include "util/cpu.h"

#define S(lit) lit, sizeof(lit) - 1

static char *span_dup(const struct jsonrpc_msg *m, struct span s)
{
        static char out[4][512];
        static int k;
        char *o = out[k++ % 4];
        size_t n = s.len < 511 ? s.len : 511;
        memcpy(o, m->buf + s.off, n);
        o[n] = '\0';
        return o;
}

static int parse(const char *buf, size_t len, struct jsonrpc_msg *m, struct jsonrpc_fault *f)
{
        return jsonrpc_parse(buf, len, m, f);
}

static void test_legacy_era(void)
{
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        static const char init[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
                "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"roots\":{}},"
                "\"clientInfo\":{\"name\":\"claude\",\"version\":\"1\"}}}";
        tap_ok(parse(S(init), &m, &f) == 0 && m.kind == MSG_REQUEST, "initialize is a request");
        tap_is_str(m.method, "initialize", "method decoded");
        tap_ok(m.id_type == ID_INT && m.id_key_len == 3 && !memcmp(m.id_key, "i:0", 3), "id key i:0");
        tap_ok(m.params.len > 0 && m.meta.len == 0, "params span, no _meta");
        jsonrpc_msg_clear(&m);

        static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
        tap_ok(parse(S(note), &m, &f) == 0 && m.kind == MSG_NOTIFICATION && !m.id_key,
               "notification has no id");
        jsonrpc_msg_clear(&m);

        static const char call[] = "{\"jsonrpc\":\"2.0\",\"id\":\"c-1\",\"method\":\"tools/call\","
                "\"params\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"/tmp/x\"}}}";
        tap_ok(parse(S(call), &m, &f) == 0 && m.kind == MSG_REQUEST, "tools/call request");
        tap_is_str(span_dup(&m, m.p_name), "\"read_file\"", "params.name span");
        tap_is_str(span_dup(&m, m.p_arguments), "{\"path\":\"/tmp/x\"}", "params.arguments span");
        tap_ok(m.id_key_len == 5 && !memcmp(m.id_key, "s:c-1", 5), "string id key");
        tap_is_str(span_dup(&m, m.id), "\"c-1\"", "raw id span");
        jsonrpc_msg_clear(&m);

        static const char res[] = "{\"jsonrpc\":\"2.0\",\"id\":\"c-1\",\"result\":{\"content\":"
                "[{\"type\":\"text\",\"text\":\"no\"}],\"isError\":true}}";
        tap_ok(parse(S(res), &m, &f) == 0 && m.kind == MSG_RESULT && m.result_is_error,
               "result with isError true");
        jsonrpc_msg_clear(&m);

        static const char err[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
                "\"message\":\"Parse error\"}}";
        tap_ok(parse(S(err), &m, &f) == 0 && m.kind == MSG_ERROR && m.id_type == ID_NULL && !m.id_key,
               "error response with a null id");
        jsonrpc_msg_clear(&m);

        static const char samp[] = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"sampling/createMessage\","
                "\"params\":{\"messages\":[],\"maxTokens\":10}}";
        tap_ok(parse(S(samp), &m, &f) == 0 && m.kind == MSG_REQUEST, "server request sampling");
        jsonrpc_msg_clear(&m);

        static const char cancel[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                "\"params\":{\"requestId\":\"c-1\",\"reason\":\"user\"}}";
        tap_ok(parse(S(cancel), &m, &f) == 0 && m.kind == MSG_NOTIFICATION, "cancel notification");
        tap_is_str(span_dup(&m, m.p_request_id), "\"c-1\"", "params.requestId span");
        jsonrpc_msg_clear(&m);
}

static void test_modern_era(void)
{
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        static const char disc[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
                "\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}";
        tap_ok(parse(S(disc), &m, &f) == 0 && m.kind == MSG_REQUEST, "server/discover");
        tap_is_str(span_dup(&m, m.meta),
                   "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}", "_meta span");
        jsonrpc_msg_clear(&m);

        static const char ir[] = "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"resultType\":"
                "\"input_required\",\"inputRequests\":{\"e1\":{\"method\":\"elicitation/create\","
                "\"params\":{\"message\":\"ok?\"}}},\"requestState\":\"opaque\"}}";
        tap_ok(parse(S(ir), &m, &f) == 0 && m.kind == MSG_RESULT, "input_required result");
        tap_is_str(span_dup(&m, m.result_type), "\"input_required\"", "result.resultType span");
        jsonrpc_msg_clear(&m);

        static const char retry[] = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
                "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"},\"name\":\"t\","
                "\"arguments\":{},\"inputResponses\":{\"e1\":{\"action\":\"accept\"}},"
                "\"requestState\":\"opaque\"}}";
        tap_ok(parse(S(retry), &m, &f) == 0 && m.kind == MSG_REQUEST && m.meta.len > 0,
               "retried request with inputResponses");
        jsonrpc_msg_clear(&m);
}

/* CODE--ID--name.json: ID is null (none recovered), iN, ibig or s (the string "a\u0031"). */
static void check_corpus_file(const char *dir, const char *name)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *fp = fopen(path, "rb");
        if (!tap_ok(fp != NULL, "open %s", name))
                return;
        static char data[1 << 20];
        size_t n = fread(data, 1, sizeof(data), fp);
        fclose(fp);

        int want_code = -atoi(name);
        const char *idf = strstr(name, "--") + 2;
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        int r = jsonrpc_parse(data, n, &m, &f);
        tap_ok(r == -EBADMSG && f.code == want_code, "%s: code %d (%s)", name, f.code, f.reason);

        char got[128] = "null";
        if (f.id_type != ID_NONE)
                snprintf(got, sizeof(got), "%.*s", (int)f.id.len, data + f.id.off);
        char want[128] = "null";
        if (!strncmp(idf, "ibig", 4))
                strcpy(want, "123456789012345678901234567890");
        else if (idf[0] == 'i')
                snprintf(want, sizeof(want), "%.*s", (int)(strstr(idf, "--") - idf - 1), idf + 1);
        else if (idf[0] == 's')
                strcpy(want, "\"a\\u0031\"");
        tap_ok(!strcmp(got, want), "%s: recovered id %s (want %s)", name, got, want);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void)
{
        DIR *d = opendir(CORPUS_DIR);
        if (!tap_ok(d != NULL, "open corpus %s", CORPUS_DIR))
                return;
        char *names[256];
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) && n < 256)
                if (strstr(e->d_name, ".json"))
                        names[n++] = strdup(e->d_name);
        closedir(d);
        qsort(names, n, sizeof(*names), cmp_names);
        tap_ok(n >= 50, "corpus has %zu samples", n);
        for (size_t i = 0; i < n; i++) {
                check_corpus_file(CORPUS_DIR, names[i]);
                free(names[i]);
        }
}

static char *nest(int depth)
{
        static char buf[512];
        int o = sprintf(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":");
        for (int i = 0; i < depth; i++)
                buf[o++] = '[';
        for (int i = 0; i < depth; i++)
                buf[o++] = ']';
        buf[o++] = '}';
        buf[o] = '\0';
        return buf;
}

static void test_edges(void)
{
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        char *s = nest(63);
        tap_ok(jsonrpc_parse(s, strlen(s), &m, &f) == 0, "nesting depth 64 accepted");
        jsonrpc_msg_clear(&m);
        s = nest(64);
        tap_ok(jsonrpc_parse(s, strlen(s), &m, &f) == -EBADMSG && f.code == JSONRPC_PARSE_ERROR,
               "nesting depth 65 refused: %s", f.reason);

        static const char big[] = "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890123,"
                "\"method\":\"x\",\"params\":{\"m\":-0.000000000000000000000001,\"e\":1e300,"
                "\"k\":99999999999999999999999999999999999999999999999999}}";
        tap_ok(jsonrpc_parse(S(big), &m, &f) == 0, "big integers and in-range fractions are fine as tokens");
        tap_ok(m.id.len == 33 && !memcmp(big + m.id.off, "123456789012345678901234567890123", 33),
               "a big integer id keeps its exact digits");
        jsonrpc_msg_clear(&m);

        /* threats.md §4 "huge numbers": refused, since readers disagree on them. */
        static const char *const huge[] = {
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":{\"n\":1e999999}}",
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":{\"n\":-1.5e400}}",
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":{\"n\":1e-400}}",
        };
        for (size_t k = 0; k < sizeof(huge) / sizeof(huge[0]); k++)
                tap_ok(jsonrpc_parse(huge[k], strlen(huge[k]), &m, &f) == -EBADMSG &&
                       f.code == JSONRPC_INVALID_REQUEST && f.id_type == ID_INT,
                       "a number beyond double range is refused with its id recovered: %s", f.reason);
        char longnum[256];
        snprintf(longnum, sizeof(longnum), "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"x\",\"params\":{\"n\":1%0101d}}", 0);
        tap_ok(jsonrpc_parse(longnum, strlen(longnum), &m, &f) == -EBADMSG &&
               f.code == JSONRPC_INVALID_REQUEST, "a 102-character number is refused: %s", f.reason);
        snprintf(longnum, sizeof(longnum), "{\"jsonrpc\":\"2.0\",\"id\":1%099d,\"method\":\"x\"}", 0);
        tap_ok(jsonrpc_parse(longnum, strlen(longnum), &m, &f) == 0, "a 100-digit integer id passes");
        jsonrpc_msg_clear(&m);

        static const char ws[] = " \t {\"jsonrpc\":\"2.0\",\"method\":\"x\"} \r";
        tap_ok(jsonrpc_parse(S(ws), &m, &f) == 0, "leading whitespace and a trailing \\r are tolerated");
        jsonrpc_msg_clear(&m);

        static const char esckey[] = "{\"jsonrpc\":\"2\\u002e0\",\"\\u0069d\":9,\"method\":\"\\u0070ing\"}";
        tap_ok(jsonrpc_parse(S(esckey), &m, &f) == 0 && m.kind == MSG_REQUEST, "escaped keys read by value");
        tap_is_str(m.method, "ping", "escaped method decoded");
        tap_ok(m.id_key && !strcmp(m.id_key, "i:9"), "escaped \"id\" key found");
        jsonrpc_msg_clear(&m);

        static const char uni[] = "{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\xa9\\ud83d\\ude00\xf0\x9f\x98\x80\","
                "\"method\":\"x\"}";
        tap_ok(jsonrpc_parse(S(uni), &m, &f) == 0 && m.id_key_len == 2 + 2 + 4 + 4 &&
               !memcmp(m.id_key + 2, "\xc3\xa9\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 10),
               "UTF-8 and a surrogate pair decode to the same id text");
        jsonrpc_msg_clear(&m);

        /* many keys, no duplicate: the sorted check must not flag anything */
        static char many[200000];
        int o = sprintf(many, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{");
        for (int i = 0; i < 10000; i++)
                o += sprintf(many + o, "%s\"key%d\":%d", i ? "," : "", i, i);
        o += sprintf(many + o, "}}");
        tap_ok(jsonrpc_parse(many, (size_t)o, &m, &f) == 0, "10000 distinct keys accepted");
        jsonrpc_msg_clear(&m);
        memcpy(many + o - 2, ",\"key9999\":0}}", 14);
        tap_ok(jsonrpc_parse(many, (size_t)o + 12, &m, &f) == -EBADMSG && f.code == JSONRPC_INVALID_REQUEST,
               "a duplicate among 10001 keys refused: %s", f.reason);
}

static void test_id_keys(void)
{
        char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        tap_ok(jsonrpc_id_key(S("1"), &a, &al) == 0 && jsonrpc_id_key(S("\"1\""), &b, &bl) == 0 &&
               (al != bl || memcmp(a, b, al)), "1 and \"1\" are different ids");
        free(a);
        free(b);
        tap_ok(jsonrpc_id_key(S("\"\\u0031\""), &a, &al) == 0 && jsonrpc_id_key(S("\"1\""), &b, &bl) == 0 &&
               al == bl && !memcmp(a, b, al), "\"\\u0031\" and \"1\" are the same id");
        free(a);
        free(b);
        tap_ok(jsonrpc_id_key(S("\"a\\u0000b\""), &a, &al) == 0 && al == 5 && !memcmp(a, "s:a\0b", 5),
               "a string id with U+0000 keeps its length");
        free(a);
        tap_ok(jsonrpc_id_key(S("-0"), &a, &al) == 0 && !strcmp(a, "i:0"), "-0 is the id 0");
        free(a);
        tap_ok(jsonrpc_id_key(S("1.0"), &a, &al) == -EINVAL && jsonrpc_id_key(S("01"), &a, &al) == -EINVAL &&
               jsonrpc_id_key(S("null"), &a, &al) == -EINVAL, "1.0, 01 and null have no key");
}

static void test_recover(void)
{
        enum id_type t;
        struct span s;
        static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"a\":[1,{\"b\":\"}\"}]},"
                "\"id\":\"x-7\",\"more\":\"aaaaaaaaaaaaaaaaaaaa";
        tap_ok(jsonrpc_recover_id(S(head), &t, &s) && t == ID_STRING &&
               !memcmp(head + s.off, "\"x-7\"", 5), "id recovered from a cut head after nested params");
        static const char cut[] = "{\"jsonrpc\":\"2.0\",\"id\":12";
        tap_ok(!jsonrpc_recover_id(S(cut), &t, &s), "an id cut at the end of the head is not recovered");
        static const char badstr[] = "{\"id\":\"a\xff\",\"x\":1}";
        tap_ok(!jsonrpc_recover_id(S(badstr), &t, &s), "an id that is not a valid token is not recovered");
}

static void test_replies(void)
{
        struct buf b = { 0 };
        json_t *data = json_pack("{s:s}", "rule", "/mcp/tools/x");
        tap_ok(jsonrpc_append_error(&b, S("123456789012345678901234567890"), -32600, "bad \"thing\"",
                                    data) == 0, "append_error");
        json_decref(data);
        tap_ok(b.len && b.data[b.len - 1] == '\n', "line ends in \\n");
        tap_ok(b.len == strlen("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"error\":"
                               "{\"code\":-32600,\"message\":\"bad \\\"thing\\\"\",\"data\":{\"rule\":"
                               "\"/mcp/tools/x\"}}}\n") &&
               !memcmp(b.data, "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"error\":", 59),
               "big id copied byte-exact");
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        tap_ok(jsonrpc_parse(b.data, b.len - 1, &m, &f) == 0 && m.kind == MSG_ERROR, "the error line parses");
        jsonrpc_msg_clear(&m);
        buf_reset(&b);
        json_t *res = json_pack("{s:b}", "isError", 1);
        tap_ok(jsonrpc_append_result(&b, NULL, 0, res) == 0 &&
               b.len == strlen("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{\"isError\":true}}\n"),
               "append_result with a null id");
        json_decref(res);
        buf_free(&b);
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a pass/fail test (machines differ); the figures go to the TAP log. */
static void test_speed(void)
{
        size_t big = 8u << 20;
        char *line = malloc(big + 256);
        int o = sprintf(line, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"");
        size_t i = (size_t)o;
        static const char chunk[] =
                "Lorem ipsum dolor sit amet, \\\"consectetur\\\" adipiscing elit \xc3\xa9.\\n";
        while (i < big) {
                memcpy(line + i, chunk, sizeof(chunk) - 1);
                i += sizeof(chunk) - 1;
        }
        i += (size_t)sprintf(line + i, "\"}],\"isError\":false}}");
        struct jsonrpc_msg m;
        struct jsonrpc_fault f;
        double t0 = now_s();
        int ok = 0;
        for (int k = 0; k < 10; k++) {
                ok += jsonrpc_parse(line, i, &m, &f) == 0;
                jsonrpc_msg_clear(&m);
        }
        double dt = now_s() - t0;
        tap_ok(ok == 10, "8 MiB result parses");
        printf("# 8 MiB result: %.0f MB/s\n", 10.0 * (double)i / dt / 1e6);
        free(line);

        static const char small[] = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":"
                "{\"name\":\"read_file\",\"arguments\":{\"path\":\"/home/me/projects/a.txt\"}}}";
        t0 = now_s();
        ok = 0;
        for (int k = 0; k < 200000; k++) {
                ok += jsonrpc_parse(S(small), &m, &f) == 0;
                jsonrpc_msg_clear(&m);
        }
        dt = now_s() - t0;
        tap_ok(ok == 200000, "small request parses");
        printf("# small tools/call request (%zu bytes): %.0f ns per message\n", sizeof(small) - 1,
               dt / 200000 * 1e9);
}

/* Long strings, where the scanner skips plain text 64 bytes a step: at every start
 * alignment, in the first unaligned block and at every position of a later 64-byte step,
 * the first byte that needs attention is found exactly, by each loop this CPU has (the
 * portable one, AVX2, AVX-512). A raw control byte is refused at its offset; a
 * non-ASCII character, an escape and the closing quote are taken with the right decoded
 * length. */
static void long_strings(const char *loop)
{
        static const struct { const char *bytes; size_t declen; bool refused; } kinds[] = {
                { "\x01", 0, true }, { "\x1f", 0, true }, { "\xc3\xa9", 2, false },
                { "\xe4\xb8\xad", 3, false }, { "\\n", 1, false }, { "\\u00e9", 2, false }, { "", 0, false },
        };
        unsigned tries = 0, right = 0;
        for (size_t align = 0; align < 64; align += 3) {
                for (size_t at = 0; at < 250 + 70; at = at == 130 ? 250 : at + 1) {
                        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
                                size_t blen = strlen(kinds[k].bytes), tail = at < 250 ? 300 : 40;
                                size_t len = 1 + at + blen + tail + 1;
                                char *buf = malloc(align + len), *t = buf + align;
                                t[0] = '"';
                                memset(t + 1, 'a', at);
                                memcpy(t + 1 + at, kinds[k].bytes, blen);
                                memset(t + 1 + at + blen, 'b', tail);
                                t[len - 1] = '"';
                                struct jv root;
                                struct jscan_fault f;
                                int r = json_scan(t, len, NULL, &root, &f);
                                bool ok = kinds[k].refused
                                                  ? r == -EBADMSG && f.pos == 1 + at
                                                  : r == 0 && root.type == JV_STRING && root.len == len &&
                                                            root.declen == at + kinds[k].declen + tail;
                                tries++;
                                right += ok;
                                if (!ok && tries - right == 1)
                                        printf("# align %zu, at %zu, kind %zu: r %d pos %zu declen %zu\n", align,
                                               at, k, r, f.pos, r == 0 ? root.declen : 0);
                                free(buf);
                        }
                }
        }
        tap_ok(right == tries, "long strings, %s loop: the first byte that needs attention is found at "
               "every offset and alignment (%u of %u)", loop, right, tries);
}

static void test_long_strings(void)
{
        static const struct { unsigned mask; const char *name; } loops[] = {
                { 0, "portable" }, { CPU_AVX2, "AVX2" }, { CPU_AVX2 | CPU_AVX512BW, "AVX-512" },
        };
        for (size_t l = 0; l < sizeof(loops) / sizeof(loops[0]); l++) {
                cpu_simd_limit(loops[l].mask);
                if ((cpu_simd_features() & loops[l].mask) != loops[l].mask) {
                        char name[64];
                        snprintf(name, sizeof(name), "long strings, %s loop", loops[l].name);
                        tap_skip("this CPU does not have it", name);
                        continue;
                }
                long_strings(loops[l].name);
        }
        cpu_simd_limit(~0u);
}

int main(void)
{
        test_legacy_era();
        test_modern_era();
        test_corpus();
        test_edges();
        test_id_keys();
        test_recover();
        test_replies();
        test_long_strings();
        test_speed();
        return tap_done();
}
