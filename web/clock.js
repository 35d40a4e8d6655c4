// The round timer as every screen shows it: server time estimated from welcome/pong (R22), the
// clock text from the control state, its state (the last minute, 0:00: R55), and an optional
// chime at zero.

const MAX_SAMPLES = 8;

/**
 * The server's clock as seen from here. offset = server_time - (t_sent + rtt / 2), taken from
 * the sample with the shortest round trip (the least uncertain one) among the last few.
 */
export class ServerClock {
  constructor() {
    this.offset = 0;
    this.samples = []; // {rtt, offset}
  }

  /** A first, rough estimate (the round trip of the hello is unknown). */
  fromWelcome(serverTime) {
    if (typeof serverTime !== "number" || this.samples.length) return;
    this.offset = serverTime - Date.now() / 1000;
  }

  fromPong(msg) {
    const now = Date.now() / 1000;
    if (typeof msg?.t !== "number" || typeof msg?.server_time !== "number") return;
    const rtt = now - msg.t;
    if (!(rtt >= 0) || rtt > 30) return; // not one of ours, or hopeless
    this.samples.push({ rtt, offset: msg.server_time - (msg.t + rtt / 2) });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    let best = this.samples[0];
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    this.offset = best.offset;
  }

  /** Server time now, in epoch seconds. */
  now() {
    return Date.now() / 1000 + this.offset;
  }
}

/** Seconds left on the round clock of a public control state at server time `now`. */
export function remainingOf(control, now) {
  const timer = control?.timer;
  if (!timer) return 0;
  if (timer.running && typeof timer.ends_at === "number") return Math.max(0, timer.ends_at - now);
  return Math.max(0, Number(timer.remaining) || 0);
}

/** 125.2 -> "2:06" (whole seconds rounded up, so a fresh 15-minute round shows 15:00). */
export function formatClock(seconds) {
  const total = Math.max(0, Math.ceil(seconds - 1e-6));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

/** A running round's last minute: every screen shows it (R55). */
const LAST_MINUTE_S = 60;

/**
 * Everything a timer display needs, the same on every screen. `state`: running, ending (the
 * last minute), over (0:00 while it runs), paused.
 */
export function timerInfo(control, now) {
  const remaining = remainingOf(control, now);
  const running = !!control?.timer?.running;
  let state = "paused";
  if (running) state = remaining <= 0 ? "over" : remaining <= LAST_MINUTE_S ? "ending" : "running";
  return {
    round: control?.round ?? 1,
    rounds: control?.rounds_planned ?? 0,
    remaining,
    running,
    over: running && remaining <= 0,
    state,
    text: formatClock(remaining),
    chime: !!control?.timer?.chime,
    key: `${control?.round ?? 0}:${control?.timer?.ends_at ?? ""}`,
  };
}

/**
 * A short three-tone beep through WebAudio. Browsers only allow audio after a user gesture, so
 * the context is made (or resumed) on the first click or key press; until then play() is a
 * silent no-op. Never throws.
 */
export class Chime {
  constructor() {
    this.ctx = null;
    this._unlock = () => this.unlock();
    for (const type of ["pointerdown", "keydown"]) {
      document.addEventListener(type, this._unlock, { capture: true, passive: true });
    }
  }

  unlock() {
    try {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      if (!this.ctx) this.ctx = new AC();
      if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null;
    }
  }

  /** Returns true when a sound was started. */
  play() {
    try {
      const ctx = this.ctx;
      if (!ctx || ctx.state !== "running") return false;
      const start = ctx.currentTime + 0.02;
      [880, 660, 880].forEach((freq, i) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        const t0 = start + i * 0.3;
        gain.gain.setValueAtTime(0.0001, t0);
        gain.gain.exponentialRampToValueAtTime(0.3, t0 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.25);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t0);
        osc.stop(t0 + 0.27);
      });
      return true;
    } catch {
      return false;
    }
  }
}
