// Inside the room: the peer connection, tiles, panels and everything the
// server tells us while we are in (docs/protocol.md, "Server → client").

import { Call } from './call.js';
import { addMessage, initChat } from './chat.js';
import { controlButton, initControls, renderControls } from './controls.js';
import { i18nEvents, t, tr } from './i18n.js';
import { copyInvite } from './invite.js';
import { Layout } from './layout.js';
import { dtlsStateOf, mediaFailureKey } from './media-failure.js';
import { startMeetingTimer, stopMeetingTimer } from './meeting-timer.js';
import { bindMedia, cameraTrack, localSource, mediaState, publish, resetPublished, setMic, toggleCamera, toggleMic } from './media.js';
import { bindModeration, onMuted, onUnmuteRequest, toggleHand } from './moderation.js';
import { closePanel, isOpen, openPanel, togglePanel } from './panels.js';
import { initParticipants } from './participants.js';
import { initReactions, showReaction, toggleReactions } from './reactions.js';
import { addRemoteAudio, removeRemoteAudio } from './remote-audio.js';
import { canonicalRoomName } from './room-name.js';
import { bindScreenShare, toggleScreenShare } from './screen-share.js';
import { initSettings } from './settings.js';
import { initShortcuts } from './shortcuts.js';
import { SpeakingDetector } from './speaking.js';
import { $, emit, isModerator, nameOf, on, stoa } from './state.js';
import { dominantChanged, startTalkTimes } from './talk-time.js';
import { startTileQuality, stopTileQuality } from './tile-quality.js';
import { TileSet } from './tiles.js';
import { announce, showBanner, showView, toast } from './ui.js';

let sig = null;
let call = null;
let callParams = null; // what startCall needs again after a media-reset
let tiles = null;
let layout = null;
let speaking = null;
const remoteVideo = new Map(); // "<id>:<source>" → track
const departed = new Set(); // ids that left: their late tracks are ignored
const send = (type, fields) => sig?.send(type, fields) ?? false;

/* The room as the link spells it ("Team-Sync"), when it is this room. */
function shownRoom() {
  return stoa.roomLabel && canonicalRoomName(stoa.roomLabel) === stoa.room ? stoa.roomLabel : stoa.room;
}

function renderHeader() {
  if (stoa.state === 'joined') document.title = t('room.title', { room: shownRoom() });
  tr($('room-heading'), 'room.heading', { room: shownRoom() });
  tr($('room-count'), 'room.count', { count: stoa.participants.size + 1 });
  $('room-lock').hidden = !stoa.roomState.locked;
  $('room-lobby').hidden = !stoa.roomState.lobby;
  const alone = $('room-alone');
  alone.hidden = stoa.participants.size > 0;
  if (!alone.hidden) tr(alone, 'room.alone');
}

/** Under a Last-N limit the bridge says which cameras it forwards to us;
 *  the other remote camera tiles are shown as paused. */
function markForwarded() {
  if (!Array.isArray(stoa.forwarded)) return;
  for (const tile of tiles.all()) {
    if (tile.source !== 'camera' || tile.id === stoa.selfId) continue;
    const on = stoa.forwarded.includes(tile.id);
    tile.setForwarded(on, on ? null : stoa.heldForBandwidth.includes(tile.id) ? 'bandwidth' : 'last-n');
  }
}

/** The height, in device pixels, each remote camera is shown at, so that
 *  the bridge sends the layer that fits; 0 for all while the page is in
 *  the background (nothing is sent then). A tile not laid out yet has no
 *  size to tell: it is left out (no limit) rather than taken for hidden. */
function viewHeights() {
  const heights = {};
  const scale = window.devicePixelRatio || 1;
  for (const tile of tiles?.all() ?? []) {
    if (tile.self || tile.source !== 'camera') continue;
    if (Object.keys(heights).length === 64) break;   // the protocol's limit
    const height = Math.min(8192, Math.round(tile.root.clientHeight * scale));
    if (document.hidden) heights[tile.id] = 0;
    else if (height > 0) heights[tile.id] = height;
  }
  return heights;
}

