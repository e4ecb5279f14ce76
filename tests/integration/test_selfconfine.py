#!/usr/bin/env python3
"""The relay's self-confinement (src/relay/selfconfine.h; mcpcage(1) SELF-CONFINEMENT): once
the server runs, a parser bug in mcpcage exploited by what the server sends must not let it
read ~/.ssh, write the user's files, run a shell, fork, or open a socket.

A test_hooks build (meson -Dtest_hooks=true) has the relay, once confined, attempt each of
those (MCPCAGE_TEST_RELAY_ESCAPE) and say how it ended: a file access is refused by Landlock
(EACCES, the session goes on), a refused syscall traps and mcpcage stops (exit 125, a line
naming the syscall; the syscall never ran). Every attempt runs again with the confinement
switched off (MCPCAGE_TEST_NO_SELFCONFINE, test builds only) and must succeed there, so each
case can fail. A normal session with everything the relay still does after the start
(audit writes, SIGHUP reopen after a rotation, a pin written, the kill switch, a seccomp
violation's pid, the cgroup removed) works confined; that case runs in every build.
TAP; every case runs as root and as nobody (see mcpcage_test.py)."""
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import (Suite, Skip, expect, expect_eq, short, mcpcage_path,  # noqa: E402
                          children_of_self)

suite = Suite("selfconfine")

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}}
TRAPPED = "which its self-confinement refuses; stopping"
NO_HOOKS = ("mcpcage was built without -Dtest_hooks=true: the relay has no escape hook to "
            "test (contrib/test.sh builds build-asan with it)")
UNDER_VALGRIND = ("valgrind 3.19 implements neither seccomp(2) nor Landlock: the relay runs "
                  "unconfined there (session_start.relay.degraded; case 'recorded'); the plain "
                  "and ASan runs prove the confinement")


def require_hooks(ctx):
    with open(mcpcage_path(), "rb") as f:
        if b"MCPCAGE_TEST_RELAY_ESCAPE" not in f.read():
            raise Skip(NO_HOOKS)
    if ctx.valgrind:
        raise Skip(UNDER_VALGRIND)


