// Firefox in a room with Chromium, through the web app: Firefox answers the
// camera's simulcast offer listing each layer's SSRC and RTX SSRC (FID
// groups), where Chromium lists none, and both must work the same.
//  1. One Firefox and two Chromium participants: each decodes the others'
//     video and receives their audio, and nobody got an error (the server
//     refused none of Firefox's answers).
//  2. Firefox shares its screen: the Chromium participants decode it as a
//     second video stream.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import {
  closeFirefoxParticipant, firefoxReachableAddress, haveFirefox, haveXvfb, launchFirefox, openFirefoxParticipant,
} from './lib/firefox.mjs';
import { inboundBySource, tid, waitSourceFlowing } from './lib/meeting.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';
import { waitForFlow } from './lib/stats.mjs';

const ROOM = 'mixed-engines';

const address = firefoxReachableAddress();
const skip = !haveFirefox() ? 'needs firefox-esr' : !haveXvfb() ? 'needs xvfb' : !address ? 'needs an address other than loopback' : false;

describe('Firefox with Chromium', { timeout: 150000, skip }, () => {
  let server;
  let chromium;
  let firefox;
  let fox;
  let ann;
  let ben;

  before(async () => {
    server = await startServer({ label: 'firefox', publicIp: address });
    [chromium, firefox] = await Promise.all([launchBrowser(), launchFirefox({ screen: true })]);
  });

  after(async () => {
    for (const p of [ann, ben]) if (p) await closeParticipant(p);
    if (fox) await closeFirefoxParticipant(fox);
    await chromium?.close();
    await firefox?.close();
    await server?.kill();
  });

  test('one Firefox and two Chromium participants decode each other\'s video and receive each other\'s audio', async () => {
    fox = await openFirefoxParticipant(firefox, server.url, { room: ROOM, name: 'Fox' });
    [ann, ben] = await Promise.all([
      openParticipant(chromium, server.url, { room: ROOM, name: 'Ann' }),
      openParticipant(chromium, server.url, { room: ROOM, name: 'Ben' }),
    ]);
    const everyone = [fox, ann, ben];
    await Promise.all(everyone.map((p) => waitForFlow(p, everyone.filter((o) => o !== p).map((o) => o.id), { timeoutMs: 30000 })));
    // The server took Firefox's answers: no bad-answer anywhere.
    for (const p of everyone) {
      const errors = await p.page.evaluate(() => window.stoa.errors.map((e) => e.code));
      assert.deepEqual(errors, [], `${p.name} got errors ${JSON.stringify(errors)}`);
    }
    // docs/screenshots/firefox.png: the call as the Firefox participant sees it.
    {
      await fox.page.raw.setViewport({ width: 1280, height: 800 });
      await fox.page.waitForFunction(() => {
        const vids = [...document.querySelectorAll('[data-testid="tile"] video')].filter((v) => v.offsetParent !== null);
        return vids.length >= 3 && vids.every((v) => v.videoWidth > 0 && v.readyState >= 2);
      }, null, { timeout: 15000 });
      await new Promise((r) => setTimeout(r, 800));
      const file = path.join(REPO_ROOT, 'docs', 'screenshots', 'firefox.png');
      await fox.page.raw.screenshot({ path: file });
      assert.ok(fs.statSync(file).size > 10 * 1024, 'firefox.png was written');
      console.log(`# docs/screenshots/firefox.png: ${fs.statSync(file).size} bytes`);
    }
    const refused = await server.metric('stoa_refused_total{reason="ssrc-in-use"}');
    assert.ok(!(refused > 0), `SSRC refusals: ${refused}`);
  });

  test('Firefox shares its screen: the Chromium participants decode it as a second video stream', async () => {
    await fox.page.click(tid('screen-toggle'));
    await fox.page.waitForFunction(() => !!window.stoa.screenStream, null, { timeout: 15000 })
      .catch(async () => assert.fail(`Fox has no screen stream: ${fox.logs.slice(-10).join('\n')}`));
    for (const p of [ann, ben]) {
      const screen = await waitSourceFlowing(p, fox.id, 'screen', 'video', { timeoutMs: 20000 });
      const camera = (await inboundBySource(p)).find((s) => s.participant === fox.id && s.source === 'camera' && s.kind === 'video');
      assert.ok(camera, `${p.name} still has Fox's camera`);
      assert.notEqual(screen.after.ssrc, camera.ssrc, `${p.name}: the screen is a stream of its own`);
    }
  });
});