/** Whether the views changed enough to tell the bridge: a camera came,
 *  went or was hidden, or a height moved by a sixth. */
function heightsChanged(a, b) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (!(k in a) || !(k in b)) return true;
    if ((a[k] === 0) !== (b[k] === 0)) return true;
    if (Math.abs(a[k] - b[k]) > Math.max(a[k], b[k]) / 6) return true;
  }
  return false;
}

/** What we want to receive (receiver-constraints): how many cameras —
 *  `?lastn=N` in the room URL or the stored setting — the pinned
 *  participant first, and the size each camera is shown at. */
function sendConstraints() {
  const fromUrl = new URLSearchParams(location.search).get('lastn');
  const lastN = Number.parseInt(fromUrl ?? localStorage.getItem('stoa.lastN') ?? '', 10);
  const pinned = layout?.pinned ? layout.pinned.split(':')[0] : null;
  const heights = viewHeights();
  stoa.sentHeights = heights;
  // No last_n of our own: the server's default (stoa --last-n) applies.
  send('receiver-constraints', { ...(Number.isInteger(lastN) ? { last_n: lastN } : {}), selected: pinned ? [pinned] : [], heights });
  stoa.constraintsSent = true;
}

/** Checks the views now and then (layouts change with windows, speakers
 *  and tiles) and when the page goes to the background or comes back. */
function watchViews() {
  const check = () => {
    if (stoa.state === 'joined' && heightsChanged(viewHeights(), stoa.sentHeights ?? {})) sendConstraints();
  };
  setInterval(check, 1000);
  document.addEventListener('visibilitychange', check);
}

function initUi(leave) {
  tiles = new TileSet();
  layout = new Layout($('tiles'), tiles);
  bindMedia({ send, tiles });
  bindScreenShare({ send, tiles });
  bindModeration(send);
  initChat({ send });
  initParticipants();
  initSettings();
  const handlers = {
    'mic-toggle': () => toggleMic(),
    'camera-toggle': () => toggleCamera(),
    'screen-toggle': () => toggleScreenShare(),
    'hand-toggle': () => toggleHand(),
    'reactions-open': () => toggleReactions(),
    'view-toggle': () => layout.toggleView(),
    'chat-open': () => togglePanel('chat'),
    'participants-open': () => togglePanel('participants'),
    'settings-open': () => togglePanel('settings'),
    'invite-copy': (b) => copyInvite(b),
    leave: () => leave(),
  };
  initControls(handlers, layout);
  initReactions({ send, tiles, openButton: controlButton('reactions-open') });
  initShortcuts({ m: toggleMic, v: toggleCamera, r: toggleHand, c: () => togglePanel('chat'), t: () => layout.toggleView() },
    { talk: (on) => setMic(on), micOn: () => mediaState().audio });
  speaking = new SpeakingDetector({ tiles, layout });
  startTileQuality(tiles);
  on('participants', renderHeader);
  on('participants', markForwarded);
  on('pin', () => setTimeout(sendConstraints, 0));
  on('room-state', renderHeader);
  i18nEvents.addEventListener('change', renderHeader);
}

function syncScreenTile(id) {
  const p = stoa.participants.get(id);
  const track = remoteVideo.get(`${id}:screen`);
  if (p?.screen && track) tiles.ensure(id, 'screen', { name: p.name }).setTrack(track);
  else tiles.remove(id, 'screen');
}

