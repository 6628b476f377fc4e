// Screen share and moderator mutes with real media.
//  1. Server and bridge alone, with a minimal protocol client (no web app): a
//     screen shared after `renegotiate` arrives as a second stream; a muted
//     source stops being forwarded even when its sender ignores `muted`.
//  2. The web app: screen-toggle shows a second stream and tile at the others
//     and stopping removes it; mod-mute shows at both ends and the target's
//     audio stops reaching the others.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  RawPool, closeMeeting, describeMeeting, inboundBySource, launchMeetingBrowser, miniShareScreen, miniStopScreen, openMeeting,
  openMiniClient, openParticipantsPanel, participantEntry, reportServerDeath, serverSurvives, sleep, tid, tile, updated,
  waitSourceFlowing,
} from './lib/meeting.mjs';
import { startServer } from './lib/server.mjs';
import { rtpStats, until, waitForFlow } from './lib/stats.mjs';

const ROOM = 'media-features';

/** Sum of a field over p's inbound streams from `participant`'s `source`. */
async function received(p, participant, source, kind, field) {
  const all = await inboundBySource(p);
  return all.filter((x) => x.participant === participant && x.source === source && x.kind === kind).reduce((n, x) => n + x[field], 0);
}

/** State of p's own microphone: the sender on mid 0 and the local track. */
function ownMic(p) {
  return p.page.evaluate(() => {
    const s = window.stoa;
    const tr = s.pc?.getTransceivers().find((t) => t.mid === '0');
    const track = tr?.sender.track ?? null;
    const local = s.localStream?.getAudioTracks()[0] ?? null;
    return {
      senderTrack: track ? { enabled: track.enabled, readyState: track.readyState } : null,
      local: local ? { enabled: local.enabled, readyState: local.readyState } : null,
      direction: tr?.direction ?? null,
    };
  });
}

const micLive = (m) => !!m.senderTrack && m.senderTrack.enabled && m.senderTrack.readyState === 'live';

/** Packets p sent of `kind`. */
async function sent(p, kind) {
  return (await rtpStats(p.page)).outbound.filter((o) => o.kind === kind).reduce((n, o) => n + o.packetsSent, 0);
}

/** How much of `field` p got from participant's source, and how much the sender sent, over `ms`. */
async function flowOver(receiver, sender, source, kind, field, ms = 2000) {
  const r1 = await received(receiver, sender.id, source, kind, field);
  const s1 = await sent(sender, kind);
  await sleep(ms);
  return { received: (await received(receiver, sender.id, source, kind, field)) - r1, sent: (await sent(sender, kind)) - s1 };
}

