/* The string-value rewriter: keys never touched, every escape decoded as a peer would,
 * bytes outside changed strings kept, scoping by pointer, pointer paths for the audit. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "inspect/guards/jsonstr-avx2.h"
#include "inspect/guards/jsonstr.h"
#include "tap.h"

/* The transform under test: every 'a' becomes 'A' (changed) or nothing (unchanged). */
static int upcase_a(const char *s, size_t n, struct buf *out)
{
        if (!memchr(s, 'a', n))
                return 0;
        for (size_t i = 0; i < n; i++)
                buf_append(out, s[i] == 'a' ? "A" : s + i, 1);
        return 1;
}

/* Runs the walk; returns finish()'s value, the new message in *res, the paths in paths
 * (one per line) and the decoded strings in seen (one per line). */
static int walk(const char *msg, const char *scope, struct buf *res, struct buf *paths, struct buf *seen)
{
        struct jsonstr_iter it;
        struct mc_error err = { 0 };
        int rc = jsonstr_begin(&it, msg, strlen(msg), scope, res, &err);
        const char *text;
        size_t n;
        struct buf scratch = { 0 };
        while (rc >= 0 && (rc = jsonstr_next(&it, &text, &n, &err)) > 0) {
                if (paths) {
                        jsonstr_path(&it, paths);
                        buf_append(paths, "\n", 1);
                }
                if (seen) {
                        buf_append(seen, text, n);
                        buf_append(seen, "\n", 1);
                }
                buf_reset(&scratch);
                if (upcase_a(text, n, &scratch))
                        rc = jsonstr_replace(&it, scratch.data, scratch.len);
        }
        if (rc >= 0)
                rc = jsonstr_finish(&it);
        buf_append(res, "", 1);
        if (paths)
                buf_append(paths, "", 1);
        if (seen)
                buf_append(seen, "", 1);
        res->len--;
        buf_free(&scratch);
        jsonstr_end(&it);
        return rc;
}

static void test_keys_and_bytes(void)
{
        const char *msg = "{ \"a\" : \"banana\",\"list\":[ 1, \"cat\" ,{\"aa\":\"x\"},null,-2.5e3 ],"
                          "\"n\":{\"deep\":[[\"data\"]]},\"t\":true }";
        struct buf res = { 0 }, paths = { 0 };
        int rc = walk(msg, "", &res, &paths, NULL);
        tap_ok(rc == 1, "a changed message reports changed");
        tap_is_str(res.data, "{ \"a\" : \"bAnAnA\",\"list\":[ 1, \"cAt\" ,{\"aa\":\"x\"},null,-2.5e3 ],"
                   "\"n\":{\"deep\":[[\"dAtA\"]]},\"t\":true }",
                   "only string values change; keys, spacing and numbers are kept byte for byte");
        tap_is_str(paths.data, "/a\n/list/1\n/list/2/aa\n/n/deep/0/0\n", "pointer path of every string value");
        buf_free(&res);
        buf_free(&paths);
}

static void test_unchanged(void)
{
        struct buf res = { 0 };
        int rc = walk("{\"abc\":\"xyz\",\"k\":[\"q\",{\"aaa\":1}]}", "", &res, NULL, NULL);
        tap_ok(rc == 0 && res.len == 0, "a message with nothing to change is reported unchanged, nothing built");
        buf_free(&res);
}

static void test_escapes(void)
{
        const char *msg = "{\"s\":\"\\u0061b\\\"q\\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 \\u00e9 \\ud800x\"}";
        struct buf res = { 0 }, seen = { 0 };
        int rc = walk(msg, "", &res, NULL, &seen);
        tap_is_str(seen.data, "ab\"q\\ / \b\f\n\r\t \xF0\x9F\x98\x80 \xC3\xA9 \xEF\xBF\xBDx\n",
                   "every escape decoded: \\u, surrogate pair, lone surrogate as U+FFFD, short escapes");
        tap_ok(rc == 1, "\\u0061 is an 'a' to the transform");
        json_error_t je;
        json_t *j = json_loads(res.data, 0, &je);
        tap_ok(j != NULL, "the rewritten message is valid JSON");
        const char *s = json_string_value(json_object_get(j, "s"));
        tap_ok(s && !strncmp(s, "Ab\"q\\ / \b\f\n\r\t \xF0\x9F\x98\x80 \xC3\xA9", 20),
               "the re-encoded string decodes to the transformed text");
        json_decref(j);
        buf_free(&res);
        buf_free(&seen);
}

