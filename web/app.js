// Stoa in the browser: the landing page at `/`, a room at `/<room>`.
//
// `/<room>?name=Alice&autojoin=1` joins at once, without asking for a name.
//
// For automated tests the live state is kept in window.stoa:
//   pc            the RTCPeerConnection (null before joining)
//   selfId        our participant id (null before joining)
//   room, name    as the server reported them
//   participants  Map id → {id, name, audio, video} of the *other* participants
//   mids          Map mid → {participant, kind}, from the server's offers
//   state         'loading' | 'landing' | 'prompt' | 'connecting' | 'joined'
//                 | 'leaving' | 'left' | 'error'
//   version       version of the last offer answered
//   connection    pc.connectionState
//   errors        every `error` message the server sent
//   localStream   our microphone and camera (null without devices)

import { loadTranslations, t, translateTree, has } from './i18n.js';
import { checkRoomName, canonicalRoomName } from './room-name.js';
import { Signalling } from './signalling.js';
import { Call } from './call.js';
import { showView, announce, showBanner, hideBanner, showFatal, Tiles, renderControls } from './ui.js';

const NAME_KEY = 'stoa.name';
const INTENT_KEY = 'stoa.join-intent';
const SELF = 'self'; // key of our own tile (server ids are never this)

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const stoa = {
  pc: null,
  selfId: null,
  room: null,
  name: null,
  participants: new Map(),
  mids: new Map(),
  state: 'loading',
  version: 0,
  connection: 'new',
  errors: [],
  localStream: null,
};
window.stoa = stoa;

let sig = null;
let call = null;
let tiles = null;
let byeReason = null;

// ---------------------------------------------------------------- storage

function storedName() {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

function storeName(name) {
  try {
    if (name) localStorage.setItem(NAME_KEY, name);
  } catch {
    // private mode: nothing remembered
  }
}

function takeIntent() {
  try {
    const room = sessionStorage.getItem(INTENT_KEY);
    sessionStorage.removeItem(INTENT_KEY);
    return room;
  } catch {
    return null;
  }
}

function setIntent(room) {
  try {
    sessionStorage.setItem(INTENT_KEY, room);
  } catch {
    // the room page will ask for the name instead
  }
}

// ---------------------------------------------------------------- routing

function roomFromPath() {
  const raw = location.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!raw) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

async function main() {
  await loadTranslations();
  translateTree();

  const room = roomFromPath();
  if (room === null) return landing();
  const check = checkRoomName(room);
  if (check !== 'ok') return landing({ room, problem: check });

  const params = new URLSearchParams(location.search);
  const urlName = params.get('name');
  const autojoin = ['1', 'true', 'yes'].includes(params.get('autojoin') ?? '');
  const intent = takeIntent();

  if (autojoin) return join(room, urlName ?? storedName());
  if (intent && intent === canonicalRoomName(room)) return join(room, storedName());
  return promptForName(room, urlName ?? storedName());
}

// ---------------------------------------------------------------- landing

function roomProblemText(problem, room) {
  if (problem === 'empty') return t('landing.room-required');
  if (problem === 'reserved') return t('landing.room-reserved', { room });
  return t('landing.room-invalid', { room });
}

function landing({ room = '', problem = null } = {}) {
  stoa.state = 'landing';
  document.title = t('landing.title');
  showView('landing');

  const roomInput = $('landing-room');
  const nameInput = $('landing-name');
  const errorEl = $('landing-room-error');
  roomInput.value = room;
  nameInput.value = storedName();

  const showProblem = (p) => {
    errorEl.textContent = p ? roomProblemText(p, roomInput.value) : '';
    errorEl.hidden = !p;
    roomInput.setAttribute('aria-invalid', p ? 'true' : 'false');
  };
  showProblem(problem);

  roomInput.addEventListener('input', () => showProblem(null));
  $('landing-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = roomInput.value.trim();
    const p = checkRoomName(name);
    if (p !== 'ok') {
      showProblem(p);
      roomInput.focus();
      return;
    }
    storeName(nameInput.value.trim());
    setIntent(canonicalRoomName(name));
    location.assign(`/${encodeURIComponent(name)}`);
  });
  (room ? nameInput : roomInput).focus();
}

// ---------------------------------------------------------------- name prompt

function promptForName(room, name) {
  stoa.state = 'prompt';
  document.title = t('prompt.title', { room });
  $('prompt-heading').textContent = t('prompt.heading', { room });
  showView('prompt');
  const input = $('prompt-name');
  input.value = name;
  input.focus();
  $('prompt-form').addEventListener(
    'submit',
    (ev) => {
      ev.preventDefault();
      const chosen = input.value.trim();
      storeName(chosen);
      join(room, chosen);
    },
    { once: true },
  );
}

