#!/usr/bin/env python3
"""Writes tests/corpus/benign/*.txt: over 1 MiB of ordinary tool output that must pass
redaction untouched with every catalogue on (threats.md §3 "benign look-alikes"): source
code, service logs with timestamps and request ids, JSON API responses, git SHAs, UUIDs,
base64 image data, version strings, 16-digit numbers failing Luhn, hex digests, URLs
without credentials, public certificates. Deterministic (fixed seed): rerun only to change
the corpus, and commit the result (it is data)."""
import base64
import hashlib
import json
import os
import random
import string
import uuid

rng = random.Random(20240917)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "benign")

WORDS = ("request user session cache index value result config server client handler error "
         "timeout retry buffer stream record table column query update delete insert build "
         "deploy release commit branch merge review module package version import export "
         "render layout widget button event state store action reducer effect promise task "
         "worker queue job schedule metric counter gauge histogram trace span log level file "
         "path directory archive upload download token_count payload header body status").split()
NAMES = ["alpha", "beta", "gamma", "delta", "orion", "vega", "lyra", "atlas", "nova", "pulse"]


def ident():
    return "_".join(rng.sample(WORDS, rng.choice([1, 2]))).replace("token_count", "count")


def camel():
    a, b = rng.sample(WORDS, 2)
    return a.replace("_", "") + b.replace("_", "").capitalize()


def sha1():
    return hashlib.sha1(rng.randbytes(16)).hexdigest()


def sha256():
    return hashlib.sha256(rng.randbytes(16)).hexdigest()


def uid():
    return str(uuid.UUID(bytes=rng.randbytes(16), version=4))


def version():
    v = f"{rng.randrange(0, 5)}.{rng.randrange(0, 30)}.{rng.randrange(0, 40)}"
    return v + rng.choice(["", "", "", "-beta.2", "-rc.1", "+build.7"])


def iso(ts):
    import datetime
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{rng.randrange(1000):03d}Z"


def luhn_ok(d):
    total = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def number16_failing_luhn():
    while True:
        d = rng.choice("3456") + "".join(rng.choice(string.digits) for _ in range(15))
        if not luhn_ok(d):
            return d


def c_source():
    fn = ident()
    lines = [f"/* {fn}.c: {' '.join(rng.sample(WORDS, 6))} */", "#include <stdio.h>", "#include <string.h>",
             f'#include "{rng.choice(NAMES)}/{ident()}.h"', ""]
    for _ in range(rng.randrange(3, 7)):
        name = ident()
        lines += [f"static int {name}(struct {ident()} *ctx, const char *buf, size_t len)", "{",
                  f"        size_t n = len < {rng.choice([64, 128, 4096])} ? len : {rng.choice([64, 128])};",
                  f"        if (!ctx || !buf)", "                return -EINVAL;",
                  f"        for (size_t i = 0; i < n; i++)",
                  f"                ctx->{ident()}[i % {rng.randrange(2, 32)}] ^= (unsigned char)buf[i];",
                  f'        log_debug("{name}: %zu bytes, crc %08x", n, crc32(0, buf, n));',
                  f"        return ctx->{ident()} > {rng.randrange(1, 1000)} ? 1 : 0;", "}", ""]
    return "\n".join(lines)


def py_source():
    cls = camel().capitalize()
    lines = [f'"""{" ".join(rng.sample(WORDS, 8))}."""', "import json", "import os", "from typing import Optional", "",
             f"API_URL = \"https://api.{rng.choice(NAMES)}.example.com/v{rng.randrange(1, 4)}\"",
             "", f"class {cls}:", f"    def __init__(self, api_key: Optional[str] = None, timeout: float = {rng.randrange(1, 60)}.0):",
             '        self.api_key = api_key or os.environ.get("SERVICE_API_KEY")', "        self.timeout = timeout",
             "        self.token = None", ""]
    for _ in range(rng.randrange(2, 6)):
        m = ident()
        lines += [f"    def {m}(self, {ident()}: int, **kwargs) -> dict:",
                  f'        """Return the {" ".join(rng.sample(WORDS, 3))}."""',
                  f'        url = f"{{API_URL}}/{m}/{{kwargs.get(\'id\', {rng.randrange(1, 99999)})}}"',
                  "        resp = self._session.get(url, timeout=self.timeout)",
                  "        resp.raise_for_status()",
                  f"        return json.loads(resp.text).get(\"{ident()}\", {{}})", ""]
    return "\n".join(lines)


def js_source():
    lines = [f"import {{ {camel()} }} from '@{rng.choice(NAMES)}/{ident().replace('_', '-')}';",
             f"import {camel()} from './{ident()}.js';", ""]
    for _ in range(rng.randrange(2, 6)):
        f = camel()
        lines += [f"export async function {f}(opts = {{}}) {{",
                  f"  const token = await getToken();",
                  f"  const res = await fetch(`${{BASE_URL}}/{ident()}?limit=${{opts.limit ?? {rng.randrange(10, 500)}}}`, {{",
                  "    headers: { Authorization: `Bearer ${token}` },", "  });",
                  f"  if (!res.ok) throw new Error(`{f} failed: ${{res.status}}`);",
                  f"  return (await res.json()).{camel()};", "}", ""]
    lines.append(f'// icon: <img src="/static/logo@2x.png" srcset="/static/logo@3x.png 3x">')
    return "\n".join(lines)


