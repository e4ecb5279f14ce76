"""mcpcage_test: the small library the integration tests share (python3 stdlib only).

A test file declares cases with @suite.case(...) and calls suite.main(). Each case runs in a
fresh child process of this script, once as root and once as the unprivileged user nobody
(`setpriv --reuid=65534 --regid=65534 --clear-groups`), with its own temporary directory
owned by that user holding HOME, the XDG directories, TMPDIR and the audit log. The outer
process prints TAP (one test point per case and user); the inner one runs the case and says
ok (exit 0), skip (exit 77, last line "SKIP: reason") or not ok (anything else).

Inside a case (`ctx`):
    p = ctx.start(ctx.server_cmd(), env={...})     mcpcage around the command, pipes on 0/1/2
    p = ctx.start_direct(ctx.server_cmd())         the same command without mcpcage
    resp, notes = p.call({"jsonrpc": ..., "id": 1, ...})
    p.close_stdin(); rc = p.wait()                 p.peak_rss_kb, p.rusage, p.stderr_bytes()
    ctx.audit()                                    the audit records as dicts (and raw lines)
Every case ends with a check that no process it started (or any of their descendants) is
left: the inner process is a child subreaper, so orphans and zombies come back to it.
"""
import ctypes
import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
SERVER = os.path.join(TESTS, "servers", "mcp_test_server.py")
NODE_MODULES = os.path.join(TESTS, "node_modules")
NOBODY = 65534
SKIP_EXIT = 77
# The interpreter for everything run as nobody: a per-user install (pyenv under /root) is
# not reachable by nobody, the system one is.
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
PR_SET_CHILD_SUBREAPER = 36

# `meson test --setup valgrind` (root meson.build) sets MCPCAGE_VALGRIND=1. Its wrapper only
# reaches this python script, so each mcpcage a case starts runs under valgrind here, with
# the setup's options plus a log per process; a log reporting an error or a leak fails the
# case (check_valgrind_logs). Under valgrind the sandbox's child is forked (sandbox/enter.c
# spawn_memory_flag: valgrind's clone() is a thread or a fork only) and execs the server:
# valgrind follows the fork (silently, until the exec) but not the server itself.
VALGRIND = os.environ.get("MCPCAGE_VALGRIND") == "1"
VALGRIND_ARGV = [
    "valgrind", "--error-exitcode=99", "--leak-check=full",
    "--show-leak-kinds=definite,indirect,possible",
    "--errors-for-leak-kinds=definite,indirect,possible",
    "--track-fds=no", "--trace-children=no", "--child-silent-after-fork=yes",
    "--suppressions=" + os.path.join(TESTS, "valgrind.supp"),
]
# Valgrind runs a program 20-50x slower: the timeouts of a case and of its reads and waits
# stretch by this much (never in a normal run).
TIME_SCALE = 10 if VALGRIND else 1


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def expect_eq(got, want, what):
    if got != want:
        raise Fail("%s: got %s, want %s" % (what, short(got), short(want)))


def short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def mapped_libraries(pid):
    """File names of the libraries process pid has mapped (which it loaded, lazily or not)."""
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(line.split()[-1]) for line in f if "/" in line}


def mcpcage_path():
    p = os.environ.get("MCPCAGE")
    if not p:
        raise Fail("MCPCAGE is not set (meson sets it to the built binary)")
    if not os.access(p, os.X_OK):
        raise Fail("MCPCAGE=%s is not an executable file" % p)
    return p


def is_sanitized(binary):
    """ASan/UBSan builds need more memory; the RSS bounds take that into account."""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def isolation():
    """--isolation for the runs: MCPCAGE_TEST_ISOLATION, default "none" (inspection only)
    until the confinement layer's own tests take over the confined runs."""
    return os.environ.get("MCPCAGE_TEST_ISOLATION", "none")


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# ---- processes ----------------------------------------------------------------------------

