// Our microphone and camera during the call: turning them on and off,
// switching devices (replaceTrack), and telling the others (media-state).

import { deviceOf, openTrack, rememberDevice } from './devices.js';
import { emit, stoa } from './state.js';
import { toast } from './ui.js';

let ctx = { send: () => false, call: null, tiles: null };
let lastSent = '';

/** Connects this module to the running call. */
export function bindMedia(next) {
  ctx = { ...ctx, ...next };
}

export const micTrack = () => stoa.localStream?.getAudioTracks()[0] ?? null;
export const cameraTrack = () => stoa.localStream?.getVideoTracks()[0] ?? null;
export const screenTrack = () => stoa.screenStream?.getVideoTracks()[0] ?? null;

/** What a section of ours sends: used by call.js when answering. */
export function localSource(source) {
  if (source === 'mic') return { track: micTrack(), stream: stoa.localStream };
  if (source === 'camera') return { track: cameraTrack(), stream: stoa.localStream };
  return { track: screenTrack(), stream: stoa.screenStream };
}

export function mediaState() {
  const mic = micTrack();
  const cam = cameraTrack();
  return {
    audio: !!mic && mic.enabled && mic.readyState === 'live',
    video: !!cam && cam.enabled && cam.readyState === 'live',
    screen: !!screenTrack(),
    hasAudio: !!mic,
    hasVideo: !!cam,
  };
}

/** Shows our state everywhere and tells the server when it changed. */
export function publish({ force = false } = {}) {
  const m = mediaState();
  stoa.media = { audio: m.audio, video: m.video, screen: m.screen };
  const tile = stoa.selfId ? ctx.tiles?.get(stoa.selfId, 'camera') : null;
  tile?.setState({ audio: m.audio, video: m.video });
  emit('self');
  const fields = { audio: m.audio, video: m.video, screen: m.screen };
  const key = JSON.stringify(fields);
  if (stoa.state === 'joined' && (force || key !== lastSent) && ctx.send('media-state', fields)) lastSent = key;
}

export function resetPublished() {
  lastSent = '';
}

async function addDevice(kind) {
  try {
    const track = await openTrack(kind, '');
    if (!stoa.localStream) stoa.localStream = new MediaStream();
    stoa.localStream.addTrack(track);
    if (kind === 'camera') ctx.tiles?.get(stoa.selfId, 'camera')?.setTrack(track);
    if (ctx.call && (await ctx.call.replaceLocal(kind))) ctx.send('renegotiate');
    return track;
  } catch (err) {
    console.warn('open', kind, err);
    toast(kind === 'camera' ? 'devices.camera-failed' : 'devices.mic-failed', null, { kind: 'warn' });
    return null;
  }
}

export async function setMic(on) {
  let track = micTrack();
  if (!track && on) track = await addDevice('mic');
  if (!track) return;
  track.enabled = on;
  publish();
}

export async function setCamera(on) {
  let track = cameraTrack();
  if (!track && on) track = await addDevice('camera');
  if (!track) return;
  track.enabled = on;
  publish();
}

export const toggleMic = () => setMic(!mediaState().audio);
export const toggleCamera = () => setCamera(!mediaState().video);

/** Replaces the microphone ('mic') or camera ('camera') with another device. */
export async function switchDevice(kind, deviceId) {
  const old = kind === 'camera' ? cameraTrack() : micTrack();
  if (old && deviceOf(old) === deviceId) return;
  let track;
  try {
    track = await openTrack(kind, deviceId);
  } catch (err) {
    console.warn('switch', kind, err);
    toast(kind === 'camera' ? 'devices.camera-failed' : 'devices.mic-failed', null, { kind: 'warn' });
    return;
  }
  rememberDevice(kind, deviceId);
  if (!stoa.localStream) stoa.localStream = new MediaStream();
  track.enabled = old ? old.enabled : true;
  if (old) {
    stoa.localStream.removeTrack(old);
    old.stop();
  }
  stoa.localStream.addTrack(track);
  if (kind === 'camera') ctx.tiles?.get(stoa.selfId, 'camera')?.setTrack(track);
  if (ctx.call && (await ctx.call.replaceLocal(kind))) ctx.send('renegotiate');
  publish();
}

/** A moderator turned off our microphone ('audio') or camera ('video'). */
export function forcedOff(kind) {
  const track = kind === 'audio' ? micTrack() : cameraTrack();
  if (track) track.enabled = false;
  publish({ force: true });
}

export function stopLocalMedia() {
  for (const track of stoa.localStream?.getTracks() ?? []) track.stop();
  for (const track of stoa.screenStream?.getTracks() ?? []) track.stop();
}
