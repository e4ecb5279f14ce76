/* The version-1 policy format of policy.md as tables, in the order policy.md lists the
 * keys (the effective tree and `policy check` follow the same order). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "policy/schema.h"

/* ---- string checks ---- */
static const char *nonempty(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return s[0] ? NULL : "expected a non-empty string";
}

static const char *scope_name(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        if (!s[0])
                return "expected a non-empty string";
        for (const char *c = s; *c; c++)
                if (isspace((unsigned char)*c))
                        return "a scope name must not contain white space";
        return NULL;
}

static const char *abs_path(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return policy_path_check_absolute(s);
}

/* read_only/read_write entries may be written "?/path": bound only when it exists. */
static const char *opt_path(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return policy_path_check_absolute(policy_path_strip_optional(s));
}

static const char *audit_file(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return strcmp(s, "-") ? policy_path_check_absolute(s) : NULL;
}

static const char *hex64(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
                return "expected a SHA-256 as 64 hex digits";
        return NULL;
}

static const char *env_name(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return policy_value_check_env_name(s, false);
}

static const char *env_glob(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return policy_value_check_env_name(s, true);
}

static const char *pointer(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        return policy_value_check_pointer(s);
}

static const char *endpoint_pattern(const char *s, char *why, size_t n)
{
        return policy_value_check_endpoint(s, EP_PATTERN, why, n);
}

static const char *endpoint_address(const char *s, char *why, size_t n)
{
        return policy_value_check_endpoint(s, EP_ADDRESS, why, n);
}

static const char *endpoint_target(const char *s, char *why, size_t n)
{
        return policy_value_check_endpoint(s, EP_TARGET, why, n);
}

static const char *redact_name(const char *s, char *why, size_t n)
{
        (void)why; (void)n;
        if (!islower((unsigned char)s[0]) || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s))
                return "a custom pattern name must be lower case letters, digits and '_'";
        return NULL;
}

/* "/regex/" is a pattern, anything else a literal. */
static const char *redact_allow(const char *s, char *why, size_t n)
{
        size_t len = strlen(s);
        if (!len)
                return "expected a non-empty string";
        if (len >= 2 && s[0] == '/' && s[len - 1] == '/') {
                char inner[1024];
                snprintf(inner, sizeof(inner), "%.*s", (int)(len - 2), s + 1);
                return policy_value_check_regex(inner, why, n);
        }
        return NULL;
}

static int alert_argv(struct vctx *c, json_t *v)
{
        json_t *first = json_array_get(v, 0);
        if (!first)
                return 0;
        /* run without a shell and without a PATH search: name the program exactly */
        const char *bad = policy_path_check_absolute(json_string_value(first));
        if (!bad)
                return 0;
        policy_ptr_push(&c->at, "0");
        return policy_vfail(c, "the alert program must be an absolute path: %s", bad);
}

/* Checked here, with the file and the pointer, not first by the redactor once the server
 * runs (the content guards are built while it starts, session.c). */
static int custom_count(struct vctx *c, json_t *v)
{
        if (json_object_size(v) <= POLICY_REDACT_CUSTOM_MAX)
                return 0;
        return policy_vfail(c, "%zu patterns; at most %d", json_object_size(v), POLICY_REDACT_CUSTOM_MAX);
}

/* ---- leaves ---- */
#define STR(check) { .kind = S_STRING, .string_check = check }
#define ENUM(...) { .kind = S_ENUM, .choices = (const char *const[]){ __VA_ARGS__, NULL } }
#define LIST(item_schema) { .kind = S_LIST, .item = &(item_schema) }

static const struct schema any_string = STR(NULL);
static const struct schema nonempty_string = STR(nonempty);
static const struct schema scope = STR(scope_name);
static const struct schema path = STR(abs_path);
static const struct schema optional_path = STR(opt_path);
static const struct schema boolean = { .kind = S_BOOL };
static const struct schema time_value = { .kind = S_TIME };
static const struct schema size_value = { .kind = S_SIZE };
static const struct schema size_or_null = { .kind = S_SIZE, .nullable = true };
static const struct schema time_or_null = { .kind = S_TIME, .nullable = true };
static const struct schema rate_or_null = { .kind = S_RATE, .nullable = true };
static const struct schema count_or_null = { .kind = S_POS_INT, .nullable = true };
static const struct schema fraction_or_null = { .kind = S_POS_NUMBER, .nullable = true };
static const struct schema syscall_name = { .kind = S_STRING, .string_check = policy_value_check_syscall };
static const struct schema regex = { .kind = S_STRING, .string_check = policy_value_check_regex };
static const struct schema catalogue = ENUM("secrets", "pii", "secrets-broad");

