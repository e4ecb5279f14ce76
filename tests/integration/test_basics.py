#!/usr/bin/env python3
"""Basics: both protocol eras pass through mcpcage byte for byte (design.md "Messages no rule
changes are forwarded as the original bytes"), the exit statuses of design.md, and the CLI's
informational commands. TAP; every case runs as root and as nobody (see mcpcage_test.py)."""
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, expect, expect_eq, mapped_libraries, short, PYTHON  # noqa: E402

suite = Suite("basics")

# The host's side of a legacy session. Formatting is deliberately varied (whitespace, key
# order, escapes, raw UTF-8, a string id with an escape) because mcpcage must forward the
# original bytes, not a re-serialisation.
LEGACY = [
    b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
    b'"capabilities":{"roots":{"listChanged":true},"elicitation":{}},'
    b'"clientInfo":{"name":"mcpcage-it","version":"1.0"}}}',
    b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
    b'{ "jsonrpc" : "2.0" ,\t"id" : 2 , "method" : "tools/list" }',
    b'{"method":"tools/call","params":{"arguments":{"text":"h\\u00e9llo \\"w\\u00f6rld\\" '
    b'\xe2\x9c\x93"},"name":"echo"},"id":"call-\\u0033","jsonrpc":"2.0"}',
    b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add",'
    b'"arguments":{"a":2,"b":40}}}',
    b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"progress",'
    b'"arguments":{"steps":3},"_meta":{"progressToken":"tok-1"}}}',
    b'{"jsonrpc":"2.0","id":6,"method":"resources/list"}',
    b'{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"test://fixed/hello.txt"}}',
    b'{"jsonrpc":"2.0","id":8,"method":"prompts/list","params":{}}',
    b'{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"greet",'
    b'"arguments":{"name":"Ada"}}}',
    b'{"jsonrpc":"2.0","id":10,"method":"ping"}',
    b'{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"ask_roots","arguments":{}}}',
    b'{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"ask_elicitation",'
    b'"arguments":{"message":"Go on?"}}}',
    b'{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"big",'
    b'"arguments":{"bytes":200000}}}',
    b'{"jsonrpc":"2.0","id":14,"method":"logging/setLevel","params":{"level":"debug"}}',
    b'{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}',
    b'{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"echo",'
    b'"arguments":{"text":"last"}}}',
]

# The host's answers to the server's own requests (legacy era), raw too.
HOST_REPLIES = {
    "roots/list": b'{"jsonrpc":"2.0","id":%s,"result":{"roots":[{"uri":"file:///srv/project",'
                  b'"name":"project"}]}}',
    "elicitation/create": b'{"jsonrpc":"2.0","id":%s,"result":{"action":"accept",'
                          b'"content":{"ok":true}}}',
}

META = (b'"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
        b'"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},'
        b'"io.modelcontextprotocol/clientInfo":{"name":"mcpcage-it","version":"1.0"}')

# A 2026-07-28 session: no initialize, _meta in every request, server/discover, and a
# multi round-trip request (input_required, then the retry carrying inputResponses).
MODERN = [
    b'{"jsonrpc":"2.0","id":"discover-1","method":"server/discover","params":{' + META + b'}}}',
    b'{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{' + META + b'}}}',
    b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo",'
    b'"arguments":{"text":"modern"},' + META + b'}}}',
    b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"progress",'
    b'"arguments":{"steps":2},' + META + b',"progressToken":42}}}',
    b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"ask_elicitation",'
    b'"arguments":{"message":"Go on?"},' + META + b'}}}',
    b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"ask_elicitation",'
    b'"arguments":{"message":"Go on?"},"inputResponses":{"elicitation":{"action":"accept",'
    b'"content":{"ok":true}}},"requestState":"eyJrZXkiOiAiZWxpY2l0YXRpb24ifQ==",'
    + META + b'}}}',
    b'{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"test://fixed/numbers.txt",'
    + META + b'}}}',
    b'{"jsonrpc":"2.0","id":8,"method":"prompts/get","params":{"name":"summarize",'
    b'"arguments":{"text":"abc"},' + META + b'}}}',
]


def play(p, script):
    """Send each line; for a request wait for its response (answering the server's requests
    on the way). Returns (every line the host received, every line the host sent)."""
    received, sent = [], []

    def on_request(msg):
        reply = HOST_REPLIES[msg["method"]] % json.dumps(msg["id"]).encode()
        sent.append(reply)
        return reply + b"\n"

    for line in script:
        p.send(line + b"\n")
        sent.append(line)
        msg = json.loads(line)
        if "id" not in msg:
            continue
        raw, _, before = p.read_response(_raw_id(line), on_request=on_request)
        received += before + [raw]
    p.expect_no_line(0.3)
    return received, sent


