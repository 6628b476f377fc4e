// Raw WebSocket clients send the server what browsers never would, while two
// real participants share a room; they must keep decoding each other.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { RawClient } from './lib/raw-client.mjs';
import { startServer } from './lib/server.mjs';
import { until, waitForFlow } from './lib/stats.mjs';

const ROOM = 'robust';
const MAX_MESSAGE = 262144;

describe('signalling robustness', { timeout: 90000 }, () => {
  let server;
  let browser;
  let pia;
  let quinn;
  const raws = [];

  const connect = async (opts) => {
    const c = await RawClient.connect(server.wsUrl, opts);
    raws.push(c);
    return c;
  };

  const stillDecoding = () =>
    Promise.all([waitForFlow(pia, [quinn.id], { timeoutMs: 10000 }), waitForFlow(quinn, [pia.id], { timeoutMs: 10000 })]);

  before(async () => {
    server = await startServer({ label: 'protocol-robustness' });
    browser = await launchBrowser();
    [pia, quinn] = await Promise.all(
      ['Pia', 'Quinn'].map((name) => openParticipant(browser, server.url, { room: ROOM, name })),
    );
    await Promise.all([waitForFlow(pia, [quinn.id], { timeoutMs: 20000 }), waitForFlow(quinn, [pia.id], { timeoutMs: 20000 })]);
  });

  after(async () => {
    for (const c of raws) c.terminate();
    await Promise.all([pia, quinn].filter(Boolean).map(closeParticipant));
    await browser?.close();
    await server?.kill();
  });

  test('a client without the stoa subprotocol is refused', async () => {
    let client = null;
    try {
      client = await RawClient.connect(server.wsUrl, { protocols: [] });
    } catch {
      return; // refused at the handshake
    }
    raws.push(client);
    // Accepted at first: then it must be closed without being served.
    client.send({ type: 'ping' });
    const outcome = await Promise.race([client.closed.then(() => 'closed'), client.expect('pong', { timeoutMs: 2000 }).then(() => 'pong', () => 'silent')]);
    assert.notEqual(outcome, 'pong', 'a client without the subprotocol was served');
  });

  test('malformed messages get errors and the socket stays open (before joining)', async () => {
    const c = await connect();
    assert.equal(c.protocol, 'stoa');

    c.sendText('{"type": "ping"');
    await c.expectError('bad-json', '');
    await c.roundTrip();

    c.sendText('this is not JSON at all');
    await c.expectError('bad-json');
    await c.roundTrip();

    c.sendText('[1, 2, 3]');
    await c.expectError('bad-message');
    c.sendText('{"no-type": true}');
    await c.expectError('bad-message');
    c.send({ type: 17 });
    await c.expectError('bad-message');
    await c.roundTrip();

    c.send({ type: 'frobnicate', whatever: 1 });
    await c.expectError('unknown-type', 'frobnicate');
    await c.roundTrip();

    // Unknown fields are ignored.
    c.send({ type: 'ping', extra: { nested: [1, 2] } });
    await c.expect('pong');

    c.send({ type: 'ping', pad: 'x'.repeat(MAX_MESSAGE + 1000) });
    await c.expectError('too-large', undefined, { timeoutMs: 5000 });
    await c.roundTrip();

    c.send({ type: 'answer', sdp: 'v=0\r\n', version: 1 });
    await c.expectError('not-joined', 'answer');
    c.send({ type: 'media-state', audio: true, video: false });
    await c.expectError('not-joined', 'media-state');
    await c.roundTrip();

    for (const room of ['.hidden', 'has space', 'x'.repeat(65), '', 'ws', 'WS', '_', 'slash/room', 'ünïcode']) {
      c.send({ type: 'join', room, name: 'Mallory' });
      await c.expectError('bad-room-name', 'join');
    }
    c.send({ type: 'join', name: 'Mallory' });
    await c.expectError('bad-message', 'join');
    c.send({ type: 'join', room: 42 });
    await c.expectError('bad-message', 'join');
    await c.roundTrip();

    assert.ok(c.isOpen, 'the socket is still open');
    assert.ok(!c.received.some((m) => m.type === 'joined'), 'no join succeeded');
    await stillDecoding();
  });

  test('a raw client in the room: errors after joining, and the real ones keep decoding', async () => {
    const c = await connect();
    c.send({ type: 'join', room: ROOM.toUpperCase(), name: '  Zoe \u0007\t  Raw  ' });
    const joined = await c.expect('joined', { timeoutMs: 5000 });
    assert.equal(joined.room, ROOM, 'room reported in lower case');
    assert.equal(joined.name, 'Zoe Raw', 'display name cleaned');
    assert.equal(typeof joined.id, 'string');
    assert.deepEqual(
      joined.participants.map((p) => p.id).sort(),
      [pia.id, quinn.id].sort(),
      'the two real participants are listed',
    );
    for (const p of joined.participants) {
      assert.equal(typeof p.name, 'string');
      assert.equal(typeof p.audio, 'boolean');
      assert.equal(typeof p.video, 'boolean');
    }
    const offer = await c.expect('offer', { timeoutMs: 5000 });
    assert.equal(offer.version, 1, 'first offer has version 1');
    assert.match(offer.sdp, /^v=0\r\n/);
    assert.match(offer.sdp, /a=ice-lite/);
    assert.match(offer.sdp, /a=setup:passive/);
    assert.deepEqual(offer.mids['0'], { participant: joined.id, kind: 'audio' });
    assert.deepEqual(offer.mids['1'], { participant: joined.id, kind: 'video' });

    // The real participants see the newcomer with its cleaned name.
    for (const p of [pia, quinn]) {
      await p.page.waitForFunction((id) => window.stoa.participants.get(id)?.name === 'Zoe Raw', joined.id, { timeout: 5000 });
    }

    c.send({ type: 'join', room: ROOM });
    await c.expectError('already-joined', 'join');
    c.send({ type: 'answer', sdp: 'v=0\r\n', version: 99 });
    await c.expectError('stale-answer', 'answer');
    c.send({ type: 'answer', sdp: 'this is no SDP', version: 1 });
    await c.expectError('bad-answer', 'answer');
    c.send({ type: 'answer', version: 1 });
    await c.expectError('bad-message', 'answer');
    c.send({ type: 'media-state', audio: 'yes', video: true });
    await c.expectError('bad-message', 'media-state');
    c.sendText('{{{');
    await c.expectError('bad-json');
    c.send({ type: 'ping', pad: 'y'.repeat(MAX_MESSAGE + 1) });
    await c.expectError('too-large', undefined, { timeoutMs: 5000 });
    await c.roundTrip();

    // A valid media-state is relayed to the others.
    c.send({ type: 'media-state', audio: false, video: false });
    for (const p of [pia, quinn]) {
      await p.page.waitForFunction(
        (id) => {
          const x = window.stoa.participants.get(id);
          return x && x.audio === false && x.video === false;
        },
        joined.id,
        { timeout: 5000 },
      );
    }

    await stillDecoding();

    // Gone without a word: the others drop it.
    await c.terminate();
    for (const p of [pia, quinn]) {
      await p.page.waitForFunction((id) => !window.stoa.participants.has(id), joined.id, { timeout: 5000 });
    }
    await stillDecoding();
  });

  test('leave gets bye and the connection is closed', async () => {
    const c = await connect();
    c.send({ type: 'join', room: ROOM, name: 'Leaver' });
    const joined = await c.expect('joined', { timeoutMs: 5000 });
    c.send({ type: 'leave' });
    const bye = await c.expect('bye', { timeoutMs: 5000 });
    assert.equal(bye.reason, 'left');
    await Promise.race([c.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('not closed after leave')), 5000))]);
    for (const p of [pia, quinn]) {
      await p.page.waitForFunction((id) => !window.stoa.participants.has(id), joined.id, { timeout: 5000 });
    }
  });

  test('many raw clients joining and vanishing at once do not disturb the call', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect()));
    clients.forEach((c, i) => c.send({ type: 'join', room: ROOM, name: `Ghost ${i}` }));
    await Promise.all(clients.map((c) => c.expect('joined', { timeoutMs: 5000 })));
    await Promise.all(clients.map((c) => c.terminate()));
    await until(
      async () => (await pia.page.evaluate(() => window.stoa.participants.size)) === 1,
      { timeoutMs: 5000, what: 'Pia to see only Quinn again' },
    );
    await stillDecoding();
  });

  test('SIGTERM: clients get bye server-shutdown and stoa exits with status 0 within 5 s', async () => {
    const c = await connect();
    c.send({ type: 'join', room: ROOM, name: 'Witness' });
    await c.expect('joined', { timeoutMs: 5000 });
    await server.stop();
    await Promise.race([c.closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    const bye = c.received.find((m) => m.type === 'bye');
    assert.ok(bye, `raw client got bye before the close: ${JSON.stringify(c.received.slice(-3))}`);
    assert.equal(bye.reason, 'server-shutdown');
    for (const p of [pia, quinn]) {
      await p.page.waitForFunction(() => window.stoa.state === 'error', null, { timeout: 5000 });
      const text = await p.page.locator('#error-text').textContent();
      assert.match(text, /shutting down/i, `${p.name} tells the user why`);
    }
  });
});