function setParticipant(p) {
  if (!p || typeof p.id !== 'string') return null;
  if (p.id === stoa.selfId || departed.has(p.id)) return null;
  const merged = { ...(stoa.participants.get(p.id) ?? {}), ...p };
  merged.hand = stoa.hands.includes(p.id);
  stoa.participants.set(p.id, merged);
  const tile = tiles.ensure(p.id, 'camera', { name: merged.name });
  tile.setName(merged.name);
  tile.setState({ audio: merged.audio !== false, video: merged.video !== false, hand: merged.hand });
  const cam = remoteVideo.get(`${p.id}:camera`);
  if (cam && !tile.stream.getVideoTracks().includes(cam)) tile.setTrack(cam);
  tiles.get(p.id, 'screen')?.setName(merged.name);
  syncScreenTile(p.id);
  return merged;
}

function onSelfUpdated(p) {
  const before = stoa.role;
  if (typeof p.role === 'string') stoa.role = p.role;
  if (typeof p.name === 'string' && p.name) stoa.name = p.name;
  if (before !== stoa.role && stoa.role === 'moderator') toast('moderation.you-are-moderator', null, { kind: 'good' });
  emit('self');
  emit('participants', { id: stoa.selfId });
}

function onHands(queue) {
  const before = stoa.hands;
  stoa.hands = Array.isArray(queue) ? queue.filter((x) => typeof x === 'string') : [];
  for (const tile of tiles.all()) if (tile.source === 'camera') tile.setState({ hand: stoa.hands.includes(tile.id) });
  for (const p of stoa.participants.values()) p.hand = stoa.hands.includes(p.id);
  for (const id of stoa.hands) {
    if (before.includes(id) || id === stoa.selfId) continue;
    const name = nameOf(id, t('guest'));
    if (isModerator()) toast('hand.raised-by', { name }, { ms: 4000 });
    else announce(t('hand.raised-by', { name }));
  }
  if (before.includes(stoa.selfId) && !stoa.hands.includes(stoa.selfId)) announce(t('hand.yours-lowered'));
  emit('hands');
}

function onRoomState(rs) {
  const before = stoa.roomState;
  stoa.roomState = { locked: !!rs?.locked, lobby: !!rs?.lobby };
  if (before.locked !== stoa.roomState.locked) toast(stoa.roomState.locked ? 'room.now-locked' : 'room.now-unlocked');
  if (before.lobby !== stoa.roomState.lobby) toast(stoa.roomState.lobby ? 'room.lobby-now-on' : 'room.lobby-now-off');
  emit('room-state');
}

function announceKnock(w) {
  toast('lobby.knocking', { name: w.name || t('guest') }, { ms: 8000, action: { key: 'lobby.show', run: () => openPanel('participants') } });
}

// The whole queue: sent when this participant becomes a moderator.
function onLobby(waiting) {
  const before = new Set(stoa.lobby.map((w) => w.id));
  stoa.lobby = Array.isArray(waiting) ? waiting.filter((w) => w && typeof w.id === 'string') : [];
  for (const w of stoa.lobby) if (!before.has(w.id)) announceKnock(w);
  emit('lobby');
}

// Then one change at a time: a knock, or someone who stopped waiting.
function onLobbyAdded(msg) {
  if (typeof msg.id !== 'string' || stoa.lobby.some((w) => w.id === msg.id)) return;
  const w = { id: msg.id, name: typeof msg.name === 'string' ? msg.name : '' };
  stoa.lobby = [...stoa.lobby, w];
  announceKnock(w);
  emit('lobby');
}

function onLobbyRemoved(msg) {
  stoa.lobby = stoa.lobby.filter((w) => w.id !== msg.id);
  emit('lobby');
}

function onTrack({ participant, kind, source, track }) {
  // An offer applied after someone left may still carry their sections.
  if (departed.has(participant)) return;
  if (kind === 'audio') return addRemoteAudio(participant, track);
  remoteVideo.set(`${participant}:${source}`, track);
  // Tiles are made for known participants only (participant-joined comes
  // before the offer with their media; setParticipant picks the track up).
  if (!stoa.participants.has(participant)) return;
  if (source === 'screen') syncScreenTile(participant);
  else tiles.get(participant, 'camera')?.setTrack(track);
  emit('media');
}

