// Last-N set by the bandwidth. Three senders and one receiver, each browser in
// its own network namespace (lib/netns.mjs). The receiver's download is capped
// so low that not even the lowest simulcast layer of every camera fits: the
// bridge must hold back the least relevant cameras altogether (not starve all
// of them), tell the receiver which it still gets (`forwarded`, tiles marked),
// and send them all again once the cap is lifted.
// Then a thin link: at 400 kbit/s what the bridge sends (audio, RTX and
// probes included) must fit, so every camera the receiver decodes over the
// window runs at 15 fps or more, and every camera it does not decode is one
// the bridge reported held back (`forwarded`, the tile marked paused).
// The senders' own frame rate is the ceiling: on a CPU-starved machine a
// sender may encode below 20 fps; a camera then passes at 75 % of what its
// sender encodes on the layer the receiver gets, whichever is lower.
//
// The senders play a noise clip (noiseVideoFile) so that each layer really
// needs its bitrate (Chromium's own fake picture codes in a few kbit/s at
// 240×135); the receiver turns its own camera off.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, noiseVideoFile, openParticipant } from './lib/browser.mjs';
import { cameraView as view, decoding } from './lib/cameras.mjs';
import { createNetwork, netnsSkipReason } from './lib/netns.mjs';
import { startServer } from './lib/server.mjs';
import { sleep, until, waitForFlow } from './lib/stats.mjs';

const CAMERA = { width: 960, height: 540 };
const SENDERS = 3;
// Audio of three (about 35 kbit/s each) and the lowest layer of one noise
// camera (150-250 kbit/s) fit; those of all three cameras do not.
const CAP_KBIT = 450;

const THIN_KBIT = 400;
const SETTLE_MS = 15000;    // after the cap: the estimate falls, the bridge holds back
const WINDOW_MS = 12000;
const MIN_FPS = 15;

/** Frames each sender's camera encodes per layer height so far. */
function encodedByHeight(page) {
  return page.evaluate(async () => {
    const out = {};
    (await window.stoa.pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video' && r.frameHeight) out[r.frameHeight] = r.framesEncoded ?? 0;
    });
    return out;
  });
}

