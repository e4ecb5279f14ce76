/* One client connection of the proxy or of a forward, as a small state machine driven by
 * the proxy's poll loop:
 *
 *   HEAD (proxy only: read and parse the request head)
 *     -> RESOLVE (names: an asynchronous lookup, only for names network.allow lists)
 *     -> CONNECT (a non-blocking connect to a checked address; the next one on failure)
 *     -> RELAY (bytes both ways, bounded buffers, half-close)
 *   or ANSWER (an error response, then close).
 *
 * Every address is checked before it is connected to, and the connect goes to exactly that
 * address: no second lookup a DNS rebinding could answer differently. */
#pragma once

#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/allow.h"
#include "net/events.h"
#include "net/plan.h"
#include "util/buf.h"

#define CONN_BUF (32 * 1024)
#define CONN_HEAD_TIMEOUT_MS 15000
#define CONN_RESOLVE_TIMEOUT_MS 10000
#define CONN_CONNECT_TIMEOUT_MS 10000
#define CONN_ANSWER_TIMEOUT_MS 5000
#define CONN_IDLE_TIMEOUT_MS (10 * 60 * 1000)

enum conn_state { C_FREE, C_HEAD, C_RESOLVE, C_CONNECT, C_RELAY, C_ANSWER, C_ZOMBIE };

struct conn {
        enum conn_state st;
        int cfd, ufd;
        int fwd;                        /* forward index, or -1 for the proxy */
        char via[80];
        char dest[NET_NAME_MAX + 1];
        bool literal, tunnel;           /* tunnel: CONNECT, answered 200 once connected */
        int port;
        struct buf c2u, u2c;            /* client -> upstream, upstream -> client */
        struct gaicb gai;
        struct addrinfo hints;
        char service[8];
        bool gai_pending;
        struct addrinfo *res, *next;    /* the checked candidates, and the next to try */
        bool res_from_gai;
        int rule;                       /* the allow rule of the address connected to */
        const char *why;                /* first refusal reason */
        char addr[48];                  /* the address connected to (or first refused) */
        int last_errno;
        uint64_t t0, deadline;
        uint64_t bytes_in, bytes_out;
        bool c_eof, u_eof, u_shut;
};

struct proxy_ctx {
        const struct net_plan *plan;
        struct net_events events;
        uint64_t now;                   /* ms, monotonic */
};

/* A new connection accepted on the proxy (fwd -1) or forward fwd. */
void conn_start(struct proxy_ctx *p, struct conn *c, int fd, int fwd);
/* Progress on readiness (revents of the client and the upstream fd, 0 when not polled). */
void conn_io(struct proxy_ctx *p, struct conn *c, short crev, short urev);
/* Lookups that finished, and deadlines that passed. */
void conn_tick(struct proxy_ctx *p, struct conn *c);
/* The poll events each fd wants now (0: do not poll it). */
void conn_want(const struct conn *c, short *cev, short *uev);
/* Ends the connection at once (shutdown of the proxy). */
void conn_abort(struct proxy_ctx *p, struct conn *c);
