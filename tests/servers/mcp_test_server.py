#!/usr/bin/env python3
"""mcp_test_server: a well-behaved stdio MCP server for mcpcage's integration tests.

It speaks both protocol eras (legacy `initialize` up to 2025-11-25, and 2026-07-28 with
`server/discover` and per-request `_meta`), answers deterministically (same input, same output
bytes, so a test can compare a run through mcpcage with a direct run), and logs every line it
receives, byte for byte, to the file named by MCP_TEST_LOG so a test can prove what the server
did and did not see.

Misbehaviour for the robustness rows of threats.md §4 is opt-in, through the `misbehave` tool
or the MCP_TEST_MISBEHAVE environment variable (comma-separated; every MCP_TEST_* variable
can also be given as `--env NAME=VALUE` arguments, which survive environment scrubbing):
    ignore_sigterm        SIGTERM is ignored (mcpcage must SIGKILL after the grace period)
    non_json_at_start     a non-JSON line on stdout before anything else
    stderr_flood=BYTES    BYTES of text on stderr at start
    linger_after_eof      keep running after stdin EOF (only a signal ends it)
    sink                  count the lines received, answer nothing; at EOF write the count to
                          MCP_TEST_SINK_COUNT (for the 10^6-messages test)
It never reads a file, runs a command or opens a URL other than one a test passes it.

For the content guards (threats.md §3), opt-in so the default tools/list stays as it is:
    MCP_TEST_GUARDS=1     adds the tool `raw` (answers with the JSON text its `tail`
                          argument gives after `"id":<id>,` verbatim: a result or an error
                          exactly as a test wrote it, escapes and all) and the resource
                          test://guards/text (its text: the file MCP_TEST_RESOURCE_FILE)
    MCP_TEST_DEFINITIONS=FILE  read at every initialize / server/discover / tools/list, a
                          JSON object that changes what the server says about itself
                          (the rug pull of two sessions): "version" (serverInfo.version),
                          "instructions", "descriptions" {tool: new description},
                          "extra_tools" [tool objects]
"""
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

LEGACY_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
DEFAULT_LEGACY = "2025-06-18"
MODERN_VERSION = "2026-07-28"
META_VERSION = "io.modelcontextprotocol/protocolVersion"
SERVER_INFO = {"name": "mcp_test_server", "version": "1.0.0"}
CAPABILITIES = {"tools": {}, "resources": {}, "prompts": {}, "logging": {}}

RESOURCES = {
    "test://fixed/hello.txt": ("hello.txt", "text/plain", "Hello from mcp_test_server.\n"),
    "test://fixed/numbers.txt": ("numbers.txt", "text/plain", "one\ntwo\nthree\n"),
}
PROMPTS = {
    "greet": ("Greets someone by name", [{"name": "name", "required": True}]),
    "summarize": ("Asks for a summary of a text", [{"name": "text", "required": True}]),
}


def schema(**props):
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()},
            "required": list(props)}


TOOLS = [
    ("echo", "Returns its text argument", schema(text="string")),
    ("add", "Adds two integers", schema(a="integer", b="integer")),
    ("read_file", "Reads a text file", schema(path="string")),
    ("write_file", "Writes a text file", schema(path="string", content="string")),
    ("run", "Runs a shell command", schema(command="string")),
    ("fetch", "Fetches a URL", schema(url="string")),
    ("slow", "Sleeps ms milliseconds, then answers", schema(ms="integer")),
    ("big", "Returns a text of the given size in bytes", schema(bytes="integer")),
    ("progress", "Sends progress and log notifications, steps of them",
     schema(steps="integer")),
    ("spam", "Sends count log notifications as fast as it can", schema(count="integer")),
    ("ask_sampling", "Asks the host for a sampling/createMessage", schema(prompt="string")),
    ("ask_elicitation", "Asks the host for an elicitation/create", schema(message="string")),
    ("ask_roots", "Asks the host for roots/list", schema()),
    ("misbehave", "Breaks the protocol on purpose (robustness tests)", schema(what="string")),
]


def definitions():
    path = os.environ.get("MCP_TEST_DEFINITIONS")
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def guards_on():
    return os.environ.get("MCP_TEST_GUARDS") == "1"


