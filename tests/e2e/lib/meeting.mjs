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
  await p.page.locator(tid(opener)).click();
  await el.waitFor({ state: 'visible', timeout: 5000 });
  return el;
}

export const openParticipantsPanel = (p) => openPanel(p, 'participants-panel', 'participants-open');
export const openChatPanel = (p) => openPanel(p, 'chat-panel', 'chat-open');

/** The participant entry for `id` in p's participants panel. */
export function participantEntry(p, id) {
  return p.page.locator(`${tid('participants-panel')} ${tid('participant-entry')}[data-participant="${id}"]`);
}

/** The tile of `id` (source camera by default) on p's page. */
export function tile(p, id, source = 'camera') {
  return p.page.locator(`${tid('tile')}[data-participant="${id}"][data-source="${source}"]`);
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
