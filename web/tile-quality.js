// Connection quality on every tile, from the peer connection's getStats
// every two seconds: three bars (good, fair, poor) in the tile's caption,
// the figures behind them on hover (and for screen readers). A remote tile
// judges what arrives from that person (loss, jitter, frame rate); our own
// tile what we send (loss the bridge reports back, the encoder's
// limitation). The round trip is the connection's, shared by all.

import { t } from './i18n.js';
import { el, stoa } from './state.js';

const INTERVAL_MS = 2000;

/**
 * good / fair / poor from one interval's figures; null when nothing was
 * measured. loss: fraction 0..1; rttMs, jitterMs: ms; fps: frames per
 * second of a video that is flowing (null when none is).
 */
export function qualityLevel({ loss = null, rttMs = null, jitterMs = null, fps = null, limited = false } = {}) {
  if (loss === null && rttMs === null && fps === null) return null;
  if ((loss ?? 0) >= 0.1 || (rttMs ?? 0) >= 600 || (fps !== null && fps < 5)) return 'poor';
  if ((loss ?? 0) >= 0.03 || (rttMs ?? 0) >= 300 || (jitterMs ?? 0) >= 50 || (fps !== null && fps < 12) || limited) return 'fair';
  return 'good';
}

let previous = new Map();   // stats id → report of the last round
let timer = 0;

function delta(r, field) {
  const before = previous.get(r.id);
  return before && typeof r[field] === 'number' && typeof before[field] === 'number' ? r[field] - before[field] : null;
}

function seconds(r) {
  const before = previous.get(r.id);
  return before ? (r.timestamp - before.timestamp) / 1000 : null;
}

/** Per tile key: the figures of this interval. */
function measure(stats) {
  const out = new Map();
  const add = (key) => {
    if (!out.has(key)) out.set(key, { lost: 0, received: 0, jitterMs: null, fps: null, height: 0, bits: 0, secs: 0, sent: false, limited: null });
    return out.get(key);
  };
  let rttMs = null;
  stats.forEach((r) => {
    const pair = r.type === 'transport' && r.selectedCandidatePairId ? stats.get(r.selectedCandidatePairId) : null;
    if (typeof pair?.currentRoundTripTime === 'number') rttMs = pair.currentRoundTripTime * 1000;
  });
  const outbound = new Map();
  stats.forEach((r) => {
    if (r.type === 'inbound-rtp') {
      const who = stoa.mids?.get(r.mid);
      if (!who?.participant) return;
      const f = add(`${who.participant}:${who.source === 'screen' ? 'screen' : 'camera'}`);
      const lost = delta(r, 'packetsLost');
      const received = delta(r, 'packetsReceived');
      if (lost !== null && received !== null) {
        f.lost += Math.max(0, lost);
        f.received += Math.max(0, received);
      }
      if (typeof r.jitter === 'number') f.jitterMs = Math.max(f.jitterMs ?? 0, r.jitter * 1000);
      if (r.kind === 'video' && (delta(r, 'bytesReceived') ?? 0) > 0) {
        const secs = seconds(r);
        const frames = delta(r, 'framesDecoded');
        f.fps = r.framesPerSecond ?? (secs && frames !== null ? frames / secs : null);
        f.height = r.frameHeight ?? 0;
        f.bits += (delta(r, 'bytesReceived') ?? 0) * 8;
        f.secs = Math.max(f.secs, secs ?? 0);
      }
    }
    if (r.type === 'outbound-rtp' && r.kind === 'video') outbound.set(r.id, r);
  });
  // What we send: the camera (all its layers) on our own tile.
  const self = stoa.selfId ? add(`${stoa.selfId}:camera`) : null;
  if (self) {
    self.sent = true;
    stats.forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video' && (r.mid === '1' || r.mid === undefined)) {
        const bytes = delta(r, 'bytesSent');
        if (bytes > 0) {
          self.bits += bytes * 8;
          self.secs = Math.max(self.secs, seconds(r) ?? 0);
          if ((r.frameHeight ?? 0) >= self.height) {
            self.height = r.frameHeight ?? 0;
            self.fps = r.framesPerSecond ?? self.fps;
          }
          if (r.qualityLimitationReason && r.qualityLimitationReason !== 'none') self.limited = r.qualityLimitationReason;
        }
      }
      if (r.type === 'remote-inbound-rtp' && typeof r.fractionLost === 'number') {
        const local = outbound.get(r.localId);
        if (!local || local.mid === '1' || r.kind === 'audio') {
          self.lossFraction = Math.max(self.lossFraction ?? 0, r.fractionLost);
        }
      }
    });
  }
  for (const f of out.values()) {
    f.rttMs = rttMs;
    f.loss = f.sent ? (f.lossFraction ?? null) : f.received + f.lost > 0 ? f.lost / (f.received + f.lost) : null;
    f.kbps = f.secs > 0 ? f.bits / f.secs / 1000 : 0;
  }
  return out;
}

function badgeOf(tile) {
  let b = tile.root.querySelector('[data-testid="tile-quality"]');
  if (!b) {
    b = el('span', 'badge quality', { testid: 'tile-quality', role: 'img', hidden: true });
    for (let i = 0; i < 3; i++) b.append(el('i', 'bar', { 'aria-hidden': 'true' }));
    tile.root.querySelector('.caption')?.prepend(b);
  }
  return b;
}

function show(tile, f) {
  const b = badgeOf(tile);
  const level = f ? qualityLevel({ loss: f.loss, rttMs: f.rttMs, jitterMs: f.sent ? null : f.jitterMs,
    fps: f.fps ?? null, limited: Boolean(f.limited) }) : null;
  b.hidden = !level;
  if (!level) return;
  b.dataset.quality = level;
  b.dataset.lossPct = f.loss === null ? '' : (f.loss * 100).toFixed(1);
  b.dataset.fps = f.fps === null ? '' : String(Math.round(f.fps));
  b.dataset.rttMs = f.rttMs === null ? '' : String(Math.round(f.rttMs));
  const figures = t(f.sent ? 'quality.figures-sent' : 'quality.figures-received', {
    height: f.height || '–',
    fps: f.fps === null ? '–' : Math.round(f.fps),
    kbps: Math.round(f.kbps),
    loss: f.loss === null ? '–' : (f.loss * 100).toFixed(1),
    jitter: f.jitterMs === null ? '–' : Math.round(f.jitterMs),
    rtt: f.rttMs === null ? '–' : Math.round(f.rttMs),
  });
  const limited = f.limited ? ` ${t(f.limited === 'cpu' ? 'quality.limited-cpu' : 'quality.limited-bandwidth')}` : '';
  const text = `${t(`quality.${level}`)}: ${figures}${limited}`;
  b.title = text;
  b.setAttribute('aria-label', text);
}

async function round(tiles) {
  const pc = stoa.pc;
  if (!pc || pc.connectionState === 'closed') return;
  let stats;
  try {
    stats = await pc.getStats();
  } catch {
    return;
  }
  const figures = measure(stats);
  const next = new Map();
  stats.forEach((r) => next.set(r.id, r));
  previous = next;
  for (const tile of tiles.all()) show(tile, figures.get(tile.key) ?? null);
}

export function startTileQuality(tiles) {
  stopTileQuality();
  previous = new Map();
  timer = setInterval(() => round(tiles), INTERVAL_MS);
}

export function stopTileQuality() {
  clearInterval(timer);
  timer = 0;
}
