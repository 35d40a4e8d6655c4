// Signing up for the next design round (R47): "Wie wil nog eens meedenken? Of iets uitproberen
// in de praktijk?". The invitation on a participant's pages (signupInvite), the form at
// /aanmelden/<CODE> with the consent text the server serves (what is kept, what for, how long,
// who sees it, how to withdraw; its version goes with the form), and the withdrawal page at
// /afmelden#<secret> that works without an account. A sign-up is never part of the session:
// the form talks to the server over HTTP only, and this browser keeps nothing but the
// withdrawal link (so the person finds it again here, until they let it go).

import { clear, el } from "./html.js";
import { problemText, request } from "./http.js";
import { getLang, t } from "./i18n.js";
import { instrumentsById } from "./template.js";
import { cleanCode, linkRow } from "./ui.js";

const KEPT = "vh.signup.";
const ROLES = ["vmbo", "mbo", "regio", "anders"];
// A loose check, like the server's: one @, no spaces, a dot in the domain.
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function keptLink(code) {
  try { return JSON.parse(localStorage.getItem(KEPT + code) || "null"); } catch { return null; }
}

function keepLink(code, value) {
  try {
    if (value) localStorage.setItem(KEPT + code, JSON.stringify(value));
    else localStorage.removeItem(KEPT + code);
  } catch { /* storage off: the link is on screen to copy */ }
}

/** Forget every kept withdrawal link that ends in `secret` (it was used). */
function forgetSecret(secret) {
  try {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith(KEPT) && (keptLink(key.slice(KEPT.length))?.url || "").endsWith(`#${secret}`)) {
        localStorage.removeItem(key);
      }
    }
  } catch { /* nothing kept */ }
}

/** The invitation on a participant's page: a short question and the way to the form. */
export function signupInvite(code) {
  const done = !!keptLink(code);
  return el("section", { class: "panel signup-invite", id: "signup-invite", "aria-labelledby": "signup-invite-title" },
    el("h2", { id: "signup-invite-title", text: t("signupQuestion") }),
    el("p", { class: "intro", text: done ? t("signupInviteDone") : t("signupInviteText") }),
    el("a", { class: "ctl primary", id: "signup-open", href: `/aanmelden/${encodeURIComponent(code)}`, text: done ? t("signupInviteSee") : t("signupInviteButton") }));
}

/** /aanmelden/<CODE>: the form, or what this browser signed up with before. */
export class SignupPage {
  constructor({ root, code, alive }) {
    this.root = root;
    this.code = cleanCode(code);
    this.alive = alive;
    document.title = `${t("signupTitle")} · ${t("appTitle")}`;
    clear(root).append(el("p", { class: "loading", text: t("connecting") }));
    this.load();
  }

  async load() {
    try {
      [this.consent, this.instruments] = await Promise.all([
        request("GET", "/api/signup/consent"), instrumentsById(),
      ]);
    } catch (err) {
      if (this.alive()) clear(this.root).append(el("p", { class: "error", role: "alert", text: problemText(err) }));
      return;
    }
    if (!this.alive()) return;
    const before = keptLink(this.code);
    if (before) this.renderDone(before, false);
    else this.renderForm();
  }

  backLink() {
    return el("a", { class: "ctl", id: "signup-back", href: `/j/${encodeURIComponent(this.code)}`, text: t("signupBack") });
  }

