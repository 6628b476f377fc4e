// A small virtual network for impairment tests: one Linux bridge in the host
// namespace holding <subnet>.1/24 (the server's address, where stoa runs) and
// N network namespaces, each with a veth into that bridge and the address
// <subnet>.(10 + i)/24. A browser runs inside a namespace through a wrapper
// script given to playwright as its executable. Per namespace: a download
// cap (tc tbf on the egress of its host-side veth) and random input loss
// (an nftables table inside the namespace). Needs root, `ip`, `tc`, `nft`.
//
// The subnet is 127.101.0.0/24 unless another run holds it (then the next
// free 127.101.X.0/24). 127/8 addresses cross veth because every namespace
// sets route_localnet (all + its veth) and the bridge sets it on itself; the
// /24 route is longer than the local 127.0.0.0/8 one, so it wins.
//
// Names carry the pid (base 36) and a sequence number, so runs never clash;
// everything is removed by destroy(), by a process exit/signal hook if the
// caller never got there, and leftovers of dead processes are removed when
// the next network is created.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PID36 = process.pid.toString(36);
const CHROMIUM = () => process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const FIREFOX = () => process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';
const live = new Set();
let seq = 0;
let usable = null;

function run(cmd, args, { input, quiet = false } = {}) {
  try {
    return execFileSync(cmd, args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    if (quiet) return null;
    const stderr = err.stderr?.toString().trim();
    throw new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`);
  }
}
const quiet = (cmd, args) => run(cmd, args, { quiet: true });

/**
 * Whether network namespaces can be used here: {ok: true} or {ok: false,
 * reason}. Checks root and the `ip`, `tc` and `nft` tools, then really
 * builds a throwaway namespace with a veth, a bridge and a tbf qdisc
 * (kernels may lack any of these). Cached per process.
 */
export function netnsUsable() {
  if (usable) return usable;
  usable = probe();
  return usable;
}

/** A skip reason for node:test (`skip: netnsSkipReason()`): false when usable. */
export function netnsSkipReason() {
  const u = netnsUsable();
  return u.ok ? false : `network namespaces unusable: ${u.reason}`;
}

function probe() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'needs root' };
  for (const [tool, args] of [['ip', ['-V']], ['tc', ['-V']], ['nft', ['--version']]]) {
    if (spawnSync(tool, args, { stdio: 'ignore' }).status !== 0) return { ok: false, reason: `\`${tool}\` is not installed` };
  }
  const ns = `stoa-probe-${PID36}`;
  const br = `stp${PID36}`;
  const v = `stq${PID36}`;
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', br, 'type', 'bridge']);
    run('ip', ['link', 'add', `${v}h`, 'type', 'veth', 'peer', 'name', `${v}n`, 'netns', ns]);
    run('ip', ['link', 'set', `${v}h`, 'master', br]);
    run('tc', ['qdisc', 'add', 'dev', `${v}h`, 'root', 'tbf', 'rate', '500kbit', 'burst', '5000', 'latency', '100ms']);
    run('ip', ['netns', 'exec', ns, 'nft', 'add', 'table', 'inet', 'stoa_probe']);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err.message.split('\n')[0] };
  } finally {
    quiet('ip', ['link', 'del', `${v}h`]);
    quiet('ip', ['link', 'del', br]);
    quiet('ip', ['netns', 'del', ns]);
  }
}

function pidAlive(pid) {
  return fs.existsSync(`/proc/${pid}`);
}

/** Removes namespaces, bridges and wrapper dirs left by processes that died (SIGKILL). */
export function removeStale() {
  const nss = (quiet('ip', ['netns', 'list']) || '').split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  for (const ns of nss) {
    const m = /^stoa-([0-9a-z]+)-\d+-\d+$/.exec(ns);
    if (m && !pidAlive(parseInt(m[1], 36))) quiet('ip', ['netns', 'del', ns]);
  }
  const links = (quiet('ip', ['-o', 'link', 'show', 'type', 'bridge']) || '').split('\n');
  for (const line of links) {
    const m = /^\d+: (stb([0-9a-z]+)_\d+)[:@]/.exec(line);
    if (m && !pidAlive(parseInt(m[2], 36))) quiet('ip', ['link', 'del', m[1]]);
  }
  for (const d of fs.readdirSync(os.tmpdir())) {
    const m = /^stoa-netns-([0-9a-z]+)$/.exec(d);
    if (m && !pidAlive(parseInt(m[1], 36))) fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true });
  }
}

