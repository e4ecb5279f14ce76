#!/usr/bin/env python3
"""The shipped policies (policies/*.json), each against its real server, confined
(--isolation auto) as a user would run it: initialize, tools/list with the tools the policy
shows and hides, an allowed call, a refused call with the answer the host gets, and the
audit records that prove the refusal happened in mcpcage (the server never saw it). Where a
refusal stops an attack, the same request sent to the server directly shows it would have
worked. The servers come from tests/package-lock.json (`npm ci` in tests/); PostgreSQL is
the Debian package, started by the test on 127.0.0.1 as the case's user (nobody when the
case runs as root: initdb refuses root). Nothing here contacts a host outside this machine:
github is tested up to tools/list and refused calls (neither needs the network), npx by
policy check and --dry-run. TAP; every case runs as root and as nobody (mcpcage_test.py)."""
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import (Suite, Skip, expect, expect_eq, short, NODE_MODULES, NOBODY,  # noqa: E402
                          PYTHON, SERVER, mcpcage_path)

suite = Suite("policies")
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = os.path.join(os.path.dirname(TESTS), "policies")
CONFINED = ["--isolation", "auto"]
MCP = os.path.join(NODE_MODULES, "@modelcontextprotocol")


def pkg(name):
    return os.path.join(MCP, "server-" + name, "dist", "index.js")


def shipped(name):
    return os.path.join(POLICIES, name + ".json")


def node(*packages):
    path = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
    if not path:
        raise Skip("node is not installed (contrib/setup.sh installs it)")
    for p in packages:
        if not os.path.exists(pkg(p)):
            raise Skip("server-%s missing: run `npm ci` in tests/ (contrib/setup.sh does)" % p)
    return path


def req(rid, method, params=None):
    m = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        m["params"] = params
    return m


def call(rid, name, args):
    return req(rid, "tools/call", {"name": name, "arguments": args})


def prepare(ctx):
    """As root mcpcage runs the server as nobody: it must be able to reach the case dir."""
    os.chmod(ctx.dir, 0o711)


