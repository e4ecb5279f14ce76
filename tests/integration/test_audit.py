#!/usr/bin/env python3
"""The audit log of audit.md: a session's records (session_start, call, security,
session_end) with the fields audit.md names, the hash chain checked here independently of
mcpcage, `mcpcage audit verify` passing on an untouched log and failing (exit 1) after an
edit, a deletion or a reordering, and the file's mode (0600; a created directory 0700).
TAP; every case runs as root and as nobody (see mcpcage_test.py)."""
import hashlib
import hmac
import json
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import (Skip, Suite, expect, expect_eq, mapped_libraries, short,  # noqa: E402
                          user_name)

suite = Suite("audit")
TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
COMMON = ["v", "ts", "session", "seq", "server", "event", "prev"]
SECRET = "hunter2-do-not-log-me"

ECHO = (b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo",'
        b'"arguments":{"text":"hello audit","password":"' + SECRET.encode() + b'"}}}')


def session(ctx, audit_path=None, name=None):
    """initialize, an echo (with a secret argument), a spoofed answer, then EOF."""
    opts = ["--name", name] if name else []
    if audit_path:
        opts += ["--audit-log", audit_path]
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env(), options=opts,
                  audit=audit_path is None)
    p.call({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "it", "version": "1"}}})
    p.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    p.call(ECHO)
    p.call({"jsonrpc": "2.0", "id": "three", "method": "tools/call",
            "params": {"name": "misbehave", "arguments": {"what": "unknown_id"}}})
    p.close_stdin()
    p.read_until_eof()
    expect_eq(p.wait(), 0, "mcpcage exit")
    return p


def check_chain(lines, key=None):
    """audit.md: prev = hex SHA-256 of the previous record of the session, its exact bytes
    without the newline (HMAC-SHA256 under key when given); "" for seq 0; seq 0, 1, 2...
    without gaps."""
    def digest(raw):
        if key is None:
            return hashlib.sha256(raw).hexdigest()
        return hmac.new(key, raw, hashlib.sha256).hexdigest()
    last = {}
    for raw, rec in lines:
        sid = rec["session"]
        if sid not in last:
            expect_eq(rec["seq"], 0, "first record of session %s: seq" % sid)
            expect_eq(rec["prev"], "", "first record of session %s: prev" % sid)
        else:
            seq, prev_raw = last[sid]
            expect_eq(rec["seq"], seq + 1, "seq after %d" % seq)
            expect_eq(rec["prev"], digest(prev_raw), "prev of seq %d is the %s of record %d"
                      % (rec["seq"], "SHA-256" if key is None else "HMAC-SHA256", seq))
        last[sid] = (rec["seq"], raw)
    return last


@suite.case("audit.md: session_start, call, security, session_end records with their fields, "
            "chained by SHA-256, no secret")
def records(ctx):
    p = session(ctx)
    lines = ctx.audit()
    recs = [r for _, r in lines]
    events = [r["event"] for r in recs]
    expect_eq(events[0], "session_start", "first event")
    expect_eq(events[-1], "session_end", "last event")
    for r in recs:
        for f in COMMON:
            expect(f in r, "%s record has %r: %s" % (r.get("event"), f, short(r)))
        expect_eq(list(r)[:len(COMMON)], COMMON, "field order of the common part")
        expect_eq(r["v"], 1, "v")
        expect(TS.fullmatch(r["ts"]), "ts in RFC 3339 with milliseconds: %s" % r["ts"])
        expect(re.fullmatch(r"[0-9a-f]{32}", r["session"]), "session id: %s" % r["session"])
    expect_eq(len({r["session"] for r in recs}), 1, "one session")
    check_chain(lines)

    start = recs[0]
    expect_eq(start["pid"], p.pid, "session_start.pid")
    expect_eq(start["uid"], os.geteuid(), "session_start.uid")
    expect_eq(start["user"], user_name(), "session_start.user")
    # the server's argv exactly as mcpcage was given it (after "--")
    expect_eq(start["command"], p.argv[p.argv.index("--") + 1:], "session_start.command")
    expect(isinstance(start.get("policy"), dict) and start["policy"].get("name") == "default"
           and re.fullmatch(r"[0-9a-f]{64}", start["policy"].get("sha256", "")),
           "session_start.policy has name and sha256: %s" % short(start.get("policy")))
    expect(isinstance(start.get("sandbox"), dict), "session_start.sandbox")
    expect_eq(start["sandbox"].get("isolation"), "none", "sandbox.isolation for --isolation none")
    expect(isinstance(start.get("mcpcage"), str) and start["mcpcage"], "mcpcage version")

    calls = [r for r in recs if r["event"] == "call"]
    expect_eq([c["id"] for c in calls], [1, 2, "three"], "one call record per answered request")
    echo = calls[1]
    expect_eq((echo["method"], echo["tool"], echo["decision"], echo["status"]),
              ("tools/call", "echo", "allow", "ok"), "the echo call record")
    expect(echo["request_bytes"] in (len(ECHO), len(ECHO) + 1),
           "request_bytes %s for a %d-byte line" % (echo["request_bytes"], len(ECHO)))
    expect(isinstance(echo["response_bytes"], int) and echo["response_bytes"] > 0,
           "response_bytes")
    expect(isinstance(echo["duration_ms"], (int, float)) and echo["duration_ms"] >= 0,
           "duration_ms")
    expect_eq(echo["arguments"].get("text"), "hello audit", "sanitised arguments keep text")
    expect_eq(calls[0]["method"], "initialize", "the initialize call record")

    sec = [r for r in recs if r["event"] == "security"]
    expect([s["kind"] for s in sec] == ["spoofed_response"], "security records: %s" % short(sec))
    expect(sec[0]["severity"] in ("info", "warning", "critical"), "severity")
    expect(isinstance(sec[0].get("detail"), str), "detail")

    end = recs[-1]
    # audit.md: "exit (code or signal)"; either the bare code or an object naming it
    expect(end["exit"] in (0, {"code": 0}), "session_end.exit: %s" % short(end["exit"]))
    expect_eq(end["reason"], "host_closed", "session_end.reason")
    expect_eq(end["calls"], 3, "session_end.calls")
    expect_eq(end["denied"], 0, "session_end.denied")
    for f in ("redactions", "cpu_ms", "duration_ms"):
        expect(f in end, "session_end.%s" % f)
    with open(ctx.audit_path, "rb") as f:
        expect(SECRET.encode() not in f.read(), "the password argument is in the audit log")
    rc, out, err = ctx.run(["audit", "verify", ctx.audit_path])
    expect_eq(rc, 0, "audit verify on the untouched log (stderr: %s)" % short(err))


