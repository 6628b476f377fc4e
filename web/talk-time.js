// Speaker statistics: how long each person has spoken, counted as time as
// the bridge's dominant speaker. The server gives the totals so far at
// joining (`joined.talk_ms`); from then on `dominant-speaker` messages
// move the count here, on the page's monotonic clock.

import { formatDuration } from './meeting-timer.js';

const totals = new Map();   // participant id → ms up to `since`
let current = null;
let since = 0;

export function startTalkTimes(fromServer, dominant) {
  totals.clear();
  for (const [id, ms] of Object.entries(fromServer && typeof fromServer === 'object' ? fromServer : {})) {
    if (Number.isFinite(ms) && ms > 0) totals.set(id, ms);
  }
  current = typeof dominant === 'string' ? dominant : null;
  since = performance.now();
}

export function dominantChanged(id) {
  const now = performance.now();
  if (current) totals.set(current, (totals.get(current) ?? 0) + now - since);
  current = typeof id === 'string' ? id : null;
  since = now;
}

/** ms participant id has spoken so far. */
export function talkTime(id) {
  return (totals.get(id) ?? 0) + (id === current ? performance.now() - since : 0);
}

export const talkTimeText = (id) => formatDuration(talkTime(id));
