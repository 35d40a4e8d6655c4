// A corner's concept material (R50): the printed instrument (an A3 poster, a PDF) as page
// images rendered by the server — light, and zoomable with a tap — fetched with the session's
// token (never put in an address) and shown as pictures. The file's name and a PDF's title are
// shown as text only. A facilitator gets the upload beside it (materialupload.js, loaded only
// for them). When a corner's material changes, the server stores `material.set` on the
// control board, and every open page fetches the material again.

import { current } from "./chrome.js";
import { bdi, clear, el } from "./html.js";
import { request } from "./http.js";
import { t } from "./i18n.js";
import { downloadResponse } from "./ui.js";

const listings = new Map(); // session id -> Promise of {corner: record}

/** The session's token (the page's own session: chrome.js), for the material's requests. */
export function sessionToken() {
  return current()?.token || null;
}

/** The material of every corner of session `sid` ({corner: record}), fetched once per page. */
export function listing(sid, fresh = false) {
  if (fresh || !listings.has(sid)) {
    const asked = request("GET", `/api/sessions/${encodeURIComponent(sid)}/material`, { token: sessionToken() })
      .then((data) => data.material || {});
    asked.catch(() => { if (listings.get(sid) === asked) listings.delete(sid); });
    listings.set(sid, asked);
  }
  return listings.get(sid);
}

/** A file of the material as the server serves it (with the token), or throws. */
async function fetchFile(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionToken()}` }, credentials: "same-origin" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res;
}

export class CornerMaterial {
  /**
   * @param {object} o
   * @param {string} o.sid          the session
   * @param {string} o.corner       the corner's instrument id
   * @param {string} o.controlId    the session's control board (material.set arrives there)
   * @param {import("./state.js").BoardStore} o.store
   * @param {boolean} o.facilitator  may upload and remove
   */
  constructor({ sid, corner, controlId, store, facilitator }) {
    this.sid = sid;
    this.corner = corner;
    this.facilitator = facilitator;
    this.urls = [];
    this.gone = false;
    this.version = null;
    this.base = `/api/sessions/${encodeURIComponent(sid)}/material/${encodeURIComponent(corner)}`;
    this.info = el("p", { class: "material-info" });
    this.pages = el("div", { class: "material-pages", id: `material-pages-${corner}` });
    this.download = el("button", {
      type: "button", class: "ctl small material-download", text: t("materialDownload"), hidden: true,
      onclick: () => this.downloadOriginal(),
    });
    this.el = el("section", { class: "corner-material", id: `corner-material-${corner}`, hidden: true },
      el("h3", { class: "material-title", text: t("materialTitle") }), this.info, this.pages, this.download);
    this.unsub = store.onEvent((frame) => {
      if (frame.board === controlId && frame.op?.kind === "material.set" && frame.op.corner === corner) this.load(true);
    });
    if (facilitator) {
      import("./materialupload.js").then(({ MaterialUpload }) => {
        if (this.gone) return;
        this.upload = new MaterialUpload({ base: this.base, corner, onChange: () => this.load(true) });
        this.el.append(this.upload.el);
        this.el.hidden = false;
      });
    }
    this.load(false);
  }

  destroy() {
    this.gone = true;
    this.unsub();
    this.drop();
  }

  drop() {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
  }

  async load(fresh) {
    let record = null;
    try {
      record = (await listing(this.sid, fresh))[this.corner] || null;
    } catch {
      return; // offline: the pages come with the next change
    }
    if (this.gone) return;
    this.show(record);
  }

  /** The material's record: its name and title as text, its pages as pictures. */
  show(record) {
    const version = record ? String(record.version) : "";
    if (version === this.version) return;
    this.version = version;
    this.drop();
    clear(this.pages);
    this.upload?.setCurrent(record);
    this.el.hidden = !record && !this.facilitator;
    this.download.hidden = !record;
    if (!record) {
      this.info.replaceChildren(t("materialNone"));
      return;
    }
    const about = [bdi(record.filename, { class: "material-name" })];
    if (record.title) about.push(" · ", bdi(record.title, { class: "material-pdf-title" }));
    about.push(" · ", t("materialPages", { n: record.pages }));
    this.info.replaceChildren(...about);
    for (let n = 1; n <= record.pages; n += 1) {
      const img = el("img", {
        class: "material-page-img", alt: t("materialPage", { n, total: record.pages }), decoding: "async",
        width: String(record.sizes?.[n - 1]?.[0] || 1600), height: String(record.sizes?.[n - 1]?.[1] || 1131),
      });
      const zoom = el("button", {
        type: "button", class: "material-page", "aria-pressed": "false", dataset: { page: String(n) },
        "aria-label": t("materialZoom", { n }),
        onclick: () => {
          const on = !zoom.classList.contains("is-zoomed");
          zoom.classList.toggle("is-zoomed", on);
          zoom.setAttribute("aria-pressed", String(on));
        },
      }, img);
      this.pages.append(zoom);
    }
    this.fill(record, version);
  }

  /** The page images, one after the other (a phone on venue Wi-Fi: not all at once). */
  async fill(record, version) {
    const imgs = [...this.pages.querySelectorAll("img")];
    for (let n = 1; n <= imgs.length; n += 1) {
      let blob;
      try {
        blob = await (await fetchFile(`${this.base}/${n}.webp?v=${encodeURIComponent(version)}`)).blob();
      } catch {
        return;
      }
      if (this.gone || this.version !== version) return;
      const url = URL.createObjectURL(blob);
      this.urls.push(url);
      imgs[n - 1].src = url;
    }
  }

  async downloadOriginal() {
    try {
      await downloadResponse(await fetchFile(`${this.base}/original`), `${this.corner}`);
    } catch {
      this.info.append(" · ", t("networkError"));
    }
  }
}
