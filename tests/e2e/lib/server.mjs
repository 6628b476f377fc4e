// Starts the stoa binary for one test file and stops it again, checking that
// it shuts down cleanly.
//
//   STOA_BIN   the binary (default build/stoa, relative to the repo root)
//
// Server output (stdout and stderr) goes to test-results/e2e/<label>-<time>.log
// under the repo root, for debugging.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const LOG_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');

const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 5000;

export function stoaBinary() {
  return path.resolve(REPO_ROOT, process.env.STOA_BIN || 'build/stoa');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port nobody listens on right now (127.0.0.1). */
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function udpPortFree(port) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '0.0.0.0', () => sock.close(() => resolve(true)));
  });
}

/** The first of `span` consecutive free UDP ports (the server may use one per worker). */
export async function freeUdpPort(span = 4) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let p = base; p < base + span && ok; p++) ok = await udpPortFree(p);
    if (ok) return base;
  }
  throw new Error('no free UDP port range found');
}

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Starts stoa and waits until its HTTP server answers.
 * @returns {Promise<StoaServer>}
 */
/** Resolves once something accepts TCP connections on the port. */
function tcpAccepts(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

/**
 * tls: { cert, key } (PEM file paths) serves HTTPS/WSS; readiness is then
 * checked by TCP connect, as the certificate is self-signed.
 * publicIp: the media address the server advertises (default loopback).
 */
export async function startServer({ label = 'stoa', workers = 2, logLevel = process.env.STOA_E2E_LOG_LEVEL ?? 'info', extraArgs = [], tls = null,
  publicIp = '127.0.0.1', role = 'serve' } = {}) {
  const bin = stoaBinary();
  if (!fs.existsSync(bin)) throw new Error(`stoa binary not found at ${bin} (build it, or set STOA_BIN)`);

  const httpPort = await freeTcpPort();
  const mediaPort = await freeUdpPort(Math.max(4, workers + 2));
  const args = [
    role,
    '--http-port', String(httpPort),
    '--media-port', String(mediaPort),
    '--public-ip', publicIp,
    '--workers', String(workers),
    '--log-level', logLevel,
    ...(tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key] : []),
    ...extraArgs,
  ];

  fs.mkdirSync(LOG_DIR, { recursive: true });
  const safe = label.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const logFile = path.join(LOG_DIR, `${safe}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const logFd = fs.openSync(logFile, 'a');
  fs.writeSync(logFd, `# ${bin} ${args.join(' ')}\n`);

  const child = spawn(bin, args, { cwd: REPO_ROOT, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      exitInfo = { code: null, signal: null, error: err };
      resolve(exitInfo);
    });
  });

  const server = new StoaServer({ child, exited, httpPort, mediaPort, logFile, args, bin, scheme: tls ? 'https' : 'http' });
  server.exitInfo = () => exitInfo;

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitInfo) {
      throw new Error(`stoa exited while starting (${JSON.stringify(exitInfo)}); log ${logFile}:\n${tail(server.log())}`);
    }
    try {
      if (tls) {
        if (await tcpAccepts(httpPort)) break;
      } else {
        const res = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`stoa did not answer HTTP within ${START_TIMEOUT_MS} ms; log ${logFile}:\n${tail(server.log())}`);
    }
    await sleep(50);
  }
  return server;
}

export class StoaServer {
  constructor({ child, exited, httpPort, mediaPort, logFile, args, bin, scheme = 'http' }) {
    this.child = child;
    this.exited = exited;
    this.httpPort = httpPort;
    this.mediaPort = mediaPort;
    this.logFile = logFile;
    this.args = args;
    this.bin = bin;
    this.url = `${scheme}://127.0.0.1:${httpPort}`;
    this.wsUrl = `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${httpPort}/ws`;
    this.stopped = false;
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

  logTail(lines = 40) {
    return tail(this.log(), lines);
  }

  /** The value of one sample of GET /metrics (Prometheus text), NaN when absent. */
  async metric(name) {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : NaN;
  }

  /** Whether the process is still running. */
  get running() {
    return this.exitInfo() === null;
  }

  /**
   * SIGTERM, then waits up to 5 s. Throws unless the server exited by itself
   * with status 0 in time (it is killed in that case).
   */
  async stop() {
    if (this.stopped) return this.exitInfo();
    this.stopped = true;
    const before = this.exitInfo();
    if (before) {
      throw new Error(`stoa had already exited (${JSON.stringify(before)}) before teardown; log ${this.logFile}:\n${this.logTail()}`);
    }
    const t0 = Date.now();
    this.child.kill('SIGTERM');
    const result = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => null)]);
    if (!result) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`stoa did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM (killed); log ${this.logFile}:\n${this.logTail()}`);
    }
    if (result.code !== 0) {
      throw new Error(`stoa exited with ${JSON.stringify(result)} after SIGTERM (wanted code 0); log ${this.logFile}:\n${this.logTail()}`);
    }
    return { ...result, ms: Date.now() - t0 };
  }

  /** For teardown after a failure: never throws. */
  async kill() {
    if (this.exitInfo()) return;
    this.stopped = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
