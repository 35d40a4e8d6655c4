// What a facilitator hands out (R33): the join code, read aloud in groups of four, and a new
// one when a poster got out (the old code stops at once); the links and QR codes for the
// session, each corner and its screen, the screens' own link (it opens the screen chooser, R58)
// with the join screen and the overview for the wall; and co-begeleiders invited with a link of
// their own, listed and revoked.

import { bdi, clear, el } from "./html.js";
import { describe, request } from "./http.js";
import { t } from "./i18n.js";
import "./i18n-staff.js";
import { askConfirm, formatCode, linkRow } from "./ui.js";

export class LinksPanel {
  /**
   * @param {object} o
   * @param {object} o.session
   * @param {string} o.token       the facilitator token
   * @param {Array} o.boards       the session's boards, by corner
   * @param {(corner: string) => string} o.titleOf
   * @param {(code: string) => void} o.onCode    the session got a new join code
   * @param {(links: object) => void} o.onLinks  the links are known (projector links per corner)
   * @param {(msg: string) => void} o.notify
   * @param {() => boolean} o.alive
   */
  constructor({ session, token, boards, titleOf, onCode, onLinks, notify, alive }) {
    this.session = session;
    this.token = token;
    this.boards = boards;
    this.titleOf = titleOf;
    this.onCode = onCode;
    this.onLinks = onLinks;
    this.notify = notify;
    this.alive = alive;
    this.base = `/api/sessions/${encodeURIComponent(session.id)}`;
    this.codeRow = this.buildCode();
    this.linksEl = this.buildLinks();
    this.invitesEl = this.buildInvites();
  }

  /** fetch with this page's begeleider token (Bearer); throws with the server's error code. */
  request(method, path, body) {
    return request(method, path, { body, token: this.token });
  }

  /** The session's code changed (here or in another begeleider's page). */
  setCode(code) {
    this.session = { ...this.session, code };
    this.showCode(code);
    this.onCode(code);
  }

  /** The join code, read aloud in groups of four, with its link; and a new one on demand. */
  buildCode() {
    this.codeEl = el("strong", { class: "join-code", id: "join-code" });
    this.codeUrl = el("span", { class: "ov-join-url" });
    this.showCode(this.session.code);
    return el("div", { class: "code-row" },
      el("span", { class: "link-label", text: t("joinCode") }),
      this.codeEl, this.codeUrl,
      el("button", {
        type: "button", class: "ctl", id: "rotate-code", text: t("rotateCode"),
        onclick: () => this.rotateCode(),
      }));
  }

  showCode(code) {
    this.codeEl.textContent = formatCode(code);
    this.codeEl.dataset.code = code;
    this.codeUrl.textContent = `${location.host}/j/${code}`;
  }

  /** R33: a new join code; the old code, its posters and QR codes stop at once. */
  async rotateCode() {
    const { ok } = await askConfirm({
      id: "rotate-dialog", title: t("rotateCodeTitle"), message: t("rotateCodeText"),
      confirm: t("rotateCodeConfirm"),
    });
    if (!ok || !this.alive()) return;
    try {
      const data = await this.request("POST", `${this.base}/code`);
      if (!this.alive()) return;
      this.setCode(data.code);
      this.renderLinks(data, "");
      this.notify(t("rotateCodeDone", { code: formatCode(data.code) }));
    } catch (err) {
      this.notify(t("archiveError", { message: describe(err) }));
    }
  }

  buildLinks() {
    this.linksBody = el("div", { class: "links-body" }, el("p", { class: "loading", text: t("connecting") }));
    return el("section", { class: "panel ov-links", id: "links-panel" },
      el("h2", { text: t("linksTitle") }), this.linksBody);
  }

  async loadLinks() {
    let data = null;
    let problem = "";
    try {
      data = await this.request("GET", `${this.base}/links`);
    } catch (err) {
      problem = describe(err);
      data = null;
    }
    if (!this.alive()) return;
    if (data?.code && data.code !== this.session.code) {
      // The code was renewed elsewhere (another begeleider): show the one that works.
      this.setCode(data.code);
    }
    this.renderLinks(data, problem);
  }