/** The first 127.101.X.0/24 (X from 0) that no interface of the host holds. */
function freeSubnet() {
  const addrs = quiet('ip', ['-o', '-4', 'addr', 'show']) || '';
  for (let x = 0; x < 256; x++) {
    if (!addrs.includes(` 127.101.${x}.`)) return `127.101.${x}`;
  }
  throw new Error('no free 127.101.X.0/24 subnet');
}

function writeSysctl(ns, key, value) {
  // /proc/sys/net is per network namespace: write it from inside.
  const file = `/proc/sys/net/${key.replaceAll('.', '/')}`;
  if (ns) run('ip', ['netns', 'exec', ns, 'sh', '-c', `echo ${value} > ${file}`]);
  else fs.writeFileSync(file, String(value));
}

/**
 * Creates the bridge and `count` namespaces. Returns a VirtualNetwork; call
 * destroy() when done (also done at process exit if forgotten).
 */
export function createNetwork({ count }) {
  if (!(count >= 1 && count <= 200)) throw new Error('createNetwork: count must be 1..200');
  const u = netnsUsable();
  if (!u.ok) throw new Error(`network namespaces unusable: ${u.reason}`);
  removeStale();
  hookExit();
  const net = new VirtualNetwork(seq++, count);
  live.add(net);
  try {
    net.setUp();
  } catch (err) {
    net.destroy();
    throw err;
  }
  return net;
}

/** One namespace: {index, ns, ip, hostVeth, nsVeth, chromium and firefox (wrapper script paths)}. */
export class VirtualNetwork {
  constructor(n, count) {
    this.id = `${PID36}_${n}`;
    this.bridge = `stb${this.id}`;
    this.subnet = null;
    this.hostIp = null;
    this.dir = path.join(os.tmpdir(), `stoa-netns-${PID36}`);
    this.hosts = [];
    for (let i = 0; i < count; i++) {
      this.hosts.push({
        index: i,
        ns: `stoa-${PID36}-${n}-${i}`,
        hostVeth: `stv${this.id}h${i}`,
        nsVeth: `stv${this.id}n${i}`,
        ip: null,
        chromium: path.join(this.dir, `chromium-${n}-${i}.sh`),
        firefox: path.join(this.dir, `firefox-${n}-${i}.sh`),
        capped: false,
        lossTable: null,
      });
    }
    for (const h of this.hosts) {
      if (h.hostVeth.length > 15) throw new Error(`interface name too long: ${h.hostVeth}`);
    }
    this.destroyed = false;
  }

  setUp() {
    this.subnet = freeSubnet();
    this.hostIp = `${this.subnet}.1`;
    run('ip', ['link', 'add', this.bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    run('ip', ['addr', 'add', `${this.hostIp}/24`, 'dev', this.bridge]);
    // Only the bridge: the host's conf/all stays as it was.
    writeSysctl(null, `ipv4.conf.${this.bridge}.route_localnet`, 1);
    run('ip', ['link', 'set', this.bridge, 'up']);
    fs.mkdirSync(this.dir, { recursive: true });
    for (const h of this.hosts) {
      h.ip = `${this.subnet}.${10 + h.index}`;
      run('ip', ['netns', 'add', h.ns]);
      // No IPv6 in the namespace: a link-local address appearing a second
      // after the link comes up is a "network change" to Chromium, which
      // then fails the page loads in flight (ERR_NETWORK_CHANGED).
      for (const key of ['ipv6.conf.default.disable_ipv6', 'ipv6.conf.all.disable_ipv6']) {
        try {
          writeSysctl(h.ns, key, 1);
        } catch {
          // a kernel without IPv6: nothing to turn off
        }
      }
      run('ip', ['link', 'add', h.hostVeth, 'type', 'veth', 'peer', 'name', h.nsVeth, 'netns', h.ns]);
      run('ip', ['link', 'set', h.hostVeth, 'master', this.bridge, 'up']);
      run('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', h.nsVeth]);
      writeSysctl(h.ns, 'ipv4.conf.all.route_localnet', 1);
      writeSysctl(h.ns, `ipv4.conf.${h.nsVeth}.route_localnet`, 1);
      run('ip', ['-n', h.ns, 'link', 'set', h.nsVeth, 'up']);
      fs.writeFileSync(h.chromium, `#!/bin/sh\nexec ip netns exec ${h.ns} ${CHROMIUM()} "$@"\n`, { mode: 0o755 });
      fs.writeFileSync(h.firefox, `#!/bin/sh\nexec ip netns exec ${h.ns} ${FIREFOX()} "$@"\n`, { mode: 0o755 });
    }
  }

  host(i) {
    const h = this.hosts[i];
    if (!h) throw new Error(`no namespace ${i} (have ${this.hosts.length})`);
    return h;
  }

  /** Runs a command inside namespace i; returns stdout. Throws on failure. */
  exec(i, cmd, args = [], opts = {}) {
    return run('ip', ['netns', 'exec', this.host(i).ns, cmd, ...args], opts);
  }

  /**
   * Caps what namespace i receives (egress of its host-side veth) to `kbit`
   * kbit/s with a token bucket. The queue holds `latencyMs` of traffic at
   * that rate; more is dropped. Replaces an earlier cap.
   */
  capDownload(i, { kbit = 500, burstBytes = 5000, latencyMs = 200 } = {}) {
    const h = this.host(i);
    run('tc', ['qdisc', 'replace', 'dev', h.hostVeth, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burstBytes),
      'latency', `${latencyMs}ms`]);
    h.capped = true;
  }

