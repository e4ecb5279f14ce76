#!/usr/bin/env python3
"""The system ceiling (issue 8): /etc/mcpcage/ceiling.json as a security team ships it. The
shipped example (contrib/ceiling/ceiling.example.json) is the ceiling of every case, so the
documentation's worked example is proven: it loads, the shipped policies load under it, a
narrowing policy loads and `policy check` prints the intersection, and a user policy or a
command-line addition that widens it (paths, network, scopes, tools, seccomp, isolation) is
refused with exit 125 and the exact message naming the ceiling file and the JSON pointer,
while numeric limits are clamped. A real session shows the ceiling enforced, not only
printed. TAP; every case runs as root and as nobody (see mcpcage_test.py).

mcpcage reads the ceiling only from /etc/mcpcage/ceiling.json (no variable or option moves
it), and the host's /etc must not be touched: other test files run in parallel, and
/etc/mcpcage need not even exist. Each mcpcage therefore runs in a private mount namespace
where /etc is a read-only overlay of a per-case layer holding mcpcage/ceiling.json on top of
the real /etc: nothing of /etc is hidden (passwd, ld.so.cache, resolv.conf stay), nothing is
created on the host, and the mount dies with the process. As root that is `unshare --mount`;
as nobody `unshare --user --map-root-user --mount`, where nobody's files appear owned by
root, so a ceiling nobody wrote passes the ownership check inside. mcpcage runs as uid 0 in
both, so ${HOME} and ${USER} (from the password database) are root's in every case."""
import copy
import json
import os
import pwd
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import (Suite, Proc, Skip, Fail, expect, expect_eq, short,  # noqa: E402
                          PYTHON, SERVER, TIME_SCALE)

suite = Suite("ceiling")

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(SRC, "contrib", "ceiling", "ceiling.example.json")
POLICIES = os.path.join(SRC, "policies")
CEILING = "/etc/mcpcage/ceiling.json"
HOME = pwd.getpwuid(0).pw_dir
USER = pwd.getpwuid(0).pw_name
EXIT_POLICY = 125

OVERLAY = 'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc || exit 124; shift; exec "$@"'


def example():
    with open(EXAMPLE) as f:
        return json.load(f)


def namespace(layer):
    """The argv prefix that runs a command with LAYER laid over /etc, privately."""
    if any(c in layer for c in ":,\\"):
        raise Fail("%s: overlay lowerdir cannot hold ':' ',' or '\\'" % layer)
    ns = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        ns = ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]
    return ns + ["sh", "-c", OVERLAY, "sh", layer]


