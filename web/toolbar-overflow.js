// What does not fit the bottom bar goes into a "More" popup, as people
// know it from other meeting apps: on a phone (320 px up, either way
// round) the bar stays one row with the microphone, camera and Leave in
// reach. Widths are measured, not guessed, so every language fits.
//
// The buttons themselves move between the bar and the popup: their
// handlers, labels and states (aria-pressed, badges) stay as they are. The
// popup is a disclosure (the More button's aria-expanded), not an ARIA
// menu, so toggles keep their pressed state.

import { t, tr } from './i18n.js';
import { icon } from './icons.js';
import { popupKeys } from './popup-keys.js';
import { el } from './state.js';

// First to leave the bar, first in this list. Microphone, camera and Leave
// never do.
const OVERFLOW_ORDER = ['settings-open', 'participants-open', 'view-toggle', 'reactions-open', 'hand-toggle',
  'screen-toggle', 'chat-open'];

let bar = null;
let more = null;
let popup = null;
let homes = [];          // [{ group, buttons: [...] }] in bar order
let movable = [];        // the buttons of OVERFLOW_ORDER
let fitting = false;

const overflowing = () => bar.scrollWidth > bar.clientWidth + 1;

export function moreOpen() {
  return Boolean(popup && !popup.hidden);
}

export function closeMore({ restore = true } = {}) {
  if (!moreOpen()) return;
  popup.hidden = true;
  more.setAttribute('aria-expanded', 'false');
  more.classList.remove('active');
  if (restore) more.focus();
}

function openMore() {
  // Just above the bar, whatever its height (labels, phone safe area).
  popup.style.bottom = `${bar.offsetParent.clientHeight - bar.offsetTop + 8}px`;
  popup.hidden = false;
  more.setAttribute('aria-expanded', 'true');
  more.classList.add('active');
  popup.querySelector('button:not([hidden]):not([disabled])')?.focus();
}

/** Focuses a control where it is now: in the bar, or the More button when
 * it sits in the closed popup. */
export function focusControl(btn) {
  if (popup?.contains(btn) && popup.hidden) more.focus();
  else btn?.focus();
}

/** Something in the popup wants attention (unread chat, people waiting):
 * the More button says so. */
export function markMore() {
  if (!more) return;
  const inside = [...popup.querySelectorAll('.ctrl')];
  const unread = inside.some((b) => b.querySelector('.ctrl-badge:not([hidden]):not(.count)') ||
    b.classList.contains('attention'));
  more.classList.toggle('attention', unread);
  more.querySelector('.ctrl-badge').hidden = !unread;
}

/** Puts every button in the bar, then moves buttons into the popup, in
 * OVERFLOW_ORDER, until the bar fits. */
export function fitToolbar() {
  if (!bar || fitting) return;
  fitting = true;
  try {
    for (const h of homes) h.group.append(...h.buttons);
    more.hidden = true;
    if (overflowing()) {
      more.hidden = false;
      for (const b of movable) {
        if (b.hidden) continue;
        popup.append(b);
        if (!overflowing()) break;
      }
      // The popup lists them in bar order.
      const order = homes.flatMap((h) => h.buttons);
      popup.append(...[...popup.children].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    }
    if (!popup.children.length) closeMore({ restore: false });
    bar.dataset.overflow = String(popup.children.length);
    markMore();
  } finally {
    fitting = false;
  }
}

/** barEl: the toolbar; groups: its groups' elements in order; buttons:
 * testid → button (those of OVERFLOW_ORDER may move). */
export function initToolbarOverflow(barEl, buttons) {
  bar = barEl;
  movable = OVERFLOW_ORDER.map((id) => buttons[id]).filter(Boolean);
  homes = [...bar.querySelectorAll('.ctrl-group')].map((group) => ({ group, buttons: [...group.children] }));

  more = el('button', 'ctrl more-open', { id: 'btn-more', type: 'button', testid: 'more-open', hidden: true });
  more.append(icon('more'), tr(el('span', 'ctrl-label'), 'controls.more'));
  more.append(el('span', 'ctrl-badge dot', { 'aria-hidden': 'true', hidden: true }));
  tr(more, 'controls.more', null, 'aria-label');
  more.title = t('controls.more');
  more.setAttribute('aria-haspopup', 'true');
  more.setAttribute('aria-expanded', 'false');
  more.setAttribute('aria-controls', 'more-menu');
  const leaveGroup = bar.querySelector('.ctrl-group.leave');
  leaveGroup.before(el('div', 'ctrl-group more', {}));
  leaveGroup.previousElementSibling.append(more);

  popup = el('div', 'more-menu', { id: 'more-menu', testid: 'more-menu', role: 'group', hidden: true });
  tr(popup, 'controls.more', null, 'aria-label');
  bar.after(popup);

  more.addEventListener('click', () => (moreOpen() ? closeMore() : openMore()));
  // A choice closes the popup; the action has run by then (the button's
  // own listener comes first). A panel or menu it opened keeps the focus.
  popup.addEventListener('click', (ev) => {
    if (!ev.target.closest('button')) return;
    const opened = document.activeElement && !popup.contains(document.activeElement) &&
      document.activeElement !== document.body;
    closeMore({ restore: !opened });
  });
  popupKeys(popup, () => closeMore());
  document.addEventListener('pointerdown', (ev) => {
    if (moreOpen() && !popup.contains(ev.target) && !more.contains(ev.target)) closeMore({ restore: false });
  });
  popup.addEventListener('focusout', (ev) => {
    if (moreOpen() && ev.relatedTarget && !popup.contains(ev.relatedTarget) && ev.relatedTarget !== more) {
      closeMore({ restore: false });
    }
  });
  new ResizeObserver(() => fitToolbar()).observe(bar);
  fitToolbar();
}
