// stoa focus with bridges as their own processes, real Chromium peers:
// participants land on the bridges the focus chose, a bridge killed with
// kill -9 costs its participants a few seconds (a new peer connection on
// another bridge, no page reload, the room as it was) and the others
// nothing, a drained bridge takes no newcomer and "move now" moves its
// participants off.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openParticipant } from './lib/browser.mjs';
import { placements, startBridge, startCluster, topology } from './lib/cluster.mjs';
import { rtpStats, sleep, until, waitForFlow } from './lib/stats.mjs';

// Detection takes up to 3 heartbeat intervals (3 s) and a tick; then a new
// peer connection: ICE, DTLS, the first key frame. 20 s is a margin for a
// busy two-core machine; the figure is printed.
const GAP_LIMIT_MS = 20000;

/** Frames decoded from `from`'s camera, summed over the page's inbound video. */
async function framesFrom(p, from) {
  const s = await rtpStats(p.page);
  return s.inbound.filter((r) => r.kind === 'video' && r.participant === from).reduce((n, r) => n + r.framesDecoded, 0);
}

/** Resolves with the time at which `p` decodes new frames of `from` on a new peer connection. */
async function frameAgainAfter(p, from, pcBefore, { timeoutMs = GAP_LIMIT_MS + 5000 } = {}) {
  await until(async () => {
    const changed = await p.page.evaluate((old) => window.stoa.pc && window.stoa.pc !== window[old], pcBefore);
    return changed && (await framesFrom(p, from)) > 0;
  }, { timeoutMs, intervalMs: 100, what: `${p.name} decoding ${from} again` });
  return Date.now();
}

/** Samples framesDecoded of p from `from` every 250 ms for ms; returns the longest stall. */
async function longestStall(p, from, ms) {
  let last = await framesFrom(p, from);
  let lastRise = Date.now();
  let worst = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(250);
    const now = await framesFrom(p, from);
    if (now > last) {
      worst = Math.max(worst, Date.now() - lastRise);
      lastRise = Date.now();
      last = now;
    }
  }
  return Math.max(worst, Date.now() - lastRise);
}