def rewrite(path, lines):
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines))


@suite.case("audit.md: `mcpcage audit verify` fails (exit 1) after an edit, a deletion, a "
            "reordering or an insertion; a cut-off session warns, --strict fails")
def verify_tamper(ctx):
    session(ctx)
    session(ctx)
    with open(ctx.audit_path, "rb") as f:
        orig = [l for l in f.read().split(b"\n") if l]
    expect(len(orig) >= 10, "two sessions of 5+ records each: %d" % len(orig))
    rc, out, err = ctx.run(["audit", "verify", ctx.audit_path])
    expect_eq(rc, 0, "verify of two intact sessions (stderr: %s)" % short(err))
    rc, out, err = ctx.run(["audit", "verify", "--strict", ctx.audit_path])
    expect_eq(rc, 0, "verify --strict of two intact sessions")

    def edited(i, old, new):
        lines = list(orig)
        expect(old in lines[i], "test construction: %r in record %d" % (old, i))
        lines[i] = lines[i].replace(old, new, 1)
        return lines

    call_i = next(i for i, l in enumerate(orig) if b'"event":"call"' in l)
    tampered = {
        "a call's method edited": edited(call_i, b'"method":"initialize"', b'"method":"initializf"'),
        "session_start's command edited": edited(0, b"mcp_test_server.py", b"mcp_test_server.pz"),
        "a timestamp edited": edited(2, b'"ts":"', b'"ts":"1'),
        "a record deleted": orig[:2] + orig[3:],
        "the first record deleted": orig[1:],
        "two records swapped": orig[:1] + [orig[2], orig[1]] + orig[3:],
        "a record duplicated": orig[:2] + [orig[1]] + orig[2:],
        "a record of session 1 moved into session 2": [l for i, l in enumerate(orig) if i != 2]
        + [orig[2]],
    }
    for what, lines in tampered.items():
        rewrite(ctx.audit_path, lines)
        rc, out, err = ctx.run(["audit", "verify", ctx.audit_path])
        expect_eq(rc, 1, "audit verify after %s (stderr: %s)" % (what, short(err, 300)))
    # the last record of the second session (its session_end) cut off: a warning only
    rewrite(ctx.audit_path, orig[:-1])
    rc, out, err = ctx.run(["audit", "verify", ctx.audit_path])
    expect_eq(rc, 0, "a session without session_end is a warning (stderr: %s)" % short(err))
    expect(err or out, "the warning names the cut-off session")
    rc, out, err = ctx.run(["audit", "verify", "--strict", ctx.audit_path])
    expect_eq(rc, 1, "--strict: a session without session_end fails")
    rewrite(ctx.audit_path, orig)
    rc, out, err = ctx.run(["audit", "verify", ctx.audit_path])
    expect_eq(rc, 0, "restored log verifies again")
    rc, out, err = ctx.run(["audit", "verify", os.path.join(ctx.dir, "missing.jsonl")])
    expect(rc != 0, "audit verify of a missing file must not pass")


@suite.case("audit.md: with audit.key the chain is HMAC-SHA256 under the key (checked here with "
            "Python's hmac); `audit verify --key` passes, fails without the key or with another; "
            "only a keyed session loads libcrypto.so (SHA-256 is linked in)")
