// The call controls at the bottom of the room.

import { initDeviceMenus } from './device-menu.js';
import { i18nEvents, t, tr } from './i18n.js';
import { icon } from './icons.js';
import { mediaState } from './media.js';
import { handRaised } from './moderation.js';
import { $, el, isModerator, on, stoa } from './state.js';
import { fitToolbar, initToolbarOverflow, markMore } from './toolbar-overflow.js';

const BUTTONS = [
  // id, testid, icon, label key, shortcut, group
  ['btn-mic', 'mic-toggle', 'mic', 'controls.mic', 'M', 'media'],
  ['btn-camera', 'camera-toggle', 'camera', 'controls.camera', 'V', 'media'],
  ['btn-screen', 'screen-toggle', 'screen', 'controls.screen', '', 'media'],
  ['btn-hand', 'hand-toggle', 'hand', 'controls.hand', 'R', 'social'],
  ['btn-reactions', 'reactions-open', 'smile', 'controls.reactions', '', 'social'],
  ['btn-view', 'view-toggle', 'stage', 'controls.view', 'T', 'view'],
  ['btn-chat', 'chat-open', 'chat', 'controls.chat', 'C', 'panels'],
  ['btn-participants', 'participants-open', 'people', 'controls.participants', '', 'panels'],
  ['btn-settings', 'settings-open', 'settings', 'controls.settings', '', 'panels'],
  ['btn-leave', 'leave', 'leave', 'controls.leave', '', 'leave'],
];

const buttons = {};
let layout = null;
let chatUnread = 0;

function setIcon(btn, name, off = false) {
  btn.querySelector('svg')?.replaceWith(icon(name, { off }));
}

/* The visible label (and the accessible name, which must contain it) names
 * what the button will do: "Lower hand" while the hand is up. */
function setLabel(btn, key) {
  if (btn.dataset.labelKey === key) return;
  btn.dataset.labelKey = key;
  tr(btn.querySelector('.ctrl-label'), key);
  tr(btn, key, null, 'aria-label');
}

function setTitle(btn, key, shortcut) {
  btn.title = shortcut ? `${t(key)} (${shortcut})` : t(key);
}

/** Builds the buttons; handlers: testid → function(button). */
export function initControls(handlers, layoutRef) {
  layout = layoutRef;
  const bar = $('controls');
  const groups = {};
  for (const [id, testid, ic, key, shortcut, group] of BUTTONS) {
    const b = el('button', `ctrl ${testid}`, { id, type: 'button', testid });
    b.append(icon(ic));
    b.append(tr(el('span', 'ctrl-label'), key));
    tr(b, key, null, 'aria-label');
    b.dataset.shortcut = shortcut;
    b.dataset.labelKey = key;
    if (shortcut) b.setAttribute('aria-keyshortcuts', shortcut);
    b.addEventListener('click', () => handlers[testid]?.(b));
    buttons[testid] = b;
    if (!groups[group]) {
      groups[group] = el('div', `ctrl-group ${group}`);
      bar.append(groups[group]);
    }
    groups[group].append(b);
  }
  buttons['leave'].classList.add('danger');
  const chatBadge = el('span', 'ctrl-badge', { testid: 'chat-badge', hidden: true, 'aria-hidden': 'true' });
  buttons['chat-open'].append(chatBadge);
  const peopleBadge = el('span', 'ctrl-badge count', { 'aria-hidden': 'true' });
  buttons['participants-open'].append(peopleBadge);
  for (const b of ['reactions-open']) {
    buttons[b].setAttribute('aria-haspopup', 'true');
    buttons[b].setAttribute('aria-expanded', 'false');
  }
  for (const b of ['chat-open', 'participants-open', 'settings-open']) buttons[b].setAttribute('aria-expanded', 'false');

  const invite = $('invite-copy');
  invite.replaceChildren(icon('link'), tr(el('span', 'ctrl-label'), 'controls.invite'));
  invite.addEventListener('click', () => handlers['invite-copy']?.(invite));

  on('self', renderControls);
  on('hands', renderControls);
  on('participants', renderControls);
  on('lobby', renderControls);
  on('view', renderControls);
  on('unread', ({ count }) => {
    chatUnread = count;
    renderControls();
  });
  on('panel', ({ name, open }) => {
    buttons[`${name}-open`]?.setAttribute('aria-expanded', open ? 'true' : 'false');
    buttons[`${name}-open`]?.classList.toggle('active', open);
  });
  i18nEvents.addEventListener('change', renderControls);
  initDeviceMenus({ mic: buttons['mic-toggle'], camera: buttons['camera-toggle'] });
  initToolbarOverflow(bar, buttons);
  renderControls();
}

