// Sharing the screen: a second video source on our mid "2" section.
// Start: getDisplayMedia → replaceTrack on that transceiver, direction
// sendonly, media-state screen:true, `renegotiate`. Stop reverses it.

import { publish, screenTrack } from './media.js';
import { stoa } from './state.js';
import { toast } from './ui.js';

let ctx = { send: () => false, call: null, tiles: null };
let busy = false;

export function bindScreenShare(next) {
  ctx = { ...ctx, ...next };
}

export const canShareScreen = () => !!navigator.mediaDevices?.getDisplayMedia;

export async function startScreenShare() {
  if (busy || screenTrack()) return;
  if (!canShareScreen()) {
    toast('screen.unsupported', null, { kind: 'warn' });
    return;
  }
  busy = true;
  try {
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (err) {
      if (err?.name !== 'NotAllowedError' && err?.name !== 'AbortError') toast('screen.failed', null, { kind: 'warn' });
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track || stoa.state !== 'joined') {
      for (const tk of stream.getTracks()) tk.stop();
      return;
    }
    if ('contentHint' in track) track.contentHint = 'detail';
    track.addEventListener('ended', () => stopScreenShare());
    stoa.screenStream = stream;
    ctx.tiles?.ensure(stoa.selfId, 'screen', { self: true, name: stoa.name }).setTrack(track);
    await ctx.call?.replaceLocal('screen');
    publish();
    ctx.send('renegotiate');
    toast('screen.started', null, { kind: 'good', ms: 3000 });
  } finally {
    busy = false;
  }
}

export async function stopScreenShare() {
  const stream = stoa.screenStream;
  if (!stream) return;
  stoa.screenStream = null;
  for (const track of stream.getTracks()) track.stop();
  ctx.tiles?.remove(stoa.selfId, 'screen');
  if (stoa.state !== 'joined') return;
  await ctx.call?.replaceLocal('screen');
  publish();
  ctx.send('renegotiate');
}

export const toggleScreenShare = () => (screenTrack() ? stopScreenShare() : startScreenShare());