  renderForm() {
    const field = (id, label, attrs, hint = null) => {
      const input = el("input", { id, name: id, ...attrs, "aria-describedby": hint ? `${id}-hint` : null });
      return [input, el("label", { for: id, text: label }), input, hint ? el("p", { class: "hint", id: `${id}-hint`, text: hint }) : null];
    };
    const [name, ...nameRow] = field("signup-name", t("signupName"), { type: "text", autocomplete: "name", maxlength: "80", required: true, dir: "auto" });
    const [org, ...orgRow] = field("signup-organisation", t("signupOrganisation"), { type: "text", autocomplete: "organization", maxlength: "120", dir: "auto" });
    const [email, ...emailRow] = field("signup-email", t("signupEmail"), {
      type: "email", autocomplete: "email", inputmode: "email", maxlength: "254", required: true, spellcheck: "false", autocapitalize: "none",
    }, t("signupEmailHint"));
    const roles = ROLES.map((r) => el("label", { class: "check" },
      el("input", { type: "radio", name: "signup-role", value: r, class: "signup-role" }), el("span", { text: t(`signupRoles.${r}`) })));
    const instruments = (this.consent.instruments || []).map((id) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: id, class: "signup-instrument" }),
      el("span", { text: this.instruments.get(id)?.title || t(`instrumentNames.${id}`) })));
    const meedenken = el("input", { type: "checkbox", id: "signup-meedenken" });
    const uitproberen = el("input", { type: "checkbox", id: "signup-uitproberen" });
    const agree = el("input", { type: "checkbox", id: "signup-consent", "aria-describedby": "signup-consent-text" });
    const text = this.consent.text[getLang()] || this.consent.text.nl;
    const error = el("p", { class: "error", id: "signup-error", role: "alert" });
    error.hidden = true;
    const submit = el("button", { type: "submit", class: "primary big", id: "signup-submit", text: t("signupSubmit") });
    const form = el("form", { class: "panel signup-form", id: "signup-form", novalidate: true },
      el("h1", { text: t("signupQuestion") }),
      el("p", { class: "intro", text: t("signupIntro") }),
      ...nameRow, ...orgRow,
      el("fieldset", { class: "signup-group", id: "signup-roles" }, el("legend", { text: t("signupRole") }), roles),
      ...emailRow,
      el("fieldset", { class: "signup-group", id: "signup-wish" }, el("legend", { text: t("signupWish") }),
        el("label", { class: "check", for: "signup-meedenken" }, meedenken, el("span", { text: t("signupMeedenken") })),
        el("label", { class: "check", for: "signup-uitproberen" }, uitproberen, el("span", { text: t("signupUitproberen") }))),
      el("fieldset", { class: "signup-group", id: "signup-instruments" }, el("legend", { text: t("signupInstruments") }), instruments),
      el("section", { class: "signup-consent", id: "signup-consent-text", "aria-labelledby": "signup-consent-title" },
        el("h2", { id: "signup-consent-title", text: text.title }),
        el("dl", {}, text.items.map(([head, body]) => [el("dt", { text: head }), el("dd", { text: body })]))),
      el("label", { class: "check signup-agree", for: "signup-consent" }, agree, el("span", { text: text.agree })),
      error, submit, this.backLink());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const role = form.querySelector(".signup-role:checked")?.value || "";
      const body = {
        name: name.value.trim(), organisation: org.value.trim(), role, email: email.value.trim(),
        instruments: [...form.querySelectorAll(".signup-instrument:checked")].map((b) => b.value),
        meedenken: meedenken.checked, uitproberen: uitproberen.checked, consent: agree.checked,
        consent_version: this.consent.version,
      };
      const problem = !body.name ? ["signupNeedName", name]
        : !role ? ["signupNeedRole", roles[0].querySelector("input")]
          : !EMAIL.test(body.email) ? ["signupNeedEmail", email]
            : !(body.meedenken || body.uitproberen) ? ["signupNeedWish", meedenken]
              : !body.consent ? ["signupNeedConsent", agree] : null;
      for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
      if (problem) {
        this.say(error, t(problem[0]));
        problem[1].setAttribute("aria-invalid", "true");
        problem[1].focus();
        return;
      }
      submit.disabled = true;
      this.say(error, "");
      try {
        const res = await request("POST", `/api/signup/${encodeURIComponent(this.code)}`, { body });
        const kept = { url: res.withdraw_url, days: res.retention_days };
        keepLink(this.code, kept);
        if (this.alive()) this.renderDone(kept, true);
      } catch (err) {
        if (!this.alive()) return;
        submit.disabled = false;
        this.say(error, this.refusal(err));
      }
    });
    clear(this.root).append(form);
  }

  /** Why the server refused, in this page's words: the field it names, or what went wrong. */
  refusal(err) {
    if (err.code === "signups_full") return t("signupFull");
    if (err.code !== "bad_signup") return err.status === 404 ? t("signupNoSession") : problemText(err);
    const where = String(err.message || "").split(/[.:\s]/)[0];
    const key = { name: "signupNeedName", role: "signupNeedRole", email: "signupNeedEmail", meedenken: "signupNeedWish",
      consent: "signupNeedConsent", consent_version: "signupConsentChanged" }[where];
    return key ? t(key) : t("signupCheck");
  }

  say(node, message) {
    node.textContent = message;
    node.hidden = !message;
  }

  renderDone(kept, fresh) {
    const again = el("button", {
      type: "button", class: "ctl", id: "signup-again", text: t("signupAgain"),
      onclick: () => { keepLink(this.code, null); this.renderForm(); },
    });
    clear(this.root).append(el("section", { class: "panel signup-done", id: "signup-done", role: fresh ? "status" : null },
      el("h1", { text: fresh ? t("signupThanks") : t("signupKnown") }),
      el("p", { text: t("signupKeepLink") }),
      linkRow(t("signupWithdrawLink"), kept.url, "signup-withdraw-link"),
      el("p", { class: "hint", text: t("signupKeptDays", { n: kept.days || this.consent.retention_days }) }),
      el("div", { class: "ctl-row" }, this.backLink(), again)));
  }
}

/** /afmelden#<secret> (or /afmelden/<secret>): withdraw, after one deliberate tap. */
export class WithdrawPage {
  constructor({ root, secret, alive }) {
    this.root = root;
    this.secret = secret;
    this.alive = alive;
    document.title = `${t("withdrawTitle")} · ${t("appTitle")}`;
    this.render();
  }

  render() {
    const status = el("p", { class: "form-status", id: "withdraw-status", role: "status" });
    status.hidden = true;
    const button = el("button", { type: "button", class: "ctl warn", id: "withdraw-submit", text: t("withdrawButton") });
    button.disabled = !this.secret;
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await request("POST", "/api/signup-withdraw", { body: { secret: this.secret } });
        forgetSecret(this.secret);
        if (!this.alive()) return;
        this.finish(status, t("withdrawDone"), false);
      } catch (err) {
        if (!this.alive()) return;
        if (err.status === 404) {
          forgetSecret(this.secret);
          this.finish(status, t("withdrawUnknown"), true);
        } else {
          button.disabled = false;
          status.textContent = problemText(err);
          status.hidden = false;
          status.classList.add("error");
        }
      }
    });
    this.button = button;
    clear(this.root).append(el("section", { class: "panel withdraw", id: "withdraw" },
      el("h1", { text: t("withdrawTitle") }),
      el("p", { text: this.secret ? t("withdrawText") : t("withdrawNoSecret") }),
      el("div", { class: "ctl-row" }, button),
      status,
      el("a", { class: "ctl", href: "/", id: "withdraw-home", text: t("toHome") })));
  }

  finish(status, message, unknown) {
    // The secret is spent: it leaves the address bar and the history.
    history.replaceState(null, "", "/afmelden");
    this.button.hidden = true;
    this.root.querySelector("#withdraw > p").hidden = true;
    status.textContent = message;
    status.hidden = false;
    status.classList.toggle("error", unknown);
  }
}