def _raw_id(line):
    from mcpcage_test import find_raw_id
    return find_raw_id(line)


def session_through_and_direct(ctx, script):
    env = ctx.server_env()
    p = ctx.start(ctx.server_cmd(), env=env)
    got, sent = play(p, script)
    p.close_stdin()
    expect_eq(p.read_until_eof(), [], "lines after the host closed stdin")
    expect_eq(p.wait(), 0, "mcpcage exit status")
    seen = ctx.server_received()
    expect(seen == b"".join(s + b"\n" for s in sent),
           "the server did not receive byte-for-byte what the host sent: first difference at "
           "byte %d" % first_diff(seen, b"".join(s + b"\n" for s in sent)))

    os.unlink(ctx.server_log)
    d = ctx.start_direct(ctx.server_cmd(), env=env)
    want, _ = play(d, script)
    d.close_stdin()
    expect_eq(d.wait(), 0, "direct run exit status")
    expect_eq(len(got), len(want), "number of lines the host received")
    for i, (g, w) in enumerate(zip(got, want)):
        expect(g == w, "line %d the host received differs from the direct run:\n  through "
               "mcpcage: %s\n  direct: %s" % (i, short(g), short(w)))
    return got


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


@suite.case("design.md relay: a legacy session (initialize .. 2025-11-25) passes byte for byte "
            "both ways, progress and log notifications and server requests included")
def legacy_session(ctx):
    got = session_through_and_direct(ctx, LEGACY)
    methods = [json.loads(g).get("method") for g in got]
    expect_eq(methods.count("notifications/progress"), 3, "progress notifications")
    expect_eq(methods.count("notifications/message"), 3, "log notifications")
    expect("roots/list" in methods and "elicitation/create" in methods,
           "the server's roots/list and elicitation/create reached the host")
    init = json.loads(got[0])
    expect_eq(init["result"]["protocolVersion"], "2025-11-25", "negotiated version")


@suite.case("design.md relay: a 2026-07-28 session (server/discover, _meta, input_required "
            "round trip, no initialize) passes byte for byte both ways")
def modern_session(ctx):
    got = session_through_and_direct(ctx, MODERN)
    by_id = {}
    for g in got:
        m = json.loads(g)
        if "method" not in m:
            by_id[json.dumps(m["id"])] = m
    expect_eq(by_id['"discover-1"']["result"]["supportedVersions"], ["2026-07-28"], "discover")
    expect_eq(by_id["5"]["result"]["resultType"], "input_required", "first round")
    expect_eq(by_id["5"]["result"]["requestState"], "eyJrZXkiOiAiZWxpY2l0YXRpb24ifQ==",
              "requestState (opaque, forwarded unchanged)")
    expect_eq(by_id["6"]["result"]["resultType"], "complete", "retried request")
    progress = [json.loads(g) for g in got if b"notifications/progress" in g]
    expect_eq([n["params"]["progressToken"] for n in progress], [42, 42], "progress tokens")


def session_exit(ctx, cmd, want, what, options=None, env=None):
    p = ctx.start(cmd, options=options, env=env)
    p.close_stdin()
    p.read_until_eof()
    p.wait()
    expect_eq(p.exit_code(), want, what + " (stderr: %s)" % short(p.stderr_text(), 500))
    return p


