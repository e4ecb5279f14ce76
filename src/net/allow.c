#include "net/allow.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool parse_port(const char *s, int *port)
{
        if (!strcmp(s, "*")) {
                *port = -1;
                return true;
        }
        char *end;
        if (!isdigit((unsigned char)s[0]))
                return false;
        long v = strtol(s, &end, 10);
        if (*end || v < 1 || v > 65535)
                return false;
        *port = (int)v;
        return true;
}

bool net_addr_parse(const char *text, struct net_addr *out)
{
        memset(out, 0, sizeof(*out));
        out->family = strchr(text, ':') ? AF_INET6 : AF_INET;
        return inet_pton(out->family, text, out->addr) == 1;
}

static bool parse_prefix(const char *s, int max, int *prefix)
{
        *prefix = max;
        if (!s)
                return true;
        char *end;
        if (!isdigit((unsigned char)s[0]))
                return false;
        long v = strtol(s, &end, 10);
        if (*end || v < 0 || v > max)
                return false;
        *prefix = (int)v;
        return true;
}

static bool parse_address_rule(struct net_rule *r, char *host)
{
        char *slash = NULL;
        if (host[0] == '[') {
                char *close = strchr(host, ']');
                if (!close || (close[1] && close[1] != '/'))
                        return false;
                *close = '\0';
                slash = close[1] == '/' ? close + 2 : NULL;
                host++;
        } else if ((slash = strchr(host, '/'))) {
                *slash++ = '\0';
        }
        struct net_addr a;
        if (!net_addr_parse(host, &a))
                return false;
        r->kind = NET_RULE_ADDR;
        r->family = a.family;
        memcpy(r->addr, a.addr, sizeof(r->addr));
        return parse_prefix(slash, a.family == AF_INET ? 32 : 128, &r->prefix);
}

static bool valid_name(const char *s)
{
        if (!*s || *s == '.' || strlen(s) > NET_NAME_MAX)
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
                        return false;
        return true;
}

static bool parse_rule(struct net_rule *r, const char *text)
{
        memset(r, 0, sizeof(*r));
        const char *colon = strrchr(text, ':');
        char host[NET_NAME_MAX + 8];
        if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host) || !parse_port(colon + 1, &r->port))
                return false;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        if (host[0] == '[' || (isdigit((unsigned char)host[0]) &&
                               strspn(host, "0123456789./") == strlen(host)))
                return parse_address_rule(r, host);
        if (!strcmp(host, "*")) {
                r->kind = NET_RULE_ANY_NAME;
                return true;
        }
        bool suffix = !strncmp(host, "*.", 2);
        const char *name = suffix ? host + 2 : host;
        if (!valid_name(name) || strlen(name) + suffix > NET_NAME_MAX)
                return false;
        r->kind = suffix ? NET_RULE_SUFFIX : NET_RULE_NAME;
        memcpy(r->name, suffix ? host + 1 : host, strlen(name) + suffix + 1);
        return true;
}

int net_allow_parse(json_t *list, struct net_allow *out, struct mc_error *err)
{
        *out = (struct net_allow){ 0 };
        size_t n = json_array_size(list);
        if (n == 0)
                return 0;
        out->v = calloc(n, sizeof(*out->v));
        if (!out->v)
                return mc_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(json_array_get(list, i));
                if (!s || !parse_rule(&out->v[i], s)) {
                        net_allow_clear(out);
                        return mc_error_set(err, EINVAL, "/network/allow/%zu: invalid endpoint \"%s\"", i,
                                            s ? s : "(not a string)");
                }
                out->n++;
        }
        return 0;
}

void net_allow_clear(struct net_allow *a)
{
        free(a->v);
        *a = (struct net_allow){ 0 };
}

