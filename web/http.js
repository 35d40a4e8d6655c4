// HTTP to the server, for every view: JSON in and out; a session's token as
// `Authorization: Bearer` when given, else the organiser's HttpOnly cookie (R31; always sent,
// credentials "same-origin"). An answer that is not ok throws an Error with `status`, `code`
// (the server's error code), `retryAfter` (seconds, on 429) and `data` (the answer's body), and
// as its `message` what went wrong in the page's language (never the server's English words);
// no answer at all throws the browser's TypeError.

import { t } from "./i18n.js";

/**
 * @param {string} method
 * @param {string} path
 * @param {object} [o]
 * @param {any} [o.body]        sent as JSON
 * @param {string|null} [o.text]  sent as it is (a JSON document already)
 * @param {string|null} [o.token] a session token (facilitator, participant, viewer)
 * @param {boolean} [o.raw]     answer with the Response itself when it is ok (a download)
 */
export async function request(method, path, { body, text = null, token = null, raw = false } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload;
  if (text !== null) {
    headers["content-type"] = "application/json";
    payload = text;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (raw && res.ok) return res;
  let data = {};
  try { data = await res.json(); } catch { /* empty */ }
  if (!res.ok) {
    const err = new Error(data.error ? localError(data.error) : `HTTP ${res.status}`);
    err.status = res.status;
    err.code = data.error || "";
    err.retryAfter = Number(res.headers.get("retry-after")) || 0;
    err.data = data;
    throw err;
  }
  return data;
}

/** The message for the server's error `code` when the message files have one, else null. */
export function knownError(code) {
  if (!code) return null;
  const key = `errorCodes.${code}`;
  const text = t(key);
  return typeof text === "string" && text !== key ? text : null;
}

/** The server's error `code` in the page's language, known or not. */
export function localError(code) {
  return knownError(code) || t("errorCodes.unknown", { code: code || "?" });
}

/** What went wrong, briefly: the known error, else "HTTP 500", else no network. */
export function describe(err) {
  return knownError(err?.code) || (err?.status ? `HTTP ${err.status}` : t("networkError"));
}

/** What went wrong, as a sentence in the page's language only (never the server's words). */
export function problemText(err) {
  if (err?.status === 429 || err?.code === "too_many_tries") {
    return t("tooManyTries", { n: Math.max(1, err.retryAfter || 60) });
  }
  const known = knownError(err?.code);
  if (known) return known;
  if (err instanceof TypeError || !err?.status) return t("networkError");
  return t("errorGeneric", { message: `HTTP ${err.status}` });
}
