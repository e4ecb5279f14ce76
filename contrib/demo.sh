#!/bin/bash
# A short scripted MCP session through mcpcage, for a first look: installs what is missing
# (contrib/setup.sh), builds build/, then plays the host's side against
# tests/servers/mcp_test_server.py and prints what the host sent and got, the audit records
# the session produced, and `mcpcage audit verify` of them.
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

def step(title, line, expect_answer=True):
    print("-- " + title)
    show("host sent: ", line)
    p.stdin.write(line + b"\n")
    if not expect_answer:
        print()
        return
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
    print()

step("initialize (legacy handshake)", b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"demo-host","version":"1.0"}}}')
step("initialized", b'{"jsonrpc":"2.0","method":"notifications/initialized"}', False)
step("tools/list: the hidden tool `run` is not listed", b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
step("tools/call echo: allowed, forwarded byte for byte", b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello through mcpcage"}}}')
# (a harmless command: the point is that the server never receives the call)
step("tools/call run: hidden by the policy, the server never sees it", b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"run","arguments":{"command":"echo the policy hides this tool"}}}')
# Escape attempts: the policy lets these calls through, the sandbox stops the server.
step("tools/call read_file /etc/shadow: the server tries, the sandbox refuses (threats.md §1)", b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc/shadow"}}}')
step("tools/call write_file /usr/local/bin/evil: the view is read-only", b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"/usr/local/bin/evil","content":"#!/bin/sh"}}}')
step("a batch: refused, never forwarded", b'[{"jsonrpc":"2.0","id":5,"method":"tools/list"}]')
step("malformed JSON: refused under the id mcpcage could recover", b'{"jsonrpc":"2.0","id":6,"method":"tools/list"')
step("duplicate keys: refused (no parser differential with the server)", b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","name":"run","arguments":{"text":"x"}}}')
p.stdin.close()
rest = p.stdout.read()
p.wait()
print("-- host closed stdin: mcpcage exited with status %d" % p.returncode)
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
