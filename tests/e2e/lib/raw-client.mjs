// A signalling client without a browser: raw WebSocket frames from Node,
// for testing how the server copes with what browsers never send.

import WebSocket from 'ws';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class RawClient {
  /** Connects with the `stoa` subprotocol (or `protocols`); rejects when refused. */
  static connect(url, { protocols = ['stoa'], timeoutMs = 5000, origin } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { handshakeTimeout: timeoutMs, origin, maxPayload: 16 * 1024 * 1024 });
      const client = new RawClient(ws);
      const onError = (err) => reject(err);
      ws.once('error', onError);
      ws.once('unexpected-response', (req, res) => {
        // The body says why; read a little of it (the server sends a short page).
        let body = '';
        res.on('data', (d) => { if (body.length < 2000) body += d; });
        const done = () => {
          reject(new Error(`refused with HTTP ${res.statusCode}: ${body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()}`));
          req.destroy();
        };
        res.once('end', done);
        res.once('error', done);
        res.once('close', done);
      });
      ws.once('open', () => {
        ws.off('error', onError);
        ws.on('error', (err) => client.errors.push(err));
        resolve(client);
      });
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.received = []; // every message, in order
    this.pending = []; // not yet taken by expect()
    this.waiters = [];
    this.errors = [];
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      let msg;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        msg = { type: '(not json)', raw: data.toString('utf8').slice(0, 200), isBinary };
      }
      this.received.push(msg);
      this.pending.push(msg);
      this.wake();
    });
  }

  get protocol() {
    return this.ws.protocol;
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(obj) {
    this.ws.send(JSON.stringify(obj));
  }

  sendText(text) {
    this.ws.send(text, { binary: false });
  }

  /**
   * The first message (oldest first) that matches: a type string or a
   * predicate. Messages before it stay pending. Throws after timeoutMs or
   * when the socket closes first.
   */
  async expect(match, { timeoutMs = 3000 } = {}) {
    const pred = typeof match === 'function' ? match : (m) => m.type === match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.pending.findIndex(pred);
      if (i >= 0) return this.pending.splice(i, 1)[0];
      if (this.closeInfo) {
        throw new Error(`socket closed (${JSON.stringify(this.closeInfo)}) before ${describeMatch(match)}; got ${JSON.stringify(this.received.slice(-5))}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${describeMatch(match)} within ${timeoutMs} ms; got ${JSON.stringify(this.received.slice(-5))}`);
      }
      await Promise.race([new Promise((resolve) => this.waiters.push(resolve)), sleep(left)]);
    }
  }

  /** Expects an `error` with `code` (and `re` when given). */
  async expectError(code, re, opts) {
    const msg = await this.expect((m) => m.type === 'error', opts);
    if (msg.code !== code || (re !== undefined && msg.re !== re)) {
      throw new Error(`expected error ${code}${re !== undefined ? ` (re ${JSON.stringify(re)})` : ''}, got ${JSON.stringify(msg)}`);
    }
    if (typeof msg.message !== 'string' || !msg.message) throw new Error(`error without a message: ${JSON.stringify(msg)}`);
    return msg;
  }

  /** ping → pong: the connection is still usable. */
  async roundTrip(timeoutMs = 3000) {
    this.send({ type: 'ping' });
    return this.expect('pong', { timeoutMs });
  }

  close() {
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
    return this.closed;
  }

  terminate() {
    this.ws.terminate();
    return this.closed;
  }
}

function describeMatch(match) {
  return typeof match === 'function' ? 'matching message' : `'${match}'`;
}
