#include "net/plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"

const char *net_mode_name(enum net_mode m)
{
        switch (m) {
        case NET_NONE: return "none";
        case NET_LOOPBACK: return "loopback";
        case NET_HOST: return "host";
        case NET_FILTERED: return "filtered";
        default: return "?";
        }
}

static int endpoint_from(struct net_endpoint *e, const struct net_addr *a, int port)
{
        memset(e, 0, sizeof(*e));
        if (a->family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *)&e->sa;
                in->sin_family = AF_INET;
                in->sin_port = htons((uint16_t)port);
                memcpy(&in->sin_addr, a->addr, 4);
                e->len = sizeof(*in);
        } else {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&e->sa;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)port);
                memcpy(&in6->sin6_addr, a->addr, 16);
                e->len = sizeof(*in6);
        }
        return 0;
}

static int endpoint_port(const struct net_endpoint *e)
{
        return e->sa.ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)&e->sa)->sin_port)
                                          : ntohs(((const struct sockaddr_in6 *)&e->sa)->sin6_port);
}

/* "127.0.0.1:5432" / "[::1]:5432" into an address and a port. */
static bool split(const char *text, char *host, size_t n, int *port)
{
        const char *colon = strrchr(text, ':');
        if (!colon || colon == text)
                return false;
        const char *h = text, *he = colon;
        if (*h == '[') {
                if (he[-1] != ']')
                        return false;
                h++;
                he--;
        }
        if ((size_t)(he - h) >= n)
                return false;
        memcpy(host, h, (size_t)(he - h));
        host[he - h] = '\0';
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p < 1 || p > 65535)
                return false;
        *port = (int)p;
        return true;
}

static bool is_loopback(const struct net_addr *a)
{
        static const uint8_t loop6[16] = { [15] = 1 };
        return a->family == AF_INET ? a->addr[0] == 127 : !memcmp(a->addr, loop6, 16);
}

static int add_forward(struct net_plan *plan, const char *listen, const char *target, const char *file,
                       struct mc_error *err)
{
        if (plan->n_fwd >= NET_MAX_FORWARDS)
                return mc_error_set(err, E2BIG, "%s: /network/forward: at most %d forwards", file, NET_MAX_FORWARDS);
        struct net_forward *f = &plan->fwd[plan->n_fwd];
        char host[NET_NAME_MAX + 1];
        int port;
        struct net_addr a;
        /* The namespace has nothing but lo: only a loopback address can be listened on. */
        if (!split(listen, host, sizeof(host), &port) || !net_addr_parse(host, &a) || !is_loopback(&a))
                return mc_error_set(err, EINVAL, "%s: /network/forward/%s: the listening side must be a "
                                    "loopback address and a port (\"127.0.0.1:5432\", \"[::1]:5432\")", file, listen);
        endpoint_from(&f->listen, &a, port);
        snprintf(f->listen_text, sizeof(f->listen_text), "%s", listen);
        if (!split(target, f->host, sizeof(f->host), &f->port) || !http_valid_host(f->host, &f->literal))
                return mc_error_set(err, EINVAL, "%s: /network/forward/%s: invalid target \"%s\"", file, listen, target);
        for (size_t i = 0; i < plan->n_fwd; i++)
                if (endpoint_port(&plan->fwd[i].listen) == port && plan->fwd[i].listen.sa.ss_family == f->listen.sa.ss_family &&
                    !memcmp(&plan->fwd[i].listen.sa, &f->listen.sa, f->listen.len))
                        return mc_error_set(err, EINVAL, "%s: /network/forward/%s: listed twice", file, listen);
        plan->n_fwd++;
        return 0;
}

static enum net_mode mode_of(const char *m)
{
        if (!m || !strcmp(m, "none"))
                return NET_NONE;
        if (!strcmp(m, "loopback"))
                return NET_LOOPBACK;
        if (!strcmp(m, "host"))
                return NET_HOST;
        return NET_FILTERED;
}

/* The first port from NET_PROXY_PORT on that no IPv4 forward listens on. */
static int choose_proxy_port(const struct net_plan *plan)
{
        for (int port = NET_PROXY_PORT;; port++) {
                bool taken = false;
                for (size_t i = 0; i < plan->n_fwd; i++)
                        taken |= plan->fwd[i].listen.sa.ss_family == AF_INET && endpoint_port(&plan->fwd[i].listen) == port;
                if (!taken)
                        return port;
        }
}

int net_plan_build(const struct policy *p, struct net_plan *out, struct mc_error *err)
{
        *out = (struct net_plan){ .mode = mode_of(json_string_value(policy_get(p, "/network/mode"))) };
        const char *file = p->path ? p->path : "policy";
        size_t i;
        json_t *f;
        json_array_foreach(policy_get(p, "/require"), i, f)
                out->filter_required |= json_is_string(f) && !strcmp(json_string_value(f), "network-filter");
        int r = net_allow_parse(policy_get(p, "/network/allow"), &out->allow, err);
        if (r < 0)
                return mc_error_prefix(err, "%s", file);
        const char *listen;
        json_t *target;
        json_object_foreach(policy_get(p, "/network/forward"), listen, target) {
                if (out->mode != NET_FILTERED)
                        return mc_error_set(err, EINVAL, "%s: /network/forward: forwards need network.mode \"filtered\"", file);
                r = add_forward(out, listen, json_string_value(target), file, err);
                if (r < 0) {
                        net_plan_clear(out);
                        return r;
                }
        }
        if (out->mode == NET_FILTERED) {
                struct net_addr lo;
                net_addr_parse("127.0.0.1", &lo);
                out->proxy_port = choose_proxy_port(out);
                endpoint_from(&out->proxy, &lo, out->proxy_port);
        }
        return 0;
}

void net_plan_clear(struct net_plan *plan)
{
        net_allow_clear(&plan->allow);
        *plan = (struct net_plan){ .mode = NET_NONE };
}

size_t net_plan_listeners(const struct net_plan *plan)
{
        return plan->mode == NET_FILTERED ? 1 + plan->n_fwd : 0;
}

const struct net_endpoint *net_plan_listener(const struct net_plan *plan, size_t i)
{
        return i == 0 ? &plan->proxy : &plan->fwd[i - 1].listen;
}

void net_proxy_env(int port, size_t i, const char **name, char *value, size_t n)
{
        static const char *const names[NET_PROXY_ENV_COUNT] = {
                "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
                "NODE_USE_ENV_PROXY",
        };
        *name = names[i];
        if (i < 4)
                snprintf(value, n, "http://127.0.0.1:%d", port);
        else if (i < 6)
                snprintf(value, n, "localhost,127.0.0.1,::1");
        else
                snprintf(value, n, "1");
}
