// Broadcast (patent flow 4): one picker over Unibox friends and every bound account's
// contacts (a section per network, with search), one compose, one `broadcast` frame. After
// sending, the card shows where each recipient's copy got (screens/broadcast-card.tsx).
import "../inbox/inbox.css";
import { useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { useEffect } from "preact/hooks";
import { t } from "../i18n";
import { sourceLabel, failText } from "../inbox/labels";
import { accountContacts, accounts, loadContacts } from "../state/accounts";
import { broadcasts, loadBroadcasts, type Recipient, sendBroadcast } from "../state/broadcast";
import { sortedFriends } from "../state/friends";
import { Avatar } from "../ui/avatar";
import { Icon } from "../ui/icons";

/** The hub takes at most this many targets in one broadcast (core/protocol.ts). */
export const MAX_RECIPIENTS = 20;

type Pick = Recipient & { key: string; detail: string };
type Section = { source: string; title: string; items: Pick[] };

/** Friends first, then each account with contacts; a search narrows every section. */
export function pickerSections(query: string): Section[] {
  const q = query.trim().toLowerCase();
  const fits = (p: Pick) => !q || p.name.toLowerCase().includes(q) || p.detail.toLowerCase().includes(q);
  const friends: Pick[] = sortedFriends.value.map((f) => ({ key: `unibox/${f.user.id}`, to: { user: f.user.id }, name: f.user.displayName, source: "unibox", detail: `@${f.user.handle}` }));
  const sections: Section[] = [{ source: "unibox", title: t("broadcast.friends"), items: friends.filter(fits) }];
  for (const a of accounts.value) {
    const contacts = accountContacts.value[a.id] ?? [];
    const items = contacts.map((c) => ({ key: `${a.id}/${c.id}`, to: { account: a.id, contact: c.id }, name: c.name || c.id, source: a.id, detail: c.id }));
    if (items.length > 0) sections.push({ source: a.id, title: sourceLabel(a.id), items: items.filter(fits) });
  }
  return sections.filter((s) => s.items.length > 0);
}

export default function Broadcast() {
  const { route } = useLocation();
  const query = useSignal("");
  const text = useSignal("");
  const picked = useSignal<ReadonlyMap<string, Pick>>(new Map());
  const error = useSignal("");
  useEffect(() => {
    void loadBroadcasts();
    for (const a of accounts.value) if (!accountContacts.value[a.id]) void loadContacts(a.id).catch(() => undefined);
  }, [accounts.value.length]);

  const toggle = (p: Pick) => {
    const next = new Map(picked.value);
    if (!next.delete(p.key)) {
      if (next.size >= MAX_RECIPIENTS) return void (error.value = t("broadcast.tooMany", { n: MAX_RECIPIENTS }));
      next.set(p.key, p);
    }
    error.value = "";
    picked.value = next;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = text.value.trim();
    if (picked.value.size === 0) return void (error.value = t("broadcast.pickOne"));
    if (!body) return void (error.value = t("broadcast.writeSomething"));
    try {
      const id = await sendBroadcast([...picked.value.values()].map(({ to, name, source }) => ({ to, name, source })), { type: "text", text: body });
      route(`/broadcast/${encodeURIComponent(id)}`);
    } catch (err) {
      error.value = failText(err);
    }
  };
  const sections = pickerSections(query.value);
  const recent = Object.values(broadcasts.value).sort((a, b) => b.at - a.at).slice(0, 5);

  return (
    <section class="screen" aria-labelledby="broadcast-title">
      <header class="topbar conv-top">
        <a href="/" class="icon-button" aria-label={t("conv.back")}><Icon name="back" /></a>
        <h1 id="broadcast-title">{t("broadcast.title")}</h1>
      </header>
      <form class="scroll" onSubmit={submit} noValidate>
        <div class="card form">
          <div class="field">
            <label for="broadcast-text">{t("broadcast.message")}</label>
            <textarea id="broadcast-text" rows={3} maxLength={4000} value={text.value} onInput={(e) => (text.value = e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="broadcast-search">{t("broadcast.search")}</label>
            <input id="broadcast-search" type="search" value={query.value} onInput={(e) => (query.value = e.currentTarget.value)} />
          </div>
        </div>
        <p class="section-title" aria-live="polite" data-picked={picked.value.size}>{t("broadcast.picked", { n: picked.value.size, max: MAX_RECIPIENTS })}</p>
        {sections.length === 0 && <p class="empty small">{t(query.value ? "broadcast.noMatch" : "broadcast.nobody")}</p>}
        {sections.map((s) => (
          <section key={s.source} aria-labelledby={`pick-${s.source}`} data-section={s.source}>
            <h2 id={`pick-${s.source}`} class="section-title">{s.title}</h2>
            <ul class="list pick-list">
              {s.items.map((p) => (
                <li key={p.key}>
                  <label class="row check-row" data-pick={p.key}>
                    <Avatar id={p.key} name={p.name} />
                    <span class="lines">
                      <span class="title">{p.name}</span>
                      <span class="muted">{p.detail}</span>
                    </span>
                    <input type="checkbox" class="check" checked={picked.value.has(p.key)} onChange={() => toggle(p)} />
                  </label>
                </li>
              ))}
            </ul>
          </section>
        ))}
        {error.value && <p class="field-error" role="alert">{error.value}</p>}
        <button type="submit" class="button primary wide" data-send-broadcast>
          <Icon name="send" size={20} /> {t("broadcast.send", { n: picked.value.size })}
        </button>
        {recent.length > 0 && (
          <section aria-labelledby="recent-title">
            <h2 id="recent-title" class="section-title">{t("broadcast.recent")}</h2>
            <ul class="list">
              {recent.map((b) => (
                <li key={b.id}>
                  <a class="row" href={`/broadcast/${encodeURIComponent(b.id)}`}>
                    <span class="lines">
                      <span class="title">{b.body.type === "text" ? b.body.text : ""}</span>
                      <span class="muted">{t("broadcast.toN", { n: b.recipients.length })}</span>
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          </section>
        )}
      </form>
    </section>
  );
}
