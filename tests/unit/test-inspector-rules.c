/* The inspector with policy rules on (threats.md §2): tool visibility and tools/list
 * filtering, scopes, path/command/URL arguments, rate limits, the kill switch, confirm,
 * methods both ways, inputRequests and inputResponses of the 2026-07-28 era, roots,
 * resources/read, call_timeout; every refusal checked for what the sender got, that
 * nothing reached the peer, and the audit records. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/inspector.h"
#include "tap.h"

#define L(lit) lit, sizeof(lit) - 1
#define META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}"

static struct inspector *ins;
static struct audit *aud;
static char dir[] = "/tmp/test-inspector-rules-XXXXXX";
static char audit_path[512], kill_path[512];
static struct verdict v;
static uint64_t clock_ns = 1000000000ULL;

static void host(const char *line, size_t len)
{
        clock_ns += 1000000;
        inspect_from_host(ins, line, len, clock_ns, &v);
}

static void hostf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hostf(const char *fmt, ...)
{
        char line[4096];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        host(line, (size_t)n);
}

static void server(const char *line, size_t len)
{
        clock_ns += 1000000;
        inspect_from_server(ins, line, len, clock_ns, &v);
}

static bool has(const struct buf *b, const char *s)
{
        return b->len && memmem(b->data, b->len, s, strlen(s));
}

static bool sender_has(const char *s) { return has(v.to_sender, s); }
static bool peer_has(const char *s) { return has(v.to_peer, s); }

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

/* A host request refused: answered to the host, nothing forwarded. */
static bool refused(const char *answer)
{
        return !v.forward && v.to_peer->len == 0 && sender_has(answer);
}

static void call_tool(int id, const char *name, const char *args)
{
        hostf("{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
              "\"arguments\":%s}}", id, name, args);
}

static void answer_ok(int id)
{
        char line[256];
        int n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"content\":[]}}", id);
        server(line, (size_t)n);
}

static void test_tools(void)
{
        call_tool(1, "secret_tool", "{}");
        tap_ok(refused("\"code\":-32602") && sender_has("Unknown tool: secret_tool") && !sender_has("data"),
               "a denied tool is answered -32602 Unknown tool, without data");
        call_tool(2, "no_such_tool", "{}");
        tap_ok(refused("Unknown tool: no_such_tool"), "a tool with no rule (no \"*\") is unknown");
        tap_ok(audit_count("\"event\":\"call\"", "\"decision\":\"deny\"", "\"rule\":\"/mcp/tools/secret_tool\"") == 1,
               "call record: deny with the rule that decided");
        tap_ok(audit_count("\"kind\":\"tool_denied\"", "secret_tool", NULL) >= 1, "security record tool_denied");

        call_tool(3, "echo", "{\"text\":\"hi\"}");
        tap_ok(v.forward && !v.to_sender->len, "an allowed tool is forwarded as is");
        answer_ok(3);
        tap_ok(v.forward, "its answer is forwarded");
        tap_ok(audit_count("\"event\":\"call\"", "\"rule\":\"/mcp/tools/echo\"", "\"decision\":\"allow\"") == 1,
               "call record: allow with rule /mcp/tools/echo");
        call_tool(4, "git_log", "{}");
        tap_ok(v.forward, "a glob rule (git_*) allows git_log");
        answer_ok(4);
        call_tool(5, "git_push", "{}");
        tap_ok(refused("Unknown tool: git_push"), "an exact deny beats the glob");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\",\"params\":{\"cursor\":\"p2\"}}"));
        tap_ok(v.forward, "tools/list forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{\"tools\":[{\"name\":\"echo\"},{\"name\":\"secret_tool\"},"
                 "{\"name\":\"git_log\"},{\"name\":\"git_push\"},{\"name\":\"other\"}],\"nextCursor\":\"p3\"}}"));
        tap_ok(!v.forward && peer_has("\"echo\"") && peer_has("\"git_log\"") && !peer_has("secret_tool") &&
               !peer_has("git_push") && !peer_has("\"other\"") && peer_has("\"nextCursor\":\"p3\""),
               "tools/list: hidden and unknown tools removed, nextCursor kept");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[{\"name\":\"echo\"}]}}"));
        tap_ok(v.forward && !v.to_peer->len, "a list the policy leaves alone passes byte-exact");
        server(L("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}"));
        tap_ok(v.forward, "notifications/tools/list_changed passes");
}

