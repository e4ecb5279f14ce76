/* The inspector driven with lines from both sides: verdicts (forward, drop, answer), the
 * in-flight tables (spoofed, repeated and `1`/`"1"` answers), both protocol eras, oversize
 * and malformed input, cancellation, drain, and the audit records it writes to a real
 * audit log (threats.md §4 rows). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inspect/inspector.h"
#include "tap.h"

#define L(lit) lit, sizeof(lit) - 1

static struct inspector *ins;
static struct audit *aud;
static char audit_path[] = "/tmp/test-inspector-audit-XXXXXX";
static struct verdict v;
static uint64_t clock_ns = 1000000000ULL;

static void host(const char *line, size_t len)
{
        clock_ns += 5000000;
        inspect_from_host(ins, line, len, clock_ns, &v);
}

static void server(const char *line, size_t len)
{
        clock_ns += 5000000;
        inspect_from_server(ins, line, len, clock_ns, &v);
}

static bool sender_has(const char *s)
{
        return v.to_sender->len && memmem(v.to_sender->data, v.to_sender->len, s, strlen(s));
}

static bool quiet(void)
{
        return !v.forward && v.to_sender->len == 0 && v.to_peer->len == 0;
}

/* The audit log so far: how many records contain every one of the given fragments. */
static int audit_count(const char *a, const char *b, const char *c)
{
        FILE *f = fopen(audit_path, "r");
        char line[8192];
        int n = 0;
        while (f && fgets(line, sizeof(line), f))
                if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
                        n++;
        if (f)
                fclose(f);
        return n;
}

static bool audit_contains(const char *s)
{
        return audit_count(s, NULL, NULL) > 0;
}

static void test_legacy_session(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
               "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"));
        tap_ok(v.forward && !v.to_sender->len, "initialize forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"protocolVersion\":\"2025-06-18\","
                 "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"s\",\"version\":\"1\"}}}"));
        tap_ok(v.forward, "initialize result forwarded");
        tap_ok(audit_count("\"event\":\"call\"", "\"method\":\"initialize\"", "\"status\":\"ok\"") == 1,
               "one call record for initialize");
        host(L("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
        tap_ok(v.forward, "initialized notification forwarded");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"login\","
               "\"arguments\":{\"user\":\"me\",\"password\":\"hunter2\"}}}"));
        tap_ok(v.forward, "tools/call forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
                 "\"nope\"}],\"isError\":true}}"));
        tap_ok(v.forward, "tool error result forwarded");
        tap_ok(audit_count("\"tool\":\"login\"", "\"status\":\"tool_error\"", "\"decision\":\"allow\"") == 1,
               "call record: tool, tool_error, allow");
        tap_ok(audit_contains("\"password\":\"sha256:f52fbd32b2b3\"") && !audit_contains("hunter2"),
               "arguments sanitised: the password is a hash, never the value");
        tap_ok(audit_count("\"tool\":\"login\"", "\"duration_ms\":5", "\"request_bytes\":119") == 1,
               "duration and sizes recorded");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":\"file:///a\"}}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32002,\"message\":\"not found\"}}"));
        tap_ok(v.forward && audit_count("\"uri\":\"file:///a\"", "\"status\":\"error\"", NULL) == 1,
               "resources/read error: uri and status error recorded");
}

static void test_modern_session(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"d\",\"method\":\"server/discover\",\"params\":{\"_meta\":"
               "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}"));
        tap_ok(v.forward, "server/discover forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"d\",\"result\":{\"supportedVersions\":[\"2026-07-28\"]}}"));
        tap_ok(v.forward, "discover result forwarded");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\",\"params\":{\"_meta\":"
               "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"},\"name\":\"deploy\","
               "\"arguments\":{}}}"));
        tap_ok(v.forward, "modern tools/call forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"result\":{\"resultType\":\"input_required\","
                 "\"inputRequests\":{\"e1\":{\"method\":\"elicitation/create\",\"params\":{\"message\":"
                 "\"sure?\"}}},\"requestState\":\"opaque\"}}"));
        tap_ok(v.forward, "input_required result forwarded");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"c2\",\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\","
               "\"arguments\":{},\"inputResponses\":{\"e1\":{\"action\":\"accept\"}},\"requestState\":"
               "\"opaque\"}}"));
        tap_ok(v.forward, "retried request with inputResponses forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"c2\",\"result\":{\"content\":[]}}"));
        tap_ok(v.forward, "final result forwarded");
}

