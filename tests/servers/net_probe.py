#!/usr/bin/env python3
"""net_probe: a stdio MCP server that tries network operations for test_network.py.

One tool, "probe", with {"op": ..., "host": ..., "port": ..., ...}; the result's
structuredContent is {"ok": bool, "errno": name or null, "detail": ...}:
    tcp        connect() to host:port (IPv4 or IPv6 literal), optionally send "send" and
               read the answer (detail.reply, first 200 bytes)
    udp        sendto() one datagram to host:port
    self       listen on 127.0.0.1:0 and connect to it (is loopback up?)
    socket     socket(family) only: "inet", "inet6", "unix" (seccomp's family rules)
    unix       connect() to the Unix socket at "path"
    connect    through the proxy named by HTTP_PROXY: "CONNECT host:port", then a GET / in
               the tunnel; detail.status is the proxy's status, detail.reply the answer
    get        urllib with the environment's proxy settings: GET "url"; detail.status/body
    env        the proxy variables of the environment
It writes nothing but JSON-RPC on stdout and reads no file a test did not name.
"""
import errno as errnomod
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 10


def errname(e):
    return errnomod.errorcode.get(e.errno, str(e.errno)) if getattr(e, "errno", None) else type(e).__name__


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def op_tcp(a):
    s = socket.socket(family_of(a["host"]), socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect((a["host"], int(a["port"])))
        reply = b""
        if a.get("send"):
            s.sendall(a["send"].encode())
            while len(reply) < 200:
                chunk = s.recv(200)
                if not chunk:
                    break
                reply += chunk
        return {"ok": True, "detail": {"reply": reply[:200].decode(errors="replace")}}
    finally:
        s.close()


def op_udp(a):
    s = socket.socket(family_of(a["host"]), socket.SOCK_DGRAM)
    try:
        s.sendto(b"mcpcage-udp-probe", (a["host"], int(a["port"])))
        return {"ok": True}
    finally:
        s.close()


def op_self(a):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        c = socket.create_connection(srv.getsockname(), timeout=TIMEOUT)
        c.close()
        return {"ok": True}
    finally:
        srv.close()


def op_socket(a):
    fam = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}[a["family"]]
    socket.socket(fam, socket.SOCK_STREAM).close()
    return {"ok": True}


def op_unix(a):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(a["path"])
        return {"ok": True}
    finally:
        s.close()


def proxy_addr():
    u = urllib.parse.urlsplit(os.environ["HTTP_PROXY"])
    return u.hostname, u.port


def op_connect(a):
    target = "[%s]:%s" % (a["host"], a["port"]) if ":" in a["host"] else "%s:%s" % (a["host"], a["port"])
    s = socket.create_connection(proxy_addr(), timeout=TIMEOUT)
    try:
        s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(1)
            if not chunk:
                break
            head += chunk
        status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.") else 0
        reply = b""
        if status == 200:
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        else:
            s.settimeout(2)
            try:
                reply = s.recv(400)
            except OSError:
                pass
        return {"ok": status == 200, "detail": {"status": status, "reply": reply[:400].decode(errors="replace")}}
    finally:
        s.close()


def op_get(a):
    try:
        r = urllib.request.urlopen(a["url"], timeout=TIMEOUT)
        return {"ok": True, "detail": {"status": r.status, "body": r.read(200).decode(errors="replace")}}
    except urllib.error.HTTPError as e:
        return {"ok": False, "errno": "HTTP", "detail": {"status": e.code, "body": e.read(200).decode(errors="replace")}}


def op_env(a):
    return {"ok": True, "detail": {k: v for k, v in os.environ.items() if "proxy" in k.lower()}}


OPS = {"tcp": op_tcp, "udp": op_udp, "self": op_self, "socket": op_socket, "unix": op_unix,
       "connect": op_connect, "get": op_get, "env": op_env}


def probe(a):
    try:
        r = OPS[a["op"]](a)
    except OSError as e:
        r = {"ok": False, "errno": errname(e), "detail": str(e)[:200]}
    except Exception as e:  # noqa: BLE001 - reported to the test, never a crash
        r = {"ok": False, "errno": type(e).__name__, "detail": str(e)[:200]}
    r.setdefault("errno", None)
    r.setdefault("detail", None)
    return r


def reply(mid, result):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": mid, "result": result}) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        msg = json.loads(line)
        if "id" not in msg:
            continue
        m = msg.get("method")
        if m == "initialize":
            reply(msg["id"], {"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {"tools": {}},
                              "serverInfo": {"name": "net_probe", "version": "1"}})
        elif m == "tools/list":
            reply(msg["id"], {"tools": [{"name": "probe", "description": "Try one network operation.",
                                         "inputSchema": {"type": "object"}}]})
        elif m == "tools/call":
            r = probe(msg["params"]["arguments"])
            reply(msg["id"], {"content": [{"type": "text", "text": json.dumps(r)}], "structuredContent": r})
        else:
            sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                         "error": {"code": -32601, "message": "Method not found"}}) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