static void test_scopes(void)
{
        call_tool(10, "write_file", "{\"path\":\"new.txt\"}");
        tap_ok(refused("\"isError\":true") && sender_has("mcpcage: denied: scope files:write is not granted"),
               "a visible tool without its scope: isError result naming the scope");
        tap_ok(audit_count("\"kind\":\"scope_denied\"", NULL, NULL) == 1, "security record scope_denied");
        call_tool(11, "read_file", "{\"path\":\"sub/x.txt\"}");
        tap_ok(v.forward, "a relative path inside the workdir is allowed");
        answer_ok(11);
}

static void test_paths(void)
{
        char args[1024];
        /* "@" stands for the test directory */
        static const char *const bad[] = {
                "../../etc/passwd", "@/../etc", "//etc", "@/./x/../../etc", "file:///etc/passwd",
                "file://localhost/etc", "%2e%2e%2f%2e%2e%2fetc", "@/ro%00/x", "~root/", "@/ro/out/passwd",
                "@/ro/.env",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                bool at = bad[i][0] == '@';
                snprintf(args, sizeof(args), "{\"path\":\"%s%s\"}", at ? dir : "", bad[i] + at);
                call_tool(20 + (int)i, "read_file", args);
                tap_ok(refused("mcpcage: denied: argument /path"), "path %s denied", bad[i]);
        }
        snprintf(args, sizeof(args), "{\"path\":\"%s/ro/a.txt\"}", dir);
        call_tool(40, "read_file", args);
        tap_ok(v.forward, "a file under the read root is allowed");
        answer_ok(40);
        snprintf(args, sizeof(args), "{\"path\":\"%s/rw/sub/new.txt\"}", dir);
        call_tool(41, "write_file_ok", args);
        tap_ok(v.forward, "a not-yet-existing file under the write root is allowed for write");
        answer_ok(41);
        snprintf(args, sizeof(args), "{\"path\":\"%s/ro/new.txt\"}", dir);
        call_tool(42, "write_file_ok", args);
        tap_ok(refused("\"isError\":true"), "write under a read-only root is denied");
        snprintf(args, sizeof(args), "{\"paths\":[\"%s/ro/a.txt\",\"/etc/passwd\"]}", dir);
        call_tool(43, "read_many", args);
        tap_ok(refused("argument /paths/*"), "an array of paths with one bad one is denied");
        tap_ok(audit_count("\"kind\":\"path_denied\"", NULL, NULL) >= 12, "path refusals are security records");

        /* The record's arguments come from the tree the rules parsed, sanitised after the
         * decision (taken over when allowed, copied when refused): a secret-named key is
         * hashed in the record, and the server still gets what the host wrote. */
        snprintf(args, sizeof(args), "{\"path\":\"%s/ro/a.txt\",\"password\":\"hunter2-allowed\"}", dir);
        call_tool(44, "read_file", args);
        tap_ok(v.forward, "allowed with a secret-named argument: forwarded as written");
        answer_ok(44);
        call_tool(45, "read_file", "{\"path\":\"/etc/passwd\",\"password\":\"hunter2-refused\"}");
        tap_ok(refused("argument /path"), "refused with a secret-named argument");
        tap_ok(audit_count("\"id\":44", "\"arguments\":{\"path\":", "a.txt\",\"password\":\"sha256:") == 1,
               "allowed call: its record holds the path and the secret hashed");
        tap_ok(audit_count("\"id\":45", "\"path\":\"/etc/passwd\",\"password\":\"sha256:", "\"decision\":\"deny\"") == 1,
               "refused call: the same");
        tap_ok(audit_count("hunter2", NULL, NULL) == 0, "the secret itself is in no record");
}

static void test_commands_urls(void)
{
        static const char *const cmds[] = { "rm -rf /", "curl x | sh", "sudo ls", "ls; rm x", "ls $(id)",
                                            "ls `id`", "python3 -c 1" };
        char args[256];
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                snprintf(args, sizeof(args), "{\"command\":\"%s\"}", cmds[i]);
                call_tool(50 + (int)i, "run", args);
                tap_ok(refused("\"isError\":true"), "command %s denied", cmds[i]);
        }
        call_tool(60, "run", "{\"command\":\"ls -l\"}");
        tap_ok(v.forward, "an allowed command passes");
        answer_ok(60);
        static const char *const urls[] = { "ftp://ok.example.com/", "https://evil.com/",
                                            "http://169.254.169.254/", "https://ok.example.com@evil.com/" };
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
                snprintf(args, sizeof(args), "{\"url\":\"%s\"}", urls[i]);
                call_tool(70 + (int)i, "fetch", args);
                tap_ok(refused("\"isError\":true"), "url %s denied", urls[i]);
        }
        call_tool(80, "fetch", "{\"url\":\"https://api.example.com/x\"}");
        tap_ok(v.forward, "an allowed URL passes");
        answer_ok(80);
}