static void test_id_confusion(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":{\"tools\":[]}}"));
        tap_ok(quiet(), "\"7\" does not answer 7: dropped");
        tap_ok(audit_count("spoofed_response", "\"id\":\"7\"", NULL) == 1, "audited as spoofed_response");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[]}}"));
        tap_ok(v.forward, "the real answer passes");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[{\"name\":\"evil\"}]}}"));
        tap_ok(quiet() && audit_count("spoofed_response", "\"id\":7", NULL) == 1,
               "a second answer for one id is dropped and audited");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}"));
        tap_ok(quiet(), "an answer for an id never sent is dropped");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}"));
        tap_ok(quiet(), "an error with a null id from the server is dropped");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"\\u0031x\",\"method\":\"ping\"}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"1x\",\"result\":{}}"));
        tap_ok(v.forward, "\"\\u0031x\" is answered by \"1x\" (same string)");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"ping\"}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567891,\"result\":{}}"));
        tap_ok(quiet(), "a big id differing in the last digit does not match");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"result\":{}}"));
        tap_ok(v.forward, "the exact big id matches");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}"));
        host(L("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}"));
        tap_ok(!v.forward && sender_has("\"id\":8,\"error\":{\"code\":-32600,\"message\":\"duplicate id\"}"),
               "a second request under an id in flight is refused, not forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{}}"));
        tap_ok(v.forward, "the first request's answer still passes");
}

static void test_malformed(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":31,\"method\":\"tools/call\",\"params\":{\"name\":\"a\xff\"}}"));
        tap_ok(!v.forward && sender_has("{\"jsonrpc\":\"2.0\",\"id\":31,\"error\":{\"code\":-32700,"),
               "invalid UTF-8 from the host: -32700 under the recovered id");
        tap_ok(audit_count("malformed_message", "\"id\":31", NULL) == 1, "audited as malformed_message");
        host(L("[{\"jsonrpc\":\"2.0\",\"id\":32,\"method\":\"ping\"}]"));
        tap_ok(!v.forward && sender_has("\"id\":null,\"error\":{\"code\":-32600,\"message\":\"batches are not "
                                        "supported\"}"), "a batch is refused with -32600 under null");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":33,\"method\":\"a\",\"method\":\"b\"}"));
        tap_ok(!v.forward && sender_has("\"id\":33,\"error\":{\"code\":-32600"), "duplicate keys: -32600");
        host(L("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":31}}"));
        tap_ok(quiet(), "a cancel for a request mcpcage answered itself is dropped");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":34,\"method\":\"tools/call\",\"params\":{\"name\":\"a\\u0000b\"}}"));
        tap_ok(!v.forward && sender_has("\"code\":-32602"), "a tool name with U+0000 is refused");
        host(L("   \r"));
        tap_ok(quiet(), "a blank line is ignored");

        server(L("Listening on port 3000 SECRET-BANNER"));
        tap_ok(quiet(), "non-JSON from the server is dropped");
        tap_ok(audit_count("non_json_output", "\"severity\":\"warning\"", NULL) == 1 &&
               !audit_contains("SECRET-BANNER"), "audited as non_json_output without the content");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":1,\"a\":2}}"));
        tap_ok(quiet(), "a server response with duplicate keys is dropped");
        server(L("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]"));
        tap_ok(quiet(), "a batch from the server is dropped");
}

static void test_oversize(void)
{
        static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":\"big-1\",\"method\":\"tools/call\","
                "\"params\":{\"name\":\"write\",\"arguments\":{\"content\":\"aaaaaaaaaaaa";
        inspect_oversize(ins, true, L(head), clock_ns, &v);
        tap_ok(!v.forward && sender_has("{\"jsonrpc\":\"2.0\",\"id\":\"big-1\",\"error\":{\"code\":-32600,"
                                        "\"message\":\"message exceeds mcp.limits.message_bytes (1024 bytes)\"}}"),
               "oversize from the host: -32600 under the recovered id");
        tap_ok(audit_count("oversize_message", "\"id\":\"big-1\"", NULL) == 1, "audited as oversize_message");
        inspect_oversize(ins, true, L("{\"jsonrpc\":\"2.0\",\"params\":{\"x\":\"aaa"), clock_ns, &v);
        tap_ok(sender_has("\"id\":null,\"error\":{\"code\":-32600"), "no id in the head: null");
        inspect_oversize(ins, false, L("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"x\":\"aa"), clock_ns, &v);
        tap_ok(quiet() && audit_count("oversize_message", "from the server", NULL) == 1,
               "oversize from the server: dropped and audited");
}

static void test_server_requests(void)
{
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\",\"params\":"
                 "{\"messages\":[],\"maxTokens\":5}}"));
        tap_ok(v.forward, "sampling/createMessage forwarded (no method rule in this stage)");
        tap_ok(audit_count("\"event\":\"server_request\"", "sampling/createMessage", "\"decision\":\"allow\"") == 1,
               "server_request record");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{\"role\":\"assistant\",\"content\":"
               "{\"type\":\"text\",\"text\":\"hi\"}}}"));
        tap_ok(v.forward, "the host's answer goes back to the server");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{}}"));
        tap_ok(quiet() && audit_count("spoofed_response", "\"id\":\"s1\"", NULL) == 1,
               "a second answer from the host is dropped");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"method\":\"roots/list\"}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"method\":\"roots/list\"}"));
        tap_ok(!v.forward && sender_has("\"id\":\"s2\",\"error\":{\"code\":-32600"),
               "a repeated server request id is answered to the server");
        server(L("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}"));
        tap_ok(v.forward, "server notifications forwarded");
}