describe('bridges as processes: placement, loss and drain', { timeout: 180000 }, () => {
  let cluster;
  let focus;
  let browser;
  let bridges;
  let people;
  let secretFile;

  before(async () => {
    cluster = await startCluster({ label: 'bridge-failover', bridges: [{ key: 'a', id: 'site-a', region: 'a' }, { key: 'b', id: 'site-b', region: 'b' }] });
    ({ focus, browser, bridges, people, secretFile } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('each conference on the bridge of its region; a bridge killed: its participants are back without a reload, the others never stop', async () => {
    // Each on the bridge of their region, the two bridges relaying.
    const alice = await openParticipant(browser, focus.url, { room: 'Failover', name: 'Alice', query: 'region=a' });
    const bob = await openParticipant(browser, focus.url, { room: 'Failover', name: 'Bob', query: 'region=b' });
    const [carol, dave] = await Promise.all([
      openParticipant(browser, focus.url, { room: 'Steady', name: 'Carol', query: 'region=b' }),
      openParticipant(browser, focus.url, { room: 'Steady', name: 'Dave', query: 'region=b' }),
    ]);
    people.push(alice, bob, carol, dave);
    await Promise.all([
      waitForFlow(alice, [bob.id], { timeoutMs: 20000 }),
      waitForFlow(bob, [alice.id], { timeoutMs: 20000 }),
      waitForFlow(carol, [dave.id], { timeoutMs: 20000 }),
      waitForFlow(dave, [carol.id], { timeoutMs: 20000 }),
    ]);

    const failover = placements(focus, 'Failover');
    const steady = placements(focus, 'Steady');
    assert.equal(failover[alice.id], 'site-a', `region a goes to site-a: ${JSON.stringify(failover)}`);
    assert.equal(failover[bob.id], 'site-b', `region b goes to site-b, relayed: ${JSON.stringify(failover)}`);
    assert.equal(steady[carol.id], 'site-b', `region b goes to site-b: ${JSON.stringify(steady)}`);
    assert.equal(steady[dave.id], 'site-b');
    const victim = bridges.a;
    const survivor = bridges.b;

    // Marks that a reload would lose; the peer connections as they are now.
    for (const p of [alice, bob]) {
      await p.page.evaluate(() => {
        window.__notReloaded = true;
        window.__pcBefore = window.stoa.pc;
      });
    }
    const roleBefore = await alice.page.evaluate(() => window.stoa.role);

    const killed = Date.now();
    const stallPromise = Promise.all([longestStall(carol, dave.id, 12000), longestStall(dave, carol.id, 12000)]);
    const bobFramesAtKill = await framesFrom(bob, alice.id);
    await victim.crash();
    // Alice gets a new session on site-b; Bob, whose bridge lives, keeps his
    // and decodes Alice again once her new stream reaches it.
    const [aliceBack, bobBack] = await Promise.all([
      frameAgainAfter(alice, bob.id, '__pcBefore'),
      until(async () => (await framesFrom(bob, alice.id)) > bobFramesAtKill + 10 && Date.now(),
        { timeoutMs: GAP_LIMIT_MS + 5000, intervalMs: 100, what: 'Bob decoding Alice again' }),
    ]);
    const gaps = { Alice: aliceBack - killed, Bob: bobBack - killed };
    const stalls = await stallPromise;
    console.log(`# bridge killed: frames decoded again after ${gaps.Alice} ms (Alice) and ${gaps.Bob} ms (Bob); ` +
      `the other conference's longest stall ${stalls[0]} / ${stalls[1]} ms`);
    for (const [name, gap] of Object.entries(gaps)) assert.ok(gap < GAP_LIMIT_MS, `${name} back within ${GAP_LIMIT_MS} ms (${gap})`);
    for (const s of stalls) assert.ok(s < 2000, `the conference on the other bridge never stops (longest stall ${s} ms)`);

    assert.equal(await bob.page.evaluate(() => window.stoa.pc === window.__pcBefore), true,
      'Bob, on the surviving bridge, keeps his peer connection');
    for (const p of [alice, bob]) {
      assert.equal(await p.page.evaluate(() => window.__notReloaded === true && window.stoa.state === 'joined'), true, `${p.name}'s page was not reloaded`);
      assert.equal(await p.page.evaluate(() => window.stoa.selfId), p.id, `${p.name} is the same participant`);
    }
    assert.equal(await alice.page.evaluate(() => window.stoa.role), roleBefore, 'Alice keeps her role');
    await waitForFlow(alice, [bob.id], { timeoutMs: 10000 });
    await waitForFlow(bob, [alice.id], { timeoutMs: 10000 });
    const moved = placements(focus, 'Failover');
    assert.equal(moved[alice.id], survivor.id, `moved to the surviving bridge: ${JSON.stringify(moved)}`);
    assert.match(focus.log(), /bridge site-a \(127\.0\.0\.1\) lost: (link closed|no heartbeat)/);
    // The operator's view agrees: site-a is gone, both are on site-b with media.
    const topo = await topology(focus);
    assert.deepEqual(topo.bridges.map((b) => b.id).sort(), ['site-b']);
    const room = topo.rooms.find((r) => r.participants.some((p) => p.id === alice.id));
    assert.deepEqual(room.participants.map((p) => [p.bridge, p.media]), [['site-b', true], ['site-b', true]]);
    assert.deepEqual(room.relays, [], 'the relay to the lost bridge is gone');

    // The killed bridge comes back under its name and takes participants again.
    bridges.a = await startBridge(focus, { id: 'site-a', region: 'a', secretFile });
  });

  test('drain: a draining bridge takes no newcomer; move now moves its participants off', async () => {
    const steadyPeople = people.filter((p) => p.room === 'Steady');
    const [carol, dave] = steadyPeople;
    // site-b carries Steady and (since the kill) Failover. Drain it.
    bridges.b.signal('SIGUSR1');
    await until(() => /bridge site-b is draining/.test(focus.log()), { timeoutMs: 5000, what: 'the focus seeing the drain' });
    const erin = await openParticipant(browser, focus.url, { room: 'Newcomers', name: 'Erin', query: 'region=b' });
    people.push(erin);
    await until(() => placements(focus, 'Newcomers')[erin.id], { what: 'Erin placed' });
    assert.equal(placements(focus, 'Newcomers')[erin.id], 'site-a', 'a draining bridge takes no newcomer, even of its region');

    for (const p of [carol, dave]) await p.page.evaluate(() => { window.__pcBefore = window.stoa.pc; });
    const asked = Date.now();
    bridges.b.signal('SIGUSR2');
    const [c, d] = await Promise.all([frameAgainAfter(carol, dave.id, '__pcBefore'), frameAgainAfter(dave, carol.id, '__pcBefore')]);
    console.log(`# move now: Carol decoding again after ${c - asked} ms, Dave after ${d - asked} ms`);
    const steady = placements(focus, 'Steady');
    assert.equal(steady[carol.id], 'site-a', JSON.stringify(steady));
    assert.equal(steady[dave.id], 'site-a');
  });

  test('a bridge that stops answering (SIGSTOP: a partition, a hung host) is declared lost from its missed heartbeats', async () => {
    bridges.c = await startBridge(focus, { id: 'site-c', region: 'c', secretFile });
    const room = people.filter((p) => p.room === 'Steady');
    const [carol, dave] = room;
    // Frank on site-c: site-a then holds a relay and Frank's proxy for
    // Steady, which no browser's DTLS close takes away when it stops.
    const frank = await openParticipant(browser, focus.url, { room: 'Steady', name: 'Frank', query: 'region=c' });
    people.push(frank);
    await until(() => placements(focus, 'Steady')[frank.id], { what: 'Frank placed' });
    assert.equal(placements(focus, 'Steady')[frank.id], 'site-c');
    await waitForFlow(carol, [frank.id], { timeoutMs: 20000 });
    for (const p of room) await p.page.evaluate(() => { window.__pcBefore = window.stoa.pc; });
    const linkedBefore = (focus.log().match(/bridge site-a linked/g) ?? []).length;
    const stopped = Date.now();
    bridges.a.signal('SIGSTOP');
    try {
      const [c, d] = await Promise.all([frameAgainAfter(carol, dave.id, '__pcBefore'), frameAgainAfter(dave, carol.id, '__pcBefore')]);
      console.log(`# bridge stopped: Carol decoding again after ${c - stopped} ms, Dave after ${d - stopped} ms`);
      assert.match(focus.log(), /bridge site-a \(127\.0\.0\.1\) lost: no heartbeat for 3 intervals/);
      // Three intervals after its last heartbeat, which came up to one interval before the stop.
      assert.ok(c - stopped >= 1900, `not before three heartbeats were missed (${c - stopped} ms)`);
      const steady = placements(focus, 'Steady');
      assert.equal(steady[carol.id], 'site-c', `not the draining site-b: ${JSON.stringify(steady)}`);
    } finally {
      bridges.a.signal('SIGCONT');
    }
    // It comes back as a new bridge; nobody is moved back, and what its old
    // endpoints say now is not listened to.
    await until(() => (focus.log().match(/bridge site-a linked/g) ?? []).length > linkedBefore, { timeoutMs: 15000, what: 'site-a linked again' });
    await sleep(1500);
    assert.equal(placements(focus, 'Steady')[carol.id], 'site-c');
    await waitForFlow(carol, [dave.id], { timeoutMs: 10000 });
    assert.equal(await carol.page.evaluate(() => window.stoa.state), 'joined');
    // What it held before (the relay to site-c and Frank's proxy in
    // Steady) was expired at its new hello, so a newcomer of its region
    // lands on it and its relay to site-c, of the same name as the stale
    // one, opens.
    assert.match(focus.log(), /bridge site-a held 1 conference\(s\) from before it linked: expired/);
    const grace = await openParticipant(browser, focus.url, { room: 'Steady', name: 'Grace', query: 'region=a' });
    people.push(grace);
    await until(() => placements(focus, 'Steady')[grace.id], { what: 'Grace placed' });
    assert.equal(placements(focus, 'Steady')[grace.id], 'site-a');
    await Promise.all([waitForFlow(grace, [carol.id, frank.id], { timeoutMs: 20000 }),
      waitForFlow(frank, [grace.id], { timeoutMs: 20000 })]);
    assert.doesNotMatch(focus.log(), /an endpoint with this id exists|duplicate-endpoint/);
  });
});
