// Helpers for the meeting tests (moderation, chat, hands, reactions, lobby,
// password, screen share): raw signalling clients that join rooms, checks
// that something did NOT happen, and browser participants that go through
// the web app's prejoin screen using only the hooks of docs/web-testids.md.

import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, describe as describePage } from './browser.mjs';
import { RawClient } from './raw-client.mjs';
import { rtpStats, sleep } from './stats.mjs';

// ---------------------------------------------------------------------------
// Raw signalling clients

/**
 * A pool of raw clients for one test file; `closeAll()` in `after`.
 */
export class RawPool {
  constructor(server) {
    this.server = server;
    this.clients = [];
  }

  async connect() {
    const c = await RawClient.connect(this.server.wsUrl);
    this.clients.push(c);
    return c;
  }

  /**
   * Connects and joins `room` as `name`. Waits for `joined` (or, with
   * expect: 'lobby-waiting' / an error code, for that instead). Returns the
   * client with `c.id`, `c.joined` and `c.name` set once joined.
   */
  async join(room, name, { password, expect = 'joined', timeoutMs = 5000 } = {}) {
    const c = await this.connect();
    c.name = name;
    c.room = room;
    const msg = { type: 'join', room, name };
    if (password !== undefined) msg.password = password;
    c.send(msg);
    if (expect === 'joined') {
      c.joined = await c.expect('joined', { timeoutMs });
      c.id = c.joined.id;
    } else if (expect === 'lobby-waiting') {
      await c.expect('lobby-waiting', { timeoutMs });
    } else if (expect) {
      await c.expectError(expect, 'join', { timeoutMs });
    }
    return c;
  }

  /** Joins several, one after the other (so that their order in the room is known). */
  async joinAll(room, names, opts) {
    const out = [];
    for (const name of names) out.push(await this.join(room, name, opts));
    return out;
  }

  closeAll() {
    for (const c of this.clients) c.terminate();
    this.clients = [];
  }
}

/** Position in each client's message log, for `since`/`expectNone`. */
export function mark(clients) {
  return new Map(clients.map((c) => [c, c.received.length]));
}

/** The messages `c` received after `marks` was taken. */
export function since(marks, c) {
  return c.received.slice(marks.get(c) ?? 0);
}

/**
 * Waits `ms`, then asserts that no client received a message matching
 * `pred` since `marks` (taken before the action under test).
 */
export async function expectNone(marks, pred, { ms = 600, what = 'an unexpected message' } = {}) {
  await sleep(ms);
  for (const c of marks.keys()) {
    const bad = since(marks, c).filter(pred);
    assert.deepEqual(bad, [], `${c.name ?? 'client'} received ${what}: ${JSON.stringify(bad)}`);
  }
}

/** Every client gets a message matching `pred`; returns them in order. */
export function expectAll(clients, pred, opts = { timeoutMs: 3000 }) {
  return Promise.all(clients.map((c) => c.expect(pred, opts).catch((err) => {
    throw new Error(`${c.name ?? 'client'}: ${err.message}`);
  })));
}

/** Predicate: participant-updated about `id` whose participant object satisfies `check`. */
export function updated(id, check = () => true) {
  return (m) => m.type === 'participant-updated' && m.participant?.id === id && check(m.participant);
}

/** Resolves with `promise`, or throws `what` after `ms` (no stray timers). */
export async function within(promise, ms, what = 'operation') {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message `msg` is refused with `code`; the connection still answers ping. */
export async function refused(c, msg, code, { re = msg.type, timeoutMs = 3000 } = {}) {
  c.send(msg);
  try {
    await c.expectError(code, re, { timeoutMs });
  } catch (err) {
    throw new Error(`${JSON.stringify(msg).slice(0, 200)}: ${err.message}`);
  }
  await c.roundTrip();
}

// ---------------------------------------------------------------------------
// Browser participants

/** A Chromium with the usual fake devices and any extra switches. */
export function launchMeetingBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30000,
  });
}

/** `[data-testid="x"]` */
export const tid = (id) => `[data-testid="${id}"]`;

const SETTLED = ['prejoin', 'password', 'lobby', 'joined', 'left', 'error'];

/**
 * A participant page with its own context. Loads `/<room>` (with the name
 * in the query, as the old app understood) and, when the prejoin screen
 * shows, types the name and presses join. With `waitJoined` it waits for
 * state `joined` (see `waitState` for password or lobby instead).
 */
