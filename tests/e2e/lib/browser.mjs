// One headless Chromium per test file; one browser context (its own
// cookies, storage and fake devices) per participant.
//
//   CHROMIUM_BIN   the browser (default /usr/bin/chromium); never downloaded.

import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30000,
  });
}

/**
 * Records, inside the page, when the first remote video frame of each
 * participant was decoded: window.__firstFrames[participantId] = epoch ms.
 * getStats is polled every `intervalMs` from the moment the page has a
 * peer connection.
 */
function firstFrameProbe(intervalMs) {
  window.__firstFrames = {};
  const poll = async () => {
    const s = window.stoa;
    if (s?.pc && s.pc.connectionState !== 'closed') {
      try {
        const report = await s.pc.getStats();
        report.forEach((r) => {
          if (r.type !== 'inbound-rtp' || r.kind !== 'video' || !(r.framesDecoded > 0)) return;
          const who = s.mids?.get(r.mid)?.participant ?? `mid:${r.mid}`;
          if (!(who in window.__firstFrames)) window.__firstFrames[who] = performance.timeOrigin + performance.now();
        });
      } catch {
        // the connection went away
      }
    }
    setTimeout(poll, intervalMs);
  };
  setTimeout(poll, 0);
}

/**
 * A participant page. With autojoin (the default) it loads
 * `/<room>?name=<name>&autojoin=1` and waits until the server said `joined`.
 */
export async function openParticipant(browser, baseUrl, { room, name, autojoin = true, waitJoined = true, probeFirstFrames = false, probeIntervalMs = 20, timeoutMs = 15000, query: extraQuery = '' } = {}) {
  // The TLS test's certificate is self-signed.
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, ignoreHTTPSErrors: true });
  await context.grantPermissions(['camera', 'microphone'], { origin: baseUrl });
  if (probeFirstFrames) await context.addInitScript(firstFrameProbe, probeIntervalMs);
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const logs = [];
  page.on('console', (msg) => logs.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => logs.push(`[pageerror] ${err.message}`));

  const p = { context, page, name, room, logs, tGoto: 0 };
  if (room !== undefined) {
    const params = [autojoin ? `name=${encodeURIComponent(name)}&autojoin=1` : '', extraQuery].filter(Boolean).join('&');
    const query = params ? `?${params}` : '';
    p.tGoto = Date.now();
    await page.goto(`${baseUrl}/${encodeURIComponent(room)}${query}`, { timeout: timeoutMs });
    if (autojoin && waitJoined) await waitJoinedState(p, timeoutMs);
  }
  return p;
}

export async function waitJoinedState(p, timeoutMs = 15000) {
  try {
    await p.page.waitForFunction(() => window.stoa?.state === 'joined' && !!window.stoa.selfId, null, { timeout: timeoutMs });
  } catch (err) {
    throw new Error(`${p.name} did not join within ${timeoutMs} ms: ${err.message}\n${await describe(p)}`);
  }
  p.id = await p.page.evaluate(() => window.stoa.selfId);
  return p.id;
}

/** State of a participant page, for failure messages. */
export async function describe(p) {
  let state = '(page gone)';
  try {
    state = JSON.stringify(
      await p.page.evaluate(() => {
        const s = window.stoa;
        if (!s) return null;
        return {
          state: s.state,
          selfId: s.selfId,
          room: s.room,
          version: s.version,
          connection: s.pc?.connectionState,
          ice: s.pc?.iceConnectionState,
          participants: [...s.participants.values()],
          mids: Object.fromEntries(s.mids),
          errors: s.errors,
          banner: document.getElementById('banner')?.hidden ? null : document.getElementById('banner-text')?.textContent,
          view: document.body.dataset.view,
        };
      }),
    );
  } catch {
    // keep the default
  }
  return `--- ${p.name}: ${state}\n${p.logs.slice(-15).join('\n')}`;
}

export async function closeParticipant(p) {
  try {
    await p.context.close();
  } catch {
    // already closed
  }
}
