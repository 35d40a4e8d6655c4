// A facilitator attaches a corner's concept material (R50): a PDF or an image, sent as it is
// with its progress shown; the server decides what it is by its content and says no to what is
// not a PDF, PNG, JPEG or WebP, too large, or not from a facilitator — said here in the page's
// language, and nothing is stored. Loaded only on a facilitator's page (material.js).

import { bdi, el } from "./html.js";
import { request } from "./http.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { sessionToken } from "./material.js";
import { askConfirm } from "./ui.js";

const REASONS = ["not_material", "damaged", "too_many_pages", "too_many_pixels"];

/** Why the server refused an upload, in the page's language. */
export function refusalText(status, body, file) {
  if (status === 413 || body?.error === "too_large") {
    return t("materialTooLarge", { mb: (file.size / (1024 * 1024)).toLocaleString(undefined, { maximumFractionDigits: 1 }) });
  }
  if (status === 403 || status === 401) return t("materialNotFacilitator");
  if (status === 415) return t(`materialRefused.${REASONS.includes(body?.reason) ? body.reason : "not_material"}`);
  if (status === 400) return t("materialEmpty");
  if (status === 503 || status === 429) return t("materialBusy");
  if (!status) return t("networkError");
  return t("errorGeneric", { message: `HTTP ${status}` });
}

export class MaterialUpload {
  /**
   * @param {object} o
   * @param {string} o.base     /api/sessions/<sid>/material/<corner>
   * @param {string} o.corner
   * @param {() => void} o.onChange  the material changed (also announced to every page)
   */
  constructor({ base, corner, onChange }) {
    this.base = base;
    this.onChange = onChange;
    this.file = el("input", {
      type: "file", class: "material-file", id: `material-file-${corner}`,
      accept: "application/pdf,image/png,image/jpeg,image/webp",
    });
    this.send = el("button", { type: "submit", class: "ctl primary material-send", text: t("materialUpload") });
    this.progress = el("progress", { class: "material-progress", max: "1", value: "0", hidden: true });
    this.status = el("p", { class: "material-status", role: "status", "aria-live": "polite" });
    this.remove = el("button", {
      type: "button", class: "ctl warn small material-remove", text: t("materialRemove"), hidden: true,
      onclick: () => this.removeIt(),
    });
    const form = el("form", { class: "material-upload" },
      el("label", { class: "material-file-label", for: this.file.id, text: t("materialChoose") }),
      this.file, this.send, this.progress, this.remove);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const file = this.file.files?.[0];
      if (!file) { this.say(t("materialEmpty"), true); return; }
      this.upload(file);
    });
    this.el = el("div", { class: "material-admin" }, el("p", { class: "material-hint", text: t("materialHint") }), form, this.status);
  }

  /** The material there is now (or null): removing it is offered when there is some. */
  setCurrent(record) {
    this.remove.hidden = !record;
  }

  say(text, refused = false) {
    this.status.replaceChildren(text);
    this.status.classList.toggle("is-refused", refused);
  }

  /** Sent with its progress; the answer (the new material, or why not) said in the page's words. */
  upload(file) {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `${this.base}?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader("authorization", `Bearer ${sessionToken()}`);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    this.send.disabled = true;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.say(t("materialSending", { name: bdi(file.name) }));
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) this.progress.value = e.loaded / e.total;
    });
    const done = () => { this.send.disabled = false; this.progress.hidden = true; };
    xhr.addEventListener("load", () => {
      done();
      let body = {};
      try { body = JSON.parse(xhr.responseText || "{}"); } catch { /* not JSON */ }
      if (xhr.status === 201) {
        this.say(t("materialUploaded", { name: bdi(body.filename || file.name), n: body.pages || 1 }));
        this.file.value = "";
        this.onChange();
      } else {
        this.say(refusalText(xhr.status, body, file), true);
      }
    });
    xhr.addEventListener("error", () => { done(); this.say(refusalText(0, {}, file), true); });
    xhr.send(file);
  }

  async removeIt() {
    const { ok } = await askConfirm({
      title: t("materialRemoveTitle"), message: t("materialRemoveText"), confirm: t("materialRemove"),
      id: "remove-material",
    });
    if (!ok) return;
    try {
      await request("DELETE", this.base, { token: sessionToken() });
      this.say(t("materialRemoved"));
      this.onChange();
    } catch (err) {
      this.say(refusalText(err.status || 0, err.data || {}, { size: 0 }), true);
    }
  }
}
