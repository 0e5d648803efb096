// The frame around every signed-in screen: the network banner and the tab bar.
import { useLocation } from "preact-iso";
import { t } from "../i18n";
import { connection } from "../state/connection";
import { totalUnread } from "../state/conversations";
import { incoming } from "../state/friends";
import { mailUnread } from "../state/mail";
import { Icon, type IconName } from "./icons";

/** Says plainly when messages cannot go out right now; silent when all is well. */
export function NetBanner() {
  const state = connection.value;
  if (state === "online") return null;
  const text = state === "offline" ? t("net.offline") : state === "syncing" ? t("net.syncing") : t("net.connecting");
  return (
    <div class={`net-banner net-${state}`} role="status" aria-live="polite" data-connection={state}>
      {state === "offline" && <Icon name="offline" size={18} />}
      <span>{text}</span>
    </div>
  );
}

const tabs: { href: string; icon: IconName; label: "tab.chats" | "tab.contacts" | "tab.me" | "tab.social" | "tab.mail" }[] = [
  { href: "/", icon: "chats", label: "tab.chats" },
  { href: "/social", icon: "social", label: "tab.social" },
  { href: "/mail", icon: "mail", label: "tab.mail" },
  { href: "/contacts", icon: "contacts", label: "tab.contacts" },
  { href: "/me", icon: "me", label: "tab.me" },
];

export function TabBar() {
  const { path } = useLocation();
  const badges: Record<string, number> = { "/": totalUnread.value, "/contacts": incoming.value.length, "/mail": mailUnread.value };
  return (
    <nav class="tabbar" aria-label={t("tabs.label")}>
      {tabs.map((tab) => {
        const n = badges[tab.href] ?? 0;
        return (
          <a href={tab.href} class="tab" aria-current={path === tab.href ? "page" : undefined}>
            <Icon name={tab.icon} />
            <span>{t(tab.label)}</span>
            {n > 0 && <span class="badge" aria-label={t("chats.unread", { n })}>{n > 99 ? "99+" : n}</span>}
          </a>
        );
      })}
    </nav>
  );
}
