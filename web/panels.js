// Side panels (chat, participants, settings): one open at a time, a
// role=dialog with a heading and a close button; focus moves in on open and
// back to the button that opened it on close. Escape closes.

import { tr } from './i18n.js';
import { icon } from './icons.js';
import { el, emit } from './state.js';

const panels = new Map(); // name → {root, focus, onOpen}
let openName = null;
let returnFocus = null;

/** Builds a panel's frame in root; returns the body to fill. */
export function registerPanel(name, root, { titleKey, focus = null, onOpen = null }) {
  const head = el('div', 'panel-head');
  const h = tr(el('h2', '', { id: `${name}-heading` }), titleKey);
  const close = el('button', 'round small ghost panel-close', { type: 'button' });
  tr(close, 'panel.close', null, 'aria-label');
  close.append(icon('close'));
  close.addEventListener('click', () => closePanel());
  head.append(h, close);
  const body = el('div', 'panel-body');
  root.replaceChildren(head, body);
  root.hidden = true;
  panels.set(name, { root, focus, onOpen });
  return body;
}

export function isOpen(name) {
  return openName === name;
}

export function openPanel(name) {
  const p = panels.get(name);
  if (!p) return;
  if (openName && openName !== name) closePanel({ restore: false });
  else if (openName === name) return;
  if (!returnFocus || !document.contains(returnFocus)) returnFocus = document.activeElement;
  openName = name;
  p.root.hidden = false;
  document.body.dataset.panel = name;
  p.onOpen?.();
  const target = (typeof p.focus === 'function' ? p.focus() : null) ?? p.root.querySelector('button, input, select, textarea');
  target?.focus();
  emit('panel', { name, open: true });
}

export function closePanel({ restore = true } = {}) {
  if (!openName) return;
  const name = openName;
  panels.get(name).root.hidden = true;
  openName = null;
  delete document.body.dataset.panel;
  emit('panel', { name, open: false });
  if (restore && returnFocus && document.contains(returnFocus)) returnFocus.focus();
  if (restore) returnFocus = null;
}

export function togglePanel(name) {
  if (openName === name) closePanel();
  else openPanel(name);
}

document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape' || !openName) return;
  const menu = document.getElementById('reactions-menu');
  if (menu && !menu.hidden) return; // the menu closes first
  if (document.querySelector('dialog[open]')) return; // so does a confirmation
  ev.preventDefault();
  closePanel();
});
