#!/usr/bin/env python3
"""threats.md §4 "A broken or hostile stream (robustness)": every row, run through mcpcage
around tests/servers/mcp_test_server.py. The server logs every line it receives, so "never
forwarded" is proven by the server's own log, not assumed. TAP; every case runs as root and
as nobody (see mcpcage_test.py).

Memory bounds. Peak RSS (VmHWM, sampled every 20 ms) of mcpcage alone is held to 32 MiB in
the streaming cases (measured: about 6 MiB). mcpcage's steady state is a few MiB (libc,
jansson, libcrypto, PCRE2 mapped, 256 KiB framer buffers); its output queues are bounded
(design.md: when a queue is full it stops reading the other side), so a flood may add the
queue bound and no more. 32 MiB leaves room for that and for allocator slack while failing
clearly if a queue or a line buffer grows with the input (the floods here are 60 MiB to
256 MiB). The 16 MiB oversize case may legitimately hold big lines, so its bound is
3 x message_bytes + 16 MiB = 64 MiB (measured: about 54 MiB): each direction's framer may
hold one line of up to message_bytes (relay/framer.h: "memory stays bounded at about
max_line"), the inspector may hold one parsed copy of a message it checks, and 16 MiB is
the steady state plus slack. ASan builds get 4x (shadow memory, allocator metadata, quarantine).
"""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, Fail, expect, expect_eq, short, dumps  # noqa: E402

suite = Suite("robustness")
MIB = 1024
STREAM_RSS_KB = 32 * MIB
OVERSIZE_RSS_KB = 3 * 16 * MIB + 16 * MIB
MILLION = 10 ** 6
FLOOD_LINE_LEN = 74  # tests/servers/mcp_test_server.py FLOOD_LINE


def init(p, rid=1):
    resp, _, _ = p.call({"jsonrpc": "2.0", "id": rid, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "it", "version": "1"}}})
    expect("result" in resp, "initialize answered: %s" % short(resp))
    p.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    # the server handles lines in order: once the ping is answered, the notification above
    # is in its log (cases count the log's lines after this point)
    p.call({"jsonrpc": "2.0", "id": "sync", "method": "ping"})


def tool(rid, name, **args):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": name, "arguments": args}}


def echo_ok(p, rid, text="still alive"):
    resp, _, before = p.call(tool(rid, "echo", text=text))
    expect_eq(resp.get("result", {}).get("content"), [{"type": "text", "text": text}],
              "echo %s after the bad input" % rid)
    return before


def end(p, want=0):
    p.close_stdin()
    rest = p.read_until_eof()
    p.wait()
    expect_eq(p.exit_code(), want, "mcpcage exit status (stderr: %s)"
              % short(p.stderr_text()[-1500:], 1500))
    return rest


def expect_error(resp, codes, rid, what):
    err = resp.get("error")
    expect("id" in resp, "%s: an error response carries an id (null when unknown): %s"
           % (what, short(resp)))
    expect(isinstance(err, dict), "%s: an error response, got %s" % (what, short(resp)))
    expect(err.get("code") in codes, "%s: error code %s not in %s" % (what, err.get("code"), codes))
    expect_eq(resp.get("id"), rid, "%s: the id of the error response" % what)


def rss_bound(ctx, p, bound_kb, what):
    limit = ctx.rss_limit_kb(bound_kb)
    if limit is None:
        ctx.note("%s: peak RSS %d KiB, bound not checked: not meaningful under valgrind"
                 % (what, p.peak_rss_kb))
        return
    ctx.note("%s: mcpcage peak RSS %d KiB (bound %d KiB)" % (what, p.peak_rss_kb, limit))
    expect(p.peak_rss_kb > 0, "%s: peak RSS was sampled" % what)
    expect(p.peak_rss_kb < limit, "%s: mcpcage peak RSS %d KiB is over %d KiB"
           % (what, p.peak_rss_kb, limit))


def received_lines(ctx):
    return [l for l in ctx.server_received().split(b"\n") if l]


def policy_with(ctx, name, mcp):
    return ctx.policy(name, {"version": 1, "extends": ["default"], "mcp": mcp})


# ---- a line over message_bytes ------------------------------------------------------------

@suite.case('threats.md §4 "a line over message_bytes" (default 16M): from the host -32600 '
            'under its id, never forwarded; from the server dropped and audited')
