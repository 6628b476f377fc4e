// The WebSocket to the server: one JSON object per text frame, each with a
// string field "type" (docs/protocol.md, "Signalling").
//
// Events (CustomEvent, detail = the message object):
//   'message'       every message
//   '<type>'        each message by its type, e.g. 'offer', 'error'
//   'close'         the socket closed; detail = {code, reason, wasClean}

const SUBPROTOCOL = 'stoa';
const KEEPALIVE_MS = 25000;

export function signallingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  // `?region=` in the room's URL: which media bridges the server should
  // prefer for us, when neither the proxy nor our network tells it.
  const region = new URLSearchParams(loc.search).get('region');
  const query = region && /^[A-Za-z0-9_.-]{1,32}$/.test(region) ? `?region=${region}` : '';
  return `${scheme}//${loc.host}/ws${query}`;
}

export class Signalling extends EventTarget {
  constructor(url = signallingUrl()) {
    super();
    this.url = url;
    this.ws = null;
    this.keepalive = 0;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Opens the socket; resolves when it is open, rejects when it cannot be. */
  open() {
    return new Promise((resolve, reject) => {
      let opened = false;
      const ws = new WebSocket(this.url, SUBPROTOCOL);
      this.ws = ws;
      ws.addEventListener('open', () => {
        opened = true;
        this.keepalive = setInterval(() => this.send('ping'), KEEPALIVE_MS);
        resolve();
      });
      ws.addEventListener('message', (ev) => this.receive(ev.data));
      ws.addEventListener('close', (ev) => {
        clearInterval(this.keepalive);
        const detail = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean, opened };
        this.resolveClosed(detail);
        if (!opened) reject(new Error(`WebSocket closed before opening (code ${ev.code})`));
        this.dispatchEvent(new CustomEvent('close', { detail }));
      });
    });
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(type, fields = {}) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify({ type, ...fields }));
    return true;
  }

  close() {
    clearInterval(this.keepalive);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }

  receive(data) {
    if (typeof data !== 'string') return;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('signalling: not JSON', data.slice(0, 200));
      return;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') {
      console.warn('signalling: message without a type', msg);
      return;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
    this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
  }
}
