#!/usr/bin/env node
// What each receiver gets in a room of six, under several server settings
// and impairments, as a Markdown table.
//
// Every participant runs in its own browser in its own network namespace
// (tests/e2e/lib/netns.mjs), joined through its veth address; the server runs
// in the host namespace. Per scenario: a fresh server, everyone joins, a
// warm-up, then a measurement window. For each receiver: its received camera
// video bitrate (kbit/s, summed over the remote cameras), how many remote
// cameras it decoded, their average frame rate, their sizes (min–max
// frameWidth×frameHeight), and freezeCount / totalFreezesDuration (summed).
//
//   a  --simulcast off, Last-N off
//   b  --simulcast on,  Last-N off
//   cap  as b, with receiver P2's download capped at --cap kbit/s (extra rows)
//   c  --simulcast on,  --last-n N
//   d  as b, 5 % random loss on every participant's input (UDP)
//   e  as b, 10 % random loss
//
//   node tools/measure/quality-table.mjs [--seconds 20] [--warmup 10]
//       [--participants 6] [--last-n 2] [--cap 500] [--scenarios a,b,cap,c,d,e]
//       [--camera 960x540] [--noise]
//
// --camera overrides the resolution the app asks of the fake camera (three
// simulcast layers need 960×540 or more); --noise makes the fake camera play
// a noise clip, which VP8 cannot compress below its target bitrate (Chromium's
// own fake picture needs only a few hundred kbit/s). Needs root, ip, tc and nft,
// `npm install` in tests/e2e and the stoa binary (build/stoa, or STOA_BIN).
// Each scenario is bounded in time; the whole run too (watchdog).

import { parseArgs } from 'node:util';

import { closeParticipant, launchBrowser, noiseVideoFile, openParticipant } from '../../tests/e2e/lib/browser.mjs';
import { createNetwork, netnsUsable } from '../../tests/e2e/lib/netns.mjs';
import { startServer } from '../../tests/e2e/lib/server.mjs';
import { sleep } from '../../tests/e2e/lib/stats.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '10' },
    participants: { type: 'string', default: '6' },
    'last-n': { type: 'string', default: '2' },
    cap: { type: 'string', default: '500' },
    scenarios: { type: 'string', default: 'a,b,cap,c,d,e' },
    camera: { type: 'string', default: '' },
    noise: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node tools/measure/quality-table.mjs [--seconds S] [--warmup S] [--participants N] [--last-n N]\n' +
    '         [--cap KBIT] [--scenarios a,b,cap,c,d,e] [--camera WxH] [--noise]');
  process.exit(0);
}
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const count = Number(values.participants);
const lastN = Number(values['last-n']);
const capKbit = Number(values.cap);
if (!(seconds > 0) || !(warmup >= 0) || !(count >= 2 && count <= 12) || !(lastN >= 0) || !(capKbit > 0)) {
  throw new Error('--seconds > 0, --warmup >= 0, --participants 2..12, --last-n >= 0, --cap > 0');
}
let camera = null;
if (values.camera) {
  const m = /^(\d+)x(\d+)$/.exec(values.camera);
  if (!m) throw new Error('--camera takes WxH, e.g. 960x540');
  camera = { width: Number(m[1]), height: Number(m[2]) };
}

