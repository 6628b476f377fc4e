// Dominant speaker: three browsers with fake audio from files (espeak-ng
// speech and silence). Ann speaks first while Ben is silent, then they swap;
// Cy is always silent. The bridge must name the one who speaks within about a
// second, follow the swap, and never name the silent participant.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, openParticipant } from './lib/browser.mjs';
import { openParticipantsPanel } from './lib/meeting.mjs';
import { startServer } from './lib/server.mjs';
import { sleep, waitForFlow } from './lib/stats.mjs';
import { SEGMENT_S, haveSpeechTools, launchWithAudio, makeSpeechAudio } from './lib/speech.mjs';

describe('dominant speaker', { timeout: 150000, skip: haveSpeechTools() ? false : 'needs espeak-ng and sox' }, () => {
  let server;
  let dir;
  let browsers = [];
  let people = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-speaker-'));
    const files = makeSpeechAudio(dir);
    server = await startServer({ label: 'dominant-speaker', workers: 1 });
    browsers = await Promise.all([files.first, files.second, files.quiet].map(launchWithAudio));
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await Promise.all(browsers.map((b) => b.close()));
    await server?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the bridge names the speaker, follows a swap, never the silent one', async () => {
    const names = ['Ann', 'Ben', 'Cy'];
    // Ann and Ben load together so that their files run nearly in step.
    const [ann, ben] = await Promise.all([0, 1].map((i) => openParticipant(browsers[i], server.url, { room: 'talk', name: names[i] })));
    const cy = await openParticipant(browsers[2], server.url, { room: 'talk', name: 'Cy' });
    people = [ann, ben, cy];
    await waitForFlow(cy, [ann.id, ben.id], { timeoutMs: 30000, kinds: ['audio'] });

    // Ann and Ben report how loud they are (their microphone's media-source
    // audioLevel, i.e. what they send), Cy reports whom the bridge names;
    // every 100 ms for two turns, on the same wall clock.
    const ms = 2 * SEGMENT_S * 1000 + 4000;
    const ownLevel = (page) => page.evaluate(async (duration) => {
      const out = [];
      const end = Date.now() + duration;
      while (Date.now() < end) {
        const stats = await window.stoa.pc.getStats();
        let level = 0;
        stats.forEach((r) => {
          if (r.type === 'media-source' && r.kind === 'audio') level = r.audioLevel ?? 0;
        });
        out.push({ t: Date.now(), level });
        await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    }, ms);
    const dominantSeen = cy.page.evaluate(async (duration) => {
      const out = [];
      const end = Date.now() + duration;
      while (Date.now() < end) {
        out.push({ t: Date.now(), dominant: window.stoa.dominant });
        await new Promise((r) => setTimeout(r, 100));
      }
      return out;
    }, ms);
    const [annLevels, benLevels, dominant] = await Promise.all([ownLevel(ann.page), ownLevel(ben.page), dominantSeen]);
    const samples = dominant.map((d) => {
      const near = (list) => list.reduce((a, b) => (Math.abs(b.t - d.t) < Math.abs(a.t - d.t) ? b : a)).level;
      return { t: d.t, dominant: d.dominant, levels: { [ann.id]: near(annLevels), [ben.id]: near(benLevels) } };
    });

    const ids = { [ann.id]: 'Ann', [ben.id]: 'Ben', [cy.id]: 'Cy' };
    if (process.env.STOA_TRACE) {
      for (const x of samples) {
        console.log(`# ${x.t - samples[0].t} ann=${x.levels[ann.id].toFixed(3)} ben=${x.levels[ben.id].toFixed(3)} ` +
          `dominant=${ids[x.dominant] ?? '-'}`);
      }
    }
    const named = new Set(samples.map((x) => x.dominant).filter(Boolean));
    assert.ok(!named.has(cy.id), 'the silent participant is never the dominant speaker');
    assert.ok(named.has(ann.id) && named.has(ben.id), `both speakers were named (${[...named].map((i) => ids[i])})`);

    // A turn starts where a speaker's level rises above 0.05 after at least
    // 2 s of silence, and the other speaker is quiet for the next second;
    // the bridge should name the new speaker soon after.
    const LOUD = 0.05;
    const latencies = [];
    const missed = [];
    for (const who of [ann.id, ben.id]) {
      for (let i = 0; i < samples.length; i++) {
        const loud = (x) => (x.levels[who] ?? 0) >= LOUD;
        if (!loud(samples[i]) || samples[i].t - samples[0].t < 2000) continue;
        const before = samples.filter((x) => x.t < samples[i].t && x.t >= samples[i].t - 2000);
        if (before.some(loud)) continue;
        // The two browsers' files do not start in exact step: the turn
        // counts from when the other speaker has also stopped (a swap).
        const other = who === ann.id ? ben.id : ann.id;
        const otherLoud = (x) => (x.levels[other] ?? 0) >= LOUD;
        let j = i;
        while (j < samples.length && samples.slice(j, j + 10).some(otherLoud)) j++;
        if (j >= samples.length) continue;
        const start = samples[j].t;
        const hit = samples.slice(j).find((x) => x.dominant === who);
        if (hit) latencies.push({ who: ids[who], ms: Math.round(hit.t - start) });
        else missed.push(ids[who]);
      }
    }
    console.log(`# dominant speaker switches after a speaker starts: ${latencies.map((l) => `${l.who} ${l.ms} ms`).join(', ')}`);
    assert.deepEqual(missed, [], 'every turn was followed');
    assert.ok(latencies.length >= 2, 'both turns were observed');
    const worst = Math.max(...latencies.map((l) => l.ms));
    assert.ok(worst <= 1000, `each speaker was named within 1 s of starting to speak (worst ${worst} ms)`);

    // Speaker statistics: Cy's panel counts both speakers' time and none of
    // its own; a late joiner gets the same totals from the server.
    const talkTimes = async (p) => {
      await openParticipantsPanel(p);
      await sleep(1200);   // the panel's figures are refreshed every second
      return p.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid="talk-time"]')]
        .map((e) => [e.dataset.participant, Number(e.dataset.ms)])));
    };
    const byCy = await talkTimes(cy);
    const dee = await openParticipant(browsers[2], server.url, { room: 'talk', name: 'Dee' });
    people.push(dee);
    const byDee = await talkTimes(dee);
    const again = await talkTimes(cy);
    console.log(`# speaking time (ms) at Cy ${JSON.stringify(byCy)}, at Dee (late) ${JSON.stringify(byDee)}, Cy later ${JSON.stringify(again)}`);
    for (const who of [ann, ben]) {
      assert.ok(byCy[who.id] >= 3000, `${who.name} spoke for seconds (${byCy[who.id]} ms at Cy)`);
      assert.ok(byDee[who.id] >= byCy[who.id] - 500 && byDee[who.id] <= again[who.id] + 2500,
        `the late joiner is told ${who.name}'s time so far (${byDee[who.id]} ms; Cy ${byCy[who.id]} then ${again[who.id]})`);
    }
    assert.ok(byCy[cy.id] === 0 && byDee[cy.id] === 0, 'the silent participant has no speaking time');
    await server.stop();
  });
});
