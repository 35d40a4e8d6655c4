// The websocket: connect, hello, reconnect with full-jitter exponential backoff, heartbeat.
// Resuming (subscribe with epoch/seq, re-sending unacked ops) is done by the owner in onWelcome.
// When the browser says it is offline the connection is dropped at once (Chromium keeps a
// websocket "open" and silently holds its frames until the network is back) and no new one is
// tried until it says "online" again (checked every CAP_MS too, in case that event never comes).

import { PROTOCOL_VERSION } from "./ops.js";

const BASE_MS = 300;
const CAP_MS = 8000;
const OFFLINE_AFTER = 5; // failed attempts before we call it "offline" (we keep trying)
const PING_EVERY_MS = 15000;
const PONG_TIMEOUT_MS = 10000;
// Close codes after which trying again is pointless: 4003 = taken out of the session (R33).
const FOR_GOOD = new Set([4003]);

export class Socket {
  /**
   * @param {object} opts
   * @param {() => {token: string, name?: string, group?: string}} opts.hello
   * @param {(msg: object) => void} opts.onMessage  every server frame (welcome included)
   * @param {(state: "open"|"connecting"|"offline") => void} opts.onState
   * @param {(pong: {t: number, server_time: number}) => void} [opts.onPong]  clock samples (R22)
   * @param {(code: number) => void} [opts.onGone]  the server closed for good (4003): no retry
   * @param {string} [opts.url]
   */
  constructor({ hello, onMessage, onState, onPong, onGone, url }) {
    this.helloInfo = hello;
    this.onMessage = onMessage;
    this.onPong = onPong;
    this.onGone = onGone;
    this.onState = onState;
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.lastSeen = 0;
    this.joined = false;
    this.closed = false;
    this.state = "connecting";
    this._onOnline = () => { if (!this.joined) this.reconnectNow(); };
    this._onOffline = () => this._drop();
    window.addEventListener("online", this._onOnline);
    window.addEventListener("offline", this._onOffline);
  }

  start() {
    this.closed = false;
    this._connect();
  }

  /** Full jitter: a random delay in [0, min(cap, base * 2^attempt)). */
  static backoff(attempt) {
    return Math.floor(Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** attempt));
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState?.(state);
  }

  /** The network is gone: let the connection go now and wait for it to come back. */
  _drop() {
    this._setState("offline");
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.joined = false;
    this._stopHeartbeat();
    try { ws.close(); } catch { /* ignore */ }
    this._scheduleReconnect();
  }

  _connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    if (navigator.onLine === false) {
      this._setState("offline");
      this.timer = setTimeout(() => this._connect(), CAP_MS);
      return;
    }
    if (this.attempt > 0 || this.state !== "open") {
      this._setState(this.attempt >= OFFLINE_AFTER || navigator.onLine === false
        ? "offline" : "connecting");
    }
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.joined = false;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.lastSeen = Date.now();
      this.sendHello();
      this._startHeartbeat();
    });
    ws.addEventListener("message", (ev) => {
      if (this.ws !== ws) return;
      this.lastSeen = Date.now();
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      // R54: a batch is its frames, read in order as if they had come one by one.
      if (msg.type === "batch" && Array.isArray(msg.frames)) {
        for (const frame of msg.frames) {
          if (this.ws !== ws) return;
          this._receive(frame);
        }
        return;
      }
      this._receive(msg);
    });
    ws.addEventListener("close", (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.joined = false;
      this._stopHeartbeat();
      if (FOR_GOOD.has(ev.code)) {
        // Taken out of the session: this link will never be let in again. No reconnect loop.
        this.close();
        this._setState("offline");
        this.onGone?.(ev.code);
        return;
      }
      this._scheduleReconnect();
    });
    ws.addEventListener("error", () => { /* a close event follows */ });
  }

  _scheduleReconnect() {
    if (this.closed) return;
    const delay = Socket.backoff(this.attempt);
    this.attempt += 1;
    this._setState(this.attempt > OFFLINE_AFTER || navigator.onLine === false
      ? "offline" : "connecting");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), delay);
  }

  reconnectNow() {
    if (this.closed) return;
    this.attempt = 0;
    if (this.ws) {
      try { this.ws.close(); } catch { /* ignore */ }
      return; // close handler schedules the reconnect
    }
    this._connect();
  }

  _startHeartbeat() {
    this._stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastSeen > PING_EVERY_MS + PONG_TIMEOUT_MS) {
        // Half-open connection: nothing heard for too long. Drop it and reconnect.
        try { this.ws.close(); } catch { /* ignore */ }
        return;
      }
      this.send({ type: "ping", t: Date.now() / 1000 });
    }, PING_EVERY_MS);
  }

  _stopHeartbeat() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /** One ping now: its pong is a sample of the server's clock. */
  ping() {
    return this.send({ type: "ping", t: Date.now() / 1000 });
  }

  /** One server frame. */
  _receive(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "welcome") {
      this.joined = true;
      this.attempt = 0;
      this._setState("open");
    }
    if (msg.type === "pong") {
      try { this.onPong?.(msg); } catch { /* a clock sample is never worth a broken socket */ }
      return;
    }
    this.onMessage?.(msg);
  }

  sendHello() {
    const info = this.helloInfo();
    const frame = { type: "hello", v: PROTOCOL_VERSION, token: info.token, batch: true };
    if (info.name) frame.name = info.name.slice(0, 60);
    if (info.group) frame.group = info.group;
    this._raw(frame);
  }

  /** Send a frame if joined; returns false when it could not be sent now. */
  send(frame) {
    if (!this.joined && frame.type !== "ping") return false;
    return this._raw(frame);
  }

  _raw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  get isOpen() {
    return this.joined;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this._stopHeartbeat();
    window.removeEventListener("online", this._onOnline);
    window.removeEventListener("offline", this._onOffline);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try { ws.close(); } catch { /* ignore */ }
    }
  }
}
