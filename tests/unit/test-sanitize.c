/* audit.arguments: what of a call's arguments reaches the audit log in each mode. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include "inspect/sanitize.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

static char *dump(json_t *v)
{
        static char out[4096];
        char *d = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
        snprintf(out, sizeof(out), "%s", d ? d : "(null)");
        free(d);
        json_decref(v);
        return out;
}

/* The one-pass test against the definition (a word anywhere, any case, by strcasestr): keys
 * made of fragments of the words, whole words in mixed case, and bytes around them. */
static void test_key_words(void)
{
        static const char *const words[] = { "password", "passwd", "token", "secret", "key",
                                             "authorization", "cookie", "credential" };
        static const char *const bits[] = { "pass", "PASS", "wd", "Tok", "en", "sec", "RET", "k", "ey",
                                            "auth", "orization", "coo", "kie", "cred", "ential", "_", "-",
                                            "\xc3\xa9", "p", "a", "x", "KEY", "" };
        unsigned seed = 7;
        bool same = true;
        for (int round = 0; round < 20000 && same; round++) {
                char key[64] = "";
                int parts = 1 + round % 5;
                for (int i = 0; i < parts; i++) {
                        seed = seed * 1103515245u + 12345u;
                        strcat(key, bits[(seed >> 16) % (sizeof(bits) / sizeof(*bits))]);
                }
                bool want = false;
                for (size_t w = 0; w < sizeof(words) / sizeof(*words); w++)
                        want = want || strcasestr(key, words[w]) != NULL;
                if (sanitize_key_is_secret(key) != want) {
                        printf("# key \"%s\": want %d\n", key, want);
                        same = false;
                }
        }
        tap_ok(same, "secret key names: the one-pass test agrees with strcasestr on 20000 keys");
}

int main(void)
{
        enum args_mode m;
        tap_ok(args_mode_parse(NULL, &m) == 0 && m == ARGS_SANITIZED, "default is sanitized");
        tap_ok(args_mode_parse("shape", &m) == 0 && m == ARGS_SHAPE, "shape");
        tap_ok(args_mode_parse("everything", &m) == -EINVAL, "an unknown mode is refused");

        tap_ok(sanitize_key_is_secret("apiKey") && sanitize_key_is_secret("X-Auth-TOKEN") &&
               sanitize_key_is_secret("db_password") && sanitize_key_is_secret("Cookie") &&
               sanitize_key_is_secret("aws_credentials") && !sanitize_key_is_secret("path") &&
               !sanitize_key_is_secret("content"), "secret key names");
        test_key_words();

        static const char args[] = "{\"path\":\"/tmp/a\",\"password\":\"hunter2\",\"nested\":"
                "{\"api_key\":{\"v\":1},\"list\":[\"x\",{\"token\":\"t\"}]},\"n\":3}";
        tap_is_str(dump(sanitize_arguments(S(args), ARGS_FULL, NULL)),
                   "{\"n\":3,\"nested\":{\"api_key\":{\"v\":1},\"list\":[\"x\",{\"token\":\"t\"}]},"
                   "\"password\":\"hunter2\",\"path\":\"/tmp/a\"}", "full keeps everything");
        /* sha256("hunter2") = f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7 */
        const char *s = dump(sanitize_arguments(S(args), ARGS_SANITIZED, NULL));
        tap_ok(strstr(s, "\"password\":\"sha256:f52fbd32b2b3\"") != NULL, "a password is hashed: %s", s);
        tap_ok(!strstr(s, "hunter2") && strstr(s, "\"api_key\":\"sha256:") && strstr(s, "\"token\":\"sha256:") &&
               strstr(s, "\"path\":\"/tmp/a\""), "nested secrets hashed, other values kept");

        char longarg[2000];
        int o = sprintf(longarg, "{\"content\":\"");
        for (int i = 0; i < 300; i++)
                o += sprintf(longarg + o, "\xc3\xa9");
        o += sprintf(longarg + o, "\"}");
        json_t *t = sanitize_arguments(longarg, (size_t)o, ARGS_SANITIZED, NULL);
        const char *c = json_string_value(json_object_get(t, "content"));
        tap_ok(c && strlen(c) < 300 && strstr(c, "[+344 bytes]") && !memcmp(c, "\xc3\xa9", 2),
               "a 600-byte string is cut at a UTF-8 boundary with a marker: %s", c ? c + 250 : "");
        json_decref(t);

        tap_is_str(dump(sanitize_arguments(S(args), ARGS_SHAPE, NULL)),
                   "{\"n\":\"integer\",\"nested\":{\"api_key\":{\"v\":\"integer\"},\"list\":[\"string(1)\","
                   "{\"token\":\"string(1)\"}]},\"password\":\"string(7)\",\"path\":\"string(6)\"}",
                   "shape keeps only types and sizes");
        tap_ok(sanitize_arguments(S(args), ARGS_NONE, NULL) == NULL, "none omits the arguments");

        /* From arguments the rules already parsed: the same record in every mode, and the
         * parsed tree left exactly as it was (the rules may still read it). */
        json_t *tree = json_loadb(S(args), JSON_DECODE_ANY, NULL);
        char *before = strdup(dump(json_incref(tree)));
        const enum args_mode modes[] = { ARGS_FULL, ARGS_SANITIZED, ARGS_SHAPE };
        bool same = tree != NULL;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                char *a = strdup(dump(sanitize_arguments(S(args), modes[i], NULL)));
                char *b = strdup(dump(sanitize_arguments_parsed(tree, S(args), modes[i], NULL)));
                same = same && a && b && !strcmp(a, b);
                free(a);
                free(b);
        }
        char *after = strdup(dump(json_incref(tree)));
        tap_ok(same, "a parsed tree gives the same record as the raw text (full, sanitized, shape)");
        tap_is_str(after, before, "and is left unchanged, its secrets unhashed");
        free(before);
        free(after);
        tap_ok(tree && tree->refcount == 1, "no reference to it is left behind (refcount %zu)",
               tree ? tree->refcount : 0);
        json_decref(tree);

        static const char big[] = "{\"n\":123456789012345678901234567890}";
        t = sanitize_arguments(S(big), ARGS_FULL, NULL);
        tap_ok(json_is_real(json_object_get(t, "n")),
               "an integer beyond 64 bits is still recorded (as a number)");
        json_decref(t);
        return tap_done();
}