class Server:
    def __init__(self):
        self.out_lock = threading.Lock()
        self.log_fd = None
        if os.environ.get("MCP_TEST_LOG"):
            self.log_fd = os.open(os.environ["MCP_TEST_LOG"],
                                  os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.pending = {}       # id of a request we sent to the host -> [Event, response]
        self.pending_lock = threading.Lock()
        self.next_server_id = 0
        self.legacy_version = None
        self.workers = []

    # ---- output -------------------------------------------------------------------------
    def write_raw(self, data):
        with self.out_lock:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()

    def send(self, msg):
        self.write_raw(json.dumps(msg, separators=(",", ":"), ensure_ascii=False)
                       .encode() + b"\n")

    def respond(self, rid, result, modern):
        if modern and "resultType" not in result:
            result = dict(result, resultType="complete")
        self.send({"jsonrpc": "2.0", "id": rid, "result": result})

    def error(self, rid, code, message):
        self.send({"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}})

    def request_host(self, method, params, timeout=30.0):
        """A legacy server-to-client request; returns the host's response message."""
        with self.pending_lock:
            self.next_server_id += 1
            sid = "srv-%d" % self.next_server_id
            slot = [threading.Event(), None]
            self.pending[sid] = slot
        self.send({"jsonrpc": "2.0", "id": sid, "method": method, "params": params})
        if not slot[0].wait(timeout):
            return {"error": {"code": -32001, "message": "no answer from the host"}}
        return slot[1]

    # ---- input --------------------------------------------------------------------------
    def log(self, raw):
        if self.log_fd is not None:
            os.write(self.log_fd, raw)

    def serve(self):
        stdin = sys.stdin.buffer
        while True:
            raw = stdin.readline()
            if not raw:
                break
            self.log(raw)
            try:
                msg = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                self.error(None, -32700, "Parse error")
                continue
            if not isinstance(msg, dict):
                self.error(None, -32600, "Invalid Request")
                continue
            self.dispatch(msg)
        if "linger_after_eof" in FLAGS:
            while True:
                time.sleep(3600)
        for w in self.workers:
            w.join(timeout=5)

    def dispatch(self, msg):
        if "method" not in msg:
            with self.pending_lock:
                slot = self.pending.pop(msg.get("id"), None)
            if slot:
                slot[1] = msg
                slot[0].set()
            return
        if "id" not in msg:
            return  # notifications need no answer
        # Each request on its own thread so `slow` and the host round trips never block the
        # reader (the host may answer a server request while another call is running).
        w = threading.Thread(target=self.handle_request, args=(msg,), daemon=True)
        self.workers = [x for x in self.workers if x.is_alive()] + [w]
        w.start()

    def handle_request(self, msg):
        rid, method = msg["id"], msg["method"]
        params = msg.get("params") or {}
        meta = params.get("_meta") or {} if isinstance(params, dict) else {}
        modern = meta.get(META_VERSION) == MODERN_VERSION
        try:
            handler = METHODS.get(method)
            if handler is None:
                self.error(rid, -32601, "Method not found: %s" % method)
                return
            result = handler(self, params, meta, modern, rid)
            if result is not None:
                self.respond(rid, result, modern)
        except ToolError as e:
            self.error(rid, e.code, e.message)
        except Exception as e:  # noqa: BLE001 - never leave a request unanswered
            self.error(rid, -32603, "mcp_test_server: %s: %s" % (type(e).__name__, e))

    # ---- methods ------------------------------------------------------------------------
    def m_initialize(self, params, meta, modern, rid):
        asked = params.get("protocolVersion")
        version = asked if asked in LEGACY_VERSIONS else DEFAULT_LEGACY
        self.legacy_version = version
        d = definitions()
        return {"protocolVersion": version, "capabilities": CAPABILITIES,
                "serverInfo": server_info(d), "instructions": instructions(d)}

    def m_discover(self, params, meta, modern, rid):
        d = definitions()
        return {"supportedVersions": [MODERN_VERSION], "capabilities": CAPABILITIES,
                "_meta": {"io.modelcontextprotocol/serverInfo": server_info(d)},
                "instructions": instructions(d)}

    def m_ping(self, params, meta, modern, rid):
        return {}

    def m_set_level(self, params, meta, modern, rid):
        return {}

    def m_tools_list(self, params, meta, modern, rid):
        d = definitions()
        desc = d.get("descriptions", {})
        tools = [{"name": n, "description": desc.get(n, t), "inputSchema": s}
                 for n, t, s in all_tools()]
        return {"tools": tools + d.get("extra_tools", [])}

    def m_resources_list(self, params, meta, modern, rid):
        return {"resources": [{"uri": u, "name": n, "mimeType": m}
                              for u, (n, m, _) in RESOURCES.items()]}

    def m_resources_read(self, params, meta, modern, rid):
        uri = params.get("uri")
        if guards_on() and uri == "test://guards/text":
            with open(os.environ["MCP_TEST_RESOURCE_FILE"]) as f:
                return {"contents": [{"uri": uri, "mimeType": "text/plain", "text": f.read()}]}
        if uri not in RESOURCES:
            raise ToolError(-32002, "Resource not found: %s" % uri)
        _, mime, text = RESOURCES[uri]
        return {"contents": [{"uri": uri, "mimeType": mime, "text": text}]}

    def m_prompts_list(self, params, meta, modern, rid):
        return {"prompts": [{"name": n, "description": d, "arguments": a}
                            for n, (d, a) in PROMPTS.items()]}

    def m_prompts_get(self, params, meta, modern, rid):
        name, args = params.get("name"), params.get("arguments") or {}
        if name == "greet":
            text = "Please greet %s warmly." % args.get("name", "")
        elif name == "summarize":
            text = "Summarize this text:\n%s" % args.get("text", "")
        else:
            raise ToolError(-32602, "Unknown prompt: %s" % name)
        return {"description": PROMPTS[name][0],
                "messages": [{"role": "user", "content": {"type": "text", "text": text}}]}

    def m_tools_call(self, params, meta, modern, rid):
        name, args = params.get("name"), params.get("arguments") or {}
        tool = getattr(self, "t_" + str(name), None)
        if tool is None or name not in [t[0] for t in all_tools()]:
            raise ToolError(-32602, "Unknown tool: %s" % name)
        ctx = {"rid": rid, "modern": modern, "params": params,
               "token": meta.get("progressToken")}
        out = tool(args, ctx)
        if out is None or "content" in out or "resultType" in out:
            return out
        return {"content": [{"type": "text", "text": out["text"]}],
                "isError": bool(out.get("isError", False))}

    # ---- tools --------------------------------------------------------------------------
    def t_echo(self, a, ctx):
        return {"text": str(a.get("text", ""))}

    def t_raw(self, a, ctx):
        """MCP_TEST_GUARDS: the response exactly as the test wrote it."""
        self.write_raw(b'{"jsonrpc":"2.0","id":' + json.dumps(ctx["rid"]).encode() + b"," +
                       a["tail"].encode() + b"}\n")
        return None

    def t_add(self, a, ctx):
        return {"text": str(int(a.get("a", 0)) + int(a.get("b", 0)))}

    def t_read_file(self, a, ctx):
        try:
            with open(a["path"], "r", encoding="utf-8", errors="replace") as f:
                return {"text": f.read()}
        except OSError as e:
            return {"text": "error: %s" % e.strerror, "isError": True}

    def t_write_file(self, a, ctx):
        try:
            with open(a["path"], "w", encoding="utf-8") as f:
                f.write(a.get("content", ""))
            return {"text": "wrote %d bytes" % len(a.get("content", "").encode())}
        except OSError as e:
            return {"text": "error: %s" % e.strerror, "isError": True}

    def t_run(self, a, ctx):
        p = subprocess.run(a["command"], shell=True, capture_output=True, timeout=30)
        return {"text": (p.stdout + p.stderr).decode(errors="replace"),
                "isError": p.returncode != 0}

    def t_fetch(self, a, ctx):
        try:
            with urllib.request.urlopen(a["url"], timeout=5) as r:
                return {"text": r.read(1 << 20).decode(errors="replace")}
        except Exception as e:  # noqa: BLE001 - any failure is the tool's answer
            return {"text": "error: %s" % e, "isError": True}

    def t_slow(self, a, ctx):
        time.sleep(int(a.get("ms", 0)) / 1000.0)
        return {"text": "slept %d ms" % int(a.get("ms", 0))}

    def t_big(self, a, ctx):
        n = int(a.get("bytes", 0))
        pattern = "0123456789abcdef"
        return {"text": (pattern * (n // len(pattern) + 1))[:n]}

    def t_progress(self, a, ctx):
        steps = int(a.get("steps", 3))
        for i in range(1, steps + 1):
            if ctx["token"] is not None:
                self.send({"jsonrpc": "2.0", "method": "notifications/progress",
                           "params": {"progressToken": ctx["token"], "progress": i,
                                      "total": steps, "message": "step %d" % i}})
            self.send({"jsonrpc": "2.0", "method": "notifications/message",
                       "params": {"level": "info", "logger": "mcp_test_server",
                                  "data": "progress step %d of %d" % (i, steps)}})
        return {"text": "done %d steps" % steps}

    def t_spam(self, a, ctx):
        count = int(a.get("count", 1000))
        if a.get("exit_after_ms") is not None:
            # ends the process whether or not the writes below went through (a host that
            # stopped reading blocks them)
            threading.Timer(int(a["exit_after_ms"]) / 1000.0, os._exit, (7,)).start()
        line = b'{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"debug","data":"x"}}\n'
        chunk = 4096
        with self.out_lock:
            for start in range(0, count, chunk):
                sys.stdout.buffer.write(line * min(chunk, count - start))
            sys.stdout.buffer.flush()
        return {"text": "sent %d notifications" % count}

    def host_input(self, ctx, key, method, params):
        """Legacy era: a server-to-client request. 2026-07-28: an input_required result the
        host answers by retrying the call with inputResponses (requestState is opaque)."""
        if not ctx["modern"]:
            resp = self.request_host(method, params)
            if "error" in resp:
                return None, "host refused %s: %s" % (method, resp["error"].get("message"))
            return resp.get("result"), None
        answers = ctx["params"].get("inputResponses") or {}
        if key in answers:
            return answers[key], None
        state = base64.b64encode(json.dumps({"key": key}).encode()).decode()
        return {"resultType": "input_required",
                "inputRequests": {key: {"method": method, "params": params}},
                "requestState": state}, "input_required"

    def t_ask_sampling(self, a, ctx):
        params = {"messages": [{"role": "user", "content": {
            "type": "text", "text": a.get("prompt", "say hi")}}], "maxTokens": 50}
        return self.ask(ctx, "sampling", "sampling/createMessage", params)

    def t_ask_elicitation(self, a, ctx):
        params = {"message": a.get("message", "Proceed?"),
                  "requestedSchema": {"type": "object",
                                      "properties": {"ok": {"type": "boolean"}}}}
        return self.ask(ctx, "elicitation", "elicitation/create", params)

    def t_ask_roots(self, a, ctx):
        return self.ask(ctx, "roots", "roots/list", {})

    def ask(self, ctx, key, method, params):
        answer, problem = self.host_input(ctx, key, method, params)
        if problem == "input_required":
            return answer
        if problem:
            return {"text": problem, "isError": True}
        return {"text": json.dumps(answer, separators=(",", ":"), sort_keys=True)}

    def t_misbehave(self, a, ctx):
        what = a.get("what")
        rid = ctx["rid"]
        if what == "non_json":
            self.write_raw(b"this is not JSON at all\n")
        elif what == "unknown_id":
            self.send({"jsonrpc": "2.0", "id": "never-sent-4711", "result": {"spoof": True}})
        elif what == "answer_twice":
            self.respond(rid, {"content": [{"type": "text", "text": "first"}]}, ctx["modern"])
            return {"content": [{"type": "text", "text": "second"}]}
        elif what == "id_type_swap":
            # the same id with the other JSON type: 1 <-> "1"
            other = str(rid) if isinstance(rid, int) else int(rid) if str(rid).isdigit() else 0
            self.send({"jsonrpc": "2.0", "id": other,
                       "result": {"content": [{"type": "text", "text": "swapped"}]}})
        elif what == "crash_mid_line":
            self.write_raw(b'{"jsonrpc":"2.0","id":')
            os._exit(3)
        elif what == "stderr_flood":
            flood_stderr(int(a.get("bytes", 1 << 20)))
        elif what == "oversized_line":
            n = int(a.get("bytes", 17 << 20))
            self.write_raw(b'{"jsonrpc":"2.0","method":"notifications/message","params":'
                           b'{"level":"info","data":"' + b"A" * n + b'"}}\n')
        elif what == "no_newline_forever":
            with self.out_lock:
                while True:
                    sys.stdout.buffer.write(b"x" * 65536)
                    sys.stdout.buffer.flush()
        elif what == "malformed":
            self.write_raw(base64.b64decode(a["b64"]) + b"\n")
        elif what == "respond_id":
            self.send({"jsonrpc": "2.0", "id": a["id"],
                       "result": {"content": [{"type": "text", "text": "late"}]}})
        elif what == "ignore_sigterm":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        elif what == "exit":
            sys.stdout.flush()
            os._exit(int(a.get("code", 0)))
        elif what == "kill_self":
            os.kill(os.getpid(), int(a.get("signal", 9)))
        else:
            raise ToolError(-32602, "misbehave: unknown what %r" % what)
        return {"text": "misbehaved: %s" % what}


GUARD_TOOLS = [("raw", "Answers with the response text it is given (guard tests)",
                schema(tail="string"))]


def all_tools():
    return TOOLS + GUARD_TOOLS if guards_on() else TOOLS


def server_info(d):
    return dict(SERVER_INFO, version=d["version"]) if "version" in d else SERVER_INFO


def instructions(d):
    return d.get("instructions", "A test server for mcpcage.")


class ToolError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


METHODS = {
    "initialize": Server.m_initialize,
    "server/discover": Server.m_discover,
    "ping": Server.m_ping,
    "logging/setLevel": Server.m_set_level,
    "tools/list": Server.m_tools_list,
    "tools/call": Server.m_tools_call,
    "resources/list": Server.m_resources_list,
    "resources/read": Server.m_resources_read,
    "prompts/list": Server.m_prompts_list,
    "prompts/get": Server.m_prompts_get,
}


FLOOD_LINE = b"mcp_test_server: stderr flood line ......................................\n"


def flood_stderr(n):
    """n // len(FLOOD_LINE) whole lines on stderr."""
    lines = n // len(FLOOD_LINE)
    while lines > 0:
        k = min(lines, 1024)
        data = memoryview(FLOOD_LINE * k)
        while data:
            data = data[os.write(2, data):]
        lines -= k


def sink():
    """Count lines, answer nothing; at EOF write the count (and byte total)."""
    lines = total = 0
    stdin = sys.stdin.buffer
    while True:
        data = stdin.read1(1 << 16)
        if not data:
            break
        lines += data.count(b"\n")
        total += len(data)
    out = os.environ.get("MCP_TEST_SINK_COUNT")
    if out:
        with open(out, "w") as f:
            f.write("%d %d\n" % (lines, total))


FLAGS = []


def main():
    # `--env NAME=VALUE` arguments set the MCP_TEST_* variables too: a confined run scrubs
    # the environment to the policy's allow-list, the command line passes unchanged.
    args = sys.argv[1:]
    for i, a in enumerate(args):
        if a == "--env" and i + 1 < len(args) and "=" in args[i + 1]:
            k, v = args[i + 1].split("=", 1)
            if k.startswith("MCP_TEST_"):
                os.environ[k] = v
    FLAGS[:] = [f for f in os.environ.get("MCP_TEST_MISBEHAVE", "").split(",") if f]
    flags = FLAGS
    for f in flags:
        if f == "ignore_sigterm":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        elif f == "non_json_at_start":
            sys.stdout.buffer.write(b"server banner: not JSON\n")
            sys.stdout.buffer.flush()
        elif f.startswith("stderr_flood="):
            flood_stderr(int(f.split("=", 1)[1]))
        elif f not in ("sink", "linger_after_eof"):
            sys.stderr.write("mcp_test_server: unknown MCP_TEST_MISBEHAVE flag %r\n" % f)
            sys.exit(2)
    if "sink" in flags:
        sink()
        return
    Server().serve()


if __name__ == "__main__":
    main()
