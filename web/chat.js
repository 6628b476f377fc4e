// The chat panel: messages to the room or privately to one person, an unread
// count, clickable http(s) links. Message text is always put in the page as
// text (textContent / text nodes), never as HTML.

import { t, tr } from './i18n.js';
import { icon } from './icons.js';
import { isOpen, registerPanel } from './panels.js';
import { $, el, emit, nameOf, on, stoa } from './state.js';
import { announce, clock, toast } from './ui.js';

const MAX_BYTES = 4000;
const URL_RE = /\bhttps?:\/\/[^\s<>"'\u0000-\u001f]+/gi;

let send = () => false;
let list;
let input;
let toSelect;
let sendBtn;
let errorEl;
let unread = 0;
let empty;

/** Appends text to parent, with http(s) URLs as links (DOM APIs only). */
export function appendLinkified(parent, text) {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    // Punctuation at the end usually belongs to the sentence, not the link.
    while (/[.,;:!?)\]}]$/.test(url)) {
      if (url.endsWith(')') && (url.match(/\(/g)?.length ?? 0) >= (url.match(/\)/g)?.length ?? 0)) break;
      url = url.slice(0, -1);
    }
    let ok = false;
    try {
      const u = new URL(url);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) continue;
    if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
    const a = document.createElement('a');
    a.href = url;
    a.textContent = url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    parent.append(a);
    last = m.index + url.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

function renderMessage(msg) {
  const mine = msg.from === stoa.selfId;
  const priv = msg.to !== null && msg.to !== undefined;
  const item = el('li', `chat-message${mine ? ' mine' : ''}${priv ? ' private' : ''}`, { testid: 'chat-message' });
  item.dataset.from = String(msg.from ?? '');
  item.dataset.private = priv ? 'true' : 'false';
  const meta = el('div', 'chat-meta');
  const who = el('span', 'chat-name');
  const senderName = msg.name || nameOf(msg.from, t('guest'));
  if (mine) tr(who, 'chat.you');
  else who.textContent = senderName;
  meta.append(who);
  if (priv) {
    const tag = el('span', 'chat-private');
    if (mine) tr(tag, 'chat.private-to', { name: nameOf(msg.to, t('guest')) });
    else tr(tag, 'chat.private-from');
    meta.append(tag);
  }
  if (msg.ts) meta.append(el('time', 'chat-time', { text: clock(msg.ts), datetime: new Date(msg.ts).toISOString() }));
  if (!mine && msg.from && stoa.participants.has(msg.from)) {
    const reply = tr(el('button', 'linkish chat-reply', { type: 'button' }), 'chat.reply-private');
    reply.addEventListener('click', () => {
      toSelect.value = msg.from;
      input.focus();
    });
    meta.append(reply);
  }
  const body = el('div', 'chat-text', { testid: 'chat-text', dir: 'auto' });
  appendLinkified(body, String(msg.text ?? ''));
  item.append(meta, body);
  return item;
}

function setUnread(n) {
  unread = n;
  emit('unread', { count: unread });
}

/** A chat message from the server (`chat` or `joined.chat`). */
export function addMessage(msg, { history = false } = {}) {
  if (!msg || typeof msg !== 'object') return;
  stoa.chat.push(msg);
  empty.hidden = true;
  const near = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(renderMessage(msg));
  if (near || msg.from === stoa.selfId) list.scrollTop = list.scrollHeight;
  if (history || msg.from === stoa.selfId) return;
  if (!isOpen('chat')) {
    setUnread(unread + 1);
    const priv = msg.to !== null && msg.to !== undefined;
    const preview = String(msg.text ?? '').slice(0, 80);
    toast(priv ? 'chat.toast-private' : 'chat.toast', { name: msg.name || t('guest'), text: preview }, { ms: 4000 });
  } else {
    announce(t('chat.announce', { name: msg.name || t('guest') }));
  }
}

function refreshRecipients() {
  const current = toSelect.value;
  const options = [tr(el('option', '', { value: '' }), 'chat.to-everyone')];
  for (const p of stoa.participants.values()) {
    options.push(el('option', '', { value: p.id, text: p.name || t('guest') }));
  }
  toSelect.replaceChildren(...options);
  if (current && stoa.participants.has(current)) toSelect.value = current;
  else {
    if (current) toast('chat.recipient-left', null, { kind: 'warn' });
    toSelect.value = '';
  }
}

function bytes(s) {
  return new TextEncoder().encode(s).length;
}

function updateSendState() {
  const text = input.value;
  const tooLong = bytes(text) > MAX_BYTES;
  errorEl.hidden = !tooLong;
  if (tooLong) tr(errorEl, 'chat.too-long', { max: MAX_BYTES });
  sendBtn.disabled = tooLong || text.trim() === '';
}

function submit() {
  const text = input.value;
  if (text.trim() === '' || bytes(text) > MAX_BYTES) return;
  const fields = { text };
  if (toSelect.value) fields.to = toSelect.value;
  if (send('chat', fields)) {
    input.value = '';
    updateSendState();
  }
}

export function initChat({ send: sendFn }) {
  send = sendFn;
  const body = registerPanel('chat', $('panel-chat'), {
    titleKey: 'chat.title',
    focus: () => input,
    onOpen: () => {
      setUnread(0);
      list.scrollTop = list.scrollHeight;
    },
  });
  list = el('ol', 'chat-messages', { testid: 'chat-messages', role: 'log', 'aria-live': 'polite' });
  tr(list, 'chat.title', null, 'aria-label');
  empty = tr(el('p', 'chat-empty hint'), 'chat.empty');
  const form = el('form', 'chat-form', { novalidate: true });
  const toLabel = el('label', 'chat-to-label');
  toLabel.append(tr(el('span'), 'chat.to'));
  toSelect = el('select', '', { testid: 'chat-to', id: 'chat-to' });
  toLabel.append(toSelect);
  const row = el('div', 'chat-row');
  input = el('textarea', '', { testid: 'chat-input', id: 'chat-input', rows: '2', dir: 'auto' });
  tr(input, 'chat.placeholder', null, 'placeholder');
  input.dataset.i18nAriaLabel = 'chat.input-label';
  input.setAttribute('aria-label', t('chat.input-label'));
  sendBtn = el('button', 'primary round', { type: 'submit', testid: 'chat-send', disabled: true });
  tr(sendBtn, 'chat.send', null, 'aria-label');
  sendBtn.append(icon('send'));
  row.append(input, sendBtn);
  errorEl = el('p', 'field-error', { hidden: true, role: 'alert' });
  form.append(toLabel, row, errorEl);
  body.append(empty, list, form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  input.addEventListener('input', updateSendState);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      submit();
    }
  });
  on('participants', refreshRecipients);
  refreshRecipients();
}

export const unreadCount = () => unread;