// ---------------------------------------------------------------- devices

async function getLocalMedia() {
  if (!navigator.mediaDevices?.getUserMedia) return null;
  const video = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } };
  const attempts = [
    { audio: true, video },
    { audio: true, video: false },
    { audio: false, video },
  ];
  for (const constraints of attempts) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      console.warn('getUserMedia', constraints, err?.name, err?.message);
      if (err?.name === 'NotAllowedError') break; // asking again will not help
    }
  }
  return null;
}

function mediaState() {
  const s = stoa.localStream;
  const a = s?.getAudioTracks()[0];
  const v = s?.getVideoTracks()[0];
  return {
    audio: !!a && a.enabled,
    video: !!v && v.enabled,
    hasAudio: !!a,
    hasVideo: !!v,
  };
}

let lastSentState = '';

function publishMediaState() {
  const m = mediaState();
  renderControls(m);
  tiles?.setState(SELF, { audio: m.audio, video: m.video });
  const fields = { audio: m.audio, video: m.video };
  const key = JSON.stringify(fields);
  if (stoa.state === 'joined' && key !== lastSentState && sig?.send('media-state', fields)) lastSentState = key;
}

function toggle(kind) {
  const track = kind === 'audio' ? stoa.localStream?.getAudioTracks()[0] : stoa.localStream?.getVideoTracks()[0];
  if (!track) return;
  track.enabled = !track.enabled;
  publishMediaState();
}

// ---------------------------------------------------------------- the room

function renderCount() {
  const others = stoa.participants.size;
  $('room-count').textContent = t('room.count', { count: others + 1 });
  $('room-alone').hidden = others > 0 || stoa.state !== 'joined';
}

function serverErrorText(msg) {
  const key = `error.${msg.code}`;
  if (msg.code && has(key)) return t(key);
  return t('error.generic', { message: msg.message || msg.code || '?' });
}

function fail(text, retry = () => location.reload()) {
  stoa.state = 'error';
  teardown();
  showFatal(text, { retry });
}

function teardown() {
  call?.close();
  sig?.close();
  for (const track of stoa.localStream?.getTracks() ?? []) track.stop();
}

function onServerError(msg) {
  stoa.errors.push(msg);
  console.warn('server error', msg);
  const text = serverErrorText(msg);
  if (stoa.state === 'connecting' || msg.code === 'bridge-error') {
    // Could not get in: nothing to keep.
    const room = stoa.room;
    if (msg.code === 'bad-room-name') return fail(text, () => location.assign('/'));
    if (msg.code === 'bad-name') return fail(text, () => location.assign(`/${encodeURIComponent(room)}`));
    return fail(text);
  }
  showBanner(text, { timeoutMs: 10000 });
}

function setParticipant(p) {
  if (!p || typeof p.id !== 'string' || p.id === stoa.selfId) return null;
  const prev = stoa.participants.get(p.id) ?? {};
  const merged = { ...prev, ...p };
  if (!merged.name) merged.name = t('guest');
  stoa.participants.set(p.id, merged);
  tiles.upsert(merged);
  return merged;
}

async function join(room, name) {
  stoa.state = 'connecting';
  stoa.room = canonicalRoomName(room);
  stoa.name = name;
  document.title = t('room.title', { room: stoa.room });
  $('room-heading').textContent = t('room.heading', { room: stoa.room });
  showView('room');
  announce(t('status.connecting'));

  tiles = new Tiles();
  tiles.onSoundBlocked = () => {
    $('btn-sound').hidden = false;
    showBanner(t('status.sound-blocked'));
  };
  tiles.upsert({ id: SELF, name: name || t('guest') }, { self: true });
  renderControls({ audio: true, video: true, hasAudio: false, hasVideo: false });
  renderCount();
  wireControls();

  const media = getLocalMedia().then((stream) => {
    if (['error', 'leaving', 'left'].includes(stoa.state)) {
      // Gave up before the devices answered: release them at once.
      for (const track of stream?.getTracks() ?? []) track.stop();
      return null;
    }
    stoa.localStream = stream;
    if (!stream) {
      announce(t('status.no-devices'));
      showBanner(t('status.no-devices'), { timeoutMs: 10000 });
    }
    for (const track of stream?.getTracks() ?? []) tiles.setTrack(SELF, track);
    publishMediaState();
    return stream;
  });

  sig = new Signalling();
  sig.addEventListener('joined', (ev) => onJoined(ev.detail, media));
  sig.addEventListener('offer', (ev) => {
    if (!call) return console.warn('offer before joined');
    call.handleOffer(ev.detail);
  });
  sig.addEventListener('participant-joined', (ev) => {
    const p = setParticipant(ev.detail.participant);
    if (p) announce(t('status.participant-joined', { name: p.name }));
    renderCount();
  });
  sig.addEventListener('participant-updated', (ev) => setParticipant(ev.detail.participant));
  sig.addEventListener('participant-left', (ev) => {
    const id = ev.detail.id;
    const p = stoa.participants.get(id);
    stoa.participants.delete(id);
    tiles.remove(id);
    if (p) announce(t('status.participant-left', { name: p.name }));
    renderCount();
  });
  sig.addEventListener('error', (ev) => onServerError(ev.detail));
  sig.addEventListener('bye', (ev) => {
    byeReason = ev.detail.reason;
  });
  sig.addEventListener('close', () => {
    if (['leaving', 'left', 'error'].includes(stoa.state)) return;
    if (byeReason === 'server-shutdown') return fail(t('error.server-shutdown'));
    fail(t(stoa.state === 'joined' ? 'error.connection-lost' : 'error.connection-failed'));
  });

  try {
    await sig.open();
  } catch (err) {
    console.warn(err);
    if (stoa.state === 'connecting') fail(t('error.connection-failed'));
    return;
  }
  sig.send('join', { room, name });
}

