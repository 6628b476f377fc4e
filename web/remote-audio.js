// The others' microphones: one hidden <audio> element per participant, kept
// apart from the tiles so that moving tiles around never interrupts sound.

import { t } from './i18n.js';
import { $, storageGet } from './state.js';
import { showBanner } from './ui.js';

const players = new Map(); // participant id → {audio, stream}
let blocked = false;
let sinkId = storageGet('stoa.speaker', '');

function play(entry) {
  entry.audio.play().catch((err) => {
    if (err?.name !== 'NotAllowedError' || blocked) return;
    blocked = true;
    showBanner(t('status.sound-blocked'), { action: { label: t('controls.enable-sound'), run: unblockSound } });
  });
}

export function addRemoteAudio(id, track) {
  let entry = players.get(id);
  if (!entry) {
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.dataset.participant = id;
    if (sinkId && audio.setSinkId) audio.setSinkId(sinkId).catch(() => {});
    $('remote-audio').append(audio);
    entry = { audio, stream: new MediaStream() };
    players.set(id, entry);
  }
  for (const old of entry.stream.getAudioTracks()) entry.stream.removeTrack(old);
  entry.stream.addTrack(track);
  if (entry.audio.srcObject !== entry.stream) entry.audio.srcObject = entry.stream;
  play(entry);
}

export function removeRemoteAudio(id, track = null) {
  const entry = players.get(id);
  if (!entry) return;
  if (track) entry.stream.removeTrack(track);
  if (!track || entry.stream.getAudioTracks().length === 0) {
    entry.audio.srcObject = null;
    entry.audio.remove();
    players.delete(id);
  }
}

/** After a user gesture: start every remote audio element. */
export function unblockSound() {
  blocked = false;
  for (const entry of players.values()) play(entry);
}

export function clearRemoteAudio() {
  for (const id of [...players.keys()]) removeRemoteAudio(id);
}

/** Where the sound goes (setSinkId, where the browser has it). */
export function setSpeaker(id) {
  sinkId = id;
  for (const entry of players.values()) entry.audio.setSinkId?.(id).catch(() => {});
}

export const canChooseSpeaker = () => 'setSinkId' in HTMLMediaElement.prototype;
