/* A fast MCP-like stdio server for the benchmarks. It must cost as little as possible so
 * the figures measure the relay, not the server: no JSON library, a minimal scan of each
 * request line for the raw id, the method and (for tools/call) the tool name, and plain
 * read/write loops with no stdio buffering.
 *
 * It answers: initialize, ping, tools/list (tools "echo" and "big"), tools/call echo (a small
 * result) and tools/call big {"bytes":N} (one result line carrying N bytes of text, built
 * once per distinct N). Notifications and responses get no answer; any other request gets
 * -32601. The request's id is copied into the response byte for byte. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_LINE (64u << 20)
#define MAX_BIG (32u << 20)

struct token {
        const char *p;
        size_t n;
};

struct out {
        char *buf;
        size_t len, cap;
};

static char *big_text;  /* the pre-built text of the last "big" size asked for */
static size_t big_len;

static void die(const char *what)
{
        dprintf(2, "fixture_server: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void write_all(const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(1, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        die("write");
                p += w;
                n -= (size_t)w;
        }
}

static void out_add(struct out *o, const char *p, size_t n)
{
        if (o->len + n > o->cap) {
                size_t cap = o->cap ? o->cap : 65536;
                while (cap < o->len + n)
                        cap *= 2;
                char *b = realloc(o->buf, cap);
                if (!b)
                        die("realloc");
                o->buf = b;
                o->cap = cap;
        }
        memcpy(o->buf + o->len, p, n);
        o->len += n;
}

static void out_str(struct out *o, const char *s) { out_add(o, s, strlen(s)); }

static void out_flush(struct out *o)
{
        write_all(o->buf, o->len);
        o->len = 0;
}

/* The raw value after `"key":` (skipping blanks): a string with its quotes, or a bare
 * token up to , } ] or a blank. The first occurrence wins, which is the top-level one for
 * the requests the benchmark client and mcpcage send. */
static struct token find_value(const char *line, size_t len, const char *key)
{
        struct token t = { NULL, 0 };
        size_t klen = strlen(key);
        const char *end = line + len;
        const char *k = memmem(line, len, key, klen);
        if (!k)
                return t;
        const char *p = k + klen;
        while (p < end && (*p == ' ' || *p == '\t' || *p == ':'))
                p++;
        if (p >= end)
                return t;
        const char *v = p;
        if (*p == '"') {
                for (p++; p < end && *p != '"'; p++)
                        if (*p == '\\')
                                p++;
                if (p >= end)
                        return t;
                p++;
        } else {
                while (p < end && !strchr(",}] \t\r", *p))
                        p++;
        }
        t.p = v;
        t.n = (size_t)(p - v);
        return t;
}

static bool token_is(struct token t, const char *s)
{
        return t.p && t.n == strlen(s) && !memcmp(t.p, s, t.n);
}

static void begin_result(struct out *o, struct token id)
{
        out_str(o, "{\"jsonrpc\":\"2.0\",\"id\":");
        out_add(o, id.p, id.n);
        out_str(o, ",\"result\":");
}

static void answer_initialize(struct out *o, struct token id, const char *line, size_t len)
{
        struct token ver = find_value(line, len, "\"protocolVersion\"");
        begin_result(o, id);
        out_str(o, "{\"protocolVersion\":");
        if (ver.p && ver.p[0] == '"')
                out_add(o, ver.p, ver.n);
        else
                out_str(o, "\"2025-06-18\"");
        out_str(o, ",\"capabilities\":{\"tools\":{}},"
                   "\"serverInfo\":{\"name\":\"mcpcage-bench-fixture\",\"version\":\"1.0.0\"}}}\n");
}

static const char tools_list[] =
        "{\"tools\":["
        "{\"name\":\"echo\",\"description\":\"Answer with a short text.\","
        "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}},"
        "{\"name\":\"big\",\"description\":\"Answer with N bytes of plain text.\","
        "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"bytes\":{\"type\":\"integer\"}},"
        "\"required\":[\"bytes\"]}}]}}\n";

/* Plain prose, so secret and injection scanners see ordinary text, not a pathological
 * input (a run of one character, a high-entropy blob). */
static void build_big(size_t n)
{
        static const char words[] = "the relay copies plain text from the server to the host "
                                    "and every line is read once before it is written out. ";
        if (big_text && big_len == n)
                return;
        free(big_text);
        big_text = malloc(n ? n : 1);
        if (!big_text)
                die("malloc");
        for (size_t i = 0; i < n; i++)
                big_text[i] = words[i % (sizeof(words) - 1)];
        big_len = n;
}

static void answer_big(struct out *o, struct token id, const char *line, size_t len)
{
        struct token b = find_value(line, len, "\"bytes\"");
        size_t n = b.p ? strtoul(b.p, NULL, 10) : 0;
        if (n > MAX_BIG)
                n = MAX_BIG;
        build_big(n);
        begin_result(o, id);
        out_str(o, "{\"content\":[{\"type\":\"text\",\"text\":\"");
        out_flush(o);
        write_all(big_text, big_len);
        out_str(o, "\"}]}}\n");
}

static void answer_error(struct out *o, struct token id)
{
        out_str(o, "{\"jsonrpc\":\"2.0\",\"id\":");
        out_add(o, id.p, id.n);
        out_str(o, ",\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n");
}

static void handle_line(struct out *o, const char *line, size_t len)
{
        struct token id = find_value(line, len, "\"id\"");
        struct token method = find_value(line, len, "\"method\"");
        if (!id.p || !method.p)
                return;         /* a notification, or a response to nothing we asked */
        if (token_is(method, "\"tools/call\"")) {
                struct token name = find_value(line, len, "\"name\"");
                if (token_is(name, "\"big\"")) {
                        answer_big(o, id, line, len);
                } else if (token_is(name, "\"echo\"")) {
                        begin_result(o, id);
                        out_str(o, "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}\n");
                } else {
                        answer_error(o, id);
                }
        } else if (token_is(method, "\"initialize\"")) {
                answer_initialize(o, id, line, len);
        } else if (token_is(method, "\"tools/list\"")) {
                begin_result(o, id);
                out_str(o, tools_list);
        } else if (token_is(method, "\"ping\"")) {
                begin_result(o, id);
                out_str(o, "{}}\n");
        } else {
                answer_error(o, id);
        }
}

int main(void)
{
        size_t cap = 1u << 20, start = 0, end = 0;
        char *in = malloc(cap);
        struct out o = { 0 };
        if (!in)
                die("malloc");
        for (;;) {
                if (end == cap) {
                        if (start > 0) {
                                memmove(in, in + start, end - start);
                                end -= start;
                                start = 0;
                        } else if (cap < MAX_LINE) {
                                char *p = realloc(in, cap *= 2);
                                if (!p)
                                        die("realloc");
                                in = p;
                        } else {
                                errno = EMSGSIZE;
                                die("request line");
                        }
                }
                ssize_t n = read(0, in + end, cap - end);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        die("read");
                if (n == 0)
                        break;
                size_t scan = end;
                end += (size_t)n;
                char *nl;
                while ((nl = memchr(in + scan, '\n', end - scan))) {
                        handle_line(&o, in + start, (size_t)(nl - (in + start)));
                        start = scan = (size_t)(nl - in) + 1;
                }
                /* One write for every answer to what one read brought in. */
                if (o.len)
                        out_flush(&o);
                if (start == end)
                        start = end = 0;
        }
        free(in);
        free(o.buf);
        free(big_text);
        return 0;
}
