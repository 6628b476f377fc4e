// RTP statistics of a participant page (window.stoa.pc.getStats()), with
// every inbound stream mapped to the participant that sends it through the
// offer's `mids` map (window.stoa.mids).

import { describe } from './browser.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** {inbound: [...], outbound: [...], t} of one page. */
export async function rtpStats(page) {
  return page.evaluate(async () => {
    const s = window.stoa;
    if (!s?.pc || s.pc.connectionState === 'closed') return { inbound: [], outbound: [], t: Date.now() };
    const midOfTrack = new Map();
    for (const tr of s.pc.getTransceivers()) {
      if (tr.receiver?.track) midOfTrack.set(tr.receiver.track.id, tr.mid);
    }
    const report = await s.pc.getStats();
    const inbound = [];
    const outbound = [];
    report.forEach((r) => {
      if (r.type === 'inbound-rtp') {
        const mid = r.mid ?? midOfTrack.get(r.trackIdentifier) ?? null;
        inbound.push({
          kind: r.kind,
          ssrc: r.ssrc,
          mid,
          trackIdentifier: r.trackIdentifier,
          participant: s.mids.get(mid)?.participant ?? null,
          packetsReceived: r.packetsReceived ?? 0,
          framesDecoded: r.framesDecoded ?? 0,
          bytesReceived: r.bytesReceived ?? 0,
        });
      } else if (r.type === 'outbound-rtp') {
        outbound.push({
          kind: r.kind,
          ssrc: r.ssrc,
          mid: r.mid ?? null,
          packetsSent: r.packetsSent ?? 0,
          framesEncoded: r.framesEncoded ?? 0,
        });
      }
    });
    return { inbound, outbound, t: Date.now() };
  });
}

const FIELD = { video: 'framesDecoded', audio: 'packetsReceived' };

/**
 * How the media of `participant` grew between two samples: for each kind the
 * inbound stream that grew most: {ssrc, mid, value, delta} (null: none).
 */
export function growth(s1, s2, participant) {
  const out = {};
  for (const kind of ['audio', 'video']) {
    const field = FIELD[kind];
    let best = null;
    for (const b of s2.inbound) {
      if (b.participant !== participant || b.kind !== kind) continue;
      const a = s1.inbound.find((x) => x.ssrc === b.ssrc && x.kind === kind);
      const delta = b[field] - (a ? a[field] : 0);
      if (!best || delta > best.delta) best = { ssrc: b.ssrc, mid: b.mid, trackIdentifier: b.trackIdentifier, value: b[field], delta };
    }
    out[kind] = best;
  }
  return out;
}

function flowing(g, kinds) {
  return kinds.every((k) => g[k] && g[k].value > 0 && g[k].delta > 0);
}

/**
 * Waits until `p` decodes video and receives audio from every participant in
 * `ids`, rising between two samples `gapMs` apart. Returns {s1, s2, growth}
 * (growth: id → growth()). Throws with details after timeoutMs.
 */
export async function waitForFlow(p, ids, { timeoutMs = 15000, gapMs = 1000, kinds = ['audio', 'video'] } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    const s1 = await rtpStats(p.page);
    await sleep(gapMs);
    const s2 = await rtpStats(p.page);
    const g = Object.fromEntries(ids.map((id) => [id, growth(s1, s2, id)]));
    last = { s2, g };
    if (ids.every((id) => flowing(g[id], kinds))) return { s1, s2, growth: g };
    if (Date.now() > deadline) {
      throw new Error(
        `${p.name} does not receive ${kinds.join('+')} from all of ${JSON.stringify(ids)} within ${timeoutMs} ms:\n` +
          `growth ${JSON.stringify(g)}\ninbound ${JSON.stringify(last.s2.inbound)}\n${await describe(p)}`,
      );
    }
  }
}

/** Polls until fn() is truthy; throws `what` after timeoutMs. */
export async function until(fn, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export { sleep };