def oversize_default(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    pad = b"A" * (16 * 1024 * 1024 + 10)
    big = b'{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"echo",' \
          b'"arguments":{"text":"' + pad + b'"}}}'
    resp, _, _ = p.call(big, timeout=60)
    expect_error(resp, (-32600,), 77, "16 MiB + 10 request")
    echo_ok(p, 2)
    expect(all(len(l) < 1 << 20 for l in received_lines(ctx)),
           "the server never saw the oversized line")
    # exactly at the limit still passes: 16M of line, without the newline
    # (add ignores the padding, so the answer is small)
    fixed = b'{"jsonrpc":"2.0","id":78,"method":"tools/call","params":{"name":"add",' \
            b'"arguments":{"a":1,"b":2,"pad":"' + b'"}}}'
    exact = fixed[:-4] + b"B" * (16 * 1024 * 1024 - len(fixed)) + fixed[-4:]
    expect_eq(len(exact), 16 * 1024 * 1024, "test construction")
    resp, _, _ = p.call(exact, timeout=60)
    expect("result" in resp, "a line of exactly message_bytes passes: %s" % short(resp))
    # from the server: a 17 MiB notification, then the real answer
    resp, _, before = p.call(tool(3, "misbehave", what="oversized_line", bytes=17 << 20),
                             timeout=60)
    expect("result" in resp, "the real answer after the oversized line: %s" % short(resp))
    expect(all(len(b) < 1 << 20 for b in before), "the oversized server line reached the host")
    echo_ok(p, 4)
    end(p)
    rss_bound(ctx, p, OVERSIZE_RSS_KB, "16 MiB lines")
    kinds = [r.get("kind") for r in ctx.audit_events("security")]
    expect("oversize_message" in kinds, "oversize_message audited: %s" % kinds)


@suite.case('threats.md §4 "a line over message_bytes" with mcp.limits.message_bytes 4096 '
            'from a policy file')
def oversize_small_limit(ctx):
    pol = policy_with(ctx, "small.json", {"limits": {"message_bytes": "4096"}})
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env(), options=["--policy", pol])
    init(p)
    head = b'{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"echo",' \
           b'"arguments":{"text":"'
    resp, _, _ = p.call(head + b"x" * 5000 + b'"}}}')
    expect_error(resp, (-32600,), "big-1", "5000-byte request over a 4096 limit")
    resp, _, _ = p.call(head.replace(b"big-1", b"small-1") + b"y" * 3000 + b'"}}}')
    expect("result" in resp, "a 3000-byte request under the limit passes: %s" % short(resp))
    # the server's 8000-byte answer is over the limit: dropped; the host still gets an answer
    # for its id (an error: the real one was refused)
    try:
        resp, _, before = p.call(tool(5, "big", bytes=8000))
    except Fail as e:
        raise Fail("the server's over-limit answer to id 5 was dropped and the host got no "
                   "answer for id 5 (design.md: a refusal is always answered under the "
                   "original id, never a silent drop): %s" % str(e)[:200])
    expect("error" in resp or resp.get("result", {}).get("isError"),
           "an over-limit server answer is not passed: %s" % short(resp))
    expect(all(len(b) <= 4096 for b in before), "nothing over 4096 bytes reached the host")
    expect(not any(b"x" * 5000 in l for l in received_lines(ctx)), "server saw the big line")
    echo_ok(p, 6)
    end(p)
    kinds = [r.get("kind") for r in ctx.audit_events("security")]
    expect(kinds.count("oversize_message") >= 2, "both directions audited: %s" % kinds)


# ---- no newline for ever ------------------------------------------------------------------

@suite.case('threats.md §4 "a line with no newline for ever" from the host: bounded memory, '
            'never forwarded, the next line works')