function onTrackRemoved({ participant, kind, source, track }) {
  if (kind === 'audio') return removeRemoteAudio(participant, track);
  if (remoteVideo.get(`${participant}:${source}`) === track) remoteVideo.delete(`${participant}:${source}`);
  if (source === 'screen') tiles.remove(participant, 'screen');
  else tiles.get(participant, 'camera')?.removeTrack(track);
  emit('media');
}

/** `?ice=relay` forces media through the TURN server: for operators checking
 *  their TURN set-up, and for tests. */
function relayOnly() {
  return new URLSearchParams(location.search).get('ice') === 'relay';
}

/** The peer connection to the server, made on `joined` and made again on
 *  `media-reset` (the server moved us to another media bridge). */
function startCall({ ready, selfId, iceServers }) {
  call = new Call({ send, ready, local: localSource, selfId, iceServers, iceTransportPolicy: relayOnly() ? 'relay' : 'all' });
  stoa.pc = call.pc;
  stoa.mids = call.mids;
  bindMedia({ call });
  bindScreenShare({ call });
  call.addEventListener('track', (ev) => onTrack(ev.detail));
  call.addEventListener('track-removed', (ev) => onTrackRemoved(ev.detail));
  call.addEventListener('answered', (ev) => {
    stoa.version = ev.detail.version;
  });
  call.addEventListener('failed', (ev) => showBanner(t('error.call-failed', { message: ev.detail.error?.message ?? String(ev.detail.error) })));
  let everConnected = false;
  call.addEventListener('connection', async (ev) => {
    stoa.connection = ev.detail.state;
    if (ev.detail.state === 'connected') everConnected = true;
    if (ev.detail.state !== 'failed') return;
    const key = mediaFailureKey({ signallingOpen: sig?.isOpen ?? false, dtlsState: await dtlsStateOf(call.pc), everConnected });
    // Only in the room: an end page that came meanwhile says what happened.
    if (!key || stoa.state !== 'joined') return;
    stoa.mediaFailure = key;
    showBanner(t(key), { action: { label: t('error.rejoin'), run: () => location.reload() } });
  });
}

/** `media-reset`: our media bridge is gone or drained. The remote tracks go
 *  with the old connection; the server's next offer is for the new one. */
function resetCall() {
  if (!call || !callParams) return;
  const old = call;
  for (const info of old.remote.values()) onTrackRemoved(info);
  old.close();
  stoa.mediaFailure = null;
  startCall(callParams);
  // Not the user's network: say what happens while video comes back.
  toast('status.media-moved', null, { ms: 4000 });
}

/** `joined`: we are in. sig is the open Signalling; ready resolves when devices are known. */
export function enterRoom(msg, { signalling, ready, leave }) {
  sig = signalling;
  if (!tiles) initUi(leave);
  stoa.selfId = msg.id;
  stoa.room = msg.room ?? stoa.room;
  stoa.name = msg.name ?? stoa.name;
  stoa.role = msg.role === 'moderator' ? 'moderator' : 'participant';
  stoa.roomState = { locked: !!msg.room_state?.locked, lobby: !!msg.room_state?.lobby };
  stoa.hands = Array.isArray(msg.hands) ? msg.hands : [];
  startMeetingTimer($('meeting-timer'), Number(msg.elapsed_ms));
  document.title = t('room.title', { room: shownRoom() });

  callParams = { ready, selfId: msg.id, iceServers: msg.ice_servers };
  startCall(callParams);

  const self = tiles.ensure(msg.id, 'camera', { self: true, name: stoa.name });
  self.setName(stoa.name);
  ready.then(() => {
    const cam = cameraTrack();
    if (cam) self.setTrack(cam);
    resetPublished();
    publish({ force: true });
  });
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) setParticipant(p);
  stoa.dominant = typeof msg.dominant === 'string' ? msg.dominant : null;
  startTalkTimes(msg.talk_ms, stoa.dominant);
  if (stoa.dominant) speaking?.setDominant(stoa.dominant);
  for (const m of Array.isArray(msg.chat) ? msg.chat : []) addMessage(m, { history: true });

  stoa.state = 'joined';
  showView('room');
  renderHeader();
  renderControls();
  emit('participants');
  emit('hands');
  emit('room-state');
  emit('self');
  announce(t('status.joined', { room: shownRoom() }));
  sendConstraints();
  if (!stoa.watchingViews) {
    stoa.watchingViews = true;
    watchViews();
  }
  $('main').focus({ preventScroll: true });
}