export async function openMeeting(browser, baseUrl, {
  room, name, viewport = { width: 800, height: 600 }, waitJoined = true, join = true, timeoutMs = 15000,
} = {}) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: true });
  await context.grantPermissions(['camera', 'microphone'], { origin: baseUrl });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const logs = [];
  page.on('console', (msg) => logs.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => logs.push(`[pageerror] ${err.message}`));
  // A confirmation the app may ask for (kick, end meeting) is accepted.
  page.on('dialog', (d) => d.accept().catch(() => {}));
  const p = { context, page, name, room, logs };
  await page.goto(`${baseUrl}/${encodeURIComponent(room)}?name=${encodeURIComponent(name)}`, { timeout: timeoutMs });
  if (!join) return p;
  await waitState(p, SETTLED, timeoutMs);
  if ((await state(p)) === 'prejoin') await prejoinJoin(p);
  if (waitJoined) await waitState(p, ['joined'], timeoutMs);
  return p;
}

/** On the prejoin screen: type the name and press join. */
export async function prejoinJoin(p) {
  const prejoin = p.page.locator(tid('prejoin'));
  await prejoin.waitFor({ state: 'visible', timeout: 10000 });
  const nameInput = p.page.locator(tid('prejoin-name'));
  if (await nameInput.count()) await nameInput.fill(p.name);
  await p.page.locator(tid('prejoin-join')).click();
}

export function state(p) {
  return p.page.evaluate(() => window.stoa?.state ?? null);
}

/** Waits until window.stoa.state is one of `states`; sets p.id once joined. */
export async function waitState(p, states, timeoutMs = 15000) {
  try {
    await p.page.waitForFunction((want) => want.includes(window.stoa?.state), states, { timeout: timeoutMs });
  } catch (err) {
    throw new Error(`${p.name} did not reach state ${states.join('|')} within ${timeoutMs} ms: ${err.message.split('\n')[0]}\n${await describeMeeting(p)}`);
  }
  const s = await state(p);
  if (s === 'joined') p.id = await p.page.evaluate(() => window.stoa.selfId);
  return s;
}

/** State of a meeting page, for failure messages. */
export async function describeMeeting(p) {
  let s = '(page gone)';
  try {
    s = JSON.stringify(await p.page.evaluate(() => {
      const x = window.stoa;
      if (!x) return null;
      return {
        state: x.state,
        selfId: x.selfId,
        role: x.role,
        room: x.room,
        connection: x.pc?.connectionState,
        participants: x.participants ? [...x.participants.values()] : null,
        mids: x.mids ? Object.fromEntries(x.mids) : null,
        hands: x.hands,
        roomState: x.roomState,
        chat: x.chat?.length,
        tiles: [...document.querySelectorAll('[data-testid="tile"]')].map((t) => `${t.dataset.participant}/${t.dataset.source}`),
      };
    }));
  } catch {
    // keep the default
  }
  return `--- ${p.name}: ${s}\n${p.logs.slice(-15).join('\n')}`;
}

export async function closeMeeting(p) {
  try {
    await p?.context.close();
  } catch {
    // already closed
  }
}

/** Opens the participants panel unless it is visible already. */
export async function openPanel(p, panel, opener) {
  const el = p.page.locator(tid(panel));
  if (await el.isVisible()) return el;
  await (await control(p, opener)).click();
  await el.waitFor({ state: 'visible', timeout: 5000 });
  return el;
}

/** A bottom-bar control, from under "More" when it does not fit p's width. */
export async function control(p, testid) {
  const b = p.page.locator(tid(testid));
  if (!(await b.isVisible()) && (await p.page.locator(tid('more-open')).isVisible())) {
    await p.page.locator(tid('more-open')).click();
    await b.waitFor({ state: 'visible', timeout: 5000 });
  }
  return b;
}

export const openParticipantsPanel = (p) => openPanel(p, 'participants-panel', 'participants-open');
export const openChatPanel = (p) => openPanel(p, 'chat-panel', 'chat-open');

/** The participant entry for `id` in p's participants panel. */
export function participantEntry(p, id) {
  return p.page.locator(`${tid('participants-panel')} ${tid('participant-entry')}[data-participant="${id}"]`);
}

/** A moderator's action on `id` in p's participants panel (`mod-kick`…):
 * opens that row's "…" first when the action is under it. */
export async function entryAction(p, id, testid) {
  const row = participantEntry(p, id);
  const action = row.locator(tid(testid));
  if (!(await action.isVisible())) {
    await row.locator(tid('entry-more')).click();
    await action.waitFor({ state: 'visible', timeout: 5000 });
  }
  return action;
}

/** The tile of `id` (source camera by default) on p's page. */
export function tile(p, id, source = 'camera') {
  return p.page.locator(`${tid('tile')}[data-participant="${id}"][data-source="${source}"]`);
}

// ---------------------------------------------------------------------------
// Chat

