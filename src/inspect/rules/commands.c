/* Command-line checks; see commands.h for the rules and the threats they answer. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "inspect/rules/commands.h"

#include <errno.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/rules/glob.h"
#include "inspect/rules/pointer.h"
#include "util/buf.h"
#include "util/cleanup.h"

struct deny_pattern {
        pcre2_code *code;
        pcre2_match_data *md;           /* made once: the relay checks one call at a time */
        char rule[RULE_POINTER_MAX];
};

struct command_rule {
        char *pointer;                  /* into the arguments */
        char rule[RULE_POINTER_MAX];    /* /mcp/tools/<tool>/commands/<escaped pointer> */
        char allow_rule[RULE_POINTER_MAX];      /* rule "/allow" */
        json_t *allow;                  /* array of strings, or NULL for "any but privileged" */
        struct deny_pattern *deny;
        size_t n_deny;
        bool shell;
};

struct command_rules {
        struct command_rule *v;
        size_t n;
        char map_rule[RULE_POINTER_MAX];
};

static const char *const privileged[] = { "sudo", "su", "doas", "pkexec", "runuser", "run0" };
/* Read-only inside the sandbox, so a server cannot plant a program there. */
static const char *const system_bin[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                          "/usr/bin", "/sbin", "/bin" };

static int compile_deny(struct command_rule *cr, json_t *list, struct mc_error *err)
{
        size_t i;
        json_t *v;

        if (!list)
                return 0;
        if (!json_is_array(list))
                return mc_error_set(err, EINVAL, "%s/deny: not an array", cr->rule);
        cr->deny = calloc(json_array_size(list) + 1, sizeof(*cr->deny));
        if (!cr->deny)
                return mc_error_set(err, ENOMEM, "%s/deny: out of memory", cr->rule);
        json_array_foreach(list, i, v) {
                struct deny_pattern *dp = &cr->deny[i];
                int code;
                PCRE2_SIZE off;
                rule_format(dp->rule, sizeof(dp->rule), "%s/deny/%zu", cr->rule, i);
                if (!json_is_string(v))
                        return mc_error_set(err, EINVAL, "%s: not a string", dp->rule);
                dp->code = pcre2_compile((PCRE2_SPTR)json_string_value(v), json_string_length(v),
                                         PCRE2_UTF, &code, &off, NULL);
                if (!dp->code) {
                        PCRE2_UCHAR msg[160];
                        pcre2_get_error_message(code, msg, sizeof(msg));
                        return mc_error_set(err, EINVAL, "%s: bad pattern at offset %zu: %s",
                                            dp->rule, (size_t)off, (const char *)msg);
                }
                cr->n_deny++;
                dp->md = pcre2_match_data_create_from_pattern(dp->code, NULL);
                if (!dp->md)
                        return mc_error_set(err, ENOMEM, "%s: out of memory", dp->rule);
                /* JIT is an optimisation: without it (no JIT support, W^X policy) the
                 * interpreter gives the same answers. */
                (void)pcre2_jit_compile(dp->code, PCRE2_JIT_COMPLETE);
        }
        return 0;
}

static int compile_one(struct command_rule *cr, const char *pointer, json_t *spec,
                       const char *map_rule, struct mc_error *err)
{
        json_t *allow = json_object_get(spec, "allow"), *shell = json_object_get(spec, "shell");
        size_t i;
        json_t *v;

        rule_format(cr->rule, sizeof(cr->rule), "%s", map_rule);
        rule_pointer_append(cr->rule, sizeof(cr->rule), pointer);
        rule_format(cr->allow_rule, sizeof(cr->allow_rule), "%s/allow", cr->rule);
        if (!json_is_object(spec))
                return mc_error_set(err, EINVAL, "%s: not an object", cr->rule);
        cr->pointer = strdup(pointer);
        if (!cr->pointer)
                return mc_error_set(err, ENOMEM, "%s: out of memory", cr->rule);
        if (shell && !json_is_boolean(shell))
                return mc_error_set(err, EINVAL, "%s/shell: not a boolean", cr->rule);
        cr->shell = json_is_true(shell);
        if (allow && !json_is_array(allow))
                return mc_error_set(err, EINVAL, "%s/allow: not an array", cr->rule);
        json_array_foreach(allow, i, v)
                if (!json_is_string(v))
                        return mc_error_set(err, EINVAL, "%s/allow/%zu: not a string", cr->rule, i);
        cr->allow = json_incref(allow);
        return compile_deny(cr, json_object_get(spec, "deny"), err);
}

