// The participants panel: the raised-hand queue, everyone in the room with
// role, microphone, camera and hand, and (for moderators) their tools and
// the lobby.

import { confirmed } from './confirm.js';
import { t, tr } from './i18n.js';
import { icon } from './icons.js';
import { mod, setHand } from './moderation.js';
import { registerPanel } from './panels.js';
import { popupKeys } from './popup-keys.js';
import { $, el, isModerator, nameOf, on, stoa } from './state.js';
import { talkTime, talkTimeText } from './talk-time.js';

let body;
let handsBox;
let modBox;
let waitingBox;
let listBox;
let lockInput;
let openMenuOf = null;   // the participant whose "…" actions are open
const drawn = {};        // section → what it was last built from

function closeRowMenus({ focusOf = null } = {}) {
  openMenuOf = null;
  for (const m of body?.querySelectorAll('.entry-menu') ?? []) m.hidden = true;
  for (const b of body?.querySelectorAll('[data-testid="entry-more"]') ?? []) b.setAttribute('aria-expanded', 'false');
  if (focusOf) body.querySelector(`[data-participant="${CSS.escape(focusOf)}"] [data-testid="entry-more"]`)?.focus();
}

/* One "…" per person: the moderator's actions on them, opened in the row
 * (so nothing floats out of the scrolling panel). Choosing one closes it
 * first: a confirmation then gives the keyboard back to "…". */
function rowMenu(p, who, items) {
  const menu = el('div', 'entry-menu', { testid: 'entry-menu', id: `emenu-${p.id}`, role: 'group', hidden: openMenuOf !== p.id });
  tr(menu, 'participants.actions', who, 'aria-label');
  menu.append(...items);
  const more = el('button', 'small entry-more', { type: 'button', testid: 'entry-more', 'aria-haspopup': 'true',
    'aria-controls': menu.id, 'aria-expanded': String(openMenuOf === p.id) });
  more.append(icon('more'));
  tr(more, 'participants.actions', who, 'aria-label');
  more.title = t('participants.actions', who);
  more.addEventListener('click', () => {
    const open = openMenuOf === p.id;
    closeRowMenus();
    if (open) return;
    openMenuOf = p.id;
    menu.hidden = false;
    more.setAttribute('aria-expanded', 'true');
    menu.querySelector('button')?.focus();
  });
  menu.addEventListener('click', (ev) => {
    if (ev.target.closest('button')) closeRowMenus({ focusOf: p.id });
  }, { capture: true });
  popupKeys(menu, () => closeRowMenus({ focusOf: p.id }), { horizontal: true });
  return { more, menu };
}

const flag = (v) => (v ? 'true' : 'false');

function button(key, testid, onClick, { cls = 'small', vars = null } = {}) {
  const b = tr(el('button', cls, { type: 'button', testid }), key, vars);
  b.addEventListener('click', onClick);
  return b;
}

function stateIcons(p) {
  const box = el('span', 'entry-icons');
  const add = (name, off, key) => {
    const s = el('span', `entry-icon${off ? ' off' : ''}`, { title: t(key) });
    s.append(icon(name, { off }), tr(el('span', 'visually-hidden'), key));
    box.append(s);
  };
  if (p.hand) add('hand', false, 'tile.hand');
  if (p.screen) add('screen', false, 'participants.sharing');
  add('mic', !p.audio, p.audio ? 'participants.mic-on' : 'tile.muted');
  add('camera', !p.video, p.video ? 'participants.camera-on' : 'tile.camera-off');
  return box;
}

function entry(p, self) {
  // Focusable from script only: it takes the focus when the row the
  // keyboard was in goes away.
  const li = el('li', 'participant-entry', { testid: 'participant-entry', tabindex: '-1', 'aria-labelledby': `pname-${p.id}` });
  li.dataset.participant = p.id;
  li.dataset.role = p.role || 'participant';
  li.dataset.muted = flag(!p.audio);
  li.dataset.hand = flag(p.hand);
  const main = el('div', 'entry-main');
  const name = el('span', 'entry-name', { id: `pname-${p.id}` });
  if (self) tr(name, 'tile.you', { name: p.name || t('guest') });
  else name.textContent = p.name || t('guest');
  main.append(name);
  if (p.role === 'moderator') main.append(tr(el('span', 'role-badge'), 'participants.moderator'));
  main.append(stateIcons(p));
  // Speaking time (talk-time.js), kept current by the panel's timer.
  const talk = el('span', 'entry-talk', { testid: 'talk-time' });
  talk.dataset.participant = p.id;
  tr(talk, 'participants.talk-time', null, 'title');
  talk.textContent = talkTimeText(p.id);
  talk.dataset.ms = String(Math.round(talkTime(p.id)));
  main.append(talk);
  li.append(main);

  if (self && p.hand) {
    const actions = el('div', 'entry-actions');
    actions.append(button('hand.lower-mine', 'self-lower-hand', () => setHand(false)));
    li.append(actions);
  }
  if (!self && isModerator()) {
    // In the row: the microphone, what a moderator does most; the rest
    // under "…".
    const who = { name: p.name || t('guest') };
    const quick = p.audio
      ? button('moderation.mute', 'mod-mute', () => mod.mute(p.id, 'audio'), { vars: who })
      : button('moderation.ask-unmute', 'mod-ask-unmute', () => mod.askUnmute(p.id), { vars: who });
    const items = [];
    if (p.video) items.push(button('moderation.camera-off', 'mod-camera-off', () => mod.mute(p.id, 'video'), { vars: who }));
    if (p.hand) items.push(button('moderation.lower-hand', 'mod-lower-hand', () => mod.lowerHand(p.id), { vars: who }));
    if (p.role !== 'moderator') items.push(button('moderation.grant', 'mod-grant', () => mod.grant(p.id), { vars: who }));
    items.push(button('moderation.kick', 'mod-kick', () => confirmed('kick', who, () => mod.kick(p.id)), { cls: 'small danger-text', vars: who }));
    for (const b of [quick, ...items]) b.setAttribute('aria-describedby', `pname-${p.id}`);
    const { more, menu } = rowMenu(p, who, items);
    const tools = el('div', 'entry-tools');
    tools.append(quick, more);
    main.append(tools);
    li.append(menu);
  }
  return li;
}

