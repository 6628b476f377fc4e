#!/usr/bin/env node
// CPU and memory of the stoa process during a call on loopback.
//
// Starts stoa, puts N participants (default 3) in one room, waits until all
// receive each other, then samples /proc/<pid>/stat (utime + stime) and
// /proc/<pid>/status (VmRSS, VmHWM) every second for the given duration.
//
//   node tools/measure/resources.mjs [--seconds 60] [--participants 3]
//
// CPU % is of one core (100 % = one core busy the whole time). Needs
// `npm install` in tests/e2e and the stoa binary (build/stoa, or STOA_BIN).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

import { closeParticipant, launchBrowser, openParticipant } from '../../tests/e2e/lib/browser.mjs';
import { startServer } from '../../tests/e2e/lib/server.mjs';
import { rtpStats, sleep, waitForFlow } from '../../tests/e2e/lib/stats.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    participants: { type: 'string', default: '3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node tools/measure/resources.mjs [--seconds S] [--participants N]');
  process.exit(0);
}
const seconds = Number(values.seconds);
const count = Number(values.participants);
if (!(seconds > 0) || !(count >= 2)) throw new Error('--seconds must be > 0 and --participants >= 2');

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // keep the usual value
}

/** CPU seconds (user + system) used so far by pid. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** {rss, hwm, threads} in KiB from /proc/<pid>/status. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS'), hwm: kib('VmHWM'), threads: kib('Threads') };
}

const mib = (k) => (k / 1024).toFixed(1);

const server = await startServer({ label: 'measure-resources' });
const browser = await launchBrowser();
const people = [];
let failed = false;
try {
  const pid = server.pid;
  const idle = memory(pid);
  console.log(`stoa pid ${pid}; idle RSS ${mib(idle.rss)} MiB, ${idle.threads} threads`);

  const names = Array.from({ length: count }, (_, i) => `P${i + 1}`);
  for (const name of names) people.push(await openParticipant(browser, server.url, { room: 'resources', name }));
  const ids = people.map((p) => p.id);
  await Promise.all(people.map((p) => waitForFlow(p, ids.filter((id) => id !== p.id), { timeoutMs: 20000 })));
  console.log(`${count} participants exchange media; sampling for ${seconds} s`);

  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const before = await Promise.all(people.map((p) => rtpStats(p.page)));
  let peakRss = 0;
  let samples = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(1000, Math.max(0, end - Date.now())));
    const m = memory(pid);
    peakRss = Math.max(peakRss, m.rss);
    samples++;
  }
  const cpu1 = cpuSeconds(pid);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = await Promise.all(people.map((p) => rtpStats(p.page)));
  const last = memory(pid);

  let frames = 0;
  let packets = 0;
  after.forEach((s, i) => {
    for (const r of s.inbound) {
      const r0 = before[i].inbound.find((x) => x.ssrc === r.ssrc);
      if (r.kind === 'video') frames += r.framesDecoded - (r0?.framesDecoded ?? 0);
      packets += r.packetsReceived - (r0?.packetsReceived ?? 0);
    }
  });

  const cpuPct = ((cpu1 - cpu0) / wall) * 100;
  console.log(`wall ${wall.toFixed(1)} s, ${samples} samples`);
  console.log(`CPU: ${(cpu1 - cpu0).toFixed(2)} s used = ${cpuPct.toFixed(1)} % of one core`);
  console.log(`memory: peak RSS sampled ${mib(peakRss)} MiB, VmHWM ${mib(last.hwm)} MiB, RSS now ${mib(last.rss)} MiB, ${last.threads} threads`);
  console.log(`media forwarded to browsers: ${(packets / wall).toFixed(0)} RTP packets/s received, ${(frames / wall).toFixed(1)} video frames/s decoded (all participants)`);
} catch (err) {
  failed = true;
  console.error(`measurement failed: ${err.message}\nserver log ${server.logFile}:\n${server.logTail(20)}`);
} finally {
  await Promise.all(people.map(closeParticipant));
  await browser.close();
  try {
    await server.stop();
  } catch (err) {
    failed = true;
    console.error(err.message);
  }
}
process.exit(failed ? 1 : 0);
