// Moderation in the web app: password lock, lobby, kick (confirmed first),
// raised-hand queue, the moderator role passing on when the moderator leaves,
// and ending the meeting (confirmed first).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  closeMeeting, describeMeeting, entryAction, launchMeetingBrowser, openMeeting, openParticipantsPanel, participantEntry, tid, tile, waitState,
  serverSurvives, reportServerDeath,
} from './lib/meeting.mjs';
import { startServer } from './lib/server.mjs';
import { until } from './lib/stats.mjs';

const ROOM = 'moderated';
const PASSWORD = 'correct horse';

describe('meeting moderation', { timeout: 90000 }, () => {
  let server;
  let browser;
  const open = [];
  let mod;
  let nia;

  const join = async (name, opts = {}) => {
    const p = await openMeeting(browser, server.url, { room: ROOM, name, ...opts });
    open.push(p);
    return p;
  };
  const leaveBrowser = async (p) => {
    await closeMeeting(p);
    open.splice(open.indexOf(p), 1);
  };

  /** The ids in p's hands-queue, in order (the participants panel is opened). */
  const handsShown = async (p) => {
    await openParticipantsPanel(p);
    return p.page.evaluate(() => [...document.querySelectorAll('[data-testid="hands-queue"] [data-participant]')].map((e) => e.dataset.participant));
  };

  /** The ended view with `reason`. */
  const ended = async (p, reason) => {
    const view = p.page.locator(tid('ended'));
    await view.waitFor({ state: 'visible', timeout: 5000 })
      .catch(async () => assert.fail(`${p.name} shows no ended view: ${await describeMeeting(p)}`));
    assert.equal(await view.getAttribute('data-reason'), reason, `${p.name}'s ended view gives the reason`);
  };

  before(async () => {
    server = await startServer({ label: 'meeting-moderation' });
    browser = await launchMeetingBrowser();
    mod = await join('Mod');
    assert.equal(await mod.page.evaluate(() => window.stoa.role), 'moderator');
  });

  after(async () => {
    await Promise.all(open.map(closeMeeting));
    await browser?.close();
    reportServerDeath(server);
    await server?.kill();
  });

  test('password lock: refused without, error on a wrong one, admitted with the right one', async () => {
    await openParticipantsPanel(mod);
    await mod.page.locator(tid('lock-password')).fill(PASSWORD);
    await mod.page.locator(tid('lock-set')).click();
    await mod.page.waitForFunction(() => window.stoa.roomState.locked === true, null, { timeout: 5000 });

    nia = await join('Nia', { waitJoined: false });
    assert.equal(await waitState(nia, ['password', 'joined']), 'password', 'a newcomer must give the password');
    const input = nia.page.locator(tid('password-input'));
    await input.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await nia.page.locator(tid('password-error')).isVisible(), false);
    assert.equal(await nia.page.locator(tid('banner')).isVisible(), false, 'no "Connecting…" over the password page');
    await input.fill('wrong horse');
    await nia.page.locator(tid('password-submit')).click();
    await nia.page.locator(tid('password-error')).waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await nia.page.evaluate(() => window.stoa.state), 'password');
    await input.fill(PASSWORD);
    await nia.page.locator(tid('password-submit')).click();
    await waitState(nia, ['joined'], 10000);
    assert.equal(await nia.page.evaluate(() => window.stoa.role), 'participant');
    await tile(mod, nia.id).waitFor({ state: 'visible', timeout: 5000 });

    await mod.page.locator(tid('unlock')).click();
    await nia.page.waitForFunction(() => window.stoa.roomState.locked === false, null, { timeout: 5000 });
  });

  test('lobby: a knock is admitted, another is rejected', async () => {
    await openParticipantsPanel(mod);
    await mod.page.locator(tid('lobby-toggle')).check();
    await nia.page.waitForFunction(() => window.stoa.roomState.lobby === true, null, { timeout: 5000 });

    const kai = await join('Kai', { waitJoined: false });
    assert.equal(await waitState(kai, ['lobby', 'joined']), 'lobby', 'the newcomer waits');
    await kai.page.locator(tid('lobby-waiting')).waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await kai.page.locator(tid('banner')).isVisible(), false, 'no "Connecting…" over the lobby page');
    const entry = mod.page.locator(`${tid('lobby-list')} ${tid('lobby-entry')}`);
    await entry.first().waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await entry.count(), 1);
    const kaiId = await entry.first().getAttribute('data-id');
    await entry.first().locator(tid('lobby-admit')).click();
    await waitState(kai, ['joined'], 10000);
    assert.equal(kai.id, kaiId, 'the lobby entry named Kai');
    await entry.first().waitFor({ state: 'detached', timeout: 5000 });
    for (const p of [mod, nia]) await tile(p, kai.id).waitFor({ state: 'visible', timeout: 5000 });

    const rex = await join('Rex', { waitJoined: false });
    assert.equal(await waitState(rex, ['lobby', 'joined']), 'lobby');
    await entry.first().waitFor({ state: 'visible', timeout: 5000 });
    await entry.first().locator(tid('lobby-reject')).click();
    await ended(rex, 'rejected');
    assert.notEqual(await rex.page.evaluate(() => window.stoa.state), 'joined');
    await leaveBrowser(rex);

    await mod.page.locator(tid('lobby-toggle')).uncheck();
    await nia.page.waitForFunction(() => window.stoa.roomState.lobby === false, null, { timeout: 5000 });
  });

  /** Clicks `button` on p's page: a confirmation opens, with the keyboard on Cancel. */
  const askedToConfirm = async (p, button, titlePart) => {
    await button.click();
    const dialog = p.page.locator(tid('confirm-dialog'));
    await dialog.waitFor({ state: 'visible', timeout: 5000 });
    const title = await dialog.locator(tid('confirm-title')).textContent();
    assert.ok(title.includes(titlePart), `the confirmation asks "${title}" (wanted "${titlePart}")`);
    assert.equal(await p.page.evaluate(() => document.activeElement?.dataset.testid), 'confirm-cancel', 'Cancel has the keyboard');
    return dialog;
  };

  test('kick: asked first; the target sees the ended view, the others lose its tile, the keyboard stays in the list', async () => {
    const kai = open.find((p) => p.name === 'Kai');
    assert.ok(kai?.id, 'Kai is in the room');
    await openParticipantsPanel(mod);
    // Remove is under the row's "…" (one per person), with the other
    // actions; the microphone's is in the row.
    const row = participantEntry(mod, kai.id);
    assert.equal(await row.locator('button:visible').count(), 2, 'a row shows two buttons: the microphone\'s action and "…"');
    assert.equal(await row.locator(tid('mod-kick')).isVisible(), false, 'Remove is not in the row');
    let kick = await entryAction(mod, kai.id, 'mod-kick');
    assert.equal(await row.locator(tid('entry-more')).getAttribute('aria-expanded'), 'true');
    // Escape closes "…" and gives the keyboard back to it.
    await mod.page.keyboard.press('Escape');
    await kick.waitFor({ state: 'hidden', timeout: 2000 });
    assert.equal(await mod.page.evaluate(() => document.activeElement?.dataset.testid), 'entry-more', 'Escape: back on "…"');
    assert.equal(await mod.page.locator(tid('participants-panel')).isVisible(), true, 'Escape in "…" leaves the panel open');
    // Cancelled: nothing happens, and the keyboard is back on "…".
    kick = await entryAction(mod, kai.id, 'mod-kick');
    let dialog = await askedToConfirm(mod, kick, 'Kai');
    await dialog.locator(tid('confirm-cancel')).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal(await mod.page.evaluate(() => document.activeElement?.dataset.testid), 'entry-more', 'focus is back on "…"');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await kai.page.evaluate(() => window.stoa.state), 'joined', 'a cancelled removal removes nobody');
    assert.ok(await mod.page.evaluate((id) => window.stoa.participants.has(id), kai.id));

    dialog = await askedToConfirm(mod, await entryAction(mod, kai.id, 'mod-kick'), 'Kai');
    await dialog.locator(tid('confirm-ok')).click();
    await ended(kai, 'kicked');
    await mod.page.waitForFunction((id) => !document.querySelector(`[data-testid="participant-entry"][data-participant="${id}"]`), kai.id, { timeout: 5000 });
    const focus = await mod.page.evaluate(() => ({
      inList: !!document.activeElement?.closest('.participant-list'),
      what: document.activeElement?.outerHTML.slice(0, 120),
    }));
    assert.ok(focus.inList, `after the removal the keyboard stays in the list (focus on ${focus.what})`);
    for (const p of [mod, nia]) {
      await tile(p, kai.id).waitFor({ state: 'detached', timeout: 5000 })
        .catch(async () => assert.fail(`${p.name} still shows Kai: ${await describeMeeting(p)}`));
      assert.equal(await p.page.evaluate((id) => window.stoa.participants.has(id), kai.id), false);
    }
    await leaveBrowser(kai);
  });

  test('raised hands are shown in hands-queue in order, for everyone', async () => {
    const oli = await join('Oli');
    const all = [mod, nia, oli];
    for (const p of all) await p.page.waitForFunction(() => window.stoa.participants.size === 2, null, { timeout: 5000 });
    const order = [];
    for (const p of [nia, oli, mod]) {
      await p.page.locator(tid('hand-toggle')).click();
      order.push(p.id);
      for (const q of all) {
        await q.page.waitForFunction((want) => JSON.stringify(window.stoa.hands) === want, JSON.stringify(order), { timeout: 5000 })
          .catch(async () => assert.fail(`${q.name}: hands ${JSON.stringify(await q.page.evaluate(() => window.stoa.hands))}, want ${JSON.stringify(order)}`));
      }
    }
    for (const p of all) {
      const shown = await until(async () => {
        const ids = await handsShown(p);
        return JSON.stringify(ids) === JSON.stringify(order) ? ids : null;
      }, { timeoutMs: 5000, what: `${p.name}'s hands-queue` }).catch(async (err) => assert.fail(`${err.message}: ${JSON.stringify(await handsShown(p))}`));
      assert.deepEqual(shown, order);
    }
    await nia.page.locator(`${tid('tile')}[data-participant="${oli.id}"][data-source="camera"][data-hand="true"]`).waitFor({ state: 'attached', timeout: 5000 });
    assert.equal(await participantEntry(mod, nia.id).getAttribute('data-hand'), 'true');

    // The moderator lowers Nia's hand.
    await (await entryAction(mod, nia.id, 'mod-lower-hand')).click();
    const rest = order.slice(1);
    for (const p of all) {
      await until(async () => JSON.stringify(await handsShown(p)) === JSON.stringify(rest), { timeoutMs: 5000, what: `${p.name}'s hands-queue without Nia` });
    }
  });

  test('when the moderator leaves, the next one gets the moderator controls', async () => {
    await openParticipantsPanel(nia);
    assert.equal(await nia.page.locator(tid('mute-all')).isVisible(), false, 'a participant has no mute-all');
    assert.equal(await participantEntry(nia, mod.id).locator(tid('mod-kick')).count(), 0, 'a participant has no kick button');
    assert.equal(await participantEntry(nia, mod.id).locator(tid('entry-more')).count(), 0, 'nor a moderator\'s "…"');
    await mod.page.locator(tid('leave')).click();
    await leaveBrowser(mod);
    await nia.page.waitForFunction(() => window.stoa.role === 'moderator', null, { timeout: 5000 })
      .catch(async () => assert.fail(`Nia did not become moderator: ${await describeMeeting(nia)}`));
    await openParticipantsPanel(nia);
    await nia.page.locator(tid('mute-all')).waitFor({ state: 'visible', timeout: 5000 });
    const oli = open.find((p) => p.name === 'Oli');
    await participantEntry(nia, oli.id).locator(tid('entry-more')).waitFor({ state: 'visible', timeout: 5000 });
    await entryAction(nia, oli.id, 'mod-kick');
    await until(async () => (await participantEntry(oli, nia.id).getAttribute('data-role').catch(() => null)) === 'moderator'
      || (await oli.page.evaluate((id) => window.stoa.participants.get(id)?.role, nia.id)) === 'moderator', { timeoutMs: 5000, what: 'Oli to see Nia as moderator' });
  });
  test('mute everyone and end meeting, each confirmed first: the moderator who ended it is told so and offered to join again; the others that a moderator did', async () => {
    const oli = open.find((p) => p.name === 'Oli');
    await openParticipantsPanel(nia);
    // Mute everyone, confirmed: Oli's microphone goes off.
    assert.equal(await oli.page.evaluate(() => window.stoa.media.audio), true, 'Oli speaks before');
    const muteAll = await askedToConfirm(nia, nia.page.locator(tid('mute-all')), 'Mute everyone');
    await muteAll.locator(tid('confirm-ok')).click();
    await oli.page.waitForFunction(() => window.stoa.media.audio === false, null, { timeout: 5000 })
      .catch(async () => assert.fail(`Oli's microphone stayed on: ${await describeMeeting(oli)}`));
    const end = nia.page.locator(tid('end-meeting'));
    // Escape cancels.
    let dialog = await askedToConfirm(nia, end, 'End the meeting');
    await nia.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await oli.page.evaluate(() => window.stoa.state), 'joined', 'a cancelled end ends nothing');
    dialog = await askedToConfirm(nia, end, 'End the meeting');
    await dialog.locator(tid('confirm-ok')).click();
    await ended(nia, 'meeting-ended');
    await ended(oli, 'meeting-ended');
    const seen = (p) => p.page.evaluate(() => ({
      heading: document.getElementById('ended-heading').textContent,
      rejoin: !document.getElementById('ended-rejoin').hidden,
    }));
    const [byNia, byOli] = [await seen(nia), await seen(oli)];
    assert.equal(byNia.heading, 'You ended the meeting');
    const ring = await nia.page.evaluate(() => {
      const h = document.getElementById('ended-heading');
      return { focused: document.activeElement === h, outline: getComputedStyle(h).outlineStyle };
    });
    assert.deepEqual(ring, { focused: true, outline: 'none' }, 'the ended view takes the focus at its heading, with no focus box drawn');
    assert.ok(byNia.rejoin, 'the one who ended it can join again');
    assert.equal(byOli.heading, 'The meeting has ended');
  });

  test('the server survived and exits with status 0 on SIGTERM', () => serverSurvives(server));
});