/** Types `text` into the chat (to `to`: a participant id, or '' for everyone) and sends it. */
export async function sendChat(p, text, to = '') {
  await openChatPanel(p);
  const select = p.page.locator(tid('chat-to'));
  if (to || (await select.count())) await select.selectOption(to);
  await p.page.locator(tid('chat-input')).fill(text);
  await p.page.locator(tid('chat-send')).click();
}

/** The chat messages shown on p's page: [{from, private, text, html}]. */
export function shownChat(p) {
  return p.page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="chat-messages"] [data-testid="chat-message"]')].map((m) => {
      const t = m.querySelector('[data-testid="chat-text"]');
      return { from: m.dataset.from, private: m.dataset.private, text: t?.textContent ?? null, html: t?.innerHTML ?? null };
    }));
}

/** Waits until p shows a chat message whose text is `text`; returns it. */
export async function waitChatShown(p, text, timeoutMs = 5000) {
  try {
    await p.page.waitForFunction(
      (want) => [...document.querySelectorAll('[data-testid="chat-messages"] [data-testid="chat-message"] [data-testid="chat-text"]')]
        .some((t) => t.textContent === want),
      text,
      { timeout: timeoutMs },
    );
  } catch (err) {
    throw new Error(`${p.name} does not show the chat message ${JSON.stringify(text)} within ${timeoutMs} ms; shown ${JSON.stringify(await shownChat(p).catch(() => null))}\n${await describeMeeting(p)}`);
  }
  return (await shownChat(p)).find((m) => m.text === text);
}

/**
 * Inbound RTP of `p`, grouped by sender and source through window.stoa.mids:
 * [{participant, source, kind, ssrc, mid, framesDecoded, packetsReceived}].
 */
export async function inboundBySource(p) {
  const s = await rtpStats(p.page);
  const mids = await p.page.evaluate(() => Object.fromEntries(window.stoa.mids));
  return s.inbound.map((r) => ({ ...r, source: mids[r.mid]?.source ?? null }));
}

/**
 * Waits until p decodes (video) or receives (audio) rising media from
 * `participant`'s `source`; returns the stream. Throws after timeoutMs.
 */
export async function waitSourceFlowing(p, participant, source, kind, { timeoutMs = 15000, gapMs = 1000 } = {}) {
  const field = kind === 'video' ? 'framesDecoded' : 'packetsReceived';
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    const a = await inboundBySource(p);
    await sleep(gapMs);
    const b = await inboundBySource(p);
    for (const x of b) {
      if (x.participant !== participant || x.source !== source || x.kind !== kind) continue;
      const before = a.find((y) => y.ssrc === x.ssrc && y.mid === x.mid);
      if (x[field] > 0 && before && x[field] > before[field]) return { before, after: x };
    }
    last = b;
    if (Date.now() > deadline) {
      throw new Error(`${p.name}: no rising ${kind} ${field} from ${participant}'s ${source} within ${timeoutMs} ms; inbound ${JSON.stringify(last)}\n${await describeMeeting(p)}`);
    }
  }
}

export { describePage, sleep };

// ---------------------------------------------------------------------------
// A minimal browser client, independent of the web app

/**
 * Runs in the page: a bare-bones Stoa client written from docs/protocol.md
 * (join, answer every offer with the camera and microphone on mids 0 and 1,
 * screen on mid 2 when shared). Exposes window.stoa = {pc, mids, selfId,
 * state, msgs, send, shareScreen, stopScreen} like the web app's hooks, so
 * that lib/stats.mjs works on it. `dropTypes`: server messages it ignores
 * (e.g. 'muted', to play a client that does not obey a moderator).
 */
