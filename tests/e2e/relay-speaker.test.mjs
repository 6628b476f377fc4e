// Dominant speaker and Last-N across relayed bridges. A focus and three
// bridges (site-a, site-b, site-c; regions a, b, c). Ann (region a) and Ben
// (region b) have fake audio files with speech and silence in opposite phase
// (espeak-ng, sox: Ann speaks while Ben is silent, then they swap); Cy and
// Dan (region c) are silent, and Dan asks for Last-N = 1.
//
// Cy joins first, so the room's oldest participant is on site-c: the bridge
// whose dominant speaker the focus announces sees both speakers only as
// proxies, over its relays. Dan's Last-N is applied by site-c too, with Ann
// and Ben as proxy endpoints: his one camera must follow the speaker.
//
// Asserted: placements and the three relays (all open) of /topology; everyone
// decodes everyone's camera and hears everyone, except Dan, who decodes one
// camera, the one the bridge says it forwards; all four pages name Ann
// within a few seconds of her turn and keep naming her until Ben's, then Ben,
// never Cy or Dan; during each turn Dan is told he gets the speaker's camera,
// decodes it and no other.
//
// A busy two-core machine (ASan): times are taken from samples every 150 ms
// in each page on one clock, a page's stalls are not counted against the
// server, and a camera the receiver's bridge reports held back for bandwidth
// (its estimate read CPU starvation as congestion) is not required to decode.
// STOA_TRACE=1 prints every sample.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, openParticipant } from './lib/browser.mjs';
import { makeSecret, placements, removeSecret, startBridge, startFocus, topology } from './lib/cluster.mjs';
import { growth, rtpStats, sleep, until, waitForFlow } from './lib/stats.mjs';
import { SEGMENT_S, haveSpeechTools, launchWithAudio, makeSpeechAudio } from './lib/speech.mjs';

const OBSERVE_MS = 2 * SEGMENT_S * 1000 + 10000;  // a whole turn of each, wherever the files are in their loop
const SAMPLE_MS = 150;
const LOUD = 0.05;                                // a sender's own media-source audioLevel while speaking
const NAME_MARGIN_MS = 3500;                      // a turn's speaker named by every page within this (two cores, ASan)
const DECODE_MARGIN_MS = 4500;                    // Dan's slot has moved (forwarded, key frame) by then
const MIN_WINDOW_MS = 1500;                       // shortest decode window worth looking at

/**
 * In the page, every intervalMs for durationMs: whom the app names as
 * dominant speaker, the cameras the bridge says it forwards (and holds back
 * for bandwidth), how loud our own microphone is (what we send), and the
 * camera frames decoded so far per sender. Times are epoch ms (one machine,
 * one clock for all pages).
 */
function record(page, durationMs, intervalMs) {
  return page.evaluate(async ({ durationMs, intervalMs }) => {
    const s = window.stoa;
    const out = [];
    const end = Date.now() + durationMs;
    while (Date.now() < end) {
      let level = 0;
      const frames = {};
      try {
        (await s.pc.getStats()).forEach((r) => {
          if (r.type === 'media-source' && r.kind === 'audio') level = r.audioLevel ?? 0;
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            const who = s.mids.get(r.mid);
            if (who && who.source === 'camera') frames[who.participant] = (frames[who.participant] ?? 0) + (r.framesDecoded ?? 0);
          }
        });
      } catch {
        // the connection went away: the sample says nothing of media
      }
      out.push({ t: Date.now(), dominant: s.dominant ?? null, forwarded: Array.isArray(s.forwarded) ? [...s.forwarded] : null,
        held: [...(s.heldForBandwidth ?? [])], level, frames });
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return out;
  }, { durationMs, intervalMs });
}

/** What the bridge last told the page of its cameras: forwarded, and held back for bandwidth. */
const told = (page) => page.evaluate(() => ({
  forwarded: Array.isArray(window.stoa.forwarded) ? window.stoa.forwarded : null,
  held: window.stoa.heldForBandwidth ?? [],
}));

