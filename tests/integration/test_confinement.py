#!/usr/bin/env python3
"""Confinement (threats.md §1): tests/servers/hostile tries each escape through a real
mcpcage session and reports the errno it got; each attempt is made again by the same server
started directly, where it must succeed whenever the host allows it, so every test can fail.
The rows answered by seccomp (unshare, clone3, keyctl, userfaultfd, io_uring, 32-bit entry)
and by cgroups (fork bomb, memory) belong to those layers' tests. TAP; every case runs as
root and as nobody (see mcpcage_test.py)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import (Suite, Skip, Proc, expect, expect_eq, short, NODE_MODULES,  # noqa: E402
                          NOBODY, mcpcage_path, mapped_libraries)

suite = Suite("confinement")
FILESYSTEM = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-filesystem", "dist",
                          "index.js")
REFUSED = {"ENOENT", "EACCES", "EROFS", "EPERM", "EXDEV"}
CONFINED = ["--isolation", "auto"]


def hostile_path():
    path = os.environ.get("MCPCAGE_HOSTILE") or os.path.join(
        os.path.dirname(os.path.dirname(mcpcage_path())), "tests", "servers", "hostile")
    if not os.access(path, os.X_OK):
        raise Skip("tests/servers/hostile is not built (%s)" % path)
    return path


def req(rid, method, params=None):
    m = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        m["params"] = params
    return m


class Hostile:
    """One hostile server, through mcpcage (options) or directly (direct=True)."""

    def __init__(self, ctx, options=(), direct=False, env=None, fd7=False, wrap=()):
        self.ctx = ctx
        self.rid = 0
        exe = hostile_path()
        if direct:
            argv = [exe]
        else:
            argv = ctx.mcpcage_argv([exe], ["--ro", os.path.dirname(exe)] + CONFINED + list(options))
        if fd7:
            # mcpcage (or the server) started with one more descriptor open, as a host's
            # leaked fd would be
            argv = ["/bin/sh", "-c", 'exec 7</etc/hostname; exec "$@"', "sh"] + argv
        argv = list(wrap) + argv
        full_env = ctx.base_env()
        full_env.update(env or {})
        self.p = Proc(argv, full_env, ctx.dir, "direct" if direct else "mcpcage")
        ctx.procs.append(self.p)
        resp, _, _ = self.p.call(req("init", "initialize", {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "mcpcage-it", "version": "1"}}))
        expect("result" in resp, "initialize: %s" % short(resp))

    def attempt(self, what, *args):
        self.rid += 1
        resp, _, _ = self.p.call(req(self.rid, "tools/call", {
            "name": "attempt", "arguments": {"what": what, "args": [str(a) for a in args]}}))
        expect("result" in resp, "%s: no result: %s" % (what, short(resp)))
        return resp["result"]["structuredContent"]

    def close(self):
        self.p.close_stdin()
        self.p.read_until_eof(timeout=20)
        return self.p.wait(20)


def refused(r, what, allowed=REFUSED):
    expect(not r["ok"] and r["errno"] in allowed, "%s: must fail with %s, got %s"
           % (what, "/".join(sorted(allowed)), short(r)))


def succeeded(r, what):
    expect(r["ok"], "%s: the host allows it, yet it failed directly: %s" % (what, short(r)))


def prepare(ctx):
    """The case directory reachable by the server: as root, mcpcage runs it as nobody."""
    os.chmod(ctx.dir, 0o711)
    home = os.path.join(ctx.dir, "home")
    for sub, text in ((".ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
                      (".aws/credentials", "[default]\naws_secret_access_key=x\n")):
        path = os.path.join(home, sub)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    rw = os.path.join(ctx.dir, "rw")
    ro = os.path.join(ctx.dir, "ro")
    out = os.path.join(ctx.dir, "outside")
    for d in (rw, ro, out):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o777 if d == rw else 0o755)
    with open(os.path.join(ro, "file"), "w") as f:
        f.write("ro\n")
    with open(os.path.join(out, "secret"), "w") as f:
        f.write("outside\n")
    os.chmod(os.path.join(out, "secret"), 0o666)
    if os.geteuid() == 0:
        os.chown(rw, NOBODY, NOBODY)
    return home, ro, rw, out


def empty_policy(ctx, ro, rw, extra=None):
    # no tmpfs: the parents of the listed paths are then on the read-only empty root
    pol = {"version": 1, "mcp": {"tools": {"*": "allow"}},
           "filesystem": {"root": "empty", "read_write": [rw], "tmpfs": [],
                          "read_only": ["/usr", "?/lib", "?/lib64", "?/bin", "/etc", ro]}}
    pol.update(extra or {})
    return ctx.policy("empty.json", pol)


@suite.case("threats.md §1 \"read ~/.ssh/id_rsa, ~/.aws/credentials, /etc/shadow, a file outside "
            "the ro/rw lists\": ENOENT/EACCES")
def read_secrets(ctx):
    home, ro, rw, out = prepare(ctx)
    attempts = [("read", os.path.join(home, ".ssh/id_rsa")),
                ("read", os.path.join(home, ".aws/credentials")),
                ("read", "/etc/shadow")]
    h = Hostile(ctx)
    for what, path in attempts:
        refused(h.attempt(what, path), "default policy: read %s" % path, {"ENOENT", "EACCES"})
    expect_eq(h.close(), 0, "mcpcage exit")
    h = Hostile(ctx, ["--policy", empty_policy(ctx, ro, rw)])
    refused(h.attempt("read", os.path.join(out, "secret")), "root empty: read a file outside the lists",
            {"ENOENT", "EACCES"})
    succeeded(h.attempt("read", os.path.join(ro, "file")), "root empty: read a read_only file")
    h.close()
    d = Hostile(ctx, direct=True)
    for what, path in attempts[:2] + [("read", os.path.join(out, "secret"))]:
        succeeded(d.attempt(what, path), "direct: read %s" % path)
    r = d.attempt("read", "/etc/shadow")
    expect(r["ok"] == (os.geteuid() == 0), "direct: /etc/shadow readable exactly when root: %s" % short(r))
    d.close()


@suite.case("threats.md §1 \"write under a read-only path, create a file in /, /usr, /etc\": EROFS/EACCES")
def write_read_only(ctx):
    home, ro, rw, out = prepare(ctx)
    name = "mcpcage-hostile-%d" % os.getpid()
    targets = [os.path.join(ro, name), "/" + name, "/usr/" + name, "/etc/" + name]
    h = Hostile(ctx, ["--ro", ro])
    for t in targets:
        refused(h.attempt("create", t), "create %s" % t, {"EROFS", "EACCES"})
    succeeded(h.attempt("create", "/tmp/" + name), "the private /tmp is writable")
    h.close()
    d = Hostile(ctx, direct=True)
    for t in targets:
        r = d.attempt("create", t)
        if os.geteuid() == 0 or t.startswith(ctx.dir):
            succeeded(r, "direct: create %s" % t)
    d.close()


@suite.case("threats.md §1 \"write outside the rw list via .., a symlink planted in a rw dir, a hard "
            "link, /proc/self/root, /proc/1/cwd\": fails")
def write_escapes(ctx):
    home, ro, rw, out = prepare(ctx)
    secret = os.path.join(out, "secret")
    escapes = [("create", os.path.join(rw, "..", "escaped-dotdot")),
               ("symlink_write", rw, secret),
               ("link", secret, os.path.join(rw, "hardlink")),
               ("open_write", "/proc/self/root" + secret),
               ("create", "/proc/1/cwd/escaped-proc1-%d" % os.getpid())]
    h = Hostile(ctx, ["--policy", empty_policy(ctx, ro, rw)])
    for a in escapes:
        refused(h.attempt(*a), "confined: %s" % (a,), REFUSED | {"ENOTDIR"})
    succeeded(h.attempt("create", os.path.join(rw, "inside")), "confined: writing inside the rw dir works")
    h.close()
    expect(not os.path.exists(os.path.join(ctx.dir, "escaped-dotdot")), "nothing created next to rw")
    with open(secret) as f:
        expect_eq(f.read(), "outside\n", "the file outside is untouched")
    d = Hostile(ctx, direct=True)
    for a in escapes[:4]:
        succeeded(d.attempt(*a), "direct: %s" % (a,))
    if os.access("/proc/1/cwd", os.W_OK):
        succeeded(d.attempt(*escapes[4]), "direct: /proc/1/cwd is the host's init's")
    d.close()


@suite.case("threats.md §1 \"connect to a TCP listener on the host's 127.0.0.1, to any address, UDP "
            "send, a host Unix socket\": fails (network none)")
def network_none(ctx):
    prepare(ctx)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    port = tcp.getsockname()[1]
    sock_dir = os.path.join(ctx.dir, "runtime")
    os.chmod(sock_dir, 0o755)
    path = os.path.join(sock_dir, "agent.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(path)
    os.chmod(path, 0o777)
    unix.listen(4)
    attempts = [("connect", "tcp", "127.0.0.1", port), ("connect", "udp", "127.0.0.1", port),
                ("connect", "unix", path)]
    try:
        h = Hostile(ctx, env={"XDG_RUNTIME_DIR": sock_dir})
        for a in attempts[:2]:
            # EAFNOSUPPORT: seccomp refuses socket() of every family but AF_UNIX under network
            # none (threats.md §1 seccomp table), before the empty namespace would
            refused(h.attempt(*a), "confined: %s" % (a,), {"ENETUNREACH", "ECONNREFUSED", "EADDRNOTAVAIL",
                                                          "EAFNOSUPPORT"})
        refused(h.attempt(*attempts[2]), "confined: the host's agent socket", {"ENOENT", "EACCES"})
        h.close()
        d = Hostile(ctx, direct=True)
        succeeded(d.attempt(*attempts[0]), "direct: TCP to the host's 127.0.0.1")
        succeeded(d.attempt(*attempts[2]), "direct: the host's Unix socket")
        d.close()
    finally:
        tcp.close()
        unix.close()


@suite.case("threats.md §1 \"ptrace the parent or another process, process_vm_readv, signal a host "
            "process, see host processes in /proc\": EPERM/ESRCH")
def processes(ctx):
    prepare(ctx)
    victim = subprocess.Popen(["sleep", "60"])
    try:
        h = Hostile(ctx)
        who = h.attempt("whoami")["detail"]
        refused(h.attempt("ptrace", who["ppid"]), "ptrace the parent (mcpcage's init)", {"EPERM"})
        for what in ("ptrace", "process_vm_readv"):
            refused(h.attempt(what, victim.pid), "%s a host process" % what, {"ESRCH", "EPERM"})
        refused(h.attempt("kill", victim.pid, 9), "kill -9 a host process", {"ESRCH", "EPERM"})
        pids = h.attempt("processes")["detail"]["pids"]
        expect(victim.pid not in pids and len(pids) <= 3, "only its own pid namespace: %s" % pids[:20])
        h.attempt("kill", 1, 9)
        expect("result" in h.p.call(req("ping", "ping"))[0], "mcpcage keeps relaying after kill -9 1")
        h.close()
        expect(victim.poll() is None, "the host process survived")
        d = Hostile(ctx, direct=True)
        expect(victim.pid in d.attempt("processes")["detail"]["pids"], "direct: host processes visible")
        succeeded(d.attempt("ptrace", victim.pid), "direct: ptrace a process of the same user")
        succeeded(d.attempt("kill", victim.pid, 9), "direct: kill -9 a process of the same user")
        d.close()
    finally:
        victim.kill()
        victim.wait()


def init_of(mcpcage_pid):
    """The host pid of the sandbox's init: mcpcage's child (the proxy of network "filtered"
    is not started in these cases)."""
    with open("/proc/%d/task/%d/children" % (mcpcage_pid, mcpcage_pid)) as f:
        kids = [int(x) for x in f.read().split()]
    expect_eq(len(kids), 1, "mcpcage has one child, the sandbox's init: %s" % kids)
    return kids[0]


@suite.case("the sandbox's init is mcpcage-init, with memory of its own (none of mcpcage's "
            "libraries) and not dumpable: the server can neither open its /proc/PID/mem nor read "
            "its maps; the same server opens a process of its own user's directly")
def init_process(ctx):
    prepare(ctx)
    victim = subprocess.Popen(["sleep", "60"])
    try:
        for mode in ("namespaces", "landlock"):
            h = Hostile(ctx, ["--isolation", mode])
            ppid = h.attempt("whoami")["detail"]["ppid"]
            if mode == "namespaces":
                expect_eq(ppid, 1, "namespaces: the server's parent is pid 1")
            init = init_of(h.p.pid)
            with open("/proc/%d/cmdline" % init, "rb") as f:
                argv = f.read().split(b"\0")
            expect_eq(argv[0], b"mcpcage-init", "%s: init runs mcpcage-init: %s" % (mode, argv))
            if os.geteuid() == 0:
                libs = mapped_libraries(init)
                theirs = sorted(x for x in libs if x.startswith(("libjansson", "libseccomp", "libpcre2",
                                                                 "libcap-ng", "mcpcage.", "libasan")))
                expect(not theirs and "mcpcage" not in libs,
                       "%s: none of mcpcage's memory in init: %s" % (mode, sorted(libs)))
            for what, path in (("open_write", "/proc/%d/mem" % ppid), ("read", "/proc/%d/maps" % ppid)):
                refused(h.attempt(what, path), "%s: %s %s (init)" % (mode, what, path), {"EACCES", "EPERM"})
            h.close()
        d = Hostile(ctx, direct=True)
        for what, path in (("open_write", "/proc/%d/mem" % victim.pid),
                           ("read", "/proc/%d/maps" % victim.pid)):
            succeeded(d.attempt(what, path), "direct: %s %s of a process of the same user" % (what, path))
        d.close()
    finally:
        victim.kill()
        victim.wait()


@suite.case("mcpcage-init missing, or not a program: exit 125 naming it, and the server never ran "
            "(it waits for mcpcage-init before its execve()); --isolation none needs no init")
def init_missing(ctx):
    home, ro, rw, out = prepare(ctx)
    bindir = os.path.join(ctx.dir, "bin")
    os.makedirs(bindir)
    os.chmod(bindir, 0o755)
    lonely = os.path.join(bindir, "mcpcage")
    shutil.copy(mcpcage_path(), lonely)
    marker = os.path.join(rw, "ran")
    cmd = ["--rw", rw, "--", "/bin/sh", "-c", "touch " + marker]

    def run(args):
        r = subprocess.run([lonely, "--audit-log", ctx.audit_path] + args, capture_output=True,
                           stdin=subprocess.DEVNULL, env=ctx.base_env(), cwd=ctx.dir, timeout=60)
        return r.returncode, r.stderr.decode(errors="replace")
    rc, err = run(["--isolation", "none"] + cmd)
    expect(rc == 0 and os.path.exists(marker), "--isolation none runs without mcpcage-init: %d %s"
           % (rc, short(err)))
    os.unlink(marker)
    rc, err = run(CONFINED + cmd)
    expect(rc == 125 and "cannot find mcpcage-init" in err and bindir in err,
           "no mcpcage-init: 125 naming where it was looked for (%d): %s" % (rc, short(err)))
    expect(not os.path.exists(marker), "no mcpcage-init: the server never ran")
    r = subprocess.run([lonely, "doctor"], capture_output=True, stdin=subprocess.DEVNULL,
                       env=ctx.base_env(), cwd=ctx.dir, timeout=60)
    text = r.stdout.decode(errors="replace")
    expect(r.returncode == 2 and any(l.startswith("init ") and " no " in l for l in text.splitlines()),
           "doctor without mcpcage-init: an init line saying no, verdict 2 (%d): %s"
           % (r.returncode, short(text, 1500)))
    fake = os.path.join(bindir, "mcpcage-init")
    with open(fake, "w") as f:
        f.write("not a program\n")
    os.chmod(fake, 0o755)
    for mode in ("namespaces", "landlock"):
        rc, err = run(["--isolation", mode] + cmd)
        expect(rc == 125 and "starting mcpcage-init" in err and "format" in err,
               "%s: an mcpcage-init that cannot run: 125 saying why (%d): %s" % (mode, rc, short(err)))
        expect(not os.path.exists(marker), "%s: the server never ran" % mode)


@suite.case("threats.md §1 \"mount, umount, pivot_root, setns; kexec_load, init_module, "
            "open_by_handle_at, bpf, perf_event_open, TIOCSTI\": refused without capabilities")
def privileged_syscalls(ctx):
    prepare(ctx)
    target = os.path.join(ctx.dir, "rw")
    names = ["umount", "pivot_root", "setns", "kexec_load", "init_module", "open_by_handle_at", "bpf",
             "perf_event_open", "tiocsti"]
    h = Hostile(ctx, ["--rw", target])
    refused(h.attempt("mount", target), "mount", {"EPERM"})
    for n in names:
        # ENOSYS: a kernel built without it (kexec) refuses it too
        refused(h.attempt("syscall", n), n, {"EPERM", "EACCES", "ENOTTY", "ENXIO", "EIO", "ENOSYS"})
    h.close()
    if os.geteuid() != 0:
        return
    d = Hostile(ctx, direct=True)
    succeeded(d.attempt("mount", target), "direct: root mounts")
    # permitted, then failing on the deliberately bad argument
    for n in ("umount", "pivot_root", "open_by_handle_at"):
        r = d.attempt("syscall", n)
        expect(r["errno"] != "EPERM", "direct: %s is permitted for root: %s" % (n, short(r)))
    succeeded(d.attempt("syscall", "bpf"), "direct: root creates a BPF map")
    d.close()


@suite.case("threats.md §1 \"setuid binary (/usr/bin/passwd, su) gains nothing\": no_new_privs holds")
def setuid(ctx):
    prepare(ctx)
    user = "nobody"
    h = Hostile(ctx)
    who = h.attempt("whoami")["detail"]
    expect_eq(who["NoNewPrivs"], "1", "no_new_privs in the server")
    expect(who["CapEff"] == who["CapPrm"] == who["CapBnd"] == who["CapAmb"] == "0000000000000000",
           "no capabilities at all: %s" % short(who))
    r = h.attempt("setuid", user)
    expect(not r["ok"], "passwd -S could not read /etc/shadow: %s" % short(r))
    h.close()
    d = Hostile(ctx, direct=True)
    succeeded(d.attempt("setuid", user), "direct: the setuid passwd reads /etc/shadow")
    d.close()


@suite.case("threats.md §1 \"outlive mcpcage (double fork, setsid)\": killed when mcpcage exits")
def outlive(ctx):
    home, ro, rw, out = prepare(ctx)
    beat = os.path.join(rw, "heartbeat")

    def last():
        try:
            with open(beat) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    h = Hostile(ctx, ["--rw", rw])
    succeeded(h.attempt("outlive", beat), "double fork")
    # its first beat comes at once, unless a loaded machine leaves it unscheduled a while
    deadline = time.monotonic() + 5
    while last() == "" and time.monotonic() < deadline:
        time.sleep(0.05)
    expect(last() != "", "the orphan is running inside")
    h.close()
    time.sleep(0.2)
    before = last()
    time.sleep(0.5)
    expect_eq(last(), before, "no heartbeat after mcpcage exited")
    os.unlink(beat)
    d = Hostile(ctx, direct=True)
    pid = d.attempt("outlive", beat)["detail"]["pid"]
    d.close()
    time.sleep(0.2)
    before = last()
    time.sleep(0.3)
    alive = last() != before
    os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)      # it came back to the case's subreaper
    except ChildProcessError:
        pass
    expect(alive, "direct: the orphan outlives its parent")


# Run the rest of argv with a pty as its controlling terminal (stdio stay the pipes). The
# master stays open across the exec: closing it would hang the terminal up (SIGHUP).
WITH_TTY = [sys.executable, "-c", "import fcntl, os, sys, termios\n"
            "m, s = os.openpty()\nos.set_inheritable(m, True)\nos.setsid()\n"
            "fcntl.ioctl(s, termios.TIOCSCTTY, 0)\nos.execvp(sys.argv[1], sys.argv[1:])"]


@suite.case("threats.md §1 \"signal a host process\": the server has its own process group, so "
            "kill(0) stays inside; a new session only when mcpcage has a terminal")
def process_group(ctx):
    prepare(ctx)
    pidfile = os.path.join(ctx.dir, "victim.pid")
    # mcpcage and a victim in one process group of their own (not the test runner's)
    h = Hostile(ctx, wrap=["setsid", "/bin/sh", "-c", 'sleep 60 </dev/null >/dev/null 2>&1 & echo $! > "$0"; exec "$@"', pidfile])
    with open(pidfile) as f:
        victim = int(f.read())
    try:
        who = h.attempt("whoami")["detail"]
        expect_eq(who["pgid"], 1, "the server's process group is led by the sandbox's init")
        expect_eq(who["sid"], 0, "no terminal: no new session (its leader is outside the pid namespace)")
        # SIGTERM to the server's own group: the server and init, never mcpcage's group
        h.p.call(req("kill0", "tools/call", {"name": "attempt",
                                             "arguments": {"what": "kill", "args": ["0", "15"]}}))
        rc = h.close()
        expect(rc != 0, "the server ended by its own kill(0): mcpcage exits %s" % rc)
        expect(_alive(victim), "the process in mcpcage's own group survived the server's kill(0)")
    finally:
        _reap(victim)
    t = Hostile(ctx, wrap=WITH_TTY)
    who = t.attempt("whoami")["detail"]
    expect_eq(who["sid"], 1, "with a terminal: a session of its own, led by the sandbox's init")
    expect_eq(who["pgid"], 1, "with a terminal: the process group is the session's")
    refused(t.attempt("syscall", "tiocsti"), "TIOCSTI with mcpcage on a terminal", {"EPERM", "ENOTTY", "ENXIO"})
    t.close()


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _reap(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)      # mcpcage, its parent, has exited: it came back to the case's subreaper
    except (ProcessLookupError, ChildProcessError):
        pass


@suite.case("threats.md §1 \"inherit an fd from mcpcage or the host\" and \"read the host environment\": "
            "only 0/1/2, only env.pass")
def fds_and_env(ctx):
    prepare(ctx)
    env = {"SECRET_TOKEN": "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"}
    h = Hostile(ctx, env=env, fd7=True)
    expect_eq(h.attempt("fds")["detail"]["fds"], [0, 1, 2], "descriptors in the server")
    r = h.attempt("env", "SECRET_TOKEN")
    expect(not r["ok"], "the secret is not in the server's environment")
    names = set(r["detail"]["names"])
    expect(names <= {"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG"} |
           {n for n in names if n.startswith("LC_")}, "only env.pass variables: %s" % sorted(names))
    h.close()
    d = Hostile(ctx, direct=True, env=env, fd7=True)
    expect(7 in d.attempt("fds")["detail"]["fds"], "direct: fd 7 is inherited")
    succeeded(d.attempt("env", "SECRET_TOKEN"), "direct: the secret is in the environment")
    d.close()


@suite.case("threats.md §1 \"fill /tmp\": a bounded tmpfs")
def fill_tmp(ctx):
    home, ro, rw, out = prepare(ctx)
    pol = ctx.policy("small.json", {"version": 1, "extends": ["default"], "limits": {"memory": "8M"}})
    h = Hostile(ctx, ["--policy", pol])
    r = h.attempt("fill", "/tmp", 32 << 20)
    expect(not r["ok"] and r["errno"] in ("ENOSPC", "EFBIG") and r["detail"]["written"] <= 8 << 20,
           "/tmp stops at limits.memory: %s" % short(r))
    h.close()
    d = Hostile(ctx, direct=True)
    succeeded(d.attempt("fill", rw, 32 << 20), "direct: 32 MiB written on the host")
    d.close()


@suite.case("Landlock fallback (--isolation landlock): read-only, read-write, nothing else; no signals "
            "outside; said on stderr")
def landlock_fallback(ctx):
    home, ro, rw, out = prepare(ctx)
    victim = subprocess.Popen(["sleep", "60"])
    try:
        h = Hostile(ctx, ["--policy", empty_policy(ctx, ro, rw), "--isolation", "landlock"])
        succeeded(h.attempt("read", os.path.join(ro, "file")), "landlock: read_only readable")
        refused(h.attempt("create", os.path.join(ro, "x")), "landlock: read_only not writable", {"EACCES"})
        succeeded(h.attempt("create", os.path.join(rw, "x")), "landlock: read_write writable")
        refused(h.attempt("read", os.path.join(out, "secret")), "landlock: outside the lists", {"EACCES"})
        refused(h.attempt("read", os.path.join(home, ".ssh/id_rsa")), "landlock: ~/.ssh", {"EACCES"})
        refused(h.attempt("kill", victim.pid, 9), "landlock: signal a host process", {"EPERM"})
        who = h.attempt("whoami")["detail"]
        expect_eq(who["NoNewPrivs"], "1", "landlock: no_new_privs")
        h.close()
        expect(b"Landlock" in h.p.stderr_text().encode() or b"degraded" in h.p.stderr_text().encode(),
               "the fallback is said on stderr: %s" % short(h.p.stderr_text()))
        expect(victim.poll() is None, "the host process survived")
    finally:
        victim.kill()
        victim.wait()


@suite.case("refusals: require namespaces with --isolation landlock, a missing path, a command not in "
            "the view, command.allow; each says why")
def refusals(ctx):
    home, ro, rw, out = prepare(ctx)
    exe = hostile_path()
    req_pol = ctx.policy("req.json", {"version": 1, "require": ["namespaces"]})
    rc, _, err = ctx.run(["--policy", req_pol, "--isolation", "landlock", "--", exe])
    expect(rc == 125 and b"namespaces" in err, "require namespaces: 125, %s" % short(err))
    missing = os.path.join(ctx.dir, "missing")
    rc, _, err = ctx.run(CONFINED + ["--ro", missing, "--", exe])
    expect(rc == 125 and missing.encode() in err, "a missing --ro path: 125 naming it, %s" % short(err))
    hidden = os.path.join(rw, "tool")
    shutil.copy(exe, hidden)
    rc, _, err = ctx.run(CONFINED + ["--", hidden])
    expect_eq(rc, 127, "a command outside the view: 127 (%s)" % short(err))
    allow = ctx.policy("allow.json", {"version": 1, "extends": ["default"], "command": {"allow": ["/bin/true"]}})
    rc, _, err = ctx.run(CONFINED + ["--policy", allow, "--ro", os.path.dirname(exe), "--", exe])
    expect(rc == 125 and b"command.allow" in err, "command.allow: 125, %s" % short(err))
    rc, out_text, _ = ctx.run(CONFINED + ["--dry-run", "--ro", ro, "--", exe])
    expect(rc == 0 and b"mount plan" in out_text and ro.encode() in out_text,
           "--dry-run shows the mount plan: %s" % short(out_text))


@suite.case("mcpcage doctor: one line per feature, the exit status is the verdict")
def doctor(ctx):
    rc, out, err = ctx.run(["doctor"])
    text = out.decode()
    lines = {l.split("  ")[0].strip(): l for l in text.splitlines() if l.strip()}
    for name in ("user namespaces", "landlock", "seccomp", "cgroup", "bpf", "init", "suid_dumpable",
                 "pidfd", "mount_setattr", "hyperscan"):
        expect(name in lines, "a line for %s: %s" % (name, short(text, 2000)))
    verdict = text.strip().splitlines()[-1]
    expect(rc in (0, 1, 2), "exit status %s" % rc)
    expect(("can be enforced" in verdict) == (rc == 0) and ("degraded" in verdict) == (rc == 1),
           "exit %d matches the verdict line: %s" % (rc, verdict))
    ns_ok = lines["user namespaces"].split()[2] == "yes"
    expect(ns_ok or rc != 0, "no user namespaces is never a full verdict")
    rc2, _, _ = ctx.run(["doctor", "extra"])
    expect_eq(rc2, 125, "doctor takes no arguments")
    # fs.suid_dumpable=1, seen through a mount namespace of the test's own (the host's own
    # setting is not touched): said on its line, not counted in the verdict
    fake = ctx.write("suid_dumpable", "1\n", 0o644)
    show = "mount --bind %s /proc/sys/fs/suid_dumpable && exec \"$@\"" % fake
    r = subprocess.run(["unshare", "-rm", "sh", "-c", show, "sh", mcpcage_path(), "doctor"],
                       stdin=subprocess.DEVNULL, capture_output=True, env=ctx.base_env(),
                       cwd=ctx.dir, timeout=60)
    line = [l for l in r.stdout.decode().splitlines() if l.startswith("suid_dumpable")]
    if not line and b"mount" in r.stderr:
        raise Skip("cannot bind a file over /proc/sys here: %s" % short(r.stderr))
    expect(line and line[0].split()[1] == "1" and "insecure" in line[0],
           "suid_dumpable=1 is said: %s" % short(r.stdout, 1500))
    expect_eq(r.returncode, rc, "and does not change the verdict")


@suite.case("the real server-filesystem from npm with one read-write project directory and nothing "
            "else of $HOME")
def filesystem_server(ctx):
    home, ro, rw, out = prepare(ctx)
    nodebin = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
    if not nodebin or not os.path.exists(FILESYSTEM):
        raise Skip("node or server-filesystem missing: run `npm ci` in tests/")
    project = os.path.join(home, "project")
    os.makedirs(project)
    os.chmod(home, 0o755)
    os.chmod(project, 0o777)
    if os.geteuid() == 0:
        os.chown(project, NOBODY, NOBODY)
    # the server itself is told it may use all of $HOME: only the sandbox keeps it to the project
    # node_modules is bound read-only: the checkout may sit under /tmp or $HOME, which the
    # default view replaces with empty tmpfs mounts
    p = ctx.start([nodebin, FILESYSTEM, home],
                  options=CONFINED + ["--ro", NODE_MODULES, "--rw", project])
    p.call(req(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "mcpcage-it", "version": "1"}}))
    p.send_msg({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(rid, tool, args):
        return p.call(req(rid, "tools/call", {"name": tool, "arguments": args}))[0]["result"]

    r = call(2, "write_file", {"path": project + "/hello.txt", "content": "hi"})
    expect(not r.get("isError"), "write in the project: %s" % short(r))
    expect(os.path.exists(project + "/hello.txt"), "the file is on the host")
    r = call(3, "read_text_file", {"path": home + "/.ssh/id_rsa"})
    expect(r.get("isError"), "~/.ssh/id_rsa is not there for the server: %s" % short(r))
    r = call(4, "list_directory", {"path": home})
    text = r["content"][0]["text"]
    expect(".ssh" not in text and ".aws" not in text and "project" in text, "$HOME holds the project only: %s"
           % short(text))
    p.close_stdin()
    p.read_until_eof(timeout=20)
    p.wait(20)


if __name__ == "__main__":
    suite.main()
