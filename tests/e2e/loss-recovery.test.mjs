// Loss recovery: nftables drops 5 % of the bridge's packets to one receiver
// at random. Its video keeps decoding smoothly because the bridge answers its
// NACKs from the packet cache, as RTX; an unimpaired receiver sees no NACKs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { addInputRule, canUseNft } from './lib/nft.mjs';
import { startServer } from './lib/server.mjs';
import { sleep, waitForFlow } from './lib/stats.mjs';

/** The receiving side's UDP port (selected pair) and its inbound video from `sender`. */
async function sample(page, sender) {
  return page.evaluate(async (senderId) => {
    const s = window.stoa;
    const stats = await s.pc.getStats();
    let port = null;
    const midOfTrack = new Map();
    for (const tr of s.pc.getTransceivers()) if (tr.receiver?.track) midOfTrack.set(tr.receiver.track.id, tr.mid);
    let video = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) {
        const pair = stats.get(r.selectedCandidatePairId);
        port = stats.get(pair?.localCandidateId)?.port ?? null;
      }
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        const mid = r.mid ?? midOfTrack.get(r.trackIdentifier);
        const who = s.mids.get(mid);
        if (who?.participant === senderId && who.source !== 'screen') {
          video = { framesDecoded: r.framesDecoded ?? 0, nackCount: r.nackCount ?? 0,
            retransmitted: r.retransmittedPacketsReceived ?? 0,
            packetsLost: r.packetsLost ?? 0, freezeCount: r.freezeCount ?? 0, packetsReceived: r.packetsReceived ?? 0 };
        }
      }
    });
    return { port, video };
  }, sender);
}

describe('loss recovery', { timeout: 120000, skip: canUseNft() ? false : 'needs root and nftables' }, () => {
  let server;
  let browser;
  let unimpair = () => {};
  let people = [];

  before(async () => {
    server = await startServer({ label: 'loss-recovery', workers: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    unimpair();
    await server?.kill();
  });

  test('5 % loss towards one receiver: NACKs answered, video keeps decoding', async () => {
    const [sender, lossy, clean] = people = await Promise.all([
      openParticipant(browser, server.url, { room: 'lossy', name: 'Sam' }),
      openParticipant(browser, server.url, { room: 'lossy', name: 'Lee' }),
      openParticipant(browser, server.url, { room: 'lossy', name: 'Cal' }),
    ]);
    await waitForFlow(lossy, [sender.id], { timeoutMs: 20000 });
    await waitForFlow(clean, [sender.id], { timeoutMs: 20000 });

    const { port } = await sample(lossy.page, sender.id);
    assert.ok(port, 'the lossy receiver has a selected candidate pair');
    unimpair = addInputRule(`stoa_loss_${server.mediaPort}`, ['udp', 'sport', String(server.mediaPort), 'udp',
      'dport', String(port), 'numgen', 'random', 'mod', '100', '<', '5', 'drop']);

    const retransmittedBefore = await server.metric('stoa_retransmitted_packets_total');
    const start = (await sample(lossy.page, sender.id)).video;
    const cleanStart = (await sample(clean.page, sender.id)).video;
    let last = start;
    for (let i = 0; i < 5; i++) {
      await sleep(2000);
      const now = (await sample(lossy.page, sender.id)).video;
      assert.ok(now.framesDecoded > last.framesDecoded, `frames keep decoding under loss (${i}: ${now.framesDecoded})`);
      last = now;
    }
    const cleanEnd = (await sample(clean.page, sender.id)).video;
    const retransmitted = (await server.metric('stoa_retransmitted_packets_total')) - retransmittedBefore;

    const frames = last.framesDecoded - start.framesDecoded;
    const cleanFrames = cleanEnd.framesDecoded - cleanStart.framesDecoded;
    console.log(`# lossy receiver: ${frames} frames in 10 s, NACKs ${last.nackCount - start.nackCount}, ` +
      `freezes ${last.freezeCount - start.freezeCount}, packetsLost ${last.packetsLost}, ` +
      `retransmissions received ${last.retransmitted - start.retransmitted}; ` +
      `clean receiver: ${cleanFrames} frames, freezes ${cleanEnd.freezeCount - cleanStart.freezeCount}; ` +
      `bridge retransmitted ${retransmitted}`);
    assert.ok(last.nackCount > start.nackCount, 'the lossy receiver sent NACKs');
    assert.ok(retransmitted > 0, 'the bridge retransmitted from its cache');
    assert.ok(last.retransmitted > start.retransmitted, 'the receiver got them as RTX (RFC 4588)');
    // Freezes also happen without loss on a loaded 2-core machine: compare.
    const freezes = last.freezeCount - start.freezeCount;
    const cleanFreezes = cleanEnd.freezeCount - cleanStart.freezeCount;
    assert.ok(freezes <= cleanFreezes + 2, `freezes stay low (${freezes} vs ${cleanFreezes} without loss)`);
    assert.ok(frames >= cleanFrames * 0.8, `the lossy receiver decodes nearly as many frames (${frames} vs ${cleanFrames})`);
    assert.equal(cleanEnd.nackCount, cleanStart.nackCount, 'the clean receiver needed no NACK');

    unimpair();
    await server.stop();
  });
});