  /** Lifts the cap of namespace i (nothing if none). */
  uncapDownload(i) {
    const h = this.host(i);
    quiet('tc', ['qdisc', 'del', 'dev', h.hostVeth, 'root']);
    h.capped = false;
  }

  /** The tc statistics of namespace i's download qdisc (sent bytes, drops), or null. */
  capStats(i) {
    const out = quiet('tc', ['-s', 'qdisc', 'show', 'dev', this.host(i).hostVeth]) || '';
    const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(out);
    return m ? { bytes: Number(m[1]), packets: Number(m[2]), dropped: Number(m[3]), overlimits: Number(m[4]), text: out } : null;
  }

  /**
   * Drops `percent` % of the UDP packets namespace i receives, at random
   * (nftables input hook inside the namespace). Replaces earlier loss.
   */
  addLoss(i, percent) {
    if (!(percent >= 0 && percent <= 100)) throw new Error('addLoss: percent must be 0..100');
    this.clearLoss(i);
    const h = this.host(i);
    const table = 'stoa_loss';
    this.exec(i, 'nft', ['-f', '-'], {
      input: `table inet ${table} {\n  chain input {\n    type filter hook input priority 0;\n` +
        `    meta l4proto udp numgen random mod 100 < ${Math.round(percent)} counter drop\n  }\n}\n`,
    });
    h.lossTable = table;
  }

  /** Packets dropped so far by namespace i's loss rule (0 without one). */
  lossDropped(i) {
    const h = this.host(i);
    if (!h.lossTable) return 0;
    const out = this.exec(i, 'nft', ['list', 'table', 'inet', h.lossTable]);
    return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0);
  }

  /** Removes namespace i's loss rule (nothing if none). */
  clearLoss(i) {
    const h = this.host(i);
    if (!h.lossTable) return;
    quiet('ip', ['netns', 'exec', h.ns, 'nft', 'delete', 'table', 'inet', h.lossTable]);
    h.lossTable = null;
  }

  /**
   * Removes everything: veths (deleting one end removes both, also when a
   * process still holds the namespace), namespaces, the bridge, the wrapper
   * scripts. Synchronous, so that it runs from an exit hook; safe to repeat.
   */
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const h of this.hosts) {
      quiet('ip', ['link', 'del', h.hostVeth]);
      quiet('ip', ['netns', 'del', h.ns]);
      fs.rmSync(h.chromium, { force: true });
      fs.rmSync(h.firefox, { force: true });
    }
    quiet('ip', ['link', 'del', this.bridge]);
    if (live.size === 0) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** What exists of this network right now (for a test that checks cleanup). */
  leftovers() {
    const nss = quiet('ip', ['netns', 'list']) || '';
    const links = quiet('ip', ['-o', 'link', 'show']) || '';
    return [
      ...this.hosts.filter((h) => nss.split('\n').some((l) => l.split(' ')[0] === h.ns)).map((h) => h.ns),
      ...[this.bridge, ...this.hosts.map((h) => h.hostVeth)].filter((n) => links.includes(`: ${n}:`) || links.includes(`: ${n}@`)),
    ];
  }
}

function destroyAll() {
  for (const net of [...live]) net.destroy();
}

let hooked = false;
/** Exit and signal hooks, installed with the first network. */
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', destroyAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      destroyAll();
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}
