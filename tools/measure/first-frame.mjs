#!/usr/bin/env node
// Time to first remote video frame, on loopback.
//
// Each round: one participant is already in a room; a second one loads the
// room page (autojoin). Measured from just before page.goto to the moment the
// second page's getStats (polled every 20 ms inside the page) first shows a
// decoded video frame of the first participant.
//
//   node tools/measure/first-frame.mjs [--rounds 5] [--interval 20] [-- stoa options...]
//
// Needs `npm install` in tests/e2e (playwright-core) and the stoa binary
// (build/stoa, or STOA_BIN). Uses /usr/bin/chromium (or CHROMIUM_BIN).

import { parseArgs } from 'node:util';

import { closeParticipant, launchBrowser, openParticipant } from '../../tests/e2e/lib/browser.mjs';
import { startServer } from '../../tests/e2e/lib/server.mjs';
import { until } from '../../tests/e2e/lib/stats.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    interval: { type: 'string', default: '20' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node tools/measure/first-frame.mjs [--rounds N] [--interval MS] [-- stoa options...]');
  process.exit(0);
}
const rounds = Number(values.rounds);
const interval = Number(values.interval);
if (!(rounds >= 1) || !(interval >= 1)) throw new Error('--rounds and --interval must be positive numbers');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const server = await startServer({ label: 'measure-first-frame', extraArgs: positionals });
const browser = await launchBrowser();
const results = [];
let failed = false;
try {
  for (let i = 1; i <= rounds; i++) {
    const room = `first-frame-${i}`;
    const host = await openParticipant(browser, server.url, { room, name: 'Host' });
    // The host is really sending before the guest arrives.
    await until(
      () =>
        host.page.evaluate(async () => {
          let frames = 0;
          (await window.stoa.pc.getStats()).forEach((r) => {
            if (r.type === 'outbound-rtp' && r.kind === 'video') frames += r.framesEncoded ?? 0;
          });
          return frames > 0;
        }),
      { timeoutMs: 15000, what: 'the host to send video' },
    );

    const guest = await openParticipant(browser, server.url, {
      room,
      name: 'Guest',
      waitJoined: false,
      probeFirstFrames: true,
      probeIntervalMs: interval,
    });
    const t0 = guest.tGoto;
    const first = await until(() => guest.page.evaluate((id) => window.__firstFrames?.[id], host.id), {
      timeoutMs: 15000,
      intervalMs: 10,
      what: 'the first remote frame',
    });
    const ms = Math.round(first - t0);
    results.push(ms);
    console.log(`run ${i}: ${ms} ms`);
    await Promise.all([closeParticipant(guest), closeParticipant(host)]);
  }
  console.log(`median: ${median(results)} ms (of ${results.length} runs; min ${Math.min(...results)}, max ${Math.max(...results)})`);
} catch (err) {
  failed = true;
  console.error(`measurement failed: ${err.message}\nserver log ${server.logFile}:\n${server.logTail(20)}`);
} finally {
  await browser.close();
  try {
    await server.stop();
  } catch (err) {
    failed = true;
    console.error(err.message);
  }
}
process.exit(failed ? 1 : 0);
