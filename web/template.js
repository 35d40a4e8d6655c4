// The instrument templates (boards/*.json, served at /api/templates): fetched once per page,
// kept in localStorage for an offline start (offline.js), and read by section and item.

import { request } from "./http.js";
import { loadTemplates, saveTemplates } from "./offline.js";

let templatesPromise = null;
let byIdCache = null;

/** The instrument templates; offline the ones kept from last time (and asked again next time). */
export function templates() {
  templatesPromise ??= request("GET", "/api/templates").then((data) => {
    saveTemplates(data);
    return data;
  }, () => {
    templatesPromise = null;
    return loadTemplates() || { instruments: [] };
  });
  return templatesPromise;
}

/** instrument id -> template, once loaded. */
export async function instrumentsById() {
  const tpl = await templates();
  byIdCache ??= new Map((tpl.instruments || []).map((i) => [i.id, i]));
  return byIdCache;
}

/** The template of `instrument` when the templates are loaded already, else null. */
export function loadedInstrument(instrument) {
  return byIdCache?.get(instrument) || null;
}

/** A section of a template by id (its title, its items), or null. */
export function sectionOf(inst, section) {
  return inst?.sections?.find((s) => s.id === section) || null;
}

/** The items of a template's section ([] when there is none). */
export function items(inst, section) {
  return sectionOf(inst, section)?.items || [];
}