function everyone() {
  const self = {
    id: stoa.selfId,
    name: stoa.name,
    role: stoa.role,
    audio: stoa.media.audio,
    video: stoa.media.video,
    screen: stoa.media.screen,
  };
  const all = [self, ...stoa.participants.values()];
  for (const p of all) p.hand = stoa.hands.includes(p.id);
  return all;
}

function renderHands() {
  const ol = el('ol', 'hands-queue', { testid: 'hands-queue' });
  stoa.hands.forEach((id) => {
    const li = el('li', 'hand-item');
    li.dataset.participant = id;
    li.append(el('span', 'hand-name', { text: id === stoa.selfId ? t('tile.you', { name: stoa.name || t('guest') }) : nameOf(id, t('guest')) }));
    if (id === stoa.selfId) li.append(button('hand.lower-mine', null, () => setHand(false), { cls: 'small ghost' }));
    else if (isModerator()) li.append(button('moderation.lower-hand', null, () => mod.lowerHand(id), { cls: 'small ghost', vars: { name: nameOf(id, t('guest')) } }));
    ol.append(li);
  });
  // Only while hands are up: an empty queue would push the list down.
  const head = tr(el('h3'), 'hand.queue-title', { count: stoa.hands.length });
  handsBox.hidden = stoa.hands.length === 0;
  handsBox.replaceChildren(head, ol);
}

function renderModTools() {
  modBox.hidden = !isModerator();
  waitingBox.hidden = !isModerator();
  if (!isModerator()) {
    waitingBox.replaceChildren();
    return modBox.replaceChildren();
  }
  const keepPw = lockInput?.value ?? '';
  const head = tr(el('h3'), 'moderation.tools');
  const row1 = el('div', 'mod-row');
  row1.append(button('moderation.mute-all', 'mute-all', () => confirmed('mute-all', null, () => mod.muteAll())));
  row1.append(button('moderation.end-meeting', 'end-meeting', () => confirmed('end-meeting', null, () => mod.endMeeting()), { cls: 'small danger' }));

  const lockForm = el('form', 'mod-row lock-form', { novalidate: true });
  const lockLabel = el('label', 'visually-hidden', { for: 'lock-password' });
  tr(lockLabel, 'moderation.password-label');
  lockInput = el('input', '', { id: 'lock-password', type: 'password', maxlength: '128', autocomplete: 'new-password', testid: 'lock-password' });
  tr(lockInput, 'moderation.password-label', null, 'placeholder');
  lockInput.value = keepPw;
  const setBtn = tr(el('button', 'small', { type: 'submit', testid: 'lock-set' }), stoa.roomState.locked ? 'moderation.change-password' : 'moderation.lock');
  lockForm.append(lockLabel, lockInput, setBtn);
  lockForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const pw = lockInput.value;
    if (!pw || new TextEncoder().encode(pw).length > 128) return lockInput.focus();
    mod.lock(pw);
    lockInput.value = '';
  });
  const lockState = el('div', 'mod-row');
  lockState.append(tr(el('span', 'hint'), stoa.roomState.locked ? 'moderation.locked' : 'moderation.unlocked'));
  if (stoa.roomState.locked) lockState.append(button('moderation.unlock', 'unlock', () => mod.unlock()));

  const lobbyRow = el('label', 'mod-row switch');
  const lobbyBox = el('input', '', { type: 'checkbox', testid: 'lobby-toggle' });
  lobbyBox.checked = !!stoa.roomState.lobby;
  lobbyBox.addEventListener('change', () => mod.lobby(lobbyBox.checked));
  lobbyRow.append(lobbyBox, tr(el('span'), 'moderation.lobby'));

  const lobbyList = el('ul', 'lobby-list', { testid: 'lobby-list' });
  for (const w of stoa.lobby) {
    const li = el('li', 'lobby-entry', { testid: 'lobby-entry' });
    li.dataset.id = w.id;
    li.append(el('span', 'entry-name', { text: w.name || t('guest') }));
    const actions = el('div', 'entry-actions');
    actions.append(button('lobby.admit', 'lobby-admit', () => mod.admit(w.id), { cls: 'small primary', vars: { name: w.name || t('guest') } }));
    actions.append(button('lobby.reject', 'lobby-reject', () => mod.reject(w.id), { cls: 'small', vars: { name: w.name || t('guest') } }));
    li.append(actions);
    lobbyList.append(li);
  }
  // Who waits comes first in the panel; the room's tools after the list.
  const lobbyHead = tr(el('h3'), 'lobby.waiting-title', { count: stoa.lobby.length });
  waitingBox.hidden = !(stoa.roomState.lobby || stoa.lobby.length);
  waitingBox.replaceChildren(...(waitingBox.hidden ? [] : [lobbyHead]), lobbyList);
  const lockRow = el('div', 'mod-row lock-row');
  lockRow.append(lockState, lockForm);
  modBox.replaceChildren(head, row1, lobbyRow, lockRow);
}