function onJoined(msg, media) {
  if (call) return;
  stoa.selfId = msg.id;
  stoa.room = msg.room ?? stoa.room;
  stoa.name = msg.name ?? stoa.name;
  tiles.setName(SELF, stoa.name || t('guest'));
  tiles.tiles.get(SELF).el.dataset.id = msg.id;
  document.title = t('room.title', { room: stoa.room });
  $('room-heading').textContent = t('room.heading', { room: stoa.room });

  call = new Call({ send: (type, fields) => sig.send(type, fields), media, selfId: msg.id });
  stoa.pc = call.pc;
  stoa.mids = call.mids;
  call.addEventListener('track', (ev) => {
    const { participant, track } = ev.detail;
    if (!tiles.has(participant)) setParticipant({ id: participant });
    tiles.setTrack(participant, track);
  });
  call.addEventListener('track-removed', (ev) => tiles.removeTrack(ev.detail.participant, ev.detail.track));
  call.addEventListener('answered', (ev) => {
    stoa.version = ev.detail.version;
  });
  call.addEventListener('failed', (ev) => {
    showBanner(t('error.call-failed', { message: ev.detail.error?.message ?? String(ev.detail.error) }));
  });
  call.addEventListener('connection', (ev) => {
    stoa.connection = ev.detail.state;
    if (ev.detail.state === 'failed') showBanner(t('error.media-failed'));
  });

  for (const p of Array.isArray(msg.participants) ? msg.participants : []) setParticipant(p);
  stoa.state = 'joined';
  renderCount();
  announce(t('status.joined', { room: stoa.room }));
  // Tell the others what we actually have once the devices are known.
  media.then(() => publishMediaState());
}

async function leave() {
  if (stoa.state === 'leaving' || stoa.state === 'left') return;
  const wasConnected = sig?.isOpen;
  stoa.state = 'leaving';
  announce(t('status.leaving'));
  if (wasConnected) {
    sig.send('leave');
    // The server closes the socket after `leave`; do not wait for ever.
    await Promise.race([sig.closed, sleep(1500)]);
  }
  teardown();
  tiles?.clear();
  stoa.state = 'left';
  location.assign('/');
}

let controlsWired = false;

function wireControls() {
  if (controlsWired) return;
  controlsWired = true;
  $('btn-mic').addEventListener('click', () => toggle('audio'));
  $('btn-camera').addEventListener('click', () => toggle('video'));
  $('btn-leave').addEventListener('click', () => leave());
  $('btn-sound').addEventListener('click', () => {
    tiles?.unblockSound();
    $('btn-sound').hidden = true;
    hideBanner();
  });
  $('copy-link').addEventListener('click', async () => {
    const link = `${location.origin}/${encodeURIComponent(stoa.room ?? '')}`;
    try {
      await navigator.clipboard.writeText(link);
      announce(t('room.link-copied'));
      showBanner(t('room.link-copied'), { timeoutMs: 3000 });
    } catch {
      showBanner(link);
    }
  });
  window.addEventListener('pagehide', () => {
    if (stoa.state === 'joined') teardown();
  });
}

main().catch((err) => {
  console.error(err);
  stoa.state = 'error';
  // Translations may be what failed: fall back to plain English here.
  const text = has('error.call-failed') ? t('error.call-failed', { message: err.message }) : `Stoa could not start: ${err.message}`;
  showFatal(text, { retry: () => location.reload() });
});
