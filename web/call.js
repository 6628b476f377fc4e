// The RTCPeerConnection to the server. The server always makes the offers
// (docs/protocol.md, "The offers Stoa makes"): sections with mid '0' (mic),
// '1' (camera) and '2' (screen) carry our own sources; every other section
// carries one source of another participant, named by the offer's `mids` map.
//
// Events (CustomEvent):
//   'track'         detail = {participant, kind, source, track, mid}: a remote track arrived
//   'track-removed' detail = {participant, kind, source, track, mid}: its section was disabled
//   'answered'      detail = {version}
//   'failed'        detail = {error, version}: an offer could not be applied (the
//                   server was told, with offer-failed, and makes a fresh one)
//   'connection'    detail = {state}: pc.connectionState changed

const OWN_MIDS = { 0: 'mic', 1: 'camera', 2: 'screen' };

export class Call extends EventTarget {
  /**
   * @param {object} opts
   * @param {(type: string, fields?: object) => void} opts.send  sends a signalling message
   * @param {Promise<unknown>} opts.ready  resolves when our devices are known
   * @param {(source: string) => {track: MediaStreamTrack|null, stream: MediaStream|null}} opts.local
   *        our track for 'mic', 'camera' or 'screen'
   * @param {string} opts.selfId  our participant id
   * @param {RTCIceServer[]} [opts.iceServers]  from `joined` (TURN with time-limited credentials)
   * @param {'all'|'relay'} [opts.iceTransportPolicy]
   */
  constructor({ send, ready, local, selfId, iceServers = [], iceTransportPolicy = 'all' }) {
    super();
    this.send = send;
    this.ready = ready;
    this.local = local;
    this.selfId = selfId;
    this.mids = new Map(); // mid → {participant, kind, source}
    this.version = 0; // of the last offer answered
    this.queue = Promise.resolve();
    this.remote = new Map(); // mid → {participant, kind, source, track, mid}
    this.closed = false;

    this.pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
      iceServers: Array.isArray(iceServers) ? iceServers : [],
      iceTransportPolicy,
    });
    this.pc.addEventListener('track', (ev) => this.onTrack(ev));
    this.pc.addEventListener('connectionstatechange', () => this.emit('connection', { state: this.pc.connectionState }));
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * Asks for a fresh offer in place of the open one, whose answer the
   * server refused (bad-answer): the user's "Try again".
   */
  retryOffer() {
    if (!this.closed && this.version) this.send('offer-failed', { version: this.version, reason: 'bad-answer' });
  }

  /** Applies offers one after the other, in the order they came. */
  handleOffer(msg) {
    this.queue = this.queue
      .then(() => this.applyOffer(msg))
      .catch((error) => {
        console.error('offer', msg.version, error);
        // The way out of an offer this browser cannot apply (docs/protocol.md).
        if (Number.isInteger(msg?.version) && !this.closed) {
          this.send('offer-failed', { version: msg.version, reason: String(error?.message ?? error).slice(0, 200) });
        }
        this.emit('failed', { error, version: msg?.version });
      });
    return this.queue;
  }

  async applyOffer({ sdp, version, mids }) {
    if (this.closed) return;
    if (typeof sdp !== 'string' || !Number.isInteger(version)) throw new Error('offer without sdp or version');
    if (mids && typeof mids === 'object') {
      this.mids.clear();
      for (const [mid, info] of Object.entries(mids)) {
        if (info && typeof info === 'object') {
          this.mids.set(mid, { participant: info.participant, kind: info.kind, source: info.source ?? (info.kind === 'audio' ? 'mic' : 'camera') });
        }
      }
    }

    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.ready;
    if (this.closed) return;

    for (const tr of this.pc.getTransceivers()) {
      if (tr.stopped || tr.currentDirection === 'stopped') {
        this.dropRemote(tr.mid);
        continue;
      }
      if (tr.mid in OWN_MIDS) await this.attach(tr, OWN_MIDS[tr.mid]);
    }
    // Sections no longer in the map (port 0) lose their tracks.
    for (const mid of [...this.remote.keys()]) if (!this.mids.has(mid)) this.dropRemote(mid);

    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (this.closed) return;
    this.send('answer', { sdp: this.pc.localDescription.sdp, version });
    this.version = version;
    this.emit('answered', { version });
  }

  async attach(tr, source) {
    const { track, stream } = this.local(source);
    if (tr.sender.track !== track) await tr.sender.replaceTrack(track ?? null);
    if (track && stream && tr.sender.setStreams) tr.sender.setStreams(stream);
    tr.direction = track ? 'sendonly' : 'inactive';
  }

  transceiver(source) {
    const mid = Object.keys(OWN_MIDS).find((m) => OWN_MIDS[m] === source);
    return this.pc.getTransceivers().find((tr) => tr.mid === mid) ?? null;
  }

  /**
   * Puts another track on one of our sections (device switch, screen share).
   * Returns true when the section's direction changed: then a `renegotiate`
   * is needed for the server to learn it.
   */
  async replaceLocal(source) {
    const tr = this.transceiver(source);
    if (!tr || this.closed) return false;
    const before = tr.direction;
    await this.attach(tr, source);
    return tr.direction !== before || tr.currentDirection !== tr.direction;
  }

  onTrack(ev) {
    const mid = ev.transceiver?.mid ?? null;
    if (mid in OWN_MIDS) return;
    const info = this.mids.get(mid);
    const participant = info?.participant ?? ev.streams[0]?.id;
    if (!participant || participant === this.selfId) return;
    const kind = ev.track.kind;
    const source = info?.source ?? (kind === 'audio' ? 'mic' : ev.track.id.endsWith('-screen') ? 'screen' : 'camera');
    const entry = { participant, kind, source, track: ev.track, mid };
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