int command_rules_compile(json_t *commands, const char *map_rule, struct command_rules **out,
                          struct mc_error *err)
{
        struct command_rules *c;
        const char *key;
        json_t *spec;
        int r = 0;

        if (!json_is_object(commands))
                return mc_error_set(err, EINVAL, "%s: not an object", map_rule);
        c = calloc(1, sizeof(*c));
        if (c)
                c->v = calloc(json_object_size(commands) + 1, sizeof(*c->v));
        if (!c || !c->v) {
                free(c);
                return mc_error_set(err, ENOMEM, "%s: out of memory", map_rule);
        }
        rule_format(c->map_rule, sizeof(c->map_rule), "%s", map_rule);
        json_object_foreach(commands, key, spec) {
                r = compile_one(&c->v[c->n++], key, spec, map_rule, err);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                command_rules_free(c);
                return r;
        }
        *out = c;
        return 0;
}

void command_rules_free(struct command_rules *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++) {
                for (size_t j = 0; j < c->v[i].n_deny; j++) {
                        pcre2_match_data_free(c->v[i].deny[j].md);
                        pcre2_code_free(c->v[i].deny[j].code);
                }
                free(c->v[i].deny);
                free(c->v[i].pointer);
                json_decref(c->v[i].allow);
        }
        free(c->v);
        free(c);
}

static const char *forbidden_char(const char *line, size_t len, bool shell)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)line[i];
                if (c == '\0')
                        return "a NUL byte";
                if (c == '\r' || (c == '\n' && !shell))
                        return "a line break";
                if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                        return "a control character";
                if (c == '`')
                        return "a backtick command substitution";
                if (c == '$' && i + 1 < len && line[i + 1] == '(')
                        return "a \"$(\" command substitution";
                /* <(cmd) and >(cmd) run cmd wherever they sit, like $(cmd) (bash, zsh) */
                if ((c == '<' || c == '>') && i + 1 < len && line[i + 1] == '(')
                        return "a process substitution";
                if (!shell && strchr(";|&<>", c))
                        return "a shell metacharacter (set \"shell\": true to allow pipelines)";
        }
        return NULL;
}

static bool in_list(const char *const *list, size_t n, const char *s, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(list[i]) == len && !memcmp(list[i], s, len))
                        return true;
        return false;
}

/* literal: only entries equal to the name count. Otherwise a glob entry ("*", "git*", the
 * policy layer's default ["*"]) counts too, but never for a name containing "/" (a path
 * must be listed exactly) and never when a privilege changer is asked for: sudo & co. are
 * allowed only by name, so a broad glob cannot let one through. */
static bool in_allow(json_t *allow, const char *s, size_t len, bool literal)
{
        size_t i;
        json_t *v;
        char name[256];

        json_array_foreach(allow, i, v)
                if (json_string_length(v) == len && !memcmp(json_string_value(v), s, len))
                        return true;
        if (literal || len >= sizeof(name) || memchr(s, '/', len) ||
            in_list(privileged, ARRAY_SIZE(privileged), s, len))
                return false;
        memcpy(name, s, len);
        name[len] = '\0';
        json_array_foreach(allow, i, v)
                if (glob_is_pattern(json_string_value(v)) && glob_match(json_string_value(v), name, 0) == 1)
                        return true;
        return false;
}

static void check_program(const struct command_rule *cr, const char *tok, size_t len,
                          struct rule_decision *d)
{
        const char *name = tok;
        size_t name_len = len;
        const char *allow_rule = cr->allow_rule;
        const char *slash = memrchr(tok, '/', len);

        if (slash && !(cr->allow && in_allow(cr->allow, tok, len, true))) {
                if (!in_list(system_bin, ARRAY_SIZE(system_bin), tok, (size_t)(slash - tok)) ||
                    slash + 1 == tok + len) {
                        rule_deny(d, cr->allow ? allow_rule : cr->rule,
                                  "program %.*s is not in a system bin directory", (int)len, tok);
                        return;
                }
                name = slash + 1;
                name_len = (size_t)(tok + len - name);
        }
        if (cr->allow && !in_allow(cr->allow, name, name_len, false) && !in_allow(cr->allow, tok, len, true)) {
                rule_deny(d, allow_rule, "program %.*s is not allowed", (int)name_len, name);
                return;
        }
        if (!cr->allow && in_list(privileged, ARRAY_SIZE(privileged), name, name_len)) {
                rule_deny(d, cr->rule, "program %.*s changes privileges", (int)name_len, name);
                return;
        }
        rule_allow(d, cr->rule);
}