def log_lines(n):
    ts = 1718000000 + rng.randrange(10**6)
    out = []
    for _ in range(n):
        ts += rng.random() * 3
        lvl = rng.choice(["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"])
        kind = rng.randrange(7)
        if kind == 0:
            msg = (f'{rng.choice(["GET", "POST", "PUT", "DELETE"])} /api/v{rng.randrange(1, 3)}/{ident()}/{rng.randrange(1, 10**6)} '
                   f'{rng.choice([200, 201, 204, 301, 404, 500])} {rng.random() * 300:.1f}ms ip=10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}')
        elif kind == 1:
            msg = f"commit {sha1()} merged into {rng.choice(['main', 'release/' + version()])} by {rng.choice(NAMES)}"
        elif kind == 2:
            msg = f"worker {rng.randrange(16)} finished job {uid()} in {rng.randrange(1, 9000)} ms (attempt {rng.randrange(1, 4)} of 3)"
        elif kind == 3:
            msg = f"order {number16_failing_luhn()} shipped, tracking {rng.randrange(10**21, 10**22)}, total {rng.randrange(100, 99999) / 100:.2f} EUR"
        elif kind == 4:
            msg = f"tools/call {ident()} id={rng.randrange(1, 5000)} took {rng.randrange(1, 2000)}ms, {rng.randrange(0, 90000)} bytes"
        elif kind == 5:
            msg = f"downloaded https://registry.npmjs.org/{ident().replace('_', '-')}/-/pkg-{version()}.tgz sha512-{base64.b64encode(rng.randbytes(64)).decode()}"
        else:
            msg = f"password reset requested for user {rng.randrange(10**5, 10**7)}; session={uid()} cache hit ratio {rng.random():.3f}"
        out.append(f"{iso(ts)} {lvl:5} [req={uid()[:8]}] {msg}")
    return "\n".join(out)


def api_response():
    items = []
    for _ in range(rng.randrange(2, 8)):
        items.append({
            "id": uid(), "number": rng.randrange(1, 10**5), "title": " ".join(rng.sample(WORDS, 5)),
            "sha": sha1(), "digest": "sha256:" + sha256(), "created_at": iso(1.6e9 + rng.randrange(10**8)),
            "updated": 1700000000 + rng.randrange(10**7), "version": version(),
            "html_url": f"https://github.com/{rng.choice(NAMES)}/{ident().replace('_', '-')}/pull/{rng.randrange(1, 9999)}",
            "clone_url": f"git@github.com:{rng.choice(NAMES)}/{ident()}.git",
            "size": rng.randrange(10**9), "price": {"amount": rng.randrange(100, 10**6), "currency": "EUR"},
            "account_ref": number16_failing_luhn(), "etag": f'W/"{rand_hex(32)}"',
            "token_type": "bearer", "expires_in": 3600, "max_tokens": 4096,
            "usage": {"input_tokens": rng.randrange(10**5), "output_tokens": rng.randrange(10**4)},
        })
    return json.dumps({"total_count": rng.randrange(10**6), "next_page_token": base64.b64encode(rng.randbytes(24)).decode(),
                       "items": items}, indent=rng.choice([None, 2]))


def rand_hex(n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def image_data():
    raw = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randrange(300, 3000))
    return f'<img alt="{rng.choice(WORDS)}" src="data:image/png;base64,{base64.b64encode(raw).decode()}">'


def certificate():
    body = base64.b64encode(rng.randbytes(rng.choice([600, 900]))).decode()
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----"


def misc_block():
    lines = [f"{uid()}  {sha256()}  {version()}" for _ in range(5)]
    lines += [f"node_modules/{ident().replace('_', '-')}@{version()} integrity sha384-{base64.b64encode(rng.randbytes(48)).decode()}"]
    lines += [f"Build {rng.randrange(1, 9999)} on 2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)} 1{rng.randrange(10)}:{rng.randrange(10, 60)}: "
              f"{rng.randrange(1, 500)} tests, {rng.randrange(0, 3)} failures, coverage {rng.random() * 100:.2f}%"]
    lines += [f"see https://docs.{rng.choice(NAMES)}.example.org/{ident()}#section-{rng.randrange(1, 20)} or ISBN 978-3-16-148410-{rng.randrange(10)}"]
    lines += [f"card ending in {rng.randrange(1000, 9999)}, invoice {number16_failing_luhn()}, ref {rng.randrange(10**8, 10**9)}"]
    return "\n".join(lines)


def write(name, gen, target):
    parts, size = [], 0
    while size < target:
        p = gen()
        parts.append(p)
        size += len(p) + 2
    with open(os.path.join(OUT, name), "w") as f:
        f.write("\n\n".join(parts) + "\n")


os.makedirs(OUT, exist_ok=True)
write("source.txt", lambda: rng.choice([c_source, py_source, js_source])(), 320 * 1024)
write("logs.txt", lambda: log_lines(50), 320 * 1024)
write("api.txt", api_response, 300 * 1024)
write("data.txt", lambda: rng.choice([image_data, certificate, misc_block, misc_block])(), 200 * 1024)
