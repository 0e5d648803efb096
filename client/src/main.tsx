// Boot: colours and language first (no flash), then the IndexedDB snapshot, then the
// first render, straight from cache; the network only refreshes what is already shown.
import { effect } from "@preact/signals";
import { render } from "preact";
import { App, preloadScreens } from "./app";
import { locale } from "./i18n";
import { type ChatPref, restorePrefs } from "./state/chat-prefs";
import { conversations, conversationsLoaded } from "./state/conversations";
import { type Snapshot, loadSnapshot } from "./state/db";
import { friends, friendsLoaded, incoming, outgoing } from "./state/friends";
import { groups } from "./state/groups";
import { resetOutboxState } from "./state/outbox";
import { confirmSession, me, watchOtherTabs } from "./state/session";
import { restoreAccounts } from "./state/accounts";
import { loadNotices } from "./state/notices";
import { setCursor, startSync } from "./state/sync";
import { applyTheme } from "./state/theme";
import "./styles.css";

applyTheme();
document.documentElement.lang = locale.value;

async function boot(): Promise<void> {
  const snap: Snapshot = await loadSnapshot().catch((err) => {
    console.error("unibox: could not read the local cache", err);
    return { seq: 0, listed: false, conversations: [], outbox: [] };
  });
  setCursor(snap.seq);
  conversations.value = snap.conversations;
  conversationsLoaded.value = snap.listed;
  if (snap.friends) {
    friends.value = snap.friends.friends;
    incoming.value = snap.friends.incoming;
    outgoing.value = snap.friends.outgoing;
    friendsLoaded.value = true;
  }
  groups.value = snap.groups ?? {};
  restorePrefs({ prefs: snap.chatPrefs as Record<string, ChatPref> | undefined, hidden: snap.hiddenMessages });
  void loadNotices().catch(() => undefined);
  void restoreAccounts().catch(() => undefined);
  resetOutboxState(snap.outbox);
  me.value = snap.me ?? null;

  render(<App />, document.getElementById("app")!);
  // Read by bench/client-load.ts: the chat list is on screen from the cache.
  if (snap.me && snap.listed) performance.mark("unibox:chats-from-cache");

  let started = false;
  effect(() => {
    if (!me.value || started) return;
    started = true;
    startSync();
    void confirmSession();
    watchOtherTabs();
  });
  const afterLoad = () => {
    if ("serviceWorker" in navigator) void navigator.serviceWorker.register("/sw.js").catch((err) => console.warn("unibox: service worker not registered", err));
    (window.requestIdleCallback ?? setTimeout)(() => me.value && preloadScreens());
  };
  if (document.readyState === "complete") afterLoad();
  else addEventListener("load", afterLoad, { once: true });
}

void boot();