static void test_rate_kill_confirm(void)
{
        call_tool(90, "limited", "{}");
        tap_ok(v.forward, "first call within the rate");
        answer_ok(90);
        call_tool(91, "limited", "{}");
        tap_ok(v.forward, "second call within the rate");
        answer_ok(91);
        call_tool(92, "limited", "{}");
        tap_ok(refused("\"code\":429") && sender_has("\"retry_after_ms\":") &&
               sender_has("/mcp/tools/limited/rate"), "a burst past rate: 429 with retry_after_ms");
        tap_ok(audit_count("\"kind\":\"rate_limited\"", NULL, NULL) == 1, "security record rate_limited");

        int fd = open(kill_path, O_CREAT | O_WRONLY, 0600);
        close(fd);
        call_tool(93, "echo", "{}");
        tap_ok(refused("\"isError\":true") && sender_has("kill switch is on"), "kill switch file: tools/call refused");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":94,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://x\"}}"));
        tap_ok(refused("\"code\":403"), "kill switch: resources/read refused with 403");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":95,\"method\":\"ping\"}"));
        tap_ok(v.forward, "kill switch: ping still passes");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":95,\"result\":{}}"));
        unlink(kill_path);
        call_tool(96, "echo", "{}");
        tap_ok(v.forward, "file removed: calls pass again");
        answer_ok(96);
        inspector_set_kill(ins, true);
        call_tool(97, "echo", "{}");
        tap_ok(refused("SIGUSR1"), "SIGUSR1: tools/call refused");
        inspector_set_kill(ins, false);
        call_tool(98, "echo", "{}");
        tap_ok(v.forward, "SIGUSR2: calls pass again");
        answer_ok(98);
        tap_ok(audit_count("\"kind\":\"kill_switch\"", NULL, NULL) >= 4, "kill switch refusals and toggles audited");

        call_tool(99, "dangerous", "{}");
        tap_ok(refused("did not declare the elicitation capability"), "confirm: true without elicitation: refused, saying why");
}

/* What the relay does with inspector_kill_fd: hand every pending change to the inspector
 * before the next message. */
static void kill_events(struct inspector *k)
{
        struct pollfd pf = { .fd = inspector_kill_fd(k), .events = POLLIN };
        while (pf.fd >= 0 && poll(&pf, 1, 0) > 0)
                inspector_kill_changed(k);
}

static bool kill_call_passes(struct inspector *k, int id)
{
        struct inspector *saved = ins;
        ins = k;
        call_tool(id, "echo", "{}");
        bool passes = v.forward;
        if (passes)
                answer_ok(id);
        ins = saved;
        return passes;
}

/* The switch watched instead of stat()ed per call: every change to the path is seen, from
 * a directory that does not exist yet to a symbolic link whose target goes away. */