const SCENARIOS = {
  a: { what: '--simulcast off, Last-N off', args: ['--simulcast', 'off'] },
  b: { what: '--simulcast on, Last-N off', args: ['--simulcast', 'on'] },
  cap: { what: `--simulcast on, Last-N off, receiver P2 capped at ${capKbit} kbit/s`, args: ['--simulcast', 'on'], cap: 1 },
  c: { what: `--simulcast on, --last-n ${lastN}`, args: ['--simulcast', 'on', '--last-n', String(lastN)] },
  d: { what: '--simulcast on, 5 % loss on every input', args: ['--simulcast', 'on'], loss: 5 },
  e: { what: '--simulcast on, 10 % loss on every input', args: ['--simulcast', 'on'], loss: 10 },
};
const chosen = values.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
for (const s of chosen) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s} (have ${Object.keys(SCENARIOS).join(', ')})`);

const usable = netnsUsable();
if (!usable.ok) {
  console.error(`network namespaces unusable: ${usable.reason}`);
  process.exit(1);
}

const JOIN_MS = 20000 + 5000 * count;                      // all joined
const SCENARIO_MS = JOIN_MS + (warmup + seconds) * 1000 + 30000;
let server = null;
const watchdog = setTimeout(() => {
  console.error(`quality-table: took longer than ${Math.round(chosen.length * SCENARIO_MS / 1000 + 60)} s, giving up`);
  server?.child.kill('SIGKILL');
  process.exit(2);                                       // the netns exit hook removes the network
}, chosen.length * SCENARIO_MS + 60000);
watchdog.unref();

/** The remote camera videos a page receives: {t, videos: [{participant, bytes, frames, ...}]}. */
function videoIn(page) {
  return page.evaluate(async () => {
    const s = window.stoa;
    const out = { t: Date.now(), videos: [] };
    if (!s?.pc || s.pc.connectionState === 'closed') return out;
    const midOfTrack = new Map();
    for (const tr of s.pc.getTransceivers()) if (tr.receiver?.track) midOfTrack.set(tr.receiver.track.id, tr.mid);
    (await s.pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
      const who = s.mids.get(r.mid ?? midOfTrack.get(r.trackIdentifier));
      if (!who || who.participant === s.selfId || who.source === 'screen') return;
      out.videos.push({ participant: who.participant, ssrc: r.ssrc, bytes: r.bytesReceived ?? 0, frames: r.framesDecoded ?? 0,
        w: r.frameWidth ?? 0, h: r.frameHeight ?? 0, freezes: r.freezeCount ?? 0, freezeS: r.totalFreezesDuration ?? 0 });
    });
    return out;
  });
}

/** One receiver's row from two samples `a` (start of the window) and `b` (end). */
function row(a, b) {
  const secs = (b.t - a.t) / 1000;
  let bytes = 0;
  let freezes = 0;
  let freezeS = 0;
  const decoding = [];
  for (const v of b.videos) {
    const old = a.videos.find((x) => x.ssrc === v.ssrc) ?? { bytes: 0, frames: 0, freezes: 0, freezeS: 0 };
    bytes += v.bytes - old.bytes;
    freezes += v.freezes - old.freezes;
    freezeS += v.freezeS - old.freezeS;
    if (v.frames > old.frames) decoding.push({ fps: (v.frames - old.frames) / secs, w: v.w, h: v.h });
  }
  const px = (d) => d.w * d.h;
  const sizes = [...decoding].sort((x, y) => px(x) - px(y));
  const size = (d) => `${d.w}×${d.h}`;
  const resolution = !sizes.length ? '–' : size(sizes[0]) === size(sizes.at(-1)) ? size(sizes[0]) : `${size(sizes[0])} – ${size(sizes.at(-1))}`;
  return {
    kbit: ((bytes * 8) / 1000 / secs).toFixed(0),
    videos: `${decoding.length}/${b.videos.length}`,
    fps: decoding.length ? (decoding.reduce((s, d) => s + d.fps, 0) / decoding.length).toFixed(1) : '–',
    resolution,
    freezes: `${freezes} / ${freezeS.toFixed(1)} s`,
  };
}

/** Opens everyone, waits until each decodes some remote camera (bounded), then the warm-up. */
async function join(browsers, url, room) {
  const people = [];
  for (let i = 0; i < browsers.length; i++) {
    people.push(await openParticipant(browsers[i], url, { room, name: `P${i + 1}`, camera, timeoutMs: 20000 }));
  }
  const deadline = Date.now() + JOIN_MS;
  for (const p of people) {
    for (;;) {
      const s1 = await videoIn(p.page);
      await sleep(500);
      const s2 = await videoIn(p.page);
      if (s2.videos.some((v) => v.frames > (s1.videos.find((x) => x.ssrc === v.ssrc)?.frames ?? 0))) break;
      if (Date.now() > deadline) {
        console.error(`# ${p.name} decodes no remote camera ${JOIN_MS} ms after joining; measuring anyway`);
        break;
      }
    }
  }
  return people;
}

