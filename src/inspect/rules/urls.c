/* URL checks; see urls.h for the rules and the threats they answer.
 *
 * A small RFC 3986 reader of our own: none of the libraries this project may use (jansson,
 * PCRE2, OpenSSL, libseccomp, libcap-ng, libbpf) parses URLs, and a regex would not give
 * us the host in canonical form. It reads only what the check needs (scheme, host, port,
 * path) and refuses everything it does not understand. Numeric hosts go through
 * inet_aton(3)/inet_pton(3), which read IPv4 in the same odd forms (one to four parts,
 * octal, hex) that browsers and HTTP client libraries accept. */
#include "inspect/rules/urls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/rules/glob.h"
#include "inspect/rules/pointer.h"
#include "util/cleanup.h"

struct host {
        char name[INET6_ADDRSTRLEN + 256];  /* canonical: lower-case name or address text */
        int family;                         /* 0 for a name, AF_INET, AF_INET6 */
        unsigned char addr[16];             /* network order; IPv4 in the first 4 bytes */
        long port;                          /* -1: none given */
};
_Static_assert(sizeof(((struct host *)0)->name) >= 300, "a host name up to parse_authority's 299 bytes fits");

struct allow_glob {
        char *glob;             /* normalised */
        char rule[RULE_POINTER_MAX];
        struct host ip;         /* family != 0 when the glob names one IP literal */
};

struct url_rule {
        char *pointer;
        char rule[RULE_POINTER_MAX];
        char allow_rule[RULE_POINTER_MAX];      /* rule "/allow", the refusals' pointer */
        struct allow_glob *allow;
        size_t n_allow;
};

struct url_rules {
        struct url_rule *v;
        size_t n;
        char map_rule[RULE_POINTER_MAX];
};

static long default_port(const char *scheme)
{
        static const struct { const char *scheme; long port; } ports[] = {
                { "http", 80 }, { "https", 443 }, { "ws", 80 }, { "wss", 443 }, { "ftp", 21 },
        };
        for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
                if (!strcmp(scheme, ports[i].scheme))
                        return ports[i].port;
        return -1;
}

static int parse_port(const char *p, size_t n, long *port, const char **why)
{
        long v = 0;

        *port = -1;
        if (n == 0)
                return 0;       /* "host:" is the default port (RFC 3986 3.2.3) */
        if (n > 5)
                return *why = "port out of range", -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char)p[i]))
                        return *why = "port is not a number", -EINVAL;
                v = v * 10 + (p[i] - '0');
        }
        if (v == 0 || v > 65535)
                return *why = "port out of range", -EINVAL;
        *port = v;
        return 0;
}

/* WHATWG's rule: a host whose last label is a number (decimal or 0x-hex) is an IPv4
 * address, and an invalid one is an error, not a name. */
