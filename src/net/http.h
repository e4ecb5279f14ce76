/* The proxy's HTTP front: the request head of one client connection, parsed strictly and
 * within a fixed bound, because the client is the confined server (hostile input). Two
 * forms are accepted: "CONNECT host:port HTTP/1.x" (a tunnel, what HTTPS clients send)
 * and an absolute-URI request "GET http://host[:port]/path HTTP/1.x" (plain HTTP through
 * a proxy), which is rewritten to origin form with "Connection: close", so one client
 * connection carries one request to one checked destination. Everything after the head is
 * streamed as it is; no body is parsed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "net/allow.h"
#include "util/buf.h"

#define HTTP_HEAD_MAX 8192

enum http_kind { HTTP_CONNECT, HTTP_FORWARD };

struct http_request {
        enum http_kind kind;
        char host[NET_NAME_MAX + 1];    /* a name, or an address literal without brackets */
        bool literal;
        int port;
        struct buf head;                /* HTTP_FORWARD: the head to send upstream */
};

/* Parses the head at the start of data[0..len). Returns the head's length (> 0) when
 * complete, 0 when more bytes are needed (and len < HTTP_HEAD_MAX), or -1 with *status
 * (400, 405, 431, 501) and *why (static text) for the error answer. req->head must be
 * freed by the caller (also after -1). */
int http_parse_head(const char *data, size_t len, struct http_request *req, int *status,
                    const char **why);

/* A complete error response (Connection: close, text body "mcpcage: <why>") into out. */
int http_error_response(struct buf *out, int status, const char *why);

/* Validates a destination host as the proxy accepts it: a DNS name of letters, digits,
 * '-', '_' and '.', or an address literal (IPv6 without brackets). Sets *literal. */
bool http_valid_host(const char *host, bool *literal);
