// DOM helpers. What people typed goes into the page ONLY as text: textContent (el's `text`,
// string children) and attribute values, never innerHTML (R30); inside other text it is
// bidi-isolated (R37).

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * el("div", {class: "x", dataset: {noteId: "n1"}, onclick: fn}, "text", childNode, ...)
 * Strings become text nodes (never parsed as HTML).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/**
 * Someone's text inside other text, isolated for the bidi algorithm (R37): a name in Arabic or
 * Hebrew neither reorders the words around it nor takes their direction. `<bdi>` also finds
 * the text's own direction.
 */
export function bdi(value, attrs = {}) {
  return el("bdi", attrs, String(value ?? ""));
}

/** The same for plain strings (an option, a toast, a label): FSI … PDI around the text. */
export function iso(value) {
  return `\u2068${String(value ?? "")}\u2069`;
}

/** An SVG element (charts and figures), its attributes set one by one, its text as text. */
export function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}
