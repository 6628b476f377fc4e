// Who is speaking: the audio level of every remote participant from
// getStats (inbound-rtp audio `audioLevel`), ours from an AnalyserNode.
// Marks tiles with data-speaking and tells the layout the active speaker.
// Once the bridge names a dominant speaker (`dominant-speaker`, decided from
// everyone's audio levels, robust to noise and short interjections), its
// word decides the stage; the local levels then only light the indicators.

import { meterFor } from './audio-level.js';
import { stoa } from './state.js';

const POLL_MS = 250;
const REMOTE_ON = 0.02; // linear audioLevel (about -34 dBov)
const LOCAL_ON = 0.35; // meter scale of audio-level.js (about -39 dBFS)
const HANG_MS = 700; // stays "speaking" this long after the level dropped
const SWITCH_MS = 1200; // the active speaker holds the stage at least this long

export class SpeakingDetector {
  constructor({ tiles, layout }) {
    this.tiles = tiles;
    this.layout = layout;
    this.lastLoud = new Map(); // id → time last above threshold
    this.smooth = new Map(); // id → smoothed level
    this.active = null;
    this.activeSince = 0;
    this.dominant = null; // the bridge's dominant speaker, when it has named one
    this.meter = null;
    this.meterTrack = null;
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  localLevel() {
    const track = stoa.localStream?.getAudioTracks()[0] ?? null;
    if (track !== this.meterTrack) {
      this.meter?.stop();
      this.meter = track ? meterFor(track) : null;
      this.meterTrack = track;
    }
    return this.meter ? this.meter.level() : 0;
  }

  async remoteLevels() {
    const levels = new Map();
    const pc = stoa.pc;
    if (!pc || pc.connectionState === 'closed') return levels;
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return levels;
    }
    const midOfTrack = new Map();
    for (const tr of pc.getTransceivers()) if (tr.receiver?.track) midOfTrack.set(tr.receiver.track.id, tr.mid);
    report.forEach((r) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'audio' || typeof r.audioLevel !== 'number') return;
      const mid = r.mid ?? midOfTrack.get(r.trackIdentifier);
      const who = stoa.mids.get(mid)?.participant;
      if (who && who !== stoa.selfId) levels.set(who, Math.max(levels.get(who) ?? 0, r.audioLevel));
    });
    return levels;
  }

  async poll() {
    if (stoa.state !== 'joined') return;
    const now = performance.now();
    const levels = await this.remoteLevels();
    const loud = new Set();
    for (const [id, level] of levels) {
      const p = stoa.participants.get(id);
      const s = 0.6 * (this.smooth.get(id) ?? 0) + 0.4 * level;
      this.smooth.set(id, s);
      if (level >= REMOTE_ON && p?.audio !== false) loud.add(id);
    }
    if (stoa.selfId && stoa.media.audio && this.localLevel() >= LOCAL_ON) loud.add(stoa.selfId);
    for (const id of loud) this.lastLoud.set(id, now);

    for (const tile of this.tiles.all()) {
      if (tile.source !== 'camera') continue;
      const t = this.lastLoud.get(tile.id) ?? -Infinity;
      tile.setSpeaking(now - t < HANG_MS);
    }

    if (this.dominant) {
      if (!stoa.participants.has(this.dominant) && this.dominant !== stoa.selfId) this.dominant = null;
      return;
    }
    // The loudest remote speaker takes the stage, but not too eagerly.
    let best = null;
    for (const id of loud) {
      if (id === stoa.selfId) continue;
      if (!best || (this.smooth.get(id) ?? 0) > (this.smooth.get(best) ?? 0)) best = id;
    }
    if (best && best !== this.active && (!this.active || now - this.activeSince > SWITCH_MS || !loud.has(this.active))) {
      this.active = best;
      this.activeSince = now;
      this.layout.setSpeaker(best);
    }
    if (this.active && !stoa.participants.has(this.active)) {
      this.active = null;
      this.layout.setSpeaker(null);
    }
  }

  /** The bridge named a dominant speaker (a participant id). Our own tile
   *  never takes the stage: we do not watch ourselves. */
  setDominant(id) {
    this.dominant = id;
    if (id && id !== stoa.selfId) {
      this.active = id;
      this.activeSince = performance.now();
      this.layout.setSpeaker(id);
    }
  }

  stop() {
    clearInterval(this.timer);
    this.meter?.stop();
  }
}