class Proc:
    """A process with pipes on stdin/stdout/stderr and a line-oriented JSON-RPC client."""

    def __init__(self, argv, env, cwd, label):
        self.label = label
        self.argv = argv
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, cwd=cwd, bufsize=0)
        self.pid = self.p.pid
        self.inbuf = b""
        self.pos = 0                  # read position in inbuf (no copy per line)
        self.out_fd = self.p.stdout.fileno()
        self.in_fd = self.p.stdin.fileno()
        os.set_blocking(self.out_fd, False)
        os.set_blocking(self.in_fd, False)
        self.stdout_eof = False
        self.returncode = None
        self.rusage = None
        self.peak_rss_kb = 0
        self.err_head = bytearray()   # first 256 KiB of stderr, for diagnostics
        self.err_count = 0
        self.err_matches = {}         # pattern -> number of lines containing it
        self.err_patterns = []
        self.err_lock = threading.Lock()
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()
        self._rss_stop = threading.Event()
        self._rss_thread = threading.Thread(target=self._sample_rss, daemon=True)
        self._rss_thread.start()

    # stderr passes through mcpcage; keep it bounded here too, count what matters
    def _drain_stderr(self):
        fd = self.p.stderr.fileno()
        tail = b""
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                break
            if not data:
                break
            with self.err_lock:
                self.err_count += len(data)
                if len(self.err_head) < (256 << 10):
                    self.err_head += data[:(256 << 10) - len(self.err_head)]
                if self.err_patterns:
                    lines = (tail + data).split(b"\n")
                    tail = lines.pop()
                    for line in lines:
                        for pat in self.err_patterns:
                            if pat in line:
                                self.err_matches[pat] = self.err_matches.get(pat, 0) + 1

    def count_stderr_lines_with(self, pattern):
        with self.err_lock:
            self.err_patterns.append(pattern)

    def stderr_text(self):
        with self.err_lock:
            return self.err_head.decode(errors="replace")

    def _sample_rss(self):
        path = "/proc/%d/status" % self.pid
        while not self._rss_stop.is_set():
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
                        elif line.startswith("State:") and line.split()[1] == "Z":
                            return
            except (OSError, ValueError, IndexError):
                return
            self._rss_stop.wait(0.02)

    # ---- writing ------------------------------------------------------------------------
    def send(self, data, timeout=30.0):
        """Write raw bytes (as they are: the caller adds "\\n")."""
        view = memoryview(data)
        timeout *= TIME_SCALE
        deadline = time.monotonic() + timeout
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("%s: writing to stdin timed out (%d bytes left): not reading?"
                           % (self.label, len(view)))
            _, w, _ = select.select([], [self.in_fd], [], min(left, 1.0))
            if not w:
                continue
            try:
                n = os.write(self.in_fd, view[:1 << 20])
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise Fail("%s: stdin closed by the other side" % self.label)
            view = view[n:]

    def send_msg(self, obj):
        self.send(dumps(obj) + b"\n")

    def close_stdin(self):
        if not self.p.stdin.closed:
            try:
                self.p.stdin.close()
            except BrokenPipeError:
                pass

    # ---- reading ------------------------------------------------------------------------
    def _fill(self, timeout):
        r, _, _ = select.select([self.out_fd], [], [], max(timeout, 0))
        if not r:
            return False
        try:
            data = os.read(self.out_fd, 1 << 20)
        except BlockingIOError:
            return False
        if not data:
            self.stdout_eof = True
            return False
        self.inbuf = self.inbuf[self.pos:] + data
        self.pos = 0
        return True

    def recv_line(self, timeout=20.0):
        """One line from stdout without its "\\n"; None at EOF; Fail on timeout."""
        timeout *= TIME_SCALE
        deadline = time.monotonic() + timeout
        while True:
            i = self.inbuf.find(b"\n", self.pos)
            if i >= 0:
                line, self.pos = self.inbuf[self.pos:i], i + 1
                return line
            if self.stdout_eof:
                if self.pos < len(self.inbuf):
                    line, self.inbuf, self.pos = self.inbuf[self.pos:], b"", 0
                    return line
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("%s: no line on stdout within %.1fs (stderr: %s)"
                           % (self.label, timeout, short(self.stderr_text()[-2000:], 2000)))
            self._fill(min(left, 0.5))

    def read_until_eof(self, timeout=20.0):
        lines = []
        while True:
            line = self.recv_line(timeout)
            if line is None:
                return lines
            lines.append(line)

    def expect_no_line(self, wait=0.3):
        """Nothing more arrives on stdout within `wait` seconds."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and self.inbuf.find(b"\n", self.pos) < 0 \
                and not self.stdout_eof:
            self._fill(deadline - time.monotonic())
        pending = self.inbuf[self.pos:]
        expect(b"\n" not in pending, "%s: unexpected line on stdout: %s"
               % (self.label, short(pending.split(b"\n")[0])))

    def read_response(self, rid, timeout=20.0, on_request=None):
        """Read until the response whose id equals `rid` (a raw id token) by JSON value, as
        mcpcage compares them (a string by its decoded text, `1` and `"1"` different);
        returns (raw line, parsed, [raw lines seen before it])."""
        want = id_key(rid)
        before = []
        while True:
            line = self.recv_line(timeout)
            if line is None:
                raise Fail("%s: EOF before the response to id %s (stderr: %s)"
                           % (self.label, rid, short(self.stderr_text()[-2000:], 2000)))
            msg = json.loads(line)
            if "method" not in msg and "id" in msg and id_key(dumps(msg["id"])) == want:
                return line, msg, before
            before.append(line)
            if "method" in msg and "id" in msg and on_request is not None:
                reply = on_request(msg)
                if reply is not None:
                    self.send(reply if isinstance(reply, bytes) else dumps(reply) + b"\n")

    def call(self, msg, timeout=20.0, on_request=None):
        """Send one request (dict or raw bytes without "\\n"); returns (parsed response,
        raw response line, raw lines that came before it)."""
        raw = msg if isinstance(msg, bytes) else dumps(msg)
        self.send(raw + b"\n")
        line, parsed, before = self.read_response(raw_id(raw), timeout, on_request)
        return parsed, line, before

    # ---- ending -------------------------------------------------------------------------
    def wait(self, timeout=20.0):
        """Reap with wait4 (for rusage); Fail if it does not exit in time."""
        if self.returncode is not None:
            return self.returncode
        timeout *= TIME_SCALE
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                break
            if time.monotonic() > deadline:
                raise Fail("%s: still running %.1fs after it should have exited"
                           % (self.label, timeout))
            time.sleep(0.01)
        self._rss_stop.set()
        self.rusage = ru
        self.returncode = os.waitstatus_to_exitcode(status)
        self.p.returncode = self.returncode
        self._err_thread.join(timeout=5)
        return self.returncode

    def exit_code(self):
        """The shell's view of the status: 128+N for a signal."""
        rc = self.returncode
        return 128 - rc if rc is not None and rc < 0 else rc

    def kill(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.wait(10)
            except Fail:
                pass


def id_key(token):
    """(type, value) of a raw id token: 1, "1" and 1.0 are three different ids."""
    if token is None:
        return None
    v = json.loads(token)
    return (type(v).__name__, v)


def raw_id(raw):
    """The id token of a JSON-RPC message, byte-exact ("" when there is none)."""
    try:
        msg = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(msg, dict) or "id" not in msg:
        return None
    return find_raw_id(raw)


def find_raw_id(raw):
    """Scan the top-level object for the member "id" and return its raw value bytes."""
    dec = json.JSONDecoder()
    text = raw.decode("utf-8", errors="surrogateescape")
    i = text.index("{") + 1
    while i < len(text):
        while text[i] in " \t\r\n,":
            i += 1
        if text[i] == "}":
            return None
        key, i = dec.raw_decode(text, i)
        while text[i] in " \t\r\n:":
            i += 1
        _, end = dec.raw_decode(text, i)
        if key == "id":
            return text[i:end].encode("utf-8", errors="surrogateescape")
        i = end
    return None


# ---- a case's context -------------------------------------------------------------------

class Ctx:
    def __init__(self, tmp, user):
        self.dir = tmp
        self.user = user
        self.binary = mcpcage_path()
        self.sanitized = is_sanitized(self.binary)
        self.valgrind = VALGRIND
        self.valgrind_dir = os.path.join(tmp, "valgrind")
        if VALGRIND:
            os.makedirs(self.valgrind_dir, exist_ok=True)
        self.procs = []
        self.audit_path = os.path.join(tmp, "audit", "audit.jsonl")
        self.server_log = os.path.join(tmp, "server.log")
        self.notes = []

    def note(self, msg):
        self.notes.append(msg)
        print("  " + msg, flush=True)

    def base_env(self):
        d = self.dir
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": os.path.join(d, "home"),
            "USER": self.user,
            "LANG": "C.UTF-8",
            "TMPDIR": d,
            "XDG_CONFIG_HOME": os.path.join(d, "config"),
            "XDG_STATE_HOME": os.path.join(d, "state"),
            "XDG_CACHE_HOME": os.path.join(d, "cache"),
            "XDG_RUNTIME_DIR": os.path.join(d, "runtime"),
            # ASan: fail loudly on a leak or error; keep the quarantine small so the RSS
            # bounds measure mcpcage, not the sanitizer's free-list.
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=99:quarantine_size_mb=16",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=98",
        }

    def server_cmd(self, *args):
        return [PYTHON, SERVER] + list(args)

    def server_env(self, **extra):
        env = {"MCP_TEST_LOG": self.server_log}
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def mcpcage(self, args=()):
        """The command that runs mcpcage: the binary, under valgrind in a valgrind run."""
        if not VALGRIND:
            return [self.binary]
        isolation_arg = effective_isolation(args)
        # a session (or its --dry-run) without --isolation takes the policy's, confined
        session = "--" in args or "--dry-run" in args
        if isolation_arg in ("auto", "namespaces", "landlock") or \
                (isolation_arg is None and session):
            raise Skip(VALGRIND_NO_SANDBOX % (isolation_arg or "from the policy"))
        # Valgrind lets a program set RLIMIT_NOFILE only to the soft limit valgrind started
        # with (it keeps the fds above for itself), so the sandbox's limits.open_files (1024
        # in the shipped policies) fails with EPERM unless valgrind starts at that soft limit.
        return ["prlimit", "--nofile=1024:"] + VALGRIND_ARGV + [
            "--log-file=" + os.path.join(self.valgrind_dir, "valgrind.%p.log"), self.binary]

    def mcpcage_argv(self, cmd, options=None, audit=True):
        argv = []
        if audit:
            argv += ["--audit-log", self.audit_path]
        if isolation() != "none":
            argv += ["--rw", self.dir]
        argv += ["--isolation", isolation()]
        argv += list(options or [])
        return self.mcpcage(argv) + argv + ["--"] + list(cmd)

    def test_server_args(self, cmd, env):
        """The test server's MCP_TEST_* settings also as `--env` arguments: a confined run
        keeps only the policy's env.pass variables."""
        if list(cmd[:2]) != [PYTHON, SERVER]:
            return list(cmd)
        extra = []
        for k, v in sorted((env or {}).items()):
            if k.startswith("MCP_TEST_"):
                extra += ["--env", "%s=%s" % (k, v)]
        return list(cmd) + extra

    def start(self, cmd, env=None, options=None, audit=True, label="mcpcage"):
        full_env = self.base_env()
        full_env.update(env or {})
        cmd = self.test_server_args(cmd, env)
        p = Proc(self.mcpcage_argv(cmd, options, audit), full_env, self.dir, label)
        self.procs.append(p)
        return p

    def start_direct(self, cmd, env=None, label="direct"):
        full_env = self.base_env()
        full_env.update(env or {})
        p = Proc(self.test_server_args(cmd, env), full_env, self.dir, label)
        self.procs.append(p)
        return p

    def run(self, args, env=None, timeout=30, stdin=b""):
        """mcpcage ARGS to completion (subcommands): (exit code, stdout, stderr)."""
        full_env = self.base_env()
        full_env.update(env or {})
        r = subprocess.run(self.mcpcage(args) + list(args), input=stdin, capture_output=True,
                           env=full_env, cwd=self.dir, timeout=timeout * TIME_SCALE)
        return r.returncode if r.returncode >= 0 else 128 - r.returncode, r.stdout, r.stderr

    def write(self, name, data, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def policy(self, name, obj):
        return self.write(name, json.dumps(obj, indent=2))

    def server_received(self):
        try:
            with open(self.server_log, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def audit(self, path=None):
        """[(raw line, record)] of the audit log."""
        out = []
        with open(path or self.audit_path, "rb") as f:
            for line in f.read().split(b"\n"):
                if line:
                    out.append((line, json.loads(line)))
        return out

    def audit_events(self, event=None, kind=None):
        recs = [r for _, r in self.audit()]
        if event:
            recs = [r for r in recs if r.get("event") == event]
        if kind:
            recs = [r for r in recs if r.get("kind") == kind]
        return recs

    def rss_limit_kb(self, plain_kb):
        """ASan's shadow memory and allocator metadata roughly triple a small process.
        None under valgrind: the RSS is valgrind's own (the translated code, its heap
        bookkeeping, the shadow memory), not mcpcage's, so no bound means anything there."""
        if VALGRIND:
            return None
        return plain_kb * 4 if self.sanitized else plain_kb

    def time_budget(self, plain_s):
        """An upper bound on a duration, stretched by TIME_SCALE under valgrind (which runs
        mcpcage 20-50x slower); as written in every other run."""
        return plain_s * TIME_SCALE

    def check_valgrind_logs(self):
        """Fail when a valgrind log of this case reports an error or a leak. A log without
        its summary (a process killed by SIGKILL never writes one) proves nothing; noted."""
        if not VALGRIND:
            return
        bad = []
        for name in sorted(os.listdir(self.valgrind_dir)):
            path = os.path.join(self.valgrind_dir, name)
            with open(path, errors="replace") as f:
                text = f.read()
            problems = valgrind_problems(text)
            if problems is None:
                self.note("%s: no ERROR SUMMARY (killed?), not checked" % name)
            elif problems:
                bad.append("%s: %s\n%s" % (name, ", ".join(problems), text[-6000:]))
        expect(not bad, "valgrind reports errors or leaks:\n" + "\n".join(bad))

    def finish(self, failed=False):
        """Kill what is left, then prove nothing of ours remains. A case that passed must
        have ended every process it started itself; one that failed is cleaned up."""
        leftovers = [p for p in self.procs if p.returncode is None]
        for p in leftovers:
            p.kill()
        expect(failed or not leftovers, "processes still running at the end of the case: %s"
               % [p.label for p in leftovers])
        stray = wait_no_children(5.0)
        if failed:
            # killing mcpcage above leaves its server to PDEATHSIG: that zombie is ours
            stray = [c for c in stray if c[2] != "Z"]
        expect(not stray, "stray or zombie processes left behind: %s" % stray)


def children_of_self():
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        state, ppid = rest[0], int(rest[1])
        if ppid == me:
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            found.append((int(name), comm, state))
    return found


def wait_no_children(timeout):
    """Orphans come back to us (subreaper). Anything alive is given `timeout` to die
    (PDEATHSIG and SIGKILL are asynchronous), then killed and reported; a zombie that comes
    back to us is a child its parent never reaped, reported at once (and reaped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = children_of_self()
        if not left:
            return []
        alive = [c for c in left if c[2] != "Z"]
        if not alive or time.monotonic() > deadline:
            for pid, _, state in left:
                if state != "Z":
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    os.waitpid(pid, 0 if state != "Z" else os.WNOHANG)
                except ChildProcessError:
                    pass
            return left
        time.sleep(0.05)


# ---- the suite ---------------------------------------------------------------------------

class Suite:
    def __init__(self, name):
        self.name = name
        self.cases = []

    def case(self, title, users=("root", "nobody"), timeout=120):
        def deco(fn):
            self.cases.append((fn.__name__, title, fn, users, timeout))
            return fn
        return deco

    def main(self):
        if len(sys.argv) >= 2 and sys.argv[1] == "--run-case":
            sys.exit(self._inner(sys.argv[2], sys.argv[3], sys.argv[4]))
        only = sys.argv[1:]  # optional: names of cases to run
        plan = [(n, t, f, u, to) for n, t, f, u, to in self.cases if not only or n in only]
        points = [(c, u) for c in plan for u in c[3]]
        print("1..%d" % len(points), flush=True)
        failed = 0
        for i, (c, user) in enumerate(points, 1):
            failed += not self._outer(i, c, user)
        sys.exit(1 if failed else 0)

    def _outer(self, num, case, user):
        name, title, _, _, timeout = case
        desc = "%s [%s]" % (title, user)
        if user == "nobody" and os.geteuid() != 0:
            print("ok %d - %s # SKIP not root: cannot switch to nobody" % (num, desc), flush=True)
            return True
        if "MCPCAGE" not in os.environ:
            print("not ok %d - %s" % (num, desc))
            print("# MCPCAGE is not set (meson test sets it to the built binary)", flush=True)
            return False
        tmp = make_case_dir(user)
        argv = [PYTHON, os.path.abspath(sys.argv[0]), "--run-case", name, tmp, user]
        if user == "nobody":
            argv = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                    "--clear-groups"] + argv
        start = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=tmp, env=dict(os.environ))
        try:
            out, _ = p.communicate(timeout=timeout * TIME_SCALE)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            rc = None
        elapsed = time.monotonic() - start
        lines = out.decode(errors="replace").splitlines()
        if rc == 0:
            print("ok %d - %s" % (num, desc))
        elif rc == SKIP_EXIT:
            reason = lines[-1][len("SKIP: "):] if lines and lines[-1].startswith("SKIP: ") \
                else "skipped"
            print("ok %d - %s # SKIP %s" % (num, desc, reason))
            lines = lines[:-1]
        else:
            print("not ok %d - %s" % (num, desc))
            if rc is None:
                lines.append("timed out after %ds (killed)" % (timeout * TIME_SCALE))
        for line in lines[-80:] if rc not in (0, SKIP_EXIT) else lines[-20:]:
            print("# " + line)
        print("# %s: %.1fs" % (name, elapsed), flush=True)
        strays = processes_under(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        if strays:
            print("# stray processes referring to %s: %s" % (tmp, strays), flush=True)
            return False
        return rc in (0, SKIP_EXIT)

    def _inner(self, name, tmp, user):
        fn = {n: f for n, _, f, _, _ in self.cases}[name]
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        ctx = Ctx(tmp, user)
        rc = 0
        try:
            fn(ctx)
        except Skip as e:
            ctx.finish()
            print("SKIP: %s" % e, flush=True)
            return SKIP_EXIT
        except Fail as e:
            print("FAIL: %s" % e, flush=True)
            rc = 1
        except Exception:  # noqa: BLE001 - any other error fails the case, with its trace
            traceback.print_exc(file=sys.stdout)
            rc = 1
        try:
            ctx.finish(failed=rc != 0)
        except Fail as e:
            print("FAIL: %s" % e, flush=True)
            rc = 1
        try:
            ctx.check_valgrind_logs()
        except Fail as e:
            print("FAIL: %s" % e, flush=True)
            rc = 1
        for p in ctx.procs:
            if rc and p.err_head:
                print("--- stderr of %s (first KiB) ---" % p.label)
                print(p.stderr_text()[:1024])
        sys.stdout.flush()
        return rc


VALGRIND_NO_SANDBOX = (
    "--isolation %s under valgrind: valgrind 3.19 does not implement seccomp(2) (libseccomp "
    "then refuses the filter), landlock or pidfd_open, and refuses setrlimit in the child; "
    "the confined runs are covered by the plain and ASan+UBSan runs")


def effective_isolation(args):
    """The --isolation value mcpcage will act on (the last one before "--"), None without."""
    args = list(args)
    if "--" in args:
        args = args[:args.index("--")]
    value = None
    for i, a in enumerate(args):
        if a == "--isolation" and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith("--isolation="):
            value = a.split("=", 1)[1]
    return value


def valgrind_problems(log):
    """What a valgrind log reports as wrong: [] when clean, None without a summary."""
    problems = []
    summary = None
    for line in log.splitlines():
        body = line.split("== ", 1)[-1].strip()
        if body.startswith("ERROR SUMMARY:"):
            summary = int(body.split()[2])
            if summary:
                problems.append(body)
        for kind in ("definitely lost:", "indirectly lost:", "possibly lost:"):
            if body.startswith(kind) and int(body.split()[2].replace(",", "")) > 0:
                problems.append(body)
    return problems if summary is not None else None


def make_case_dir(user):
    tmp = tempfile.mkdtemp(prefix="mcpcage-it-")
    os.chmod(tmp, 0o700)
    for sub in ("home", "config", "state", "cache", "runtime"):
        os.mkdir(os.path.join(tmp, sub), 0o700)
    if user == "nobody":
        for root, dirs, _ in os.walk(tmp):
            os.chown(root, NOBODY, NOBODY)
            for d in dirs:
                os.chown(os.path.join(root, d), NOBODY, NOBODY)
    return tmp


def processes_under(tmp):
    """Processes whose command line or cwd names the case directory (defence in depth
    for the subreaper check: something that escaped the inner process tree)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read()
            cwd = os.readlink("/proc/%s/cwd" % name)
        except OSError:
            continue
        if tmp.encode() in cmd or cwd.startswith(tmp):
            found.append((int(name), cmd.replace(b"\0", b" ")[:120].decode(errors="replace")))
    return found


def user_name():
    return pwd.getpwuid(os.geteuid()).pw_name
