// A client written from docs/protocol.md alone, on another WebRTC stack:
// protocol-client/stoa_client.py (python3-aiortc) joins a room with a
// Chromium participant of the web app. It answers every offer the server
// makes; each side decodes the other's video (aiortc's frames counted by
// the client, Chromium's framesDecoded from getStats), and the server
// refused nothing the client sent.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { waitForFlow } from './lib/stats.mjs';

const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'protocol-client', 'stoa_client.py');
const SECONDS = 25;

function aiortcMissing() {
  const r = spawnSync(PYTHON, ['-c', 'import aiortc, websockets'], { stdio: 'ignore' });
  return r.status === 0 ? false : 'needs python3-aiortc and python3-websockets';
}

/** Runs the client; resolves its JSON lines (and stderr) when it exits. */
function runClient(url, room, name, onLine) {
  const child = spawn(PYTHON, [CLIENT, url, room, name, String(SECONDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const lines = [];
  child.stdout.on('data', (d) => {
    out += d;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        const obj = JSON.parse(line);
        lines.push(obj);
        onLine(obj);
      } catch {
        // not ours
      }
    }
  });
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, lines, stderr: err })));
  return { child, done };
}

describe('a client written from docs/protocol.md (aiortc)', { timeout: 120000, skip: aiortcMissing() }, () => {
  let server;
  let browser;
  let web;
  let client;

  before(async () => {
    server = await startServer({ label: 'protocol-client' });
    browser = await launchBrowser();
  });

  after(async () => {
    client?.child.kill('SIGKILL');
    await closeParticipant(web).catch(() => {});
    await browser?.close();
    await server?.kill();
  });

  test('joins, answers every offer, and each side decodes the other\'s video', async () => {
    web = await openParticipant(browser, server.url, { room: 'interop', name: 'Chromium' });
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    let joined;
    const gotId = new Promise((resolve) => { joined = resolve; });
    client = runClient(wsUrl, 'interop', 'aiortc', (obj) => { if (obj.event === 'joined') joined(obj.id); });
    const id = await Promise.race([gotId, client.done.then((r) => assert.fail(`the client exited early: ${r.stderr.slice(-2000)}`))]);
    // Chromium decodes the aiortc client's camera (and receives its audio).
    const flow = await waitForFlow(web, [id], { timeoutMs: 20000 });
    // A renegotiation: Chromium shares its screen, the client gets an offer
    // with a new section and decodes that too.
    await web.page.locator('[data-testid="screen-toggle"]').click();
    const { code, lines, stderr } = await client.done;
    const summary = lines.find((l) => l.event === 'summary');
    console.log(`# aiortc client: ${JSON.stringify(summary)}; Chromium: ${JSON.stringify(flow ?? null).slice(0, 300)}`);
    assert.equal(code, 0, `the client exits cleanly: ${stderr.slice(-2000)}`);
    assert.ok(summary, 'the client summed up');
    assert.deepEqual(summary.errors, [], 'the server refused nothing the client sent');
    assert.ok(summary.answered.length >= 1 && summary.answered[0] === 1, `offers answered in order (${summary.answered})`);
    assert.equal(summary.connection, 'connected');
    const cam = `${web.id}:camera`;
    const screen = `${web.id}:screen`;
    assert.ok((summary.frames[cam] ?? 0) >= 30, `aiortc decoded Chromium's camera (${summary.frames[cam] ?? 0} frames, ${summary.sizes[cam]})`);
    assert.ok(summary.answered.length >= 2, `the screen share's offer was answered too (${summary.answered})`);
    assert.ok((summary.frames[screen] ?? 0) >= 5, `aiortc decoded Chromium's screen (${summary.frames[screen] ?? 0} frames, ${summary.sizes[screen]})`);
    assert.doesNotMatch(server.log(), /bad-answer|refused answer/, 'no answer was refused');
  });
});
