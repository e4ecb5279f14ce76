#include "sandbox/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/listen.h"
#include "util/cleanup.h"

bool network_required(const struct policy *p, const char *feature)
{
        size_t i;
        json_t *f;
        json_array_foreach(policy_get(p, "/require"), i, f)
                if (json_is_string(f) && !strcmp(json_string_value(f), feature))
                        return true;
        return false;
}

/* NAME=value, replacing an entry env.pass or env.set made: the proxy is the only way out,
 * so a policy's own HTTP_PROXY cannot point the server elsewhere. */
static int env_set(struct strlist *env, const char *name, const char *value)
{
        char *entry = NULL;
        if (asprintf(&entry, "%s=%s", name, value) < 0)
                return -ENOMEM;
        size_t n = strlen(name);
        for (size_t i = 0; i < env->n; i++)
                if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=') {
                        free(env->v[i]);
                        env->v[i] = entry;
                        return 0;
                }
        return strlist_push(env, entry);
}

static int proxy_env(const struct net_plan *plan, struct strlist *env, struct mc_error *err)
{
        if (plan->mode != NET_FILTERED || !env)
                return 0;
        for (size_t i = 0; i < NET_PROXY_ENV_COUNT; i++) {
                const char *name;
                char value[96];
                net_proxy_env(plan->proxy_port, i, &name, value, sizeof(value));
                if (env_set(env, name, value) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

int network_prepare(const struct policy *p, struct net_plan *plan, struct strlist *env,
                    struct strlist *degraded, struct mc_error *err)
{
        int r = net_plan_build(p, plan, err);
        if (r < 0)
                return r;
        bool names = false;
        for (size_t i = 0; i < plan->allow.n; i++)
                names |= plan->allow.v[i].kind != NET_RULE_ADDR;
        /* No proxy without a namespace to put it in: host mode filters addresses only. */
        if (plan->mode == NET_HOST && names && env &&
            strlist_add(degraded, "network host: names in network.allow are not enforced (only addresses, "
                        "by cgroup BPF or Landlock ports; use mode \"filtered\" for names)") < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        return proxy_env(plan, env, err);
}

/* The proxy's listener on the host's 127.0.0.1, at a port the kernel picks. */
static int host_listener(struct net_plan *plan, int *fd, struct mc_error *err)
{
        struct net_endpoint e = plan->proxy;
        ((struct sockaddr_in *)&e.sa)->sin_port = 0;
        int s = net_listen(&e);
        if (s < 0)
                return mc_error_errno(err, -s, "network filtered: listening on the host's 127.0.0.1");
        struct sockaddr_in got;
        socklen_t len = sizeof(got);
        if (getsockname(s, (struct sockaddr *)&got, &len) < 0) {
                int e2 = errno;
                close(s);
                return mc_error_errno(err, e2, "network filtered: getsockname");
        }
        plan->proxy_port = ntohs(got.sin_port);
        ((struct sockaddr_in *)&plan->proxy.sa)->sin_port = got.sin_port;
        *fd = s;
        return 0;
}

static int allow_ports(const struct net_plan *plan, struct landlock_plan *ll)
{
        for (size_t i = 0; i < plan->allow.n; i++) {
                int port = plan->allow.v[i].port;
                if (port < 0)
                        return -EDOM;
                bool seen = false;
                for (size_t k = 0; k < ll->n_ports; k++)
                        seen |= ll->connect_ports[k] == port;
                if (seen)
                        continue;
                if (ll->n_ports >= LANDLOCK_MAX_PORTS)
                        return -E2BIG;
                ll->connect_ports[ll->n_ports++] = (uint16_t)port;
        }
        return 0;
}

static int filtered(struct net_plan *plan, struct landlock_plan *ll, struct strlist *degraded, int *proxy_fd,
                    struct mc_error *err)
{
        int r = 0;
        if (plan->n_fwd)
                r = strlist_addf(degraded, "network.forward: no network namespace to listen in; "
                                 "the %zu forward(s) are not available", plan->n_fwd);
        plan->n_fwd = 0;
        if (r == 0 && ll->abi < 4)
                r = strlist_add(degraded, "network filtered: no network namespace and Landlock ABI < 4: "
                                "the host's network is reachable directly; only programs that use the "
                                "proxy are filtered");
        else if (r == 0)
                r = strlist_add(degraded, "network filtered: no network namespace; TCP connect only to the "
                                "proxy's port (on any address: Landlock filters ports), no TCP listening, "
                                "UDP left to seccomp");
        if (r < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        r = host_listener(plan, proxy_fd, err);
        if (r < 0 || ll->abi < 4)
                return r;
        ll->filter_connect = ll->deny_bind = true;
        ll->connect_ports[0] = (uint16_t)plan->proxy_port;
        ll->n_ports = 1;
        return 0;
}

static int host_mode(const struct net_plan *plan, struct landlock_plan *ll, struct strlist *degraded,
                     struct mc_error *err)
{
        if (plan->allow.n == 0)
                return 0;
        int r = ll->abi < 4 ? -ENOSYS : allow_ports(plan, ll);
        if (r == 0) {
                ll->filter_connect = true;
                r = strlist_add(degraded, "network host: network.allow enforced by port only (Landlock), "
                                "on any address");
        } else {
                ll->n_ports = 0;
                r = strlist_addf(degraded, "network host: network.allow not enforced (%s)",
                                 r == -ENOSYS ? "Landlock ABI < 4" : r == -EDOM ? "an entry allows every port"
                                                                                 : "too many ports");
        }
        return r < 0 ? mc_error_set(err, ENOMEM, "out of memory") : 0;
}

int network_fall_back(const struct policy *p, struct net_plan *plan, struct landlock_plan *ll,
                      struct strlist *env, struct strlist *degraded, int *proxy_fd,
                      struct mc_error *err)
{
        *proxy_fd = -1;
        if (plan->mode == NET_FILTERED && network_required(p, "network-filter"))
                return mc_error_set(err, EOPNOTSUPP, "%s: /require lists \"network-filter\" but there is "
                                    "no network namespace (user namespaces refused, or isolation \"landlock\")",
                                    p->path ? p->path : "policy");
        int r = 0;
        switch (plan->mode) {
        case NET_FILTERED: r = filtered(plan, ll, degraded, proxy_fd, err); break;
        case NET_HOST: r = host_mode(plan, ll, degraded, err); break;
        case NET_LOOPBACK:
                if (strlist_add(degraded, "network loopback: no network namespace; the host's network "
                                "is reachable") < 0)
                        r = mc_error_set(err, ENOMEM, "out of memory");
                break;
        case NET_NONE:
        default: break;
        }
        if (r < 0)
                return r;
        return proxy_env(plan, env, err);
}
