/* src/net: network.allow matching (names, "*.domain", CIDR, ports, the addresses a name
 * may never reach) and the proxy's request-head parser (both request forms, the limits,
 * the malformed and ambiguous heads it refuses). */
#include <string.h>

#include "net/allow.h"
#include "net/http.h"
#include "tap.h"

static struct net_allow allow_of(const char *json)
{
        struct net_allow a;
        struct mc_error err = { 0 };
        json_t *list = json_loads(json, 0, NULL);
        if (net_allow_parse(list, &a, &err) < 0)
                printf("# parse failed: %s\n", err.msg);
        json_decref(list);
        return a;
}

static int decide(const struct net_allow *a, const char *dest, const char *addr, int port)
{
        struct net_addr na;
        const char *why;
        bool literal = !strcmp(dest, addr);
        if (!net_addr_parse(addr, &na))
                return -2;
        return net_allow_decide(a, dest, literal, &na, port, &why);
}

static void test_allow(void)
{
        struct net_allow a = allow_of("[\"api.example.com:443\", \"*.cdn.example.org:*\", "
                                      "\"10.0.0.0/8:5432\", \"[::1]:8080\", \"localhost:9000\", "
                                      "\"127.0.0.1:9001\", \"ok.test:9001\"]");
        tap_ok(a.n == 7, "seven rules parsed");
        tap_ok(net_allow_match_name(&a, "api.example.com", 443) == 0, "exact name and port");
        tap_ok(net_allow_match_name(&a, "API.Example.COM.", 443) == 0, "case and one trailing dot");
        tap_ok(net_allow_match_name(&a, "api.example.com", 80) < 0, "other port refused");
        tap_ok(net_allow_match_name(&a, "x.api.example.com", 443) < 0, "a plain name covers no subdomain");
        tap_ok(net_allow_match_name(&a, "a.b.cdn.example.org", 1) == 1, "*.domain matches deeper names, any port");
        tap_ok(net_allow_match_name(&a, "cdn.example.org", 443) < 0, "*.domain does not match the apex");
        tap_ok(net_allow_match_name(&a, "evilcdn.example.org", 443) < 0, "*.domain is a label boundary");
        tap_ok(decide(&a, "api.example.com", "93.184.216.34", 443) == 0, "allowed name, public address");
        tap_ok(decide(&a, "api.example.com", "127.0.0.1", 443) < 0, "allowed name resolving to loopback refused");
        tap_ok(decide(&a, "api.example.com", "169.254.169.254", 443) < 0, "... to the metadata address refused");
        tap_ok(decide(&a, "api.example.com", "::ffff:127.0.0.1", 443) < 0, "... to v4-mapped loopback refused");
        tap_ok(decide(&a, "api.example.com", "fe80::1", 443) < 0, "... to IPv6 link-local refused");
        tap_ok(decide(&a, "api.example.com", "0.0.0.0", 443) < 0, "... to 0.0.0.0 refused");
        tap_ok(decide(&a, "localhost", "127.0.0.1", 9000) < 0, "localhost listed by name only: refused");
        tap_ok(decide(&a, "ok.test", "127.0.0.1", 9001) == 5, "a name resolving to a listed address: allowed");
        tap_ok(decide(&a, "10.1.2.3", "10.1.2.3", 5432) == 2, "literal inside a CIDR rule");
        tap_ok(decide(&a, "11.1.2.3", "11.1.2.3", 5432) < 0, "literal outside it");
        tap_ok(decide(&a, "10.1.2.3", "10.1.2.3", 5433) < 0, "CIDR rule, other port");
        tap_ok(decide(&a, "::1", "::1", 8080) == 3, "IPv6 literal rule");
        tap_ok(decide(&a, "127.0.0.1", "127.0.0.1", 9000) < 0, "an address never matches a name rule");
        net_allow_clear(&a);

        a = allow_of("[\"*:443\"]");
        tap_ok(net_allow_match_name(&a, "anything.example", 443) == 0, "\"*\" any name on the port");
        tap_ok(decide(&a, "1.2.3.4", "1.2.3.4", 443) < 0, "\"*\" admits no address literal");
        net_allow_clear(&a);

        struct mc_error err = { 0 };
        json_t *bad = json_loads("[\"nope\"]", 0, NULL);
        tap_ok(net_allow_parse(bad, &a, &err) < 0 && strstr(err.msg, "/network/allow/0"),
               "an invalid entry names its pointer");
        json_decref(bad);
}

static int parse(const char *head, struct http_request *req, int *status)
{
        const char *why;
        memset(req, 0, sizeof(*req));
        return http_parse_head(head, strlen(head), req, status, &why);
}

