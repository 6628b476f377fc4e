// Screenshots of the web app for the documentation, saved under
// docs/screenshots/: the prejoin screen, the tile view with four people,
// the stage view with a screen share, a phone in a room of three, and the
// confirmation a moderator is asked before removing someone.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  closeMeeting, control, describeMeeting, entryAction, launchMeetingBrowser, openMeeting, openParticipantsPanel, prejoinJoin, sleep, tid, tile,
  waitState,
  serverSurvives, reportServerDeath,
} from './lib/meeting.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';
import { until, waitForFlow } from './lib/stats.mjs';

const ROOM = 'Design-Review';
const OUT = path.join(REPO_ROOT, 'docs', 'screenshots');
const MIN_BYTES = 10 * 1024;
const DESKTOP = { width: 1280, height: 800 };
const SMALL = { width: 480, height: 360 };

/** Every <video> inside visible tiles shows frames. */
function videosPlaying(p, min) {
  return p.page.waitForFunction((n) => {
    const vids = [...document.querySelectorAll('[data-testid="tile"] video')].filter((v) => v.offsetParent !== null);
    return vids.length >= n && vids.every((v) => v.videoWidth > 0 && v.readyState >= 2 && !v.paused);
  }, min, { timeout: 15000 }).catch(async () => assert.fail(`${p.name}: tile videos not playing: ${await describeMeeting(p)}`));
}

async function shoot(p, file) {
  const target = path.join(OUT, file);
  // No hover effects, no passing notices (bounded: a notice may stay).
  await p.page.mouse.move(1, 1);
  await p.page.waitForFunction(() => ![...document.querySelectorAll('[data-testid="toast"]')].some((t) => t.offsetParent !== null), null, { timeout: 8000 })
    .catch(() => console.log(`# ${file}: a toast is still shown`));
  await sleep(600); // let transitions settle
  await p.page.screenshot({ path: target, animations: 'disabled', caret: 'hide' });
  const { size } = fs.statSync(target);
  assert.ok(size > MIN_BYTES, `${file} is ${size} bytes (want > ${MIN_BYTES})`);
  console.log(`# ${path.relative(REPO_ROOT, target)}: ${size} bytes`);
  return target;
}