class Ceilings:
    """Per case: write ceilings into fresh overlay layers and run mcpcage under them."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.n = 0

    def layer(self, ceiling, mode=0o644):
        """A layer whose mcpcage/ceiling.json is CEILING (a dict, or bytes as they are)."""
        self.n += 1
        layer = os.path.join(self.ctx.dir, "layer%d" % self.n)
        os.makedirs(os.path.join(layer, "mcpcage"), 0o755)
        os.chmod(layer, 0o755)
        path = os.path.join(layer, "mcpcage", "ceiling.json")
        data = ceiling if isinstance(ceiling, bytes) else json.dumps(ceiling, indent=2).encode()
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return layer

    def probe(self, layer):
        """The overlay works here (as nobody: user namespaces allowed), else skip or fail."""
        r = subprocess.run(namespace(layer) + ["test", "-f", CEILING], capture_output=True,
                           timeout=30)
        if r.returncode == 0:
            return
        why = "cannot lay a private /etc/mcpcage over /etc (rc %d): %s" % (
            r.returncode, r.stderr.decode(errors="replace").strip())
        if os.geteuid() != 0:
            raise Skip(why)
        raise Fail(why)

    def run(self, layer, args, timeout=30, unset=()):
        ctx = self.ctx
        argv = namespace(layer) + ctx.mcpcage(args) + list(args)
        env = {k: v for k, v in ctx.base_env().items() if k not in unset}
        r = subprocess.run(argv, capture_output=True, env=env, cwd=ctx.dir,
                           timeout=timeout * TIME_SCALE)
        rc = r.returncode if r.returncode >= 0 else 128 - r.returncode
        expect(rc != 124, "the overlay mount failed: %s" % short(r.stderr))
        return rc, r.stdout, r.stderr.decode(errors="replace")

    def start(self, layer, args, env=None):
        ctx = self.ctx
        full_env = ctx.base_env()
        full_env.update(env or {})
        p = Proc(namespace(layer) + ctx.mcpcage(args) + list(args), full_env, ctx.dir,
                 "mcpcage (ceiling)")
        ctx.procs.append(p)
        return p


def setup(ctx, ceiling=None):
    c = Ceilings(ctx)
    layer = c.layer(example() if ceiling is None else ceiling)
    c.probe(layer)
    return c, layer


def check(c, layer, ctx, name, policy):
    """`policy check` of POLICY written to NAME.json: (rc, effective tree or None, stderr)."""
    path = ctx.policy(name + ".json", policy)
    rc, out, err = c.run(layer, ["policy", "check", path])
    return rc, (json.loads(out) if rc == 0 else None), err, path


def refused(c, layer, ctx, name, policy, want, cli=()):
    """POLICY (with CLI additions on a session command line) is refused with exactly
    `mcpcage: /etc/mcpcage/ceiling.json: WANT`, exit 125, nothing on stdout."""
    path = ctx.policy(name + ".json", policy)
    if cli:
        args = ["--policy", path] + list(cli) + ["--", PYTHON, SERVER]
    else:
        args = ["policy", "check", path]
    rc, out, err = c.run(layer, args)
    what = "%s%s" % (name, (" " + " ".join(cli)) if cli else "")
    expect_eq(rc, EXIT_POLICY, "%s: exit status (stderr %s)" % (what, short(err)))
    expect_eq(err, "mcpcage: %s: %s\n" % (CEILING, want), "%s: the message" % what)
    expect_eq(out, b"", "%s: stdout" % what)
    expect(not os.path.exists(ctx.server_log), "%s: the server was started" % what)


def accepted(c, layer, ctx, name, policy):
    rc, eff, err, path = check(c, layer, ctx, name, policy)
    expect_eq(rc, 0, "%s: exit status of policy check (stderr %s)" % (name, short(err)))
    expect(err.startswith("mcpcage: policy %s (%s) is valid, sha256 " % (name, path)),
           "%s: policy check's summary: %s" % (name, short(err)))
    return eff


MINIMAL = {"version": 1}


def with_(base, **sections):
    """BASE with each top-level section replaced (deep copies: cases never share state)."""
    p = copy.deepcopy(base)
    for k, v in sections.items():
        p[k] = copy.deepcopy(v)
    return p


# ---- the worked example itself --------------------------------------------------------------

@suite.case("the shipped example ceiling loads, and the shipped policies load under it")
def example_loads(ctx):
    c, layer = setup(ctx)
    eff = accepted(c, layer, ctx, "minimal", MINIMAL)
    # what a policy that says nothing gets from the security team
    expect_eq(eff["filesystem"]["root"], "empty", "root")
    expect_eq(eff["filesystem"]["mask"], [HOME + "/projects/.secrets"], "masks")
    expect_eq(eff["audit"]["file"], "/var/log/mcpcage/%s/audit.jsonl" % USER, "audit.file")
    expect_eq(eff["audit"]["key"], HOME + "/.config/mcpcage/audit.key", "audit.key")
    expect_eq(eff["audit"]["syslog"], True, "audit.syslog")
    expect_eq(eff["mcp"]["kill_switch"], "/run/mcpcage/kill", "mcp.kill_switch")
    expect_eq(eff["mcp"]["pin"]["on_change"], "block", "pin.on_change narrowed from a default")
    expect_eq(eff["mcp"]["redact"]["arguments"], ["secrets"], "redact.arguments")
    for name in ("base", "base-node", "base-python", "filesystem", "github", "memory",
                 "postgres", "everything", "sequential-thinking"):
        path = os.path.join(POLICIES, name + ".json")
        # memory keeps its graph under ${XDG_STATE_HOME}: the ceiling grants the default
        # location (${HOME}/.local/state/...), which the case's own XDG_STATE_HOME is not
        rc, out, err = c.run(layer, ["policy", "check", path], unset=("XDG_STATE_HOME",))
        expect_eq(rc, 0, "shipped policy %s under the example ceiling (stderr %s)"
                  % (name, short(err)))
    # documented in contrib/ceiling/README.md: host-root policies are refused under it
    rc, out, err = c.run(layer, ["policy", "check", os.path.join(POLICIES, "npx.json")])
    expect_eq((rc, err), (EXIT_POLICY, "mcpcage: %s: /filesystem/root: \"host\" goes beyond "
                          "the ceiling's \"empty\"\n" % CEILING), "npx under the ceiling")


@suite.case("a narrowing policy loads; policy check prints the intersection")
def narrowing(ctx):
    c, layer = setup(ctx)
    policy = {
        "version": 1,
        "description": "one project, read-only, GitHub and one database subnet",
        "isolation": "namespaces",
        "filesystem": {"root": "empty", "read_only": ["/usr", "?/lib", "?/lib64", "?/bin"],
                       "read_write": ["?${HOME}/projects/app/out"]},
        "network": {"mode": "filtered",
                    "allow": ["api.github.com:443", "git.corp.example.com:443",
                              "10.20.1.0/24:5432"]},
        "limits": {"memory": "512M", "pids": 64},
        "seccomp": {"profile": "strict", "deny": ["ptrace"]},
        "mcp": {"scopes": ["files:read"], "implies": {"files:write": ["files:read"]},
                "tools": {"read_file": {"scopes": ["files:read"], "paths": {"/path": "read"}},
                          "*": "deny"},
                "paths": {"read": ["${HOME}/projects/app"],
                          "write": ["${HOME}/projects/app/out"], "deny": ["**/node_modules"]},
                "injection": {"action": "block"}},
        "audit": {"file": "${XDG_STATE_HOME}/mine.jsonl"},
    }
    eff = accepted(c, layer, ctx, "narrow", policy)
    ceil = example()
    expect_eq(eff["isolation"], "namespaces", "isolation (stronger than the ceiling's)")
    expect_eq(eff["filesystem"]["read_write"], ["?%s/projects/app/out" % HOME], "read_write")
    expect_eq(eff["network"], {"mode": "filtered", "allow": policy["network"]["allow"],
                               "forward": {}}, "network")
    expect_eq((eff["limits"]["memory"], eff["limits"]["pids"], eff["limits"]["file_size"]),
              ("512M", 64, "1G"), "limits: the smaller of each")
    expect_eq(eff["seccomp"]["profile"], "strict", "seccomp.profile")
    expect_eq(eff["seccomp"]["action"], "kill", "seccomp.action (strict's default)")
    expect_eq(sorted(eff["seccomp"]["deny"]), sorted(["ptrace"] + ceil["seccomp"]["deny"]),
              "seccomp.deny: the user's and the ceiling's")
    expect_eq(eff["mcp"]["scopes"], ["files:read"], "scopes")
    tools = eff["mcp"]["tools"]
    expect_eq(tools["*"], "deny", "the user's own default")
    for name, rule in ceil["mcp"]["tools"].items():
        if rule == "deny":
            expect_eq(tools.get(name), "deny", "the ceiling's rule for %s copied" % name)
    expect_eq(sorted(eff["mcp"]["paths"]["deny"]),
              sorted(["**/node_modules"] + ceil["mcp"]["paths"]["deny"]), "mcp.paths.deny")
    expect_eq(eff["mcp"]["injection"]["action"], "block", "injection (stronger)")
    expect_eq(eff["mcp"]["limits"]["calls"], "600/min", "mcp.limits.calls")
    expect_eq(eff["audit"]["file"], "/var/log/mcpcage/%s/audit.jsonl" % USER,
              "audit.file: the ceiling's wins over the user's")


# ---- widening, dimension by dimension --------------------------------------------------------

@suite.case("paths: filesystem and mcp.paths beyond the ceiling, also by --ro/--rw")
def widen_paths(ctx):
    c, layer = setup(ctx)
    within = "any of the ceiling's filesystem.read_write paths"
    cases = [
        ("rw-outside", {"filesystem": {"read_write": ["/srv/data"]}},
         '/filesystem/read_write/0: "/srv/data" is not within ' + within),
        ("rw-home", {"filesystem": {"read_write": ["${HOME}/projects", "${HOME}"]}},
         '/filesystem/read_write/1: "%s" is not within %s' % (HOME, within)),
        ("ro-outside", {"filesystem": {"read_only": ["/usr", "/home"]}},
         '/filesystem/read_only/1: "/home" is not within any of the ceiling\'s '
         'filesystem.read_only or read_write paths'),
        ("ro-etc", {"filesystem": {"read_only": ["/etc"]}},
         '/filesystem/read_only/0: "/etc" is not within any of the ceiling\'s '
         'filesystem.read_only or read_write paths'),
        ("under-mask", {"filesystem": {"read_write": ["${HOME}/projects/.secrets/keys"]}},
         '/filesystem/read_write/0: "%s/projects/.secrets/keys" lies under the ceiling\'s mask '
         '"%s/projects/.secrets"' % (HOME, HOME)),
        ("root-host", {"filesystem": {"root": "host"}},
         '/filesystem/root: "host" goes beyond the ceiling\'s "empty"'),
        ("mcp-read", {"mcp": {"paths": {"read": ["${HOME}/projects", "/etc"]}}},
         '/mcp/paths/read/1: "/etc" is not within any of the ceiling\'s mcp.paths.read or '
         'write roots'),
        ("mcp-write", {"mcp": {"paths": {"write": ["/tmp"]}}},
         '/mcp/paths/write/0: "/tmp" is not within any of the ceiling\'s mcp.paths.write roots'),
    ]
    for name, sections, want in cases:
        refused(c, layer, ctx, name, with_(MINIMAL, **sections), want)
    own = with_(MINIMAL, filesystem={"read_only": ["/usr"]})
    refused(c, layer, ctx, "cli-rw", own,
            '/filesystem/read_write/0: "/srv/data" is not within ' + within,
            cli=["--rw", "/srv/data"])
    refused(c, layer, ctx, "cli-ro", own,
            '/filesystem/read_only/1: "/home" is not within any of the ceiling\'s '
            'filesystem.read_only or read_write paths', cli=["--ro", "/home"])
    # inside the ceiling the same lists load
    accepted(c, layer, ctx, "paths-inside", with_(
        MINIMAL, filesystem={"read_write": ["?${HOME}/projects/a"], "read_only": ["/usr"]},
        mcp={"paths": {"read": ["${HOME}/projects"], "write": ["${HOME}/projects/a"]}}))


@suite.case("network: mode host and allow entries wider than the ceiling's")
def widen_network(ctx):
    c, layer = setup(ctx)
    refused(c, layer, ctx, "host", with_(MINIMAL, network={"mode": "host"}),
            '/network/mode: "host" goes beyond the ceiling\'s "filtered"')
    for i, entry in enumerate(["evil.example.net:443", "api.github.com:*", "*.example.com:443",
                               "10.0.0.0/8:5432", "10.20.0.1:22"]):
        refused(c, layer, ctx, "allow%d" % i,
                with_(MINIMAL, network={"mode": "filtered", "allow": ["api.github.com:443",
                                                                     entry]}),
                '/network/allow/1: "%s" is not within the ceiling\'s network.allow' % entry)
    eff = accepted(c, layer, ctx, "allow-inside", with_(MINIMAL, network={
        "mode": "filtered", "allow": ["build.corp.example.com:443", "10.20.3.4:5432"]}))
    expect_eq(eff["network"]["allow"], ["build.corp.example.com:443", "10.20.3.4:5432"],
              "allow inside the ceiling kept as written")
    eff = accepted(c, layer, ctx, "loopback", with_(MINIMAL, network={"mode": "loopback"}))
    expect_eq(eff["network"]["mode"], "loopback", "a stricter mode")


@suite.case("scopes: a scope, an implied scope and --grant beyond the ceiling")
def widen_scopes(ctx):
    c, layer = setup(ctx)
    refused(c, layer, ctx, "admin", with_(MINIMAL, mcp={"scopes": ["files:read", "admin"]}),
            '/mcp/scopes/1: scope "admin" is not granted by the ceiling')
    refused(c, layer, ctx, "implied",
            with_(MINIMAL, mcp={"scopes": ["memory:write"],
                                "implies": {"memory:write": ["memory:delete"]}}),
            '/mcp/scopes/0: scope "memory:delete" (implied by "memory:write") is not granted '
            'by the ceiling')
    own = with_(MINIMAL, mcp={"scopes": ["files:read"]})
    refused(c, layer, ctx, "grant", own,
            '/mcp/scopes/1: scope "github:write" is not granted by the ceiling',
            cli=["--grant", "github:write"])
    eff = accepted(c, layer, ctx, "scopes-inside", with_(MINIMAL, mcp={
        "scopes": ["files:write", "memory:read"], "implies": {"files:write": ["files:read"]}}))
    expect_eq(eff["mcp"]["scopes"], ["files:write", "memory:read"], "scopes inside")


@suite.case("tools: a tool the ceiling denies, set to allow (exact, object rule, glob)")
def widen_tools(ctx):
    c, layer = setup(ctx)
    for name, rule in [("shell_exec", "allow"), ("run", {"rate": "1/s"}), ("shell_*", "allow"),
                       ("git_command", "allow"), ("exec", "allow")]:
        safe = name.replace("*", "star")
        refused(c, layer, ctx, "tool-" + safe, with_(MINIMAL, mcp={"tools": {name: rule}}),
                '/mcp/tools/%s: tool "%s" is denied by the ceiling' % (name, name))
    eff = accepted(c, layer, ctx, "star", with_(MINIMAL, mcp={"tools": {"*": "allow",
                                                                       "shell_exec": "deny"}}))
    expect_eq((eff["mcp"]["tools"]["*"], eff["mcp"]["tools"]["shell_*"],
               eff["mcp"]["tools"]["*_command"]), ("allow", "deny", "deny"),
              "a user's \"*\": \"allow\" keeps the ceiling's denials")


@suite.case("seccomp: profile none, action log, re-allowing a denied syscall")
def widen_seccomp(ctx):
    c, layer = setup(ctx)
    refused(c, layer, ctx, "none", with_(MINIMAL, seccomp={"profile": "none"}),
            '/seccomp/profile: "none" goes beyond the ceiling\'s "default"')
    refused(c, layer, ctx, "log", with_(MINIMAL, seccomp={"action": "log"}),
            '/seccomp/action: "log" goes beyond the ceiling\'s "errno"')
    refused(c, layer, ctx, "allow", with_(MINIMAL, seccomp={"allow": ["memfd_create"]}),
            '/seccomp/allow/0: "memfd_create" is not within the ceiling\'s seccomp.allow')
    refused(c, layer, ctx, "allow-default", with_(MINIMAL, seccomp={"allow": ["ptrace"]}),
            '/seccomp/allow/0: "ptrace" is not within the ceiling\'s seccomp.allow')
    eff = accepted(c, layer, ctx, "kill", with_(MINIMAL, seccomp={"action": "kill"}))
    expect_eq((eff["seccomp"]["profile"], eff["seccomp"]["action"]), ("default", "kill"),
              "a stricter action")
    expect_eq(eff["seccomp"]["deny"], example()["seccomp"]["deny"], "the ceiling's extra denials")


@suite.case("limits above the ceiling are clamped, visibly in policy check, not refused")
def clamp_limits(ctx):
    c, layer = setup(ctx)
    eff = accepted(c, layer, ctx, "big", with_(MINIMAL, limits={
        "memory": "8G", "pids": 4096, "open_files": 65536, "file_size": None, "cpu": 2},
        mcp={"limits": {"message_bytes": "64M", "calls": "6000/min"}}))
    lim = eff["limits"]
    expect_eq((lim["memory"], lim["pids"], lim["open_files"], lim["file_size"], lim["cpu"]),
              ("2G", 256, 1024, "1G", 2), "limits clamped (cpu: the ceiling sets none)")
    expect_eq((eff["mcp"]["limits"]["message_bytes"], eff["mcp"]["limits"]["calls"]),
              ("16M", "600/min"), "mcp.limits clamped")
    eff = accepted(c, layer, ctx, "small", with_(MINIMAL, limits={"memory": "256M", "pids": 16}))
    expect_eq((eff["limits"]["memory"], eff["limits"]["pids"]), ("256M", 16), "smaller kept")


@suite.case("isolation none and --no-sandbox are refused under the example ceiling")
def widen_isolation(ctx):
    c, layer = setup(ctx)
    want = '/isolation: "none" goes beyond the ceiling\'s "auto"'
    refused(c, layer, ctx, "file", with_(MINIMAL, isolation="none"), want)
    refused(c, layer, ctx, "cli", MINIMAL, want, cli=["--isolation", "none"])
    refused(c, layer, ctx, "nosandbox", MINIMAL, want, cli=["--no-sandbox"])
    refused(c, layer, ctx, "landlock", MINIMAL,
            '/isolation: "landlock" goes beyond the ceiling\'s "auto"',
            cli=["--isolation", "landlock"])


@suite.case("a ceiling that is itself wrong stops mcpcage; without one the wide policy loads")
def bad_ceiling(ctx):
    c = Ceilings(ctx)
    wide = with_(MINIMAL, network={"mode": "host"}, filesystem={"read_write": ["/srv"]})
    path = ctx.policy("wide.json", wide)
    layer = c.layer(example(), mode=0o664)
    c.probe(layer)
    rc, out, err = c.run(layer, ["policy", "check", path])
    expect_eq((rc, err), (EXIT_POLICY, "mcpcage: %s: the ceiling must not be writable by group "
                          "or others\n" % CEILING), "a group-writable ceiling")
    steer = example()
    steer["filesystem"]["read_write"] = ["${XDG_CONFIG_HOME}/projects"]
    rc, out, err = c.run(c.layer(steer), ["policy", "check", path])
    expect_eq((rc, err), (EXIT_POLICY, "mcpcage: %s: /filesystem/read_write/0: variable "
                          "${XDG_CONFIG_HOME} comes from the user's environment and is not "
                          "allowed in the ceiling\n" % CEILING), "a ceiling using a user's variable")
    rc, out, err = c.run(c.layer(with_(example(), extends=["base"])), ["policy", "check", path])
    expect_eq((rc, err), (EXIT_POLICY, "mcpcage: %s: /extends: not allowed in the ceiling\n"
                          % CEILING), "a ceiling with extends")
    rc, out, err = c.run(c.layer(b'{"version": 1, "network": {"mode": "filtred"}}'),
                         ["policy", "check", path])
    expect(rc == EXIT_POLICY and err.startswith("mcpcage: %s: /network/mode: " % CEILING),
           "an invalid ceiling: rc %s, %s" % (rc, short(err)))
    # not owned by root: as root a file handed to nobody; as nobody a root-owned file, which
    # the user namespace shows as owned by the overflow uid
    owned = c.layer(example())
    target = os.path.join(owned, "mcpcage", "ceiling.json")
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)
    else:
        os.unlink(target)
        os.symlink(EXAMPLE, target)
    if os.stat(target).st_uid != os.geteuid():
        rc, out, err = c.run(owned, ["policy", "check", path])
        expect_eq((rc, err), (EXIT_POLICY, "mcpcage: %s: the ceiling must be owned by root\n"
                              % CEILING), "a ceiling not owned by root")
    # the control: the same policy without a ceiling loads (the refusals above are the
    # ceiling's), unless this host has a real ceiling of its own
    if os.path.exists(CEILING):
        ctx.note("%s exists on this host: the no-ceiling control is not run" % CEILING)
        return
    rc, out, err = ctx.run(["policy", "check", path])
    expect_eq(rc, 0, "no ceiling: the wide policy loads (stderr %s)" % short(err))
    expect_eq(json.loads(out)["network"]["mode"], "host", "no ceiling: network host kept")


# ---- enforced, not only printed ---------------------------------------------------------------

@suite.case("a session under the ceiling: denied tools hidden and refused, --grant inside "
            "accepted, the audit goes to the ceiling's file under its key")
def session(ctx):
    # The example without isolation (so --isolation none may run the server unconfined:
    # the loader is under test here, the sandbox has its own tests) and with its audit file
    # and key moved into the case directory (never /var/log on the test host).
    ceil = example()
    del ceil["isolation"]
    ceiling_log = os.path.join(ctx.dir, "central", "audit.jsonl")
    key = ctx.write("audit.key", "00112233445566778899aabbccddeeff\n", 0o600)
    ceil["audit"]["file"] = ceiling_log
    ceil["audit"]["key"] = key
    ceil["audit"]["syslog"] = False
    c, layer = setup(ctx, ceil)
    policy = ctx.policy("session.json", {"version": 1, "mcp": {
        "scopes": [], "implies": {"files:write": ["files:read"]}, "tools": {"*": "allow"}}})
    env = ctx.server_env()
    args = (["--policy", policy, "--isolation", "none", "--audit-log", ctx.audit_path,
             "--grant", "files:write", "--"] + ctx.test_server_args(ctx.server_cmd(), env))
    p = c.start(layer, args, env)
    resp, _, _ = p.call({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test_ceiling", "version": "1"}}})
    expect("result" in resp, "initialize: %s" % short(resp))
    p.send_msg({"jsonrpc": "2.0", "method": "notifications/initialized"})
    resp, _, _ = p.call({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    names = [t["name"] for t in resp["result"]["tools"]]
    expect("echo" in names and "run" not in names,
           "tools/list: run hidden by the ceiling, echo shown: %s" % names)
    resp, _, _ = p.call({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "run", "arguments": {"command": "ls"}}})
    expect("error" in resp or resp.get("result", {}).get("isError"),
           "tools/call run refused: %s" % short(resp))
    resp, _, _ = p.call({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
        "name": "echo", "arguments": {"text": "hi"}}})
    expect_eq(resp.get("result", {}).get("content", [{}])[0].get("text"), "hi", "echo")
    p.close_stdin()
    expect_eq(p.wait(), 0, "mcpcage's exit status (stderr %s)" % short(p.stderr_text()))
    expect(b'"name":"run"' not in ctx.server_received() and
           b'"name": "run"' not in ctx.server_received(),
           "the refused call reached the server")
    expect(not os.path.exists(ctx.audit_path), "--audit-log was used over the ceiling's file")
    events = [r.get("event") for _, r in ctx.audit(ceiling_log)]
    expect(events and events[0] == "session_start" and events[-1] == "session_end",
           "the ceiling's audit file holds the session: %s" % events)
    rc, out, err = ctx.run(["audit", "verify", "--strict", "--key", key, ceiling_log])
    expect_eq(rc, 0, "audit verify under the ceiling's key: %s %s" % (short(out), short(err)))
    rc, out, err = ctx.run(["audit", "verify", "--strict", ceiling_log])
    expect(rc != 0, "the chain is keyed: verify without the key must fail (%s)" % short(out))


if __name__ == "__main__":
    suite.main()
