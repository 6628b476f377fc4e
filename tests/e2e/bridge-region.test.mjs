// Where a participant's region comes from, in the order the focus takes it:
// the request header the reverse proxy sets (--region-header), then the
// region map of client networks (--region-map), then ?region= of the URL.
// A focus and two bridges; every page comes from 127.0.0.1, which the map
// puts in region b.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openParticipant } from './lib/browser.mjs';
import { placements, startCluster } from './lib/cluster.mjs';
import { until, waitForFlow } from './lib/stats.mjs';

describe('a participant\'s region: header, then region map, then URL', { timeout: 90000 }, () => {
  let cluster;

  before(async () => {
    cluster = await startCluster({
      label: 'bridge-region',
      bridges: [{ key: 'a', id: 'site-a', region: 'a' }, { key: 'b', id: 'site-b', region: 'b' }],
      focusArgs: ['--region-header', 'X-Stoa-Region', '--region-map', '10.9.0.0/16=a', '--region-map', '127.0.0.0/8=b'],
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  test('the header beats the map, the map beats the URL; the two bridges relay', async () => {
    const { focus, browser, people } = cluster;
    // The header says a; the URL's b does not count.
    const ann = await openParticipant(browser, focus.url, { room: 'Regions', name: 'Ann', query: 'region=b', headers: { 'X-Stoa-Region': 'a' } });
    // No header: the map's b for 127.0.0.1, not the URL's a.
    const bo = await openParticipant(browser, focus.url, { room: 'Regions', name: 'Bo', query: 'region=a' });
    people.push(ann, bo);
    await until(() => placements(focus, 'Regions')[bo.id], { what: 'Bo placed' });
    const placed = placements(focus, 'Regions');
    assert.deepEqual([placed[ann.id], placed[bo.id]], ['site-a', 'site-b'], JSON.stringify(placed));
    assert.match(focus.log(), new RegExp(`regions/${ann.id} placed on bridge site-a \\(region a\\)`));
    assert.match(focus.log(), new RegExp(`regions/${bo.id} placed on bridge site-b \\(region b\\)`));
    await Promise.all([waitForFlow(ann, [bo.id], { timeoutMs: 20000 }), waitForFlow(bo, [ann.id], { timeoutMs: 20000 })]);
  });
});
