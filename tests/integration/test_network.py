#!/usr/bin/env python3
"""Network policy (policy.md "network", threats.md §1 network rows, audit.md `connection`):
tests/servers/net_probe.py (and a Node program) try connections through a real mcpcage
session under each network.mode; every attempt that must fail is also made without mcpcage
(or the test makes it itself) to show it can succeed, so no test passes by accident.

Peers live on the host's loopback only: 127.0.0.2 for the destinations a policy allows
(outside NO_PROXY's 127.0.0.1, so clients that honour the proxy variables use the proxy
for them), 127.0.0.1 for host services the server must not reach, [::1] for IPv6. Every
case runs as root and as nobody (see mcpcage_test.py)."""
import http.server
import json
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, Skip, Proc, expect, expect_eq, short, PYTHON  # noqa: E402

suite = Suite("network")
HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS = os.path.join(os.path.dirname(HERE), "servers")
PROBE = os.path.join(SERVERS, "net_probe.py")
NODE_PROBE = os.path.join(SERVERS, "net_node.js")
BODY = b"mcpcage-peer-ok\n"
PACKAGE = "mcpcage-probe-pkg"


# ---- peers ---------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.rstrip("/").endswith(PACKAGE):
            port = self.server.server_address[1]
            body = json.dumps({"name": PACKAGE, "dist-tags": {"latest": "1.2.3"}, "versions": {"1.2.3": {
                "name": PACKAGE, "version": "1.2.3",
                "dist": {"tarball": "http://127.0.0.2:%d/x.tgz" % port, "shasum": "0" * 40}}}}).encode()
            ctype = "application/json"
        else:
            body, ctype = BODY, "text/plain"
        self.server.hits += 1
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class HttpPeer:
    """An HTTP server on addr in a thread of the case process."""

    def __init__(self, addr):
        cls = http.server.ThreadingHTTPServer
        if ":" in addr:
            cls = type("V6Server", (http.server.ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        self.srv = cls((addr, 0), Handler)
        self.srv.hits = 0
        self.port = self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Listener:
    """A host service the server must not reach: counts the connections it accepts."""

    def __init__(self, addr="127.0.0.1", kind=socket.SOCK_STREAM):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.s = socket.socket(fam, kind)
        self.s.bind((addr, 0))
        self.port = self.s.getsockname()[1]
        self.kind = kind
        if kind == socket.SOCK_STREAM:
            self.s.listen(8)
        self.s.setblocking(False)

    def arrivals(self):
        n = 0
        while True:
            try:
                if self.kind == socket.SOCK_STREAM:
                    self.s.accept()[0].close()
                else:
                    self.s.recv(100)
                n += 1
            except BlockingIOError:
                return n

    def close(self):
        self.s.close()


def free_port(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- the server under test ------------------------------------------------------------------

def req(rid, method, params=None):
    m = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        m["params"] = params
    return m


class Server:
    """net_probe (or the Node program) through mcpcage with a policy, or directly."""

    def __init__(self, ctx, network=None, direct=False, isolation="auto", node=False, extra_ro=()):
        self.ctx = ctx
        self.rid = 0
        cmd = ["/usr/bin/node", NODE_PROBE] if node else [PYTHON, PROBE]
        if direct:
            argv = cmd
        else:
            pol = {"version": 1, "mcp": {"tools": {"*": "allow"}}, "network": network or {"mode": "none"},
                   "env": {"pass": ["PATH", "LANG"]}}
            path = ctx.policy("net-%d.json" % len(ctx.procs), pol)
            argv = [ctx.binary, "--audit-log", ctx.audit_path, "--isolation", isolation, "--policy", path,
                    "--ro", SERVERS] + [a for d in extra_ro for a in ("--ro", d)] + ["--"] + cmd
        self.p = Proc(argv, ctx.base_env(), ctx.dir, "direct" if direct else "mcpcage")
        ctx.procs.append(self.p)
        resp, _, _ = self.p.call(req("init", "initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "mcpcage-it", "version": "1"}}), timeout=30)
        expect("result" in resp, "initialize: %s" % short(resp))

    def probe(self, op, **args):
        self.rid += 1
        args["op"] = op
        resp, _, _ = self.p.call(req(self.rid, "tools/call", {"name": "probe", "arguments": args}), timeout=40)
        expect("result" in resp, "%s: no result: %s" % (op, short(resp)))
        return resp["result"]["structuredContent"]

    def close(self):
        self.p.close_stdin()
        self.p.read_until_eof(timeout=20)
        return self.p.wait(20)


def ok(r, what):
    expect(r["ok"], "%s: must succeed, got %s" % (what, short(r)))


def fails(r, what, errnos=None):
    expect(not r["ok"] and (errnos is None or r["errno"] in errnos),
           "%s: must fail%s, got %s" % (what, " with " + "/".join(sorted(errnos)) if errnos else "", short(r)))


def prepare(ctx):
    os.chmod(ctx.dir, 0o711)


def connections(ctx):
    return ctx.audit_events("connection")


# ---- cases ----------------------------------------------------------------------------------

@suite.case("network filtered: CONNECT and absolute-URI requests to allowed destinations pass, "
            "others are refused with 403 and audited (connection, security network_refused)")
def filtered_proxy(ctx):
    prepare(ctx)
    peer, peer6, lo = HttpPeer("127.0.0.2"), HttpPeer("::1"), Listener("127.0.0.1")
    closed = free_port("127.0.0.2")
    try:
        s = Server(ctx, {"mode": "filtered", "allow": [
            "127.0.0.2:%d" % peer.port, "[::1]:%d" % peer6.port, "localhost:%d" % lo.port]})
        env = s.probe("env")["detail"]
        expect(env.get("HTTP_PROXY", "").startswith("http://127.0.0.1:") and env.get("NODE_USE_ENV_PROXY") == "1"
               and "127.0.0.1" in env.get("NO_PROXY", "") and env.get("https_proxy") == env["HTTP_PROXY"],
               "the proxy variables: %s" % env)
        r = s.probe("connect", host="127.0.0.2", port=peer.port)
        ok(r, "CONNECT to an allowed address")
        expect(BODY.decode() in r["detail"]["reply"], "the peer answered in the tunnel: %s" % short(r))
        r = s.probe("get", url="http://127.0.0.2:%d/plain" % peer.port)
        expect(r["ok"] and r["detail"]["status"] == 200 and r["detail"]["body"] == BODY.decode(),
               "absolute-URI GET through HTTP_PROXY: %s" % short(r))
        r = s.probe("connect", host="::1", port=peer6.port)
        ok(r, "CONNECT to an allowed IPv6 address")
        r = s.probe("connect", host="127.0.0.2", port=closed)
        expect(r["detail"]["status"] == 403, "CONNECT to a port not listed: 403, got %s" % short(r))
        r = s.probe("connect", host="localhost", port=lo.port)
        expect(r["detail"]["status"] == 403 and "loopback" in r["detail"]["reply"],
               "an allowed name resolving to 127.0.0.1: refused, got %s" % short(r))
        r = s.probe("connect", host="evil.invalid", port=443)
        expect(r["detail"]["status"] == 403 and "not in network.allow" in r["detail"]["reply"],
               "a name not listed: refused without a lookup, got %s" % short(r))
        r = s.probe("get", url="http://127.0.0.2:%d/" % closed)
        expect(r["detail"] and r["detail"].get("status") == 403, "absolute-URI GET not listed: 403, %s" % short(r))
        expect_eq(s.close(), 0, "mcpcage exit")
        expect_eq(lo.arrivals(), 0, "connections that reached the host's 127.0.0.1 service")
        recs = connections(ctx)
        allowed = [c for c in recs if c["decision"] == "allow"]
        denied = [c for c in recs if c["decision"] == "deny"]
        expect(len(allowed) == 3 and all(c["bytes_in"] > 0 and c["bytes_out"] > 0 and c["rule"].startswith(
            "/network/allow/") and "duration_ms" in c for c in allowed), "allowed connections audited: %s" % allowed)
        expect({(c["dest"], c["port"]) for c in denied} == {("127.0.0.2", closed), ("localhost", lo.port),
                                                           ("evil.invalid", 443)},
               "refusals audited: %s" % denied)
        expect([c["addr"] for c in denied if c["dest"] == "localhost"][0] in ("127.0.0.1", "::1"),
               "the refused name's address is recorded")
        expect_eq(len(denied), 4, "refusals (3 CONNECT, 1 GET)")
        expect_eq(len(ctx.audit_events("security", "network_refused")), 4, "network_refused records")
        # the twin: the same host service is reachable from here
        socket.create_connection(("127.0.0.1", lo.port), timeout=5).close()
        expect_eq(lo.arrivals(), 1, "the host's service is reachable without mcpcage")
    finally:
        peer.close()
        peer6.close()
        lo.close()


@suite.case("network filtered: the server's own connect() bypassing the proxy fails (TCP, UDP, IPv6, "
            "the host's 127.0.0.1), and succeeds without mcpcage")
def filtered_bypass(ctx):
    prepare(ctx)
    peer, peer6, lo, udp = HttpPeer("127.0.0.2"), HttpPeer("::1"), Listener("127.0.0.1"), \
        Listener("127.0.0.1", socket.SOCK_DGRAM)
    attempts = [("tcp", "127.0.0.2", peer.port), ("tcp", "127.0.0.1", lo.port), ("tcp", "::1", peer6.port)]
    try:
        s = Server(ctx, {"mode": "filtered", "allow": ["127.0.0.2:%d" % peer.port, "[::1]:%d" % peer6.port]})
        for op, host, port in attempts:
            fails(s.probe(op, host=host, port=port), "direct %s to %s:%d" % (op, host, port),
                  {"ECONNREFUSED", "ENETUNREACH", "EADDRNOTAVAIL", "EACCES", "EPERM"})
        s.probe("udp", host="127.0.0.1", port=udp.port)
        expect_eq(s.close(), 0, "mcpcage exit")
        expect_eq(udp.arrivals(), 0, "datagrams from the sandbox at the host's UDP socket")
        expect_eq(lo.arrivals(), 0, "connections at the host's TCP service")
        expect_eq(peer.srv.hits + peer6.srv.hits, 0, "requests at the allowed peers without the proxy")
        d = Server(ctx, direct=True)
        for op, host, port in attempts:
            ok(d.probe(op, host=host, port=port), "direct without mcpcage: %s %s:%d" % (op, host, port))
        ok(d.probe("udp", host="127.0.0.1", port=udp.port), "UDP without mcpcage")
        d.close()
        expect_eq(udp.arrivals(), 1, "the datagram sent without mcpcage arrived")
    finally:
        peer.close()
        peer6.close()
        lo.close()
        udp.close()


@suite.case("network.forward: a listener inside the namespace reaches the allowed target; a forward "
            "whose target resolves to loopback is refused and audited")
def forward(ctx):
    prepare(ctx)
    peer, lo = HttpPeer("127.0.0.2"), Listener("127.0.0.1")
    try:
        s = Server(ctx, {"mode": "filtered",
                         "allow": ["127.0.0.2:%d" % peer.port, "localhost:%d" % lo.port],
                         "forward": {"127.0.0.1:5432": "127.0.0.2:%d" % peer.port,
                                     "127.0.0.1:5433": "localhost:%d" % lo.port}})
        r = s.probe("tcp", host="127.0.0.1", port=5432, send="GET / HTTP/1.0\r\n\r\n")
        expect(r["ok"] and BODY.decode() in r["detail"]["reply"], "through the forward: %s" % short(r))
        r = s.probe("tcp", host="127.0.0.1", port=5433, send="x")
        expect(not r["ok"] or r["detail"]["reply"] == "", "the refused forward gives nothing: %s" % short(r))
        expect_eq(s.close(), 0, "mcpcage exit")
        expect_eq(lo.arrivals(), 0, "connections at the host's service through the forward")
        recs = connections(ctx)
        fw = [c for c in recs if c["via"] == "forward 127.0.0.1:5432"]
        expect(len(fw) == 1 and fw[0]["decision"] == "allow" and fw[0]["bytes_in"] > 0, "forward audited: %s" % recs)
        bad = [c for c in recs if c["via"] == "forward 127.0.0.1:5433"]
        expect(len(bad) == 1 and bad[0]["decision"] == "deny", "refused forward audited: %s" % recs)
        # the twin: the peer answers this request without mcpcage
        c = socket.create_connection(("127.0.0.2", peer.port), timeout=5)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        expect(BODY in c.recv(4096) + c.recv(4096), "the peer answers directly")
        c.close()
    finally:
        peer.close()
        lo.close()


@suite.case("network modes none, loopback, host, filtered: the host's 127.0.0.1 only in host; lo up in "
            "all but none; in none even socket(AF_INET) is refused (seccomp)")
def modes(ctx):
    prepare(ctx)
    lo = Listener("127.0.0.1")
    try:
        expected = {"none": (False, False), "loopback": (False, True), "filtered": (False, True),
                    "host": (True, True)}
        for mode, (host_ok, self_ok) in expected.items():
            s = Server(ctx, {"mode": mode})
            r = s.probe("tcp", host="127.0.0.1", port=lo.port)
            (ok if host_ok else fails)(r, "mode %s: the host's 127.0.0.1" % mode)
            (ok if self_ok else fails)(s.probe("self"), "mode %s: loopback inside" % mode)
            ok(s.probe("socket", family="unix"), "mode %s: AF_UNIX sockets" % mode)
            if mode == "none":
                fails(s.probe("socket", family="inet"), "mode none: socket(AF_INET)",
                      {"EAFNOSUPPORT", "EPERM", "EACCES"})
                fails(s.probe("socket", family="inet6"), "mode none: socket(AF_INET6)",
                      {"EAFNOSUPPORT", "EPERM", "EACCES"})
            expect_eq(s.close(), 0, "mode %s: mcpcage exit" % mode)
            start = [r for r in ctx.audit_events("session_start")][-1]
            expect_eq(start["sandbox"].get("network"), mode, "session_start.sandbox.network")
        expect_eq(lo.arrivals(), 1, "only the host-mode connection arrived")
    finally:
        lo.close()


@suite.case("Landlock fallback (isolation landlock): filtered allows TCP connect only to the proxy's "
            "port; host with network.allow only to its ports")
def fallback(ctx):
    prepare(ctx)
    abi = subprocess.run([ctx.binary, "doctor"], capture_output=True, text=True).stdout
    if "ABI" not in abi or any("landlock" in l and "ABI %d" % n in l for l in abi.splitlines() for n in (1, 2, 3)):
        raise Skip("Landlock ABI < 4: no TCP rules")
    peer, lo = HttpPeer("127.0.0.2"), Listener("127.0.0.1")
    try:
        s = Server(ctx, {"mode": "filtered", "allow": ["127.0.0.2:%d" % peer.port]}, isolation="landlock")
        env = s.probe("env")["detail"]
        expect(env.get("HTTP_PROXY", "").startswith("http://127.0.0.1:") and not env["HTTP_PROXY"].endswith(":3128"),
               "the proxy on the host's loopback, an ephemeral port: %s" % env)
        r = s.probe("connect", host="127.0.0.2", port=peer.port)
        expect(r["ok"] and BODY.decode() in r["detail"]["reply"], "through the proxy: %s" % short(r))
        fails(s.probe("tcp", host="127.0.0.2", port=peer.port), "direct connect to the allowed peer", {"EACCES"})
        fails(s.probe("tcp", host="127.0.0.1", port=lo.port), "direct connect to a host service", {"EACCES"})
        expect_eq(s.close(), 0, "mcpcage exit")
        s = Server(ctx, {"mode": "host", "allow": ["127.0.0.2:%d" % peer.port]}, isolation="landlock")
        ok(s.probe("tcp", host="127.0.0.2", port=peer.port), "host mode: an allowed port")
        fails(s.probe("tcp", host="127.0.0.1", port=lo.port), "host mode: another port", {"EACCES"})
        expect_eq(s.close(), 0, "mcpcage exit")
        expect_eq(lo.arrivals(), 0, "connections at the host's service")
        d = Server(ctx, direct=True)
        ok(d.probe("tcp", host="127.0.0.1", port=lo.port), "without mcpcage")
        d.close()
    finally:
        peer.close()
        lo.close()


@suite.case("network host with addresses in network.allow: cgroup BPF programs refuse connect() and "
            "sendto() to anything else (root: CAP_BPF); elsewhere reported as not enforced",
            users=("root", "nobody"))
def host_bpf(ctx):
    prepare(ctx)
    peer, lo, udp = HttpPeer("127.0.0.2"), Listener("127.0.0.1"), Listener("127.0.0.1", socket.SOCK_DGRAM)
    v6, other6 = Listener("::1"), Listener("::1")
    try:
        s = Server(ctx, {"mode": "host", "allow": ["127.0.0.2:%d" % peer.port, "127.0.0.3/32:*",
                                                   "[::1]:%d" % v6.port]})
        start = ctx.audit_events("session_start")[-1]
        degraded = " ".join(start["sandbox"].get("degraded", []))
        if os.geteuid() != 0:
            expect("network.allow is not enforced" in degraded, "unprivileged: said as degraded: %s" % degraded)
            ok(s.probe("tcp", host="127.0.0.1", port=lo.port), "unprivileged: not enforced, so reachable")
            s.close()
            expect_eq(lo.arrivals(), 1, "the connection arrived")
            return
        expect("network.allow" not in degraded, "root: enforced, not degraded: %s" % degraded)
        ok(s.probe("tcp", host="127.0.0.2", port=peer.port, send="GET / HTTP/1.0\r\n\r\n"), "an allowed address")
        fails(s.probe("tcp", host="127.0.0.1", port=lo.port), "another address", {"EPERM"})
        fails(s.probe("tcp", host="127.0.0.2", port=lo.port), "an allowed address, another port", {"EPERM"})
        fails(s.probe("udp", host="127.0.0.1", port=udp.port), "a datagram elsewhere", {"EPERM"})
        fails(s.probe("tcp", host="127.0.0.3", port=free_port("127.0.0.3")), "an any-port rule lets connect() "
              "through (nothing listens there)", {"ECONNREFUSED"})
        ok(s.probe("tcp", host="::1", port=v6.port), "an allowed IPv6 address")
        fails(s.probe("tcp", host="::1", port=other6.port), "IPv6, another port", {"EPERM"})
        expect_eq(s.close(), 0, "mcpcage exit")
        expect_eq(lo.arrivals() + udp.arrivals() + other6.arrivals(), 0, "nothing arrived at the host's services")
        expect_eq(peer.srv.hits, 1, "the allowed peer was reached")
        d = Server(ctx, direct=True)
        ok(d.probe("tcp", host="127.0.0.1", port=lo.port), "without mcpcage")
        d.close()
        left = [n for n in os.listdir("/sys/fs/cgroup/unified") if n.startswith("mcpcage-net-")] \
            if os.path.isdir("/sys/fs/cgroup/unified") else []
        expect_eq(left, [], "cgroups left behind")
    finally:
        peer.close()
        lo.close()
        udp.close()
        v6.close()
        other6.close()


def proxy_pid(mcpcage_pid):
    for name in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % name) as f:
                st = f.read()
        except OSError:
            continue
        if "(mcpcage-proxy)" in st and int(st[st.rindex(")") + 2:].split()[1]) == mcpcage_pid:
            return int(name)
    return None


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int([l for l in f if l.startswith("VmRSS:")][0].split()[1])


def head_answer(sock):
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@suite.case("the proxy facing hostile clients: an oversized head gets 431, malformed heads 400, at most 64 "
            "connections are served at once, and its memory stays bounded (driven from the host through the "
            "fallback's proxy, which listens on the host's loopback)")
def proxy_limits(ctx):
    prepare(ctx)
    peer = HttpPeer("127.0.0.2")
    try:
        s = Server(ctx, {"mode": "filtered", "allow": ["127.0.0.2:%d" % peer.port]}, isolation="landlock")
        port = int(s.probe("env")["detail"]["HTTP_PROXY"].rsplit(":", 1)[1])
        pid = proxy_pid(s.p.pid)
        expect(pid is not None, "the proxy process runs")
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"GET http://127.0.0.2/ HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
        expect(head_answer(c).startswith(b"HTTP/1.1 431"), "oversized head: 431")
        c.close()
        for bad in (b"CONNECT a b c\r\n\r\n", b"GET http://x/ HTTP/1.1\nHost: x\r\n\r\n", b"\x00\xff\r\n\r\n"):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(bad)
            expect(head_answer(c).startswith(b"HTTP/1.1 400"), "malformed head %r: 400" % bad)
            c.close()
        before = rss_kb(pid)
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(70)]
        probe = socket.create_connection(("127.0.0.1", port), timeout=5)
        probe.sendall(("CONNECT 127.0.0.2:%d HTTP/1.1\r\n\r\n" % peer.port).encode())
        probe.settimeout(1)
        try:
            early = probe.recv(100)
        except socket.timeout:
            early = b""
        expect_eq(early, b"", "a connection past the 64th waits")
        for c in idle:
            c.close()
        probe.settimeout(10)
        expect(head_answer(probe).startswith(b"HTTP/1.1 200"), "served once others closed")
        probe.close()
        for _ in range(3):
            conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(60)]
            for c in conns:
                c.sendall(b"GET http://127.0.0.2:%d/ HTTP/1.1\r\nX: " % peer.port + b"b" * 7000)
            for c in conns:
                c.close()
        after = rss_kb(pid)
        expect(after - before < 8192, "proxy RSS grew by %d kB over 250 connections" % (after - before))
        r = s.probe("connect", host="127.0.0.2", port=peer.port)
        ok(r, "still serving after all that")
        expect_eq(s.close(), 0, "mcpcage exit")
    finally:
        peer.close()


def node_available():
    if not os.access("/usr/bin/node", os.X_OK):
        raise Skip("no /usr/bin/node")


@suite.case("Node: a Node program reaches an allowed local HTTP server through the proxy variables "
            "(http.request; and npm's own client against a local registry) and is refused for another")
def node_clients(ctx):
    prepare(ctx)
    node_available()
    peer, other = HttpPeer("127.0.0.2"), HttpPeer("127.0.0.2")
    try:
        s = Server(ctx, {"mode": "filtered", "allow": ["127.0.0.2:%d" % peer.port]}, node=True)
        r = s.probe("fetch", url="http://127.0.0.2:%d/" % peer.port)
        expect(r["ok"] and r["detail"]["status"] == 200 and r["detail"]["body"] == BODY.decode(),
               "Node through HTTP_PROXY to the allowed server: %s" % short(r))
        r = s.probe("fetch", url="http://127.0.0.2:%d/" % other.port)
        expect(r["detail"]["status"] == 403, "Node to a server not listed: 403, got %s" % short(r))
        r = s.probe("npm", args=["view", PACKAGE, "version", "--registry", "http://127.0.0.2:%d/" % peer.port])
        expect(r["ok"] and "1.2.3" in r["detail"]["stdout"], "npm view through the proxy: %s" % short(r))
        r = s.probe("npm", args=["view", PACKAGE, "version", "--registry", "http://127.0.0.2:%d/" % other.port])
        expect(not r["ok"] and "403" in r["detail"]["stderr"], "npm against a registry not listed: %s" % short(r))
        expect_eq(s.close(), 0, "mcpcage exit")
        expect_eq(other.srv.hits, 0, "requests at the server not listed")
        expect(peer.srv.hits >= 2, "the allowed server saw Node's and npm's requests")
    finally:
        peer.close()
        other.close()


if __name__ == "__main__":
    suite.main()
