// Two rooms on one server at once never see each other's media.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { rtpStats, waitForFlow } from './lib/stats.mjs';

describe('rooms are isolated', { timeout: 90000 }, () => {
  let server;
  let browser;
  let people = [];

  before(async () => {
    server = await startServer({ label: 'rooms-isolation' });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    await server?.kill();
  });

  test('two rooms of two: each page gets media from its own room only', async () => {
    const plan = [
      { room: 'north', name: 'Ann' },
      { room: 'south', name: 'Sam' },
      { room: 'north', name: 'Ned' },
      { room: 'south', name: 'Sue' },
    ];
    people = await Promise.all(plan.map((x) => openParticipant(browser, server.url, x)));
    const inRoom = (room) => people.filter((p) => p.room === room);

    // Everybody decodes their room-mate first, so that the stats below are complete.
    await Promise.all(
      people.map((p) => {
        const mate = inRoom(p.room).find((o) => o !== p);
        return waitForFlow(p, [mate.id], { timeoutMs: 20000 });
      }),
    );

    const stats = new Map();
    for (const p of people) stats.set(p, await rtpStats(p.page));

    for (const p of people) {
      const mate = inRoom(p.room).find((o) => o !== p);
      const strangers = people.filter((o) => o.room !== p.room);

      const participants = await p.page.evaluate(() => [...window.stoa.participants.keys()]);
      assert.deepEqual(participants, [mate.id], `${p.name} knows exactly one other participant`);
      const tiles = await p.page.locator('#tiles .tile').count();
      assert.equal(tiles, 2, `${p.name} shows two tiles`);

      const mids = await p.page.evaluate(() => [...window.stoa.mids.values()].map((m) => m.participant));
      for (const s of strangers) assert.ok(!mids.includes(s.id), `${p.name}'s offers carry no section of ${s.name}`);

      // A camera arrives as simulcast layers and leaves the bridge as one
      // stream under the SSRC the server announced for it in p's offer.
      const remoteSdp = await p.page.evaluate(() => window.stoa.pc.remoteDescription.sdp);
      const strangerSsrcs = strangers.flatMap((s) => stats.get(s).outbound.map((o) => o.ssrc));
      const inboundVideo = stats.get(p).inbound.filter((i) => i.kind === 'video');
      assert.ok(inboundVideo.length >= 1, `${p.name} receives video`);
      for (const i of inboundVideo) {
        assert.ok(remoteSdp.includes(`a=ssrc:${i.ssrc} msid:${mate.id} ${mate.id}-camera`),
          `${p.name}'s inbound video ssrc ${i.ssrc} is announced as ${mate.name}'s camera`);
        for (const s of strangers)
          assert.ok(!remoteSdp.includes(`msid:${s.id} `), `${p.name}'s offer names nothing of ${s.name}`);
      }
      for (const i of stats.get(p).inbound) {
        assert.ok(!strangerSsrcs.includes(i.ssrc), `${p.name} receives ssrc ${i.ssrc} of the other room`);
      }
    }
  });

  test('stoa exits with status 0 within 5 s of SIGTERM', async () => {
    await Promise.all(people.map(closeParticipant));
    await server.stop();
  });
});
