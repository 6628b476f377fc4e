// Roles, moderator commands, password lock, lobby, chat, hands and reactions
// at the signalling level, with raw WebSocket clients (no browser, no media):
// docs/protocol.md section 1.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RawPool, expectAll, expectNone, mark, refused, since, updated, within, serverSurvives, reportServerDeath } from './lib/meeting.mjs';
import { startServer } from './lib/server.mjs';
import { sleep } from './lib/stats.mjs';

const UNKNOWN_ID = 'ffffffffffffffff';
const REACTIONS = ['👍', '👏', '😂', '😮', '❤️', '🎉'];
const T = { timeoutMs: 3000 };

/** Every message that only a moderator's command can cause. */
const MODERATION_EFFECT = (m) =>
  ['muted', 'unmute-request', 'bye', 'room-updated', 'participant-left', 'lobby-changed', 'lobby-added', 'lobby-removed'].includes(m.type) ||
  (m.type === 'participant-updated' && (m.participant?.role === 'moderator' || m.participant?.audio === false || m.participant?.video === false)) ||
  (m.type === 'joined');

describe('moderation protocol', { timeout: 60000 }, () => {
  let server;
  let pool;

  before(async () => {
    server = await startServer({ label: 'moderation-protocol' });
    pool = new RawPool(server);
  });

  after(async () => {
    pool?.closeAll();
    reportServerDeath(server);
    await server?.kill();
  });

  /** Joins names in order; each sends media-state on so that mutes show. */
  const room = async (roomName, names) => {
    const cs = await pool.joinAll(roomName, names);
    // Off then on: whatever a raw client starts as, the last change is audio and video on.
    for (const c of cs) {
      c.send({ type: 'media-state', audio: false, video: false });
      c.send({ type: 'media-state', audio: true, video: true });
    }
    // Every client sees every media-state (others' participant-updated), then the slate is clean.
    for (const c of cs) {
      for (const o of cs) {
        if (o !== c) await c.expect(updated(o.id, (p) => p.audio === true && p.video === true), T);
      }
    }
    await sleep(200);
    for (const c of cs) c.pending.length = 0;
    return cs;
  };

  test('the first in a room is moderator, the second a participant', async () => {
    const [a, b] = await pool.joinAll('roles', ['Ada', 'Ben']);
    assert.equal(a.joined.role, 'moderator');
    assert.deepEqual(a.joined.room_state, { locked: false, lobby: false });
    assert.deepEqual(a.joined.chat, []);
    assert.deepEqual(a.joined.hands, []);
    assert.equal(b.joined.role, 'participant');
    assert.equal(b.joined.participants.length, 1);
    assert.equal(b.joined.participants[0].id, a.id);
    assert.equal(b.joined.participants[0].role, 'moderator', 'Ben sees Ada as moderator');
    for (const k of ['audio', 'video', 'screen', 'hand']) assert.equal(typeof b.joined.participants[0][k], 'boolean', `participant.${k}`);
    const pj = await a.expect('participant-joined', T);
    assert.equal(pj.participant.id, b.id);
    assert.equal(pj.participant.role, 'participant');
    assert.equal(pj.participant.name, 'Ben');
  });

  test('a newcomer is not reported as sharing its screen', async () => {
    // media-state's `screen` defaults to false; nobody shares before saying so.
    const [a, b] = await pool.joinAll('no-screen-yet', ['Ada', 'Ben']);
    const pj = await a.expect('participant-joined', T);
    assert.equal(b.joined.participants[0].screen, false, `joined: ${JSON.stringify(b.joined.participants[0])}`);
    assert.equal(pj.participant.screen, false, `participant-joined: ${JSON.stringify(pj.participant)}`);
    assert.equal(pj.participant.hand, false);
  });

  test('every moderator command from a non-moderator is refused with not-moderator and has no effect', async () => {
    const [a, b, c] = await room('no-power', ['Ada', 'Ben', 'Cy']);
    const marks = mark([a, b, c]);
    const commands = [
      { type: 'mute', id: a.id, kind: 'audio' },
      { type: 'mute', id: c.id, kind: 'audio' },
      { type: 'mute', id: c.id, kind: 'video' },
      { type: 'mute-all' },
      { type: 'ask-unmute', id: c.id },
      { type: 'kick', id: c.id },
      { type: 'kick', id: a.id },
      { type: 'end-meeting' },
      { type: 'grant-moderator', id: b.id },
      { type: 'grant-moderator', id: c.id },
      { type: 'lock', password: 'sesame' },
      { type: 'unlock' },
      { type: 'lobby', enabled: true },
      { type: 'hand', raised: false, id: c.id },
    ];
    for (const cmd of commands) await refused(b, cmd, 'not-moderator');
    await expectNone(new Map([...marks].filter(([x]) => x !== b)), MODERATION_EFFECT, { what: 'the effect of a refused command' });
    assert.deepEqual(since(marks, b).filter(MODERATION_EFFECT), [], 'Ben caused nothing');

    // The room is neither locked nor behind a lobby: a newcomer joins at once.
    const d = await pool.join('no-power', 'Dee');
    assert.deepEqual(d.joined.room_state, { locked: false, lobby: false });
    assert.deepEqual(d.joined.participants.map((p) => [p.id, p.role]), [[a.id, 'moderator'], [b.id, 'participant'], [c.id, 'participant']]);

    // lobby-admit and lobby-reject need someone waiting.
    a.send({ type: 'lobby', enabled: true });
    await expectAll([a, b, c, d], (m) => m.type === 'room-updated' && m.room_state?.lobby === true);
    const k = await pool.join('no-power', 'Kit', { expect: 'lobby-waiting' });
    const waiting = await a.expect((m) => m.type === 'lobby-added', T);
    const kid = waiting.id;
    assert.equal(waiting.name, 'Kit');
    const marks2 = mark([a, b, c, d, k]);
    await refused(b, { type: 'lobby-admit', id: kid }, 'not-moderator');
    await refused(b, { type: 'lobby-reject', id: kid }, 'not-moderator');
    await refused(b, { type: 'lobby', enabled: false }, 'not-moderator');
    await expectNone(marks2, (m) => m.type === 'joined' || m.type === 'bye' || m.type.startsWith('lobby-') || m.type === 'room-updated' || m.type === 'participant-joined', { what: 'a lobby change' });
    assert.ok(k.isOpen, 'Kit still waits');
    assert.deepEqual(since(marks, b).filter((m) => m.type.startsWith('lobby-')), [], 'a participant is not told who waits in the lobby');
  });

  test('malformed commands get bad-message or unknown-type and the connection survives', async () => {
    const [a, b] = await room('malformed', ['Ada', 'Ben']);
    const marks = mark([a, b]);
    const bad = [
      { type: 'mute', kind: 'audio' },
      { type: 'mute', id: b.id },
      { type: 'mute', id: b.id, kind: 'both' },
      { type: 'mute', id: b.id, kind: 1 },
      { type: 'mute', id: 'XYZ', kind: 'audio' },
      { type: 'mute', id: 'ABCDEF', kind: 'audio' },
      { type: 'mute', id: '0123456789abcdef0', kind: 'audio' },
      { type: 'mute', id: '', kind: 'audio' },
      { type: 'mute', id: 42, kind: 'audio' },
      { type: 'ask-unmute' },
      { type: 'kick' },
      { type: 'kick', id: 'g00d' },
      { type: 'kick', id: null },
      { type: 'grant-moderator' },
      { type: 'lobby-admit' },
      { type: 'lobby-reject', id: 'not hex' },
      { type: 'lock' },
      { type: 'lock', password: '' },
      { type: 'lock', password: 'p'.repeat(129) },
      { type: 'lobby' },
      { type: 'lobby', enabled: 'yes' },
      { type: 'hand' },
      { type: 'hand', raised: 'yes' },
      { type: 'hand', raised: false, id: 'Q' },
      { type: 'reaction' },
      { type: 'reaction', emoji: '💩' },
      { type: 'reaction', emoji: '👍👍' },
      { type: 'reaction', emoji: 1 },
      { type: 'chat' },
      { type: 'chat', text: '' },
      { type: 'chat', text: ' \t\n ' },
      { type: 'chat', text: 'x'.repeat(4001) },
      { type: 'chat', text: 'é'.repeat(2000) + 'x' }, // 4001 bytes, 2001 characters
      { type: 'chat', text: 5 },
      { type: 'chat', text: 'hi', to: 'NOPE' },
    ];
    for (const msg of bad) await refused(a, msg, 'bad-message');
    await refused(a, { type: 'mute-everyone' }, 'unknown-type');
    await refused(a, { type: 'Mute', id: b.id, kind: 'audio' }, 'unknown-type');
    await refused(a, { type: 'raise-hand' }, 'unknown-type');
    await expectNone(marks, (m) => m.type !== 'error' && m.type !== 'pong', { ms: 300, what: 'the effect of a malformed command' });

    // The limits themselves are fine: 4000 bytes of chat, a 128-byte password.
    a.send({ type: 'chat', text: 'é'.repeat(2000) });
    const echo = await b.expect('chat', T);
    assert.equal(echo.message.text, 'é'.repeat(2000));
    a.send({ type: 'lock', password: 'p'.repeat(128) });
    await b.expect((m) => m.type === 'room-updated' && m.room_state?.locked === true, T);
    assert.ok(a.isOpen && b.isOpen);
  });

  test('commands naming an unknown participant get unknown-participant', async () => {
    const [a, b] = await room('nobody', ['Ada', 'Ben']);
    assert.ok(![a.id, b.id].includes(UNKNOWN_ID));
    const marks = mark([a, b]);
    for (const msg of [
      { type: 'mute', id: UNKNOWN_ID, kind: 'audio' },
      { type: 'mute', id: UNKNOWN_ID, kind: 'video' },
      { type: 'ask-unmute', id: UNKNOWN_ID },
      { type: 'kick', id: UNKNOWN_ID },
      { type: 'grant-moderator', id: UNKNOWN_ID },
      { type: 'lobby-admit', id: UNKNOWN_ID },
      { type: 'lobby-reject', id: UNKNOWN_ID },
      { type: 'hand', raised: false, id: UNKNOWN_ID },
    ]) {
      await refused(a, msg, 'unknown-participant');
    }
    // A participant of another room is nobody here either.
    const elsewhere = await pool.join('nobody-else', 'Zed');
    await refused(a, { type: 'kick', id: elsewhere.id }, 'unknown-participant');
    // A private chat to nobody reaches nobody.
    a.send({ type: 'chat', text: 'anyone?', to: UNKNOWN_ID });
    await sleep(300);
    assert.deepEqual(since(marks, b).filter((m) => m.type === 'chat'), [], 'Ben got a chat meant for nobody');
    assert.deepEqual(elsewhere.received.filter((m) => m.type === 'chat' || m.type === 'bye'), []);
    await a.roundTrip();
    await expectNone(marks, (m) => m.type === 'bye' || m.type === 'muted' || m.type === 'participant-left', { ms: 100 });
  });

  test('when the only moderator leaves, the longest-present participant becomes moderator', async () => {
    const [a, b, c, d] = await pool.joinAll('handover', ['Ada', 'Ben', 'Cy', 'Dee']);
    a.send({ type: 'leave' });
    await a.expect((m) => m.type === 'bye' && m.reason === 'left', T);
    await expectAll([b, c, d], (m) => m.type === 'participant-left' && m.id === a.id && m.reason === 'left');
    await expectAll([b, c, d], updated(b.id, (p) => p.role === 'moderator'));
    await refused(c, { type: 'lock', password: 'x' }, 'not-moderator');

    // Ben proves it, then vanishes without a word: Cy is next.
    b.send({ type: 'ask-unmute', id: d.id });
    await d.expect((m) => m.type === 'unmute-request' && m.by === b.id, T);
    await b.terminate();
    await expectAll([c, d], (m) => m.type === 'participant-left' && m.id === b.id && m.reason === 'disconnected');
    await expectAll([c, d], updated(c.id, (p) => p.role === 'moderator'));
    const marks = mark([c, d]);
    await expectNone(marks, updated(d.id, (p) => p.role === 'moderator'), { ms: 300, what: 'a second promotion' });
    // Whoever joins now sees Cy as moderator.
    const e = await pool.join('handover', 'Eve');
    assert.equal(e.joined.role, 'participant');
    assert.deepEqual(e.joined.participants.map((p) => [p.name, p.role]), [['Cy', 'moderator'], ['Dee', 'participant']]);
  });

  test('grant-moderator makes a second moderator; no promotion while one remains', async () => {
    const [a, b, c] = await pool.joinAll('grant', ['Ada', 'Ben', 'Cy']);
    a.send({ type: 'grant-moderator', id: b.id });
    await expectAll([a, b, c], updated(b.id, (p) => p.role === 'moderator'));
    // Ben may now moderate.
    b.send({ type: 'lock', password: 'sesame' });
    await expectAll([a, b, c], (m) => m.type === 'room-updated' && m.room_state?.locked === true);
    b.send({ type: 'unlock' });
    await expectAll([a, b, c], (m) => m.type === 'room-updated' && m.room_state?.locked === false);
    // Ada leaves: Ben is still a moderator, so Cy is not promoted.
    const marks = mark([b, c]);
    a.send({ type: 'leave' });
    await expectAll([b, c], (m) => m.type === 'participant-left' && m.id === a.id);
    await expectNone(marks, updated(c.id, (p) => p.role === 'moderator'), { what: 'a needless promotion' });
    await refused(c, { type: 'mute-all' }, 'not-moderator');
  });

  test('password lock: password-required, wrong-password, the same socket retries, unlock', async () => {
    const [a, b] = await pool.joinAll('vault', ['Ada', 'Ben']);
    a.send({ type: 'lock', password: 'open sesame' });
    await expectAll([a, b], (m) => m.type === 'room-updated' && m.room_state?.locked === true && m.room_state?.lobby === false);

    const n = await pool.connect();
    n.name = 'Newt';
    n.send({ type: 'join', room: 'vault', name: 'Newt' });
    await n.expectError('password-required', 'join', T);
    await n.roundTrip();
    n.send({ type: 'join', room: 'vault', name: 'Newt', password: 'open sesamE' });
    await n.expectError('wrong-password', 'join', T);
    await n.roundTrip();
    n.send({ type: 'join', room: 'VAULT', name: 'Newt', password: 'open sesame' });
    const joined = await n.expect('joined', T);
    assert.equal(joined.role, 'participant');
    assert.equal(joined.room_state.locked, true);
    await expectAll([a, b], (m) => m.type === 'participant-joined' && m.participant?.id === joined.id);
    assert.equal(a.received.filter((m) => m.type === 'participant-joined').length, 2, 'the refused attempts were not announced');

    a.send({ type: 'unlock' });
    await expectAll([a, b, n], (m) => m.type === 'room-updated' && m.room_state?.locked === false);
    const o = await pool.join('vault', 'Otto');
    assert.equal(o.joined.room_state.locked, false);
  });

  test('lobby: knock, admit, reject, and turning it off admits everyone waiting', async () => {
    const [a, b] = await pool.joinAll('foyer', ['Ada', 'Ben']);
    a.send({ type: 'lobby', enabled: true });
    await expectAll([a, b], (m) => m.type === 'room-updated' && m.room_state?.lobby === true);

    const k1 = await pool.join('foyer', 'Kim', { expect: 'lobby-waiting' });
    // Moderators hear of the lobby one change at a time (lobby-added, lobby-removed).
    let lc = await a.expect((m) => m.type === 'lobby-added' && m.name === 'Kim', T);
    const k1id = lc.id;
    assert.ok(!b.received.some((m) => m.type === 'participant-joined'), 'nobody is announced while waiting');
    k1.send({ type: 'join', room: 'foyer', name: 'Kim' });
    await k1.expectError('already-joined', 'join', T);

    a.send({ type: 'lobby-admit', id: k1id });
    const j1 = await k1.expect('joined', T);
    assert.equal(j1.id, k1id, 'the id shown in the lobby is the participant id');
    assert.equal(j1.role, 'participant');
    assert.equal(j1.room_state.lobby, true);
    await a.expect((m) => m.type === 'lobby-removed' && m.id === k1id, T);
    await expectAll([a, b], (m) => m.type === 'participant-joined' && m.participant?.id === k1id);

    const k2 = await pool.join('foyer', 'Kai', { expect: 'lobby-waiting' });
    lc = await a.expect((m) => m.type === 'lobby-added' && m.name === 'Kai', T);
    a.send({ type: 'lobby-reject', id: lc.id });
    const bye = await k2.expect('bye', T);
    assert.equal(bye.reason, 'rejected');
    await within(k2.closed, 3000, 'the rejected socket is closed');
    await a.expect((m) => m.type === 'lobby-removed' && m.id === lc.id, T);

    const k3 = await pool.join('foyer', 'Lou', { expect: 'lobby-waiting' });
    const lou = await a.expect((m) => m.type === 'lobby-added' && m.name === 'Lou', T);
    const k4 = await pool.join('foyer', 'Mo', { expect: 'lobby-waiting' });
    const mo = await a.expect((m) => m.type === 'lobby-added' && m.name === 'Mo', T);
    const added = a.received.filter((m) => m.type === 'lobby-added').map((m) => m.name);
    assert.deepEqual(added.slice(-2), ['Lou', 'Mo'], 'in the order they knocked');
    a.send({ type: 'lobby', enabled: false });
    const [j3, j4] = await expectAll([k3, k4], (m) => m.type === 'joined');
    assert.deepEqual([j3.id, j4.id], [lou.id, mo.id]);
    await expectAll([a, b], (m) => m.type === 'room-updated' && m.room_state?.lobby === false);
    await b.expect((m) => m.type === 'participant-joined' && m.participant?.id === j4.id, T);
    await pool.join('foyer', 'Ned'); // no lobby any more
    assert.ok(!k2.received.some((m) => m.type === 'joined'), 'the rejected one never joined');
  });

  test('chat: public to all, private only to addressee and sender, history for late joiners is public only', async () => {
    const [a, b, c] = await pool.joinAll('talk', ['Ada', 'Ben', 'Cy']);
    const t0 = Date.now();
    a.send({ type: 'chat', text: 'hello all' });
    const pub = await expectAll([a, b, c], (m) => m.type === 'chat');
    for (const m of pub) {
      assert.equal(m.message.from, a.id);
      assert.equal(m.message.name, 'Ada');
      assert.equal(m.message.text, 'hello all');
      assert.equal(m.message.to ?? null, null);
      assert.equal(typeof m.message.id, 'number');
      assert.ok(Math.abs(m.message.ts - t0) < 10000, `ts ${m.message.ts} is epoch ms`);
    }
    assert.equal(new Set(pub.map((m) => m.message.id)).size, 1, 'one message id');

    const marks = mark([a, b, c]);
    b.send({ type: 'chat', text: 'psst, Cy', to: c.id });
    const [toC, toB] = await expectAll([c, b], (m) => m.type === 'chat');
    for (const m of [toC, toB]) {
      assert.equal(m.message.text, 'psst, Cy');
      assert.equal(m.message.from, b.id);
      assert.equal(m.message.to, c.id);
    }
    await expectNone(new Map([[a, marks.get(a)]]), (m) => m.type === 'chat', { what: 'a private message meant for someone else' });

    c.send({ type: 'chat', text: '<b>second</b> & "public"' });
    await expectAll([a, b, c], (m) => m.type === 'chat' && m.message.text === '<b>second</b> & "public"');
    assert.notEqual(toC.message.id, pub[0].message.id, 'message ids differ');

    const d = await pool.join('talk', 'Dee');
    assert.deepEqual(d.joined.chat.map((m) => [m.from, m.text]), [[a.id, 'hello all'], [c.id, '<b>second</b> & "public"']]);
    assert.ok(d.joined.chat.every((m) => (m.to ?? null) === null));
  });

  test('raised hands: queue order across three, own lowering, a moderator lowers someone', async () => {
    const [a, b, c] = await pool.joinAll('hands', ['Ada', 'Ben', 'Cy']);
    const all = [a, b, c];
    const queueIs = (ids) => (m) => m.type === 'hands' && JSON.stringify(m.queue) === JSON.stringify(ids);
    b.send({ type: 'hand', raised: true });
    await expectAll(all, queueIs([b.id]));
    c.send({ type: 'hand', raised: true });
    await expectAll(all, queueIs([b.id, c.id]));
    a.send({ type: 'hand', raised: true });
    await expectAll(all, queueIs([b.id, c.id, a.id]));
    b.send({ type: 'hand', raised: false });
    await expectAll(all, queueIs([c.id, a.id]));
    b.send({ type: 'hand', raised: true });
    await expectAll(all, queueIs([c.id, a.id, b.id]));

    await refused(c, { type: 'hand', raised: false, id: a.id }, 'not-moderator');
    a.send({ type: 'hand', raised: false, id: c.id });
    await expectAll(all, queueIs([a.id, b.id]));

    const d = await pool.join('hands', 'Dee');
    assert.deepEqual(d.joined.hands, [a.id, b.id]);
    const ben = d.joined.participants.find((p) => p.id === b.id);
    assert.equal(ben.hand, true, 'participant.hand');
    assert.equal(d.joined.participants.find((p) => p.id === c.id).hand, false);
  });

  test('a moderator may only lower, not raise, someone else\'s hand', async () => {
    const [a, b] = await pool.joinAll('hands-up', ['Ada', 'Ben']);
    const marks = mark([a, b]);
    a.send({ type: 'hand', raised: true, id: b.id });
    const err = await a.expect('error', T);
    assert.equal(err.re, 'hand');
    await expectNone(marks, (m) => m.type === 'hands', { ms: 300, what: 'a hand raised for someone else' });
  });

  test('reactions are relayed and limited to 5 per 10 s per participant', async () => {
    const [a, b] = await pool.joinAll('cheers', ['Ada', 'Ben']);
    for (const emoji of REACTIONS.slice(0, 5)) {
      a.send({ type: 'reaction', emoji });
      const r = await b.expect('reaction', T);
      assert.deepEqual([r.from, r.emoji], [a.id, emoji]);
    }
    const marks = mark([b]);
    a.send({ type: 'reaction', emoji: REACTIONS[5] });
    await a.expectError('rate-limited', 'reaction', T);
    await expectNone(marks, (m) => m.type === 'reaction', { ms: 400, what: 'a sixth reaction' });
    // The limit is per participant.
    b.send({ type: 'reaction', emoji: '❤️' });
    const r = await a.expect((m) => m.type === 'reaction' && m.from === b.id, T);
    assert.equal(r.emoji, '❤️');
    await a.roundTrip();
  });

  test('kick: bye kicked to the target, participant-left kicked to the others', async () => {
    const [a, b, c] = await pool.joinAll('kick', ['Ada', 'Ben', 'Cy']);
    a.send({ type: 'kick', id: b.id });
    const bye = await b.expect('bye', T);
    assert.equal(bye.reason, 'kicked');
    await within(b.closed, 3000, 'the kicked socket is closed');
    await expectAll([a, c], (m) => m.type === 'participant-left' && m.id === b.id && m.reason === 'kicked');
    await c.roundTrip();
  });

  test('end-meeting: bye meeting-ended to everyone, and the room is gone', async () => {
    const [a, b, c] = await pool.joinAll('the-end', ['Ada', 'Ben', 'Cy']);
    c.send({ type: 'chat', text: 'before the end' });
    await a.expect('chat', T);
    a.send({ type: 'end-meeting' });
    const byes = await expectAll([a, b, c], (m) => m.type === 'bye');
    assert.deepEqual(byes.map((m) => m.reason), ['meeting-ended', 'meeting-ended', 'meeting-ended']);
    await within(Promise.all([a.closed, b.closed, c.closed]), 3000, 'all sockets are closed');
    const d = await pool.join('the-end', 'Dee');
    assert.equal(d.joined.role, 'moderator', 'a new room');
    assert.deepEqual(d.joined.participants, []);
    assert.deepEqual(d.joined.chat, [], 'the old chat is gone');
  });

  test('mute by a moderator; the target may turn its microphone on again; mute-all; ask-unmute', async () => {
    const [a, b, c] = await room('hush', ['Ada', 'Ben', 'Cy']);
    a.send({ type: 'mute', id: b.id, kind: 'audio' });
    const muted = await b.expect('muted', T);
    assert.deepEqual([muted.kind, muted.by], ['audio', a.id]);
    await expectAll([a, b, c], updated(b.id, (p) => p.audio === false && p.video === true));
    assert.ok(!c.received.some((m) => m.type === 'muted'), 'only the target is told muted');

    b.send({ type: 'media-state', audio: true, video: true });
    await expectAll([a, c], updated(b.id, (p) => p.audio === true));

    a.send({ type: 'mute', id: c.id, kind: 'video' });
    const mv = await c.expect('muted', T);
    assert.equal(mv.kind, 'video');
    await expectAll([a, b, c], updated(c.id, (p) => p.video === false && p.audio === true));

    const marks = mark([a]);
    a.send({ type: 'mute-all' });
    await expectAll([b, c], (m) => m.type === 'muted' && m.kind === 'audio' && m.by === a.id);
    await expectAll([a, b, c], updated(b.id, (p) => p.audio === false));
    await expectAll([a, b, c], updated(c.id, (p) => p.audio === false));
    await expectNone(marks, (m) => m.type === 'muted' || updated(a.id, (p) => p.audio === false)(m), { ms: 300, what: 'the moderator muting itself' });

    a.send({ type: 'ask-unmute', id: b.id });
    const req = await b.expect('unmute-request', T);
    assert.equal(req.by, a.id);
    assert.ok(!c.received.some((m) => m.type === 'unmute-request'));
  });
  test('the server survived and exits with status 0 on SIGTERM', () => serverSurvives(server));
});
