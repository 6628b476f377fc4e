// TURN: Stoa hands out time-limited credentials (TURN REST API) for a real
// coturn; a browser forced to relay-only (`?ice=relay`) reaches the bridge
// through it and media flows both ways.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { freeTcpPort, freeUdpPort, startServer } from './lib/server.mjs';
import { sleep, waitForFlow } from './lib/stats.mjs';

const SECRET = 'e2e-turn-secret';

function haveTurnserver() {
  try {
    execFileSync('turnserver', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return err.status !== undefined && err.code !== 'ENOENT';
  }
}

async function selectedCandidateType(page) {
  return page.evaluate(async () => {
    const stats = await window.stoa.pc.getStats();
    let type = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) {
        const pair = stats.get(r.selectedCandidatePairId);
        type = stats.get(pair?.localCandidateId)?.candidateType ?? null;
      }
    });
    return type;
  });
}

describe('turn relay', { timeout: 120000, skip: haveTurnserver() ? false : 'needs coturn (turnserver)' }, () => {
  let turn;
  let turnLog;
  let dir;
  let server;
  let browser;
  let people = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-turn-'));
    const turnPort = await freeTcpPort();
    const relayBase = await freeUdpPort(50);
    turnLog = path.join(dir, 'turnserver.log');
    // A private coturn on loopback; nothing under /etc is read (-c /dev/null).
    turn = spawn('turnserver', ['-c', '/dev/null', '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1',
      `--listening-port=${turnPort}`, `--min-port=${relayBase}`, `--max-port=${relayBase + 49}`,
      '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=stoa.test', '--allow-loopback-peers',
      '--no-tls', '--no-dtls', '--no-cli', '--no-multicast-peers', `--log-file=${turnLog}`, '--simple-log',
      `--pidfile=${path.join(dir, 'turn.pid')}`], { stdio: 'ignore' });
    await sleep(500);
    server = await startServer({
      label: 'turn-relay',
      extraArgs: ['--turn-uri', `turn:127.0.0.1:${turnPort}?transport=udp`, '--turn-secret', SECRET, '--turn-ttl', '600'],
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    await server?.kill();
    turn?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a relay-only participant gets in through coturn and media flows both ways', async () => {
    const relayed = await openParticipant(browser, `${server.url}`, { room: 'relayed', name: 'Rae', query: 'ice=relay' });
    const direct = await openParticipant(browser, server.url, { room: 'relayed', name: 'Dee' });
    people = [relayed, direct];
    const servers = await relayed.page.evaluate(() => window.stoa.pc.getConfiguration().iceServers);
    assert.equal(servers.length, 1, 'joined carried one TURN server');
    assert.match(servers[0].username, /^\d+:[0-9a-f]+$/);
    await waitForFlow(relayed, [direct.id], { timeoutMs: 30000 });
    await waitForFlow(direct, [relayed.id], { timeoutMs: 30000 });
    assert.equal(await selectedCandidateType(relayed.page), 'relay', 'the relay-only participant uses a relay candidate');
    assert.equal(await selectedCandidateType(direct.page), 'host', 'the other one connects directly');
    await server.stop();
  });
});