/** A sender's camera layers as it encodes them: rid, frames encoded so far, height, its limitation. */
const encoding = (page) => page.evaluate(async () => {
  const s = window.stoa;
  const mid = [...s.mids].find(([, v]) => v.participant === s.selfId && v.source === 'camera')?.[0];
  const out = [];
  (await s.pc.getStats()).forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video' && r.mid === mid)
      out.push({ rid: r.rid ?? '-', frames: r.framesEncoded ?? 0, height: r.frameHeight ?? 0, limitation: r.qualityLimitationReason ?? '' });
  });
  return out;
}).catch(() => []);

/**
 * waitForFlow. On a machine too busy for its receivers' bandwidth estimates
 * (delays from CPU starvation read as congestion) the receiver's bridge may
 * hold cameras back for bandwidth, and says so: then a camera that does not
 * decode passes if the bridge reports it held back for bandwidth (audio must
 * flow all the same). Returns the ids so held back (empty: none). A failure
 * tells what each sender encoded meanwhile (pages: id → page).
 */
async function flowing(p, ids, opts, pages) {
  try {
    await waitForFlow(p, ids, opts);
    return [];
  } catch (err) {
    const e1 = await Promise.all(ids.map((id) => encoding(pages[id])));
    const s1 = await rtpStats(p.page);
    await sleep(1500);
    const s2 = await rtpStats(p.page);
    const e2 = await Promise.all(ids.map((id) => encoding(pages[id])));
    const said = await told(p.page).catch(() => null);
    const g = Object.fromEntries(ids.map((id) => [id, growth(s1, s2, id)]));
    const hears = ids.every((id) => g[id].audio?.delta > 0);
    const still = ids.filter((id) => !(g[id].video?.delta > 0));
    const wantsVideo = !opts.kinds || opts.kinds.includes('video');
    if (wantsVideo && hears && said && still.every((id) => said.held.includes(id) && !said.forwarded?.includes(id)))
      return still;
    const sent = ids.map((id, i) => `${id}: ${e2[i].map((l) => `${l.rid} ${l.height}p +${l.frames - (e1[i].find((x) => x.rid === l.rid)?.frames ?? 0)} ` +
      `(${l.limitation})`).join(', ')}`);
    err.message += `\n${p.name} is told ${JSON.stringify(said)}; not decoding now ${JSON.stringify(still)}; ` +
      `frames the senders encoded meanwhile: ${sent.join('; ')}`;
    throw err;
  }
}

const nearest = (list, t) => list.reduce((a, b) => (Math.abs(b.t - t) < Math.abs(a.t - t) ? b : a));

/**
 * The turns seen in the senders' own levels: a turn of `who` starts where
 * their level rises after at least 2 s of quiet, counted from when the other
 * speaker has also been quiet for a second (the two files do not run in exact
 * step), and ends where the other's turn starts (or the recording ends).
 */
function findTurns(grid, levels, [x, y]) {
  const loud = (who, t) => nearest(levels[who], t).level >= LOUD;
  const starts = [];
  for (const [who, other] of [[x, y], [y, x]]) {
    for (let i = 0; i < grid.length; i++) {
      const t = grid[i];
      if (t - grid[0] < 2000 || !loud(who, t)) continue;
      if (grid.some((u) => u < t && u >= t - 2000 && loud(who, u))) continue;
      let j = i;
      while (j < grid.length && grid.some((u) => u >= grid[j] && u < grid[j] + 1000 && loud(other, u))) j++;
      if (j < grid.length) starts.push({ who, start: grid[j] });
    }
  }
  starts.sort((a, b) => a.start - b.start);
  const turns = [];
  for (const s of starts) {
    if (turns.length && turns[turns.length - 1].who === s.who) continue;   // a pause within one turn
    turns.push({ ...s });
  }
  const end = grid[grid.length - 1];
  turns.forEach((turn, i) => {
    turn.end = i + 1 < turns.length ? turns[i + 1].start : end;
  });
  return turns;
}