static const struct schema nonempty_list = LIST(nonempty_string);
static const struct schema path_list = LIST(path);
static const struct schema optional_path_list = LIST(optional_path);
static const struct schema scope_list = LIST(scope);
static const struct schema syscall_list = LIST(syscall_name);
static const struct schema regex_list = LIST(regex);
static const struct schema catalogue_list = LIST(catalogue);

/* ---- top-level sections ---- */
static const struct schema require_list = LIST(((const struct schema)ENUM(
        "namespaces", "seccomp", "landlock", "cgroup", "network-filter")));

static const struct field command_fields[] = {
        { "allow", &path_list, false, false },
        { "sha256", &(const struct schema){ .kind = S_MAP, .key_check = abs_path,
                                            .item = &(const struct schema)STR(hex64) }, false, false },
        { NULL, NULL, false, false },
};

static const struct field env_fields[] = {
        { "pass", &(const struct schema)LIST(((const struct schema)STR(env_glob))), false, false },
        { "set", &(const struct schema){ .kind = S_MAP, .key_check = env_name, .item = &any_string }, false, false },
        { "from_file", &(const struct schema){ .kind = S_MAP, .key_check = env_name, .item = &path }, false, false },
        { NULL, NULL, false, false },
};

static const struct field filesystem_fields[] = {
        { "root", &(const struct schema)ENUM("empty", "host"), false, false },
        { "read_only", &optional_path_list, false, false },
        { "read_write", &optional_path_list, false, false },
        { "tmpfs", &path_list, false, false },
        { "mask", &path_list, false, false },
        { "workdir", &path, false, false },
        { NULL, NULL, false, false },
};

static const struct field network_fields[] = {
        { "mode", &(const struct schema)ENUM("none", "loopback", "filtered", "host"), false, false },
        { "allow", &(const struct schema)LIST(((const struct schema)STR(endpoint_pattern))), false, false },
        { "forward", &(const struct schema){ .kind = S_MAP, .key_check = endpoint_address,
                                             .item = &(const struct schema)STR(endpoint_target) }, false, false },
        { NULL, NULL, false, false },
};

static const struct field limits_fields[] = {
        { "memory", &size_or_null, false, false },
        { "pids", &count_or_null, false, false },
        { "cpu", &fraction_or_null, false, false },
        { "open_files", &count_or_null, false, false },
        { "file_size", &size_or_null, false, false },
        { "wall_time", &time_value, false, false },
        { "shutdown_grace", &time_value, false, false },
        { NULL, NULL, false, false },
};

static const struct field seccomp_fields[] = {
        { "profile", &(const struct schema)ENUM("default", "strict", "none"), false, false },
        { "deny", &syscall_list, false, false },
        { "allow", &syscall_list, false, false },
        { "action", &(const struct schema)ENUM("errno", "kill", "log"), false, false },
        { NULL, NULL, false, false },
};

/* ---- mcp ---- */
static const struct field command_rule_fields[] = {
        { "allow", &nonempty_list, false, false },
        { "deny", &regex_list, false, false },
        { "shell", &boolean, false, false },
        { NULL, NULL, false, false },
};

static const struct field url_rule_fields[] = {
        { "allow", &nonempty_list, false, false },
        { NULL, NULL, false, false },
};

static const struct field tool_fields[] = {
        { "scopes", &scope_list, false, false },
        { "paths", &(const struct schema){ .kind = S_MAP, .key_check = pointer,
                                           .item = &(const struct schema)ENUM("read", "write") }, false, false },
        { "commands", &(const struct schema){ .kind = S_MAP, .key_check = pointer,
                .item = &(const struct schema){ .kind = S_OBJECT, .fields = command_rule_fields } }, false, false },
        { "urls", &(const struct schema){ .kind = S_MAP, .key_check = pointer,
                .item = &(const struct schema){ .kind = S_OBJECT, .fields = url_rule_fields } }, false, false },
        { "rate", &rate_or_null, false, false },
        { "confirm", &boolean, false, false },
        { "redact", &catalogue_list, false, false },
        { NULL, NULL, false, false },
};

