/* json_build_validated() against json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL [|
 * JSON_DECODE_INT_AS_REAL]): for every value the scanner accepts, the same value (same
 * types, same member order, same reals to the last bit) or, where jansson refuses, NULL.
 * (The scanner itself refuses reals beyond a double and keys holding U+0000, so of
 * jansson's refusals only integers beyond 64 bits reach the builder.) */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "inspect/jsonbuild.h"
#include "inspect/jsonscan.h"
#include "tap.h"
#include "util/buf.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

/* NULL for NULL; else the dump, malloc'd */
static char *dump(json_t *v)
{
        return v ? json_dumps(v, DUMP_FLAGS) : NULL;
}

static bool same_dump(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* One comparison in both modes; on a difference prints the input once. */
static bool agrees(const char *text, size_t len)
{
        bool ok = true;
        for (int real = 0; real < 2; real++) {
                size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | (real ? JSON_DECODE_INT_AS_REAL : 0);
                json_t *want = json_loadb(text, len, flags, NULL);
                json_t *got = json_build_validated(text, len, real);
                char *w = dump(want), *g = dump(got);
                if (!same_dump(w, g)) {
                        if (ok)
                                printf("# input: %.*s\n#   jansson: %s\n#   built:   %s\n", (int)len, text,
                                       w ? w : "(refused)", g ? g : "(refused)");
                        ok = false;
                }
                free(w), free(g);
                json_decref(want), json_decref(got);
        }
        return ok;
}

static bool scanner_accepts(const char *text, size_t len)
{
        struct jv root;
        struct jscan_fault f;
        return json_scan(text, len, NULL, &root, &f) == 0;
}

static void test_fixed(void)
{
        static const char *const cases[] = {
                "{}", "[]", "0", "-0", "1", "-1", "9223372036854775807", "-9223372036854775808",
                "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
                "1.5", "-0.0", "0e0", "1E2", "1e+2", "1e-2", "2.5E-3", "1e308", "1.7976931348623157e308",
                "0.1", "3.141592653589793238462643383279", "2.2250738585072014e-308",
                "true", "false", "null", "\"\"", "\"a\"", "\"\\u0000\"", "\"a\\u0000b\"",
                "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"é中😀\"",
                "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", "{\"z\":1,\"a\":2,\"m\":3}",
                "{\"\\u006b\":\"\\u0076\"}", " \t\r\n{ \"a\" : [ 1 , 2 ] } \n", "[[[[[[[[[[1]]]]]]]]]]",
                "{\"text\":\"hi\",\"path\":\"/tmp/a.txt\",\"command\":\"ls -l\",\"url\":\"https://x.example/\"}",
                "[1,1.0,-1e0,9223372036854775807,9223372036854775808]",
        };
        unsigned ok = 0, n = 0;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t len = strlen(cases[i]);
                if (!scanner_accepts(cases[i], len)) {
                        printf("# the scanner refuses: %s\n", cases[i]);
                        continue;
                }
                n++;
                ok += agrees(cases[i], len);
        }
        tap_ok(n == sizeof(cases) / sizeof(cases[0]) && ok == n,
               "fixed values: the built value is jansson's (%u of %u)", ok, n);
}

/* ---- generated values ---- */

static unsigned long rng = 88172645463325252ul;
static unsigned pick(unsigned n)
{
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        return (unsigned)(rng % n);
}

static void gen_string(struct buf *b)
{
        static const char *const pieces[] = {
                "a", "path", " ", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\u0000", "\\u00e9", "\\u4E2D",
                "\\ud83d\\ude00", "é", "中", "😀", "x\\b\\f\\r", "/tmp/", "~", "%41",
        };
        buf_append(b, "\"", 1);
        for (unsigned k = pick(6); k > 0; k--)
                buf_append_str(b, pieces[pick(sizeof(pieces) / sizeof(pieces[0]))]);
        buf_append(b, "\"", 1);
}