// The server and bridge alone, with a minimal client written from the
// protocol (lib/meeting.mjs openMiniClient), so that these hold whatever the
// web app does.
describe('bridge: screen share and mutes (minimal clients)', { timeout: 45000 }, () => {
  let server;
  let browser;
  let pool;
  let mod; // raw, first in the room
  let sam; // ignores `muted`: keeps sending after a moderator's mute
  let tia;

  before(async () => {
    server = await startServer({ label: 'meeting-media-bridge' });
    browser = await launchMeetingBrowser();
    pool = new RawPool(server);
    mod = await pool.join('bridge-media', 'Mod');
    sam = await openMiniClient(browser, server, { room: 'bridge-media', name: 'Sam', dropTypes: ['muted'] });
    tia = await openMiniClient(browser, server, { room: 'bridge-media', name: 'Tia' });
    await waitForFlow(tia, [sam.id], { timeoutMs: 20000 });
  });

  after(async () => {
    pool?.closeAll();
    await Promise.all([sam, tia].filter(Boolean).map(closeMeeting));
    await browser?.close();
    reportServerDeath(server);
    await server?.kill();
  });

  test('a screen shared after renegotiate arrives as a second video stream and stops with it', async () => {
    await miniShareScreen(sam);
    const screen = await waitSourceFlowing(tia, sam.id, 'screen', 'video', { timeoutMs: 15000 });
    const camera = await waitSourceFlowing(tia, sam.id, 'camera', 'video', { timeoutMs: 5000 });
    assert.notEqual(screen.after.ssrc, camera.after.ssrc);
    assert.notEqual(screen.after.mid, camera.after.mid);
    await mod.expect(updated(sam.id, (p) => p.screen === true), { timeoutMs: 3000 });
    await miniStopScreen(sam);
    await mod.expect(updated(sam.id, (p) => p.screen === false), { timeoutMs: 3000 });
    await sleep(700);
    const f = await flowOver(tia, sam, 'screen', 'video', 'framesDecoded', 1500);
    assert.equal(f.received, 0, `Tia still decodes Sam's screen: ${JSON.stringify(f)}`);
    await waitSourceFlowing(tia, sam.id, 'camera', 'video', { timeoutMs: 5000 });
  });

  test('the bridge stops forwarding a muted source although its sender keeps sending, and resumes on media-state', async () => {
    for (const [kind, source, field] of [['audio', 'mic', 'packetsReceived'], ['video', 'camera', 'framesDecoded']]) {
      mod.send({ type: 'mute', id: sam.id, kind });
      await tia.page.waitForFunction(([id, k]) => window.stoa.participants.get(id)?.[k] === false, [sam.id, kind], { timeout: 3000 });
      await sleep(700);
      const f = await flowOver(tia, sam, source, kind, field, 2000);
      console.log(`# ${kind} muted by the moderator: Sam sent ${f.sent} packets in 2 s, Tia got ${f.received} (${field})`);
      assert.ok(f.sent > 10, `Sam (ignoring the mute) keeps sending ${kind}: ${JSON.stringify(f)}`);
      assert.equal(f.received, 0, `the bridge still forwards Sam's muted ${kind}: ${JSON.stringify(f)}`);
    }
    // Tia's own media still reaches Sam.
    await waitSourceFlowing(sam, tia.id, 'mic', 'audio', { timeoutMs: 5000 });
    // Sam turns both back on: media-state is always allowed.
    await sam.page.evaluate(() => { window.stoa.media.video = true; window.stoa.setMic(true); });
    await waitSourceFlowing(tia, sam.id, 'mic', 'audio', { timeoutMs: 5000 });
    await waitSourceFlowing(tia, sam.id, 'camera', 'video', { timeoutMs: 8000 });
  });
  test('the server survived and exits with status 0 on SIGTERM', () => serverSurvives(server));
});

