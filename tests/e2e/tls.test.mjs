// HTTPS and WSS: with --tls-cert/--tls-key the app, signalling and media work
// as they do over plain HTTP (browsers need this beyond localhost).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { waitForFlow } from './lib/stats.mjs';

describe('https', { timeout: 90000 }, () => {
  let server;
  let browser;
  let dir;
  let people = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stoa-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    server = await startServer({ label: 'tls', tls: { cert, key } });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeParticipant));
    await browser?.close();
    await server?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('two participants over https/wss decode each other', async () => {
    assert.match(server.url, /^https:/);
    people = await Promise.all([
      openParticipant(browser, server.url, { room: 'secure', name: 'Tess' }),
      openParticipant(browser, server.url, { room: 'secure', name: 'Tim' }),
    ]);
    const scheme = await people[0].page.evaluate(() => location.protocol);
    assert.equal(scheme, 'https:');
    await waitForFlow(people[0], [people[1].id], { timeoutMs: 20000 });
    await waitForFlow(people[1], [people[0].id], { timeoutMs: 20000 });
    await server.stop();
  });
});
