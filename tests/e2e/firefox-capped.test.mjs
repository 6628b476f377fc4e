// A Firefox receiver behind a 500 kbit/s cap gets a lower simulcast layer.
// A Chromium sender sends three layers of a noise clip (the top one well
// over 500 kbit/s); a Firefox participant pins it on its stage. Then the
// bridge's UDP to Firefox is policed to 500 kbit/s (an nftables
// `limit rate over … drop` on that flow: loopback has no shaper of its
// own, and Firefox's BiDi session cannot be driven into a network
// namespace). The flow is found by counting for two seconds where the
// bridge's packets go, per destination port (Firefox downloads a camera,
// the sender only Firefox's audio), and it must be the UDP pair Firefox
// selected: Firefox nominates its ICE-TCP pair too, and the bridge once
// sent on whichever was nominated last, so that a cap on Firefox's UDP
// port matched nothing in some runs (RFC 8445 8.1.1: the nominated pair of
// the highest priority is the one used). While
// capped, Firefox must get a smaller frameHeight than the sender's top
// layer within 15 s and spend little time on the top layer after that
// (the bridge may try it again, at most twice in 20 s: its back-off after
// a failed switch up doubles); once the cap is gone, the top layer again.
// Judged on what Firefox decodes (getStats), what the sender encodes, and
// what the policer dropped.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, noiseVideoFile, openParticipant } from './lib/browser.mjs';
import {
  closeFirefoxParticipant, firefoxReachableAddress, haveFirefox, launchFirefox, openFirefoxParticipant,
} from './lib/firefox.mjs';
import { addInputRule, canUseNft, countByDestPort } from './lib/nft.mjs';
import { startServer } from './lib/server.mjs';
import { sleep, until } from './lib/stats.mjs';

const CAMERA = { width: 960, height: 540 };
const CAP_KBYTES = 62;            // 500 kbit/s
const WARM_UP_MS = 60000;
const DOWN_WITHIN_MS = 15000;
const CAPPED_MS = 20000;
const UP_WITHIN_MS = 30000;       // the bridge's back-off after failed switches up is up to 20 s

const address = firefoxReachableAddress();
const skip = !haveFirefox() ? 'needs firefox-esr' : !address ? 'needs an address other than loopback'
  : !canUseNft() ? 'needs root and nft' : false;

/** Firefox's view of the sender's camera: frameHeight, bytes, frames; and its media port. */
function foxSample(fox, senderId) {
  return fox.page.evaluate(async (sender) => {
    const s = window.stoa;
    const stats = await s.pc.getStats();
    const out = { t: Date.now(), height: 0, bytes: 0, frames: 0, port: null };
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        const who = s.mids.get(r.mid);
        if (who?.participant === sender && who.source === 'camera') {
          out.height = r.frameHeight ?? 0;
          out.bytes = r.bytesReceived ?? 0;
          out.frames = r.framesDecoded ?? 0;
        }
      }
      // Firefox marks the pair in use `selected`.
      if (r.type === 'candidate-pair' && r.selected && r.state === 'succeeded') {
        const local = stats.get(r.localCandidateId);
        const remote = stats.get(r.remoteCandidateId);
        out.port = local?.port ?? out.port;
          out.pair = `${local?.protocol} ${local?.address}:${local?.port} -> ${remote?.address}:${remote?.port}`;
      }
    });
    return out;
  }, senderId);
}

/** The tallest layer the sender is encoding now. */
function senderTop(page) {
  return page.evaluate(async () => {
    let top = 0;
    (await window.stoa.pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video' && (r.framesPerSecond ?? 0) > 0) top = Math.max(top, r.frameHeight ?? 0);
    });
    return top;
  });
}

