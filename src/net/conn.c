#include "net/conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http.h"

static const char TUNNEL_OK[] = "HTTP/1.1 200 Connection established\r\n\r\n";

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void release(struct conn *c)
{
        close_fd(&c->cfd);
        close_fd(&c->ufd);
        buf_free(&c->c2u);
        buf_free(&c->u2c);
        if (c->res)
                freeaddrinfo(c->res);
        c->res = c->next = NULL;
        /* A lookup still running writes into c->gai: the slot stays taken until it ends. */
        if (c->gai_pending && gai_cancel(&c->gai) == EAI_NOTCANCELED) {
                c->st = C_ZOMBIE;
                return;
        }
        if (c->gai_pending && c->gai.ar_result)
                freeaddrinfo(c->gai.ar_result);
        c->gai_pending = false;
        c->st = C_FREE;
}

static void report(struct proxy_ctx *p, struct conn *c, bool allowed, const char *reason)
{
        struct net_event ev = {
                .via = c->via, .dest = c->dest, .addr = c->addr, .port = c->port, .allowed = allowed,
                .rule = allowed ? c->rule : -1, .reason = reason, .bytes_in = c->bytes_in,
                .bytes_out = c->bytes_out, .duration_ms = p->now - c->t0,
        };
        (void)net_events_push(&p->events, &ev);
}

/* An error answer to the client, then close. Forwards have no HTTP to answer in. */
static void answer(struct proxy_ctx *p, struct conn *c, int status, const char *why)
{
        close_fd(&c->ufd);
        buf_reset(&c->u2c);
        if (c->fwd >= 0 || http_error_response(&c->u2c, status, why) < 0) {
                release(c);
                return;
        }
        c->st = C_ANSWER;
        c->deadline = p->now + CONN_ANSWER_TIMEOUT_MS;
}

static void refuse(struct proxy_ctx *p, struct conn *c, const char *why)
{
        report(p, c, false, why);
        answer(p, c, 403, why);
}

/* ---- connecting ---- */

static void try_next(struct proxy_ctx *p, struct conn *c)
{
        while (c->next) {
                struct addrinfo *ai = c->next;
                c->next = ai->ai_next;
                struct net_addr a;
                if (!net_addr_from_sockaddr(ai->ai_addr, &a))
                        continue;
                const char *why = NULL;
                int rule = net_allow_decide(&p->plan->allow, c->dest, c->literal, &a, c->port, &why);
                if (rule < 0) {
                        if (!c->why) {
                                c->why = why;
                                net_addr_text(&a, c->addr, sizeof(c->addr));
                        }
                        continue;
                }
                int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd >= 0 && (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS)) {
                        c->ufd = fd;
                        c->rule = rule;
                        net_addr_text(&a, c->addr, sizeof(c->addr));
                        c->st = C_CONNECT;
                        c->deadline = p->now + CONN_CONNECT_TIMEOUT_MS;
                        return;
                }
                c->last_errno = errno;
                c->rule = rule;
                net_addr_text(&a, c->addr, sizeof(c->addr));
                if (fd >= 0)
                        close(fd);
        }
        if (c->rule < 0) {
                refuse(p, c, c->why ? c->why : "the name has no address");
                return;
        }
        /* Allowed, but nothing answered: audited as an allowed attempt that failed. */
        char why[96];
        snprintf(why, sizeof(why), "cannot connect: %s", strerror(c->last_errno ? c->last_errno : ETIMEDOUT));
        report(p, c, true, why);
        answer(p, c, c->last_errno == ETIMEDOUT ? 504 : 502, why);
}

static void candidates(struct proxy_ctx *p, struct conn *c, struct addrinfo *res)
{
        c->res = c->next = res;
        try_next(p, c);
}

static void lookup(struct proxy_ctx *p, struct conn *c)
{
        snprintf(c->service, sizeof(c->service), "%d", c->port);
        c->hints = (struct addrinfo){ .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                      .ai_flags = AI_NUMERICSERV | (c->literal ? AI_NUMERICHOST : 0) };
        if (c->literal) {
                struct addrinfo *res = NULL;
                if (getaddrinfo(c->dest, c->service, &c->hints, &res) != 0) {
                        refuse(p, c, "invalid address");
                        return;
                }
                candidates(p, c, res);
                return;
        }
        /* Only a name some rule lists is ever looked up (no DNS exfiltration). A lookup
         * that fails is audited as an allowed attempt that failed, not as a refusal. */
        c->rule = net_allow_match_name(&p->plan->allow, c->dest, c->port);
        if (c->rule < 0) {
                refuse(p, c, "not in network.allow");
                return;
        }
        c->gai = (struct gaicb){ .ar_name = c->dest, .ar_service = c->service, .ar_request = &c->hints };
        struct gaicb *list[1] = { &c->gai };
        int r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
        if (r != 0) {
                report(p, c, true, gai_strerror(r));
                answer(p, c, 502, "name lookup failed");
                return;
        }
        c->gai_pending = true;
        c->st = C_RESOLVE;
        c->deadline = p->now + CONN_RESOLVE_TIMEOUT_MS;
}

