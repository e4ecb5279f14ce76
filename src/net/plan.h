/* The network part of a run, decided in mcpcage before clone() from network.* of the
 * policy: the mode, the allow-list, the forwards, and the proxy's address inside the
 * child's namespace. The child only executes it (brings lo up, opens the listening
 * sockets, hands them over); the proxy process serves them. */
#pragma once

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/allow.h"
#include "policy/policy.h"
#include "util/error.h"

enum net_mode { NET_NONE, NET_LOOPBACK, NET_HOST, NET_FILTERED };

/* The proxy's port inside the child's namespace, when no forward takes it. 3128 is the
 * port HTTP proxies are expected on; the namespace is empty, so it is always free. */
#define NET_PROXY_PORT 3128
#define NET_MAX_FORWARDS 32

struct net_endpoint {
        struct sockaddr_storage sa;
        socklen_t len;
};

struct net_forward {
        struct net_endpoint listen;     /* a loopback address of the child's namespace */
        char listen_text[64];           /* "127.0.0.1:5432", as the policy wrote it */
        char host[NET_NAME_MAX + 1];    /* the target, checked against network.allow */
        bool literal;
        int port;
};

struct net_plan {
        enum net_mode mode;
        struct net_allow allow;
        struct net_forward fwd[NET_MAX_FORWARDS];
        size_t n_fwd;
        struct net_endpoint proxy;      /* mode filtered: where the proxy listens */
        int proxy_port;
        bool filter_required;           /* require: ["network-filter"] */
};

int net_plan_build(const struct policy *p, struct net_plan *out, struct mc_error *err);
void net_plan_clear(struct net_plan *plan);
const char *net_mode_name(enum net_mode m);

/* How many listening sockets the child opens and hands over: the proxy's first, then one
 * per forward in policy order (mode filtered), else none. */
size_t net_plan_listeners(const struct net_plan *plan);
/* The address of listener i (0: the proxy). */
const struct net_endpoint *net_plan_listener(const struct net_plan *plan, size_t i);

/* The proxy variables of the server's environment, i < NET_PROXY_ENV_COUNT: HTTP_PROXY,
 * HTTPS_PROXY, their lower-case forms, NO_PROXY/no_proxy for loopback, and
 * NODE_USE_ENV_PROXY=1 (Node >= 24 honours the variables in fetch() only with it). */
#define NET_PROXY_ENV_COUNT 7
void net_proxy_env(int port, size_t i, const char **name, char *value, size_t n);