describe('Firefox receiver behind a download cap', { timeout: 200000, skip }, () => {
  let server;
  let chromium;
  let firefox;
  let sender;
  let fox;
  let uncap = () => {};
  const state = {};

  before(async () => {
    server = await startServer({ label: 'firefox-capped', workers: 1, publicIp: address });
    [chromium, firefox] = await Promise.all([
      launchBrowser({ fakeVideoFile: noiseVideoFile({ ...CAMERA, fps: 20 }) }),
      launchFirefox(),
    ]);
  });

  after(async () => {
    uncap();
    if (fox) await closeFirefoxParticipant(fox);
    if (sender) await closeParticipant(sender);
    await chromium?.close();
    await firefox?.close();
    await server?.kill();
  });

  test('uncapped, Firefox decodes the sender\'s top layer', async () => {
    sender = await openParticipant(chromium, server.url, { room: 'fox-capped', name: 'Sam', camera: CAMERA });
    fox = await openFirefoxParticipant(firefox, server.url, { room: 'fox-capped', name: 'Fox', viewport: { width: 1280, height: 800 } });
    // Pinned on Firefox's stage, its own camera off: the sender's camera is what it downloads.
    await fox.page.evaluate((id) => {
      document.querySelector(`[data-testid="tile"][data-participant="${id}"][data-source="camera"]`)
        ?.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
      document.querySelector('[data-testid="camera-toggle"]')?.click();
    }, sender.id);
    const t0 = Date.now();
    await until(async () => {
      const top = await senderTop(sender.page);
      const a = await foxSample(fox, sender.id);
      await sleep(2000);
      const b = await foxSample(fox, sender.id);
      state.port = b.port;
      state.pair = b.pair;
      state.top = top;
      state.kbit = ((b.bytes - a.bytes) * 8) / (b.t - a.t);
      return top >= CAMERA.height && b.height === top && state.kbit > 600 && b.port;
    }, { timeoutMs: WARM_UP_MS, intervalMs: 0, what: 'Firefox to decode the top layer at over 600 kbit/s' })
      .finally(() => console.log(`# warm-up ${Date.now() - t0} ms: sender top ${state.top}, Firefox ${state.kbit?.toFixed(0)} kbit/s, port ${state.port}`));
  });

  test(`capped at ${CAP_KBYTES * 8} kbit/s, Firefox gets a lower layer; uncapped, the top one again`, async () => {
    assert.ok(state.port, 'needs the call of the first test');
    const flows = await countByDestPort('stoa_fox_seen', server.mediaPort, 2000);
    console.log(`# the bridge's UDP in 2 s, per destination port: ${JSON.stringify(flows)}; Firefox says its pair is ${state.pair}`);
    assert.ok(flows.length > 0 && flows[0].bytes > 100000, 'the bridge sends Firefox its camera stream over UDP');
    assert.equal(flows[0].port, state.port, 'on the pair Firefox selected');
    uncap = addInputRule('stoa_fox_cap', ['udp', 'sport', String(server.mediaPort), 'udp', 'dport', String(flows[0].port),
      'limit', 'rate', 'over', `${CAP_KBYTES}`, 'kbytes/second', 'counter', 'drop']);
    const capAt = Date.now();
    const timeline = [];
    while (Date.now() - capAt < CAPPED_MS) {
      timeline.push({ ...(await foxSample(fox, sender.id)), top: await senderTop(sender.page) });
      await sleep(500);
    }
    const down = timeline.find((x) => x.height > 0 && x.top > 0 && x.height < x.top);
    const tail = timeline.filter((x) => x.t >= capAt + CAPPED_MS - 5000);
    const tailKbit = ((tail.at(-1).bytes - tail[0].bytes) * 8) / (tail.at(-1).t - tail[0].t);
    const counted = (() => {
      try {
        return execFileSync('nft', ['list', 'table', 'inet', 'stoa_fox_cap']).toString().match(/counter packets \d+ bytes \d+/)?.[0];
      } catch {
        return 'no table';
      }
    })();
    console.log(`# policer dropped: ${counted}; Firefox's pair ${state.pair}`);
    console.log(`# capped: Firefox frameHeight ${[...new Set(timeline.map((x) => x.height))].join('/')} ` +
      `(sender top ${[...new Set(timeline.map((x) => x.top))].join('/')}), first lower after ${down ? down.t - capAt : 'never'} ms, ` +
      `last 5 s ${tailKbit.toFixed(0)} kbit/s, ${tail.at(-1).frames - tail[0].frames} frames`);
    assert.ok(Number(counted?.match(/packets (\d+)/)?.[1] ?? 0) > 0, `the policer dropped packets: the cap bit (${counted})`);
    assert.ok(down && down.t - capAt <= DOWN_WITHIN_MS, `Firefox switches to a lower layer within ${DOWN_WITHIN_MS} ms`);
    const since = timeline.filter((x) => x.t >= down.t && x.top > 0);
    const onTop = since.filter((x) => x.height >= x.top).length;
    const tries = since.filter((x, i) => i > 0 && x.height >= x.top && since[i - 1].height < x.top).length;
    const text = since.map((x) => `${x.t - capAt}:${x.height}`).join(' ');
    assert.ok(onTop <= since.length * 0.3 && tries <= 2,
      `after that mostly below the top layer: ${onTop} of ${since.length} samples on top, ${tries} tries up (ms:height ${text})`);
    assert.ok(tail.at(-1).frames > tail[0].frames, 'and keeps decoding');

    uncap();
    const uncapAt = Date.now();
    await until(async () => {
      const x = await foxSample(fox, sender.id);
      return x.height > 0 && x.height === (await senderTop(sender.page));
    }, { timeoutMs: UP_WITHIN_MS, intervalMs: 500, what: 'the top layer back at Firefox' });
    console.log(`# top layer back ${Date.now() - uncapAt} ms after the cap was lifted`);
  });
});