static void resolved(struct proxy_ctx *p, struct conn *c)
{
        int r = gai_error(&c->gai);
        if (r == EAI_INPROGRESS)
                return;
        c->gai_pending = false;
        if (c->st == C_ZOMBIE) {
                if (r == 0 && c->gai.ar_result)
                        freeaddrinfo(c->gai.ar_result);
                c->st = C_FREE;
                return;
        }
        if (r != 0) {
                char why[96];
                snprintf(why, sizeof(why), "name lookup failed: %s", gai_strerror(r));
                report(p, c, true, why);
                answer(p, c, 502, why);
                return;
        }
        /* the name admitted the lookup; each address is decided on its own now */
        c->rule = -1;
        struct addrinfo *res = c->gai.ar_result;
        c->gai.ar_result = NULL;
        candidates(p, c, res);
}

void conn_start(struct proxy_ctx *p, struct conn *c, int fd, int fwd)
{
        *c = (struct conn){ .st = C_HEAD, .cfd = fd, .ufd = -1, .fwd = fwd, .rule = -1, .t0 = p->now,
                            .deadline = p->now + CONN_HEAD_TIMEOUT_MS };
        if (fwd < 0) {
                snprintf(c->via, sizeof(c->via), "proxy");
                return;
        }
        const struct net_forward *f = &p->plan->fwd[fwd];
        snprintf(c->via, sizeof(c->via), "forward %s", f->listen_text);
        snprintf(c->dest, sizeof(c->dest), "%s", f->host);
        c->literal = f->literal;
        c->port = f->port;
        lookup(p, c);
}


/* ---- the request head (proxy only) ---- */

static void head(struct proxy_ctx *p, struct conn *c)
{
        if (buf_reserve(&c->c2u, HTTP_HEAD_MAX) < 0) {
                release(c);
                return;
        }
        ssize_t n = read(c->cfd, c->c2u.data + c->c2u.len, HTTP_HEAD_MAX - c->c2u.len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                release(c);
                return;
        }
        c->c2u.len += (size_t)n;
        struct http_request req = { .port = 0 };
        int status = 0;
        const char *why = NULL;
        int len = http_parse_head(c->c2u.data, c->c2u.len, &req, &status, &why);
        if (len == 0) {
                buf_free(&req.head);
                return;
        }
        if (len < 0) {
                /* Not a destination yet: answered, not audited as a connection. */
                buf_free(&req.head);
                answer(p, c, status, why);
                return;
        }
        memcpy(c->dest, req.host, sizeof(c->dest));
        c->literal = req.literal;
        c->port = req.port;
        c->tunnel = req.kind == HTTP_CONNECT;
        /* What follows the head (a body, or a TLS ClientHello sent early) goes on as it is;
         * a plain-HTTP request goes first, rewritten to origin form. */
        buf_consume(&c->c2u, (size_t)len);
        if (!c->tunnel) {
                if (buf_append(&req.head, c->c2u.data, c->c2u.len) < 0) {
                        buf_free(&req.head);
                        release(c);
                        return;
                }
                buf_free(&c->c2u);
                c->c2u = req.head;
        } else {
                buf_free(&req.head);
        }
        lookup(p, c);
}

/* ---- relaying ---- */

static bool pull(int fd, struct buf *b, uint64_t *count, bool *eof)
{
        if (*eof || b->len >= CONN_BUF || buf_reserve(b, CONN_BUF - b->len) < 0)
                return true;
        ssize_t n = read(fd, b->data + b->len, CONN_BUF - b->len);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR;
        if (n == 0)
                *eof = true;
        b->len += (size_t)n;
        *count += (uint64_t)n;
        return true;
}

static bool push(int fd, struct buf *b)
{
        if (!b->len)
                return true;
        ssize_t n = send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR;
        buf_consume(b, (size_t)n);
        if (!b->len && b->cap > CONN_BUF)
                buf_free(b);
        return true;
}