export function controlButton(testid) {
  return buttons[testid];
}

export function renderControls() {
  if (!buttons['mic-toggle']) return;
  const m = mediaState();
  const mic = buttons['mic-toggle'];
  mic.setAttribute('aria-pressed', String(m.audio));
  mic.classList.toggle('off', !m.audio);
  setIcon(mic, 'mic', !m.audio);
  setTitle(mic, m.audio ? 'controls.mic-turn-off' : 'controls.mic-turn-on', 'M');

  const cam = buttons['camera-toggle'];
  cam.setAttribute('aria-pressed', String(m.video));
  cam.classList.toggle('off', !m.video);
  setIcon(cam, 'camera', !m.video);
  setTitle(cam, m.video ? 'controls.camera-turn-off' : 'controls.camera-turn-on', 'V');

  const screen = buttons['screen-toggle'];
  screen.setAttribute('aria-pressed', String(m.screen));
  screen.classList.toggle('active', m.screen);
  screen.hidden = !navigator.mediaDevices?.getDisplayMedia;
  setTitle(screen, m.screen ? 'controls.screen-stop' : 'controls.screen-start', '');
  setLabel(screen, m.screen ? 'controls.screen-stop-label' : 'controls.screen');

  const hand = buttons['hand-toggle'];
  const raised = handRaised();
  hand.setAttribute('aria-pressed', String(raised));
  hand.classList.toggle('active', raised);
  setTitle(hand, raised ? 'controls.hand-lower' : 'controls.hand-raise', 'R');
  setLabel(hand, raised ? 'controls.hand-lower-label' : 'controls.hand');

  const view = buttons['view-toggle'];
  const stage = layout?.view === 'stage';
  view.setAttribute('aria-pressed', String(stage));
  setIcon(view, stage ? 'tile' : 'stage');
  setTitle(view, stage ? 'controls.view-tile' : 'controls.view-stage', 'T');
  setLabel(view, stage ? 'controls.view-tile-label' : 'controls.view');

  setTitle(buttons['chat-open'], 'controls.chat', 'C');
  const badge = buttons['chat-open'].querySelector('[data-testid="chat-badge"]');
  badge.hidden = chatUnread === 0;
  badge.textContent = chatUnread > 99 ? '99+' : String(chatUnread);
  tr(buttons['chat-open'], chatUnread ? 'controls.chat-unread' : 'controls.chat', { count: chatUnread }, 'aria-label');

  const people = buttons['participants-open'];
  const waiting = isModerator() ? stoa.lobby.length : 0;
  const peopleBadge = people.querySelector('.ctrl-badge.count');
  peopleBadge.textContent = String(stoa.participants.size + 1);
  people.classList.toggle('attention', waiting > 0 || stoa.hands.length > 0);
  tr(people, waiting ? 'controls.participants-waiting' : 'controls.participants-count', { count: stoa.participants.size + 1, waiting }, 'aria-label');
  setTitle(people, 'controls.participants', '');
  setTitle(buttons['settings-open'], 'controls.settings', '');
  setTitle(buttons['leave'], 'controls.leave', '');
  setTitle(buttons['reactions-open'], 'controls.reactions', '');

  // Without the device there is nothing to turn on.
  mic.disabled = !m.hasAudio;
  cam.disabled = !m.hasVideo;
  // Labels and the screen button's presence change widths.
  fitToolbar();
  markMore();
}
