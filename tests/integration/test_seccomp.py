#!/usr/bin/env python3
"""Seccomp (threats.md §1 "Default seccomp profile", policy.md "seccomp", audit.md
seccomp_violation): tests/servers/probe calls every syscall of the table through a real
mcpcage session and prints what answered; the same probe runs directly (no mcpcage), where
the kernel answers with its own argument errors, so every row can fail. Each refusal must
also be a seccomp_violation record naming the syscall. TAP; every case runs as root and as
nobody (see mcpcage_test.py)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import (Suite, Skip, expect, expect_eq, short, mcpcage_path, find_raw_id,  # noqa: E402
                          NODE_MODULES)

suite = Suite("seccomp")

# threats.md §1, row by row: probe name -> (syscall in the record, the profile's answer)
EPERM_ROWS = ["unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
              "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
              "lookup_dcookie", "fanotify_init", "open_by_handle_at", "name_to_handle_at", "kcmp",
              "pidfd_getfd", "process_vm_readv", "process_vm_writev", "process_madvise", "ptrace",
              "kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module",
              "delete_module", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
              "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname",
              "setdomainname", "vhangup", "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl",
              "modify_ldt", "iopl", "ioperm", "mbind", "set_mempolicy", "set_mempolicy_home_node",
              "migrate_pages", "move_pages"]
ENOSYS_ROWS = ["clone3", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
               "mount_setattr", "io_uring_setup", "io_uring_enter", "io_uring_register"]
BY_ARGUMENT = {  # probe -> (syscall, answer)
    "clone_newuser": ("clone", "EPERM"), "personality": ("personality", "EPERM"),
    "tiocsti": ("ioctl", "EPERM"), "tiocsti_high": ("ioctl", "EPERM"),
    "tioclinux": ("ioctl", "EPERM"),
    "socket_inet": ("socket", "EAFNOSUPPORT"), "socket_inet6": ("socket", "EAFNOSUPPORT"),
    "socket_packet": ("socket", "EAFNOSUPPORT"), "socket_netlink": ("socket", "EAFNOSUPPORT"),
}
KILLED = ["x32", "int80"]
ALLOWED = {"personality_query": "ok", "fionread": "EBADF", "socket_unix": "ok", "getpid": "ok",
           "getcwd": "ok"}


def probe_path():
    path = os.environ.get("MCPCAGE_PROBE") or os.path.join(
        os.path.dirname(os.path.dirname(mcpcage_path())), "tests", "servers", "probe")
    if not os.access(path, os.X_OK):
        raise Skip("tests/servers/probe is not built (%s)" % path)
    return path


def parse(stderr):
    out = {}
    for line in stderr.splitlines():
        if line.startswith("probe: "):
            parts = line.split()
            if len(parts) == 3:
                out[parts[1]] = parts[2]
    return out


def run_probe(ctx, args, options=(), direct=False, policy=None, label=None):
    """(results, exit code, stderr) of one probe run, through mcpcage or directly."""
    exe = probe_path()
    if direct:
        p = ctx.start_direct([exe] + list(args), label=label or "direct")
    else:
        opts = ["--ro", os.path.dirname(exe), "--isolation", "auto"] + list(options)
        if policy:
            opts += ["--policy", policy]
        p = ctx.start([exe] + list(args), options=opts, label=label or "mcpcage")
    p.close_stdin()
    p.read_until_eof(timeout=60)
    rc = p.wait(60)
    err = p.stderr_text()
    return parse(err), p.exit_code(), err


def violations(ctx):
    return [r for r in ctx.audit_events("security", "seccomp_violation")]


def policy(ctx, name, seccomp, limits=None):
    pol = {"version": 1, "extends": ["default"], "seccomp": seccomp}
    if limits:
        pol["limits"] = limits
    return ctx.policy(name, pol)


@suite.case("threats.md §1 \"Default seccomp profile\": every row refused with its answer, each "
            "a seccomp_violation record; x32 and int 0x80 killed; the probe run directly differs")
def default_profile(ctx):
    os.chmod(ctx.dir, 0o711)
    # Some hosts have no i386 entry at all (IA32 emulation off, or a paravirtual CPU that does
    # not route int 0x80): the kernel kills with SIGSEGV before any filter runs, directly too.
    host_int80 = run_probe(ctx, ["int80"], direct=True, label="direct-int80")[0].get("int80")
    no_int80 = host_int80 == "killed:SEGV"
    if no_int80:
        ctx.note("this host has no int 0x80 entry (run directly it is killed by SIGSEGV): the "
                 "filter's answer to it cannot be seen here, only that it does not run")
    got, rc, err = run_probe(ctx, ["all"])
    expect_eq(rc, 0, "mcpcage exit (stderr: %s)" % short(err[-1500:], 1500))
    expect("done" in " ".join(err.splitlines()[-3:]) or "probe: done" in err, "the probe finished")
    want = {n: "EPERM" for n in EPERM_ROWS}
    want.update({n: "ENOSYS" for n in ENOSYS_ROWS})
    want.update({n: a for n, (_, a) in BY_ARGUMENT.items()})
    want.update({n: "killed:SYS" for n in KILLED})
    want.update(ALLOWED)
    if no_int80:
        del want["int80"]
        expect(str(got.get("int80")).startswith("killed:"), "confined, int 0x80 does not run: %s" % got.get("int80"))
    bad = {n: (got.get(n), w) for n, w in want.items() if got.get(n) != w}
    expect(not bad, "confined answers differ from the profile (got, want): %s" % short(bad, 3000))
    recs = violations(ctx)
    named = {r.get("syscall") for r in recs}
    missing = [n for n in EPERM_ROWS + ENOSYS_ROWS if n not in named]
    missing += [s for s, _ in BY_ARGUMENT.values() if s not in named]
    expect(not missing, "no seccomp_violation record for %s (records for %s; %d refusal lines on "
           "stderr; session_end counts %s)" % (missing, sorted(named), err.count("mcpcage: seccomp: "),
                                                (ctx.audit_events("session_end") or [{}])[0].get("seccomp_violations")))
    for r in recs:
        expect(isinstance(r.get("pid"), int) and r["pid"] > 1 and r.get("count", 0) >= 1 and r.get("answer"),
               "a record carries the pid inside, a count and the answer: %s" % short(r))
    mount = [r for r in recs if r.get("syscall") == "mount"][0]
    expect_eq((mount["answer"], mount["severity"]), ("EPERM", "warning"), "mount's record")
    clone3 = [r for r in recs if r.get("syscall") == "clone3"][0]
    expect_eq((clone3["answer"], clone3["severity"]), ("ENOSYS", "info"), "clone3's record")
    expect("mcpcage: seccomp: mount refused with EPERM" in err, "a one-line note on stderr")
    start = ctx.audit_events("session_start")[0]["sandbox"]["seccomp"]
    expect_eq((start["profile"], start["action"]), ("default", "errno"), "session_start.sandbox.seccomp")
    expect(0 < start["instructions"] <= 4096, "the filter's size is recorded: %s" % start)
    end = ctx.audit_events("session_end")[0]
    expect_eq(end["seccomp_violations"].get("mount"), 1, "session_end counts mount once")

    free, rc, err = run_probe(ctx, ["all"], direct=True)
    expect_eq(rc, 0, "direct probe exit")
    same = []
    for n, w in want.items():
        if n in ALLOWED:
            continue
        if free.get(n) == w:
            same.append(n)
    # As nobody the kernel's own capability checks answer a few of these EPERM before their
    # arguments: there the records above are what proves the filter answered.
    cap_checked = {"pivot_root", "kexec_load", "kexec_file_load", "reboot", "init_module",
                   "finit_module", "delete_module", "swapon", "swapoff", "acct", "vhangup",
                   "sethostname", "setdomainname", "settimeofday", "open_by_handle_at", "bpf",
                   "iopl", "ioperm", "socket_packet", "quotactl", "syslog", "clock_settime",
                   "perf_event_open", "fanotify_init", "userfaultfd", "fspick", "fsopen"}
    unexplained = [n for n in same if not (os.geteuid() != 0 and n in cap_checked)]
    expect(not unexplained, "directly the kernel answers these the same way, so the test proves "
           "nothing for them: %s" % [(n, free.get(n)) for n in unexplained])
    expect(free.get("x32") != "killed:SYS" and (no_int80 or free.get("int80") != "killed:SYS"),
           "directly, the 32-bit entries are not killed: %s %s" % (free.get("x32"), free.get("int80")))
    if same:
        ctx.note("answered EPERM by the kernel's capability check too (as %s): %s" % (ctx.user, same))


@suite.case("policy.md seccomp.allow / deny by name; an unknown name is a policy error; execve "
            "cannot be denied")
def adjust_by_name(ctx):
    os.chmod(ctx.dir, 0o711)
    pol = policy(ctx, "adj.json", {"profile": "default", "allow": ["ptrace", "personality"],
                                   "deny": ["getcwd"]})
    got, rc, err = run_probe(ctx, ["ptrace", "personality", "getcwd", "mount"], policy=pol)
    expect_eq(rc, 0, "exit (%s)" % short(err[-800:], 800))
    expect_eq((got.get("ptrace"), got.get("personality"), got.get("getcwd"), got.get("mount")),
              ("ESRCH", "ok", "EPERM", "EPERM"), "allow ptrace, personality; deny getcwd")
    bad = ctx.policy("bad.json", {"version": 1, "extends": ["default"],
                                  "seccomp": {"deny": ["no_such_syscall"]}})
    _, rc, err = run_probe(ctx, ["getpid"], policy=bad, label="bad")
    expect_eq(rc, 125, "an unknown syscall name refuses to start")
    expect("no_such_syscall" in err and "/seccomp/deny/0" in err, "the error names it: %s" % short(err))
    ex = policy(ctx, "exec.json", {"deny": ["execve"]})
    _, rc, err = run_probe(ctx, ["getpid"], policy=ex, label="exec")
    expect_eq(rc, 125, "deny execve refuses to start")
    expect("could not start" in err, "and says why: %s" % short(err))
    # the server's last steps before it runs, read and write of the pipes init releases it
    # by: refused, they would wait for an answer mcpcage gives only once it runs
    rd = policy(ctx, "read.json", {"deny": ["read"]})
    _, rc, err = run_probe(ctx, ["getpid"], policy=rd, label="read")
    expect_eq(rc, 125, "deny read refuses to start")
    expect("could not start" in err and "read" in err, "and says why: %s" % short(err))


@suite.case("a looping server: thousands of refusals, one seccomp_violation record per syscall "
            "per second, all counted in session_end, mcpcage keeps up")
def rate_limited(ctx):
    os.chmod(ctx.dir, 0o711)
    t0 = time.monotonic()
    got, rc, err = run_probe(ctx, ["loop", "mount", "20000"])
    took = time.monotonic() - t0
    expect_eq((rc, got.get("mount")), (0, "EPERM"), "the loop ends, refused")
    recs = [r for r in violations(ctx) if r.get("syscall") == "mount"]
    expect(1 <= len(recs) <= 2 + int(took), "%d records for 20000 refusals in %.1fs" % (len(recs), took))
    end = ctx.audit_events("session_end")[0]
    expect_eq(end["seccomp_violations"].get("mount"), 20000, "session_end counts them all")
    notes = err.count("seccomp: mount refused")
    expect(notes == len(recs), "one stderr note per record (%d notes, %d records)" % (notes, len(recs)))
    ctx.note("20000 refused mounts answered in %.2fs, %d record(s)" % (took, len(recs)))


@suite.case("profile strict: the rows refused, the allowed rest runs; action kill ends the server "
            "with SIGSYS, audited")
def strict_profile(ctx):
    os.chmod(ctx.dir, 0o711)
    pol = policy(ctx, "strict-errno.json", {"profile": "strict", "action": "errno"})
    got, rc, err = run_probe(ctx, ["all"], policy=pol)
    expect_eq(rc, 0, "exit (%s)" % short(err[-800:], 800))
    bad = [(n, got.get(n)) for n in EPERM_ROWS if got.get(n) != "EPERM"]
    bad += [(n, got.get(n)) for n in ENOSYS_ROWS if got.get(n) != "ENOSYS"]
    bad += [(n, got.get(n)) for n, (_, a) in BY_ARGUMENT.items() if got.get(n) != a]
    bad += [(n, got.get(n)) for n, a in ALLOWED.items() if got.get(n) != a]
    expect(not bad, "strict/errno answers: %s" % bad)
    kill = policy(ctx, "strict.json", {"profile": "strict"})
    got, rc, err = run_probe(ctx, ["getpid", "clone3", "mount"], policy=kill, label="strict-kill")
    expect_eq((got.get("getpid"), got.get("clone3"), got.get("mount")), ("ok", "ENOSYS", "killed:SYS"),
              "strict/kill: allowed runs, clone3 falls back, mount kills the attempt")
    got, rc, err = run_probe(ctx, ["inline", "mount"], policy=kill, label="strict-kill-server")
    expect_eq(rc, 128 + 31, "the server itself is killed by SIGSYS: mcpcage exits 159")
    crit = [r for r in violations(ctx) if r.get("severity") == "critical"]
    expect(len(crit) == 1 and "SIGSYS" in crit[0]["detail"], "one critical record: %s" % short(crit))
    expect("killed for a refused syscall" in err, "and a note on stderr")
    start = [r for r in ctx.audit_events("session_start")][-1]["sandbox"]["seccomp"]
    expect_eq((start["profile"], start["action"]), ("strict", "kill"), "session_start")


@suite.case("policy.md profile none warns and is audited; action log lets refusals through")
def none_and_log(ctx):
    os.chmod(ctx.dir, 0o711)
    pol = policy(ctx, "none.json", {"profile": "none"})
    got, rc, err = run_probe(ctx, ["personality", "getpid"], policy=pol)
    expect_eq(got.get("personality"), "ok", "profile none: nothing refused")
    expect("seccomp profile none" in err, "a warning on stderr: %s" % short(err))
    sb = ctx.audit_events("session_start")[-1]["sandbox"]
    expect_eq(sb["seccomp"]["profile"], "none", "session_start.sandbox.seccomp")
    expect(any("seccomp profile none" in d for d in sb["degraded"]), "and degraded: %s" % sb["degraded"])
    pol = policy(ctx, "log.json", {"profile": "default", "action": "log"})
    got, rc, err = run_probe(ctx, ["personality", "x32"], policy=pol, label="log")
    expect_eq((got.get("personality"), got.get("x32")), ("ok", "killed:SYS"),
              "action log allows the row, the 32-bit entry is still killed")
    sb = ctx.audit_events("session_start")[-1]["sandbox"]
    expect(any("action log" in d for d in sb["degraded"]), "degraded says where the uses go")


def node():
    for d in ("/usr/local/bin", "/usr/bin", "/bin"):
        if os.access(os.path.join(d, "node"), os.X_OK):
            return os.path.join(d, "node")
    raise Skip("node is not installed")


def real_server(ctx, pol, cmd, calls, label, extra=()):
    """initialize, tools/list and tools/call through mcpcage under pol; the answers."""
    p = ctx.start(cmd, options=["--ro", NODE_MODULES, "--isolation", "auto", "--policy", pol] + list(extra),
                  label=label)
    out = {}
    msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "mcpcage-it", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]
    msgs += [{"jsonrpc": "2.0", "id": 3 + i, "method": "tools/call", "params": {"name": n, "arguments": a}}
             for i, (n, a) in enumerate(calls)]
    for m in msgs:
        raw = json.dumps(m).encode()
        p.send(raw + b"\n")
        if "id" in m:
            _, parsed, _ = p.read_response(find_raw_id(raw), timeout=30)
            out[m["id"]] = parsed
    p.close_stdin()
    p.read_until_eof(timeout=20)
    p.wait(20)
    expect(p.exit_code() in (0, 128 + 15), "%s: exit %s (stderr: %s)" % (label, p.exit_code(),
                                                                        short(p.stderr_text()[-1500:], 1500)))
    return out


def smoke(ctx, cmd, calls, check, extra=()):
    """The server under profile default (errno) and strict (kill): tools/list and tools/call
    answer; the only refusals are the ENOSYS fallbacks and pkey-free ones, reported."""
    need = [os.path.join(NODE_MODULES, "@modelcontextprotocol")]
    if not os.path.isdir(need[0]):
        raise Skip("tests/node_modules missing: run npm ci in tests/")
    os.chmod(ctx.dir, 0o711)
    for name, sc in (("default", {"profile": "default"}), ("strict", {"profile": "strict"})):
        pol = policy(ctx, name + ".json", sc)
        out = run = real_server(ctx, pol, cmd, calls, name, extra)
        expect(len(out[2]["result"]["tools"]) > 0, "%s: tools/list: %s" % (name, short(out[2])))
        check(name, run)
        sb = ctx.audit_events("session_start")[-1]["sandbox"]["seccomp"]
        expect_eq(sb["profile"], name, "session_start profile")
        kinds = {(r.get("syscall"), r.get("answer")) for r in violations(ctx)}
        expect(all(a in ("ENOSYS", None) or s == "pkey_alloc" for s, a in kinds),
               "%s: only fallback refusals: %s" % (name, kinds))


@suite.case("the real server-everything: tools/list and tools/call under profile default and strict")
def real_everything(ctx):
    path = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-everything", "dist", "index.js")
    if not os.path.exists(path):
        raise Skip("server-everything is not installed")

    def check(name, out):
        expect_eq(out[3]["result"]["content"][0]["text"], "Echo: hi", name + ": echo")
        expect("3" in out[4]["result"]["content"][0]["text"], name + ": get-sum")
    smoke(ctx, [node(), path, "stdio"], [("echo", {"message": "hi"}), ("get-sum", {"a": 1, "b": 2})], check)


@suite.case("the real server-filesystem: tools/list and tools/call under profile default and strict")
def real_filesystem(ctx):
    path = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-filesystem", "dist", "index.js")
    if not os.path.exists(path):
        raise Skip("server-filesystem is not installed")
    root = os.path.join(ctx.dir, "project")
    os.mkdir(root, 0o755)
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("hello\n")
    os.chmod(os.path.join(root, "a.txt"), 0o644)

    def check(name, out):
        expect(root in out[3]["result"]["content"][0]["text"], name + ": list_allowed_directories")
        expect_eq(out[4]["result"]["content"][0]["text"], "hello\n", name + ": read_text_file")
    smoke(ctx, [node(), path, root], [("list_allowed_directories", {}),
                                      ("read_text_file", {"path": os.path.join(root, "a.txt")})], check,
          ["--ro", root])


suite.main()