function renderList() {
  const all = everyone();
  const ul = el('ul', 'participant-list');
  all.forEach((p, i) => ul.append(entry(p, i === 0)));
  const head = tr(el('h3'), 'participants.count', { count: all.length });
  listBox.replaceChildren(head, ul);
}

/** Re-renders, keeping keyboard focus on the same control where possible. */
export function renderParticipants() {
  if (!body || !stoa.selfId) return;
  const active = document.activeElement;
  const focusKey = active && body.contains(active)
    ? { testid: active.dataset.testid, who: active.closest('[data-participant],[data-id]')?.dataset, row: rowIndex(active) }
    : null;
  const typing = active === lockInput;
  // A section is built again only when what it shows changed: a button
  // replaced between pointer down and up loses the click.
  const lang = document.documentElement.lang;
  const changed = (name, value) => {
    const sig = JSON.stringify([lang, value]);
    if (drawn[name] === sig) return false;
    drawn[name] = sig;
    return true;
  };
  if (changed('hands', [stoa.hands, isModerator(), stoa.hands.map((id) => nameOf(id, ''))])) renderHands();
  if (!typing && changed('tools', [isModerator(), stoa.roomState, stoa.lobby])) renderModTools();
  if (changed('list', [everyone(), isModerator()])) renderList();
  if (focusKey?.testid && !body.contains(active)) {
    const scope = focusKey.who?.participant
      ? body.querySelector(`[data-participant="${CSS.escape(focusKey.who.participant)}"]`)
      : focusKey.who?.id ? body.querySelector(`[data-id="${CSS.escape(focusKey.who.id)}"]`) : body;
    const same = scope?.querySelector(`[data-testid="${focusKey.testid}"]`);
    // The row went (someone removed, or left): the one now in its place
    // takes the focus, so the keyboard stays in the list.
    const rows = listBox.querySelectorAll('.participant-entry');
    const neighbour = focusKey.row >= 0 && rows.length ? rows[Math.min(focusKey.row, rows.length - 1)] : null;
    (same ?? neighbour ?? body.querySelector('.panel-close'))?.focus();
  }
}

function rowIndex(node) {
  const row = node.closest('.participant-entry');
  return row ? [...listBox.querySelectorAll('.participant-entry')].indexOf(row) : -1;
}

export function initParticipants() {
  body = registerPanel('participants', $('panel-participants'), { titleKey: 'participants.title', onOpen: renderParticipants });
  handsBox = el('section', 'hands-box');
  modBox = el('section', 'mod-box');
  waitingBox = el('section', 'waiting-box');
  listBox = el('section', 'list-box');
  body.append(handsBox, waitingBox, listBox, modBox);
  setInterval(() => {
    if ($('panel-participants').hidden) return;
    for (const s of listBox.querySelectorAll('[data-testid="talk-time"]')) {
      s.textContent = talkTimeText(s.dataset.participant);
      s.dataset.ms = String(Math.round(talkTime(s.dataset.participant)));
    }
  }, 1000);
  for (const ev of ['participants', 'self', 'hands', 'room-state', 'lobby']) on(ev, renderParticipants);
  // On click, not pointer down: the open actions sit in the flow of the
  // panel, and closing them moves what is below before the button is let go.
  document.addEventListener('click', (ev) => {
    // A confirmation asked from the menu is not a click elsewhere.
    if (openMenuOf && !ev.target.closest('.participant-entry') && !ev.target.closest('dialog')) closeRowMenus();
  });
}
