// Keyboard shortcuts in the room: M microphone, V camera, R raise hand,
// C chat, T tile/stage view, ? this list, and Space held to talk while
// muted. Not while typing, nor with Ctrl/Alt/Meta.

import { tr } from './i18n.js';
import { el, stoa } from './state.js';

/** [key shown, i18n key of what it does], as listed in settings and under `?`. */
export const SHORTCUTS = [
  ['M', 'shortcuts.mic'],
  ['V', 'shortcuts.camera'],
  ['R', 'shortcuts.hand'],
  ['C', 'shortcuts.chat'],
  ['T', 'shortcuts.view'],
  ['Space', 'shortcuts.push-to-talk'],
  ['?', 'shortcuts.help'],
  ['Esc', 'shortcuts.close'],
];

/** A <dl> of the shortcuts (texts follow the language). */
export function shortcutList() {
  const dl = el('dl', 'shortcuts');
  for (const [key, label] of SHORTCUTS) dl.append(el('dt', '', { text: key }), tr(el('dd'), label));
  return dl;
}

function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  return !!target.closest('input, textarea, select, [contenteditable]');
}

// Space on a button presses it: push-to-talk only where Space does nothing else.
function spaceIsFree(target) {
  return !(target instanceof Element) || !target.closest('button, a[href], input, textarea, select, summary, [role="button"], [contenteditable], dialog');
}

let help = null;

function showHelp() {
  if (!help) {
    help = el('dialog', 'shortcuts-dialog', { testid: 'shortcuts-dialog', 'aria-labelledby': 'shortcuts-dialog-title' });
    const title = tr(el('h2', '', { id: 'shortcuts-dialog-title' }), 'shortcuts.title');
    const close = tr(el('button', '', { type: 'button', testid: 'shortcuts-close' }), 'panel.close');
    close.addEventListener('click', () => help.close());
    help.append(title, shortcutList(), close);
    document.body.append(help);
  }
  if (!help.open) help.showModal();
}

/** actions: {m, v, r, c, t} → functions; talk(on) turns the microphone on
 * or off for push-to-talk, micOn() says whether it is on. */
export function initShortcuts(actions, { talk = null, micOn = () => true } = {}) {
  let talking = false;
  document.addEventListener('keydown', (ev) => {
    if (stoa.state !== 'joined' || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (typing(ev.target)) return;
    if (ev.code === 'Space' && talk && spaceIsFree(ev.target)) {
      ev.preventDefault();   // not a page scroll
      if (!ev.repeat && !talking && !micOn()) {
        talking = true;
        document.body.dataset.pushToTalk = 'true';
        talk(true);
      }
      return;
    }
    if (ev.repeat) return;
    if (ev.key === '?') {
      ev.preventDefault();
      return showHelp();
    }
    // ev.code keeps shortcuts working on non-Latin keyboard layouts.
    const byCode = { KeyM: 'm', KeyV: 'v', KeyR: 'r', KeyC: 'c', KeyT: 't' }[ev.code];
    const key = byCode ?? String(ev.key).toLowerCase();
    const action = actions[key];
    if (!action) return;
    ev.preventDefault();
    action();
  });
  const release = () => {
    if (!talking) return;
    talking = false;
    delete document.body.dataset.pushToTalk;
    talk(false);
  };
  document.addEventListener('keyup', (ev) => {
    if (ev.code === 'Space') release();
  });
  // Space released in another window never comes back as keyup here.
  window.addEventListener('blur', release);
}

