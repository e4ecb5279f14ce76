#!/usr/bin/env python3
"""Real servers from npm through mcpcage: @modelcontextprotocol/server-everything and
@modelcontextprotocol/server-filesystem, pinned in tests/package.json (`npm ci` in tests/,
which contrib/setup.sh runs). What the host receives through mcpcage must equal a direct
run of the same server, after removing only what varies between two direct runs (named at
each normalisation below). Runs with --isolation none unless MCPCAGE_TEST_ISOLATION says
otherwise. TAP; every case runs as root and as nobody (see mcpcage_test.py)."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, Skip, expect, expect_eq, short, find_raw_id, NODE_MODULES  # noqa: E402

suite = Suite("npm-servers")
EVERYTHING = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-everything", "dist",
                          "index.js")
FILESYSTEM = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-filesystem", "dist",
                          "index.js")
# server-everything's toggle-simulated-logging sends one message picked at random from this
# fixed set (dist/server/logging.js): level and data differ between runs by design.
RANDOM_LOG_LEVELS = {"debug", "info", "notice", "warning", "error", "critical", "alert",
                     "emergency"}


def node():
    path = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
    if not path:
        raise Skip("node is not installed (contrib/setup.sh installs it)")
    return path


def need(path):
    if not os.path.exists(path):
        raise Skip("%s missing: run `npm ci` in tests/ (contrib/setup.sh does)" %
                   os.path.relpath(path, os.path.dirname(NODE_MODULES)))


def req(rid, method, params=None):
    m = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        m["params"] = params
    return m


def call(rid, name, args, meta=None):
    params = {"name": name, "arguments": args}
    if meta:
        params["_meta"] = meta
    return req(rid, "tools/call", params)


INIT = [
    req(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "mcpcage-it", "version": "1.0"}}),
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
]


def play(p, script):
    """Each request waits for its answer; a step may be a function of the answers so far.
    Returns {id: raw response}, [notifications in order]."""
    answers, notes = {}, []
    for step in script:
        msg = step(answers) if callable(step) else step
        raw = json.dumps(msg, separators=(",", ":")).encode()
        p.send(raw + b"\n")
        if "id" not in msg:
            continue
        line, parsed, before = p.read_response(find_raw_id(raw), timeout=30)
        answers[msg["id"]] = line
        notes += before
    return answers, notes


def session(ctx, start, script):
    p = start()
    answers, notes = play(p, script)
    p.close_stdin()
    notes += p.read_until_eof(timeout=20)
    p.wait(20)
    expect(p.exit_code() in (0, 128 + 15), "%s exit status %s (stderr: %s)"
           % (p.label, p.exit_code(), short(p.stderr_text()[-1500:], 1500)))
    return answers, notes


def normalise_notes(notes):
    """Unsolicited list_changed notifications come whenever the server registers things,
    so their position relative to answers is timing; they are compared as a count. The
    random log message keeps its method, its level is checked against the fixed set."""
    out, list_changed = [], {}
    for raw in notes:
        n = json.loads(raw)
        m = n.get("method", "")
        if m.endswith("/list_changed"):
            list_changed[m] = list_changed.get(m, 0) + 1
            continue
        if m == "notifications/message" and n["params"].get("level") in RANDOM_LOG_LEVELS \
                and "simulated" not in json.dumps(n):
            expect(isinstance(n["params"].get("data"), str), "log data is text")
            n["params"] = {"level": "<random>", "data": "<random>"}
            out.append(json.dumps(n, sort_keys=True))
            continue
        out.append(raw.decode())
    return out, list_changed


def compare(through, direct, what):
    a_t, n_t = through
    a_d, n_d = direct
    expect_eq(sorted(a_t, key=str), sorted(a_d, key=str), what + ": the ids answered")
    for rid in a_d:
        expect(a_t[rid] == a_d[rid], "%s: answer %s differs from the direct run:\n  through "
               "mcpcage: %s\n  direct: %s" % (what, rid, short(a_t[rid], 600),
                                              short(a_d[rid], 600)))
    nt, lt = normalise_notes(n_t)
    nd, ld = normalise_notes(n_d)
    expect_eq(nt, nd, what + ": notifications")
    expect_eq(lt, ld, what + ": list_changed notifications")


@suite.case("real server: server-everything tools, resources, prompts, progress and log "
            "notifications arrive as in a direct run")
def everything(ctx):
    nodebin = node()
    need(EVERYTHING)
    cmd = [nodebin, EVERYTHING, "stdio"]

    def first_resource(answers):
        res = json.loads(answers[4])["result"]["resources"]
        return req(5, "resources/read", {"uri": res[0]["uri"]})

    script = INIT + [
        req(2, "tools/list"),
        call(3, "echo", {"message": "hello through mcpcage"}),
        req(4, "resources/list"),
        first_resource,
        req(6, "prompts/list"),
        req(7, "prompts/get", {"name": "simple-prompt"}),
        call(8, "get-sum", {"a": 19, "b": 23}),
        call(9, "trigger-long-running-operation", {"duration": 0.3, "steps": 3},
             {"progressToken": "prog-1"}),
        call(10, "toggle-simulated-logging", {}),
        call(11, "toggle-simulated-logging", {}),
        call(12, "get-structured-content", {"location": "New York"}),
        req(13, "ping"),
    ]
    through = session(ctx, lambda: ctx.start(cmd), script)
    direct = session(ctx, lambda: ctx.start_direct(cmd), script)
    compare(through, direct, "server-everything")
    answers, notes = through
    tools = [t["name"] for t in json.loads(answers[2])["result"]["tools"]]
    expect("echo" in tools and "get-sum" in tools, "tools/list: %s" % tools)
    expect_eq(json.loads(answers[3])["result"]["content"][0]["text"],
              "Echo: hello through mcpcage", "echo")
    expect("42" in json.loads(answers[8])["result"]["content"][0]["text"], "get-sum 19+23")
    progress = [json.loads(n) for n in notes if b"notifications/progress" in n]
    expect_eq([(x["params"]["progress"], x["params"]["progressToken"]) for x in progress],
              [(1, "prog-1"), (2, "prog-1"), (3, "prog-1")], "progress notifications")
    logs = [n for n in notes if b'"notifications/message"' in n]
    expect(len(logs) >= 1, "the simulated log message arrived")
    calls = [r for r in ctx.audit_events("call") if r.get("method") == "tools/call"]
    expect_eq(len(calls), 6, "tools/call audit records")


FS_TOOLS = {"read_text_file", "write_file", "list_directory", "list_allowed_directories"}


@suite.case("real server: server-filesystem lists, reads and writes inside a temp directory "
            "as in a direct run")
def filesystem(ctx):
    nodebin = node()
    need(FILESYSTEM)
    root = os.path.join(ctx.dir, "project")
    note = os.path.join(root, "notes.txt")

    def script():
        return INIT + [
            req(2, "tools/list"),
            call(3, "list_allowed_directories", {}),
            call(4, "write_file", {"path": note, "content": "first line\nsecond line\n"}),
            call(5, "read_text_file", {"path": note}),
            call(6, "read_text_file", {"path": note, "head": 1}),
            call(7, "list_directory", {"path": root}),
            call(8, "create_directory", {"path": os.path.join(root, "sub")}),
            call(9, "write_file", {"path": os.path.join(root, "sub", "a.txt"),
                                   "content": "A"}),
            call(10, "list_directory", {"path": os.path.join(root, "sub")}),
            call(11, "read_text_file", {"path": os.path.join(ctx.dir, "outside.txt")}),
        ]

    def fresh():
        shutil.rmtree(root, ignore_errors=True)
        os.mkdir(root, 0o700)

    with open(os.path.join(ctx.dir, "outside.txt"), "w") as f:
        f.write("outside the allowed directory\n")
    cmd = [nodebin, FILESYSTEM, root]
    fresh()
    through = session(ctx, lambda: ctx.start(cmd, options=["--rw", root]), script())
    with open(note) as f:
        expect_eq(f.read(), "first line\nsecond line\n", "the file the server wrote")
    with open(os.path.join(root, "sub", "a.txt")) as f:
        expect_eq(f.read(), "A", "the file in the new directory")
    fresh()
    direct = session(ctx, lambda: ctx.start_direct(cmd), script())
    compare(through, direct, "server-filesystem")
    answers, _ = through
    tools = {t["name"] for t in json.loads(answers[2])["result"]["tools"]}
    expect(FS_TOOLS <= tools, "tools/list has %s: %s" % (FS_TOOLS, sorted(tools)))
    expect_eq(json.loads(answers[5])["result"]["content"][0]["text"],
              "first line\nsecond line\n", "read_text_file")
    listing = json.loads(answers[7])["result"]["content"][0]["text"]
    expect("[FILE] notes.txt" in listing, "list_directory: %s" % short(listing))
    outside = json.loads(answers[11])["result"]
    expect(outside.get("isError"), "the server refuses a path outside its root: %s"
           % short(outside))


if __name__ == "__main__":
    suite.main()
