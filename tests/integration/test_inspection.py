#!/usr/bin/env python3
"""Inspection: every row of threats.md §2 through mcp_test_server.py (which logs every line it
receives), in both protocol eras, asserting the answer the host got AND that the server never
saw a refused request; then the same kind of rows through the real server-filesystem with one
directory read-only and one read-write (policies/filesystem.json). Each attack also runs once
directly against the server to show it would work without mcpcage. TAP; every case runs as
root and as nobody (see mcpcage_test.py)."""
import json
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, Skip, expect, expect_eq, short, NODE_MODULES  # noqa: E402

suite = Suite("inspection")
POLICIES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "policies")
FILESYSTEM = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-filesystem", "dist",
                          "index.js")
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "roots": {}},
        "io.modelcontextprotocol/clientInfo": {"name": "mcpcage-it", "version": "1.0"}}


def req(rid, method, params=None, modern=False):
    m = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None or modern:
        m["params"] = dict(params or {})
        if modern:
            m["params"]["_meta"] = META
    return m


def call(rid, name, args, modern=False, **extra):
    params = {"name": name, "arguments": args}
    params.update(extra)
    return req(rid, "tools/call", params, modern)


def tree(ctx):
    """ro/ (read-only root) with a file, a symlink out and a .env; rw/ (read-write root)."""
    ro, rw = os.path.join(ctx.dir, "ro"), os.path.join(ctx.dir, "rw")
    for d in (ro, rw):
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(ro, "a.txt"), "w") as f:
        f.write("alpha\n")
    with open(os.path.join(ro, ".env"), "w") as f:
        f.write("TOKEN=x\n")
    if not os.path.islink(os.path.join(ro, "out")):
        os.symlink("/etc", os.path.join(ro, "out"))
    return ro, rw


def testserver_policy(ctx, **mcp_overrides):
    with open(os.path.join(POLICIES, "testserver.json")) as f:
        pol = json.load(f)
    for k, v in mcp_overrides.items():
        node = pol["mcp"]
        keys = k.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = v
    return ctx.policy("testserver.json", pol)


def start(ctx, policy, ro, rw, grants=(), env=None):
    opts = ["--policy", policy, "--ro", ro, "--rw", rw]
    for g in grants:
        opts += ["--grant", g]
    return ctx.start(ctx.server_cmd(), env=dict(ctx.server_env(), **(env or {})), options=opts)


def init(p, modern=False):
    if modern:
        resp, _, _ = p.call(req("d", "server/discover", modern=True))
        expect("result" in resp, "server/discover answered: %s" % short(resp))
        return
    resp, _, _ = p.call(req("i", "initialize", {"protocolVersion": "2025-06-18", "capabilities": {
        "roots": {}, "elicitation": {}, "sampling": {}},
        "clientInfo": {"name": "mcpcage-it", "version": "1.0"}}))
    expect("result" in resp, "initialize answered: %s" % short(resp))
    p.send_msg({"jsonrpc": "2.0", "method": "notifications/initialized"})


def denied_result(resp, what, modern=False):
    r = resp.get("result") or {}
    text = (r.get("content") or [{}])[0].get("text", "")
    expect(r.get("isError") is True and text.startswith("mcpcage: denied: "),
           "%s: want the isError result 'mcpcage: denied: ...', got %s" % (what, short(resp)))
    if modern:
        expect_eq(r.get("resultType"), "complete", "%s: resultType" % what)
    return text


def unknown_tool(resp, what):
    err = resp.get("error") or {}
    expect(err.get("code") == -32602 and err.get("message", "").startswith("Unknown tool")
           and "data" not in err, "%s: want -32602 Unknown tool, got %s" % (what, short(resp)))


def never_seen(ctx, rids):
    log = ctx.server_received()
    for rid in rids:
        tok = json.dumps(rid).encode()
        expect(b'"id":' + tok not in log, "the server saw refused request %s" % rid)


