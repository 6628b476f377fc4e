// The control link between stoa focus and its bridges (docs/protocol.md §2,
// "The link"), played by hand from Node: the challenge, a hello with the
// right and the wrong secret, another major version, malformed and
// unexpected messages, a bridge that never answers or stops its heartbeats.
// Each is refused or survived as documented, the focus says why in its log,
// and it keeps serving.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { makeSecret, removeSecret, startBridge, startFocus } from './lib/cluster.mjs';
import { RawClient } from './lib/raw-client.mjs';
import { sleep, until } from './lib/stats.mjs';

const hmac = (secret, text) => crypto.createHmac('sha256', secret).update(text).digest('hex');

/** A bridge played from Node. */
class FakeBridge {
  static async connect(focus, { protocols = ['stoa-bridge'] } = {}) {
    const ws = await RawClient.connect(focus.bridgeUrl, { protocols });
    const challenge = await ws.expect('link-challenge');
    return new FakeBridge(ws, challenge);
  }

  constructor(ws, challenge) {
    this.ws = ws;
    this.challenge = challenge;
    this.nonce = crypto.randomBytes(32).toString('hex');
    this.seq = 0;
  }

  hello(secret, { bridge = 'fake-1', region = 'zz', version = 1, ...over } = {}) {
    const mac = hmac(secret, `stoa-link-1\nhello\n${this.challenge.nonce}\n${this.nonce}\n${bridge}\n${region}\n`);
    this.bridge = bridge;
    return { type: 'hello', version, minor: 0, bridge, region, capacity: 50, addresses: ['127.0.0.1'],
      media_ports: [40000], nonce: this.nonce, mac, ...over };
  }

  heartbeat(seq = ++this.seq) {
    this.ws.send({ type: 'heartbeat', seq, endpoints: 0, conferences: 0, packets_in: 0, packets_out: 0, bits_in: 0,
      bits_out: 0, cpu: 0.1, relays: 0, draining: false });
  }

  /** Heartbeats every 500 ms until stopBeating. */
  beat() {
    this.timer = setInterval(() => this.ws.isOpen && this.heartbeat(), 500);
  }

  stopBeating() {
    clearInterval(this.timer);
  }
}

