// Views, announcements, toasts and the banner.

import { t, tr } from './i18n.js';
import { $, el, stoa } from './state.js';

const VIEWS = ['landing', 'prejoin', 'password', 'lobby', 'room', 'ended', 'error'];

// The view a banner belongs to: another view replaces it (one state at a
// time: no "Connecting…" over the password or lobby page, no media
// warning over the end page).
let bannerView = null;

export function showView(name) {
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
  document.body.dataset.view = name;
  if (bannerView !== name) hideBanner();
}

/** Says something to screen readers. */
export function announce(text) {
  const live = $('live');
  live.textContent = '';
  requestAnimationFrame(() => {
    live.textContent = text;
  });
}

/**
 * A short notice (role=status) that goes away by itself. key/vars are
 * translated (and follow a language switch); kind: 'info', 'warn', 'good'.
 */
export function toast(key, vars = null, { kind = 'info', ms = 5000, action = null } = {}) {
  const box = $('toasts');
  // The same notice again (a button pressed repeatedly) stays one toast,
  // shown longer, not a stack of copies.
  const same = [...box.children].find((t) => t.dataset.key === key && t.dataset.vars === JSON.stringify(vars) && !t.classList.contains('leaving'));
  if (same && !action) {
    clearTimeout(Number(same.dataset.timer));
    same.dataset.timer = String(leaveLater(same, ms));
    return same;
  }
  const item = el('div', `toast ${kind}`, { role: 'status', testid: 'toast' });
  item.dataset.key = key;
  item.dataset.vars = JSON.stringify(vars);
  const text = tr(el('span', 'toast-text'), key, vars);
  item.append(text);
  if (action) {
    const btn = tr(el('button', 'ghost', { type: 'button' }), action.key);
    btn.addEventListener('click', () => {
      action.run();
      item.remove();
    });
    item.append(btn);
  }
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  item.dataset.timer = String(leaveLater(item, ms));
  return item;
}

function leaveLater(item, ms) {
  return setTimeout(() => {
    item.classList.add('leaving');
    setTimeout(() => item.remove(), 300);
  }, ms);
}

let bannerTimer = 0;

/** A lasting message on top of the page, with an optional action button. */
export function showBanner(text, { timeoutMs = 0, action = null } = {}) {
  $('banner-text').textContent = text;
  const btn = $('banner-action');
  btn.hidden = !action;
  if (action) {
    btn.textContent = action.label;
    btn.onclick = () => {
      hideBanner();
      action.run();
    };
  }
  $('banner').hidden = false;
  bannerView = document.body.dataset.view ?? null;
  clearTimeout(bannerTimer);
  if (timeoutMs) bannerTimer = setTimeout(hideBanner, timeoutMs);
}

export function hideBanner() {
  $('banner').hidden = true;
}

$('banner-close').addEventListener('click', hideBanner);

/** A message that ends the session; retry (optional) is offered as a button. */
export function showFatal(text, { retry = null } = {}) {
  $('error-text').textContent = text;
  const btn = $('error-retry');
  btn.hidden = !retry;
  btn.onclick = retry;
  showView('error');
  $('error-heading').focus?.();
}

/** The view after `bye` (or a lost connection). */
export function showEnded(reason, { rejoin = null } = {}) {
  const view = $('view-ended');
  view.dataset.reason = reason;
  const known = ['kicked', 'meeting-ended', 'rejected', 'left', 'server-shutdown', 'media-timeout', 'negotiation-failed', 'connection-lost'];
  let r = known.includes(reason) ? reason : 'connection-lost';
  if (r === 'meeting-ended' && stoa.endedByMe) r = 'meeting-ended-by-you';
  tr($('ended-heading'), `ended.${r}.title`);
  tr($('ended-text'), `ended.${r}.text`);
  const btn = $('ended-rejoin');
  btn.hidden = !rejoin || reason === 'kicked' || reason === 'rejected';
  btn.onclick = rejoin;
  showView('ended');
  $('ended-heading').focus?.();
  document.title = t(`ended.${r}.title`);
}

/** Turns a localised clock time into a short string. */
export function clock(ts) {
  try {
    return new Date(ts).toLocaleTimeString(document.documentElement.lang || undefined, { hour: '2-digit', minute: '2-digit' });
  } catch {
    return '';
  }
}
