// One tile per video source: a participant's camera (shown even without
// video, with their initial) and, while they share it, their screen.
// Tiles are keyed "<participant id>:<source>".

import { t, tr } from './i18n.js';
import { icon } from './icons.js';
import { el, emit } from './state.js';

const HUES = [168, 200, 28, 280, 340, 100, 220, 12];

function hueOf(id) {
  let h = 0;
  for (const c of String(id)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return HUES[h % HUES.length];
}

function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const first = [...(parts[0] || '?')][0] || '?';
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
  return (first + (second || '')).toUpperCase();
}

const flag = (v) => (v ? 'true' : 'false');

export class Tile {
  constructor(id, source, { self = false } = {}) {
    this.id = id;
    this.source = source;
    this.self = self;
    this.key = `${id}:${source}`;
    this.name = '';
    this.videoOn = source === 'screen';
    this.stream = new MediaStream();

    const root = el('div', `tile ${self ? 'self' : ''} ${source}`, { testid: 'tile', role: 'group' });
    root.dataset.participant = id;
    root.dataset.source = source;
    for (const a of ['muted', 'cameraOff', 'speaking', 'hand', 'pinned', 'stage']) root.dataset[a] = 'false';

    this.video = el('video', self && source === 'camera' ? 'mirrored' : '');
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.muted = true; // sound goes through remote-audio.js
    this.video.setAttribute('muted', '');

    this.avatar = el('div', 'placeholder', { 'aria-hidden': 'true' });
    this.avatarText = el('span', 'avatar');
    this.avatarText.style.setProperty('--hue', String(hueOf(id)));
    this.avatar.append(this.avatarText);

    const caption = el('div', 'caption');
    this.handEl = el('span', 'badge hand', { hidden: true });
    this.handEl.append(icon('hand'));
    this.handText = tr(el('span', 'visually-hidden'), 'tile.hand');
    this.handEl.append(this.handText);
    this.nameEl = el('span', 'name', { testid: 'tile-name' });
    this.micOff = el('span', 'badge mic-off', { hidden: true });
    this.micOff.append(icon('mic', { off: true }), tr(el('span', 'visually-hidden'), 'tile.muted'));
    this.camOff = el('span', 'badge cam-off', { hidden: true });
    this.camOff.append(icon('camera', { off: true }), tr(el('span', 'visually-hidden'), 'tile.camera-off'));
    caption.append(this.handEl, this.nameEl, this.micOff, this.camOff);

    this.pin = el('button', 'tile-pin round small', { type: 'button', testid: 'tile-pin', 'aria-pressed': 'false' });
    this.pin.append(icon('pin'));
    this.pin.addEventListener('click', () => emit('pin', { key: this.key }));

    this.reactionSpot = el('div', 'tile-reactions', { 'aria-hidden': 'true' });
    root.append(this.video, this.avatar, caption, this.pin, this.reactionSpot);
    root.addEventListener('dblclick', () => emit('pin', { key: this.key }));
    this.root = root;
    this.refresh();
  }

  setName(name) {
    this.name = name || t('guest');
    const key = this.source === 'screen' ? (this.self ? 'tile.your-screen' : 'tile.screen-of') : this.self ? 'tile.you' : 'tile.name';
    tr(this.nameEl, key, { name: this.name });
    tr(this.root, this.source === 'screen' ? 'tile.screen-label' : 'tile.video-label', { name: this.name }, 'aria-label');
    tr(this.pin, 'tile.pin', { name: this.name }, 'aria-label');
    this.avatarText.textContent = initials(this.name);
  }

  /** {audio, video, hand} of the participant; screen tiles ignore audio/video. */
  setState({ audio, video, hand }) {
    if (this.source === 'camera') {
      if (typeof audio === 'boolean') {
        this.root.dataset.muted = flag(!audio);
        this.micOff.hidden = audio;
      }
      if (typeof video === 'boolean') {
        this.videoOn = video;
        this.root.dataset.cameraOff = flag(!video);
        this.camOff.hidden = video;
      }
      if (typeof hand === 'boolean') {
        this.root.dataset.hand = flag(hand);
        this.handEl.hidden = !hand;
      }
    }
    this.refresh();
  }

  setSpeaking(on) {
    if (this.root.dataset.speaking !== flag(on)) this.root.dataset.speaking = flag(on);
  }

  setPinned(on) {
    this.root.dataset.pinned = flag(on);
    this.pin.setAttribute('aria-pressed', flag(on));
  }

  setStage(on) {
    this.root.dataset.stage = flag(on);
  }

  /** Whether the bridge forwards this camera to us, and if not why:
   *  'bandwidth' (our connection cannot carry it) or 'last-n'. */
  setForwarded(on, reason = null) {
    this.root.dataset.forwarded = flag(on);
    if (on) {
      this.root.removeAttribute('title');
      delete this.root.dataset.pausedReason;
    } else {
      this.root.dataset.pausedReason = reason ?? 'last-n';
      this.root.title = t(reason === 'bandwidth' ? 'tile.paused-bandwidth' : 'tile.not-forwarded');
    }
  }

  setTrack(track) {
    for (const old of this.stream.getVideoTracks()) this.stream.removeTrack(old);
    if (track) this.stream.addTrack(track);
    if (this.video.srcObject !== this.stream) this.video.srcObject = this.stream;
    this.play();
    this.refresh();
  }

  removeTrack(track) {
    this.stream.removeTrack(track);
    this.refresh();
  }

  play() {
    if (this.stream.getVideoTracks().length) this.video.play().catch(() => {});
  }

  refresh() {
    const showing = this.videoOn && this.stream.getVideoTracks().some((tk) => tk.readyState === 'live');
    this.root.classList.toggle('no-video', !showing);
  }

  destroy() {
    this.video.srcObject = null;
    this.root.remove();
  }
}

/** All tiles of the room. */
export class TileSet {
  constructor() {
    this.tiles = new Map(); // key → Tile
  }

  get(id, source = 'camera') {
    return this.tiles.get(`${id}:${source}`) ?? null;
  }

  ensure(id, source, { self = false, name = '' } = {}) {
    let tile = this.get(id, source);
    if (!tile) {
      tile = new Tile(id, source, { self });
      tile.setName(name);
      this.tiles.set(tile.key, tile);
      emit('layout');
    }
    return tile;
  }

  remove(id, source) {
    const tile = this.get(id, source);
    if (!tile) return;
    tile.destroy();
    this.tiles.delete(tile.key);
    emit('layout');
  }

  removeParticipant(id) {
    for (const source of ['camera', 'screen']) this.remove(id, source);
  }

  ofParticipant(id) {
    return [this.get(id, 'camera'), this.get(id, 'screen')].filter(Boolean);
  }

  all() {
    return [...this.tiles.values()];
  }

  clear() {
    for (const tile of this.all()) tile.destroy();
    this.tiles.clear();
  }
}
