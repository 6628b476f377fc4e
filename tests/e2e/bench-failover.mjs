// Benchmark (not a test): the media gap when a bridge dies. Each run starts
// a stoa focus and two stoa bridges, puts two Chromium participants in one
// room (on the bridge the focus chose), then kills that bridge (kill -9: its link closes at once)
// or stops it (SIGSTOP: it falls silent, found by the missed heartbeats) and
// measures, per participant, the time from the kill to frames of the other
// decoded again on the new peer connection. Prints every gap, then median
// and worst per way of dying.
//
//   cd tests/e2e && STOA_BIN=$PWD/../../build/stoa node bench-failover.mjs [runs]

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { makeSecret, placements, removeSecret, startBridge, startFocus } from './lib/cluster.mjs';
import { rtpStats, until, waitForFlow } from './lib/stats.mjs';

const runs = Number(process.argv[2] ?? 5);

async function framesFrom(p, from) {
  const s = await rtpStats(p.page);
  return s.inbound.filter((r) => r.kind === 'video' && r.participant === from).reduce((n, r) => n + r.framesDecoded, 0);
}

async function backAt(p, from) {
  await until(async () => (await p.page.evaluate(() => window.stoa.pc !== window.__pcBefore)) && (await framesFrom(p, from)) > 0,
    { timeoutMs: 30000, intervalMs: 50, what: `${p.name} decoding again` });
  return Date.now();
}

async function oneRun(browser, how) {
  const secretFile = makeSecret();
  const focus = await startFocus({ label: 'bench-failover', secretFile });
  const a = await startBridge(focus, { id: 'bench-a', secretFile });
  const b = await startBridge(focus, { id: 'bench-b', secretFile });
  const people = [];
  try {
    const alice = await openParticipant(browser, focus.url, { room: 'bench', name: 'Alice' });
    const bob = await openParticipant(browser, focus.url, { room: 'bench', name: 'Bob' });
    people.push(alice, bob);
    await Promise.all([waitForFlow(alice, [bob.id], { timeoutMs: 20000 }), waitForFlow(bob, [alice.id], { timeoutMs: 20000 })]);
    for (const p of people) await p.page.evaluate(() => { window.__pcBefore = window.stoa.pc; });
    const home = placements(focus, 'bench')[alice.id] === 'bench-a' ? a : b;   /* the less loaded took them */
    const t0 = Date.now();
    if (how === 'kill -9') await home.crash();
    else home.signal('SIGSTOP');
    const [ta, tb] = await Promise.all([backAt(alice, bob.id), backAt(bob, alice.id)]);
    return [ta - t0, tb - t0];
  } finally {
    await Promise.all(people.map(closeParticipant));
    a.signal('SIGCONT');
    b.signal('SIGCONT');
    await a.stop();
    await b.stop();
    await focus.stop();
    removeSecret(secretFile);
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const browser = await launchBrowser();
try {
  for (const how of ['kill -9', 'SIGSTOP']) {
    const gaps = [];
    for (let i = 0; i < runs; i++) {
      const g = await oneRun(browser, how);
      console.log(`${how} run ${i + 1}: ${g.join(' ms, ')} ms`);
      gaps.push(...g);
    }
    console.log(`${how}: ${gaps.length} participants over ${runs} runs, gap median ${median(gaps)} ms, worst ${Math.max(...gaps)} ms`);
  }
} finally {
  await browser.close();
}
