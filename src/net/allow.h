/* network.allow as the proxy and the forwards apply it (policy.md "network"): which
 * destinations a confined server may reach in network mode "filtered". Entries are
 * "host:port", "*.domain:port", "*:port", "CIDR:port" and "[IPv6]/len:port", the port a
 * number or "*". The policy layer has already validated the syntax; this file parses it
 * again into a form that is cheap to match and decides one connection at a time.
 *
 * A name rule admits a name, never an address: a name that resolves to loopback,
 * link-local or a cloud metadata address is refused unless that address is itself listed
 * (threats.md §1: a server must not reach the host's 127.0.0.1 or the instance metadata
 * service through a DNS name it controls). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>

#include "util/error.h"

#define NET_NAME_MAX 253

enum net_rule_kind { NET_RULE_NAME, NET_RULE_SUFFIX, NET_RULE_ANY_NAME, NET_RULE_ADDR };

struct net_rule {
        enum net_rule_kind kind;
        char name[NET_NAME_MAX + 1];    /* NAME: the name; SUFFIX: ".domain" */
        int family;                     /* ADDR: AF_INET or AF_INET6 */
        uint8_t addr[16];
        int prefix;                     /* ADDR: bits */
        int port;                       /* 1..65535, or -1 for "*" */
};

struct net_allow {
        struct net_rule *v;
        size_t n;
};

/* list: the JSON array network.allow. 0 or -EINVAL naming the entry (/network/allow/N). */
int net_allow_parse(json_t *list, struct net_allow *out, struct mc_error *err);
void net_allow_clear(struct net_allow *a);

/* One address of a destination, in network byte order. */
struct net_addr {
        int family;
        uint8_t addr[16];
};

bool net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out);
/* Loopback, link-local, unspecified, multicast, the cloud metadata addresses, and the
 * IPv4-mapped forms of these: never reached through a name rule. */
bool net_addr_special(const struct net_addr *a);
/* Text form ("10.0.0.1", "::1") into buf (at least 46 bytes). */
const char *net_addr_text(const struct net_addr *a, char *buf, size_t n);
/* Parses an IPv4 or IPv6 literal (without brackets). */
bool net_addr_parse(const char *text, struct net_addr *out);

/* The index of the first address rule covering addr:port, or -1. */
int net_allow_match_addr(const struct net_allow *a, const struct net_addr *addr, int port);
/* The index of the first name rule covering name:port (case-insensitive; "*.d" matches
 * every name below d but not d itself), or -1. */
int net_allow_match_name(const struct net_allow *a, const char *name, int port);

/* The decision for one resolved address of a destination asked as `dest` (a name, or an
 * address literal when is_literal). Returns the rule index that allows it, or -1 with
 * *why set to a short reason (a static string). Callers resolve a name only after
 * net_allow_match_name() admitted it: a name no rule lists is refused without a DNS query,
 * so the lookups themselves cannot carry data out (DNS exfiltration). */
int net_allow_decide(const struct net_allow *a, const char *dest, bool is_literal,
                     const struct net_addr *addr, int port, const char **why);
