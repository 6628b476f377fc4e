// The web app as a person uses it: landing page, prejoin screen, controls,
// joining without devices, and server errors shown readably.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeParticipant, launchBrowser, openParticipant, waitJoinedState } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { rtpStats, sleep, until, waitForFlow } from './lib/stats.mjs';

const tid = (id) => `[data-testid="${id}"]`;

describe('web app', { timeout: 180000 }, () => {
  let server;
  let browser;
  const opened = [];

  const open = async (opts) => {
    const p = await openParticipant(browser, server.url, opts);
    opened.push(p);
    return p;
  };

  before(async () => {
    server = await startServer({ label: 'web-ui' });
    browser = await launchBrowser();
  });

  after(async () => {
    await Promise.all(opened.map(closeParticipant));
    await browser?.close();
    await server?.kill();
  });

  test('the server serves the app', async () => {
    const root = await fetch(`${server.url}/`);
    assert.equal(root.status, 200);
    assert.match(root.headers.get('content-type') ?? '', /text\/html/);
    const html = await root.text();
    assert.match(html, /\/_\/app\.js/);

    const room = await fetch(`${server.url}/Some-Room`);
    assert.equal(room.status, 200);
    assert.equal(await room.text(), html, '/<room> serves the same page as /');

    for (const [file, type] of [
      ['app.js', /javascript/],
      ['call.js', /javascript/],
      ['signalling.js', /javascript/],
      ['ui.js', /javascript/],
      ['i18n.js', /javascript/],
      ['room-name.js', /javascript/],
      ['style.css', /text\/css/],
      ['i18n/en.json', /json/],
    ]) {
      const res = await fetch(`${server.url}/_/${file}`);
      assert.equal(res.status, 200, `/_/${file}`);
      assert.match(res.headers.get('content-type') ?? '', type, `content type of /_/${file}`);
      await res.arrayBuffer();
    }
    const missing = await fetch(`${server.url}/_/no-such-file.js`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  });

  test('landing page: room names are checked (a valid one offered), Join goes to the room, the name is asked once', async () => {
    const p = await open({ name: 'Lena' });
    await p.page.goto(`${server.url}/`);
    await p.page.waitForFunction(() => window.stoa?.state === 'landing', null, { timeout: 5000 });
    assert.equal(await p.page.locator('#view-landing').isVisible(), true);

    const room = p.page.locator('#view-landing').getByLabel('Room name');
    const error = p.page.locator('#landing-room-error');
    for (const bad of ['has space', '.dot', 'ws', '_', 'ünï']) {
      await room.fill(bad);
      await p.page.getByRole('button', { name: 'Join' }).click();
      await error.waitFor({ state: 'visible', timeout: 2000 });
      assert.equal(new URL(p.page.url()).pathname, '/', `stays on the landing page for ${JSON.stringify(bad)}`);
      assert.equal(await room.getAttribute('aria-invalid'), 'true');
    }
    await room.fill('');
    await p.page.getByRole('button', { name: 'Join' }).click();
    await error.waitFor({ state: 'visible', timeout: 2000 });

    // A name that cannot be used gets a close one offered.
    const suggestion = p.page.locator(tid('room-suggestion'));
    await room.fill('my room!');
    await p.page.getByRole('button', { name: 'Join' }).click();
    await error.waitFor({ state: 'visible', timeout: 2000 });
    await suggestion.waitFor({ state: 'visible', timeout: 2000 });
    assert.equal(await suggestion.textContent(), 'Use “my-room”');
    await suggestion.click();
    assert.equal(await room.inputValue(), 'my-room');
    assert.equal(await error.isVisible(), false, 'the suggestion is a valid name');
    await room.fill('.');
    await p.page.getByRole('button', { name: 'Join' }).click();
    await error.waitFor({ state: 'visible', timeout: 2000 });
    assert.equal(await suggestion.isVisible(), false, 'nothing to offer for "."');

    // The name is asked once, on the prejoin screen, not on the landing page.
    assert.equal(await p.page.locator('#view-landing').getByLabel('Your name').count(), 0, 'the landing page asks no name');
    await room.fill('Team-Sync');
    await p.page.getByRole('button', { name: 'Join' }).click();
    await p.page.waitForURL((url) => url.pathname === '/Team-Sync', { timeout: 5000 });
    await p.page.waitForFunction(() => window.stoa?.state === 'prejoin', null, { timeout: 5000 });
    await p.page.locator(tid('prejoin')).waitFor({ state: 'visible', timeout: 5000 });
    assert.ok((await p.page.locator('#prejoin-heading').textContent()).includes('Team-Sync'), 'the prejoin screen spells the room as the link does');
    await p.page.locator(tid('prejoin-name')).fill('Lena');
    assert.equal(await p.page.evaluate(() => window.stoa.selfId), null, 'not joined before pressing join');
    await p.page.locator(tid('prejoin-join')).click();
    await waitJoinedState(p);
    const s = await p.page.evaluate(() => ({ room: window.stoa.room, name: window.stoa.name }));
    assert.deepEqual(s, { room: 'team-sync', name: 'Lena' });
    assert.ok((await p.page.locator('#room-heading').textContent()).includes('Team-Sync'), 'the room heading spells the room as the link does');
    assert.equal(await p.page.evaluate(() => localStorage.getItem('stoa.name')), 'Lena');

    await p.page.locator(tid('leave')).click();
    await p.page.waitForFunction(() => window.stoa?.state === 'left', null, { timeout: 5000 });
    const ended = p.page.locator(tid('ended'));
    await ended.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await ended.getAttribute('data-reason'), 'left');

    await p.page.goto(`${server.url}/Team-Sync`);
    await p.page.waitForFunction(() => window.stoa?.state === 'prejoin', null, { timeout: 5000 });
    assert.equal(await p.page.locator(tid('prejoin-name')).inputValue(), 'Lena', 'the name is remembered');
  });

  test('room page asks for the name, then remembers it', async () => {
    const p = await open({ name: 'Max' });
    await p.page.goto(`${server.url}/prompt-room`);
    await p.page.waitForFunction(() => window.stoa?.state === 'prejoin', null, { timeout: 5000 });
    const prejoin = p.page.locator(tid('prejoin'));
    await prejoin.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await prejoin.locator('h1').textContent(), /prompt-room/);
    assert.equal(await p.page.locator(tid('prejoin-name')).inputValue(), '', 'no name known yet');
    await p.page.locator(tid('prejoin-name')).fill('Max');
    await p.page.locator(tid('prejoin-join')).click();
    await waitJoinedState(p);
    assert.equal(await p.page.evaluate(() => window.stoa.name), 'Max');
    const selfName = p.page.locator(`${tid('tile')}[data-participant="${p.id}"][data-source="camera"] ${tid('tile-name')}`);
    await selfName.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await selfName.textContent(), /Max/);

    await p.page.reload();
    await p.page.waitForFunction(() => window.stoa?.state === 'prejoin', null, { timeout: 5000 });
    assert.equal(await p.page.locator(tid('prejoin-name')).inputValue(), 'Max');
  });

  test('microphone and camera toggles show on the other tile', async () => {
    const [una, vic] = await Promise.all(['Una', 'Vic'].map((name) => open({ room: 'toggles', name })));
    await waitForFlow(vic, [una.id], { timeoutMs: 20000 });

    const tile = vic.page.locator(`${tid('tile')}[data-participant="${una.id}"][data-source="camera"]`);
    const attr = (loc, name, value, what) =>
      until(async () => (await loc.getAttribute(name)) === value, { timeoutMs: 5000, what });
    await tile.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await tile.locator(tid('tile-name')).textContent(), 'Una');
    assert.equal(await tile.getAttribute('data-muted'), 'false');
    assert.equal(await tile.getAttribute('data-camera-off'), 'false');

    const mic = una.page.locator(tid('mic-toggle'));
    const cam = una.page.locator(tid('camera-toggle'));
    assert.equal(await mic.getAttribute('aria-pressed'), 'true');
    assert.equal(await cam.getAttribute('aria-pressed'), 'true');

    await mic.click();
    await attr(tile, 'data-muted', 'true', "Una's tile muted on Vic's page");
    assert.equal(await una.page.evaluate(() => window.stoa.localStream.getAudioTracks()[0].enabled), false);
    assert.equal(await mic.getAttribute('aria-pressed'), 'false', 'the mic button shows the microphone is off');
    assert.equal(await mic.getAttribute('aria-label'), 'Microphone', 'the label stays; aria-pressed carries on/off');

    await cam.click();
    await attr(tile, 'data-camera-off', 'true', "Una's tile camera-off on Vic's page");
    assert.equal(await cam.getAttribute('aria-pressed'), 'false');
    assert.equal(await una.page.evaluate(() => window.stoa.localStream.getVideoTracks()[0].enabled), false);
    const selfTile = una.page.locator(`${tid('tile')}[data-participant="${una.id}"][data-source="camera"]`);
    await attr(selfTile, 'data-camera-off', 'true', "Una's own tile camera-off");
    await attr(selfTile, 'data-muted', 'true', "Una's own tile muted");

    await mic.click();
    await cam.click();
    await attr(tile, 'data-muted', 'false', "Una's tile unmuted on Vic's page");
    await attr(tile, 'data-camera-off', 'false', "Una's tile camera on on Vic's page");
    assert.equal(await mic.getAttribute('aria-pressed'), 'true');
    assert.equal(await cam.getAttribute('aria-pressed'), 'true');
    const state = await vic.page.evaluate((id) => window.stoa.participants.get(id), una.id);
    assert.equal(state.audio, true);
    assert.equal(state.video, true);
    await waitForFlow(vic, [una.id], { timeoutMs: 10000 });

    // Hand and view toggles name what they will do, and expose the state.
    const label = (loc) => loc.locator('.ctrl-label').textContent();
    const hand = una.page.locator(tid('hand-toggle'));
    assert.equal(await label(hand), 'Raise hand');
    assert.equal(await hand.getAttribute('aria-pressed'), 'false');
    await hand.click();
    await attr(hand, 'aria-pressed', 'true', "Una's hand button pressed");
    assert.equal(await label(hand), 'Lower hand');
    assert.equal(await hand.getAttribute('aria-label'), 'Lower hand', 'the accessible name is the visible label');
    await hand.click();
    await attr(hand, 'aria-pressed', 'false', "Una's hand button released");
    assert.equal(await label(hand), 'Raise hand');
    const view = una.page.locator(tid('view-toggle'));
    const before = await view.getAttribute('aria-pressed');
    await view.click();
    const after = before === 'true' ? 'false' : 'true';
    await attr(view, 'aria-pressed', after, 'the view button toggled');
    assert.equal(await label(view), after === 'true' ? 'Tile view' : 'Stage view', 'the view button names the other view');
    if (after !== 'true') {
      await view.click();
      await attr(view, 'aria-pressed', 'true', 'stage view');
    }
    // The camera on the stage shows its whole frame: nothing cut off.
    const stage = await una.page.waitForFunction(() => {
      const v = document.querySelector('[data-testid="tile"][data-stage="true"] video');
      if (!v || !v.videoWidth) return null;
      const r = v.getBoundingClientRect();
      const fit = getComputedStyle(v).objectFit;
      return { fit, box: r.width / r.height, frame: v.videoWidth / v.videoHeight };
    }, null, { timeout: 10000 }).then((h) => h.jsonValue());
    const whole = stage.fit === 'contain' || stage.fit === 'scale-down' || Math.abs(stage.box / stage.frame - 1) < 0.02;
    assert.ok(whole, `the stage video shows the whole frame: ${JSON.stringify(stage)}`);
  });

  test('a participant without devices joins and still receives', async () => {
    const wes = await open({ room: 'no-devices', name: 'Wes' });
    const p = await openParticipant(browser, server.url, { name: 'Xia' }).then((x) => {
      opened.push(x);
      return x;
    });
    await p.context.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no devices here', 'NotFoundError'));
    });
    await p.page.goto(`${server.url}/no-devices?name=Xia&autojoin=1`);
    p.room = 'no-devices';
    await waitJoinedState(p);

    await waitForFlow(p, [wes.id], { timeoutMs: 20000 });
    assert.equal(await p.page.locator(tid('mic-toggle')).isDisabled(), true);
    assert.equal(await p.page.locator(tid('camera-toggle')).isDisabled(), true);
    const own = await p.page.evaluate(() =>
      window.stoa.pc
        .getTransceivers()
        .filter((t) => t.mid === '0' || t.mid === '1')
        .map((t) => ({ mid: t.mid, direction: t.currentDirection })),
    );
    assert.deepEqual(own, [
      { mid: '0', direction: 'inactive' },
      { mid: '1', direction: 'inactive' },
    ]);
    await wes.page.waitForFunction(
      (id) => {
        const x = window.stoa.participants.get(id);
        return x && x.audio === false && x.video === false;
      },
      p.id,
      { timeout: 5000 },
    );
    const wesIn = (await rtpStats(wes.page)).inbound.filter((i) => i.participant === p.id && i.packetsReceived > 0);
    assert.deepEqual(wesIn, [], 'Wes receives nothing from Xia');
  });

  test('a server error is shown readably', async () => {
    const p = await openParticipant(browser, server.url, { name: 'Yan' });
    opened.push(p);
    // Make the page ask for a room the server refuses.
    await p.context.addInitScript(() => {
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        if (typeof data === 'string' && data.includes('"join"')) data = JSON.stringify({ ...JSON.parse(data), room: '.refused' });
        return send.call(this, data);
      };
    });
    await p.page.goto(`${server.url}/fine-room?name=Yan&autojoin=1`);
    await p.page.waitForFunction(() => window.stoa?.state === 'error', null, { timeout: 5000 });
    assert.equal(await p.page.locator('#view-error').isVisible(), true);
    assert.match(await p.page.locator('#error-text').textContent(), /room name cannot be used/);
    assert.deepEqual(
      await p.page.evaluate(() => window.stoa.errors.map((e) => [e.code, e.re])),
      [['bad-room-name', 'join']],
    );
  });

  test('`?` lists the shortcuts; Space held talks while muted, and only then', async () => {
    const a = await open({ room: 'keys', name: 'Kay' });
    const b = await open({ room: 'keys', name: 'Bea' });
    await a.page.evaluate(() => document.activeElement?.blur());
    await a.page.keyboard.press('?');
    const help = a.page.locator(tid('shortcuts-dialog'));
    await help.waitFor({ state: 'visible', timeout: 3000 });
    const keys = await help.locator('dt').allTextContents();
    for (const k of ['M', 'V', 'R', 'C', 'T', 'Space', '?']) assert.ok(keys.includes(k), `the list names ${k} (${keys.join(' ')})`);
    await a.page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden', timeout: 3000 });

    const micOf = (p, id) => p.page.evaluate((x) => window.stoa.participants.get(x)?.audio, id);
    await a.page.keyboard.press('m');
    await until(async () => (await micOf(b, a.id)) === false, { what: 'Bea sees Kay muted' });
    await a.page.evaluate(() => document.activeElement?.blur());
    await a.page.keyboard.down('Space');
    await until(async () => (await micOf(b, a.id)) === true, { what: 'Bea sees Kay talking while Space is held' });
    assert.equal(await a.page.evaluate(() => window.stoa.media.audio), true);
    await a.page.keyboard.up('Space');
    await until(async () => (await micOf(b, a.id)) === false, { what: 'Kay muted again on release' });
    // With the microphone on, Space leaves it on; on a focused button it presses the button.
    await a.page.keyboard.press('m');
    await until(async () => (await micOf(b, a.id)) === true, { what: 'Kay unmuted' });
    await a.page.evaluate(() => document.activeElement?.blur());
    await a.page.keyboard.down('Space');
    await a.page.keyboard.up('Space');
    await sleep(500);
    assert.equal(await a.page.evaluate(() => window.stoa.media.audio), true, 'Space does not mute an open microphone');
    await Promise.all([a, b].map(closeParticipant));
  });

  test('the arrows beside microphone and camera list the devices and switch in the call', async () => {
    const a = await open({ room: 'devices', name: 'Dev' });
    const menu = a.page.locator(tid('device-menu'));
    await a.page.locator(tid('camera-devices')).click();
    await menu.waitFor({ state: 'visible', timeout: 3000 });
    assert.equal(await menu.getAttribute('data-kind'), 'camera');
    const cams = menu.locator(`${tid('device-choice')}[data-kind="camera"]`);
    assert.ok(await cams.count() >= 1, 'the fake camera is listed');
    assert.equal(await menu.locator('[aria-pressed="true"]').count(), 1, 'the camera in use is marked');
    await a.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 3000 });
    assert.equal(await a.page.evaluate(() => document.activeElement?.dataset.testid), 'camera-devices');

    await a.page.locator(tid('mic-devices')).click();
    await menu.waitFor({ state: 'visible', timeout: 3000 });
    const mics = menu.locator(`${tid('device-choice')}[data-kind="mic"]`);
    const n = await mics.count();
    assert.ok(n >= 2, `Chromium's fake microphones are listed (${n})`);
    const before = await a.page.evaluate(() => window.stoa.localStream.getAudioTracks()[0].getSettings().deviceId);
    const other = mics.locator(':scope:not([aria-pressed="true"])').first();
    const wanted = await other.getAttribute('data-device-id');
    await other.click();
    await menu.waitFor({ state: 'hidden', timeout: 3000 });
    await until(() => a.page.evaluate((id) => window.stoa.localStream.getAudioTracks()[0]?.getSettings().deviceId === id, wanted),
      { what: 'the chosen microphone is the one sending' });
    assert.notEqual(wanted, before);
    // Still sending: the browser's audio sender carries the new track.
    assert.equal(await a.page.evaluate(() => window.stoa.pc.getSenders().some((x) => x.track?.kind === 'audio' &&
      x.track === window.stoa.localStream.getAudioTracks()[0])), true, 'the call sends the new microphone');
    await closeParticipant(a);
  });

  test('the meeting timer counts from when the room opened, also for a late joiner', async () => {
    const first = await open({ room: 'timed', name: 'Tim' });
    await sleep(3200);
    const late = await open({ room: 'timed', name: 'Lia' });
    const seconds = (text) => text.split(':').map(Number).reduce((acc, n) => acc * 60 + n, 0);
    const timer = late.page.locator(tid('meeting-timer'));
    assert.equal(await timer.isVisible(), true);
    const shown = seconds(await timer.textContent());
    assert.ok(shown >= 3 && shown <= 30, `the late joiner's timer counts the meeting, not its own stay (${shown} s)`);
    const mine = seconds(await first.page.locator(tid('meeting-timer')).textContent());
    assert.ok(Math.abs(mine - shown) <= 2, `both show the same meeting time (${mine} vs ${shown} s)`);
    assert.deepEqual(await late.page.evaluate(async () => {
      const { formatDuration } = await import('/_/meeting-timer.js');
      return [formatDuration(0), formatDuration(65000), formatDuration(3723000)];
    }), ['0:00', '1:05', '1:02:03']);
    await Promise.all([first, late].map(closeParticipant));
  });

  test('each tile shows its connection quality from getStats, with the figures on hover', async () => {
    const a = await open({ room: 'quality', name: 'Qin' });
    const b = await open({ room: 'quality', name: 'Rob' });
    await waitForFlow(a, [b.id], { timeoutMs: 20000 });
    const badge = a.page.locator(`${tid('tile')}[data-participant="${b.id}"][data-source="camera"] ${tid('tile-quality')}`);
    await until(async () => (await badge.isVisible()) && Number(await badge.getAttribute('data-fps')) > 0,
      { timeoutMs: 10000, what: 'a quality badge with a frame rate on Rob\'s tile' });
    const level = await badge.getAttribute('data-quality');
    const title = await badge.getAttribute('title');
    console.log(`# Rob's tile at Qin: ${level}: ${title}`);
    assert.ok(['good', 'fair'].includes(level), `loopback is not a poor connection (${level}: ${title})`);
    assert.ok(Number(await badge.getAttribute('data-loss-pct')) < 3, 'hardly any loss on loopback');
    assert.match(title, /receiving \d+ lines at \d+ fps, \d+ kbit\/s, [\d.]+ % lost, jitter \d+ ms, round trip \d+ ms/);
    assert.equal(await badge.getAttribute('aria-label'), title, 'screen readers get the same figures');
    const own = a.page.locator(`${tid('tile')}[data-participant="${a.id}"][data-source="camera"] ${tid('tile-quality')}`);
    await until(async () => /^[A-Z][a-z]+ connection: sending/.test((await own.getAttribute('title')) ?? ''),
      { timeoutMs: 10000, what: 'Qin\'s own tile tells what she sends' });
    // The thresholds, from figures given.
    assert.deepEqual(await a.page.evaluate(async () => {
      const { qualityLevel } = await import('/_/tile-quality.js');
      return [
        qualityLevel({}),
        qualityLevel({ loss: 0, rttMs: 20, jitterMs: 5, fps: 30 }),
        qualityLevel({ loss: 0.05, rttMs: 20, fps: 30 }),
        qualityLevel({ loss: 0, rttMs: 350, fps: 30 }),
        qualityLevel({ loss: 0, rttMs: 20, fps: 30, limited: true }),
        qualityLevel({ loss: 0.15, rttMs: 20, fps: 30 }),
        qualityLevel({ loss: 0, rttMs: 20, fps: 3 }),
      ];
    }), [null, 'good', 'fair', 'fair', 'fair', 'poor', 'poor']);
    await Promise.all([a, b].map(closeParticipant));
  });

  test('a failed media connection names the cause the facts point to', async () => {
    const p = await open({ room: 'causes', name: 'Cal' });
    const keys = await p.page.evaluate(async () => {
      const { mediaFailureKey } = await import('/_/media-failure.js');
      return {
        signallingGone: mediaFailureKey({ signallingOpen: false, dtlsState: 'failed', everConnected: true }),
        dtls: mediaFailureKey({ signallingOpen: true, dtlsState: 'failed', everConnected: false }),
        lost: mediaFailureKey({ signallingOpen: true, dtlsState: 'connected', everConnected: true }),
        neverReached: mediaFailureKey({ signallingOpen: true, dtlsState: 'new', everConnected: false }),
      };
    });
    assert.deepEqual(keys, { signallingGone: null, dtls: 'error.media-dtls-failed', lost: 'error.media-lost',
      neverReached: 'error.media-unreachable' });
    await closeParticipant(p);
  });

  test('one state at a time: the "connection lost" page has no banner of the room over it', async () => {
    const lone = await startServer({ label: 'web-ui-lost' });
    const p = await openParticipant(browser, lone.url, { room: 'lost', name: 'Lou' });
    try {
      // Something the room shows on top (any banner; this one set by hand)...
      await p.page.evaluate(async () => (await import('/_/ui.js')).showBanner('a banner of the room'));
      assert.equal(await p.page.locator(tid('banner')).isVisible(), true);
      // ...goes with the room when the server does.
      await lone.kill();
      await p.page.waitForFunction(() => window.stoa?.state === 'left' || window.stoa?.state === 'error', null, { timeout: 10000 });
      await p.page.locator(tid('ended')).waitFor({ state: 'visible', timeout: 5000 });
      assert.equal(await p.page.locator(tid('ended')).getAttribute('data-reason'), 'connection-lost');
      assert.equal(await p.page.locator(tid('banner')).isVisible(), false, 'no banner over the "connection lost" page');
    } finally {
      await closeParticipant(p);
      await lone.kill().catch(() => {});
    }
  });

  test('stoa exits with status 0 within 5 s of SIGTERM', async () => {
    await Promise.all(opened.map(closeParticipant));
    await server.stop();
  });
});