@suite.case("design.md exit status: the child's own code, 127, 126, 125, 128+N")
def exit_codes(ctx):
    session_exit(ctx, ["/bin/sh", "-c", "exit 0"], 0, "child exit 0")
    session_exit(ctx, ["/bin/sh", "-c", "exit 7"], 7, "child exit 7")
    session_exit(ctx, ["/bin/sh", "-c", "exit 124"], 124, "child exit 124")
    session_exit(ctx, ["/nonexistent/mcp-server"], 127, "missing command by path")
    session_exit(ctx, ["no-such-mcp-server-xyz"], 127, "missing command on PATH")
    noexec = ctx.write("not-executable.sh", "#!/bin/sh\nexit 0\n", 0o644)
    session_exit(ctx, [noexec], 126, "a file without the execute bit")
    session_exit(ctx, [ctx.dir], 126, "a directory")
    session_exit(ctx, ["/bin/sh", "-c", "kill -USR1 $$"], 128 + 10, "child killed by SIGUSR1")
    session_exit(ctx, ["/bin/sh", "-c", "kill -KILL $$"], 128 + 9, "child killed by SIGKILL")
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    p.call({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    p.send(b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"misbehave",'
           b'"arguments":{"what":"kill_self","signal":15}}}\n')
    p.read_until_eof()
    p.wait()
    expect_eq(p.exit_code(), 128 + 15, "server killed by SIGTERM mid-session")


@suite.case("design.md exit status 125: bad option, bad policy, nothing started")
def exit_125(ctx):
    marker = os.path.join(ctx.dir, "started")
    cmd = ["/bin/sh", "-c", "touch " + marker]
    bad_json = ctx.write("bad-syntax.json", '{"version": 1,\n "isolation": "none",,}\n')
    unknown = ctx.policy("unknown-key.json", {"version": 1, "no_such_key": True})
    for args, what in [
        (["--policy", bad_json], "policy with a syntax error"),
        (["--policy", unknown], "policy with an unknown key"),
        (["--policy", os.path.join(ctx.dir, "missing.json")], "missing policy file"),
        (["--policy", "no-such-policy-name"], "unknown policy name"),
        (["--bogus-option"], "unknown option"),
        (["--isolation", "bogus"], "bad --isolation"),
    ]:
        rc, out, err = ctx.run(args + ["--isolation", "none", "--"] + cmd
                               if args[0] != "--isolation" else args + ["--"] + cmd)
        expect_eq(rc, 125, what + " (stderr: %s)" % short(err, 300))
        expect_eq(out, b"", what + ": nothing on stdout (it belongs to the protocol)")
        expect(err.startswith(b"mcpcage: "), what + ": the error says mcpcage: on stderr: %s"
               % short(err, 300))
        expect(not os.path.exists(marker), what + ": the command was started anyway")
    rc, out, err = ctx.run(["--isolation", "none", "--"])
    expect_eq(rc, 125, "no command after --")
    rc, out, err = ctx.run([])
    expect_eq(rc, 125, "no arguments at all")
    rc, out, err = ctx.run(["no-such-subcommand"])
    expect_eq(rc, 125, "unknown subcommand")


@suite.case("start: Hyperscan's runtime is loaded by a session whose policy redacts, its compiler "
            "(which brings libstdc++) only when the anchors are not in the cache yet; neither by a "
            "session that redacts nothing; libbpf by none (only network host with addresses, as "
            "root, attaches BPF)")
def lazy_libraries(ctx):
    # not extending default, whose ["secrets"] a list in the child would add to; the second
    # redacting run finds the anchors the first one compiled in the test's XDG_CACHE_HOME
    for redact, run in (([], "no redaction"), (["secrets"], "first run"),
                        (["secrets"], "second run")):
        path = ctx.policy("redact-%d.json" % len(redact), {
            "version": 1, "mcp": {"tools": {"*": "allow"}, "redact": {"results": redact}}})
        p = ctx.start(ctx.server_cmd(), env=ctx.server_env(), options=["--policy", path])
        play(p, LEGACY[:1])     # answered: the inspector is built and the relay runs
        libs = mapped_libraries(p.pid)
        runtime = sorted(x for x in libs if x.startswith("libhs_runtime.so"))
        # libhs.so alone: the sanitizer build's runtime maps libstdc++ in every process
        compiler = sorted(x for x in libs if x.startswith("libhs.so"))
        if not redact:
            expect(not runtime and not compiler,
                   "a session that redacts nothing maps no Hyperscan: %s" % (runtime + compiler))
        else:
            expect(runtime, "%s of a session that redacts: Hyperscan's runtime is mapped: %s"
                   % (run, sorted(libs)))
        if run == "first run":
            expect(compiler, "first run: the compiler is mapped to compile the anchors: %s"
                   % sorted(libs))
        if run == "second run":
            expect(not compiler, "second run: the anchors come from the cache, no compiler is "
                   "mapped: %s" % compiler)
        bpf = sorted(x for x in libs if x.startswith(("libbpf.so", "libelf")))
        expect(not bpf, "no libbpf or libelf in a session without BPF programs: %s" % bpf)
        crypto = sorted(x for x in libs if x.startswith("libcrypto.so"))
        expect(not crypto, "no libcrypto.so in a session without audit.key: %s" % crypto)
        p.close_stdin()
        expect_eq(p.wait(), 0, "mcpcage exit status")


# python3 itself ignores SIGPIPE and SIGXFSZ at start and blocks nothing: the test looks at
# SIGUSR1's bit in the mask and SIGHUP's in the ignored set.
HYGIENE = ("import os, sys\n"
           "st = open('/proc/self/status').read()\n"
           "sys.stderr.write(''.join(l + '\\n' for l in st.splitlines() if l.startswith(('SigBlk', 'SigIgn'))))\n"
           "sys.stderr.write(''.join('fd %s\\n' % f for f in os.listdir('/proc/self/fd')))\n")


def hygiene_of(ctx, argv):
    """Runs argv (HYGIENE: it reports its signal mask, ignored signals and descriptors on
    stderr) with SIGUSR1 blocked, SIGHUP ignored and fd 7 open: (mask, ignored, fds)."""
    r7, w7 = os.pipe()
    os.dup2(r7, 7)

    def prepare():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        r = subprocess.run(argv, pass_fds=(7,), preexec_fn=prepare, stdin=subprocess.DEVNULL,
                           capture_output=True, env=ctx.base_env(), cwd=ctx.dir, timeout=30)
    finally:
        for fd in (7, r7, w7):
            os.close(fd)
    text = r.stderr.decode(errors="replace")
    sigs = {k: int(v, 16) for k, v in re.findall(r"^(Sig\w+):\s*([0-9a-f]+)$", text, re.M)}
    fds = sorted(int(n) for n in re.findall(r"^fd (\d+)$", text, re.M))
    if set(sigs) != {"SigBlk", "SigIgn"}:
        raise AssertionError("no report from the test's server: %s" % short(r.stderr))
    return sigs["SigBlk"], sigs["SigIgn"], fds


@suite.case("process hygiene in every mode, --isolation none's shared-memory spawn included: the "
            "server starts with no signal blocked or ignored and only 0/1/2 open, whatever "
            "mcpcage inherited (the same python3 run directly shows what it inherits)")
def server_hygiene(ctx):
    usr1, hup = 1 << (signal.SIGUSR1 - 1), 1 << (signal.SIGHUP - 1)
    blocked, ignored, fds = hygiene_of(ctx, [PYTHON, "-c", HYGIENE])
    expect(blocked & usr1 and ignored & hup and 7 in fds,
           "direct: the blocked SIGUSR1, the ignored SIGHUP and fd 7 are inherited: %x %x %s"
           % (blocked, ignored, fds))
    blocked, ignored, fds = hygiene_of(ctx, ctx.mcpcage_argv([PYTHON, "-c", HYGIENE], audit=False))
    expect_eq(blocked, 0, "the server's signal mask")
    expect(not ignored & hup, "SIGHUP is not ignored in the server: %x" % ignored)
    expect(fds and 7 not in fds and max(fds) <= 3,
           "only 0/1/2 (and the listing's own descriptor) in the server: %s" % fds)


@suite.case("CLI: --help, --version, policy check default (JSON), policy check FILE, policy list")
def cli(ctx):
    rc, out, err = ctx.run(["--help"])
    expect_eq(rc, 0, "--help exit")
    expect(out.startswith(b"Usage: mcpcage"), "--help prints the usage: %s" % short(out))
    rc, out, err = ctx.run(["--version"])
    expect_eq(rc, 0, "--version exit")
    expect(re.fullmatch(rb"mcpcage \d+\.\d+\.\d+\S*\n", out), "--version: %s" % short(out))
    rc, out, err = ctx.run(["policy", "check", "default"])
    expect_eq(rc, 0, "policy check default exit (stderr: %s)" % short(err))
    pol = json.loads(out)
    expect(isinstance(pol, dict), "policy check prints a JSON object")
    expect_eq(pol.get("version"), 1, "default policy version")
    for key in ("filesystem", "network", "limits", "seccomp", "mcp", "audit"):
        expect(key in pol, "the effective default policy has %r (defaults filled in)" % key)
    expect_eq(pol["network"]["mode"], "none", "default network mode")
    expect_eq(pol["mcp"]["limits"]["message_bytes"], "16M", "default message_bytes")

    mine = {"version": 1, "extends": ["default"], "description": "integration test policy",
            "mcp": {"limits": {"message_bytes": "4096"}}}
    pdir = os.path.join(ctx.dir, "config", "mcpcage", "policies")
    os.makedirs(pdir, 0o700)
    with open(os.path.join(pdir, "it-mine.json"), "w") as f:
        json.dump(mine, f)
    rc, out, err = ctx.run(["policy", "check", os.path.join(pdir, "it-mine.json")])
    expect_eq(rc, 0, "policy check FILE (stderr: %s)" % short(err))
    pol = json.loads(out)
    expect_eq(pol["description"], "integration test policy", "description carried over")
    expect_eq(pol["mcp"]["limits"]["message_bytes"], "4096", "the file's own value wins")
    expect_eq(pol["network"]["mode"], "none", "inherited from default")
    rc, out2, err = ctx.run(["policy", "check", "it-mine"])
    expect_eq(rc, 0, "policy check NAME found on $XDG_CONFIG_HOME/mcpcage/policies")
    expect_eq(json.loads(out2), pol, "by name and by path: the same effective policy")
    rc, out, err = ctx.run(["policy", "list"])
    expect_eq(rc, 0, "policy list exit (stderr: %s)" % short(err))
    expect(b"it-mine" in out, "policy list shows the user's policy: %s" % short(out))
    rc, out, err = ctx.run(["policy", "check", os.path.join(ctx.dir, "nope.json")])
    expect_eq(rc, 125, "policy check of a missing file")


if __name__ == "__main__":
    suite.main()