describe('meeting media (web app)', { timeout: 70000 }, () => {
  let server;
  let browser;
  let mia; // moderator
  let sam; // shares the screen, gets muted
  let tia;

  before(async () => {
    server = await startServer({ label: 'meeting-media' });
    browser = await launchMeetingBrowser();
    mia = await openMeeting(browser, server.url, { room: ROOM, name: 'Mia' });
    sam = await openMeeting(browser, server.url, { room: ROOM, name: 'Sam' });
    tia = await openMeeting(browser, server.url, { room: ROOM, name: 'Tia' });
    assert.equal(await mia.page.evaluate(() => window.stoa.role), 'moderator');
    await Promise.all([
      waitForFlow(mia, [sam.id, tia.id], { timeoutMs: 25000 }),
      waitForFlow(tia, [sam.id, mia.id], { timeoutMs: 25000 }),
    ]);
  });

  after(async () => {
    await Promise.all([mia, sam, tia].filter(Boolean).map(closeMeeting));
    await browser?.close();
    reportServerDeath(server);
    await server?.kill();
  });

  test('a screen share is decoded by the others as a second video stream, and stopping it removes the tile', async () => {
    await sam.page.locator(tid('screen-toggle')).click();
    await sam.page.waitForFunction(() => !!window.stoa.screenStream, null, { timeout: 10000 })
      .catch(async () => assert.fail(`Sam has no screen stream: ${await describeMeeting(sam)}`));

    for (const p of [mia, tia]) {
      await p.page.waitForFunction(
        (id) => [...window.stoa.mids.values()].some((m) => m.participant === id && m.source === 'screen' && m.kind === 'video'),
        sam.id, { timeout: 10000 },
      ).catch(async () => assert.fail(`${p.name}: no screen section of Sam in mids: ${await describeMeeting(p)}`));
      const screen = await waitSourceFlowing(p, sam.id, 'screen', 'video', { timeoutMs: 15000 });
      const camera = await waitSourceFlowing(p, sam.id, 'camera', 'video', { timeoutMs: 10000 });
      assert.notEqual(screen.after.ssrc, camera.after.ssrc, `${p.name}: two distinct SSRCs`);
      assert.notEqual(screen.after.mid, camera.after.mid, `${p.name}: two distinct mids`);
      const mids = await p.page.evaluate(() => Object.fromEntries(window.stoa.mids));
      assert.deepEqual(mids[screen.after.mid], { participant: sam.id, kind: 'video', source: 'screen' });
      assert.deepEqual(mids[camera.after.mid], { participant: sam.id, kind: 'video', source: 'camera' });
      await tile(p, sam.id, 'screen').waitFor({ state: 'visible', timeout: 5000 });
      await tile(p, sam.id, 'camera').waitFor({ state: 'visible', timeout: 5000 });
      await p.page.waitForFunction((id) => window.stoa.participants.get(id)?.screen === true, sam.id, { timeout: 5000 });
    }
    // The two decoded videos differ in size: the fake screen is not the fake camera.
    const dims = await mia.page.evaluate(async (id) => {
      const r = await window.stoa.pc.getStats();
      const out = [];
      r.forEach((x) => {
        const m = window.stoa.mids.get(x.mid);
        if (x.type === 'inbound-rtp' && x.kind === 'video' && m?.participant === id) out.push({ source: m.source, w: x.frameWidth, h: x.frameHeight });
      });
      return out;
    }, sam.id);
    console.log(`# Mia decodes from Sam: ${JSON.stringify(dims)}`);

    // The share took the stage at the others (not at Sam's own page); Tia
    // goes back to tiles and stays there while the share goes on.
    for (const p of [mia, tia]) {
      await until(async () => (await p.page.locator(tid('tiles')).getAttribute('data-view')) === 'stage' &&
        (await tile(p, sam.id, 'screen').getAttribute('data-stage')) === 'true', { what: `${p.name}: Sam's share on the stage` });
    }
    assert.equal(await sam.page.locator(tid('tiles')).getAttribute('data-view'), 'tile', 'the sharer\'s own view is unchanged');
    await tia.page.locator(tid('view-toggle')).click();
    await sleep(1000);
    assert.equal(await tia.page.locator(tid('tiles')).getAttribute('data-view'), 'tile', 'Tia went back to tiles and stays there');
    assert.equal(await tia.page.locator(tid('view-toggle')).getAttribute('aria-pressed'), 'false');

    // Stop sharing.
    await sam.page.locator(tid('screen-toggle')).click();
    for (const p of [mia, tia]) {
      await tile(p, sam.id, 'screen').waitFor({ state: 'detached', timeout: 5000 })
        .catch(async () => assert.fail(`${p.name} still shows Sam's screen tile: ${await describeMeeting(p)}`));
      await p.page.waitForFunction((id) => window.stoa.participants.get(id)?.screen === false, sam.id, { timeout: 5000 });
    }
    await sleep(700);
    const a = await received(tia, sam.id, 'screen', 'video', 'framesDecoded');
    await sleep(1500);
    const b = await received(tia, sam.id, 'screen', 'video', 'framesDecoded');
    assert.equal(b, a, `Tia still decodes Sam's screen after it stopped (${a} → ${b})`);
    await waitSourceFlowing(tia, sam.id, 'camera', 'video', { timeoutMs: 5000 });
    assert.equal(await tile(sam, sam.id, 'screen').count(), 0, 'Sam\'s own screen tile is gone too');
    // Mia's view was switched for the share: back to tiles with it.
    await until(async () => (await mia.page.locator(tid('tiles')).getAttribute('data-view')) === 'tile',
      { what: 'Mia back in tile view after the share' });
    assert.equal(await mia.page.locator(tid('view-toggle')).getAttribute('aria-pressed'), 'false');
  });

  test('a moderator mutes someone: shown at both ends, and the bridge stops forwarding the audio', async () => {
    const mic = sam.page.locator(tid('mic-toggle'));
    const pressedBefore = await mic.getAttribute('aria-pressed');
    assert.ok(pressedBefore === 'true' || pressedBefore === 'false', `mic-toggle has aria-pressed (${pressedBefore})`);
    assert.ok(micLive(await ownMic(sam)), 'Sam\'s microphone is on at first');
    await waitSourceFlowing(tia, sam.id, 'mic', 'audio', { timeoutMs: 10000 });

    await openParticipantsPanel(mia);
    const entry = participantEntry(mia, sam.id);
    await entry.locator(tid('mod-mute')).click();

    // The target: its own button shows muted and its microphone is off.
    await sam.page.waitForFunction((before) => document.querySelector('[data-testid="mic-toggle"]')?.getAttribute('aria-pressed') !== before, pressedBefore, { timeout: 5000 })
      .catch(async () => assert.fail(`Sam's mic-toggle still says aria-pressed=${pressedBefore}: ${await describeMeeting(sam)}`));
    const own = await ownMic(sam);
    assert.ok(!micLive(own), `Sam's outbound audio track is still live and enabled: ${JSON.stringify(own)}`);

    // The moderator and the third see it.
    for (const p of [mia, tia]) {
      await p.page.waitForFunction((id) => window.stoa.participants.get(id)?.audio === false, sam.id, { timeout: 5000 });
      await p.page.locator(`${tid('tile')}[data-participant="${sam.id}"][data-source="camera"][data-muted="true"]`).waitFor({ state: 'attached', timeout: 5000 })
        .catch(async () => assert.fail(`${p.name} does not mark Sam's tile muted: ${await describeMeeting(p)}`));
    }
    await mia.page.locator(`${tid('participant-entry')}[data-participant="${sam.id}"][data-muted="true"]`).waitFor({ state: 'attached', timeout: 5000 });

    // Nothing of Sam's audio reaches the others any more.
    await sleep(700);
    const s1 = await Promise.all([mia, tia].map((p) => received(p, sam.id, 'mic', 'audio', 'packetsReceived')));
    const o1 = (await rtpStats(sam.page)).outbound.filter((o) => o.kind === 'audio').reduce((n, o) => n + o.packetsSent, 0);
    await sleep(2000);
    const s2 = await Promise.all([mia, tia].map((p) => received(p, sam.id, 'mic', 'audio', 'packetsReceived')));
    const o2 = (await rtpStats(sam.page)).outbound.filter((o) => o.kind === 'audio').reduce((n, o) => n + o.packetsSent, 0);
    console.log(`# while muted: Sam sent ${o2 - o1} audio packets in 2 s; Mia received ${s2[0] - s1[0]}, Tia ${s2[1] - s1[1]}`);
    assert.equal(s2[0], s1[0], `Mia still receives Sam's audio (${s1[0]} → ${s2[0]})`);
    assert.equal(s2[1], s1[1], `Tia still receives Sam's audio (${s1[1]} → ${s2[1]})`);
    // Others are not affected.
    await waitSourceFlowing(tia, mia.id, 'mic', 'audio', { timeoutMs: 5000 });

    // Only Sam can unmute Sam: the button turns it back on and audio flows again.
    await mic.click();
    await sam.page.waitForFunction((before) => document.querySelector('[data-testid="mic-toggle"]')?.getAttribute('aria-pressed') === before, pressedBefore, { timeout: 5000 });
    assert.ok(micLive(await ownMic(sam)), 'Sam\'s microphone is on again');
    await mia.page.waitForFunction((id) => window.stoa.participants.get(id)?.audio === true, sam.id, { timeout: 5000 });
    await mia.page.locator(`${tid('tile')}[data-participant="${sam.id}"][data-source="camera"]:not([data-muted="true"])`).waitFor({ state: 'attached', timeout: 5000 });
    await waitSourceFlowing(tia, sam.id, 'mic', 'audio', { timeoutMs: 10000 });
    await waitSourceFlowing(mia, sam.id, 'mic', 'audio', { timeoutMs: 10000 });
  });
  test('the server survived and exits with status 0 on SIGTERM', () => serverSurvives(server));
});
