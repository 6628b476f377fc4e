// One visit to a room over the signalling socket: join (with a password
// when the room is locked), wait in the lobby, be in the room, and the end
// (bye, leave, lost connection).

import { has, t } from './i18n.js';
import { stopLocalMedia } from './media.js';
import { closeRoom, enterRoom, handleRoomMessage, retryOffer } from './room.js';
import { stopScreenShare } from './screen-share.js';
import { Signalling } from './signalling.js';
import { $, sleep, stoa } from './state.js';
import { announce, showBanner, showEnded, showFatal, showView, toast } from './ui.js';

let sig = null;
let byeReason = null;
let password = '';

function serverErrorText(msg) {
  const key = `error.${msg.code}`;
  if (msg.code && has(key)) return t(key);
  return t('error.generic', { message: msg.message || msg.code || '?' });
}

function teardown() {
  closeRoom();
  sig?.close();
  stopLocalMedia();
}

function fail(text, retry = () => location.reload()) {
  stoa.state = 'error';
  teardown();
  showFatal(text, { retry });
}

function end(reason) {
  if (stoa.state === 'left') return;
  stoa.state = 'left';
  teardown();
  $('toasts').replaceChildren();
  $('unmute-request').hidden = true;
  showEnded(reason, { rejoin: () => location.reload() });
}

function askPassword(wrong) {
  stoa.state = 'password';
  showView('password');
  const input = $('password-input');
  const error = $('password-error');
  error.hidden = !wrong;
  if (wrong) {
    error.textContent = t('password.wrong');
    input.setAttribute('aria-invalid', 'true');
    input.select();
  } else {
    input.removeAttribute('aria-invalid');
  }
  input.focus();
}

function sendJoin() {
  const fields = { room: stoa.room, name: stoa.name };
  if (password) fields.password = password;
  sig.send('join', fields);
}

function onError(msg) {
  stoa.errors.push(msg);
  console.warn('server error', msg);
  if (msg.code === 'password-required' || msg.code === 'wrong-password') {
    return askPassword(msg.code === 'wrong-password' || (msg.code === 'password-required' && !!password));
  }
  const before = ['connecting', 'password'].includes(stoa.state);
  if (before || msg.code === 'bridge-error') {
    const room = stoa.room;
    if (msg.code === 'bad-room-name') return fail(serverErrorText(msg), () => location.assign('/'));
    if (msg.code === 'bad-name') return fail(serverErrorText(msg), () => location.assign(`/${encodeURIComponent(room)}`));
    return fail(serverErrorText(msg));
  }
  if (msg.code === 'rate-limited') {
    // The server's count of reactions may run ahead of ours: the same notice.
    return toast(msg.re === 'reaction' ? 'reactions.slow-down' : 'error.rate-limited', null, { kind: 'warn', ms: 3000 });
  }
  if (msg.code === 'stale-answer') return; // the next offer fixes it
  if (msg.code === 'bad-answer') {
    // Media stays off until an answer is taken: say so, and offer a fresh try.
    return showBanner(t('error.bad-answer', { message: msg.message || msg.code }), {
      action: { label: t('error.retry'), run: retryOffer },
    });
  }
  toast('error.generic', { message: serverErrorText(msg) }, { kind: 'warn', ms: 7000 });
}

/** Leaves on purpose: `leave`, then the ended view. */
export async function leave() {
  if (!['joined', 'lobby'].includes(stoa.state)) return;
  // Waiting in the lobby is not being in the room: closing the socket is leaving.
  const wasOpen = sig?.isOpen && stoa.state === 'joined';
  stoa.state = 'leaving';
  announce(t('status.leaving'));
  await stopScreenShare().catch(() => {});
  if (wasOpen) {
    sig.send('leave');
    await Promise.race([sig.closed, sleep(1500)]);
  }
  end('left');
}

/** Connects and joins room as name; ready resolves once the devices are known. */
export async function startSession({ room, name, ready }) {
  stoa.state = 'connecting';
  stoa.room = room.toLowerCase();
  stoa.name = name;
  announce(t('status.connecting'));
  showBanner(t('status.connecting'), { timeoutMs: 4000 });

  sig = new Signalling();
  sig.addEventListener('message', (ev) => {
    const msg = ev.detail;
    if (msg.type === 'joined') {
      $('banner').hidden = true;
      return enterRoom(msg, { signalling: sig, ready, leave });
    }
    if (msg.type === 'lobby-waiting') {
      stoa.state = 'lobby';
      showView('lobby');
      announce(t('lobby.heading'));
      return;
    }
    if (msg.type === 'error') return onError(msg);
    if (msg.type === 'bye') {
      byeReason = msg.reason;
      return;
    }
    if (msg.type === 'pong') return;
    if (stoa.state === 'joined') handleRoomMessage(msg);
  });
  sig.addEventListener('close', () => {
    if (['left', 'error'].includes(stoa.state)) return;
    if (stoa.state === 'leaving') return; // leave() finishes
    if (byeReason) return end(byeReason);
    if (stoa.state === 'joined' || stoa.state === 'lobby') return end('connection-lost');
    fail(t('error.connection-failed'));
  });

  $('password-form').onsubmit = (ev) => {
    ev.preventDefault();
    const value = $('password-input').value;
    if (!value) return $('password-input').focus();
    password = value;
    stoa.state = 'connecting';
    sendJoin();
  };
  $('lobby-cancel').onclick = () => leave();

  try {
    await sig.open();
  } catch (err) {
    console.warn(err);
    if (stoa.state === 'connecting') fail(t('error.connection-failed'));
    return;
  }
  sendJoin();
  window.addEventListener('pagehide', () => {
    if (stoa.state === 'joined') teardown();
  });
}