def path_rows(ro, rw):
    """(id, args) of threats.md §2 "path args" rows that must be denied."""
    return [
        ("p-dotdot", {"path": "../../etc/passwd"}),
        ("p-allowed-dotdot", {"path": ro + "/../../../../etc"}),
        ("p-double-slash", {"path": "//etc/passwd"}),
        ("p-dot-dotdot", {"path": ro + "/./x/../../../../../etc/passwd"}),
        ("p-file-uri", {"path": "file:///etc/passwd"}),
        ("p-file-localhost", {"path": "file://localhost/etc/passwd"}),
        ("p-percent", {"path": "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"}),
        ("p-nul", {"path": ro + "%00/x"}),
        ("p-tilde-user", {"path": "~root/.bashrc"}),
        ("p-symlink-out", {"path": ro + "/out/passwd"}),
        ("p-deny-glob", {"path": ro + "/.env"}),
    ]


def run_section2(ctx, modern):
    ro, rw = tree(ctx)
    p = start(ctx, testserver_policy(ctx), ro, rw, grants=["files:read"])
    init(p, modern)
    refused = []

    resp, _, _ = p.call(req("list", "tools/list", modern=modern))
    names = [t["name"] for t in resp["result"]["tools"]]
    expect("echo" in names and "read_file" in names, "allowed tools listed: %s" % names)
    expect("misbehave" not in names and "spam" not in names, "denied tools hidden: %s" % names)

    resp, _, _ = p.call(call("hidden", "misbehave", {"what": "exit"}, modern))
    unknown_tool(resp, "a hidden tool")
    refused.append("hidden")
    resp, _, _ = p.call(call("scope", "write_file", {"path": rw + "/x", "content": "x"}, modern))
    expect("files:write" in denied_result(resp, "tool needing a scope not granted", modern),
           "the refusal names the missing scope")
    refused.append("scope")

    for rid, args in path_rows(ro, rw):
        resp, _, _ = p.call(call(rid, "read_file", args, modern))
        denied_result(resp, "path %s" % args["path"], modern)
        refused.append(rid)
    resp, _, _ = p.call(call("ok-read", "read_file", {"path": ro + "/a.txt"}, modern))
    expect_eq(resp["result"]["content"][0]["text"], "alpha\n", "a file under the read root")

    for rid, cmd in [("c-rm", "rm -rf /"), ("c-pipe", "curl x | sh"), ("c-sudo", "sudo ls"),
                     ("c-semi", "ls ; rm x"), ("c-subst", "ls $(id)"), ("c-tick", "ls `id`"),
                     ("c-first", "python3 -c 1")]:
        resp, _, _ = p.call(call(rid, "run", {"command": cmd}, modern))
        denied_result(resp, "command %r" % cmd, modern)
        refused.append(rid)
    resp, _, _ = p.call(call("ok-run", "run", {"command": "echo hi"}, modern))
    expect_eq(resp["result"]["content"][0]["text"], "hi\n", "an allowed command runs")

    for rid, url in [("u-scheme", "ftp://www.example.com/x"), ("u-host", "https://evil.com/"),
                     ("u-meta", "http://169.254.169.254/latest/meta-data/"),
                     ("u-userinfo", "https://www.example.com@evil.com/")]:
        resp, _, _ = p.call(call(rid, "fetch", {"url": url}, modern))
        denied_result(resp, "url %s" % url, modern)
        refused.append(rid)

    resp, _, _ = p.call(req("r-shadow", "resources/read", {"uri": "file:///etc/shadow"}, modern))
    expect(resp.get("error", {}).get("code") == 403 and "rule" in resp["error"].get("data", {}),
           "resources/read of file:///etc/shadow: 403 with data.rule, got %s" % short(resp))
    refused.append("r-shadow")

    p.close_stdin()
    expect_eq(p.wait(), 0, "mcpcage exit status")
    never_seen(ctx, refused)
    calls = ctx.audit_events("call")
    denies = [c for c in calls if c.get("decision") == "deny"]
    expect_eq(len(denies), len(refused), "one call record with decision deny per refusal")
    expect(all(c.get("rule", "").startswith("/mcp/") and c.get("reason") for c in denies),
           "every deny names its rule and reason: %s" % short(denies))
    kinds = {r["kind"] for r in ctx.audit_events("security")}
    for k in ("tool_denied", "scope_denied", "path_denied"):
        expect(k in kinds, "security record %s written (got %s)" % (k, kinds))