bool net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out)
{
        memset(out, 0, sizeof(*out));
        if (sa->sa_family == AF_INET) {
                out->family = AF_INET;
                memcpy(out->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
                return true;
        }
        if (sa->sa_family == AF_INET6) {
                out->family = AF_INET6;
                memcpy(out->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
                return true;
        }
        return false;
}

const char *net_addr_text(const struct net_addr *a, char *buf, size_t n)
{
        if (!inet_ntop(a->family, a->addr, buf, (socklen_t)n))
                snprintf(buf, n, "?");
        return buf;
}

static bool in_prefix(const uint8_t *net, int prefix, const uint8_t *addr)
{
        int full = prefix / 8, rest = prefix % 8;
        if (memcmp(net, addr, (size_t)full))
                return false;
        if (!rest)
                return true;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (net[full] & mask) == (addr[full] & mask);
}

static bool special_v4(const uint8_t *a)
{
        static const struct { uint8_t net[4]; int prefix; } blocked[] = {
                { { 0, 0, 0, 0 }, 8 },          /* "this host": connect(0.0.0.0) is loopback */
                { { 127, 0, 0, 0 }, 8 },        /* loopback */
                { { 169, 254, 0, 0 }, 16 },     /* link-local, incl. 169.254.169.254 metadata */
                { { 100, 100, 100, 200 }, 32 }, /* Alibaba Cloud metadata */
                { { 224, 0, 0, 0 }, 4 },        /* multicast */
                { { 255, 255, 255, 255 }, 32 }, /* broadcast */
        };
        for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
                if (in_prefix(blocked[i].net, blocked[i].prefix, a))
                        return true;
        return false;
}

bool net_addr_special(const struct net_addr *a)
{
        if (a->family == AF_INET)
                return special_v4(a->addr);
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        static const uint8_t zero[16] = { 0 };
        static const uint8_t loop6[16] = { [15] = 1 };
        static const uint8_t ll6[2] = { 0xfe, 0x80 };
        static const uint8_t aws6[16] = { 0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02 };
        /* ::ffff:127.0.0.1 is 127.0.0.1 to a dual-stack socket */
        if (!memcmp(a->addr, mapped, 12))
                return special_v4(a->addr + 12);
        return !memcmp(a->addr, zero, 16) || !memcmp(a->addr, loop6, 16) ||
               in_prefix(ll6, 10, a->addr) || a->addr[0] == 0xff /* multicast */ ||
               !memcmp(a->addr, aws6, 16);
}

static bool port_ok(const struct net_rule *r, int port)
{
        return r->port < 0 || r->port == port;
}

int net_allow_match_addr(const struct net_allow *a, const struct net_addr *addr, int port)
{
        for (size_t i = 0; i < a->n; i++) {
                const struct net_rule *r = &a->v[i];
                if (r->kind == NET_RULE_ADDR && r->family == addr->family && port_ok(r, port) &&
                    in_prefix(r->addr, r->prefix, addr->addr))
                        return (int)i;
        }
        return -1;
}

static bool name_matches(const struct net_rule *r, const char *name)
{
        size_t n = strlen(name), s = strlen(r->name);
        switch (r->kind) {
        case NET_RULE_ANY_NAME: return true;
        case NET_RULE_NAME: return !strcasecmp(r->name, name);
        /* ".example.com" at the end of a longer name: never the apex itself */
        case NET_RULE_SUFFIX: return n > s && !strcasecmp(name + n - s, r->name);
        case NET_RULE_ADDR:
        default: return false;
        }
}

int net_allow_match_name(const struct net_allow *a, const char *name, int port)
{
        /* One trailing dot is the same name; a literal is never a name. */
        char buf[NET_NAME_MAX + 2];
        size_t n = strlen(name);
        if (n == 0 || n > NET_NAME_MAX + 1)
                return -1;
        memcpy(buf, name, n + 1);
        if (buf[n - 1] == '.')
                buf[n - 1] = '\0';
        for (size_t i = 0; i < a->n; i++)
                if (port_ok(&a->v[i], port) && name_matches(&a->v[i], buf))
                        return (int)i;
        return -1;
}

int net_allow_decide(const struct net_allow *a, const char *dest, bool is_literal,
                     const struct net_addr *addr, int port, const char **why)
{
        /* An address rule speaks for the address however it was asked for. */
        int r = net_allow_match_addr(a, addr, port);
        if (r >= 0)
                return r;
        if (is_literal) {
                *why = "address not in network.allow";
                return -1;
        }
        r = net_allow_match_name(a, dest, port);
        if (r < 0) {
                *why = "not in network.allow";
                return -1;
        }
        if (net_addr_special(addr)) {
                *why = "the name resolves to a loopback, link-local or metadata address that "
                       "network.allow does not list";
                return -1;
        }
        return r;
}
