#!/bin/bash
# A short scripted MCP session through mcpcage, for a first look: installs what is missing
# (contrib/setup.sh), builds build/, then plays the host's side against
# tests/servers/mcp_test_server.py and prints what the host sent and got, the audit records
# the session produced, and `mcpcage audit verify` of them. Each step checks the answer it
# describes, so the demo exits non-zero when mcpcage does not behave as shown (CI runs it
# first on a fresh clone: the README's first command, proven as written).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

contrib/setup.sh </dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

work=$(mktemp -d /tmp/mcpcage-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
audit="$work/audit.jsonl"
# A policy on top of the built-in default: the server's `run` tool is hidden from the model.
cat >"$work/demo-policy.json" <<'JSON'
{
  "version": 1,
  "extends": ["default"],
  "description": "demo: the default policy, and the run tool hidden",
  "mcp": { "tools": { "run": "deny", "*": "allow" } }
}
JSON

echo "== mcpcage --policy demo-policy.json --audit-log audit.jsonl -- python3 tests/servers/mcp_test_server.py"
echo
MCPCAGE="$repo/build/src/mcpcage" POLICY="$work/demo-policy.json" AUDIT="$audit" \
SERVER="$repo/tests/servers/mcp_test_server.py" SERVERDIR="$repo/tests/servers" \
python3 - <<'PY'
import json, os, select, subprocess, sys, textwrap

argv = [os.environ["MCPCAGE"], "--policy", os.environ["POLICY"], "--audit-log",
        os.environ["AUDIT"], "--ro", os.environ["SERVERDIR"], "--",
        "/usr/bin/python3", os.environ["SERVER"]]
p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

def show(prefix, raw):
    text = raw.decode(errors="replace")
    if len(text) > 300:
        text = text[:300] + " ...(%d bytes)" % len(raw)
    print(textwrap.fill(text, 100, initial_indent=prefix, subsequent_indent=" " * len(prefix)))

failures = []

def step(title, line, expect_answer=True, want=None, never=None):
    """Send LINE, print the answers; WANT must be in the last answer, NEVER must not."""
    print("-- " + title)
    show("host sent: ", line)
    p.stdin.write(line + b"\n")
    if not expect_answer:
        print()
        return
    got = b""
    while True:
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r:
            print("host got:  (nothing within 10 s)")
            break
        got = p.stdout.readline()
        if not got:
            print("host got:  EOF")
            break
        show("host got:  ", got.rstrip(b"\n"))
        if b'"method"' not in got.split(b'"result"')[0].split(b'"error"')[0]:
            break
    if want is not None and want not in got:
        failures.append("%s: the answer lacks %s" % (title, want.decode()))
    if never is not None and never in got:
        failures.append("%s: the answer holds %s" % (title, never.decode()))
    print()

step("initialize (legacy handshake)", b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"demo-host","version":"1.0"}}}',
     want=b'"serverInfo"')
step("initialized", b'{"jsonrpc":"2.0","method":"notifications/initialized"}', False)
step("tools/list: the hidden tool `run` is not listed", b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}',
     want=b'"name":"echo"', never=b'"name":"run"')
step("tools/call echo: allowed, forwarded byte for byte", b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello through mcpcage"}}}',
     want=b'"text":"hello through mcpcage"}],"isError":false')
# (a harmless command: the point is that the server never receives the call)
step("tools/call run: hidden by the policy, the server never sees it", b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"run","arguments":{"command":"echo the policy hides this tool"}}}',
     want=b'"Unknown tool: run"')
# Escape attempts: the policy lets these calls through, the sandbox stops the server.
step("tools/call read_file /etc/shadow: the server tries, the sandbox refuses (threats.md §1)", b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc/shadow"}}}',
     want=b'"isError":true', never=b'root:')
step("tools/call write_file /usr/local/bin/evil: the view is read-only", b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"/usr/local/bin/evil","content":"#!/bin/sh"}}}',
     want=b'Read-only file system')
step("a batch: refused, never forwarded", b'[{"jsonrpc":"2.0","id":5,"method":"tools/list"}]',
     want=b'"code":-32600')
step("malformed JSON: refused under the id mcpcage could recover", b'{"jsonrpc":"2.0","id":6,"method":"tools/list"',
     want=b'"id":6,"error":{"code":-32700')
step("duplicate keys: refused (no parser differential with the server)", b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","name":"run","arguments":{"text":"x"}}}',
     want=b'duplicate key')
p.stdin.close()
rest = p.stdout.read()
p.wait()
print("-- host closed stdin: mcpcage exited with status %d" % p.returncode)
if p.returncode != 0:
    failures.append("mcpcage exited with status %d, not the server's 0" % p.returncode)
if failures:
    print("demo: FAILED, mcpcage did not behave as this demo says:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("demo: every step above behaved as its title says")
PY
echo
echo "== the audit records of this session ($audit)"
python3 - "$audit" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    print(json.dumps(json.loads(line), indent=2))
PY
echo
echo "== build/src/mcpcage audit verify audit.jsonl"
build/src/mcpcage audit verify "$audit" && echo "(exit 0: the hash chain is intact)"