async function miniClientMain({ wsUrl, room, name, dropTypes }) {
  const s = {
    pc: null, mids: new Map(), selfId: null, state: 'connecting', msgs: [], errors: [], participants: new Map(),
    screenTrack: null, media: { audio: true, video: true, screen: false },
  };
  window.stoa = s;
  const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } });
  s.localStream = local;
  const trackFor = (mid) => (mid === '0' ? local.getAudioTracks()[0] : mid === '1' ? local.getVideoTracks()[0] : mid === '2' ? s.screenTrack : null);
  const ws = new WebSocket(wsUrl, 'stoa');
  const send = (m) => ws.send(JSON.stringify(m));
  s.send = send;
  const sendState = () => send({ type: 'media-state', ...s.media });

  const attach = async () => {
    for (const t of s.pc.getTransceivers()) {
      if (!['0', '1', '2'].includes(t.mid)) continue;
      const track = trackFor(t.mid);
      if (t.sender.track !== track) await t.sender.replaceTrack(track);
      t.direction = track ? 'sendonly' : 'inactive';
    }
  };
  const onOffer = async (m) => {
    if (!s.pc) s.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    for (const [mid, info] of Object.entries(m.mids ?? {})) s.mids.set(mid, info);
    await s.pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
    await attach();
    await s.pc.setLocalDescription(await s.pc.createAnswer());
    send({ type: 'answer', sdp: s.pc.localDescription.sdp, version: m.version });
  };
  let chain = Promise.resolve();
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    s.msgs.push(m);
    if (dropTypes.includes(m.type)) return;
    chain = chain.then(async () => {
      if (m.type === 'joined') {
        s.selfId = m.id;
        s.role = m.role;
        for (const p of m.participants) s.participants.set(p.id, p);
        s.state = 'joined';
        sendState();
      } else if (m.type === 'offer') {
        await onOffer(m);
      } else if (m.type === 'participant-joined' || m.type === 'participant-updated') {
        if (m.participant.id !== s.selfId) s.participants.set(m.participant.id, m.participant);
      } else if (m.type === 'participant-left') {
        s.participants.delete(m.id);
      } else if (m.type === 'muted') {
        s.media[m.kind] = false;
        local.getTracks().filter((t) => t.kind === m.kind).forEach((t) => { t.enabled = false; });
      } else if (m.type === 'error') {
        s.errors.push(m);
      } else if (m.type === 'bye') {
        s.state = 'left';
      }
    }).catch((err) => s.errors.push({ code: 'client', message: String(err) }));
  };
  ws.onopen = () => send({ type: 'join', room, name });
  ws.onclose = () => { if (s.state !== 'left') s.state = 'closed'; };

  s.setMic = (on) => {
    s.media.audio = on;
    local.getAudioTracks().forEach((t) => { t.enabled = on; });
    sendState();
  };
  s.shareScreen = async () => {
    const d = await navigator.mediaDevices.getDisplayMedia({ video: true });
    s.screenTrack = d.getVideoTracks()[0];
    s.media.screen = true;
    await attach();
    sendState();
    send({ type: 'renegotiate' });
  };
  s.stopScreen = async () => {
    s.screenTrack?.stop();
    s.screenTrack = null;
    s.media.screen = false;
    await attach();
    sendState();
    send({ type: 'renegotiate' });
  };
}

/**
 * A participant driven by the minimal client above instead of the web app:
 * same p shape as openMeeting ({context, page, name, id, logs}).
 */
export async function openMiniClient(browser, server, { room, name, dropTypes = [], timeoutMs = 10000 } = {}) {
  const context = await browser.newContext({ viewport: { width: 400, height: 300 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const logs = [];
  page.on('console', (msg) => logs.push(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => logs.push(`[pageerror] ${err.message}`));
  // Any page of the server's origin will do (loopback is a secure context).
  await page.goto(`${server.url}/_/mini-client-blank-page`);
  await page.setContent('<!doctype html><title>mini client</title><button id="share">share</button><button id="unshare">stop</button>');
  await page.evaluate(() => {
    document.getElementById('share').onclick = () => window.stoa.shareScreen().catch((e) => window.stoa.errors.push({ code: 'share', message: String(e) }));
    document.getElementById('unshare').onclick = () => window.stoa.stopScreen();
  });
  const p = { context, page, name, room, logs, mini: true };
  await page.evaluate(miniClientMain, { wsUrl: server.wsUrl, room, name, dropTypes });
  await waitState(p, ['joined'], timeoutMs);
  return p;
}

/** Starts sharing the (fake) screen from a mini client; a click gives the user activation. */
export async function miniShareScreen(p) {
  await p.page.click('#share');
  await p.page.waitForFunction(() => window.stoa.media.screen || window.stoa.errors.length, null, { timeout: 10000 });
  const errors = await p.page.evaluate(() => window.stoa.errors);
  if (errors.length) throw new Error(`${p.name} cannot share: ${JSON.stringify(errors)}`);
}

export async function miniStopScreen(p) {
  await p.page.click('#unshare');
}

/**
 * For the last test of a file: the server is still running (a crash is
 * reported with its exit status and log), and exits with status 0 within 5 s
 * of SIGTERM.
 */
export async function serverSurvives(server) {
  const exit = server.exitInfo();
  if (exit) throw new Error(`stoa died during the tests: ${JSON.stringify(exit)}; log ${server.logFile}:\n${server.logTail(30)}`);
  await server.stop();
}

/** In `after`: says so when stoa died on its own (a crash), with its log tail. */
export function reportServerDeath(server) {
  const exit = server?.exitInfo();
  if (exit && !server.stopped) console.log(`# stoa died during the tests: ${JSON.stringify(exit)}; log ${server.logFile}:\n${server.logTail(20).replace(/^/gm, '# ')}`);
}
