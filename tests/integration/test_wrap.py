#!/usr/bin/env python3
"""mcpcage wrap / unwrap on a Claude Desktop configuration (issue 8): --dry-run prints a diff
and writes nothing; wrap writes a backup and the wrapped file (mode kept, env and unknown
keys kept, remote servers left alone, a second wrap changes nothing); unwrap restores the
file byte for byte; the wrapped entry really runs; errors change nothing. TAP; every case
runs as root and as nobody (see mcpcage_test.py)."""
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, Proc, expect, expect_eq, short, isolation, SERVER  # noqa: E402

suite = Suite("wrap")

# The desktop app replaces PATH; wrap resolves on the caller's. A fixed one keeps the
# expected absolute paths known.
PATH = "/usr/bin:/bin"

CONFIG = {
    "globalShortcut": "Alt+Space",
    "mcpServers": {
        "everything": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-everything"],
            "env": {"DEBUG": "1"},
        },
        "local": {
            "command": "python3",
            "args": [SERVER],
            "cwd": "/",
            "x-unknown": {"kept": [1, 2.5, None]},
        },
        "remote": {"type": "http", "url": "https://mcp.example.com/mcp"},
    },
    "theme": "ünïcode",
}


def canonical(obj):
    """As wrap writes: 2-space indentation, key order kept, a final newline."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode()


def setup(ctx, name="claude_desktop_config.json", mode=0o640):
    path = ctx.write(name, canonical(CONFIG), mode)
    return path, canonical(CONFIG)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def backups(ctx):
    return sorted(n for n in os.listdir(ctx.dir) if ".mcpcage-backup" in n)


def wrap(ctx, *args):
    return ctx.run(list(args), env={"PATH": PATH})


@suite.case("wrap --dry-run prints a diff of the config and writes nothing")
def dry_run(ctx):
    path, original = setup(ctx)
    before = os.stat(path)
    rc, out, err = wrap(ctx, "wrap", "--config", path, "--dry-run")
    text = out.decode()
    expect_eq(rc, 0, "exit status (stderr %s)" % short(err))
    expect("--- %s\n+++ %s (wrapped)\n@@ " % (path, path) in text, "a unified diff header: %s" % short(text, 2000))
    expect('-      "command": "npx",' in text and '+        "/usr/bin/npx",' in text,
           "the diff shows npx replaced by mcpcage and resolved: %s" % short(text, 3000))
    expect("PATH" in text and PATH in text, "the output says which PATH resolved the commands")
    expect("remote, left alone  remote: https://mcp.example.com/mcp" in text, "the remote entry is listed")
    expect("dry run: nothing written" in text, "says nothing was written")
    expect_eq(read(path), original, "the file is unchanged")
    expect_eq(os.stat(path).st_mtime_ns, before.st_mtime_ns, "the file was not rewritten")
    expect_eq(backups(ctx), [], "no backup")


@suite.case("wrap writes a backup and the wrapped file; a second wrap changes nothing")
def wrap_writes(ctx):
    path, original = setup(ctx)
    rc, out, err = wrap(ctx, "wrap", "--config", path)
    expect_eq(rc, 0, "exit status (stderr %s)" % short(err))
    expect_eq(backups(ctx), ["claude_desktop_config.json.mcpcage-backup"], "the backup's name")
    expect_eq(read(path + ".mcpcage-backup"), original, "the backup holds the original bytes")
    expect_eq(stat.S_IMODE(os.stat(path).st_mode), 0o640, "the config keeps its mode")
    expect_eq(stat.S_IMODE(os.stat(path + ".mcpcage-backup").st_mode), 0o640, "the backup has the same mode")
    cfg = json.loads(read(path))
    self_path = os.path.realpath(ctx.binary)
    ev = cfg["mcpServers"]["everything"]
    expect_eq(ev["command"], self_path, "the command is mcpcage's absolute path")
    expect_eq(ev["args"][ev["args"].index("--") + 1:],
              ["/usr/bin/npx", "-y", "@modelcontextprotocol/server-everything"],
              "the original command (resolved) and args follow --")
    expect_eq(ev["env"], {"DEBUG": "1"}, "env kept")
    expect_eq(cfg["mcpServers"]["local"]["x-unknown"], {"kept": [1, 2.5, None]}, "unknown keys kept")
    expect_eq(list(cfg), ["globalShortcut", "mcpServers", "theme"], "top-level keys and their order kept")
    expect_eq(cfg["mcpServers"]["remote"], CONFIG["mcpServers"]["remote"], "the remote entry is untouched")
    expect_eq(list(cfg["mcpServers"]["local"]), ["command", "args", "cwd", "x-unknown"], "entry key order kept")
    once = read(path)
    rc, out, err = wrap(ctx, "wrap", "--config", path)
    expect_eq(rc, 0, "second wrap: exit status (stderr %s)" % short(err))
    expect("nothing to change" in out.decode() and "already wrapped" in out.decode(),
           "the second wrap says nothing changes: %s" % short(out.decode(), 2000))
    expect_eq(read(path), once, "wrap(wrap(x)) == wrap(x)")
    expect_eq(len(backups(ctx)), 1, "no second backup")


@suite.case("unwrap restores the original byte for byte (from the entries, not the backup)")
def unwrap_restores(ctx):
    path, original = setup(ctx)
    rc, _, err = wrap(ctx, "wrap", "--config", path)
    expect_eq(rc, 0, "wrap (stderr %s)" % short(err))
    os.unlink(path + ".mcpcage-backup")
    rc, out, err = wrap(ctx, "unwrap", "--config", path, "--dry-run")
    expect_eq(rc, 0, "unwrap --dry-run (stderr %s)" % short(err))
    expect("(unwrapped)" in out.decode() and b'"command": "npx"' not in read(path), "a dry run only shows it")
    rc, out, err = wrap(ctx, "unwrap", "--config", path)
    expect_eq(rc, 0, "unwrap (stderr %s)" % short(err))
    expect_eq(read(path), original, "unwrap(wrap(x)) == x")
    expect_eq(len(backups(ctx)), 1, "unwrap wrote a backup of the wrapped file too")


@suite.case("the wrapped entry runs: mcpcage parses what wrap wrote, the server answers")
def wrapped_runs(ctx):
    path, _ = setup(ctx)
    rc, _, err = wrap(ctx, "wrap", "--config", path, "--policy", "local=default")
    expect_eq(rc, 0, "wrap (stderr %s)" % short(err))
    entry = json.loads(read(path))["mcpServers"]["local"]
    expect("--original-command" in entry["args"], "the bare python3 is recorded for unwrap")
    options = ["--isolation", isolation(), "--audit-log", ctx.audit_path]
    if isolation() != "none":
        options += ["--rw", ctx.dir]
    env = ctx.base_env()
    env["PATH"] = "/nonexistent"      # as under the desktop app: the command is absolute now
    p = Proc([entry["command"]] + options + entry["args"], env, ctx.dir, "wrapped")
    ctx.procs.append(p)
    resp = p.call({"jsonrpc": "2.0", "id": 1, "method": "ping"})[0]
    expect_eq(resp.get("result"), {}, "ping through the wrapped entry")
    p.close_stdin()
    p.read_until_eof()
    p.wait()
    expect_eq(p.exit_code(), 0, "exit status")
    starts = ctx.audit_events("session_start")
    expect(starts and starts[0].get("server") == "local", "--name is the entry's name in the audit: %s"
           % short(starts))


@suite.case("the default location ($XDG_CONFIG_HOME/Claude/claude_desktop_config.json)")
def default_location(ctx):
    d = os.path.join(ctx.dir, "config", "Claude")
    os.makedirs(d)
    path = os.path.join(d, "claude_desktop_config.json")
    with open(path, "wb") as f:
        f.write(canonical(CONFIG))
    rc, out, err = wrap(ctx, "wrap", "--dry-run")
    expect_eq(rc, 0, "exit status (stderr %s)" % short(err))
    expect(("mcpcage wrap: %s\n" % path) in out.decode(), "reads the default file: %s" % short(out.decode()))
    os.unlink(path)
    rc, _, err = wrap(ctx, "wrap")
    expect_eq(rc, 125, "no config: 125")
    expect(b"give --config FILE" in err, "says what to do: %s" % short(err))


@suite.case("errors change nothing: unknown server or policy in --policy, bad JSON, unknown option")
def errors(ctx):
    path, original = setup(ctx)
    for args, needle in (
            (["--policy", "nosuch=default"], b'no server "nosuch"'),
            (["--policy", "local=no-such-policy"], b'policy "no-such-policy" not found'),
            (["--bogus"], b"unknown option"),
    ):
        rc, _, err = wrap(ctx, "wrap", "--config", path, *args)
        expect_eq(rc, 125, "%s: exit status" % args)
        expect(needle in err, "%s: %s" % (args, short(err)))
        expect_eq(read(path), original, "%s: the file is unchanged" % args)
    bad = ctx.write("bad.json", b'{"mcpServers": {"a": {}, "a": {}}}')
    rc, _, err = wrap(ctx, "wrap", "--config", bad)
    expect_eq(rc, 125, "duplicate keys: exit status")
    expect(b"duplicate" in err, "duplicate keys are refused: %s" % short(err))
    expect_eq(backups(ctx), [], "no backup was written")


if __name__ == "__main__":
    suite.main()