/* strspn/strcspn bounded by len: the line is a JSON string's bytes, not NUL-terminated. */
static size_t span(const char *s, size_t len, const char *set, bool in)
{
        size_t i = 0;
        while (i < len && (s[i] != '\0' && strchr(set, s[i]) != NULL) == in)
                i++;
        return i;
}

/* Each piece of the line between separators (only ";" "&" "|" newline can occur here; with
 * shell false they were refused already, so the line is one piece). */
static void check_pieces(const struct command_rule *cr, const char *line, size_t len,
                         struct rule_decision *d)
{
        size_t i = 0, pieces = 0;

        while (i < len) {
                i += span(line + i, len - i, " \t;&|\n", true);
                if (i >= len)
                        break;
                size_t tok = span(line + i, len - i, " \t;&|\n", false);
                check_program(cr, line + i, tok, d);
                if (!d->allow)
                        return;
                pieces++;
                i += tok;
                i += span(line + i, len - i, ";&|\n", false);
        }
        if (pieces == 0)
                rule_deny(d, cr->rule, "empty command line");
}

static void check_deny(const struct command_rule *cr, const char *line, size_t len,
                       struct rule_decision *d)
{
        for (size_t i = 0; i < cr->n_deny; i++) {
                int rc = pcre2_match(cr->deny[i].code, (PCRE2_SPTR)line, len, 0, 0, cr->deny[i].md, NULL);
                if (rc == PCRE2_ERROR_NOMATCH)
                        continue;
                if (rc >= 0)
                        rule_deny(d, cr->deny[i].rule, "command matches a deny pattern");
                else
                        rule_deny(d, cr->deny[i].rule,
                                  "deny pattern could not be evaluated (PCRE2 error %d)", rc);
                return;
        }
        rule_allow(d, cr->rule);
}

static void check_line(const struct command_rule *cr, const char *line, size_t len,
                       struct rule_decision *d)
{
        const char *bad = forbidden_char(line, len, cr->shell);

        if (bad) {
                rule_deny(d, cr->rule, "command contains %s", bad);
                return;
        }
        check_pieces(cr, line, len, d);
        if (d->allow)
                check_deny(cr, line, len, d);
}

/* An argv array joined with single spaces (a string is checked as it is). */
static int argv_text(json_t *v, struct buf *out)
{
        size_t i;
        json_t *e;

        if (!json_is_array(v) || json_array_size(v) == 0)
                return -EINVAL;
        json_array_foreach(v, i, e) {
                if (!json_is_string(e))
                        return -EINVAL;
                /* exec runs argv[0] as given: "git ./planted" is one program name, not git
                 * with an argument, so it could never be checked as a first token */
                if (i == 0 && strpbrk(json_string_value(e), " \t"))
                        return -EINVAL;
                if ((i && buf_append(out, " ", 1) < 0) ||
                    buf_append(out, json_string_value(e), json_string_length(e)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void check_values(const struct command_rule *cr, const struct pointer_hits *vals,
                         struct rule_decision *d)
{
        for (size_t i = 0; i < pointer_hits_count(vals); i++) {
                json_t *v = pointer_hits_get(vals, i);
                _cleanup_buf_ struct buf text = { 0 };
                const char *line = json_string_value(v);
                size_t len = json_string_length(v);
                if (!json_is_string(v)) {
                        int r = argv_text(v, &text);
                        if (r < 0) {
                                rule_deny(d, cr->rule, "argument %s %s", cr->pointer,
                                          r == -EINVAL ? "is not a command line or argv"
                                                       : "cannot be checked (out of memory)");
                                return;
                        }
                        line = text.data ? text.data : "";
                        len = text.len;
                }
                check_line(cr, line, len, d);
                if (!d->allow) {
                        char at[RULE_POINTER_MAX + 16];
                        rule_format(at, sizeof(at), "argument %s", cr->pointer);
                        rule_reason_prefix(d, at);
                        return;
                }
        }
}

void command_check_arguments(const struct command_rules *c, json_t *arguments,
                             struct rule_decision *d)
{
        for (size_t i = 0; c && i < c->n; i++) {
                struct pointer_hits vals;
                const char *why = NULL;
                if (pointer_reach(arguments, c->v[i].pointer, &vals, &why) < 0) {
                        rule_deny(d, c->v[i].rule, "argument %s: %s", c->v[i].pointer,
                                  why ? why : "cannot be checked (out of memory)");
                        return;
                }
                rule_allow(d, c->v[i].rule);
                check_values(&c->v[i], &vals, d);
                if (!d->allow)
                        return;
        }
        rule_allow(d, c ? c->map_rule : "");
}
