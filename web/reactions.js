// Reactions: six emoji, sent with `reaction`, shown to everyone for a few
// seconds as a burst rising over the sender's tile (and in the corner).

import { t, tr } from './i18n.js';
import { $, el, nameOf, stoa } from './state.js';
import { focusControl } from './toolbar-overflow.js';
import { announce, toast } from './ui.js';

export const EMOJI = ['👍', '👏', '😂', '😮', '❤️', '🎉'];
const NAMES = { '👍': 'thumbs-up', '👏': 'clap', '😂': 'laugh', '😮': 'surprised', '❤️': 'heart', '🎉': 'party' };
const SHOW_MS = 4000;
const LIMIT = 5;
const WINDOW_MS = 10000;
const LANES = 4;

let send = () => false;
let tiles = null;
let opener = null;
const sent = [];

function menu() {
  return $('reactions-menu');
}

export function closeReactions({ restore = true } = {}) {
  if (menu().hidden) return;
  menu().hidden = true;
  opener?.setAttribute('aria-expanded', 'false');
  if (restore) focusControl(opener);
}

export function toggleReactions() {
  if (!menu().hidden) return closeReactions();
  menu().hidden = false;
  opener?.setAttribute('aria-expanded', 'true');
  menu().querySelector('button')?.focus();
}

export function react(emoji) {
  if (!EMOJI.includes(emoji)) return;
  const now = Date.now();
  while (sent.length && now - sent[0] > WINDOW_MS) sent.shift();
  if (sent.length >= LIMIT) {
    toast('reactions.slow-down', null, { kind: 'warn', ms: 3000 });
    return;
  }
  if (send('reaction', { emoji })) sent.push(now);
}

/** `reaction` from the server (ours included). */
export function showReaction({ from, emoji }) {
  if (!EMOJI.includes(emoji)) return;
  const name = nameOf(from, t('guest'));
  const burst = el('div', 'reaction-burst', { testid: 'reaction-burst' });
  burst.dataset.emoji = emoji;
  burst.dataset.from = String(from ?? '');
  // Bursts shown together each take a lane of their own, so their name
  // labels do not sit on top of one another.
  const layer = $('reaction-layer');
  if (layer.children.length >= LANES) layer.firstElementChild.remove(); // the oldest gives up its lane
  const busy = new Set([...layer.children].map((b) => b.dataset.lane));
  let lane = 0;
  while (busy.has(String(lane))) lane++;
  burst.dataset.lane = String(lane);
  burst.style.setProperty('--lane', String(lane));
  burst.append(el('span', 'reaction-emoji', { text: emoji, 'aria-hidden': 'true' }));
  burst.append(el('span', 'reaction-name', { text: from === stoa.selfId ? t('chat.you') : name }));
  layer.append(burst);
  setTimeout(() => burst.remove(), SHOW_MS);
  const spot = tiles?.get(from, 'camera')?.reactionSpot;
  if (spot) {
    const bubble = el('span', 'tile-reaction', { text: emoji });
    spot.append(bubble);
    setTimeout(() => bubble.remove(), SHOW_MS);
  }
  announce(t('reactions.announce', { name, reaction: t(`reactions.${NAMES[emoji]}`) }));
}

export function initReactions({ send: sendFn, tiles: tileSet, openButton }) {
  send = sendFn;
  tiles = tileSet;
  opener = openButton;
  const box = menu();
  box.replaceChildren();
  for (const emoji of EMOJI) {
    const b = el('button', 'reaction-button', { type: 'button', testid: 'reaction', text: emoji });
    b.dataset.emoji = emoji;
    tr(b, `reactions.${NAMES[emoji]}`, null, 'aria-label');
    b.addEventListener('click', () => react(emoji));
    box.append(b);
  }
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      closeReactions();
    }
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
      const list = [...box.querySelectorAll('button')];
      const i = list.indexOf(document.activeElement);
      list[(i + (ev.key === 'ArrowRight' ? 1 : list.length - 1)) % list.length]?.focus();
    }
  });
  document.addEventListener('pointerdown', (ev) => {
    if (!box.hidden && !box.contains(ev.target) && !opener?.contains(ev.target)) closeReactions({ restore: false });
  });
}