static void test_http(void)
{
        struct http_request r;
        int status = 0;
        const char *h = "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\nTLS";
        int n = parse(h, &r, &status);
        tap_ok(n == (int)strlen(h) - 3 && r.kind == HTTP_CONNECT && !strcmp(r.host, "api.example.com") &&
               r.port == 443 && !r.literal, "CONNECT name:port, the early bytes left over");
        buf_free(&r.head);
        n = parse("CONNECT [::1]:8443 HTTP/1.1\r\n\r\n", &r, &status);
        tap_ok(n > 0 && !strcmp(r.host, "::1") && r.literal && r.port == 8443, "CONNECT [v6]:port");
        buf_free(&r.head);

        n = parse("GET http://example.com:8080/a/b?c=d#frag HTTP/1.1\r\nHost: example.com:8080\r\n"
                  "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nAccept: */*\r\n\r\n",
                  &r, &status);
        buf_append(&r.head, "", 1);
        tap_ok(n > 0 && r.kind == HTTP_FORWARD && r.port == 8080, "absolute-URI GET");
        tap_is_str(r.head.data, "GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n"
                   "Connection: close\r\n\r\n", "rewritten to origin form, hop headers dropped");
        buf_free(&r.head);
        n = parse("GET http://127.0.0.1 HTTP/1.0\r\n\r\n", &r, &status);
        buf_append(&r.head, "", 1);
        tap_ok(n > 0 && r.port == 80 && r.literal, "default port 80, literal");
        tap_is_str(r.head.data, "GET / HTTP/1.0\r\nHost: 127.0.0.1:80\r\nConnection: close\r\n\r\n",
                   "empty path and a missing Host filled in");
        buf_free(&r.head);

        tap_ok(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n", &r, &status) == 0, "incomplete: need more");
        buf_free(&r.head);
        static const struct { const char *head; int status; const char *name; } bad[] = {
                { "CONNECT example.com HTTP/1.1\r\n\r\n", 400, "CONNECT without a port" },
                { "CONNECT user@example.com:443 HTTP/1.1\r\n\r\n", 400, "userinfo" },
                { "CONNECT exa mple.com:443 HTTP/1.1\r\n\r\n", 400, "space in the target" },
                { "CONNECT example.com:99999 HTTP/1.1\r\n\r\n", 400, "port out of range" },
                { "CONNECT ::1:443 HTTP/1.1\r\n\r\n", 400, "unbracketed IPv6" },
                { "GET /relative HTTP/1.1\r\n\r\n", 400, "origin-form request to a proxy" },
                { "GET https://example.com/ HTTP/1.1\r\n\r\n", 501, "https:// without CONNECT" },
                { "GET http://ok.com@evil.com/ HTTP/1.1\r\n\r\n", 400, "userinfo trick" },
                { "GET http://example.com/ HTTP/2.0\r\n\r\n", 400, "HTTP/2 request line" },
                { "GET http://example.com/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400, "obsolete line folding" },
                { "GET http://example.com/ HTTP/1.1\r\nBad Header: a\r\n\r\n", 400, "space in a header name" },
                { "GET http://example.com/ HTTP/1.1\nHost: x\r\n\r\n", 400, "bare LF" },
                { "POST http://example.com/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                  400, "Content-Length and Transfer-Encoding" },
                { "POST http://example.com/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                  400, "two Content-Length" },
                { "get http://example.com/ HTTP/1.1\r\n\r\n", 400, "lower-case method" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                status = 0;
                n = parse(bad[i].head, &r, &status);
                tap_ok(n < 0 && status == bad[i].status, "refused (%d): %s", bad[i].status, bad[i].name);
                buf_free(&r.head);
        }
        char big[HTTP_HEAD_MAX + 100];
        memset(big, 'a', sizeof(big));
        memcpy(big, "GET http://example.com/", 23);
        big[sizeof(big) - 1] = '\0';
        tap_ok(parse(big, &r, &status) < 0 && status == 431, "a head past the bound: 431");
        buf_free(&r.head);

        struct buf out = { 0 };
        http_error_response(&out, 403, "not in network.allow");
        buf_append(&out, "", 1);
        tap_ok(!strncmp(out.data, "HTTP/1.1 403 Forbidden\r\n", 24) && strstr(out.data, "\r\n\r\nmcpcage: not in network.allow\n"),
               "the 403 answer says why");
        buf_free(&out);
}

int main(void)
{
        test_allow();
        test_http();
        return tap_done();
}