static void test_kill_watch(void)
{
        char path[560], sub[560], alt[560], target[560];
        snprintf(sub, sizeof(sub), "%s/kw/a", dir);
        snprintf(path, sizeof(path), "%s/kw/a/kill", dir);
        snprintf(alt, sizeof(alt), "%s/kw/b", dir);
        snprintf(target, sizeof(target), "%s/kw/target", dir);
        struct policy kp = { .name = (char *)"kw", .path = (char *)"<kw>" };
        kp.root = json_pack("{s:{s:{s:s},s:s}}", "mcp", "tools", "*", "allow", "kill_switch", path);
        struct inspector *k = NULL;
        struct mc_error err = { 0 };
        tap_ok(inspector_new(&k, &kp, aud, &err) == 0 &&
               inspector_set_server(k, &(struct inspector_server){ .name = "kw" }, &err) == 0,
               "inspector with a kill switch below missing directories");
        json_decref(kp.root);
        if (!k)
                return;
        tap_ok(inspector_kill_fd(k) >= 0, "the relay gets a descriptor to poll");
        kill_events(k);
        tap_ok(kill_call_passes(k, 300), "no switch: the call passes");
        char kw[600];
        snprintf(kw, sizeof(kw), "%s/kw", dir);
        mkdir(kw, 0700);
        mkdir(sub, 0700);
        close(open(path, O_CREAT | O_WRONLY, 0600));
        kill_events(k);
        tap_ok(!kill_call_passes(k, 301) && sender_has("kill switch is on"),
               "directories and file created after the start: refused");
        unlink(path);
        kill_events(k);
        tap_ok(kill_call_passes(k, 302), "file removed: the call passes");
        mkdir(alt, 0700);
        snprintf(kw, sizeof(kw), "%s/kill", alt);
        close(open(kw, O_CREAT | O_WRONLY, 0600));
        rmdir(sub);
        kill_events(k);
        (void)!rename(alt, sub);
        kill_events(k);
        tap_ok(!kill_call_passes(k, 303), "a directory holding the file renamed into place: refused");
        unlink(path);
        close(open(target, O_CREAT | O_WRONLY, 0600));
        (void)!symlink(target, path);
        kill_events(k);
        tap_ok(!kill_call_passes(k, 304), "the file as a symbolic link: refused");
        unlink(target);
        kill_events(k);
        tap_ok(kill_call_passes(k, 305), "the link's target removed: the call passes");
        unlink(path);
        rmdir(sub);
        kill_events(k);
        close(open(target, O_CREAT | O_WRONLY, 0600));
        (void)!symlink(target, sub);
        kill_events(k);
        tap_ok(kill_call_passes(k, 306), "a linked directory without the file: the call passes");
        snprintf(kw, sizeof(kw), "%s/kw/t2", dir);
        mkdir(kw, 0700);
        unlink(target);
        unlink(sub);
        (void)!symlink(kw, sub);
        snprintf(kw, sizeof(kw), "%s/kw/t2/kill", dir);
        close(open(kw, O_CREAT | O_WRONLY, 0600));
        kill_events(k);
        tap_ok(!kill_call_passes(k, 307), "the file reached through a linked directory: refused");
        inspector_free(k);
}

static void test_methods(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":100,\"method\":\"prompts/get\",\"params\":{\"name\":\"x\"}}"));
        tap_ok(refused("\"code\":403") && sender_has("\"rule\":\"/mcp/methods/host/deny/0\""),
               "a host method on the deny list: 403 with data.rule");
        host(L("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}"));
        tap_ok(!v.forward && !v.to_sender->len, "a denied host notification is dropped");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\",\"params\":{}}"));
        tap_ok(!v.forward && !v.to_peer->len && sender_has("\"id\":\"s1\"") && sender_has("403"),
               "sampling/createMessage from the server: error to the server, host never sees it");
        tap_ok(audit_count("\"event\":\"server_request\"", "\"decision\":\"deny\"", "sampling") == 1,
               "server_request record with decision deny");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"result\":{}}"));
        tap_ok(!v.forward, "a host answer to the denied request is dropped");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"method\":\"elicitation/create\",\"params\":{}}"));
        tap_ok(v.forward, "elicitation/create is allowed");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"result\":{\"action\":\"decline\"}}"));
        tap_ok(v.forward, "its answer passes");
}

static void test_roots(void)
{
        char line[2048];
        server(L("{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"method\":\"roots/list\"}"));
        tap_ok(v.forward, "roots/list from the server forwarded");
        int n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"result\":{\"roots\":["
                         "{\"uri\":\"file://%s/ro\"},{\"uri\":\"file:///etc\"},{\"uri\":\"https://x/\"}]}}", dir);
        host(line, (size_t)n);
        tap_ok(!v.forward && has(v.to_peer, "/ro\"") && !has(v.to_peer, "file:///etc") &&
               !has(v.to_peer, "https://x"), "roots outside the policy removed before the server sees them");

        host(L("{\"jsonrpc\":\"2.0\",\"id\":110,\"method\":\"resources/read\",\"params\":{\"uri\":\"file:///etc/shadow\"}}"));
        tap_ok(refused("\"code\":403"), "resources/read file:///etc/shadow: 403");
        n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":111,\"method\":\"resources/read\","
                     "\"params\":{\"uri\":\"file://%s/ro/a.txt\"}}", dir);
        host(line, (size_t)n);
        tap_ok(v.forward, "resources/read of a file under a read root passes");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":111,\"result\":{\"contents\":[]}}"));
}