static void test_cancel_and_drain(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":40,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}"));
        host(L("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":40}}"));
        tap_ok(v.forward, "a cancel for a request in flight is forwarded");
        tap_ok(audit_count("\"tool\":\"slow\"", "\"status\":\"cancelled\"", NULL) == 1, "recorded as cancelled");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":40,\"result\":{\"content\":[]}}"));
        tap_ok(quiet() && audit_count("spoofed_response", "\"id\":40", NULL) == 0,
               "a late answer to a cancelled request is dropped without an alarm");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{\"name\":\"a\"}}"));
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"x\\\"y\",\"method\":\"ping\"}"));
        struct buf out = { 0 };
        inspector_drain(ins, NULL, clock_ns, &out);
        tap_ok(out.len && memmem(out.data, out.len, "{\"jsonrpc\":\"2.0\",\"id\":41,\"error\":{\"code\":-32603,"
                                 "\"message\":\"mcpcage: server exited before answering\"}}\n", 95) &&
               memmem(out.data, out.len, "\"id\":\"x\\\"y\",\"error\"", 19),
               "drain answers every request in flight, ids byte-exact");
        tap_ok(audit_count("\"tool\":\"a\"", "\"status\":\"error\"", NULL) == 1, "drained calls recorded as error");
        buf_reset(&out);
        inspector_drain(ins, "mcpcage: shutting down", clock_ns, &out);
        tap_ok(out.len == 0, "a second drain has nothing left");
        buf_free(&out);
}

static void test_bound(void)
{
        char line[128];
        int refused = 0, forwarded = 0;
        for (int i = 0; i < 4097; i++) {
                int n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}", 1000 + i);
                inspect_from_host(ins, line, (size_t)n, clock_ns, &v);
                forwarded += v.forward;
                refused += sender_has("too many requests in flight (4096)");
        }
        tap_ok(forwarded == 4096 && refused == 1, "the 4097th request in flight is refused (%d/%d)", forwarded,
               refused);
        struct buf out = { 0 };
        inspector_drain(ins, NULL, clock_ns, &out);
        buf_free(&out);
}

/* The content guards are built by inspector_set_server, once the server is launched; a line
 * inspected before would pass unredacted, so it stops the process instead. */
static void test_no_line_before_guards(const struct policy *p)
{
        struct policy q = *p;
        q.root = json_pack("{s:{s:[s],s:{s:s}}}", "mcp", "redact", "secrets", "injection", "action", "block");
        struct inspector *early = NULL;
        struct mc_error err = { 0 };
        tap_ok(inspector_new(&early, &q, NULL, &err) == 0, "inspector_new with redaction and injection: %s",
               err.msg);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                const char line[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
                struct verdict ev;
                /* to /dev/null: the log line is the expected outcome, not the test's output */
                int nul = open("/dev/null", O_WRONLY);
                if (nul < 0 || dup2(nul, STDERR_FILENO) < 0)
                        _exit(5);
                inspect_from_server(early, line, sizeof(line) - 1, clock_ns, &ev);
                _exit(ev.forward ? 3 : 4);
        }
        int ws = 0;
        waitpid(pid, &ws, 0);
        tap_ok(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGABRT, "a line before inspector_set_server aborts "
               "(status 0x%x)", ws);
        inspector_free(early);
        json_decref(q.root);
}

int main(void)
{
        int fd = mkstemp(audit_path);
        close(fd);
        struct mc_error err = { 0 };
        struct audit_config ac = { .file = audit_path, .server = "test" };
        tap_ok(audit_open(&aud, &ac, &err) == 0, "audit_open %s", err.msg);

        struct policy p = { .name = (char *)"test", .path = (char *)"<test>" };
        p.root = json_pack("{s:{s:s},s:{s:{s:s},s:{s:s}}}", "audit", "arguments", "sanitized",
                           "mcp", "limits", "message_bytes", "1K", "tools", "*", "allow");
        tap_ok(inspector_new(&ins, &p, aud, &err) == 0, "inspector_new %s", err.msg);
        test_no_line_before_guards(&p);
        tap_ok(inspector_set_server(ins, &(struct inspector_server){ .name = "test" }, &err) == 0,
               "inspector_set_server builds the content guards: %s", err.msg);

        struct policy bad = { .name = (char *)"bad", .path = (char *)"<bad>" };
        bad.root = json_pack("{s:{s:s}}", "audit", "arguments", "everything");
        struct inspector *ins2 = NULL;
        tap_ok(inspector_new(&ins2, &bad, aud, &err) == -EINVAL && strstr(err.msg, "/audit/arguments"),
               "an invalid audit.arguments is refused: %s", err.msg);
        json_decref(bad.root);

        test_legacy_session();
        test_modern_session();
        test_id_confusion();
        test_malformed();
        test_oversize();
        test_server_requests();
        test_cancel_and_drain();
        test_bound();

        struct inspector_stats st;
        inspector_get_stats(ins, &st);
        tap_ok(st.calls >= 10 && st.denied == 0, "stats: %llu calls", (unsigned long long)st.calls);

        inspector_free(ins);
        audit_close(aud);
        json_decref(p.root);
        unlink(audit_path);
        return tap_done();
}
