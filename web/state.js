// The live state of the page, shared by every module and exposed to tests as
// window.stoa (docs/web-testids.md), plus a small event bus between modules.
//
// Bus events (CustomEvent detail in brackets):
//   participants   someone joined, left or changed [ {id} ]
//   self           our own media state or role changed
//   hands          the raised-hand queue changed
//   room-state     locked / lobby changed
//   lobby          the lobby list changed (moderators)
//   chat           a chat message arrived [ message ]
//   media          a remote or local track came or went
//   levels         audio levels were measured [ Map key → level ]
//   layout         tiles must be placed again

export const stoa = {
  pc: null,
  selfId: null,
  role: 'participant',
  room: null,
  roomLabel: null, // the room as the link spells it
  name: null,
  state: 'loading',
  participants: new Map(),
  mids: new Map(),
  hands: [],
  dominant: null, // the bridge's dominant speaker (participant id)
  forwarded: undefined, // cameras the bridge forwards us (undefined: all, no word yet)
  heldForBandwidth: [], // of the others, those held back for our bandwidth
  endedByMe: false, // we sent end-meeting
  chat: [],
  roomState: { locked: false, lobby: false },
  lobby: [],
  language: 'en',
  localStream: null,
  screenStream: null,
  version: 0,
  connection: 'new',
  errors: [],
  media: { audio: true, video: true, screen: false },
};
window.stoa = stoa;

export const bus = new EventTarget();

export function emit(type, detail = null) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

export function on(type, fn) {
  const handler = (ev) => fn(ev.detail);
  bus.addEventListener(type, handler);
  return () => bus.removeEventListener(type, handler);
}

export const isModerator = () => stoa.role === 'moderator';

/** Name of a participant (ourselves included), or the fallback. */
export function nameOf(id, fallback = '') {
  if (id && id === stoa.selfId) return stoa.name || fallback;
  return stoa.participants.get(id)?.name || fallback;
}

export function storageGet(key, fallback = '') {
  try {
    return localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

export function storageSet(key, value) {
  try {
    if (value === null || value === undefined || value === '') localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // private mode: nothing remembered
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const $ = (id) => document.getElementById(id);

/** Creates an element with a class and optional attributes. */
export function el(tag, cls = '', attrs = {}) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'testid') e.dataset.testid = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  return e;
}