/** Cameras whose frame count grew between two samples. */
function decodingBetween(a, b) {
  return b.videos.filter((v) => v.frames > (a.videos.find((x) => x.ssrc === v.ssrc)?.frames ?? 0)).length;
}

async function measure(people) {
  const a = await Promise.all(people.map((p) => videoIn(p.page)));
  await sleep(Math.max(0, seconds - 2) * 1000);
  const m = await Promise.all(people.map((p) => videoIn(p.page)));
  await sleep(Math.min(2, seconds) * 1000);
  const b = await Promise.all(people.map((p) => videoIn(p.page)));
  // Under Last-N the set of cameras moves with the speakers: what decodes in
  // the last 2 s shows the limit, the whole window how it moved.
  return people.map((p, i) => ({ name: p.name, ...row(a[i], b[i]), now: decodingBetween(m[i], b[i]) }));
}

const net = createNetwork({ count });
const browsers = [];
const rows = [];
let failed = false;
try {
  const fakeVideoFile = values.noise ? noiseVideoFile(camera ?? {}) : undefined;
  for (const h of net.hosts) browsers.push(await launchBrowser({ executablePath: h.chromium, fakeVideoFile }));
  for (const key of chosen) {
    const sc = SCENARIOS[key];
    const t0 = Date.now();
    server = await startServer({ label: `measure-quality-${key}`, workers: 1, extraArgs: ['--public-ip', net.hostIp, ...sc.args] });
    const url = `http://${net.hostIp}:${server.httpPort}`;
    let people = [];
    try {
      people = await join(browsers, url, `quality-${key}`);
      if (sc.loss) for (let i = 0; i < count; i++) net.addLoss(i, sc.loss);
      if (sc.cap !== undefined) net.capDownload(sc.cap, { kbit: capKbit });
      await sleep(warmup * 1000);
      const dropped0 = sc.loss ? net.lossDropped(0) : 0;
      const measured = await measure(people);
      for (const r of measured) rows.push({ scenario: key, ...r, name: sc.cap !== undefined && r.name === `P${sc.cap + 1}` ? `${r.name} (capped)` : r.name });
      const note = sc.loss ? `; P1's nft rule dropped ${net.lossDropped(0) - dropped0} packets in the window` : '';
      console.error(`# ${key} (${sc.what}) done in ${((Date.now() - t0) / 1000).toFixed(0)} s${note}`);
    } catch (err) {
      failed = true;
      console.error(`# ${key} failed: ${err.message.split('\n').slice(0, 6).join('\n')}\nserver log ${server.logFile}`);
    } finally {
      await Promise.all(people.map(closeParticipant));
      for (let i = 0; i < count; i++) net.clearLoss(i);
      if (sc.cap !== undefined) net.uncapDownload(sc.cap);
      try {
        await server.stop();
      } catch (err) {
        failed = true;
        console.error(err.message.split('\n')[0]);
      }
      server = null;
    }
  }
} catch (err) {
  failed = true;
  console.error(`measurement failed: ${err.message}`);
} finally {
  await Promise.all(browsers.map((b) => b.close().catch(() => {})));
  await server?.kill();
  net.destroy();
}

console.log(`Room of ${count}, each in its own network namespace; ${seconds} s window after ${warmup} s warm-up; ` +
  `camera ${camera ? `${camera.width}×${camera.height}` : "as the app asks"}${values.noise ? ', noise clip' : ''}.\n`);
for (const key of chosen) console.log(`- **${key}**: ${SCENARIOS[key].what}`);
console.log('\n| scenario | receiver | video kbit/s | cameras decoded (window / last 2 s) | fps (avg) | resolution | freezes / duration |');
console.log('|---|---|---:|---:|---:|---|---|');
for (const r of rows) {
  console.log(`| ${r.scenario} | ${r.name} | ${r.kbit} | ${r.videos} / ${r.now} | ${r.fps} | ${r.resolution} | ${r.freezes} |`);
}
process.exit(failed ? 1 : 0);
