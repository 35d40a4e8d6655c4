// Ids this page makes: op ids (R5: a retry after a dropped connection sends the same id again),
// note, column, cluster and vote ids, and the anonymous op id of a dot (R27).

const ID_RE = /^[A-Za-z0-9_.:\-]+$/;

function rand(n) {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export class IdMaker {
  constructor() {
    this.prefix = rand(6);
    this.counter = 0;
  }

  setParticipant(participant) {
    const clean = String(participant || "").replace(/[^A-Za-z0-9]/g, "").slice(0, 16);
    if (clean) this.prefix = `${clean}.${rand(4)}`;
  }

  op() {
    this.counter += 1;
    const id = `${this.prefix}:${this.counter.toString(36)}:${rand(6)}`;
    return ID_RE.test(id) && id.length <= 64 ? id : `op:${rand(20)}`;
  }

  note() {
    return `n-${rand(12)}`;
  }

  column() {
    return `k-${rand(8)}`;
  }

  cluster() {
    return `c-${rand(10)}`;
  }

  vote() {
    return `v-${rand(8)}`;
  }

  /** An op id that says nothing about who sent it (a dot of an anonymous vote, R27). */
  anonymous() {
    return `a:${rand(24)}`;
  }
}
