// Cameras and microphones: listing them, opening them, remembering the choice.

import { t } from './i18n.js';
import { storageGet, storageSet } from './state.js';

const KEYS = { camera: 'stoa.camera', mic: 'stoa.mic' };

// 960×540 gives three simulcast layers (540, 270, 135 lines): Chromium sends
// two below that size. 720p would cost every sender much more encoding for
// the few views shown that large.
export const VIDEO_CONSTRAINTS = { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24, max: 30 } };

export function preferredDevice(kind) {
  return storageGet(KEYS[kind], '');
}

export function rememberDevice(kind, deviceId) {
  storageSet(KEYS[kind], deviceId || '');
}

/** {cameras, mics}: the devices the browser lists (labels once permitted). */
export async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], mics: [] };
  try {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
      mics: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
    };
  } catch {
    return { cameras: [], mics: [] };
  }
}

function constraintsFor(kind, deviceId) {
  if (kind === 'camera') return deviceId ? { ...VIDEO_CONSTRAINTS, deviceId: { exact: deviceId } } : VIDEO_CONSTRAINTS;
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  return deviceId ? { ...audio, deviceId: { exact: deviceId } } : audio;
}

/**
 * Opens microphone and camera. Returns {stream, error}: stream holds what
 * could be opened (null: nothing), error the name of the first failure.
 */
export async function openMedia({ mic = preferredDevice('mic'), camera = preferredDevice('camera') } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) return { stream: null, error: 'NotSupportedError' };
  const audio = constraintsFor('mic', mic);
  const video = constraintsFor('camera', camera);
  const attempts = [
    { audio, video },
    { audio: constraintsFor('mic', ''), video: constraintsFor('camera', '') },
    { audio: true, video: false },
    { audio: false, video: true },
  ];
  let error = null;
  for (const constraints of attempts) {
    try {
      return { stream: await navigator.mediaDevices.getUserMedia(constraints), error };
    } catch (err) {
      console.warn('getUserMedia', err?.name, err?.message);
      error ??= err?.name || 'Error';
      if (err?.name === 'NotAllowedError') break; // asking again will not help
    }
  }
  return { stream: null, error };
}

/** Opens one device: kind 'camera' or 'mic'. Throws when it cannot. */
export async function openTrack(kind, deviceId) {
  const constraints = kind === 'camera' ? { video: constraintsFor('camera', deviceId) } : { audio: constraintsFor('mic', deviceId) };
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  return kind === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
}

/** The device a track comes from. */
export function deviceOf(track) {
  return track?.getSettings?.().deviceId ?? '';
}

/** Fills a <select> with devices; current is selected. */
export function fillSelect(select, devices, current, kind) {
  select.replaceChildren();
  if (!devices.length) {
    const opt = document.createElement('option');
    opt.value = '';
    opt.textContent = t({ camera: 'devices.no-camera', mic: 'devices.no-mic', speaker: 'devices.default-speaker' }[kind]);
    select.append(opt);
    select.disabled = true;
    return;
  }
  select.disabled = false;
  devices.forEach((d, i) => {
    const opt = document.createElement('option');
    opt.value = d.deviceId;
    opt.textContent = d.label || t({ camera: 'devices.camera-n', mic: 'devices.mic-n', speaker: 'devices.speaker-n' }[kind], { n: i + 1 });
    select.append(opt);
  });
  if (current && devices.some((d) => d.deviceId === current)) select.value = current;
}

/** Human-readable reason why devices could not be opened. */
export function deviceErrorText(name) {
  if (name === 'NotAllowedError') return t('devices.denied');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return t('devices.not-found');
  if (name === 'NotReadableError') return t('devices.busy');
  return t('devices.failed');
}
