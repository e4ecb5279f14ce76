#include "net/http.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The headers that describe the hop to the proxy, not the request: dropped, and replaced
 * by one "Connection: close" (a kept-alive connection could carry a second request for
 * another host past the check). */
static const char *const HOP_HEADERS[] = {
        "connection", "proxy-connection", "proxy-authorization", "keep-alive", "upgrade", "te", NULL,
};

struct cursor {
        const char *p, *end;
};

static int fail(int code, const char *text, int *status, const char **why)
{
        *status = code;
        *why = text;
        return -1;
}

bool http_valid_host(const char *host, bool *literal)
{
        struct net_addr a;
        size_t n = strlen(host);
        *literal = false;
        if (n == 0 || n > NET_NAME_MAX)
                return false;
        if (strchr(host, ':')) {
                *literal = true;
                return net_addr_parse(host, &a) && a.family == AF_INET6;
        }
        if (strspn(host, "0123456789.") == n) {
                *literal = true;
                return net_addr_parse(host, &a);
        }
        if (host[0] == '.' || host[0] == '-')
                return false;
        for (const char *c = host; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
                        return false;
        return true;
}

/* "host:port", "[v6]:port", or without the port when dflt > 0. */
static bool parse_authority(const char *s, size_t n, int dflt, struct http_request *req)
{
        char buf[NET_NAME_MAX + 16];
        if (n == 0 || n >= sizeof(buf) || memchr(s, '@', n))
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        char *host = buf, *port = NULL;
        if (buf[0] == '[') {
                char *close = strchr(buf, ']');
                if (!close || (close[1] && close[1] != ':'))
                        return false;
                *close = '\0';
                host = buf + 1;
                port = close[1] == ':' ? close + 2 : NULL;
        } else if ((port = strrchr(buf, ':'))) {
                *port++ = '\0';
        }
        long p = dflt;
        if (port) {
                char *end;
                if (!isdigit((unsigned char)port[0]) || strlen(port) > 5)
                        return false;
                p = strtol(port, &end, 10);
                if (*end)
                        return false;
        }
        if (p < 1 || p > 65535 || strlen(host) > NET_NAME_MAX || !http_valid_host(host, &req->literal))
                return false;
        /* a bracket-less IPv6 literal would be ambiguous with the port */
        if (strchr(host, ':') && buf[0] != '[')
                return false;
        memcpy(req->host, host, strlen(host) + 1);
        req->port = (int)p;
        return true;
}

static bool token_char(char c)
{
        return isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c);
}

/* One line up to CRLF (exclusive); false when a bare CR/LF or a NUL is inside. */
static bool next_line(struct cursor *c, const char **line, size_t *n)
{
        const char *eol = c->p;
        while (eol + 1 < c->end && !(eol[0] == '\r' && eol[1] == '\n')) {
                if (*eol == '\r' || *eol == '\n' || *eol == '\0')
                        return false;
                eol++;
        }
        if (eol + 1 >= c->end)
                return false;
        *line = c->p;
        *n = (size_t)(eol - c->p);
        c->p = eol + 2;
        return true;
}

static int request_line(const char *line, size_t n, struct http_request *req, const char **path,
                        size_t *path_n, int *status, const char **why)
{
        const char *sp1 = memchr(line, ' ', n);
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line + n - sp1 - 1)) : NULL;
        if (!sp1 || !sp2 || sp1 == line || sp1 - line > 16)
                return fail(400, "malformed request line", status, why);
        const char *version = sp2 + 1;
        size_t vn = (size_t)(line + n - version);
        if (vn != 8 || (memcmp(version, "HTTP/1.1", 8) && memcmp(version, "HTTP/1.0", 8)))
                return fail(400, "only HTTP/1.0 and HTTP/1.1 requests", status, why);
        for (const char *m = line; m < sp1; m++)
                if (!isupper((unsigned char)*m))
                        return fail(400, "malformed method", status, why);
        const char *target = sp1 + 1;
        size_t tn = (size_t)(sp2 - target);
        if ((size_t)(sp1 - line) == 7 && !memcmp(line, "CONNECT", 7)) {
                req->kind = HTTP_CONNECT;
                if (!parse_authority(target, tn, 0, req))
                        return fail(400, "CONNECT needs host:port", status, why);
                return 0;
        }
        req->kind = HTTP_FORWARD;
        if (tn >= 8 && !strncasecmp(target, "https://", 8))
                return fail(501, "https:// URLs go through CONNECT", status, why);
        if (tn < 7 || strncasecmp(target, "http://", 7))
                return fail(400, "a proxy request needs an absolute http:// URL", status, why);
        const char *auth = target + 7;
        size_t an = strcspn(auth, "/?# ");
        if (an > (size_t)(sp2 - auth))
                an = (size_t)(sp2 - auth);
        if (!parse_authority(auth, an, 80, req))
                return fail(400, "invalid host in the URL", status, why);
        *path = auth + an;
        *path_n = (size_t)(sp2 - *path);
        return 0;
}

