// The service worker: keeps the app shell (the page, its modules — also those loaded only when
// a page needs them, such as the begeleider's and the screens' —, its stylesheets and the
// instrument templates) so a reload without network still opens the app, which then shows the
// boards and the queued notes it kept in localStorage (offline.js). Network first, so a new
// version is used as soon as it can be fetched; the cache only answers when the network does not
// (or not within NETWORK_WAIT_MS, on venue Wi-Fi that hangs instead of failing).
//
// Service workers need a secure context: https, or http on localhost/127.0.0.1. Over plain http
// on a LAN address the browser offers none, and the app works as before (no offline reload).

const CACHE = "vh-shell-v1";
const NETWORK_WAIT_MS = 4000;
// Every file of web/ the page loads (tests/test_browser_venue.py checks this list is complete).
const SHELL = [
  "/", "/styles.css", "/board.css", "/overview.css", "/clusters.css", "/venue.css", "/access.css",
  "/app.js", "/achtje.js", "/announce.js", "/aggregate.js", "/archive.js", "/board.js", "/boardtools.js",
  "/cards.js", "/chrome.js", "/clock.js", "/clusters.js", "/control.js", "/corner.js", "/drag.js",
  "/editor.js", "/overview.js", "/home.js", "/html.js", "/http.js", "/i18n.js", "/i18n-en.js", "/i18n-staff.js",
  "/layouts.js", "/links.js", "/lists.js", "/matrix.js", "/mirror.js", "/notemenu.js",
  "/offline.js", "/ops.js", "/organiser.js", "/pages.js", "/people.js", "/plan.js",
  "/praatplaat.js", "/projector.js", "/radar.js", "/reflectietool.js", "/landing.js", "/rules.js",
  "/screens.js",
  "/session.js", "/snapshot.js", "/socket.js", "/state.js", "/stationview.js", "/suggestions.js",
  "/template.js", "/ui.js", "/votes.js", "/api/templates",
  "/ontwerpslag.css", "/signup.js", "/signuplist.js", "/ontwerpslag.js", "/decisions.js",
  "/figure.css", "/figure.js", "/cornerfigure.js", "/parts.js", "/material.js", "/materialupload.js",
];
const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // One by one: a file that fails now is fetched again on its next use.
    await Promise.all(SHELL.map((path) => cache.add(new Request(path, { cache: "no-cache" })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

/** The network's answer (stored for next time), else the cached one, else the network's error. */
async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then((res) => {
    if (res.ok) cache.put(cacheKey, res.clone()).catch(() => {});
    return res;
  });
  const cached = await cache.match(cacheKey);
  if (!cached) return network;
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(cached), NETWORK_WAIT_MS); });
  try {
    return await Promise.race([network, late]);
  } catch {
    return cached;
  } finally {
    clearTimeout(timer);
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Every page of the app is the same index.html (/, /j/CODE, /s/…): the cached "/" stands in.
    if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/qr/")) return;
    event.respondWith(networkFirst(request, "/"));
    return;
  }
  if (SHELL_PATHS.has(url.pathname) && !url.search) {
    event.respondWith(networkFirst(request, url.pathname));
  }
});
