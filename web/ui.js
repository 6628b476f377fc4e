// What the page shows: the views, the participant tiles and the controls.

import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);

const VIEWS = ['landing', 'prompt', 'room', 'error'];

export function showView(name) {
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
  document.body.dataset.view = name;
}

/** Says something to screen readers (and keeps it in the live region). */
export function announce(text) {
  const live = $('live');
  live.textContent = '';
  // A fresh text node makes screen readers read repeated messages again.
  requestAnimationFrame(() => {
    live.textContent = text;
  });
}

let bannerTimer = 0;

/** A non-fatal message on top of the page. */
export function showBanner(text, { timeoutMs = 0 } = {}) {
  $('banner-text').textContent = text;
  $('banner').hidden = false;
  clearTimeout(bannerTimer);
  if (timeoutMs) bannerTimer = setTimeout(hideBanner, timeoutMs);
}

export function hideBanner() {
  $('banner').hidden = true;
}

$('banner-close').addEventListener('click', hideBanner);

/** A message that ends the session; retry (optional) is offered as a button. */
export function showFatal(text, { retry = null } = {}) {
  $('error-text').textContent = text;
  const btn = $('error-retry');
  btn.hidden = !retry;
  btn.onclick = retry;
  showView('error');
  $('error-heading').focus?.();
}

function initialOf(name) {
  const first = [...(name || '?').trim()][0] || '?';
  return first.toUpperCase();
}

/** One tile per participant, ourselves first. */
export class Tiles {
  constructor(list = $('tiles')) {
    this.list = list;
    this.tiles = new Map(); // id → {el, video, audio, videoStream, audioStream, ...}
    this.soundBlocked = false;
    this.onSoundBlocked = () => {};
  }

  has(id) {
    return this.tiles.has(id);
  }

  get size() {
    return this.tiles.size;
  }

  /** Creates or updates the tile of a participant {id, name, audio, video}. */
  upsert(p, { self = false } = {}) {
    let tile = this.tiles.get(p.id);
    if (!tile) {
      tile = this.create(p.id, self);
      this.tiles.set(p.id, tile);
    }
    if (p.name !== undefined) this.setName(p.id, p.name);
    this.setState(p.id, { audio: p.audio, video: p.video });
    return tile;
  }

  create(id, self) {
    const el = document.createElement('li');
    el.className = self ? 'tile self' : 'tile';
    el.dataset.participant = id;

    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // sound goes through the <audio> element
    video.setAttribute('muted', '');

    const placeholder = document.createElement('div');
    placeholder.className = 'placeholder';
    placeholder.setAttribute('aria-hidden', 'true');

    const caption = document.createElement('div');
    caption.className = 'caption';
    const name = document.createElement('span');
    name.className = 'name';
    const micOff = document.createElement('span');
    micOff.className = 'badge mic-off';
    micOff.textContent = t('tile.muted');
    micOff.hidden = true;
    const camOff = document.createElement('span');
    camOff.className = 'badge cam-off';
    camOff.textContent = t('tile.camera-off');
    camOff.hidden = true;
    caption.append(name, micOff, camOff);

    el.append(video, placeholder, caption);

    let audio = null;
    if (!self) {
      audio = document.createElement('audio');
      audio.autoplay = true;
      el.append(audio);
    }

    if (self) this.list.prepend(el);
    else this.list.append(el);

    return {
      id,
      self,
      el,
      video,
      audio,
      placeholder,
      nameEl: name,
      micOff,
      camOff,
      displayName: '',
      videoStream: new MediaStream(),
      audioStream: new MediaStream(),
      videoOn: true,
    };
  }

  setName(id, displayName) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.displayName = displayName;
    tile.nameEl.textContent = tile.self ? t('tile.you', { name: displayName }) : displayName;
    tile.video.setAttribute('aria-label', t('tile.video-label', { name: displayName }));
    tile.placeholder.textContent = initialOf(displayName);
  }

  /** Shows the microphone-off and camera-off indicators. */
  setState(id, { audio, video }) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    if (typeof audio === 'boolean') {
      tile.micOff.hidden = audio;
      tile.el.classList.toggle('mic-muted', !audio);
    }
    if (typeof video === 'boolean') {
      tile.videoOn = video;
      tile.camOff.hidden = video;
    }
    this.refreshVideo(tile);
  }

  refreshVideo(tile) {
    const showing = tile.videoOn && tile.videoStream.getVideoTracks().length > 0;
    tile.el.classList.toggle('no-video', !showing);
  }

  /** Puts a track (ours or a remote one) in a participant's tile. */
  setTrack(id, track) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    if (track.kind === 'video') {
      for (const old of tile.videoStream.getVideoTracks()) tile.videoStream.removeTrack(old);
      tile.videoStream.addTrack(track);
      if (tile.video.srcObject !== tile.videoStream) tile.video.srcObject = tile.videoStream;
      tile.video.play().catch(() => {});
      this.refreshVideo(tile);
    } else if (track.kind === 'audio' && tile.audio) {
      for (const old of tile.audioStream.getAudioTracks()) tile.audioStream.removeTrack(old);
      tile.audioStream.addTrack(track);
      if (tile.audio.srcObject !== tile.audioStream) tile.audio.srcObject = tile.audioStream;
      this.playAudio(tile);
    }
  }

  removeTrack(id, track) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.videoStream.removeTrack(track);
    tile.audioStream.removeTrack(track);
    this.refreshVideo(tile);
  }

  playAudio(tile) {
    tile.audio.play().catch((err) => {
      if (err?.name === 'NotAllowedError' && !this.soundBlocked) {
        this.soundBlocked = true;
        this.onSoundBlocked();
      }
    });
  }

  /** After a user gesture: start every remote audio element. */
  unblockSound() {
    this.soundBlocked = false;
    for (const tile of this.tiles.values()) if (tile.audio) this.playAudio(tile);
  }

  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.video.srcObject = null;
    if (tile.audio) tile.audio.srcObject = null;
    tile.el.remove();
    this.tiles.delete(id);
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }
}

/** The microphone and camera buttons. */
export function renderControls({ audio, video, hasAudio, hasVideo }) {
  const mic = $('btn-mic');
  mic.textContent = t(audio ? 'controls.mute' : 'controls.unmute');
  mic.disabled = !hasAudio;
  mic.classList.toggle('off', !audio);
  mic.setAttribute('aria-label', `${t('controls.mic-label')}: ${mic.textContent}`);

  const cam = $('btn-camera');
  cam.textContent = t(video ? 'controls.camera-off' : 'controls.camera-on');
  cam.disabled = !hasVideo;
  cam.classList.toggle('off', !video);
  cam.setAttribute('aria-label', `${t('controls.camera-label')}: ${cam.textContent}`);
}