static void test_encode(void)
{
        struct buf b = { 0 };
        const char raw[] = "a\x01\x1f\"\\\n\x7f\xC3\xA9";
        jsonstr_encode(raw, sizeof(raw) - 1, &b);
        buf_append(&b, "", 1);
        tap_is_str(b.data, "\"a\\u0001\\u001f\\\"\\\\\\n\x7f\xC3\xA9\"", "encoder escapes quotes, backslashes and controls only");
        struct buf d = { 0 };
        jsonstr_decode(b.data + 1, b.len - 3, &d);
        tap_ok(d.len == sizeof(raw) - 1 && !memcmp(d.data, raw, d.len), "decode(encode(x)) == x");
        buf_free(&b);
        buf_free(&d);
}

static void test_scope(void)
{
        const char *msg = "{\"id\":\"aaa\",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"alpha\"}]},"
                          "\"a/b\":{\"c~d\":[\"zero\",\"a1\"]},\"params\":{\"arguments\":\"na\"}}";
        struct buf res = { 0 }, paths = { 0 };
        int rc = walk(msg, "/result", &res, &paths, NULL);
        tap_ok(rc == 1 && strstr(res.data, "\"id\":\"aaa\"") && strstr(res.data, "\"AlphA\"") &&
               strstr(res.data, "\"text\",") && strstr(res.data, "\"nA\"") == NULL,
               "scope /result: only strings under result change");
        tap_is_str(paths.data, "/result/content/0/type\n/result/content/0/text\n", "paths carry the scope prefix");
        buf_reset(&res);
        buf_reset(&paths);
        rc = walk(msg, "/a~1b/c~0d/1", &res, &paths, NULL);
        tap_ok(rc == 1 && strstr(res.data, "[\"zero\",\"A1\"]"), "escaped pointer tokens and array indices scope the walk");
        tap_is_str(paths.data, "/a~1b/c~0d/1\n", "a scope that is itself a string yields that string");
        buf_reset(&res);
        rc = walk(msg, "/params/arguments", &res, NULL, NULL);
        tap_ok(rc == 1 && strstr(res.data, "\"arguments\":\"nA\""), "scope /params/arguments");
        buf_reset(&res);
        struct jsonstr_iter it;
        struct mc_error err = { 0 };
        rc = jsonstr_begin(&it, msg, strlen(msg), "/error", &res, &err);
        const char *t;
        size_t n;
        tap_ok(rc == 1 && jsonstr_next(&it, &t, &n, &err) == 0, "an absent scope yields nothing");
        jsonstr_end(&it);
        rc = jsonstr_begin(&it, msg, strlen(msg), "/a~1b/c~0d/01", &res, &err);
        tap_ok(rc == 1, "a leading-zero index is not an index");
        jsonstr_end(&it);
        buf_free(&res);
        buf_free(&paths);
}

static void test_escaped_keys_in_scope(void)
{
        const char *msg = "{\"r\\u0065sult\":{\"v\":\"a\"},\"x\":\"a\"}";
        struct buf res = { 0 }, paths = { 0 };
        int rc = walk(msg, "/result", &res, &paths, NULL);
        tap_ok(rc == 1 && !strcmp(res.data, "{\"r\\u0065sult\":{\"v\":\"A\"},\"x\":\"a\"}"),
               "a key spelled with escapes is found by its decoded name (and kept as written)");
        buf_free(&res);
        buf_free(&paths);
}

static void test_empty_and_nested(void)
{
        const char *msg = "[[],{},\"\",[{}],{\"k\":[]},\"ab\"]";
        struct buf res = { 0 }, paths = { 0 };
        int rc = walk(msg, "", &res, &paths, NULL);
        tap_ok(rc == 1 && !strcmp(res.data, "[[],{},\"\",[{}],{\"k\":[]},\"Ab\"]"), "empty containers and strings");
        tap_is_str(paths.data, "/2\n/5\n", "array indices count every element");
        buf_reset(&res);
        char deep[2 * 200 + 8];
        memset(deep, '[', 200);
        memcpy(deep + 200, "\"a\"", 3);
        memset(deep + 203, ']', 200);
        deep[403] = '\0';
        struct jsonstr_iter it;
        struct mc_error err = { 0 };
        const char *t;
        size_t n;
        rc = jsonstr_begin(&it, deep, strlen(deep), "", &res, &err);
        rc = jsonstr_next(&it, &t, &n, &err);
        tap_ok(rc < 0 && strstr(err.msg, "deeper"), "nesting beyond the limit is an error, not a crash");
        jsonstr_end(&it);
        buf_free(&res);
        buf_free(&paths);
}

/* One escape of cp's byte or character as a peer might write it: plain, short form (\n \t \r
 * \b \f \" \\), \u00XX, or (for '/') "\/". */
