#!/usr/bin/env node
// net_node: a stdio MCP server in Node for test_network.py. One tool, "probe":
//   {"op": "fetch", "url": "http://host:port/path"}  a GET through the proxy named by
//        HTTP_PROXY (http.request with the absolute URL, as proxy-aware Node clients do;
//        Node 20's fetch() ignores the proxy variables, NODE_USE_ENV_PROXY needs Node >= 24)
//   {"op": "npm", "args": [...]}  runs npm's own client (its proxy support reads the same
//        variables) with a cache in /tmp; detail: stdout, stderr, code
// Results as net_probe.py: {"ok", "errno", "detail"}.
'use strict';
const http = require('http');
const readline = require('readline');
const { execFile } = require('child_process');

function fetchViaProxy(url) {
  return new Promise((resolve) => {
    const proxy = new URL(process.env.HTTP_PROXY || process.env.http_proxy);
    const target = new URL(url);
    const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'GET', path: url,
                               headers: { Host: target.host }, timeout: 10000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ ok: res.statusCode === 200, errno: null,
                                    detail: { status: res.statusCode, body: body.slice(0, 200) } }));
    });
    req.on('error', (e) => resolve({ ok: false, errno: e.code || 'ERROR', detail: String(e) }));
    req.end();
  });
}

function npm(args) {
  return new Promise((resolve) => {
    execFile('/usr/bin/npm', args.concat(['--cache', '/tmp/mcpcage-npm-cache', '--no-update-notifier']),
             { timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ ok: !err, errno: err ? String(err.code) : null,
                detail: { stdout: stdout.slice(0, 500), stderr: stderr.slice(0, 1500) } });
    });
  });
}

function send(msg) { process.stdout.write(JSON.stringify(msg) + '\n'); }

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const msg = JSON.parse(line);
  if (msg.id === undefined) return;
  if (msg.method === 'initialize') {
    send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion,
      capabilities: { tools: {} }, serverInfo: { name: 'net_node', version: '1' } } });
  } else if (msg.method === 'tools/call') {
    const a = msg.params.arguments;
    const r = a.op === 'fetch' ? await fetchViaProxy(a.url) : a.op === 'npm' ? await npm(a.args)
            : { ok: false, errno: 'unknown op', detail: null };
    send({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: JSON.stringify(r) }],
                                                  structuredContent: r } });
  } else {
    send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
  }
});
