/* fuzz-commands: the command-argument checker (threats.md §2 "command args") on one value,
 * a command line or an argv, under four fixed rules: an allow list without shell, one with
 * shell, an argv allow list, and no allow list. An allowed value is re-checked here with a
 * tokenizer of our own: the program of every piece is allowed (by name, or in a system bin
 * directory), nothing a shell would run besides it is left in (metacharacters without
 * shell; substitutions always), no literal deny pattern occurs, and an argv's program is
 * exactly the first token the checker looked at.
 *
 * Input: byte 0 picks the rule (mod 4); the rest is the value, for the argv rule split into
 * elements at each 0xff byte (never part of UTF-8). */
#include "fuzz.h"
#include "inspect/rules/commands.h"

#include <stdbool.h>
#include <string.h>

enum { R_COMMAND, R_SCRIPT, R_ARGV, R_ANY, R_N };
static const char *const keys[R_N] = { "command", "script", "argv", "any" };

static struct command_rules *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        struct mc_error err = { 0 };
        json_error_t je;
        json_t *spec = json_loads(
                "{\"/command\": {\"allow\": [\"git\", \"ls\", \"make\"], \"deny\": [\"--upload-pack\", \"rm\\\\s+-rf\"]},"
                " \"/script\": {\"allow\": [\"git\", \"ls\", \"wc\", \"grep\"], \"deny\": [\"push --force\"], \"shell\": true},"
                " \"/argv\": {\"allow\": [\"git\", \"ls\"], \"deny\": [\"--upload-pack\"]},"
                " \"/any\": {\"deny\": [\"curl\"]}}", 0, &je);
        FUZZ_CHECK(spec, "rule spec: %s", je.text);
        FUZZ_CHECK(command_rules_compile(spec, "/mcp/tools/run/commands", &rules, &err) == 0,
                   "compile the command rules: %s", err.msg);
        json_decref(spec);
        return 0;
}

static bool has(const char *s, size_t n, const char *needle)
{
        return memmem(s, n, needle, strlen(needle)) != NULL;
}

static bool program_allowed(int rule, const char *tok, size_t len)
{
        static const char *const allow[R_N][5] = {
                { "git", "ls", "make" }, { "git", "ls", "wc", "grep" }, { "git", "ls" }, { NULL } };
        static const char *const privileged[] = { "sudo", "su", "doas", "pkexec", "runuser", "run0" };
        static const char *const bin[] = { "/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/",
                                           "/usr/bin/", "/sbin/", "/bin/" };
        const char *name = tok;
        size_t nl = len;
        if (memchr(tok, '/', len)) {
                size_t i;
                for (i = 0; i < sizeof(bin) / sizeof(bin[0]); i++) {
                        size_t bl = strlen(bin[i]);
                        if (len > bl && !memcmp(tok, bin[i], bl) && !memchr(tok + bl, '/', len - bl))
                                break;
                }
                if (i == sizeof(bin) / sizeof(bin[0]))
                        return false;
                name = (const char *)memrchr(tok, '/', len) + 1;
                nl = (size_t)(tok + len - name);
        }
        if (rule == R_ANY) {
                for (size_t i = 0; i < sizeof(privileged) / sizeof(privileged[0]); i++)
                        if (nl == strlen(privileged[i]) && !memcmp(name, privileged[i], nl))
                                return false;
                return true;
        }
        for (size_t i = 0; allow[rule][i]; i++)
                if (nl == strlen(allow[rule][i]) && !memcmp(name, allow[rule][i], nl))
                        return true;
        return false;
}

static size_t skip(const char *s, size_t n, size_t i, const char *set, bool in)
{
        while (i < n && (strchr(set, s[i]) != NULL) == in)
                i++;
        return i;
}