describe('screenshots', { timeout: 100000 }, () => {
  let server;
  let browser;
  const people = [];
  let main;

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    server = await startServer({ label: 'screenshots' });
    browser = await launchMeetingBrowser();
  });

  after(async () => {
    await Promise.all(people.map(closeMeeting));
    await browser?.close();
    reportServerDeath(server);
    await server?.kill();
  });

  test('prejoin.png: the prejoin screen', async () => {
    main = await openMeeting(browser, server.url, { room: ROOM, name: 'Alex Moreau', viewport: DESKTOP, join: false });
    people.push(main);
    assert.equal(await waitState(main, ['prejoin']), 'prejoin');
    await main.page.locator(tid('prejoin-name')).fill('Alex Moreau');
    await main.page.waitForFunction(() => {
      const v = document.querySelector('[data-testid="prejoin-preview"]');
      return v && v.videoWidth > 0 && v.readyState >= 2;
    }, null, { timeout: 10000 });
    await shoot(main, 'prejoin.png');
  });

  test('tile-view-4.png: four people in the tile view', async () => {
    await prejoinJoin(main);
    await waitState(main, ['joined']);
    for (const name of ['Bea Lindqvist', 'Chidi Okafor', 'Dana Ito']) {
      people.push(await openMeeting(browser, server.url, { room: ROOM, name, viewport: SMALL }));
    }
    const others = people.slice(1).map((p) => p.id);
    await waitForFlow(main, others, { timeoutMs: 25000, kinds: ['video'] });
    const tiles = main.page.locator(tid('tiles'));
    if ((await tiles.getAttribute('data-view')) !== 'tile') await main.page.locator(tid('view-toggle')).click();
    await until(async () => (await tiles.getAttribute('data-view')) === 'tile', { timeoutMs: 3000, what: 'tile view' });
    assert.equal(await main.page.locator(`${tid('tile')}[data-source="camera"]`).count(), 4);
    await videosPlaying(main, 4);
    await shoot(main, 'tile-view-4.png');
  });

  test('stage-view-screenshare.png: a screen share on stage', async () => {
    const sharer = people[1];
    await (await control(sharer, 'screen-toggle')).click();
    const screenTile = tile(main, sharer.id, 'screen');
    await screenTile.waitFor({ state: 'visible', timeout: 15000 })
      .catch(async () => assert.fail(`no screen tile: ${await describeMeeting(main)}`));
    const tiles = main.page.locator(tid('tiles'));
    // A share takes the stage by itself.
    await until(async () => (await tiles.getAttribute('data-view')) === 'stage', { timeoutMs: 5000, what: 'stage view' });
    if ((await screenTile.getAttribute('data-stage')) !== 'true') await screenTile.locator(tid('tile-pin')).click();
    await until(async () => (await screenTile.getAttribute('data-stage')) === 'true', { timeoutMs: 3000, what: 'the screen share on stage' });
    await main.page.waitForFunction((id) => {
      const v = document.querySelector(`[data-testid="tile"][data-participant="${id}"][data-source="screen"] video`);
      return v && v.videoWidth > 0 && v.readyState >= 2;
    }, sharer.id, { timeout: 15000 });
    await videosPlaying(main, 2);
    await shoot(main, 'stage-view-screenshare.png');
  });

  test('phone.png: a phone in a room of three', async () => {
    // Down to two, then the phone makes three.
    for (const p of people.splice(2, 2)) await closeMeeting(p);
    await closeMeeting(people.splice(1, 1)[0]);
    const phone = await openMeeting(browser, server.url, { room: ROOM, name: 'Eli Santos', viewport: { width: 390, height: 844 } });
    people.push(phone);
    people.push(await openMeeting(browser, server.url, { room: ROOM, name: 'Fay Brooks', viewport: SMALL }));
    await phone.page.waitForFunction(() => window.stoa.participants.size === 2, null, { timeout: 10000 });
    const others = [...(await phone.page.evaluate(() => [...window.stoa.participants.keys()]))];
    await waitForFlow(phone, others, { timeoutMs: 20000, kinds: ['video'] });
    await videosPlaying(phone, 2);
    await shoot(phone, 'phone.png');
  });

  test('phone-landscape.png: the phone on its side, with what does not fit under More', async () => {
    const phone = people.find((p) => p.name === 'Eli Santos');
    await phone.page.setViewportSize({ width: 844, height: 390 });
    await videosPlaying(phone, 2);
    await phone.page.locator(tid('more-open')).click();
    await phone.page.locator(tid('more-menu')).waitFor({ state: 'visible', timeout: 5000 });
    await shoot(phone, 'phone-landscape.png');
    await phone.page.keyboard.press('Escape');
  });

  test('confirm-remove.png: the moderator is asked before removing someone', async () => {
    const fay = people[people.length - 1];
    await openParticipantsPanel(main);
    await (await entryAction(main, fay.id, 'mod-kick')).click();
    const dialog = main.page.locator(tid('confirm-dialog'));
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    await shoot(main, 'confirm-remove.png');
    await dialog.locator(tid('confirm-cancel')).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  });

  test('all six files exist', () => {
    for (const f of ['prejoin.png', 'tile-view-4.png', 'stage-view-screenshare.png', 'phone.png', 'phone-landscape.png',
      'confirm-remove.png']) {
      const { size } = fs.statSync(path.join(OUT, f));
      assert.ok(size > MIN_BYTES, `${f}: ${size} bytes`);
    }
  });
  test('the server survived and exits with status 0 on SIGTERM', () => serverSurvives(server));
});
