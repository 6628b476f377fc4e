// Stoa in the browser: the landing page at `/`, a room at `/<room>`.
//
// `/<room>` shows the prejoin screen (name, devices, preview);
// `/<room>?name=Alice&autojoin=1` joins at once with microphone and camera on.
// The live state is in window.stoa (state.js, docs/web-testids.md).

import { openMedia } from './devices.js';
import { has, loadTranslations, t, tr } from './i18n.js';
import { prejoin, storedName } from './prejoin.js';
import { checkRoomName, canonicalRoomName, suggestRoomName } from './room-name.js';
import { startSession } from './session.js';
import { languagePicker } from './settings.js';
import { $, stoa } from './state.js';
import { showFatal, showView, toast } from './ui.js';

function roomFromPath() {
  const raw = location.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!raw) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function roomProblemText(problem, room) {
  if (problem === 'empty') return t('landing.room-required');
  if (problem === 'reserved') return t('landing.room-reserved', { room });
  return t('landing.room-invalid', { room });
}

function landing({ room = '', problem = null } = {}) {
  stoa.state = 'landing';
  document.title = t('landing.title');
  showView('landing');
  // Only the room here: the name is asked once, on the prejoin screen.
  const roomInput = $('landing-room');
  const errorEl = $('landing-room-error');
  const suggest = $('landing-room-suggest');
  roomInput.value = room;
  const showProblem = (p) => {
    errorEl.textContent = p ? roomProblemText(p, roomInput.value) : '';
    errorEl.hidden = !p;
    roomInput.setAttribute('aria-invalid', p ? 'true' : 'false');
    const better = p === 'invalid' ? suggestRoomName(roomInput.value.trim()) : null;
    suggest.hidden = !better;
    if (better) {
      suggest.dataset.suggestion = better;
      tr(suggest, 'landing.use-suggestion', { room: better });
    }
  };
  showProblem(problem);
  roomInput.addEventListener('input', () => showProblem(null));
  suggest.addEventListener('click', () => {
    roomInput.value = suggest.dataset.suggestion;
    showProblem(null);
    roomInput.focus();
  });
  $('landing-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = roomInput.value.trim();
    const p = checkRoomName(name);
    if (p !== 'ok') {
      showProblem(p);
      roomInput.focus();
      return;
    }
    location.assign(`/${encodeURIComponent(name)}`);
  });
  roomInput.focus();
}

/** Devices for autojoin: both on; resolves when known (never rejects). */
function autojoinMedia() {
  return openMedia().then(({ stream, error }) => {
    if (['error', 'left', 'leaving'].includes(stoa.state)) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      return;
    }
    stoa.localStream = stream;
    if (!stream) toast('status.no-devices', null, { kind: 'warn', ms: 10000 });
    else if (error && stream.getTracks().length < 2) toast('status.some-devices', null, { kind: 'warn', ms: 8000 });
  });
}

async function main() {
  await loadTranslations();
  languagePicker($('quick-language'));

  const room = roomFromPath();
  if (room === null) return landing();
  const check = checkRoomName(room);
  if (check !== 'ok') return landing({ room, problem: check });

  const params = new URLSearchParams(location.search);
  const urlName = params.get('name');
  const autojoin = ['1', 'true', 'yes'].includes(params.get('autojoin') ?? '');
  const canonical = canonicalRoomName(room);
  stoa.room = canonical;
  // Shown as typed in the link ("Team-Sync"); the server's name is lower case.
  stoa.roomLabel = room;

  if (autojoin) {
    const name = (urlName ?? storedName()).trim();
    return startSession({ room, name, ready: autojoinMedia() });
  }
  const { name } = await prejoin(room, urlName ?? storedName());
  return startSession({ room, name, ready: Promise.resolve() });
}

main().catch((err) => {
  console.error(err);
  stoa.state = 'error';
  // Translations may be what failed: fall back to plain English here.
  const text = has('error.call-failed') ? t('error.call-failed', { message: err.message }) : `Stoa could not start: ${err.message}`;
  showFatal(text, { retry: () => location.reload() });
});