def echo(n, text="x"):
    return {"jsonrpc": "2.0", "id": n, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": text}}}


def reap_orphans():
    """A relay that stopped (trapped) or became a shell leaves its server to its parent-death
    signal: the server dies and comes back to this process (a subreaper) as a zombie, which
    is reaped here. How many came back; none may still be alive after 5 s."""
    deadline = time.monotonic() + 5
    reaped = 0
    while True:
        left = children_of_self()
        for pid, _, state in left:
            if state == "Z":
                os.waitpid(pid, 0)
                reaped += 1
        if not [c for c in left if c[2] != "Z"]:
            return reaped
        expect(time.monotonic() < deadline, "the server outlived mcpcage: %s" % left)
        time.sleep(0.05)


def escape(ctx, what, confined, extra_env=None, label=None):
    """One session whose relay attempts `what`: (exit code, stderr, the session's answers,
    orphans reaped)."""
    env = {"MCPCAGE_TEST_RELAY_ESCAPE": what}
    env.update(extra_env or {})
    if not confined:
        env["MCPCAGE_TEST_NO_SELFCONFINE"] = "1"
    p = ctx.start(ctx.server_cmd(), env=env, label=label or ("%s-%s" % (what, confined)))
    answered = None
    try:
        resp, _, _ = p.call(INIT, timeout=10)
        answered = resp.get("result", {}).get("serverInfo", {}).get("name")
    except Exception:  # noqa: BLE001 -- a trapped relay answers nothing: the exit code says why
        pass
    p.close_stdin()
    p.read_until_eof()
    p.wait()
    return p.exit_code(), p.stderr_text(), answered, reap_orphans()


def hook_line(err, what):
    for line in err.splitlines():
        if line.startswith("mcpcage: test hook: " + what + ": "):
            return line[len("mcpcage: test hook: " + what + ": "):]
    return None


def plant_key(ctx):
    ssh = os.path.join(ctx.dir, "home", ".ssh")
    os.makedirs(ssh, mode=0o700, exist_ok=True)
    path = os.path.join(ssh, "id_rsa")
    with open(path, "w") as f:
        f.write("-----BEGIN OPENSSH PRIVATE KEY----- (a test key)\n")
    os.chmod(path, 0o600)


@suite.case("threats.md §4, a hostile stream that finds a parser bug: the confined relay cannot "
            "read ~/.ssh/id_rsa (Landlock, EACCES) and the session goes on; unconfined it can")
def read_ssh_key(ctx):
    require_hooks(ctx)
    plant_key(ctx)
    rc, err, answered, _ = escape(ctx, "open", confined=True)
    expect_eq(hook_line(err, "open ~/.ssh/id_rsa"), "refused: Permission denied",
              "confined: the open is refused (stderr: %s)" % short(err[-800:], 800))
    expect_eq((rc, answered), (0, "mcp_test_server"), "and the session goes on")
    start = ctx.audit_events("session_start")[-1]["relay"]
    expect_eq((start["seccomp"], start["degraded"]), ("allow-list", []), "session_start.relay")
    rc, err, answered, _ = escape(ctx, "open", confined=False)
    expect_eq(hook_line(err, "open ~/.ssh/id_rsa"), "succeeded",
              "unconfined, the same open succeeds (stderr: %s)" % short(err[-800:], 800))
    start = ctx.audit_events("session_start")[-1]["relay"]
    expect(start["seccomp"] == "none" and "MCPCAGE_TEST_NO_SELFCONFINE" in " ".join(start["degraded"]),
           "the control run is recorded as unconfined: %s" % start)


@suite.case("the confined relay cannot create a file in the user's home (Landlock); unconfined "
            "it can")
def write_home(ctx):
    require_hooks(ctx)
    target = os.path.join(ctx.dir, "home", ".bashrc-escape")
    rc, err, answered, _ = escape(ctx, "write", confined=True)
    expect_eq(hook_line(err, "create ~/.bashrc-escape"), "refused: Permission denied",
              "confined: refused (stderr: %s)" % short(err[-800:], 800))
    expect(not os.path.exists(target), "no file was created")
    expect_eq((rc, answered), (0, "mcp_test_server"), "the session goes on")
    escape(ctx, "write", confined=False)
    expect(os.path.exists(target), "unconfined, the same attempt creates the file")


@suite.case("the confined relay cannot execve a shell: the syscall traps, mcpcage stops (125) "
            "naming execve and the server goes with it; unconfined the shell runs")
def exec_shell(ctx):
    require_hooks(ctx)
    rc, err, answered, orphans = escape(ctx, "exec", confined=True)
    expect("attempted syscall 59 (execve), " + TRAPPED in err,
           "confined: the SIGSYS handler's line (stderr: %s)" % short(err[-800:], 800))
    expect("a shell runs in the relay" not in err, "no shell ran")
    expect_eq((rc, answered), (125, None), "mcpcage stopped before answering anything")
    expect(orphans >= 1, "the server died with it (parent-death signal)")
    rc, err, _, _ = escape(ctx, "exec", confined=False)
    expect("mcpcage: test hook: a shell runs in the relay" in err,
           "unconfined, the shell runs (stderr: %s)" % short(err[-800:], 800))


@suite.case("the confined relay cannot fork (clone traps); unconfined it can")
def fork(ctx):
    require_hooks(ctx)
    rc, err, _, orphans = escape(ctx, "fork", confined=True)
    expect("attempted syscall 56 (clone), " + TRAPPED in err,
           "confined: clone traps (stderr: %s)" % short(err[-800:], 800))
    expect_eq((rc, orphans >= 1), (125, True), "mcpcage stopped, the server with it")
    rc, err, answered, _ = escape(ctx, "fork", confined=False)
    expect_eq(hook_line(err, "fork"), "succeeded", "unconfined, fork succeeds (%s)" % short(err[-800:], 800))
    expect_eq((rc, answered), (0, "mcp_test_server"), "and the session goes on")


@suite.case("the confined relay cannot open a socket to a listener on loopback (socket traps); "
            "unconfined it connects")
def connect(ctx):
    require_hooks(ctx)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.setblocking(False)
    port = {"MCPCAGE_TEST_RELAY_ESCAPE_PORT": str(srv.getsockname()[1])}

    def accepted():
        try:
            c, _ = srv.accept()
            c.close()
            return True
        except BlockingIOError:
            return False

    rc, err, _, orphans = escape(ctx, "connect", confined=True, extra_env=port)
    expect("attempted syscall 41 (socket), " + TRAPPED in err,
           "confined: socket traps (stderr: %s)" % short(err[-800:], 800))
    expect_eq((rc, orphans >= 1), (125, True), "mcpcage stopped, the server with it")
    expect(not accepted(), "nothing connected to the listener")
    rc, err, _, _ = escape(ctx, "connect", confined=False, extra_env=port)
    expect_eq(hook_line(err, "connect 127.0.0.1"), "succeeded", "unconfined, it connects (%s)" % short(err[-800:], 800))
    expect(accepted(), "the listener saw the connection")
    srv.close()


def rotate_and_hup(ctx, p, n):
    """logrotate's way (contrib/logrotate): rename, SIGHUP; the next record goes to a new file."""
    os.rename(ctx.audit_path, ctx.audit_path + ".1")
    os.kill(p.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not os.path.exists(ctx.audit_path) and time.monotonic() < deadline:
        resp, _, _ = p.call(echo(n, "after rotation"))
        n += 1
        time.sleep(0.05)
    expect(os.path.exists(ctx.audit_path), "after SIGHUP the confined relay created the log anew")
    return n


def kill_switch(ctx, p, n):
    rc, _, err = ctx.run(["kill", "on"])
    expect_eq(rc, 0, "mcpcage kill on (%s)" % err)
    resp, _, _ = p.call(echo(n))
    expect("kill switch" in json.dumps(resp), "the kill switch is seen by the confined relay: %s" % short(resp))
    rc, _, _ = ctx.run(["kill", "off"])
    expect_eq(rc, 0, "mcpcage kill off")
    resp, _, _ = p.call(echo(n + 1, "back"))
    expect_eq(resp["result"]["content"][0]["text"], "back", "calls pass once the switch is off")
    return n + 2


@suite.case("a confined session does everything the relay still must: audit writes, the log "
            "reopened after a rotation (SIGHUP), a pin written, the kill switch, the cgroup "
            "removed, session_end; session_start.relay says what held")
def normal_session(ctx):
    os.chmod(ctx.dir, 0o711)
    pol = ctx.policy("limits.json", {"version": 1, "extends": ["default"],
                                     "limits": {"memory": "512M", "pids": 64}})
    p = ctx.start(ctx.server_cmd(), options=["--isolation", "auto", "--policy", pol,
                                             "--ro", os.path.dirname(ctx.server_cmd()[1])])
    p.call(INIT)
    p.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    resp, _, _ = p.call({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    expect(resp.get("result", {}).get("tools"), "tools/list answered: %s" % short(resp))
    pins = os.path.join(ctx.dir, "state", "mcpcage", "pins")
    expect(any(n.endswith(".json") for n in os.listdir(pins)), "the first use wrote a pin in %s" % pins)
    n = rotate_and_hup(ctx, p, 3)
    n = kill_switch(ctx, p, n)
    p.close_stdin()
    p.read_until_eof()
    expect_eq(p.wait(), 0, "exit (stderr: %s)" % short(p.stderr_text()[-800:], 800))
    expect(TRAPPED not in p.stderr_text(), "no syscall trapped")
    before = [r for _, r in ctx.audit(ctx.audit_path + ".1")]
    after = ctx.audit_events()
    expect_eq(before[0]["event"], "session_start", "the rotated file starts the session")
    expect([r for r in after if r["event"] == "session_end"], "session_end written into the new file")
    cat = ctx.write("all.jsonl", open(ctx.audit_path + ".1", "rb").read() + open(ctx.audit_path, "rb").read())
    rc, out, err = ctx.run(["audit", "verify", cat])
    expect_eq(rc, 0, "the chain continues across the rotation: %s %s" % (out, err))
    relay = before[0]["relay"]
    if ctx.valgrind:
        expect_eq(relay["seccomp"], "none", "under valgrind no filter")
        return
    expect_eq((relay["seccomp"], relay["degraded"]), ("allow-list", []), "session_start.relay")
    expect(40 <= relay["syscalls"] <= 120 and relay["landlock_abi"] >= 1 and relay["landlock_rules"] >= 3,
           "what was applied: %s" % relay)
    leaf = "mcpcage-%d" % before[0]["pid"]
    left = [os.path.join(d, leaf) for d in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory",
                                            "/sys/fs/cgroup", "/sys/fs/cgroup/unified")
            if os.path.isdir(os.path.join(d, leaf))]
    expect(not left, "the confined relay removed the server's cgroup: %s left" % left)


@suite.case("a seccomp violation in the sandbox is still reported with the pid inside (the "
            "confined relay reads /proc/PID/status)")
def violation_pid(ctx):
    os.chmod(ctx.dir, 0o711)
    probe = os.path.join(os.path.dirname(os.path.dirname(mcpcage_path())), "tests", "servers", "probe")
    if not os.access(probe, os.X_OK):
        raise Skip("tests/servers/probe is not built (%s)" % probe)
    p = ctx.start([probe, "mount"], options=["--ro", os.path.dirname(probe), "--isolation", "auto"])
    p.close_stdin()
    p.read_until_eof(timeout=60)
    expect_eq(p.wait(60), 0, "exit (stderr: %s)" % short(p.stderr_text()[-800:], 800))
    recs = [r for r in ctx.audit_events("security", "seccomp_violation") if r.get("syscall") == "mount"]
    expect(recs and recs[0].get("pid", 0) > 1, "the record carries the pid inside: %s" % short(recs))


@suite.case("session_start.relay: the same fields in every build; under valgrind the relay runs "
            "unconfined, says so once on stderr and records why")
def recorded(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    p.call(INIT)
    p.close_stdin()
    p.read_until_eof()
    expect_eq(p.wait(), 0, "exit")
    relay = ctx.audit_events("session_start")[0]["relay"]
    expect_eq(sorted(relay), ["degraded", "landlock_abi", "landlock_rules", "seccomp", "syscalls"],
              "session_start.relay's fields")
    warned = p.stderr_text().count("the relay runs less confined than it could")
    if ctx.valgrind:
        expect(relay["seccomp"] == "none" and relay["landlock_abi"] == 0, "nothing applied: %s" % relay)
        expect(any("seccomp" in d for d in relay["degraded"]) and any("landlock" in d for d in relay["degraded"]),
               "both reasons recorded: %s" % relay["degraded"])
        expect_eq(warned, 1, "said once on stderr")
    else:
        expect_eq((relay["seccomp"], relay["degraded"], warned), ("allow-list", [], 0), "fully confined")


if __name__ == "__main__":
    suite.main()
