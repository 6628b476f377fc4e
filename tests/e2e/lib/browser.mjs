// One headless Chromium per test file; one browser context (its own
// cookies, storage and fake devices) per participant.
//
//   CHROMIUM_BIN   the browser (default /usr/bin/chromium); never downloaded.
//
// A browser inside a network namespace (lib/netns.mjs) is its own Browser:
// launchBrowser({ executablePath: net.host(i).chromium }).

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

/**
 * executablePath: e.g. a wrapper script that runs Chromium in a namespace.
 * fakeVideoFile: a .y4m file the fake camera plays (in a loop) instead of
 * its own drawing, for every page of this browser (see noiseVideoFile).
 */
export function launchBrowser({ executablePath, fakeVideoFile } = {}) {
  return chromium.launch({
    executablePath: executablePath || process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: fakeVideoFile ? [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${fakeVideoFile}`] : CHROMIUM_ARGS,
    timeout: 30000,
  });
}

/**
 * Writes (once per size, into the temp directory) a Y4M clip of `frames`
 * frames: a moving gradient under random noise (0..noise-1 added to each
 * luma sample, fresh every frame). Chromium's own fake camera
 * draws a simple picture that VP8 codes in a few hundred kbit/s even at
 * 960×540; noise makes the encoder use every bit its target allows, so the
 * layers' bitrates are those the browser aims for. Returns the path.
 */
export function noiseVideoFile({ width = 960, height = 540, fps = 20, frames = 20, noise = 8 } = {}) {
  const file = path.join(os.tmpdir(), `stoa-noise-${width}x${height}-${fps}-${frames}-${noise}.y4m`);
  if (fs.existsSync(file)) return file;
  const ySize = width * height;
  const cSize = (width >> 1) * (height >> 1);
  const tmp = `${file}.${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  for (let f = 0; f < frames; f++) {
    const frame = Buffer.alloc(ySize + 2 * cSize);
    const grain = crypto.randomBytes(ySize);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        frame[i] = Math.min(255, Math.max(0, ((x + y + f * 12) % 256) * 0.6 + 20 + (grain[i] % noise)));
      }
    }
    const chroma = crypto.randomBytes(2 * cSize);
    for (let i = 0; i < 2 * cSize; i++) frame[ySize + i] = 128 - (noise >> 2) + (chroma[i] % ((noise >> 1) || 1));
    fs.writeSync(fd, 'FRAME\n');
    fs.writeSync(fd, frame);
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return file;
}

/**
 * Records, inside the page, when the first remote video frame of each
 * participant was decoded: window.__firstFrames[participantId] = epoch ms.
 * getStats is polled every `intervalMs` from the moment the page has a
 * peer connection.
 */
function firstFrameProbe(intervalMs) {
  window.__firstFrames = {};
  // Where the time before a first frame went: when the page first had a peer
  // connection, when it connected, and per participant the first video
  // packet received.
  window.__milestones = { firstPackets: {} };
  const now = () => performance.timeOrigin + performance.now();
  const poll = async () => {
    const s = window.stoa;
    const m = window.__milestones;
    if (s?.pc && s.pc.connectionState !== 'closed') {
      m.pc ??= now();
      if (s.pc.connectionState === 'connected') m.connected ??= now();
      try {
        const report = await s.pc.getStats();
        report.forEach((r) => {
          if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
          const who = s.mids?.get(r.mid)?.participant ?? `mid:${r.mid}`;
          if (r.packetsReceived > 0 && !(who in m.firstPackets)) m.firstPackets[who] = now();
          if (!(r.framesDecoded > 0)) return;
          if (!(who in window.__firstFrames)) window.__firstFrames[who] = now();
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
 * Makes the page's getUserMedia ask for a camera of width×height (ideal)
 * whatever the app asks, e.g. for enough pixels for three simulcast layers.
 */
function cameraOverride({ width, height }) {
  const md = navigator.mediaDevices;
  if (!md?.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints = {}) => {
    if (constraints.video) {
      const base = typeof constraints.video === 'object' ? constraints.video : {};
      constraints = { ...constraints, video: { ...base, width: { ideal: width }, height: { ideal: height } } };
    }
    return original(constraints);
  };
}

/**
 * A participant page. With autojoin (the default) it loads
 * `/<room>?name=<name>&autojoin=1` and waits until the server said `joined`.
 * camera: {width, height} overrides the resolution the app asks of the
 * (fake) camera; viewport: the page size (default 800×600).
 */
export async function openParticipant(browser, baseUrl, { room, name, autojoin = true, waitJoined = true, probeFirstFrames = false, probeIntervalMs = 20, timeoutMs = 15000, query: extraQuery = '', camera = null, viewport = { width: 800, height: 600 }, headers = undefined } = {}) {
  // The TLS test's certificate is self-signed. headers: sent with every
  // request of the page, its WebSocket's included (as a reverse proxy adds them).
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: true, extraHTTPHeaders: headers });
  await context.grantPermissions(['camera', 'microphone'], { origin: baseUrl });
  if (probeFirstFrames) await context.addInitScript(firstFrameProbe, probeIntervalMs);
  if (camera) await context.addInitScript(cameraOverride, camera);
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