describe('bandwidth sets a Last-N of its own; a thin link gets fewer cameras that move', { timeout: 360000, skip: netnsSkipReason() }, () => {
  let net;
  let server;
  const browsers = [];
  const senders = [];
  let receiver;

  before(async () => {
    net = createNetwork({ count: SENDERS + 1 });
    server = await startServer({ label: 'bandwidth-last-n', workers: 1, extraArgs: ['--public-ip', net.hostIp] });
    const clip = noiseVideoFile({ ...CAMERA, fps: 20 });
    browsers.push(...await Promise.all(net.hosts.map((h, i) =>
      launchBrowser({ executablePath: h.chromium, fakeVideoFile: i < SENDERS ? clip : undefined }))));
  });

  after(async () => {
    await Promise.all([...senders, receiver].filter(Boolean).map(closeParticipant));
    await Promise.all(browsers.map((b) => b.close().catch(() => {})));
    net?.uncapDownload(SENDERS);
    await server?.kill();
    net?.destroy();
  });

  test('under a cap the receiver gets fewer cameras, knows which, and all again after it', async () => {
    const url = `http://${net.hostIp}:${server.httpPort}`;
    for (let i = 0; i < SENDERS; i++)
      senders.push(await openParticipant(browsers[i], url, { room: 'bw', name: `S${i + 1}`, camera: CAMERA }));
    receiver = await openParticipant(browsers[SENDERS], url, { room: 'bw', name: 'R' });
    await receiver.page.locator('[data-testid="camera-toggle"]').click();
    const ids = senders.map((s) => s.id);
    await waitForFlow(receiver, ids, { timeoutMs: 30000, kinds: ['video'] });

    net.capDownload(SENDERS, { kbit: CAP_KBIT });
    // The estimate falls, layers go down, then whole cameras are held back.
    let held = null;
    await until(async () => {
      const v = await view(receiver.page, ids);
      if (v.forwarded && v.forwarded.length >= 1 && v.forwarded.length < SENDERS) held = v;
      return held !== null;
    }, { timeoutMs: 40000, intervalMs: 500, what: `the bridge to hold back some of ${SENDERS} cameras under ${CAP_KBIT} kbit/s` });
    await sleep(3000);
    const a = await view(receiver.page, ids);
    // The estimate wavers around the cap (and on a busy machine the senders'
    // own rates waver with their CPU): a camera may come back for a while
    // and be held back again. So the test asserts on what the bridge
    // decided at each look: the looks that hold cameras back must mark
    // exactly those tiles; a camera held back at every look must not
    // decode; and some look in the window must hold one back.
    const heldThroughout = new Set(ids);
    const holding = [];
    for (let t = 0; t < 16; t++) {
      await sleep(250);
      const v = await view(receiver.page, ids);
      for (const id of v.forwarded ?? ids) heldThroughout.delete(id);
      if (v.forwarded && v.forwarded.length >= 1 && v.forwarded.length < SENDERS) holding.push(v);
    }
    const b = await view(receiver.page, ids);
    for (const id of b.forwarded ?? ids) heldThroughout.delete(id);
    console.log(`# under the cap: ${holding.length}/16 looks held cameras back; last forwarded ${JSON.stringify(b.forwarded)}, ` +
      `decoding ${JSON.stringify(decoding(a, b))}, held back all along ${JSON.stringify([...heldThroughout])}`);
    assert.ok(holding.length >= 1, 'the bridge held back some but not all cameras during the window');
    // The app marks the tiles in the same turn as it takes a forwarded
    // message, so each look is consistent.
    for (const v of holding) {
      const notForwarded = ids.filter((id) => !v.forwarded.includes(id));
      assert.deepEqual([...v.unmarked].sort(), [...notForwarded].sort(), 'the tiles of the held-back cameras are marked');
      for (const id of notForwarded)
        assert.equal(v.reasons[id], 'bandwidth', `${id}'s tile says it is paused for bandwidth (not Last-N)`);
    }
    for (const id of heldThroughout)
      assert.ok(!decoding(a, b).includes(id), `a camera held back all along (${id}) is not decoded`);
    assert.ok(decoding(a, b).length >= 1, 'at least one camera still decodes');

    net.uncapDownload(SENDERS);
    await until(async () => {
      const v = await view(receiver.page, ids);
      return v.forwarded && ids.every((id) => v.forwarded.includes(id)) && v.unmarked.length === 0;
    }, { timeoutMs: 40000, intervalMs: 500, what: 'every camera forwarded again after the cap is lifted' });
    const c = await view(receiver.page, ids);
    await sleep(3000);
    const d = await view(receiver.page, ids);
    assert.deepEqual(decoding(c, d).sort(), [...ids].sort(), 'every camera decodes again');
  });

  test(`at ${THIN_KBIT} kbit/s every camera decoded runs at ${MIN_FPS} fps or more, the others are held back`, async () => {
    assert.ok(receiver, 'needs the room of the previous test');
    const ids = senders.map((s) => s.id);
    await waitForFlow(receiver, ids, { timeoutMs: 30000, kinds: ['video'] });

    net.capDownload(SENDERS, { kbit: THIN_KBIT });
    await sleep(SETTLE_MS);
    const enc0 = await Promise.all(senders.map((s) => encodedByHeight(s.page)));
    const first = await view(receiver.page, ids);
    const looks = [first];
    while (Date.now() - first.t < WINDOW_MS) {
      await sleep(500);
      looks.push(await view(receiver.page, ids));
    }
    const last = looks.at(-1);
    const enc1 = await Promise.all(senders.map((s) => encodedByHeight(s.page)));
    const seconds = (last.t - first.t) / 1000;
    const cap = net.capStats(SENDERS);

    const report = ids.map((id, k) => {
      const fps = ((last.frames[id] ?? 0) - (first.frames[id] ?? 0)) / seconds;
      const height = last.heights[id] ?? 0;
      const sent = height && enc1[k][height] !== undefined ? (enc1[k][height] - (enc0[k][height] ?? 0)) / seconds : null;
      const forwardedAlways = looks.every((v) => !v.forwarded || v.forwarded.includes(id));
      const heldAlways = looks.every((v) => v.forwarded && !v.forwarded.includes(id));
      return { id, fps, height, sent, forwardedAlways, heldAlways, reason: last.reasons[id] ?? null };
    });
    console.log(`# ${THIN_KBIT} kbit/s, ${seconds.toFixed(1)} s window: ` + report.map((r) =>
      `${r.id} ${r.fps.toFixed(1)} fps at ${r.height} lines (sender ${r.sent?.toFixed(1) ?? '?'} fps), ` +
      `${r.heldAlways ? 'held back' : r.forwardedAlways ? 'forwarded' : 'forwarded part of the time'}` +
      `${r.reason ? ` (${r.reason})` : ''}`).join('; ') +
      `; tbf dropped ${cap?.dropped ?? '?'} packets`);

    const moving = report.filter((r) => r.fps > 0);
    assert.ok(moving.length >= 1, 'at least one camera decodes');
    assert.ok(moving.length < SENDERS, `not every camera fits ${THIN_KBIT} kbit/s: some are held back`);
    for (const r of moving) {
      const need = Math.min(MIN_FPS, r.sent !== null ? 0.75 * r.sent : MIN_FPS);
      assert.ok(r.fps >= need, `${r.id} decodes at ${r.fps.toFixed(1)} fps (at least ${need.toFixed(1)})`);
    }
    for (const r of report.filter((x) => x.fps === 0)) {
      assert.ok(!last.forwarded || !last.forwarded.includes(r.id), `${r.id} does not decode and is reported held back`);
      assert.ok(last.unmarked.includes(r.id), `${r.id}'s tile is marked paused`);
      assert.equal(last.reasons[r.id], 'bandwidth', `${r.id}'s tile says why: bandwidth`);
    }
  });
});