static void test_modern(void)
{
        host(L("{\"jsonrpc\":\"2.0\",\"id\":120,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
               "\"arguments\":{}," META "}}"));
        tap_ok(v.forward, "modern tools/call forwarded");
        server(L("{\"jsonrpc\":\"2.0\",\"id\":120,\"result\":{\"resultType\":\"input_required\",\"inputRequests\":"
                 "{\"s\":{\"method\":\"sampling/createMessage\",\"params\":{}}},\"requestState\":\"opaque\"}}"));
        tap_ok(!v.forward && peer_has("\"isError\":true") && peer_has("sampling/createMessage") &&
               peer_has("\"resultType\":\"complete\"") && !peer_has("opaque"),
               "inputRequests with a denied method: the host gets the isError result instead");
        tap_ok(audit_count("\"event\":\"server_request\"", "\"carried_by\":\"tools/call\"", "\"decision\":\"deny\"") == 1,
               "embedded request audited as server_request");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":121,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
               "\"arguments\":{}," META "}}"));
        server(L("{\"jsonrpc\":\"2.0\",\"id\":121,\"result\":{\"resultType\":\"input_required\",\"inputRequests\":"
                 "{\"e\":{\"method\":\"elicitation/create\",\"params\":{}}},\"requestState\":\"opaque\"}}"));
        tap_ok(v.forward && !v.to_peer->len, "an allowed inputRequests result passes byte-exact");
        char line[2048];
        int n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":122,\"method\":\"tools/call\",\"params\":"
                         "{\"name\":\"echo\",\"arguments\":{},\"inputResponses\":{\"r\":{\"roots\":["
                         "{\"uri\":\"file://%s/rw\"},{\"uri\":\"file:///root\"}]}},\"requestState\":\"opaque\","
                         META "}}", dir);
        host(line, (size_t)n);
        tap_ok(!v.forward && peer_has("/rw\"") && !peer_has("file:///root") && peer_has("\"requestState\":\"opaque\"") &&
               peer_has("\"id\":122"), "inputResponses: roots outside the policy removed, requestState untouched");
        answer_ok(122);
        tap_ok(v.forward, "its answer passes");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":123,\"method\":\"tools/call\",\"params\":{\"name\":\"secret_tool\","
               "\"arguments\":{},\"inputResponses\":{},\"requestState\":\"x\"," META "}}"));
        tap_ok(refused("Unknown tool"), "a retried request is checked like the original");
        call_tool(124, "write_file", "{}");
        tap_ok(refused("\"isError\":true") && !sender_has("resultType"), "a legacy refusal has no resultType");
        host(L("{\"jsonrpc\":\"2.0\",\"id\":125,\"method\":\"tools/call\",\"params\":{\"name\":\"write_file\","
               "\"arguments\":{}," META "}}"));
        tap_ok(refused("\"resultType\":\"complete\""), "a modern refusal carries resultType complete");
}

static void test_timeout(void)
{
        tap_ok(inspector_next_deadline(ins) == 0, "no deadline with nothing in flight");
        call_tool(130, "echo", "{}");
        uint64_t d = inspector_next_deadline(ins);
        tap_ok(d == clock_ns + 1000000000ULL, "deadline = now + call_timeout (1s)");
        call_tool(131, "echo", "{}");
        answer_ok(131);
        inspector_tick(ins, d - 1, &v);
        tap_ok(!v.to_sender->len && !v.to_peer->len, "nothing before the deadline");
        inspector_tick(ins, d, &v);
        tap_ok(has(v.to_sender, "\"id\":130") && has(v.to_sender, "call_timeout") &&
               has(v.to_peer, "notifications/cancelled") && has(v.to_peer, "\"requestId\":130"),
               "timeout: error to the host, notifications/cancelled to the server");
        tap_ok(inspector_next_deadline(ins) == 0, "no deadline left");
        answer_ok(130);
        tap_ok(!v.forward && !v.to_peer->len, "the late answer is dropped");
        tap_ok(audit_count("\"status\":\"timeout\"", NULL, NULL) == 1, "recorded with status timeout");
}