static void finish(struct proxy_ctx *p, struct conn *c, const char *reason)
{
        report(p, c, true, reason);
        release(c);
}

static void relay(struct proxy_ctx *p, struct conn *c)
{
        size_t before = c->c2u.len + c->u2c.len;
        uint64_t in = c->bytes_in, out_from_client = 0;
        bool c_eof = c->c_eof;
        if (!pull(c->cfd, &c->c2u, &out_from_client, &c->c_eof) || !pull(c->ufd, &c->u2c, &c->bytes_in, &c->u_eof)) {
                finish(p, c, "connection reset");
                return;
        }
        size_t queued = c->c2u.len;
        if (!push(c->ufd, &c->c2u) || !push(c->cfd, &c->u2c)) {
                finish(p, c, "connection reset");
                return;
        }
        c->bytes_out += queued - c->c2u.len;
        if (c->c_eof && !c->c2u.len && !c->u_shut) {
                shutdown(c->ufd, SHUT_WR);
                c->u_shut = true;
        }
        if (c->u_eof && !c->u2c.len) {
                finish(p, c, NULL);
                return;
        }
        if (before != c->c2u.len + c->u2c.len || in != c->bytes_in || out_from_client || c_eof != c->c_eof)
                c->deadline = p->now + CONN_IDLE_TIMEOUT_MS;
}

static void connected(struct proxy_ctx *p, struct conn *c)
{
        int e = 0;
        socklen_t len = sizeof(e);
        if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                e = errno;
        if (e == EINPROGRESS || e == EALREADY)
                return;
        if (e) {
                close_fd(&c->ufd);
                c->last_errno = e;
                try_next(p, c);
                return;
        }
        if (c->tunnel && buf_append(&c->u2c, TUNNEL_OK, sizeof(TUNNEL_OK) - 1) < 0) {
                finish(p, c, "out of memory");
                return;
        }
        c->st = C_RELAY;
        c->deadline = p->now + CONN_IDLE_TIMEOUT_MS;
        relay(p, c);
}

static void answering(struct conn *c)
{
        if (!push(c->cfd, &c->u2c) || !c->u2c.len)
                release(c);
}

void conn_io(struct proxy_ctx *p, struct conn *c, short crev, short urev)
{
        switch (c->st) {
        case C_HEAD: if (crev) head(p, c); break;
        case C_CONNECT: if (urev) connected(p, c); break;
        case C_RELAY: relay(p, c); break;
        case C_ANSWER: if (crev) answering(c); break;
        case C_FREE: case C_RESOLVE: case C_ZOMBIE:
        default: break;
        }
}

void conn_tick(struct proxy_ctx *p, struct conn *c)
{
        if (c->gai_pending) {
                resolved(p, c);
                if (c->st == C_FREE)
                        return;
        }
        if (c->st == C_FREE || c->st == C_ZOMBIE || p->now < c->deadline)
                return;
        switch (c->st) {
        case C_RESOLVE:
                report(p, c, true, "name lookup timed out");
                answer(p, c, 504, "name lookup timed out");
                break;
        case C_CONNECT:
                close_fd(&c->ufd);
                c->last_errno = ETIMEDOUT;
                try_next(p, c);
                break;
        case C_RELAY: finish(p, c, "idle timeout"); break;
        case C_HEAD: case C_ANSWER: default: release(c); break;
        }
}

void conn_want(const struct conn *c, short *cev, short *uev)
{
        *cev = *uev = 0;
        switch (c->st) {
        case C_HEAD: *cev = POLLIN; break;
        case C_CONNECT: *uev = POLLOUT; break;
        case C_ANSWER: *cev = POLLOUT; break;
        case C_RELAY:
                *cev = (short)((!c->c_eof && c->c2u.len < CONN_BUF ? POLLIN : 0) | (c->u2c.len ? POLLOUT : 0));
                *uev = (short)((!c->u_eof && c->u2c.len < CONN_BUF ? POLLIN : 0) | (c->c2u.len ? POLLOUT : 0));
                break;
        case C_FREE: case C_RESOLVE: case C_ZOMBIE:
        default: break;
        }
}

void conn_abort(struct proxy_ctx *p, struct conn *c)
{
        if (c->st == C_RELAY)
                finish(p, c, "mcpcage stopped");
        else if (c->st != C_FREE && c->st != C_ZOMBIE)
                release(c);
}
