// A focus and bridges as separate processes (stoa focus, stoa bridge), all
// on loopback with their own ports, sharing one link secret in a temporary
// file. Bridges are ready once the focus's log says they are linked.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchBrowser, closeParticipant } from './browser.mjs';
import { LOG_DIR, REPO_ROOT, freeUdpPort, startServer, stoaBinary } from './server.mjs';
import { until } from './stats.mjs';

/** A fresh secret file (hex, 64 characters); removed by removeSecret. */
export function makeSecret() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-link-'));
  const file = path.join(dir, 'secret');
  fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return file;
}

export function removeSecret(file) {
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

/** stoa focus on free ports, bridges linking to it at /bridge. */
export async function startFocus({ label = 'focus', secretFile, extraArgs = [] }) {
  const focus = await startServer({ label, role: 'focus', extraArgs: ['--secret-file', secretFile, ...extraArgs] });
  focus.bridgeUrl = `ws://127.0.0.1:${focus.httpPort}/bridge`;
  return focus;
}

class BridgeProcess {
  constructor({ child, exited, id, mediaPort, logFile }) {
    this.child = child;
    this.exited = exited;
    this.id = id;
    this.mediaPort = mediaPort;
    this.logFile = logFile;
    this.exitInfo = null;
    exited.then((info) => {
      this.exitInfo = info;
    });
  }

  get pid() {
    return this.child.pid;
  }

  log() {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** kill -9: the bridge's loss, as a crash or a power cut makes it. */
  async crash() {
    if (this.exitInfo) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  signal(name) {
    this.child.kill(name);
  }

  /** SIGTERM; kills after 5 s. Never throws. */
  async stop() {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const info = await this.exited;
    clearTimeout(t);
    return info;
  }
}

/**
 * stoa bridge linked to `focus` (or just started, with waitLinked false).
 * Its region and id go in its hello.
 */
export async function startBridge(focus, { id, region = '', secretFile, workers = 1, waitLinked = true, publicIp = '127.0.0.1', extraArgs = [] }) {
  const mediaPort = await freeUdpPort(workers + 2);
  const args = ['bridge', '--focus', focus.bridgeUrl, '--secret-file', secretFile, '--bridge-id', id,
    '--media-port', String(mediaPort), '--public-ip', publicIp, '--workers', String(workers),
    '--log-level', process.env.STOA_E2E_LOG_LEVEL ?? 'info', ...(region ? ['--region', region] : []), ...extraArgs];
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `bridge-${id}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `# ${stoaBinary()} ${args.join(' ')}\n`);
  const child = spawn(stoaBinary(), args, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const bridge = new BridgeProcess({ child, exited, id, mediaPort, logFile });
  if (waitLinked) {
    const linkedBefore = (focus.log().match(new RegExp(`bridge ${id} linked`, 'g')) ?? []).length;
    await until(() => (focus.log().match(new RegExp(`bridge ${id} linked`, 'g')) ?? []).length > linkedBefore || bridge.exitInfo,
      { timeoutMs: 10000, what: `bridge ${id} linked to the focus` });
    if (bridge.exitInfo) throw new Error(`bridge ${id} exited: ${JSON.stringify(bridge.exitInfo)}\n${bridge.log()}`);
  }
  return bridge;
}

/** GET /topology of the focus (the operator's view: bridges, and which participant is on which). */
export async function topology(focus) {
  const res = await fetch(`${focus.url}/topology`);
  if (!res.ok) throw new Error(`/topology: HTTP ${res.status}`);
  return res.json();
}

/** Which bridge (by id) the focus placed each participant of `room` on, from its log. */
export function placements(focus, room) {
  const out = {};
  for (const m of focus.log().matchAll(new RegExp(`${room}/([0-9a-f]+) placed on bridge (\\S+)`, 'gi'))) out[m[1]] = m[2];
  return out;
}

/**
 * A focus, bridges ({id, region} each, started in order) and one Chromium,
 * with what a test's before/after need: `people` collects the participants
 * the test opens, and stop() closes them, the browser, the bridges (as the
 * test left them in `bridges`) and the focus.
 */
export async function startCluster({ label, bridges: specs, focusArgs = [] }) {
  const c = { secretFile: makeSecret(), bridges: {}, people: [], browser: null, focus: null };
  c.focus = await startFocus({ label, secretFile: c.secretFile, extraArgs: focusArgs });
  for (const { key, id, region } of specs) c.bridges[key] = await startBridge(c.focus, { id, region, secretFile: c.secretFile });
  c.browser = await launchBrowser();
  c.stop = async () => {
    await Promise.all(c.people.map(closeParticipant));
    await c.browser?.close();
    for (const b of Object.values(c.bridges)) await b.stop();
    await c.focus?.stop();
    removeSecret(c.secretFile);
  };
  return c;
}