static const char POLICY[] =
        "{\"filesystem\":{\"workdir\":\"%1$s/rw\"},"
        "\"mcp\":{\"scopes\":[\"files:read\",\"admin\"],\"implies\":{\"admin\":[\"net\"]},"
        " \"tools\":{"
        "  \"echo\":\"allow\", \"git_*\":\"allow\", \"git_push\":\"deny\", \"secret_tool\":\"deny\","
        "  \"read_file\":{\"scopes\":[\"files:read\"],\"paths\":{\"/path\":\"read\"}},"
        "  \"read_many\":{\"paths\":{\"/paths/*\":\"read\"}},"
        "  \"write_file\":{\"scopes\":[\"files:write\"],\"paths\":{\"/path\":\"write\"}},"
        "  \"write_file_ok\":{\"paths\":{\"/path\":\"write\"}},"
        "  \"run\":{\"commands\":{\"/command\":{\"allow\":[\"ls\",\"git\"],\"deny\":[\"\\\\brm\\\\s+-rf\\\\b\"]}}},"
        "  \"fetch\":{\"scopes\":[\"net\"],\"urls\":{\"/url\":{\"allow\":[\"https://*.example.com/**\"]}}},"
        "  \"limited\":{\"rate\":\"2/min\"},"
        "  \"dangerous\":{\"confirm\":true}},"
        " \"paths\":{\"read\":[\"%1$s/ro\"],\"write\":[\"%1$s/rw\"],\"deny\":[\"**/.env\"]},"
        " \"methods\":{\"host\":{\"deny\":[\"prompts/get\",\"notifications/roots/*\"]},"
        "            \"server\":{\"deny\":[\"sampling/createMessage\"]}},"
        " \"limits\":{\"call_timeout\":\"1s\",\"calls\":\"1000/s\"},"
        " \"kill_switch\":\"%1$s/kill\"}}";

static void make_tree(void)
{
        char p[600];
        snprintf(p, sizeof(p), "%s/ro", dir);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/rw", dir);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/ro/a.txt", dir);
        close(open(p, O_CREAT | O_WRONLY, 0600));
        snprintf(p, sizeof(p), "%s/ro/.env", dir);
        close(open(p, O_CREAT | O_WRONLY, 0600));
        char link[600];
        snprintf(link, sizeof(link), "%s/link", dir);
        (void)!symlink("/etc", link);
        (void)link;
        /* the link inside a root pointing out */
        snprintf(p, sizeof(p), "%s/ro/out", dir);
        (void)!symlink("/etc", p);
}

int main(void)
{
        if (!mkdtemp(dir))
                return 1;
        make_tree();
        snprintf(audit_path, sizeof(audit_path), "%s/audit.jsonl", dir);
        snprintf(kill_path, sizeof(kill_path), "%s/kill", dir);
        struct mc_error err = { 0 };
        struct audit_config ac = { .file = audit_path, .server = "test" };
        tap_ok(audit_open(&aud, &ac, &err) == 0, "audit_open %s", err.msg);

        char text[8192];
        snprintf(text, sizeof(text), POLICY, dir);
        struct policy p = { .name = (char *)"rules", .path = (char *)"<test>" };
        json_error_t je;
        p.root = json_loads(text, 0, &je);
        tap_ok(p.root != NULL, "test policy parses: %s", je.text);
        tap_ok(inspector_new(&ins, &p, aud, &err) == 0 &&
               inspector_set_server(ins, &(struct inspector_server){ .name = "rules" }, &err) == 0,
               "inspector_new, inspector_set_server %s", err.msg);
        if (!ins)
                return 1;

        test_tools();
        test_scopes();
        test_paths();
        test_commands_urls();
        test_rate_kill_confirm();
        test_kill_watch();
        test_methods();
        test_roots();
        test_modern();
        test_timeout();

        /* the built-in default's shape: empty root lists */
        struct policy empty = { .name = (char *)"empty", .path = (char *)"<empty>" };
        empty.root = json_pack("{s:{s:{s:[],s:[],s:[]},s:{s:s}}}", "mcp", "paths", "read", "write", "deny",
                               "tools", "*", "allow");
        struct inspector *ins3 = NULL;
        tap_ok(inspector_new(&ins3, &empty, aud, &err) == 0, "empty read/write/deny lists compile: %s", err.msg);
        inspector_free(ins3);
        json_decref(empty.root);

        struct policy bad = { .name = (char *)"bad", .path = (char *)"<bad>" };
        bad.root = json_pack("{s:{s:{s:{s:s}}}}", "mcp", "tools", "x", "rate", "lots");
        struct inspector *ins2 = NULL;
        tap_ok(inspector_new(&ins2, &bad, aud, &err) < 0 && strstr(err.msg, "/mcp/tools/x"),
               "a rate that is not one is refused: %s", err.msg);
        json_decref(bad.root);

        inspector_free(ins);
        audit_close(aud);
        json_decref(p.root);
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void)!system(cmd);
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
