// Congestion control towards senders: the bridge sends transport-wide
// feedback (transport-cc) about every browser's media, so the browser's own
// estimator sees the path to the bridge.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { sleep, waitForFlow } from './lib/stats.mjs';

describe('congestion feedback', { timeout: 90000 }, () => {
  let server;
  let browser;
  let people = [];

  before(async () => {
    server = await startServer({ label: 'congestion-feedback', workers: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    await server?.kill();
  });

  test('the bridge sends transport-cc feedback and the browsers negotiate it for what they send', async () => {
    people = await Promise.all([
      openParticipant(browser, server.url, { room: 'cc', name: 'Una' }),
      openParticipant(browser, server.url, { room: 'cc', name: 'Vic' }),
    ]);
    await waitForFlow(people[0], [people[1].id], { timeoutMs: 20000 });
    const before = await server.metric('stoa_twcc_feedback_sent_total');
    await sleep(3000);
    const after = await server.metric('stoa_twcc_feedback_sent_total');
    // Two senders, a feedback packet every 50 ms each: about 120 in 3 s.
    assert.ok(after - before >= 60, `feedback flows (${after - before} packets in 3 s)`);
    for (const p of people) {
      const sdp = await p.page.evaluate(() => window.stoa.pc.localDescription.sdp);
      const own = sdp.split('m=').find((m) => m.includes('a=mid:1\r\n'));
      assert.match(own, /a=rtcp-fb:96 transport-cc/, `${p.name} agreed to transport-cc for its camera`);
      const avail = await p.page.evaluate(async () => {
        let v = 0;
        (await window.stoa.pc.getStats()).forEach((r) => {
          if (r.type === 'candidate-pair' && r.nominated) v = r.availableOutgoingBitrate ?? 0;
        });
        return v;
      });
      assert.ok(avail > 0, `${p.name}'s estimator has an outgoing bitrate (${avail})`);
    }
    await server.stop();
  });
});
