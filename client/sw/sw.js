// Unibox service worker: serves the app shell from cache so the app opens offline and
// instantly on a slow network. Data never goes through here: the API and the socket
// are network-only, and the client's own IndexedDB is the data cache.
// The build (vite.config.ts) fills in VERSION and PRECACHE below.
const VERSION = "__VERSION__";
const PRECACHE = __PRECACHE__;
const CACHE = `unibox-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // `cache: "reload"` skips the HTTP cache, so a new version never precaches stale files.
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("unibox-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/hooks/")) return;
  if (req.mode === "navigate") {
    // Every in-app path is the same single-page shell (the Worker's SPA fallback agrees).
    event.respondWith(caches.match("/", { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
    return;
  }
  event.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
});