@suite.case("threats.md §2 tools, scopes, path, command, URL and resources/read rows "
            "(legacy era): refused, the server never sees them, audited")
def section2_legacy(ctx):
    run_section2(ctx, modern=False)


@suite.case("threats.md §2 the same rows in the 2026-07-28 era (resultType on refusals)")
def section2_modern(ctx):
    run_section2(ctx, modern=True)


@suite.case("control: without mcpcage the test server reads /etc/passwd and runs a pipeline "
            "(the rows above can fail)")
def control_direct(ctx):
    p = ctx.start_direct(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    resp, _, _ = p.call(call(1, "read_file", {"path": "../../../../../../etc/passwd"}))
    expect("root:" in resp["result"]["content"][0]["text"], "direct read of /etc/passwd works")
    resp, _, _ = p.call(call(2, "run", {"command": "echo a | cat"}))
    expect_eq(resp["result"]["content"][0]["text"], "a\n", "direct pipeline runs")
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")


@suite.case("threats.md §2 scopes: a scope only implied (files:write -> files:read) allows; "
            "writes under the rw root, not under the ro root; a not-yet-existing file")
def scopes_implied(ctx):
    ro, rw = tree(ctx)
    p = start(ctx, testserver_policy(ctx), ro, rw, grants=["files:write"])
    init(p)
    resp, _, _ = p.call(call(1, "read_file", {"path": ro + "/a.txt"}))
    expect_eq(resp["result"]["content"][0]["text"], "alpha\n", "read allowed by the implied scope")
    resp, _, _ = p.call(call(2, "write_file", {"path": rw + "/new.txt", "content": "n"}))
    expect(resp["result"].get("isError") is False, "write of a new file under rw: %s" % short(resp))
    resp, _, _ = p.call(call("w-ro", "write_file", {"path": ro + "/b.txt", "content": "n"}))
    denied_result(resp, "write-mode path under a read-only root")
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")
    never_seen(ctx, ["w-ro"])
    expect(not os.path.exists(ro + "/b.txt"), "nothing written under the read-only root")
    expect(os.path.exists(rw + "/new.txt"), "the allowed write happened")


@suite.case("threats.md §2 server requests (legacy): sampling/createMessage denied -> error to "
            "the server, the host never sees it; roots outside the policy removed")
def server_requests_legacy(ctx):
    ro, rw = tree(ctx)
    p = start(ctx, testserver_policy(ctx), ro, rw)
    init(p)
    seen = []

    def on_request(msg):
        seen.append(msg["method"])
        if msg["method"] == "roots/list":
            return {"jsonrpc": "2.0", "id": msg["id"], "result": {"roots": [
                {"uri": "file://" + rw, "name": "rw"}, {"uri": "file:///etc", "name": "etc"},
                {"uri": "file://" + ro + "/out", "name": "link-out"}]}}
        return {"jsonrpc": "2.0", "id": msg["id"], "result": {"action": "accept"}}

    resp, _, _ = p.call(call(1, "ask_sampling", {"prompt": "hi"}), on_request=on_request)
    text = resp["result"]["content"][0]["text"]
    expect("host refused sampling/createMessage" in text and "mcpcage: denied" in text,
           "the server got mcpcage's refusal: %s" % text)
    expect("sampling/createMessage" not in seen, "the host never saw the sampling request")
    resp, _, _ = p.call(call(2, "ask_roots", {}), on_request=on_request)
    roots = json.loads(resp["result"]["content"][0]["text"])["roots"]
    expect_eq([r["name"] for r in roots], ["rw"], "roots the server got")
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")
    expect(b"file:///etc" not in ctx.server_received(), "the server never saw the root outside")
    expect(any(r.get("decision") == "deny" and r.get("method") == "sampling/createMessage"
               for r in ctx.audit_events("server_request")), "server_request deny audited")


@suite.case("threats.md §2 server requests (2026-07-28): inputRequests held to the method rules, "
            "requestState untouched, a retry with inputResponses checked like the original")
def server_requests_modern(ctx):
    ro, rw = tree(ctx)
    p = start(ctx, testserver_policy(ctx), ro, rw)
    init(p, modern=True)
    resp, _, _ = p.call(call("s1", "ask_sampling", {"prompt": "hi"}, modern=True))
    text = denied_result(resp, "inputRequests with sampling/createMessage", modern=True)
    expect("sampling/createMessage" in text and "inputRequests" not in json.dumps(resp),
           "the host never sees the denied input request: %s" % short(resp))
    resp, _, _ = p.call(call("r1", "ask_roots", {}, modern=True))
    res = resp["result"]
    expect_eq(res.get("resultType"), "input_required", "roots/list passes as an input request")
    state = res["requestState"]
    key = list(res["inputRequests"])[0]
    retry = call("r2", "ask_roots", {}, modern=True, requestState=state, inputResponses={
        key: {"roots": [{"uri": "file://" + ro, "name": "ro"}, {"uri": "file:///", "name": "all"}]}})
    resp, _, _ = p.call(retry)
    roots = json.loads(resp["result"]["content"][0]["text"])["roots"]
    expect_eq([r["name"] for r in roots], ["ro"], "roots the server got in the retry")
    log = ctx.server_received()
    expect(state.encode() in log, "requestState reached the server unchanged")
    resp, _, _ = p.call(call("h1", "misbehave", {"what": "exit"}, modern=True,
                             requestState=state, inputResponses={}))
    unknown_tool(resp, "a retried request for a hidden tool")
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")
    never_seen(ctx, ["h1"])
    expect(b'"name":"all"' not in ctx.server_received(), "the root outside was removed")


@suite.case("threats.md §2 a burst past rate: 429 with a retry hint, audited rate_limited")
def rate_limit(ctx):
    ro, rw = tree(ctx)
    pol = testserver_policy(ctx, tools__add={"rate": "3/min"})
    p = start(ctx, pol, ro, rw)
    init(p)
    for i in range(3):
        resp, _, _ = p.call(call(i, "add", {"a": i, "b": 1}))
        expect("result" in resp, "call %d within the rate" % i)
    resp, _, _ = p.call(call("burst", "add", {"a": 1, "b": 1}))
    err = resp.get("error") or {}
    expect(err.get("code") == 429 and err.get("data", {}).get("retry_after_ms", 0) > 0,
           "429 with data.retry_after_ms: %s" % short(resp))
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")
    never_seen(ctx, ["burst"])
    expect(ctx.audit_events("security", "rate_limited"), "rate_limited audited")


@suite.case("threats.md §2 kill switch: the file (mcpcage kill on|off) and SIGUSR1/SIGUSR2")
def kill_switch(ctx):
    ro, rw = tree(ctx)
    p = start(ctx, testserver_policy(ctx), ro, rw)
    init(p)
    rc, out, err = ctx.run(["kill", "on"])
    expect_eq(rc, 0, "mcpcage kill on (%s)" % err)
    resp, _, _ = p.call(call("k1", "echo", {"text": "x"}))
    expect("kill switch" in denied_result(resp, "kill switch file present"), "reason names it")
    rc, _, _ = ctx.run(["kill", "off"])
    expect_eq(rc, 0, "mcpcage kill off")
    resp, _, _ = p.call(call(2, "echo", {"text": "x"}))
    expect_eq(resp["result"]["content"][0]["text"], "x", "calls pass once the file is gone")
    os.kill(p.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while True:
        resp, _, _ = p.call(call("k3-%d" % int(time.monotonic() * 1000), "echo", {"text": "x"}))
        if resp["result"].get("isError") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect("SIGUSR1" in denied_result(resp, "after SIGUSR1"), "reason names SIGUSR1")
    os.kill(p.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 5
    while True:
        resp, _, _ = p.call(call("k4-%d" % int(time.monotonic() * 1000), "echo", {"text": "y"}))
        if not resp["result"].get("isError") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect_eq(resp["result"]["content"][0]["text"], "y", "calls pass after SIGUSR2")
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")
    never_seen(ctx, ["k1"])
    expect(len(ctx.audit_events("security", "kill_switch")) >= 2, "kill_switch events audited")


@suite.case("call_timeout: the host gets an error, the server notifications/cancelled, the late "
            "answer is dropped")
def call_timeout(ctx):
    ro, rw = tree(ctx)
    p = start(ctx, testserver_policy(ctx, limits__call_timeout="500ms"), ro, rw)
    init(p)
    t0 = time.monotonic()
    resp, _, _ = p.call(call("slow", "slow", {"ms": 1500}))
    took = time.monotonic() - t0
    expect(resp.get("error", {}).get("code") == -32001 and took < 1.4,
           "timeout error after %.2fs: %s" % (took, short(resp)))
    p.expect_no_line(1.5)
    p.close_stdin()
    expect_eq(p.wait(), 0, "exit")
    expect(b'"method":"notifications/cancelled","params":{"requestId":"slow"' in ctx.server_received(),
           "the server got notifications/cancelled")
    expect(any(c.get("status") == "timeout" for c in ctx.audit_events("call")), "status timeout")


# ---- the real server-filesystem ---------------------------------------------------------------

def node():
    path = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
    if not path:
        raise Skip("node is not installed (contrib/setup.sh installs it)")
    if not os.path.exists(FILESYSTEM):
        raise Skip("server-filesystem missing: run `npm ci` in tests/")
    return path


@suite.case("threats.md §2 through the real server-filesystem: one directory read-only, one "
            "read-write (policies/filesystem.json), its real tool and argument names")
def filesystem_server(ctx):
    nodebin = node()
    ro, rw = tree(ctx)
    cmd = [nodebin, FILESYSTEM, ro, rw]
    policy = os.path.join(POLICIES, "filesystem.json")
    p = ctx.start(cmd, options=["--policy", policy, "--ro", ro, "--rw", rw, "--grant", "files:write"])
    init(p)
    resp, _, _ = p.call(req(1, "tools/list"))
    names = sorted(t["name"] for t in resp["result"]["tools"])
    expect("read_text_file" in names and "write_file" in names and "move_file" in names,
           "real tools listed: %s" % names)
    resp, _, _ = p.call(call(2, "read_text_file", {"path": ro + "/a.txt"}))
    expect_eq(resp["result"]["content"][0]["text"], "alpha\n", "read in the ro directory")
    resp, _, _ = p.call(call(3, "write_file", {"path": rw + "/w.txt", "content": "w"}))
    expect(not resp["result"].get("isError"), "write in the rw directory: %s" % short(resp))
    expect(os.path.exists(rw + "/w.txt"), "the file was written")
    denials = [
        ("f-write-ro", "write_file", {"path": ro + "/w.txt", "content": "w"}),
        ("f-passwd", "read_text_file", {"path": "/etc/passwd"}),
        ("f-dotdot", "read_text_file", {"path": ro + "/../../../../../etc/passwd"}),
        ("f-symlink", "read_text_file", {"path": ro + "/out/passwd"}),
        ("f-env", "read_text_file", {"path": ro + "/.env"}),
        ("f-file-uri", "read_text_file", {"path": "file:///etc/passwd"}),
        ("f-multi", "read_multiple_files", {"paths": [ro + "/a.txt", "/etc/shadow"]}),
        ("f-move", "move_file", {"source": rw + "/w.txt", "destination": ro + "/w.txt"}),
        ("f-edit", "edit_file", {"path": ro + "/a.txt", "edits": [{"oldText": "a", "newText": "b"}]}),
        ("f-mkdir", "create_directory", {"path": "/tmp/mcpcage-should-not-exist"}),
    ]
    for rid, tool, args in denials:
        resp, _, _ = p.call(call(rid, tool, args))
        denied_result(resp, "%s %s" % (tool, short(args, 120)))
    p.close_stdin()
    p.read_until_eof(timeout=20)
    p.wait(20)
    # server-filesystem does not exit on stdin EOF: mcpcage's SIGTERM after the grace ends it
    expect(p.exit_code() in (0, 128 + 15), "exit status %s" % p.exit_code())
    expect(not os.path.exists(ro + "/w.txt"), "nothing written under the read-only directory")
    expect(os.path.exists(rw + "/w.txt"), "the rw file is still there (the move was refused)")
    expect(not os.path.exists("/tmp/mcpcage-should-not-exist"), "no directory created outside")
    denies = [c for c in ctx.audit_events("call") if c.get("decision") == "deny"]
    expect_eq(len(denies), len(denials), "one deny record per refusal")


if __name__ == "__main__":
    suite.main()
