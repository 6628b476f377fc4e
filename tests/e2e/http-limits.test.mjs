// The HTTP surface probed from outside, without a browser (docs/security.md,
// "Signalling and HTTP limits"): methods, HEAD, over-long requests, CONNECT,
// connection caps per address and in total, the join timeout of signalling
// WebSockets, and the stoa_refused_total counters. Run against the ASan
// binary (STOA_BIN=build-asan/stoa): server.stop() fails when LeakSanitizer
// reports anything at exit.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { RawClient } from './lib/raw-client.mjs';
import { startServer } from './lib/server.mjs';

const PER_ADDRESS = 4;
const MAX_CONNECTIONS = 8;
const JOIN_TIMEOUT_S = 2;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends raw bytes on a fresh connection (from localAddress) and collects
 * everything until the server closes it or timeoutMs pass.
 * @returns {Promise<{data: Buffer, closed: boolean, ms: number}>}
 */
function rawExchange(port, bytes, { localAddress = '127.0.0.1', timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks = [];
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => { if (bytes) sock.write(bytes); });
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

/** The status line's code and the headers (lower-case names) of a raw response. */
function parseResponse(data) {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end >= 0 ? text.slice(0, end) : text;
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: end >= 0 ? data.subarray(end + 4) : Buffer.alloc(0) };
}

