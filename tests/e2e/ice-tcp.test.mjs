// ICE-TCP: when UDP to the bridge is blocked (an nftables rule on this
// machine drops UDP to the test server's media ports), browsers still get in
// over the bridge's passive TCP candidates (RFC 6544) and exchange media.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { addInputRule, canUseNft } from './lib/nft.mjs';
import { startServer } from './lib/server.mjs';
import { waitForFlow } from './lib/stats.mjs';

/** The protocol of the local candidate of the selected candidate pair. */
async function selectedProtocol(page) {
  return page.evaluate(async () => {
    const stats = await window.stoa.pc.getStats();
    let pair = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    });
    if (!pair) return null;
    return stats.get(pair.localCandidateId)?.protocol ?? null;
  });
}

describe('ice-tcp', { timeout: 120000, skip: canUseNft() ? false : 'needs root and nftables' }, () => {
  let server;
  let browser;
  let unblock = () => {};
  let people = [];

  before(async () => {
    server = await startServer({ label: 'ice-tcp', workers: 2 });
    unblock = addInputRule(`stoa_e2e_${server.mediaPort}`,
      ['udp', 'dport', `${server.mediaPort}-${server.mediaPort + 1}`, 'drop']);
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    unblock();
    await server?.kill();
  });

  test('with UDP blocked, two participants connect over TCP and decode each other', async () => {
    people = await Promise.all([
      openParticipant(browser, server.url, { room: 'no-udp', name: 'Tia' }),
      openParticipant(browser, server.url, { room: 'no-udp', name: 'Ted' }),
    ]);
    await waitForFlow(people[0], [people[1].id], { timeoutMs: 30000 });
    await waitForFlow(people[1], [people[0].id], { timeoutMs: 30000 });
    for (const p of people) assert.equal(await selectedProtocol(p.page), 'tcp', `${p.name} uses TCP`);
    await server.stop();
  });
});
