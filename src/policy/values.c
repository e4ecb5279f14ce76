/* Checks of single policy values that need more than a type test: syscall names (through
 * libseccomp, so a typo cannot silently leave a syscall allowed), PCRE2 patterns (compiled
 * once here so a broken pattern is a load error, not a runtime surprise), network
 * endpoints, environment variable names and JSON pointers into tool arguments. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "policy/policy-internal.h"

const char *policy_value_check_syscall(const char *s, char *why, size_t n)
{
        if (seccomp_syscall_resolve_name(s) == __NR_SCMP_ERROR) {
                snprintf(why, n, "unknown syscall \"%s\"", s);
                return why;
        }
        return NULL;
}

const char *policy_value_check_regex(const char *s, char *why, size_t n)
{
        int code;
        PCRE2_SIZE offset;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code,
                                       &offset, NULL);
        if (re) {
                pcre2_code_free(re);
                return NULL;
        }
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(why, n, "invalid pattern at offset %zu: %s", (size_t)offset, (const char *)msg);
        return why;
}

const char *policy_value_check_env_name(const char *s, bool glob)
{
        if (!s[0])
                return "expected a variable name";
        for (const char *c = s; *c; c++) {
                bool ok = isalnum((unsigned char)*c) || *c == '_' || (glob && (*c == '*' || *c == '?'));
                if (!ok || (c == s && isdigit((unsigned char)*c)))
                        return glob ? "expected a variable name or glob (letters, digits, '_', '*', '?')"
                                    : "expected a variable name (letters, digits, '_')";
        }
        return NULL;
}

const char *policy_value_check_pointer(const char *s)
{
        if (s[0] != '/')
                return "expected a JSON pointer into the arguments (\"/path\")";
        for (const char *c = s; (c = strchr(c, '~')); c++)
                if (c[1] != '0' && c[1] != '1')
                        return "invalid '~' escape in JSON pointer (use ~0 or ~1)";
        return NULL;
}

/* ---- endpoints: "host:port", host a name, "*.name", IPv4[/len] or [IPv6][/len] ---- */
struct endpoint {
        char host[256];
        bool is_ip, is_glob;
        int family;
        unsigned char addr[16];
        int prefix;             /* bits; full length for a single address */
        long port;              /* -1 for "*" */
};

static bool parse_ip(struct endpoint *e, const char *text, const char *prefix)
{
        e->family = strchr(text, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(e->family, text, e->addr) != 1)
                return false;
        int max = e->family == AF_INET ? 32 : 128;
        e->prefix = max;
        if (prefix) {
                char *end;
                long len = strtol(prefix, &end, 10);
                if (!isdigit((unsigned char)prefix[0]) || *end || len < 0 || len > max)
                        return false;
                e->prefix = (int)len;
        }
        e->is_ip = true;
        return true;
}

static bool parse_host(struct endpoint *e, const char *host)
{
        snprintf(e->host, sizeof(e->host), "%s", host);
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", host);
        char *slash = NULL;
        if (buf[0] == '[') {
                char *close = strchr(buf, ']');
                if (!close || (close[1] && close[1] != '/'))
                        return false;
                *close = '\0';
                return parse_ip(e, buf + 1, close[1] == '/' ? close + 2 : NULL) && e->family == AF_INET6;
        }
        if ((slash = strchr(buf, '/')))
                *slash++ = '\0';
        if (isdigit((unsigned char)buf[0]) && strspn(buf, "0123456789.") == strlen(buf))
                return parse_ip(e, buf, slash) && e->family == AF_INET;
        if (slash || !buf[0] || strlen(buf) > 253)
                return false;
        /* a domain name, optionally "*." + name, or "*" for any name */
        const char *name = buf;
        if (name[0] == '*') {
                e->is_glob = true;
                if (name[1] == '\0')
                        return true;
                if (name[1] != '.')
                        return false;
                name += 2;
        }
        for (const char *c = name; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
                        return false;
        return name[0] != '\0' && name[0] != '.';
}

static bool parse_endpoint(struct endpoint *e, const char *s)
{
        memset(e, 0, sizeof(*e));
        const char *colon = strrchr(s, ':');
        if (!colon || colon == s || (size_t)(colon - s) >= sizeof(e->host))
                return false;
        char host[256];
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        if (!strcmp(colon + 1, "*")) {
                e->port = -1;
        } else {
                char *end;
                e->port = strtol(colon + 1, &end, 10);
                if (!isdigit((unsigned char)colon[1]) || *end || e->port < 1 || e->port > 65535)
                        return false;
        }
        return parse_host(e, host);
}

const char *policy_value_check_endpoint(const char *s, enum endpoint_form form, char *why, size_t n)
{
        struct endpoint e;
        if (!parse_endpoint(&e, s)) {
                snprintf(why, n, "invalid endpoint \"%s\" (expected host:port, e.g. "
                         "\"example.com:443\", \"10.0.0.0/8:5432\", \"[::1]:*\")", s);
                return why;
        }
        bool single = e.is_ip ? e.prefix == (e.family == AF_INET ? 32 : 128) : !e.is_glob;
        if (form == EP_ADDRESS && (!e.is_ip || !single || e.port < 0)) {
                snprintf(why, n, "expected an IP address and a port number (e.g. \"127.0.0.1:5432\"), got \"%s\"", s);
                return why;
        }
        if (form == EP_TARGET && (!single || e.port < 0)) {
                snprintf(why, n, "expected one host and a port number (e.g. \"db.internal:5432\"), got \"%s\"", s);
                return why;
        }
        return NULL;
}

static bool prefix_contains(const struct endpoint *net, const struct endpoint *in)
{
        if (net->family != in->family || in->prefix < net->prefix)
                return false;
        int full = net->prefix / 8, rest = net->prefix % 8;
        if (memcmp(net->addr, in->addr, (size_t)full))
                return false;
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        return !rest || (net->addr[full] & mask) == (in->addr[full] & mask);
}

bool policy_endpoint_covered(const char *entry, const char *endpoint)
{
        struct endpoint a, b;
        if (!parse_endpoint(&a, entry) || !parse_endpoint(&b, endpoint))
                return false;
        if (a.port >= 0 && a.port != b.port)
                return false;
        if (a.is_ip || b.is_ip)
                return a.is_ip && b.is_ip && prefix_contains(&a, &b);
        if (!strcasecmp(a.host, b.host))
                return true;
        return a.is_glob && fnmatch(a.host, b.host, FNM_CASEFOLD) == 0;
}