def keyed_chain(ctx):
    key = b"0123456789abcdef-audit-test-key"
    key_path = ctx.write("audit.key", key + b"\n", mode=0o600)
    other_path = ctx.write("other.key", b"fedcba9876543210-another-key\n", mode=0o600)
    log = os.path.join(ctx.dir, "keyed.jsonl")
    pol = ctx.policy("keyed.json", {"version": 1, "extends": ["default"],
                                    "audit": {"key": key_path}})
    for keyed in (False, True):
        opts = ["--audit-log", log] + (["--policy", pol] if keyed else [])
        p = ctx.start(ctx.server_cmd(), env=ctx.server_env(), options=opts, audit=False)
        p.call({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "it", "version": "1"}}})
        crypto = sorted(x for x in mapped_libraries(p.pid) if x.startswith("libcrypto.so"))
        if keyed:
            expect(crypto, "a session with audit.key maps libcrypto.so for its HMAC")
        else:
            expect(not crypto, "a session without audit.key maps no libcrypto.so: %s" % crypto)
        p.call(ECHO)
        p.close_stdin()
        p.read_until_eof()
        expect_eq(p.wait(), 0, "mcpcage exit (keyed: %s)" % keyed)
        if not keyed:
            os.unlink(log)
    lines = []
    with open(log, "rb") as f:
        for raw in f.read().split(b"\n"):
            if raw:
                lines.append((raw, json.loads(raw)))
    expect(len(lines) >= 4, "the keyed session wrote its records: %d" % len(lines))
    check_chain(lines, key=key)
    rc, out, err = ctx.run(["audit", "verify", "--key", key_path, log])
    expect_eq(rc, 0, "audit verify --key of the keyed log (stderr: %s)" % short(err))
    rc, out, err = ctx.run(["audit", "verify", log])
    expect_eq(rc, 1, "audit verify without the key (stderr: %s)" % short(err))
    rc, out, err = ctx.run(["audit", "verify", "--key", other_path, log])
    expect_eq(rc, 1, "audit verify with another key (stderr: %s)" % short(err))


LIBCRYPTO = [p for p in ("/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/lib/x86_64-linux-gnu/libcrypto.so.3",
                          "/usr/lib64/libcrypto.so.3", "/usr/lib/libcrypto.so.3") if os.path.exists(p)]


@suite.case("fail closed: a session with audit.key whose HMAC library cannot be loaded does not "
            "start (125), says which library and why, and its server never runs")
def keyed_without_libcrypto(ctx):
    if not LIBCRYPTO:
        raise Skip("no libcrypto.so.3 in the usual places to hide")
    lib = os.path.realpath(LIBCRYPTO[0])
    key_path = ctx.write("audit.key", b"0123456789abcdef-audit-test-key\n", mode=0o600)
    pol = ctx.policy("keyed.json", {"version": 1, "extends": ["default"],
                                    "audit": {"key": key_path}})
    marker = os.path.join(ctx.dir, "server-ran")
    argv = ctx.mcpcage_argv(["/bin/sh", "-c", "touch " + marker],
                            options=["--policy", pol], audit=True)
    # A mount namespace of the test's own (user namespace included, so nobody can too) where
    # the library is an empty file: dlopen finds it and cannot load it.
    hide = "mount --bind /dev/null %s && exec \"$@\"" % lib
    r = subprocess.run(["unshare", "-rm", "sh", "-c", hide, "sh"] + argv, stdin=subprocess.DEVNULL,
                       capture_output=True, env=ctx.base_env(), cwd=ctx.dir, timeout=60)
    err = r.stderr.decode(errors="replace")
    if r.returncode != 125 and "mount" in err and "libcrypto" not in err:
        raise Skip("cannot hide the library in a mount namespace here: %s" % short(err))
    expect_eq(r.returncode, 125, "exit status (stderr: %s)" % short(err))
    expect("HMAC-SHA256 for audit.key" in err and "libcrypto.so" in err,
           "the error names the HMAC and the library: %s" % short(err))
    expect(not os.path.exists(marker), "the server was started anyway")


@suite.case("audit.md: records are 0600, a created directory 0700; two sessions share a file")
def modes(ctx):
    path = os.path.join(ctx.dir, "new", "deeper", "audit.jsonl")
    session(ctx, audit_path=path, name="first")
    session(ctx, audit_path=path, name="second")
    st = os.stat(path)
    expect_eq(stat.S_IMODE(st.st_mode), 0o600, "audit file mode")
    expect_eq(st.st_uid, os.geteuid(), "audit file owner")
    for d in (os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
        expect_eq(stat.S_IMODE(os.stat(d).st_mode), 0o700, "created directory %s mode" % d)
    lines = ctx.audit(path)
    check_chain(lines)
    servers = [r["server"] for _, r in lines]
    expect_eq(sorted(set(servers)), ["first", "second"], "--name is the server field")
    rc, out, err = ctx.run(["audit", "verify", path])
    expect_eq(rc, 0, "two sessions in one file verify (stderr: %s)" % short(err))


if __name__ == "__main__":
    suite.main()