/** Messages while in the room; returns false when not handled here. */
export function handleRoomMessage(msg) {
  switch (msg.type) {
    case 'offer':
      call?.handleOffer(msg);
      return true;
    case 'media-reset':
      resetCall();
      return true;
    case 'participant-joined': {
      const p = setParticipant(msg.participant);
      if (p) {
        // In a big meeting, arrivals are only announced, not shown.
        if (stoa.participants.size < 8) toast('status.participant-joined', { name: p.name || t('guest') }, { ms: 2500 });
        else announce(t('status.participant-joined', { name: p.name || t('guest') }));
        emit('participants', { id: p.id });
      }
      return true;
    }
    case 'participant-updated': {
      const p = msg.participant;
      if (p?.id === stoa.selfId) onSelfUpdated(p);
      else if (setParticipant(p)) emit('participants', { id: p.id });
      return true;
    }
    case 'participant-left': {
      departed.add(msg.id);
      const p = stoa.participants.get(msg.id);
      stoa.participants.delete(msg.id);
      tiles.removeParticipant(msg.id);
      removeRemoteAudio(msg.id);
      remoteVideo.delete(`${msg.id}:camera`);
      remoteVideo.delete(`${msg.id}:screen`);
      if (p && (msg.reason === 'kicked' || stoa.participants.size < 8)) {
        toast(msg.reason === 'kicked' ? 'status.participant-kicked' : 'status.participant-left', { name: p.name || t('guest') }, { ms: 2500 });
      } else if (p) announce(t('status.participant-left', { name: p.name || t('guest') }));
      emit('participants', { id: msg.id });
      return true;
    }
    case 'chat':
      addMessage(msg.message);
      return true;
    case 'hands':
      onHands(msg.queue);
      return true;
    case 'reaction':
      showReaction(msg);
      return true;
    case 'muted':
      onMuted(msg);
      return true;
    case 'unmute-request':
      onUnmuteRequest(msg);
      return true;
    case 'room-updated':
      onRoomState(msg.room_state);
      return true;
    case 'lobby-changed':
      onLobby(msg.waiting);
      return true;
    case 'lobby-added':
      onLobbyAdded(msg);
      return true;
    case 'lobby-removed':
      onLobbyRemoved(msg);
      return true;
    case 'forwarded':
      stoa.forwarded = Array.isArray(msg.ids) ? msg.ids : [];
      stoa.heldForBandwidth = Array.isArray(msg.bandwidth) ? msg.bandwidth : [];
      markForwarded();
      return true;
    case 'dominant-speaker':
      stoa.dominant = typeof msg.id === 'string' ? msg.id : null;
      dominantChanged(stoa.dominant);
      speaking?.setDominant(stoa.dominant);
      return true;
    default:
      return false;
  }
}

/** Leaves the room's media behind (after bye, leave or a lost connection). */
/** After a refused answer: asks the server for a fresh offer. */
export function retryOffer() {
  call?.retryOffer();
}

export function closeRoom() {
  stopMeetingTimer();
  stopTileQuality();
  speaking?.stop();
  call?.close();
  closePanel({ restore: false });
  if (isOpen('chat')) closePanel({ restore: false });
}