function request(method, path, extra = '') {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`;
}

/** Opens a TCP connection from localAddress and resolves once connected (or failed). */
function holdConnection(port, localAddress) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    sock.closedByServer = false;
    sock.on('end', () => { sock.closedByServer = true; });
    sock.on('close', () => { sock.closedByServer = true; });
    sock.on('error', () => { sock.closedByServer = true; });
    sock.once('connect', () => resolve(sock));
    sock.once('error', () => resolve(sock));
  });
}

/** Resolves true when the server closes sock within ms. */
function closesWithin(sock, ms) {
  if (sock.closedByServer) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => { clearTimeout(timer); resolve(true); };
    sock.once('end', done);
    sock.once('close', done);
  });
}

/** GET over a connection closed afterwards (fetch would keep it open, taking a place of the per-address cap). */
async function get(server, path, localAddress = '127.0.0.1') {
  const { data } = await rawExchange(server.httpPort, request('GET', path), { localAddress });
  const res = parseResponse(data);
  return { status: res.status, text: res.body.toString('utf8') };
}

async function refusedCounts(server) {
  const { text } = await get(server, '/metrics');
  const counts = {};
  for (const m of text.matchAll(/^stoa_refused_total\{reason="([^"]+)"\} (\d+)$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

describe('HTTP and signalling limits', { timeout: 120000 }, () => {
  let server;
  before(async () => {
    server = await startServer({
      label: 'http-limits',
      workers: 1,
      extraArgs: ['--max-connections', String(MAX_CONNECTIONS), '--max-connections-per-address', String(PER_ADDRESS),
        '--join-timeout', String(JOIN_TIMEOUT_S)],
    });
  });
  after(async () => {
    if (server) await server.stop();   // throws on a sanitizer report or an unclean exit
  });

  test('only GET and HEAD are served: other methods get 405 with Allow, and nothing leaks', async () => {
    for (const path of ['/metrics', '/', '/some-room', '/_/room.js']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const body = method === 'POST' || method === 'PUT' ? 'x=1' : '';
        const { data } = await rawExchange(server.httpPort,
          request(method, path, body ? `Content-Length: ${body.length}\r\n` : '') + body);
        const res = parseResponse(data);
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.allow, 'GET, HEAD', `${method} ${path} names the methods it allows`);
      }
    }
    // Many of them: LeakSanitizer at exit sees any that leaked (after()).
    for (let i = 0; i < 200; i++) await rawExchange(server.httpPort, request('POST', '/metrics', 'Content-Length: 0\r\n'));
    const res = await get(server, '/metrics');
    assert.equal(res.status, 200, 'GET still works');
    assert.ok(res.text.includes('stoa_rooms'));
  });

  test('HEAD answers the headers of GET without a body', async () => {
    for (const path of ['/metrics', '/', '/_/room.js']) {
      const { data, closed } = await rawExchange(server.httpPort, request('HEAD', path));
      assert.ok(closed, 'the server ends the response');
      const res = parseResponse(data);
      assert.equal(res.status, 200, `HEAD ${path}`);
      assert.ok(Number(res.headers['content-length']) > 0, `HEAD ${path} says how long the body would be`);
      assert.equal(res.body.length, 0, `HEAD ${path} sends no body`);
    }
  });

  test('an over-long URI gets 414, an over-long header 431', async () => {
    for (const n of [3000, 100000]) {
      const { data } = await rawExchange(server.httpPort, request('GET', `/${'a'.repeat(n)}`));
      assert.equal(parseResponse(data).status, 414, `a URI of ${n} bytes`);
    }
    const { data } = await rawExchange(server.httpPort, request('GET', '/', `Cookie: ${'c'.repeat(6000)}\r\n`));
    assert.equal(parseResponse(data).status, 431);
    const ok = await rawExchange(server.httpPort, request('GET', `/${'a'.repeat(60)}`, `Cookie: ${'c'.repeat(1000)}\r\n`));
    assert.equal(parseResponse(ok.data).status, 200, 'requests within the limits are served');
  });

  test('CONNECT is answered 405 and closed at once', async () => {
    const { data, closed, ms } = await rawExchange(server.httpPort,
      'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n', { timeoutMs: 15000 });
    assert.ok(closed, 'the connection is not held open');
    assert.equal(parseResponse(data).status, 405);
    assert.ok(ms < 5000, `closed after ${ms} ms`);
  });

  test('a connection that sends nothing, or half a request, is closed by a timeout', async () => {
    const idle = await holdConnection(server.httpPort, '127.0.0.1');
    const half = await holdConnection(server.httpPort, '127.0.0.1');
    half.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // lws: 10 s for a request's headers; margin for a busy machine.
    const [a, b] = await Promise.all([closesWithin(idle, 30000), closesWithin(half, 30000)]);
    assert.ok(a, 'the silent connection was closed');
    assert.ok(b, 'the incomplete request was closed');
  });

  test('connections are capped per address and in total; other addresses are still served', async () => {
    const before = await refusedCounts(server);
    const held = [];
    for (let i = 0; i < PER_ADDRESS; i++) held.push(await holdConnection(server.httpPort, '127.0.0.1'));
    await sleep(200);
    assert.ok(held.every((s) => !s.closedByServer), 'connections within the cap stay open');
    const extra = await rawExchange(server.httpPort, request('GET', '/'), { timeoutMs: 5000 });
    assert.ok(extra.closed && extra.data.length === 0, 'one more from the same address is closed unanswered');
    const other = await rawExchange(server.httpPort, request('GET', '/'), { localAddress: '127.0.0.2' });
    assert.equal(parseResponse(other.data).status, 200, '127.0.0.2 is still served');

    for (let i = 0; i < MAX_CONNECTIONS - PER_ADDRESS; i++) held.push(await holdConnection(server.httpPort, '127.0.0.2'));
    await sleep(200);
    const overTotal = await rawExchange(server.httpPort, request('GET', '/'), { localAddress: '127.0.0.3' });
    assert.ok(overTotal.closed && overTotal.data.length === 0, 'past --max-connections nobody gets in');

    for (const s of held) s.destroy();
    await sleep(300);
    assert.equal((await get(server, '/metrics')).status, 200, 'closed connections free their places');
    const afterCounts = await refusedCounts(server);
    assert.ok(afterCounts['connections-per-address'] > (before['connections-per-address'] ?? 0));
    assert.ok(afterCounts.connections > (before.connections ?? 0));
  });

  test('a signalling WebSocket that never joins is closed after the join timeout', async () => {
    const before = await refusedCounts(server);
    const idle = await RawClient.connect(server.wsUrl);
    const joined = await RawClient.connect(server.wsUrl);
    joined.send({ type: 'join', room: 'limits', name: 'Jo' });
    await joined.expect('joined', { timeoutMs: 5000 });
    const bye = await idle.expect('bye', { timeoutMs: (JOIN_TIMEOUT_S + 10) * 1000 });
    assert.equal(bye.reason, 'join-timeout');
    await Promise.race([idle.closed, sleep(5000).then(() => assert.fail('the socket was not closed'))]);
    assert.ok(joined.isOpen, 'a socket that joined stays');
    await joined.roundTrip();
    await joined.close();
    const afterCounts = await refusedCounts(server);
    assert.ok(afterCounts['join-timeout'] > (before['join-timeout'] ?? 0));
  });

  test('/metrics lists stoa_refused_total for every reason', async () => {
    const counts = await refusedCounts(server);
    for (const reason of ['connections', 'connections-per-address', 'descriptors', 'http-method', 'uri-too-long',
      'headers-too-large', 'join-timeout', 'send-queue-full', 'slow-receiver', 'rooms', 'lobby-full',
      'wrong-password', 'password-attempts', 'rate-limited', 'ssrc-in-use']) {
      assert.ok(Number.isInteger(counts[reason]), `reason ${reason} is served`);
    }
    assert.ok(counts['http-method'] >= 200 + 20 + 1, 'every refused method was counted (and CONNECT)');
    assert.ok(counts['uri-too-long'] >= 2);
    assert.ok(counts['headers-too-large'] >= 1);
  });
});
