// The RTCPeerConnection to the server. The server always makes the offers
// (docs/protocol.md, "The offers Stoa makes"): sections with mid '0' (audio)
// and '1' (video) carry our microphone and camera; every other section
// carries one track of another participant, named by the offer's `mids` map.
//
// Events (CustomEvent):
//   'track'         detail = {participant, kind, track, mid}: a remote track arrived
//   'track-removed' detail = {participant, kind, track, mid}: its section was disabled
//   'answered'      detail = {version}
//   'failed'        detail = {error}: an offer could not be applied
//   'connection'    detail = {state}: pc.connectionState changed

const OWN_MIDS = { 0: 'audio', 1: 'video' };

export class Call extends EventTarget {
  /**
   * @param {object} opts
   * @param {(type: string, fields: object) => void} opts.send  sends a signalling message
   * @param {Promise<MediaStream|null>} opts.media  our devices (null: none)
   * @param {string} opts.selfId  our participant id
   */
  constructor({ send, media, selfId }) {
    super();
    this.send = send;
    this.media = media;
    this.selfId = selfId;
    this.mids = new Map(); // mid → {participant, kind}
    this.version = 0; // of the last offer answered
    this.queue = Promise.resolve();
    this.remote = new Map(); // mid → {participant, kind, track}
    this.closed = false;

    this.pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
      iceServers: [],
    });
    this.pc.addEventListener('track', (ev) => this.onTrack(ev));
    this.pc.addEventListener('connectionstatechange', () => {
      this.emit('connection', { state: this.pc.connectionState });
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Applies offers one after the other, in the order they came. */
  handleOffer(msg) {
    this.queue = this.queue
      .then(() => this.applyOffer(msg))
      .catch((error) => {
        console.error('offer', msg.version, error);
        this.emit('failed', { error });
      });
    return this.queue;
  }

  async applyOffer({ sdp, version, mids }) {
    if (this.closed) return;
    if (typeof sdp !== 'string' || !Number.isInteger(version)) throw new Error('offer without sdp or version');
    if (mids && typeof mids === 'object') {
      for (const [mid, info] of Object.entries(mids)) {
        if (info && typeof info === 'object') this.mids.set(mid, { participant: info.participant, kind: info.kind });
      }
    }

    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const stream = await this.media;
    if (this.closed) return;

    for (const tr of this.pc.getTransceivers()) {
      if (tr.stopped || tr.currentDirection === 'stopped') {
        this.dropRemote(tr.mid);
        continue;
      }
      const kind = OWN_MIDS[tr.mid];
      if (!kind) continue;
      const track = stream?.getTracks().find((t) => t.kind === kind) ?? null;
      if (tr.sender.track !== track) await tr.sender.replaceTrack(track);
      if (track && stream && tr.sender.setStreams) tr.sender.setStreams(stream);
      tr.direction = track ? 'sendonly' : 'inactive';
    }

    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (this.closed) return;
    this.send('answer', { sdp: this.pc.localDescription.sdp, version });
    this.version = version;
    this.emit('answered', { version });
  }

  onTrack(ev) {
    const mid = ev.transceiver?.mid ?? null;
    if (mid in OWN_MIDS) return;
    const info = this.mids.get(mid);
    const participant = info?.participant ?? ev.streams[0]?.id;
    if (!participant || participant === this.selfId) return;
    const entry = { participant, kind: ev.track.kind, track: ev.track, mid };
    this.remote.set(mid, entry);
    ev.track.addEventListener('ended', () => this.dropRemote(mid));
    this.emit('track', entry);
  }

  dropRemote(mid) {
    const entry = this.remote.get(mid);
    if (!entry) return;
    this.remote.delete(mid);
    this.emit('track-removed', entry);
  }

  /** The mids and tracks of one remote participant. */
  tracksOf(participant) {
    return [...this.remote.values()].filter((e) => e.participant === participant);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    try {
      this.pc.close();
    } catch {
      // already closed
    }
  }
}