static bool looks_numeric(const char *h)
{
        const char *last = strrchr(h, '.');
        last = last ? last + 1 : h;
        if (last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
                return strspn(last + 2, "0123456789abcdefABCDEF") == strlen(last + 2);
        return *last && strspn(last, "0123456789") == strlen(last);
}

static int parse_name(char *h, struct host *out, const char **why)
{
        size_t n = strlen(h);
        struct in_addr a4;

        if (n && h[n - 1] == '.')
                h[--n] = '\0';  /* "example.com." is "example.com" to DNS */
        if (n == 0)
                return *why = "empty host", -EINVAL;
        /* A second trailing dot is an empty label: "127.0.0.1.." would otherwise pass as
         * the name "127.0.0.1." past the address checks, and read as 127.0.0.1 to any
         * resolver that strips dots (the fuzzer's find). */
        if (h[n - 1] == '.')
                return *why = "empty label in the host", -EINVAL;
        if (strchr(h, '%'))
                return *why = "percent-escape in the host", -EINVAL;
        for (size_t i = 0; i < n; i++) {
                char c = h[i] >= 'A' && h[i] <= 'Z' ? (char)(h[i] - 'A' + 'a') : h[i];
                h[i] = c;
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
                        return *why = "invalid character in the host", -EINVAL;
                if (h[i] == '.' && (i == 0 || h[i - 1] == '.'))
                        return *why = "empty label in the host", -EINVAL;
        }
        if (!looks_numeric(h)) {
                memcpy(out->name, h, n + 1);    /* n < 300 (parse_authority's buffer) */
                return 0;
        }
        if (inet_aton(h, &a4) == 0)
                return *why = "host is neither a name nor a valid IPv4 address", -EINVAL;
        out->family = AF_INET;
        memcpy(out->addr, &a4, 4);
        inet_ntop(AF_INET, &a4, out->name, sizeof(out->name));
        return 0;
}

/* authority = host[:port] (userinfo was refused by the caller). */
static int parse_authority(const char *auth, size_t n, struct host *out, const char **why)
{
        char h[300];
        const char *colon;

        memset(out, 0, sizeof(*out));
        out->port = -1;
        if (n && auth[0] == '[') {
                const char *close = memchr(auth, ']', n);
                if (!close || (size_t)(close - auth - 1) >= sizeof(h))
                        return *why = "unterminated IPv6 literal", -EINVAL;
                memcpy(h, auth + 1, (size_t)(close - auth - 1));
                h[close - auth - 1] = '\0';
                if (strchr(h, '%') || inet_pton(AF_INET6, h, out->addr) != 1)
                        return *why = "invalid IPv6 literal", -EINVAL;
                out->family = AF_INET6;
                out->name[0] = '[';
                inet_ntop(AF_INET6, out->addr, out->name + 1, sizeof(out->name) - 2);
                strcat(out->name, "]");
                colon = close + 1;
                if (colon < auth + n && *colon != ':')
                        return *why = "junk after the IPv6 literal", -EINVAL;
                return colon < auth + n ? parse_port(colon + 1, (size_t)(auth + n - colon - 1),
                                                     &out->port, why) : 0;
        }
        colon = memchr(auth, ':', n);
        size_t hn = colon ? (size_t)(colon - auth) : n;
        if (hn >= sizeof(h))
                return *why = "host too long", -EINVAL;
        memcpy(h, auth, hn);
        h[hn] = '\0';
        int r = parse_name(h, out, why);
        if (r < 0 || !colon)
                return r;
        return parse_port(colon + 1, (size_t)(auth + n - colon - 1), &out->port, why);
}

static bool v4_internal(const unsigned char *a)
{
        uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

        return a[0] == 127 ||                   /* loopback */
               a[0] == 0 ||                     /* "this network": 0.0.0.0 reaches localhost */
               (a[0] == 169 && a[1] == 254) ||  /* link-local, 169.254.169.254 metadata */
               v == 0x646464c8;                 /* 100.100.100.200: Alibaba Cloud metadata */
}

static bool v6_internal(const unsigned char *b)
{
        static const unsigned char zero[12] = { 0 };
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
        static const unsigned char aws[16] = { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 };

        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)     /* fe80::/10 link-local */
                return true;
        if (!memcmp(b, aws, 16))                        /* fd00:ec2::254 AWS metadata (IPv6) */
                return true;
        /* IPv4 carried inside IPv6: ::/96 (also :: and ::1), ::ffff:0:0/96, 64:ff9b::/96 */
        if (!memcmp(b, zero, 12) || !memcmp(b, mapped, 12) || !memcmp(b, nat64, 12))
                return v4_internal(b + 12);
        if (b[0] == 0x20 && b[1] == 0x02)               /* 2002::/16 6to4 */
                return v4_internal(b + 2);
        return false;
}

static bool host_internal(const struct host *h)
{
        return (h->family == AF_INET && v4_internal(h->addr)) ||
               (h->family == AF_INET6 && v6_internal(h->addr));
}