  /** The links and QR codes (from /links, or the answer of a new join code). */
  renderLinks(data, problem) {
    const s = this.session;
    const origin = location.origin;
    const corners = this.boards.map((b) => b.instrument);
    const links = {
      join_url: data?.join_url || `${origin}/j/${s.code}`,
      viewer_url: data?.viewer_url || "",
      projector_urls: data?.projector_urls || {},
      corner_join_urls: data?.corner_join_urls
        || Object.fromEntries(corners.map((c) => [c, `${origin}/j/${s.code}/${c}`])),
      qr: data?.qr || {
        session: `/qr/${s.code}.svg`,
        corners: Object.fromEntries(corners.map((c) => [c, `/qr/${s.code}/${c}.svg`])),
      },
    };
    this.links = links;
    const body = clear(this.linksBody);
    if (problem) body.append(el("p", { class: "error", role: "alert", text: t("linksError", { message: problem }) }));
    body.append(
      el("div", { class: "links-session" },
        el("div", { class: "links-text" },
          linkRow(t("joinLink"), links.join_url, "join-link"),
          linkRow(t("facilitatorLink"), `${origin}/#t=${this.token}`, "facilitator-link"),
          el("p", { class: "hint", text: t("facilitatorLinkHint") }),
          links.viewer_url ? linkRow(t("viewerLink"), links.viewer_url, "viewer-link") : null,
          links.viewer_url ? el("div", { class: "ctl-row screen-links" },
            el("a", {
              class: "ctl", id: "open-join-screen", href: `${links.viewer_url}&screen=join`, target: "_blank",
              rel: "noopener", text: t("joinScreenOpen"),
            }),
            el("a", {
              class: "ctl", id: "open-wall-screen", href: `${links.viewer_url}&screen=overview`, target: "_blank",
              rel: "noopener", text: t("wallScreenOpen"),
            })) : null),
        el("img", {
          class: "qr", id: "qr-session", src: links.qr.session, alt: t("qrSession"), width: "180", height: "180",
        })),
      el("div", { class: "links-corners" }, this.boards.map((b) => {
        const c = b.instrument;
        const title = this.titleOf(c);
        const projector = links.projector_urls[c];
        return el("div", { class: "links-corner", dataset: { corner: c } },
          el("h3", { text: `${t("corner", { n: b.corner })}: ${title}` }),
          links.qr.corners?.[c] ? el("img", {
            class: "qr qr-corner", src: links.qr.corners[c], alt: t("qrCorner", { corner: title }),
            dataset: { corner: c }, width: "140", height: "140",
          }) : null,
          linkRow(t("cornerLink"), links.corner_join_urls[c] || "", "corner-join-link"),
          projector ? linkRow(t("projectorLink"), projector, "projector-link") : null,
          projector ? el("a", {
            class: "ctl projector-open", href: projector, target: "_blank", rel: "noopener",
            dataset: { corner: c }, text: t("projectorOpen"),
          }) : null);
      })));
    this.onLinks(links);
  }

  buildInvites() {
    const name = el("input", {
      type: "text", id: "invite-name", maxlength: "60", autocomplete: "off", required: true,
      dir: "auto", placeholder: t("inviteNamePlaceholder"),
    });
    this.inviteResult = el("div", { class: "invite-result", id: "invite-result", "aria-live": "polite" });
    this.inviteStatus = el("p", { class: "form-status", id: "invite-status", role: "status", hidden: true });
    this.inviteList = el("ul", { class: "invite-list", id: "invite-list" });
    const form = el("form", { class: "ctl-row invite-form", id: "invite-form" },
      el("label", { class: "field inline", for: "invite-name", text: t("inviteName") }), name,
      el("button", { type: "submit", class: "ctl primary", id: "invite-create", text: t("inviteCreate") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const who = name.value.trim();
      if (!who) return;
      try {
        const made = await this.request("POST", `${this.base}/invites`, { name: who });
        if (!this.alive()) return;
        name.value = "";
        this.inviteSay("");
        this.inviteResult.replaceChildren(
          el("p", {}, t("inviteMade", { name: bdi(made.name) })),
          linkRow(t("inviteLink"), made.url, "invite-link"),
          el("p", { class: "hint", text: t("inviteOnce") }));
        await this.loadInvites();
      } catch (err) {
        this.inviteSay(t("archiveError", { message: describe(err) }), true);
      }
    });
    return el("section", { class: "panel ov-invites", id: "invites-panel", "aria-labelledby": "invites-title" },
      el("h2", { id: "invites-title", text: t("invitesTitle") }),
      el("p", { class: "intro", text: t("invitesIntro") }),
      form, this.inviteResult, this.inviteStatus,
      el("h3", { text: t("invitesList") }), this.inviteList);
  }

  inviteSay(message, error = false) {
    this.inviteStatus.replaceChildren(message || "");
    this.inviteStatus.hidden = !message;
    this.inviteStatus.classList.toggle("error", !!error);
  }

  async loadInvites() {
    let list = [];
    try {
      list = (await this.request("GET", `${this.base}/invites`)).invites || [];
    } catch (err) {
      if (this.alive()) this.inviteSay(t("archiveError", { message: describe(err) }), true);
      return;
    }
    if (!this.alive()) return;
    this.inviteList.replaceChildren(...(list.length ? list.map((inv) => el("li", {
      class: "invite", dataset: { invite: inv.id },
    },
    el("span", { class: "invite-name", dir: "auto", text: inv.name }),
    el("button", {
      type: "button", class: "ctl warn small invite-revoke", dataset: { invite: inv.id },
      text: t("inviteRevoke"), "aria-label": t("inviteRevokeLabel", { name: inv.name }),
      onclick: () => this.revokeInvite(inv),
    }))) : [el("li", { class: "ov-empty", text: t("invitesNone") })]));
  }

  async revokeInvite(inv) {
    const { ok } = await askConfirm({
      id: "revoke-dialog", title: t("inviteRevokeTitle"),
      message: t("inviteRevokeText", { name: bdi(inv.name) }), confirm: t("inviteRevoke"),
    });
    if (!ok || !this.alive()) return;
    try {
      await this.request("DELETE", `${this.base}/invites/${encodeURIComponent(inv.id)}`);
      if (!this.alive()) return;
      this.inviteSay(t("inviteRevoked", { name: bdi(inv.name) }));
      this.inviteResult.replaceChildren();
    } catch (err) {
      this.inviteSay(t("archiveError", { message: describe(err) }), true);
    }
    await this.loadInvites();
  }
}