describe('dominant speaker and Last-N across three relayed bridges', {
  timeout: 150000, skip: haveSpeechTools() ? false : 'needs espeak-ng and sox',
}, () => {
  let secretFile;
  let focus;
  let dir;
  const bridges = {};
  let browsers = [];
  const people = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-relay-speaker-'));
    const files = makeSpeechAudio(dir);
    secretFile = makeSecret();
    focus = await startFocus({ label: 'relay-speaker', secretFile });
    for (const r of ['a', 'b', 'c']) bridges[r] = await startBridge(focus, { id: `site-${r}`, region: r, secretFile });
    // Ann's, Ben's, and one silent browser for Cy and Dan.
    browsers = await Promise.all([files.first, files.second, files.quiet].map(launchWithAudio));
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await Promise.all(browsers.map((b) => b.close().catch(() => {})));
    for (const b of Object.values(bridges)) await b.stop();
    await focus?.kill();
    removeSecret(secretFile);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every page names the speaker decided over the relays; Dan\'s one camera follows the speaker', async () => {
    const room = 'RelaySpeaker';
    const cy = await openParticipant(browsers[2], focus.url, { room, name: 'Cy', query: 'region=c' });
    // Ann and Ben load together so that their files run nearly in step.
    const [ann, ben] = await Promise.all([
      openParticipant(browsers[0], focus.url, { room, name: 'Ann', query: 'region=a' }),
      openParticipant(browsers[1], focus.url, { room, name: 'Ben', query: 'region=b' }),
    ]);
    const dan = await openParticipant(browsers[2], focus.url, { room, name: 'Dan', query: 'region=c&lastn=1' });
    people.push(cy, ann, ben, dan);
    const everyone = [ann, ben, cy, dan];
    const names = Object.fromEntries(everyone.map((p) => [p.id, p.name]));
    const nameOf = (id) => names[id] ?? (id ? `?${id}` : '-');

    // 1. Placement by region; a relay between every pair of the three bridges.
    const placed = placements(focus, room);
    assert.deepEqual(everyone.map((p) => placed[p.id]), ['site-a', 'site-b', 'site-c', 'site-c'], JSON.stringify(placed));
    let relays = [];
    try {
      await until(async () => {
        const topo = await topology(focus);
        relays = topo.rooms.find((r) => r.participants.some((p) => p.id === ann.id))?.relays ?? [];
        return relays.length === 3 && relays.every((r) => r.state === 'open');
      }, { timeoutMs: 15000, intervalMs: 250, what: 'three open relays' });
    } catch {
      // asserted below, with what /topology said
    }
    assert.deepEqual(relays.map((r) => `${[r.a, r.b].sort().join('-')} ${r.state}`).sort(),
      ['site-a-site-b open', 'site-a-site-c open', 'site-b-site-c open'], JSON.stringify(relays));

    // 2. Everyone decodes everyone's camera and hears everyone; Dan hears
    // all three and decodes one camera, the one the bridge says it forwards.
    const others = (p) => everyone.filter((q) => q !== p).map((q) => q.id);
    const pages = Object.fromEntries(everyone.map((p) => [p.id, p.page]));
    const held = await Promise.all([
      ...[ann, ben, cy].map((p) => flowing(p, others(p), { timeoutMs: 25000 }, pages)),
      flowing(dan, others(dan), { timeoutMs: 25000, kinds: ['audio'] }, pages),
    ]);
    held.forEach((ids, i) => {
      if (ids.length) console.log(`# ${everyone[i].name}'s bridge holds back ${ids.map(nameOf)} for bandwidth (a busy machine)`);
    });
    // Dan's Last-N set (what the bridge forwards him, and what it holds back
    // for bandwidth) is one camera, and he decodes exactly what it forwards.
    let danOne = null;
    await until(async () => {
      const s1 = await rtpStats(dan.page);
      await sleep(1500);
      const s2 = await rtpStats(dan.page);
      const said = await told(dan.page);
      const decoding = [...new Set(s2.inbound.filter((b) => b.kind === 'video' && b.participant &&
        b.framesDecoded > (s1.inbound.find((a) => a.ssrc === b.ssrc)?.framesDecoded ?? 0)).map((b) => b.participant))];
      danOne = { decoding: decoding.map(nameOf), forwarded: said.forwarded?.map(nameOf) ?? null, held: said.held.map(nameOf) };
      return said.forwarded && said.forwarded.length + said.held.length === 1 &&
        decoding.length === said.forwarded.length && decoding.every((id) => said.forwarded.includes(id));
    }, { timeoutMs: 20000, intervalMs: 0, what: 'Dan to decode exactly the one camera he is told of' })
      .catch((err) => { throw new Error(`${err.message}; last look ${JSON.stringify(danOne)}`); });
    console.log(`# Dan (Last-N 1) before the turns: ${JSON.stringify(danOne)}`);

    // 3, 4. Two turns, recorded on all four pages at once.
    const [annRec, benRec, cyRec, danRec] = await Promise.all(everyone.map((p) => record(p.page, OBSERVE_MS, SAMPLE_MS)));
    const recs = { Ann: annRec, Ben: benRec, Cy: cyRec, Dan: danRec };
    const grid = danRec.map((x) => x.t);
    const turns = findTurns(grid, { [ann.id]: annRec, [ben.id]: benRec }, [ann.id, ben.id]);
    const t0 = grid[0];
    const rel = (t) => `${((t - t0) / 1000).toFixed(1)}s`;
    if (process.env.STOA_TRACE) {
      for (const x of danRec) {
        const lv = (r) => nearest(r, x.t).level.toFixed(3);
        const doms = Object.entries(recs).map(([n, r]) => `${n}:${nameOf(nearest(r, x.t).dominant)}`).join(' ');
        console.log(`# ${rel(x.t)} ann=${lv(annRec)} ben=${lv(benRec)} ${doms} dan-forwarded=${(x.forwarded ?? []).map(nameOf)} ` +
          `held=${x.held.map(nameOf)} frames=${JSON.stringify(Object.fromEntries(Object.entries(x.frames).map(([k, v]) => [nameOf(k), v])))}`);
      }
    }
    console.log(`# turns: ${turns.map((x) => `${nameOf(x.who)} ${rel(x.start)}-${rel(x.end)}`).join(', ')}`);

    // Never a silent participant, on any page.
    for (const [n, r] of Object.entries(recs)) {
      const named = new Set(r.map((x) => x.dominant).filter(Boolean));
      assert.ok(!named.has(cy.id) && !named.has(dan.id), `${n} never names a silent participant (named ${[...named].map(nameOf)})`);
    }

    // Each turn that starts early enough to be judged: every page names its
    // speaker within NAME_MARGIN_MS and goes on naming them until the
    // other's turn (a speaker who stops keeps the floor until someone else
    // qualifies).
    const end = grid[grid.length - 1];
    const judged = turns.filter((x) => x.start + NAME_MARGIN_MS + 500 <= end);
    assert.ok(judged.some((x) => x.who === ann.id) && judged.some((x) => x.who === ben.id),
      `a turn of each speaker was recorded (${turns.map((x) => `${nameOf(x.who)} at ${rel(x.start)}`)})`);
    const latencies = [];
    for (const turn of judged) {
      for (const [n, r] of Object.entries(recs)) {
        // A page starved of CPU samples late: what counts is the last
        // sample that still named someone else (the name changed after it).
        const hit = r.find((x) => x.t >= turn.start && x.dominant === turn.who);
        const before = hit ? r.filter((x) => x.t >= turn.start && x.t < hit.t) : [];
        const lateBy = before.length ? before[before.length - 1].t - turn.start : 0;
        const gap = before.length ? hit.t - before[before.length - 1].t : 0;
        assert.ok(hit && lateBy <= NAME_MARGIN_MS, `${n} names ${nameOf(turn.who)} within ${NAME_MARGIN_MS} ms of the turn at ` +
          `${rel(turn.start)} (${hit ? `still ${nameOf(before.at(-1)?.dominant)} ${lateBy} ms in, ${nameOf(turn.who)} ${hit.t - turn.start} ms in` : 'never'})`);
        latencies.push(`${n}:${nameOf(turn.who)} ${lateBy}-${hit.t - turn.start}${gap > 1000 ? ` (page stalled ${gap} ms)` : ''}`);
        const meanwhile = r.filter((x) => x.t >= turn.start + NAME_MARGIN_MS && x.t <= turn.end - 500);
        const wrong = meanwhile.filter((x) => x.dominant !== turn.who);
        assert.deepEqual(wrong.map((x) => `${rel(x.t)} ${nameOf(x.dominant)}`), [],
          `${n} goes on naming ${nameOf(turn.who)} until ${rel(turn.end)}`);
      }
    }
    console.log('# named after a turn starts (ms, between the last sample naming another and the first naming the speaker): ' +
      `${latencies.join(', ')}`);

    // Dan's one camera follows the speaker: in each turn, once the slot has
    // had time to move, the bridge's Last-N set for him is the speaker's
    // camera, and Dan decodes that one and no other.
    const windows = turns.map((turn) => ({ ...turn, from: turn.start + DECODE_MARGIN_MS, to: turn.end - 300 }))
      .filter((w) => w.to - w.from >= MIN_WINDOW_MS && danRec.filter((x) => x.t >= w.from && x.t <= w.to).length >= 2);
    assert.ok(windows.some((w) => w.who === ann.id) && windows.some((w) => w.who === ben.id),
      `a long enough turn of each speaker to look at Dan's camera (${windows.map((w) => `${nameOf(w.who)} ${rel(w.from)}-${rel(w.to)}`)})`);
    const senders = [ann.id, ben.id, cy.id];
    for (const w of windows) {
      const inside = danRec.filter((x) => x.t >= w.from && x.t <= w.to);
      const a = inside[0];
      const b = inside[inside.length - 1];
      const grew = Object.fromEntries(senders.map((id) => [nameOf(id), (b.frames[id] ?? 0) - (a.frames[id] ?? 0)]));
      const seconds = (b.t - a.t) / 1000;
      console.log(`# Dan ${rel(a.t)}-${rel(b.t)} (${nameOf(w.who)} speaking): frames decoded ${JSON.stringify(grew)}`);
      // Forwarded, or on a busy machine held back for bandwidth.
      const lastN = (x) => [...(x.forwarded ?? []), ...x.held];
      const off = inside.filter((x) => !(lastN(x).length === 1 && lastN(x)[0] === w.who));
      assert.deepEqual(off.map((x) => `${rel(x.t)} ${JSON.stringify(x.forwarded?.map(nameOf))} held ${JSON.stringify(x.held.map(nameOf))}`), [],
        `Dan's one Last-N slot is ${nameOf(w.who)}'s throughout ${rel(w.from)}-${rel(w.to)}`);
      // Chromium's fake camera runs at 30 fps; a busy machine may decode far fewer.
      if (inside.every((x) => x.forwarded?.length === 1)) {
        assert.ok(grew[nameOf(w.who)] >= Math.max(4, 2 * seconds),
          `Dan decodes ${nameOf(w.who)}'s camera while ${nameOf(w.who)} speaks (${JSON.stringify(grew)} in ${seconds.toFixed(1)} s)`);
      } else {
        console.log(`# Dan's bridge held ${nameOf(w.who)}'s camera back for bandwidth at times: its decoding not judged`);
      }
      for (const id of senders.filter((x) => x !== w.who)) {
        assert.ok(grew[nameOf(id)] <= 1, `Dan decodes no frames of ${nameOf(id)} while ${nameOf(w.who)} speaks (${JSON.stringify(grew)})`);
      }
    }

    const lost = focus.log().match(/bridge \S+ is lost/g);
    if (lost) console.log(`# during the test the focus lost a bridge (missed heartbeats on a busy machine?): ${lost.join(', ')}`);

    // Everyone leaves before the bridges stop (a bridge stopped under its
    // participants would move them: a failover, not this test's subject).
    await Promise.all(people.splice(0).map(closeParticipant));
    for (const b of Object.values(bridges)) {
      const info = await b.stop();
      assert.deepEqual(info, { code: 0, signal: null }, `bridge ${b.id} exits cleanly on SIGTERM:\n${b.log().slice(-2000)}`);
    }
    await focus.stop();
  });
});