static void put_spelled(struct buf *b, unsigned char c, unsigned how)
{
        static const char hex[] = "0123456789abcdef";
        char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
        if (c == '"' || c == '\\' || c < 0x20 || how % 3 == 0) {
                static const char short_form[] = { ['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r', ['\b'] = 'b', ['\f'] = 'f' };
                if (c < sizeof(short_form) && short_form[c] && how % 2)
                        buf_append(b, (char[]){ '\\', short_form[c] }, 2);
                else if (c == '"' && how % 2)
                        buf_append(b, "\\\"", 2);
                else if (c == '\\' && how % 2)
                        buf_append(b, "\\\\", 2);
                else if (c < 0x80)
                        buf_append(b, u, 6);
                else
                        buf_append(b, (const char *)&c, 1);
        } else if (c == '/' && how % 2) {
                buf_append(b, "\\/", 2);
        } else {
                buf_append(b, (const char *)&c, 1);
        }
}

/* Strings of up to 160 characters with escapes at every offset (across the walk's 16-byte
 * steps and the block decoder's 32-byte blocks), runs of escaped backslashes before quotes, surrogate pairs (jansson refuses a
 * lone surrogate, which test_escapes covers): the walk's decoded text must be what jansson decodes from the same string, and the
 * message must be handed back unchanged. */
static void test_decode_matches_jansson(void)
{
        static const unsigned char alphabet[] = { 'a', 'b', 'x', ' ', '\n', '"', '\\', '/', '\t', 0x01, 0x7f,
                                                  '\r', '\b', '\f', 'n', 't', 'u' };
        unsigned seed = 12345, bad = 0, total = 0;
        for (unsigned len = 0; len <= 160; len++) {
                for (unsigned round = 0; round < 40; round++, total++) {
                        struct buf msg = { 0 }, res = { 0 }, seen = { 0 };
                        buf_append(&msg, "{\"k\":[\"", 7);
                        for (unsigned i = 0; i < len; i++) {
                                unsigned r = tap_rand(&seed);
                                /* odd rounds: plain runs of tens of bytes between escapes, so
                                 * the block decoder sees whole blocks, escapes on their edges */
                                if (round % 2 && r % 11)
                                        buf_append(&msg, "plain", 1 + r % 5);
                                else if (r % 29 == 0)
                                        buf_append(&msg, "\\ud83d\\ude00", 12);      /* a pair */
                                else if (r % 31 == 0)
                                        buf_append(&msg, "\\uD83D\\uDE4F", 12);      /* upper-case hex */
                                else
                                        put_spelled(&msg, alphabet[r % sizeof(alphabet)], r >> 5);
                        }
                        buf_append(&msg, "\"]}", 3);
                        buf_append(&msg, "", 1);
                        json_error_t e;
                        json_t *j = json_loads(msg.data, JSON_ALLOW_NUL, &e);
                        json_t *str = json_array_get(json_object_get(j, "k"), 0);
                        int rc = walk(msg.data, "", &res, NULL, &seen);
                        /* seen holds the text plus "\n"; upcase_a may have changed the message,
                         * so compare the text the transform saw */
                        bool ok = j && str && rc >= 0 && seen.len == json_string_length(str) + 2 &&
                                  !memcmp(seen.data, json_string_value(str), json_string_length(str));
                        if (!ok && bad++ < 3)
                                printf("#   mismatch for %s\n", msg.data);
                        json_decref(j);
                        buf_free(&msg);
                        buf_free(&res);
                        buf_free(&seen);
                }
        }
        tap_ok(bad == 0, "decoded text equals jansson's for %u generated strings (%u differ)", total, bad);
}

static void test_malformed_escapes(void)
{
        static const char *const bad[] = { "[\"\\u12\"]", "[\"\\u12zz\"]", "[\"\\q\"]", "[\"abc\\", "[\"\\u\"]",
                                           "[\"\\u123z\"]", "[\"\\uz123\"]", "[\"\\u12 3\"]" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct buf res = { 0 };
                int rc = walk(bad[i], "", &res, NULL, NULL);
                tap_ok(rc < 0, "malformed escape refused: %s", bad[i]);
                buf_free(&res);
        }
}

/* The same escapes deep inside a long string, at every offset of a 32-byte block, after an
 * escape (the block decoder runs from the first escape on): each must still be refused, and
 * the valid twin of each decoded. */
static void test_malformed_escapes_in_blocks(void)
{
        static const char *const bad[] = { "\\q", "\\u12zz", "\\x41", "\\ ", "\\\\\\'" };
        static const char *const good[] = { "\\t", "\\u0041", "\\/", "\\\"", "\\\\\\b" };
        unsigned refused = 0, decoded = 0, tries = 0;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                for (unsigned off = 0; off < 70; off++, tries++) {
                        for (int valid = 0; valid < 2; valid++) {
                                struct buf msg = { 0 }, res = { 0 }, seen = { 0 };
                                buf_append_str(&msg, "[\"x\\n");
                                for (unsigned k = 0; k < off; k++)
                                        buf_append(&msg, k % 9 == 8 ? "\\n" : "y", k % 9 == 8 ? 2 : 1);
                                buf_append_str(&msg, valid ? good[i] : bad[i]);
                                buf_append_str(&msg, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"]");
                                buf_append(&msg, "", 1);
                                int rc = walk(msg.data, "", &res, NULL, &seen);
                                json_t *j = json_loads(msg.data, 0, NULL);
                                const char *want = json_string_value(json_array_get(j, 0));
                                if (!valid)
                                        refused += rc < 0;
                                else
                                        decoded += rc >= 0 && want && seen.len == strlen(want) + 2 &&
                                                   !memcmp(seen.data, want, strlen(want));
                                json_decref(j);
                                buf_free(&msg);
                                buf_free(&res);
                                buf_free(&seen);
                        }
                }
        }
        tap_ok(refused == tries, "malformed escapes after long plain runs refused at every offset (%u of %u)",
               refused, tries);
        tap_ok(decoded == tries, "their valid twins decode as jansson does (%u of %u)", decoded, tries);
}