def owned_dir(ctx, path, mode=0o700):
    """A directory the server (nobody when the case runs as root) can write."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    return path


def secret(ctx, name, value):
    path = os.path.join(ctx.dir, "config", "mcpcage", "secrets", name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return path


def start(ctx, policy, cmd, options=(), env=None):
    opts = ["--policy", policy, "--ro", NODE_MODULES] + CONFINED + list(options)
    return ctx.start(cmd, env=env, options=opts)


def init(p, capabilities=None):
    resp, _, _ = p.call(req("init", "initialize", {
        "protocolVersion": "2025-06-18", "capabilities": capabilities or {},
        "clientInfo": {"name": "mcpcage-it", "version": "1"}}), timeout=30)
    expect("result" in resp, "initialize: %s" % short(resp))
    p.send_msg({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return resp["result"]


def tool_names(p, rid="list"):
    resp, _, _ = p.call(req(rid, "tools/list"), timeout=30)
    expect("result" in resp, "tools/list: %s" % short(resp))
    return sorted(t["name"] for t in resp["result"]["tools"])


def result(p, rid, name, args, timeout=30):
    resp, _, _ = p.call(call(rid, name, args), timeout=timeout)
    expect("result" in resp, "%s: no result: %s" % (name, short(resp)))
    return resp["result"]


def text(res):
    return (res.get("content") or [{}])[0].get("text", "")


def allowed(res, what):
    expect(not res.get("isError"), "%s: want success, got %s" % (what, short(res)))
    return text(res)


def denied(p, rid, name, args, why):
    res = result(p, rid, name, args)
    t = text(res)
    expect(res.get("isError") is True and t.startswith("mcpcage: denied: ") and why in t,
           "%s %s: want 'mcpcage: denied: ...%s...', got %s" % (name, short(args, 120), why,
                                                              short(res)))
    return t


def unknown_tool(p, rid, name, args):
    resp, _, _ = p.call(call(rid, name, args))
    err = resp.get("error") or {}
    expect(err.get("code") == -32602 and err.get("message", "").startswith("Unknown tool"),
           "%s: want -32602 Unknown tool, got %s" % (name, short(resp)))


def close(p, what="mcpcage"):
    p.close_stdin()
    p.read_until_eof(timeout=20)
    p.wait(20)
    # node servers do not all exit on stdin EOF: mcpcage's SIGTERM after the grace ends them
    expect(p.exit_code() in (0, 128 + 15), "%s exit status %s (stderr: %s)"
           % (what, p.exit_code(), short(p.stderr_text()[-1500:], 1500)))


def deny_records(ctx, tool=None):
    return [c for c in ctx.audit_events("call") if c.get("decision") == "deny"
            and (tool is None or c.get("tool") == tool)]


def session_start(ctx, name, root="empty"):
    starts = ctx.audit_events("session_start")
    expect(starts, "a session_start record")
    s = starts[0]
    expect_eq(s["policy"]["name"], name, "session_start.policy.name")
    expect_eq(s["sandbox"]["isolation"], "namespaces", "confined")
    expect_eq(s["sandbox"]["root"], root, "sandbox root")
    return s


def policy_check(ctx, name):
    rc, out, err = ctx.run(["policy", "check", shipped(name)])
    expect_eq(rc, 0, "policy check %s (%s)" % (name, err.decode(errors="replace")))
    pol = json.loads(out)
    expect(pol.get("description"), "%s has a description" % name)
    return pol


def network_enforced(ctx, policy):
    """Skip only when this build says it does not enforce filtered mode."""
    rc, out, err = ctx.run(["--dry-run", "--policy", policy, "--", "/bin/true"])
    expect_eq(rc, 0, "--dry-run (%s)" % err.decode(errors="replace"))
    both = (out + err).decode(errors="replace")
    for line in both.splitlines():
        if line.startswith("not enforced by this build:") and "network" in line:
            raise Skip("network filtering not in this build")
    return both


# ---- the bases and the built-in default ------------------------------------------------------

def hostile_path():
    path = os.environ.get("MCPCAGE_HOSTILE") or os.path.join(
        os.path.dirname(os.path.dirname(mcpcage_path())), "tests", "servers", "hostile")
    if not os.access(path, os.X_OK):
        raise Skip("tests/servers/hostile is not built (%s)" % path)
    return path


@suite.case("base: a dynamically linked C server runs in the empty root with the system dirs "
            "only (no /etc/passwd, no $HOME, /usr read-only); alone it shows no tool")
def base(ctx):
    prepare(ctx)
    exe = hostile_path()
    policy_check(ctx, "base")
    p = ctx.start([exe], options=["--policy", shipped("base"), "--ro", os.path.dirname(exe)]
                  + CONFINED)
    init(p)
    expect_eq(tool_names(p), [], "base alone: every tool hidden")
    unknown_tool(p, "hidden", "attempt", {"what": "read", "args": ["/etc/passwd"]})
    close(p)
    expect_eq([c["tool"] for c in deny_records(ctx)], ["attempt"], "the refusal is audited")
    session_start(ctx, "base")

    child = ctx.policy("base-child.json", {"version": 1, "extends": [shipped("base")],
                                           "mcp": {"tools": {"attempt": "allow"}}})
    p = ctx.start([exe], options=["--policy", child, "--ro", os.path.dirname(exe)] + CONFINED)
    init(p)
    expect_eq(tool_names(p), ["attempt"], "the child's tool is listed")

    def attempt(rid, what, *args):
        return result(p, rid, "attempt", {"what": what, "args": list(args)})["structuredContent"]

    for rid, path in ((1, "/etc/ld.so.cache"), (2, "/usr/lib/os-release")):
        if os.path.exists(path):
            r = attempt(rid, "read", path)
            expect(r["ok"], "read %s in base: %s" % (path, short(r)))
    for rid, path in ((3, "/etc/passwd"), (4, "/etc/shadow"), (5, os.path.join(ctx.dir, "home"))):
        r = attempt(rid, "read", path)
        expect(not r["ok"] and r["errno"] in ("ENOENT", "EACCES"),
               "%s must not exist in base: %s" % (path, short(r)))
    r = attempt(6, "create", "/usr/mcpcage-base-probe")
    expect(not r["ok"] and r["errno"] in ("EROFS", "EACCES"), "/usr is read-only: %s" % short(r))
    r = attempt(7, "create", "/tmp/probe")
    expect(r["ok"], "/tmp is a writable tmpfs: %s" % short(r))
    close(p)


@suite.case("base-node and base-python: node and python3 start in their views; alone they show "
            "no tool; python's test server under base-python + testserver.json answers")
def base_interpreters(ctx):
    prepare(ctx)
    nodebin = node("everything")
    for name in ("base-node", "base-python"):
        policy_check(ctx, name)
    p = start(ctx, shipped("base-node"), [nodebin, pkg("everything"), "stdio"])
    init(p)
    expect_eq(tool_names(p), [], "base-node alone: every tool hidden")
    unknown_tool(p, "n1", "echo", {"message": "x"})
    close(p)

    child = ctx.policy("py-child.json", {"version": 1, "extends": [
        shipped("base-python"), shipped("testserver")]})
    p = ctx.start([PYTHON, SERVER], options=["--policy", child, "--ro", os.path.dirname(SERVER)]
                  + CONFINED)
    init(p)
    names = tool_names(p)
    expect("echo" in names and "run" in names and "misbehave" not in names,
           "testserver.json's rules on top of base-python: %s" % names)
    expect_eq(text(result(p, 1, "echo", {"text": "hi from python"})), "hi from python",
              "python3 runs its stdlib in the base-python view")
    denied(p, 2, "run", {"command": "rm -rf /"}, "argument /command")
    close(p)
    expect_eq([c["tool"] for c in deny_records(ctx)], ["echo", "run"], "both refusals audited")


@suite.case("default (built-in): server-everything runs unchanged with every tool, sees none of "
            "the host's variables, and its sampling request is refused")
def default(ctx):
    prepare(ctx)
    nodebin = node("everything")
    cmd = [nodebin, pkg("everything"), "stdio"]
    secret_env = {"MCPCAGE_IT_SECRET": "do-not-leak-1234"}
    p = ctx.start(cmd, env=secret_env, options=["--ro", NODE_MODULES] + CONFINED)
    init(p, {"sampling": {}})
    names = tool_names(p)
    expect("get-env" in names and "echo" in names, "every tool listed: %s" % names)
    expect_eq(allowed(result(p, 1, "get-sum", {"a": 19, "b": 23}), "get-sum").count("42"), 1,
              "get-sum")
    env = allowed(result(p, 2, "get-env", {}), "get-env")
    expect("do-not-leak-1234" not in env and "MCPCAGE_IT_SECRET" not in env,
           "the host's other variables are dropped: %s" % short(env))
    if "trigger-sampling-request" in names:
        resp, _, before = p.call(call(3, "trigger-sampling-request", {"prompt": "hi",
                                                                      "maxTokens": 5}))
        expect(not any(b"sampling/createMessage" in ln for ln in before),
               "the host never sees the server's sampling request")
        res = resp.get("result") or {}
        expect("error" in resp or res.get("isError") or "error" in text(res).lower(),
               "the server's sampling request failed: %s" % short(resp))
    close(p)
    # after the session: a round's records are written after its output, and the refusal
    # and the tool's answer can fall in one round (the relay reads the server's answer
    # ahead), so the answer may reach the host before the record reaches the file
    if "trigger-sampling-request" in names:
        expect(ctx.audit_events("security", "method_denied"),
               "sampling/createMessage refused and audited")
    s = session_start(ctx, "default", root="host")
    expect_eq(s["sandbox"]["network"], "none", "no network")
    direct = ctx.start_direct(cmd, env=secret_env)
    init(direct)
    env = allowed(result(direct, 2, "get-env", {}), "get-env directly")
    expect("do-not-leak-1234" in env, "directly the server sees the variable")
    close(direct, "direct")


# ---- one policy per real server ---------------------------------------------------------------

FS_TOOLS = ["create_directory", "directory_tree", "edit_file", "get_file_info",
            "list_allowed_directories", "list_directory", "list_directory_with_sizes",
            "move_file", "read_file", "read_media_file", "read_multiple_files",
            "read_text_file", "search_files", "write_file"]


@suite.case("filesystem: server-filesystem confined to one read-only and one read-write tree; "
            "writes need files:write, credentials files are refused inside the roots")
def filesystem(ctx):
    prepare(ctx)
    nodebin = node("filesystem")
    policy_check(ctx, "filesystem")
    ro = owned_dir(ctx, os.path.join(ctx.dir, "ro"), 0o755)
    rw = owned_dir(ctx, os.path.join(ctx.dir, "rw"))
    for name, data in (("a.txt", "alpha\n"), (".env", "TOKEN=x\n"), ("id_rsa", "key\n")):
        with open(os.path.join(ro, name), "w") as f:
            f.write(data)
        os.chmod(os.path.join(ro, name), 0o644)
    cmd = [nodebin, pkg("filesystem"), ro, rw]
    p = start(ctx, shipped("filesystem"), cmd, ["--ro", ro, "--rw", rw])
    init(p)
    expect_eq(tool_names(p), FS_TOOLS, "every real tool is under a rule")
    expect_eq(allowed(result(p, 1, "read_text_file", {"path": ro + "/a.txt"}), "read"),
              "alpha\n", "read in the read-only tree")
    denied(p, 2, "write_file", {"path": rw + "/w.txt", "content": "w"}, "files:write")
    denied(p, 3, "read_text_file", {"path": ro + "/.env"}, "")
    denied(p, 4, "read_text_file", {"path": ro + "/id_rsa"}, "")
    denied(p, 5, "read_text_file", {"path": "/etc/passwd"}, "")
    close(p)
    expect(not os.path.exists(rw + "/w.txt"), "nothing written without files:write")
    rules = [c["rule"] for c in deny_records(ctx)]
    expect_eq(len(rules), 4, "one deny record per refusal: %s" % rules)
    expect(rules[0].startswith("/mcp/tools/write_file/scopes") and
           rules[1].startswith("/mcp/paths/deny") and rules[2].startswith("/mcp/paths/deny"),
           "the rules that decided: %s" % rules)
    session_start(ctx, "filesystem")

    p = start(ctx, shipped("filesystem"), cmd, ["--ro", ro, "--rw", rw, "--grant", "files:write"])
    init(p)
    allowed(result(p, 1, "write_file", {"path": rw + "/w.txt", "content": "w"}), "write")
    denied(p, 2, "write_file", {"path": ro + "/w.txt", "content": "w"}, "")
    close(p)
    with open(rw + "/w.txt") as f:
        expect_eq(f.read(), "w", "written in the read-write tree")
    expect(not os.path.exists(ro + "/w.txt"), "nothing written in the read-only tree")

    direct = ctx.start_direct(cmd)
    init(direct)
    expect_eq(allowed(result(direct, 1, "read_text_file", {"path": ro + "/.env"}), "direct"),
              "TOKEN=x\n", "directly the server hands out .env")
    close(direct, "direct")


MEMORY_TOOLS = ["add_observations", "create_entities", "create_relations", "delete_entities",
                "delete_observations", "delete_relations", "open_nodes", "read_graph",
                "search_nodes"]
GITHUB_TOKEN_LIKE = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@suite.case("memory: server-memory stores its graph only in ${XDG_STATE_HOME}/mcpcage/memory; "
            "deletions need memory:delete; secrets never reach the file")
def memory(ctx):
    prepare(ctx)
    nodebin = node("memory")
    policy_check(ctx, "memory")
    state = os.path.join(ctx.dir, "state")
    os.chmod(state, 0o711)
    owned_dir(ctx, os.path.join(state, "mcpcage"))
    mdir = owned_dir(ctx, os.path.join(state, "mcpcage", "memory"))
    p = start(ctx, shipped("memory"), [nodebin, pkg("memory")])
    init(p)
    expect_eq(tool_names(p), MEMORY_TOOLS, "every real tool is under a rule")
    allowed(result(p, 1, "create_entities", {"entities": [{
        "name": "mcpcage", "entityType": "project",
        "observations": ["written in C", "token " + GITHUB_TOKEN_LIKE]}]}), "create_entities")
    graph = allowed(result(p, 2, "read_graph", {}), "read_graph")
    expect("written in C" in graph, "read back: %s" % short(graph))
    denied(p, 3, "delete_entities", {"entityNames": ["mcpcage"]}, "memory:delete")
    close(p)
    mfile = os.path.join(mdir, "memory.jsonl")
    with open(mfile) as f:
        stored = f.read()
    expect("written in C" in stored and "mcpcage" in stored, "the graph is in %s" % mfile)
    expect(GITHUB_TOKEN_LIKE not in stored and "[REDACTED:github_token]" in stored,
           "the token in the arguments was redacted before the server stored it: %s"
           % short(stored))
    recs = deny_records(ctx, "delete_entities")
    expect(len(recs) == 1 and recs[0]["rule"] == "/mcp/tools/delete_entities/scopes/0",
           "the refusal and its rule are audited: %s" % short(recs))
    session_start(ctx, "memory")
    expect(os.listdir(mdir) == ["memory.jsonl"], "nothing else written: %s" % os.listdir(mdir))


EVERYTHING_SHOWN = ["echo", "get-annotated-message", "get-resource-links",
                    "get-resource-reference", "get-structured-content", "get-sum",
                    "get-tiny-image", "simulate-research-query", "toggle-simulated-logging",
                    "toggle-subscriber-updates", "trigger-long-running-operation"]


@suite.case("everything: server-everything's demo tools pass, get-env and URL fetching are "
            "hidden and refused as unknown tools")
def everything(ctx):
    prepare(ctx)
    nodebin = node("everything")
    policy_check(ctx, "everything")
    cmd = [nodebin, pkg("everything"), "stdio"]
    p = start(ctx, shipped("everything"), cmd)
    init(p)
    expect_eq(tool_names(p), EVERYTHING_SHOWN, "tools/list")
    expect_eq(allowed(result(p, 1, "echo", {"message": "hi"}), "echo"), "Echo: hi", "echo")
    expect("42" in allowed(result(p, 2, "get-sum", {"a": 19, "b": 23}), "get-sum"), "get-sum")
    unknown_tool(p, "env", "get-env", {})
    unknown_tool(p, "gz", "gzip-file-as-resource", {"data": "http://169.254.169.254/latest/"})
    close(p)
    expect_eq(sorted(c["tool"] for c in deny_records(ctx)), ["get-env", "gzip-file-as-resource"],
              "both refusals audited")
    session_start(ctx, "everything")
    direct = ctx.start_direct(cmd)
    init(direct)
    expect("PATH" in allowed(result(direct, 1, "get-env", {}), "direct get-env"),
           "directly get-env dumps the environment")
    close(direct, "direct")


@suite.case("sequential-thinking: its one tool passes, a burst past 120/min gets 429, the "
            "thoughts are not logged to stderr")
def sequential_thinking(ctx):
    prepare(ctx)
    nodebin = node("sequential-thinking")
    policy_check(ctx, "sequential-thinking")
    p = start(ctx, shipped("sequential-thinking"), [nodebin, pkg("sequential-thinking")])
    init(p)
    expect_eq(tool_names(p), ["sequentialthinking"], "tools/list")
    thought = {"thought": "a private thought 7f3a", "nextThoughtNeeded": True,
               "thoughtNumber": 1, "totalThoughts": 3}
    out = json.loads(allowed(result(p, 0, "sequentialthinking", thought), "first thought"))
    expect_eq(out.get("thoughtNumber"), 1, "the server's answer")
    t0 = time.monotonic()
    for i in range(1, 120):
        result(p, i, "sequentialthinking", thought)
    # The bucket holds 120 and refills 2 a second while the calls above take their time (a
    # second or more on a slow machine): the refusal must come by the call that exceeds
    # 120 plus what has been refilled since the first one, not later.
    n, err, resp = 120, {}, {}
    while err.get("code") != 429 and n <= 120 + int((time.monotonic() - t0) * 2) + 1:
        resp, _, _ = p.call(call("burst-%d" % n, "sequentialthinking", thought))
        err = resp.get("error") or {}
        n += 1
    expect(err.get("code") == 429 and err.get("data", {}).get("retry_after_ms", 0) > 0,
           "call %d, past 120/min plus %.1f s of refill: 429 with retry_after_ms: %s"
           % (n, time.monotonic() - t0, short(resp)))
    unknown_tool(p, "other", "other", {})
    close(p)
    expect("private thought 7f3a" not in p.stderr_text(), "thoughts not logged to stderr")
    expect(ctx.audit_events("security", "rate_limited"), "rate_limited audited")
    session_start(ctx, "sequential-thinking")


GITHUB_READ = ["get_file_contents", "get_issue", "get_pull_request", "get_pull_request_comments",
               "get_pull_request_files", "get_pull_request_reviews", "get_pull_request_status",
               "list_commits", "list_issues", "list_pull_requests", "search_code",
               "search_issues", "search_repositories", "search_users"]
GITHUB_WRITE = ["add_issue_comment", "create_branch", "create_issue", "create_or_update_file",
                "create_pull_request", "create_pull_request_review", "create_repository",
                "fork_repository", "merge_pull_request", "push_files", "update_issue",
                "update_pull_request_branch"]


@suite.case("github: server-github with a dummy token: every real tool listed, writes refused "
            "without github:write, merging refused without the user's confirmation; no "
            "connection is made")
def github(ctx):
    prepare(ctx)
    nodebin = node("github")
    policy_check(ctx, "github")
    secret(ctx, "github", GITHUB_TOKEN_LIKE)
    dry = network_enforced(ctx, shipped("github"))
    expect("filtered" in dry and "1 allow rule" in dry, "dry run: %s" % short(dry, 2000))
    cmd = [nodebin, pkg("github")]
    p = start(ctx, shipped("github"), cmd)
    init(p)
    expect_eq(tool_names(p), sorted(GITHUB_READ + GITHUB_WRITE), "every real tool is under a rule")
    denied(p, 1, "create_issue", {"owner": "o", "repo": "r", "title": "t"}, "github:write")
    denied(p, 2, "push_files", {"owner": "o", "repo": "r", "branch": "main", "message": "m",
                                "files": [{"path": "a", "content": "b"}]}, "github:write")
    close(p)
    p = start(ctx, shipped("github"), cmd, ["--grant", "github:write"])
    init(p)
    denied(p, 3, "merge_pull_request", {"owner": "o", "repo": "r", "pull_number": 1},
           "confirmation")
    close(p)
    recs = deny_records(ctx)
    expect_eq([(r["tool"], r["rule"]) for r in recs],
              [("create_issue", "/mcp/tools/create_issue/scopes/0"),
               ("push_files", "/mcp/tools/push_files/scopes/0"),
               ("merge_pull_request", "/mcp/tools/merge_pull_request/confirm")],
              "the refusals and their rules")
    expect_eq(ctx.audit_events("connection"), [], "no connection was attempted")
    s = session_start(ctx, "github")
    expect_eq(s["sandbox"]["network"], "filtered", "network mode")
    with open(ctx.audit_path) as f:
        expect(GITHUB_TOKEN_LIKE not in f.read(), "the token is not in the audit log")


# ---- postgres ---------------------------------------------------------------------------------

def pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        raise Skip("PostgreSQL is not installed (apt-get install postgresql; contrib/setup.sh)")
    return os.path.dirname(found[-1])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postgres:
    """A throw-away cluster on 127.0.0.1:port, run as the case's user (nobody for root),
    logging every statement it receives to a file."""

    def __init__(self, ctx, password):
        self.bin = pg_bin()
        self.port = free_port()
        self.data = owned_dir(ctx, os.path.join(ctx.dir, "pgdata"))
        self.log = os.path.join(ctx.dir, "postgres.log")
        self.env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PGPASSWORD": password}
        user = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}
        pwfile = os.path.join(ctx.dir, "pgpw")
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        os.chmod(pwfile, 0o644)
        r = subprocess.run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "mcp",
                            "--auth=scram-sha-256", "--pwfile", pwfile, "-E", "UTF8",
                            "--no-sync"], capture_output=True, env=self.env, cwd="/", **user)
        os.unlink(pwfile)
        expect_eq(r.returncode, 0, "initdb (%s)" % short(r.stderr, 1500))
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(
                [os.path.join(self.bin, "postgres"), "-D", self.data, "-h", "127.0.0.1",
                 "-p", str(self.port), "-F", "-c", "unix_socket_directories=",
                 "-c", "log_statement=all", "-c", "logging_collector=off"],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=self.env, cwd="/",
                **user)
        deadline = time.monotonic() + 30
        while self.psql("SELECT 1", check=False)[0] != 0:
            expect(self.proc.poll() is None, "postgres exited: %s" % short(self.log_text(), 2000))
            expect(time.monotonic() < deadline, "postgres did not start within 30 s")
            time.sleep(0.2)

    def psql(self, sql, check=True):
        r = subprocess.run([os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p",
                            str(self.port), "-U", "mcp", "-d", "postgres", "-At", "-X",
                            "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, env=self.env, cwd="/")
        if check:
            expect_eq(r.returncode, 0, "psql %s (%s)" % (sql, short(r.stderr)))
        return r.returncode, r.stdout.decode().strip()

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)   # fast shutdown: clients disconnected
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@suite.case("postgres: server-postgres through the forward to a real PostgreSQL on 127.0.0.1; "
            "SELECT passes, INSERT, DROP and a second statement never reach the database; "
            "directly, `COMMIT; DROP TABLE` escapes the server's read-only transaction")
def postgres(ctx):
    prepare(ctx)
    nodebin = node("postgres")
    policy_check(ctx, "postgres")
    password = "pw-" + os.urandom(8).hex()
    secret(ctx, "postgres", password)
    network_enforced(ctx, shipped("postgres"))
    pg = Postgres(ctx, password)
    try:
        run_postgres(ctx, nodebin, pg, password)
    finally:
        pg.stop()


def run_postgres(ctx, nodebin, pg, password):
    pg.psql("CREATE TABLE customers (id int, name text); "
            "INSERT INTO customers VALUES (1, 'alice'), (2, 'bob')")
    # the shipped policy, its forward pointed at this test's port instead of 5432
    pol = ctx.policy("postgres-test.json", {
        "version": 1, "extends": [shipped("postgres")],
        "network": {"allow": ["127.0.0.1:%d" % pg.port],
                    "forward": {"127.0.0.1:5432": "127.0.0.1:%d" % pg.port}}})
    cmd = [nodebin, pkg("postgres"), "postgresql://mcp@127.0.0.1:5432/postgres"]
    p = start(ctx, pol, cmd)
    init(p)
    expect_eq(tool_names(p), ["query"], "tools/list")
    rows = json.loads(allowed(result(p, 1, "query", {
        "sql": "SELECT id, name\n  FROM customers\n WHERE id > 0 AND id < 5 ORDER BY id"}),
        "SELECT"))
    expect_eq(rows, [{"id": 1, "name": "alice"}, {"id": 2, "name": "bob"}], "rows")
    rows = json.loads(allowed(result(p, 2, "query", {
        "sql": "SELECT name || '!' AS n FROM customers WHERE id <> 2;"}), "|| and a final ;"))
    expect_eq(rows, [{"n": "alice!"}], "rows")
    refused = {
        "insert": "INSERT INTO customers VALUES (3, 'eve')",
        "drop": "drop table customers",
        "escape": "COMMIT; DROP TABLE customers",
        "second": "SELECT 1; DELETE FROM customers",
        "cte": "WITH x AS (DELETE FROM customers RETURNING *) SELECT * FROM x",
        "into": "SELECT * INTO stolen FROM customers",
        "file": "SELECT pg_read_file('/etc/passwd')",
    }
    for rid, sql in refused.items():
        denied(p, rid, "query", {"sql": sql}, "argument /sql")
    close(p)
    recs = deny_records(ctx, "query")
    expect_eq(len(recs), len(refused), "one deny record per refusal")
    expect(all(r["rule"].startswith("/mcp/tools/query/commands/~1sql/deny/") for r in recs),
           "decided by the deny patterns: %s" % [r["rule"] for r in recs])
    conns = [c for c in ctx.audit_events("connection") if c.get("decision") == "allow"]
    expect(conns and all(c.get("via", "").startswith("forward") for c in conns),
           "the server reached the database through the forward: %s" % short(conns))
    log = pg.log_text()
    expect("FROM customers" in log, "the SELECT reached the database")
    for sql in refused.values():
        expect(sql not in log, "the database never saw %r" % sql)
    expect_eq(pg.psql("SELECT count(*) FROM customers")[1], "2", "the table is intact")
    with open(ctx.audit_path) as f:
        expect(password not in f.read(), "the password is not in the audit log")
    session_start(ctx, "postgres-test")

    # without mcpcage the server's READ ONLY transaction is all there is, and a second
    # statement walks out of it
    direct = ctx.start_direct([nodebin, pkg("postgres"),
                               "postgresql://mcp@127.0.0.1:%d/postgres" % pg.port],
                              env={"PGPASSWORD": password})
    init(direct)
    resp, _, _ = direct.call(call(1, "query", {"sql": "COMMIT; DROP TABLE customers"}))
    # its idle pool keeps it running for 10 s after stdin closes
    direct.kill()
    rc, _ = pg.psql("SELECT count(*) FROM customers", check=False)
    expect(rc != 0, "directly, COMMIT; DROP TABLE dropped the table (%s)" % short(resp))


# ---- npx ----------------------------------------------------------------------------------

@suite.case("npx: policy check and --dry-run only (the registry is never contacted): host root "
            "with $HOME hidden, ~/.npm bound read-write, the network filtered to the registry")
def npx(ctx):
    pol = policy_check(ctx, "npx")
    expect_eq(pol["network"]["allow"], ["registry.npmjs.org:443"], "network.allow")
    network_enforced(ctx, shipped("npx"))
    npx_bin = shutil.which("npx", path="/usr/local/bin:/usr/bin:/bin") or "/usr/bin/npx"
    rc, out, err = ctx.run(["--dry-run", "--policy", shipped("npx"), "--", npx_bin, "-y",
                            "@modelcontextprotocol/server-memory"])
    expect_eq(rc, 0, "--dry-run (%s)" % err.decode(errors="replace"))
    dry = (out + err).decode(errors="replace")
    lines = dry.splitlines()
    expect(any("host root, read-only" in ln for ln in lines), "host root: %s" % short(dry, 3000))
    # ${HOME} is the password database's home of the user (not the environment's)
    npm_cache = os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".npm")
    if os.path.isdir(npm_cache):
        expect(any(ln.split()[:1] == [npm_cache] and "bind, read-write" in ln for ln in lines),
               "%s bound read-write: %s" % (npm_cache, short(dry, 3000)))
    else:
        expect(any("skipped ?%s" % npm_cache in ln for ln in lines),
               "a missing %s is left out, not an error: %s" % (npm_cache, short(dry, 3000)))
    expect(any(ln.startswith("network:") and "filtered" in ln and "1 allow rule" in ln
               for ln in lines), "network line: %s" % short(dry, 3000))
    expect(any(ln.startswith("environment:") and "HTTPS_PROXY" in ln for ln in lines),
           "the proxy variables are set for npm: %s" % short(dry, 3000))


if __name__ == "__main__":
    suite.main()