static void check_allowed(int rule, const char *s, size_t n, const char *argv0, size_t argv0_len)
{
        bool shell = rule == R_SCRIPT;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                FUZZ_CHECK(c != 0 && c != '\r' && c != 0x7f && (c >= 0x20 || c == '\t' || (shell && c == '\n')),
                           "allowed a command with byte 0x%02x", c);
                FUZZ_CHECK(shell || !strchr(";|&<>\n", c), "allowed a metacharacter without shell");
        }
        FUZZ_CHECK(!memchr(s, '`', n) && !has(s, n, "$("), "allowed a command substitution");
        /* <(cmd) and >(cmd) run cmd wherever they sit, like $(cmd) */
        FUZZ_CHECK(!has(s, n, "<(") && !has(s, n, ">("), "allowed a process substitution");
        static const char *const deny[R_N] = { "--upload-pack", "push --force", "--upload-pack", "curl" };
        FUZZ_CHECK(!has(s, n, deny[rule]), "allowed a command containing \"%s\"", deny[rule]);
        FUZZ_CHECK(rule != R_COMMAND || !has(s, n, "rm -rf"), "allowed rm -rf");

        const char *seps = shell ? " \t;&|\n" : " \t";
        size_t pieces = 0;
        for (size_t i = skip(s, n, 0, seps, true); i < n; i = skip(s, n, i, seps, true)) {
                size_t end = skip(s, n, i, seps, false);
                FUZZ_CHECK(program_allowed(rule, s + i, end - i), "allowed program \"%.*s\"",
                           (int)(end - i), s + i);
                pieces++;
                /* the rest of the piece is arguments */
                i = shell ? skip(s, n, end, ";&|\n", false) : n;
                if (i == n && !shell)
                        break;
        }
        FUZZ_CHECK(pieces > 0, "allowed an empty command");
        if (argv0) {
                /* exec runs argv[0] as given: "git x/y" with a "/" is a path the server made */
                size_t t = skip(argv0, argv0_len, 0, " \t", false);
                FUZZ_CHECK(t == argv0_len, "allowed argv[0] \"%.*s\", which is not one token",
                           (int)argv0_len, argv0);
        }
}

/* The argv rule's value: elements split at 0xff; NULL when one is not UTF-8. */
static json_t *make_argv(const char *s, size_t n, size_t *argv0_len)
{
        json_t *a = json_array();
        FUZZ_CHECK(a, "out of memory");
        size_t i = 0;
        for (;;) {
                const char *e = memchr(s + i, 0xff, n - i);
                size_t len = e ? (size_t)(e - (s + i)) : n - i;
                if (json_array_size(a) == 0)
                        *argv0_len = len;
                json_t *v = json_stringn(s + i, len);
                if (!v || json_array_append_new(a, v) < 0) {
                        json_decref(a);
                        return NULL;
                }
                if (!e)
                        return a;
                i += len + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        int rule = data[0] % R_N;
        const char *s = (const char *)data + 1;
        size_t n = size - 1, argv0_len = 0;
        json_t *value = rule == R_ARGV ? make_argv(s, n, &argv0_len) : json_stringn(s, n);
        if (!value) /* not UTF-8: the JSON reader refused it before any rule */
                return 0;
        json_t *args = json_pack("{s:o}", keys[rule], value);
        FUZZ_CHECK(args, "out of memory");

        struct rule_decision d;
        command_check_arguments(rules, args, &d);
        FUZZ_CHECK(d.rule[0] == '/', "a decision without its rule");
        FUZZ_CHECK(d.allow ? !d.reason[0] : !!d.reason[0], "reason and verdict disagree");
        if (d.allow && rule == R_ARGV) {
                /* the checker sees the elements joined with single spaces */
                char *joined = malloc(n + 1);
                FUZZ_CHECK(joined, "out of memory");
                size_t jl = 0, i;
                json_t *e;
                json_array_foreach(value, i, e) {
                        if (i)
                                joined[jl++] = ' ';
                        memcpy(joined + jl, json_string_value(e), json_string_length(e));
                        jl += json_string_length(e);
                }
                check_allowed(rule, joined, jl, s, argv0_len);
                free(joined);
        } else if (d.allow) {
                check_allowed(rule, s, n, NULL, 0);
        }
        json_decref(args);
        return 0;
}