static const struct field mcp_paths_fields[] = {
        { "read", &path_list, false, false },
        { "write", &path_list, false, false },
        { "deny", &nonempty_list, false, false },
        { NULL, NULL, false, false },
};

static const struct field deny_fields[] = {
        { "deny", &nonempty_list, false, false },
        { NULL, NULL, false, false },
};

static const struct schema deny_object = { .kind = S_OBJECT, .fields = deny_fields };

static const struct field methods_fields[] = {
        { "host", &deny_object, false, false },
        { "server", &deny_object, false, false },
        { NULL, NULL, false, false },
};

static const struct field redact_fields[] = {
        { "results", &catalogue_list, false, false },
        { "arguments", &catalogue_list, false, false },
        { "custom", &(const struct schema){ .kind = S_MAP, .key_check = redact_name, .item = &regex,
                                             .node_check = custom_count }, false, false },
        { "allow", &(const struct schema)LIST(((const struct schema)STR(redact_allow))), false, false },
        { NULL, NULL, false, false },
};

static const struct field mcp_limits_fields[] = {
        { "message_bytes", &size_value, false, false },
        { "calls", &rate_or_null, false, false },
        { "call_timeout", &time_or_null, false, false },
        { NULL, NULL, false, false },
};

static const struct field mcp_fields[] = {
        { "scopes", &scope_list, false, false },
        { "implies", &(const struct schema){ .kind = S_MAP, .key_check = scope_name, .item = &scope_list }, false, false },
        { "tools", &(const struct schema){ .kind = S_MAP,
                .item = &(const struct schema){ .kind = S_TOOL_RULE, .fields = tool_fields } }, false, false },
        { "paths", &(const struct schema){ .kind = S_OBJECT, .fields = mcp_paths_fields }, false, false },
        { "methods", &(const struct schema){ .kind = S_OBJECT, .fields = methods_fields }, false, false },
        { "redact", &(const struct schema){ .kind = S_OBJECT, .fields = redact_fields }, false, false },
        { "injection", &(const struct schema){ .kind = S_OBJECT, .fields = (const struct field[]){
                { "action", &(const struct schema)ENUM("off", "flag", "strip", "block"), false, false },
                { NULL, NULL, false, false } } }, false, false },
        { "pin", &(const struct schema){ .kind = S_OBJECT, .fields = (const struct field[]){
                { "on_change", &(const struct schema)ENUM("block", "warn"), false, false },
                { NULL, NULL, false, false } } }, false, false },
        { "limits", &(const struct schema){ .kind = S_OBJECT, .fields = mcp_limits_fields }, false, false },
        { "kill_switch", &path, false, false },
        { NULL, NULL, false, false },
};

static const struct field audit_fields[] = {
        { "file", &(const struct schema)STR(audit_file), false, false },
        { "syslog", &boolean, false, false },
        { "arguments", &(const struct schema)ENUM("full", "sanitized", "shape", "none"), false, false },
        { "alert", &(const struct schema){ .kind = S_LIST, .item = &nonempty_string, .node_check = alert_argv }, false, false },
        { "key", &(const struct schema){ .kind = S_STRING, .nullable = true, .string_check = abs_path }, false, false },
        { NULL, NULL, false, false },
};

#define SECTION(f) &(const struct schema){ .kind = S_OBJECT, .fields = f }

static const struct field top_fields[] = {
        { "version", &(const struct schema){ .kind = S_VERSION }, false, true },
        { "description", &any_string, false, false },
        { "extends", &nonempty_list, true, false },
        { "require", &require_list, false, false },
        { "isolation", &(const struct schema)ENUM("auto", "namespaces", "landlock", "none"), false, false },
        { "command", SECTION(command_fields), false, false },
        { "env", SECTION(env_fields), false, false },
        { "filesystem", SECTION(filesystem_fields), false, false },
        { "network", SECTION(network_fields), false, false },
        { "limits", SECTION(limits_fields), false, false },
        { "seccomp", SECTION(seccomp_fields), false, false },
        { "mcp", SECTION(mcp_fields), false, false },
        { "audit", SECTION(audit_fields), false, false },
        { NULL, NULL, false, false },
};

const struct schema policy_schema = { .kind = S_OBJECT, .fields = top_fields };
