// Moderator requests (the server checks the role), and what happens to us
// when a moderator acts: `muted` and `unmute-request`.

import { t, tr } from './i18n.js';
import { forcedOff, setMic } from './media.js';
import { $, nameOf, stoa } from './state.js';
import { announce, toast } from './ui.js';

let send = () => false;

export function bindModeration(sendFn) {
  send = sendFn;
}

export const mod = {
  mute: (id, kind = 'audio') => send('mute', { id, kind }),
  askUnmute: (id) => send('ask-unmute', { id }),
  kick: (id) => send('kick', { id }),
  grant: (id) => send('grant-moderator', { id }),
  lowerHand: (id) => send('hand', { raised: false, id }),
  muteAll: () => send('mute-all'),
  endMeeting: () => {
    // Our own bye meeting-ended then tells us we ended it, not "a moderator".
    stoa.endedByMe = send('end-meeting') !== false;
  },
  lock: (password) => send('lock', { password }),
  unlock: () => send('unlock'),
  lobby: (enabled) => send('lobby', { enabled }),
  admit: (id) => send('lobby-admit', { id }),
  reject: (id) => send('lobby-reject', { id }),
};

/** Raises or lowers our own hand. */
export function setHand(raised) {
  send('hand', { raised });
}

export const handRaised = () => !!stoa.selfId && stoa.hands.includes(stoa.selfId);

export function toggleHand() {
  setHand(!handRaised());
}

/** `muted`: a moderator turned off our microphone or camera. */
export function onMuted({ kind, by }) {
  forcedOff(kind === 'video' ? 'video' : 'audio');
  const key = kind === 'video' ? 'moderation.camera-turned-off' : 'moderation.mic-muted';
  toast(key, { name: nameOf(by, t('moderation.a-moderator')) }, { kind: 'warn', ms: 7000 });
}

let unmuteTimer = 0;

function hideUnmuteRequest() {
  $('unmute-request').hidden = true;
  clearTimeout(unmuteTimer);
}

/** `unmute-request`: ask the person; only they can turn the microphone on. */
export function onUnmuteRequest({ by }) {
  if (stoa.media.audio) return;
  const box = $('unmute-request');
  tr($('unmute-text'), 'unmute.text', { name: nameOf(by, t('moderation.a-moderator')) });
  box.hidden = false;
  announce($('unmute-text').textContent);
  // Do not take the keyboard away from someone typing.
  if (!document.activeElement?.closest?.('input, textarea, select')) $('unmute-accept').focus({ preventScroll: true });
  clearTimeout(unmuteTimer);
  unmuteTimer = setTimeout(hideUnmuteRequest, 30000);
}

$('unmute-accept').addEventListener('click', () => {
  hideUnmuteRequest();
  setMic(true);
});
$('unmute-dismiss').addEventListener('click', hideUnmuteRequest);