static int hexval(char c)
{
        return isdigit((unsigned char)c) ? c - '0'
             : (c >= 'a' && c <= 'f') ? c - 'a' + 10
             : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* Decode escapes of unreserved characters (so "%2e%2e" is ".." before the dot segments go),
 * upper-case the hex of the rest, and remove "." and ".." segments (RFC 3986 5.2.4). */
static int normalise_path(const char *p, size_t n, char *out, size_t size, const char **why)
{
        char dec[URL_MAX + 2];  /* decoding never lengthens: "%XX" becomes 1 or 3 bytes */
        size_t k = 0, o = 0;

        if (n > URL_MAX)
                return *why = "URL too long", -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (p[i] != '%') {
                        dec[k++] = p[i];
                        continue;
                }
                int hi = i + 2 < n ? hexval(p[i + 1]) : -1, lo = i + 2 < n ? hexval(p[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                        return *why = "bad percent-escape in the path", -EINVAL;
                char c = (char)(hi * 16 + lo);
                if (isalnum((unsigned char)c) || strchr("-._~", c)) {
                        dec[k++] = c;
                } else {
                        snprintf(dec + k, 4, "%%%02X", (unsigned char)c);
                        k += 3;
                }
                i += 2;
        }
        dec[k] = '\0';
        if (k > 0 && dec[0] != '/')
                return *why = "path does not start with \"/\"", -EINVAL;
        if (size < 2)
                return *why = "URL too long", -EINVAL;
        for (const char *s = k ? dec + 1 : dec;;) {
                size_t c = strcspn(s, "/");
                bool last = s[c] == '\0';
                if (c == 1 && s[0] == '.') {
                        /* nothing */
                } else if (c == 2 && s[0] == '.' && s[1] == '.') {
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                } else {
                        if (o + 2 + c >= size)
                                return *why = "URL too long", -EINVAL;
                        out[o++] = '/';
                        memcpy(out + o, s, c);
                        o += c;
                }
                if (last) {
                        bool dots = (c == 1 && s[0] == '.') || (c == 2 && s[0] == '.' && s[1] == '.');
                        if (dots && o + 2 < size)
                                out[o++] = '/';
                        break;
                }
                s += c + 1;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = '\0';
        return 0;
}

/* scheme://authority: lower-cased scheme into scheme[32]; *rest after the "//". */
static int parse_scheme(const char *s, size_t len, char *scheme, const char **rest,
                        const char **why)
{
        size_t i = 0;

        if (len == 0 || !isalpha((unsigned char)s[0]))
                return *why = "not an absolute URL", -EINVAL;
        while (i < len && (isalnum((unsigned char)s[i]) || strchr("+-.", s[i])))
                i++;
        if (i >= 32 || i + 3 > len || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
                return *why = "not a scheme://host URL", -EINVAL;
        for (size_t j = 0; j < i; j++)
                scheme[j] = (char)tolower((unsigned char)s[j]);
        scheme[i] = '\0';
        *rest = s + i + 3;
        return 0;
}

static int parse_url(const char *s, size_t len, char *scheme, struct host *h,
                     const char **path, size_t *path_len, const char **why)
{
        const char *auth, *end = s + len;

        if (len > URL_MAX)
                return *why = "URL too long", -EINVAL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c <= 0x20 || c >= 0x7f)
                        return *why = "whitespace, control or non-ASCII byte in the URL", -EINVAL;
                if (c == '\\')
                        return *why = "backslash in the URL", -EINVAL;
        }
        int r = parse_scheme(s, len, scheme, &auth, why);
        if (r < 0)
                return r;
        /* no NUL can occur here: every byte below 0x21 was refused above */
        size_t an = 0;
        while (auth + an < end && auth[an] != '/' && auth[an] != '?' && auth[an] != '#')
                an++;
        if (memchr(auth, '@', an))
                return *why = "userinfo (\"user@\") in the URL", -EINVAL;
        r = parse_authority(auth, an, h, why);
        if (r < 0)
                return r;
        *path = auth + an;
        *path_len = 0;
        while (*path + *path_len < end && (*path)[*path_len] != '?' && (*path)[*path_len] != '#')
                (*path_len)++;
        return 0;
}

static int build(const char *scheme, const struct host *h, const char *path, size_t path_len,
                 char *out, size_t size, const char **why)
{
        char port[24] = "";
        char npath[URL_MAX + 8];

        if (h->port >= 0 && h->port != default_port(scheme))
                snprintf(port, sizeof(port), ":%ld", h->port);
        int r = normalise_path(path, path_len, npath, sizeof(npath), why);
        if (r < 0)
                return r;
        /* scheme "://" host port path, joined by hand: every checked URL passes here, and
         * snprintf's format machinery cost more than the rest of the rebuild */
        const char *parts[] = { scheme, "://", h->name, port, npath };
        size_t at = 0;
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
                size_t k = strlen(parts[i]);
                if (at + k >= size)
                        return *why = "URL too long", -EINVAL;
                memcpy(out + at, parts[i], k);
                at += k;
        }
        out[at] = '\0';
        return 0;
}

int url_normalise(const char *s, size_t len, char *out, size_t size, const char **why)
{
        char scheme[32];
        struct host h;
        const char *path;
        size_t path_len;

        int r = parse_url(s, len, scheme, &h, &path, &path_len, why);
        if (r < 0)
                return r;
        return build(scheme, &h, path, path_len, out, size, why);
}

/* Bring an allow glob to the form URLs are normalised to, so "HTTPS://Example.com:443" and
 * "https://example.com" mean the same; an authority without glob characters goes through
 * the URL host reader (which also records an IP literal for the explicit-address rule). */
static int compile_glob(struct allow_glob *g, const char *src, struct mc_error *err)
{
        const char *sep = strstr(src, "://"), *why = NULL;
        char scheme[32], auth[300];

        if (!sep || (size_t)(sep - src) >= sizeof(scheme))
                return mc_error_set(err, EINVAL, "%s: not a scheme://host glob", g->rule);
        const char *a = sep + 3, *rest = a + strcspn(a, "/");
        size_t an = (size_t)(rest - a);
        if (an >= sizeof(auth) || memchr(a, '@', an))
                return mc_error_set(err, EINVAL, "%s: userinfo or an over-long host", g->rule);
        for (size_t i = 0; i <= (size_t)(sep - src); i++)
                scheme[i] = i < (size_t)(sep - src) ? (char)tolower((unsigned char)src[i]) : '\0';
        for (size_t i = 0; i <= an; i++)
                auth[i] = i < an ? (char)tolower((unsigned char)a[i]) : '\0';
        if (!glob_is_pattern(auth) && !glob_is_pattern(scheme)) {
                struct host h;
                if (parse_authority(auth, an, &h, &why) < 0)
                        return mc_error_set(err, EINVAL, "%s: %s", g->rule, why);
                if (h.family)
                        g->ip = h;
                rule_format(auth, sizeof(auth), "%s", h.name);
                if (h.port >= 0 && h.port != default_port(scheme))
                        rule_format(auth + strlen(auth), sizeof(auth) - strlen(auth), ":%ld", h.port);
        } else if (default_port(scheme) > 0) {
                char dflt[24];
                snprintf(dflt, sizeof(dflt), ":%ld", default_port(scheme));
                size_t dl = strlen(dflt), al = strlen(auth);
                if (al > dl && !strcmp(auth + al - dl, dflt))
                        auth[al - dl] = '\0';
        }
        if (asprintf(&g->glob, "%s://%s%s", scheme, auth, *rest ? rest : "/") < 0) {
                g->glob = NULL;
                return mc_error_set(err, ENOMEM, "%s: out of memory", g->rule);
        }
        return 0;
}

static int compile_one(struct url_rule *ur, const char *pointer, json_t *spec,
                       const char *map_rule, struct mc_error *err)
{
        json_t *allow = json_object_get(spec, "allow"), *v;
        size_t i;

        rule_format(ur->rule, sizeof(ur->rule), "%s", map_rule);
        rule_pointer_append(ur->rule, sizeof(ur->rule), pointer);
        rule_format(ur->allow_rule, sizeof(ur->allow_rule), "%s/allow", ur->rule);
        ur->pointer = strdup(pointer);
        if (!ur->pointer)
                return mc_error_set(err, ENOMEM, "%s: out of memory", ur->rule);
        if (!json_is_object(spec) || !json_is_array(allow))
                return mc_error_set(err, EINVAL, "%s: needs an \"allow\" array", ur->rule);
        ur->allow = calloc(json_array_size(allow) + 1, sizeof(*ur->allow));
        if (!ur->allow)
                return mc_error_set(err, ENOMEM, "%s: out of memory", ur->rule);
        json_array_foreach(allow, i, v) {
                struct allow_glob *g = &ur->allow[ur->n_allow++];
                rule_format(g->rule, sizeof(g->rule), "%s/allow/%zu", ur->rule, i);
                if (!json_is_string(v))
                        return mc_error_set(err, EINVAL, "%s: not a string", g->rule);
                int r = compile_glob(g, json_string_value(v), err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int url_rules_compile(json_t *urls, const char *map_rule, struct url_rules **out,
                      struct mc_error *err)
{
        struct url_rules *u;
        const char *key;
        json_t *spec;
        int r = 0;

        if (!json_is_object(urls))
                return mc_error_set(err, EINVAL, "%s: not an object", map_rule);
        u = calloc(1, sizeof(*u));
        if (u)
                u->v = calloc(json_object_size(urls) + 1, sizeof(*u->v));
        if (!u || !u->v) {
                free(u);
                return mc_error_set(err, ENOMEM, "%s: out of memory", map_rule);
        }
        rule_format(u->map_rule, sizeof(u->map_rule), "%s", map_rule);
        json_object_foreach(urls, key, spec) {
                r = compile_one(&u->v[u->n++], key, spec, map_rule, err);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                url_rules_free(u);
                return r;
        }
        *out = u;
        return 0;
}

void url_rules_free(struct url_rules *u)
{
        if (!u)
                return;
        for (size_t i = 0; i < u->n; i++) {
                for (size_t j = 0; j < u->v[i].n_allow; j++)
                        free(u->v[i].allow[j].glob);
                free(u->v[i].allow);
                free(u->v[i].pointer);
        }
        free(u->v);
        free(u);
}

static bool named_explicitly(const struct url_rule *ur, const struct host *h)
{
        size_t n = h->family == AF_INET ? 4 : 16;

        for (size_t i = 0; i < ur->n_allow; i++)
                if (ur->allow[i].ip.family == h->family && !memcmp(ur->allow[i].ip.addr, h->addr, n))
                        return true;
        return false;
}

static void check_url(const struct url_rule *ur, const char *s, size_t len,
                      struct rule_decision *d)
{
        char scheme[32], norm[URL_MAX + 400];
        struct host h;
        const char *path, *why = NULL;
        size_t path_len;
        const char *allow_rule = ur->allow_rule;

        if (parse_url(s, len, scheme, &h, &path, &path_len, &why) < 0 ||
            build(scheme, &h, path, path_len, norm, sizeof(norm), &why) < 0) {
                rule_deny(d, ur->rule, "URL refused: %s", why ? why : "cannot be parsed");
                return;
        }
        if (host_internal(&h) && !named_explicitly(ur, &h)) {
                rule_deny(d, allow_rule, "URL %.160s names an internal address", norm);
                return;
        }
        for (size_t i = 0; i < ur->n_allow; i++) {
                if (glob_match(ur->allow[i].glob, norm, GLOB_PATHNAME) == 1) {
                        rule_allow(d, ur->allow[i].rule);
                        return;
                }
        }
        rule_deny(d, allow_rule, "URL %.160s is not in the allow list", norm);
}

void url_check_arguments(const struct url_rules *u, json_t *arguments, struct rule_decision *d)
{
        /* Stays the decision when no pointer reaches a value; each allowed URL replaces it
         * with the glob that admitted it. */
        rule_allow(d, u ? u->map_rule : "");
        for (size_t i = 0; u && i < u->n; i++) {
                const struct url_rule *ur = &u->v[i];
                struct pointer_hits vals;
                const char *why = NULL;

                if (pointer_reach(arguments, ur->pointer, &vals, &why) < 0) {
                        rule_deny(d, ur->rule, "argument %s: %s", ur->pointer,
                                  why ? why : "cannot be checked (out of memory)");
                        return;
                }
                for (size_t j = 0; j < pointer_hits_count(&vals); j++) {
                        json_t *v = pointer_hits_get(&vals, j);
                        if (!json_is_string(v)) {
                                rule_deny(d, ur->rule, "argument %s is not a string", ur->pointer);
                                return;
                        }
                        check_url(ur, json_string_value(v), json_string_length(v), d);
                        if (!d->allow) {
                                char at[RULE_POINTER_MAX + 16];
                                rule_format(at, sizeof(at), "argument %s", ur->pointer);
                                rule_reason_prefix(d, at);
                                return;
                        }
                }
        }
}
