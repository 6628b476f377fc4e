// Keyboard shortcuts in the room: M microphone, V camera, R raise hand,
// C chat, T tile/stage view. Not while typing, nor with Ctrl/Alt/Meta.

import { stoa } from './state.js';

function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  return !!target.closest('input, textarea, select, [contenteditable]');
}

/** actions: {m, v, r, c, t} → functions. */
export function initShortcuts(actions) {
  document.addEventListener('keydown', (ev) => {
    if (stoa.state !== 'joined' || ev.repeat || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    if (typing(ev.target)) return;
    // ev.code keeps shortcuts working on non-Latin keyboard layouts.
    const byCode = { KeyM: 'm', KeyV: 'v', KeyR: 'r', KeyC: 'c', KeyT: 't' }[ev.code];
    const key = byCode ?? String(ev.key).toLowerCase();
    const action = actions[key];
    if (!action) return;
    ev.preventDefault();
    action();
  });
}
