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

// ---- Web Push ---------------------------------------------------------------------------
// The server pushes only while the user has no socket open (docs/client.md, "Notifications").
// The payload is UTF-8 JSON: {v:1, type:"message", conv, title, kind, text?, at} or
// {v:1, type:"friend.request", title, text?, at}. A subscription made with
// userVisibleOnly must show a notification for every push, so whatever arrives —
// even bytes that are not JSON — ends in showNotification and never in a throw.

const LABELS = {
  en: {
    kinds: { image: "Photo", audio: "Voice message", video: "Video", file: "File", location: "Location", email: "Email" },
    message: "New message",
    friend: "wants to be your friend",
    mail: "New mail",
    separator: ": ",
    summary: (n, c) => `${n} new while your quiet hours were on${c > 1 ? `, in ${c} chats` : ""}`,
  },
  zh: {
    kinds: { image: "图片", audio: "语音消息", video: "视频", file: "文件", location: "位置", email: "邮件" },
    message: "新消息",
    friend: "请求添加你为好友",
    mail: "新邮件",
    separator: "：",
    summary: (n, c) => `免打扰期间收到 ${n} 条新消息${c > 1 ? `，来自 ${c} 个聊天` : ""}`,
  },
};

const labels = () => (String(self.navigator.language || "").toLowerCase().startsWith("zh") ? LABELS.zh : LABELS.en);

/** Title and options for one push; anything unexpected falls back to the generic "New message". */
function notificationFor(data) {
  const l = labels();
  const generic = { title: "Unibox", options: { body: l.message, tag: "unibox", data: { url: "/" } } };
  let payload;
  try {
    payload = data ? data.json() : null;
  } catch {
    return generic;
  }
  if (payload && payload.type === "summary" && typeof payload.count === "number") {
    // Quiet hours ended (issue 14): one notification for everything that was held.
    const convs = Array.isArray(payload.convs) ? payload.convs : [];
    const names = Array.isArray(payload.titles) ? payload.titles.filter((x) => typeof x === "string").join(", ") : "";
    const body = names ? `${l.summary(payload.count, convs.length)}\n${names}` : l.summary(payload.count, convs.length);
    const url = convs.length === 1 ? `/chat/${encodeURIComponent(convs[0])}` : "/";
    return { title: "Unibox", options: { body, tag: "quiet-summary", timestamp: payload.at, data: { url } } };
  }
  if (!payload || typeof payload !== "object" || typeof payload.title !== "string") return generic;
  const text = typeof payload.text === "string" ? payload.text.trim() : "";
  const timestamp = typeof payload.at === "number" ? payload.at : undefined;
  if (payload.type === "friend.request") {
    const body = text ? `${l.friend}\n${text}` : l.friend;
    return { title: payload.title, options: { body, tag: "friend-requests", timestamp, data: { url: "/contacts" } } };
  }
  if (payload.type === "mail" && typeof payload.mail === "string") {
    // One tag for mail: a burst of new mail shows as the newest, not a stack.
    return { title: payload.title, options: { body: text || l.mail, tag: "mail", timestamp, data: { url: `/mail/${encodeURIComponent(payload.mail)}` } } };
  }
  if (payload.type !== "message" || typeof payload.conv !== "string") return generic;
  // A chat's notifications share its tag, so the newest replaces the last one.
  const label = Object.hasOwn(l.kinds, payload.kind) ? l.kinds[payload.kind] : "";
  const body = label && text ? `${label}${l.separator}${text}` : label || text || l.message;
  return { title: payload.title, options: { body, tag: payload.conv, timestamp, data: { url: `/chat/${encodeURIComponent(payload.conv)}` } } };
}

self.addEventListener("push", (event) => {
  let note;
  try {
    note = notificationFor(event.data);
  } catch {
    note = notificationFor(null);
  }
  // No badge: Android draws a badge from the image's alpha channel alone, and the app icons
  // are filled shapes that would show as a white blob there.
  const options = { ...note.options, icon: "/icons/icon-192.png", renotify: true };
  event.waitUntil(
    self.registration.showNotification(note.title, options).catch((err) => {
      console.error("Error in sw push: showNotification", err);
    }),
  );
});

/**
 * The browser replaced the subscription (expiry, key rotation): register the new one with
 * the server and forget the old, with the session cookie like the app's own requests. If
 * the browser gave no new one, subscribe again with the old one's options.
 */
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    (async () => {
      const old = event.oldSubscription;
      const next = event.newSubscription ?? (old ? await self.registration.pushManager.subscribe(old.options) : null);
      const send = (method, body) =>
        fetch("/api/push/subscriptions", { method, credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (next) await send("POST", next.toJSON());
      if (old && old.endpoint !== next?.endpoint) await send("DELETE", { endpoint: old.endpoint });
    })().catch((err) => console.error("Error in sw pushsubscriptionchange", err)),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? "/", self.location.origin).href;
  event.waitUntil(openApp(url));
});

/**
 * Brings the app to the front on `url`: an open window is focused and navigated (a full
 * navigation, answered from the cached shell; preact-iso then routes from the URL),
 * otherwise a new window opens. focus() must run while the click still counts as a
 * user gesture, so it comes before anything slow.
 */
async function openApp(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const mine = windows.filter((c) => new URL(c.url).origin === self.location.origin);
  const client = mine.find((c) => c.focused) ?? mine.find((c) => c.visibilityState === "visible") ?? mine[0];
  if (!client) return self.clients.openWindow(url);
  try {
    const focused = await client.focus();
    if (focused.url !== url) await focused.navigate(url);
  } catch (err) {
    // navigate() rejects for a window this worker does not control (e.g. opened before it was installed).
    console.warn("sw notificationclick: could not reuse a window", err);
    await self.clients.openWindow(url);
  }
}
