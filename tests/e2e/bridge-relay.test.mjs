// One conference across two bridge processes: participants of two regions
// land on their region's bridge, the focus opens a relay between the two
// bridges, and everyone decodes everyone's camera and receives their audio
// (simulcast layers chosen per receiver on the far bridge). The operator's
// view names the relay; when the last participant of one bridge leaves,
// the relay closes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, openParticipant } from './lib/browser.mjs';
import { placements, startCluster, topology } from './lib/cluster.mjs';
import { until, waitForFlow } from './lib/stats.mjs';

describe('a conference across two bridges, relayed', { timeout: 150000 }, () => {
  let cluster;
  let focus;
  let browser;
  let bridges;
  let people;

  before(async () => {
    cluster = await startCluster({ label: 'bridge-relay', bridges: [{ key: 'a', id: 'site-a', region: 'a' }, { key: 'b', id: 'site-b', region: 'b' }] });
    ({ focus, browser, bridges, people } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('each on its region\'s bridge; everyone decodes everyone across the relay', async () => {
    const alice = await openParticipant(browser, focus.url, { room: 'Relayed', name: 'Alice', query: 'region=a' });
    const bob = await openParticipant(browser, focus.url, { room: 'Relayed', name: 'Bob', query: 'region=b' });
    const carol = await openParticipant(browser, focus.url, { room: 'Relayed', name: 'Carol', query: 'region=b' });
    people.push(alice, bob, carol);
    const placed = placements(focus, 'Relayed');
    assert.equal(placed[alice.id], 'site-a', JSON.stringify(placed));
    assert.equal(placed[bob.id], 'site-b', JSON.stringify(placed));
    assert.equal(placed[carol.id], 'site-b', JSON.stringify(placed));

    await Promise.all([
      waitForFlow(alice, [bob.id, carol.id], { timeoutMs: 30000 }),
      waitForFlow(bob, [alice.id, carol.id], { timeoutMs: 30000 }),
      waitForFlow(carol, [alice.id, bob.id], { timeoutMs: 30000 }),
    ]);

    const topo = await topology(focus);
    const room = topo.rooms.find((r) => r.participants.some((p) => p.id === alice.id));
    assert.deepEqual(room.relays.map((r) => [[r.a, r.b].sort(), r.state]), [[['site-a', 'site-b'], 'open']],
      JSON.stringify(room.relays));
    // The operator's metrics: each bridge has its relay open, sending and
    // receiving over it, its round trip measured.
    await until(async () => {
      const text = await (await fetch(`${focus.url}/metrics`)).text();
      const value = (name, bridge) => Number(text.match(new RegExp(`^${name}\\{bridge="${bridge}"\\} (\\d+)`, 'm'))?.[1] ?? -1);
      return ['site-a', 'site-b'].every((b) => value('stoa_bridge_relays', b) === 1 && value('stoa_bridge_relay_bits_out', b) > 50000 &&
        value('stoa_bridge_relay_bits_in', b) > 50000 && value('stoa_bridge_relay_rtt_ms', b) >= 0);
    }, { timeoutMs: 10000, what: 'relay metrics of both bridges' });
    assert.match(bridges.a.log(), /relay relayed\/relay-\d+: peer known/);
    assert.match(bridges.b.log(), /relay relayed\/relay-\d+: peer known/);
  });

  test('the last participant of one bridge leaves: the relay closes, the others go on', async () => {
    const [alice, bob, carol] = people;
    await closeParticipant(alice);
    people.shift();
    await until(async () => {
      const topo = await topology(focus);
      const room = topo.rooms.find((r) => r.participants.some((p) => p.id === bob.id));
      return room && room.relays.length === 0;
    }, { timeoutMs: 10000, what: 'the relay closed' });
    assert.match(focus.log(), /relayed: relay between bridges \d+ and \d+ closed/);
    await waitForFlow(bob, [carol.id], { timeoutMs: 10000 });
  });
});