describe('the bridge link', { timeout: 120000 }, () => {
  let secretFile;
  let secret;
  let focus;
  const closers = [];

  before(async () => {
    secretFile = makeSecret();
    secret = fs.readFileSync(secretFile, 'utf8').trim();
    focus = await startFocus({ label: 'bridge-link', secretFile });
  });

  after(async () => {
    for (const c of closers) await c();
    await focus?.stop();
    removeSecret(secretFile);
  });

  test('a WebSocket on /bridge without the stoa-bridge subprotocol is refused with a reason', async () => {
    await assert.rejects(RawClient.connect(focus.bridgeUrl, { protocols: ['stoa'] }), /HTTP 400.*stoa-bridge/);
  });

  test('the challenge carries version 1 and a fresh 64-hex nonce each time', async () => {
    const a = await FakeBridge.connect(focus);
    const b = await FakeBridge.connect(focus);
    assert.equal(a.challenge.version, 1);
    assert.match(a.challenge.nonce, /^[0-9a-f]{64}$/);
    assert.notEqual(a.challenge.nonce, b.challenge.nonce);
    a.ws.close();
    b.ws.close();
  });

  test('wrong secret, another major version, a malformed hello, no hello: refused, logged, closed', async () => {
    const cases = [
      { hello: (f) => f.hello('not the secret at all'), reason: 'bad-mac' },
      { hello: (f) => f.hello(secret, { version: 2 }), reason: 'unsupported-version' },
      { hello: (f) => f.hello(secret, { addresses: ['127.0.0.1\r\na=x'] }), reason: 'bad-hello' },
      { hello: (f) => f.hello(secret, { media_ports: [0] }), reason: 'bad-hello' },
      { hello: () => ({ type: 'heartbeat', seq: 1 }), reason: 'unexpected' },
    ];
    for (const c of cases) {
      const f = await FakeBridge.connect(focus);
      f.ws.send(c.hello(f));
      const refused = await f.ws.expect('refused');
      assert.equal(refused.reason, c.reason, JSON.stringify(refused));
      assert.ok(refused.message.length > 0);
      await f.ws.closed;
      await until(() => focus.log().includes(`refused a bridge from 127.0.0.1: ${c.reason}`), { what: `the log saying ${c.reason}` });
    }
    // A hello recorded on one connection is worthless on the next (new nonce).
    const first = await FakeBridge.connect(focus);
    const recorded = first.hello(secret, { bridge: 'replayed' });
    first.ws.close();
    const second = await FakeBridge.connect(focus);
    second.ws.send(recorded);
    assert.equal((await second.ws.expect('refused')).reason, 'bad-mac');
  });

  test('a real bridge with the wrong secret is refused and says so; it retries with backoff', async () => {
    const other = makeSecret();
    const bridge = await startBridge(focus, { id: 'wrong-secret', secretFile: other, waitLinked: false });
    closers.push(() => bridge.stop());
    try {
      await until(() => /refused by the focus: bad-mac/.test(bridge.log()), { timeoutMs: 10000, what: 'the bridge logging bad-mac' });
      await until(() => (bridge.log().match(/connecting to focus .* again in/g) ?? []).length >= 2, { timeoutMs: 10000, what: 'two retries' });
      assert.equal(bridge.exitInfo, null, 'the bridge keeps running');
    } finally {
      await bridge.stop();
      removeSecret(other);
    }
  });

  test('one bridge serving two focus nodes: their request ids collide, each gets its own answers', async () => {
    const other = await startFocus({ label: 'bridge-link-2', secretFile });
    closers.push(() => other.stop());
    const bridge = await startBridge(focus, { id: 'shared', secretFile, extraArgs: ['--focus', other.bridgeUrl] });
    closers.push(() => bridge.stop());
    await until(() => /bridge shared linked/.test(other.log()), { timeoutMs: 10000, what: 'the bridge linked to the second focus' });
    // Each focus numbers its requests from 1: the first allocate of each has the same id.
    const [a, b] = await Promise.all([RawClient.connect(focus.wsUrl), RawClient.connect(other.wsUrl)]);
    a.send({ type: 'join', room: 'shared-one', name: 'A' });
    b.send({ type: 'join', room: 'shared-two', name: 'B' });
    const [ja, jb] = await Promise.all([a.expect('joined'), b.expect('joined')]);
    const [oa, ob] = await Promise.all([a.expect('offer', { timeoutMs: 5000 }), b.expect('offer', { timeoutMs: 5000 })]);
    // Two endpoints of the one bridge: different ICE credentials, the same certificate.
    const ufrag = (o) => /a=ice-ufrag:(\S+)/.exec(o.sdp)[1];
    const fingerprint = (o) => /a=fingerprint:(.+)/.exec(o.sdp)[1].trim();
    assert.notEqual(ufrag(oa), ufrag(ob));
    assert.equal(fingerprint(oa), fingerprint(ob));
    assert.match(focus.log(), new RegExp(`shared-one/${ja.id} placed on bridge shared`));
    assert.match(other.log(), new RegExp(`shared-two/${jb.id} placed on bridge shared`));
    a.close();
    b.close();
    await bridge.stop();
  });

  test('linked: welcome proves the focus knows the secret; bad messages get link-error and the link stays up', async () => {
    const f = await FakeBridge.connect(focus);
    closers.push(() => f.ws.close());
    f.ws.send(f.hello(secret, { bridge: 'fake-linked' }));
    const welcome = await f.ws.expect('welcome');
    assert.equal(welcome.heartbeat_ms, 1000);
    assert.equal(welcome.mac, hmac(secret, `stoa-link-1\nwelcome\n${f.nonce}\n${f.challenge.nonce}\nfake-linked\n`));
    f.heartbeat();
    f.beat();
    for (const bad of ['not json', '[1,2]', '{"no":"type"}', JSON.stringify({ type: 'heartbeat', seq: 1, endpoints: -1 })]) {
      f.ws.sendText(bad);
      const err = await f.ws.expect('link-error');
      assert.ok(err.message.length > 0, bad);
    }
    f.ws.send({ type: 'heartbeat', seq: 1, endpoints: 0, conferences: 0, packets_in: 0, packets_out: 0, bits_in: 0,
      bits_out: 0, cpu: 0, relays: 0, draining: false });
    assert.match((await f.ws.expect('link-error')).message, /seq/);
    // A response to nothing, an event about nobody: ignored.
    f.ws.send({ type: 'allocate-ok', id: 987654, endpoint: 'x' });
    f.ws.send({ type: 'dominant-speaker', conference: 'nowhere', endpoint: 'nobody' });
    f.ws.send(f.hello(secret, { bridge: 'fake-linked' }));
    assert.equal((await f.ws.expect('link-error')).code, 'unexpected');
    await sleep(1500);
    assert.ok(f.ws.isOpen, 'the link is still up');

    // Another bridge under the same id meanwhile: refused as a duplicate.
    const dup = await FakeBridge.connect(focus);
    dup.ws.send(dup.hello(secret, { bridge: 'fake-linked' }));
    assert.equal((await dup.ws.expect('refused')).reason, 'duplicate-bridge');

    // The focus places a participant on it (the only bridge); a hostile
    // allocate-ok is refused and the participant told.
    const alice = await RawClient.connect(focus.wsUrl);
    alice.send({ type: 'join', room: 'link-test', name: 'Alice' });
    await alice.expect('joined');
    const alloc = await f.ws.expect('allocate', { timeoutMs: 5000 });
    assert.equal(alloc.conference, 'link-test');
    f.ws.send({ type: 'allocate-ok', id: alloc.id, endpoint: alloc.endpoint,
      ice: { ufrag: 'abcd', pwd: 'abcdefghijklmnopqrstuvwxyz', lite: true },
      dtls: { fingerprint: `sha-256 ${Array(32).fill('AB').join(':')}`, setup: 'passive' },
      candidates: [{ foundation: '1', ip: '127.0.0.1\r\na=evil', port: 40000, protocol: 'udp', priority: 1 }] });
    await alice.expectError('bridge-error', 'join', { timeoutMs: 5000 });
    await until(() => /allocate-ok is unusable: candidate 0 has no numeric IP address/.test(focus.log()), { what: 'the log naming the bad field' });

    // A bridge that never answers: after 5 s the focus gives up on it, and
    // with no other bridge the participant is told instead of waiting forever.
    const bob = await RawClient.connect(focus.wsUrl);
    bob.send({ type: 'join', room: 'link-test-2', name: 'Bob' });
    await bob.expect('joined');
    await f.ws.expect('allocate', { timeoutMs: 5000 });
    const t0 = Date.now();
    await bob.expectError('bridge-error', 'join', { timeoutMs: 9000 });
    const waited = Date.now() - t0;
    console.log(`# unanswered allocate: participant told after ${waited} ms`);
    assert.ok(waited >= 4000, `the focus waited for the bridge (${waited} ms)`);
    assert.match(focus.log(), /bridge fake-linked did not answer allocate/);

    // Heartbeats stop: the bridge is lost within 3 intervals (and a margin).
    f.stopBeating();
    const stopped = Date.now();
    await f.ws.closed;
    const lostAfter = Date.now() - stopped;
    console.log(`# heartbeats stopped: link closed after ${lostAfter} ms`);
    assert.ok(lostAfter < 6000, `lost within 3 s and a tick (${lostAfter} ms)`);
    assert.match(focus.log(), /bridge fake-linked \(127\.0\.0\.1\) lost: no heartbeat/);
    // The focus still serves: a signalling round trip.
    const carol = await RawClient.connect(focus.wsUrl);
    await carol.roundTrip();
    for (const c of [alice, bob, carol]) c.close();
  });
});