/* The long-string scan for the first '"' or '\\': at every start alignment, for lengths
 * around its 32- and 64-byte steps, with the special byte (either kind) at every position
 * or absent, it answers as a byte-by-byte scan does, and reads no byte past end (the
 * buffer is exactly as long; ASan watches it). */
static size_t next_special_bytewise(const char *m, size_t p, size_t end)
{
        while (p < end && m[p] != '"' && m[p] != '\\')
                p++;
        return p;
}

static void append_run(struct buf *b, char c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                buf_append(b, &c, 1);
}

static void test_next_special(void)
{
        unsigned tries = 0, agreed = 0;
        for (size_t len = 0; jsonstr_avx2_ready() && len <= 200; len += len < 140 ? 1 : 7) {
                for (size_t align = 0; align < 32; align++) {
                        char *buf = malloc(align + len + 1);
                        char *m = buf + align;
                        for (size_t at = 0; at <= len; at++) {
                                for (int kind = 0; kind < 2; kind++) {
                                        memset(m, 'x', len);
                                        if (at < len)
                                                m[at] = kind ? '\\' : '"';
                                        for (size_t from = 0; from <= len && from < 40; from += 13) {
                                                tries++;
                                                agreed += jsonstr_avx2_next_special(m, from, len) ==
                                                          next_special_bytewise(m, from, len);
                                        }
                                        if (at == len)
                                                break;
                                }
                        }
                        free(buf);
                }
        }
        if (!jsonstr_avx2_ready())
                tap_skip("no AVX2 here: long strings are scanned 16 bytes a step",
                         "the long-string scan finds the first quote or backslash");
        else
                tap_ok(tries > 0 && agreed == tries, "the long-string scan finds the first quote or backslash as a "
               "byte-by-byte scan does (%u of %u cases)", agreed, tries);

        /* through the walk: long strings whose first escape or closing quote falls at every
         * offset of a 64-byte step */
        unsigned ok = 0, n = 0;
        for (size_t run = 250; run < 250 + 130; run++) {
                struct buf msg = { 0 }, res = { 0 }, seen = { 0 }, want = { 0 };
                buf_append(&msg, "[\"", 2);
                append_run(&msg, 'z', run);
                buf_append(&msg, run % 2 ? "\\n\",\"" : "\",\"", run % 2 ? 5 : 3);
                append_run(&msg, 'y', run);
                buf_append(&msg, "\"]", 3);
                append_run(&want, 'z', run);
                buf_append(&want, run % 2 ? "\n\n" : "\n", run % 2 ? 2 : 1);
                append_run(&want, 'y', run);
                buf_append(&want, "\n", 2);
                n++;
                ok += walk(msg.data, "", &res, NULL, &seen) == 0 && strcmp(seen.data, want.data) == 0;
                buf_free(&msg), buf_free(&res), buf_free(&seen), buf_free(&want);
        }
        tap_ok(ok == n, "long strings end at the right byte wherever their end falls (%u of %u)", ok, n);
}

/* On a CPU with AVX2 the tests above must have run the block decoder, not only the scalar
 * loop. */
static void test_block_decoder_in_use(void)
{
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx2")) {
                tap_skip("this CPU has no AVX2: strings are decoded by the scalar loop only",
                         "the 32-byte block decoder is in use");
                return;
        }
        tap_ok(jsonstr_avx2_ready(), "the 32-byte block decoder is in use");
#else
        tap_skip("not x86-64: strings are decoded by the scalar loop only", "the 32-byte block decoder is in use");
#endif
}

int main(void)
{
        test_keys_and_bytes();
        test_unchanged();
        test_escapes();
        test_encode();
        test_scope();
        test_escaped_keys_in_scope();
        test_empty_and_nested();
        test_decode_matches_jansson();
        test_malformed_escapes();
        test_malformed_escapes_in_blocks();
        test_next_special();
        test_block_decoder_in_use();
        return tap_done();
}