static bool hop_header(const char *name, size_t n)
{
        for (const char *const *h = HOP_HEADERS; *h; h++)
                if (strlen(*h) == n && !strncasecmp(*h, name, n))
                        return true;
        return false;
}

static bool named(const char *line, size_t colon, const char *name)
{
        return strlen(name) == colon && !strncasecmp(line, name, colon);
}

static int headers(struct cursor *c, struct http_request *req, int *status, const char **why)
{
        bool host = false, te = false, cl = false;
        const char *line;
        size_t n;
        for (;;) {
                if (!next_line(c, &line, &n))
                        return fail(400, "malformed header", status, why);
                if (n == 0)
                        break;
                const char *colon = memchr(line, ':', n);
                if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
                        return fail(400, "malformed header", status, why);
                size_t k = (size_t)(colon - line);
                for (size_t i = 0; i < k; i++)
                        if (!token_char(line[i]))
                                return fail(400, "malformed header name", status, why);
                host |= named(line, k, "host");
                te |= named(line, k, "transfer-encoding");
                /* two lengths, or a length and chunking, let two parsers disagree on
                 * where the request ends (request smuggling) */
                if (named(line, k, "content-length") && (cl || te))
                        return fail(400, "ambiguous request length", status, why);
                cl |= named(line, k, "content-length");
                if (req->kind == HTTP_FORWARD && !hop_header(line, k) &&
                    (buf_append(&req->head, line, n) < 0 || buf_append(&req->head, "\r\n", 2) < 0))
                        return fail(500, "out of memory", status, why);
        }
        if (te && cl)
                return fail(400, "ambiguous request length", status, why);
        if (req->kind == HTTP_FORWARD && !host) {
                bool v6 = strchr(req->host, ':') != NULL;
                if (buf_printf(&req->head, "Host: %s%s%s:%d\r\n", v6 ? "[" : "", req->host, v6 ? "]" : "",
                               req->port) < 0)
                        return fail(500, "out of memory", status, why);
        }
        return 0;
}

/* "METHOD /path?query HTTP/1.x": the URL without scheme, authority and fragment. */
static int origin_line(struct http_request *req, const char *line, size_t n, const char *path,
                       size_t path_n)
{
        const char *hash = memchr(path, '#', path_n);
        if (hash)
                path_n = (size_t)(hash - path);
        size_t method = (size_t)((const char *)memchr(line, ' ', n) - line);
        if (buf_append(&req->head, line, method + 1) < 0)
                return -ENOMEM;
        if ((path_n == 0 || path[0] != '/') && buf_append(&req->head, "/", 1) < 0)
                return -ENOMEM;
        if (buf_append(&req->head, path, path_n) < 0 || buf_append(&req->head, " ", 1) < 0 ||
            buf_append(&req->head, line + n - 8, 8) < 0 || buf_append(&req->head, "\r\n", 2) < 0)
                return -ENOMEM;
        return 0;
}

static const char *find_end(const char *data, size_t len)
{
        for (size_t i = 3; i < len; i++)
                if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' && data[i - 3] == '\r')
                        return data + i + 1;
        return NULL;
}

int http_parse_head(const char *data, size_t len, struct http_request *req, int *status,
                    const char **why)
{
        size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
        const char *end = find_end(data, scan);
        if (!end)
                return len >= HTTP_HEAD_MAX ? fail(431, "request head too large", status, why) : 0;
        struct cursor c = { .p = data, .end = end };
        const char *line, *path = NULL;
        size_t n, path_n = 0;
        if (!next_line(&c, &line, &n))
                return fail(400, "malformed request line", status, why);
        if (request_line(line, n, req, &path, &path_n, status, why) < 0)
                return -1;
        if (req->kind == HTTP_FORWARD && origin_line(req, line, n, path, path_n) < 0)
                return fail(500, "out of memory", status, why);
        if (headers(&c, req, status, why) < 0)
                return -1;
        if (req->kind == HTTP_FORWARD && buf_append_str(&req->head, "Connection: close\r\n\r\n") < 0)
                return fail(500, "out of memory", status, why);
        return (int)(end - data);
}

static const char *reason_phrase(int status)
{
        switch (status) {
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Error";
        }
}

int http_error_response(struct buf *out, int status, const char *why)
{
        size_t body = strlen("mcpcage: \n") + strlen(why);
        return buf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                          "Content-Length: %zu\r\n\r\nmcpcage: %s\n", status, reason_phrase(status), body, why);
}
