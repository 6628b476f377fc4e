// Raw WebSocket clients send the server what browsers never would, while two
// real participants share a room; they must keep decoding each other.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { RawClient } from './lib/raw-client.mjs';
import { startServer } from './lib/server.mjs';
import { until, waitForFlow } from './lib/stats.mjs';

/** Resolves with `promise`, or throws after `ms` (no stray timer). */
async function within(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

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

  test('a client without the stoa subprotocol (or with another one) is refused with HTTP 400 saying why', async () => {
    for (const protocols of [[], ['chat'], ['chat', 'superchat']]) {
      const refusal = await RawClient.connect(server.wsUrl, { protocols }).then(
        (client) => { raws.push(client); return null; },
        (err) => err.message);
      assert.ok(refusal, `a client asking for ${JSON.stringify(protocols)} was accepted`);
      assert.match(refusal, /HTTP 400.*subprotocol "stoa" required/, `the refusal says why (${refusal})`);
    }
    // The subprotocol among others is enough.
    const c = await RawClient.connect(server.wsUrl, { protocols: ['chat', 'stoa'] });
    raws.push(c);
    assert.equal(c.protocol, 'stoa');
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
    try {
      await rawClientInRoom(c);
    } finally {
      // Whatever happened above, this client must not stay in the room for the next tests.
      await c.terminate();
    }
  });

  const rawClientInRoom = async (c) => {
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
    assert.match(offer.sdp, /a=setup:actpass/);
    const mids = JSON.stringify(offer.mids);
    assert.deepEqual(offer.mids['0'], { participant: joined.id, kind: 'audio', source: 'mic' }, mids);
    assert.deepEqual(offer.mids['1'], { participant: joined.id, kind: 'video', source: 'camera' }, mids);
    assert.deepEqual(offer.mids['2'], { participant: joined.id, kind: 'video', source: 'screen' }, mids);
    // The other sections carry the real participants' microphones and cameras.
    const others = Object.entries(offer.mids).filter(([mid]) => !['0', '1', '2'].includes(mid)).map(([, m]) => m);
    for (const m of others) {
      assert.ok([pia.id, quinn.id].includes(m.participant), `section of a participant in the room: ${mids}`);
      assert.equal(m.kind, m.source === 'mic' ? 'audio' : 'video', `kind matches source: ${mids}`);
    }
    for (const id of [pia.id, quinn.id]) {
      for (const [kind, source] of [['audio', 'mic'], ['video', 'camera']]) {
        assert.equal(
          others.filter((m) => m.participant === id && m.kind === kind && m.source === source).length,
          1,
          `one ${source} section of ${id}: ${mids}`,
        );
      }
    }

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
  };

  test('leave gets bye and the connection is closed', async () => {
    const c = await connect();
    try {
      c.send({ type: 'join', room: ROOM, name: 'Leaver' });
      const joined = await c.expect('joined', { timeoutMs: 5000 });
      c.send({ type: 'leave' });
      const bye = await c.expect('bye', { timeoutMs: 5000 });
      assert.equal(bye.reason, 'left');
      await within(c.closed, 5000, 'closed after leave');
      for (const p of [pia, quinn]) {
        await p.page.waitForFunction((id) => !window.stoa.participants.has(id), joined.id, { timeout: 5000 });
      }
    } finally {
      await c.terminate();
    }
  });

  test('many raw clients joining and vanishing at once do not disturb the call', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect()));
    try {
      clients.forEach((c, i) => c.send({ type: 'join', room: ROOM, name: `Ghost ${i}` }));
      await Promise.all(clients.map((c) => c.expect('joined', { timeoutMs: 5000 })));
    } finally {
      await Promise.all(clients.map((c) => c.terminate()));
    }
    await until(
      async () => (await pia.page.evaluate(() => window.stoa.participants.size)) === 1,
      { timeoutMs: 5000, what: 'Pia to see only Quinn again' },
    );
    await stillDecoding();
  });

  test('SIGTERM: clients get bye server-shutdown and stoa exits with status 0 within 5 s', async () => {
    const c = await connect();
    try {
      c.send({ type: 'join', room: ROOM, name: 'Witness' });
      await c.expect('joined', { timeoutMs: 5000 });
      await server.stop();
      await within(c.closed, 2000, 'raw client closed after the shutdown').catch(() => {});
      const bye = c.received.find((m) => m.type === 'bye');
      assert.ok(bye, `raw client got bye before the close: ${JSON.stringify(c.received.slice(-3))}`);
      assert.equal(bye.reason, 'server-shutdown');
    } finally {
      await c.terminate();
    }
    // The browsers show the ended view with the reason, not an error.
    for (const p of [pia, quinn]) {
      await p.page.waitForFunction(() => window.stoa.state === 'left', null, { timeout: 5000 });
      const ended = p.page.locator('[data-testid="ended"]');
      await ended.waitFor({ state: 'visible', timeout: 5000 });
      assert.equal(await ended.getAttribute('data-reason'), 'server-shutdown', `${p.name} tells the user why`);
    }
  });
});
