// ICE-TCP: when UDP to the bridge is blocked (an nftables rule on this
// machine drops UDP to the test server's media ports), browsers still get in
// over the bridge's passive TCP candidates (RFC 6544) and exchange media.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { waitForFlow } from './lib/stats.mjs';

function nft(args) {
  execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function canUseNft() {
  try {
    execFileSync('nft', ['list', 'tables'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

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
  let table;
  let people = [];

  before(async () => {
    server = await startServer({ label: 'ice-tcp', workers: 2 });
    table = `stoa_e2e_${server.mediaPort}`;
    nft(['add', 'table', 'inet', table]);
    nft(['add', 'chain', 'inet', table, 'input', '{ type filter hook input priority 0 ; }']);
    nft(['add', 'rule', 'inet', table, 'input', 'udp', 'dport',
      `${server.mediaPort}-${server.mediaPort + 1}`, 'drop']);
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    if (table) {
      try { nft(['delete', 'table', 'inet', table]); } catch { /* already gone */ }
    }
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