def endless_line_host(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    chunk = b'{"jsonrpc":"2.0","id":9,"method":"x","params":"' + b"z" * (1 << 20)
    p.send(chunk)
    total = len(chunk)
    blob = b"z" * (1 << 20)
    deadline = time.monotonic() + ctx.time_budget(120)
    while total < 256 << 20:
        expect(time.monotonic() < deadline, "mcpcage stopped consuming the endless line")
        p.send(blob, timeout=60)
        total += len(blob)
    p.send(b'"}\n')
    _, resp, _ = p.read_response(b"9", timeout=30)
    expect_error(resp, (-32600,), 9, "the 256 MiB line, once it ends")
    echo_ok(p, 2)
    expect(all(len(l) < 1 << 20 for l in received_lines(ctx)), "server saw the endless line")
    end(p)
    rss_bound(ctx, p, STREAM_RSS_KB, "256 MiB line from the host")


@suite.case('threats.md §4 "a line with no newline for ever" from the server: bounded memory, '
            'the in-flight call answered at shutdown, SIGTERM ends it (143)')
def endless_line_server(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env(MCP_TEST_MISBEHAVE="linger_after_eof"))
    init(p)
    p.send_msg(tool(2, "misbehave", what="no_newline_forever"))
    time.sleep(4)   # at ~1 GiB/s the server has written far more than message_bytes
    expect(p.returncode is None, "mcpcage died under the endless server line")
    p.expect_no_line(0.2)
    start = time.monotonic()
    rest = end(p, 128 + 15)
    took = time.monotonic() - start
    expect(took < ctx.time_budget(15), "shutdown took %.1fs (grace 2s + 2s)" % took)
    answers = [json.loads(l) for l in rest]
    expect(any(a.get("id") == 2 and "error" in a for a in answers),
           "the in-flight call got an error at shutdown: %s" % short(rest))
    rss_bound(ctx, p, STREAM_RSS_KB, "endless server line")


# ---- 10^6 tiny lines ------------------------------------------------------------------------

def timed_sink(ctx, through):
    count_file = os.path.join(ctx.dir, "sink-count")
    env = ctx.server_env(MCP_TEST_MISBEHAVE="sink", MCP_TEST_SINK_COUNT=count_file)
    p = ctx.start(ctx.server_cmd(), env=env) if through else \
        ctx.start_direct(ctx.server_cmd(), env=env)
    line = b'{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}\n'
    block = line * 10000
    start = time.monotonic()
    for _ in range(MILLION // 10000):
        p.send(block, timeout=60)
    p.close_stdin()
    p.read_until_eof(timeout=120)
    p.wait(120)
    took = time.monotonic() - start
    expect_eq(p.exit_code(), 0, "exit status")
    with open(count_file) as f:
        lines, total = map(int, f.read().split())
    expect_eq((lines, total), (MILLION, MILLION * len(line)), "lines and bytes the server got")
    os.unlink(count_file)
    return p, took


@suite.case('threats.md §4 "10^6 tiny lines" host -> server: all arrive, keeps up, bounded memory',
            timeout=300)
def million_to_server(ctx):
    d, direct = timed_sink(ctx, False)
    p, through = timed_sink(ctx, True)
    ctx.note("10^6 notifications host->server: direct %.2fs, through mcpcage %.2fs" %
             (direct, through))
    # "keeps up": ~60 bytes per line must not cost more than ~50 us each on a slow CI core
    # (sanitized builds 4x); the direct run's time is the floor.
    budget = ctx.time_budget(50.0 if not ctx.sanitized else 200.0) + direct
    expect(through < budget, "10^6 lines took %.1fs through mcpcage (budget %.1fs)"
           % (through, budget))
    rss_bound(ctx, p, STREAM_RSS_KB, "10^6 lines host->server")


@suite.case('threats.md §4 "10^6 tiny lines" server -> host: all arrive in order, bounded memory',
            timeout=300)
def million_to_host(ctx):
    def run(p):
        init(p)
        start = time.monotonic()
        p.send_msg(tool(2, "spam", count=MILLION))
        n = 0
        while True:
            line = p.recv_line(timeout=60)
            expect(line is not None, "EOF before the spam call's answer")
            if line.startswith(b'{"jsonrpc":"2.0","method":"notifications/message"'):
                n += 1
                continue
            break
        took = time.monotonic() - start
        expect_eq(json.loads(line).get("id"), 2, "the answer after the notifications")
        end(p)
        return n, took
    n_direct, direct = run(ctx.start_direct(ctx.server_cmd(), env=ctx.server_env()))
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    n, through = run(p)
    expect_eq(n_direct, MILLION, "direct run count")
    expect_eq(n, MILLION, "notifications the host received through mcpcage")
    ctx.note("10^6 notifications server->host: direct %.2fs, through mcpcage %.2fs" %
             (direct, through))
    budget = ctx.time_budget(50.0 if not ctx.sanitized else 200.0) + direct
    expect(through < budget, "took %.1fs through mcpcage (budget %.1fs)" % (through, budget))
    rss_bound(ctx, p, STREAM_RSS_KB, "10^6 lines server->host")


# ---- malformed input from the host --------------------------------------------------------

def nested(depth_total):
    """A tools/call whose nesting depth is exactly depth_total (the top-level object is 1)."""
    inner = depth_total - 3  # top object, params, arguments
    return (b'{"jsonrpc":"2.0","id":64,"method":"tools/call","params":{"name":"echo",'
            b'"arguments":{"text":"deep","deep":' + b"[" * inner + b"]" * inner + b"}}}")


HOST_MALFORMED = [
    # (line, accepted error codes, id the answer must carry, what)
    (b'{"jsonrpc":"2.0","id":11,"method":"tools/list"', (-32700,), 11, "truncated JSON"),
    (b'{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"echo",'
     b'"arguments":{"text":"\xff\xfe"}}}', (-32700, -32600), 12, "invalid UTF-8"),
    (b'{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"echo",'
     b'"arguments":{"text":"\xc0\xaf"}}}', (-32700, -32600), 13, "overlong UTF-8 encoding"),
    (b'{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"echo",'
     b'"arguments":{"text":"a\x00b"}}}', (-32700, -32600), 14, "a raw NUL byte in a string"),
    (b'{"jsonrpc":"2.0","id":15,"method":"tools/list"}\x00', (-32700, -32600), 15,
     "a NUL byte after the object"),
    (nested(65).replace(b'"id":64', b'"id":16'), (-32700, -32600), 16, "nesting depth 65"),
    (b'{"jsonrpc":"2.0","id":17,"method":"x","params":' + b"[" * 100000 + b"]" * 100000 + b"}",
     (-32700, -32600), 17, "nesting depth 100001"),
    (b'{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"echo",'
     b'"arguments":{"text":"a","text":"b"}}}', (-32700, -32600), 18, "duplicate key, nested"),
    (b'{"jsonrpc":"2.0","id":19,"method":"tools/call","method":"tools/list"}',
     (-32700, -32600), 19, "duplicate key, top level"),
    (b'{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"echo",'
     b'"arguments":{"text":"a","te\\u0078t":"b"}}}', (-32700, -32600), 20,
     "duplicate key spelled with an escape"),
    (b'{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"add",'
     b'"arguments":{"a":1e400,"b":2}}}', (-32700, -32600), 21, "a number beyond double range"),
    (b'{"jsonrpc":"2.0","id":22,"method":"tools/call","params":{"name":"add",'
     b'"arguments":{"a":1' + b"0" * 100000 + b',"b":2}}}', (-32700, -32600), 22,
     "a 100001-digit number"),
    (b'{"jsonrpc":"2.0","id":23}', (-32600,), 23, "neither method nor result"),
    (b'{"jsonrpc":"1.0","id":24,"method":"ping"}', (-32600,), 24, "jsonrpc is not 2.0"),
    (b'{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}', (-32600,), None, "an object as id"),
    (b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', (-32600,), None, "a fraction as id"),
    (b'this is not json', (-32700,), None, "plain text"),
    (b'"a string"', (-32700, -32600), None, "a JSON string, not an object"),
    (b'42', (-32700, -32600), None, "a JSON number, not an object"),
    (b'null', (-32700, -32600), None, "JSON null"),
    (b'{"jsonrpc":"2.0","id":25,"method":"ping"} {"x":1}', (-32700,), 25,
     "trailing data after the object"),
]


@suite.case('threats.md §4 "invalid JSON, invalid UTF-8, NUL bytes, nesting bomb, duplicate '
            'keys, huge numbers" from the host: -32700/-32600, id recovered, never forwarded')
def malformed_from_host(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    baseline = len(received_lines(ctx))
    problems = []
    for i, (line, codes, rid, what) in enumerate(HOST_MALFORMED):
        # every row is tried and every failure reported, not just the first
        p.send(line + b"\n")
        try:
            raw = p.recv_line(timeout=5)
        except Fail:
            problems.append("%s: no answer within 5 s (forwarded to the server? its log: %s)"
                            % (what, short(received_lines(ctx)[-1:], 200)))
            continue
        expect(raw is not None, "%s: mcpcage closed stdout (crashed?)" % what)
        try:
            expect_error(json.loads(raw), codes, rid, what)
        except ValueError:
            problems.append("%s: the answer is not JSON: %s" % (what, short(raw)))
        except Fail as e:
            problems.append(str(e))
        echo_ok(p, 1000 + i)
    expect(not problems, "\n  ".join(problems))
    got = received_lines(ctx)[baseline:]
    expect_eq(len(got), len(HOST_MALFORMED), "lines the server received (only the echoes)")
    expect(all(b'"name":"echo"' in l for l in got), "the server saw a malformed line: %s"
           % short([l for l in got if b'"name":"echo"' not in l]))
    # the border: depth 64 is allowed and passes byte for byte
    resp, _, _ = p.call(nested(64))
    expect("result" in resp, "nesting depth 64 passes: %s" % short(resp))
    expect(received_lines(ctx)[-1] == nested(64), "depth 64 forwarded byte for byte")
    end(p)


# ---- malformed output from the server ------------------------------------------------------

SERVER_MALFORMED = [
    (b"this is not JSON", "plain text"),
    (b'{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"\xff"}}',
     "invalid UTF-8"),
    (b'{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"a\x00b"}}',
     "a NUL byte"),
    (b'{"jsonrpc":"2.0","method":"notifications/message","params":' + b"[" * 70 + b"]" * 70
     + b"}", "nesting depth 71"),
    (b'{"jsonrpc":"2.0","method":"notifications/message","params":{"data":1,"data":2}}',
     "duplicate keys"),
    (b'{"jsonrpc":"2.0","method":"notifications/message","params":{"data":1e400}}',
     "a number beyond double range"),
    (b'[{"jsonrpc":"2.0","method":"notifications/message","params":{}}]', "a batch"),
    (b'{"jsonrpc":"2.0","method":"notifications/message","params":{}', "truncated"),
]


@suite.case('threats.md §4 "invalid JSON ... huge numbers" from the server: dropped and '
            'audited (non_json_output), never reaches the host, relay goes on')
def malformed_from_server(ctx):
    env = ctx.server_env(MCP_TEST_MISBEHAVE="non_json_at_start")
    p = ctx.start(ctx.server_cmd(), env=env)
    init(p)
    problems = []
    for i, (line, what) in enumerate(SERVER_MALFORMED):
        resp, raw, before = p.call(tool(100 + i, "misbehave", what="malformed",
                                        b64=base64.b64encode(line).decode()))
        if before:
            problems.append("%s: reached the host: %s" % (what, short(before)))
        expect("result" in resp, "%s: the real answer passes: %s" % (what, short(resp)))
    expect(not problems, "\n  ".join(problems))
    echo_ok(p, 2)
    end(p)
    kinds = [r.get("kind") for r in ctx.audit_events("security")]
    expect(kinds.count("non_json_output") >= len(SERVER_MALFORMED),
           "each malformed server line audited as non_json_output (+ the banner): %s" % kinds)


# ---- ids ----------------------------------------------------------------------------------

BIG_IDS = [b"123456789012345678901234567890", b"-98765432109876543210987654321",
           b"9007199254740993", b"18446744073709551617", b"0", b'"\\u0031"',
           b'"caf\xc3\xa9-\\ud83d\\ude00"', b'""']


@suite.case('threats.md §4 "big integer ids pass losslessly": ids come back byte for byte')
def big_ids(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    for rid in BIG_IDS:
        line = b'{"jsonrpc":"2.0","id":' + rid + b',"method":"ping"}'
        p.send(line + b"\n")
        raw = p.recv_line()
        resp = json.loads(raw)
        expect_eq(resp.get("id"), json.loads(rid), "id %s" % rid.decode(errors="replace"))
        expect("result" in resp, "ping %s answered: %s" % (rid, short(resp)))
        expect(received_lines(ctx)[-1] == line, "id %s reached the server byte for byte" % rid)
        # the digits themselves (a double would round 9007199254740993 to ...992)
        if rid[:1] != b'"':
            expect(b'"id":' + rid + b"," in raw or raw.endswith(b'"id":' + rid + b"}"),
                   "the answer carries the exact digits of %s: %s" % (rid, short(raw)))
    end(p)


@suite.case('threats.md §4 "id confusion": an id never sent, an id twice, 1 vs "1", an id '
            'mcpcage denied -> dropped and audited spoofed_response; the real one passes')
def id_confusion(ctx):
    pol = policy_with(ctx, "deny-add.json", {"tools": {"add": "deny", "*": "allow"}})
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env(), options=["--policy", pol])
    init(p)
    # a response for an id never sent, then the real answer
    resp, _, before = p.call(tool(2, "misbehave", what="unknown_id"))
    expect_eq(before, [], "the spoofed answer for an id never sent reached the host")
    expect_eq(resp.get("result", {}).get("content"), [{"type": "text",
              "text": "misbehaved: unknown_id"}], "the real answer")
    # twice for one id: the second is dropped
    resp, _, before = p.call(tool(3, "misbehave", what="answer_twice"))
    expect_eq(resp["result"]["content"][0]["text"], "first", "the first answer passes")
    p.expect_no_line(0.5)
    # 1 vs "1": the server answers "1" for the request 1, then the real one
    resp, raw, before = p.call(tool(1, "misbehave", what="id_type_swap"))
    expect_eq(before, [], 'the answer with id "1" for request 1 reached the host')
    expect(b'"id":1,' in raw or b'"id":1}' in raw, "the real answer keeps the integer id")
    resp, raw, before = p.call(tool("7", "misbehave", what="id_type_swap"))
    expect_eq(before, [], 'the answer with id 7 for request "7" reached the host')
    # an id mcpcage denied: the server never saw it, then tries to answer it
    resp, _, _ = p.call(tool(40, "add", a=1, b=2))
    expect("error" in resp or resp.get("result", {}).get("isError"),
           "the denied call is refused: %s" % short(resp))
    expect(not any(b'"id":40' in l for l in received_lines(ctx)), "the server saw the denied call")
    resp, _, before = p.call(tool(41, "misbehave", what="respond_id", id=40))
    expect_eq(before, [], "the server's answer for the denied id 40 reached the host")
    echo_ok(p, 5)
    end(p)
    spoofed = ctx.audit_events("security", "spoofed_response")
    expect(len(spoofed) >= 5, "spoofed_response audited for each (5): %s" % short(spoofed))


@suite.case('threats.md §4 "batches (JSON arrays)": -32600, never forwarded')
def batches(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    baseline = len(received_lines(ctx))
    for batch in (b'[{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"echo",'
                  b'"arguments":{"text":"smuggled"}}},{"jsonrpc":"2.0","id":32,"method":"ping"}]',
                  b'[]', b'[{"jsonrpc":"2.0","method":"notifications/initialized"}]',
                  b' [1,2,3]'):
        p.send(batch + b"\n")
        resp = json.loads(p.recv_line())
        expect_error(resp, (-32600,), None, "batch %s" % short(batch, 60))
        p.expect_no_line(0.2)
    echo_ok(p, 2)
    got = received_lines(ctx)[baseline:]
    expect_eq(len(got), 1, "the server received only the echo after the batches")
    expect(not any(b"smuggled" in l for l in received_lines(ctx)), "a batch was forwarded")
    end(p)


# ---- ending sessions -----------------------------------------------------------------------

@suite.case('threats.md §4 "host closes stdin mid-call": the in-flight call is answered, clean '
            'exit 0')
def host_closes_mid_call(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    p.send_msg(tool(2, "slow", ms=800))
    p.close_stdin()
    rest = p.read_until_eof(timeout=15)
    p.wait()
    expect_eq(p.exit_code(), 0, "exit status")
    answers = [json.loads(l) for l in rest]
    expect_eq([a.get("id") for a in answers], [2], "exactly one answer, for id 2")
    expect_eq(answers[0].get("result", {}).get("content"),
              [{"type": "text", "text": "slept 800 ms"}],
              "the server finished within the 2 s grace and its answer passed")


@suite.case('threats.md §4 "host closes stdin mid-call", the call outlasting the grace: an '
            'error under its id, the child SIGTERMed (143)')
def host_closes_long_call(ctx):
    env = ctx.server_env(MCP_TEST_MISBEHAVE="linger_after_eof")
    p = ctx.start(ctx.server_cmd(), env=env)
    init(p)
    p.send_msg(tool("long-1", "slow", ms=30000))
    time.sleep(0.2)
    start = time.monotonic()
    p.close_stdin()
    rest = p.read_until_eof(timeout=20)
    p.wait()
    took = time.monotonic() - start
    answers = [json.loads(l) for l in rest]
    expect_eq([a.get("id") for a in answers], ["long-1"], "one answer for the in-flight call")
    expect("error" in answers[0], "it is an error: %s" % short(answers[0]))
    # the server lingers after EOF: SIGTERM at the end of the 2 s grace ends it
    expect_eq(p.exit_code(), 128 + 15, "exit status")
    expect(took < ctx.time_budget(10), "shutdown took %.1fs" % took)


@suite.case('threats.md §4 "child crashes mid-line": partial line dropped, the call answered '
            'with an error, exit status of the child (3)')
def child_crashes_mid_line(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    p.send_msg(tool(2, "misbehave", what="crash_mid_line"))
    rest = p.read_until_eof(timeout=15)
    p.wait()
    expect_eq(p.exit_code(), 3, "exit status is the child's")
    answers = []
    for l in rest:
        try:
            answers.append(json.loads(l))
        except ValueError:
            raise Fail("a partial line reached the host: %s" % short(l))
    expect_eq([a.get("id") for a in answers], [2], "one answer, for the in-flight call")
    expect("error" in answers[0], "an error answer: %s" % short(answers[0]))


@suite.case('threats.md §4 "child ignores SIGTERM": SIGKILL after the grace, exit 137')
def child_ignores_sigterm(ctx):
    env = ctx.server_env(MCP_TEST_MISBEHAVE="ignore_sigterm,linger_after_eof")
    p = ctx.start(ctx.server_cmd(), env=env)
    init(p)
    p.send_msg(tool(2, "slow", ms=60000))
    time.sleep(0.2)
    start = time.monotonic()
    p.close_stdin()
    rest = p.read_until_eof(timeout=30)
    p.wait(30)
    took = time.monotonic() - start
    expect_eq(p.exit_code(), 137, "exit status after SIGKILL")
    expect(3.0 < took < ctx.time_budget(12.0), "stdin EOF -> 2 s grace -> SIGTERM -> 2 s -> SIGKILL took %.1fs"
           % took)
    expect_eq([json.loads(l).get("id") for l in rest], [2], "the in-flight call answered")


@suite.case('threats.md §4 "child floods stderr": passes through whole, relay unaffected, '
            'bounded memory')
def child_floods_stderr(ctx):
    flood = 64 << 20
    env = ctx.server_env(MCP_TEST_MISBEHAVE="stderr_flood=%d" % flood)
    p = ctx.start(ctx.server_cmd(), env=env)
    p.count_stderr_lines_with(b"mcp_test_server: stderr flood line")
    init(p)
    echo_ok(p, 2)
    resp, _, _ = p.call(tool(3, "misbehave", what="stderr_flood", bytes=flood))
    expect("result" in resp, "a call flooding stderr is answered")
    echo_ok(p, 4)
    end(p)
    got = p.err_matches.get(b"mcp_test_server: stderr flood line", 0)
    expect_eq(got, 2 * (flood // FLOOD_LINE_LEN), "flood lines passed through on stderr")
    rss_bound(ctx, p, STREAM_RSS_KB, "128 MiB of stderr")


@suite.case('threats.md §4 "host stops reading stdout": bounded memory, mcpcage exits when the '
            'child exits', timeout=180)
def host_stops_reading(ctx):
    p = ctx.start(ctx.server_cmd(), env=ctx.server_env())
    init(p)
    # ~90 MB of notifications the host never reads; the server exits (code 7) after 3 s
    # whether or not its writes went through
    p.send_msg(tool(2, "spam", count=MILLION, exit_after_ms=3000))
    start = time.monotonic()
    while p.returncode is None and time.monotonic() - start < ctx.time_budget(40):
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p._rss_stop.set()
            p.returncode = os.waitstatus_to_exitcode(status)
            p.rusage = ru
            break
        time.sleep(0.05)
    took = time.monotonic() - start
    expect(p.returncode is not None, "mcpcage still running %.0fs after the child exited while "
           "the host does not read" % (took - 3))
    ctx.note("mcpcage exited %.1fs after the spam call (child exits at 3 s)" % took)
    expect_eq(p.exit_code(), 7, "exit status is the child's")
    rss_bound(ctx, p, STREAM_RSS_KB, "90 MB the host did not read")
    p.read_until_eof(timeout=10)


if __name__ == "__main__":
    suite.main()
