// Last-N: four participants each ask for at most one camera (`?lastn=1`).
// Each must decode exactly one remote video, be told which one (`forwarded`),
// and still hear everyone.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { rtpStats, sleep, until } from './lib/stats.mjs';

describe('last-n', { timeout: 120000 }, () => {
  let server;
  let browser;
  let people = [];

  before(async () => {
    server = await startServer({ label: 'last-n', workers: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    await server?.kill();
  });

  test('Last-N = 1 in a room of four: each receiver decodes exactly one remote camera', async () => {
    for (const name of ['Ada', 'Bo', 'Cam', 'Dot']) {
      people.push(await openParticipant(browser, server.url, { room: 'lastn', name, query: 'lastn=1' }));
    }
    // Everyone is told which one camera it gets.
    for (const p of people) {
      await until(async () => (await p.page.evaluate(() => window.stoa.forwarded?.length ?? -1)) === 1,
        { timeoutMs: 20000, what: `${p.name} told of one forwarded camera` });
    }
    await sleep(2500);   // let the forwarded cameras' keyframes arrive and old streams go quiet
    const first = await Promise.all(people.map((p) => rtpStats(p.page)));
    await sleep(2000);
    const second = await Promise.all(people.map((p) => rtpStats(p.page)));
    for (let i = 0; i < people.length; i++) {
      const p = people[i];
      const grew = (kind, field) => second[i].inbound.filter((b) => b.kind === kind && b.participant !== p.id &&
        b[field] > (first[i].inbound.find((a) => a.ssrc === b.ssrc)?.[field] ?? 0));
      const decoding = grew('video', 'framesDecoded');
      const forwarded = await p.page.evaluate(() => window.stoa.forwarded);
      assert.equal(decoding.length, 1, `${p.name} decodes exactly one remote video (${decoding.map((d) => d.participant)})`);
      assert.equal(decoding[0].participant, forwarded[0], `${p.name} decodes the camera it was told about`);
      assert.equal(grew('audio', 'packetsReceived').length, 3, `${p.name} still hears the three others`);
      const paused = await p.page.locator('[data-testid="tile"][data-forwarded="false"]').count();
      assert.equal(paused, 2, `${p.name} shows two paused camera tiles`);
      const why = await p.page.locator('[data-testid="tile"][data-forwarded="false"][data-paused-reason="last-n"]').count();
      assert.equal(why, 2, `${p.name}'s paused tiles say why: Last-N, not bandwidth`);
    }
    await server.stop();
  });
});