static void gen_number(struct buf *b)
{
        static const char *const ints[] = { "0", "-0", "7", "-42", "1000000", "9223372036854775807",
                                             "-9223372036854775808", "9223372036854775808",
                                             "-9223372036854775809", "18446744073709551616" };
        static const char *const fracs[] = { "", ".5", ".0", ".25", ".1234567890123456789" };
        static const char *const exps[] = { "", "e0", "E2", "e+10", "e-5", "e308", "e309", "e-330", "E-400" };
        buf_append_str(b, ints[pick(sizeof(ints) / sizeof(ints[0]))]);
        if (pick(2)) {
                buf_append_str(b, fracs[pick(sizeof(fracs) / sizeof(fracs[0]))]);
                buf_append_str(b, exps[pick(sizeof(exps) / sizeof(exps[0]))]);
        }
}

static void gen_ws(struct buf *b)
{
        static const char *const ws[] = { "", "", "", " ", "\n", "\t ", "\r\n" };
        buf_append_str(b, ws[pick(sizeof(ws) / sizeof(ws[0]))]);
}

static void gen_value(struct buf *b, unsigned depth)
{
        unsigned k = pick(depth > 4 ? 5 : 7);
        switch (k) {
        case 0: gen_string(b); break;
        case 1: gen_number(b); break;
        case 2: buf_append_str(b, pick(2) ? "true" : "false"); break;
        case 3: buf_append_str(b, "null"); break;
        case 4: gen_string(b); break;
        case 5:
        case 6: {
                bool obj = k == 5;
                buf_append_str(b, obj ? "{" : "[");
                for (unsigned n = pick(5), i = 0; i < n; i++) {
                        if (i)
                                buf_append_str(b, ",");
                        gen_ws(b);
                        if (obj) {
                                /* distinct keys: the scanner refuses duplicates */
                                buf_printf(b, "\"k%u", i);
                                if (pick(8) == 0)
                                        buf_append_str(b, pick(2) ? "\\u0000" : "\\u00e9");
                                buf_append_str(b, "\"");
                                gen_ws(b);
                                buf_append_str(b, ":");
                                gen_ws(b);
                        }
                        gen_value(b, depth + 1);
                        gen_ws(b);
                }
                buf_append_str(b, obj ? "}" : "]");
                break;
        }
        default:
                break;
        }
}

static void test_generated(void)
{
        unsigned ok = 0, n = 0, refused_by_jansson = 0;
        for (unsigned t = 0; t < 20000; t++) {
                struct buf b = { 0 };
                gen_ws(&b);
                gen_value(&b, 0);
                gen_ws(&b);
                if (scanner_accepts(b.data, b.len)) {
                        n++;
                        ok += agrees(b.data, b.len);
                        json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
                        refused_by_jansson += !j;
                        json_decref(j);
                }
                buf_free(&b);
        }
        tap_ok(n > 15000 && ok == n, "generated values: the built value is jansson's (%u of %u)", ok, n);
        tap_ok(refused_by_jansson > 500, "jansson's refusals are among them (%u integers beyond 64 bits)",
               refused_by_jansson);
}

/* Out of memory at every allocation jansson makes while a value is built: NULL, and
 * nothing left allocated (the ASan build's leak check sees every path). */
static long allocs_left = -1;

static void *failing_malloc(size_t n)
{
        if (allocs_left == 0)
                return NULL;
        if (allocs_left > 0)
                allocs_left--;
        return malloc(n);
}

static void test_out_of_memory(void)
{
        const char *text = "{\"a\":[1,2.5,\"x\\ny\",{\"b\":null,\"c\":[true,false]}],\"d\":\"e\",\"f\":{}}";
        json_t *parsed = json_loadb(text, strlen(text), JSON_DECODE_ANY, NULL);
        char *want = dump(parsed);
        json_decref(parsed);
        unsigned refused = 0;
        bool whole = false;
        json_set_alloc_funcs(failing_malloc, free);
        for (long n = 0; n < 200 && !whole; n++) {
                allocs_left = n;
                json_t *v = json_build_validated(text, strlen(text), false);
                allocs_left = -1;
                if (!v) {
                        refused++;
                        continue;
                }
                char *got = dump(v);
                json_decref(v);
                whole = same_dump(got, want);
                free(got);
                if (!whole)
                        break;
        }
        json_set_alloc_funcs(malloc, free);
        free(want);
        tap_ok(refused > 10 && whole, "out of memory at each of the first %u allocations: NULL; then the "
               "whole value", refused);
}

int main(void)
{
        test_fixed();
        test_generated();
        test_out_of_memory();
        return tap_done();
}
